"""Callbacks for TensorBoard scalars and images, sample grids and toy plots (drawn by
`gan_zoo.pictures`), evaluation and divergence; checkpoints are in `gan_zoo.checkpoints`.

Every callback counts steps by the generator optimizer's `iterations`, which the
checkpoint restores: a resumed run continues its TensorBoard curves and file names
instead of starting again at step 0.
"""

import os

import keras
import numpy as np
from PIL import Image

from gan_zoo import backends
from gan_zoo.models.penalties import GENERATOR_PENALTIES, PENALTIES
from gan_zoo.pictures import class_grid_inputs, density_story, numpy, render_samples, upscale, with_title
from gan_zoo.values import flatten, is_number


def current_value(model, variable) -> np.ndarray:
    """A variable's value now, wherever `fit` holds it (`Backend.current_value`)."""
    return backends.current().current_value(model, variable)


def sync(model) -> None:
    """Put `fit`'s state back into the variables, for a callback that reads the weights or
    assigns a variable (the next step then starts from them). Costly on JAX: only when
    needed."""
    backends.current().sync(model)


def global_step(model) -> int:
    """Generator steps so far."""
    return int(current_value(model, model.g_optimizer.iterations))


class GANCallback(keras.callbacks.Callback):
    """A callback of the zoo's training. `self.gan` is the model without the full JAX
    state sync that Keras's `self.model` does at every access (and the state rebuild it
    causes at the next step): step and trackers are read with `current_value`, and a
    callback that reads weights or assigns calls `sync` first."""

    gan = None

    def set_model(self, model):
        super().set_model(model)
        self.gan = model


# -- callbacks -------------------------------------------------------------------------


# TensorBoard draws a chart per tag and a line per run: G's and D's losses go to the tag
# "loss" in the sub-runs "generator" and "discriminator", and D's mean output on real and
# on generated data to one tag in the sub-runs "real" and "generated" (`scalar_chart`).
LOSS = ("loss", "mean loss per example: G's (run generator) and D's without its penalties "
        "(run discriminator), each step's own value")
# The Wasserstein loss pair's estimate; a variant's own quantities are charted as the
# variant declares them (`BaseGAN.also_logged`), any other under its own name.
WASSERSTEIN = ("critic/wasserstein", "E D(x) - E D(G(z)): the critic's estimate of the Wasserstein "
               "distance (up to the critic's Lipschitz constant)")
DISCRIMINATOR_OUTPUTS = {"d_real": "real", "d_fake": "generated", "real_energy": "real",
                         "fake_energy": "generated"}


def scalar_chart(name: str, model) -> tuple[str, str, str] | None:
    """(run, tag, description) of a tracked quantity of `model` in TensorBoard ("" is
    the run itself), or None for one that is not charted: D's whole objective where it
    has penalties, the sum of its charted loss and penalties, which would jump with a
    lazy penalty's rhythm (and G's likewise)."""
    if name == "g_adversarial_loss" or name == "g_loss" and not model.generator_penalties:
        return ("generator", *LOSS)
    if name == "d_adversarial_loss" or name == "d_loss" and not model.penalties:
        return ("discriminator", *LOSS)
    if name in ("d_loss", "g_loss"):
        return None
    if name in DISCRIMINATOR_OUTPUTS:
        what = {"logits": "D(x), a probability", "scores": "critic score (unbounded)",
                "energies": "energy: D's autoencoder reconstruction error"}[model.loss_pair.outputs]
        return (DISCRIMINATOR_OUTPUTS[name], model.discriminator_output_name,
                f"mean {what}, on real data (run real) and generated data (run generated)")
    for penalties in (PENALTIES, GENERATOR_PENALTIES):
        if name in penalties:
            return "", f"penalty/{name}", (penalties[name].__doc__ or "").split("\n")[0] + " (unweighted)"
    if name == "wasserstein":
        return ("", *WASSERSTEIN)
    return ("", *model.also_logged.get(name, (name, "")))


