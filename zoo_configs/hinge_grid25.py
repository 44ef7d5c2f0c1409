"""Hinge GAN, spectral norm (Miyato et al. 2018) on grid25; toy settings: common.TOY_OVERRIDES."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("hinge", "grid25")
