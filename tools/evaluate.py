"""Evaluate a trained generator and write metrics.json.

  python tools/evaluate.py --workdir=runs/gan_mnist_subset
  python tools/evaluate.py --generator=path/generator.keras --dataset=mnist_subset --output=m.json

Image sets are scored with the project's classifier (FID / KID / score, precision /
recall / density / coverage; for a class-conditional generator also its conditional
accuracy, intra-class FID and Classification Accuracy Score); --inception adds
InceptionV3 figures where its weights are available. Toy mixtures get mode coverage.
--truncation=T scores samples of z truncated at +-T (precision up, recall down) under
its own key.
"""

import json
import os

from absl import app, flags

from gan_zoo_tools.common import fail, generate_fn, load_generator, parse_flags

_WORKDIR = flags.DEFINE_string("workdir", None, "A workdir written by tools/train.py.")
_GENERATOR = flags.DEFINE_string("generator", None, "A generator .keras file (with --dataset).")
_DATASET = flags.DEFINE_string("dataset", None, "The generator's data set (with --generator).")
_OUTPUT = flags.DEFINE_string("output", None, "Where to write the figures (default: the workdir's "
                              "metrics.json, whose other entries are kept).")
_NUM_SAMPLES = flags.DEFINE_integer("num_samples", 2000, "Generated samples to score.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the noise.")
_TRUNCATION = flags.DEFINE_float("truncation", 0.0, "Truncation trick: z drawn within +-T (BigGAN); the "
                                 "figures go under the key truncation_T, beside the untruncated ones. "
                                 "0 = off.", lower_bound=0.0)
_INCEPTION = flags.DEFINE_string("inception", None, "Also score with InceptionV3: 'imagenet' or a "
                                 "weights file.")


def main(argv):
    import numpy as np

    from gan_zoo import data, evaluation, metrics
    from gan_zoo.values import flatten

    if _NUM_SAMPLES.value < 2:
        fail("--num_samples must be at least 2.")
    generator, dataset, _ = load_generator(_WORKDIR.value, _GENERATOR.value, _DATASET.value)
    if _WORKDIR.value:
        output = _OUTPUT.value or os.path.join(_WORKDIR.value, "metrics.json")
    else:
        output = _OUTPUT.value or "metrics.json"
    generate = generate_fn(generator, _TRUNCATION.value)

    try:
        # Laid out as train_and_evaluate lays them out in metrics.json: "eval" for image
        # sets, "modes" (or gauss1d's "mean" and "std") for the toys.
        figures = evaluation.evaluate_samples(generate, dataset, _NUM_SAMPLES.value, _SEED.value)
        if generate.num_classes and dataset in data.EMBEDDED:
            figures.setdefault("eval", {}).update(
                evaluation.evaluate_conditional(generate, dataset, generate.num_classes, _SEED.value))
        if _INCEPTION.value and dataset not in data.TOYS:
            samples = generate(_NUM_SAMPLES.value, _SEED.value)
            ds, _ = data.load(dataset, 500, repeat=False)
            real = np.concatenate([b.numpy() for b in ds.take(len(samples) // 500 + 1)])
            extractor = metrics.inception_extractor(_INCEPTION.value)
            figures.setdefault("eval", {}).update(
                metrics.image_metrics(samples, real[: len(samples)], extractor, "inception"))
    except (data.DataError, metrics.InceptionUnavailable) as error:
        fail(str(error))
    if not figures:
        fail(f"nothing to measure for {dataset!r}: embedded image sets and toys are scored "
             "offline; other image sets need --inception.")

    if _TRUNCATION.value:
        figures = {f"truncation_{_TRUNCATION.value:g}": figures}
    existing = {}
    if os.path.exists(output):
        with open(output) as f:
            existing = json.load(f)
    existing.update(figures)
    with open(output, "w") as f:
        json.dump(existing, f, indent=2, sort_keys=True)
    width = max(len(k) for k in flatten(figures))
    for key, value in flatten(figures).items():
        print(f"{key:{width}s}  {value:.4g}" if isinstance(value, float) else f"{key:{width}s}  {value}")
    print(f"Wrote {os.path.abspath(output)}")



def run():
    """The tool as a command (`python tools/<tool>.py`, `gan-zoo <tool>`): exits with its code."""
    app.run(main, flags_parser=parse_flags)


if __name__ == "__main__":
    run()
