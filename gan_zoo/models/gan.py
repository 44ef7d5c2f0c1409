"""The GAN of Goodfellow et al. 2014, "Generative Adversarial Nets"."""

import keras

from gan_zoo.models.base import BaseGAN, check_choice


@keras.saving.register_keras_serializable(package="gan_zoo")
class GAN(BaseGAN):
    """Goodfellow et al. 2014, Algorithm 1: k discriminator steps, then one generator step.

    A preset of the base's "non_saturating" / "minimax" loss pairs on D's logits.

    Args:
      loss: "non_saturating" (G maximises log D(G(z)), the paper's practical choice in
        section 3, default) or "minimax" (G minimises log(1 - D(G(z))), eq. 1).
      label_smoothing: one-sided smoothing s: real targets 1 - s, fake targets 0
        (Salimans et al. 2016). 0 in the original paper.
      d_steps: k; the paper used k = 1 in its experiments.
    """

    preset_arguments = ("loss_options",)

    def __init__(self, generator, discriminator, latent_dim, d_steps=1,
                 loss="non_saturating", label_smoothing=0.0, **kwargs):
        check_choice("loss", loss, ("non_saturating", "minimax"))
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
        self.label_smoothing = float(label_smoothing)
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, loss=loss,
                         loss_options={"label_smoothing": self.label_smoothing}, **kwargs)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}
