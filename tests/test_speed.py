"""The speed levers keep the maths: generator-pass reuse, mixed precision, loss scaling."""


import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import adam, toy_networks
from gan_zoo import build, data, devices, models, networks, train


def _counting_gan(variant, reuse, z, **kwargs):
    """A variant whose noise is the fixed `z` and which counts its generator's calls."""
    keras.utils.set_random_seed(0)
    g, d = networks.build_networks("mlp", (2,), z.shape[1], is_image=False, hidden_units=(32, 32),
                                   discriminator=variant.discriminator_kind)
    gan = variant(g, d, latent_dim=z.shape[1], seed=0, reuse_generator_pass=reuse, **kwargs)
    gan.compile(g_optimizer=adam(), d_optimizer=adam())
    gan.sample_noise = lambda n: z[:n]
    gan.generator_calls = 0
    call = gan.generator.call

    def counted(*args, **kw):
        gan.generator_calls += 1  # counted while tracing: calls per train step
        return call(*args, **kw)

    gan.generator.call = counted
    return gan


@pytest.mark.parametrize("variant", [models.GAN, models.WGANGP, models.EBGAN, models.ImprovedGAN])
def test_reusing_the_generator_pass_gives_the_same_update_with_one_pass_fewer(variant):
    z = tf.random.stateless_normal([32, 4], seed=[1, 2])
    extra = {"adversarial_weight": 1.0} if variant is models.ImprovedGAN else {}
    fresh, reused = (_counting_gan(variant, reuse, z, **extra) for reuse in (False, True))
    real = tf.random.stateless_normal([32 * fresh.d_steps, 2], seed=[3, 4])
    for gan in (fresh, reused):
        gan.train_on_batch(real)
    for net in ("generator", "discriminator"):
        for a, b in zip(getattr(fresh, net).trainable_weights, getattr(reused, net).trainable_weights,
                        strict=True):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    assert fresh.generator_calls == fresh.d_steps + 1
    assert reused.generator_calls == fresh.d_steps


def _image_gan(precision: str):
    config = train.load_zoo_config("gan_mnist_subset")
    config.train.update(batch_size=16, precision=precision)
    config.networks.base_filters = 4
    dataset, info = data.load("mnist_subset", 16, seed=0)
    return build.build_gan(config, info), dataset


def test_mixed_bfloat16_computes_in_bf16_and_keeps_float32_variables_outputs_and_losses():
    gan, dataset = _image_gan("mixed_bfloat16")
    assert gan.generator.get_layer("deconv_0").compute_dtype == "bfloat16"
    assert gan.discriminator.get_layer("conv_1").compute_dtype == "bfloat16"
    assert {w.dtype for w in gan.generator.weights + gan.discriminator.weights} == {"float32"}
    assert gan.generate(4, seed=0).dtype == np.float32
    assert gan.critic(next(iter(dataset))).dtype == tf.float32
    logs = gan.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in logs.values())
    assert keras.config.dtype_policy().name == "float32"  # the policy does not leak


