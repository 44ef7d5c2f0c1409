"""WGAN (Arjovsky et al. 2017) on the grid25 mixture.

c = 0.05 instead of the paper's 0.01: a 3-layer MLP critic clipped at 0.01 on 2-D
inputs is too flat to separate the modes within the toy budget.
"""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("wgan", "grid25", clip_value=0.05)
