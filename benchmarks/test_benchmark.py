"""The lab's benchmark (measure.py, benchmark.py) and PyTorch peer (pytorch_peer.py): FLOP
counts against hand counts, the keras-io baseline, the roofline, the tool's JSON, and the
peer's networks and loops against the zoo's."""

import importlib.util
import json
import os
import sys
import types

import keras
import numpy as np
import pytest

import measure
import pytorch_peer
from conftest import REPO, adam, numpy, run_script, toy_networks
from gan_zoo import build, data, losses, models, networks, train


def test_flop_counts_match_hand_counts():
    x = keras.Input((8, 8, 3))
    h = keras.layers.Conv2D(4, 3, strides=2, padding="same")(x)  # 4x4 outputs x 3*3*3*4 MACs
    h = keras.layers.Conv2DTranspose(2, 5, strides=2, padding="same")(h)  # 4x4 inputs x 5*5*4*2
    h = keras.layers.Dense(6)(keras.layers.Flatten()(h))  # 8*8*2 x 6
    model = keras.Model(x, h)
    assert measure.forward_flops(model) == 2 * (16 * 108 + 16 * 200 + 128 * 6)
    g, d = toy_networks()
    gan = models.GAN(g, d, latent_dim=4)
    fg, fd = measure.forward_flops(g), measure.forward_flops(d)
    assert fg == 2 * (4 * 64 + 64 * 64 + 64 * 1)
    # D step: G fwd + D fwd/bwd on real and fake; G step: G fwd/bwd + D fwd/input-bwd.
    assert measure.step_flops(gan, 10) == 10 * ((fg + 6 * fd) + (3 * fg + 2 * fd))
    gan.reuse_generator_pass = True
    assert measure.step_flops(gan, 10) == 10 * ((fg + 6 * fd) + (2 * fg + 2 * fd))
    gan.penalties, gan.penalty_interval = {"r1": 1.0}, 4  # R1: ~6 D forwards, every 4th D step
    assert measure.step_flops(gan, 10) == round(10 * ((fg + 6 * fd + 6 * fd / 4) + (2 * fg + 2 * fd)))


def test_the_repetitions_alternate_between_the_zoo_the_baseline_and_the_peers():
    """Every timer warms up, then each repetition times each timer once, in turn: a drift of
    the machine hits the zoo, the baseline and the PyTorch loops alike."""
    order = []

    class Timer:
        def __init__(self, name, steps_per_call, seconds_per_step):
            self.name, self.steps_per_call, self.seconds_per_step = name, steps_per_call, seconds_per_step

        def run(self, calls):
            order.append((self.name, calls))
            return calls * self.steps_per_call * self.seconds_per_step

    timers = {"zoo": Timer("zoo", 2, 0.01), "baseline": Timer("baseline", 1, 0.02),
              "float32": Timer("float32", 1, 0.04)}
    per_step = measure.time_models(timers, warmup_steps=4, seconds=0.4, repeats=3)
    # Warm-up then probe per timer, each (4 steps, sized by steps_per_call), then windows of
    # about 0.4 s each: 20 calls of 2 steps at 10 ms, 20 of 20 ms, 10 of 40 ms.
    assert order == [("zoo", 2), ("zoo", 2), ("baseline", 4), ("baseline", 4), ("float32", 4), ("float32", 4),
                     *[("zoo", 20), ("baseline", 20), ("float32", 10)] * 3]
    assert per_step == {"zoo": [0.01] * 3, "baseline": [0.02] * 3, "float32": [0.04] * 3}


@pytest.mark.backends("torch")
def test_the_op_profile_ranks_the_torch_steps_operators_by_their_own_time():
    config = train.load_zoo_config("gan_ring8")
    config.train.batch_size = 32
    if keras.backend.backend() != "torch":
        with pytest.raises(train.ConfigError, match="--profile_ops reads torch.profiler: run it with "
                                                    "--backend=torch"):
            measure.benchmark(config, profile_ops=5)
        return
    dataset, info, _ = measure.benchmark_data(config, 64)
    timer = measure._Timer(build.build_gan(config, info), dataset)
    timer.run(1)
    profile = measure.torch_op_profile(timer, steps=2, top=40)
    shares = [op["share"] for op in profile["ops"]]
    assert profile["steps"] == 2 and len(shares) == 40 and shares == sorted(shares, reverse=True)
    assert 0 < sum(shares) <= 1 + 1e-3 and profile["self_cpu_seconds"] > 0
    # Keras's Dense on torch is a matmul and an add: the matrix products are among them.
    assert any(op["name"] == "aten::mm" and op["calls"] > 0 for op in profile["ops"])


