"""WGAN-GP (Gulrajani et al. 2017) on the 5000 embedded MNIST digits.

It has its own penalty, so of the other configs' aids only the average of G's weights
applies, and it is left out: measured (seed 0, TensorFlow, mixed_bfloat16, Zen 4 EPYC,
one run), FID 7.9 with the average (decay 0.99) against 7.1 for its live generator,
within the ~10% the samples' seed alone moves this FID. That predates 4dba433, which made
TensorFlow's gradient penalty exact through the critic's layer norm; after it, FID 7.6,
precision / recall 0.57 / 0.92 (Zen 5, 2026-11-27).
"""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("wgan_gp", "mnist_subset")
