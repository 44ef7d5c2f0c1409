"""The JAX backend: Keras's functional `train_step(state, data)`, `keras.distribution`,
array checkpoints, numpy input.

Keras's JAX trainer hands `train_step` the values of every variable (trainable,
non-trainable, optimizer, metrics) and expects their new values back. The stepper
opens a `keras.StatelessScope` mapping each variable to its value, runs the model's
`adversarial_step` in it, and returns what the scope then holds: every read sees the
current value and every `assign` (optimizer updates, batch-norm statistics, the noise
generator's state, trackers, WGAN's clipping) becomes the new state, as in Keras's own
`stateless_apply`. Gradients are taken with `jax.value_and_grad` (or `jax.vjp` for a
recorded pass) over the values of the variables being trained, in a nested scope whose
other updates come back as auxiliary outputs.

Under `keras.distribution.DataParallel` the step is one SPMD program over the global
batch: means are global means and nothing needs gathering.
"""

import contextlib
import os

import jax
import jax.numpy as jnp
import keras
import numpy as np

from gan_zoo.backends import (
    CHECKPOINT_PATTERNS,
    DistributionError,
    OneProgram,
    array_checkpoints,
    jax_convolution,
    same_conv,
)


class Recorded:
    """A forward pass and its pullback (`jax.vjp`), to be differentiated later."""

    def __init__(self, output, pullback, variables):
        self.output, self.pullback, self.variables = output, pullback, variables


class JaxDistribution:
    """A `keras.distribution` data-parallel layout seen as a strategy (`scope()`,
    `num_replicas_in_sync`), set globally as Keras's JAX trainer reads it."""

    def __init__(self, distribution=None):
        self.distribution = distribution
        keras.distribution.set_distribution(distribution)

    @property
    def num_replicas_in_sync(self) -> int:
        return len(self.distribution.device_mesh.devices.reshape(-1)) if self.distribution else 1

    def scope(self):
        return contextlib.nullcontext()


def _cluster_from_environment() -> dict:
    """jax.distributed.initialize's arguments from JAX_COORDINATOR_ADDRESS,
    JAX_NUM_PROCESSES and JAX_PROCESS_ID where they are set (JAX reads only the first
    itself; a cluster JAX detects, e.g. SLURM, needs none of them)."""
    names = {"JAX_COORDINATOR_ADDRESS": ("coordinator_address", str),
             "JAX_NUM_PROCESSES": ("num_processes", int), "JAX_PROCESS_ID": ("process_id", int)}
    try:
        return {argument: kind(os.environ[name]) for name, (argument, kind) in names.items()
                if os.environ.get(name)}
    except ValueError as error:
        raise DistributionError(f"JAX_NUM_PROCESSES and JAX_PROCESS_ID must be integers: {error}.") from None


