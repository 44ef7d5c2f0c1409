"""The GAN of Goodfellow et al. 2014, "Generative Adversarial Nets"."""

import keras
import tensorflow as tf

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

    Subclasses change the game through `discriminator_loss`, `generator_loss`,
    `penalty` and `after_discriminator_step`, and what they log through `summaries`.
    """

    tracked = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, generator, discriminator, latent_dim, d_steps=1,
                 loss="non_saturating", label_smoothing=0.0, **kwargs):
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, **kwargs)
        self.loss_name = check_choice("loss", loss, GENERATOR_LOSSES)
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
        self.label_smoothing = float(label_smoothing)

    # The few lines a paper changes.
    def discriminator_loss(self, real_out, fake_out):
        return losses.minimax_discriminator_loss(real_out, fake_out, self.label_smoothing)

    def generator_loss(self, fake_out):
        return GENERATOR_LOSSES[self.loss_name](fake_out)

    def penalty(self, real, fake):
        """Per-example regulariser added to the discriminator loss (none here)."""
        return None

    def after_discriminator_step(self):
        """Runs after every discriminator update (WGAN clips weights here)."""

    def summaries(self, real_out, fake_out, penalty):
        return {"d_real": tf.sigmoid(real_out), "d_fake": tf.sigmoid(fake_out)}

    def train_step(self, data):
        for real in self.real_minibatches(data):  # k steps of the discriminator
            fake = self.generator(self.sample_noise(tf.shape(real)[0]), training=True)
            with tf.GradientTape() as tape:
                real_out = self.discriminator(real, training=True)
                fake_out = self.discriminator(fake, training=True)
                d_loss = self.discriminator_loss(real_out, fake_out)
                penalty = self.penalty(real, fake)
                if penalty is not None:
                    d_loss += penalty
                d_objective = self.average(d_loss)
            self.step(self.d_optimizer, tape, d_objective, self.discriminator)
            self.after_discriminator_step()
        # One step of the generator on a fresh minibatch of noise.
        with tf.GradientTape() as tape:
            fake_out_g = self.discriminator(
                self.generator(self.sample_noise(tf.shape(real)[0]), training=True), training=True
            )
            g_loss = self.generator_loss(fake_out_g)
            g_objective = self.average(g_loss)
        self.step(self.g_optimizer, tape, g_objective, self.generator)
        return self.record(d_loss=d_loss, g_loss=g_loss,
                           **self.summaries(real_out, fake_out, penalty))

    def get_config(self):
        return {**super().get_config(), "loss": self.loss_name,
                "label_smoothing": self.label_smoothing}
