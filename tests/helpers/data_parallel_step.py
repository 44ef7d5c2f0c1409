"""One train step of a variant on one JAX CPU device and under DataParallel on 2.

Run as a subprocess with KERAS_BACKEND=jax and
XLA_FLAGS=--xla_force_host_platform_device_count=2. As in mirrored_step.py, the noise
(and WGAN-GP's interpolation weights) are functions of each real example, so both runs
draw the same values and their weights must agree. Prints JSON: the largest weight
difference and both runs' logs, for each variant named on the command line.
"""

import json
import sys

import jax
import keras
import numpy as np
import step_cases
from keras import ops

from gan_zoo import networks

BATCH, LATENT = 16, 4
# The field's networks on 8 x 8 images, with their generator penalties: BigGAN's batch
# norms and orthogonal regularization; StyleGAN2's minibatch stddev (groups of 4 across
# the devices' rows) and path length, its noise inputs (at strength 0) and style mixing
# off, as in backend_step.py.
FIELD_NETWORKS = {"biggan": {"spectral_norm": True, "generator_penalties": {"orthogonal": 0.01}},
                  "stylegan2": {"mapping_layers": 2, "style_mixing": 0.0,
                                "generator_penalties": {"path_length": 2.0}}}


def data_shape(gan):
    return (8, 8, 1) if len(gan.discriminator.inputs[0].shape) == 4 else (2,)


def build(variant):
    cls, option, extra = step_cases.parse(variant)
    if option in FIELD_NETWORKS:
        options = dict(FIELD_NETWORKS[option])
        extra = {"generator_penalties": options.pop("generator_penalties")}
        g, d = networks.build_networks(option, (8, 8, 1), LATENT, is_image=True, base_filters=8,
                                       discriminator=cls.discriminator_kind, **options)
    else:
        g, d = networks.build_networks("mlp", (2,), LATENT, is_image=False, hidden_units=(16,),
                                       discriminator=cls.discriminator_kind,
                                       spectral_norm=option == "spectral_norm")
    rng = np.random.default_rng(0)  # the same start with and without the distribution
    for v in [*g.weights, *d.weights]:
        v.assign(rng.normal(scale=0.3, size=v.shape).astype(v.dtype) * ("noise_strength" not in v.path))
    gan = cls(g, d, latent_dim=LATENT, seed=0, **extra)
    # SGD: its update is linear in the gradient, which is what must agree (see backend_step.py).
    gan.compile(g_optimizer=keras.optimizers.SGD(0.05), d_optimizer=keras.optimizers.SGD(0.05))
    return gan


def tie_randomness_to_examples(gan):
    current = {}

    def remembering(step):
        def wrapped(real, *args):
            current["real"] = real
            return step(real, *args)
        return wrapped

    gan.discriminator_step = remembering(gan.discriminator_step)
    gan.generator_step = remembering(gan.generator_step)
    frequencies = ops.convert_to_tensor([[1.0, 2.0, 3.0, 4.0]])
    # n rows: the batch, or half of it for StyleGAN2's path length.
    gan.sample_noise = lambda n: ops.sin(ops.reshape(current["real"], (ops.shape(current["real"])[0], -1))
                                         [:n, :1] * frequencies)
    # The gradient penalty's epsilon, tied to the examples too, and the path length's image
    # of noise, a fixed pattern.
    gan.uniform = lambda shape: ops.sigmoid(current["real"][:, 0])
    gan.normal = lambda shape: ops.cos(ops.reshape(ops.arange(int(np.prod(shape)), dtype="float32"), shape))


def one_step(distribution, variant):
    keras.distribution.set_distribution(distribution)
    gan = build(variant)
    tie_randomness_to_examples(gan)
    real = np.random.default_rng(1).normal(size=(BATCH * gan.d_steps, *data_shape(gan))).astype("float32")
    history = gan.fit(real, batch_size=BATCH, epochs=1, verbose=0, shuffle=False).history
    keras.distribution.set_distribution(None)
    return gan, {k: float(v[-1]) for k, v in history.items()}


def compare(variant):
    single, single_logs = one_step(None, variant)
    parallel, parallel_logs = one_step(keras.distribution.DataParallel(devices=jax.devices()), variant)
    sharded = parallel.generator.weights[0].value.sharding
    pairs = zip(single.generator.weights + single.discriminator.weights,
                parallel.generator.weights + parallel.discriminator.weights, strict=True)
    diff = max(float(np.max(np.abs(a.numpy() - b.numpy()))) for a, b in pairs)
    return {"max_weight_diff": diff, "single_logs": single_logs, "parallel_logs": parallel_logs,
            "devices": len(sharded.device_set), "d_updates": int(parallel.d_optimizer.iterations.numpy())}


if __name__ == "__main__":
    assert len(jax.devices()) == 2, jax.devices()
    print(json.dumps({variant: compare(variant) for variant in sys.argv[1:]}))
