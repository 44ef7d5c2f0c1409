"""gan_zoo: a GAN model zoo for Keras 3 on TensorFlow.

Every variant in `gan_zoo.models` is a `keras.Model` whose `train_step` follows its
paper, so it trains with a plain `model.fit` on any `tf.distribute` strategy.
"""

try:
    import tensorflow as _tf  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the install
    raise ImportError(
        "gan_zoo needs TensorFlow. Install it with one of the extras:\n"
        "  pip install -e '.[cpu]'   # CPU only (tensorflow-cpu)\n"
        "  pip install -e '.[gpu]'   # NVIDIA GPUs (tensorflow[and-cuda])"
    ) from error

from gan_zoo import data, layers, losses, metrics, models, networks  # noqa: E402

__version__ = "0.1.0"
__all__ = ["data", "layers", "losses", "metrics", "models", "networks"]
