"""Network builders: shapes for each supported size and clear errors for the rest."""

import keras
import numpy as np
import pytest

from gan_zoo import networks


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3), (8, 8, 1)])
def test_dcgan_shapes_and_ranges(shape):
    g, d = networks.build_networks("dcgan", shape, 16, is_image=True, base_filters=8)
    images = np.asarray(g(np.random.normal(size=(3, 16)).astype("float32")))
    assert images.shape == (3, *shape)
    assert images.min() >= -1.0 and images.max() <= 1.0  # tanh output, the data's range
    assert d(images).shape == (3, 1)
    assert d.get_layer("features") is not None


def test_toy_generator_outputs_coordinates():
    g, d = networks.build_networks("mlp", (2,), 2, is_image=False)
    assert g.layers[-2].activation.__name__ == "linear"
    assert g(np.zeros((5, 2), "float32")).shape == (5, 2)


def test_unsupported_image_size_says_what_works():
    with pytest.raises(ValueError, match="s \\* 2\\^n"):
        networks.build_networks("dcgan", (30, 30, 1), 8, is_image=True)
    with pytest.raises(ValueError, match="use networks.kind='mlp'"):
        networks.build_networks("dcgan", (2,), 8, is_image=False)


def test_spectral_normalization_wraps_weight_layers():
    _, d = networks.build_networks("dcgan", (28, 28, 1), 8, is_image=True, base_filters=8,
                                   norm="none", spectral_norm=True)
    wrapped = [layer for layer in d.layers if type(layer).__name__ == "SpectralNormalization"]
    assert len(wrapped) == 3  # two convolutions and the logit


def test_resnet_networks_follow_gulrajani_appendix_f():
    g, d = networks.build_networks("resnet", (32, 32, 3), 128, is_image=True, base_filters=16, norm="none")
    assert g.output_shape == (None, 32, 32, 3) and d.output_shape == (None, 1)
    # Three up-sampling blocks from 4x4 in G; in the critic two down-sampling blocks to 8x8,
    # two more, no batch norm, global pooling into the features.
    blocks = [layer.name for layer in g.layers if layer.name in {f"block_{i}" for i in range(9)}]
    assert blocks == ["block_0", "block_1", "block_2"]
    assert d.get_layer("block_3").output.shape[1:3] == (8, 8)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in d.layers)
    assert d.get_layer("features").output.shape == (None, 16)
    from zoo_configs.common import zoo_config

    config = zoo_config("wgan_gp", "cifar10")
    assert config.networks.kind == "resnet" and config.model.latent_dim == 128
    assert zoo_config("gan", "cifar10").networks.kind == "dcgan"


def test_a_resnet_wgan_gp_takes_finite_steps():
    from gan_zoo import models

    g, d = networks.build_networks("resnet", (8, 8, 3), 8, is_image=True, base_filters=4, norm="none")
    gan = models.WGANGP(g, d, latent_dim=8, d_steps=2, seed=0)
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(1e-3))
    before = [w.numpy().copy() for w in g.trainable_weights]
    real = np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 3)).astype("float32")
    logs = [gan.train_on_batch(real, return_dict=True) for _ in range(2)][-1]
    assert all(np.isfinite(v) for v in logs.values()) and logs["gradient_penalty"] >= 0
    assert any(not np.allclose(a, b.numpy()) for a, b in zip(before, g.trainable_weights, strict=True))


def test_salimans_mnist_networks_have_their_widths_noise_and_output_range():
    """improved_gan_mlp: G's sigmoid mapped to [-1, 1]; D noisy in training only, its
    "features" the last 250-unit hidden layer, every Dense weight-normalised."""
    from gan_zoo import layers

    g, d = networks.build_networks("improved_gan_mlp", (28, 28, 1), 100, is_image=True,
                                   hidden_units=(1000, 500, 250, 250, 250), num_outputs=10)
    images = keras.ops.convert_to_numpy(g(np.random.default_rng(0).normal(size=(16, 100)).astype("float32")))
    assert images.shape == (16, 28, 28, 1) and images.min() >= -1 and images.max() <= 1
    assert [la.layer.units for la in d.layers if isinstance(la, layers.WeightNormalization)] == [
        1000, 500, 250, 250, 250, 10]
    assert d.get_layer("features").output.shape[-1] == 250
    x = np.zeros((4, 28, 28, 1), "float32")
    np.testing.assert_array_equal(d(x, training=False), d(x, training=False))
    assert not np.allclose(d(x, training=True), d(x, training=False))
    with pytest.raises(ValueError, match="builds an unconditional classifier D"):
        networks.build_networks("improved_gan_mlp", (28, 28, 1), 100, is_image=True,
                                discriminator="autoencoder")