def test_the_baseline_is_left_out_where_keras_io_has_no_analogue():
    """WGAN-GP's penalty has keras.io's analogue, taken every step; R1, or the gradient
    penalty taken lazily, would make the baseline do other work than the zoo."""
    config = train.load_zoo_config("wgan_gp_mnist_subset")
    config.networks.base_filters = 4
    _, info = data.load(config.dataset, 8, seed=0)
    assert isinstance(measure.build_baseline(config, info), measure.PlainGAN)
    config.train.penalty_interval = 5
    assert measure.build_baseline(config, info) is None
    assert measure.build_baseline(train.load_zoo_config("gan_mnist_subset"), info) is None  # R1


def test_plain_baseline_learns_gauss1d():
    """The benchmark's keras-io-style baseline is a working GAN, not a strawman."""
    g, d = toy_networks()
    plain = measure.PlainGAN(g, d, latent_dim=4)
    plain.compile(g_optimizer=adam(), d_optimizer=adam())
    dataset, _ = data.load("gauss1d", 256, seed=0)
    plain.fit(dataset, epochs=1, steps_per_epoch=1200, verbose=0)
    x = plain.generate(5000, seed=1)
    assert abs(x.mean() - 2.0) < 0.2 and abs(x.std() - 0.5) < 0.2


@pytest.mark.parametrize("variant", sorted(models.VARIANTS))
def test_the_benchmark_counts_every_variants_flops(variant):
    """Every variant's config goes through the benchmark's FLOP count (minibatch
    discrimination's kernel and spectrally normalized layers included); the tool test
    below times the default config and its baseline on each backend."""
    config = train.load_zoo_config(f"{variant}_mnist_subset")
    config.networks.base_filters = 4
    gan = build.build_gan(config, data.load("mnist_subset", 8, with_labels=True)[1])
    g, d = measure.forward_flops(gan.generator), measure.forward_flops(gan.discriminator)
    assert g > 0 and d > 0
    # At least k discriminator passes on real and fake data, then G's pass and D's on fake.
    assert measure.step_flops(gan, 8) >= 8 * (gan.d_steps * 2 * d + d)
    if config.networks.minibatch_kernels:  # the MBD kernel counts: A x (B * C) multiply-adds
        layer = next(la for la in gan.discriminator.layers if type(la).__name__ == "MinibatchDiscrimination")
        assert measure._layer_flops(layer) == 2 * int(np.prod(layer.kernel.shape))


@pytest.mark.backends("jax")
def test_the_roofline_reads_the_compiled_steps_flops_and_bytes():
    """XLA's own count of the step agrees with the analytic one, generator-pass reuse
    included, and the floors are those counts at the measured peak and bandwidth."""
    config = train.load_zoo_config("gan_mnist_subset:paper")
    config.networks.base_filters, config.train.batch_size = 8, 32
    config.train.precision = "float32"
    run = dict(warmup_steps=1, seconds=0.05, repeats=1, roofline=True)
    if keras.backend.backend() != "jax":
        with pytest.raises(train.ConfigError, match="run it with --backend=jax"):
            measure.benchmark(config, **run)
        return
    result = measure.benchmark(config, **run)
    zoo, plain = result["zoo"], result["baseline"]
    for model in (zoo, plain):  # weight layers dominate; XLA also counts the elementwise ops
        assert 0.5 < model["xla"]["gflop_per_step"] / model["gflop_per_step"] < 2
        assert model["xla"]["gbytes_per_step"] > 0
    assert zoo["xla"]["gflop_per_step"] < plain["xla"]["gflop_per_step"]  # one generator pass fewer
    peak = result["matmul_peak_gflops"]["float32"]
    floors = result["roofline_ms"]
    assert floors["compute_at_peak"] == pytest.approx(1e3 * zoo["gflop_per_step"] / peak, abs=1e-3)
    assert floors["memory_at_bandwidth"] == pytest.approx(
        1e3 * zoo["xla"]["gbytes_per_step"] / result["memory_bandwidth_gbps"], abs=1e-3)
    assert floors["measured"] == zoo["ms_per_step"]["median"]


