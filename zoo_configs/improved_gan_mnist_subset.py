"""Improved GAN (Salimans et al. 2016) on the 5000 embedded MNIST digits."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("improved_gan", "mnist_subset")
