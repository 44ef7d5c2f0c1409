"""The JAX backend's checkpoint format: every variable of `BaseGAN.checkpoint_items()` as a
numpy array in one `ckpt-STEP.npz`, written to a temporary file and renamed, so a file of
that name is always complete (a kill mid-write leaves only a `.tmp`). No extra dependency:
orbax-checkpoint would bring tensorstore, and the state is a few arrays that fit in host
memory. The interface is the part of `tf.train.Checkpoint` / `CheckpointManager` that
`gan_zoo.checkpoints` uses.
"""

import glob
import os
import zipfile

import keras
import numpy as np


def _variables(items: dict) -> dict:
    """{name: variable} of checkpoint items (networks, optimizers, variables, lists)."""
    flat = {}
    for name, item in items.items():
        if isinstance(item, keras.Model):
            variables = item.weights
        elif isinstance(item, keras.optimizers.Optimizer):
            variables = item.variables
        elif isinstance(item, (list, tuple)):
            variables = list(item)
        else:
            variables = [item]
        flat.update({f"{name}/{i}": v for i, v in enumerate(variables)})
    return flat


class ArrayCheckpoint:
    """The variables of `items` (as `tf.train.Checkpoint(**items)` takes them) to and from
    one .npz file."""

    def __init__(self, items: dict):
        self.variables = _variables(items)

    def write(self, path: str) -> str:
        temporary = f"{path}.tmp"
        with open(temporary, "wb") as f:
            np.savez(f, **{name: np.asarray(v.numpy()) for name, v in self.variables.items()})
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
        return path

    def restore(self, path: str):
        """Assign every variable from `path`; ValueError if it is unreadable or holds
        other variables (nothing is assigned then)."""
        try:
            with np.load(path) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
            raise ValueError(f"{path} is unreadable: {error}") from error
        if arrays.keys() != self.variables.keys():
            raise ValueError(f"{path} holds other variables than this model's.")
        for name, v in self.variables.items():
            if tuple(arrays[name].shape) != tuple(v.shape):
                raise ValueError(f"{path}: {name} has shape {arrays[name].shape}, not {v.shape}.")
        for name, v in self.variables.items():
            v.assign(arrays[name])
        return self

    def assert_existing_objects_matched(self):  # restore() already checked everything
        return self


class ArrayCheckpointManager:
    """ckpt-STEP.npz files in `directory`, the newest `max_to_keep` kept."""

    def __init__(self, checkpoint: ArrayCheckpoint, directory: str, max_to_keep: int):
        self.checkpoint, self.directory, self.max_to_keep = checkpoint, directory, max_to_keep

    @property
    def checkpoints(self) -> list[str]:
        found = {}
        for path in glob.glob(os.path.join(self.directory, "ckpt-*.npz")):
            step = os.path.basename(path)[len("ckpt-"):-len(".npz")]
            if step.isdigit():
                found[int(step)] = path
        return [found[step] for step in sorted(found)]

    @property
    def latest_checkpoint(self) -> str | None:
        return (self.checkpoints or [None])[-1]

    def save(self, checkpoint_number: int) -> str:
        os.makedirs(self.directory, exist_ok=True)
        path = self.checkpoint.write(os.path.join(self.directory, f"ckpt-{checkpoint_number}.npz"))
        for old in self.checkpoints[:-self.max_to_keep]:
            os.remove(old)
        return path
