"""The semi-supervised GAN (Salimans et al. 2016, sec. 5) on tfds cifar10 (download or data_dir)."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("semi_supervised", "cifar10")
