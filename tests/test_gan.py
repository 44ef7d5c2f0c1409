"""The GAN of Goodfellow et al. 2014 trained by model.fit: learning, API and saving."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import BACKEND, adam, numpy, toy_networks
from gan_zoo import callbacks, data, models, sampling
from gan_zoo.models import minibatches

pytestmark = pytest.mark.backends("jax", "torch")


def make_gan(**kwargs):
    g, d = toy_networks()
    gan = models.GAN(g, d, latent_dim=4, seed=0, **kwargs)
    gan.compile(g_optimizer=adam(), d_optimizer=adam())
    return gan


@pytest.mark.backends("jax")  # long eagerly on torch; ring8's learning tests cover it there
def test_gan_learns_the_real_mean_and_std_of_gauss1d():
    dataset, _ = data.load("gauss1d", 256, seed=0)
    spec = data.toy_spec("gauss1d")
    gan = make_gan()
    before = gan.generate(5000, seed=1)
    history = gan.fit(dataset, epochs=1, steps_per_epoch=1200, verbose=0)
    x = gan.generate(5000, seed=1)
    # Real law N(2, 0.5^2); the untrained generator sits near 0.
    assert abs(before.mean() - 2.0) > 1.0
    assert abs(x.mean() - spec.modes[0, 0]) < 0.15
    assert abs(x.std() - spec.std) < 0.15
    # At the equilibrium D(x) ~ 1/2 on both real and generated samples.
    assert set(history.history) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    assert 0.35 < history.history["d_real"][-1] < 0.65
    assert 0.35 < history.history["d_fake"][-1] < 0.65


class RecordingWriter:
    """The scalar part of `summaries.SummaryWriter`, kept in memory: {(run, tag): [(step, value)]}."""

    def __init__(self):
        self.scalars, self.descriptions = {}, {}

    def scalar(self, tag, value, step, description="", run=""):
        self.scalars.setdefault((run, tag), []).append((step, value))
        self.descriptions[run, tag] = description

    def flush(self):
        pass


def test_tensorboard_scalars_are_each_steps_own_value():
    """Not Keras's running mean since the epoch began (which jumps at every epoch): the
    value of each step itself, as fitting one step at a time gives it."""
    x = data.load_arrays("gauss1d")[0][:64 * 6]
    logged, writer = make_gan(), RecordingWriter()
    alone = make_gan()
    alone.set_weights(logged.get_weights())
    syncs = []
    if keras.backend.backend() == "jax":  # read from fit's state, not by syncing it every step
        sync = logged.jax_state_sync
        logged.jax_state_sync = lambda: syncs.append(1) or sync()
    logged.fit(x, batch_size=64, epochs=2, shuffle=False, verbose=0,
               callbacks=[callbacks.ScalarLogger(writer)])
    assert len(syncs) <= 5  # Keras's own at each epoch's end and the fit's: none for the 12 steps
    own = {"d_loss": [], "d_real": []}
    for _ in range(2):
        for i in range(6):
            history = alone.fit(x[i * 64:(i + 1) * 64], batch_size=64, shuffle=False, verbose=0).history
            for name in own:
                own[name] += history[name]
    # G's and D's losses on one chart ("loss"), D on real and on generated data on another.
    assert set(writer.scalars) == {("generator", "loss"), ("discriminator", "loss"), ("real", "D(x)"),
                                   ("generated", "D(x)")}
    assert [step for step, _ in writer.scalars["discriminator", "loss"]] == list(range(1, 13))
    np.testing.assert_allclose([v for _, v in writer.scalars["discriminator", "loss"]], own["d_loss"],
                               rtol=1e-4)
    np.testing.assert_allclose([v for _, v in writer.scalars["real", "D(x)"]], own["d_real"], rtol=1e-4)
    assert writer.descriptions["real", "D(x)"] == ("mean D(x), a probability, on real data (run real) and "
                                                   "generated data (run generated)")


def test_the_generator_average_warms_up_and_is_what_generate_uses(tmp_path):
    """Yazici et al. 2019: m_t = d_t m_(t-1) + (1 - d_t) w_t, d_t = min(0.9, (1 + t) / (10 + t)),
    from G's initial weights; generate() and the saved model use m, training keeps w."""
    gan = make_gan(ema_decay=0.9)
    x = data.load_arrays("gauss1d")[0][:64 * 3]
    expected = [w.numpy().copy() for w in gan.generator.trainable_variables]
    for t in range(1, 4):
        gan.fit(x[(t - 1) * 64:t * 64], batch_size=64, shuffle=False, verbose=0)
        decay = min(0.9, (1 + t) / (10 + t))
        expected = [decay * m + (1 - decay) * w.numpy()
                    for m, w in zip(expected, gan.generator.trainable_variables, strict=True)]
    for m, average in zip(expected, gan.generator_average, strict=True):
        np.testing.assert_allclose(average.numpy(), m, rtol=1e-5, atol=1e-6)
    live = [w.numpy().copy() for w in gan.generator.trainable_variables]
    z = np.random.default_rng(3).standard_normal((5, 4)).astype("float32")
    averaged = make_gan()
    averaged.generator.set_weights(expected + gan.generator.get_weights()[len(expected):])
    with gan.averaged_generator() as generator:
        np.testing.assert_allclose(numpy(generator(z)), numpy(averaged.generator(z)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gan.generate(50, seed=1), averaged.generate(50, seed=1), rtol=1e-5, atol=1e-6)
    for before, w in zip(live, gan.generator.trainable_variables, strict=True):
        np.testing.assert_array_equal(before, w.numpy())  # the live weights are back
    unaveraged = make_gan()  # average=False: the live weights, as the evaluation's "without_ema"
    unaveraged.generator.set_weights(gan.generator.get_weights())
    np.testing.assert_allclose(gan.generate(50, seed=1, average=False), unaveraged.generate(50, seed=1),
                               rtol=1e-5, atol=1e-6)
    assert not np.allclose(gan.generate(50, seed=1, average=False), gan.generate(50, seed=1))
    gan.save(tmp_path / "ema.keras")
    loaded = keras.saving.load_model(tmp_path / "ema.keras")
    np.testing.assert_array_equal(loaded.generate(20, seed=0), gan.generate(20, seed=0))


def test_linear_decay_sets_every_steps_rates_and_survives_a_keras_round_trip(tmp_path):
    """lr_decay_steps=N: the updates of generator step t, D's k included, use rate * (1 - t / N)."""
    g, d = toy_networks()
    gan = models.GAN(g, d, latent_dim=4, seed=0, d_steps=2, lr_decay_steps=2)
    gan.compile(g_optimizer=adam(1e-3), d_optimizer=adam(2e-3))
    x = data.load_arrays("gauss1d")[0][:64 * 2]
    gan.fit(x, batch_size=64, shuffle=False, verbose=0)  # step 0, at the full rates

    def rates(model):
        return [float(model.g_optimizer.learning_rate), float(model.d_optimizer.learning_rate)]

    assert rates(gan) == pytest.approx([1e-3, 2e-3])
    scaled = make_gan(lr_decay_steps=2)  # mixed_float16's wrapper: the inner optimizer's rate is saved
    scaled.compile(g_optimizer=keras.optimizers.LossScaleOptimizer(adam(3e-3)), d_optimizer=adam())
    scaled.g_optimizer.learning_rate.assign(1e-9)  # as a decayed rate would be
    assert scaled.get_compile_config()["g_optimizer"]["config"]["inner_optimizer"]["config"][
        "learning_rate"] == pytest.approx(3e-3)
    gan.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    assert loaded.lr_decay_steps == 2 and loaded.initial_learning_rates == pytest.approx([1e-3, 2e-3])
    loaded.fit(x, batch_size=64, shuffle=False, verbose=0)  # step 1: half the rates
    assert rates(loaded) == pytest.approx([5e-4, 1e-3])
    weights = [w.numpy().copy() for w in loaded.trainable_variables]
    loaded.fit(x, batch_size=64, shuffle=False, verbose=0)  # step 2 = N: rate 0, so nothing moves
    assert rates(loaded) == [0.0, 0.0] and int(loaded.d_optimizer.iterations) == 6
    for before, w in zip(weights, loaded.trainable_variables, strict=True):
        np.testing.assert_array_equal(before, w.numpy())
    with pytest.raises(ValueError, match="lr_decay_steps decays constant learning rates; .* has a schedule"):
        make_gan(lr_decay_steps=2).compile(
            g_optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.5)),
            d_optimizer=adam())


