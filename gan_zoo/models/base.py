"""What every GAN variant shares: G, D, two optimizers, noise, trackers, saving.

The choices that compare_gan and TF-GAN make independent are arguments of the base: the
loss pair (`loss`, `loss_options`: `losses.LOSS_PAIRS`), a set of discriminator
penalties (`penalties`: `models.penalties.PENALTIES`) and a discriminator weight
constraint. The paper classes (`GAN`, `WGANGP`, ...) are presets holding their papers'
choices and defaults; a variant changes only the few lines its paper changes beyond
them, and lists what else it logs in `also_logged`. `adversarial_step` is Algorithm 1
of Goodfellow et al. 2014 (k discriminator steps, then one generator step), written
once in `keras.ops` over these helpers:

- `real_minibatches(data)`: the k real minibatches of one generator step, each an
  images tensor with its labels beside it (None for unlabelled data);
- `generate_like(real, labels)`, `critic(x, labels)`: G and D, given the labels when
  the GAN is class-conditional (`num_classes`): generated samples take the labels of the
  real minibatch they are paired with, a draw from the data's label distribution;
- `sample_noise(n)`: z ~ N(0, I), different on every replica and every call;
- `discriminator_step`, `generator_step`, with hooks (`discriminator_objective`,
  `generator_objective`, `critic`, `after_discriminator_step`) for what a paper changes;
- `average(per_example)`, `average_scalar`, `global_batch`: reductions that stay exact
  when the batch is split across devices;
- `record(name=value, ...)`: update the trackers behind `metrics` and the logs.

Gradients, optimizer updates and loops come from the backend's stepper
(`gan_zoo.backends`): tapes on TensorFlow, `jax.value_and_grad` on Keras's functional
JAX state. The same `adversarial_step` runs on both.
"""

import contextlib
from collections.abc import Iterable

import keras
import numpy as np
from keras import ops

from gan_zoo import backends, losses
from gan_zoo.backends import OptimizerPair
from gan_zoo.models import penalties as penalty_lib
from gan_zoo.models.minibatches import group_minibatches, split_batch
from gan_zoo.sampling import noise_and_labels
from gan_zoo.values import is_number


