"""The backend wall: everything that differs by Keras backend, declared once (`Backend`) and
implemented once per backend (`backends.tensorflow`, `backends.jax`, `backends.torch`).

A GAN variant is its paper's mathematics in `keras.ops`: losses, penalties, what it logs.
What it cannot write in `keras.ops`, and what the trainer needs of a backend around it,
comes from the running backend's object, `current()`, chosen by `KERAS_BACKEND`. Outside
this folder nothing branches on the backend, imports `keras.src` or reads a private
attribute of a Keras object (`tests/test_backends.py` walks the package to hold that).

Variables are assigned as usual (`w.assign(...)`, optimizers, batch norm, trackers): on
JAX every such write lands in the functional state, as in Keras's own JAX trainer.
Nothing here imports a model.
"""

from typing import Protocol, runtime_checkable

import keras

from gan_zoo.backends.optimizer_pair import OptimizerPair

# The checkpoint files each backend writes: a workdir of one is refused by the other.
CHECKPOINT_PATTERNS = {"tensorflow": "ckpt-*.index", "jax": "ckpt-*.npz", "torch": "ckpt-*.pt"}


class DistributionError(ValueError):
    """A strategy that cannot be set up: the message says why and what to do."""


@runtime_checkable
class Backend(Protocol):
    """What a backend gives gan_zoo."""

    name: str  # Keras's name of the backend: "tensorflow", "jax", "torch"

    # -- the train step's primitives (`BaseGAN.adversarial_step` runs on them) ---------------

    def train_step(self, model, *args):
        """Keras's entry point: `(data)` on TensorFlow and torch, `(state, data)` on JAX; runs
        `model.adversarial_step` and returns the logs (and on JAX the new state)."""

    def minimize(self, optimizer, variables, objective):
        """One update of `variables` down the gradient of `objective()`'s loss; `objective`
        returns (loss, logs) and the logs are returned."""

    def record(self, variables, forward):
        """A forward pass recorded once (`.output`) to be differentiated later."""

    def minimize_through(self, optimizer, recorded, objective):
        """One update of the recorded pass's variables down `objective(recorded.output)`,
        through the recorded pass and through any direct use of those variables in the
        objective (a penalty of G's weights)."""

    def input_gradient(self, fn, x):
        """d sum(fn(x)) / dx, for penalties; what fn assigns is dropped, and normalization
        layers inside fn are twice differentiable."""

    def conv(self, x, kernel, strides: int):
        """`same_conv(x, kernel, strides)`: the same numbers, each backend's fastest gradients
        (the zoo's own convolution layers call this)."""

    def cond(self, condition, true_fn, false_fn):
        """One of two functions chosen by a tensor; either may assign variables."""

    def repeat(self, count, body):
        """body(i) for i in range(count), `count` a tensor."""

    def normal(self, shape, seed_generator):
        """N(0, 1) noise from a `keras.random.SeedGenerator`, distinct per replica."""

    def uniform(self, shape, seed_generator):
        """U[0, 1) noise, likewise."""

    def average(self, per_example):
        """Mean over the global batch, exact when a batch is split across devices."""

    def average_scalar(self, value):
        """A batch-coupled scalar scaled for gradients summed across replicas."""

    def global_batch(self, x):
        """`x` gathered from every replica along the batch axis, differentiably."""

    def num_replicas(self) -> int:
        """Replicas that each run the step on their share of the batch (1 where one
        program spans every device): batch norm built for several is synchronized."""

    # -- the trainer's state ------------------------------------------------------------

    def current_value(self, model, variable):
        """A variable's value now, as numpy, while `fit` may hold it elsewhere."""

    def sync(self, model) -> None:
        """Put the values `fit` holds back into the variables (before reading weights or
        assigning them from a callback)."""

    compiles_every_step: bool  # the train step is always compiled (XLA)
    compiled_step_differentiates_twice: bool  # a penalty's gradient of a gradient compiles
    several_steps_per_call: bool  # whether `fit` may run steps_per_execution > 1 steps a call
    fuses_shifted_slices: bool  # the step's sums of shifted slices fuse into one pass (XLA): `FIRFilter`

    def enable_determinism(self) -> None:
        """Deterministic kernels for bitwise-reproducible runs."""

    # -- checkpoints --------------------------------------------------------------------

    checkpoint_pattern: str  # the glob of a checkpoint this backend writes

    def make_checkpoint(self, items: dict, directory: str, max_to_keep: int):
        """(checkpoint, manager) of `items` (`BaseGAN.checkpoint_items()`) in
        `directory`, the newest `max_to_keep` kept, in this backend's format:
        `checkpoint.restore(path)`, `manager.save(n)`, `manager.checkpoints`,
        `manager.latest_checkpoint`, `manager.directory`."""

    def unreadable_checkpoint_errors(self) -> tuple:
        """The exceptions a restore of a damaged checkpoint raises."""

    # -- devices, distribution and input ---------------------------------------------------

    def make_strategy(self, name: str, cpu_devices: int):
        """A strategy by name (`devices.STRATEGIES`): `scope()`, `num_replicas_in_sync`."""

    def default_strategy(self):
        """The strategy in effect when none is given."""

    def process_shard(self) -> tuple[int, int]:
        """(this process's index, the process count) where each process feeds its share
        of every global batch itself; (0, 1) where the strategy shards the input."""

    def gpus(self) -> list[dict]:
        """[{"name": ..., "compute_capability": (major, minor) or None}] of the GPUs seen."""

    bfloat16_units_on_cpu: bool  # whether the backend's CPU kernels use AMX / AVX-512 BF16
    feeds_tf_data: bool  # input as tf.data (True) or as numpy batches (`data.ArrayBatches`)


