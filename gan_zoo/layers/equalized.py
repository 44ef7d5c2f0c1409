"""The equalized learning rate of Karras et al. 2018 (ProGAN, sec. 4.1), as StyleGAN2 uses it."""

import math

import keras
from keras import ops

from gan_zoo import backends
from gan_zoo.values import is_number


def _check_multiplier(value) -> float:
    if not is_number(value) or value <= 0:
        raise ValueError(f"lr_multiplier must be a positive number, got {value!r}.")
    return float(value)


def leaky_relu_gain(x):
    """LeakyReLU(0.2) times sqrt(2): StyleGAN2's activation, which keeps unit variance."""
    return ops.leaky_relu(x, 0.2) * math.sqrt(2.0)


@keras.saving.register_keras_serializable(package="gan_zoo")
class EqualizedDense(keras.layers.Layer):
    """y = x (c W) + lr_multiplier b with W ~ N(0, 1 / lr_multiplier^2) stored and
    c = lr_multiplier / sqrt(fan_in) applied at run time: every weight then learns at the
    same speed under Adam (Karras et al. 2018, sec. 4.1); `lr_multiplier` < 1 slows the
    layer down (StyleGAN's mapping network: 0.01). `bias_init` is b's start in units of the
    output (StyleGAN2's style affines start at 1). `activation="lrelu"` is `leaky_relu_gain`.
    """

    def __init__(self, units: int, lr_multiplier: float = 1.0, bias_init: float = 0.0, use_bias: bool = True,
                 activation: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.use_bias = int(units), bool(use_bias)
        self.lr_multiplier, self.bias_init = _check_multiplier(lr_multiplier), float(bias_init)
        if activation not in (None, "lrelu"):
            raise ValueError(f"activation must be None or 'lrelu', got {activation!r}.")
        self.activation = activation

    def build(self, input_shape):
        fan_in = input_shape[-1]
        self.gain = self.lr_multiplier / math.sqrt(fan_in)
        stored = keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier)
        self.kernel = self.add_weight(name="kernel", shape=(fan_in, self.units), initializer=stored)
        if self.use_bias:
            start = keras.initializers.Constant(self.bias_init / self.lr_multiplier)
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=start)

    def call(self, x):
        y = ops.matmul(x, self.kernel * self.gain)
        if self.use_bias:
            y = y + self.bias * self.lr_multiplier
        return leaky_relu_gain(y) if self.activation else y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "lr_multiplier": self.lr_multiplier,
                "bias_init": self.bias_init, "use_bias": self.use_bias, "activation": self.activation}


@keras.saving.register_keras_serializable(package="gan_zoo")
class EqualizedConv2D(keras.layers.Layer):
    """A 'same' convolution with the equalized learning rate: W ~ N(0, 1) stored and scaled
    by 1 / sqrt(k k C_in) at run time, bias from 0. `strides` 2 down-samples (after a
    `FIRFilter` blur, as StyleGAN2's D). `activation="lrelu"` is `leaky_relu_gain`."""

    def __init__(self, filters: int, kernel_size: int, strides: int = 1, use_bias: bool = True,
                 activation: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.strides = int(filters), int(kernel_size), int(strides)
        self.use_bias = bool(use_bias)
        if activation not in (None, "lrelu"):
            raise ValueError(f"activation must be None or 'lrelu', got {activation!r}.")
        self.activation = activation

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gain = 1.0 / math.sqrt(channels * self.kernel_size ** 2)
        self.kernel = self.add_weight(name="kernel", shape=(self.kernel_size, self.kernel_size, channels,
                                                            self.filters),
                                      initializer=keras.initializers.RandomNormal(stddev=1.0))
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, x):
        y = backends.current().conv(x, self.kernel * self.gain, self.strides)
        if self.use_bias:
            y = y + self.bias
        return leaky_relu_gain(y) if self.activation else y

    def compute_output_shape(self, input_shape):
        size = [None if s is None else -(-s // self.strides) for s in input_shape[1:3]]
        return (input_shape[0], *size, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "use_bias": self.use_bias, "activation": self.activation}
