"""Steady-state training speed of a zoo config, side by side with a plain Keras baseline.

`benchmark(config)` builds the config's GAN and, for the variants keras.io has an
example of, `PlainGAN`: the same networks in float32 trained by a straightforward
keras-io-style `train_step`. It times both on the same data, alternating repetitions so
that drifts of the machine hit both alike, with warm-up and tracing excluded. FLOP
counts are analytic (`forward_flops`), and the machine's matmul peaks are measured in
the same process, so every speed also reads as a fraction of what the hardware can do.
"""

import json
import os
import statistics
import time

import keras
import numpy as np
from keras import ops

from gan_zoo import build, data, devices, evaluation, losses, models, train
from gan_zoo.layers import MinibatchDiscrimination


def write_figures(path: str, figures: dict) -> None:
    """A benchmark's figures as JSON at `path` (its folder made)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(figures, f, indent=2, sort_keys=True)


# -- the baseline ------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="gan_zoo")
class PlainGAN(models.BaseGAN):
    """The keras.io DCGAN / WGAN-GP examples' `train_step`, the benchmark's baseline.

    Float32, one discriminator call on real and one on fake images, a fresh generator
    pass for the generator step, k contiguous real minibatches. On TensorFlow: tapes and
    stateful `tf.random.normal` noise, as the keras.io examples. On JAX: the keras.io
    guide's functional step (`stateless_call`, `jax.value_and_grad`, each optimizer's
    `stateless_apply`), noise from the seed generator's state. On torch: the keras.io
    guide's PyTorch GAN step (`zero_grad`, `backward`, each optimizer's `apply`). The loss pair is the
    base's (`loss`, `loss_options`); of the penalties only WGAN-GP's "gradient_penalty"
    has a keras.io analogue.
    """

    def __init__(self, generator, discriminator, latent_dim, d_steps=1, **kwargs):
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, **kwargs)
        if set(self.penalties) - {"gradient_penalty"}:
            raise ValueError(f"PlainGAN has no keras.io analogue of the penalties {sorted(self.penalties)}: "
                             "benchmark without them (e.g. --config=zoo_configs/gan_mnist_subset.py:paper).")
        self.gp_weight = self.penalties.get("gradient_penalty", 0.0)

    def train_step(self, *args):
        return getattr(self, f"_{keras.backend.backend()}_train_step")(*args)

    def _torch_train_step(self, images):
        import torch

        def update(optimizer, network, loss):
            self.zero_grad()
            loss.backward()
            with torch.no_grad():
                variables = network.trainable_variables
                optimizer.apply([v.value.grad for v in variables], variables)

        def noise(m):
            return keras.random.normal((m, self.latent_dim), seed=self.seed_generator)

        m = images.shape[0] // self.d_steps
        for i in range(self.d_steps):
            real = images[i * m:(i + 1) * m]
            with torch.no_grad():
                fake = self.generator(noise(m), training=True)
            d_loss = torch.mean(self.discriminator_loss(self.discriminator(real, training=True),
                                                        self.discriminator(fake, training=True)))
            if self.gp_weight:
                epsilon = keras.random.uniform((m,), seed=self.seed_generator)
                d_loss = d_loss + self.gp_weight * torch.mean(losses.gradient_penalty(
                    self.stepper.input_gradient, self.discriminator, real, fake, epsilon))
            update(self.d_optimizer, self.discriminator, d_loss)
        fake = self.generator(noise(m), training=True)
        g_loss = torch.mean(self.generator_loss(self.discriminator(fake, training=True)))
        update(self.g_optimizer, self.generator, g_loss)
        return self.record(d_loss=d_loss.detach(), g_loss=g_loss.detach())

    def _tensorflow_train_step(self, images):
        import tensorflow as tf

        m = tf.shape(images)[0] // self.d_steps
        for i in range(self.d_steps):
            real = images[i * m:(i + 1) * m]
            fake = self.generator(tf.random.normal([m, self.latent_dim]), training=True)
            with tf.GradientTape() as tape:
                d_loss = tf.reduce_mean(self.discriminator_loss(self.discriminator(real, training=True),
                                                                self.discriminator(fake, training=True)))
                if self.gp_weight:
                    epsilon = tf.random.uniform([m])
                    d_loss += self.gp_weight * tf.reduce_mean(
                        losses.gradient_penalty(self.stepper.input_gradient, self.discriminator,
                                                real, fake, epsilon))
            grads = tape.gradient(d_loss, self.discriminator.trainable_variables)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables, strict=True))
        with tf.GradientTape() as tape:
            fake = self.generator(tf.random.normal([m, self.latent_dim]), training=True)
            g_loss = tf.reduce_mean(self.generator_loss(self.discriminator(fake, training=True)))
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables, strict=True))
        return self.record(d_loss=d_loss, g_loss=g_loss)

    def _jax_train_step(self, state, images):
        import jax

        trainable, non_trainable, optimizer_values, metric_values = state
        G, D = self.generator, self.discriminator
        index = {id(v): i for i, v in enumerate(self.trainable_variables)}
        held = {id(v): i for i, v in enumerate(self.non_trainable_variables)}
        g_tv = [trainable[index[id(v)]] for v in G.trainable_variables]
        d_tv = [trainable[index[id(v)]] for v in D.trainable_variables]
        g_ntv = [non_trainable[held[id(v)]] for v in G.non_trainable_variables]
        d_ntv = [non_trainable[held[id(v)]] for v in D.non_trainable_variables]
        seed_state = non_trainable[held[id(self.seed_generator.state)]]
        g_count = len(self.g_optimizer.variables)
        g_opt, d_opt = optimizer_values[:g_count], optimizer_values[g_count:]

        def noise(n, seed_state):
            with keras.StatelessScope([(self.seed_generator.state, seed_state)]) as scope:
                z = keras.random.normal((n, self.latent_dim), seed=self.seed_generator)
            return z, scope.get_current_value(self.seed_generator.state)

        def d_loss(d_tv, d_ntv, real, fake, seed_state):
            real_out, d_ntv = D.stateless_call(d_tv, d_ntv, real, training=True)
            fake_out, d_ntv = D.stateless_call(d_tv, d_ntv, fake, training=True)
            loss = ops.mean(self.discriminator_loss(real_out, fake_out))
            if self.gp_weight:
                with keras.StatelessScope([(self.seed_generator.state, seed_state)]) as scope:
                    epsilon = keras.random.uniform((ops.shape(real)[0],), seed=self.seed_generator)
                seed_state = scope.get_current_value(self.seed_generator.state)
                critic = lambda x: D.stateless_call(d_tv, d_ntv, x, training=True)[0]  # noqa: E731
                loss = loss + self.gp_weight * ops.mean(
                    losses.gradient_penalty(self.stepper.input_gradient, lambda x, training: critic(x),
                                            real, fake, epsilon))
            return loss, (d_ntv, seed_state)

        m = ops.shape(images)[0] // self.d_steps
        for i in range(self.d_steps):
            z, seed_state = noise(m, seed_state)
            fake, g_ntv = G.stateless_call(g_tv, g_ntv, z, training=True)
            (d_value, (d_ntv, seed_state)), grads = jax.value_and_grad(d_loss, has_aux=True)(
                d_tv, d_ntv, images[i * m:(i + 1) * m], fake, seed_state)
            d_tv, d_opt = self.d_optimizer.stateless_apply(d_opt, grads, d_tv)

        def g_loss(g_tv, g_ntv, d_ntv, z):
            fake, g_ntv = G.stateless_call(g_tv, g_ntv, z, training=True)
            fake_out, d_ntv = D.stateless_call(d_tv, d_ntv, fake, training=True)
            return ops.mean(self.generator_loss(fake_out)), (g_ntv, d_ntv)

        z, seed_state = noise(m, seed_state)
        (g_value, (g_ntv, d_ntv)), grads = jax.value_and_grad(g_loss, has_aux=True)(g_tv, g_ntv, d_ntv, z)
        g_tv, g_opt = self.g_optimizer.stateless_apply(g_opt, grads, g_tv)

        trainable = list(trainable)
        for variables, values in ((G.trainable_variables, g_tv), (D.trainable_variables, d_tv)):
            for v, value in zip(variables, values, strict=True):
                trainable[index[id(v)]] = value
        non_trainable = list(non_trainable)
        for variables, values in ((G.non_trainable_variables, g_ntv), (D.non_trainable_variables, d_ntv),
                                  ([self.seed_generator.state], [seed_state])):
            for v, value in zip(variables, values, strict=True):
                non_trainable[held[id(v)]] = value
        mapping = list(zip(self.metrics_variables, metric_values, strict=True))
        with keras.StatelessScope(mapping) as scope:
            logs = self.record(d_loss=d_value, g_loss=g_value)
        metric_values = [scope.get_current_value(v) for v in self.metrics_variables]
        return logs, (trainable, non_trainable, [*g_opt, *d_opt], metric_values)



# The variants with a keras.io example (DCGAN, WGAN-GP) or one loss swap away from it.
PLAIN_VARIANTS = ("gan", "lsgan", "hinge", "wgan_gp")


def build_baseline(config, info) -> PlainGAN | None:
    """`PlainGAN` on float32 copies of the config's networks and the config's loss pair
    and penalties (None: no keras.io analogue, e.g. for R1 or a lazy gradient penalty, which
    PlainGAN would compute every step)."""
    if config.model.variant not in PLAIN_VARIANTS or config.networks.conditioning:
        return None  # (keras.io's conditional GAN example is a different network)
    fp32 = config.copy_and_resolve_references()
    with fp32.unlocked():
        fp32.train.precision = "float32"
        fp32.train.steps_per_execution = 1
        fp32.train.reuse_generator_pass = False
        fp32.train.jit_compile = False
    zoo = build.build_gan(fp32, info)
    if set(zoo.penalties) - {"gradient_penalty"} or (zoo.penalties and zoo.penalty_interval > 1):
        return None  # R1 and the like, or lazy penalties: no keras.io example has them
    baseline = PlainGAN(zoo.generator, zoo.discriminator, config.model.latent_dim,
                        d_steps=config.model.d_steps, loss=zoo.loss_name, loss_options=zoo.loss_options,
                        penalties=zoo.penalties)
    baseline.compile(g_optimizer=build.make_optimizer(config.g_optimizer),
                     d_optimizer=build.make_optimizer(config.d_optimizer))
    return baseline


# -- FLOPs -------------------------------------------------------------------------------


def _layer_flops(layer) -> int:
    """Multiply-adds x 2 of one weight layer's forward pass on one example."""
    node = layer  # a wrapped layer is called inside its wrapper: the wrapper has the shapes
    if isinstance(layer, keras.layers.SpectralNormalization):
        layer = layer.layer
    if isinstance(layer, keras.Model):
        return forward_flops(layer)
    if isinstance(layer, keras.layers.Dense):
        rows = int(np.prod(node.input.shape[1:-1])) if len(node.input.shape) > 2 else 1
        return 2 * rows * int(np.prod(layer.kernel.shape))
    if isinstance(layer, keras.layers.Conv2DTranspose):  # each input pixel scatters a kernel
        return 2 * int(np.prod(node.input.shape[1:3])) * int(np.prod(layer.kernel.shape))
    if isinstance(layer, keras.layers.Conv2D):  # each output pixel gathers a kernel
        return 2 * int(np.prod(node.output.shape[1:3])) * int(np.prod(layer.kernel.shape))
    if isinstance(layer, MinibatchDiscrimination):
        return 2 * int(np.prod(layer.kernel.shape))
    return 0


