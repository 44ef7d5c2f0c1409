"""The GAN of Goodfellow et al. 2014, "Generative Adversarial Nets"."""

import keras
from keras import ops

from gan_zoo import losses
from gan_zoo.models.base import BaseGAN, check_choice

GENERATOR_LOSSES = {
    "non_saturating": losses.non_saturating_generator_loss,
    "minimax": losses.minimax_generator_loss,
}


@keras.saving.register_keras_serializable(package="gan_zoo")
class GAN(BaseGAN):
    """Goodfellow et al. 2014, Algorithm 1: k discriminator steps, then one generator step.

    Args:
      loss: "non_saturating" (G maximises log D(G(z)), the paper's practical choice in
        section 3, default) or "minimax" (G minimises log(1 - D(G(z))), eq. 1).
      label_smoothing: one-sided smoothing s: real targets 1 - s, fake targets 0
        (Salimans et al. 2016). 0 in the original paper.
      d_steps: k; the paper used k = 1 in its experiments.
    """

    tracked = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, generator, discriminator, latent_dim, d_steps=1,
                 loss="non_saturating", label_smoothing=0.0, **kwargs):
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, **kwargs)
        self.loss_name = check_choice("loss", loss, GENERATOR_LOSSES)
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
        self.label_smoothing = float(label_smoothing)

    def discriminator_loss(self, real_out, fake_out):
        return losses.minimax_discriminator_loss(real_out, fake_out, self.label_smoothing)

    def generator_loss(self, fake_out):
        return GENERATOR_LOSSES[self.loss_name](fake_out)

    def summaries(self, real_out, fake_out, penalty):
        return {"d_real": ops.sigmoid(real_out), "d_fake": ops.sigmoid(fake_out)}

    def get_config(self):
        return {**super().get_config(), "loss": self.loss_name,
                "label_smoothing": self.label_smoothing}