@pytest.mark.backends("jax", "torch")
def test_loss_scaling_leaves_the_update_unchanged():
    """mixed_float16 wraps both optimizers in LossScaleOptimizer; the loss is scaled on the
    tape and the gradients unscaled, so on float32 networks the update is the plain one.
    (On JAX the scaled optimizers' stateful `apply` leaked tracers out of `lax.cond`.)"""
    real = np.random.default_rng(5).normal(size=(32, 1)).astype("float32")
    weights = []
    for loss_scaling in (False, True):
        keras.utils.set_random_seed(0)
        g, d = toy_networks()
        gan = models.GAN(g, d, latent_dim=4, seed=0)
        gan.compile(g_optimizer=build.make_optimizer(dict(name="adam", learning_rate=1e-2), loss_scaling),
                    d_optimizer=build.make_optimizer(dict(name="sgd", learning_rate=1e-2), loss_scaling))
        gan.train_on_batch(real)
        weights.append([keras.ops.convert_to_numpy(w)
                        for w in gan.generator.weights + gan.discriminator.weights])
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert float(keras.ops.convert_to_numpy(gan.d_optimizer.dynamic_scale)) > 1000  # really scaled
    assert int(keras.ops.convert_to_numpy(gan.g_optimizer.step_counter)) == 1  # the state came back
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_steps_per_execution_0_takes_up_to_10_on_a_gpu_as_the_callback_intervals_allow(monkeypatch):
    config = train.load_zoo_config("gan_mnist_subset")
    assert config.train.steps_per_execution == 0
    monkeypatch.setattr(devices, "gpus", lambda: [])
    assert build.resolve_steps_per_execution(config) == 1  # CPU: TensorBoard gets every step
    monkeypatch.setattr(devices, "gpus", lambda: [{"name": "NVIDIA H200", "compute_capability": (9, 0)}])
    assert build.resolve_steps_per_execution(config) == 10
    config.train.sample_every = 25
    assert build.resolve_steps_per_execution(config) == 5  # a grid at step 25 needs a call ending there
    config.train.steps_per_epoch = 937  # full MNIST at batch 64: a prime
    assert build.resolve_steps_per_execution(config) == 1
    config.train.steps_per_execution = 5
    assert build.resolve_steps_per_execution(config) == 5  # set by hand: taken as it is


def test_auto_precision_keeps_toys_in_float32():
    assert build.resolve_precision("auto", is_image=False) == "float32"
    assert build.resolve_precision("mixed_float16", is_image=False) == "mixed_float16"
    expected = "mixed_bfloat16" if devices.fast_bfloat16() else "float32"
    assert build.resolve_precision("auto", is_image=True) == expected


def test_a_mixed_float16_run_checkpoints_its_loss_scales_and_resumes(tmp_path):
    config = train.load_zoo_config("gan_mnist_subset")
    config.train.update(epochs=1, steps_per_epoch=4, checkpoint_every=2, sample_every=4, batch_size=16,
                        precision="mixed_float16")
    config.networks.base_filters = 4
    config.eval.num_samples = 0
    first = train.train_and_evaluate(config, str(tmp_path), verbose=0)
    assert first["precision"] == "mixed_float16" and first["step"] == 4
    checkpoint = tf.train.latest_checkpoint(str(tmp_path / "checkpoints"))
    names = [name for name, _ in tf.train.list_variables(checkpoint)]
    assert sum("dynamic_scale" in name for name in names) == 2  # one per optimizer
    config.train.epochs = 2
    second = train.train_and_evaluate(config, str(tmp_path), verbose=0)
    assert second["step"] == 8 and all(np.isfinite(v) for v in second["train"].values())


def test_the_machine_a_figure_was_measured_on_names_the_cpus_generation_and_units(monkeypatch):
    """"AMD EPYC" covers AVX2-only and AVX-512 BF16 generations, whose speeds differ by
    multiples: a figure's machine carries the family, the model and the units."""
    monkeypatch.setattr(devices, "_first_cpuinfo", lambda: {
        "model name": "AMD EPYC", "cpu family": "25", "model": "17",
        "flags": "fpu sse2 avx2 fma avx512f avx512_bf16 avx512_vnni"})
    described = devices.machine()
    assert described["cpu"] == "AMD EPYC (family 25 model 17)"
    assert described["cpu_features"] == ["avx2", "avx512f", "avx512_bf16"]
    # The same reading decides whether bf16 is fast here (TensorFlow's oneDNN, no GPU).
    assert described["fast_bfloat16"] == (keras.backend.backend() != "jax")
    monkeypatch.setattr(devices, "_first_cpuinfo", dict)  # no /proc/cpuinfo (macOS)
    assert devices.machine()["cpu"] and devices.machine()["cpu_features"] == []
