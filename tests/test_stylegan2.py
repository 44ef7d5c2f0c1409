"""StyleGAN2 (Karras et al. 2020): its layers against their equations written out here, the
networks at every size with the authors' parameter counts, style mixing and truncation in
W, path length regularization through the trainer, and the zoo's presets."""

import math
import os

import keras
import numpy as np
import pytest
from keras import ops

from conftest import BACKEND, REPO, numpy, straight_and_resumed
from gan_zoo import backends, build, data, layers, models, networks
from gan_zoo.config import validate
from gan_zoo.layers import fir
from gan_zoo.models import penalties

pytestmark = pytest.mark.backends("jax", "torch")


def tensor(a):
    return ops.convert_to_tensor(np.asarray(a, "float32"))


def test_equalized_layers_store_unit_weights_and_scale_them_at_run_time():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 50)).astype("float32")
    dense = layers.EqualizedDense(4, lr_multiplier=0.01, bias_init=1.0)
    dense.build(x.shape)
    kernel = numpy(dense.kernel)
    assert kernel.std() == pytest.approx(100.0, rel=0.2)  # N(0, 1 / lr^2) stored
    np.testing.assert_allclose(numpy(dense(x)), x @ (kernel * 0.01 / math.sqrt(50)) + 1.0,
                               rtol=1e-5, atol=1e-5)
    conv = layers.EqualizedConv2D(5, 3, activation="lrelu")
    images = rng.normal(size=(2, 6, 6, 4)).astype("float32")
    conv.build(images.shape)
    plain = keras.layers.Conv2D(5, 3, padding="same", use_bias=False)
    plain.build(images.shape)
    plain.kernel.assign(numpy(conv.kernel) / math.sqrt(3 * 3 * 4))
    linear = numpy(plain(images))
    np.testing.assert_allclose(numpy(conv(images)), np.where(linear > 0, linear, 0.2 * linear) * math.sqrt(2),
                               rtol=1e-4, atol=1e-5)


def test_a_modulated_convolution_equals_explicit_per_example_weights_eqs_1_and_3():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 5, 3)).astype("float32")
    w = rng.normal(size=(2, 6)).astype("float32")
    layer = layers.ModulatedConv2D(4, 3, noise=False, activation=None)
    layer.build((x.shape, w.shape))
    layer.bias.assign(np.array([0.1, 0.2, 0.3, 0.4], "float32"))
    out = numpy(layer([tensor(x), tensor(w)]))
    styles = w @ (numpy(layer.affine.kernel) / math.sqrt(6)) + numpy(layer.affine.bias)  # bias starts at 1
    kernel = numpy(layer.kernel)
    for b in range(2):
        modulated = kernel * styles[b][None, None, :, None]  # w'_ijk = s_i w_ijk
        demodulated = modulated / np.sqrt((modulated ** 2).sum(axis=(0, 1, 2)) + 1e-8)  # eq. 3
        conv = keras.layers.Conv2D(4, 3, padding="same", use_bias=False)
        conv.build((1, 5, 5, 3))
        conv.kernel.assign(demodulated)
        np.testing.assert_allclose(out[b], numpy(conv(x[b : b + 1]))[0] + [0.1, 0.2, 0.3, 0.4],
                                   rtol=1e-4, atol=1e-4)


def test_demodulation_gives_unit_variance_outputs_for_unit_variance_inputs():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 32, 32, 16)).astype("float32")
    w = rng.normal(size=(4, 8)).astype("float32") * 3.0  # styles far from 1
    layer = layers.ModulatedConv2D(8, 3, noise=False, activation=None)
    out = numpy(layer([tensor(x), tensor(w)]))[:, 2:-2, 2:-2]  # away from the zero padding
    stds = out.std(axis=(1, 2))  # per example and channel, each from 784 correlated pixels
    assert abs(stds.mean() - 1.0) < 0.03 and np.abs(stds - 1.0).max() < 0.15, stds


def test_the_noise_input_starts_off_is_fixed_at_inference_and_fresh_in_training():
    x, w = tensor(np.zeros((2, 4, 4, 2))), tensor(np.ones((2, 3)))
    layer = layers.ModulatedConv2D(2, 3, activation=None)
    np.testing.assert_array_equal(numpy(layer([x, w], training=True)), 0.0)  # strength 0
    layer.noise_strength.assign(1.0)
    inference = numpy(layer([x, w]))
    np.testing.assert_array_equal(inference[0], inference[1])  # one fixed draw
    np.testing.assert_array_equal(inference, numpy(layer([x, w])))
    training = numpy(layer([x, w], training=True))
    assert not np.allclose(training[0], training[1])


