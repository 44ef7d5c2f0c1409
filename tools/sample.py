"""Pictures of a trained generator: a sample grid, latent interpolations, toy figures.

  python tools/sample.py --workdir=runs/gan_mnist_subset
  python tools/sample.py --generator=path/generator.keras --dataset=ring8 --output_dir=pics

Writes into --output_dir (default: the workdir's samples/final/):
  samples.png         images: a grid of --num_samples samples; toys: the scatter or
                      density figure of 2000 samples over the real modes
  interpolations.png  images: each row walks the latent space from one z to another
                      along the great circle (slerp, which keeps |z| typical of a
                      Gaussian); toys: the generator's image of those paths (orange)
  class_grid.png      class-conditional generators: a row per class, the same noise
                      vector down each column (style in columns, class in rows); their
                      samples.png draws classes uniformly, and row i of the
                      interpolations keeps class i mod K
  style_mixing.png    StyleGAN2 generators (Karras et al. 2019, Figure 3): the first row
                      holds sources A, the first column sources B, and each other image
                      takes its coarse styles (the first half of the layers' w) from its
                      row's B and the rest from its column's A
  truncation.png      StyleGAN2 generators: a row per seed, w truncated towards the mean
                      w_avg + psi (w - w_avg) for psi in --truncation_psis across
"""

import json
import os

from absl import app, flags

from gan_zoo_tools.common import fail, generate_fn, latent_dim, load_generator, parse_flags

_WORKDIR = flags.DEFINE_string("workdir", None, "A workdir written by tools/train.py.")
_GENERATOR = flags.DEFINE_string("generator", None, "A generator .keras file (with --dataset).")
_DATASET = flags.DEFINE_string("dataset", None, "The generator's data set (with --generator).")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Where to write the PNGs.")
_NUM_SAMPLES = flags.DEFINE_integer("num_samples", 64, "Images in the grid.", lower_bound=1)
_ROWS = flags.DEFINE_integer("interpolations", 8, "Latent paths.", lower_bound=1)
_STEPS = flags.DEFINE_integer("steps", 10, "Points along each path.", lower_bound=2)
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the noise.")
_PSIS = flags.DEFINE_list("truncation_psis", ["1", "0.8", "0.6", "0.4", "0.2", "0"],
                          "StyleGAN2: the truncation psi of each column of truncation.png.")


def style_figures(generator, latent: int, seed: int, psis: list[float], sources: int = 5) -> dict:
    """{"style_mixing": grid, "truncation": grid} of a StyleGAN2 generator (its `styles`
    and `synthesis`), as the module's docstring draws them."""
    import numpy as np
    from keras import ops

    from gan_zoo import pictures

    rng = np.random.default_rng(seed)
    z_a, z_b = (rng.standard_normal((sources, latent)).astype("float32") for _ in range(2))
    ws_a, ws_b = (ops.convert_to_numpy(generator.styles(z)) for z in (z_a, z_b))

    def images(ws):
        return np.asarray(ops.convert_to_numpy(ops.cast(generator.synthesis(ws), "float32")))

    layers_of_w = ws_a.shape[1:]
    coarse = layers_of_w[0] // 2
    mixed = np.concatenate([np.repeat(ws_b[:, None, :coarse], sources, 1),  # [row B, column A, layer, w]
                            np.repeat(ws_a[None, :, coarse:], sources, 0)], axis=2)
    top, left = images(ws_a), images(ws_b)
    cells = images(mixed.reshape(-1, *layers_of_w)).reshape(sources, sources, *top.shape[1:])
    rows = [np.concatenate([np.full_like(top[:1], -1.0), top])]  # a blank corner, then the sources A
    rows += [np.concatenate([left[i : i + 1], cells[i]]) for i in range(sources)]
    average = ops.convert_to_numpy(generator.w_average)
    sweep = np.stack([average + psi * (ws_a - average) for psi in psis], axis=1).reshape(-1, *layers_of_w)
    return {"style_mixing": pictures.image_grid(np.concatenate(rows), sources + 1),
            "truncation": pictures.image_grid(images(sweep), len(psis))}