def same_conv(x, kernel, strides: int):
    """`keras.ops.conv(x, kernel, strides, padding="same")`: x [N, H, W, C_in], kernel
    [k, k, C_in, C_out]."""
    return keras.ops.conv(x, kernel, strides=strides, padding="same")


class OneProgram:
    """The noise, means and gathers of a backend whose step is one program over the global
    batch (JAX, whose data parallelism is one SPMD program; torch, on one device): noise
    from Keras's seed generator, plain means, nothing to gather or rescale."""

    @staticmethod
    def normal(shape, seed_generator):
        return keras.random.normal(shape, seed=seed_generator)

    @staticmethod
    def uniform(shape, seed_generator):
        return keras.random.uniform(shape, seed=seed_generator)

    @staticmethod
    def average(per_example):
        return keras.ops.mean(per_example)

    @staticmethod
    def average_scalar(value):
        return value

    @staticmethod
    def global_batch(x):
        return x

    @staticmethod
    def num_replicas():
        return 1


def serialize_optimizer(optimizer) -> dict:
    """`keras.saving.serialize_keras_object(optimizer)` naming the public Keras class. On
    torch, Keras swaps `keras.optimizers.Adam` (SGD, ...) for a subclass of its own backend
    whose module the file would name: a .keras file saved there would load a torch
    optimizer on TensorFlow and JAX (Keras 3.15), which fails at its first update."""
    serialized = keras.saving.serialize_keras_object(optimizer)

    def public(item: dict) -> None:
        if item.get("module", "").startswith("keras.src.backend.") and hasattr(
                keras.optimizers, item.get("class_name", "")):
            item.update(module="keras.optimizers", registered_name=None)
        inner = item.get("config", {}).get("inner_optimizer")  # LossScaleOptimizer
        if isinstance(inner, dict):
            public(inner)

    public(serialized)
    return serialized


def current() -> Backend:
    """The backend object of the running Keras backend."""
    name = keras.backend.backend()
    if name == "tensorflow":
        from gan_zoo.backends import tensorflow as module
    elif name == "jax":
        from gan_zoo.backends import jax as module
    elif name == "torch":
        from gan_zoo.backends import torch as module
    else:
        raise RuntimeError(f"gan_zoo runs on the tensorflow, jax and torch backends, not {name!r}: "
                           "set KERAS_BACKEND to one of them.")
    return module.BACKEND


__all__ = ["CHECKPOINT_PATTERNS", "Backend", "DistributionError", "OneProgram", "OptimizerPair", "current",
           "serialize_optimizer"]
