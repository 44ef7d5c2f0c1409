"""The TensorFlow backend: gradient tapes, variables updated in place, tf.distribute,
tf.train checkpoints, tf.data input."""

import contextlib
import threading

import keras
import tensorflow as tf

from gan_zoo.backends import CHECKPOINT_PATTERNS, DistributionError, same_conv


class Recorded:
    """A forward pass recorded on a tape, to be differentiated later."""

    def __init__(self, output, tape, variables):
        self.output, self.tape, self.variables = output, tape, variables


# Keras's TensorFlow `moments` (batch and layer norm) is `tf.nn.moments`, whose variance
# is taken around stop_gradient(mean): right first derivatives, wrong second ones (the 1/N
# of the mean's own dependence on x is lost). A gradient penalty differentiates D's input
# gradient once more; measured on a batch-norm D, R1's update of the layers below the norm
# was 2-5% off, and the bias before the norm, which the norm cancels, got a gradient. So
# inside a penalty's pass the moments are computed in full: Keras's function is replaced
# the first time a penalty's pass runs (a run without penalties never touches Keras), by
# one that differs from it only inside such a pass. The flag is per thread:
# MirroredStrategy traces its replicas in threads of their own.
_full_moments = threading.local()
_patch = threading.Lock()
_installed = False  # whether Keras's moments go through `_moments`
_keras_moments = None  # Keras's own, which `_moments` calls outside a penalty's pass


def _moments(x, axes, keepdims):
    if not getattr(_full_moments, "depth", 0):
        return _keras_moments(x, axes, keepdims)
    mean = tf.reduce_mean(x, axes, keepdims=True)
    variance = tf.reduce_mean(tf.math.squared_difference(x, mean), axes, keepdims=True)
    if not keepdims:
        mean, variance = tf.squeeze(mean, axes), tf.squeeze(variance, axes)
    return mean, variance


def _install_full_moments():
    """Route Keras's TensorFlow moments through `_moments`, once."""
    global _installed, _keras_moments
    with _patch:
        if _installed:
            return
        from keras.src.backend.tensorflow import nn as keras_tf_nn

        keras_moments = getattr(keras_tf_nn, "_compute_moments", None)
        if keras_moments is None:  # Keras's internals moved: refuse rather than be wrong
            raise RuntimeError(
                f"Keras {keras.__version__} has no TensorFlow `_compute_moments`, through which gan_zoo "
                "takes gradient penalties exactly through batch and layer norm: install the Keras range "
                "setup.py names, or train penalties on JAX.")
        if keras_moments is not _moments:
            _keras_moments = keras_moments
            keras_tf_nn._compute_moments = _moments
        _installed = True


@contextlib.contextmanager
def _twice_differentiable_moments():
    _install_full_moments()
    _full_moments.depth = getattr(_full_moments, "depth", 0) + 1
    try:
        yield
    finally:
        _full_moments.depth -= 1


def _apply(optimizer, tape, loss, variables):
    with tape:  # a LossScaleOptimizer (mixed_float16) scales on the tape, unscales in apply
        loss = optimizer.scale_loss(loss)
    optimizer.apply(tape.gradient(loss, variables), variables)


