"""The three steppers implement one algorithm: the same step on TensorFlow, JAX and torch.

`helpers/backend_step.py` trains one step of every variant (and of generator-pass
reuse, k > 1, WGAN's clipping, Improved GAN's historical averages) from the same
weights, noise and data under each backend, and the weights must agree within float32
round-off. Hinge runs with spectral normalization on D, as its configs do. The test runs
the other backends in subprocesses, so it runs in the TensorFlow pass only, whose own
process takes TensorFlow's step.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import BACKEND, REPO, XLA_FLAGS

sys.path.insert(0, os.path.join(REPO, "tests", "helpers"))
import backend_step  # noqa: E402
import keras_file  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")


def one_step(backend: str, out: str) -> dict:
    if backend == BACKEND:  # this process's own: no second import of it
        backend_step.main(out)
        return dict(np.load(out))
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": REPO,
           "XLA_FLAGS": XLA_FLAGS, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run([sys.executable, os.path.join(REPO, "tests", "helpers", "backend_step.py"), out],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(np.load(out))


@pytest.fixture(scope="session")  # computed once by the one worker of its group
def steps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("steps")
    return {backend: one_step(backend, str(folder / f"{backend}.npz")) for backend in BACKENDS}


@pytest.mark.xdist_group("steps")
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_one_step_gives_the_same_weights_as_on_tensorflow(steps, backend):
    tf_step, other = steps["tensorflow"], steps[backend]
    assert tf_step.keys() == other.keys()
    cases = {key.split("/")[0] for key in tf_step}
    assert len(cases) == 17
    for key in tf_step:
        np.testing.assert_allclose(other[key], tf_step[key], rtol=1e-4, atol=2e-6, err_msg=key)


@pytest.mark.xdist_group("steps")
def test_the_step_moved_every_network(steps):
    """Guards the comparison above against a step that did nothing on both."""
    for backend, step in steps.items():
        for case in {key.split("/")[0] for key in step}:
            g_and_d = [key for key in step if key.startswith(f"{case}/weight")]
            moved = [not np.array_equal(step[key], step[key.replace("/weight", "/start")]) for key in g_and_d]
            assert sum(moved) > len(moved) // 2, (backend, case)


def run_helper(backend: str, *args) -> dict:
    if backend == BACKEND:
        return keras_file.main(list(args))
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": REPO, "XLA_FLAGS": XLA_FLAGS}
    proc = subprocess.run([sys.executable, os.path.join(REPO, "tests", "helpers", "keras_file.py"), *args],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# Round the ring, each backend in one process that loads the previous backend's files and
# saves its own (TensorFlow's is the test's own process, at the start and at the end): a
# critic from every backend; labels, minibatch discrimination, BigGAN's and StyleGAN2's
# networks from some.
RING = (("tensorflow", "wgan_gp,semi_supervised,biggan"), ("jax", "wgan_gp,improved_gan,stylegan2"),
        ("torch", "wgan_gp,semi_supervised"))


def test_a_gan_saved_on_one_backend_loads_on_another_and_trains_on(tmp_path):
    """The .keras file carries G, D and both optimizers' state (Adam's moments, step
    counts); the other backend generates the same samples from it and keeps training."""
    def folder(backend):
        (tmp_path / backend).mkdir(exist_ok=True)
        return str(tmp_path / backend)

    run_helper(RING[0][0], "save", folder(RING[0][0]), RING[0][1])
    for (saved_on, saved), (loaded_on, to_save) in zip(RING, [*RING[1:], (RING[0][0], "")], strict=True):
        saves = ["save", folder(loaded_on), to_save] if to_save else []
        loaded = run_helper(loaded_on, "load", folder(saved_on), saved, *saves)
        assert sorted(loaded) == sorted(saved.split(","))
        for variant, figures in loaded.items():
            assert figures["backend"] == loaded_on
            assert figures["same_samples"], (saved_on, loaded_on, variant)
            assert figures["g_steps_loaded"] == 2 and figures["g_steps_after"] == 4, variant
            assert figures["d_moments_nonzero"], variant


def without_tensorflow(tool: str, *args):
    """tools/<tool> (or a lab tool, benchmarks/<tool>) in a process that cannot import TensorFlow."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": REPO}
    folder = "benchmarks" if tool == "benchmark.py" else "tools"
    return subprocess.run([sys.executable, os.path.join(REPO, "tests", "helpers", "without_tensorflow.py"),
                           os.path.join(REPO, folder, tool), *args],
                          env=env, capture_output=True, text=True, timeout=600)