def upfirdn(x, up, down):
    """numpy's upfirdn2d with the [1, 3, 3, 1] filter, for one channel of [H, W]."""
    taps = np.array([1, 3, 3, 1], "float32")
    kernel = np.outer(taps, taps) / 64 * up * up
    if up == 2:
        wide = np.zeros((2 * x.shape[0], 2 * x.shape[1]), "float32")
        wide[::2, ::2] = x
        x = wide
    pad = (1, 1) if down == 2 else (2, 1)
    x = np.pad(x, (pad, pad))
    out = np.array([[(x[i : i + 4, j : j + 4] * kernel).sum() for j in range(x.shape[1] - 3)]
                    for i in range(x.shape[0] - 3)], "float32")  # the filter is symmetric
    return out[::down, ::down]


@pytest.mark.parametrize("form", [fir.fir_by_depthwise_conv, fir.fir_by_shifted_slices, "layer"])
@pytest.mark.parametrize("up,down", [(2, 1), (1, 2), (1, 1)])
def test_the_resampling_filter_is_upfirdn2d_with_1_3_3_1(up, down, form):
    resample = layers.FIRFilter(up=up, down=down) if form == "layer" else lambda x: form(tensor(x), up, down)
    x = np.random.default_rng(3).normal(size=(2, 6, 7, 2)).astype("float32")
    out = numpy(resample(x))
    assert out.shape == (2, 6 * up // down, 7 * up // down, 2)
    for b, c in np.ndindex(2, 2):
        np.testing.assert_allclose(out[b, :, :, c], upfirdn(x[b, :, :, c], up, down), rtol=1e-5, atol=1e-5)
    constant = numpy(resample(np.ones((1, 8, 8, 1), "float32")))
    np.testing.assert_allclose(constant[0, 2:-2, 2:-2], 1.0, rtol=1e-6)  # away from the borders


def test_the_minibatch_standard_deviation_feature_by_hand():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 2, 2, 3)).astype("float32")
    out = numpy(layers.MinibatchStdDev(group_size=4)(x))
    assert out.shape == (8, 2, 2, 4)
    np.testing.assert_array_equal(out[..., :3], x)
    for member in range(8):
        group = x[member % 2 :: 2]  # example i is in group i mod (batch / group_size)
        expected = np.sqrt(group.var(axis=0) + 1e-8).mean()
        np.testing.assert_allclose(out[member, ..., 3], expected, rtol=1e-5)


def stylegan2(size: int, base_filters: int = 8, latent: int = 8, style_mixing: float = 0.9):
    return networks.build_networks("stylegan2", (size, size, 3), latent, is_image=True,
                                   base_filters=base_filters, mapping_layers=2, style_mixing=style_mixing)


def test_style_mixing_and_truncation_in_w():
    g, _ = stylegan2(16, style_mixing=1.0)
    z = tensor(np.random.default_rng(5).normal(size=(3, 8)))
    ws = numpy(g.styles(z, training=True))
    cut = int(np.argmax(~np.isclose(ws[0], ws[0, 0]).all(axis=-1)))  # the first layer of the second w
    assert 1 <= cut < g.num_ws
    assert np.allclose(ws[:, :cut], ws[:, :1]) and np.allclose(ws[:, cut:], ws[:, -1:])
    assert not np.allclose(ws[:, 0], ws[:, -1])  # a second z drives the later layers
    assert np.abs(numpy(g.w_average)).sum() > 0  # training moved the tracked mean of w
    g.truncation_psi.assign(0.0)
    np.testing.assert_allclose(numpy(g.styles(z)), np.broadcast_to(numpy(g.w_average), ws.shape), atol=1e-6)
    g.truncation_psi.assign(1.0)
    plain = numpy(g.styles(z))
    np.testing.assert_allclose(plain, np.repeat(plain[:, :1], g.num_ws, axis=1))  # no mixing at inference


