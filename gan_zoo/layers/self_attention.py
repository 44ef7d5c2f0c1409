"""SAGAN's self-attention block (Zhang et al. 2019), as BigGAN uses it."""

import keras
from keras import layers, ops

# Defined before gan_zoo.layers imports this module, at its end.
from gan_zoo.layers import SpectralNormalization
from gan_zoo.values import is_number


@keras.saving.register_keras_serializable(package="gan_zoo")
class SelfAttention(keras.layers.Layer):
    """Self-attention over the positions of a feature map (Zhang et al. 2019, SAGAN, sec. 3).

    For x of shape [batch, H, W, C] with positions i, j in 1..N (N = H W):
    f(x) = W_f x and g(x) = W_g x (queries and keys, C / `key_divisor` channels),
    h(x) = W_h x (values, C / `value_divisor` channels), all 1x1 convolutions;
    beta_{j,i} = softmax_i(f(x_j)^T g(x_i)) is how much position j attends to i;
    o_j = W_v (sum_i beta_{j,i} h(x_i)) back to C channels; y = x + gamma o, gamma a
    learned scalar that starts at 0 (the block begins as the identity).

    The paper (its eqs. 1-3) has no bias and C/8 channels for f, g and h, the defaults
    here. The authors' code, and BigGAN's, give h C/2 channels and max-pool g and h by
    2x2 (N/4 keys), which quarters the N x N attention matrix that dominates memory at
    64 x 64: `value_divisor=2, pool_keys=True`, what `networks.biggan_*` build.
    `spectral_norm` wraps the four convolutions (SAGAN: spectral norm in G and D).
    The scores' softmax is taken in float32 under a mixed precision policy.
    """

    def __init__(self, key_divisor: int = 8, value_divisor: int = 8, pool_keys: bool = False,
                 spectral_norm: bool = False, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        for name, value in (("key_divisor", key_divisor), ("value_divisor", value_divisor)):
            if not is_number(value, integer=True) or value < 1:
                raise ValueError(f"SelfAttention's {name} must be a positive integer, got {value!r}.")
        self.key_divisor, self.value_divisor = int(key_divisor), int(value_divisor)
        self.pool_keys, self.spectral_norm = bool(pool_keys), bool(spectral_norm)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def _conv(self, filters: int, name: str):
        conv = layers.Conv2D(filters, 1, use_bias=False, kernel_initializer=self.kernel_initializer,
                             dtype=self.dtype_policy, name=name)
        return SpectralNormalization(conv, name=f"{name}_sn") if self.spectral_norm else conv

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels % self.key_divisor or channels % self.value_divisor:
            raise ValueError(f"SelfAttention divides its {channels} channels by key_divisor "
                             f"{self.key_divisor} and value_divisor {self.value_divisor}: use widths "
                             "they divide.")
        if self.pool_keys and (input_shape[1] % 2 or input_shape[2] % 2):
            raise ValueError(f"SelfAttention's pool_keys halves the map: {input_shape[1]}x{input_shape[2]} "
                             "is not even.")
        keys, values = channels // self.key_divisor, channels // self.value_divisor
        self.query, self.key = self._conv(keys, "query"), self._conv(keys, "key")  # f, g
        self.value, self.output_conv = self._conv(values, "value"), self._conv(channels, "output")  # h, v
        for conv in (self.query, self.key, self.value):
            conv.build(input_shape)
        self.output_conv.build((*input_shape[:-1], values))
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")

    def call(self, x, training=False):
        batch, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]

        def positions(t):
            return ops.reshape(t, (batch, -1, t.shape[-1]))

        keys, values = self.key(x, training=training), self.value(x, training=training)
        if self.pool_keys:
            keys, values = ops.max_pool(keys, 2, 2), ops.max_pool(values, 2, 2)
        queries = positions(self.query(x, training=training))
        scores = ops.matmul(queries, ops.transpose(positions(keys), (0, 2, 1)))  # [batch, N, keys]
        attention = ops.cast(ops.softmax(ops.cast(scores, "float32"), axis=-1), queries.dtype)
        attended = ops.reshape(ops.matmul(attention, positions(values)), (batch, height, width, -1))
        return x + ops.cast(self.gamma, x.dtype) * self.output_conv(attended, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "key_divisor": self.key_divisor, "value_divisor": self.value_divisor,
                "pool_keys": self.pool_keys, "spectral_norm": self.spectral_norm,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}
