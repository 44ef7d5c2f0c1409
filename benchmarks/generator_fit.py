"""How fast each zoo config's generator fits N fixed (z, image) pairs by least squares: a
check of G alone, with no discriminator. A G that follows this regression slowly follows
D's gradient slowly too (docs/CONFIGS.md, StyleGAN2 on Stacked MNIST).

  python benchmarks/generator_fit.py --configs=gan_stacked_mnist,stylegan2_stacked_mnist \
      --output=docs/cpu/<machine>/generator_fit.json

Each G is built as its config builds it and trained with its config's G optimizer (or
--optimizer_from's, the same for all), in float32, on the data set's first N images
against N fixed z ~ N(0, I), full batch; style mixing is off (its second z would make
the targets random). The JSON holds, every --every steps, the mean squared error and the
spread of G's outputs over z (the standard deviation across the N outputs, averaged over
pixels) beside the images' own.
"""

import json
import sys
import time

from absl import app, flags

from gan_zoo_tools.common import parse_flags

_CONFIGS = flags.DEFINE_list("configs", ["gan_stacked_mnist", "stylegan2_stacked_mnist"], "Zoo config names.")
_PAIRS = flags.DEFINE_integer("pairs", 64, "How many (z, image) pairs.", lower_bound=1)
_STEPS = flags.DEFINE_integer("fit_steps", 600, "Optimizer steps per generator.", lower_bound=1)
_EVERY = flags.DEFINE_integer("every", 100, "Record the error every this many steps.", lower_bound=1)
_OPTIMIZER_FROM = flags.DEFINE_string("optimizer_from", "", "A zoo config whose G optimizer every "
                                      "generator takes (empty: each its own config's).")
_OUTPUT = flags.DEFINE_string("output", None, "Write the JSON figures here.")


def fit_pairs(generator, optimizer, z, images, steps: int, every: int) -> list[dict]:
    """Train `generator` to map z[i] to images[i] (mean squared error, the whole set as
    one batch) for `steps` steps; {"step", "mse", "output_spread"} every `every` steps."""
    import keras

    generator.compile(optimizer=optimizer, loss="mse")
    curve = []
    for step in range(every, steps + 1, every):
        history = generator.fit(z, images, batch_size=len(z), epochs=every, verbose=0, shuffle=False)
        outputs = keras.ops.convert_to_numpy(generator(z, training=False))
        curve.append({"step": step, "mse": float(history.history["loss"][-1]),
                      "output_spread": float(outputs.std(axis=0).mean())})
    return curve


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    import keras
    import numpy as np

    import zoo_configs
    from gan_zoo import build, devices

    results = {"machine": devices.machine(), "command": " ".join(["python", *sys.argv]), "configs": {}}
    for name in _CONFIGS.value:
        config = zoo_configs.get(name)
        config.train.batch_size = _PAIRS.value
        if config.networks.get("style_mixing"):
            config.networks.style_mixing = 0.0
        keras.utils.set_random_seed(config.seed)
        dataset, info = build.load_data(config)
        batch = next(iter(dataset))
        images = np.asarray(batch[0] if isinstance(batch, tuple | list) else batch, "float32")
        z = np.random.default_rng(config.seed).normal(size=(_PAIRS.value, config.model.latent_dim))
        generator = build.build_gan(config, info).generator
        started = time.time()
        spec = (zoo_configs.get(_OPTIMIZER_FROM.value) if _OPTIMIZER_FROM.value else config).g_optimizer
        curve = fit_pairs(generator, build.make_optimizer(spec), z.astype("float32"), images,
                          _STEPS.value, _EVERY.value)
        results["configs"][name] = {"curve": curve, "image_spread": float(images.std(axis=0).mean()),
                                    "g_optimizer": spec.to_dict(),
                                    "seconds": round(time.time() - started, 1)}
        print(f"{name}: mse {curve[-1]['mse']:.4f} after {curve[-1]['step']} steps, output spread "
              f"{curve[-1]['output_spread']:.3f} (images {results['configs'][name]['image_spread']:.3f})")
    if _OUTPUT.value:
        with open(_OUTPUT.value, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