@pytest.mark.backends("torch")  # on JAX: backend_step.py's StyleGAN2 case, compiled
def test_the_path_length_gradient_is_j_transpose_y_and_the_mean_moves_by_the_decay():
    g, d = stylegan2(8, style_mixing=0.0)
    for layer in g.convs:
        layer.noise_strength.assign(0.0)  # a deterministic synthesis
    gan = models.VARIANTS["gan"](g, d, latent_dim=8, generator_penalties={"path_length": 2.0})
    rng = np.random.default_rng(6)
    ws = tensor(rng.normal(size=(2, g.num_ws, 8)))
    y = tensor(rng.normal(size=(2, 8, 8, 3)))

    def projected(w, training=True):
        return ops.sum(g.synthesis(w, training=True) * y, axis=(1, 2, 3))

    gradient = numpy(backends.current().input_gradient(projected, ws))
    direction = rng.normal(size=ws.shape).astype("float32")
    direction /= np.sqrt((direction ** 2).sum(axis=(1, 2), keepdims=True))  # a unit step per example
    eps = 1e-3  # small: the leaky ReLUs' kinks bend a longer step
    finite = (numpy(projected(ws + eps * direction)) - numpy(projected(ws - eps * direction))) / (2 * eps)
    np.testing.assert_allclose((gradient * direction).sum(axis=(1, 2)), finite, rtol=3e-2, atol=2e-2)
    value = float(numpy(penalties.path_length(gan, tensor(np.zeros((4, 8, 8, 3))))))
    a = float(numpy(gan.path_length_mean))
    assert a > 0 and value > 0  # a = 0.01 * mean length from 0; the penalty (L - a)^2 > 0
    with pytest.raises(ValueError, match="needs a generator with a mapping and a synthesis network"):
        models.VARIANTS["gan"](*networks.build_networks("dcgan", (8, 8, 1), 4, is_image=True, base_filters=2),
                               latent_dim=4, generator_penalties={"path_length": 2.0})


def one_step(size: int):
    g, d = stylegan2(size, base_filters=8)
    gan = models.VARIANTS["gan"](g, d, latent_dim=8, penalties={"r1": 0.01}, penalty_interval=2,
                                 generator_penalties={"path_length": 2.0}, generator_penalty_interval=2,
                                 reuse_generator_pass=True, ema_decay=0.99)
    gan.compile(g_optimizer=keras.optimizers.Adam(2e-3, 0.0, 0.99),
                d_optimizer=keras.optimizers.Adam(2e-3, 0.0, 0.99), run_eagerly=True)
    x = np.random.default_rng(0).uniform(-1, 1, size=(8, size, size, 3)).astype("float32")
    logs = gan.fit(x, batch_size=4, epochs=1, verbose=0, shuffle=False).history
    assert all(np.isfinite(values[-1]) for values in logs.values())
    assert logs["path_length"][-1] > 0 and float(numpy(gan.path_length_mean)) > 0  # the first step takes it
    assert gan.generate(2, seed=0).shape == (2, size, size, 3)


# JAX compiles this step in most of a minute: backend_step.py's StyleGAN2 case compiles one there.
@pytest.mark.backends("torch")
def test_stylegan2_at_32_px_takes_finite_steps_with_lazy_r1_and_path_length():
    one_step(32)


@pytest.mark.backends()  # the same code at larger sizes: TensorFlow's pass
@pytest.mark.parametrize("size", [64, 128, 256])
def test_stylegan2_at_64_to_256_px_takes_finite_steps(size):
    one_step(size)


@pytest.mark.backends()
def test_the_1024_px_networks_have_the_authors_parameter_counts():
    """Config F at 1024 px: G 30,370,060 and D 29,012,513 trainable parameters, as
    stylegan2-ada-pytorch's networks print them."""
    g, d = networks.build_networks("stylegan2", (1024, 1024, 3), 512, is_image=True, base_filters=512)

    def count(model):
        return sum(int(np.prod(w.shape)) for w in model.trainable_weights)

    assert (count(g), count(d)) == (30_370_060, 29_012_513)
    assert g.num_ws == 18 and [networks.stylegan2.channels(r, 512) for r in (64, 128, 256, 512, 1024)] == [
        512, 256, 128, 64, 32]


@pytest.mark.backends("torch")  # JAX's eager calls are slow; test_backends.py's .keras ring loads one there
def test_a_stylegan2_generator_round_trips_with_its_average_and_truncation(tmp_path):
    g, _ = stylegan2(16)
    g(tensor(np.random.default_rng(7).normal(size=(4, 8))), training=True)  # moves the mean of w
    g.truncation_psi.assign(0.5)
    path = str(tmp_path / "g.keras")
    g.save(path)
    loaded = keras.saving.load_model(path)
    z = tensor(np.random.default_rng(8).normal(size=(3, 8)))
    np.testing.assert_allclose(numpy(loaded(z)), numpy(g(z)), rtol=1e-5, atol=1e-5)
    assert float(numpy(loaded.truncation_psi)) == 0.5 and networks.generator_classes(loaded) == 0


