"""Checkpoints: writing one every N steps, finding the newest good one, restoring it.

The format is the backend's (`Backend.make_checkpoint`): `tf.train.Checkpoint` +
`CheckpointManager` on TensorFlow, which restore into the variables of any
`tf.distribute` strategy; arrays in `ckpt-STEP.npz` on JAX and `ckpt-STEP.pt` on torch
(`backends.array_checkpoints`). All behind one interface (`make`).

`restore_latest_good` restores the newest checkpoint that reads back and warns about
newer ones that do not; `Checkpointer` writes them during `fit`, never with non-finite
weights, with the training clock beside them.
"""

import glob
import json
import os
import time

from gan_zoo import backends
from gan_zoo.backends.array_checkpoints import ArrayCheckpointManager
from gan_zoo.callbacks import GANCallback, TrainingDiverged, global_step, non_finite_weights, sync

MAX_TO_KEEP = 3


class ForeignCheckpoints(ValueError):
    """The checkpoints in a directory were written on another backend."""


def check_backend(directory: str) -> None:
    """Refuse a checkpoint directory whose checkpoints another backend wrote: this
    backend would not see them and would start over beside them."""
    backend = backends.current().name
    for other, pattern in backends.CHECKPOINT_PATTERNS.items():
        found = glob.glob(os.path.join(directory, pattern))
        if other != backend and found:
            raise ForeignCheckpoints(
                f"{directory} holds checkpoints written on the {other} backend "
                f"({os.path.basename(sorted(found)[-1])}); resume this run with --backend={other} "
                f"(KERAS_BACKEND={other}), or use another workdir. Its exported generator.keras "
                "loads on either backend.")


def make(gan, directory: str):
    """(checkpoint, manager) of the running backend's format for `gan` in `directory`."""
    return backends.current().make_checkpoint(gan.checkpoint_items(), directory, MAX_TO_KEEP)


def step_of(path: str) -> str:
    """The step in a checkpoint's path (ckpt-STEP, ckpt-STEP.npz)."""
    return os.path.basename(path).rsplit("-", 1)[1].split(".")[0]


def saved_checkpoints(manager) -> list[str]:
    """The manager's checkpoints, oldest first, plus any newer TensorFlow checkpoint on
    disk that its state file does not list: a kill between writing a checkpoint and the
    state file. (Such a checkpoint is restored but not tracked, so max_to_keep never
    deletes it.) Array checkpoints have no state file: the files are the list."""
    paths = {int(step_of(path)): path for path in manager.checkpoints}
    if isinstance(manager, ArrayCheckpointManager):  # no state file: the files are the list
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
    errors = backends.current().unreadable_checkpoint_errors()
    for path in reversed(saved_checkpoints(manager)):
        try:
            checkpoint.restore(path).assert_existing_objects_matched()
            return path
        except errors as error:
            print(f"warning: checkpoint {path} is unreadable ({type(error).__name__}: {error}); "
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
