"""Reusable layers from Salimans et al. 2016, "Improved Techniques for Training GANs",
WGAN's weight clipping as a Keras constraint, spectral and weight normalization,
DiffAugment, conditional batch norms, SAGAN's self-attention and StyleGAN2's layers.

Ordinary serializable Keras layers and constraints, usable in anyone's networks. The
newer ones live in modules of their own: SAGAN's `self_attention`, BigGAN's
`linear_conditional_batch_norm`, and StyleGAN2's `equalized` learning rate, `fir`
resampling filter and `modulated_conv` (with the minibatch standard deviation).
"""

import keras
from keras import ops

from gan_zoo.values import is_number


@keras.saving.register_keras_serializable(package="gan_zoo")
class MinibatchDiscrimination(keras.layers.Layer):
    """Minibatch discrimination (Salimans et al. 2016, section 3.2).

    A learned tensor T maps features f(x_i) in R^A to M_i in R^{B x C} (B =
    `num_kernels`, C = `kernel_dim`); c_b(x_i, x_j) = exp(-||M_i,b - M_j,b||_1) and
    o(x_i)_b = sum over j != i of c_b(x_i, x_j). Returns concat[f(x_i), o(x_i)].

    Self-pairs are excluded, so a lone sample gets o = 0. Under a tf.distribute strategy
    the sum runs over the replica's own minibatch.
    """

    def __init__(self, num_kernels: int = 100, kernel_dim: int = 5, **kwargs):
        super().__init__(**kwargs)
        self.num_kernels = int(num_kernels)
        self.kernel_dim = int(kernel_dim)

    def build(self, input_shape):
        self.kernel = self.add_weight(  # T in the paper
            name="kernel", shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.05))

    def call(self, features):
        m = ops.reshape(ops.matmul(features, self.kernel), (-1, self.num_kernels, self.kernel_dim))
        l1 = ops.sum(ops.abs(m[:, None, :, :] - m[None, :, :, :]), axis=-1)  # [N, N, B]
        c = ops.exp(-l1)
        n = ops.shape(features)[0]
        not_self = 1.0 - ops.eye(n, dtype=c.dtype)[:, :, None]
        return ops.concatenate([features, ops.sum(c * not_self, axis=1)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.num_kernels)

    def get_config(self):
        return {**super().get_config(), "num_kernels": self.num_kernels, "kernel_dim": self.kernel_dim}


def with_features(discriminator: keras.Model, layer_name: str = "features") -> keras.Model:
    """The feature-matching view: x -> [D(x), activations of `layer_name`].

    Shares every weight with `discriminator`. A model holding it should rebuild it from
    D (e.g. in `__init__`) rather than serialize it, so that loading restores one set of
    weights.
    """
    try:
        layer = discriminator.get_layer(layer_name)
    except ValueError as error:
        names = [layer.name for layer in discriminator.layers]
        raise ValueError(f"The discriminator has no layer {layer_name!r}; its layers are {names}.") from error
    return keras.Model(discriminator.inputs, [discriminator.outputs[0], layer.output],
                       name=f"{discriminator.name}_with_{layer_name}")


@keras.saving.register_keras_serializable(package="gan_zoo")
class VirtualBatchNormalization(keras.layers.Layer):
    """Virtual batch normalization (Salimans et al. 2016, section 3.4).

    Each example is normalized with statistics of a fixed reference batch combined with
    the example itself (weight 1/(N+1)), so its output never depends on the other
    examples of its minibatch. Convention: the first `reference_size` rows of every input
    are the reference batch, propagated through the network alongside the minibatch:
    feed `concat([reference, x])` and drop the first `reference_size` rows of D's output.
    Under a strategy each replica needs the reference batch in its own rows.
    """

    def __init__(self, reference_size: int, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.reference_size = int(reference_size)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        self.gamma = self.add_weight(name="gamma", shape=(input_shape[-1],), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(input_shape[-1],), initializer="zeros")

    def call(self, inputs):
        axes = list(range(len(inputs.shape) - 1))
        reference = inputs[: self.reference_size]
        ref_mean = ops.mean(reference, axis=axes)
        ref_mean_sq = ops.mean(ops.square(reference), axis=axes)
        # Per example: the reference batch plus the example itself (Salimans et al., 3.4).
        own_axes = axes[1:]
        squares = ops.square(inputs)
        if own_axes:  # convolutional features: the example's own spatial statistics
            own_mean = ops.mean(inputs, axis=own_axes, keepdims=True)
            own_mean_sq = ops.mean(squares, axis=own_axes, keepdims=True)
        else:
            own_mean, own_mean_sq = inputs, squares
        weight = 1.0 / (self.reference_size + 1.0)
        mean = (1.0 - weight) * ref_mean + weight * own_mean
        variance = (1.0 - weight) * ref_mean_sq + weight * own_mean_sq - ops.square(mean)
        return (inputs - mean) * ops.rsqrt(variance + self.epsilon) * self.gamma + self.beta

    def get_config(self):
        return {**super().get_config(), "reference_size": self.reference_size, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="gan_zoo")
class WeightClip(keras.constraints.Constraint):
    """w -> clip(w, -clip_value, clip_value): the critic's weight clipping of Arjovsky et
    al. 2017, Algorithm 1, line 7 (c = 0.01). `BaseGAN(discriminator_constraint=...)`
    applies it to every discriminator weight after every discriminator update."""

    def __init__(self, clip_value: float = 0.01):
        if not float(clip_value) > 0:
            raise ValueError(f"clip_value must be positive, got {clip_value!r}.")
        self.clip_value = float(clip_value)

    def __call__(self, w):
        return ops.clip(w, -self.clip_value, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}


@keras.saving.register_keras_serializable(package="gan_zoo")
class DiffAugment(keras.layers.Layer):
    """Differentiable augmentation (Zhao et al. 2020, "Differentiable Augmentation for
    Data-Efficient GAN Training"), for images in [-1, 1] of shape [batch, H, W, C].

    In training mode, each of `policy`'s transformations, drawn per example:
    - "color": brightness + U[-0.5, 0.5], saturation x U[0, 2] around the pixel's channel
      mean, contrast x U[0.5, 1.5] around the image's mean;
    - "translation": a shift of up to `translation_ratio` of the height and width, with
      zeros shifted in;
    - "cutout": a zeroed square of `cutout_ratio` of the height and width at a random
      centre (partly outside the image near its borders).
    Every operation is differentiable in the image, so G learns through it.
    `BaseGAN(augment=DiffAugment())` applies it to real and generated images alike before
    D, in the D and the G steps, as the paper prescribes; outside training it is the
    identity.
    """

    OPERATIONS = ("color", "translation", "cutout")

    def __init__(self, policy: str = "color,translation,cutout", translation_ratio: float = 0.125,
                 cutout_ratio: float = 0.5, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy
        self.operations = [op for op in policy.split(",") if op]
        unknown = set(self.operations) - set(self.OPERATIONS)
        if unknown:
            raise ValueError(f"DiffAugment's policy takes {self.OPERATIONS}, got {sorted(unknown)}.")
        self.translation_ratio, self.cutout_ratio = float(translation_ratio), float(cutout_ratio)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="augment_seed")

    def _uniform(self, x):
        return keras.random.uniform((ops.shape(x)[0], 1, 1, 1), seed=self.seed_generator, dtype=x.dtype)

    def color(self, x):
        x = x + (self._uniform(x) - 0.5)
        mean = ops.mean(x, axis=-1, keepdims=True)
        x = (x - mean) * (self._uniform(x) * 2.0) + mean
        mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
        return (x - mean) * (self._uniform(x) + 0.5) + mean

    def _offsets(self, batch, low, high):
        return keras.random.randint((batch, 1, 1), low, high, seed=self.seed_generator)

    def translation(self, x):
        batch, height, width, channels = ops.shape(x)[0], x.shape[1], x.shape[2], x.shape[3]
        shift_h = int(height * self.translation_ratio + 0.5)
        shift_w = int(width * self.translation_ratio + 0.5)
        rows = ops.arange(height)[None, :, None] + self._offsets(batch, -shift_h, shift_h + 1)
        cols = ops.arange(width)[None, None, :] + self._offsets(batch, -shift_w, shift_w + 1)
        inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)  # [batch, H, W]
        source = ops.clip(rows, 0, height - 1) * width + ops.clip(cols, 0, width - 1)
        flat = ops.reshape(x, (batch, height * width, channels))
        index = ops.reshape(source, (batch, height * width, 1)) * ops.ones_like(flat, dtype="int32")
        moved = ops.reshape(ops.take_along_axis(flat, index, axis=1), (batch, height, width, channels))
        return moved * ops.cast(inside, x.dtype)[..., None]

    def cutout(self, x):
        batch, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]
        size_h, size_w = int(height * self.cutout_ratio + 0.5), int(width * self.cutout_ratio + 0.5)
        top = self._offsets(batch, 0, height + (1 - size_h % 2)) - size_h // 2
        left = self._offsets(batch, 0, width + (1 - size_w % 2)) - size_w // 2
        rows = ops.arange(height)[None, :, None] - top
        cols = ops.arange(width)[None, None, :] - left
        hole = (rows >= 0) & (rows < size_h) & (cols >= 0) & (cols < size_w)
        return x * (1.0 - ops.cast(hole, x.dtype))[..., None]

    def call(self, x, training=False):
        if not training:
            return x
        for operation in self.operations:
            x = getattr(self, operation)(x)
        return x

    def get_config(self):
        return {**super().get_config(), "policy": self.policy, "translation_ratio": self.translation_ratio,
                "cutout_ratio": self.cutout_ratio, "seed": self.seed}


