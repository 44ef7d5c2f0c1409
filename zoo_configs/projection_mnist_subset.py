"""The projection discriminator (Miyato & Koyama 2018): hinge loss, spectral norm,
conditional batch norm in G on the 5000 embedded MNIST digits and their labels."""

from zoo_configs.common import conditional_config


def get_config():
    return conditional_config("projection", "mnist_subset")