@keras.saving.register_keras_serializable(package="gan_zoo")
class BaseGAN(keras.Model):
    """Generator, discriminator, the two optimizers and what training needs around them.

    Args:
      generator: a Keras model mapping z of shape [batch, latent_dim] to samples.
      discriminator: a Keras model mapping samples to logits or scores (no sigmoid).
      latent_dim: dimension of z.
      d_steps: discriminator (critic) updates per generator update, k in Goodfellow et
        al. 2014, Algorithm 1. `fit`'s batches are minibatches: each one feeds one
        discriminator step, and every k of them one generator step (see `fit`). Inside,
        a train step takes the k minibatches as one batch interleaved by row (row j*k + i
        is row j of minibatch i) and splits it by stride (x[i::k]), which gives the same
        minibatches on one device and across replicas.
      seed: seed of the noise generator used in training (None: random).
      reuse_generator_pass: feed the generator step with the samples G made for the
        last discriminator step, recorded for differentiation, instead of a fresh
        forward pass on fresh noise (Algorithm 1 draws new noise). The generator then
        runs forward once per generator step instead of twice, a quarter of its work
        where it dominates the FLOPs (DCGAN), at the price of reusing that noise. Off
        by default (the paper's algorithm); the image configs turn it on
        (docs/PERFORMANCE.md measures both).
      loss: the loss pair, a name in `losses.LOSS_PAIRS`: "non_saturating" (default),
        "minimax", "least_squares", "hinge", "wasserstein" or "energy".
      loss_options: keyword options of the pair's losses, e.g. {"label_smoothing": 0.1}
        or {"a": -1, "b": 1, "c": 0}.
      penalties: {name: weight} of discriminator penalties (`models.penalties`), e.g.
        {"gradient_penalty": 10.0}; each is logged, unweighted, under its name, and D's
        loss without them as `d_adversarial_loss` (`d_loss` is D's whole objective).
      penalty_options: keyword options of the penalties, each given to whichever penalty
        takes it, e.g. {"perturbation_variance": 1.0} for "dragan".
      penalty_interval: N > 1 computes the penalties lazily (Karras et al. 2020,
        StyleGAN2, section 3.1: R1 "once every 16 minibatches"): only in every N-th
        update of D (the first included, counted by D's optimizer, so a resume keeps the
        rhythm), weighted N times, so that their expected pull is unchanged at about 1/N
        of their cost; they are logged from those updates only. The authors' code takes
        them in an extra optimizer step instead, and so also scales Adam's rate by
        N/(N+1) and its betas to that power; here they join D's own update, which leaves
        Adam's settings as they are. 1 (default): every update, as the penalties'
        papers have it.
      generator_penalties: {name: weight} of generator penalties
        (`models.penalties.GENERATOR_PENALTIES`), e.g. {"orthogonal": 1e-4} (BigGAN) or
        {"path_length": 2.0} (StyleGAN2); each is logged, unweighted, under its name, and
        G's loss without them as `g_adversarial_loss` (`g_loss` is G's whole objective).
      generator_penalty_interval: N > 1 takes the generator penalties lazily, N times
        weighted in every N-th update of G (StyleGAN2's path length: 4), as
        `penalty_interval` does for D's.
      discriminator_constraint: a Keras constraint applied to every discriminator weight
        after every discriminator update, e.g. `gan_zoo.layers.WeightClip(0.01)`.
      ema_decay: keep an exponential moving average of G's weights (Yazici et al. 2019;
        Karras et al. 2018), updated after every generator step with decay
        min(ema_decay, (1 + t) / (10 + t)) at generator step t (the warm-up of
        `tf.train.ExponentialMovingAverage`), from G's initial weights. `generate`,
        `averaged_generator` and so the samples, evaluations and exported generator of
        the train tool use the average; the live weights keep training. None: off.
      lr_decay_steps: N > 0 decays both learning rates linearly to 0 at generator step N:
        the updates of generator step t (D's included) use rate * max(0, 1 - t / N), as
        Gulrajani et al.'s reference code does, where both decay by the generator's
        iteration. The step sets them from G's optimizer's count, so a resumed run follows
        the schedule and no callback has to reach into the training state; the rates
        decayed are the optimizers' when compiled (constant rates, not schedules). None:
        the optimizers' rates as they are.
      augment: a layer applied to every input of D in training, real and generated
        alike, in the D and the G steps (`gan_zoo.layers.DiffAugment`, Zhao et al. 2020).
      num_classes: K > 0 makes the GAN class-conditional: G takes [z, labels] (labels
        int of shape [batch] in [0, K)), D takes [x, labels] where its inputs are two
        (`networks.build_networks(..., num_classes=K, conditioning=...)`), batches are
        (images, labels), and `generate` takes labels. 0: unconditional.
    """

    # The variant's protocol, read by the trainer, TensorBoard, the plots and the benchmark.
    # What it logs beyond the losses, D's outputs and the penalties: {name: (TensorBoard
    # tag, description)}.
    also_logged: dict[str, tuple[str, str]] = {}
    needs_labels = False  # batches are (images, labels)
    discriminator_kind = "classifier"  # or "autoencoder" (EBGAN), "auxiliary_classifier" (ACGAN)
    discriminator_classifies = False  # D has one output per class (the semi-supervised GAN)
    own_evaluation: str | None = None  # a figure of its own (`evaluation.OWN_EVALUATIONS`)
    # Base arguments that a preset derives from its own, paper-named ones (and so leaves
    # out of its config).
    preset_arguments: tuple[str, ...] = ()

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int,
        d_steps: int = 1,
        seed: int | None = None,
        reuse_generator_pass: bool = False,
        loss: str = "non_saturating",
        loss_options: dict | None = None,
        penalties: dict | None = None,
        penalty_options: dict | None = None,
        penalty_interval: int = 1,
        generator_penalties: dict | None = None,
        generator_penalty_interval: int = 1,
        discriminator_constraint=None,
        ema_decay: float | None = None,
        lr_decay_steps: int | None = None,
        augment: keras.layers.Layer | None = None,
        num_classes: int = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_classes = _num_classes(num_classes, generator)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = _positive_int("latent_dim", latent_dim)
        self.d_steps = _positive_int("d_steps", d_steps)
        self.seed = seed
        self.reuse_generator_pass = bool(reuse_generator_pass)
        self.loss_name = check_choice("loss", loss, losses.LOSS_PAIRS)
        self.loss_pair = losses.LOSS_PAIRS[loss]
        self.loss_options = dict(loss_options or {})
        self._losses = self.loss_pair.bind(self.loss_options)
        self.penalties = {check_choice("penalty", name, penalty_lib.PENALTIES): _weight(name, weight)
                          for name, weight in (penalties or {}).items()}
        self.penalty_options = dict(penalty_options or {})
        self._penalties = penalty_lib.bind(self.penalties, self.penalty_options)
        self.penalty_interval = _positive_int("penalty_interval", penalty_interval)
        self.generator_penalties = {
            check_choice("generator penalty", name, penalty_lib.GENERATOR_PENALTIES): _weight(name, weight)
            for name, weight in (generator_penalties or {}).items()}
        self.generator_penalty_interval = _positive_int("generator_penalty_interval",
                                                        generator_penalty_interval)
        if "path_length" in self.generator_penalties:
            penalty_lib.check_path_length_generator(generator)
            # a in (||J_w^T y|| - a)^2: the moving mean of the lengths, trained state to resume.
            self.path_length_mean = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                                    name="path_length_mean", aggregation="mean")
        self.discriminator_constraint = keras.constraints.get(discriminator_constraint)
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")
        if ema_decay is not None and not 0.0 < float(ema_decay) < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1) or None, got {ema_decay!r}.")
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.lr_decay_steps = (None if lr_decay_steps is None
                               else _positive_int("lr_decay_steps", lr_decay_steps))
        self.augment = augment
        if augment is not None and not augment.built:  # Keras's JAX trainer wants every layer built
            augment.build(discriminator.input_shape)
        # "mean" across replicas: every replica computes the same average of the same weights.
        self.generator_average = [
            self.add_weight(shape=w.shape, initializer=lambda shape, dtype, w=w: ops.copy(w.value),
                            trainable=False, name=f"generator_average_{i}", aggregation="mean")
            for i, w in enumerate(generator.trainable_variables)] if self.ema_decay else []
        outputs_logged = self.loss_pair.summaries(np.zeros(1), np.zeros(1))
        penalties_logged = ("d_adversarial_loss", *self.penalties) if self.penalties else ()
        if self.generator_penalties:
            penalties_logged += ("g_adversarial_loss", *self.generator_penalties)
        logged = ("d_loss", "g_loss", *outputs_logged, *penalties_logged, *self.also_logged)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in dict.fromkeys(logged)}
        self.stepper = backends.current()
        # The GAN has no call(); without this, fit builds it by calling it on images.
        self.built = True

    # -- compile -----------------------------------------------------------------

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Attach one optimizer per network and build both now.

        Building eagerly gives every slot variable before a strategy or a checkpoint
        restore needs it (lazily created slots break MirroredStrategy and are skipped
        by restores). Keras's `optimizer` is the pair of both (`OptimizerPair`), so that
        both optimizers' state travels through the JAX trainer and Keras makes no
        unused default optimizer.
        """
        g_optimizer = keras.optimizers.get(g_optimizer or "adam")
        d_optimizer = keras.optimizers.get(d_optimizer or "adam")
        if g_optimizer is d_optimizer:
            raise ValueError("g_optimizer and d_optimizer must be two distinct optimizer objects.")
        g_optimizer.build(self.generator.trainable_variables)
        d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        if self.lr_decay_steps:
            self.initial_learning_rates = [_constant_rate(o) for o in (g_optimizer, d_optimizer)]
        # Each optimizer scales its own network's loss (mixed_float16); Keras must not wrap the pair.
        super().compile(optimizer=OptimizerPair(g_optimizer, d_optimizer), auto_scale_loss=False,
                        **kwargs)

    def get_compile_config(self):
        config = {name: backends.serialize_optimizer(getattr(self, name))
                  for name in ("g_optimizer", "d_optimizer")}
        if self.lr_decay_steps:  # the rates compiled with, which the schedule decays, not today's
            for serialized, rate in zip(config.values(), self.initial_learning_rates, strict=True):
                inner = serialized["config"].get("inner_optimizer", serialized)  # LossScaleOptimizer
                inner["config"]["learning_rate"] = rate
        return config

    def compile_from_config(self, config):
        self.compile(
            g_optimizer=keras.saving.deserialize_keras_object(config["g_optimizer"]),
            d_optimizer=keras.saving.deserialize_keras_object(config["d_optimizer"]),
        )

    # -- fit: batch_size is the minibatch ---------------------------------------------

    def fit(self, x=None, y=None, batch_size=None, *args, steps_per_epoch=None, **kwargs):
        """Keras's `fit`, with `batch_size` (or the batches of a dataset) the minibatch m
        of one discriminator step, as keras.io's and PyTorch-GAN's loops have it.

        With k = `d_steps` > 1, k consecutive batches make one train step: k
        discriminator steps, each on its own fresh minibatch, then one generator step. An
        epoch is still one pass over the data; `steps_per_epoch` counts batches (a
        multiple of k); the progress bar, the history and the callbacks count train
        steps, that is generator steps, so every logged figure comes from a step that
        ran both networks.
        """
        k = self.d_steps
        if k > 1:
            if steps_per_epoch is not None:
                if steps_per_epoch % k:
                    raise ValueError(f"steps_per_epoch ({steps_per_epoch}) counts minibatches: with "
                                     f"d_steps={k} it must be a multiple of {k}.")
                steps_per_epoch //= k
            x, y, batch_size = group_minibatches(x, y, batch_size, k)
        return super().fit(x, y, batch_size, *args, steps_per_epoch=steps_per_epoch, **kwargs)

    # -- training helpers ---------------------------------------------------------

    @property
    def discriminator_outputs_logits(self) -> bool:
        """Whether D outputs logits (False: unbounded scores or energies)."""
        return self.loss_pair.outputs == "logits"

    @property
    def discriminator_output_name(self) -> str:
        """What plots call D's output."""
        return {"logits": "D(x)", "scores": "critic score", "energies": "energy"}[self.loss_pair.outputs]

    @property
    def conditional(self) -> bool:
        """Whether G (and, taking two inputs, D) are conditioned on class labels."""
        return self.num_classes > 0

    @property
    def discriminator_takes_labels(self) -> bool:
        return self.conditional and len(self.discriminator.inputs) == 2

    @property
    def metrics(self):
        return list(self.trackers.values())

    def record(self, **values):
        """Update the named trackers; per-example tensors give exact means across replicas.
        A (values, weights) pair is a weighted mean (weight 0 leaves an example out)."""
        for name, value in values.items():
            value, weight = value if isinstance(value, tuple) else (value, None)
            self.trackers[name].update_state(value, sample_weight=weight)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def real_minibatches(self, data) -> list:
        """The `d_steps` real minibatches of one generator step (strided split, see class
        doc): (images, labels) pairs, labels None where the batches have none."""
        images, labels = split_batch(data)
        if self.conditional and labels is None:
            raise ValueError(f"This GAN is class-conditional ({self.num_classes} classes): fit it on "
                             "(images, labels) batches, e.g. gan_zoo.data.load(name, batch_size, "
                             "with_labels=True).")
        if self.d_steps == 1:
            return [(images, labels)]
        size = ops.shape(images)[0] // self.d_steps

        def minibatch(t, i):
            return None if t is None else t[i :: self.d_steps][:size]

        return [(minibatch(images, i), minibatch(labels, i)) for i in range(self.d_steps)]

    def normal(self, shape):
        """N(0, 1) noise from the training seed generator: a fresh draw on every call,
        different on every replica."""
        return self.stepper.normal(shape, self.seed_generator)

    def uniform(self, shape):
        """U[0, 1) noise, likewise."""
        return self.stepper.uniform(shape, self.seed_generator)

    def sample_noise(self, batch_size):
        """z ~ N(0, I) of shape [batch_size, latent_dim]."""
        return self.normal((batch_size, self.latent_dim))

    def inputs_of_g(self, z, labels=None):
        """What G is given: z, or [z, labels] when it is conditional."""
        return [z, ops.cast(labels, "int32")] if self.conditional else z

    def inputs_of_d(self, x, labels=None):
        """What D is given of (augmented) samples x: x, or [x, labels] when it is conditional."""
        if not self.discriminator_takes_labels:
            return x
        # A real batch is numpy in JAX's eager mode (run_eagerly), which Keras will not mix with a tensor.
        return [ops.convert_to_tensor(x), ops.cast(labels, "int32")]

    def generate_like(self, real, labels=None):
        """G(z) in float32 (whatever G's compute precision), as many as `real` holds, of
        the classes `labels` when G is conditional."""
        n = ops.shape(real)[0]
        return ops.cast(self.generator(self.inputs_of_g(self.sample_noise(n), labels), training=True),
                        "float32")

    def average(self, per_example):
        """Mean over the global batch: gradients summed across replicas are then exact."""
        return self.stepper.average(per_example)

    def average_scalar(self, value):
        """A batch-coupled scalar term (PT, feature matching) scaled for summed gradients."""
        return self.stepper.average_scalar(value)

    def global_batch(self, x):
        """`x` gathered from every replica along the batch axis, differentiably: a term
        that couples a batch (pulling-away, feature matching) then sees the global batch,
        as on one device. Scale it with `average_scalar`."""
        return self.stepper.global_batch(x)

    # -- the algorithm: k discriminator steps, then one generator step -------------------
    # Variants change the few lines their paper changes beyond the loss pair, the
    # penalties and the constraint: what D's output is to the losses, an objective, what
    # happens after a discriminator update, or a whole step.

    def discriminator_loss(self, real_out, fake_out):
        """The loss pair's discriminator loss, per example."""
        return self._losses[0](real_out, fake_out)

    def generator_loss(self, fake_out):
        """The loss pair's generator loss, per example."""
        return self._losses[1](fake_out)

    def augmented(self, x, training=True):
        """What D is given of samples x: augmented (`augment`) in training."""
        return self.augment(x, training=True) if training and self.augment is not None else x

    def critic(self, x, labels=None, training=True):
        """What the losses see of D on samples x of classes `labels` (and what plots show of D)."""
        return self.discriminator(self.inputs_of_d(self.augmented(x, training), labels),
                                  training=training)

    def after_discriminator_step(self):
        """Runs after every discriminator update: the weight constraint (WGAN's clipping)."""
        if self.discriminator_constraint is not None:
            for w in self.discriminator.trainable_variables:
                w.assign(self.discriminator_constraint(w))

    def discriminator_objective(self, real, fake, labels=None):
        """(the objective D minimises, its logs) on a real minibatch and generated samples:
        the pair's loss plus the weighted penalties, per example."""
        real_out, fake_out = self.critic(real, labels), self.critic(fake, labels)
        d_loss = self.discriminator_loss(real_out, fake_out)
        d_loss, penalty_logs = self.add_penalties(d_loss, real, fake, labels)
        return self.average(d_loss), {"d_loss": d_loss, **self.loss_pair.summaries(real_out, fake_out),
                                      **penalty_logs}

    def add_penalties(self, d_loss, real, fake, labels=None):
        """(d_loss + sum of weight * penalty, logs), per example. The logs hold each
        penalty by name and `d_loss` as given under "d_adversarial_loss" (none without
        penalties). With a `penalty_interval` N > 1: N * weight * penalty in every N-th
        update of D and nothing (not even computed) in the others, whose logs then leave
        the penalties out."""
        def penalties():
            return {name: ops.cast(penalty(self, real, fake, labels), "float32")
                    for name, penalty in self._penalties.items()}

        if not self._penalties:
            return d_loss, {}
        adversarial = d_loss
        if self.penalty_interval == 1:
            values, due = penalties(), None
        else:
            due = ops.equal(self.d_optimizer.iterations % self.penalty_interval, 0)
            zeros = ops.zeros((ops.shape(real)[0],))
            values = self.stepper.cond(due, penalties, lambda: {name: zeros for name in self._penalties})
            due = ops.cast(due, "float32")
        scale = 1.0 if due is None else self.penalty_interval * due
        for name, value in values.items():
            d_loss = d_loss + scale * self.penalties[name] * value
        if due is not None:  # logged as (values, weights): the mean over the updates that computed them
            values = {name: (value, ops.ones_like(value) * due) for name, value in values.items()}
        return d_loss, {"d_adversarial_loss": adversarial, **values}

    def discriminator_step(self, real, labels=None, fake=None) -> dict:
        """One update of D on a real minibatch (with its labels, or None) and as many
        generated samples (`fake`, or fresh ones)."""
        fake = self.generate_like(real, labels) if fake is None else ops.stop_gradient(fake)
        logs = self.stepper.minimize(self.d_optimizer, self.discriminator.trainable_variables,
                                     lambda: self.discriminator_objective(real, fake, labels))
        self.after_discriminator_step()
        return logs

    def generator_objective(self, real, fake, labels=None):
        """(the objective G minimises, its logs) on generated samples `fake`: the pair's
        loss, plus the weighted generator penalties."""
        g_loss = self.generator_loss(self.critic(fake, labels))
        return self.add_generator_penalties(self.average(g_loss), {"g_loss": g_loss}, fake, labels)

    def add_generator_penalties(self, objective, logs: dict, fake, labels=None):
        """(objective + sum of weight * penalty, logs) for a variant's G objective and its
        logs: with generator penalties, `g_loss` (as given) is logged as
        `g_adversarial_loss`, and `g_loss` becomes G's whole objective, beside each penalty
        by name. Each penalty is a scalar, scaled with `average_scalar`. With a
        `generator_penalty_interval` N > 1, N * weight * penalty in every N-th update of G
        only (the others neither compute nor log them), as `penalty_interval` for D."""
        if not self.generator_penalties:
            return objective, logs

        def penalties():
            return {name: ops.cast(penalty_lib.GENERATOR_PENALTIES[name](self, fake, labels), "float32")
                    for name in self.generator_penalties}

        interval = self.generator_penalty_interval
        if interval == 1:
            values, scale = penalties(), 1.0
        else:
            due = ops.equal(self.g_optimizer.iterations % interval, 0)
            values = self.stepper.cond(due, penalties, lambda: {name: ops.zeros(()) for name in
                                                               self.generator_penalties})
            scale = interval * ops.cast(due, "float32")
        g_loss = logs["g_loss"]
        logs = {**logs, "g_adversarial_loss": g_loss}
        for name, weight in self.generator_penalties.items():
            value = values[name]
            objective = objective + self.average_scalar(scale * weight * value)
            g_loss = g_loss + scale * weight * value
            logs[name] = value if interval == 1 else (value, scale / interval)
        return objective, {**logs, "g_loss": g_loss}

    def generator_step(self, real, labels=None, recorded=None) -> dict:
        """One update of G on a fresh minibatch of noise, as large as `real`, or through
        the generator pass `recorded` (`stepper.record`)."""
        if recorded is None:
            logs = self.stepper.minimize(
                self.g_optimizer, self.generator.trainable_variables,
                lambda: self.generator_objective(real, self.generate_like(real, labels), labels))
        else:
            logs = self.stepper.minimize_through(
                self.g_optimizer, recorded, lambda fake: self.generator_objective(real, fake, labels))
        self.update_generator_average()
        return logs

    def update_generator_average(self):
        """The moving average of G's weights, after a generator update (see `ema_decay`)."""
        if not self.ema_decay:
            return
        t = ops.cast(self.g_optimizer.iterations, "float32")  # updates so far, this one included
        decay = ops.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        for w, average in zip(self.generator.trainable_variables, self.generator_average, strict=True):
            average.assign(decay * average.value + (1.0 - decay) * w.value)

    def decay_learning_rates(self):
        """Both optimizers' rates for this generator step (see `lr_decay_steps`)."""
        if not self.lr_decay_steps:
            return
        t = ops.cast(self.g_optimizer.iterations, "float32")  # generator steps so far
        scale = ops.maximum(0.0, 1.0 - t / self.lr_decay_steps)
        for optimizer, rate in zip((self.g_optimizer, self.d_optimizer), self.initial_learning_rates,
                                   strict=True):
            optimizer.learning_rate.assign(rate * scale)

    # Whether to run `extra_discriminator_steps` (then G makes a fresh pass).
    has_extra_discriminator_steps = False

    def extra_discriminator_steps(self, minibatches):
        """D's updates beyond Algorithm 1's k, after them and before G's step, on the
        step's (images, labels) minibatches (WGAN's reference schedule)."""
        raise NotImplementedError("has_extra_discriminator_steps is set without extra_discriminator_steps.")

    def adversarial_step(self, data):
        """Goodfellow et al. 2014, Algorithm 1: one iteration of the training loop."""
        self.decay_learning_rates()
        minibatches = self.real_minibatches(data)
        *first, (last, labels) = minibatches
        for real, real_labels in first:  # k steps of the discriminator...
            self.discriminator_step(real, real_labels)
        if not self.reuse_generator_pass or self.has_extra_discriminator_steps:
            d_logs = self.discriminator_step(last, labels)
            if self.has_extra_discriminator_steps:
                self.extra_discriminator_steps(minibatches)
            return self.record(**d_logs, **self.generator_step(last, labels))
        recorded = self.stepper.record(  # G's pass is recorded once and used twice
            self.generator.trainable_variables, lambda: self.generate_like(last, labels))
        d_logs = self.discriminator_step(last, labels, recorded.output)
        return self.record(**d_logs, **self.generator_step(last, labels, recorded))  # ...then G

    def train_step(self, *args):
        """Keras's entry point: `(data)` on TensorFlow and torch, `(state, data)` on JAX;
        the stepper runs `adversarial_step` on each."""
        return self.stepper.train_step(self, *args)

    # -- inference ----------------------------------------------------------------

    @contextlib.contextmanager
    def averaged_generator(self, average: bool = True):
        """G with its averaged weights in place while the block runs (G itself when
        `ema_decay` is off or `average` False); its live weights are put back after."""
        if not self.ema_decay or not average:
            yield self.generator
            return
        live = [ops.copy(w.value) for w in self.generator.trainable_variables]
        for w, average in zip(self.generator.trainable_variables, self.generator_average, strict=True):
            w.assign(average.value)
        try:
            yield self.generator
        finally:
            for w, value in zip(self.generator.trainable_variables, live, strict=True):
                w.assign(value)

    def generate(self, n: int, seed: int | None = None, labels=None, batch_size: int = 1024,
                 average: bool = True, truncation: float = 0.0) -> np.ndarray:
        """n samples in the data's range as numpy, from the averaged generator when
        `ema_decay` is set (and `average`; False: G's live weights); the same seed gives
        the same samples (on every backend: the noise is drawn by numpy).

        A conditional GAN makes samples of the classes `labels` (ints in [0,
        num_classes), n of them), or of classes drawn uniformly with the seed when None;
        `generate_labelled` returns them beside the samples. `truncation` > 0 draws z
        from the normal truncated to [-truncation, truncation] (`sampling.noise_and_labels`).
        """
        return self.generate_labelled(n, seed, labels, batch_size, average, truncation)[0]

    def generate_labelled(self, n: int, seed: int | None = None, labels=None, batch_size: int = 1024,
                          average: bool = True,
                          truncation: float = 0.0) -> tuple[np.ndarray, np.ndarray | None]:
        """(samples, their labels) as `generate` makes them (labels None when unconditional)."""
        z, labels = noise_and_labels(n, self.latent_dim, self.num_classes, seed, labels, truncation)
        starts = range(0, n, batch_size)
        chunks = [z[i : i + batch_size] for i in starts] if labels is None else [
            [z[i : i + batch_size], labels[i : i + batch_size]] for i in starts]
        with self.averaged_generator(average) as generator:
            chunks = [ops.convert_to_numpy(ops.cast(generator(chunk, training=False), "float32"))
                      for chunk in chunks]
        return np.concatenate(chunks, axis=0), labels

    # -- serialization --------------------------------------------------------------

    def get_config(self):
        config = {
            "name": self.name,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "d_steps": self.d_steps,
            "seed": self.seed,
            "reuse_generator_pass": self.reuse_generator_pass,
            "loss": self.loss_name,
            "loss_options": dict(self.loss_options),
            "penalties": dict(self.penalties),
            "penalty_options": dict(self.penalty_options),
            "penalty_interval": self.penalty_interval,
            "generator_penalties": dict(self.generator_penalties),
            "generator_penalty_interval": self.generator_penalty_interval,
            "discriminator_constraint": keras.constraints.serialize(self.discriminator_constraint),
            "ema_decay": self.ema_decay,
            "lr_decay_steps": self.lr_decay_steps,
            "augment": keras.saving.serialize_keras_object(self.augment),
            "num_classes": self.num_classes,
        }
        return {key: value for key, value in config.items() if key not in self.preset_arguments}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator", "augment"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    def checkpoint_items(self) -> dict:
        """Everything a `tf.train.Checkpoint` needs to resume training exactly."""
        return {
            "generator": self.generator,
            "discriminator": self.discriminator,
            "g_optimizer": self.g_optimizer,
            "d_optimizer": self.d_optimizer,
            "noise_seed": self.seed_generator.state,
            **({"generator_average": list(self.generator_average)} if self.ema_decay else {}),
            **({"augment_seed": self.augment.seed_generator.state} if self.augment is not None else {}),
            **({"path_length_mean": self.path_length_mean}
               if "path_length" in self.generator_penalties else {}),
            # The seeds of G's own draws (StyleGAN2's noise inputs and style mixing), which
            # Keras keeps among a model's variables but not its weights.
            **({"generator_seeds": seeds} if (seeds := _random_state(self.generator)) else {}),
        }


