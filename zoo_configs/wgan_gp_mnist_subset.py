"""WGAN-GP (Gulrajani et al. 2017) on the 5000 embedded MNIST digits."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("wgan_gp", "mnist_subset")
