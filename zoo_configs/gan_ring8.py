"""The GAN of Goodfellow et al. 2014 on the ring8 mixture."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("gan", "ring8")
