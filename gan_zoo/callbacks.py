"""Callbacks for TensorBoard scalars and images, sample grids, toy plots and checkpoints.

Every callback counts steps by the generator optimizer's `iterations`, which the
checkpoint restores: a resumed run continues its TensorBoard curves and file names
instead of starting again at step 0.
"""

import io
import os

import keras
import matplotlib
import numpy as np
from PIL import Image

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

from gan_zoo.data import toy_spec  # noqa: E402


def global_step(model) -> int:
    """Generator steps so far. On JAX, `fit` holds the variables' values in its own state
    between steps: they are put back first, so callbacks read (and may assign) the
    current ones."""
    if getattr(model, "_jax_state", None) is not None:
        model.jax_state_sync()
    return int(model.g_optimizer.iterations.numpy())


# -- pictures ------------------------------------------------------------------------


def image_grid(images: np.ndarray, cols: int | None = None) -> np.ndarray:
    """uint8 [rows*H, cols*W, C] grid of images in [-1, 1], as square as possible unless
    `cols` is given."""
    n, h, w, c = images.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    grid = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1, c), 255, np.uint8)
    pixels = np.clip((images + 1.0) * 127.5, 0, 255).round().astype(np.uint8)
    for i, image in enumerate(pixels):
        r, col = divmod(i, cols)
        grid[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + col * (w + 1):1 + col * (w + 1) + w] = image
    return grid


def _figure_to_array(figure) -> np.ndarray:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return np.asarray(Image.open(buffer).convert("RGB"))


def discriminator_view(model, x: np.ndarray, chunk: int = 512) -> tuple[np.ndarray, str]:
    """D on points x as a probability where D outputs logits, else its raw score.

    Evaluated in chunks: layers such as minibatch discrimination cost O(batch^2).
    """
    scores = np.concatenate([np.asarray(model.critic(x[i:i + chunk], training=False), np.float32).reshape(-1)
                             for i in range(0, len(x), chunk)])
    if model.discriminator_outputs_logits:
        return 1.0 / (1.0 + np.exp(-np.clip(scores, -50.0, 50.0))), "D(x)"
    return scores, model.discriminator_output_name


def density_plot(model, name: str, step: int, samples: np.ndarray) -> np.ndarray:
    """The picture of Goodfellow et al. 2014, Figure 1, for a 1-D toy: the real density
    (black dashed), the generated density (green) and D(x) (blue dashed; model=None
    leaves it out)."""
    spec = toy_spec(name)
    mean, std = float(spec.modes[0, 0]), spec.std
    lo = min(mean - 4 * std, np.percentile(samples, 0.5))
    hi = max(mean + 4 * std, np.percentile(samples, 99.5))
    xs = np.linspace(lo, hi, 400, dtype=np.float32)
    figure, axis = plt.subplots(figsize=(6, 4))
    real = np.exp(-0.5 * ((xs - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))
    axis.plot(xs, real, "k--", label="real density")
    axis.hist(samples.reshape(-1), bins=80, range=(lo, hi), density=True, color="green",
              alpha=0.5, label="generated density")
    if model is not None:
        d, label = discriminator_view(model, xs[:, None])
        other = axis.twinx() if label != "D(x)" else axis
        other.plot(xs, d, "b--", label=label)
        if label == "D(x)":
            axis.axhline(0.5, color="gray", lw=0.5)
    axis.set_title(f"{name}, step {step}")
    axis.legend(loc="upper left", fontsize=8)
    return _figure_to_array(figure)


def scatter_plot(model, name: str, step: int, samples: np.ndarray, paths=None) -> np.ndarray:
    """Generated samples (green) over the real modes (black x), with D's contour (unless
    model is None) and, optionally, generator paths [n, steps, 2] (orange)."""
    modes = toy_spec(name).modes
    lo, hi = modes.min() - 1.0, modes.max() + 1.0
    grid = np.linspace(lo, hi, 120, dtype=np.float32)
    xx, yy = np.meshgrid(grid, grid)
    figure, axis = plt.subplots(figsize=(5, 5))
    if model is not None:
        d, label = discriminator_view(model, np.stack([xx.ravel(), yy.ravel()], axis=1))
        contour = axis.contourf(xx, yy, d.reshape(xx.shape), levels=20, cmap="Blues", alpha=0.6)
        figure.colorbar(contour, ax=axis, label=label)
    for path in paths if paths is not None else ():
        axis.plot(path[:, 0], path[:, 1], "-", color="orange", lw=1)
    axis.scatter(samples[:, 0], samples[:, 1], s=2, c="green", alpha=0.5, label="generated")
    axis.scatter(modes[:, 0], modes[:, 1], marker="x", c="black", label="real modes")
    axis.set_xlim(lo, hi)
    axis.set_ylim(lo, hi)
    axis.set_title(f"{name}, step {step}")
    axis.legend(loc="upper right", fontsize=8)
    return _figure_to_array(figure)


def render_samples(model, dataset_name: str, is_image: bool, step: int, noise) -> np.ndarray:
    """The picture of the generator's state: an image grid, or the toy's plot."""
    samples = np.asarray(model.generator(noise, training=False), np.float32)
    if is_image:
        return image_grid(samples)
    if samples.shape[-1] == 1:
        return density_plot(model, dataset_name, step, samples)
    return scatter_plot(model, dataset_name, step, samples)


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
