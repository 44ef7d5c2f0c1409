"""The GAN of Goodfellow et al. 2014 on tfds cifar10 (download or data_dir)."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("gan", "cifar10")
