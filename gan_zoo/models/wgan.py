"""Wasserstein GAN (Arjovsky et al. 2017) and WGAN-GP (Gulrajani et al. 2017)."""

import keras
from keras import ops

from gan_zoo import losses
from gan_zoo.models.base import BaseGAN

# The reference code's critic schedule (not in the paper): 100 critic iterations for the
# first 25 generator iterations and for every 500th one.
BURST_CRITIC_STEPS, BURST_FIRST, BURST_EVERY = 100, 25, 500


@keras.saving.register_keras_serializable(package="gan_zoo")
class WGAN(BaseGAN):
    """Arjovsky et al. 2017, Algorithm 1.

    The critic (linear output) maximises E D(x) - E D(G(z)); after every critic update
    each of its weights is clipped to [-clip_value, clip_value]; the generator minimises
    -E D(G(z)). Paper defaults: d_steps (n_critic) = 5, clip_value (c) = 0.01, RMSProp
    with learning rate 5e-5 (set in the configs).

    Args:
      reference_schedule: the authors' code runs 100 critic steps for the first 25
        generator steps and every 500th; the paper does not, so it is off by default.
        When on, the extra critic steps cycle over the batch's k real minibatches, and
        every generator step makes a fresh generator pass (`reuse_generator_pass` does
        not apply to this schedule).
    """

    tracked = ("d_loss", "g_loss", "wasserstein")
    discriminator_outputs_logits = False
    discriminator_output_name = "critic score"

    def __init__(self, generator, discriminator, latent_dim, d_steps=5, clip_value=0.01,
                 reference_schedule=False, **kwargs):
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, **kwargs)
        self.clip_value = None if clip_value is None else float(clip_value)
        if self.clip_value is not None and self.clip_value <= 0:
            raise ValueError(f"clip_value must be positive, got {clip_value!r}.")
        self.reference_schedule = bool(reference_schedule)

    def discriminator_loss(self, real_out, fake_out):
        return losses.wasserstein_critic_loss(real_out, fake_out)

    def generator_loss(self, fake_out):
        return losses.wasserstein_generator_loss(fake_out)

    def after_discriminator_step(self):
        if self.clip_value is not None:  # Algorithm 1, line 7: after every critic update
            for w in self.discriminator.trainable_variables:
                w.assign(ops.clip(w, -self.clip_value, self.clip_value))

    def summaries(self, real_out, fake_out, penalty):
        # Per example: the tracker's mean over the batch is E D(x) - E D(G(z)).
        return {"wasserstein": ops.reshape(real_out - fake_out, (-1,))}

    def adversarial_step(self, data):
        if not self.reference_schedule:
            return super().adversarial_step(data)
        minibatches = self.real_minibatches(data)
        for real in minibatches:
            d_logs = self.discriminator_step(real)
        g_step = ops.convert_to_tensor(self.g_optimizer.iterations)
        burst = ops.logical_or(g_step < BURST_FIRST, g_step % BURST_EVERY == 0)
        extra = ops.where(burst, BURST_CRITIC_STEPS - self.d_steps, 0)
        stacked = ops.stack(minibatches)

        def critic_step(i):  # the extra steps cycle over the batch's k minibatches
            self.discriminator_step(ops.take(stacked, i % self.d_steps, axis=0))

        self.stepper.repeat(extra, critic_step)
        return self.record(**d_logs, **self.generator_step(real))

    def get_config(self):
        return {**super().get_config(), "clip_value": self.clip_value,
                "reference_schedule": self.reference_schedule}


@keras.saving.register_keras_serializable(package="gan_zoo")
class WGANGP(WGAN):
    """Gulrajani et al. 2017, Algorithm 1: WGAN with a gradient penalty, no clipping.

    Penalty gp_weight * (||grad D(x_hat)||_2 - 1)^2 on x_hat = eps x + (1 - eps) G(z),
    eps ~ U[0, 1] drawn per sample. Paper defaults: gp_weight (lambda) = 10,
    d_steps = 5, Adam(1e-4, beta_1=0, beta_2=0.9) (in the configs). The critic must not
    use batch norm, which couples the samples the penalty treats independently: the
    configs use layer norm or none.
    """

    tracked = ("d_loss", "g_loss", "wasserstein", "gradient_penalty")

    def __init__(self, generator, discriminator, latent_dim, d_steps=5, gp_weight=10.0, **kwargs):
        kwargs.pop("clip_value", None)
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, clip_value=None,
                         **kwargs)
        self.gp_weight = float(gp_weight)

    def penalty(self, real, fake):
        epsilon = self.draw("uniform", (ops.shape(real)[0],))
        return self.gp_weight * losses.gradient_penalty(self.stepper.input_gradient,
                                                        self.discriminator, real, fake, epsilon)

    def summaries(self, real_out, fake_out, penalty):
        return {**super().summaries(real_out, fake_out, penalty),
                "gradient_penalty": penalty / self.gp_weight}

    def get_config(self):
        config = super().get_config()
        config.pop("clip_value")
        return {**config, "gp_weight": self.gp_weight}