@pytest.mark.backends("jax")
def test_benchmark_tool_reports_both_models_and_writes_json(tmp_path):
    output = tmp_path / "bench.json"
    command = [sys.executable, os.path.join(REPO, "benchmarks", "benchmark.py"),
               "--config=zoo:gan_mnist_subset:paper",
               "--config.train.batch_size=16", "--config.networks.base_filters=4",
               "--repeats=2", "--seconds=0.2", "--warmup_steps=2", f"--output={output}"]
    # The PyTorch peer (torch extra) is timed in the same process; without PyTorch, a clear error.
    has_torch = importlib.util.find_spec("torch") is not None
    if not has_torch:
        result = run_script([*command, "--peer=pytorch"])
        assert result.returncode == 2 and "pip install -e '.[torch]'" in result.stderr
    # The peer as written (at its best, torch.compile takes half a minute on CPU: its loop is
    # tested uncompiled in process).
    peer = ["--peer=pytorch", "--peer_settings=float32"] if has_torch else []
    result = run_script([*command, *peer])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "gan/mnist_subset:" in result.stdout and "speed-up x" in result.stdout
    figures = json.loads(output.read_text())
    for model in ("zoo", "baseline"):
        rates = figures[model]["images_per_second"]
        assert 0 < rates["min"] <= rates["median"] <= rates["max"]
        assert 0 < figures[model]["fraction_of_float32_peak"]
    assert figures["matmul_peak_gflops"]["float32"] > 0
    assert figures["pipeline_images_per_second"] > figures["zoo"]["images_per_second"]["max"]
    assert figures["peak_rss_mib"] > 0 and figures["config"]["train"]["batch_size"] == 16
    # The command as typed (not this checkout's path to the zoo's loader), to run elsewhere.
    typed = "python benchmarks/benchmark.py --config=zoo:gan_mnist_subset:paper "
    assert figures["command"].startswith(typed) and figures["example_shape"] == [28, 28, 1]
    assert figures["zoo"]["gflop_per_step"] < figures["baseline"]["gflop_per_step"]  # G pass reused
    if not has_torch:
        return
    assert set(figures["peer"]) == {"float32"}
    for setting, peer_figures in figures["peer"].items():
        rate = peer_figures["images_per_second"]["median"]
        assert rate > 0 and peer_figures["generator_parameters"] > 0
        # Repetition by repetition: with two, the ratio of the medians lies between theirs.
        speedup = figures["speedup_over_pytorch"][setting]
        zoo_rate = figures["zoo"]["images_per_second"]["median"]
        assert speedup["min"] - 0.01 <= zoo_rate / rate <= speedup["max"] + 0.01
        # dcgan.py's generator step also takes D's weight gradients: more work than the zoo's.
        work = peer_figures["work_over_zoo"]
        zoo_counted = figures["zoo"]["gflop_per_image_counted_by_torch"]
        assert work > 1 and peer_figures["gflop_per_image"] > zoo_counted
        equal_work = figures["speedup_over_pytorch_at_equal_work"][setting]
        assert equal_work["median"] == pytest.approx(speedup["median"] / work, abs=0.01)
    # The zoo's share of the peak by the counted FLOPs: GFLOP an image times images/s over GFLOP/s.
    counted = figures["zoo"]["fraction_of_float32_peak_counted_by_torch"]
    expected = zoo_counted * zoo_rate / figures["matmul_peak_gflops"]["float32"]
    assert counted == pytest.approx(expected, rel=0.02, abs=0.002)
    assert "PyTorch float32" in result.stdout


@pytest.mark.parametrize("name", ["gan_mnist_subset", "gan_ring8", "gan_cifar10", "wgan_gp_mnist_subset",
                                  "wgan_gp_ring8"])
def test_the_pytorch_peer_builds_the_configs_networks_layer_for_layer(name):
    torch = pytest.importorskip("torch")
    config = train.load_zoo_config(name)
    shape = (32, 32, 3) if config.dataset == "cifar10" else data.load_arrays(config.dataset)[0].shape[1:]
    net = config.networks
    g, d = networks.build_networks(net.kind, shape, config.model.latent_dim, is_image=len(shape) == 3,
                                   hidden_units=net.hidden_units, base_filters=net.base_filters,
                                   kernel_size=net.kernel_size, norm=net.norm)
    peer_g, peer_d = pytorch_peer.build_networks(config, shape)
    for keras_model, torch_model in ((g, peer_g), (d, peer_d)):
        trainable = sum(int(np.prod(w.shape)) for w in keras_model.trainable_weights)
        assert pytorch_peer.parameter_count(torch_model) == trainable
    images = peer_g(torch.randn(4, config.model.latent_dim))
    assert tuple(images.shape) == ((4, shape[-1], *shape[:2]) if len(shape) == 3 else (4, *shape))
    assert tuple(peer_d(images).shape) == (4, 1)


