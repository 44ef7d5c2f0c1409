"""tf.distribute: MirroredStrategy on 2 logical CPU devices equals one device."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO
from test_train_tool import TINY, run_tool


def mirrored_step(variant: str) -> dict:
    result = subprocess.run([sys.executable, os.path.join(REPO, "tests", "helpers", "mirrored_step.py"),
                             variant], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("variant", ["gan", "wgan_gp"])
def test_one_mirrored_step_equals_one_device(variant):
    result = mirrored_step(variant)
    # Same global batch, same per-example noise: the summed replica gradients must equal
    # the single-device gradient, so the weights and the logged losses agree.
    assert result["max_weight_diff"] < 1e-5
    for key, value in result["single_logs"].items():
        assert result["mirrored_logs"][key] == pytest.approx(value, rel=1e-5, abs=1e-6)
    assert result["noise_differs"]  # the replica id is folded into the noise seed


def test_train_tool_runs_mirrored_on_logical_cpus(tmp_path):
    workdir = str(tmp_path / "run")
    result = run_tool(f"--workdir={workdir}", "--strategy=mirrored", "--cpu_devices=2", *TINY)
    assert result.returncode == 0, result.stderr[-2000:]
    with open(os.path.join(workdir, "metrics.json")) as f:
        assert json.load(f)["step"] == 6
