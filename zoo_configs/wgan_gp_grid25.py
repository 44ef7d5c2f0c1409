"""WGAN-GP (Gulrajani et al. 2017) on the grid25 mixture; toy settings: common.TOY_OVERRIDES."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("wgan_gp", "grid25")
