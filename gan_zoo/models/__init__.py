"""GAN variants: each a keras.Model whose train_step follows its paper."""

from gan_zoo.models.base import BaseGAN
from gan_zoo.models.gan import GAN

VARIANTS = {"gan": GAN}

__all__ = ["BaseGAN", "GAN", "VARIANTS"]