def test_generate_is_reproducible_with_a_seed():
    gan = make_gan()
    np.testing.assert_array_equal(gan.generate(10, seed=3), gan.generate(10, seed=3))
    assert not np.array_equal(gan.generate(10, seed=3), gan.generate(10, seed=4))
    assert gan.generate(10).shape == (10, 1)


def test_a_callback_reads_current_values_of_weights_and_steps():
    """callbacks.current_value gives the value after the step just taken, for an
    optimizer's step count (read from fit's JAX state) and for a weight (synced first)."""
    x, _ = data.load_arrays("gauss1d")
    gan = make_gan()
    seen = []

    class Reader(callbacks.GANCallback):
        def on_train_batch_end(self, batch, logs=None):
            kernel = self.gan.generator.trainable_variables[0]
            seen.append((callbacks.global_step(self.gan), callbacks.current_value(self.gan, kernel)))

    gan.fit(x[:256], batch_size=64, epochs=1, shuffle=False, verbose=0, callbacks=[Reader()])
    assert [step for step, _ in seen] == [1, 2, 3, 4]
    np.testing.assert_array_equal(seen[-1][1], gan.generator.trainable_variables[0].numpy())
    assert not np.array_equal(seen[0][1], seen[-1][1])


def test_truncation_keeps_z_within_bounds_and_the_untruncated_draw_elsewhere():
    z, labels = sampling.noise_and_labels(4000, 8, 10, seed=5)
    truncated, same_labels = sampling.noise_and_labels(4000, 8, 10, seed=5, truncation=0.5)
    np.testing.assert_array_equal(same_labels, labels)
    assert np.abs(truncated).max() <= 0.5
    inside = np.abs(z) <= 0.5
    np.testing.assert_array_equal(truncated[inside], z[inside])
    # The redrawn components follow the normal restricted to [-0.5, 0.5]: its std is
    # sqrt(1 - 2 t phi(t) / (2 Phi(t) - 1)) = 0.2839 at t = 0.5, against 0.2887 for uniform.
    assert np.std(truncated[~inside]) == pytest.approx(0.2839, abs=0.003)
    again = sampling.noise_and_labels(4000, 8, 10, seed=5, truncation=0.5)[0]
    np.testing.assert_array_equal(truncated, again)
    gan = make_gan()
    z, _ = sampling.noise_and_labels(50, gan.latent_dim, 0, seed=1, truncation=0.25)
    np.testing.assert_allclose(gan.generate(50, seed=1, truncation=0.25),
                               keras.ops.convert_to_numpy(gan.generator(z, training=False)),
                               rtol=1e-5, atol=1e-6)
    for bad in (-1.0, float("nan"), "0.5"):
        with pytest.raises(ValueError, match="truncation must be a number >= 0"):
            gan.generate(4, truncation=bad)


