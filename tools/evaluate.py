"""Evaluate a trained generator and write metrics.json.

  python tools/evaluate.py --workdir=runs/gan_mnist_subset
  python tools/evaluate.py --generator=path/generator.keras --dataset=mnist_subset --output=m.json

Image sets are scored with the project's classifier (FID / KID / score); --inception
adds InceptionV3 figures where its weights are available. Toy mixtures get mode coverage.
"""

import json
import os

from absl import app, flags

from common import fail, parse_flags

_WORKDIR = flags.DEFINE_string("workdir", None, "A workdir written by tools/train.py.")
_GENERATOR = flags.DEFINE_string("generator", None, "A generator .keras file (with --dataset).")
_DATASET = flags.DEFINE_string("dataset", None, "The generator's data set (with --generator).")
_OUTPUT = flags.DEFINE_string("output", None, "Where to write the figures (default: the workdir's "
                              "metrics.json, whose other entries are kept).")
_NUM_SAMPLES = flags.DEFINE_integer("num_samples", 2000, "Generated samples to score.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the noise.")
_INCEPTION = flags.DEFINE_string("inception", None, "Also score with InceptionV3: 'imagenet' or a "
                                 "weights file.")


def main(argv):
    import keras
    import numpy as np

    from gan_zoo import data, metrics, train

    if bool(_WORKDIR.value) == bool(_GENERATOR.value):
        fail("give either --workdir or --generator (with --dataset).")
    if _NUM_SAMPLES.value < 2:
        fail("--num_samples must be at least 2.")
    if _WORKDIR.value:
        config_path = os.path.join(_WORKDIR.value, "config.json")
        generator_path = os.path.join(_WORKDIR.value, "generator.keras")
        if not os.path.exists(config_path) or not os.path.exists(generator_path):
            fail(f"{_WORKDIR.value} has no config.json and generator.keras: train it with tools/train.py.")
        with open(config_path) as f:
            dataset = json.load(f)["dataset"]
        output = _OUTPUT.value or os.path.join(_WORKDIR.value, "metrics.json")
    else:
        generator_path, dataset = _GENERATOR.value, _DATASET.value
        if not dataset:
            fail("--generator needs --dataset.")
        output = _OUTPUT.value or "metrics.json"
    try:
        generator = keras.saving.load_model(generator_path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - a corrupt or foreign file
        fail(f"cannot load {generator_path} as a Keras generator: {type(error).__name__}: {error}")
    def generate(n, seed):
        z = np.random.default_rng(seed).standard_normal((n, generator.input_shape[-1])).astype("float32")
        return np.asarray(generator.predict(z, batch_size=500, verbose=0))

    try:
        figures = train.evaluate_samples(generate, dataset, _NUM_SAMPLES.value, _SEED.value)
        figures = figures.get("eval", figures)
        if _INCEPTION.value and dataset not in data.TOYS:
            samples = generate(_NUM_SAMPLES.value, _SEED.value)
            ds, _ = data.load(dataset, 500, repeat=False)
            real = np.concatenate([b.numpy() for b in ds.take(len(samples) // 500 + 1)])
            extractor = metrics.inception_extractor(_INCEPTION.value)
            figures.update(metrics.image_metrics(samples, real[: len(samples)], extractor, "inception"))
    except (data.DataError, metrics.InceptionUnavailable) as error:
        fail(str(error))
    if not figures:
        fail(f"nothing to measure for {dataset!r}: embedded image sets and toys are scored "
             "offline; other image sets need --inception.")

    existing = {}
    if os.path.exists(output):
        with open(output) as f:
            existing = json.load(f)
    existing["eval"] = figures
    with open(output, "w") as f:
        json.dump(existing, f, indent=2, sort_keys=True)
    width = max(len(k) for k in _flatten(figures))
    for key, value in _flatten(figures).items():
        print(f"{key:{width}s}  {value:.4g}" if isinstance(value, float) else f"{key:{width}s}  {value}")
    print(f"Wrote {output}")


def _flatten(figures, prefix=""):
    flat = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
