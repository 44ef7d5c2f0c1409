"""gan_zoo: a GAN model zoo for Keras 3 on TensorFlow, JAX and PyTorch.

Every variant in `gan_zoo.models` is a `keras.Model` whose `train_step` follows its
paper, so it trains with a plain `model.fit` on the backend `KERAS_BACKEND` names:
TensorFlow (the default, any `tf.distribute` strategy), JAX (`keras.distribution`) or
PyTorch (one device).
"""

import os as _os

# Keras's TensorFlow backend (the default) fails on import without TensorFlow: say how to
# install it before Keras does.
if _os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
    try:
        import tensorflow as _tf  # noqa: F401
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError(
            "gan_zoo on the TensorFlow backend needs TensorFlow. Install it with one of the extras:\n"
            "  pip install -e '.[cpu]'   # CPU only (tensorflow-cpu)\n"
            "  pip install -e '.[gpu]'   # NVIDIA GPUs (tensorflow[and-cuda])\n"
            "or use JAX: pip install -e '.[jax]' and KERAS_BACKEND=jax,\n"
            "or PyTorch: pip install -e '.[torch]' and KERAS_BACKEND=torch."
        ) from error

from gan_zoo import data, layers, losses, metrics, models, networks  # noqa: E402

__version__ = "0.1.0"
__all__ = ["data", "layers", "losses", "metrics", "models", "networks"]
