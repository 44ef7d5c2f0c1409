"""Least-squares GAN (Mao et al. 2017) and hinge GAN (Lim & Ye 2017; Miyato et al. 2018)."""

import keras
from keras import ops

from gan_zoo import losses
from gan_zoo.models.base import BaseGAN


class _ScoreGAN(BaseGAN):
    """A GAN whose D outputs unbounded scores; logs their means on real and fake data."""

    tracked = ("d_loss", "g_loss", "d_real", "d_fake")
    discriminator_outputs_logits = False
    discriminator_output_name = "critic score"

    def summaries(self, real_out, fake_out, penalty):
        return {"d_real": ops.reshape(real_out, (-1,)), "d_fake": ops.reshape(fake_out, (-1,))}


@keras.saving.register_keras_serializable(package="gan_zoo")
class LSGAN(_ScoreGAN):
    """Mao et al. 2017, eq. 2: least squares with targets a (fake), b (real), c (G).

    Defaults a = 0, b = 1, c = 1 (the 0-1 coding of section 3.2.2). d_real and d_fake
    log the mean scores, which approach b and a.
    """

    def __init__(self, generator, discriminator, latent_dim, d_steps=1, a=0.0, b=1.0, c=1.0,
                 **kwargs):
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, **kwargs)
        self.a, self.b, self.c = float(a), float(b), float(c)

    def discriminator_loss(self, real_out, fake_out):
        return losses.least_squares_discriminator_loss(real_out, fake_out, self.a, self.b)

    def generator_loss(self, fake_out):
        return losses.least_squares_generator_loss(fake_out, self.c)

    def get_config(self):
        return {**super().get_config(), "a": self.a, "b": self.b, "c": self.c}


@keras.saving.register_keras_serializable(package="gan_zoo")
class HingeGAN(_ScoreGAN):
    """Hinge loss of Miyato et al. 2018, eqs. 16-17, on a spectrally normalized D.

    Spectral normalization is a property of the discriminator: build it with Keras's
    own `keras.layers.SpectralNormalization` (`networks.spectral_norm=True` in the configs).
    Miyato et al. used d_steps = 1 for the hinge loss with Adam(2e-4, 0.5, 0.999) on
    standard CNNs (their Table 1, setting C).
    """

    def discriminator_loss(self, real_out, fake_out):
        return losses.hinge_discriminator_loss(real_out, fake_out)

    def generator_loss(self, fake_out):
        return losses.hinge_generator_loss(fake_out)
