"""WGAN (Arjovsky et al. 2017) on the 5000 embedded MNIST digits.

The aids of the other configs are left out: a moving average of G's weights (decay
0.99) left FID where it was (seed 0, TensorFlow, mixed_bfloat16, Zen 4 EPYC: 85.8 with
it, 85.0 live), and a zero-centred penalty on top of weight clipping is not this paper's
critic. The clipped critic at the paper's RMSProp 5e-5 learns slowly (Gulrajani et al.
2017, Figure 3); zoo_configs/wgan_gp_mnist_subset.py is the fix its successors made.
"""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("wgan", "mnist_subset")
