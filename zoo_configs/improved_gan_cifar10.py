"""Improved GAN (Salimans et al. 2016) on tfds cifar10 (download or data_dir)."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("improved_gan", "cifar10")
