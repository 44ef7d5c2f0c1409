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

import keras  # noqa: E402
import pytest  # noqa: E402

from gan_zoo import networks  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKEND = keras.backend.backend()


def pytest_configure(config):
    config.addinivalue_line("markers", "both_backends: runs on TensorFlow and on JAX (the rest: "
                            "TensorFlow only, being about tf.data, tf.distribute or TF checkpoints)")


def pytest_unconfigure(config):
    shutil.rmtree(JAX_CACHE, ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    """KERAS_BACKEND=jax runs only the tests marked both_backends."""
    if BACKEND == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"TensorFlow-specific; not run on {BACKEND}")
    for item in items:
        if "both_backends" not in item.keywords:
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


def toy_networks(dim: int = 1, latent_dim: int = 4, hidden=(64, 64)):
    """A small MLP generator/discriminator pair for toy data of `dim` coordinates."""
    return networks.build_networks("mlp", (dim,), latent_dim, is_image=False, hidden_units=hidden)


def adam(lr=5e-4):
    return keras.optimizers.Adam(lr, beta_1=0.5)
