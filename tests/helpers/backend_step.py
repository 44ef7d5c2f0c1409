"""One train step of every variant on the backend KERAS_BACKEND names, from fixed state.

Run as a subprocess (Keras fixes its backend per process): `python backend_step.py OUT.npz`.
Every variable of G and D starts from values drawn by numpy, the noise (and WGAN-GP's
interpolation weights) is numpy's too, keyed by the order of the draws in the step, and
the data is fixed: the two backends start from the same numbers and must end at the same
weights. Optimizers are SGD, whose update is linear in the gradient (Adam's sign-like
first steps would amplify float round-off of near-zero gradients).
"""

import sys

import keras
import numpy as np

from gan_zoo import models, networks

BATCH, LATENT = 8, 3
CASES = {  # name: (variant, constructor arguments, networks)
    "gan": ("gan", {}, "mlp"),
    "gan_minimax_k2": ("gan", {"loss": "minimax", "d_steps": 2}, "mlp"),
    "gan_dcgan_reuse": ("gan", {"reuse_generator_pass": True}, "dcgan"),
    "improved_gan": ("improved_gan", {"adversarial_weight": 1.0, "historical_weight": 0.1}, "mlp"),
    "semi_supervised": ("semi_supervised", {}, "mlp"),
    "ebgan": ("ebgan", {"margin": 1.0, "pt_weight": 1.0}, "mlp"),
    # The ebgan config's D: a DCGAN autoencoder with batch norm in its decoder, under R1.
    "ebgan_dcgan_r1": ("ebgan", {"margin": 1.0, "pt_weight": 1.0, "penalties": {"r1": 1.0},
                                 "reuse_generator_pass": True}, "dcgan"),
    "wgan": ("wgan", {"d_steps": 2}, "mlp"),
    "wgan_gp": ("wgan_gp", {"d_steps": 2}, "mlp"),
    "wgan_gp_reuse": ("wgan_gp", {"d_steps": 2, "reuse_generator_pass": True}, "mlp"),
    "lsgan": ("lsgan", {}, "mlp"),
    "hinge": ("hinge", {}, "mlp"),  # hinge cases: with spectral norm on D
    "hinge_dcgan_r1": ("hinge", {"penalties": {"r1": 1.0}}, "dcgan"),  # the hinge configs' D
    "gan_lazy_r1": ("gan", {"penalties": {"r1": 1.0}, "penalty_interval": 2}, "mlp"),  # its own D update
    "gan_dcgan_r1": ("gan", {"penalties": {"r1": 1.0}}, "dcgan"),  # the penalty pass leaves D's BN statistics
    # BigGAN's networks (self-attention, G's batch norms conditioned on z's chunks, spectral
    # norm throughout) with orthogonal regularization and the reused generator pass.
    "biggan": ("hinge", {"generator_penalties": {"orthogonal": 0.01}, "reuse_generator_pass": True},
               "biggan"),
    # StyleGAN2's networks (modulated convolutions, the FIR filter, minibatch stddev) with
    # R1 and path length regularization; its noise inputs held at strength 0 and style
    # mixing off, whose draws are each backend's own random numbers.
    "stylegan2": ("gan", {"penalties": {"r1": 1.0}, "generator_penalties": {"path_length": 2.0}},
                  "stylegan2"),
}


def fixed_noise(gan):
    """Replace the seed generator's draws by numpy's, the i-th draw of a step always the
    same numbers: on both backends the step draws in the same order."""
    step = gan.adversarial_step
    count = [0]

    def drawing(kind):
        def draw(shape):
            count[0] += 1
            rng = np.random.default_rng(1000 + count[0])
            values = getattr(rng, kind)(size=tuple(int(s) for s in shape))
            return keras.ops.convert_to_tensor(values.astype("float32"))
        return draw

    def adversarial_step(data):
        count[0] = 0
        return step(data)

    gan.normal, gan.uniform = drawing("normal"), drawing("uniform")
    gan.adversarial_step = adversarial_step


def build(variant, hyper, kind):
    cls = models.VARIANTS[variant]
    image = kind in ("dcgan", "biggan", "stylegan2")
    shape = (16, 16, 1) if image else (2,)  # 16: D has a batch-norm layer
    g, d = networks.build_networks(kind, shape, LATENT, is_image=image, hidden_units=(16, 16),
                                   base_filters=4, kernel_size=3, embedding_dim=4,
                                   discriminator=cls.discriminator_kind,
                                   num_outputs=3 if cls.needs_labels else 1,
                                   spectral_norm=variant == "hinge",  # and so BigGAN's
                                   mapping_layers=2, style_mixing=0.0)
    rng = np.random.default_rng(0)
    for v in [*g.weights, *d.weights]:
        values = rng.normal(scale=0.3, size=v.shape)
        v.assign((np.abs(values) + 1.0 if "variance" in v.path else values).astype(v.dtype))
        if "noise_strength" in v.path:
            v.assign(0.0)
    gan = cls(g, d, latent_dim=LATENT, seed=0, **hyper)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.05), d_optimizer=keras.optimizers.SGD(0.05))
    fixed_noise(gan)
    return gan, shape


def main(out):
    results = {}
    for name, (variant, hyper, kind) in CASES.items():
        gan, shape = build(variant, hyper, kind)
        start = [np.asarray(v.numpy()) for v in [*gan.generator.weights, *gan.discriminator.weights]]
        rng = np.random.default_rng(1)
        x = rng.normal(size=(BATCH * gan.d_steps, *shape)).astype("float32")
        y = np.tile([0, 1, 2, -1], len(x) // 4)
        logs = gan.fit(x, y if gan.needs_labels else None, batch_size=BATCH, epochs=1, shuffle=False,
                       verbose=0).history
        for i, v in enumerate([*gan.generator.weights, *gan.discriminator.weights]):
            if "noise_strength" in v.path:  # its gradient weighs each backend's own noise draws
                continue
            results[f"{name}/weight{i}"] = np.asarray(v.numpy())
            results[f"{name}/start{i}"] = start[i]
        for key, values in logs.items():
            results[f"{name}/log/{key}"] = np.asarray(values[-1])
    np.savez(out, **results)


if __name__ == "__main__":
    main(sys.argv[1])
