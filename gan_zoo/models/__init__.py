"""GAN variants: each a keras.Model whose train_step follows its paper."""

from gan_zoo.models.acgan import ACGAN
from gan_zoo.models.base import BaseGAN
from gan_zoo.models.ebgan import EBGAN
from gan_zoo.models.gan import GAN
from gan_zoo.models.improved_gan import ImprovedGAN, SemiSupervisedGAN
from gan_zoo.models.lsgan import LSGAN, HingeGAN
from gan_zoo.models.wgan import WGAN, WGANGP

# Every variant by its config name (the zoo's configs are <name>_<dataset>: zoo_configs).
VARIANTS = {
    "gan": GAN,
    "improved_gan": ImprovedGAN,
    "semi_supervised": SemiSupervisedGAN,
    "ebgan": EBGAN,
    "wgan": WGAN,
    "wgan_gp": WGANGP,
    "lsgan": LSGAN,
    "hinge": HingeGAN,
    "acgan": ACGAN,
}

__all__ = ["ACGAN", "BaseGAN", "EBGAN", "GAN", "HingeGAN", "ImprovedGAN", "LSGAN", "SemiSupervisedGAN",
           "VARIANTS", "WGAN", "WGANGP"]