class JaxBackend(OneProgram):
    """`gan_zoo.backends.Backend` on JAX."""

    name = "jax"
    compiles_every_step = True
    compiled_step_differentiates_twice = True
    several_steps_per_call = True
    fuses_shifted_slices = True
    checkpoint_pattern = CHECKPOINT_PATTERNS[name]
    # XLA on CPU does not use the bf16 units: on an AVX-512 BF16 EPYC its bf16 matmul ran
    # slower than float32 (docs/PERFORMANCE.md).
    bfloat16_units_on_cpu = False
    feeds_tf_data = False  # numpy batches: a JAX user needs no TensorFlow

    def __init__(self):
        self._scopes = []

    @contextlib.contextmanager
    def _scope(self, values: dict):
        """A StatelessScope over `values` ({id(variable): value}), updated in place."""
        scope = keras.StatelessScope()
        scope.state_mapping = values
        self._scopes.append(scope)
        try:
            with scope:
                yield scope
        finally:
            self._scopes.pop()

    @property
    def _values(self) -> dict:
        if not self._scopes:
            raise RuntimeError("The JAX stepper runs inside train_step only.")
        return self._scopes[-1].state_mapping

    def train_step(self, model, state, data):
        groups = (model.trainable_variables, model.non_trainable_variables,
                  model.optimizer.variables, model.metrics_variables)
        values = {id(v): x for variables, xs in zip(groups, state, strict=True)
                  for v, x in zip(variables, xs, strict=True)}
        with self._scope(values):
            logs = model.adversarial_step(data)
        return logs, tuple([values[id(v)] for v in variables] for variables in groups)

    def _differentiable(self, variables, fn):
        """(fn over the values of `variables`, their current values): fn(params) runs
        in a scope where `variables` hold `params` and returns (output, the scope's other
        values), so that updates made on the way (batch norm, noise state) come back."""
        outer = self._values
        ids = [id(v) for v in variables]
        differentiated = set(ids)

        def wrapped(params, *args):
            values = dict(outer)
            values.update(zip(ids, params, strict=True))
            with self._scope(values):
                output = fn(*args)
            return output, {k: v for k, v in values.items() if k not in differentiated}

        return wrapped, [outer[i] for i in ids]

    def minimize(self, optimizer, variables, objective):
        variables = list(variables)

        def scaled_objective():
            loss, logs = objective()
            return optimizer.scale_loss(loss), logs

        fn, params = self._differentiable(variables, scaled_objective)

        def loss_fn(params):
            (loss, logs), updates = fn(params)
            return loss, (logs, updates)

        (_, (logs, updates)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        self._values.update(updates)
        self._apply(optimizer, grads, variables)
        return logs

    def record(self, variables, forward):
        variables = list(variables)
        fn, params = self._differentiable(variables, forward)
        output, pullback, updates = jax.vjp(fn, params, has_aux=True)
        self._values.update(updates)
        return Recorded(output, pullback, variables)

    def minimize_through(self, optimizer, recorded, objective):
        outer = self._values
        ids = [id(v) for v in recorded.variables]

        def loss_fn(output, weights):  # the objective may read the weights too (G's penalties)
            values = {**outer, **dict(zip(ids, weights, strict=True))}
            with self._scope(values):
                loss, logs = objective(output)
                loss = optimizer.scale_loss(loss)
            return loss, (logs, values)

        gradients = jax.value_and_grad(loss_fn, argnums=(0, 1), has_aux=True)
        (_, (logs, updates)), (d_output, direct) = gradients(recorded.output, [outer[i] for i in ids])
        outer.update(updates)
        (through_output,) = recorded.pullback(d_output)
        grads = [a + b for a, b in zip(through_output, direct, strict=True)]
        self._apply(optimizer, grads, recorded.variables)
        return logs

    def _apply(self, optimizer, grads, variables):
        """`optimizer.stateless_apply` on the scope's values. Its stateful `apply` would do
        the same for plain optimizers, but LossScaleOptimizer's (mixed_float16) assigns
        inside `ops.cond` branches, whose traced values then leak out of `lax.cond`."""
        if [id(v) for v in variables] != [id(v) for v in optimizer._trainable_variables]:
            raise ValueError(f"{optimizer.name} was built for other variables than the ones it is "
                             "asked to update; build it on exactly those (BaseGAN.compile does).")
        values = self._values
        new_variables, new_slots = optimizer.stateless_apply(
            [values[id(v)] for v in optimizer.variables], grads, [values[id(v)] for v in variables])
        values.update(zip(map(id, variables), new_variables, strict=True))
        values.update(zip(map(id, optimizer.variables), new_slots, strict=True))

    def input_gradient(self, fn, x):
        """d sum(fn(x)) / dx. Updates fn makes to variables (batch norm in training mode)
        are dropped: a penalty's extra pass must not move D's statistics."""
        if not self._scopes:  # outside a train step: fn reads no traced state
            return jax.grad(lambda x: jnp.sum(fn(x)))(x)
        outer = self._values

        def total(x):
            with self._scope(dict(outer)):
                return jnp.sum(fn(x))

        return jax.grad(total)(x)

    def _threaded(self, *fns):
        """(keys, state, runs): the state's values as a list in `keys` order, and for each fn
        run(carried, *args), which calls fn(*args) in a scope over `carried` and returns
        (fn's output, the state after): the form `lax.cond` and `fori_loop` take, so that
        fn may assign variables."""
        keys = list(self._values)

        def threaded(fn):
            def run(carried, *args):
                inner = dict(zip(keys, carried, strict=True))
                with self._scope(inner):
                    output = fn(*args)
                return output, [inner[k] for k in keys]
            return run

        return keys, [self._values[k] for k in keys], [threaded(fn) for fn in fns]

    @staticmethod
    def conv(x, kernel, strides):
        """On CPU, `jax_convolution.conv2d`: XLA's CPU backend runs JAX's own kernel gradient
        many times slower inside a `cond` branch (the lazy penalties'); elsewhere Keras's."""
        if jax.default_backend() == "cpu":
            return jax_convolution.conv2d(x, kernel, strides)
        return same_conv(x, kernel, strides)

    def cond(self, condition, true_fn, false_fn):
        """true_fn() if `condition` else false_fn(), `condition` traced: a `lax.cond` that
        carries the state, so that either branch may assign variables (noise draws)."""
        keys, state, (run_true, run_false) = self._threaded(true_fn, false_fn)
        output, carried = jax.lax.cond(condition, run_true, run_false, state)
        self._values.update(zip(keys, carried, strict=True))
        return output

    def repeat(self, count, body):
        """body(i) for i in range(count), `count` traced: a `fori_loop` over the state."""
        keys, state, (run,) = self._threaded(body)
        carried = jax.lax.fori_loop(0, count, lambda i, carried: run(carried, i)[1], state)
        self._values.update(zip(keys, carried, strict=True))

    @staticmethod
    def logs(logs):
        return logs


    # -- the trainer's state: Keras's JAX trainer holds it in `fit` between steps ----------

    def current_value(self, model, variable):
        """Read from `fit`'s state where it holds optimizer and metric variables; any
        other variable after `sync` (the next step then rebuilds the whole state)."""
        state = getattr(model, "_jax_state", None)
        if state is not None and not model._jax_state_synced:
            for group, variables in (("optimizer_variables", model.optimizer.variables),
                                     ("metrics_variables", model.metrics_variables)):
                for reference, value in zip(variables, state.get(group) or (), strict=False):
                    if reference is variable:
                        return np.asarray(value)
            self.sync(model)  # a weight: its variable alone would hold the value of fit's start
        return variable.numpy()

    @staticmethod
    def sync(model):
        if getattr(model, "_jax_state", None) is not None:
            model.jax_state_sync()

    @staticmethod
    def enable_determinism():
        pass  # XLA on CPU is deterministic as it is

    # -- checkpoints: arrays in one .npz per step ---------------------------------------------

    @staticmethod
    def make_checkpoint(items, directory, max_to_keep):
        return array_checkpoints.make_checkpoint(items, directory, max_to_keep)

    @staticmethod
    def unreadable_checkpoint_errors():
        return array_checkpoints.UNREADABLE

    # -- devices and distribution: keras.distribution, jax.distributed ----------------------

    @staticmethod
    def make_strategy(name, cpu_devices):
        """"mirrored" (and "tpu") is data parallelism over every device; "multi_worker"
        first joins the processes with `jax.distributed.initialize()`."""
        if cpu_devices > 1:
            try:
                jax.config.update("jax_num_cpu_devices", cpu_devices)
            except RuntimeError as error:
                raise DistributionError(f"cpu_devices must be set before JAX starts: {error}") from error
        if name == "multi_worker":
            try:
                # Cross-process collectives on CPU go over gloo (tests/helpers/jax_processes_step.py).
                jax.config.update("jax_cpu_collectives_implementation", "gloo")
                jax.distributed.initialize(**_cluster_from_environment())
            except (RuntimeError, ValueError) as error:
                raise DistributionError(
                    f"jax.distributed.initialize() failed: {error}. Set JAX_COORDINATOR_ADDRESS, "
                    "JAX_NUM_PROCESSES and JAX_PROCESS_ID, or run under a cluster JAX detects.") from error
        if name in ("default", "one_device"):
            return JaxDistribution(None)
        return JaxDistribution(keras.distribution.DataParallel(devices=jax.devices()))

    @staticmethod
    def default_strategy():
        return JaxDistribution(keras.distribution.distribution())

    @staticmethod
    def process_shard():
        return jax.process_index(), jax.process_count()

    @staticmethod
    def gpus():
        def capability(device):
            parts = str(getattr(device, "compute_capability", "")).split(".")
            return tuple(int(x) for x in parts if x.isdigit()) or None

        return [{"name": d.device_kind, "compute_capability": capability(d)}
                for d in jax.devices() if d.platform == "gpu"]


BACKEND = JaxBackend()