def forward_flops(model: keras.Model) -> int:
    """FLOPs of one example's forward pass through the weight layers (Dense, convolutions,
    the minibatch-discrimination projection); element-wise ops and normalizations are
    left out (a few per cent in a DCGAN)."""
    wrapped = {id(layer.layer) for layer in model.layers if isinstance(layer, keras.layers.Wrapper)}
    return sum(_layer_flops(layer) for layer in model.layers if id(layer) not in wrapped)


def step_flops(gan: models.BaseGAN, batch_size: int) -> int:
    """FLOPs one generator step executes, on the usual convention that a backward pass
    costs twice its forward pass (once when only input gradients are needed).

    Per discriminator step: G forward, D forward on real and fake, D backward; a
    penalty (each of `models.penalties` is one: WGAN-GP's, R1, R2, DRAGAN) adds a forward and
    an input-gradient pass on its points and their double backward (~6 D forwards), once
    every `penalty_interval` discriminator steps when lazy. The generator step: G forward
    (unless the discriminator step's pass is reused), D forward and input gradients, G
    backward.
    """
    g, d = forward_flops(gan.generator), forward_flops(gan.discriminator)
    k = gan.d_steps
    per_d_step = g + 2 * d + 2 * (2 * d)
    per_d_step += 6 * d * len(gan.penalties) / gan.penalty_interval
    reused = gan.reuse_generator_pass and not isinstance(gan, PlainGAN)
    g_step = (0 if reused else g) + d + d + 2 * g
    return round(batch_size * (k * per_d_step + g_step))