class TensorFlowBackend:
    """`gan_zoo.backends.Backend` on TensorFlow."""

    name = "tensorflow"
    compiles_every_step = False  # XLA is optional (train.jit_compile); slower on the reference CPU
    compiled_step_differentiates_twice = True
    several_steps_per_call = True
    fuses_shifted_slices = False  # op by op: a depthwise convolution is one op
    checkpoint_pattern = CHECKPOINT_PATTERNS[name]
    bfloat16_units_on_cpu = True  # oneDNN uses AMX and AVX-512 BF16
    feeds_tf_data = True

    conv = staticmethod(same_conv)

    def train_step(self, model, data):
        return self.logs(model.adversarial_step(data))

    @staticmethod
    def logs(logs):
        """Under MultiWorkerMirroredStrategy logs are shape [1]: Keras's cross-worker
        reduction of scalar logs fails ("Invalid reduction dimension 0")."""
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            return {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    def minimize(self, optimizer, variables, objective):
        variables = list(variables)
        with tf.GradientTape() as tape:
            loss, logs = objective()
        _apply(optimizer, tape, loss, variables)
        return logs

    def record(self, variables, forward):
        with tf.GradientTape() as tape:
            output = forward()
        return Recorded(output, tape, list(variables))

    def minimize_through(self, optimizer, recorded, objective):
        with recorded.tape:  # the tape holds the recorded pass; continue on it
            loss, logs = objective(recorded.output)
        _apply(optimizer, recorded.tape, loss, recorded.variables)
        return logs

    def input_gradient(self, fn, x):
        """d sum(fn(x)) / dx. Assignments fn makes (batch norm's moving statistics in
        training mode) land in a StatelessScope that is then dropped: a penalty's extra
        pass must not move D's statistics, as on JAX. Normalization in fn is twice
        differentiable (`_twice_differentiable_moments`)."""
        with tf.GradientTape() as tape, keras.StatelessScope(), _twice_differentiable_moments():
            tape.watch(x)
            y = fn(x)
        return tape.gradient(y, x)

    @staticmethod
    def cond(condition, true_fn, false_fn):
        """true_fn() if `condition` else false_fn(), `condition` a tensor: only one runs,
        except across several replicas, where both run and `tf.where` picks. There a
        branch that syncs the replicas (the networks' synchronized batch norm) cannot sit
        inside `tf.cond` ("merge_call called while defining a new graph")."""
        replica = tf.distribute.get_replica_context()
        if replica is None or replica.num_replicas_in_sync == 1:
            return tf.cond(condition, true_fn, false_fn)
        return tf.nest.map_structure(lambda a, b: tf.where(condition, a, b), true_fn(), false_fn())

    def repeat(self, count, body):
        """body(i) for i in range(count), `count` a tensor (the body assigns variables)."""
        def step(i):
            body(i)
            return (i + 1,)

        tf.while_loop(lambda i: i < count, step, (tf.zeros_like(count),))

    @staticmethod
    def _seed(seed_generator):
        """A fresh stateless seed with the replica id folded in: without it every replica
        of a MirroredStrategy draws the same noise."""
        seed = tf.cast(seed_generator.next(), tf.int64)
        replica = tf.distribute.get_replica_context()
        if replica is not None:
            seed = tf.random.experimental.stateless_fold_in(
                seed, tf.cast(replica.replica_id_in_sync_group, tf.int64))
        return seed

    def normal(self, shape, seed_generator):
        return tf.random.stateless_normal(shape, seed=self._seed(seed_generator))

    def uniform(self, shape, seed_generator):
        return tf.random.stateless_uniform(shape, seed=self._seed(seed_generator))

    @staticmethod
    def average(per_example):
        """Mean over the global batch: gradients summed across replicas are then exact."""
        return tf.nn.compute_average_loss(per_example)

    @staticmethod
    def average_scalar(value):
        """A batch-coupled scalar (PT, feature matching) scaled for summed gradients."""
        return value / tf.cast(tf.distribute.get_strategy().num_replicas_in_sync, value.dtype)

    @staticmethod
    def global_batch(x):
        """`x` gathered from every replica along the batch axis, differentiably."""
        replica = tf.distribute.get_replica_context()
        if replica is None or replica.num_replicas_in_sync == 1:
            return x
        return replica.all_gather(x, axis=0)

    @staticmethod
    def num_replicas():
        return tf.distribute.get_strategy().num_replicas_in_sync

    # -- the trainer's state: the variables hold it --------------------------------------

    @staticmethod
    def current_value(model, variable):
        return variable.numpy()

    @staticmethod
    def sync(model):
        pass

    @staticmethod
    def enable_determinism():
        tf.config.experimental.enable_op_determinism()

    # -- checkpoints: tf.train, which restores into any strategy's variables -----------------

    @staticmethod
    def make_checkpoint(items, directory, max_to_keep):
        checkpoint = tf.train.Checkpoint(**items)
        return checkpoint, tf.train.CheckpointManager(checkpoint, directory, max_to_keep=max_to_keep)

    @staticmethod
    def unreadable_checkpoint_errors():
        return ValueError, AssertionError, IndexError, tf.errors.OpError

    # -- devices and distribution: tf.distribute ------------------------------------------

    @staticmethod
    def make_strategy(name, cpu_devices):
        if cpu_devices > 1:
            cpus = tf.config.list_physical_devices("CPU")
            try:
                tf.config.set_logical_device_configuration(
                    cpus[0], [tf.config.LogicalDeviceConfiguration()] * cpu_devices)
            except RuntimeError as error:
                raise DistributionError(
                    f"cpu_devices must be set before TensorFlow starts: {error}") from error
        if name == "default":
            return tf.distribute.get_strategy()
        if name == "multi_worker":  # reads TF_CONFIG; before anything starts TensorFlow's runtime
            return tf.distribute.MultiWorkerMirroredStrategy()
        gpus = tf.config.list_logical_devices("GPU")
        if name == "one_device":
            return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
        if name == "mirrored":
            devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
            return tf.distribute.MirroredStrategy(devices)
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)

    @staticmethod
    def default_strategy():
        return tf.distribute.get_strategy()

    @staticmethod
    def process_shard():
        return 0, 1  # tf.distribute shards tf.data input itself

    @staticmethod
    def gpus():
        found = []
        for device in tf.config.list_physical_devices("GPU"):
            details = tf.config.experimental.get_device_details(device)
            found.append({"name": details.get("device_name", device.name),
                          "compute_capability": details.get("compute_capability")})
        return found


BACKEND = TensorFlowBackend()
