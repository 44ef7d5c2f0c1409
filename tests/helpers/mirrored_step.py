"""One train step of a variant on one device and under MirroredStrategy on 2 logical CPUs.

Run as a subprocess: logical devices must be set before TensorFlow starts. The noise
(and WGAN-GP's interpolation weights) are made functions of each real example, so both
runs draw the same values for the same example and their weights must agree. Prints
JSON: the largest weight difference, both runs' logs, and whether the replicas' ordinary
noise differs, for each variant named on the command line.
"""

import json
import sys
import threading

import numpy as np
import tensorflow as tf

cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import step_cases  # noqa: E402

from gan_zoo import networks  # noqa: E402

VARIANTS, BATCH, LATENT = sys.argv[1:], 16, 4


def shape(variant):
    # A DCGAN critic with layer norm: the replicas' penalty passes, traced in threads of
    # their own, must take the norm's full second derivatives as one device does.
    return (16, 16, 1) if variant.endswith("+layer_norm_critic") else (2,)


def build(variant):
    """The variant (`step_cases`), on MLPs, or with "+layer_norm_critic" on DCGAN networks."""
    keras.utils.set_random_seed(0)
    cls, option, extra = step_cases.parse(variant)
    if option == "layer_norm_critic":
        g, d = networks.build_networks("dcgan", shape(variant), LATENT, is_image=True, base_filters=4,
                                       kernel_size=3, norm="layer", discriminator=cls.discriminator_kind)
    else:
        g, d = networks.build_networks("mlp", (2,), LATENT, is_image=False, hidden_units=(16,),
                                       discriminator=cls.discriminator_kind,
                                       spectral_norm=option == "spectral_norm")
    gan = cls(g, d, latent_dim=LATENT, seed=0, **extra)
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-2), d_optimizer=keras.optimizers.Adam(1e-2))
    return gan


def tie_randomness_to_examples(gan):
    current = threading.local()  # per replica: their threads switch at every all-reduce

    def remembering(step):
        def wrapped(real, *args):
            current.real = tf.reshape(real, [tf.shape(real)[0], -1])
            return step(real, *args)
        return wrapped

    gan.discriminator_step = remembering(gan.discriminator_step)
    gan.generator_step = remembering(gan.generator_step)
    gan.sample_noise = lambda n: tf.sin(current.real[:, :1] * tf.constant([[1.0, 2.0, 3.0, 4.0]]))
    # The gradient penalty's epsilon (the only other draw), tied to the examples too.
    gan.uniform = lambda shape: tf.sigmoid(current.real[:, 0])


def one_step(strategy, variant):
    with strategy.scope():
        gan = build(variant)
    tie_randomness_to_examples(gan)
    real = np.random.default_rng(1).normal(size=(BATCH * gan.d_steps, *shape(variant))).astype("float32")
    history = gan.fit(tf.data.Dataset.from_tensor_slices(real).batch(BATCH),
                      epochs=1, verbose=0, shuffle=False).history
    return gan, {k: float(v[-1]) for k, v in history.items()}


def compare(variant, mirrored_strategy):
    single, single_logs = one_step(tf.distribute.get_strategy(), variant)
    mirrored, mirrored_logs = one_step(mirrored_strategy, variant)
    pairs = zip(single.generator.weights + single.discriminator.weights,
                mirrored.generator.weights + mirrored.discriminator.weights, strict=True)
    diff = max(float(np.max(np.abs(a.numpy() - b.numpy()))) for a, b in pairs)
    with mirrored_strategy.scope():
        plain = build(variant)
    per_replica = mirrored_strategy.experimental_local_results(
        tf.function(lambda: mirrored_strategy.run(lambda: plain.sample_noise(8)))())
    return {"max_weight_diff": diff, "single_logs": single_logs, "mirrored_logs": mirrored_logs,
            "noise_differs": not np.allclose(per_replica[0], per_replica[1])}


strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
print(json.dumps({variant: compare(variant, strategy) for variant in VARIANTS}))
