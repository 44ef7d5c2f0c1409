"""Improved GAN (Salimans et al. 2016) on tfds cifar10 (download or data_dir).

Feature matching plus the adversarial loss, with minibatch discrimination: the paper
uses minibatch discrimination for sample quality and feature matching alone for
semi-supervised learning.
"""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("improved_gan", "cifar10", adversarial_weight=1.0)
