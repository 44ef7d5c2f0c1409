"""Hinge GAN + spectral norm (Miyato et al. 2018) on the 5000 embedded MNIST digits."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("hinge", "mnist_subset")
