"""Class-conditional GANs: the conditioning layers and networks, ACGAN's objectives and
the labels API of `generate` and the exported generator. Every test here runs on both
backends; the label-aware metrics are tested in test_metrics.py and the tools on a
conditional run in test_train_tool.py."""

import keras
import numpy as np
import pytest
from keras import ops

from gan_zoo import data, layers, models, networks

pytestmark = pytest.mark.backends("jax", "torch")
RING = data.toy_spec("ring8").modes


def numpy(x):
    return ops.convert_to_numpy(x)


# -- layers and networks --------------------------------------------------------------------


def test_concat_labels_joins_a_one_hot_label_to_vectors_and_to_every_pixel(tmp_path):
    labels = np.array([2, 0], "int32")
    z = np.arange(6, dtype="float32").reshape(2, 3)
    joined = numpy(layers.ConcatLabels(4)([ops.convert_to_tensor(z), ops.convert_to_tensor(labels)]))
    np.testing.assert_array_equal(joined, [[0, 1, 2, 0, 0, 1, 0], [3, 4, 5, 1, 0, 0, 0]])

    x_in, y_in = keras.Input((5, 5, 1)), keras.Input((), dtype="int32")
    model = keras.Model([x_in, y_in], layers.ConcatLabels(4)([x_in, y_in]))
    images = np.random.default_rng(0).normal(size=(2, 5, 5, 1)).astype("float32")
    out = numpy(model([images, labels]))
    assert out.shape == (2, 5, 5, 5)
    np.testing.assert_array_equal(out[..., :1], images)
    np.testing.assert_array_equal(out[0, :, :, 1:], np.broadcast_to([0, 0, 1, 0], (5, 5, 4)))  # class 2
    model.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(numpy(keras.saving.load_model(tmp_path / "m.keras")([images, labels])), out)
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        layers.ConcatLabels(0)