# -- the machine ----------------------------------------------------------------------------


def matmul_peak(dtype: str, size: int | None = None, repeats: int = 5) -> float:
    """GFLOP/s of a size^3 matmul in `dtype` on the default device (best of `repeats`),
    compiled by the running backend."""
    size = size or (8192 if devices.gpus() else 2048)
    a = np.random.default_rng(0).standard_normal((size, size)).astype("float32")
    a, b = ops.cast(a, dtype), ops.cast(a.T.copy(), dtype)
    if keras.backend.backend() == "jax":
        import jax

        compile_ = jax.jit
    elif keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        compile_ = tf.function
    else:  # torch: one kernel, eager
        compile_ = lambda fn: fn  # noqa: E731
    multiply = compile_(lambda x, y: ops.sum(ops.cast(ops.matmul(x, y)[0, :1], "float32")))
    np.asarray(multiply(a, b))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.asarray(multiply(a, b))
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def memory_bandwidth(size: int | None = None, repeats: int = 5) -> float:
    """GB/s of a compiled elementwise pass (x = 2x + 1 over `size` float32s, larger than
    the caches) on the default device, counting the bytes read and written (best of
    `repeats`); JAX only. The buffer is donated and reused: a fresh output on a CPU
    measured its page faults, 9 GB/s where the pass in place ran at 52-60 (Zen 5)."""
    import jax

    size = size or (2**28 if devices.gpus() else 2**26)
    scale = jax.jit(lambda v: v * 2 + 1, donate_argnums=0)
    x = scale(jax.numpy.ones((size,), "float32")).block_until_ready()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        x = scale(x).block_until_ready()
        best = min(best, time.perf_counter() - start)
    return 2 * 4 * size / best / 1e9