def test_a_tfds_set_not_on_the_machine_is_timed_on_random_images_of_its_shape(tmp_path):
    """CIFAR-10 is not prepared in an empty data_dir: the benchmark times WGAN-GP's ResNet on
    random images of CIFAR-10's shape (labels too, where the variant takes them) and says so."""
    config = train.load_zoo_config("wgan_gp_cifar10")
    config.data_dir = str(tmp_path)
    dataset, info, note = measure.benchmark_data(config, batch_size=4, examples=16)
    assert info.shape == (32, 32, 3) and info.num_classes == 10
    assert note.startswith("random images of cifar10's shape [32, 32, 3], timed in its place: tfds data set "
                           "'cifar10' is not prepared in " + str(tmp_path))
    batch = next(iter(dataset))
    images = batch[0] if isinstance(batch, tuple) else batch
    assert tuple(images.shape) == (4, 32, 32, 3) and -1 <= float(np.min(images)) < float(np.max(images)) <= 1
    # A machine without tfds to read the shape from is given it (--random_images).
    # A minibatch larger than the random examples asked for gets that many.
    dataset, info, note = measure.benchmark_data(config, 12, examples=8, random_images=((16, 16, 3), 7))
    assert info.shape == (16, 16, 3) and info.num_classes == 7
    assert tuple(next(iter(dataset)).shape) == (12, 16, 16, 3)
    assert note == "random images of shape [16, 16, 3] (--random_images), timed in place of cifar10"
    toy = train.load_zoo_config("gan_ring8")
    with pytest.raises(train.ConfigError, match="ring8 is a toy set of points: drop --random_images"):
        measure.benchmark_data(toy, 4, random_images=((8, 8, 1), None))
    config.dataset, config.center_crop = "celeb_a", 108  # cut as training would cut it
    assert measure.benchmark_data(config, batch_size=4, examples=4)[1].shape == (108, 108, 3)
    config.dataset = "cifar1O"  # any other data error is the user's to see
    with pytest.raises(data.DataError, match="Unknown data set 'cifar1O'"):
        measure.benchmark_data(config, batch_size=4)
    config = train.load_zoo_config("gan_mnist_subset")
    assert measure.benchmark_data(config, batch_size=4)[2] == "mnist_subset, as training reads it"


@pytest.mark.parametrize("value", ["32,32", "32,32,3,0", "32,x,3"])
def test_random_images_take_a_shape_and_refuse_anything_else(value):
    result = run_script([sys.executable, os.path.join(REPO, "benchmarks", "benchmark.py"),
                         "--config=zoo:gan_ring8", f"--random_images={value}"])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--random_images takes HEIGHT,WIDTH,CHANNELS[,CLASSES] as positive integers (e.g. 32,32,3 for " \
           f"CIFAR-10), got '{value}'." in result.stderr


def _narrow_config(case: str):
    """(config, image shape) of a network the peer builds layer for layer, narrowed for a
    test: WGAN-GP's CIFAR-10 ResNet (appendix F) at 8 filters with either critic norm,
    BigGAN's unconditional networks at 32 px, ch = 4, or StyleGAN2's at 32 px, 8 channels,
    2 mapping layers."""
    names = {"biggan": "biggan_folder:unused", "stylegan2": "stylegan2_folder64:unused"}
    config = train.load_zoo_config(names.get(case, "wgan_gp_cifar10"))
    shape = (32, 32, 3)
    net = config.networks
    net.base_filters, config.image_size = {"biggan": (4, 32), "stylegan2": (8, 32)}.get(case, (8, None))
    if case in names:
        config.model.latent_dim = 16  # BigGAN: 4 chunks, z's first and one for each of G's 3 blocks
        net.mapping_layers = 2
    else:
        net.norm = case
    return config, shape


def _peer_and_zoo_networks(case: str):
    """(config, image shape, the zoo's G and D, the peer's) for `_narrow_config(case)`."""
    config, shape = _narrow_config(case)
    net = config.networks
    g, d = networks.build_networks(net.kind, shape, config.model.latent_dim, is_image=True, norm=net.norm,
                                   base_filters=net.base_filters, spectral_norm=net.spectral_norm,
                                   mapping_layers=net.mapping_layers)
    return config, shape, g, d, *pytorch_peer.build_networks(config, shape)


