"""Building a run from its config: the data, the precision, the optimizers and the GAN."""

import keras

from gan_zoo import backends, data, devices, layers, models, networks
from gan_zoo.config import OPTIMIZERS, ConfigError, callback_intervals, model_config
from gan_zoo.devices import fast_bfloat16
from gan_zoo.models import penalties


def load_data(config, cache_dir: str | None = None):
    """(dataset, info) of the run: its minibatches, labelled where the run needs labels,
    this process's share of every global batch where processes feed their own; a
    folder's decoded images cached in config.cache_dir, else `cache_dir`."""
    needs_labels = needs_labelled_batches(config)
    dataset, info = data.load(config.dataset, config.train.batch_size, seed=config.seed,
                              data_dir=config.data_dir or None, image_size=config.image_size or None,
                              with_labels=needs_labels, labels_per_class=config.labels_per_class,
                              shard=devices.process_shard(), num_examples=config.num_train_examples,
                              labelled_batch_size=config.labelled_batch_size,
                              cache_dir=config.cache_dir or cache_dir, upsample=config.upsample,
                              bad_images=config.bad_images, center_crop=config.center_crop,
                              split=config.split)
    if isinstance(dataset, data.pipeline.ArrayBatches | data.pipeline.WithLabelledBatches) \
            and devices.process_shard()[1] > 1:
        # Each process already feeds its own rows of every global batch (ArrayBatches' shard).
        keras.distribution.distribution().auto_shard_dataset = False
    if needs_labels and not info.num_classes:
        raise ConfigError(f"{config.model.variant} needs a labelled data set; {config.dataset!r} has "
                          "no labels.")
    return dataset, info


def resolve_precision(precision: str, is_image: bool) -> str:
    """The Keras dtype policy behind config.train.precision. "auto" keeps toys in
    float32: their MLPs are cheap and their modes (std 0.01) finer than bf16's steps."""
    if precision != "auto":
        return precision
    return "mixed_bfloat16" if is_image and fast_bfloat16() else "float32"


GPU_STEPS_PER_EXECUTION = 10


def resolve_steps_per_execution(config) -> int:
    """config.train.steps_per_execution, 0 chosen for the device. On a GPU, where a call into
    the step costs more than the step (H200, the default config: 4500 steps in 16.6 s of
    training against 52 s at 1, the same weights), the largest count up to 10 that divides
    every callback interval; elsewhere 1 (no measurable gain on CPU, and TensorBoard gets
    every step), and always 1 where the backend runs one step per call (torch)."""
    several = backends.current().several_steps_per_call
    if config.train.steps_per_execution > 1 and not several:
        raise ConfigError(f"train.steps_per_execution={config.train.steps_per_execution}: Keras's "
                          f"{backends.current().name} trainer runs one step per call; set it to 0 or 1.")
    if config.train.steps_per_execution or not devices.gpus() or not several:
        return config.train.steps_per_execution or 1
    intervals = callback_intervals(config).values()
    return max(n for n in range(1, GPU_STEPS_PER_EXECUTION + 1) if all(v % n == 0 for v in intervals))


def make_optimizer(spec, loss_scaling: bool = False) -> keras.optimizers.Optimizer:
    """The optimizer a config section names; `loss_scaling` wraps it in Keras's dynamic
    `LossScaleOptimizer` (mixed_float16: each network's loss gets its own optimizer's
    scale, and a step whose gradients overflow is skipped for that network only)."""
    spec = dict(spec)
    cls = OPTIMIZERS[spec.pop("name")]
    if cls is not keras.optimizers.Adam:  # betas belong to Adam only
        spec.pop("beta_1", None)
        spec.pop("beta_2", None)
    optimizer = cls(**spec)
    return keras.optimizers.LossScaleOptimizer(optimizer) if loss_scaling else optimizer


