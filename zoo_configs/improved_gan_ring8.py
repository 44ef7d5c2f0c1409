"""Improved GAN (Salimans et al. 2016) on the ring8 mixture.

Minibatch discrimination costs O(batch^2 * num_kernels * kernel_dim) per call; at the
toys' batch of 256 the paper's 100 kernels made a step ~0.7 s on 2 CPU cores, so 10
kernels here (about 10x cheaper). Feature matching alone covered 6/8 ring modes with 0.5%
high-quality samples (the paper uses it for semi-supervised learning, and minibatch
discrimination for sample quality), so G also gets the adversarial loss.
"""

from zoo_configs.common import zoo_config


def get_config():
    config = zoo_config("improved_gan", "ring8", adversarial_weight=1.0)
    config.networks.minibatch_kernels = 10
    return config
