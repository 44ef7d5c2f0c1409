"""The generator check: a G trained on fixed (z, image) pairs, its error recorded; the tool's
refusals."""

import os
import sys

import keras
import numpy as np
import pytest

from conftest import REPO, run_script
from gan_zoo import networks
from measure import fit_pairs


def test_fit_pairs_records_a_falling_error_every_n_steps():
    generator, _ = networks.build_networks("dcgan", (8, 8, 1), 4, is_image=True, base_filters=4,
                                           kernel_size=3)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(8, 4)).astype("float32")
    images = rng.uniform(-1, 1, size=(8, 8, 8, 1)).astype("float32")
    untrained = float(np.mean((keras.ops.convert_to_numpy(generator(z)) - images) ** 2))
    curve = fit_pairs(generator, keras.optimizers.Adam(1e-2), z, images, steps=30, every=10)
    assert [point["step"] for point in curve] == [10, 20, 30]
    assert curve[-1]["mse"] < curve[0]["mse"] < untrained and curve[-1]["mse"] < 0.6 * untrained
    outputs = keras.ops.convert_to_numpy(generator(z, training=False))
    assert curve[-1]["output_spread"] == np.float32(outputs.std(axis=0).mean())


@pytest.mark.parametrize("flag,message", [
    ("--stylegan2_ada_pytorch={tmp}",
     "error: --stylegan2_ada_pytorch={tmp} is not a stylegan2-ada-pytorch checkout"),
    ("--configs=gan_stacked_mnist,gan_stackd_mnist", "error: No zoo config named 'gan_stackd_mnist'")])
def test_the_tool_refuses_bad_flags_before_anything_trains(tmp_path, flag, message):
    output = tmp_path / "fit.json"
    result = run_script([sys.executable, os.path.join(REPO, "benchmarks", "generator_fit.py"),
                         flag.format(tmp=tmp_path), f"--output={output}"])
    assert result.returncode == 2 and not output.exists() and "Traceback" not in result.stderr
    assert message.format(tmp=tmp_path) in result.stderr
