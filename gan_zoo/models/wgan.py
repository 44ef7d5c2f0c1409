"""Wasserstein GAN (Arjovsky et al. 2017) and WGAN-GP (Gulrajani et al. 2017)."""

import keras
from keras import ops

from gan_zoo.layers import WeightClip
from gan_zoo.models.base import BaseGAN

# The reference code's critic schedule (not in the paper): 100 critic iterations for the
# first 25 generator iterations and for every 500th one.
BURST_CRITIC_STEPS, BURST_FIRST, BURST_EVERY = 100, 25, 500


@keras.saving.register_keras_serializable(package="gan_zoo")
class WGAN(BaseGAN):
    """Arjovsky et al. 2017, Algorithm 1.

    The critic (linear output) maximises E D(x) - E D(G(z)); after every critic update
    each of its weights is clipped to [-clip_value, clip_value]; the generator minimises
    -E D(G(z)). A preset of the base's "wasserstein" loss pair and a `WeightClip`
    constraint. Paper defaults: d_steps (n_critic) = 5, clip_value (c) = 0.01, RMSProp
    with learning rate 5e-5 (set in the configs).

    Args:
      reference_schedule: the authors' code runs 100 critic steps for the first 25
        generator steps and every 500th; the paper does not, so it is off by default.
        When on, the extra critic steps cycle over the batch's k real minibatches, and
        every generator step makes a fresh generator pass (`reuse_generator_pass` does
        not apply to this schedule). Refused across TensorFlow replicas; JAX's
        DataParallel runs it.
    """

    preset_arguments = ("loss", "loss_options", "discriminator_constraint")

    def __init__(self, generator, discriminator, latent_dim, d_steps=5, clip_value=0.01,
                 reference_schedule=False, **kwargs):
        clip = WeightClip(clip_value)
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, loss="wasserstein",
                         discriminator_constraint=clip, **kwargs)
        self.clip_value = clip.clip_value
        self.reference_schedule = bool(reference_schedule)
        self.has_extra_discriminator_steps = self.reference_schedule
        if self.reference_schedule and self.stepper.num_replicas() > 1:
            raise ValueError(
                "WGAN's reference_schedule runs a data-dependent number of critic updates (a while "
                "loop), and tf.distribute cannot aggregate gradients inside one (merge_call in control "
                "flow): train it on one device, or on JAX, where keras.distribution.DataParallel runs it.")

    def extra_discriminator_steps(self, minibatches):
        """The reference schedule's critic steps beyond the k: up to 100 in all for the
        first 25 generator steps and every 500th, cycling over the k minibatches."""
        g_step = ops.convert_to_tensor(self.g_optimizer.iterations)
        burst = ops.logical_or(g_step < BURST_FIRST, g_step % BURST_EVERY == 0)
        extra = ops.where(burst, BURST_CRITIC_STEPS - self.d_steps, 0)
        stacked = ops.stack([images for images, _ in minibatches])

        def critic_step(i):
            self.discriminator_step(ops.take(stacked, i % self.d_steps, axis=0))

        self.stepper.repeat(extra, critic_step)

    def get_config(self):
        return {**super().get_config(), "clip_value": self.clip_value,
                "reference_schedule": self.reference_schedule}


@keras.saving.register_keras_serializable(package="gan_zoo")
class WGANGP(BaseGAN):
    """Gulrajani et al. 2017, Algorithm 1: WGAN with a gradient penalty, no clipping.

    A preset of the base's "wasserstein" loss pair and its "gradient_penalty"
    (`models.penalties`): gp_weight * (||grad D(x_hat)||_2 - 1)^2 on
    x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] drawn per sample. Paper defaults:
    gp_weight (lambda) = 10, d_steps = 5, Adam(1e-4, beta_1=0, beta_2=0.9) (in the
    configs). The critic must not use batch norm, which couples the samples the penalty
    treats independently: the configs use layer norm or none. Further penalties can be
    added with `penalties`.
    """

    preset_arguments = ("loss", "loss_options")

    def __init__(self, generator, discriminator, latent_dim, d_steps=5, gp_weight=10.0,
                 penalties=None, **kwargs):
        if "gradient_penalty" in (penalties or {}):
            raise ValueError("WGANGP sets the gradient penalty's weight with gp_weight, not penalties.")
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, loss="wasserstein",
                         penalties={"gradient_penalty": gp_weight, **(penalties or {})}, **kwargs)
        self.gp_weight = float(gp_weight)

    def get_config(self):
        config = super().get_config()
        config["penalties"] = {k: v for k, v in config["penalties"].items() if k != "gradient_penalty"}
        return {**config, "gp_weight": self.gp_weight}