def test_fit_accepts_numpy_arrays_and_image_label_pairs():
    x, y = data.load_arrays("gauss1d")
    gan = make_gan()
    gan.fit(x[:512], batch_size=64, epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 8
    pairs = tf.data.Dataset.from_tensor_slices((x[:512], y[:512])).batch(64)
    gan.fit(pairs, epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 16


def spy_on_minibatches(gan) -> list:
    """The real minibatches the discriminator steps see (recorded while tracing)."""
    seen = []
    step = gan.discriminator_step

    def spy(real, labels=None, fake=None):
        seen.append(real)
        return step(real, labels, fake)

    gan.discriminator_step = spy
    return seen


@pytest.mark.parametrize("source", ["arrays", "dataset"])
def test_batch_size_is_the_minibatch_of_one_discriminator_step(source):
    """k = 3: a discriminator step on every batch of 64, a generator step on every third,
    and an epoch is one pass over the data, as keras.io's and PyTorch-GAN's loops have it."""
    gan = make_gan(d_steps=3)
    x, _ = data.load_arrays("gauss1d")
    x = x[:64 * 12]
    seen = spy_on_minibatches(gan)
    if source == "arrays":
        history = gan.fit(x, batch_size=64, epochs=1, verbose=0, shuffle=False)
    else:
        batches = data.load("gauss1d", 64, repeat=False, shuffle=False)[0]
        history = gan.fit(batches, steps_per_epoch=12, epochs=1, verbose=0)
    assert int(gan.d_optimizer.iterations) == 12 and int(gan.g_optimizer.iterations) == 4
    assert len(history.history["g_loss"]) == 1  # the logs count generator steps
    # 3 D steps per G step: traced once (TensorFlow, JAX), or seen at each of 4 eager steps (torch)
    assert [tuple(r.shape) for r in seen] == [(64, 1)] * (12 if BACKEND == "torch" else 3)
    gan.fit(x, None, 64, 1, 0, shuffle=False)  # Keras's positional order: epochs, verbose
    assert int(gan.d_optimizer.iterations) == 24 and int(gan.g_optimizer.iterations) == 8
    with pytest.raises(ValueError, match="multiple of 3"):
        gan.fit(x, batch_size=64, steps_per_epoch=4, verbose=0)


def test_minibatches_are_interleaved_and_split_back_by_stride():
    gan = make_gan(d_steps=3)
    batches = [np.full((4, 1), i, np.float32) + np.arange(4)[:, None] * 10 for i in range(3)]
    joined = minibatches.interleave(batches)
    parts = [np.asarray(p).ravel().tolist() for p, _ in gan.real_minibatches(joined)]
    assert parts == [b.ravel().tolist() for b in batches]


def test_minimax_and_non_saturating_generators_differ():
    x, _ = data.load_arrays("gauss1d")
    logs = {}
    for loss in ("minimax", "non_saturating"):
        keras.utils.set_random_seed(0)
        gan = make_gan(loss=loss)
        logs[loss] = gan.fit(x[:256], batch_size=256, epochs=1, verbose=0).history["g_loss"][0]
    # At D(G(z)) ~ 1/2, log(1 - D) ~ -log 2 and -log D ~ +log 2.
    assert logs["minimax"] == pytest.approx(-np.log(2), abs=0.2)
    assert logs["non_saturating"] == pytest.approx(np.log(2), abs=0.2)


def test_bad_hyper_parameters_are_refused():
    g, d = toy_networks()
    with pytest.raises(ValueError, match="loss must be one of"):
        models.GAN(g, d, latent_dim=4, loss="wasserstein")
    with pytest.raises(ValueError, match="label_smoothing"):
        models.GAN(g, d, latent_dim=4, label_smoothing=1.5)
    with pytest.raises(ValueError, match="d_steps must be a positive integer, got 0"):
        models.GAN(g, d, latent_dim=4, d_steps=0)
    for bad in (0, 2.5, True, "100"):
        with pytest.raises(ValueError, match=f"lr_decay_steps must be a positive integer, got {bad!r}"):
            models.GAN(g, d, latent_dim=4, lr_decay_steps=bad)


def test_keras_round_trip_keeps_optimizer_state_and_trains_on(tmp_path):
    gan = make_gan(loss="minimax", label_smoothing=0.1)
    x, _ = data.load_arrays("gauss1d")
    gan.fit(x[:1024], batch_size=128, epochs=1, verbose=0)
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, models.GAN)
    assert (loaded.loss_name, loaded.label_smoothing, loaded.latent_dim) == ("minimax", 0.1, 4)
    for name in ("g_optimizer", "d_optimizer"):
        before, after = getattr(gan, name), getattr(loaded, name)
        assert int(after.iterations) == int(before.iterations) == 8
        for a, b in zip(before.variables, after.variables, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(gan.generate(8, seed=0), loaded.generate(8, seed=0))
    loaded.fit(x[:1024], batch_size=128, epochs=1, verbose=0)
    assert int(loaded.g_optimizer.iterations) == 16
    assert not np.array_equal(gan.generate(8, seed=0), loaded.generate(8, seed=0))


def test_generator_export_loads_alone(tmp_path):
    gan = make_gan()
    path = str(tmp_path / "generator.keras")
    gan.generator.save(path)
    generator = keras.saving.load_model(path)
    z = np.random.normal(size=(4, 4)).astype("float32")
    np.testing.assert_allclose(numpy(generator(z)), numpy(gan.generator(z)), rtol=1e-6)


def test_noise_differs_between_calls_and_is_standard_normal():
    gan = make_gan()
    a, b = np.asarray(gan.sample_noise(20000)), np.asarray(gan.sample_noise(20000))
    assert not np.array_equal(a, b)
    assert abs(a.mean()) < 0.03 and abs(a.std() - 1.0) < 0.03
