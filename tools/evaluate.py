"""Evaluate a trained generator and write metrics.json.

  python tools/evaluate.py --workdir=runs/gan_mnist_subset
  python tools/evaluate.py --generator=path/generator.keras --dataset=mnist_subset --output=m.json

Image sets are scored (FID / KID / score, precision / recall / density / coverage) on
the features of --metrics_network: "auto" is the project's classifier on the embedded
sets (classifier_* figures; for a class-conditional generator also its conditional
accuracy, intra-class FID and Classification Accuracy Score) and the papers' FID
Inception elsewhere (inception_* figures), which needs pytorch-fid's weights file
(--inception_weights or $GAN_ZOO_INCEPTION_WEIGHTS). metrics.json records the network
and the real images of every figure. Toy mixtures get mode coverage.
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
_NETWORK = flags.DEFINE_enum("metrics_network", "auto", ["auto", "classifier", "inception_fid"],
                             "The features images are scored on: the project's classifier (embedded "
                             "sets), the papers' FID Inception, or auto (the first on embedded sets, else "
                             "the second).")
_INCEPTION_WEIGHTS = flags.DEFINE_string(
    "inception_weights", None, "pytorch-fid's pt_inception-2015-12-05-6726825d.pth, for the FID Inception "
    "(default $GAN_ZOO_INCEPTION_WEIGHTS).")


def main(argv):
    import ml_collections

    from gan_zoo import data, evaluation, metrics
    from gan_zoo.config import with_later_defaults
    from gan_zoo.train import folder_cache
    from gan_zoo.values import flatten

    if _NUM_SAMPLES.value < 2:
        fail("--num_samples must be at least 2.")
    generator, dataset, config = load_generator(_WORKDIR.value, _GENERATOR.value, _DATASET.value)
    if _WORKDIR.value:
        output = _OUTPUT.value or os.path.join(_WORKDIR.value, "metrics.json")
    else:
        output = _OUTPUT.value or "metrics.json"
    generate = generate_fn(generator, _TRUNCATION.value)

    if _NETWORK.value == "classifier" and dataset not in data.EMBEDDED:
        fail(f"--metrics_network=classifier scores the embedded sets {data.EMBEDDED}, not {dataset!r}.")
    network = evaluation.feature_network(_NETWORK.value, dataset)
    if network == "inception_fid" and dataset not in data.TOYS:
        try:  # a missing or wrong weights file stops here, before any sample is drawn
            metrics.inception.checked_weights(_INCEPTION_WEIGHTS.value)
        except metrics.InceptionUnavailable as error:
            fail(str(error))
    # The workdir's own images: its split, crop and size, and its folder's cache.
    real = (evaluation.RealImages.of(ml_collections.ConfigDict(with_later_defaults(config)),
                                     folder_cache(_WORKDIR.value))
            if config else evaluation.RealImages(dataset))
    try:
        # Laid out as train_and_evaluate lays them out in metrics.json: "eval" for image
        # sets, "modes" (or gauss1d's "mean" and "std") for the toys.
        figures = evaluation.evaluate_samples(generate, dataset, _NUM_SAMPLES.value, _SEED.value, network,
                                              real, _INCEPTION_WEIGHTS.value)
        if generate.num_classes and dataset in data.EMBEDDED:
            figures.setdefault("eval", {}).update(
                evaluation.evaluate_conditional(generate, dataset, generate.num_classes, _SEED.value))
    except (data.DataError, metrics.InceptionUnavailable) as error:
        fail(str(error))
    if not figures:
        fail(f"nothing to measure for {dataset!r}.")

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
