"""BigGAN's generator and discriminator (Brock et al. 2019, appendix B), 32 to 256 px.

G: z split into one chunk per residual block plus one; the first chunk is projected to
a 4 x 4 map, and every up-sampling residual block normalises with conditional batch norm
(`layers.LinearConditionalBatchNormalization`) whose scale and shift are linear in its
chunk of z joined to a class embedding shared by all blocks (the hierarchical latent and
shared embedding of sec. 3 and Figure 15); a self-attention block (`layers.SelfAttention`,
Zhang et al. 2019) after the block at `attention_resolution`; BN-ReLU-conv3-tanh out.
D: down-sampling residual blocks (Figure 15c), self-attention at the same resolution,
ReLU, global sum pooling ("features") and a linear output plus, when conditional, the
projection embed(y) . features (Miyato & Koyama 2018). Spectral norm on every weight of
both but G's shared embedding (the authors' code: normalising it "seems to randomly
cripple G"); orthogonal initialization (Saxe et al. 2014), as the paper's ImageNet models.

Widths are multiples of `base_filters` (ch), per the paper's tables for 64 to 256 px
(and the authors' code's 512-px table); at 32 px, and at 16 and 28, their CIFAR
network: 4 ch everywhere, D down-sampling twice and then two blocks at that size, as
SN-GAN's critic. Unconditional networks condition G's batch norms on the chunks of z
alone and give D no projection.
"""

import math

import keras
from keras import layers, ops

from gan_zoo import backends
from gan_zoo.layers import LinearConditionalBatchNormalization, SelfAttention, SpectralNormalization
from gan_zoo.networks.builders import BN_MOMENTUM, OUTPUT_DTYPE, head, upsamplings

# Output widths of the residual blocks, in multiples of ch, by the number of 2x steps.
# G starts from 16 ch (4 ch for the CIFAR-sized networks); D ends with a block that keeps
# the resolution.
GENERATOR_WIDTHS = {4: (16, 8, 4, 2), 5: (16, 8, 4, 2, 1), 6: (16, 8, 8, 4, 2, 1), 7: (16, 8, 8, 4, 2, 1, 1)}
DISCRIMINATOR_WIDTHS = {4: (1, 2, 4, 8, 16), 5: (1, 2, 4, 8, 16, 16), 6: (1, 2, 4, 8, 8, 16, 16),
                        7: (1, 1, 2, 4, 8, 8, 16, 16)}
SMALL_WIDTH = 4  # the CIFAR network's, at every block
EPSILON = 1e-5  # of every batch norm, as the authors' code
SHARED_EMBEDDING_DIM = 128  # the paper's


def default_attention_resolution(image_shape) -> int:
    """64 at 128 px and above (the paper's tables); half the image below, after G's
    next-to-last block and D's first (StudioGAN's CIFAR placement: 16 at 32 px); none
    where G has no block at that size (8 px, from a 4 x 4 start)."""
    size = image_shape[0]
    if size >= 128:
        return 64
    return size // 2 if size // 2 > upsamplings(image_shape)[1] else 0


def _initializer():
    return keras.initializers.Orthogonal()


def _spectral(layer, spectral_norm: bool):
    return SpectralNormalization(layer) if spectral_norm else layer


def _conv(filters: int, size: int, name: str, spectral_norm: bool, dtype=None):
    conv = layers.Conv2D(filters, size, padding="same", kernel_initializer=_initializer(), name=name,
                         dtype=dtype)
    return _spectral(conv, spectral_norm)


def _attention(name: str, spectral_norm: bool):
    # The authors' code's form: values at C/2, keys and values max-pooled 2x2 (SelfAttention).
    return SelfAttention(value_divisor=2, pool_keys=True, spectral_norm=spectral_norm,
                         kernel_initializer=_initializer(), name=name)


def _check_attention(resolution: int, resolutions: list[int], network: str):
    if resolution and resolution not in resolutions:
        raise ValueError(f"attention_resolution={resolution}: the BigGAN {network}'s blocks make maps of "
                         f"{sorted(set(resolutions))} px; use one of them, or 0 for none.")


@keras.saving.register_keras_serializable(package="gan_zoo")
class LatentChunks(keras.layers.Layer):
    """z of shape [batch, chunks * size] as a list of `chunks` tensors [batch, size]:
    BigGAN's hierarchical latent, one chunk per place z enters G."""

    def __init__(self, chunks: int, **kwargs):
        super().__init__(**kwargs)
        self.chunks = int(chunks)

    def call(self, z):
        return ops.split(z, self.chunks, axis=-1)

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], input_shape[-1] // self.chunks)] * self.chunks

    def get_config(self):
        return {**super().get_config(), "chunks": self.chunks}


