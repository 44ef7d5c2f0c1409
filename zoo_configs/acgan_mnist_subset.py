"""The auxiliary classifier GAN (Odena et al. 2017) on the 5000 embedded MNIST digits and their labels."""

from zoo_configs.common import conditional_config


def get_config():
    return conditional_config("acgan", "mnist_subset")
