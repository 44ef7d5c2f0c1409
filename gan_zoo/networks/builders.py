"""Generators and discriminators, built from a shape and a few named hyper-parameters.

Discriminators end in one linear unit (logits or critic scores, never a sigmoid). The
layer that feeds that unit is named "features", the usual choice for feature matching.

Class-conditional networks (`num_classes`, `conditioning`) take [z, labels] and [x,
labels], labels int of shape [batch]:

- "concat" joins the one-hot label to z and to D's input (Mirza & Osindero 2014;
  `layers.ConcatLabels`);
- "projection" gives G conditional batch normalization in place of batch normalization
  (`layers.ConditionalBatchNormalization`, de Vries et al. 2017) and D the projection
  head D(x, y) = psi(phi(x)) + embed(y) . phi(x) (Miyato & Koyama 2018, eq. 3), phi
  being the "features" layer and the embedding spectrally normalised with D.

Networks built under a mixed precision policy (`precision_policy`) compute in bfloat16
or float16 but keep their output layers in float32, as Keras's mixed precision guide
advises: losses, penalties and samples are then float32.
"""

import contextlib
import math

import keras
from keras import layers

from gan_zoo import backends
from gan_zoo.layers import (
    ConcatLabels,
    ConditionalBatchNormalization,
    MinibatchDiscrimination,
    SpectralNormalization,
    WeightNormalization,
)

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
OUTPUT_DTYPE = "float32"  # of every network's last layer, whatever the policy
NORMS = ("batch", "layer", "none")
CONDITIONINGS = ("", "concat", "projection")  # "": unconditional
# Keras defaults to 0.99; with 0.9 the moving statistics that generate() uses
# (training=False) track a GAN's fast-moving activations within a few hundred steps.
BN_MOMENTUM = 0.9