def _jax_state(model) -> tuple:
    """The functional state a JAX train step takes: every variable list, as `fit` passes it."""
    return model._get_jax_state(trainable_variables=True, non_trainable_variables=True,
                                optimizer_variables=True, metrics_variables=True)


def xla_cost(model, batch) -> dict:
    """XLA's own count of one compiled train step of `model` on `batch` (JAX only): the
    FLOPs of every op, elementwise ones included, and the bytes every fused kernel reads
    and writes, as the compiler for the running device estimates them."""
    import jax

    cost = jax.jit(model.train_step).lower(_jax_state(model), batch).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list | tuple) and cost else cost  # older jax: a list of one dict
    if not cost:
        raise train.ConfigError(f"XLA gives no cost analysis of the step on {jax.devices()[0].platform}: "
                                "run without --roofline.")
    flops, accessed = float(cost.get("flops", 0.0)), float(cost.get("bytes accessed", 0.0))
    return {"gflop_per_step": round(flops / 1e9, 3), "gbytes_per_step": round(accessed / 1e9, 3),
            "flop_per_byte": round(flops / max(accessed, 1.0), 1)}


def torch_op_profile(timer, steps: int, top: int) -> dict:
    """Where `steps` steps of `timer` (a model's `_Timer`, torch only) spend the CPU: the
    `top` operators by their own time (not their callees'), each with its share of the
    steps' total and its calls, from torch.profiler. On a GPU this is the host's side."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        timer.run(max(1, steps // timer.steps_per_call))
    events = sorted(profiler.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in events)
    return {"steps": steps, "self_cpu_seconds": round(total / 1e6, 3),
            "ops": [{"name": e.key, "self_cpu_seconds": round(e.self_cpu_time_total / 1e6, 3),
                     "share": round(e.self_cpu_time_total / total, 4), "calls": e.count}
                    for e in events[:top]]}


# -- timing --------------------------------------------------------------------------------


class _Timer:
    """Runs one model's train function on its own iterator over the data: on TensorFlow
    the tf.data iterator (distributed under a strategy), on JAX numpy batches and the
    functional state carried from call to call, on torch a batch a call, as `fit` does."""

    def __init__(self, model, dataset):
        self.model = model
        model.make_train_function()
        self.function = model.train_function
        self.steps_per_call = model.steps_per_execution
        if keras.backend.backend() == "jax":
            self.iterator = dataset.as_numpy_iterator()
            self.state = _jax_state(model)
            return
        if keras.backend.backend() == "torch":
            batches = dataset.as_numpy_iterator()
            function = self.function
            self.iterator = None
            self.function = lambda _: function([keras.tree.map_structure(ops.convert_to_tensor,
                                                                         next(batches))])
            self.state = None
            return
        strategy = model.distribute_strategy
        self.iterator = iter(strategy.experimental_distribute_dataset(dataset)
                             if strategy.num_replicas_in_sync > 1 else dataset)
        self.state = None

    def run(self, calls: int) -> float:
        """Seconds for `calls` calls, synchronised on the last one's logs."""
        start = time.perf_counter()
        for _ in range(calls):
            if self.state is None:
                logs = self.function(self.iterator)
            else:
                logs, self.state = self.function(self.state, self.iterator)
        for value in logs.values():
            ops.convert_to_numpy(value)
        return time.perf_counter() - start


