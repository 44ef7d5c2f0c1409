"""The workdir contract around a run (WORKSPACE.md, "A run's workdir"): one run at a time
(`lock`), and the record of the config that trained it: config.json, and
config_history.json once a resume changed the config.
"""

import contextlib
import fcntl
import json
import os
import socket
import time

from gan_zoo.config import IDENTITY_KEYS, ConfigError, config_changes, describe_changes

HISTORY = "config_history.json"
LOCK = ".lock"
# Keys whose change on resume leaves the run's trajectory alone.
CADENCE_KEYS = ("train.checkpoint_every", "train.sample_every", "eval.every")


class WorkdirBusy(ConfigError):
    """Another run holds the workdir; the message names it."""


def prepare(workdir: str) -> None:
    """Create `workdir` and check that it can be written, or a ConfigError."""
    try:
        os.makedirs(workdir, exist_ok=True)
        probe = os.path.join(workdir, ".write_test")
        open(probe, "w").close()
        os.remove(probe)
    except OSError as error:
        raise ConfigError(f"Cannot write to workdir {workdir!r}: {error}.") from error


@contextlib.contextmanager
def lock(workdir: str, say=print):
    """Hold `workdir` for one run while the block runs: an exclusive `flock` on
    WORKDIR/.lock, which names the holder (pid, host, start time).

    A second run on the workdir gets `WorkdirBusy` naming the first, before it writes
    anything. The operating system releases the lock of a process that dies, even by
    SIGKILL; the next run finds that run's name still in the file, takes the lock over
    and `say`s so. flock holds across hosts on a local disk and on NFS (Linux maps it to
    NFS's own locks); a file system without locks refuses it with an error.
    """
    path = os.path.join(workdir, LOCK)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkdirBusy(f"{workdir} is in use by another run ({_holder(path)}): one run per workdir. "
                              "Wait for it to finish, stop it, or give another --workdir.") from None
        except OSError as error:  # a file system without locks (ENOLCK, EOPNOTSUPP)
            raise ConfigError(f"Cannot lock {path}: {error}. The workdir's file system does not take "
                              "locks; give a --workdir on a local disk.") from error
        handle.seek(0)
        left = handle.read().strip()
        if left:
            say(f"Taking over {path}, left by a run that ended without releasing it "
                f"({_describe(left)}).")
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()  # released: an empty file names no holder
            handle.flush()
    finally:
        handle.close()  # closing releases the flock


def _holder(path: str) -> str:
    try:
        with open(path) as f:
            return _describe(f.read().strip())
    except OSError:
        return "holder unknown"


def _describe(content: str) -> str:
    try:
        holder = json.loads(content)
        return f"pid {holder['pid']} on {holder['host']}, started {holder['started']}"
    except (ValueError, KeyError, TypeError):
        return f"holder unknown: {content[:80]!r}"


def check_against_run(config, workdir: str) -> dict[str, tuple]:
    """The keys `config` changes against the run the workdir holds ({} when it holds
    none), refused where they change the model or the data (IDENTITY_KEYS, an optimizer's
    type, loss scaling)."""
    path = os.path.join(workdir, "config.json")
    if not (os.path.exists(path) and os.path.isdir(os.path.join(workdir, "checkpoints"))):
        return {}
    changes = changes_against_the_run(config, workdir)
    refused = {key: values for key, values in changes.items()
               if key.split(".")[0] in IDENTITY_KEYS or key in ("g_optimizer.name", "d_optimizer.name")
               or key == "train.precision" and "mixed_float16" in values}  # loss scaling adds optimizer state
    if refused:
        raise ConfigError(f"{workdir} holds a run with a different {describe_changes(refused)} (see {path}); "
                          "it cannot be resumed with this config. Use another --workdir.")
    return changes


def record_config(config, workdir: str, step: int, changes: dict[str, tuple]) -> None:
    """Write config.json; a resume that changes keys first appends them, with the step
    they apply from, to config_history.json, so the run's record keeps what trained it."""
    if step and changes:
        history = read_history(workdir)
        history.append({"step": step, "changes": {key: list(values) for key, values in changes.items()}})
        with open(os.path.join(workdir, HISTORY), "w") as f:
            json.dump(history, f, indent=2)
    with open(os.path.join(workdir, "config.json"), "w") as f:
        json.dump(json.loads(config.to_json()), f, indent=2, sort_keys=True)


def _read_json(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read {path}: {error}. It is the record of the run in that "
                          "workdir: restore it, or use another workdir.") from error


def changes_against_the_run(config, workdir: str) -> dict[str, tuple]:
    """`config_changes` of `config` against the workdir's config.json."""
    previous = _read_json(os.path.join(workdir, "config.json"))
    if not isinstance(previous, dict):
        raise ConfigError(f"{os.path.join(workdir, 'config.json')} is not a config (a JSON object). "
                          "Restore it, or use another workdir.")
    return config_changes(previous, json.loads(config.to_json()))


def read_history(workdir: str) -> list[dict]:
    """config_history.json: the config changes made on resume ([] when none)."""
    path = os.path.join(workdir, HISTORY)
    if not os.path.exists(path):
        return []
    history = _read_json(path)
    if not isinstance(history, list) or not all(
            isinstance(entry, dict) and "step" in entry and isinstance(entry.get("changes"), dict)
            for entry in history):
        raise ConfigError(f"{path} is not a config history (a list of {{\"step\", \"changes\"}}). "
                          "Restore it, or use another workdir.")
    return history


def not_one_run_of(config, workdir: str) -> str | None:
    """Why the run in `workdir` cannot be reported as one run of `config`, or None (also
    when it holds no run): a key of its config.json differs, or a resume changed a key
    that alters training (not the cadence; the length only under a linear decay, which
    it stretches). For tools that read finished runs back as figures of a config."""
    if not os.path.exists(os.path.join(workdir, "config.json")):
        return None
    changes = changes_against_the_run(config, workdir)
    if changes:
        return f"{workdir} was trained with a different {describe_changes(changes)}"
    harmless = CADENCE_KEYS + (("train.epochs",) if config.train.lr_decay == "none" else ())
    for entry in read_history(workdir):
        altered = {key: values for key, values in entry["changes"].items() if key not in harmless}
        if altered:
            return (f"{workdir} changed config when resumed at step {entry['step']}: "
                    f"{describe_changes(altered, 'before', 'after')} (see {os.path.join(workdir, HISTORY)})")
    return None
