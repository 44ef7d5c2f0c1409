"""StyleGAN2's modulated convolution with its noise input (Karras et al. 2020, sec. 2.2)."""

import math

import keras
from keras import ops

from gan_zoo import backends
from gan_zoo.layers.equalized import EqualizedDense, leaky_relu_gain
from gan_zoo.layers.fir import FIRFilter

DEMODULATION_EPSILON = 1e-8


@keras.saving.register_keras_serializable(package="gan_zoo")
class ModulatedConv2D(keras.layers.Layer):
    """A layer of StyleGAN2's synthesis network, called on [x, w] (x [batch, H, W, C_in],
    w [batch, w_dim]):

    s = A(w), an `EqualizedDense` affine whose bias starts at 1 (the style);
    w'_ijk = s_i w_ijk (eq. 1), and with `demodulate` w''_ijk = w'_ijk / sqrt(sum_ik w'_ijk^2
    + 1e-8) (eq. 3), so each output channel has unit variance for unit-variance inputs;
    y = x * w'' with `up` = 2 up-sampling x first (`FIRFilter`), then, with `noise`, plus
    B(r) (per-pixel N(0, 1) noise r times a learned strength that starts at 0), plus a bias,
    through `activation` ("lrelu": LeakyReLU(0.2) times sqrt(2); None: linear, as toRGB).

    The weights w_ijk ~ N(0, 1) are scaled by 1 / sqrt(k k C_in) at run time where not
    demodulated (the equalized learning rate; demodulation makes the scale moot). The
    modulation is applied to x and the demodulation to y rather than to per-example
    weights: the same numbers (the authors' non-fused path), with one convolution for the
    whole batch on every backend. In inference the noise is a fixed draw per layer, so a
    seed gives the same image; in training a fresh draw per example.
    """

    def __init__(self, filters: int, kernel_size: int = 3, up: int = 1, demodulate: bool = True,
                 noise: bool = True, activation: str | None = "lrelu", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.up = int(filters), int(kernel_size), int(up)
        self.demodulate, self.noise = bool(demodulate), bool(noise)
        self.activation, self.seed = activation, seed
        if activation not in (None, "lrelu"):
            raise ValueError(f"activation must be None or 'lrelu', got {activation!r}.")
        self.upsample = FIRFilter(up=2, dtype=self.dtype_policy, name="upsample") if self.up == 2 else None
        if self.up not in (1, 2):
            raise ValueError(f"up must be 1 or 2, got {up!r}.")
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed") if self.noise else None

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        channels = x_shape[-1]
        self.affine = EqualizedDense(channels, bias_init=1.0, dtype=self.dtype_policy, name="affine")
        self.affine.build(w_shape)
        if self.upsample is not None:
            self.upsample.build(x_shape)
        self.kernel = self.add_weight(name="kernel", shape=(self.kernel_size, self.kernel_size, channels,
                                                            self.filters),
                                      initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        if self.noise:
            height, width = (s * self.up for s in x_shape[1:3])
            self.noise_strength = self.add_weight(name="noise_strength", shape=(), initializer="zeros")
            self.fixed_noise = self.add_weight(name="fixed_noise", shape=(height, width, 1), trainable=False,
                                               initializer=keras.initializers.RandomNormal(stddev=1.0))

    def call(self, inputs, training=False):
        x, w = inputs
        styles = self.affine(w)  # [batch, C_in]
        if not self.demodulate:
            styles = styles * (1.0 / math.sqrt(math.prod(self.kernel.shape[:3])))
        x = x * styles[:, None, None, :]
        if self.upsample is not None:
            x = self.upsample(x)
        y = backends.current().conv(x, self.kernel, 1)
        if self.demodulate:  # 1 / sqrt(sum_ik (s_i w_ijk)^2): [batch, C_out]
            energy = ops.matmul(ops.square(styles), ops.sum(ops.square(self.kernel), axis=(0, 1)))
            y = y * ops.rsqrt(energy + DEMODULATION_EPSILON)[:, None, None, :]
        if self.noise:
            if training:
                shape = (ops.shape(y)[0], y.shape[1], y.shape[2], 1)
                draw = keras.random.normal(shape, seed=self.seed_generator, dtype=y.dtype)
            else:
                draw = ops.cast(self.fixed_noise, y.dtype)[None]
            y = y + draw * ops.cast(self.noise_strength, y.dtype)
        y = y + self.bias
        return leaky_relu_gain(y) if self.activation else y

    def compute_output_shape(self, input_shape):
        x_shape = input_shape[0]
        return (x_shape[0], x_shape[1] * self.up, x_shape[2] * self.up, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "up": self.up, "demodulate": self.demodulate, "noise": self.noise,
                "activation": self.activation, "seed": self.seed}


@keras.saving.register_keras_serializable(package="gan_zoo")
class MinibatchStdDev(keras.layers.Layer):
    """The minibatch standard deviation feature (Karras et al. 2018, ProGAN, sec. 3; with
    StyleGAN2's groups): the batch is split into groups of `group_size` (the whole batch
    when smaller); within each group, the standard deviation of every feature and pixel
    over the group's members, averaged over features and pixels, is one number per group,
    appended to each member's map as `num_channels` constant channel(s) (the features split
    into that many sets). Example i is in group i mod (batch / group_size), as the authors'
    reshape puts it."""

    def __init__(self, group_size: int = 4, num_channels: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.group_size, self.num_channels = int(group_size), int(num_channels)

    def call(self, x):
        batch, height, width, channels = ops.shape(x)[0], x.shape[1], x.shape[2], x.shape[3]
        group = min(self.group_size, x.shape[0]) if x.shape[0] is not None else self.group_size
        f = self.num_channels
        y = ops.reshape(x, (group, -1, height, width, f, channels // f))  # [G, M, H, W, F, c]
        y = y - ops.mean(y, axis=0)
        y = ops.sqrt(ops.mean(ops.square(y), axis=0) + 1e-8)  # [M, H, W, F, c]
        y = ops.mean(y, axis=(1, 2, 4))  # [M, F]
        y = ops.tile(y[None, :, None, None, :], (group, 1, height, width, 1))
        return ops.concatenate([x, ops.reshape(y, (batch, height, width, f))], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.num_channels)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "num_channels": self.num_channels}
