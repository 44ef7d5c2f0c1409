"""WGAN-GP (Gulrajani et al. 2017) on the grid25 mixture.

gp_weight = 0.1, not the paper's 10 (the class default): the authors' own toy script
uses 0.1 ("smaller lambda seems to help for toy tasks"), and with 10 this config covered
2 of the 8 ring modes with 6% high-quality samples in its 3000 generator steps.
"""

from zoo_configs.common import zoo_config


def get_config():
    return zoo_config("wgan_gp", "grid25", gp_weight=0.1)