@pytest.mark.parametrize("case", ["none", "layer", "biggan", "stylegan2"])
def test_the_pytorch_peers_networks_compute_the_zoos_with_its_weights(case):
    """With the zoo's weights copied over (spectral norm's u, StyleGAN2's constant, fixed
    noise and tracked mean of w too), G(z) and D(x) are the zoo's on the same inputs, at
    inference (moving statistics, truncation) and in training mode (batch statistics, u's
    power iteration kept), so that timing the two times the same work. (Inference first: a
    training pass moves the moving variances apart, torch's by the unbiased batch
    variance, Keras's by the biased one.) StyleGAN2's G draws its noise and mixes styles in
    training: its synthesis is compared there, with the noise strengths at 0."""
    torch = pytest.importorskip("torch")
    config, shape, g, d, peer_g, peer_d = _peer_and_zoo_networks(case)
    rng = np.random.default_rng(0)
    for model, peer in ((g, peer_g), (d, peer_d)):
        for weight in model.weights:  # moving statistics from 0 and 1, attention's gamma from 0: to be seen
            value = rng.normal(scale=0.2, size=weight.shape) + (1.5 if "variance" in weight.path else 0.0)
            if weight.path.endswith("vector_u"):
                value /= np.linalg.norm(value)
            weight.assign(value.astype("float32") + (1.0 if weight.path.endswith("truncation_psi") else 0.0))
        pytorch_peer.copy_keras_weights(model, peer)
    z = rng.normal(size=(4, config.model.latent_dim)).astype("float32")
    x = rng.uniform(-1, 1, size=(4, *shape)).astype("float32")
    if case == "stylegan2":
        peer_g.eval(), peer_d.eval()
        peer_images = peer_g(torch.from_numpy(z)).detach().numpy().transpose(0, 2, 3, 1)
        np.testing.assert_allclose(peer_images, numpy(g(z)), atol=1e-5)
        np.testing.assert_allclose(peer_d(torch.from_numpy(x.transpose(0, 3, 1, 2))).detach().numpy(),
                                   numpy(d(x)), rtol=1e-4, atol=1e-6)
        for conv in g.convs:
            conv.noise_strength.assign(0.0)
        peer_g.load_state_dict({key: torch.zeros(()) if key.endswith("noise_strength") else value
                                for key, value in peer_g.state_dict().items()})
        ws = rng.normal(size=(4, peer_g.num_ws, config.model.latent_dim)).astype("float32")
        peer_g.train()
        peer_images = peer_g.synthesis(torch.from_numpy(ws)).detach().numpy().transpose(0, 2, 3, 1)
        np.testing.assert_allclose(peer_images, numpy(g.synthesis(ws, training=True)), atol=1e-5)
        return
    for training in (False, True):
        peer_g.train(training), peer_d.train(training)
        images = numpy(g(z, training=training))
        peer_images = peer_g(torch.from_numpy(z)).detach().numpy().transpose(0, 2, 3, 1)
        np.testing.assert_allclose(peer_images, images, atol=1e-5)
        np.testing.assert_allclose(peer_d(torch.from_numpy(x.transpose(0, 3, 1, 2))).detach().numpy(),
                                   numpy(d(x, training=training)), rtol=1e-4, atol=1e-5)
    if case == "biggan":  # the power iteration moved u alike in both
        peer_u = {key: t.numpy() for key, t in peer_d.state_dict().items() if key.endswith(".u")}
        keras_u = {w.path: numpy(w) for w in d.weights if w.path.endswith("vector_u")}
        assert len(peer_u) == len(keras_u) > 10
        np.testing.assert_allclose(sorted(np.concatenate([u.ravel() for u in peer_u.values()])),
                                   sorted(np.concatenate([u.ravel() for u in keras_u.values()])), atol=1e-6)
        # BigGAN's orthogonal penalty, summed over the same kernels.
        zoo_penalty = numpy(models.penalties.orthogonal(types.SimpleNamespace(generator=g), None))
        peer_penalty = float(pytorch_peer.orthogonal_penalty(peer_g).detach())
        assert peer_penalty == pytest.approx(float(zoo_penalty), rel=1e-5)
    with pytest.raises(pytorch_peer.PeerError, match="are not the peer's"):
        pytorch_peer.copy_keras_weights(d, peer_g)


def test_the_peers_losses_are_the_zoos():
    torch = pytest.importorskip("torch")
    real, fake = torch.tensor([2.0, 0.5, -1.0]), torch.tensor([-2.0, 0.0, 1.5])
    pairs = (("hinge", losses.hinge_discriminator_loss, losses.hinge_generator_loss),
             ("gan", losses.minimax_discriminator_loss, losses.non_saturating_generator_loss))
    for variant, zoo_d, zoo_g in pairs:
        d_loss, g_loss = pytorch_peer._losses(variant)
        zoo_d_loss = np.mean(numpy(zoo_d(real.numpy(), fake.numpy())))
        assert float(d_loss(real, fake)) == pytest.approx(float(zoo_d_loss))
        assert float(g_loss(fake)) == pytest.approx(float(np.mean(numpy(zoo_g(fake.numpy())))))


def test_the_pytorch_peers_wgan_gp_loop_is_wgan_gp_py():
    """The penalty of a linear critic w.x is (||w|| - 1)^2 wherever x_hat falls, and the
    loop steps the critic on every minibatch and G on every d_steps-th (i % n_critic == 0)."""
    torch = pytest.importorskip("torch")
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 1))
    real, fake = torch.randn(8, 3, 2, 2), torch.randn(8, 3, 2, 2)
    expected = (critic[1].weight.norm() - 1) ** 2
    penalty = pytorch_peer.gradient_penalty(critic, real, fake)
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-5)

    config = train.load_zoo_config("wgan_gp_mnist_subset")
    config.train.batch_size = 4
    g, d = pytorch_peer.build_networks(config, (28, 28, 1))
    optimizer_g, optimizer_d = (torch.optim.Adam(n.parameters()) for n in (g, d))
    step = pytorch_peer._wgan_gp_step(config, g, d, optimizer_g, optimizer_d, torch.randn(16, 1, 28, 28),
                                      torch.autocast("cpu", enabled=False))
    for _ in range(2 * config.model.d_steps + 1):
        step()
    steps = [int(o.state[next(iter(o.state))]["step"]) for o in (optimizer_g, optimizer_d)]
    assert steps == [3, 2 * config.model.d_steps + 1]


