"""EBGAN (Zhao et al. 2017) on the grid25 mixture.

The margin is set by the scale of the energies: the paper's m = 10 (MNIST pixels) is
far above the reconstruction errors of 2-D points, so m = 0.5 here.
"""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("ebgan", "grid25", margin=0.5)
