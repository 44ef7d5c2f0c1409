"""The PyTorch backend: autograd, variables updated in place, one device, torch checkpoints,
numpy input.

Keras's torch trainer calls `train_step(data)` eagerly (or through `torch.compile` with
`jit_compile=True`) and keeps the state in the variables, as TensorFlow does. Gradients
are `torch.autograd.grad` of the objective with respect to the trained variables'
tensors: only those get gradients, nothing accumulates in `.grad`, and a recorded
generator pass keeps its graph (`retain_graph`) until the generator's update walks it.
Control flow is Python's: a step runs eagerly, so a condition is a value.

Keras runs data parallelism on JAX only (`keras.distribution`): this backend trains on
one device, the GPU where torch sees one.
"""

import contextlib
import pickle

import keras
import numpy as np
import torch

from gan_zoo.backends import CHECKPOINT_PATTERNS, DistributionError, OneProgram, array_checkpoints, same_conv


class Recorded:
    """A forward pass whose graph is kept, to be differentiated later."""

    def __init__(self, output, variables):
        self.output, self.variables = output, variables


class OneDevice:
    """The only strategy on torch: `scope()` and one replica."""

    num_replicas_in_sync = 1

    @staticmethod
    def scope():
        return contextlib.nullcontext()


def _gradients(loss, variables, retain_graph=False):
    """d loss / d each variable's tensor; zeros for one the loss does not reach (a head
    unused by this objective), as TensorFlow's tape and JAX give."""
    tensors = [v.value for v in variables]
    grads = torch.autograd.grad(loss, tensors, retain_graph=retain_graph, allow_unused=True)
    return [torch.zeros_like(t) if g is None else g for g, t in zip(grads, tensors, strict=True)]


def _apply(optimizer, loss, variables):
    """One update down the gradient; a LossScaleOptimizer (mixed_float16) scales the loss
    here and unscales in `apply`."""
    grads = _gradients(optimizer.scale_loss(loss), variables)
    optimizer.apply(grads, variables)


class TorchBackend(OneProgram):
    """`gan_zoo.backends.Backend` on PyTorch."""

    name = "torch"
    compiles_every_step = False  # eager unless train.jit_compile asks for torch.compile
    compiled_step_differentiates_twice = False  # torch.compile's AOTAutograd has no double backward
    several_steps_per_call = False  # Keras's torch trainer refuses steps_per_execution > 1
    fuses_shifted_slices = False  # op by op: a depthwise convolution is one op
    checkpoint_pattern = CHECKPOINT_PATTERNS[name]
    bfloat16_units_on_cpu = True  # oneDNN's bf16 kernels use AMX and AVX-512 BF16
    feeds_tf_data = False  # numpy batches: a torch user needs no TensorFlow

    conv = staticmethod(same_conv)

    def train_step(self, model, data):
        return model.adversarial_step(data)

    def minimize(self, optimizer, variables, objective):
        loss, logs = objective()
        _apply(optimizer, loss, list(variables))
        return logs

    def record(self, variables, forward):
        return Recorded(forward(), list(variables))

    def minimize_through(self, optimizer, recorded, objective):
        loss, logs = objective(recorded.output)
        _apply(optimizer, loss, recorded.variables)
        return logs

    def input_gradient(self, fn, x):
        """d sum(fn(x)) / dx, kept differentiable (a penalty's gradient goes through it).
        Assignments fn makes (batch norm's moving statistics in training mode) land in a
        StatelessScope that is then dropped: a penalty's extra pass must not move D's
        statistics. torch's moments are exact to the second derivative."""
        x = x.detach().requires_grad_(True)
        with keras.StatelessScope(), torch.enable_grad():
            y = torch.sum(fn(x))
        (gradient,) = torch.autograd.grad(y, x, create_graph=True)
        return gradient

    @staticmethod
    def cond(condition, true_fn, false_fn):
        return true_fn() if bool(condition) else false_fn()

    @staticmethod
    def repeat(count, body):
        for i in range(int(count)):
            body(i)

    # -- the trainer's state: the variables hold it --------------------------------------

    @staticmethod
    def current_value(model, variable):
        return np.asarray(variable.numpy())

    @staticmethod
    def sync(model):
        pass

    @staticmethod
    def enable_determinism():
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False

    # -- checkpoints: the variables' tensors in one ckpt-STEP.pt per step ----------------------

    @staticmethod
    def make_checkpoint(items, directory, max_to_keep):
        return array_checkpoints.make_checkpoint(items, directory, max_to_keep, TORCH_FILES)

    @staticmethod
    def unreadable_checkpoint_errors():
        return array_checkpoints.UNREADABLE

    # -- devices and distribution: one device -------------------------------------------

    @staticmethod
    def make_strategy(name, cpu_devices):
        if name in ("default", "one_device") and cpu_devices <= 1:
            return OneDevice()
        raise DistributionError(
            f"the torch backend trains on one device: Keras's data parallelism (keras.distribution) "
            f"runs on JAX only, so strategy={name!r} with cpu_devices={cpu_devices} cannot run here. "
            "Use --backend=jax or --backend=tensorflow to train on several devices.")

    @staticmethod
    def default_strategy():
        return OneDevice()

    @staticmethod
    def process_shard():
        return 0, 1

    @staticmethod
    def gpus():
        cuda = torch.cuda
        return [{"name": cuda.get_device_name(i), "compute_capability": cuda.get_device_capability(i)}
                for i in range(cuda.device_count())]


def _save(arrays: dict, file) -> None:
    torch.save({name: torch.from_numpy(np.array(a, order="C")) for name, a in arrays.items()}, file)


def _load(path: str) -> dict:
    """The arrays of a checkpoint file; `weights_only` never unpickles code."""
    try:
        stored = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as error:
        raise ValueError(f"{path} is unreadable: {error}") from error
    if not isinstance(stored, dict) or not all(isinstance(t, torch.Tensor) for t in stored.values()):
        raise ValueError(f"{path} is not a gan_zoo checkpoint (a dict of tensors).")
    return {name: t.numpy() for name, t in stored.items()}


TORCH_FILES = (".pt", _save, _load)

BACKEND = TorchBackend()
