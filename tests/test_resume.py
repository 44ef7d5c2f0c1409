"""A killed run resumes where it stopped, and with determinism on, to the same bits."""

import glob
import json
import os
import re
import signal
import sys
import time
import types

import numpy as np
import pytest

from conftest import BACKEND, REPO, run_script, start_script
from gan_zoo import backends, checkpoints

# The tool runs on the backend of the test process; the clock file's handling is the same on
# every backend, so its test runs in the TensorFlow pass only.
every_backend = pytest.mark.backends("jax", "torch")

FAST = ["--config.train.batch_size=16", "--config.networks.base_filters=4",
        "--config.eval.num_samples=0"]


def tool_command(workdir, *args):
    return [sys.executable, os.path.join(REPO, "tools", "train.py"),
            f"--config={os.path.join(REPO, 'zoo_configs', 'gan_mnist_subset.py')}",
            f"--workdir={workdir}", *FAST, *args]


def run(workdir, *args):
    result = run_script(tool_command(workdir, *args))
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def checkpoint_steps(workdir) -> list[int]:
    suffix = backends.CHECKPOINT_PATTERNS[BACKEND][len("ckpt-*"):]
    names = glob.glob(os.path.join(workdir, "checkpoints", f"ckpt-*{suffix}"))
    return sorted(int(re.search(rf"ckpt-(\d+){re.escape(suffix)}", n).group(1)) for n in names)


@every_backend
def test_sigkill_loses_at_most_checkpoint_every_steps(tmp_path):
    workdir = str(tmp_path / "run")
    schedule = ["--config.train.epochs=1", "--config.train.steps_per_epoch=200",
                "--config.train.checkpoint_every=20", "--config.train.sample_every=100"]
    process = start_script(tool_command(workdir, *schedule))
    deadline = time.time() + 240
    while time.time() < deadline and not [s for s in checkpoint_steps(workdir) if s >= 60]:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    on_disk = checkpoint_steps(workdir)
    assert on_disk and max(on_disk) >= 60 and max(on_disk) < 200, on_disk
    # Rerunning the same command resumes from the newest checkpoint: at most
    # checkpoint_every steps of work were lost. A kill in the middle of a save leaves
    # that checkpoint torn: then the run says so and resumes from the one before.
    clock = inflate_clock(workdir)
    result = run(workdir, *schedule)
    resumed = int(re.search(r"Resuming from step (\d+) of 200", result.stdout).group(1))
    assert resumed == max(on_disk) or (resumed == on_disk[-2] and "unreadable" in result.stdout)
    assert os.path.exists(os.path.join(workdir, "generator.keras"))
    assert max(checkpoint_steps(workdir)) == 200
    # The killed run's checkpointed training time counts in the total.
    assert_carried_over(workdir, clock[str(resumed)])


def inflate_clock(workdir, extra: float = 1000.0) -> dict:
    """Add `extra` seconds to every step of the run's clock, as if the run so far had
    trained that much longer (a fast machine's few seconds would hide a lost carry-over
    in timing noise); returns the clock as it now is."""
    path = os.path.join(workdir, "checkpoints", "train_seconds.json")
    with open(path) as f:
        clock = json.load(f)
    assert clock and min(clock.values()) > 0
    clock = {step: seconds + extra for step, seconds in clock.items()}
    with open(path, "w") as f:
        json.dump(clock, f)
    return clock


def assert_carried_over(workdir, carried: float):
    """metrics.json's total is the time carried over plus no more than this run's wall time."""
    with open(os.path.join(workdir, "metrics.json")) as f:
        figures = json.load(f)
    assert carried < figures["train_seconds_total"] <= carried + figures["wall_seconds_this_run"]


def final_state(workdir) -> dict:
    """Every variable of the final checkpoint (weights, optimizer slots, noise state)."""
    directory = os.path.join(workdir, "checkpoints")
    if BACKEND != "tensorflow":
        checkpoint, manager = backends.current().make_checkpoint({}, directory, max_to_keep=3)
        return checkpoint.read(manager.latest_checkpoint)
    import tensorflow as tf

    path = tf.train.latest_checkpoint(directory)
    return {name: tf.train.load_variable(path, name) for name, _ in tf.train.list_variables(path)
            if not any(skip in name for skip in ("save_counter", "_CHECKPOINTABLE_OBJECT"))}


@every_backend
def test_deterministic_resume_is_bitwise_identical_to_an_uninterrupted_run(tmp_path):
    common = ["--config.deterministic=True", "--config.train.steps_per_epoch=5",
              "--config.train.checkpoint_every=5", "--config.train.sample_every=5",
              "--config.train.ema_decay=0.9"]  # the generator's average resumes too
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    run(straight, *common, "--config.train.epochs=2")
    run(resumed, *common, "--config.train.epochs=1")  # stops after step 5, as a kill would
    assert "Resuming from step 5 of 10" in run(resumed, *common, "--config.train.epochs=2").stdout
    a, b = final_state(straight), final_state(resumed)
    assert a.keys() == b.keys() and any("noise_seed" in k for k in a)
    assert any("generator_average" in k for k in a)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_training_time_sums_over_resumes_and_survives_a_torn_clock_file(tmp_path):
    workdir, common = str(tmp_path / "run"), ["--config.train.steps_per_epoch=5",
                                               "--config.train.checkpoint_every=5"]
    run(workdir, *common, "--config.train.epochs=1")
    clock = os.path.join(workdir, "checkpoints", "train_seconds.json")
    first = inflate_clock(workdir)["5"]
    run(workdir, *common, "--config.train.epochs=2")
    assert_carried_over(workdir, first)  # the first run's time was carried over
    # Torn mid-write: the run resumes and counts from 0 again.
    with open(clock, "w") as f:
        f.write('{"10": 1')
    result = run(workdir, *common, "--config.train.epochs=3")
    assert "Resuming from step 10 of 15" in result.stdout
    with open(clock) as f:  # counting restarted from 0: only this run's save is left
        assert set(json.load(f)) == {"15"}
    # Nor is a clock that holds something else read as one (the same reader, in process).
    for damaged in ('{"15": "x"}', "[1, 2]", '"text"'):
        with open(clock, "w") as f:
            f.write(damaged)
        manager = types.SimpleNamespace(directory=os.path.dirname(clock))
        assert checkpoints.Checkpointer(manager, 5).clock == {}
