"""The projection discriminator (Miyato & Koyama 2018): hinge loss, spectral norm,
conditional batch norm in G on tfds mnist with its labels (download or data_dir)."""

from zoo_configs.common import conditional_config


def get_config():
    return conditional_config("projection", "mnist")
