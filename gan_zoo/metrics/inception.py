"""The Inception network of the papers' FID, in Keras layers on every backend.

FID (Heusel et al. 2017), KID and IS as published are computed on the 2015-12-05
TensorFlow Inception graph, through pytorch-fid's port of it (its weights file
pt_inception-2015-12-05-6726825d.pth; TF-GAN, StudioGAN and StyleGAN2-ADA use the same
graph). That graph is not keras.applications.InceptionV3 (nor torchvision's): its Mixed
blocks' average pools leave the padding out of the average, the last block pools by max
instead of average, and its classifier has 1008 outputs. This module builds that network,
with pytorch-fid's module names, and fills it from pytorch-fid's weights file:

- input: images in [-1, 1] of any size, quantized to 8 bits (as saving them to PNG for
  pytorch-fid does) and resized to 299 x 299 by bilinear interpolation without
  anti-aliasing (pytorch-fid's `F.interpolate(..., align_corners=False)`);
- outputs: the 2048-d average-pool features (FID, KID, precision / recall) and the 1008
  logits of the pool features times the classifier's weights, without its bias, as the
  original Inception Score code computes them (torch-fidelity's "logits_unbiased").

The weights file is the user's (no download here): `load_weights` reads it with
`torch.load(weights_only=True)`, which unpickles tensors and containers only, checks its
SHA-256 against the digest prefix pytorch-fid publishes in its name, and converts it once
into a NumPy file in the cache, keyed by that digest.
"""

import hashlib
import os
import re

import keras
import numpy as np

from gan_zoo.files import write_atomically

WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = f"https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/{WEIGHTS_FILE}"
# pytorch-fid (torch.hub's convention) names the file after the first hex digits of its SHA-256.
WEIGHTS_SHA256_PREFIX = "6726825d"
WEIGHTS_ENVIRONMENT = "GAN_ZOO_INCEPTION_WEIGHTS"
INPUT_SIZE = 299
POOL_FEATURES = 2048
NUM_LOGITS = 1008
BATCH_NORM_EPSILON = 1e-3  # torchvision's BasicConv2d, as the TensorFlow graph


class InceptionUnavailable(RuntimeError):
    """The Inception weights could not be had: the message says how to provide them."""


# Layers are named after pytorch-fid's modules, "." written "__": torch's backend makes a
# Keras layer a torch module, whose name cannot hold a ".".
SEPARATOR = "__"


def _conv(x, name: str, filters: int, kernel, strides=1, padding="valid"):
    """pytorch-fid's BasicConv2d `name` ("Mixed_5b.branch1x1"): a convolution without bias,
    batch norm, ReLU."""
    prefix = name.replace(".", SEPARATOR) + SEPARATOR
    x = keras.layers.Conv2D(filters, kernel, strides, padding, use_bias=False, name=f"{prefix}conv")(x)
    x = keras.layers.BatchNormalization(epsilon=BATCH_NORM_EPSILON, name=f"{prefix}bn")(x)
    return keras.layers.ReLU()(x)


def _average_pool(x):
    """A 3 x 3 average whose border windows average their inside pixels alone (TensorFlow's
    "same" pooling; torchvision's InceptionV3 counts the padded zeros)."""
    return keras.layers.AveragePooling2D(3, 1, "same")(x)


def _block_a(x, name: str, pool_features: int):
    branches = [
        _conv(x, f"{name}.branch1x1", 64, 1),
        _factorized(x, name, [("branch5x5_1", 48, 1), ("branch5x5_2", 64, 5)]),
        _factorized(x, name, [("branch3x3dbl_1", 64, 1), ("branch3x3dbl_2", 96, 3),
                              ("branch3x3dbl_3", 96, 3)]),
        _conv(_average_pool(x), f"{name}.branch_pool", pool_features, 1),
    ]
    return keras.layers.Concatenate()(branches)


def _block_b(x, name: str):
    double = _factorized(x, name, [("branch3x3dbl_1", 64, 1), ("branch3x3dbl_2", 96, 3)])
    branches = [_conv(x, f"{name}.branch3x3", 384, 3, strides=2),
                _conv(double, f"{name}.branch3x3dbl_3", 96, 3, strides=2),
                keras.layers.MaxPooling2D(3, 2)(x)]
    return keras.layers.Concatenate()(branches)


def _factorized(x, name: str, stages):
    """Convolutions `stages` [(suffix, filters, kernel)] one after another, "same" padded."""
    for suffix, filters, kernel in stages:
        x = _conv(x, f"{name}.{suffix}", filters, kernel, padding="same")
    return x