class ScalarLogger(GANCallback):
    """Each step's own value of every charted quantity as a TensorBoard scalar at the
    global step, on the charts `scalar_chart` names.

    Keras's logs (and the progress bar) hold means since the epoch began. A step's own
    value is the change of each tracker's running total over the change of its count
    since the previous call: one step, or the `steps_per_execution` steps that one call
    covers (exact up to the float32 rounding of Keras's totals).
    """

    def __init__(self, writer):
        super().__init__()
        self.writer = writer
        self.previous: dict[str, tuple[float, float]] = {}

    def on_epoch_begin(self, epoch, logs=None):
        self.previous = {}  # Keras resets the trackers at every epoch

    def on_train_batch_end(self, batch, logs=None):
        step = global_step(self.gan)
        for name, tracker in self.gan.trackers.items():
            chart = scalar_chart(name, self.gan)
            if chart is None:
                continue
            total = float(current_value(self.gan, tracker.total))
            count = float(current_value(self.gan, tracker.count))
            last_total, last_count = self.previous.get(name, (0.0, 0.0))
            self.previous[name] = (total, count)
            if count > last_count:  # e.g. no labelled example in the batch: no accuracy
                run, tag, description = chart
                self.writer.scalar(tag, (total - last_total) / (count - last_count), step, description, run)

    def on_train_end(self, logs=None):
        self.writer.flush()


