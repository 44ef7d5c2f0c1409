"""Least-squares GAN (Mao et al. 2017) and hinge GAN (Lim & Ye 2017; Miyato et al. 2018)."""

import keras

from gan_zoo.models.base import BaseGAN


@keras.saving.register_keras_serializable(package="gan_zoo")
class LSGAN(BaseGAN):
    """Mao et al. 2017, eq. 2: least squares with targets a (fake), b (real), c (G).

    Defaults a = 0, b = 1, c = 1 (the 0-1 coding of section 3.2.2). d_real and d_fake
    log the mean scores, which approach b and a.
    """

    preset_arguments = ("loss", "loss_options")

    def __init__(self, generator, discriminator, latent_dim, d_steps=1, a=0.0, b=1.0, c=1.0,
                 **kwargs):
        self.a, self.b, self.c = float(a), float(b), float(c)
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, loss="least_squares",
                         loss_options={"a": self.a, "b": self.b, "c": self.c}, **kwargs)

    def get_config(self):
        return {**super().get_config(), "a": self.a, "b": self.b, "c": self.c}


@keras.saving.register_keras_serializable(package="gan_zoo")
class HingeGAN(BaseGAN):
    """Hinge loss of Miyato et al. 2018, eqs. 16-17, on a spectrally normalized D.

    Spectral normalization is a property of the discriminator: wrap its weight layers in
    `gan_zoo.layers.SpectralNormalization` (`networks.spectral_norm=True` in the configs),
    the paper's reparameterization, rather than Keras's wrapper (see its docstring).
    Miyato et al. used d_steps = 1 for the hinge loss with Adam(2e-4, 0.5, 0.999) on
    standard CNNs (their Table 1, setting C). d_real and d_fake log the mean scores.
    """

    preset_arguments = ("loss", "loss_options")

    def __init__(self, generator, discriminator, latent_dim, d_steps=1, **kwargs):
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, loss="hinge", **kwargs)