def _block_c(x, name: str, channels_7x7: int):
    c = channels_7x7
    branches = [
        _conv(x, f"{name}.branch1x1", 192, 1),
        _factorized(x, name, [("branch7x7_1", c, 1), ("branch7x7_2", c, (1, 7)),
                              ("branch7x7_3", 192, (7, 1))]),
        _factorized(x, name, [("branch7x7dbl_1", c, 1), ("branch7x7dbl_2", c, (7, 1)),
                              ("branch7x7dbl_3", c, (1, 7)), ("branch7x7dbl_4", c, (7, 1)),
                              ("branch7x7dbl_5", 192, (1, 7))]),
        _conv(_average_pool(x), f"{name}.branch_pool", 192, 1),
    ]
    return keras.layers.Concatenate()(branches)


def _block_d(x, name: str):
    seven = _factorized(x, name, [("branch7x7x3_1", 192, 1), ("branch7x7x3_2", 192, (1, 7)),
                                  ("branch7x7x3_3", 192, (7, 1))])
    branches = [_conv(_conv(x, f"{name}.branch3x3_1", 192, 1), f"{name}.branch3x3_2", 320, 3, strides=2),
                _conv(seven, f"{name}.branch7x7x3_4", 192, 3, strides=2),
                keras.layers.MaxPooling2D(3, 2)(x)]
    return keras.layers.Concatenate()(branches)


def _block_e(x, name: str, pool: str):
    """`pool` "average" (Mixed_7b) or "max" (Mixed_7c: the graph's own choice, which
    pytorch-fid keeps; the Inception paper and torchvision average there)."""

    def split(h, prefix: str):
        return [_conv(h, f"{name}.{prefix}a", 384, (1, 3), padding="same"),
                _conv(h, f"{name}.{prefix}b", 384, (3, 1), padding="same")]

    pooled = _average_pool(x) if pool == "average" else keras.layers.MaxPooling2D(3, 1, "same")(x)
    double = _factorized(x, name, [("branch3x3dbl_1", 448, 1), ("branch3x3dbl_2", 384, 3)])
    branches = [_conv(x, f"{name}.branch1x1", 320, 1),
                *split(_conv(x, f"{name}.branch3x3_1", 384, 1), "branch3x3_2"),
                *split(double, "branch3x3dbl_3"),
                _conv(pooled, f"{name}.branch_pool", 192, 1)]
    return keras.layers.Concatenate()(branches)


def _prepared(images):
    """[-1, 1] images as pytorch-fid feeds them: 8-bit levels, bilinear 299 x 299, [-1, 1];
    one channel is repeated to three."""
    images = keras.ops.round((keras.ops.clip(images, -1.0, 1.0) + 1.0) * 127.5) / 127.5 - 1.0
    if images.shape[-1] == 1:
        images = keras.ops.repeat(images, 3, axis=-1)
    return keras.ops.image.resize(images, (INPUT_SIZE, INPUT_SIZE), interpolation="bilinear",
                                  antialias=False)


