"""BigGAN (Brock et al. 2019): SAGAN's self-attention, BigGAN's conditional batch norm and
orthogonal regularization against their equations written out here, the networks at
every size, the generator penalties through the trainer, and the zoo's presets."""


import keras
import numpy as np
import pytest
from keras import ops

from conftest import BACKEND, numpy, straight_and_resumed
from gan_zoo import backends, build, callbacks, data, layers, losses, models, networks
from gan_zoo.config import validate
from gan_zoo.models import penalties

pytestmark = pytest.mark.backends("jax", "torch")


def softmax(a, axis=-1):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def kernel(conv) -> np.ndarray:
    return numpy(conv.kernel)[0, 0]  # a 1x1 convolution's [in, out]


def test_self_attention_is_sagans_equations_on_a_hand_sized_map():
    """y_j = x_j + gamma W_v sum_i softmax_i(f(x_j) . g(x_i)) h(x_i) (SAGAN, eqs. 1-3)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 2, 3, 8)).astype("float32")
    layer = layers.SelfAttention(key_divisor=4, value_divisor=2)
    layer.build(x.shape)
    layer.gamma.assign(0.7)
    f, g, h, v = (kernel(c) for c in (layer.query, layer.key, layer.value, layer.output_conv))
    flat = x.reshape(2, 6, 8)
    beta = softmax(np.einsum("bjc,bic->bji", flat @ f, flat @ g))  # [batch, j, i]
    expected = flat + 0.7 * (np.einsum("bji,bic->bjc", beta, flat @ h) @ v)
    np.testing.assert_allclose(numpy(layer(x)), expected.reshape(x.shape), rtol=1e-5, atol=1e-5)
    assert f.shape == (8, 2) and h.shape == (8, 4) and v.shape == (4, 8)


def test_self_attention_starts_as_the_identity_and_pools_keys_as_the_authors_code():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 4, 4, 16)).astype("float32")
    layer = layers.SelfAttention(value_divisor=2, pool_keys=True)
    np.testing.assert_array_equal(numpy(layer(x)), x)  # gamma = 0
    layer.gamma.assign(1.0)
    f, g, h, v = (kernel(c) for c in (layer.query, layer.key, layer.value, layer.output_conv))

    def pooled(t):  # 2x2 max pooling of [1, 4, 4, c] -> [1, 4 positions, c]
        return t.reshape(1, 2, 2, 2, 2, -1).max(axis=(2, 4)).reshape(1, 4, -1)

    queries = (x @ f).reshape(1, 16, -1)
    beta = softmax(np.einsum("bjc,bic->bji", queries, pooled(x @ g)))
    expected = x.reshape(1, 16, 16) + np.einsum("bji,bic->bjc", beta, pooled(x @ h)) @ v
    np.testing.assert_allclose(numpy(layer(x)), expected.reshape(x.shape), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="divides its 12 channels by key_divisor 8"):
        layers.SelfAttention()(np.zeros((1, 2, 2, 12), "float32"))


def test_linear_conditional_batch_norm_projects_the_condition_to_scale_and_shift():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 3, 3, 4)).astype("float32")
    condition = rng.normal(size=(6, 5)).astype("float32")
    layer = layers.LinearConditionalBatchNormalization(epsilon=1e-5)
    out = numpy(layer([x, condition], training=True))
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    gain, bias = numpy(layer.gain.kernel), numpy(layer.bias.kernel)
    expected = (1 + condition @ gain)[:, None, None] * (x - mean) / np.sqrt(var + 1e-5) \
        + (condition @ bias)[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_orthogonal_regularization_is_eq_3_and_its_gradient_4_w_times_the_masked_gram():
    w = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 1.0]], "float32")  # [in 2, out 3]: 3 filters
    gram = w.T @ w
    masked = gram * (1 - np.eye(3))
    value = losses.orthogonal_regularization(ops.convert_to_tensor(w))
    np.testing.assert_allclose(numpy(value), (masked ** 2).sum(), rtol=1e-6)  # 2 * (1.5^2 + 0.5^2 + 1^2)
    assert float(numpy(value)) == pytest.approx(2 * (1.5 ** 2 + 0.5 ** 2 + 1.0 ** 2))
    variable = keras.Variable(w)
    gradient = backends.current().input_gradient(
        lambda t, training=True: losses.orthogonal_regularization(t), variable.value)
    np.testing.assert_allclose(numpy(gradient), 4 * w @ masked, rtol=1e-5)
    orthogonal = np.linalg.qr(np.random.default_rng(3).normal(size=(3, 3)))[0].astype("float32")
    assert float(numpy(losses.orthogonal_regularization(ops.convert_to_tensor(orthogonal * 3)))) < 1e-8


def biggan(size: int, num_classes: int = 0, base_filters: int = 2):
    n = networks.builders.upsamplings((size, size))[0]
    return networks.build_networks("biggan", (size, size, 3), 2 * (n + 1), is_image=True,
                                   base_filters=base_filters, spectral_norm=True, num_classes=num_classes,
                                   conditioning="projection" if num_classes else "")


def test_the_generators_orthogonal_penalty_covers_its_kernels_only():
    g, _ = biggan(32, num_classes=3)
    kernels = penalties.generator_kernels(g)
    paths = [w.path for w in kernels]
    assert not any("embedding" in p or "gamma" in p or "bias" in p.rsplit("/", 1)[-1] for p in paths)
    assert any("block_0_bn1" in p for p in paths) and any("attention" in p for p in paths)
    gan = models.VARIANTS["hinge"](*biggan(32, num_classes=3), latent_dim=8, num_classes=3,
                                   generator_penalties={"orthogonal": 1e-4})
    expected = sum(float(numpy(losses.orthogonal_regularization(w.value))) for w in kernels)
    assert float(numpy(penalties.orthogonal(gan, None))) == pytest.approx(
        sum(float(numpy(losses.orthogonal_regularization(w.value)))
            for w in penalties.generator_kernels(gan.generator)), rel=1e-5)
    assert expected > 0


def one_conditional_step(size: int):
    """The paper's block tables at a tiny width: where self-attention sits, and one train
    step (hinge loss, orthogonal regularization, 2 D steps) of a conditional GAN, run
    eagerly but on JAX, whose eager ops are slower than its compile (tracing the step
    takes TensorFlow half a minute; backend_step.py compiles one on every backend)."""
    num_classes = 3
    g, d = biggan(size, num_classes, base_filters=8 if size >= 64 else 2)
    attention = {64: 32, 128: 64, 256: 64}.get(size, 16)
    for model in (g, d):
        maps = {layer.output.shape[1] for layer in model.layers if isinstance(layer, layers.SelfAttention)}
        assert maps == {attention}, (model.name, maps)
    gan = models.VARIANTS["hinge"](g, d, latent_dim=g.inputs[0].shape[-1], d_steps=2, num_classes=num_classes,
                                   generator_penalties={"orthogonal": 1e-4})
    gan.compile(g_optimizer=keras.optimizers.Adam(5e-5, beta_1=0.0),
                d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.0), run_eagerly=True)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(4, size, size, 3)).astype("float32")
    y = np.array([0, 1, 2, 0])
    logs = gan.fit(x, y, batch_size=2, epochs=1, verbose=0, shuffle=False).history
    assert set(logs) >= {"g_loss", "g_adversarial_loss", "orthogonal", "d_loss"}
    assert all(np.isfinite(values[-1]) for values in logs.values())
    assert logs["orthogonal"][-1] > 0
    assert logs["g_loss"][-1] == pytest.approx(logs["g_adversarial_loss"][-1] + 1e-4 * logs["orthogonal"][-1],
                                               rel=1e-4, abs=1e-5)
    samples = gan.generate(3, seed=0, labels=np.array([0, 1, 2]))
    assert samples.shape == (3, size, size, 3) and np.abs(samples).max() <= 1.0


# JAX compiles this step in most of a minute: backend_step.py's BigGAN case compiles one there.
@pytest.mark.backends("torch")
def test_biggan_at_32_px_takes_a_finite_conditional_step():
    one_conditional_step(32)


@pytest.mark.backends()  # the same code at larger sizes: TensorFlow's pass
@pytest.mark.parametrize("size", [64, 128, 256])
def test_biggan_at_64_to_256_px_takes_a_finite_conditional_step(size):
    one_conditional_step(size)


def test_biggan_refuses_what_it_cannot_build():
    with pytest.raises(ValueError, match="latent_dim must be a multiple of 4"):
        networks.build_networks("biggan", (32, 32, 3), 10, is_image=True, base_filters=2, spectral_norm=True)
    with pytest.raises(ValueError, match="blocks make maps of \\[8, 16, 32\\] px"):
        networks.build_networks("biggan", (32, 32, 3), 8, is_image=True, base_filters=2, spectral_norm=True,
                                attention_resolution=64)
    with pytest.raises(ValueError, match="conditioned by projection"):
        networks.build_networks("biggan", (32, 32, 3), 8, is_image=True, base_filters=2, spectral_norm=True,
                                num_classes=3, conditioning="concat")
    with pytest.raises(ValueError, match="set networks.spectral_norm=True"):
        networks.build_networks("biggan", (32, 32, 3), 8, is_image=True, base_filters=2)
    without = networks.build_networks("biggan", (32, 32, 3), 8, is_image=True, base_filters=2,
                                      spectral_norm=True, attention_resolution=0)
    assert not [layer for model in without for layer in model.layers
                if isinstance(layer, layers.SelfAttention)]


def test_a_conditional_biggan_generator_round_trips_and_says_its_classes(tmp_path):
    g, _ = biggan(32, num_classes=4)
    assert networks.generator_classes(g) == 4
    path = str(tmp_path / "g.keras")
    g.save(path)
    loaded = keras.saving.load_model(path)
    z = ops.convert_to_tensor(np.random.default_rng(0).normal(size=(3, 8)).astype("float32"))
    labels = ops.convert_to_tensor(np.array([0, 3, 1], "int32"))
    np.testing.assert_allclose(numpy(loaded([z, labels])), numpy(g([z, labels])), rtol=1e-5, atol=1e-6)
    assert networks.generator_classes(loaded) == 4


@pytest.mark.backends()
def test_the_paper_128_px_generator_has_the_authors_parameter_count(monkeypatch):
    """ch = 96, 1000 classes, z of 120 in 6 chunks, 128-d shared embedding: 70,433,988
    trainable parameters, as BigGAN-PyTorch's G (the paper's Table 1: 70.4M); D 88.0M.
    (Zero initial weights: orthogonalising 158M of them would take most of a minute.)"""
    monkeypatch.setattr(networks.biggan, "_initializer", lambda: "zeros")
    with keras.device("cpu"):
        g, d = networks.build_networks("biggan", (128, 128, 3), 120, is_image=True, base_filters=96,
                                       spectral_norm=True, num_classes=1000, conditioning="projection")
    def count(model):
        return sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert count(g) == 70_433_988
    assert round(count(d) / 1e6, 1) == 88.0


def test_biggan_presets_validate_build_and_chart_the_orthogonal_penalty():
    import zoo_configs

    for name in ("biggan_mnist_subset", "biggan_stacked_mnist", "biggan_cifar10", "biggan_folder:/x"):
        config = zoo_configs.get(name)
        validate(config)
        assert config.networks.kind == "biggan" and config.generator_penalties.orthogonal == 1e-4
        assert config.model.variant == "hinge" and config.g_optimizer.beta_1 == 0.0
    config = zoo_configs.get("biggan_mnist_subset")
    assert (config.model.latent_dim, config.model.d_steps) == (80, 4)  # 4 chunks of 20 at 32 px
    # The authors' CIFAR script's rates (the paper's ImageNet G rate, 5e-5, left the label ignored).
    assert (config.g_optimizer.learning_rate, config.d_optimizer.learning_rate) == (2e-4, 2e-4)
    assert zoo_configs.get("biggan_stacked_mnist").model.d_steps == 2
    assert config.image_size == 32  # the digits padded, as the field's 32-px tables
    assert zoo_configs.get("biggan_folder:/x").model.latent_dim == 120  # the paper's 128 px
    config.networks.base_filters = 2
    _, info = data.load(config.dataset, 8, with_labels=True, image_size=config.image_size)
    gan = build.build_gan(config, info)
    assert gan.generator_penalties == {"orthogonal": 1e-4} and gan.conditional
    assert callbacks.scalar_chart("orthogonal", gan)[1] == "penalty/orthogonal"
    assert callbacks.scalar_chart("g_adversarial_loss", gan)[:2] == ("generator", "loss")
    assert callbacks.scalar_chart("g_loss", gan) is None  # G's whole objective: in the history only


# Torch's CPU kernels are deterministic as they are (TensorFlow would need its process-wide
# switch), and torch runs the step without compiling it: seconds, where JAX's compiles take
# a minute. JAX's own resume, the syncing of its compiled state, is test_resume.py's.
@pytest.mark.backends("torch")
@pytest.mark.skipif(BACKEND != "torch", reason="bitwise without deterministic kernels: torch's pass")
def test_a_biggan_run_resumes_bitwise_where_it_stopped(tmp_path):
    """The conditional BigGAN preset at a tiny width: 4 generator steps straight, or 2 and
    then 2 more in the same workdir, end with the same bits in every checkpointed
    variable (spectral norm's u, the batch norms' statistics, G's average, the noise)."""
    import zoo_configs

    config = zoo_configs.get("biggan_mnist_subset")
    config.networks.base_filters = 2
    # The digits unpadded (28 px, z in 3 chunks): two blocks where 32 px has three, a third
    # of the test's time, and nothing that resuming depends on.
    config.image_size, config.model.latent_dim = 0, 60
    config.train.update({"batch_size": 8, "num_samples": 4})
    straight, resumed = straight_and_resumed(config, tmp_path)
    assert straight.keys() == resumed.keys() and any("generator_average" in k for k in straight)
    for name in straight:
        np.testing.assert_array_equal(straight[name], resumed[name], err_msg=name)
