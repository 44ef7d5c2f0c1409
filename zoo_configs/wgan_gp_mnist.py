"""WGAN-GP (Gulrajani et al. 2017) on tfds mnist (download or data_dir)."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("wgan_gp", "mnist")
