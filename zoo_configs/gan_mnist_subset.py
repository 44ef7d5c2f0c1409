"""The default zoo config: the non-saturating GAN (Goodfellow et al. 2014) on DCGAN
networks (Radford et al. 2016: Adam(2e-4, beta_1=0.5), batch 64, N(0, 0.02) weights),
trained on the 5000 embedded MNIST digits. 32 base filters instead of the paper's 128
keep it to about 7 minutes on 2 CPU cores (6000 generator steps);
`--config.networks.base_filters=128` restores them.
"""

from gan_zoo.train import default_config


def get_config():
    config = default_config()
    config.dataset = "mnist_subset"
    config.train.epochs = 20
    config.train.steps_per_epoch = 300
    return config