@pytest.mark.backends()
def test_stylegan2_presets_validate_and_build():
    import zoo_configs

    for name in ("stylegan2_stacked_mnist", "stylegan2_cifar10", "stylegan2_folder:/x",
                 "stylegan2_folder64:/x"):
        config = zoo_configs.get(name)
        validate(config)
        assert config.networks.kind == "stylegan2" and config.generator_penalties.path_length == 2.0
        assert (config.train.penalty_interval, config.train.generator_penalty_interval) == (16, 4)
    assert zoo_configs.get("stylegan2_folder:/x").image_size == 256
    assert zoo_configs.get("stylegan2_folder64:/x").dataset == "folder:/x"
    config = zoo_configs.get("stylegan2_stacked_mnist")
    assert config.penalties.r1 == pytest.approx(0.0002 * 32 ** 2 / 32)  # StyleGAN2-ADA's heuristic, at 32 px
    config.networks.update({"base_filters": 4, "mapping_layers": 1})
    _, info = data.load(config.dataset, 8, image_size=config.image_size)
    gan = build.build_gan(config, info)
    assert gan.generator_penalties == {"path_length": 2.0} and gan.generator_penalty_interval == 4
    assert isinstance(gan.generator, networks.StyleGAN2Generator)


def test_the_sample_tools_style_mixing_grid_and_truncation_sweep():
    import sys

    sys.path.insert(0, os.path.join(REPO, "tools"))
    from sample import style_figures  # as test_train_tool.py imports it: absl defines its flags once

    g, _ = stylegan2(8)
    g(tensor(np.random.default_rng(9).normal(size=(4, 8))), training=True)  # a mean of w
    figures = style_figures(g, 8, seed=0, psis=[1.0, 0.0], sources=3)

    def cell(grid, row, col):  # pictures.image_grid: 8-px images, 1-px borders
        return grid[1 + row * 9 : 1 + row * 9 + 8, 1 + col * 9 : 1 + col * 9 + 8]

    mixing, sweep = figures["style_mixing"], figures["truncation"]
    assert mixing.shape[:2] == (4 * 9 + 1, 4 * 9 + 1) and sweep.shape[:2] == (3 * 9 + 1, 2 * 9 + 1)
    for row in range(3):
        np.testing.assert_array_equal(cell(sweep, row, 1), cell(sweep, 0, 1))  # psi 0: the mean of w
        np.testing.assert_array_equal(cell(sweep, row, 0), cell(mixing, 0, row + 1))  # psi 1: source A
    assert not np.array_equal(cell(sweep, 0, 0), cell(sweep, 1, 0))
    # Each mixed image differs from both its sources: coarse styles from B, the rest from A.
    mixed, source_a, source_b = cell(mixing, 1, 1), cell(mixing, 0, 1), cell(mixing, 1, 0)
    assert not np.array_equal(mixed, source_a) and not np.array_equal(mixed, source_b)


# Torch's CPU kernels are deterministic as they are (TensorFlow would need its process-wide
# switch), and torch runs the step without compiling it: seconds, where JAX's compiles take
# a minute. JAX's own resume, the syncing of its compiled state, is test_resume.py's.
@pytest.mark.backends("torch")
@pytest.mark.skipif(BACKEND != "torch", reason="bitwise without deterministic kernels: torch's pass")
def test_a_stylegan2_run_resumes_bitwise_where_it_stopped(tmp_path):
    """The Stacked MNIST preset, narrow, with both lazy penalties due within the run: 4
    generator steps straight, or 2 and then 2 more, end with the same bits in every
    checkpointed variable (the noise and mixing seeds, the mean of w, a of the path
    length penalty, G's average)."""
    import zoo_configs

    config = zoo_configs.get("stylegan2_stacked_mnist")
    config.model.latent_dim = 8
    config.networks.update({"base_filters": 4, "mapping_layers": 2})
    config.train.update({"batch_size": 8, "num_samples": 4, "penalty_interval": 2,
                         "generator_penalty_interval": 2})
    straight, resumed = straight_and_resumed(config, tmp_path)
    assert straight.keys() == resumed.keys()
    assert any(k.startswith("path_length_mean") for k in straight) and any(k.startswith("generator_seeds")
                                                                           for k in straight)
    for name in straight:
        np.testing.assert_array_equal(straight[name], resumed[name], err_msg=name)


def test_stylegan2_refuses_what_it_cannot_build():
    with pytest.raises(ValueError, match="mapping_layers must be a positive integer, got -1"):
        networks.build_networks("stylegan2", (8, 8, 3), 8, is_image=True, mapping_layers=-1)
    with pytest.raises(ValueError, match="style_mixing is a probability"):
        stylegan2(8, style_mixing=1.5)
    with pytest.raises(ValueError, match="unconditional with a classifier D"):
        networks.build_networks("stylegan2", (8, 8, 3), 8, is_image=True, num_classes=3,
                                conditioning="projection")
