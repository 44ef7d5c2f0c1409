"""Reusable layers: minibatch discrimination, the feature view, virtual batch norm, DiffAugment."""

import keras
import ml_dtypes
import numpy as np
import pytest

from conftest import numpy
from gan_zoo import backends, layers, networks

pytestmark = pytest.mark.backends("jax", "torch")


def minibatch_layer(features: int, num_kernels=3, kernel_dim=2):
    layer = layers.MinibatchDiscrimination(num_kernels=num_kernels, kernel_dim=kernel_dim)
    layer.build((None, features))
    return layer


def test_minibatch_discrimination_excludes_self_pairs():
    layer = minibatch_layer(4)
    lone = np.random.normal(size=(1, 4)).astype("float32")
    out = numpy(layer(lone))
    np.testing.assert_allclose(out[:, :4], lone)  # f(x) passes through
    np.testing.assert_allclose(out[:, 4:], 0.0)  # a lone sample has no other to compare with
    twins = np.repeat(lone, 2, axis=0)
    np.testing.assert_allclose(numpy(layer(twins))[:, 4:], 1.0, rtol=1e-6)  # exp(-0) each


def test_minibatch_discrimination_matches_the_formula():
    layer = minibatch_layer(2, num_kernels=1, kernel_dim=2)
    layer.kernel.assign(np.eye(2, dtype="float32"))  # M_i = f(x_i)
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], "float32")
    o = numpy(layer(x))[:, 2]
    # L1 distances: 0-1: 1, 0-2: 2, 1-2: 3.
    expected = [np.exp(-1) + np.exp(-2), np.exp(-1) + np.exp(-3), np.exp(-2) + np.exp(-3)]
    np.testing.assert_allclose(o, expected, rtol=1e-6)


def test_minibatch_discrimination_serializes(tmp_path):
    _, d = networks.build_networks("mlp", (2,), 2, is_image=False, hidden_units=(8,),
                                   minibatch_kernels=5)
    path = str(tmp_path / "d.keras")
    d.save(path)
    loaded = keras.saving.load_model(path)
    x = np.random.normal(size=(6, 2)).astype("float32")
    np.testing.assert_allclose(numpy(loaded(x)), numpy(d(x)), rtol=1e-6)
    assert loaded.get_layer("minibatch").num_kernels == 5


def test_feature_view_shares_the_discriminators_weights():
    _, d = networks.build_networks("mlp", (2,), 2, is_image=False, hidden_units=(8, 8))
    view = layers.with_features(d, "features")
    x = np.random.normal(size=(3, 2)).astype("float32")
    out, features = view(x)
    np.testing.assert_allclose(numpy(out), numpy(d(x)), rtol=1e-6)
    assert features.shape == (3, 8)
    assert {id(v) for v in view.weights} == {id(v) for v in d.weights}
    with pytest.raises(ValueError, match="no layer 'nope'; its layers are"):
        layers.with_features(d, "nope")


def test_virtual_batch_norm_output_ignores_the_rest_of_the_minibatch():
    vbn = layers.VirtualBatchNormalization(reference_size=8)
    reference = np.random.normal(3.0, 2.0, size=(8, 4)).astype("float32")
    x = np.random.normal(size=(5, 4)).astype("float32")
    alone = numpy(vbn(np.concatenate([reference, x[:1]])))[8]
    together = numpy(vbn(np.concatenate([reference, x])))[8]
    np.testing.assert_allclose(alone, together, rtol=1e-5)  # batch norm would differ
    large = layers.VirtualBatchNormalization(reference_size=256)
    reference = np.random.normal(3.0, 2.0, size=(256, 4)).astype("float32")
    normalized = numpy(large(reference))  # gamma = 1, beta = 0 at initialization
    np.testing.assert_allclose(normalized.mean(axis=0), 0.0, atol=0.05)
    np.testing.assert_allclose(normalized.std(axis=0), 1.0, atol=0.05)


# -- DiffAugment (Zhao et al. 2020) ------------------------------------------------------


def _augmented(policy, seed=1):
    x = np.random.default_rng(0).uniform(0.1, 1.0, (8, 8, 8, 1)).astype("float32")  # no zeros
    return x, keras.ops.convert_to_numpy(layers.DiffAugment(policy, seed=seed)(x, training=True))


