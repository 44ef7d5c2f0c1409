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

import dataclasses
import functools
import sys
import time

from absl import app, flags

from gan_zoo_tools.common import TYPED_ARGV, fail, parse_flags
from measure import fit_pairs, write_figures

_CONFIGS = flags.DEFINE_list("configs", ["gan_stacked_mnist", "stylegan2_stacked_mnist"], "Zoo config names.")
_PAIRS = flags.DEFINE_integer("pairs", 64, "How many (z, image) pairs.", lower_bound=1)
_STEPS = flags.DEFINE_integer("fit_steps", 600, "Optimizer steps per generator.", lower_bound=1)
_EVERY = flags.DEFINE_integer("every", 100, "Record the error every this many steps.", lower_bound=1)
_OPTIMIZER_FROM = flags.DEFINE_string("optimizer_from", "", "A zoo config whose G optimizer every "
                                      "generator takes (empty: each its own config's).")
_PAD_TO = flags.DEFINE_integer("pad_to", 0, "Pad the images to this size (with -1, the data's floor) "
                               "and build every G at it; 0: the data's own size.", lower_bound=0)
_AUTHORS = flags.DEFINE_string("stylegan2_ada_pytorch", "", "A checkout of NVlabs/stylegan2-ada-pytorch: "
                               "its Generator is fit beside each StyleGAN2 config's, at the same widths "
                               "(needs a power-of-two size: --pad_to).")
_OUTPUT = flags.DEFINE_string("output", None, "Write the JSON figures here.")


def authors_generator_class(checkout: str):
    """`training.networks.Generator` of a stylegan2-ada-pytorch checkout."""
    sys.path.insert(0, checkout)
    try:
        from training.networks import Generator
    except ImportError as error:
        fail(f"--stylegan2_ada_pytorch={checkout} is not a stylegan2-ada-pytorch checkout: {error}")
    return Generator


def fit_authors_generator(checkout: str, config, z, images, spec) -> list[dict]:
    """stylegan2-ada-pytorch's Generator (`training/networks.py` of `checkout`) at
    `config`'s widths, z and w sizes and mapping depth, in float32, fit as `fit_pairs` fits
    ours, by torch's Adam at `spec`'s rate and betas (and torch's epsilon, 1e-8, where
    Keras's is 1e-7); noise random in training, constant for the outputs' spread."""
    import torch

    generator_class = authors_generator_class(checkout)
    size, width = images.shape[1], config.networks.base_filters
    torch.manual_seed(config.seed)
    generator = generator_class(z_dim=z.shape[1], c_dim=0, w_dim=z.shape[1], img_resolution=size,
                                img_channels=images.shape[-1],
                                mapping_kwargs={"num_layers": config.networks.mapping_layers},
                                synthesis_kwargs={"channel_base": 64 * width, "channel_max": width,
                                                  "num_fp16_res": 0, "conv_clamp": None})
    x, z = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(z)
    no_labels = torch.zeros(len(z), 0)
    optimizer = torch.optim.Adam(generator.parameters(), lr=spec.learning_rate,
                                 betas=(spec.beta_1, spec.beta_2))
    curve = []
    for step in range(1, _STEPS.value + 1):
        loss = torch.mean((generator(z, no_labels, noise_mode="random") - x) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % _EVERY.value == 0:
            with torch.no_grad():
                outputs = generator(z, no_labels, noise_mode="const")
            curve.append({"step": step, "mse": loss.item(),
                          "output_spread": float(torch.std(outputs, dim=0, correction=0).mean())})
    return curve


def pairs_of(config, build):
    """(images, z, info) of `config`: its data set's first --pairs images, padded to
    --pad_to, and as many fixed z; `info` describes the padded images."""
    import numpy as np

    dataset, info = build.load_data(config)
    batch = next(iter(dataset))
    images = np.asarray(batch[0] if isinstance(batch, tuple | list) else batch, "float32")
    if _PAD_TO.value:
        margin = _PAD_TO.value - images.shape[1]
        if margin < 0:
            fail(f"--pad_to={_PAD_TO.value} is smaller than the images ({images.shape[1]}).")
        sides = (margin // 2, margin - margin // 2)
        images = np.pad(images, ((0, 0), sides, sides, (0, 0)), constant_values=-1.0)
        info = dataclasses.replace(info, shape=images.shape[1:])
    z = np.random.default_rng(config.seed).normal(size=(len(images), config.model.latent_dim))
    return images, z.astype("float32"), info


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    import keras

    import zoo_configs
    from gan_zoo import build, data, devices
    from gan_zoo.config import ConfigError

    if _AUTHORS.value:
        authors_generator_class(_AUTHORS.value)  # a wrong path fails before anything trains
    results = {"machine": devices.machine(), "command": " ".join(["python", *TYPED_ARGV]), "configs": {}}
    try:  # every name resolved before anything trains
        configs = {name: zoo_configs.get(name) for name in _CONFIGS.value}
        shared = zoo_configs.get(_OPTIMIZER_FROM.value) if _OPTIMIZER_FROM.value else None
    except ConfigError as error:
        fail(str(error))
    prepared = {}  # every config's pairs made and checked before anything trains
    for name, config in configs.items():
        config.train.batch_size = _PAIRS.value
        if config.networks.get("style_mixing"):
            config.networks.style_mixing = 0.0
        keras.utils.set_random_seed(config.seed)
        try:
            prepared[name] = pairs_of(config, build)
        except data.DataError as error:
            fail(f"{name}: {error}")
        size = prepared[name][0].shape[1]
        if _AUTHORS.value and config.networks.kind == "stylegan2" and size & (size - 1):
            fail(f"The authors' generator needs a power-of-two size, not {size}: give --pad_to.")
    for name, config in configs.items():
        images, z, info = prepared[name]
        spec = (shared or config).g_optimizer
        keras.utils.set_random_seed(config.seed)
        runs = {name: functools.partial(fit_pairs, build.build_gan(config, info).generator,
                                        build.make_optimizer(spec), steps=_STEPS.value, every=_EVERY.value)}
        if _AUTHORS.value and config.networks.kind == "stylegan2":
            runs[f"{name} (stylegan2-ada-pytorch's G)"] = functools.partial(
                fit_authors_generator, _AUTHORS.value, config, spec=spec)
        for label, fit in runs.items():
            started = time.time()
            curve = fit(z=z, images=images)
            spread = float(images.std(axis=0).mean())
            results["configs"][label] = {"curve": curve, "image_spread": spread,
                                         "image_shape": list(images.shape[1:]), "g_optimizer": spec.to_dict(),
                                         "seconds": round(time.time() - started, 1)}
            print(f"{label}: mse {curve[-1]['mse']:.4f} after {curve[-1]['step']} steps, output spread "
                  f"{curve[-1]['output_spread']:.3f} (images {spread:.3f})")
    if _OUTPUT.value:
        write_figures(_OUTPUT.value, results)


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
