"""The JAX and torch backends' checkpoint format: every variable of
`BaseGAN.checkpoint_items()` as an array in one file per step, `ckpt-STEP.npz` (numpy's,
on JAX) or `ckpt-STEP.pt` (torch's, on torch), written to a temporary file and renamed,
so a file of that name is always complete (a kill mid-write leaves only a `.tmp`). No
extra dependency: orbax-checkpoint would bring tensorstore, and the state is a few arrays
that fit in host memory. The interface is the part of `tf.train.Checkpoint` /
`CheckpointManager` that `gan_zoo.checkpoints` uses.
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


def _save_npz(arrays: dict, file) -> None:
    np.savez(file, **arrays)


def _load_npz(path: str) -> dict:
    try:
        with np.load(path) as stored:
            return {name: stored[name] for name in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"{path} is unreadable: {error}") from error


# (file suffix, save(arrays, file), load(path) -> arrays raising ValueError when unreadable)
NPZ_FILES = (".npz", _save_npz, _load_npz)


class ArrayCheckpoint:
    """The variables of `items` (as `tf.train.Checkpoint(**items)` takes them) to and from
    one file of `files`' format."""

    def __init__(self, items: dict, files=NPZ_FILES):
        self.variables = _variables(items)
        self.suffix, self._save, self._load = files

    def write(self, path: str) -> str:
        temporary = f"{path}.tmp"
        with open(temporary, "wb") as f:
            self._save({name: np.asarray(v.numpy()) for name, v in self.variables.items()}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
        return path

    def read(self, path: str) -> dict:
        """{name: array} of the file at `path`; ValueError if it is unreadable."""
        return self._load(path)

    def restore(self, path: str):
        """Assign every variable from `path`; ValueError if it is unreadable or holds
        other variables (nothing is assigned then)."""
        arrays = self.read(path)
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


# What a restore of a damaged array checkpoint raises (ArrayCheckpoint.restore wraps the rest).
UNREADABLE = (ValueError, AssertionError, IndexError)


def make_checkpoint(items: dict, directory: str, max_to_keep: int, files=NPZ_FILES):
    """(checkpoint, manager) of `items` in `directory`, as `Backend.make_checkpoint` gives them."""
    checkpoint = ArrayCheckpoint(items, files)
    return checkpoint, ArrayCheckpointManager(checkpoint, directory, max_to_keep)


class ArrayCheckpointManager:
    """ckpt-STEP files (the checkpoint's suffix) in `directory`, the newest `max_to_keep` kept."""

    def __init__(self, checkpoint: ArrayCheckpoint, directory: str, max_to_keep: int):
        self.checkpoint, self.directory, self.max_to_keep = checkpoint, directory, max_to_keep

    @property
    def checkpoints(self) -> list[str]:
        found = {}
        suffix = self.checkpoint.suffix
        for path in glob.glob(os.path.join(self.directory, f"ckpt-*{suffix}")):
            step = os.path.basename(path)[len("ckpt-"):-len(suffix)]
            if step.isdigit():
                found[int(step)] = path
        return [found[step] for step in sorted(found)]

    @property
    def latest_checkpoint(self) -> str | None:
        return (self.checkpoints or [None])[-1]

    def save(self, checkpoint_number: int) -> str:
        os.makedirs(self.directory, exist_ok=True)
        name = f"ckpt-{checkpoint_number}{self.checkpoint.suffix}"
        path = self.checkpoint.write(os.path.join(self.directory, name))
        for old in self.checkpoints[:-self.max_to_keep]:
            os.remove(old)
        return path
