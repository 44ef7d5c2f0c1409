"""The zoo's configs as data: a registry of (variant, data set) presets addressed by name.

`--config=zoo:gan_ring8` (the tools), `gan_zoo.config.load_zoo_config("gan_ring8")` and
`zoo_configs.get("gan_ring8")` give the same ConfigDict; `zoo_configs/<name>.py` paths of
older commands resolve to the same names. A preset is `common.zoo_config(variant,
dataset)` (the paper's settings and the data set's preset) or, for the class-conditional
models, `common.conditional_config(name, dataset)`; a file `zoo_configs/<name>.py` exists
only where a config has content of its own (aids, paper networks, a ":paper" argument).
"""

import difflib
import functools
import importlib
import inspect
import os

from gan_zoo.config import ConfigError
from zoo_configs.common import (
    BIGGAN_DATASETS,
    STYLEGAN2_DATASETS,
    TOYS,
    biggan_config,
    conditional_config,
    stylegan2_config,
    zoo_config,
)

TFDS = ("mnist", "cifar10")
# The field's standard protocols beyond CIFAR-10 (common.STANDARD_PROTOCOLS), through tfds.
STANDARD = ("celeba64", "lsun_bedroom64", "stl10_48", "imagenet32", "imagenet64")
FOLDER_PRESET = "folder"  # `zoo:<variant>_folder:PATH`: a folder of the user's images
# Data sets on which each variant is a bare preset, beyond its files.
PRESETS = {
    "gan": (*TOYS, "stacked_mnist", *TFDS, *STANDARD, FOLDER_PRESET),
    "improved_gan": (*TOYS, "stacked_mnist", *TFDS),
    "semi_supervised": (*TOYS, *TFDS),
    "ebgan": (*TOYS, "stacked_mnist", *TFDS),
    # WGAN and WGAN-GP on mnist_subset take none of the other configs' aids
    # (docs/CONFIGS.md says why).
    "wgan": (*TOYS, "stacked_mnist", "mnist_subset", *TFDS),
    "wgan_gp": (*TOYS, "stacked_mnist", "mnist_subset", *TFDS, *STANDARD, FOLDER_PRESET),
    "lsgan": (*TOYS, "stacked_mnist", *TFDS, *STANDARD, FOLDER_PRESET),
    "hinge": (*TOYS, "stacked_mnist", *TFDS, *STANDARD, FOLDER_PRESET),
}
# Presets with model keys of their own: on tfds MNIST and CIFAR-10 Improved GAN trains G
# with feature matching plus the adversarial loss (with minibatch discrimination): the
# paper uses minibatch discrimination for sample quality and feature matching alone for
# semi-supervised learning.
MODEL_OVERRIDES = {f"improved_gan_{dataset}": {"adversarial_weight": 1.0} for dataset in TFDS}
# The class-conditional models (common.CONDITIONAL), beyond their files.
# ImageNet's 1000 classes: a one-hot label joined to D's input (cgan) would be 1000 channels.
IMAGENET = ("imagenet32", "imagenet64")
CONDITIONAL_PRESETS = {"cgan": ("mnist_subset", *TFDS, FOLDER_PRESET),
                       "acgan": ("mnist_subset", *TFDS, *IMAGENET, FOLDER_PRESET),
                       "projection": (*TFDS, *IMAGENET, FOLDER_PRESET)}
# A file of this folder that is not a config.
NOT_CONFIGS = ("__init__", "common", "load")


# name -> a function building its config.
REGISTRY = {
    **{f"{variant}_{dataset}": functools.partial(zoo_config, variant, dataset,
                                                 **MODEL_OVERRIDES.get(f"{variant}_{dataset}", {}))
       for variant, datasets in PRESETS.items() for dataset in datasets},
    **{f"{model}_{dataset}": functools.partial(conditional_config, model, dataset)
       for model, datasets in CONDITIONAL_PRESETS.items() for dataset in datasets},
    # BigGAN's networks and training choices (common.BIGGAN) over the hinge loss.
    **{f"biggan_{dataset}": functools.partial(biggan_config, dataset) for dataset in BIGGAN_DATASETS},
    # StyleGAN2's networks and training choices (common.STYLEGAN2) over the non-saturating loss.
    **{f"stylegan2_{dataset}": functools.partial(stylegan2_config, dataset)
       for dataset in STYLEGAN2_DATASETS},
}
# The presets whose argument is a folder of images: zoo:<name>:PATH.
FOLDER_PRESETS = {name for name in REGISTRY if name.rsplit("_", 1)[-1].startswith(FOLDER_PRESET)}
FOLDER = os.path.dirname(os.path.abspath(__file__))


def files() -> list[str]:
    """Names of the configs that have a file of their own."""
    return sorted(name[:-3] for name in os.listdir(FOLDER)
                  if name.endswith(".py") and name[:-3] not in NOT_CONFIGS)


def names() -> list[str]:
    """Every config of the zoo, by name."""
    return sorted({*REGISTRY, *files()})


def get(name: str):
    """The config `name` ("gan_ring8"), or "name:arg" for a file config that takes an
    argument ("gan_mnist_subset:paper") and for a folder preset, whose argument is the
    folder ("gan_folder:/data/faces"); an unknown name is a ConfigError naming the
    closest ones."""
    name, _, arg = name.partition(":")
    if name in FOLDER_PRESETS:
        if not arg:
            raise ConfigError(f"zoo config {name!r} trains on a folder of your images: give it as "
                              f"--config=zoo:{name}:PATH (class sub-folders give labels).")
        config = REGISTRY[name]()
        config.dataset = f"folder:{arg}"
        return config
    if name in REGISTRY:
        if arg:
            raise ConfigError(f"zoo config {name!r} takes no config argument; drop ':{arg}'.")
        return REGISTRY[name]()
    if name not in files():
        close = difflib.get_close_matches(name, names(), n=3)
        raise ConfigError(f"No zoo config named {name!r}" + (f"; did you mean {', '.join(close)}?" if close
                                                              else f". The configs: {', '.join(names())}."))
    get_config = importlib.import_module(f"zoo_configs.{name}").get_config
    if arg and not inspect.signature(get_config).parameters:
        raise ConfigError(f"zoo config {name!r} takes no config argument; drop ':{arg}'.")
    return get_config(arg) if arg else get_config()