def fid_inception(channels: int = 3) -> keras.Model:
    """The FID Inception network, randomly initialised (`load_weights` fills it):
    images [n, H, W, channels] in [-1, 1] -> (pool features [n, 2048], logits [n, 1008])."""
    images = keras.Input((None, None, channels), name="images")
    x = keras.layers.Lambda(_prepared, name="prepared")(images)
    x = _conv(x, "Conv2d_1a_3x3", 32, 3, strides=2)
    x = _conv(x, "Conv2d_2a_3x3", 32, 3)
    x = _conv(x, "Conv2d_2b_3x3", 64, 3, padding="same")
    x = keras.layers.MaxPooling2D(3, 2)(x)
    x = _conv(x, "Conv2d_3b_1x1", 80, 1)
    x = _conv(x, "Conv2d_4a_3x3", 192, 3)
    x = keras.layers.MaxPooling2D(3, 2)(x)
    for name, pool_features in (("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)):
        x = _block_a(x, name, pool_features)
    x = _block_b(x, "Mixed_6a")
    for name, channels_7x7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        x = _block_c(x, name, channels_7x7)
    x = _block_d(x, "Mixed_7a")
    x = _block_e(x, "Mixed_7b", "average")
    x = _block_e(x, "Mixed_7c", "max")
    pool = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    logits = keras.layers.Dense(NUM_LOGITS, use_bias=False, name="fc")(pool)
    return keras.Model(images, [pool, logits], name="fid_inception")


def _torch_layout(layer: keras.layers.Layer) -> list[tuple[str, callable]]:
    """(state-dict key, converter from the torch tensor) of each of `layer`'s weights."""
    module = layer.name.replace(SEPARATOR, ".")
    if isinstance(layer, keras.layers.Conv2D):  # [out, in, h, w] -> [h, w, in, out]
        return [(f"{module}.weight", lambda w: np.transpose(w, (2, 3, 1, 0)))]
    if isinstance(layer, keras.layers.BatchNormalization):
        keys = ("weight", "bias", "running_mean", "running_var")
        return [(f"{module}.{key}", np.asarray) for key in keys]
    if isinstance(layer, keras.layers.Dense):  # [out, in] -> [in, out]; its bias is not used
        return [(f"{module}.weight", np.transpose)]
    return []


def state_dict_keys(model: keras.Model) -> list[str]:
    """The state-dict keys the network reads, in its weights' order."""
    return [key for layer in model.layers for key, _ in _torch_layout(layer)]


# Keys of pytorch-fid's state dict that the network leaves unread: the classifier's bias
# (the Inception Score's logits leave it out) and batch norm's step counters.
UNREAD = ("fc.bias", ".num_batches_tracked")


def assign(model: keras.Model, state_dict: dict) -> None:
    """Fill `model` from pytorch-fid's state dict {key: array}; a missing, extra or misshapen
    tensor is a ValueError naming it."""
    expected = set(state_dict_keys(model))
    extra = sorted(key for key in state_dict if key not in expected and not key.endswith(UNREAD))
    missing = sorted(expected - set(state_dict))
    if extra or missing:
        raise ValueError(f"Not the FID Inception's state dict: {len(missing)} tensors missing "
                         f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}), {len(extra)} "
                         f"unknown ({', '.join(extra[:3])}{', ...' if len(extra) > 3 else ''}).")
    for layer in model.layers:
        layout = _torch_layout(layer)
        if not layout:
            continue
        values = [convert(np.asarray(state_dict[key], np.float32)) for key, convert in layout]
        for (key, _), variable, value in zip(layout, layer.weights, values, strict=True):
            if tuple(variable.shape) != value.shape:
                raise ValueError(f"State-dict tensor {key} converts to shape {value.shape}; the network's "
                                 f"{variable.path} is {tuple(variable.shape)}.")
        layer.set_weights(values)


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_state_dict(path: str) -> dict[str, np.ndarray]:
    """{key: float32 array} of a PyTorch state-dict file, read by `torch.load(weights_only=True)`:
    a file that pickles anything but tensors and containers (code, say) is refused, not run."""
    try:
        import torch
    except ImportError:
        raise InceptionUnavailable(f"Reading {path} (a PyTorch file) needs torch, once: pip install torch "
                                   "(the CPU build will do); its weights are then cached as NumPy.") from None
    try:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - pickle, zip and torch errors alike
        refused = re.search(r"unsupported (?:global: )?GLOBAL (\S+)", str(error), re.IGNORECASE)
        why = (f"it pickles {refused.group(1)}, which no weights file needs: left unread" if refused else
               f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
        raise InceptionUnavailable(f"{path} is not a readable PyTorch weights file ({why}).") from None
    if not isinstance(state_dict, dict) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise InceptionUnavailable(f"{path} holds a {type(state_dict).__name__}, not a state dict of "
                                   "tensors.")
    return {key: value.float().numpy() for key, value in state_dict.items()}


def checked_weights(path: str | None = None) -> tuple[str, str]:
    """(path, SHA-256) of pytorch-fid's weights file: `path`, else $GAN_ZOO_INCEPTION_WEIGHTS.
    An InceptionUnavailable says where to get it when neither names a file, and refuses a
    file whose digest is not pytorch-fid's by name (a corrupt or another network's file
    would give other figures)."""
    path = path or os.environ.get(WEIGHTS_ENVIRONMENT, "")
    if not path:
        raise InceptionUnavailable(
            f"The papers' FID needs the FID Inception weights: download {WEIGHTS_URL} once (92 MB) and give "
            f"its path with --inception_weights=PATH (gan-zoo evaluate), "
            f"--config.eval.inception_weights=PATH (gan-zoo train) or ${WEIGHTS_ENVIRONMENT}.")
    if not os.path.isfile(path):
        raise InceptionUnavailable(f"FID Inception weights file {path!r} does not exist (get {WEIGHTS_URL}).")
    digest = sha256(path)
    if not digest.startswith(WEIGHTS_SHA256_PREFIX):
        raise InceptionUnavailable(
            f"{path} is not pytorch-fid's {WEIGHTS_FILE}: its SHA-256 starts {digest[:8]}, not "
            f"{WEIGHTS_SHA256_PREFIX} (a corrupt or another file). Download {WEIGHTS_URL} again.")
    return path, digest


def load_weights(model: keras.Model, path: str | None, cache_dir: str) -> str:
    """Fill `model` from pytorch-fid's weights file (`checked_weights(path)`), converted
    once into `cache_dir`; returns the file's SHA-256."""
    path, digest = checked_weights(path)
    converted = os.path.join(cache_dir, f"fid_inception-{digest[:16]}.npz")
    if os.path.exists(converted):
        with np.load(converted, allow_pickle=False) as saved:
            assign(model, dict(saved))
        return digest
    state_dict = read_state_dict(path)
    assign(model, state_dict)
    os.makedirs(cache_dir, exist_ok=True)
    kept = {key: state_dict[key] for key in state_dict_keys(model)}
    write_atomically(converted, lambda f: np.savez(f, **kept))
    return digest
