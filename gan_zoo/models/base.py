"""What every GAN variant shares: G, D, two optimizers, noise, trackers, saving.

A variant subclasses `BaseGAN`, lists the quantities it logs in `tracked`, and writes a
`train_step` that reads like its paper's algorithm with the helpers below:

- `real_minibatches(data)`: the k real minibatches of one generator step;
- `sample_noise(n)`: z ~ N(0, I), different on every replica and every call;
- `discriminator_step`, `generator_step`: Algorithm 1 of Goodfellow et al. 2014, with
  hooks (`discriminator_loss`, `generator_loss`, `generator_objective`, `critic`,
  `penalty`, `after_discriminator_step`, `summaries`) for what a paper changes;
- `average(per_example)`: the loss to differentiate, correct under tf.distribute;
- `global_batch(x)`: a batch-coupled term's input gathered across replicas;
- `step(optimizer, tape, loss, network)`: one optimizer update;
- `record(name=value, ...)`: update the trackers behind `metrics` and the logs.
"""

from collections.abc import Iterable

import keras
import numpy as np
import tensorflow as tf


def split_batch(data):
    """(images, labels-or-None) from a batch of images or (images, labels[, weights])."""
    if isinstance(data, (tuple, list)):
        return data[0], (data[1] if len(data) > 1 else None)
    return data, None


