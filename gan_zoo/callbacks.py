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

from gan_zoo.pictures import render_samples


def global_step(model) -> int:
    """Generator steps so far. On JAX, `fit` holds the variables' values in its own state
    between steps: they are put back first, so callbacks read (and may assign) the
    current ones."""
    if getattr(model, "_jax_state", None) is not None:
        model.jax_state_sync()
    return int(model.g_optimizer.iterations.numpy())


# -- callbacks -------------------------------------------------------------------------


class ScalarLogger(keras.callbacks.Callback):
    """Every step's logs as TensorBoard scalars at the global step."""

    def __init__(self, writer):
        super().__init__()
        self.writer = writer

    def on_train_batch_end(self, batch, logs=None):
        step = global_step(self.model)
        for name, value in (logs or {}).items():
            self.writer.scalar(name, float(np.mean(value)), step)

    def on_train_end(self, logs=None):
        self.writer.flush()


class LinearDecay(keras.callbacks.Callback):
    """Learning rates decayed linearly from `rates` ({"g_optimizer": ..., "d_optimizer":
    ...}) to 0 at step `total`, the schedule of Gulrajani et al.'s reference code. Set
    from the global step before every step, so a resumed run follows the same schedule."""

    def __init__(self, total: int, rates: dict[str, float]):
        super().__init__()
        self.total, self.rates = total, rates

    def on_train_batch_begin(self, batch, logs=None):
        scale = max(0.0, 1.0 - global_step(self.model) / self.total)
        for name, rate in self.rates.items():
            getattr(self.model, name).learning_rate.assign(rate * scale)


class SampleWriter(keras.callbacks.Callback):
    """Every `every` steps and at the end: samples from fixed noise, so frames compare.

    Writes samples/step_XXXXXXX.png and the same picture as a TensorBoard image.
    """

    def __init__(self, directory: str, writer, every: int, dataset_name: str, is_image: bool,
                 num_samples: int, latent_dim: int, seed: int = 0):
        super().__init__()
        self.directory, self.writer, self.every = directory, writer, every
        self.dataset_name, self.is_image = dataset_name, is_image
        rng = np.random.default_rng([seed, 1])  # numpy: the same frames on every backend
        self.noise = rng.standard_normal((num_samples, latent_dim)).astype("float32")
        os.makedirs(directory, exist_ok=True)

    def write(self, step: int):
        picture = render_samples(self.model, self.dataset_name, self.is_image, step, self.noise)
        Image.fromarray(picture.squeeze(-1) if picture.shape[-1] == 1 else picture).save(
            os.path.join(self.directory, f"step_{step:07d}.png"))
        self.writer.image("samples", picture, step)

    def on_train_batch_end(self, batch, logs=None):
        step = global_step(self.model)
        if step % self.every == 0:
            self.write(step)

    def on_train_end(self, logs=None):
        step = global_step(self.model)
        if step % self.every:
            self.write(step)
        self.writer.flush()


class TrainingDiverged(RuntimeError):
    """A loss or a weight became NaN or Inf; the message names the step and the quantity."""


class DivergenceGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite logged quantity (checked every step).

    Raises `TrainingDiverged`; place it before the callbacks that write checkpoints and
    samples, so that the last ones on disk are the last good ones.
    """

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            if not np.all(np.isfinite(value)):
                raise TrainingDiverged(
                    f"Training diverged at step {global_step(self.model)}: {name} = {value}. The last "
                    "good checkpoint and samples are kept; lower the learning rates or change the "
                    "config before resuming.")


def non_finite_weights(model) -> list[str]:
    """Paths of the generator's and discriminator's weights holding NaN or Inf."""
    return [w.path for net in (model.generator, model.discriminator) for w in net.weights
            if not np.all(np.isfinite(w.numpy()))]


def flatten_figures(figures: dict, prefix: str = "") -> dict:
    """{"a": {"b": 1.0}} -> {"a/b": 1.0}, numbers only."""
    flat = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            flat.update(flatten_figures(value, f"{prefix}{key}/"))
        elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            flat[f"{prefix}{key}"] = float(value)
    return flat


class PeriodicEvaluation(keras.callbacks.Callback):
    """Every `every` steps, `evaluate(model) -> figures` as TensorBoard scalars "eval/..."
    at the global step, so that quality curves line up with the losses."""

    def __init__(self, evaluate, writer, every: int):
        super().__init__()
        self.evaluate, self.writer, self.every = evaluate, writer, every

    def on_train_batch_end(self, batch, logs=None):
        step = global_step(self.model)
        if step % self.every == 0:
            write_eval_scalars(self.writer, step, self.evaluate(self.model))


def write_eval_scalars(writer, step: int, figures: dict) -> None:
    """An evaluation's figures ({"eval": {...}} or a toy's {"modes": {...}}) as "eval/..."."""
    for name, value in flatten_figures(figures.get("eval", figures), "eval/").items():
        writer.scalar(name, value, step)
    writer.flush()


def write_hparams(writer, config, trial_id: str) -> None:
    """The resolved config as a TensorBoard HParams record, so that runs of different
    variants and settings line up, with their final "eval/..." figures, in the HParams tab."""
    flat = {}
    for key, value in _config_items(config.to_dict()):
        flat[key] = value if isinstance(value, (bool, int, float, str)) else str(value)
    writer.hparams(flat, trial_id=trial_id)
    writer.flush()


def _config_items(tree: dict, prefix: str = ""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _config_items(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