@keras.saving.register_keras_serializable(package="gan_zoo")
class ConditionalBatchNormalization(keras.layers.Layer):
    """Conditional batch normalization (de Vries et al. 2017; Miyato & Koyama 2018, BigGAN):
    batch normalization whose scale and shift are learned per class,
    y = gamma[c] * (x - mean) / sqrt(var + epsilon) + beta[c].

    Called on [x, labels]: x of shape [batch, ..., channels], labels int of shape [batch]
    in [0, num_classes). The statistics are those of `keras.layers.BatchNormalization`
    (batch statistics in training, moving averages at inference); gamma starts at 1 and
    beta at 0 for every class.
    """

    def __init__(self, num_classes: int, momentum: float = 0.99, epsilon: float = 1e-3,
                 synchronized: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = _num_classes(num_classes)
        self.momentum, self.epsilon, self.synchronized = float(momentum), float(epsilon), bool(synchronized)
        # synchronized: statistics over every replica's rows (tf.distribute), as `batch_norm` in networks.
        self.normalize = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, center=False,
                                                         scale=False, synchronized=self.synchronized,
                                                         name="normalize")

    def build(self, input_shape):
        x_shape = input_shape[0]
        self.normalize.build(x_shape)
        channels = x_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(self.num_classes, channels), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(self.num_classes, channels), initializer="zeros")

    def call(self, inputs, training=None):
        x, labels = inputs
        normalized = self.normalize(x, training=training)
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        shape = (-1,) + (1,) * (len(x.shape) - 2) + (x.shape[-1],)
        gamma = ops.reshape(ops.take(self.gamma, labels, axis=0), shape)
        beta = ops.reshape(ops.take(self.beta, labels, axis=0), shape)
        return ops.cast(gamma, normalized.dtype) * normalized + ops.cast(beta, normalized.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "momentum": self.momentum,
                "epsilon": self.epsilon, "synchronized": self.synchronized}


