"""StyleGAN2's generator and discriminator (Karras et al. 2020, config F), 8 to 1024 px.

G (`StyleGAN2Generator`): the mapping network, 8 `EqualizedDense` layers with the
learning-rate multiplier 0.01 from z normalised to unit second moment to w; the synthesis
network, a learned s x s constant (4 x 4 in the paper) and per resolution two modulated,
demodulated 3x3 convolutions with noise inputs (`layers.ModulatedConv2D`), the first of
each block up-sampling with the [1, 3, 3, 1] filter, and the skip architecture: a 1x1
toRGB at every resolution, summed into the up-sampled image. Style mixing in training,
truncation in W at inference. D (`stylegan2_discriminator`): the residual architecture,
fromRGB, per resolution two 3x3 convolutions (the second blurred and strided) beside a
blurred, down-sampled 1x1 skip, summed times sqrt(1/2); at s x s the minibatch standard
deviation, a 3x3 convolution and two dense layers. Every layer has the equalized learning
rate and LeakyReLU(0.2) times sqrt(2).

Widths: min(64 ch / r, ch) channels at resolution r, ch = `base_filters` (the paper's 512:
512 up to 64 px, 256 at 128, 128 at 256). Unconditional.
"""

import math

import keras
from keras import layers, ops

from gan_zoo.layers import EqualizedConv2D, EqualizedDense, FIRFilter, MinibatchStdDev, ModulatedConv2D
from gan_zoo.networks.builders import OUTPUT_DTYPE, upsamplings
from gan_zoo.values import is_number

MAPPING_LAYERS = 8
MAPPING_LR_MULTIPLIER = 0.01
STYLE_MIXING = 0.9
W_AVERAGE_DECAY = 0.995  # of the tracked mean of w, the centre of truncation


