"""Runs the tools' scripts in forks of one process that has already imported Keras and gan_zoo.

A tool started as `python tools/train.py ...` spends 4-7 s of a test's time importing its
backend, Keras and gan_zoo before its first line runs. This server imports them once, then
runs each script it is sent in a fork of itself: as its own process (its own exit code, its
own stdout and stderr, atexit handlers and exit as `python SCRIPT` has them), from the
script's first line on. `conftest.run_script` sends it only the commands whose import-time
settings (the environment, the backend) are the server's; everything else runs as a plain
subprocess.

Protocol, one JSON line each way on stdin / stdout: {"argv", "env", "cwd", "stdout",
"stderr"} (the last two: files for the script's output) -> {"pid"} when forked, then
{"returncode"} when it has exited.
"""

import importlib.util
import json
import os
import runpy
import sys

# What the tools import before their own code runs: imported once here, with no Keras op
# run (a fork of a process whose TensorFlow, XLA or torch thread pools had started would
# inherit their locks but not their threads).
import keras
from absl import app, flags  # noqa: F401
from ml_collections import config_flags  # noqa: F401

import gan_zoo.devices  # noqa: F401
import gan_zoo.evaluation  # noqa: F401
import gan_zoo.pictures  # noqa: F401
import gan_zoo.train  # noqa: F401
import zoo_configs  # noqa: F401

# A JAX or torch tool imports TensorFlow too where it is installed (about 2 s of CPU):
# keras.utils.set_random_seed seeds it, and tensorboard's event writer takes its file system.
if keras.backend.backend() != "tensorflow" and importlib.util.find_spec("tensorflow"):
    import tensorflow  # noqa: F401


def run_in_child(request):
    """In the forked child: become `python argv[1] argv[2:]` and run the script as __main__."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
    script = request["argv"][1]
    sys.argv = request["argv"][1:]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")  # SystemExit and errors end the process as Python does


def main():
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            run_in_child(request)
            return
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    main()