def test_pytorch_at_its_best_takes_the_zoos_steps_and_no_gradient_of_d_in_gs_step():
    """One call of the at-its-best loop is one zoo iteration: d_steps critic updates, one
    generator update, and in the generator's backward pass no gradient reaches D."""
    torch = pytest.importorskip("torch")
    config = train.load_zoo_config("wgan_gp_cifar10")
    config.networks.base_filters, config.train.batch_size = 4, 2
    g, d = pytorch_peer.build_networks(config, (32, 32, 3))
    optimizer_g, optimizer_d = (torch.optim.Adam(n.parameters()) for n in (g, d))
    seen = []
    optimizer_g.register_step_pre_hook(lambda *_: seen.append([p.grad is None for p in d.parameters()]))
    step = pytorch_peer._zoo_step(config, g, d, optimizer_g, optimizer_d, torch.randn(8, 3, 32, 32),
                                  torch.autocast("cpu", enabled=False), compiled=False)
    d_grads = []
    optimizer_d.register_step_pre_hook(lambda *_: d_grads.append([p.grad.clone() for p in d.parameters()]))
    for _ in range(2):
        step()
    steps = [int(o.state[next(iter(o.state))]["step"]) for o in (optimizer_g, optimizer_d)]
    assert steps == [2, 2 * config.model.d_steps]
    # D's gradients at G's update are still those of D's last update: G's pass added none.
    assert seen and not any(any(nones) for nones in seen)
    for grad, param in zip(d_grads[-1], d.parameters(), strict=True):
        assert torch.equal(param.grad, grad) and param.requires_grad


def test_pytorch_at_its_best_on_biggan_takes_its_d_steps_and_averages_g(monkeypatch):
    """BigGAN's iteration: 2 D updates, 1 G update whose objective holds the orthogonal
    penalty, then G's moving average at the zoo's decay min(0.9999, (1 + t) / (10 + t)),
    2/11 after the first update."""
    torch = pytest.importorskip("torch")
    config, shape = _narrow_config("biggan")
    g, d = pytorch_peer.build_networks(config, shape)
    config.train.batch_size = 2
    penalties = []
    orthogonal_penalty = pytorch_peer.orthogonal_penalty
    monkeypatch.setattr(pytorch_peer, "orthogonal_penalty",
                        lambda module: penalties.append(module) or orthogonal_penalty(module))
    optimizer_g, optimizer_d = (torch.optim.Adam(n.parameters()) for n in (g, d))
    initial = [p.detach().clone() for p in g.parameters()]
    step = pytorch_peer._zoo_step(config, g, d, optimizer_g, optimizer_d, torch.randn(8, 3, 32, 32),
                                  torch.autocast("cpu", enabled=False), compiled=False)
    step()
    steps = [int(o.state[next(iter(o.state))]["step"]) for o in (optimizer_g, optimizer_d)]
    assert steps == [1, config.model.d_steps] == [1, 2]
    assert penalties == [g] and config.generator_penalties.orthogonal == 1e-4
    decay = 2 / 11
    for average, before, after in zip(step.generator_average, initial, g.parameters(), strict=True):
        torch.testing.assert_close(average, decay * before + (1 - decay) * after.detach())
    assert any(not torch.equal(a, b) for a, b in zip(initial, g.parameters(), strict=True))


def test_pytorch_at_its_best_on_stylegan2_takes_its_penalties_lazily(monkeypatch):
    """R1 is 1/2 ||grad D(x)||^2 (||w||^2 / 2 for a linear critic w.x), taken in every N-th D
    update from the first (16th in the preset; 4th here), and the path length penalty in
    every M-th G update (4th; 2nd here), as the zoo's."""
    torch = pytest.importorskip("torch")
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 1))
    penalty = pytorch_peer.r1_penalty(critic, torch.randn(8, 3, 2, 2))
    assert float(penalty.detach()) == pytest.approx(float(critic[1].weight.detach().square().sum()) / 2)

    config, shape = _narrow_config("stylegan2")
    g, d = pytorch_peer.build_networks(config, shape)
    config.train.update(batch_size=4, penalty_interval=4, generator_penalty_interval=2)
    taken = []
    r1_penalty, path_length = pytorch_peer.r1_penalty, pytorch_peer.PathLength.penalty
    monkeypatch.setattr(pytorch_peer, "r1_penalty", lambda *a: taken.append("r1") or r1_penalty(*a))
    monkeypatch.setattr(pytorch_peer.PathLength, "penalty",
                        lambda self: taken.append("path_length") or path_length(self))
    optimizer_g, optimizer_d = (torch.optim.Adam(n.parameters()) for n in (g, d))
    step = pytorch_peer._zoo_step(config, g, d, optimizer_g, optimizer_d, torch.randn(8, 3, 32, 32),
                                  torch.autocast("cpu", enabled=False), compiled=False)
    for i in range(5):
        taken.append(i)
        step()
    expected = [[i] + ["r1"] * (i % 4 == 0) + ["path_length"] * (i % 2 == 0) for i in range(5)]
    assert taken == [x for iteration in expected for x in iteration]