def test_the_projection_discriminator_adds_the_class_embedding_dotted_with_the_features():
    """Miyato & Koyama 2018, eq. 3: D(x, y) = psi(phi(x)) + embed(y) . phi(x)."""
    _, d = networks.build_networks("mlp", (2,), 2, is_image=False, hidden_units=(8,), num_classes=3,
                                   conditioning="projection")
    x = np.random.default_rng(0).normal(size=(6, 2)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2], "int32")
    out = numpy(d([x, y])).reshape(-1)
    features = numpy(keras.Model(d.inputs, d.get_layer("features").output)([x, y]))
    logit = d.get_layer("logit")
    psi = features @ numpy(logit.kernel) + numpy(logit.bias)
    embedding = numpy(d.get_layer("class_embedding").kernel)  # V: row y is embed(y)
    np.testing.assert_allclose(out, psi.reshape(-1) + np.sum(embedding[y] * features, axis=1), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("conditioning", ["concat", "projection"])
def test_conditional_networks_take_labels_and_their_output_depends_on_them(conditioning):
    g, d = networks.build_networks("dcgan", (28, 28, 1), 8, is_image=True, base_filters=4, num_classes=10,
                                   conditioning=conditioning)
    assert [tuple(i.shape) for i in g.inputs] == [(None, 8), (None,)]
    assert [tuple(i.shape) for i in d.inputs] == [(None, 28, 28, 1), (None,)]
    z = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    if conditioning == "projection":  # classes start with gamma 1 and beta 0 in every CBN
        for layer in g.layers:
            if isinstance(layer, layers.ConditionalBatchNormalization):
                layer.gamma.assign(np.random.default_rng(1).normal(1, 0.5, size=layer.gamma.shape))
        embedding = d.get_layer("class_embedding").kernel
        embedding.assign(np.random.default_rng(2).normal(size=embedding.shape))
    a, b = np.zeros(4, "int32"), np.full(4, 7, "int32")
    images_a, images_b = numpy(g([z, a], training=True)), numpy(g([z, b], training=True))
    assert np.abs(images_a - images_b).max() > 1e-3
    assert np.abs(numpy(d([images_a, a])) - numpy(d([images_a, b]))).max() > 1e-4
    assert networks.generator_classes(g) == 10


def test_conditioning_choices_are_checked():
    with pytest.raises(ValueError, match="conditioning must be one of"):
        networks.build_networks("mlp", (2,), 2, is_image=False, num_classes=3, conditioning="film")
    with pytest.raises(ValueError, match="needs num_classes"):
        networks.build_networks("mlp", (2,), 2, is_image=False, conditioning="concat")
    with pytest.raises(ValueError, match="autoencoder discriminator is not conditioned"):
        networks.build_networks("mlp", (2,), 2, is_image=False, num_classes=3, conditioning="concat",
                                discriminator="autoencoder")
    g, d = networks.build_networks("mlp", (2,), 2, is_image=False, num_classes=3, conditioning="concat")
    with pytest.raises(ValueError, match="pass num_classes"):
        models.GAN(g, d, latent_dim=2)
    plain_g, plain_d = networks.build_networks("mlp", (2,), 2, is_image=False)
    with pytest.raises(ValueError, match="not \\[z, labels\\]"):
        models.GAN(plain_g, plain_d, latent_dim=2, num_classes=3)
    with pytest.raises(ValueError, match="auxiliary_classifier"):
        models.ACGAN(g, d, latent_dim=2, num_classes=3)


# -- training ---------------------------------------------------------------------------------


def conditional_gan(variant="gan", conditioning="concat", lr=2e-3):
    cls = models.VARIANTS[variant]
    g, d = networks.build_networks("mlp", (2,), 2, is_image=False, hidden_units=(64, 64), num_classes=8,
                                   conditioning=conditioning, discriminator=cls.discriminator_kind,
                                   spectral_norm=variant == "hinge")
    gan = cls(g, d, latent_dim=2, seed=0, num_classes=8)
    beta_1, beta_2 = (0.0, 0.9) if variant == "hinge" else (0.5, 0.999)
    gan.compile(g_optimizer=keras.optimizers.Adam(lr, beta_1, beta_2),
                d_optimizer=keras.optimizers.Adam(lr, beta_1, beta_2))
    return gan


def distance_to_own_mode(gan, n=400):
    """Mean distance of samples of each ring8 class to that class's mode (data.load labels
    a toy's examples by their mode)."""
    labels = np.arange(n) % 8
    samples = gan.generate(n, seed=1, labels=labels)
    return float(np.linalg.norm(samples - RING[labels], axis=1).mean())


@pytest.mark.backends("jax")  # a minute or more a case eagerly on torch
@pytest.mark.parametrize("variant,conditioning", [("gan", "concat"), ("hinge", "projection"),
                                                  ("acgan", "concat")])
def test_the_label_chooses_the_mode(variant, conditioning):
    """On ring8, labelled by mode, samples of class k land on mode k: the untrained
    generator is about 1 from every mode; after training, within a fifth of that."""
    gan = conditional_gan(variant, conditioning)
    before = distance_to_own_mode(gan)
    gan.fit(data.load("ring8", 128, seed=0, with_labels=True)[0], steps_per_epoch=800, epochs=1, verbose=0)
    after = distance_to_own_mode(gan)
    assert before > 0.6
    assert after < 0.2 * before, f"{variant}/{conditioning}: {before:.3f} -> {after:.3f}"


def test_acgan_objectives_are_the_papers_equations():
    """D minimises -(L_S + L_C), G minimises -(L_C - L_S) (Odena et al. 2017, eqs. 2-3),
    computed here from D's two heads by hand."""
    gan = conditional_gan("acgan")
    rng = np.random.default_rng(0)
    real = ops.convert_to_tensor(rng.normal(size=(6, 2)).astype("float32"))
    fake = ops.convert_to_tensor(rng.normal(size=(6, 2)).astype("float32"))
    labels = np.array([0, 1, 2, 3, 4, 7], "int32")
    real_out, fake_out = numpy(gan.discriminator(real)), numpy(gan.discriminator(fake))

    def log_sigmoid(t):
        return -np.logaddexp(0.0, -t)

    def log_class(out):  # log P(C = c | X)
        logits = out[:, 1:]
        return logits[np.arange(6), labels] - np.log(np.exp(logits).sum(axis=1))

    l_s = log_sigmoid(real_out[:, 0]) + log_sigmoid(-fake_out[:, 0])
    l_c = log_class(real_out) + log_class(fake_out)
    objective, logs = gan.discriminator_objective(real, fake, ops.convert_to_tensor(labels))
    np.testing.assert_allclose(numpy(logs["d_loss"]), -(l_s + l_c), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(float(objective), np.mean(-(l_s + l_c)), rtol=1e-5)
    # G: -(L_C - L_S) on the fakes; the paper's (minimax) source term is log(1 - D(G(z))).
    _, g_logs = gan.generator_objective(real, fake, ops.convert_to_tensor(labels))
    np.testing.assert_allclose(numpy(g_logs["g_loss"]), log_sigmoid(-fake_out[:, 0]) - log_class(fake_out),
                               rtol=1e-5, atol=1e-5)


def test_a_conditional_gan_needs_labelled_batches():
    gan = conditional_gan()
    with pytest.raises(ValueError, match="fit it on \\(images, labels\\) batches"):
        gan.fit(data.load("ring8", 64, seed=0)[0], steps_per_epoch=1, epochs=1, verbose=0)


# -- generate and the exported generator ---------------------------------------------------


def test_generate_takes_labels_checks_them_and_round_trips(tmp_path):
    gan = conditional_gan()
    gan.fit(data.load("ring8", 64, seed=0, with_labels=True)[0], steps_per_epoch=2, epochs=1, verbose=0)
    samples, labels = gan.generate_labelled(200, seed=3)
    np.testing.assert_array_equal(gan.generate_labelled(200, seed=3)[1], labels)  # seeded classes
    assert set(labels) == set(range(8))
    np.testing.assert_array_equal(gan.generate(200, seed=3, labels=labels), samples)
    for bad, message in ((np.full(200, 8), r"labels must lie in \[0, 8\)"), (np.full(200, -1), "lie in"),
                         (np.zeros(5, int), "must be 200 integers"), (np.zeros(200), "must be 200 integers")):
        with pytest.raises(ValueError, match=message):
            gan.generate(200, seed=0, labels=bad)
    plain_g, plain_d = networks.build_networks("mlp", (2,), 2, is_image=False)
    with pytest.raises(ValueError, match="unconditional"):
        models.GAN(plain_g, plain_d, latent_dim=2).generate(3, labels=[0, 1, 2])

    path = str(tmp_path / "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.num_classes == 8
    np.testing.assert_array_equal(loaded.generate(200, seed=3, labels=labels), samples)
    loaded.fit(data.load("ring8", 64, seed=0, with_labels=True)[0], steps_per_epoch=2, epochs=1, verbose=0)
    # The generator alone, as the train tool exports it: [z, labels] -> samples.
    gan.generator.save(tmp_path / "generator.keras")
    generator = keras.saving.load_model(tmp_path / "generator.keras", safe_mode=True)
    z = np.random.default_rng(3).standard_normal((200, 2)).astype("float32")
    np.testing.assert_allclose(numpy(generator([z, labels.astype("int32")])),
                               gan.generate(200, seed=3, labels=labels), rtol=1e-6, atol=1e-6)
