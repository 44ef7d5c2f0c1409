"""StyleGAN2's resampling filter (Karras et al. 2020, after Zhang 2019): [1, 3, 3, 1]."""

import keras
import numpy as np
from keras import ops

RESAMPLE_FILTER = (1.0, 3.0, 3.0, 1.0)


@keras.saving.register_keras_serializable(package="gan_zoo")
class FIRFilter(keras.layers.Layer):
    """upfirdn2d: insert `up` - 1 zeros between pixels, pad, convolve every channel with the
    separable filter f f^T (f = `RESAMPLE_FILTER`, normalised to sum 1, times up^2 so that
    an up-sampled constant stays constant), keep every `down`-th pixel.

    up = 2: StyleGAN2's up-sampling (pad 2, 1: the output is exactly twice as large);
    down = 2: its down-sampling (pad 1, 1: half as large); neither: the blur before D's
    stride-2 convolutions (pad 2, 1: the same size). For x of shape [batch, H, W, C].
    """

    def __init__(self, up: int = 1, down: int = 1, **kwargs):
        super().__init__(**kwargs)
        if (up, down) not in ((1, 1), (2, 1), (1, 2)):
            raise ValueError(f"FIRFilter resamples by 2 one way: (up, down) in (1, 1), (2, 1), (1, 2); got "
                             f"({up!r}, {down!r}).")
        self.up, self.down = int(up), int(down)

    def _kernel(self, channels: int, dtype):
        taps = np.asarray(RESAMPLE_FILTER, "float32")
        kernel = np.outer(taps, taps) / taps.sum() ** 2 * self.up ** 2
        # Depthwise: [k, k, channels, 1], the same filter on every channel.
        return ops.cast(np.tile(kernel[:, :, None, None], (1, 1, channels, 1)), dtype)

    def call(self, x):
        batch, height, width, channels = ops.shape(x)[0], x.shape[1], x.shape[2], x.shape[3]
        if self.up == 2:
            zeros = ops.zeros_like(x)
            x = ops.reshape(ops.stack([x, zeros], axis=3), (batch, height, 2 * width, channels))
            x = ops.reshape(ops.stack([x, ops.zeros_like(x)], axis=2),
                            (batch, 2 * height, 2 * width, channels))
        pad = (1, 1) if self.down == 2 else (2, 1)
        x = ops.pad(x, ((0, 0), pad, pad, (0, 0)))
        return ops.depthwise_conv(x, self._kernel(channels, x.dtype), strides=self.down, padding="valid")

    def compute_output_shape(self, input_shape):
        size = [None if s is None else s * self.up // self.down for s in input_shape[1:3]]
        return (input_shape[0], *size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "up": self.up, "down": self.down}