class BaseGAN(keras.Model):
    """Generator, discriminator, the two optimizers and what training needs around them.

    Args:
      generator: a Keras model mapping z of shape [batch, latent_dim] to samples.
      discriminator: a Keras model mapping samples to logits or scores (no sigmoid).
      latent_dim: dimension of z.
      d_steps: discriminator (critic) updates per generator update, k in Goodfellow et
        al. 2014, Algorithm 1. Each `fit` batch holds the k real minibatches: the batch
        is split in k strided parts (x[i::k]), so a batch of k*m images gives k
        minibatches of m, and the generator step uses m noise samples. The strided
        split gives the same minibatches on one device and across replicas.
      seed: seed of the noise generator used in training (None: random).
      reuse_generator_pass: feed the generator step with the samples G made for the
        last discriminator step, recorded on a tape, instead of a fresh forward pass
        on fresh noise (Algorithm 1 draws new noise). The generator then runs forward
        once per generator step instead of twice, a quarter of its work where it
        dominates the FLOPs (DCGAN), at the price of reusing that noise. Off by
        default (the paper's algorithm); the image configs turn it on
        (docs/PERFORMANCE.md measures both).
    """

    tracked: tuple[str, ...] = ("d_loss", "g_loss")

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int,
        d_steps: int = 1,
        seed: int | None = None,
        reuse_generator_pass: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if int(latent_dim) < 1:
            raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}.")
        if int(d_steps) < 1:
            raise ValueError(f"d_steps must be a positive integer, got {d_steps!r}.")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.d_steps = int(d_steps)
        self.seed = seed
        self.reuse_generator_pass = bool(reuse_generator_pass)
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracked}
        # The GAN has no call(); without this, fit builds it by calling it on images.
        self.built = True

    # -- compile -----------------------------------------------------------------

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Attach one optimizer per network and build both now.

        Building eagerly gives every slot variable before a strategy or a checkpoint
        restore needs it (lazily created slots break MirroredStrategy and are skipped
        by restores). The generator optimizer doubles as Keras's `optimizer`, so Keras
        makes no unused default one.
        """
        g_optimizer = keras.optimizers.get(g_optimizer or "adam")
        d_optimizer = keras.optimizers.get(d_optimizer or "adam")
        if g_optimizer is d_optimizer:
            raise ValueError("g_optimizer and d_optimizer must be two distinct optimizer objects.")
        super().compile(optimizer=g_optimizer, **kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        g_optimizer.build(self.generator.trainable_variables)
        d_optimizer.build(self.discriminator.trainable_variables)

    def get_compile_config(self):
        return {
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
        }

    def compile_from_config(self, config):
        self.compile(
            g_optimizer=keras.saving.deserialize_keras_object(config["g_optimizer"]),
            d_optimizer=keras.saving.deserialize_keras_object(config["d_optimizer"]),
        )

    # -- training helpers ---------------------------------------------------------

    @property
    def metrics(self):
        return list(self.trackers.values())

    def record(self, **values):
        """Update the named trackers; per-example tensors give exact means across replicas.

        Under MultiWorkerMirroredStrategy the logs are shape [1]: Keras's cross-worker
        reduction of scalar logs fails ("Invalid reduction dimension 0").
        """
        for name, value in values.items():
            self.trackers[name].update_state(value)
        logs = {name: tracker.result() for name, tracker in self.trackers.items()}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    def training_inputs(self, data):
        """What a discriminator step consumes of a batch: the images (labels ignored)."""
        return split_batch(data)[0]

    def real_minibatches(self, data) -> list:
        """The `d_steps` real minibatches of one generator step (strided split, see class
        doc), each a slice of `training_inputs(data)` (a tensor or a tuple of tensors)."""
        inputs = self.training_inputs(data)
        if self.d_steps == 1:
            return [inputs]
        size = tf.shape(tf.nest.flatten(inputs)[0])[0] // self.d_steps
        return [tf.nest.map_structure(lambda t, i=i: t[i :: self.d_steps][:size], inputs)
                for i in range(self.d_steps)]

    def next_seed(self):
        """A fresh stateless seed: the seed generator advances on every call, and the
        replica id is folded in, or every replica of a MirroredStrategy draws the same."""
        seed = tf.cast(self.seed_generator.next(), tf.int64)
        replica = tf.distribute.get_replica_context()
        if replica is not None:
            seed = tf.random.experimental.stateless_fold_in(
                seed, tf.cast(replica.replica_id_in_sync_group, tf.int64))
        return seed

    def sample_noise(self, batch_size):
        """z ~ N(0, I) of shape [batch_size, latent_dim]."""
        return tf.random.stateless_normal([batch_size, self.latent_dim], seed=self.next_seed())

    def generate_like(self, real):
        """G(z) in float32 (whatever G's compute precision), as many as `real` holds."""
        n = tf.shape(tf.nest.flatten(real)[0])[0]
        return tf.cast(self.generator(self.sample_noise(n), training=True), tf.float32)

    @staticmethod
    def average(per_example):
        """Mean over the global batch: gradients summed across replicas are then exact."""
        return tf.nn.compute_average_loss(per_example)

    @staticmethod
    def average_scalar(value):
        """A batch-coupled scalar term (PT, feature matching) scaled for summed gradients."""
        return value / tf.cast(tf.distribute.get_strategy().num_replicas_in_sync, value.dtype)

    @staticmethod
    def global_batch(x):
        """`x` gathered from every replica along the batch axis, differentiably: a term
        that couples a batch (pulling-away, feature matching) then sees the global batch,
        as on one device. Scale it with `average_scalar`."""
        replica = tf.distribute.get_replica_context()
        if replica is None or replica.num_replicas_in_sync == 1:
            return x
        return replica.all_gather(x, axis=0)

    @staticmethod
    def step(optimizer, tape, loss, network):
        """One optimizer update of `network` from the scalar `loss` computed under `tape`.

        A `LossScaleOptimizer` (mixed_float16) scales the loss on the tape and unscales
        the gradients; any other optimizer leaves the loss as it is.
        """
        with tape:
            loss = optimizer.scale_loss(loss)
        variables = network.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))

    # -- the algorithm: k discriminator steps, then one generator step -------------------
    # Variants change the few lines their paper changes: the losses, a penalty, what
    # happens after a discriminator update, what is logged, or a whole step.

    discriminator_outputs_logits = True  # False for critics and energies (plots show raw scores)

    def discriminator_loss(self, real_out, fake_out):  # pragma: no cover - abstract
        raise NotImplementedError

    def generator_loss(self, fake_out):  # pragma: no cover - abstract
        raise NotImplementedError

    def critic(self, x, training=True):
        """What the losses see of D on samples x (and what plots show of D)."""
        return self.discriminator(x, training=training)

    def penalty(self, real, fake):
        """A regulariser added to the per-example discriminator loss (none by default)."""
        return None

    def after_discriminator_step(self):
        """Runs after every discriminator update (WGAN clips the critic's weights here)."""

    def summaries(self, real_out, fake_out, penalty) -> dict:
        """Quantities to log beside the losses, from the last discriminator step."""
        return {}

    def discriminator_step(self, real, fake=None) -> dict:
        """One update of D on a real minibatch and as many generated samples (`fake`, or
        fresh ones)."""
        fake = self.generate_like(real) if fake is None else fake
        with tf.GradientTape() as tape:
            real_out, fake_out = self.critic(real), self.critic(fake)
            d_loss = self.discriminator_loss(real_out, fake_out)
            penalty = self.penalty(real, fake)
            if penalty is not None:
                d_loss += penalty
            objective = self.average(d_loss)
        self.step(self.d_optimizer, tape, objective, self.discriminator)
        self.after_discriminator_step()
        return {"d_loss": d_loss, **self.summaries(real_out, fake_out, penalty)}

    def generator_objective(self, real, fake):
        """(the objective G minimises, its logs) on generated samples `fake`."""
        g_loss = self.generator_loss(self.critic(fake))
        return self.average(g_loss), {"g_loss": g_loss}

    def generator_step(self, real, fake=None, tape=None) -> dict:
        """One update of G on a fresh minibatch of noise, as large as `real`, or on the
        `fake` samples whose forward pass `tape` recorded."""
        with tape or tf.GradientTape() as tape:
            fake = self.generate_like(real) if fake is None else fake
            objective, logs = self.generator_objective(real, fake)
        self.step(self.g_optimizer, tape, objective, self.generator)
        return logs

    def train_step(self, data):
        *first, last = self.real_minibatches(data)
        for real in first:  # k steps of the discriminator...
            self.discriminator_step(real)
        if not self.reuse_generator_pass:
            return self.record(**self.discriminator_step(last), **self.generator_step(last))
        with tf.GradientTape() as g_tape:  # G's pass is recorded once and used twice
            fake = self.generate_like(last)
        d_logs = self.discriminator_step(last, fake)
        return self.record(**d_logs, **self.generator_step(last, fake, g_tape))  # ...then G

    # -- inference ----------------------------------------------------------------

    def generate(self, n: int, seed: int | None = None, batch_size: int = 1024) -> np.ndarray:
        """n samples in the data's range as numpy; the same seed gives the same samples."""
        if seed is None:
            z = tf.random.normal([n, self.latent_dim])
        else:
            z = tf.random.stateless_normal([n, self.latent_dim], seed=[int(seed), 0])
        chunks = [
            self.generator(z[i : i + batch_size], training=False) for i in range(0, n, batch_size)
        ]
        return tf.cast(tf.concat(chunks, axis=0), tf.float32).numpy()

    # -- serialization --------------------------------------------------------------

    def get_config(self):
        return {
            "name": self.name,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "d_steps": self.d_steps,
            "seed": self.seed,
            "reuse_generator_pass": self.reuse_generator_pass,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
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
        }


def check_choice(name: str, value, choices: Iterable):
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}.")
    return value