def test_diff_augment_translation_shifts_each_image_and_pads_zeros():
    x, y = _augmented("translation")
    for original, moved in zip(x, y, strict=True):
        padded = np.pad(original, ((1, 1), (1, 1), (0, 0)))  # shifts of up to 8 * 0.125 = 1 pixel
        shifts = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                  if np.array_equal(padded[1 + dy:9 + dy, 1 + dx:9 + dx], moved)]
        assert shifts, "not a translation of the image"


def test_diff_augment_cutout_zeroes_one_square_and_keeps_the_rest():
    x, y = _augmented("cutout")
    for original, cut in zip(x, y, strict=True):
        hole = cut[..., 0] == 0
        rows, cols = np.nonzero(hole)
        assert 0 < hole.sum() <= 16  # a 4 x 4 square (8 * 0.5), clipped at the borders
        assert rows.max() - rows.min() < 4 and cols.max() - cols.min() < 4
        assert hole[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()  # one rectangle
        np.testing.assert_array_equal(cut[~hole], original[~hole])


def test_diff_augment_is_differentiable_random_per_example_and_off_at_inference():
    x, y = _augmented("color,translation,cutout")
    layer = layers.DiffAugment(seed=1)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), x)  # inference: identity
    assert len({float(np.abs(a - b).sum()) for a, b in zip(x, y, strict=True)}) == len(x)
    gradient = backends.current().input_gradient(lambda t: keras.ops.sum(layer(t, training=True) ** 2),
                                        keras.ops.convert_to_tensor(x))
    gradient = keras.ops.convert_to_numpy(gradient)
    assert np.isfinite(gradient).all() and np.abs(gradient).sum() > 0
    with pytest.raises(ValueError, match="policy takes"):
        layers.DiffAugment("colour")


# -- ConditionalBatchNormalization (de Vries et al. 2017) -----------------------------------


