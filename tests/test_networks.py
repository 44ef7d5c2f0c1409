"""Network builders: shapes for each supported size and clear errors for the rest."""

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
