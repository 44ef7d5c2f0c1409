"""The GAN of Goodfellow et al. 2014 on the ring8 mixture (VEEGAN / PacGAN protocol)."""

from zoo_configs.common import toy2d_config


def get_config():
    return toy2d_config("ring8", "gan")