def channels(resolution: int, base_filters: int) -> int:
    """StyleGAN2's width at a resolution: min(channel_base / r, channel_max), channel_base =
    64 channel_max (32768 for the paper's 512)."""
    return max(1, min(base_filters * 64 // resolution, base_filters))


@keras.saving.register_keras_serializable(package="gan_zoo")
class StyleGAN2Generator(keras.Model):
    """z [batch, latent_dim] -> images [batch, H, W, C] (see the module's docstring).

    `mapping(z)` gives w [batch, latent_dim] (updating the tracked mean of w in training),
    `synthesis(ws)` images from one w per layer, ws [batch, num_ws, latent_dim]: what the
    path length penalty differentiates. In training, with probability `style_mixing` a
    second z's w drives the layers from a random cut-off on (one cut-off per batch, as
    the authors' code). At inference `truncation_psi` (a variable, 1 = off) moves w
    towards the mean: w_avg + psi (w - w_avg) (sec. 5 of StyleGAN, "truncation in W").
    """

    def __init__(self, image_shape, latent_dim: int, base_filters: int = 512,
                 mapping_layers: int = MAPPING_LAYERS, style_mixing: float = STYLE_MIXING,
                 seed: int | None = None, **kwargs):
        kwargs.setdefault("name", "generator")
        super().__init__(**kwargs)
        self.image_shape, self.latent_dim = tuple(int(s) for s in image_shape), int(latent_dim)
        self.base_filters, self.mapping_layers = int(base_filters), int(mapping_layers)
        self.style_mixing, self.seed = float(style_mixing), seed
        for name, value in (("mapping_layers", mapping_layers), ("base_filters", base_filters),
                            ("latent_dim", latent_dim)):
            if not is_number(value, integer=True) or value < 1:
                raise ValueError(f"StyleGAN2's {name} must be a positive integer, got {value!r}.")
        if not 0.0 <= self.style_mixing <= 1.0:
            raise ValueError(f"style_mixing is a probability, got {style_mixing!r}.")
        n, self.start = upsamplings(self.image_shape)
        self.resolutions = [self.start * 2 ** i for i in range(n + 1)]
        self.mapping_network = [EqualizedDense(self.latent_dim, lr_multiplier=MAPPING_LR_MULTIPLIER,
                                               activation="lrelu", name=f"mapping_{i}")
                                for i in range(self.mapping_layers)]
        width = [channels(r, self.base_filters) for r in self.resolutions]
        self.convs, self.to_rgb = [], []
        for i, resolution in enumerate(self.resolutions):
            if i:  # the block's first convolution up-samples
                self.convs.append(ModulatedConv2D(width[i], 3, up=2, seed=seed, name=f"b{resolution}_conv0"))
            self.convs.append(ModulatedConv2D(width[i], 3, seed=seed, name=f"b{resolution}_conv1"))
            self.to_rgb.append(ModulatedConv2D(self.image_shape[-1], 1, demodulate=False, noise=False,
                                               activation=None, dtype=OUTPUT_DTYPE,
                                               name=f"b{resolution}_torgb"))
        self.image_up = FIRFilter(up=2, dtype=OUTPUT_DTYPE, name="image_up")
        self.num_ws = len(self.convs) + 1  # toRGB reads the w of the next block's first convolution
        self.widths = width
        self.mixing_seed = keras.random.SeedGenerator(seed, name="mixing_seed")

    def build(self, input_shape=None):
        self.constant = self.add_weight(name="constant", shape=(self.start, self.start, self.widths[0]),
                                        initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.w_average = self.add_weight(name="w_average", shape=(self.latent_dim,), initializer="zeros",
                                         trainable=False)
        self.truncation_psi = self.add_weight(name="truncation_psi", shape=(), initializer="ones",
                                              trainable=False)
        shape = (None, self.latent_dim)
        for layer in self.mapping_network:
            layer.build(shape)
        x_shape = (None, self.start, self.start, self.widths[0])
        conv = iter(self.convs)
        for i in range(len(self.resolutions)):
            for layer in ([next(conv)] if i == 0 else [next(conv), next(conv)]):
                layer.build((x_shape, shape))
                x_shape = layer.compute_output_shape((x_shape, shape))
            self.to_rgb[i].build((x_shape, shape))
        half = self.resolutions[-1] // 2
        self.image_up.build((None, half, half, self.image_shape[-1]))
        self.built = True

    def mapping(self, z, update_average=False):
        """w = f(z / sqrt(mean(z^2) + 1e-8)); with `update_average` (G's training pass) the
        tracked mean of w moves towards this batch's (decay 0.995)."""
        z = ops.convert_to_tensor(z)
        w = z * ops.rsqrt(ops.mean(ops.square(z), axis=-1, keepdims=True) + 1e-8)
        for layer in self.mapping_network:
            w = layer(w)
        if update_average:
            batch_mean = ops.mean(ops.cast(w, "float32"), axis=0)
            self.w_average.assign(batch_mean + W_AVERAGE_DECAY * (self.w_average - batch_mean))
        return w

    def styles(self, z, training=False, update_average=None):
        """ws [batch, num_ws, latent_dim]: one w per layer, mixed with a second z's in
        training (with probability `style_mixing`), truncated in W at inference.
        `update_average` (default: `training`) moves the tracked mean of w."""
        w = self.mapping(z, training if update_average is None else update_average)
        ws = ops.repeat(w[:, None, :], self.num_ws, axis=1)
        if training and self.style_mixing > 0:
            other = self.mapping(keras.random.normal(ops.shape(z), seed=self.mixing_seed, dtype=z.dtype))
            cutoff = keras.random.randint((), 1, self.num_ws, seed=self.mixing_seed)
            mixes = keras.random.uniform((), seed=self.mixing_seed) < self.style_mixing
            cutoff = ops.where(mixes, cutoff, self.num_ws)
            later = ops.arange(self.num_ws)[None, :, None] >= cutoff
            ws = ops.where(later, other[:, None, :], ws)
        elif not training:
            average = ops.cast(self.w_average, ws.dtype)
            ws = average + ops.cast(self.truncation_psi, ws.dtype) * (ws - average)
        return ws

    def synthesis(self, ws, training=False):
        """Images from ws [batch, num_ws, latent_dim]."""
        ws = ops.convert_to_tensor(ws)
        batch = ops.shape(ws)[0]
        x = ops.broadcast_to(ops.cast(self.constant, ws.dtype)[None], (batch, *self.constant.shape))
        image, index = None, 0
        conv = iter(self.convs)
        for i in range(len(self.resolutions)):
            for layer in ([next(conv)] if i == 0 else [next(conv), next(conv)]):
                x = layer([x, ws[:, index]], training=training)
                index += 1
            rgb = self.to_rgb[i]([x, ws[:, index]], training=training)
            image = rgb if image is None else self.image_up(image) + rgb
        return image

    def call(self, z, training=False):
        return self.synthesis(self.styles(z, training), training)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.image_shape)

    def get_config(self):
        return {"name": self.name, "image_shape": self.image_shape, "latent_dim": self.latent_dim,
                "base_filters": self.base_filters, "mapping_layers": self.mapping_layers,
                "style_mixing": self.style_mixing, "seed": self.seed}


def stylegan2_discriminator(image_shape, base_filters: int = 512, num_outputs: int = 1,
                            mbstd_group: int = 4, name: str = "discriminator"):
    """StyleGAN2's residual D (see the module's docstring); "features" is the layer
    before the output."""
    n, start = upsamplings(image_shape)
    x = keras.Input(tuple(image_shape), name="x")
    resolution = image_shape[0]
    h = EqualizedConv2D(channels(resolution, base_filters), 1, activation="lrelu",
                        name=f"b{resolution}_fromrgb")(x)
    for _ in range(n):
        out = channels(resolution // 2, base_filters)
        skip = FIRFilter(down=2, name=f"b{resolution}_skip_down")(h)
        skip = EqualizedConv2D(out, 1, use_bias=False, name=f"b{resolution}_skip")(skip)
        h = EqualizedConv2D(channels(resolution, base_filters), 3, activation="lrelu",
                            name=f"b{resolution}_conv0")(h)
        h = FIRFilter(name=f"b{resolution}_blur")(h)
        h = EqualizedConv2D(out, 3, strides=2, activation="lrelu", name=f"b{resolution}_conv1")(h)
        h = layers.Add(name=f"b{resolution}")([skip, h])
        h = layers.Rescaling(math.sqrt(0.5), name=f"b{resolution}_scale")(h)
        resolution //= 2
    width = channels(start, base_filters)
    h = MinibatchStdDev(mbstd_group, name="minibatch_stddev")(h)
    h = EqualizedConv2D(width, 3, activation="lrelu", name="epilogue_conv")(h)
    h = EqualizedDense(width, activation="lrelu", name="features")(layers.Flatten(name="flatten")(h))
    out = EqualizedDense(num_outputs, dtype=OUTPUT_DTYPE, name="logit")(h)
    return keras.Model(x, out, name=name)

