"""Pictures of a generator's state: sample grids, and for the toys the density plot of
Goodfellow et al.'s Figure 1 and the scatter of samples over the modes with D's contour.

Used by the sample writer during training (`callbacks.SampleWriter`) and by
`tools/sample.py`.
"""

import functools
import io

import keras
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

matplotlib.use("Agg")
from matplotlib import pyplot as plt  # noqa: E402

from gan_zoo.data import toy_spec  # noqa: E402


def numpy(tensor) -> np.ndarray:
    """A network's output as float32 numpy, on every backend (a torch output carries its graph)."""
    return np.asarray(keras.ops.convert_to_numpy(tensor), np.float32)


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


def upscale(picture: np.ndarray, min_size: int = 512) -> np.ndarray:
    """`picture` [H, W, C] enlarged by an integer factor (nearest neighbour, so pixels stay
    sharp) until its smaller side is at least `min_size`."""
    factor = int(np.ceil(min_size / min(picture.shape[:2])))
    return picture if factor <= 1 else picture.repeat(factor, axis=0).repeat(factor, axis=1)


# Figures are drawn about 500 px wide with large type: TensorBoard's image cards show them
# at about 300-400 px, where matplotlib's defaults at a higher resolution were unreadable.
STYLE = {"font.size": 13, "axes.titlesize": 14, "legend.fontsize": 12, "figure.dpi": 100}


def _styled(draw):
    """`draw` with `STYLE` in force (matplotlib reads it as each artist is made)."""
    @functools.wraps(draw)
    def styled(*args, **kwargs):
        with plt.rc_context(STYLE):
            return draw(*args, **kwargs)
    return styled


def _figure(size: tuple[float, float]):
    return plt.subplots(figsize=size, layout="constrained")


def _figure_to_array(figure) -> np.ndarray:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return np.asarray(Image.open(buffer).convert("RGB"))