def time_models(timers: dict, warmup_steps: int = 10, seconds: float = 2.0, repeats: int = 5) -> dict:
    """{name: [seconds per step, one per repetition]}, steady state, of timers that each
    `run(calls)` and take `steps_per_call` steps a call (a model's `_Timer`: generator
    steps; a peer's loop: its iterations).

    Each timer first runs `warmup_steps` (tracing, compiling, allocation), then one
    repetition is sized to about `seconds` for it; the repetitions alternate between the
    timers, so that the machine's drifts hit all of them alike.
    """
    calls = {}
    for name, timer in timers.items():
        warm = max(1, warmup_steps // timer.steps_per_call)
        timer.run(warm)
        probe = timer.run(warm) / warm
        calls[name] = max(2, int(seconds / max(probe, 1e-6)))
    per_step = {name: [] for name in timers}
    for _ in range(repeats):
        for name, timer in timers.items():
            steps = calls[name] * timer.steps_per_call
            per_step[name].append(timer.run(calls[name]) / steps)
    return per_step


def _spread(values: list, digits: int) -> dict:
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits)}


def _summary(seconds_per_step: list, images_per_step: int, flops: int, peaks: dict) -> dict:
    rates = [images_per_step / s for s in seconds_per_step]
    median_s = statistics.median(seconds_per_step)
    gflops = flops / median_s / 1e9
    return {"images_per_second": _spread(rates, 1),
            "ms_per_step": _spread([1e3 * s for s in seconds_per_step], 3),
            "gflop_per_step": round(flops / 1e9, 3), "gflops": round(gflops, 1),
            **{f"fraction_of_{dtype}_peak": round(gflops / peak, 3) for dtype, peak in peaks.items()}}


def pipeline_rate(dataset, images_per_batch: int, seconds: float = 1.0) -> float:
    """Images/s the input pipeline alone delivers (it must outpace the train step)."""
    iterator = iter(dataset)
    next(iterator)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        next(iterator)
        count += 1
    return count * images_per_batch / (time.perf_counter() - start)


def benchmark_data(config, batch_size: int, examples: int = 1024, random_images: tuple | None = None):
    """(dataset, info, note): the config's data, or random images (and random labels) to
    time the step on where the data cannot be read: `examples` of them, of the shape and
    number of classes that `random_images` ((height, width, channels), classes) gives, or,
    for a tfds set that is not prepared on this machine, of that set's own; `note` says which.
    A minibatch larger than `examples` (batch 256 of 5 critic steps) takes that many more."""
    with_labels = build.needs_labelled_batches(config)
    examples = max(examples, batch_size)
    if random_images is None:
        try:
            dataset, info = data.load(config.dataset, batch_size, seed=config.seed, download=False,
                                      data_dir=config.data_dir or None, image_size=config.image_size or None,
                                      with_labels=with_labels, labels_per_class=config.labels_per_class)
            return dataset, info, f"{config.dataset}, as training reads it"
        except data.DataNotPrepared as error:
            info = data.tfds_info(config.dataset, config.data_dir, config.image_size, config.center_crop)
            note = (f"random images of {config.dataset}'s shape {list(info.shape)}, timed in its place: "
                    f"{error}")
    else:
        if config.dataset in data.TOYS:
            raise train.ConfigError(f"--random_images stands in for a data set of images; "
                                    f"{config.dataset} is a toy set of points: drop --random_images.")
        shape, classes = random_images
        info = data.DataInfo(config.dataset, tuple(shape), True, None, classes)
        note = (f"random images of shape {list(info.shape)} (--random_images), timed in place of "
                f"{config.dataset}")
    rng = np.random.default_rng(config.seed)
    images = rng.uniform(-1, 1, size=(examples, *info.shape)).astype("float32")
    labels = rng.integers(0, info.num_classes or 1, size=examples).astype("int32") if with_labels else None
    return data.from_arrays(images, labels, batch_size, seed=config.seed), info, note