@keras.saving.register_keras_serializable(package="gan_zoo")
class ConcatLabels(keras.layers.Layer):
    """The label joined to an input as a one-hot vector (Mirza & Osindero 2014, the
    conditional GAN): called on [h, labels], h of shape [batch, ..., channels] and labels
    int of shape [batch] in [0, num_classes), it returns h with num_classes channels more,
    the one-hot label repeated at every position of h (z: [batch, latent_dim + K]; an
    image: K constant planes, the usual way to condition a convolutional D on its input).
    """

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = _num_classes(num_classes)

    def call(self, inputs):
        h, labels = inputs
        one_hot = ops.one_hot(ops.reshape(ops.cast(labels, "int32"), (-1,)), self.num_classes, dtype=h.dtype)
        spatial = tuple(h.shape[1:-1])
        if spatial:
            one_hot = ops.reshape(one_hot, (-1,) + (1,) * len(spatial) + (self.num_classes,))
            one_hot = ops.broadcast_to(one_hot, (ops.shape(h)[0], *spatial, self.num_classes))
        return ops.concatenate([h, one_hot], axis=-1)

    def compute_output_shape(self, input_shape):
        shape = input_shape[0]
        return (*shape[:-1], shape[-1] + self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="gan_zoo")
class WeightNormalization(keras.layers.Wrapper):
    """A Dense layer reparameterised as w = g v / ||v|| (Salimans & Kingma 2016, eq. 2):
    the wrapped layer's kernel is the direction v (one column per unit), the wrapper
    holds the per-unit length g, initialised to ||v|| so the layer starts as its
    initializer made it. The layer's bias and activation follow as usual. The paper's
    data-dependent initialisation of g and the bias is not done.
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, keras.layers.Dense):
            raise ValueError(f"WeightNormalization wraps a Dense layer, got {type(layer).__name__}.")
        super().__init__(layer, **kwargs)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        kernel = self.layer.kernel
        self.g = self.add_weight(
            shape=(kernel.shape[-1],), name="g",
            initializer=lambda shape, dtype: ops.sqrt(ops.sum(ops.square(kernel.value), axis=0)))
        self.built = True

    def call(self, inputs):
        v = self.layer.kernel
        kernel = v * (self.g / ops.sqrt(ops.sum(ops.square(v), axis=0) + 1e-12))
        outputs = ops.matmul(inputs, kernel)
        if self.layer.use_bias:
            outputs = outputs + self.layer.bias
        return self.layer.activation(outputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)


def _num_classes(value) -> int:
    if not is_number(value, integer=True) or value < 1:
        raise ValueError(f"num_classes must be a positive integer, got {value!r}.")
    return int(value)


@keras.saving.register_keras_serializable(package="gan_zoo")
class SpectralNormalization(keras.layers.SpectralNormalization):
    """Spectral normalization as Miyato et al. 2018 define it: a reparameterization.

    The wrapped layer computes with W_SN = W / sigma(W) (eq. 8), where sigma(W) = u^T W v
    comes from one power-iteration step per training forward pass from the persisted u
    (Algorithm 1; u and v are constants to the gradient). W itself is the trained
    parameter: the gradient reaches it through sigma(W) (section 2.2, eq. 12) and nothing
    is ever written into it. Outside training, sigma is computed the same way from the
    stored u, which is left as it is.

    Keras's own wrapper, which this one extends (same weights, same config), instead
    assigns W / sigma(W) into W in every training forward pass. That is not the paper's
    update (the gradient then skips sigma), it rounds the float32 kernel to the compute
    dtype under mixed precision (bfloat16 keeps 8 bits), and the JAX trainer drops the
    assignment while TensorFlow keeps it, so the two backends train different things.
    Here sigma and W_SN are computed in the kernel's own dtype, and both backends train
    the same thing.

    The wrapped layer must be stateless (Dense, Conv, Embedding): it runs in a scope where
    its kernel reads as W_SN.
    """

    def __init__(self, layer, power_iterations: int = 1, **kwargs):
        if not isinstance(layer, keras.layers.Layer):
            raise ValueError(f"SpectralNormalization wraps a Keras layer (Dense, Conv, Embedding), "
                             f"got {layer!r}.")
        # No autocast here: sigma and W_SN in the variables' dtype. The wrapped layer
        # autocasts W_SN itself.
        kwargs.pop("autocast", None)
        kwargs["dtype"] = layer.dtype_policy.variable_dtype
        super().__init__(layer, power_iterations=power_iterations, autocast=False, **kwargs)

    def build(self, input_shape):
        super().build(input_shape)
        if self.layer.non_trainable_variables:
            raise ValueError(
                f"SpectralNormalization wraps stateless layers (Dense, Conv, Embedding); "
                f"{type(self.layer).__name__} has non-trainable state "
                f"{[v.path for v in self.layer.non_trainable_variables]}.")

    def power_iteration(self):
        """(u after the power iteration from the stored u, sigma(W) = v^T W u), u and v
        constants to the gradient (Algorithm 1)."""
        weights = ops.reshape(self.kernel.value, (-1, self.kernel.shape[-1]))
        vector_u = self.vector_u.value
        for _ in range(self.power_iterations):
            vector_v = ops.normalize(ops.matmul(vector_u, ops.transpose(weights)), axis=None)
            vector_u = ops.normalize(ops.matmul(vector_v, weights), axis=None)
        vector_u, vector_v = ops.stop_gradient(vector_u), ops.stop_gradient(vector_v)
        return vector_u, ops.matmul(ops.matmul(vector_v, weights), ops.transpose(vector_u))[0, 0]

    def normalized_weights(self):
        """(u after the power iteration, W_SN). An all-zero W keeps its u and is used as
        it is (sigma = 0); a `where`, not a `cond`, so that eager calls (JAX) compile
        nothing."""
        vector_u, sigma = self.power_iteration()
        nonzero = sigma > 0
        return (ops.where(nonzero, vector_u, self.vector_u.value),
                self.kernel.value / ops.where(nonzero, sigma, ops.ones_like(sigma)))

    def call(self, inputs, training=False):
        vector_u, normalized = self.normalized_weights()
        if training:
            self.vector_u.assign(vector_u)
        values = [(v, normalized if v is self.kernel else v.value) for v in self.layer.variables]
        with keras.StatelessScope(values):
            return self.layer(inputs)


from gan_zoo.layers.equalized import EqualizedConv2D, EqualizedDense  # noqa: E402
from gan_zoo.layers.fir import FIRFilter  # noqa: E402
from gan_zoo.layers.linear_conditional_batch_norm import LinearConditionalBatchNormalization  # noqa: E402
from gan_zoo.layers.modulated_conv import MinibatchStdDev, ModulatedConv2D  # noqa: E402
from gan_zoo.layers.self_attention import SelfAttention  # noqa: E402

__all__ = ["ConcatLabels", "ConditionalBatchNormalization", "DiffAugment", "EqualizedConv2D",
           "EqualizedDense", "FIRFilter", "LinearConditionalBatchNormalization", "MinibatchDiscrimination",
           "MinibatchStdDev", "ModulatedConv2D", "SelfAttention", "SpectralNormalization",
           "VirtualBatchNormalization", "WeightClip", "WeightNormalization", "with_features"]