@contextlib.contextmanager
def precision_policy(precision: str):
    """Layers created inside compute in `precision` (a Keras dtype policy name)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def batch_norm(name: str):
    """Batch norm over the global batch: built in the scope of a tf.distribute strategy
    with several replicas, the replicas share their statistics (synchronized=True), so
    the maths, the moving averages included, are those of one device on the same batch.
    On one device, and on JAX (one SPMD program over the global batch), the plain layer
    is used: the synchronized one costs time there for nothing."""
    replicas = backends.current().num_replicas()
    return layers.BatchNormalization(momentum=BN_MOMENTUM, synchronized=replicas > 1, name=name)


def generator_norm(h, name: str, labels=None, num_classes: int = 0):
    """`batch_norm` on h, or with labels (conditioning "projection") conditional batch
    normalization: per-class scale and shift on the same statistics."""
    if labels is None:
        return batch_norm(name)(h)
    synchronized = backends.current().num_replicas() > 1
    return ConditionalBatchNormalization(num_classes, momentum=BN_MOMENTUM, synchronized=synchronized,
                                         name=name)([h, labels])


def _check_conditioning(num_classes: int, conditioning: str):
    if conditioning not in CONDITIONINGS:
        raise ValueError(f"conditioning must be one of {CONDITIONINGS}, got {conditioning!r}.")
    if conditioning and not (isinstance(num_classes, int) and num_classes >= 1):
        raise ValueError(f"conditioning {conditioning!r} needs num_classes >= 1 (the data set's labels), "
                         f"got {num_classes!r}.")


def _generator_inputs(latent_dim: int, num_classes: int, conditioning: str):
    """(inputs, h, labels): z, or [z, labels]; h, what the body starts from (z, with the
    one-hot label joined under "concat"); labels for conditional batch norm under
    "projection", else None."""
    _check_conditioning(num_classes, conditioning)
    z = keras.Input((latent_dim,), name="z")
    if not conditioning:
        return z, z, None
    labels = keras.Input((), dtype="int32", name="labels")
    if conditioning == "concat":
        return [z, labels], ConcatLabels(num_classes, name="z_and_label")([z, labels]), None
    return [z, labels], z, labels


def _discriminator_inputs(input_shape, num_classes: int, conditioning: str):
    """(inputs, x, labels): x, or [x, labels] with the int labels input."""
    _check_conditioning(num_classes, conditioning)
    x = keras.Input(tuple(input_shape), name="x")
    if not conditioning:
        return x, x, None
    labels = keras.Input((), dtype="int32", name="labels")
    return [x, labels], x, labels


def _join_label(h, labels, num_classes: int, conditioning: str, name: str = "x_and_label"):
    """h with the one-hot label joined under "concat" (D's input); h otherwise."""
    return ConcatLabels(num_classes, name=name)([h, labels]) if conditioning == "concat" else h


def _normalization(norm: str, name: str):
    if norm == "batch":
        return batch_norm(name)
    if norm == "layer":
        return layers.LayerNormalization(name=name)
    if norm == "none":
        return None
    raise ValueError(f"norm must be one of {NORMS}, got {norm!r}.")


def _maybe_spectral(layer, spectral_norm: bool):
    return SpectralNormalization(layer) if spectral_norm else layer


def head(features, num_outputs: int, spectral_norm: bool, minibatch_kernels: int, init=None,
          labels=None, num_classes: int = 0, conditioning: str = ""):
    """Optional minibatch discrimination on the features, then the linear output psi;
    under "projection", plus embed(y) . features (Miyato & Koyama 2018, eq. 3)."""
    h = features
    if minibatch_kernels:
        h = MinibatchDiscrimination(num_kernels=minibatch_kernels, name="minibatch")(h)
    dense = layers.Dense(num_outputs, kernel_initializer=init or "glorot_uniform", name="logit",
                         dtype=OUTPUT_DTYPE)
    out = _maybe_spectral(dense, spectral_norm)(h)
    if conditioning != "projection":
        return out
    if num_outputs != 1:
        raise ValueError("The projection discriminator has one output (D(x, y)); got num_outputs="
                         f"{num_outputs}.")
    flat = layers.Flatten(name="projected_features")(features) if len(features.shape) > 2 else features
    # embed(y) = one_hot(y) V: a Dense layer on the one-hot label, V its kernel [K, d], which
    # spectral norm normalises.
    one_hot = layers.CategoryEncoding(num_classes, output_mode="one_hot", name="one_hot_label",
                                      dtype=OUTPUT_DTYPE)(labels)
    embed = layers.Dense(flat.shape[-1], use_bias=False, name="class_embedding", dtype=OUTPUT_DTYPE)
    projection = layers.Dot(axes=1, name="projection", dtype=OUTPUT_DTYPE)(
        [_maybe_spectral(embed, spectral_norm)(one_hot), flat])
    return layers.Add(name="logit_plus_projection", dtype=OUTPUT_DTYPE)([out, projection])


def mlp_generator(output_shape, latent_dim: int, hidden_units=(128, 128),
                  output_activation: str | None = None, num_classes: int = 0, conditioning: str = "",
                  name: str = "generator"):
    """z -> ReLU MLP -> samples of `output_shape` (linear output for toy coordinates).
    Under "projection", conditional batch norm follows every hidden layer."""
    inputs, h, labels = _generator_inputs(latent_dim, num_classes, conditioning)
    for i, units in enumerate(hidden_units):
        h = layers.Dense(units, activation=None if labels is not None else "relu", name=f"dense_{i}")(h)
        if labels is not None:
            h = layers.ReLU()(generator_norm(h, f"dense_{i}_bn", labels, num_classes))
    h = layers.Dense(math.prod(output_shape), activation=output_activation, name="output",
                     dtype=OUTPUT_DTYPE)(h)
    return keras.Model(inputs, layers.Reshape(tuple(output_shape), dtype=OUTPUT_DTYPE)(h), name=name)


def mlp_discriminator(input_shape, hidden_units=(128, 128), spectral_norm: bool = False,
                      num_outputs: int = 1, minibatch_kernels: int = 0, num_classes: int = 0,
                      conditioning: str = "", name: str = "discriminator"):
    """samples -> LeakyReLU(0.2) MLP -> `num_outputs` logits."""
    inputs, x, labels = _discriminator_inputs(input_shape, num_classes, conditioning)
    h = _join_label(layers.Flatten()(x), labels, num_classes, conditioning)
    for i, units in enumerate(hidden_units):
        h = _maybe_spectral(layers.Dense(units, name=f"dense_{i}"), spectral_norm)(h)
        h = layers.LeakyReLU(0.2, name="features" if i == len(hidden_units) - 1 else None)(h)
    return keras.Model(inputs, head(h, num_outputs, spectral_norm, minibatch_kernels, None, labels,
                                     num_classes, conditioning), name=name)


# Salimans et al. 2016's MNIST networks (their code's train_mnist_feature_matching.py).
IMPROVED_GAN_GENERATOR_UNITS = (500, 500)
IMPROVED_GAN_DISCRIMINATOR_UNITS = (1000, 500, 250, 250, 250)


def improved_gan_mlp_generator(output_shape, latent_dim: int, hidden_units=IMPROVED_GAN_GENERATOR_UNITS,
                               name: str = "generator"):
    """z -> [Dense, batch norm (shift only), softplus] x 2 -> weight-normalised Dense with a
    sigmoid, mapped from [0, 1] (their pixels) to the data's [-1, 1]."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for i, units in enumerate(hidden_units):
        h = layers.Dense(units, use_bias=False, name=f"dense_{i}")(h)
        h = layers.BatchNormalization(scale=False, momentum=BN_MOMENTUM, name=f"dense_{i}_bn")(h)
        h = layers.Activation("softplus", name=f"dense_{i}_softplus")(h)
    h = WeightNormalization(layers.Dense(math.prod(output_shape), activation="sigmoid", dtype=OUTPUT_DTYPE),
                            name="output", dtype=OUTPUT_DTYPE)(h)
    h = layers.Rescaling(2.0, offset=-1.0, name="to_data_range", dtype=OUTPUT_DTYPE)(h)
    return keras.Model(z, layers.Reshape(tuple(output_shape), dtype=OUTPUT_DTYPE)(h), name=name)


def improved_gan_mlp_discriminator(input_shape, hidden_units=IMPROVED_GAN_DISCRIMINATOR_UNITS,
                                   num_outputs: int = 1, input_noise: float = 0.6, hidden_noise: float = 0.5,
                                   name: str = "discriminator"):
    """x -> Gaussian noise -> [weight-normalised Dense + ReLU, Gaussian noise] per hidden
    layer -> weight-normalised linear outputs. The noise (Keras's GaussianNoise, on in
    training only) has their standard deviations, 0.5 on hidden layers and 0.3 on pixels
    in [0, 1], so 0.6 on the data's [-1, 1]. "features" is the last hidden layer before
    its noise, where their generator matches features. Their code also initialises the
    weight norm's scale g and the bias from a batch of data and keeps g fixed on the
    hidden layers; here every g trains from ||v|| (`layers.WeightNormalization`)."""
    x = keras.Input(tuple(input_shape), name="x")
    h = layers.GaussianNoise(input_noise, name="input_noise")(layers.Flatten()(x))
    for i, units in enumerate(hidden_units):
        layer_name = "features" if i == len(hidden_units) - 1 else f"dense_{i}"
        h = WeightNormalization(layers.Dense(units, activation="relu"), name=layer_name)(h)
        h = layers.GaussianNoise(hidden_noise, name=f"dense_{i}_noise")(h)
    out = WeightNormalization(layers.Dense(num_outputs, dtype=OUTPUT_DTYPE), name="logit",
                              dtype=OUTPUT_DTYPE)(h)
    return keras.Model(x, out, name=name)


def upsamplings(image_shape) -> tuple[int, int]:
    """(n, s): n stride-2 layers take an s x s map to the image (s in 4..7)."""
    height, width = image_shape[:2]
    if height != width:
        raise ValueError(f"DCGAN networks need square images, got {height}x{width}.")
    size, n = height, 0
    while size % 2 == 0 and size > 7:
        size, n = size // 2, n + 1
    if n == 0 or not 4 <= size <= 7:
        raise ValueError(
            f"DCGAN networks cannot build {height}x{width} images: use a size of the form "
            "s * 2^n with s in 4..7 and n >= 1 (8, 16, 28, 32, 64, ...), or the MLP networks."
        )
    return n, size


def dcgan_generator(image_shape, latent_dim: int, base_filters: int = 64, kernel_size: int = 5,
                    output_activation: str | None = "tanh", num_classes: int = 0, conditioning: str = "",
                    name: str = "generator"):
    """Radford et al. 2016: project z, then stride-2 transposed convolutions.

    Batch norm and ReLU everywhere but the tanh output layer; channels halve as the
    resolution doubles, ending at `base_filters`; weights ~ N(0, 0.02) as in the paper.
    """
    n, size = upsamplings(image_shape)
    init = keras.initializers.RandomNormal(stddev=0.02)
    filters = base_filters * 2 ** (n - 1)
    inputs, h, labels = _generator_inputs(latent_dim, num_classes, conditioning)
    h = layers.Dense(size * size * filters, use_bias=False, kernel_initializer=init, name="project")(h)
    h = layers.Reshape((size, size, filters))(h)
    h = layers.ReLU()(generator_norm(h, "project_bn", labels, num_classes))
    for i in range(n - 1):
        filters //= 2
        h = layers.Conv2DTranspose(filters, kernel_size, strides=2, padding="same", use_bias=False,
                                   kernel_initializer=init, name=f"deconv_{i}")(h)
        h = layers.ReLU()(generator_norm(h, f"deconv_{i}_bn", labels, num_classes))
    out = layers.Conv2DTranspose(image_shape[-1], kernel_size, strides=2, padding="same",
                                 activation=output_activation, kernel_initializer=init, name="image",
                                 dtype=OUTPUT_DTYPE)(h)
    return keras.Model(inputs, out, name=name)


def dcgan_discriminator(image_shape, base_filters: int = 64, kernel_size: int = 5,
                        norm: str = "batch", spectral_norm: bool = False, num_outputs: int = 1,
                        minibatch_kernels: int = 0, num_classes: int = 0, conditioning: str = "",
                        name: str = "discriminator"):
    """Radford et al. 2016: stride-2 convolutions with LeakyReLU(0.2), no pooling.

    No normalization on the input layer (as in the paper). `norm="layer"` or "none"
    suit critics with a gradient penalty (Gulrajani et al. 2017, section 4);
    `spectral_norm=True` wraps every weight layer (Miyato et al. 2018).
    """
    n, _ = upsamplings(image_shape)
    init = keras.initializers.RandomNormal(stddev=0.02)
    inputs, x, labels = _discriminator_inputs(image_shape, num_classes, conditioning)
    h, filters = _join_label(x, labels, num_classes, conditioning), base_filters
    for i in range(n):
        conv = layers.Conv2D(filters, kernel_size, strides=2, padding="same",
                             kernel_initializer=init, name=f"conv_{i}")
        h = _maybe_spectral(conv, spectral_norm)(h)
        normalization = _normalization(norm, f"conv_{i}_norm") if i > 0 else None
        if normalization is not None:
            h = normalization(h)
        h = layers.LeakyReLU(0.2)(h)
        filters *= 2
    h = layers.Flatten(name="features")(h)
    return keras.Model(inputs, head(h, num_outputs, spectral_norm, minibatch_kernels, init, labels,
                                     num_classes, conditioning), name=name)


def _residual_up(h, filters: int, name: str, labels=None, num_classes: int = 0):
    """Gulrajani et al. 2017, appendix F: BN-ReLU-up-conv3-BN-ReLU-conv3, shortcut
    up-conv1 (conditional BN with labels, as in Miyato & Koyama 2018)."""
    def conv(size, suffix):
        return layers.Conv2D(filters, size, padding="same", name=f"{name}_{suffix}")

    def norm(x, suffix):
        return generator_norm(x, f"{name}_{suffix}", labels, num_classes)

    shortcut = conv(1, "shortcut")(layers.UpSampling2D(name=f"{name}_up0")(h))
    h = layers.UpSampling2D(name=f"{name}_up")(layers.ReLU()(norm(h, "bn1")))
    h = conv(3, "conv2")(layers.ReLU()(norm(conv(3, "conv1")(h), "bn2")))
    return layers.Add(name=name)([shortcut, h])


def resnet_generator(image_shape, latent_dim: int, base_filters: int = 128, output_activation="tanh",
                     num_classes: int = 0, conditioning: str = "", name: str = "generator"):
    """The CIFAR-10 ResNet generator of Gulrajani et al. 2017 (appendix F; also Miyato et
    al. 2018): z -> s x s x base_filters, n residual up-sampling blocks, BN-ReLU-conv3."""
    n, size = upsamplings(image_shape)
    inputs, h, labels = _generator_inputs(latent_dim, num_classes, conditioning)
    h = layers.Dense(size * size * base_filters, name="project")(h)
    h = layers.Reshape((size, size, base_filters))(h)
    for i in range(n):
        h = _residual_up(h, base_filters, f"block_{i}", labels, num_classes)
    h = layers.ReLU()(generator_norm(h, "out_bn", labels, num_classes))
    out = layers.Conv2D(image_shape[-1], 3, padding="same", activation=output_activation, name="image",
                        dtype=OUTPUT_DTYPE)(h)
    return keras.Model(inputs, out, name=name)


def _residual_down(h, filters: int, name: str, norm: str, spectral_norm: bool, downsample: bool,
                   first: bool):
    """Critic block: [ReLU]-conv3-norm-ReLU-conv3 [-pool], shortcut [conv1-pool]; the first
    block starts with the convolution (its input is the image)."""
    def conv(size, suffix):
        return _maybe_spectral(layers.Conv2D(filters, size, padding="same", name=f"{name}_{suffix}"),
                               spectral_norm)

    shortcut = h
    if downsample or h.shape[-1] != filters:
        shortcut = conv(1, "shortcut")(shortcut)
        shortcut = layers.AveragePooling2D(2, name=f"{name}_pool0")(shortcut) if downsample else shortcut
    if not first:
        h = layers.ReLU()(h)
    h = conv(3, "conv1")(h)
    normalization = _normalization(norm, f"{name}_norm")
    h = layers.ReLU()(normalization(h) if normalization is not None else h)
    h = conv(3, "conv2")(h)
    if downsample:
        h = layers.AveragePooling2D(2, name=f"{name}_pool")(h)
    return layers.Add(name=name)([shortcut, h])


def resnet_discriminator(image_shape, base_filters: int = 128, norm: str = "none",
                         spectral_norm: bool = False, num_outputs: int = 1, minibatch_kernels: int = 0,
                         num_classes: int = 0, conditioning: str = "", name: str = "discriminator"):
    """The CIFAR-10 ResNet critic of Gulrajani et al. 2017 (appendix F): down-sampling
    residual blocks to 8 x 8 (two for 32 x 32), two more blocks, ReLU, global mean
    pooling ("features"), a linear output. No batch norm: `norm` is "none" (the paper)
    or "layer"; `spectral_norm=True` gives Miyato et al.'s critic."""
    n, _ = upsamplings(image_shape)
    inputs, x, labels = _discriminator_inputs(image_shape, num_classes, conditioning)
    h = _join_label(x, labels, num_classes, conditioning)
    blocks = [True] * max(1, n - 1) + [False, False]
    for i, downsample in enumerate(blocks):
        h = _residual_down(h, base_filters, f"block_{i}", norm, spectral_norm, downsample, first=i == 0)
    h = layers.GlobalAveragePooling2D(name="features")(layers.ReLU()(h))
    return keras.Model(inputs, head(h, num_outputs, spectral_norm, minibatch_kernels, None, labels,
                                     num_classes, conditioning), name=name)


def autoencoder_discriminator(data_shape, kind: str, embedding_dim: int = 32, hidden_units=(128, 128),
                              base_filters: int = 64, kernel_size: int = 5, norm: str = "batch",
                              name: str = "autoencoder"):
    """EBGAN's discriminator (Zhao et al. 2017): x -> [Dec(Enc(x)), Enc(x)].

    The encoder is the matching discriminator's body followed by a linear embedding;
    the decoder the matching generator's body from that embedding, with a linear
    output (the energy is a reconstruction error, not a probability).
    """
    x = keras.Input(tuple(data_shape), name="x")
    if kind == "mlp":
        body = mlp_discriminator(data_shape, hidden_units, name="encoder_body")
        decoder = mlp_generator(data_shape, embedding_dim, tuple(reversed(hidden_units)), name="decoder")
    elif kind == "resnet":
        body = resnet_discriminator(data_shape, base_filters, norm, name="encoder_body")
        decoder = resnet_generator(data_shape, embedding_dim, base_filters, output_activation=None,
                                   name="decoder")
    else:
        body = dcgan_discriminator(data_shape, base_filters, kernel_size, norm, name="encoder_body")
        decoder = dcgan_generator(data_shape, embedding_dim, base_filters, kernel_size,
                                  output_activation=None, name="decoder")
    features = keras.Model(body.input, body.get_layer("features").output, name="encoder_features")(x)
    embedding = layers.Dense(embedding_dim, name="embedding", dtype=OUTPUT_DTYPE)(features)
    return keras.Model(x, [decoder(embedding), embedding], name=name)


def _all_layers(layer) -> list:
    """`layer` and every layer inside it, through nested models and wrappers."""
    found = [layer]
    for inner in getattr(layer, "layers", None) or ([layer.layer] if hasattr(layer, "layer") else []):
        found += _all_layers(inner)
    return found


def generator_classes(generator: keras.Model) -> int:
    """The number of classes a generator is conditioned on (0 when it takes z alone), read
    from its conditioning layers: what a loaded generator.keras needs to draw labels."""
    if len(getattr(generator, "inputs", None) or [None]) == 1:  # a subclassed G (StyleGAN2's) takes z
        return 0
    counts = {layer.num_classes for layer in _all_layers(generator)
              if isinstance(layer, (ConcatLabels, ConditionalBatchNormalization))}
    counts |= {layer.input_dim for layer in _all_layers(generator)
               if isinstance(layer, layers.Embedding) and layer.name == "shared_embedding"}  # BigGAN's
    if len(counts) != 1:
        raise ValueError(f"Cannot tell how many classes generator {generator.name!r} takes: it has "
                         f"{len(generator.inputs)} inputs but no single ConcatLabels, "
                         "ConditionalBatchNormalization or shared_embedding class count.")
    return counts.pop()


NETWORKS = ("mlp", "dcgan", "resnet", "improved_gan_mlp", "biggan", "stylegan2")
NETWORK_NAMES = {"dcgan": "DCGAN", "resnet": "ResNet", "biggan": "BigGAN", "stylegan2": "StyleGAN2"}


def build_networks(kind: str, data_shape, latent_dim: int, *, is_image: bool,
                   hidden_units=(128, 128), base_filters: int = 64, kernel_size: int = 5,
                   norm: str = "batch", spectral_norm: bool = False, num_outputs: int = 1,
                   minibatch_kernels: int = 0, discriminator: str = "classifier",
                   embedding_dim: int = 32, num_classes: int = 0, conditioning: str = "",
                   attention_resolution: int = -1, shared_embedding_dim: int = 128,
                   mapping_layers: int = 8, style_mixing: float = 0.9, seed: int | None = None):
    """(generator, discriminator) for data of `data_shape`, from a config's network keys.

    "biggan" gives BigGAN's networks (`networks.biggan`; `base_filters` is their ch,
    `attention_resolution` where their self-attention sits, -1 their default, 0 none),
    conditioned by projection ("projection") or unconditional; its G takes
    `shared_embedding_dim` of class embedding.

    "stylegan2" gives StyleGAN2's (`networks.stylegan2`; `base_filters` is its widest
    layer, 512 in the paper), unconditional, with `mapping_layers` in the mapping network
    and style mixing with probability `style_mixing`; `seed` seeds G's noise inputs.

    "improved_gan_mlp" gives Salimans et al.'s MNIST MLPs: `hidden_units` are D's widths
    (their (1000, 500, 250, 250, 250)), G's are theirs, (500, 500).

    `discriminator="autoencoder"` gives EBGAN's autoencoder instead of a classifier;
    "auxiliary_classifier" gives ACGAN's: unconditional, with 1 + num_classes outputs
    (the real-vs-fake logit, then the class logits). `conditioning` ("concat" or
    "projection", with `num_classes`) makes G take [z, labels] and a classifier D take
    [x, labels] (ACGAN's D excepted).
    """
    if kind not in NETWORKS:
        raise ValueError(f"networks.kind must be one of {NETWORKS}, got {kind!r}.")
    if kind != "mlp" and (not is_image or len(data_shape) != 3):
        raise ValueError(f"{NETWORK_NAMES.get(kind, kind)} networks need images "
                         f"[H, W, C]; this data has shape {tuple(data_shape)}: use networks.kind='mlp'.")
    _check_conditioning(num_classes, conditioning)
    if kind == "biggan":
        return _biggan_networks(data_shape, latent_dim, base_filters, num_outputs, discriminator, num_classes,
                                conditioning, attention_resolution, shared_embedding_dim, spectral_norm)
    if kind == "stylegan2":
        return _stylegan2_networks(data_shape, latent_dim, base_filters, num_outputs, discriminator,
                                   conditioning, mapping_layers, style_mixing, seed)
    if kind == "improved_gan_mlp":
        if conditioning or discriminator != "classifier":
            raise ValueError("improved_gan_mlp (Salimans et al.'s MNIST networks) builds an unconditional "
                             "classifier D: use it with the GAN, Improved GAN or semi-supervised GAN and "
                             "networks.conditioning=\"\".")
        return (improved_gan_mlp_generator(data_shape, latent_dim),
                improved_gan_mlp_discriminator(data_shape, hidden_units, num_outputs))
    conditional = {"num_classes": num_classes, "conditioning": conditioning}
    if kind == "mlp":
        generator = mlp_generator(data_shape, latent_dim, hidden_units,
                                  output_activation="tanh" if is_image else None, **conditional)
    elif kind == "resnet":
        generator = resnet_generator(data_shape, latent_dim, base_filters, **conditional)
    else:
        generator = dcgan_generator(data_shape, latent_dim, base_filters, kernel_size, **conditional)
    if discriminator == "autoencoder":
        if conditioning:
            raise ValueError("EBGAN's autoencoder discriminator is not conditioned on labels: set "
                             "networks.conditioning to \"\".")
        return generator, autoencoder_discriminator(data_shape, kind, embedding_dim, hidden_units,
                                                    base_filters, kernel_size, norm)
    if discriminator == "auxiliary_classifier":
        num_outputs, conditional = 1 + num_classes, {}
    if kind == "mlp":
        return generator, mlp_discriminator(data_shape, hidden_units, spectral_norm, num_outputs,
                                            minibatch_kernels, **conditional)
    if kind == "resnet":
        return generator, resnet_discriminator(data_shape, base_filters, norm, spectral_norm, num_outputs,
                                               minibatch_kernels, **conditional)
    return generator, dcgan_discriminator(data_shape, base_filters, kernel_size, norm, spectral_norm,
                                          num_outputs, minibatch_kernels, **conditional)


def _biggan_networks(data_shape, latent_dim, base_filters, num_outputs, discriminator, num_classes,
                     conditioning, attention_resolution, shared_embedding_dim, spectral_norm):
    from gan_zoo.networks import biggan  # which builds on this module's helpers

    if conditioning == "concat" or discriminator == "autoencoder":
        raise ValueError("BigGAN's networks are conditioned by projection (networks.conditioning="
                         "\"projection\": conditional batch norm in G, a projection head in D) or "
                         "unconditional (\"\"); "
                         "they have no label concatenation and no autoencoder D.")
    if not spectral_norm:
        raise ValueError("BigGAN has spectral norm in G and D (Brock et al. 2019, sec. 3): set "
                         "networks.spectral_norm=True.")
    g_classes = num_classes if conditioning else 0
    d_classes = g_classes if discriminator == "classifier" else 0  # ACGAN's D classifies instead
    if discriminator == "auxiliary_classifier":
        num_outputs = 1 + num_classes
    generator = biggan.biggan_generator(data_shape, latent_dim, base_filters, g_classes, attention_resolution,
                                        shared_embedding_dim)
    return generator, biggan.biggan_discriminator(data_shape, base_filters, d_classes, num_outputs,
                                                  attention_resolution)


def _stylegan2_networks(data_shape, latent_dim, base_filters, num_outputs, discriminator, conditioning,
                        mapping_layers, style_mixing, seed):
    from gan_zoo.networks import stylegan2  # which builds on this module's helpers

    if conditioning or discriminator == "autoencoder":
        raise ValueError("StyleGAN2's networks here are unconditional with a classifier D: set "
                         "networks.conditioning to \"\" and use a variant with one (gan, hinge, ...).")
    generator = stylegan2.StyleGAN2Generator(data_shape, latent_dim, base_filters, mapping_layers,
                                             style_mixing, seed=seed)
    generator.build((None, latent_dim))
    return generator, stylegan2.stylegan2_discriminator(data_shape, base_filters, num_outputs)
