"""Improved GAN (Salimans et al. 2016) on the ring8 mixture; toy settings: common.TOY_OVERRIDES."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("improved_gan", "ring8")