def _num_classes(num_classes, generator: keras.Model) -> int:
    """num_classes checked against G's inputs: [z, labels] exactly when conditional."""
    if not is_number(num_classes, integer=True) or num_classes < 0:
        raise ValueError(f"num_classes must be a non-negative integer, got {num_classes!r}.")
    inputs = len(generator.inputs) if getattr(generator, "inputs", None) else 1
    if num_classes and inputs != 2:
        raise ValueError(f"num_classes={num_classes} makes the GAN conditional, but the generator takes "
                         f"{inputs} input(s), not [z, labels]: build the networks with num_classes and "
                         "conditioning.")
    if not num_classes and inputs != 1:
        raise ValueError("The generator takes [z, labels]: pass num_classes (the number of classes) to "
                         "the GAN.")
    return int(num_classes)


def _random_state(model: keras.Model) -> list:
    """The variables of `model` that are not its weights: its layers' seed generators."""
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def _positive_int(name: str, value) -> int:
    """`value` as an int >= 1, or a ValueError naming `name` (bools and floats refused)."""
    if not is_number(value, integer=True) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _constant_rate(optimizer) -> float:
    """The learning rate of `optimizer`, which `lr_decay_steps` will assign step by step."""
    rate = optimizer.learning_rate
    if not isinstance(rate, keras.Variable):
        raise ValueError(f"lr_decay_steps decays constant learning rates; {optimizer.name} has a schedule "
                         f"({type(rate).__name__}): give it a float rate, or leave lr_decay_steps unset.")
    return float(rate.numpy())


def _weight(penalty: str, weight) -> float:
    """A penalty's weight as a non-negative float, or a clear error."""
    try:
        value = float(weight)
    except (TypeError, ValueError):
        value = float("nan")
    if not value >= 0.0:
        raise ValueError(f"the weight of penalty {penalty!r} must be a non-negative number, got {weight!r}.")
    return value


def check_choice(name: str, value, choices: Iterable):
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}.")
    return value