def biggan_generator(image_shape, latent_dim: int, base_filters: int = 96, num_classes: int = 0,
                     attention_resolution: int = -1, shared_embedding_dim: int = SHARED_EMBEDDING_DIM,
                     spectral_norm: bool = True, name: str = "generator"):
    """BigGAN's G for images of `image_shape` from z of `latent_dim` (divisible by the
    number of residual blocks plus one: 120 = 6 x 20 at 128 px, the paper's), class-
    conditional on [z, labels] when `num_classes` > 0. `attention_resolution` -1 is
    `default_attention_resolution`, 0 none. Batch statistics are over every replica's
    rows under a tf.distribute strategy (`builders.batch_norm`)."""
    n, size = upsamplings(image_shape)
    if n > max(GENERATOR_WIDTHS):
        raise ValueError(f"BigGAN networks go up to 512 px; got {image_shape[0]}.")
    multiples = GENERATOR_WIDTHS.get(n, (SMALL_WIDTH,) * n)
    widths = [base_filters * w for w in multiples]
    first = base_filters * (16 if n in GENERATOR_WIDTHS else SMALL_WIDTH)
    if latent_dim % (n + 1):
        raise ValueError(f"BigGAN's G splits z into {n + 1} chunks at {image_shape[0]} px (one per residual "
                         f"block, one for its input): latent_dim must be a multiple of {n + 1}, got "
                         f"{latent_dim}.")
    resolutions = [size * 2 ** (i + 1) for i in range(n)]
    attention_resolution = (default_attention_resolution(image_shape) if attention_resolution < 0
                            else attention_resolution)
    _check_attention(attention_resolution, resolutions, "generator")

    synchronized = backends.current().num_replicas() > 1
    z = keras.Input((latent_dim,), name="z")
    chunks = LatentChunks(n + 1, name="z_chunks")(z)
    inputs, conditions = z, chunks[1:]
    if num_classes:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [z, labels]
        embedding = layers.Embedding(num_classes, shared_embedding_dim, embeddings_initializer=_initializer(),
                                     name="shared_embedding")(labels)
        conditions = [layers.Concatenate(name=f"block_{i}_condition")([embedding, chunk])
                      for i, chunk in enumerate(chunks[1:])]
    dense = layers.Dense(size * size * first, kernel_initializer=_initializer(), name="project")
    h = layers.Reshape((size, size, first))(_spectral(dense, spectral_norm)(chunks[0]))
    for i, (filters, condition) in enumerate(zip(widths, conditions, strict=True)):
        def norm(x, suffix, i=i, condition=condition):
            return LinearConditionalBatchNormalization(
                momentum=BN_MOMENTUM, epsilon=EPSILON, synchronized=synchronized, spectral_norm=spectral_norm,
                kernel_initializer=_initializer(), name=f"block_{i}_{suffix}")([x, condition])

        block = f"block_{i}"
        shortcut = layers.UpSampling2D(name=f"{block}_up0")(h)
        shortcut = _conv(filters, 1, f"{block}_shortcut", spectral_norm)(shortcut)
        h = layers.UpSampling2D(name=f"{block}_up")(layers.ReLU()(norm(h, "bn1")))
        h = _conv(filters, 3, f"{block}_conv1", spectral_norm)(h)
        h = _conv(filters, 3, f"{block}_conv2", spectral_norm)(layers.ReLU()(norm(h, "bn2")))
        h = layers.Add(name=block)([shortcut, h])
        if resolutions[i] == attention_resolution:
            h = _attention(f"{block}_attention", spectral_norm)(h)
    h = layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=EPSILON, synchronized=synchronized,
                                  name="out_bn")(h)
    out = _conv(image_shape[-1], 3, "image", spectral_norm, dtype=OUTPUT_DTYPE)(layers.ReLU()(h))
    return keras.Model(inputs, layers.Activation("tanh", dtype=OUTPUT_DTYPE, name="tanh")(out), name=name)


def biggan_discriminator(image_shape, base_filters: int = 96, num_classes: int = 0, num_outputs: int = 1,
                         attention_resolution: int = -1, spectral_norm: bool = True,
                         name: str = "discriminator"):
    """BigGAN's D for images of `image_shape`, taking [x, labels] with a projection head
    when `num_classes` > 0; `num_outputs` linear outputs (ACGAN's 1 + K) when not."""
    n, _ = upsamplings(image_shape)
    if n in DISCRIMINATOR_WIDTHS:
        widths, downsample = DISCRIMINATOR_WIDTHS[n], [True] * n + [False]
    else:
        downsamplings = max(1, n - 1)
        widths, downsample = (SMALL_WIDTH,) * (downsamplings + 2), [True] * downsamplings + [False, False]
    resolutions = [image_shape[0] // 2 ** sum(downsample[: i + 1]) for i in range(len(widths))]
    attention_resolution = (default_attention_resolution(image_shape) if attention_resolution < 0
                            else attention_resolution)
    _check_attention(attention_resolution, resolutions, "discriminator")

    x = keras.Input(tuple(image_shape), name="x")
    inputs, labels = x, None
    if num_classes:
        labels = keras.Input((), dtype="int32", name="labels")
        inputs = [x, labels]
    h, attended = x, False
    for i, (width, down) in enumerate(zip(widths, downsample, strict=True)):
        filters, block, first = base_filters * width, f"block_{i}", i == 0
        shortcut = h
        if down or h.shape[-1] != filters:  # the first block pools before its 1x1 convolution
            if first and down:
                shortcut = layers.AveragePooling2D(2, name=f"{block}_pool0")(shortcut)
            shortcut = _conv(filters, 1, f"{block}_shortcut", spectral_norm)(shortcut)
            if down and not first:
                shortcut = layers.AveragePooling2D(2, name=f"{block}_pool0")(shortcut)
        h = h if first else layers.ReLU()(h)
        h = _conv(filters, 3, f"{block}_conv1", spectral_norm)(h)
        h = _conv(filters, 3, f"{block}_conv2", spectral_norm)(layers.ReLU()(h))
        if down:
            h = layers.AveragePooling2D(2, name=f"{block}_pool")(h)
        h = layers.Add(name=block)([shortcut, h])
        if resolutions[i] == attention_resolution and not attended:
            h, attended = _attention(f"{block}_attention", spectral_norm)(h), True
    pixels = math.prod(h.shape[1:3])
    h = layers.GlobalAveragePooling2D(name="mean_pool")(layers.ReLU()(h))
    features = layers.Rescaling(float(pixels), name="features")(h)  # global sum pooling
    out = head(features, num_outputs, spectral_norm, 0, _initializer(), labels, num_classes,
               "projection" if num_classes else "")
    return keras.Model(inputs, out, name=name)