def build_gan(config, info: data.DataInfo) -> models.BaseGAN:
    """The compiled GAN a config describes, for data described by `info`."""
    net = config.networks
    variant = models.VARIANTS[config.model.variant]
    model_kwargs = {k: v for k, v in config.model.items() if k != "variant"}
    foreign = sorted(set(model_kwargs) - set(model_config(config.model.variant, latent_dim=1)))
    if foreign:
        raise ConfigError(
            f"config.model has {foreign}, which {config.model.variant} does not take. To switch "
            f"variants start from its config, e.g. --config=zoo:{config.model.variant}_{config.dataset}.")
    conditioning = config.networks.conditioning
    if conditioning and not info.num_classes:
        raise ConfigError(f"config.networks.conditioning={conditioning!r} needs a labelled data set; "
                          f"{config.dataset!r} has no labels.")
    if conditioning and config.labels_per_class:
        raise ConfigError("A class-conditional GAN needs every example's label: set labels_per_class=0 "
                          "(it keeps a few labels for the semi-supervised GAN).")
    if config.train.diff_augment and not info.is_image:
        raise ConfigError(f"config.train.diff_augment augments images; {config.dataset} is not an image "
                          "data set: set it to \"\".")
    precision = resolve_precision(config.train.precision, info.is_image)
    try:
        with networks.precision_policy(precision):
            generator, discriminator = networks.build_networks(
                net.kind, info.shape, config.model.latent_dim, is_image=info.is_image,
                hidden_units=tuple(net.hidden_units), base_filters=net.base_filters,
                kernel_size=net.kernel_size, norm=net.norm, spectral_norm=net.spectral_norm,
                num_outputs=info.num_classes if variant.discriminator_classifies else 1,
                minibatch_kernels=net.minibatch_kernels, embedding_dim=net.embedding_dim,
                discriminator=variant.discriminator_kind, conditioning=conditioning,
                num_classes=info.num_classes if conditioning else 0,
                attention_resolution=net.attention_resolution, shared_embedding_dim=net.shared_embedding_dim,
                mapping_layers=net.mapping_layers, style_mixing=net.style_mixing, seed=config.seed)
        gan = variant(generator=generator, discriminator=discriminator, seed=config.seed,
                      reuse_generator_pass=config.train.reuse_generator_pass,
                      ema_decay=config.train.ema_decay or None,
                      lr_decay_steps=config.train.epochs * config.train.steps_per_epoch
                      if config.train.lr_decay == "linear" else None,
                      augment=layers.DiffAugment(config.train.diff_augment, seed=config.seed)
                      if config.train.diff_augment else None,
                      num_classes=info.num_classes if conditioning else 0,
                      **penalty_arguments(config), **model_kwargs)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"config.model / config.networks / config.penalties: {error}") from error
    twice = [name for name in (*gan.penalties, *gan.generator_penalties)
             if name in penalties.DIFFERENTIATE_TWICE]
    if config.train.jit_compile and twice and not backends.current().compiled_step_differentiates_twice:
        raise ConfigError("train.jit_compile=True compiles the torch step with torch.compile, whose "
                          "AOTAutograd has no double backward, which "
                          f"{' and '.join(twice)} need (the gradient of an input gradient): "
                          "set train.jit_compile=False (the step runs eagerly).")
    loss_scaling = precision == "mixed_float16"
    gan.compile(g_optimizer=make_optimizer(config.g_optimizer, loss_scaling),
                d_optimizer=make_optimizer(config.d_optimizer, loss_scaling),
                steps_per_execution=resolve_steps_per_execution(config),
                # XLA is optional on TensorFlow (slower on the reference CPU); JAX always compiles.
                jit_compile=config.train.jit_compile or backends.current().compiles_every_step)
    return gan


def penalty_arguments(config) -> dict:
    """The base's `penalties` and `penalty_options` from config.penalties (weight > 0)
    and the options those penalties take, `generator_penalties` from
    config.generator_penalties (weight > 0), and `penalty_interval`, which also applies to a
    variant's own penalty (WGAN-GP's, set by model.gp_weight)."""
    arguments = {"penalty_interval": config.train.penalty_interval}
    generator = {name: float(weight) for name, weight in config.generator_penalties.items() if weight}
    if generator:
        arguments["generator_penalties"] = generator
        arguments["generator_penalty_interval"] = config.train.generator_penalty_interval
    weights = {name: float(weight) for name, weight in config.penalties.items() if weight}
    if not weights:
        return arguments
    taken = penalties.options_taken(weights)
    return {"penalties": weights, **arguments,
            "penalty_options": {k: v for k, v in config.penalty_options.items() if k in taken}}


def needs_labelled_batches(config) -> bool:
    """Whether the run trains on (images, labels): a conditional GAN, or a variant that
    uses labels (the semi-supervised GAN, ACGAN)."""
    return models.VARIANTS[config.model.variant].needs_labels or bool(config.networks.conditioning)
