"""Installed, not only checked out: the wheel holds the library, the configs and the user's
tools (the console script gan-zoo) and none of the lab; installed into a fresh venv outside
the checkout, it trains a config found by name."""

import json
import os
import site
import subprocess
import sys
import zipfile

from conftest import REPO


def test_the_wheel_trains_a_zoo_config_by_name_through_the_console_script(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), REPO], check=True, capture_output=True, timeout=300)
    (wheel,) = wheels.iterdir()
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "gan-zoo = gan_zoo_tools.cli:main" in entry_points
    assert {"gan_zoo_tools/train.py", "gan_zoo_tools/sample.py", "gan_zoo_tools/evaluate.py",
            "zoo_configs/load.py", "gan_zoo/models/base.py"} <= set(names)
    assert any(n.startswith("gan_zoo/metrics/reference/") and n.endswith(".npz") for n in names)
    assert not [n for n in names if any(lab in n for lab in ("benchmark", "pytorch_peer", "measure",
                                                                "results", "tests/"))]

    # A fresh venv outside the checkout. Its dependencies come from this one's site-packages
    # as a plain path (its .pth files, among them this checkout's editable install, unread).
    venv = tmp_path / "venv"  # without a pip of its own: this one installs into it
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python, script = str(venv / "bin" / "python"), str(venv / "bin" / "gan-zoo")
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(purelib, "dependencies.pth"), "w") as f:
        f.write(site.getsitepackages()[0] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, timeout=300)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    # Found, not imported (importing gan_zoo takes TensorFlow's seconds).
    found = ("import importlib.util as u; "
             "print(*(u.find_spec(p).origin for p in ('gan_zoo', 'gan_zoo_tools')))")
    where = subprocess.run([python, "-c", found],
                           capture_output=True, text=True, cwd=tmp_path, env=env, check=True).stdout.split()
    assert len(where) == 2 and all(w.startswith(purelib) and not w.startswith(REPO) for w in where)

    usage = subprocess.run([script], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert usage.returncode == 2 and "usage: gan-zoo {train|sample|evaluate}" in usage.stderr
    workdir = tmp_path / "run"
    result = subprocess.run([script, "train", "--config=zoo:gan_ring8", f"--workdir={workdir}",
                             "--config.train.epochs=1", "--config.train.steps_per_epoch=2",
                             "--config.train.sample_every=2", "--config.train.checkpoint_every=2"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"tensorboard --logdir {workdir}/tb" in result.stdout
    with open(workdir / "metrics.json") as f:
        assert json.load(f)["step"] == 2
    sampled = subprocess.run([script, "sample", f"--workdir={workdir}"], capture_output=True, text=True,
                             cwd=tmp_path, env=env, timeout=600)
    assert sampled.returncode == 0, sampled.stderr[-3000:]
    assert (workdir / "samples" / "final" / "samples.png").exists()
