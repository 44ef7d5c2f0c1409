"""Energy-based GAN (Zhao et al. 2017)."""

import keras
from keras import ops

from gan_zoo import losses
from gan_zoo.models.base import BaseGAN


@keras.saving.register_keras_serializable(package="gan_zoo")
class EBGAN(BaseGAN):
    """Zhao et al. 2017: the discriminator is an autoencoder and its energy is the
    per-sample mean squared reconstruction error D(x) = mean ||Dec(Enc(x)) - x||^2.

    L_D = D(x) + [m - D(G(z))]^+ and L_G = D(G(z)) + pt_weight * PT(S), with PT the
    pulling-away term over the encoder's embeddings S of the generated batch (i != j
    pairs only): a preset of the base's "energy" loss pair, with the generator objective
    extended by PT. The discriminator must return [reconstruction, embedding]
    (`gan_zoo.networks.autoencoder_discriminator`).

    Defaults: margin m = 10 (the paper's MNIST value; its per-dataset margins are in the
    configs) and pt_weight = 0.1 (EBGAN-PT, section 2.4). Under a strategy PT runs over
    the global generated batch, gathered across replicas, as on one device.
    """

    also_logged = {"pulling_away": ("penalty/pulling_away", "EBGAN's pulling-away term on G's embeddings, "
                                    "in [0, 1], part of G's loss")}
    discriminator_kind = "autoencoder"
    preset_arguments = ("loss", "loss_options")

    def __init__(self, generator, discriminator, latent_dim, d_steps=1, margin=10.0,
                 pt_weight=0.1, **kwargs):
        if len(discriminator.outputs) != 2:
            raise ValueError("EBGAN needs an autoencoder discriminator returning "
                             "[reconstruction, embedding]; see networks.autoencoder_discriminator.")
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, loss="energy",
                         loss_options={"margin": float(margin)}, **kwargs)
        self.margin = float(margin)
        self.pt_weight = float(pt_weight)

    def energy_and_embedding(self, x, training=True):
        x = self.augmented(x, training)  # the energy is of what D is given
        reconstruction, embedding = self.discriminator(x, training=training)
        return losses.reconstruction_energy(x, reconstruction), embedding

    def critic(self, x, labels=None, training=True):
        return self.energy_and_embedding(x, training)[0]

    def generator_objective(self, real, fake, labels=None):
        fake_energy, embedding = self.energy_and_embedding(fake)
        g_loss = self.generator_loss(fake_energy)  # D(G(z))
        pulling_away = losses.pulling_away_term(self.global_batch(ops.cast(embedding, "float32")))
        objective = self.average(g_loss) + self.average_scalar(self.pt_weight * pulling_away)
        return self.add_generator_penalties(objective, {"g_loss": g_loss + self.pt_weight * pulling_away,
                                                        "pulling_away": pulling_away}, fake, labels)

    def get_config(self):
        return {**super().get_config(), "margin": self.margin, "pt_weight": self.pt_weight}
