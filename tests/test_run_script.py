"""conftest.run_script: a script run in a fork of the preloaded process behaves as `python SCRIPT`."""

import os
import subprocess
import sys

import pytest

from conftest import REPO, preloaded_python

SCRIPT = """import atexit, os, sys
atexit.register(print, "atexit ran")
print(os.getcwd(), sys.argv, sys.path[0] == os.path.dirname(os.path.abspath(__file__)), __name__)
print("parent", os.getppid(), file=sys.stderr)
if sys.argv[1] == "raise":
    raise ValueError("raised")
if sys.argv[1] == "sleep":
    import time
    time.sleep(60)
sys.exit(int(sys.argv[1]))
"""


@pytest.fixture
def preloaded():
    return preloaded_python()  # the server that run_script uses


@pytest.mark.backends("jax", "torch")
def test_a_preloaded_script_exits_prints_and_cleans_up_as_a_process(tmp_path, preloaded):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    for argument in ("0", "3", "raise"):
        command = [sys.executable, str(script), argument]
        plain = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
        forked = preloaded.run(command, dict(os.environ), str(tmp_path), timeout=60)
        assert forked.returncode == plain.returncode == {"0": 0, "3": 3, "raise": 1}[argument]
        assert forked.stdout == plain.stdout and forked.stdout.endswith("atexit ran\n")
        assert forked.stderr.splitlines()[0] == f"parent {preloaded.server.pid}"  # a fork of the server
        if argument == "raise":
            assert forked.stderr.splitlines()[-1] == plain.stderr.splitlines()[-1] == "ValueError: raised"
    with pytest.raises(subprocess.TimeoutExpired):
        preloaded.run([sys.executable, str(script), "sleep"], dict(os.environ), str(tmp_path), timeout=2)
    again = preloaded.run([sys.executable, str(script), "3"], dict(os.environ), str(tmp_path), timeout=60)
    assert again.returncode == 3  # the server goes on after a run it killed


@pytest.mark.backends("jax", "torch")
def test_a_preloaded_tool_gives_the_tools_own_answer(tmp_path, preloaded):
    command = [sys.executable, os.path.join(REPO, "tools", "train.py"), "--config=zoo:gan_rng8",
               f"--workdir={tmp_path / 'run'}"]
    plain = subprocess.run(command, capture_output=True, text=True, timeout=300)
    forked = preloaded.run(command, dict(os.environ), REPO, timeout=300)
    assert forked.returncode == plain.returncode == 2
    assert forked.stderr.splitlines()[-1] == plain.stderr.splitlines()[-1] == (
        "error: No zoo config named 'gan_rng8'; did you mean gan_ring8, wgan_ring8, lsgan_ring8?")
