"""The default zoo config: the non-saturating GAN (Goodfellow et al. 2014) on DCGAN
networks (Radford et al. 2016: Adam(2e-4, beta_1=0.5), batch 64, N(0, 0.02) weights),
trained on the 5000 embedded MNIST digits. 32 base filters instead of the paper's 128
keep it to about 5 minutes on 2 CPU cores (4500 generator steps);
`--config.networks.base_filters=128` restores them.
"""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("gan", "mnist_subset")