def test_a_lazy_penalty_is_counted_as_a_share_of_its_work():
    """R1 taken in every 4th D update costs a quarter of R1 taken in every one: the count
    runs the 4 iterations of its schedule, not the first alone (where it is due)."""
    pytest.importorskip("torch")
    config, shape = _narrow_config("stylegan2")
    config.generator_penalties.path_length = 0.0
    images = np.random.default_rng(0).uniform(-1, 1, (8, *shape)).astype("float32")

    def flops(r1: float, interval: int) -> float:
        config.penalties.r1, config.train.penalty_interval = r1, interval
        return pytorch_peer.flops_per_image(config, images, "zoo", batch=2)

    plain = flops(0.0, 1)
    assert flops(1.0, 4) - plain == pytest.approx((flops(1.0, 1) - plain) / 4, rel=1e-9)
    assert flops(1.0, 1) > 1.2 * plain  # R1 every update: a D pass, its input gradient and their backward


def _mlp_flops(sizes):
    """Forward FLOPs per example of an MLP of these layer widths, and its first layer's."""
    return sum(2 * a * b for a, b in zip(sizes, sizes[1:], strict=False)), 2 * sizes[0] * sizes[1]


def test_the_peers_work_is_counted_from_what_autograd_runs():
    """Per image, by hand on the toy MLPs (Fg, Fd: forward FLOPs; a Linear's backward
    takes its input gradient, unless its input needs none, and its weight gradient, unless
    its weights are frozen). dcgan.py's generator step also takes D's weight gradients, Fd
    more than the zoo's. wgan_gp.py's critic loss backpropagates into G on each of the k
    critic steps (G's weight and input gradients, and D's first-layer input gradient
    towards G), and its generator step draws G(z) afresh and takes D's weight gradients;
    the penalty's double backward is the same in both and cancels."""
    pytest.importorskip("torch")
    images = np.zeros((8, 2), "float32")
    config = train.load_zoo_config("gan_ring8")
    hidden = list(config.networks.hidden_units)
    fg, g_first = _mlp_flops([config.model.latent_dim, *hidden, 2])
    fd, d_first = _mlp_flops([2, *hidden, 1])
    zoo = pytorch_peer.flops_per_image(config, images, "zoo")
    # D step: 2 forwards, 2 weight and 2 input gradients but the first layer's; the G step:
    # D forward and input gradients, G forward, weight and input gradients but the first's.
    assert zoo == (fg + 2 * fd + 2 * fd + 2 * (fd - d_first)) + (fd + fd + fg + fg - g_first)
    assert pytorch_peer.flops_per_image(config, images, "as_written") == zoo + fd

    config = train.load_zoo_config("wgan_gp_ring8")
    k = config.model.d_steps
    extra = (k * (d_first + fg + fg - g_first) + fg + fd) / k
    zoo = pytorch_peer.flops_per_image(config, images, "zoo")
    assert pytorch_peer.flops_per_image(config, images, "as_written") == pytest.approx(zoo + extra, rel=1e-12)
    # The zoo's analytic estimate (a backward pass = 2 forwards, the penalty 6 D forwards)
    # is within a few per cent of the count here, its first layers being a small share.
    gan = build.build_gan(config, data.DataInfo("ring8", (2,), False, None, None))
    assert measure.step_flops(gan, 1) / k == pytest.approx(zoo, rel=0.05)