def test_conditional_batch_norm_scales_and_shifts_each_class_and_round_trips(tmp_path):
    x_in, y_in = keras.Input((4, 4, 3)), keras.Input((), dtype="int32")
    layer = layers.ConditionalBatchNormalization(num_classes=5, name="cbn")
    model = keras.Model([x_in, y_in], layer([x_in, y_in]))
    rng = np.random.default_rng(0)
    gamma, beta = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 3)).astype("float32")
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    x = rng.normal(2.0, 3.0, size=(8, 4, 4, 3)).astype("float32")
    labels = np.array([0, 1, 2, 3, 4, 0, 1, 2], "int32")
    out = keras.ops.convert_to_numpy(model([x, labels], training=True))
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    expected = gamma[labels][:, None, None] * (x - mean) / np.sqrt(var + 1e-3) + beta[labels][:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    model.save(tmp_path / "cbn.keras")
    loaded = keras.saving.load_model(tmp_path / "cbn.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded([x, labels])),
                               keras.ops.convert_to_numpy(model([x, labels])), rtol=1e-6)
    with pytest.raises(ValueError, match="num_classes"):
        layers.ConditionalBatchNormalization(num_classes=0)


def test_weight_normalization_is_g_times_the_unit_direction_and_round_trips(tmp_path):
    """w = g v / ||v|| per unit (Salimans & Kingma 2016): it starts as the wrapped layer,
    g rescales each unit's weight vector alone, and the wrapper serializes."""
    dense = keras.layers.Dense(3, activation="relu")
    wrapped = layers.WeightNormalization(dense)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    out = keras.ops.convert_to_numpy(wrapped(x))
    v, b = dense.kernel.numpy(), dense.bias.numpy()
    np.testing.assert_allclose(out, np.maximum(x @ v + b, 0), rtol=1e-5, atol=1e-6)
    wrapped.g.assign([2.0, 0.5, 1.0])
    w = v / np.linalg.norm(v, axis=0) * np.float32([2.0, 0.5, 1.0])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(wrapped(x)), np.maximum(x @ w + b, 0), rtol=1e-5,
                               atol=1e-6)
    model = keras.Sequential([keras.Input((4,)), wrapped])
    model.save(tmp_path / "wn.keras")
    loaded = keras.saving.load_model(tmp_path / "wn.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), np.maximum(x @ w + b, 0), rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(ValueError, match="wraps a Dense layer, got Conv2D"):
        layers.WeightNormalization(keras.layers.Conv2D(3, 3))


# -- SpectralNormalization (Miyato et al. 2018) ------------------------------------------


def _spectral_dense(units=3, features=4, seed=0):
    keras.utils.set_random_seed(seed)
    wrapped = layers.SpectralNormalization(keras.layers.Dense(units))
    model = keras.Sequential([keras.Input((features,)), wrapped])
    return model, wrapped


def _dot_loss(c, y):  # L = c . y per example: dL/dy = c
    return keras.ops.sum(y * c, axis=-1)


def _power_step(w, u):
    """One step of Algorithm 1 from u: (u', v, sigma = v W u'^T), W as [in, out]."""
    v = u @ w.T
    v /= np.linalg.norm(v)
    u = v @ w
    u /= np.linalg.norm(u)
    return u, v, float((v @ w @ u.T).item())


def test_spectral_norm_trains_w_through_sigma_and_never_writes_w_sn_into_it():
    """Miyato et al., section 2.2: W_SN = W / sigma(W) is a reparameterization, so one SGD
    step moves W by -lr (G / sigma - <G, W_SN> / sigma v^T u) with G = dL/dW_SN (eq. 12),
    the power iteration's u persists, and W is never overwritten by W / sigma (Keras's
    wrapper assigns it in every training forward pass)."""
    model, wrapped = _spectral_dense()
    model.compile(keras.optimizers.SGD(learning_rate=0.5), loss=_dot_loss)
    rng = np.random.default_rng(0)
    x, c = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 3)).astype("float32")
    w = wrapped.layer.kernel.numpy().copy()
    u, v, sigma = _power_step(w, wrapped.vector_u.numpy())
    assert abs(sigma - 1) > 0.1  # an unnormalized W: a write of W / sigma would show
    model.train_on_batch(x, c)
    g = x.T @ c / len(x)  # the loss is the batch mean of c . y
    expected = w - 0.5 * (g / sigma - float(np.sum(g * w)) / sigma**2 * (v.T @ u))
    np.testing.assert_allclose(wrapped.layer.kernel.numpy(), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(wrapped.vector_u.numpy(), u, rtol=1e-4, atol=1e-6)
    # Inference: sigma from the stored u, which stays put.
    w = wrapped.layer.kernel.numpy()
    _, _, sigma = _power_step(w, wrapped.vector_u.numpy())
    out = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(out, x @ (w / sigma) + wrapped.layer.bias.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(wrapped.vector_u.numpy(), u, rtol=1e-6)


def test_spectral_norm_keeps_float32_weights_under_mixed_precision():
    """sigma and W / sigma in float32: small updates survive (Keras's wrapper rounds its
    float32 kernel to bfloat16, 8 bits, in every training forward pass), and the wrapped
    layer still computes in bfloat16."""
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model, wrapped = _spectral_dense()
        model.compile(keras.optimizers.SGD(learning_rate=1e-4), loss=_dot_loss)
        rng = np.random.default_rng(1)
        x, c = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 3)).astype("float32")
        assert keras.backend.standardize_dtype(model(x).dtype) == "bfloat16"
        w = wrapped.layer.kernel.numpy().copy()
        model.train_on_batch(x, c)
        moved = wrapped.layer.kernel.numpy() - w
        assert np.all(moved != 0) and np.abs(moved).max() < 1e-3
        kernel = wrapped.layer.kernel.numpy()
        assert np.mean(kernel.astype(ml_dtypes.bfloat16).astype("float32") != kernel) > 0.9
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_spectral_norm_round_trips_and_refuses_stateful_layers(tmp_path):
    model, wrapped = _spectral_dense()
    x = np.random.default_rng(2).normal(size=(5, 4)).astype("float32")
    model(x, training=True)  # moves u
    model.save(tmp_path / "sn.keras")
    loaded = keras.saving.load_model(tmp_path / "sn.keras")
    assert type(loaded.layers[0]) is layers.SpectralNormalization
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x)),
                               rtol=1e-6)

    class CountingDense(keras.layers.Dense):  # a kernel and state of its own
        def build(self, input_shape):
            super().build(input_shape)
            self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False)

    with pytest.raises(ValueError, match="wraps stateless layers.*CountingDense has non-trainable state"):
        layers.SpectralNormalization(CountingDense(2))(x)
    with pytest.raises(ValueError, match="wraps a Keras layer.*got 'dense'"):
        layers.SpectralNormalization("dense")


