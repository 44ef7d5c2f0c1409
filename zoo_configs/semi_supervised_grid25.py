"""The semi-supervised GAN (Salimans et al. 2016, sec. 5) on the grid25 mixture."""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("semi_supervised", "grid25")
