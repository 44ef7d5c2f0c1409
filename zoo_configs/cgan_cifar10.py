"""The conditional GAN (Mirza & Osindero 2014): the one-hot label joined to z and to D's
input, on DCGAN networks on tfds cifar10 with its labels (download or data_dir)."""

from zoo_configs.common import conditional_config


def get_config():
    return conditional_config("cgan", "cifar10")
