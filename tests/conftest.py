"""Shared fixtures: small networks, quiet deterministic backends, the backend marker."""

import os
import shutil
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# JAX compiles each train step with XLA, which takes seconds on CPU: a persistent cache for
# the session (inherited by the tools the tests run) compiles a resumed run's step once.
JAX_CACHE = tempfile.mkdtemp(prefix="gan_zoo_xla_cache_")
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", JAX_CACHE)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
# The JAX processes that the TensorFlow and torch passes spawn (one step of every variant on
# every backend, data parallelism, the .keras ring, the tools without TensorFlow) compile
# tiny steps once each: LLVM's optimization of XLA's CPU code costs more than it saves there
# (about a third of their time). XLA's graph passes are the same at every level. The JAX
# pass keeps the default, so that its trained toy GANs run the code a user's run compiles.
XLA_FLAGS = "--xla_backend_optimization_level=0"
if os.environ.get("KERAS_BACKEND", "tensorflow") != "jax":
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {XLA_FLAGS}".strip()

# Two xdist workers on two cores: torch's OpenMP threads, one per core in each worker, spin
# against each other and slow the eager steps of both many times over.
if os.environ.get("KERAS_BACKEND") == "torch" and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import keras  # noqa: E402
import pytest  # noqa: E402

from gan_zoo import networks  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKEND = keras.backend.backend()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "backends(*names): the backends besides TensorFlow whose passes run this test too "
        "(the marking nearest the test wins). Unmarked tests are about tf.data, tf.distribute or "
        "TensorFlow checkpoints, or spawn every backend themselves: the TensorFlow pass runs them.")


def pytest_unconfigure(config):
    shutil.rmtree(JAX_CACHE, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """KERAS_BACKEND=jax or torch runs only the tests marked for it (`backends`)."""
    if BACKEND == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"not marked for the {BACKEND} pass")
    for item in items:
        marker = item.get_closest_marker("backends")
        if marker is None or BACKEND not in marker.args:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="session", autouse=True)
def _test_cache():
    """The evaluation classifier is trained once per checkout, in a cache of the tests' own
    (not the user's ~/.cache): the JAX pass loads what the TensorFlow pass trained. Its
    file name carries the classifier's recipe version."""
    os.environ["GAN_ZOO_CACHE"] = os.path.join(REPO, ".pytest_cache", "gan_zoo")


def numpy(tensor):
    """A tensor as numpy on every backend (a torch output carries its graph)."""
    return keras.ops.convert_to_numpy(tensor)


def toy_networks(dim: int = 1, latent_dim: int = 4, hidden=(64, 64)):
    """A small MLP generator/discriminator pair for toy data of `dim` coordinates."""
    return networks.build_networks("mlp", (dim,), latent_dim, is_image=False, hidden_units=hidden)


def adam(lr=5e-4):
    return keras.optimizers.Adam(lr, beta_1=0.5)


def straight_and_resumed(config, tmp_path, steps: int = 2) -> tuple[dict, dict]:
    """The last checkpoint (an array checkpoint: JAX's npz, torch's pt) of `config` trained
    for 2 x `steps` generator steps in one run, and in two runs of `steps` on one workdir,
    as {name: array} each, read by the backend's own checkpoint reader."""
    from gan_zoo import backends, train

    def final_state(workdir, epochs):
        config.train.update({"steps_per_epoch": steps, "epochs": epochs, "checkpoint_every": steps,
                             "sample_every": steps})
        config.eval.num_samples = 0
        train.train_and_evaluate(config, workdir, verbose=0)
        checkpoint, manager = backends.current().make_checkpoint({}, os.path.join(workdir, "checkpoints"), 1)
        assert manager.latest_checkpoint.endswith(f"ckpt-{steps * epochs}{checkpoint.suffix}")
        return checkpoint.read(manager.latest_checkpoint)

    straight = final_state(str(tmp_path / "straight"), 2)
    final_state(str(tmp_path / "resumed"), 1)
    return straight, final_state(str(tmp_path / "resumed"), 2)
