"""Improved GAN (Salimans et al. 2016) on the grid25 mixture.

Minibatch discrimination costs O(batch^2 * num_kernels * kernel_dim) per call; at the
toys' batch of 256 the paper's 100 kernels made a step ~0.7 s on 2 CPU cores, so 10
kernels here (about 10x cheaper).
"""

from zoo_configs.common import zoo_config


def get_config():
    config = zoo_config("improved_gan", "grid25")
    config.networks.minibatch_kernels = 10
    return config
