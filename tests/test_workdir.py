"""One run per workdir: the lock a run holds, refused to a second run, taken over from a
killed one."""

import os
import signal
import socket
import subprocess
import sys

import pytest

from gan_zoo import train
from gan_zoo import workdir as workdirs
from test_train_tool import TINY, run_tool, tiny_config


def test_a_second_run_on_a_workdir_in_use_is_refused_naming_the_first(tmp_path):
    workdir = str(tmp_path / "run")
    os.makedirs(workdir)
    with workdirs.lock(workdir):  # this process is the first run
        result = run_tool(f"--workdir={workdir}", *TINY)
        with pytest.raises(workdirs.WorkdirBusy, match=f"pid {os.getpid()} on {socket.gethostname()}"):
            train.train_and_evaluate(tiny_config(), workdir, verbose=0)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"is in use by another run (pid {os.getpid()} on {socket.gethostname()}, started " in result.stderr
    assert "one run per workdir" in result.stderr
    assert os.listdir(workdir) == [workdirs.LOCK]  # nothing written
    with open(os.path.join(workdir, workdirs.LOCK)) as f:
        assert f.read() == ""  # released


def test_the_lock_of_a_killed_run_is_taken_over_with_a_line_saying_so(tmp_path, capsys):
    workdir = str(tmp_path / "run")
    os.makedirs(workdir)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom gan_zoo import workdir\n"
         f"with workdir.lock({workdir!r}):\n    print('held', flush=True)\n    time.sleep(120)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(workdirs.WorkdirBusy, match=f"pid {holder.pid} "):
            train.train_and_evaluate(tiny_config(), workdir, verbose=0)
    finally:
        holder.send_signal(signal.SIGKILL)  # no chance to release it
        holder.wait()
    config = tiny_config()
    config.train.update(epochs=1, steps_per_epoch=2)
    assert train.train_and_evaluate(config, workdir, verbose=1)["step"] == 2
    out = capsys.readouterr().out
    assert (f"Taking over {os.path.join(workdir, workdirs.LOCK)}, left by a run that ended without "
            f"releasing it (pid {holder.pid} on {socket.gethostname()}, started ") in out
    with open(os.path.join(workdir, workdirs.LOCK)) as f:
        assert f.read() == ""


def test_a_file_system_without_locks_is_a_clear_error(tmp_path, monkeypatch):
    import errno
    import fcntl

    def no_locks(handle, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with pytest.raises(train.ConfigError, match="does not take locks; give a --workdir on a local disk"):
        train.train_and_evaluate(tiny_config(), str(tmp_path / "run"), verbose=0)