def images_in_memory(config, examples: int, random_images: tuple | None = None) -> np.ndarray:
    """`examples` images (or toy points) of the config's data as `benchmark_data` serves
    them, in one array: what a peer draws its minibatches from."""
    batches = benchmark_data(config, examples, random_images=random_images)[0].as_numpy_iterator()
    batch = next(iter(batches))
    return np.asarray(batch[0] if isinstance(batch, tuple) else batch)


def benchmark(config, *, baseline: bool = True, warmup_steps: int = 10, seconds: float = 2.0,
              repeats: int = 5, strategy=None, roofline: bool = False, peers: dict | None = None,
              random_images: tuple | None = None, profile_ops: int = 0) -> dict:
    """Speed of `config`'s GAN (and of the plain baseline) in images/s, ms per generator
    step, GFLOP/s and fractions of the measured matmul peaks, on the running backend.

    `roofline` (JAX) adds each model's `xla_cost`, the measured memory bandwidth, and the
    zoo step's two floors: its analytic FLOPs at the matmul peak of its precision, and
    XLA's bytes at that bandwidth. Where they add up to more than the step takes at the
    target fraction of the peak, the target needs less memory traffic, not faster
    matmuls.

    `peers` ({setting: `pytorch_peer.PeerLoop`}) are timed in the same alternation as the
    zoo and the baseline; `speedup_over_pytorch` holds the zoo's images/s over each peer's,
    repetition by repetition (median, min, max), and `speedup_over_pytorch_at_equal_work`
    the same divided by the peer's work per image over the zoo algorithm's (`work_over_zoo`,
    both counted by `pytorch_peer.flops_per_image`): the ratio of their FLOP rates.
    `random_images`: as `benchmark_data` takes it. `profile_ops` (torch): the zoo step's
    operators that take the most time, that many, over 2 steps after the timing
    (`torch_op_profile`).
    """
    strategy = strategy or devices.default_strategy()
    train.validate(config)
    if roofline and keras.backend.backend() != "jax":
        raise train.ConfigError("The roofline reads XLA's cost analysis of the compiled step: run it "
                                "with --backend=jax.")
    if profile_ops and keras.backend.backend() != "torch":
        raise train.ConfigError("--profile_ops reads torch.profiler: run it with --backend=torch.")
    keras.utils.set_random_seed(config.seed)
    images_per_step = config.train.batch_size * config.model.d_steps
    dataset, info, data_note = benchmark_data(config, images_per_step, random_images=random_images)
    with strategy.scope():
        named = {"zoo": build.build_gan(config, info)}
        if baseline:
            plain = build_baseline(config, info)
            if plain is not None:
                named["baseline"] = plain
    gpu = bool(devices.gpus())
    peak_dtypes = ("float32", "bfloat16", "float16") if gpu else ("float32", "bfloat16")
    peaks = {dtype: round(matmul_peak(dtype), 1) for dtype in peak_dtypes}
    timers = {**{name: _Timer(model, dataset) for name, model in named.items()}, **(peers or {})}
    per_step = time_models(timers, warmup_steps, seconds, repeats)
    result = {"machine": devices.machine(), "data": data_note, "example_shape": list(info.shape),
              "matmul_peak_gflops": peaks,
              "precision": named["zoo"].generator.dtype_policy.name,
              "images_per_step": images_per_step,
              "pipeline_images_per_second": round(pipeline_rate(dataset, images_per_step), 1)}
    for name, model in named.items():
        result[name] = _summary(per_step[name], images_per_step,
                                step_flops(model, config.train.batch_size), peaks)
    if roofline:
        batch = next(iter(dataset.as_numpy_iterator()))
        for name, model in named.items():
            result[name]["xla"] = xla_cost(model, batch)
        bandwidth = result["memory_bandwidth_gbps"] = round(memory_bandwidth(), 1)
        roofline_peak = peaks[{"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}.get(
            result["precision"], "float32")]
        result["roofline_ms"] = {
            "compute_at_peak": round(1e3 * result["zoo"]["gflop_per_step"] / roofline_peak, 3),
            "memory_at_bandwidth": round(1e3 * result["zoo"]["xla"]["gbytes_per_step"] / bandwidth, 3),
            "measured": result["zoo"]["ms_per_step"]["median"]}
    if profile_ops:
        result["zoo"]["op_profile"] = torch_op_profile(timers["zoo"], 2, profile_ops)
    if "baseline" in named:
        ratios = [b / z for z, b in zip(per_step["zoo"], per_step["baseline"], strict=True)]
        result["speedup"] = _spread(ratios, 2)
    if peers:
        zoo_rates = [images_per_step / s for s in per_step["zoo"]]
        result["peer"], result["speedup_over_pytorch"] = {}, {}
        result["speedup_over_pytorch_at_equal_work"] = {}
        # The zoo's algorithm counted by the same dispatch counter (each loop holds the count).
        zoo_flops = next(iter(peers.values())).zoo_flops_per_image
        result["zoo"]["gflop_per_image_counted_by_torch"] = round(zoo_flops / 1e9, 4)
        # The analytic count sees weight layers only (not attention's products, StyleGAN2's
        # modulation, path length): the share of the peak by the counted FLOPs beside it.
        counted = zoo_flops * statistics.median(zoo_rates) / 1e9
        result["zoo"].update({f"fraction_of_{dtype}_peak_counted_by_torch": round(counted / peak, 3)
                              for dtype, peak in peaks.items()})
        if roofline:
            compute_ms = 1e3 * zoo_flops * images_per_step / 1e9 / roofline_peak
            result["roofline_ms"]["compute_at_peak_counted_by_torch"] = round(compute_ms, 3)
        for name, peer in peers.items():
            rates = [peer.images_per_step / s for s in per_step[name]]
            work = peer.flops_per_image / zoo_flops
            result["peer"][name] = {**peer.description, "images_per_second": _spread(rates, 1),
                                    "ms_per_step": _spread([1e3 * s for s in per_step[name]], 3),
                                    "gflop_per_image": round(peer.flops_per_image / 1e9, 4),
                                    "work_over_zoo": round(work, 3)}
            ratios = [zoo_rate / rate for zoo_rate, rate in zip(zoo_rates, rates, strict=True)]
            result["speedup_over_pytorch"][name] = _spread(ratios, 2)
            result["speedup_over_pytorch_at_equal_work"][name] = _spread([r / work for r in ratios], 2)
    result["peak_rss_mib"] = round(train.peak_rss_mib(), 1)
    return result


