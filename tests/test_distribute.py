"""Distribution: MirroredStrategy (TensorFlow) and DataParallel (JAX) on 2 CPU devices equal one."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, XLA_FLAGS
from test_train_tool import TINY, run_tool

# hinge+spectral_norm: every replica takes the same power-iteration step on u.
VARIANTS = ["gan", "wgan_gp", "ebgan", "improved_gan", "gan+lazy_r1", "hinge+spectral_norm",
            "gan+linear_decay"]
# WGAN's reference schedule (a loop of 100 critic updates) runs on JAX's DataParallel only.
DATA_PARALLEL_VARIANTS = [*VARIANTS, "wgan+reference_schedule", "gan+biggan", "gan+stylegan2"]
# Layer norm's full second derivatives in every replica's penalty pass (TensorFlow only).
MIRRORED_VARIANTS = [*VARIANTS, "wgan_gp+layer_norm_critic"]
# Across two processes, the two whose step couples the batch most (the critic's penalty,
# minibatch discrimination and feature matching); all four run across two devices above.
PROCESS_VARIANTS = ["wgan_gp", "improved_gan"]


def one_step_each(helper: str, env: dict, variants: list) -> dict:
    """{variant: figures} from one subprocess running `helper` on `variants`."""
    result = subprocess.run([sys.executable, os.path.join(REPO, "tests", "helpers", helper), *variants],
                            capture_output=True, text=True, timeout=600, env={**os.environ, **env})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# Session scope: a worker that interleaves other modules' tests computes them once.
@pytest.fixture(scope="session")
def mirrored_steps():
    return one_step_each("mirrored_step.py", {"TF_CPP_MIN_LOG_LEVEL": "2"}, MIRRORED_VARIANTS)


@pytest.fixture(scope="session")
def data_parallel_steps():
    two_devices = f"--xla_force_host_platform_device_count=2 {XLA_FLAGS}"
    return one_step_each("data_parallel_step.py", {
        "KERAS_BACKEND": "jax", "PYTHONPATH": REPO, "XLA_FLAGS": two_devices}, DATA_PARALLEL_VARIANTS)


@pytest.mark.xdist_group("mirrored_steps")  # one worker computes the fixture
@pytest.mark.parametrize("variant", MIRRORED_VARIANTS)
def test_one_mirrored_step_equals_one_device(mirrored_steps, variant):
    """EBGAN's pulling-away term and Improved GAN's feature matching couple the batch:
    they gather it across replicas, so they too match one device. WGAN-GP's layer-norm
    critic: each replica's penalty pass, traced in a thread of its own, takes the norm's
    full second derivatives, as one device does."""
    result = mirrored_steps[variant]
    # Same global batch, same per-example noise: the summed replica gradients must equal
    # the single-device gradient, so the weights and the logged losses agree.
    assert result["max_weight_diff"] < 1e-5
    for key, value in result["single_logs"].items():
        assert result["mirrored_logs"][key] == pytest.approx(value, rel=1e-5, abs=1e-6)
    assert result["noise_differs"]  # the replica id is folded into the noise seed


@pytest.mark.xdist_group("data_parallel_steps")
@pytest.mark.parametrize("variant", DATA_PARALLEL_VARIANTS)
def test_one_data_parallel_step_on_jax_equals_one_device(data_parallel_steps, variant):
    """keras.distribution.DataParallel over 2 JAX CPU devices: one SPMD program over the
    global batch, so batch-coupled terms (PT, feature matching) see it whole, as on one
    device, with no gathering."""
    result = data_parallel_steps[variant]
    assert result["devices"] == 2  # the weights really were placed on both devices
    # StyleGAN2's demodulation (rsqrt of sums over a split batch's reductions) and its
    # path length's second derivatives carry the reduction order further: 1.9e-5 measured.
    assert result["max_weight_diff"] < (1e-4 if variant == "gan+stylegan2" else 1e-6)
    if variant == "wgan+reference_schedule":  # the first generator step's burst of critic updates
        assert result["d_updates"] == 100
    for key, value in result["single_logs"].items():
        assert result["parallel_logs"][key] == pytest.approx(value, rel=1e-5, abs=1e-6)


def test_train_tool_runs_mirrored_on_logical_cpus(tmp_path):
    workdir = str(tmp_path / "run")
    result = run_tool(f"--workdir={workdir}", "--strategy=mirrored", "--cpu_devices=2", *TINY,
                      "--config.eval.num_samples=0")  # streaming metrics under mirrored: below
    assert result.returncode == 0, result.stderr[-2000:]
    with open(os.path.join(workdir, "metrics.json")) as f:
        assert json.load(f)["step"] == 6


def test_wgan_reference_schedule_is_refused_across_tensorflow_replicas(tmp_path):
    """Its while loop of critic updates would fail inside tf.distribute with merge_call
    deep in a traceback; the tool says why and what to use instead."""
    result = run_tool(f"--workdir={tmp_path / 'run'}", "--strategy=mirrored", "--cpu_devices=2", *TINY,
                      "--config.model.reference_schedule=True", config="wgan_mnist_subset.py")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "reference_schedule" in result.stderr and "train it on one device, or on JAX" in result.stderr
    assert not os.path.exists(tmp_path / "run" / "checkpoints")


def _free_ports(n: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_multi_worker_processes_train_to_identical_weights(tmp_path):
    """MultiWorkerMirroredStrategy: two workers on 127.0.0.1 through tools/train.py."""
    import keras
    import numpy as np

    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    workers = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        command = [sys.executable, os.path.join(REPO, "tools", "train.py"),
                   f"--config={os.path.join(REPO, 'zoo_configs', 'gan_mnist_subset.py')}",
                   f"--workdir={tmp_path / f'worker{index}'}", "--strategy=multi_worker", *TINY[:-1],
                   "--config.eval.num_samples=0"]
        workers.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env={**os.environ, "TF_CONFIG": tf_config,
                                             "TF_CPP_MIN_LOG_LEVEL": "2"}))
    for worker in workers:
        _, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr[-3000:]
    weights = [keras.saving.load_model(tmp_path / f"worker{i}" / "generator.keras").get_weights()
               for i in range(2)]
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)
    with open(tmp_path / "worker0" / "metrics.json") as f:
        figures = json.load(f)
    assert figures["step"] == 6 and np.isfinite(figures["train"]["d_loss"])


def test_two_jax_processes_train_one_step_as_one_device():
    """jax.distributed on 127.0.0.1: two processes, one CPU device each, under DataParallel
    (each feeding half of every global minibatch) take the same step as one device."""
    port = _free_ports(1)[0]
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "2"}
    helper = [sys.executable, os.path.join(REPO, "tests", "helpers", "jax_processes_step.py"),
              ",".join(PROCESS_VARIANTS)]
    processes = [subprocess.Popen([*helper, str(port), str(index)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env) for index in range(2)]
    single = subprocess.run([*helper, "single"], capture_output=True, text=True, timeout=300, env=env)
    assert single.returncode == 0, single.stderr[-3000:]
    runs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-3000:]
        runs.append(json.loads(stdout.strip().splitlines()[-1]))
    one = json.loads(single.stdout.strip().splitlines()[-1])
    for variant in PROCESS_VARIANTS:
        first, second = (np.array(run[variant]["weights"]) for run in runs)
        np.testing.assert_array_equal(first, second)
        np.testing.assert_allclose(first, one[variant]["weights"], atol=1e-6, err_msg=variant)
        assert runs[0][variant]["g_steps"] == one[variant]["g_steps"] == 1
        assert runs[0][variant]["logs"]["d_loss"] == pytest.approx(one[variant]["logs"]["d_loss"], rel=1e-5)


def test_the_train_tool_on_two_jax_processes_trains_as_one_process(tmp_path):
    """`tools/train.py --backend=jax --strategy=multi_worker`, two processes on 127.0.0.1
    joined through JAX_COORDINATOR_ADDRESS / JAX_NUM_PROCESSES / JAX_PROCESS_ID, each
    feeding its half of every global batch: the same generator as one process."""
    import keras

    port = _free_ports(1)[0]
    tool = [sys.executable, os.path.join(REPO, "tools", "train.py"), "--backend=jax",
            f"--config={os.path.join(REPO, 'zoo_configs', 'gan_ring8.py')}", "--config.train.epochs=1",
            "--config.train.steps_per_epoch=6", "--config.train.checkpoint_every=3",
            "--config.train.sample_every=3", "--config.eval.every=0", "--config.train.batch_size=32"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    cluster = [{"JAX_COORDINATOR_ADDRESS": f"127.0.0.1:{port}", "JAX_NUM_PROCESSES": "2",
                "JAX_PROCESS_ID": str(index)} for index in range(2)]
    processes = [subprocess.Popen([*tool, f"--workdir={tmp_path / f'process{i}'}", "--strategy=multi_worker"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env={**env, **cluster[i]}) for i in range(2)]
    single = subprocess.run([*tool, f"--workdir={tmp_path / 'single'}"], capture_output=True, text=True,
                            timeout=300, env=env)
    assert single.returncode == 0, single.stderr[-3000:]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-3000:]
    weights = {name: keras.saving.load_model(tmp_path / name / "generator.keras").get_weights()
               for name in ("process0", "process1", "single")}
    for a, b, c in zip(*weights.values(), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, atol=1e-6)
    with open(tmp_path / "process0" / "metrics.json") as f:
        assert json.load(f)["step"] == 6


def test_streaming_metrics_under_mirrored_equal_one_device_and_the_functions():
    result = subprocess.run([sys.executable, os.path.join(REPO, "tests", "helpers", "mirrored_metrics.py")],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["replicas"] == 2
    for name, expected in figures["functions"].items():
        for run in ("single", "mirrored"):
            got = figures[run][name]
            if isinstance(expected, dict):
                for key in expected:
                    assert got[key] == pytest.approx(expected[key], rel=1e-9), (run, name, key)
            else:
                assert got == pytest.approx(expected, rel=1e-9), (run, name)
    assert figures["functions"]["fid"] > 0.5 and figures["functions"]["modes"]["modes"] == 1
