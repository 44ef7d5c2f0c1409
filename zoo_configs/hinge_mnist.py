"""Hinge GAN + spectral norm (Miyato et al. 2018) on tfds mnist (download or data_dir)."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("hinge", "mnist")
