"""WGAN (Arjovsky et al. 2017) on tfds cifar10 (download or data_dir)."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("wgan", "cifar10")
