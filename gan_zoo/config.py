"""The config schema: every key a zoo config has, what it accepts, and how a workdir's
older config is read. Importing it (as zoo_configs/ do) does not pull in the trainer.

`default_config()` holds the keys; `model_config(variant)` a variant's hyper-parameters at
its paper's defaults; `validate(config)` fails early, naming the key; `ConfigError` is
what a config that cannot run raises.
"""

import inspect
import json

import keras
import ml_collections

from gan_zoo import data, models, networks
from gan_zoo.models import penalties
from gan_zoo.values import flatten, is_number

OPTIMIZERS = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
              "sgd": keras.optimizers.SGD}
# Config sections that must match to resume a workdir; the rest (training length,
# logging cadence) may change between runs.
IDENTITY_KEYS = ("dataset", "image_size", "center_crop", "split", "num_train_examples", "model", "networks")
LR_DECAYS = ("none", "linear")
# The features images are scored on (gan_zoo.evaluation): "auto", "classifier" (the project's,
# of an embedded set) or "inception_fid" (the papers' FID Inception).
METRICS_NETWORKS = ("auto", "classifier", "inception_fid")


class ConfigError(ValueError):
    """A config that cannot run: the message names the key and what it accepts."""


def default_config() -> ml_collections.ConfigDict:
    """Keys every zoo config has; a zoo config changes the ones its paper sets."""
    c = ml_collections.ConfigDict()
    c.seed = 0
    # Bitwise-reproducible runs: deterministic kernels, so that a run killed and resumed
    # ends with the same bits as an uninterrupted one (same machine and thread count).
    c.deterministic = False
    c.dataset = "mnist_subset"
    c.data_dir = ""  # prepared tfds data ("" = tfds's default directory)
    c.image_size = 0  # resize tfds images to image_size^2 (0 = keep); a folder's images (required)
    # Keep each tfds or folder image's centred center_crop^2 pixels before the resize (0 = its
    # largest centred square), and train on this split of a tfds set.
    c.center_crop = 0
    c.split = "train"
    # folder:PATH data: where its decoded images are cached ("" = a folder_cache beside the
    # workdir), whether smaller images may be enlarged, and what an unreadable image does.
    c.cache_dir = ""
    c.upsample = False
    c.bad_images = "stop"  # or "skip" (left out and counted)
    # Train on the first N examples of the train split only (0 = all of it), e.g. to see
    # whether DiffAugment keeps D from memorising a small set; evaluation still compares
    # with the whole train split.
    c.num_train_examples = 0

    c.model = model_config("gan", latent_dim=100)
    c.labels_per_class = 0  # labelled examples per class for semi_supervised (0 = all)
    # > 0: every batch also carries this many of those labelled examples (data.load), as
    # Salimans et al.'s code feeds D a labelled minibatch beside each unlabelled one.
    c.labelled_batch_size = 0
    # Discriminator penalties added to the variant's own (gan_zoo/models/penalties.py),
    # {name: weight}, 0 = off, e.g. --config.penalties.r1=10; their options beside them
    # (DRAGAN's perturbation_variance c), at the penalties' defaults.
    c.penalties = ml_collections.ConfigDict({name: 0.0 for name in penalties.PENALTIES})
    c.penalty_options = ml_collections.ConfigDict(
        {option: default for name in penalties.PENALTIES
         for option, default in penalties.options_of(name).items()})
    # Generator penalties (penalties.GENERATOR_PENALTIES), {name: weight}, 0 = off, e.g.
    # --config.generator_penalties.orthogonal=1e-4 (BigGAN's orthogonal regularization),
    # --config.generator_penalties.path_length=2 (StyleGAN2's path length regularization).
    c.generator_penalties = ml_collections.ConfigDict({name: 0.0 for name in penalties.GENERATOR_PENALTIES})

    c.networks = ml_collections.ConfigDict()
    c.networks.kind = "dcgan"
    c.networks.base_filters = 32
    c.networks.kernel_size = 5
    c.networks.norm = "batch"
    c.networks.spectral_norm = False
    c.networks.hidden_units = (128, 128)
    c.networks.minibatch_kernels = 0  # > 0 adds MinibatchDiscrimination(num_kernels=...)
    c.networks.embedding_dim = 32  # EBGAN's autoencoder code size
    # Class-conditional networks on the data set's labels: "concat" (the one-hot label
    # joined to z and to D's input, Mirza & Osindero 2014) or "projection" (conditional
    # batch norm in G, a projection head in D, Miyato & Koyama 2018); "" unconditional.
    # ACGAN conditions G alone (its D classifies).
    c.networks.conditioning = ""
    # BigGAN (networks.kind="biggan"): the resolution of its self-attention blocks (-1: the
    # paper's, networks.biggan.default_attention_resolution; 0: none) and the width of G's
    # shared class embedding.
    c.networks.attention_resolution = -1
    c.networks.shared_embedding_dim = 128
    # StyleGAN2 (networks.kind="stylegan2"): the mapping network's depth and the probability
    # of style mixing in training.
    c.networks.mapping_layers = 8
    c.networks.style_mixing = 0.9

    for name in ("g_optimizer", "d_optimizer"):  # Radford et al. 2016: Adam(2e-4, 0.5)
        c[name] = ml_collections.ConfigDict(
            {"name": "adam", "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999})

    c.train = ml_collections.ConfigDict()
    c.train.batch_size = 64  # global minibatch m of one discriminator step
    c.train.epochs = 10
    c.train.steps_per_epoch = 300  # generator steps per epoch
    c.train.checkpoint_every = 200
    c.train.sample_every = 200
    c.train.num_samples = 64  # images in a sample grid (toys: points in the plot)
    # Speed (docs/PERFORMANCE.md): "auto" is mixed_bfloat16 for images on hardware with
    # fast bf16 (AMX / AVX-512 BF16 CPUs, GPUs of compute capability >= 8), else float32.
    c.train.precision = "auto"  # or float32, mixed_bfloat16, mixed_float16 (GPU, loss scaling)
    c.train.diff_augment = ""  # a DiffAugment policy, e.g. "color,translation,cutout" ("": off; images only)
    c.train.ema_decay = 0.0  # > 0: G's weights averaged with this decay for samples and export (BaseGAN)
    c.train.penalty_interval = 1  # N > 1: the penalties lazily, N times weighted in every N-th D update
    c.train.generator_penalty_interval = 1  # the same for config.generator_penalties and G's updates
    c.train.reuse_generator_pass = True  # see BaseGAN; the toy presets keep Algorithm 1's fresh pass
    # Train steps per call into the backend; callbacks and logs run once per call. 0: up to 10
    # on a GPU, as the callback intervals allow, else 1 (build.resolve_steps_per_execution).
    c.train.steps_per_execution = 0
    c.train.jit_compile = False  # XLA: slower on the reference CPU, see PERFORMANCE.md
    # "linear": both learning rates fall linearly to 0 at the last step (Gulrajani et
    # al.'s reference code); "none": constant, as the papers' algorithms state them.
    c.train.lr_decay = "none"

    c.eval = ml_collections.ConfigDict()
    c.eval.num_samples = 2000  # generated images scored at the end (0 = skip; toys use 2500)
    c.eval.every = 0  # also score every N steps into TensorBoard's eval/ scalars (0 = at the end only)
    # The features images are scored on (evaluation.NETWORKS): "auto" is the project's classifier
    # on the embedded sets, the papers' FID Inception elsewhere, whose pytorch-fid weights file
    # is inception_weights ("" = $GAN_ZOO_INCEPTION_WEIGHTS).
    c.eval.network = "auto"
    c.eval.inception_weights = ""
    return c


def model_config(variant: str, **overrides) -> ml_collections.ConfigDict:
    """config.model for `variant`: every hyper-parameter of its constructor, by its
    paper name, at the paper's default unless overridden."""
    if variant not in models.VARIANTS:
        raise ConfigError(f"model.variant must be one of {sorted(models.VARIANTS)}, got {variant!r}.")
    parameters = inspect.signature(models.VARIANTS[variant].__init__).parameters
    hyper = {name: p.default for name, p in parameters.items()
             if p.default is not inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD
             # in config.seed, config.train and config.penalties
             and name not in ("seed", "reuse_generator_pass", "penalties", "generator_penalties")}
    unknown = set(overrides) - set(hyper) - {"latent_dim"}
    if unknown:
        raise ConfigError(f"{variant} has no hyper-parameter {sorted(unknown)}; it has {sorted(hyper)}.")
    return ml_collections.ConfigDict({"variant": variant, **hyper, **overrides})


def load_zoo_config(name: str) -> ml_collections.ConfigDict:
    """The zoo's config `name` (`zoo_configs.get`), e.g. load_zoo_config("gan_ring8");
    "name:arg" passes arg to a config file's get_config, as --config=zoo:name:arg does."""
    import zoo_configs

    return zoo_configs.get(name)


def callback_intervals(config) -> dict:
    """The step counts that callbacks act on, each a multiple of train.steps_per_execution."""
    return {"train.steps_per_epoch": config.train.steps_per_epoch,
            "train.checkpoint_every": config.train.checkpoint_every,
            "train.sample_every": config.train.sample_every, "eval.every": config.eval.every}


def validate(config) -> None:
    """Fail early, naming the key, on values no run can use."""
    if isinstance(config.num_train_examples, bool) or not isinstance(config.num_train_examples, int) \
            or config.num_train_examples < 0:
        raise ConfigError(f"config.num_train_examples must be a non-negative integer (0: the whole train "
                          f"split), got {config.num_train_examples!r}.")
    positive = {"train.batch_size": config.train.batch_size, "train.epochs": config.train.epochs,
                "train.steps_per_epoch": config.train.steps_per_epoch,
                "train.checkpoint_every": config.train.checkpoint_every,
                "train.sample_every": config.train.sample_every,
                "train.num_samples": config.train.num_samples,
                "train.penalty_interval": config.train.penalty_interval,
                "train.generator_penalty_interval": config.train.generator_penalty_interval,
                "eval.num_samples": config.eval.num_samples + 1,  # 0 is allowed: no evaluation
                "model.latent_dim": config.model.latent_dim, "model.d_steps": config.model.d_steps,
                "g_optimizer.learning_rate": config.g_optimizer.learning_rate,
                "d_optimizer.learning_rate": config.d_optimizer.learning_rate}
    for key, value in positive.items():
        if not is_number(value) or value <= 0:
            raise ConfigError(f"config.{key} must be a positive number, got {value!r}.")
    for section in ("g_optimizer", "d_optimizer"):  # Adam's moment decays (other optimizers drop them)
        for key in ("beta_1", "beta_2"):
            value = config[section].get(key, 0.0)
            if not is_number(value) or not 0 <= value < 1:
                raise ConfigError(f"config.{section}.{key} must be a number in [0, 1), got {value!r}: "
                                  "it is the decay of one of Adam's moment averages.")
    every = config.train.steps_per_execution
    if not is_number(every, integer=True) or every < 0:
        raise ConfigError(f"config.train.steps_per_execution must be a positive integer (or 0: chosen for "
                          f"the device), got {every!r}.")
    for key, value in callback_intervals(config).items():
        if not is_number(value, integer=True) or value < 0 or value % max(every, 1):
            raise ConfigError(f"config.{key} ({value!r}) must be a multiple of "
                              f"train.steps_per_execution ({every}): callbacks run once per execution.")
    if config.train.precision not in ("auto", *networks.PRECISIONS):
        raise ConfigError(f"config.train.precision must be one of {('auto', *networks.PRECISIONS)}, "
                          f"got {config.train.precision!r}.")
    if config.networks.conditioning not in networks.CONDITIONINGS:
        raise ConfigError(f"config.networks.conditioning must be one of {networks.CONDITIONINGS}, got "
                          f"{config.networks.conditioning!r}.")
    if not is_number(config.center_crop, integer=True) or config.center_crop < 0:
        raise ConfigError(f"config.center_crop must be a non-negative integer (0: no fixed crop), got "
                          f"{config.center_crop!r}.")
    if config.eval.network not in METRICS_NETWORKS:
        raise ConfigError(f"config.eval.network must be one of {METRICS_NETWORKS}, got "
                          f"{config.eval.network!r}.")
    if config.eval.network == "classifier" and config.dataset not in data.EMBEDDED:
        raise ConfigError(f"config.eval.network=classifier: the project's classifier scores the embedded "
                          f"sets {data.EMBEDDED}, not {config.dataset!r}. Use inception_fid (or auto).")
    if config.bad_images not in ("stop", "skip"):
        raise ConfigError(f"config.bad_images must be 'stop' or 'skip' (what an unreadable image of a "
                          f"folder does), got {config.bad_images!r}.")
    if config.train.lr_decay not in LR_DECAYS:
        raise ConfigError(f"config.train.lr_decay must be one of {LR_DECAYS}, got {config.train.lr_decay!r}.")
    if config.deterministic and config.train.jit_compile:
        raise ConfigError("config.deterministic turns XLA off: set train.jit_compile=False.")
    if config.model.variant not in models.VARIANTS:
        raise ConfigError(f"config.model.variant must be one of {sorted(models.VARIANTS)}, "
                          f"got {config.model.variant!r}.")
    if not is_number(config.labelled_batch_size, integer=True) or config.labelled_batch_size < 0:
        raise ConfigError(f"config.labelled_batch_size must be a non-negative integer, got "
                          f"{config.labelled_batch_size!r}.")
    variant = models.VARIANTS.get(config.model.variant)  # an unknown one is refused below
    if config.labelled_batch_size and not (config.labels_per_class and variant and variant.needs_labels):
        raise ConfigError("config.labelled_batch_size appends labelled examples to every batch of a "
                          "semi-supervised run: it needs labels_per_class > 0 and a variant that reads "
                          "labels (semi_supervised), or set it to 0.")
    for section in ("penalties", "generator_penalties"):
        for name, weight in config[section].items():
            if not is_number(weight) or weight < 0:
                raise ConfigError(f"config.{section}.{name} is the penalty's weight: a non-negative number "
                                  f"(0 = off), got {weight!r}.")
    for name in ("g_optimizer", "d_optimizer"):
        if config[name].name not in OPTIMIZERS:
            raise ConfigError(f"config.{name}.name must be one of {sorted(OPTIMIZERS)}, "
                              f"got {config[name].name!r}.")


# Hyper-parameters a variant no longer takes, with the only value it ever trained with:
# WGAN-GP's paper has no burst of critic steps (that is WGAN's reference code); its
# config's penalties moved to config.penalties.
RETIRED = {"wgan_gp": {"reference_schedule": False, "penalties": None}}


def with_later_defaults(previous: dict) -> dict:
    """A workdir's config.json with the model and network keys added since it was
    written filled in at their defaults, which is what that run trained with, and retired
    ones at their only value dropped: a changed signature does not make older runs
    unresumable."""
    defaults = {"networks": default_config().networks.to_dict()}
    variant = previous.get("model", {}).get("variant")
    if variant in models.VARIANTS:
        defaults["model"] = model_config(variant, latent_dim=1).to_dict()
    filled = dict(previous)
    for key, value in default_config().items():  # top-level keys and sections added since: defaults
        section = hasattr(value, "to_dict")
        filled.setdefault(key, json.loads(json.dumps(value.to_dict())) if section else value)
    for section, values in defaults.items():
        if isinstance(previous.get(section), dict):
            filled[section] = {**json.loads(json.dumps(values)), **previous[section]}
    if isinstance(filled.get("model"), dict):
        retired = RETIRED.get(variant, {})
        filled["model"] = {k: v for k, v in filled["model"].items() if retired.get(k, object()) != v}
    return filled


MISSING = "(absent)"


def config_changes(previous: dict, requested: dict) -> dict[str, tuple]:
    """The dotted keys whose values differ between a workdir's config.json (`previous`,
    read through `with_later_defaults`) and a config about to use that workdir (both as
    JSON data), as (previous value, requested value); a key one side lacks reads MISSING."""
    before, after = flatten(with_later_defaults(previous)), flatten(json.loads(json.dumps(requested)))
    pairs = {key: (before.get(key, MISSING), after.get(key, MISSING)) for key in before.keys() | after.keys()}
    return {key: pair for key, pair in sorted(pairs.items()) if pair[0] != pair[1]}


def describe_changes(changes: dict[str, tuple], before: str = "in the run", after: str = "here") -> str:
    """`config_changes` in words: "train.precision ('mixed_bfloat16' in the run, 'float32' here)";
    a key one side lacks reads "absent in the run" rather than a quoted value."""
    def side(value, where):
        return f"absent {where}" if value == MISSING else f"{value!r} {where}"

    return ", ".join(f"{key} ({side(old, before)}, {side(new, after)})"
                     for key, (old, new) in changes.items())
