"""Checkpoints: writing one every N steps, finding the newest good one, restoring it.

Two formats behind one interface (`make`):

- TensorFlow: `tf.train.Checkpoint` + `tf.train.CheckpointManager`, which restore into
  the variables of any `tf.distribute` strategy.
- JAX: `ArrayCheckpoint` + `ArrayCheckpointManager`, written here: every variable of
  `BaseGAN.checkpoint_items()` as a numpy array in one `ckpt-STEP.npz`, written to a
  temporary file and renamed, so a file of that name is always complete (a kill
  mid-write leaves only a `.tmp`). No extra dependency: orbax-checkpoint would bring
  tensorstore, and the state is a few arrays that fit in host memory.

`restore_latest_good` restores the newest checkpoint that reads back and warns about
newer ones that do not; `Checkpointer` writes them during `fit`, never with non-finite
weights, with the training clock beside them.
"""

import glob
import json
import os
import time
import zipfile

import keras
import numpy as np

from gan_zoo.callbacks import GANCallback, TrainingDiverged, global_step, non_finite_weights, sync

MAX_TO_KEEP = 3


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

    def __init__(self, checkpoint: ArrayCheckpoint, directory: str, max_to_keep: int = MAX_TO_KEEP):
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


FORMATS = {"tensorflow": "ckpt-*.index", "jax": "ckpt-*.npz"}


class ForeignCheckpoints(ValueError):
    """The checkpoints in a directory were written on another backend."""


def check_backend(directory: str) -> None:
    """Refuse a checkpoint directory whose checkpoints another backend wrote: this
    backend would not see them and would start over beside them."""
    backend = keras.backend.backend()
    for other, pattern in FORMATS.items():
        found = glob.glob(os.path.join(directory, pattern))
        if other != backend and found:
            raise ForeignCheckpoints(
                f"{directory} holds checkpoints written on the {other} backend "
                f"({os.path.basename(sorted(found)[-1])}); resume this run with --backend={other} "
                f"(KERAS_BACKEND={other}), or use another workdir. Its exported generator.keras "
                "loads on either backend.")


def make(gan, directory: str):
    """(checkpoint, manager) of the running backend's format for `gan` in `directory`."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        checkpoint = tf.train.Checkpoint(**gan.checkpoint_items())
        return checkpoint, tf.train.CheckpointManager(checkpoint, directory, max_to_keep=MAX_TO_KEEP)
    checkpoint = ArrayCheckpoint(gan.checkpoint_items())
    return checkpoint, ArrayCheckpointManager(checkpoint, directory)


def step_of(path: str) -> str:
    """The step in a checkpoint's path (ckpt-STEP, ckpt-STEP.npz)."""
    return os.path.basename(path).rsplit("-", 1)[1].split(".")[0]


def saved_checkpoints(manager) -> list[str]:
    """The manager's checkpoints, oldest first, plus any newer TensorFlow checkpoint on
    disk that its state file does not list: a kill between writing a checkpoint and the
    state file. (Such a checkpoint is restored but not tracked, so max_to_keep never
    deletes it.) Array checkpoints have no state file: the files are the list."""
    paths = {int(step_of(path)): path for path in manager.checkpoints}
    if isinstance(manager, ArrayCheckpointManager):
        return [paths[step] for step in sorted(paths)]
    newest = max(paths, default=-1)
    for index in glob.glob(os.path.join(manager.directory, "ckpt-*.index")):
        path = index[:-len(".index")]
        step = step_of(path)
        if step.isdigit() and int(step) > newest:
            paths[int(step)] = path
    return [paths[step] for step in sorted(paths)]


class NoReadableCheckpoint(ValueError):
    """Checkpoints exist but none reads back."""


def restore_latest_good(checkpoint, manager) -> str | None:
    """Restore the newest checkpoint that reads back; warn about any that do not."""
    errors = (ValueError, AssertionError, IndexError)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        errors += (tf.errors.OpError,)
    for path in reversed(saved_checkpoints(manager)):
        try:
            checkpoint.restore(path).assert_existing_objects_matched()
            return path
        except errors as error:
            print(f"warning: checkpoint {path} is unreadable ({type(error).__name__}); "
                  "falling back to the previous one.")
    if saved_checkpoints(manager):
        raise NoReadableCheckpoint(f"No checkpoint in {manager.directory} can be read; move it away "
                                   "to start over.")
    return None


class Checkpointer(GANCallback):
    """Saves a checkpoint manager every `every` steps and at the end, never with
    non-finite weights (it raises `TrainingDiverged` instead).

    `train_seconds` sums the training time of every run that reached a checkpoint,
    resumed runs included: checkpoints/train_seconds.json maps each checkpoint's step to
    the total at that save (a file beside the checkpoints, so that checkpoints written
    before it existed still restore). It is written before each checkpoint and replaced
    atomically, so a kill at any point leaves every checkpoint on disk with its time;
    an unreadable one only loses the earlier runs' time.
    """

    def __init__(self, manager, every: int):
        super().__init__()
        self.manager, self.every = manager, every
        self.clock_path = os.path.join(manager.directory, "train_seconds.json")
        try:
            with open(self.clock_path) as f:
                self.clock = {str(step): float(seconds) for step, seconds in json.load(f).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            self.clock = {}
        self.train_seconds, self.last = 0.0, time.time()

    def on_train_begin(self, logs=None):
        if not self.train_seconds:  # the total at the checkpoint this run resumed from
            self.train_seconds = self.clock.get(str(global_step(self.gan)), 0.0)
        self.last = time.time()

    def save(self, step: int):
        sync(self.gan)
        bad = non_finite_weights(self.gan)
        if bad:
            raise TrainingDiverged(f"Training diverged before step {step}: non-finite weights in "
                                   f"{', '.join(bad[:5])}. The last good checkpoint is kept.")
        now = time.time()
        self.train_seconds += now - self.last
        self.last = now
        # The clock first: a kill between the two writes then leaves an entry without its
        # checkpoint (harmless) rather than a checkpoint whose resume counts from 0.
        self.clock[str(step)] = round(self.train_seconds, 3)
        os.makedirs(self.manager.directory, exist_ok=True)
        with open(self.clock_path + ".tmp", "w") as f:
            json.dump(self.clock, f)
        os.replace(self.clock_path + ".tmp", self.clock_path)
        self.manager.save(checkpoint_number=step)

    def on_train_batch_end(self, batch, logs=None):
        step = global_step(self.gan)
        if step % self.every == 0:
            self.save(step)

    def on_train_end(self, logs=None):
        step = global_step(self.gan)
        latest = self.manager.latest_checkpoint
        if latest is None or step_of(latest) != str(step):
            self.save(step)