def quality(config, steps: int, seed_offset: int = 12345) -> dict:
    """Classifier FID (and the rest of `evaluation.evaluate_samples`) of the config's GAN and of
    the float32 plain baseline, each trained `steps` generator steps from the same seed
    on the same data: the check that speed did not cost sample quality."""
    images_per_step = config.train.batch_size * config.model.d_steps
    figures = {}
    for name in ("zoo", "baseline"):
        keras.utils.set_random_seed(config.seed)
        dataset, info = data.load(config.dataset, images_per_step, seed=config.seed,
                                  data_dir=config.data_dir or None)
        model = build.build_gan(config, info) if name == "zoo" else build_baseline(config, info)
        if model is None:
            continue
        start = time.perf_counter()
        model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
        wall = time.perf_counter() - start
        figures[name] = {"steps": steps, "wall_seconds": round(wall, 1),
                         **evaluation.evaluate_samples(model.generate, config.dataset,
                                                       config.eval.num_samples, config.seed + seed_offset)}
    return figures


# -- the generator alone ----------------------------------------------------------------------


def fit_pairs(generator, optimizer, z, images, steps: int, every: int) -> list[dict]:
    """Train `generator` to map z[i] to images[i] (mean squared error, the whole set as
    one batch) for `steps` steps; {"step", "mse", "output_spread"} every `every` steps."""
    generator.compile(optimizer=optimizer, loss="mse")
    curve = []
    for step in range(every, steps + 1, every):
        history = generator.fit(z, images, batch_size=len(z), epochs=every, verbose=0, shuffle=False)
        outputs = keras.ops.convert_to_numpy(generator(z, training=False))
        curve.append({"step": step, "mse": float(history.history["loss"][-1]),
                      "output_spread": float(outputs.std(axis=0).mean())})
    return curve