class SampleWriter(GANCallback):
    """Frames of samples from fixed noise, so that frames compare: at step 0, every
    `every` / 5 steps until step `every` (training changes most early), then every
    `every` steps, and at the end. A class-conditional image GAN (`num_classes`) draws a
    class grid (`pictures.class_grid_inputs`: a row per class, a noise vector per
    column); a conditional toy, classes drawn once.

    Writes samples/step_XXXXXXX.png and the same picture as a TensorBoard image, image
    grids upscaled to at least 512 px under a title with the step (the GIF shows it);
    at the end, samples/samples.gif of every frame on disk.
    """

    def __init__(self, directory: str, writer, every: int, dataset_name: str, is_image: bool,
                 num_samples: int, latent_dim: int, seed: int = 0, num_classes: int = 0):
        super().__init__()
        self.directory, self.writer, self.every = directory, writer, every
        self.dataset_name, self.is_image = dataset_name, is_image
        rng = np.random.default_rng([seed, 1])  # numpy: the same frames on every backend
        self.columns = None
        if num_classes and is_image:
            self.inputs, self.columns = class_grid_inputs(num_classes, latent_dim, rng)
        else:
            self.inputs = rng.standard_normal((num_samples, latent_dim)).astype("float32")
            if num_classes:
                self.inputs = [self.inputs, rng.integers(num_classes, size=num_samples).astype("int32")]
        os.makedirs(directory, exist_ok=True)

    def is_frame(self, step: int) -> bool:
        return step % self.every == 0 or (step < self.every and step % max(1, self.every // 5) == 0)

    def write(self, step: int):
        sync(self.gan)
        with self.gan.averaged_generator():  # the samples users get: the average, when kept
            picture = render_samples(self.gan, self.dataset_name, self.is_image, step, self.inputs,
                                     self.columns)
            samples = numpy(self.gan.generator(self.inputs, training=False))
        if self.is_image:  # toys' figures carry their own title
            picture = with_title(upscale(picture), f"{self.dataset_name}, step {step}")
        Image.fromarray(picture.squeeze(-1) if picture.shape[-1] == 1 else picture).save(
            os.path.join(self.directory, f"step_{step:07d}.png"))
        self.writer.image("samples", picture, step, "samples from the same noise at every frame" + (
            "; a row per class, a noise vector per column" if self.columns else ""))
        if not self.is_image and samples.shape[-1] == 1:
            for tag, value in density_story(self.gan, self.dataset_name, samples).items():
                self.writer.scalar(tag, value, step, STORY[tag])

    def on_train_begin(self, logs=None):
        step = global_step(self.gan)
        if step == 0:
            self.write(0)

    def on_train_batch_end(self, batch, logs=None):
        step = global_step(self.gan)
        if self.is_frame(step):
            self.write(step)

    def on_train_end(self, logs=None):
        step = global_step(self.gan)
        if not self.is_frame(step):
            self.write(step)
        self.writer.flush()
        write_gif(self.directory)


def write_gif(directory: str, seconds_per_frame: float = 0.4) -> str | None:
    """samples.gif in `directory` from its step_*.png frames, in step order."""
    names = sorted(n for n in os.listdir(directory) if n.startswith("step_") and n.endswith(".png"))
    if not names:
        return None
    frames = [Image.open(os.path.join(directory, n)).convert("RGB") for n in names]
    frames = [f if f.size == frames[-1].size else f.resize(frames[-1].size) for f in frames]
    path = os.path.join(directory, "samples.gif")
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=int(seconds_per_frame * 1000),
                   loop=0)
    return path


class TrainingDiverged(RuntimeError):
    """A loss or a weight became NaN or Inf; the message names the step and the quantity."""


class DivergenceGuard(GANCallback):
    """Stops training at the first non-finite logged quantity (checked every step).

    Raises `TrainingDiverged`; place it before the callbacks that write checkpoints and
    samples, so that the last ones on disk are the last good ones.
    """

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if not np.all(np.isfinite(value)):
                raise TrainingDiverged(
                    f"Training diverged at step {global_step(self.gan)}: {name} = {value}. The last "
                    "good checkpoint and samples are kept; lower the learning rates or change the "
                    "config before resuming.")


def non_finite_weights(model) -> list[str]:
    """Paths of the generator's and discriminator's weights holding NaN or Inf."""
    return [w.path for net in (model.generator, model.discriminator) for w in net.weights
            if not np.all(np.isfinite(w.numpy()))]


def flatten_figures(figures: dict, prefix: str = "") -> dict:
    """{"a": {"b": 1.0}} -> {"a/b": 1.0}, numbers only."""
    return {key: float(value) for key, value in flatten(figures, "/", prefix).items() if is_number(value)}


class PeriodicEvaluation(GANCallback):
    """Every `every` steps, `evaluate(model) -> figures` as TensorBoard scalars "eval/..."
    at the global step, so that quality curves line up with the losses."""

    def __init__(self, evaluate, writer, every: int):
        super().__init__()
        self.evaluate, self.writer, self.every = evaluate, writer, every

    def on_train_batch_end(self, batch, logs=None):
        step = global_step(self.gan)
        if step % self.every == 0:
            sync(self.gan)
            write_eval_scalars(self.writer, step, self.evaluate(self.gan))


# The 1-D picture's numbers at every frame (Goodfellow et al. 2014, Figure 1).
STORY = {
    "story/max_abs_d_minus_half_on_real_support": "max |D(x) - 1/2| over the real mean +- 2 std: "
    "large while D separates real from generated (Figure 1 b), 0 at the equilibrium (d)",
    "story/generated_mean": "mean of the frame's generated samples",
    "story/generated_std": "standard deviation of the frame's generated samples",
}
# Counts that do not change during a run (in metrics.json, not charts).
CONSTANT_FIGURES = ("num_samples", "num_real", "num_modes", "labelled_examples", "test_examples",
                    "classifier_test_accuracy", "cas_of_real_training_data", "conditional_samples")
# The figures an evaluation writes ("eval/..."), by kind of evaluation, headline figures
# first: declared in this order as the HParams dashboard's metric columns.
CLASSIFIER_FIGURES = {
    "eval/classifier_fid": "FID on the project's classifier features, not Inception's (lower is better)",
    "eval/classifier_kid": "KID x 1000 on the project's classifier features (lower is better)",
    "eval/classifier_precision": "improved precision, k = 3, on classifier features: share of samples "
    "on the real manifold (quality)",
    "eval/classifier_recall": "improved recall, k = 3, on classifier features: share of real images on "
    "the samples' manifold (diversity)",
    "eval/classifier_score": "Inception-style score of the project's classifier (higher is better)",
    "eval/classifier_density": "density, k = 3 (Naeem et al. 2020): ~1 when samples match the real law",
    "eval/classifier_coverage": "coverage, k = 3 (Naeem et al. 2020): share of real neighbourhoods "
    "holding a sample",
    "eval/classifier_kid_std": "standard deviation of KID x 1000 over its subsets",
    "eval/classifier_score_std": "standard deviation of the classifier score over its splits",
}
INCEPTION_FIGURES = {
    "eval/inception_fid": "FID on the FID Inception's pool features, the papers' FID (lower is better)",
    "eval/inception_kid": "KID on the FID Inception's features (lower is better)",
    "eval/inception_score": "Inception Score on the FID Inception's 1008 logits (higher is better)",
    "eval/inception_precision": "improved precision, k = 3, on Inception features (quality)",
    "eval/inception_recall": "improved recall, k = 3, on Inception features (diversity)",
    "eval/inception_density": "density, k = 3 (Naeem et al. 2020), on Inception features",
    "eval/inception_coverage": "coverage, k = 3 (Naeem et al. 2020), on Inception features",
    "eval/inception_kid_std": "standard deviation of the Inception KID over its subsets",
    "eval/inception_score_std": "standard deviation of the Inception Score over its splits",
}
CONDITIONAL_FIGURES = {
    "eval/conditional_accuracy": "class-conditional: share of samples the classifier reads as the class "
    "they were made for",
    "eval/classifier_intra_fid": "class-conditional: mean over classes of each class's classifier FID "
    "(lower is better)",
    "eval/cas": "class-conditional: Classification Accuracy Score, held-out accuracy of a classifier "
    "trained on samples alone",
    "eval/conditional_min_class_accuracy": "class-conditional: that share for the worst class",
}
SEMI_SUPERVISED_FIGURES = {
    "eval/test_error": "semi-supervised GAN: test error of D's classifier",
    "eval/labels_only_test_error": "the same classifier trained on the labelled examples alone",
}
MODE_FIGURES = {
    "eval/modes/modes": "modes covered (VEEGAN / PacGAN protocol)",
    "eval/modes/high_quality": "share of samples within 3 std of a mode",
    "eval/modes/reverse_kl": "KL(generated mode histogram || uniform)",
    "eval/modes/precision": "improved precision, k = 3, in the plane",
    "eval/modes/recall": "improved recall, k = 3, in the plane",
    "eval/modes/density": "density, k = 3 (Naeem et al. 2020), in the plane",
    "eval/modes/coverage": "coverage, k = 3 (Naeem et al. 2020), in the plane",
}
STACKED_MNIST_FIGURES = {
    "eval/stacked_mnist/modes": "Stacked MNIST: digit triples covered, of 1000",
    "eval/stacked_mnist/reverse_kl": "Stacked MNIST: KL of the triples' histogram to uniform",
}
DENSITY_FIGURES = {
    "eval/mean": "gauss1d: mean of the samples",
    "eval/std": "gauss1d: standard deviation of the samples",
}
EVAL_METRICS = {**CLASSIFIER_FIGURES, **INCEPTION_FIGURES, **CONDITIONAL_FIGURES, **SEMI_SUPERVISED_FIGURES,
                **MODE_FIGURES,
                **STACKED_MNIST_FIGURES, **DENSITY_FIGURES}


def write_eval_scalars(writer, step: int, figures: dict) -> None:
    """An evaluation's figures ({"eval": {...}} or a toy's {"modes": {...}}) as "eval/...",
    constants left out."""
    for name, value in flatten_figures(figures.get("eval", figures), "eval/").items():
        if name.rsplit("/", 1)[-1] not in CONSTANT_FIGURES:
            writer.scalar(name, value, step, EVAL_METRICS.get(name, ""))
    writer.flush()


# The hyper-parameters that tell runs of the zoo apart: the HParams dashboard lists them
# first (by name; it shows the first five), with the weights of the penalties a run uses.
KEY_HPARAMS = ("model.variant", "model.loss", "dataset", "g_optimizer.learning_rate",
               "d_optimizer.learning_rate")


def write_hparams(writer, config, trial_id: str, loss: str, metrics: dict[str, str]) -> None:
    """The resolved config (and the model's loss pair) as a TensorBoard HParams record,
    after the experiment that declares it: this run's keys, the key ones (`KEY_HPARAMS`
    and the penalties it uses) marked to come first, and `metrics` ({tag: description},
    in the order of the columns), the figures this run's evaluation writes."""
    flat = {"model.loss": loss}
    for key, value in flatten(config.to_dict()).items():
        flat[key] = value if isinstance(value, (bool, int, float, str)) else str(value)
    used_penalties = {f"{section}.{name}" for section in ("penalties", "generator_penalties")
                      for name, weight in config[section].items() if weight}
    key_names = set(KEY_HPARAMS) | used_penalties
    writer.hparams_config([(name, flat[name], name in key_names) for name in sorted(flat)],
                          list(metrics.items()))
    writer.hparams(flat, trial_id=trial_id)
    writer.flush()

