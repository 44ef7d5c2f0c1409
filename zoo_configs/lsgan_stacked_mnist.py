"""LSGAN (Mao et al. 2017) on Stacked MNIST:
1000 modes; the mode count and KL to uniform are taken over 26,000 samples."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("lsgan", "stacked_mnist")
