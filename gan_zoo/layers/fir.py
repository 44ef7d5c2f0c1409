"""StyleGAN2's resampling filter (Karras et al. 2020, after Zhang 2019): [1, 3, 3, 1]."""

import keras
import numpy as np
from keras import ops

from gan_zoo import backends

RESAMPLE_FILTER = (1.0, 3.0, 3.0, 1.0)


def _taps(up: int) -> np.ndarray:
    """The filter along one axis: normalised to sum 1, times `up` (so f f^T sums to up^2 and an
    up-sampled constant stays constant)."""
    taps = np.asarray(RESAMPLE_FILTER, "float32")
    return taps / taps.sum() * up


def _padding(down: int) -> tuple[int, int]:
    """Pad 2, 1 keeps the size (after up-sampling, exactly twice as large); 1, 1 halves it at stride 2."""
    return (1, 1) if down == 2 else (2, 1)


def _zero_insert(x, up: int):
    """x [batch, H, W, C] with `up` - 1 zeros after every pixel along H and W."""
    if up == 1:
        return x
    batch, height, width, channels = ops.shape(x)[0], x.shape[1], x.shape[2], x.shape[3]
    x = ops.reshape(ops.stack([x, ops.zeros_like(x)], axis=3), (batch, height, 2 * width, channels))
    return ops.reshape(ops.stack([x, ops.zeros_like(x)], axis=2), (batch, 2 * height, 2 * width, channels))


def fir_by_depthwise_conv(x, up: int, down: int):
    """upfirdn2d as a depthwise convolution with f f^T on the zero-inserted, padded x."""
    x = _zero_insert(x, up)
    pad = _padding(down)
    x = ops.pad(x, ((0, 0), pad, pad, (0, 0)))
    kernel = np.outer(_taps(up), _taps(up))[:, :, None, None]  # [k, k, 1, 1] -> every channel
    kernel = ops.cast(np.tile(kernel, (1, 1, x.shape[-1], 1)), x.dtype)
    return ops.depthwise_conv(x, kernel, strides=down, padding="valid")


def _along(x, axis: int, start: int, stop: int, step: int = 1):
    return x[tuple(slice(start, stop, step) if i == axis else slice(None) for i in range(4))]


def fir_by_shifted_slices(x, up: int, down: int):
    """upfirdn2d as weighted sums of shifted slices, one axis after the other (f f^T is
    separable). Up-sampling is polyphase: with zeros inserted, output 2m takes taps 0 and 2
    on x[m - 1], x[m], and output 2m + 1 taps 1 and 3 on x[m], x[m + 1], so no zero is
    multiplied."""
    taps = [float(t) for t in _taps(up)]
    for axis in (1, 2):
        size = x.shape[axis]
        if up == 2:
            padded = ops.pad(x, [(1, 1) if i == axis else (0, 0) for i in range(4)])
            even = taps[0] * _along(padded, axis, 0, size) + taps[2] * _along(padded, axis, 1, size + 1)
            odd = taps[1] * _along(padded, axis, 1, size + 1) + taps[3] * _along(padded, axis, 2, size + 2)
            shape = [ops.shape(x)[0], *x.shape[1:]]
            shape[axis] = 2 * size
            x = ops.reshape(ops.stack([even, odd], axis=axis + 1), shape)
        else:
            padded = ops.pad(x, [_padding(down) if i == axis else (0, 0) for i in range(4)])
            out = (padded.shape[axis] - len(taps)) // down + 1
            x = sum(t * _along(padded, axis, k, k + down * (out - 1) + 1, down) for k, t in enumerate(taps))
    return x


@keras.saving.register_keras_serializable(package="gan_zoo")
class FIRFilter(keras.layers.Layer):
    """upfirdn2d: insert `up` - 1 zeros between pixels, pad, convolve every channel with the
    separable filter f f^T (f = `RESAMPLE_FILTER`, normalised to sum 1, times up^2 so that
    an up-sampled constant stays constant), keep every `down`-th pixel.

    up = 2: StyleGAN2's up-sampling (pad 2, 1: the output is exactly twice as large);
    down = 2: its down-sampling (pad 1, 1: half as large); neither: the blur before D's
    stride-2 convolutions (pad 2, 1: the same size). For x of shape [batch, H, W, C].

    Two forms of the same numbers: shifted slices where the backend fuses them (JAX's XLA,
    whose depthwise convolution is far slower on CPU: docs/PERFORMANCE.md), else one
    depthwise convolution (TensorFlow and torch run op by op).
    """

    def __init__(self, up: int = 1, down: int = 1, **kwargs):
        super().__init__(**kwargs)
        if (up, down) not in ((1, 1), (2, 1), (1, 2)):
            raise ValueError(f"FIRFilter resamples by 2 one way: (up, down) in (1, 1), (2, 1), (1, 2); got "
                             f"({up!r}, {down!r}).")
        self.up, self.down = int(up), int(down)

    def call(self, x):
        resample = fir_by_shifted_slices if backends.current().fuses_shifted_slices else fir_by_depthwise_conv
        return resample(x, self.up, self.down)

    def compute_output_shape(self, input_shape):
        size = [None if s is None else s * self.up // self.down for s in input_shape[1:3]]
        return (input_shape[0], *size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "up": self.up, "down": self.down}