def _ablation_form(form: str):
    """benchmarks/spectral_norm_forms.py's spectral-norm class for `form` (the ablation tool's)."""
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks",
                        "spectral_norm_forms.py")
    spec = importlib.util.spec_from_file_location("spectral_norm_forms", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.wrapper(form)


def test_spectral_norm_ablations_change_only_what_they_name():
    """The ablation tool's forms against the paper's: `constant_sigma` steps W by -lr G / sigma
    (no sigma term), `unit_scale` rescales W to spectral norm 1 after the step while D
    computes what the paper's form computes after the same step, and the two combine."""
    rng = np.random.default_rng(2)
    x, c = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 3)).astype("float32")
    outputs, kernels = {}, {}
    forms = ("paper", "constant_sigma", "unit_scale", "constant_sigma+unit_scale")
    for form in forms:
        keras.utils.set_random_seed(0)
        wrapped = _ablation_form(form)(keras.layers.Dense(3))
        model = keras.Sequential([keras.Input((4,)), wrapped])
        model.compile(keras.optimizers.SGD(learning_rate=0.5), loss=_dot_loss)
        w, (u, _, sigma) = wrapped.layer.kernel.numpy().copy(), _power_step(
            wrapped.layer.kernel.numpy(), wrapped.vector_u.numpy())
        assert abs(sigma - 1) > 0.1  # W is not at unit norm to begin with
        model.train_on_batch(x, c)
        kernels[form], outputs[form] = wrapped.layer.kernel.numpy(), keras.ops.convert_to_numpy(model(x))
        np.testing.assert_allclose(wrapped.vector_u.numpy(), u, rtol=1e-4, atol=1e-6)
    g = x.T @ c / len(x)
    np.testing.assert_allclose(kernels["constant_sigma"], w - 0.5 * g / sigma, rtol=1e-4, atol=1e-5)
    assert np.abs(kernels["paper"] - kernels["constant_sigma"]).max() > 1e-2
    np.testing.assert_allclose(np.linalg.svd(kernels["unit_scale"], compute_uv=False)[0], 1.0, rtol=1e-5)
    np.testing.assert_allclose(kernels["unit_scale"] * np.linalg.svd(kernels["paper"], compute_uv=False)[0],
                               kernels["paper"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(outputs["unit_scale"], outputs["paper"], rtol=1e-4, atol=1e-5)
    step = w - 0.5 * g / sigma
    np.testing.assert_allclose(kernels["constant_sigma+unit_scale"],
                               step / np.linalg.svd(step, compute_uv=False)[0], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="Unknown spectral-norm form 'unit_scale\\+paper'"):
        _ablation_form("unit_scale+paper")  # not a form: it used to run as unit_scale, misnamed


def test_spectral_norm_of_an_all_zero_kernel_keeps_u_and_trains_finitely():
    """sigma(0) = 0: W is used as it is and u kept (Keras's guard), without NaNs in the
    gradient, so a zero-initialized layer trains."""
    keras.utils.set_random_seed(0)
    wrapped = layers.SpectralNormalization(keras.layers.Dense(3, kernel_initializer="zeros"))
    model = keras.Sequential([keras.Input((4,)), wrapped])
    model.compile(keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    u = wrapped.vector_u.numpy().copy()
    model.train_on_batch(np.ones((2, 4), "float32"), np.ones((2, 3), "float32"))
    np.testing.assert_array_equal(wrapped.vector_u.numpy(), u)
    np.testing.assert_allclose(wrapped.layer.kernel.numpy(), np.full((4, 3), 0.2 / 3), rtol=1e-5)


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX compiles eager control flow per call")
def test_spectral_norm_eager_calls_compile_nothing_after_the_first_on_jax():
    """The toys' discriminator pictures call D eagerly every few hundred steps: a
    `lax.cond` there compiled a new program at every call until LLVM ran out of memory."""
    import jax

    compiles = []

    def listener(name, secs, **kwargs):
        if "backend_compile" in name:
            compiles.append(name)

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        model, _ = _spectral_dense()
        x = np.ones((2, 4), "float32")
        model(x), model(x, training=True)
        first = len(compiles)
        for _ in range(3):
            model(x), model(x, training=True)
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    assert first > 0 and len(compiles) == first
