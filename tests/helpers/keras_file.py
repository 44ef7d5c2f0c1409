"""Save trained GANs as .keras on one backend; load them and train on under another.

`python keras_file.py [load DIR V,V...] [save DIR V,V...]`: `load` loads DIR/V.keras under
KERAS_BACKEND, checks the samples, both optimizers' step counts and Adam's moments, and
trains two more steps; `save` trains two steps of each variant (or of "biggan" or
"stylegan2", GANs on those networks) and writes DIR/V.keras and DIR/V.npy
(generate(16, seed=0)). One process may load one backend's files and save its own: it
prints JSON {variant: figures} of what it loaded. `main` does the same in a process that
already runs the backend (the TensorFlow pass's own).
"""

import json
import os
import sys

import keras
import numpy as np

from gan_zoo import models, networks

# "biggan": the hinge GAN on BigGAN's conditional networks (16 x 16 images, 3 classes);
# "stylegan2": the GAN on StyleGAN2's networks with path length regularization.
IMAGE_SHAPE, BIGGAN_CLASSES = (16, 16, 1), 3


def real_data(gan):
    shape = IMAGE_SHAPE if len(gan.discriminator.inputs[0].shape) == 4 else (2,)
    x = np.random.default_rng(0).normal(size=(64 * gan.d_steps, *shape)).astype("float32")
    if gan.conditional:
        return x, np.arange(len(x)) % BIGGAN_CLASSES
    y = np.tile(np.arange(-1, 7), len(x) // 8)
    return (x, y) if gan.needs_labels else (x, None)


def save(folder, variant):
    keras.utils.set_random_seed(0)
    if variant == "stylegan2":
        g, d = networks.build_networks("stylegan2", IMAGE_SHAPE, 4, is_image=True, base_filters=4,
                                       mapping_layers=2)
        gan = models.VARIANTS["gan"](g, d, latent_dim=4, seed=0, generator_penalties={"path_length": 2.0})
    elif variant == "biggan":
        g, d = networks.build_networks("biggan", IMAGE_SHAPE, 3, is_image=True, base_filters=4,
                                       spectral_norm=True, num_classes=BIGGAN_CLASSES,
                                       conditioning="projection")
        gan = models.VARIANTS["hinge"](g, d, latent_dim=3, seed=0, num_classes=BIGGAN_CLASSES,
                                       generator_penalties={"orthogonal": 1e-4})
    else:
        cls = models.VARIANTS[variant]
        g, d = networks.build_networks("mlp", (2,), 2, is_image=False, hidden_units=(16, 16), embedding_dim=4,
                                       discriminator=cls.discriminator_kind,
                                       num_outputs=7 if cls.needs_labels else 1,
                                       minibatch_kernels=4 if variant == "improved_gan" else 0)
        gan = cls(g, d, latent_dim=2, seed=0)
    train_and_save(gan, folder, variant)


def train_and_save(gan, folder, variant):
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(1e-3))
    x, y = real_data(gan)
    gan.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    gan.save(os.path.join(folder, f"{variant}.keras"))
    np.save(os.path.join(folder, f"{variant}.npy"), gan.generate(16, seed=0))


def load(folder, variant):
    gan = keras.saving.load_model(os.path.join(folder, f"{variant}.keras"))
    same = bool(np.allclose(gan.generate(16, seed=0), np.load(os.path.join(folder, f"{variant}.npy")),
                            atol=1e-5))
    moments = [float(np.abs(v.numpy()).sum()) for v in gan.d_optimizer.variables[2:]]
    x, y = real_data(gan)
    before = int(gan.g_optimizer.iterations)
    gan.fit(x, y, batch_size=32, epochs=1, verbose=0, shuffle=False)
    return {"same_samples": same, "g_steps_loaded": before,
            # (a critic's output bias gets no gradient from E D(x) - E D(G(z)))
            "d_moments_nonzero": sum(m > 0 for m in moments) > len(moments) // 2,
            "g_steps_after": int(gan.g_optimizer.iterations), "backend": keras.backend.backend()}


def main(args: list) -> dict:
    """`args` as on the command line; returns {variant: figures} of what was loaded."""
    loaded = {}
    for mode, folder, variants in zip(args[0::3], args[1::3], args[2::3], strict=True):
        for variant in variants.split(","):
            if mode == "load":
                loaded[variant] = load(folder, variant)
            else:
                save(folder, variant)
    return loaded


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
