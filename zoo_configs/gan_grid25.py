"""The GAN of Goodfellow et al. 2014 on the grid25 mixture."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("gan", "grid25")