def with_title(picture: np.ndarray, title: str) -> np.ndarray:
    """`picture` [H, W, C] (uint8) under a white strip with `title`, in type about a
    twentieth of its width (so that it reads where the picture is shown small)."""
    height = max(16, picture.shape[1] // 20)
    strip = Image.new("RGB", (picture.shape[1], height + height // 2), "white")
    ImageDraw.Draw(strip).text((height // 3, height // 4), title, fill="black",
                               font=ImageFont.load_default(size=height))
    strip = np.asarray(strip.convert("L" if picture.shape[-1] == 1 else "RGB"))
    return np.concatenate([strip.reshape(*strip.shape[:2], picture.shape[-1]), picture], axis=0)


def discriminator_view(model, x: np.ndarray, chunk: int = 512) -> tuple[np.ndarray, str]:
    """D on points x as a probability where D outputs logits, else its raw score.

    Evaluated in chunks: layers such as minibatch discrimination cost O(batch^2).
    """
    scores = np.concatenate([numpy(model.critic(x[i:i + chunk], training=False)).reshape(-1)
                             for i in range(0, len(x), chunk)])
    if model.discriminator_outputs_logits:
        return 1.0 / (1.0 + np.exp(-np.clip(scores, -50.0, 50.0))), "D(x)"
    return scores, model.discriminator_output_name


def density_axes(name: str) -> tuple[float, float, float]:
    """(x from, x to, density top) of a 1-D toy's figure: fixed for the whole run, so
    that frames line up: the real mean +- 6 std, and 1.6 times the real density's peak."""
    spec = toy_spec(name)
    mean, std = float(spec.modes[0, 0]), spec.std
    return mean - 6 * std, mean + 6 * std, 1.6 / (std * np.sqrt(2 * np.pi))


def density_story(model, name: str, samples: np.ndarray) -> dict:
    """The numbers behind Goodfellow et al.'s Figure 1: how far D is from 1/2 on the real
    support (the real mean +- 2 std), and the generated mean and std."""
    spec = toy_spec(name)
    mean, std = float(spec.modes[0, 0]), spec.std
    support = np.linspace(mean - 2 * std, mean + 2 * std, 101, dtype=np.float32)[:, None]
    d, label = discriminator_view(model, support)
    story = {"story/generated_mean": float(samples.mean()), "story/generated_std": float(samples.std())}
    if label == "D(x)":
        story["story/max_abs_d_minus_half_on_real_support"] = float(np.abs(d - 0.5).max())
    return story


@_styled
def density_plot(model, name: str, step: int | None, samples: np.ndarray) -> np.ndarray:
    """The picture of Goodfellow et al. 2014, Figure 1, for a 1-D toy: the real density
    (black dashed), the generated density (green) and D(x) (blue dashed, on its own axis
    from 0 to 1 with a line at 1/2; model=None leaves it out). The axes are the same for
    every frame of a run (`density_axes`); a generated density above the top is cut
    there and its peak written beside it. The shaded band is the real mean +- 2 std,
    where the story's numbers read D: the equilibrium pins D to 1/2 only where the data
    lie, and away from them D stays wherever its last updates left it."""
    spec = toy_spec(name)
    mean, std = float(spec.modes[0, 0]), spec.std
    lo, hi, top = density_axes(name)
    xs = np.linspace(lo, hi, 400, dtype=np.float32)
    figure, axis = _figure((5.2, 3.9))
    axis.axvspan(mean - 2 * std, mean + 2 * std, color="0.92", label="real mean ± 2 std: D → 1/2 there")
    heights, edges = np.histogram(np.clip(samples.reshape(-1), lo, hi), bins=96, range=(lo, hi), density=True)
    # One filled outline, not 96 bars: adjacent bars left white seams between them.
    axis.stairs(np.minimum(heights, top), edges, fill=True, color="green", alpha=0.5, label="generated")
    if heights.max() > top:
        peak = int(heights.argmax())
        axis.annotate(f"peak {heights[peak]:.1f}", ((edges[peak] + edges[peak + 1]) / 2, top),
                      xytext=(6, -16), textcoords="offset points", color="darkgreen")
    real = np.exp(-0.5 * ((xs - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))
    axis.plot(xs, real, "k--", label="real")
    axis.set(xlim=(lo, hi), ylim=(0, top), xlabel="x", ylabel="density")
    handles, labels = axis.get_legend_handles_labels()
    if model is not None:
        d, label = discriminator_view(model, xs[:, None])
        other = axis.twinx()
        line = other.plot(xs, d, "b--", label=label)
        if label == "D(x)":
            other.set_ylim(0, 1)
            other.axhline(0.5, color="gray", lw=0.8, ls=":")
        other.set_ylabel(label if label == "D(x)" else f"{label} (scale of this frame)", color="b")
        handles, labels = handles + line, labels + [label]
    axis.set_title(name if step is None else f"{name}, step {step}")
    # Below the axes: inside them D's curve ran through the legend.
    figure.legend(handles, labels, loc="outside lower center", ncols=2)
    return _figure_to_array(figure)


@_styled
def scatter_plot(model, name: str, step: int | None, samples: np.ndarray, paths=None) -> np.ndarray:
    """Generated samples (green) over the real modes (black x), with D's contour (unless
    model is None; D(x) on a fixed 0-1 scale, a critic's unbounded score on the scale of
    the frame, as its colour bar says) and, optionally, generator paths [n, steps, 2]
    (orange)."""
    modes = toy_spec(name).modes
    lo, hi = modes.min() - 1.0, modes.max() + 1.0
    grid = np.linspace(lo, hi, 120, dtype=np.float32)
    xx, yy = np.meshgrid(grid, grid)
    figure, axis = _figure((5.2, 5.6))
    if model is not None:
        d, label = discriminator_view(model, np.stack([xx.ravel(), yy.ravel()], axis=1))
        fixed = label == "D(x)"
        contour = axis.contourf(xx, yy, d.reshape(xx.shape), levels=np.linspace(0, 1, 21) if fixed else 20,
                                cmap="Blues", alpha=0.6)
        figure.colorbar(contour, ax=axis, label=label if fixed else f"{label} (scale of this frame)")
    for path in paths if paths is not None else ():
        axis.plot(path[:, 0], path[:, 1], "-", color="orange", lw=1)
    axis.scatter(samples[:, 0], samples[:, 1], s=2, c="green", alpha=0.5, label="generated")
    axis.scatter(modes[:, 0], modes[:, 1], marker="x", c="black", label="real modes")
    axis.set_xlim(lo, hi)
    axis.set_ylim(lo, hi)
    axis.set_title(name if step is None else f"{name}, step {step}")
    legend = figure.legend(loc="outside lower center", ncols=2)
    for handle in legend.legend_handles:  # the samples' dots at the modes' size
        handle.set_sizes([30])
    return _figure_to_array(figure)


def class_grid_inputs(num_classes: int, latent_dim: int, seed, columns: int = 10,
                      max_rows: int = 20) -> tuple[list[np.ndarray], int]:
    """([z, labels], columns) of a class grid: one row per class (10 classes evenly
    spaced when there are more than `max_rows`), the same `columns` noise vectors in
    every row, so that a column keeps its style and a row its class."""
    rows = np.arange(num_classes) if num_classes <= max_rows else np.linspace(0, num_classes - 1, 10)
    noise = np.random.default_rng(seed).standard_normal((columns, latent_dim)).astype("float32")
    return [np.tile(noise, (len(rows), 1)), np.repeat(rows.astype(np.int32), columns)], columns


def render_samples(model, dataset_name: str, is_image: bool, step: int, inputs,
                   columns: int | None = None) -> np.ndarray:
    """The picture of the generator's state on `inputs` (z, or [z, labels]): an image
    grid (`columns` wide, e.g. a class grid), or the toy's plot (with D's view unless D
    needs labels too)."""
    samples = numpy(model.generator(inputs, training=False))
    if is_image:
        return image_grid(samples, columns)
    critic = None if model.discriminator_takes_labels else model
    if samples.shape[-1] == 1:
        return density_plot(critic, dataset_name, step, samples)
    return scatter_plot(critic, dataset_name, step, samples)