def test_the_tools_run_on_jax_without_tensorflow(tmp_path):
    """A JAX user needs no TensorFlow: numpy batches, the tensorboard package's writer,
    array checkpoints. A tfds name says to install TensorFlow."""
    workdir = str(tmp_path / "run")
    schedule = ["--config.train.epochs=1", "--config.train.steps_per_epoch=40", "--config.eval.every=20",
                "--config.train.sample_every=20", "--config.train.checkpoint_every=20"]
    result = without_tensorflow("train.py", f"--config={REPO}/zoo_configs/gan_ring8.py",
                                f"--workdir={workdir}", *schedule)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(os.path.join(workdir, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["machine"]["backend"] == "jax" and "tensorflow" not in metrics["machine"]
    assert metrics["step"] == 40 and metrics["modes"]["num_modes"] == 8
    assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == [
        "ckpt-20.npz", "ckpt-40.npz", "train_seconds.json"]
    assert sorted(os.listdir(os.path.join(workdir, "samples"))) == [
        "samples.gif", *(f"step_{step:07d}.png" for step in (0, 4, 8, 12, 16, 20, 40))]
    from tensorboard.backend.event_processing import event_accumulator

    losses = event_accumulator.EventAccumulator(os.path.join(workdir, "tb", "discriminator"),
                                                size_guidance={event_accumulator.TENSORS: 0})
    losses.Reload()
    assert [e.step for e in losses.Tensors("loss")] == list(range(1, 41))
    events = event_accumulator.EventAccumulator(os.path.join(workdir, "tb"),
                                                size_guidance={event_accumulator.TENSORS: 0})
    events.Reload()
    assert [e.step for e in events.Tensors("samples")] == [0, 4, 8, 12, 16, 20, 40]
    assert [e.step for e in events.Tensors("eval/modes/modes")] == [20, 40, 40]

    for tool, args in (("evaluate.py", [f"--workdir={workdir}"]), ("sample.py", [f"--workdir={workdir}"]),
                       ("benchmark.py", [f"--config={REPO}/zoo_configs/gan_ring8.py", "--repeats=1",
                                         "--seconds=0.1", "--warmup_steps=1"])):
        result = without_tensorflow(tool, *args)
        assert result.returncode == 0, (tool, result.stderr[-3000:])
    assert os.path.exists(os.path.join(workdir, "samples", "final", "samples.png"))

    tfds = without_tensorflow("train.py", f"--workdir={tmp_path / 'tfds'}", "--config.dataset=mnist")
    assert tfds.returncode == 2 and "needs TensorFlow" in tfds.stderr and "Traceback" not in tfds.stderr


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_a_penalty_differentiates_exactly_through_normalization_on_tensorflow(norm):
    """R1's gradient wrt the weights below a batch or layer norm against fourth-order
    central differences of the penalty, in float64. TensorFlow's `tf.nn.moments` takes
    the variance around stop_gradient(mean), which got these 0.4-3% wrong and gave the
    bias before a batch norm, which the norm cancels, a gradient (JAX is checked against
    this backend by the step comparison's `gan_dcgan_r1`). The penalty's pass leaves the
    batch norm's moving statistics alone, as on JAX."""
    import keras
    import tensorflow as tf

    from gan_zoo import backends, losses

    layer = {"batch": keras.layers.BatchNormalization, "layer": keras.layers.LayerNormalization}[norm]
    below, normalization = keras.layers.Conv2D(3, 3, dtype="float64"), layer(dtype="float64")
    d = keras.Sequential([keras.Input((4, 4, 1), dtype="float64"), below, normalization,
                          keras.layers.Activation("tanh", dtype="float64"),
                          keras.layers.Flatten(dtype="float64"), keras.layers.Dense(1, dtype="float64")])
    x = tf.constant(np.random.default_rng(0).normal(size=(5, 4, 4, 1)))

    def penalty():
        return keras.ops.mean(losses.zero_centred_gradient_penalty(
            backends.current().input_gradient, lambda z, training: d(z, training=training), x))

    with tf.GradientTape() as tape:
        value = penalty()
    kernel_gradient, bias_gradient = (g.numpy() for g in tape.gradient(value, [below.kernel, below.bias]))
    start, h, by_differences = below.kernel.numpy(), 1e-3, np.zeros(below.kernel.shape)
    for index in np.ndindex(*start.shape):
        for offset, coefficient in ((2, -1), (1, 8), (-1, -8), (-2, 1)):
            moved = start.copy()
            moved[index] += offset * h
            below.kernel.assign(moved)
            by_differences[index] += coefficient * float(penalty()) / (12 * h)
    below.kernel.assign(start)
    scale = np.max(np.abs(by_differences))
    np.testing.assert_allclose(kernel_gradient, by_differences, atol=1e-6 * scale)
    if norm == "batch":
        assert np.max(np.abs(bias_gradient)) < 1e-9 * scale
        # 109 training-mode passes of the penalty, and the moving statistics are where they began
        np.testing.assert_array_equal(normalization.moving_mean.numpy(), 0.0)
        np.testing.assert_array_equal(normalization.moving_variance.numpy(), 1.0)


def test_penalties_refuse_a_keras_whose_moments_moved(monkeypatch):
    """The exact penalties replace Keras's TensorFlow `_compute_moments`; a Keras without it
    gets a message, not silently wrong second derivatives."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import nn as keras_tf_nn

    from gan_zoo import backends
    from gan_zoo.backends import tensorflow as tensorflow_stepper

    monkeypatch.setattr(tensorflow_stepper, "_installed", False)  # as in a process yet to install it
    monkeypatch.delattr(keras_tf_nn, "_compute_moments")
    with pytest.raises(RuntimeError, match=r"install the Keras range setup.py names, or train penalties on"):
        backends.current().input_gradient(lambda x: x * x, tf.ones(2))


def test_keras_moments_are_left_alone_until_a_penalty_needs_them():
    """A run without penalties never touches Keras: the exact moments are installed by the
    first penalty's pass (in a fresh process), and installing them twice keeps Keras's own
    function as the one they call."""
    code = ("import tensorflow as tf\nfrom keras.src.backend.tensorflow import nn\n"
            "from gan_zoo import backends\nfrom gan_zoo.backends import tensorflow as t\n"
            "own = nn._compute_moments\nbackends.current()\nassert nn._compute_moments is own\n"
            "backends.current().input_gradient(lambda x: x * x, tf.ones(2))\n"
            "assert nn._compute_moments is t._moments and t._keras_moments is own\n"
            "t._installed = False\nt._install_full_moments()\nassert t._keras_moments is own\nprint('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.stdout.strip() == "ok", result.stderr[-2000:]


def _crossings(node) -> bool:
    """Whether an AST node reaches through the backend wall: `keras.backend.backend()`, an
    import of `keras.src`, or a private attribute of another object."""
    import ast

    if isinstance(node, ast.Attribute):
        if node.attr == "backend" and ast.unparse(node.value) in ("keras.backend", "backend"):
            return True
        own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
        return node.attr.startswith("_") and not node.attr.startswith("__") and not own
    if isinstance(node, ast.Call) and ast.unparse(node.func) in ("getattr", "hasattr", "setattr"):
        name = str(getattr(node.args[1], "value", "")) if len(node.args) > 1 else ""
        return name.startswith("_") and not name.startswith("__")
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").startswith("keras.src")
    return isinstance(node, ast.Import) and any(a.name.startswith("keras.src") for a in node.names)


def test_the_backend_wall_holds():
    """Everything that differs by backend is in gan_zoo/backends/: outside it no branch on
    `keras.backend.backend()`, no `keras.src` import and no private attribute read off
    another object (`obj._name`, `getattr(obj, "_name")`); `self._name` is the object's own."""
    import ast

    problems = []
    for folder, _, files in os.walk(os.path.join(REPO, "gan_zoo")):
        if os.path.relpath(folder, REPO).split(os.sep)[:2] == ["gan_zoo", "backends"]:
            continue
        for path in (os.path.join(folder, name) for name in files if name.endswith(".py")):
            with open(path) as f:
                tree = ast.parse(f.read(), path)
            problems += [f"{os.path.relpath(path, REPO)}:{node.lineno} {ast.unparse(node)}"
                         for node in ast.walk(tree) if _crossings(node)]
    assert not problems, "outside gan_zoo/backends/:\n" + "\n".join(problems)


def test_every_backend_gives_what_the_protocol_declares():
    from gan_zoo import backends
    from gan_zoo.backends import jax as jax_backend
    from gan_zoo.backends import tensorflow as tensorflow_backend
    from gan_zoo.backends import torch as torch_backend

    declared = [name for name in vars(backends.Backend) if not name.startswith("_")] + list(
        backends.Backend.__annotations__)
    modules = {"tensorflow": tensorflow_backend, "jax": jax_backend, "torch": torch_backend}
    for name, module in modules.items():
        assert isinstance(module.BACKEND, backends.Backend) and module.BACKEND.name == name
        assert not [name for name in declared if not hasattr(module.BACKEND, name)], module.__name__
        assert module.BACKEND.checkpoint_pattern == backends.CHECKPOINT_PATTERNS[name]
    assert backends.current() is modules[backends.current().name].BACKEND


@pytest.mark.backends("jax", "torch")
def test_jit_compile_is_refused_where_the_compiled_step_cannot_differentiate_twice():
    """torch.compile's AOTAutograd has no double backward: on torch, train.jit_compile with
    a penalty of an input gradient fails at build with what to change, not inside the first
    step; without one it compiles, and TensorFlow and JAX compile either."""
    from gan_zoo import backends, build, data, train
    from gan_zoo.config import ConfigError

    info = data.DataInfo("ring8", (2,), False, None, None)
    config = train.load_zoo_config("gan_ring8")
    config.train.jit_compile = True
    assert build.build_gan(config, info).jit_compile
    config.penalties.r1 = 1.0
    config.generator_penalties.orthogonal = 1e-4  # no input gradient: not named
    wgan_gp = train.load_zoo_config("wgan_gp_ring8")  # its own penalty, from model.gp_weight
    wgan_gp.train.jit_compile = True
    if backends.current().name == "torch":
        with pytest.raises(ConfigError, match=r"torch.compile, whose AOTAutograd has no double backward, "
                                              r"which r1 need .* set train.jit_compile=False"):
            build.build_gan(config, info)
        with pytest.raises(ConfigError, match="which gradient_penalty need"):
            build.build_gan(wgan_gp, info)
    else:
        assert build.build_gan(config, info).jit_compile and build.build_gan(wgan_gp, info).jit_compile


def test_a_torch_checkpoint_holding_pickled_code_is_refused_not_run(tmp_path):
    """torch checkpoints are read with weights_only: a file whose pickle would call a
    function is refused as unreadable, and the function never runs."""
    import pickle

    import torch

    from gan_zoo.backends import torch as torch_backend

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    path = str(tmp_path / "ckpt-1.pt")
    torch.save({"w": Payload()}, path, pickle_protocol=pickle.HIGHEST_PROTOCOL)
    checkpoint, _ = torch_backend.BACKEND.make_checkpoint({}, str(tmp_path), max_to_keep=1)
    with pytest.raises(ValueError, match="ckpt-1.pt is unreadable.*weights_only"):
        checkpoint.read(path)
    assert not (tmp_path / "ran").exists()
