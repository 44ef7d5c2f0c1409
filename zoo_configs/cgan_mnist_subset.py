"""The conditional GAN (Mirza & Osindero 2014): the one-hot label joined to z and to D's
input, on DCGAN networks on the 5000 embedded MNIST digits and their labels."""

from zoo_configs.common import conditional_config


def get_config():
    return conditional_config("cgan", "mnist_subset")
