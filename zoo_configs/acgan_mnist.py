"""The auxiliary classifier GAN (Odena et al. 2017) on tfds mnist with its labels (download or data_dir)."""

from zoo_configs.common import conditional_config


def get_config():
    return conditional_config("acgan", "mnist")