def test_the_pytorch_peer_refuses_what_its_loops_do_not_train(monkeypatch):
    pytorch_peer.check_config(train.load_zoo_config("wgan_gp_mnist_subset"))
    with pytest.raises(pytorch_peer.PeerError, match="non-saturating GAN with d_steps=1"):
        pytorch_peer.check_config(train.load_zoo_config("wgan_mnist_subset"))
    with pytest.raises(pytorch_peer.PeerError, match="unconditional DCGAN, ResNet or MLP"):
        pytorch_peer.check_config(train.load_zoo_config("cgan_mnist_subset"))
    config = train.load_zoo_config("wgan_gp_cifar10")
    config.networks.norm = "batch"
    with pytest.raises(pytorch_peer.PeerError, match="ResNet critic has norm 'none' or 'layer'"):
        pytorch_peer.check_config(config)
    with pytest.raises(pytorch_peer.PeerError, match="loops have no penalties .R1, .... and no generator"):
        pytorch_peer.check_config(train.load_zoo_config("gan_mnist_subset"))
    pytorch_peer.check_config(train.load_zoo_config("gan_mnist_subset:paper"))
    # BigGAN (the hinge loss, 2 D steps, orthogonal regularization, the average) at its best alone.
    biggan = train.load_zoo_config("biggan_folder:unused")
    pytorch_peer.check_config(biggan, pytorch_peer.AT_ITS_BEST)
    with pytest.raises(pytorch_peer.PeerError, match="time it at its best alone"):
        pytorch_peer.check_config(biggan, ["float32"])
    biggan.networks.conditioning = "projection"
    with pytest.raises(pytorch_peer.PeerError, match="conditioning='projection'"):
        pytorch_peer.check_config(biggan, pytorch_peer.AT_ITS_BEST)
    # StyleGAN2 (lazy R1, path length regularization, style mixing, the average) at its best alone.
    stylegan2 = train.load_zoo_config("stylegan2_folder64:unused")
    pytorch_peer.check_config(stylegan2, pytorch_peer.AT_ITS_BEST)
    stylegan2.penalties.r2 = 1.0
    with pytest.raises(pytorch_peer.PeerError, match=r"penalties are R1, .*; got \['r1', 'r2', 'path_"):
        pytorch_peer.check_config(stylegan2, pytorch_peer.AT_ITS_BEST)
    biggan.networks.conditioning, biggan.generator_penalties.path_length = "", 2.0
    with pytest.raises(pytorch_peer.PeerError, match="Path length regularization needs StyleGAN2's networks"):
        pytorch_peer.check_config(biggan, pytorch_peer.AT_ITS_BEST)
    monkeypatch.setitem(sys.modules, "torch", None)  # as on a machine without the torch extra
    with pytest.raises(pytorch_peer.PeerError, match=r"pip install -e '\.\[torch\]'"):
        pytorch_peer._torch()


def test_the_summary_table_pairs_each_precision_with_its_peer_loops(tmp_path):
    import peer_table

    def spread(median):
        return {"median": median, "min": median - 0.05, "max": median + 0.05}

    result = {"config": {"networks": {"kind": "resnet"}, "model": {"variant": "wgan_gp"},
                         "dataset": "cifar10", "train": {"batch_size": 64}},
              "precision": "mixed_bfloat16", "example_shape": [32, 32, 3],
              "machine": {"backend": "jax", "gpu": ["NVIDIA H100 80GB HBM3"], "cpu": "x", "cpu_cores": 16},
              "zoo": {"images_per_second": spread(1000.0), "fraction_of_bfloat16_peak": 0.41},
              "matmul_peak_gflops": {"float32": 50000.0, "bfloat16": 600000.0},
              "peer": {"bfloat16_channels_last": {"images_per_second": spread(500.0), "work_over_zoo": 1.249},
                       "best_bfloat16": {"images_per_second": spread(800.0), "work_over_zoo": 1.0}},
              "speedup_over_pytorch": {"bfloat16_channels_last": spread(2.0), "best_bfloat16": spread(1.25)},
              "speedup_over_pytorch_at_equal_work": {"bfloat16_channels_last": spread(1.6),
                                                     "best_bfloat16": spread(1.25)}}
    path = tmp_path / "gpu" / "resnet_bf16.json"
    path.parent.mkdir()
    path.write_text(json.dumps(result))
    row = peer_table.table([str(path)], link_from=str(tmp_path)).splitlines()[2]
    assert row == ("| ResNet (wgan_gp, cifar10) | 32 | 64 | bf16 | jax | NVIDIA H100 80GB HBM3 | 1000.0 | "
                   "500.0 | 800.0 | 1.249 | **x1.25 (1.20-1.30)** | x1.60 (1.55-1.65) (x2.00 (1.95-2.05)) | "
                   "41% of 600000 GFLOP/s | [resnet_bf16](gpu/resnet_bf16.json) |")
    biggan_config = {**result["config"], "networks": {"kind": "biggan"}, "model": {"variant": "hinge"}}
    biggan = {**result, "config": biggan_config, "peer": {"best_bfloat16": result["peer"]["best_bfloat16"]}}
    biggan["zoo"] = {**result["zoo"], "fraction_of_bfloat16_peak_counted_by_torch": 0.5}  # preferred
    path.write_text(json.dumps(biggan))
    assert peer_table.table([str(path)], link_from=str(tmp_path)).splitlines()[2].startswith(
        "| BigGAN (hinge, cifar10) | 32 | 64 | bf16 | jax | NVIDIA H100 80GB HBM3 | 1000.0 | - | 800.0 | - | "
        "**x1.25 (1.20-1.30)** | - | 50% of 600000 GFLOP/s |")
    del result["peer"]["best_bfloat16"]
    path.write_text(json.dumps(result))
    expected = ("no PyTorch loop best_bfloat16: rerun benchmark.py with --peer=pytorch "
                "--peer_settings=bfloat16_channels_last,best_bfloat16")
    with pytest.raises(ValueError, match=expected):
        peer_table.table([str(path)])
    path.write_text(json.dumps({"images": 100}))  # another tool's JSON
    with pytest.raises(ValueError, match="is not a JSON file that benchmarks/benchmark.py wrote"):
        peer_table.table([str(path)])
