"""BigGAN's conditional batch norm: scale and shift projected from a conditioning vector."""

import keras
from keras import layers, ops

# Defined before gan_zoo.layers imports this module, at its end.
from gan_zoo.layers import SpectralNormalization


@keras.saving.register_keras_serializable(package="gan_zoo")
class LinearConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalization whose scale and shift are linear in a conditioning vector c
    (Brock et al. 2019, BigGAN, sec. 3 and Figure 15b):
    y = (1 + c W_gamma) * (x - mean) / sqrt(var + epsilon) + c W_beta.

    Called on [x, c]: x of shape [batch, ..., channels], c of shape [batch, d] (in BigGAN
    the shared class embedding joined to the block's chunk of z; an unconditional
    generator gives the chunk alone). W_gamma and W_beta are [d, channels] without bias,
    spectrally normalised with `spectral_norm` (BigGAN has spectral norm throughout G);
    the statistics are those of `keras.layers.BatchNormalization` without its own scale
    and shift. With c a one-hot label this is `ConditionalBatchNormalization` with per-class
    tables 1 + W_gamma and W_beta.
    """

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, synchronized: bool = False,
                 spectral_norm: bool = False, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.momentum, self.epsilon, self.synchronized = float(momentum), float(epsilon), bool(synchronized)
        self.spectral_norm = bool(spectral_norm)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.normalize = layers.BatchNormalization(momentum=momentum, epsilon=epsilon, center=False,
                                                   scale=False, synchronized=self.synchronized,
                                                   name="normalize")

    def _linear(self, units: int, name: str):
        dense = layers.Dense(units, use_bias=False, kernel_initializer=self.kernel_initializer,
                             dtype=self.dtype_policy, name=name)
        return SpectralNormalization(dense, name=f"{name}_sn") if self.spectral_norm else dense

    def build(self, input_shape):
        x_shape, condition_shape = input_shape
        self.normalize.build(x_shape)
        self.gain, self.bias = self._linear(x_shape[-1], "gain"), self._linear(x_shape[-1], "bias")
        self.gain.build(condition_shape)
        self.bias.build(condition_shape)

    def call(self, inputs, training=None):
        x, condition = inputs
        normalized = self.normalize(x, training=training)
        shape = (-1,) + (1,) * (len(x.shape) - 2) + (x.shape[-1],)
        gain = ops.reshape(1.0 + self.gain(condition, training=training), shape)
        bias = ops.reshape(self.bias(condition, training=training), shape)
        return ops.cast(gain, normalized.dtype) * normalized + ops.cast(bias, normalized.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon,
                "synchronized": self.synchronized, "spectral_norm": self.spectral_norm,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}