def slerp(z0, z1, steps: int):
    """[n, steps, d] points on the great circles from z0 [n, d] to z1 [n, d], with the
    norm interpolated linearly (White 2016, "Sampling Generative Networks")."""
    import numpy as np

    t = np.linspace(0.0, 1.0, steps)[None, :, None]
    n0 = np.linalg.norm(z0, axis=-1, keepdims=True)[:, None]
    n1 = np.linalg.norm(z1, axis=-1, keepdims=True)[:, None]
    u0, u1 = z0[:, None] / n0, z1[:, None] / n1
    omega = np.arccos(np.clip(np.sum(u0 * u1, axis=-1, keepdims=True), -1.0, 1.0))
    sin = np.sin(omega)
    safe = np.where(sin < 1e-6, 1.0, sin)
    direction = np.where(sin < 1e-6, (1 - t) * u0 + t * u1,
                         (np.sin((1 - t) * omega) * u0 + np.sin(t * omega) * u1) / safe)
    return (direction * ((1 - t) * n0 + t * n1)).astype(np.float32)


def trained_steps(workdir: str | None) -> int | None:
    """The generator steps behind a workdir's exported generator (its metrics.json)."""
    path = os.path.join(workdir, "metrics.json") if workdir else ""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f).get("step")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    import numpy as np
    from PIL import Image

    from gan_zoo import data, pictures

    generator, dataset, _ = load_generator(_WORKDIR.value, _GENERATOR.value, _DATASET.value)
    step = trained_steps(_WORKDIR.value)  # the figures' titles; None for a bare generator file
    output_dir = _OUTPUT_DIR.value or (os.path.join(_WORKDIR.value, "samples", "final")
                                       if _WORKDIR.value else "samples")
    os.makedirs(output_dir, exist_ok=True)
    latent = latent_dim(generator)
    generate = generate_fn(generator)
    rng = np.random.default_rng(_SEED.value)
    z0, z1 = (rng.standard_normal((_ROWS.value, latent)).astype("float32") for _ in range(2))
    paths = slerp(z0, z1, _STEPS.value).reshape(-1, latent)
    if generate.num_classes:  # row i keeps class i mod K
        row_classes = np.arange(_ROWS.value) % generate.num_classes
        paths = [paths, np.repeat(row_classes, _STEPS.value).astype("int32")]
    path_samples = np.asarray(generator.predict(paths, verbose=0), np.float32)
    toy = dataset in data.TOYS
    if toy:
        data.toy_spec(dataset)  # a clear error for a misspelled toy name
    samples = generate(2000 if toy else _NUM_SAMPLES.value, _SEED.value)
    if samples.ndim == 4:
        figures = {"samples": pictures.image_grid(samples),
                   "interpolations": pictures.image_grid(path_samples, cols=_STEPS.value)}
        if generate.num_classes:
            inputs, columns = pictures.class_grid_inputs(generate.num_classes, latent, _SEED.value)
            grid = np.asarray(generator.predict(inputs, verbose=0), np.float32)
            figures["class_grid"] = pictures.image_grid(grid, columns)
        if hasattr(generator, "styles") and hasattr(generator, "synthesis"):
            try:
                psis = [float(psi) for psi in _PSIS.value]
            except ValueError:
                fail(f"--truncation_psis takes numbers, got {','.join(_PSIS.value)}.")
            figures.update(style_figures(generator, latent, _SEED.value, psis))
    elif samples.shape[-1] == 1:
        figures = {"samples": pictures.density_plot(None, dataset, step, samples)}
    elif samples.shape[-1] == 2 and toy:
        walks = path_samples.reshape(_ROWS.value, _STEPS.value, 2)
        figures = {"samples": pictures.scatter_plot(None, dataset, step, samples),
                   "interpolations": pictures.scatter_plot(None, dataset, step, samples, paths=walks)}
    else:
        fail(f"cannot draw samples of shape {samples.shape[1:]} from {dataset!r}.")
    for name, picture in figures.items():
        path = os.path.join(output_dir, f"{name}.png")
        Image.fromarray(picture.squeeze(-1) if picture.shape[-1] == 1 else picture).save(path)
        print(f"Wrote {path}")


def run():
    """The tool as a command (`python tools/<tool>.py`, `gan-zoo <tool>`): exits with its code."""
    app.run(main, flags_parser=parse_flags)


if __name__ == "__main__":
    run()
