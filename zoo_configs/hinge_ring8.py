"""The hinge GAN with spectral norm (Miyato et al. 2018) on the ring8 mixture."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("hinge", "ring8")
