"""What the zoo configs share: each paper's training settings and each data set's preset.

Where a paper names its own architecture for a data set (`architectures`), it replaces
the data set's preset networks.

A config file is `zoo_config(variant, dataset)` plus whatever its own paper changes.
"""

from gan_zoo.config import default_config, model_config
from gan_zoo.networks.builders import upsamplings

# Each paper's optimizers and network requirements.
PAPER_SETTINGS = {
    # Goodfellow et al. 2014 on DCGAN networks: Radford et al. 2016, Adam(2e-4, 0.5).
    "gan": {"optimizer": {"name": "adam", "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999}},
    # Salimans et al. 2016: Adam(3e-4, 0.5) in the authors' code; minibatch
    # discrimination with B = 100 kernels of C = 5 (the layer's defaults).
    "improved_gan": {"optimizer": {"name": "adam", "learning_rate": 3e-4, "beta_1": 0.5, "beta_2": 0.999},
                     "networks": {"minibatch_kernels": 100}},
    "semi_supervised": {"optimizer": {"name": "adam", "learning_rate": 3e-4, "beta_1": 0.5,
                                      "beta_2": 0.999},
                        "labels_per_class": 10},
    # Zhao et al. 2017: Adam(1e-3, 0.5) was among their best MNIST settings.
    "ebgan": {"optimizer": {"name": "adam", "learning_rate": 1e-3, "beta_1": 0.5, "beta_2": 0.999}},
    # Arjovsky et al. 2017, Algorithm 1: RMSProp, learning rate 5e-5.
    "wgan": {"optimizer": {"name": "rmsprop", "learning_rate": 5e-5}},
    # Gulrajani et al. 2017, Algorithm 1: Adam(1e-4, 0, 0.9); no batch norm in the critic.
    "wgan_gp": {"optimizer": {"name": "adam", "learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9},
                "networks": {"norm": "layer"},
                # Appendix F: CIFAR-10 on a ResNet (128 filters, 128-d noise, no critic norm).
                "architectures": {"cifar10": {"latent_dim": 128, "networks": {
                    "kind": "resnet", "base_filters": 128, "norm": "none"}}}},
    # Mao et al. 2017: Adam(2e-4, 0.5).
    "lsgan": {"optimizer": {"name": "adam", "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999}},
    # Odena et al. 2017, appendix B: Adam(2e-4, 0.5); G conditioned by joining the
    # (one-hot) class to z.
    "acgan": {"optimizer": {"name": "adam", "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
              "networks": {"conditioning": "concat"}},
    # Miyato et al. 2018, hinge loss with spectral norm, setting C: Adam(2e-4, 0.5, 0.999).
    "hinge": {"optimizer": {"name": "adam", "learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
              "networks": {"spectral_norm": True}},
}

# Data-set presets: networks and training length.
DATASET_PRESETS = {
    # A user's folder of images (`--config=zoo:gan_folder:PATH`): DCGAN networks at 64 px,
    # the DCGAN paper's width; image_size and the schedule are the user's to change.
    "folder": {"latent_dim": 100, "image_size": 64, "networks": {"kind": "dcgan", "base_filters": 64},
               "train": {"batch_size": 64, "epochs": 20, "steps_per_epoch": 1000}},
    # 32 base filters instead of DCGAN's 128 keep a run to minutes on 2 CPU cores.
    "mnist_subset": {"latent_dim": 100, "networks": {"kind": "dcgan", "base_filters": 32},
                     "train": {"batch_size": 64, "epochs": 15, "steps_per_epoch": 300}},
    # Stacked MNIST, 1000 modes: PacGAN's protocol scores 26,000 samples.
    "stacked_mnist": {"latent_dim": 100, "networks": {"kind": "dcgan", "base_filters": 32},
                      "train": {"batch_size": 64, "epochs": 15, "steps_per_epoch": 300},
                      "eval": {"num_samples": 26_000}},
    # The VEEGAN / PacGAN toy protocol: MLPs, 2-D noise. The papers' image learning rates
    # are too slow here, so toys start at 1e-3 (each paper's optimizer and betas are
    # kept) and decay it linearly to 0, which tightens the samples onto the modes. Width
    # and length measured on grid25 with the GAN (one seed each): 3 x 128 for 3000 steps
    # at a constant rate, 23/25 modes with 22% high-quality samples; with the decay, 22/25
    # and 51% at 6000 steps; 3 x 256 with the decay, 25/25 and 91% at 6000 steps, 25/25
    # and 95.6% at 12000, but 22 and 11 modes on seeds 1 and 2 (with the decay, PacGAN's
    # 3 x 400 for 9000 steps: 23/25, 90%; 4 x 256 for 6000: 18/25).
    # ring8 needs half grid25's steps (6000: 8/8 modes, >= 87% high quality for every
    # variant but the semi-supervised one). The MLPs cost little, so the toys keep
    # Algorithm 1's fresh generator pass; mode coverage is cheap, so it goes to
    # TensorBoard every 300 steps.
    **{toy: {"latent_dim": 2, "learning_rate": 1e-3,
             "networks": {"kind": "mlp", "hidden_units": (256, 256, 256)},
             "train": {"batch_size": 256, "epochs": epochs, "steps_per_epoch": 300, "lr_decay": "linear",
                       "checkpoint_every": 300, "sample_every": 300, "reuse_generator_pass": False},
             "eval": {"every": 300}}
       for toy, epochs in (("ring8", 20), ("grid25", 40))},
    # The papers' architectures on full tfds data sets (need a download or --config.data_dir).
    "mnist": {"latent_dim": 100, "networks": {"kind": "dcgan", "base_filters": 64},
              "train": {"batch_size": 64, "epochs": 25, "steps_per_epoch": 937}},
    "cifar10": {"latent_dim": 100, "networks": {"kind": "dcgan", "base_filters": 128},
                "train": {"batch_size": 64, "epochs": 30, "steps_per_epoch": 781}},
    # The field's standard protocols through tfds (`STANDARD_PROTOCOLS` says what each
    # follows; `PUBLISHED`, what to set a run beside), on DCGAN networks at the size.
    "celeba64": {"tfds": "celeb_a", "center_crop": 108, "image_size": 64, "latent_dim": 100,
                 "networks": {"kind": "dcgan", "base_filters": 64},
                 "train": {"batch_size": 64, "epochs": 50, "steps_per_epoch": 1000}},
    "lsun_bedroom64": {"tfds": "lsun/bedroom", "image_size": 64, "latent_dim": 100,
                       "networks": {"kind": "dcgan", "base_filters": 64},
                       "train": {"batch_size": 64, "epochs": 100, "steps_per_epoch": 1000}},
    "stl10_48": {"tfds": "stl10", "split": "unlabelled", "image_size": 48, "latent_dim": 128,
                 "networks": {"kind": "dcgan", "base_filters": 64},
                 "train": {"batch_size": 64, "epochs": 100, "steps_per_epoch": 1000}},
    **{f"imagenet{size}": {"tfds": f"imagenet_resized/{size}x{size}", "latent_dim": 128,
                           "networks": {"kind": "dcgan", "base_filters": 128 if size == 32 else 64},
                           "train": {"batch_size": 64, "epochs": 100, "steps_per_epoch": 1000}}
       for size in (32, 64)},
}

# What each standard protocol follows: the images, the split and how they are cut.
STANDARD_PROTOCOLS = {
    "cifar10": "CIFAR-10's 50,000 training images at 32 px, as they are (every paper below).",
    "celeba64": "CelebA's 162,770 training images (aligned, 218 x 178), the centred 108 x 108 crop of the "
                "DCGAN authors' code resized to 64 px (the DCGAN / WGAN-GP / TTUR CelebA protocol).",
    "lsun_bedroom64": "LSUN bedrooms' 3,033,042 training images, the centred square resized to 64 px "
                      "(WGAN-GP and TTUR's 64-px bedrooms).",
    "stl10_48": "STL-10's 100,000 unlabelled images resized from 96 to 48 px (SN-GAN's protocol).",
    "imagenet32": "ImageNet's 1,281,167 training images downsampled to 32 px by Chrabaszcz et al. 2017 "
                  "(tfds imagenet_resized; its box resize, as published); 1000 classes.",
    "imagenet64": "The same at 64 px (imagenet_resized/64x64); 1000 classes.",
}
# Published Inception figures (FID and IS of 50,000 samples, on the 2015-12-05 Inception
# network) on each protocol: (source, {column: value}). Set a run beside them only when its
# FID is on that network too (--metrics_network=inception_fid); the papers' networks are
# often larger than the zoo preset's DCGAN networks, which the source says.
PUBLISHED_INCEPTION = {
    "cifar10": [("SN-GAN, ResNet (Miyato et al. 2018, Table 2)", {"FID": "21.7", "IS": "8.22"}),
                ("WGAN-GP, ResNet (Gulrajani et al. 2017, Table 3)", {"IS": "7.86"})],
    "cifar10_conditional": [("Projection D, ResNet (Miyato & Koyama 2018)",
                             {"FID": "17.5", "IS": "8.62"})],
    "celeba64": [("DCGAN with TTUR (Heusel et al. 2017, Table 1)", {"FID": "12.5"})],
    "lsun_bedroom64": [("WGAN-GP with TTUR (Heusel et al. 2017, Table 1)", {"FID": "9.5"})],
    "stl10_48": [("SN-GAN, ResNet (Miyato et al. 2018, Table 2)", {"FID": "40.1", "IS": "9.10"})],
    # No paper of the zoo's variants reports ImageNet at 32 or 64 px: compare runs within the zoo.
    "imagenet32": [],
    "imagenet64": [],
}


# Where the 2-D mixtures need other settings than the papers' image experiments, each
# measured with benchmarks/toy_table.py against the paper's value (on the earlier 3 x 128,
# 3000-step preset; the semi-supervised GAN's on the current one):
TOY_OVERRIDES = {
    # Feature matching alone: 6/8 ring modes, 0.5% high-quality samples (the paper uses it
    # for semi-supervised learning, minibatch discrimination for sample quality), so G
    # also gets the adversarial loss. Minibatch discrimination costs O(batch^2 * kernels):
    # the paper's 100 kernels took ~0.7 s a step at batch 256, so 10.
    "improved_gan": {"model": {"adversarial_weight": 1.0}, "networks": {"minibatch_kernels": 10}},
    # The same for the semi-supervised GAN: feature matching alone, 3/8 ring modes with
    # 8% high-quality samples; with the adversarial loss, 8/8 and 72%.
    "semi_supervised": {"model": {"adversarial_weight": 1.0}},
    # The paper's m = 10 suits MNIST pixels, far above 2-D reconstruction errors. With
    # the paper's Adam betas (0.5, 0.999), grid25 seeds 0/1/2 gave 21/16/15 modes; with
    # WGAN-GP's (0, 0.9), 16/19/23 (seeds 1/2 with margin 0.1: 16/14; pt_weight 1: 15/16).
    "ebgan": {"model": {"margin": 0.5}, "optimizer": {"beta_1": 0.0, "beta_2": 0.9}},
    # A 3-layer MLP critic clipped at the paper's 0.01 is too flat to separate the modes.
    "wgan": {"model": {"clip_value": 0.05}},
    # The authors' own toy script uses 0.1 ("smaller lambda seems to help for toy
    # tasks"); with the paper's 10: 2/8 ring modes, 6% high-quality samples.
    "wgan_gp": {"model": {"gp_weight": 0.1}},
    # Miyato et al.'s betas for the hinge loss on ResNets; with (0.5, 0.999): 5/8 ring
    # modes, 0.4% high-quality samples.
    "hinge": {"optimizer": {"beta_1": 0.0, "beta_2": 0.9}},
}
TOYS = ("ring8", "grid25")


# Configs of a variant on its paper's own networks, beside the data set's preset ones:
# zoo_configs/<name>_<dataset>.py (benchmarks/results.py lists their rows too).
PAPER_NETWORK_CONFIGS = ("semi_supervised_mlp",)  # Salimans et al.'s MNIST MLPs

# Presets of the field's networks over a variant (`biggan_config`, `stylegan2_config`):
# benchmarks/results.py lists their rows as it lists the variants'.
FIELD_NETWORK_CONFIGS = ("biggan", "stylegan2")

# Class-conditional configs: name -> (variant, the networks' conditioning).
CONDITIONAL = {
    "cgan": ("gan", "concat"),  # Mirza & Osindero 2014 on DCGAN networks
    "projection": ("hinge", "projection"),  # Miyato & Koyama 2018: hinge, spectral norm, CBN
    "acgan": ("acgan", "concat"),  # Odena et al. 2017
}


def conditional_config(name: str, dataset: str):
    """The config of the class-conditional model `name` (`CONDITIONAL`) on `dataset`.

    On mnist_subset they train 6000 generator steps (20 epochs of 300), not the
    unconditional preset's 4500: measured on TensorFlow (seed 0, Zen 4 EPYC, mixed
    bfloat16), cgan's worst class rose from 88.0% to 91.8% and acgan's CAS from 84.4% to
    87.0% between the two lengths, in 207 s and 219 s of training, within the default's
    10-minute budget.
    """
    variant, conditioning = CONDITIONAL[name]
    config = zoo_config(variant, dataset)
    config.networks.conditioning = conditioning
    if dataset == "mnist_subset":
        config.train.epochs = 20
    return config


# Brock et al. 2019 (BigGAN), sec. 3 and 4: the hinge loss with spectral norm in G and D;
# Adam (beta_1 0, beta_2 0.999) at SAGAN's rates halved, G 5e-5 and D 2e-4, with 2 D steps
# per G step; orthogonal regularization (beta 1e-4); a moving average of G's weights
# (0.9999) for samples and evaluation; 20 dimensions of z per chunk (120 at 128 px, 140
# at 256) and a 128-d shared class embedding; ch = 96 at 128 px.
BIGGAN = {"optimizers": ({"learning_rate": 5e-5}, {"learning_rate": 2e-4}), "betas": (0.0, 0.999),
          "d_steps": 2, "orthogonal": 1e-4, "ema_decay": 0.9999, "latent_per_chunk": 20}
# What each data set changes. CIFAR-10: the authors' CIFAR script's batch of 50, 4 D steps
# and 2e-4 for both, at ch = 64 (256 channels a block, SN-GAN's width). The embedded
# digits: padded to 32 px (the paper's CIFAR network), ch = 16, which keeps a run to CPU
# minutes, and EMA 0.999 for its 6000 steps; the class-conditional digits at the CIFAR
# script's rates, under which they learn their classes many times faster (docs/CONFIGS.md).
CIFAR_SCRIPT_RATES = {"d_steps": 4, "optimizers": ({"learning_rate": 2e-4}, {"learning_rate": 2e-4})}
# A folder: 128 px at the paper's ch = 96, unconditional (class folders: set
# networks.conditioning=projection).
BIGGAN_DATASETS = {
    "mnist_subset": {"conditioning": "projection", "base_filters": 16, "ema_decay": 0.999, "image_size": 32,
                     **CIFAR_SCRIPT_RATES, "train": {"batch_size": 64, "epochs": 20, "steps_per_epoch": 300}},
    "stacked_mnist": {"conditioning": "", "base_filters": 16, "ema_decay": 0.999, "image_size": 32,
                      "train": {"batch_size": 64, "epochs": 20, "steps_per_epoch": 300}},
    "cifar10": {"conditioning": "projection", "base_filters": 64, **CIFAR_SCRIPT_RATES,
                "train": {"batch_size": 50, "epochs": 500, "steps_per_epoch": 250}},
    "folder": {"conditioning": "", "base_filters": 96, "image_size": 128,
               "train": {"batch_size": 64, "epochs": 100, "steps_per_epoch": 1000}},
}
NATIVE_SIZES = {"mnist_subset": 28, "stacked_mnist": 28, "cifar10": 32}  # of the sets not resized


def biggan_config(dataset: str):
    """BigGAN (`BIGGAN`, networks.kind="biggan") on `dataset`, with its `BIGGAN_DATASETS`
    changes, over the hinge variant and the data set's preset."""
    settings = {**BIGGAN, **BIGGAN_DATASETS[dataset]}
    config = zoo_config("hinge", dataset)
    config.image_size = settings.get("image_size", config.image_size)
    config.networks.update({"kind": "biggan", "base_filters": settings["base_filters"], "spectral_norm": True,
                            "conditioning": settings["conditioning"]})
    size = config.image_size or NATIVE_SIZES[dataset]
    config.model.latent_dim = settings["latent_per_chunk"] * (upsamplings((size, size))[0] + 1)
    config.model.d_steps = settings["d_steps"]
    for optimizer, rate in zip((config.g_optimizer, config.d_optimizer), settings["optimizers"], strict=True):
        optimizer.update({"name": "adam", **rate})
        optimizer.beta_1, optimizer.beta_2 = settings["betas"]
    config.generator_penalties.orthogonal = settings["orthogonal"]
    config.train.ema_decay = settings["ema_decay"]
    config.train.update(settings["train"])
    return config


# Karras et al. 2020 (StyleGAN2), config F: the non-saturating loss; Adam(2e-3, 0, 0.99) for
# both networks; R1 taken lazily every 16th D update; path length regularization (weight 2)
# every 4th G step; style mixing (0.9); a moving average of G for samples, over 10k images
# (0.5 ** (batch / 10_000) a step); z and w of 512. R1's gamma depends on the data set (10
# on FFHQ at 1024 px); the presets take StyleGAN2-ADA's heuristic 0.0002 res^2 / batch.
STYLEGAN2 = {"learning_rate": 2e-3, "betas": (0.0, 0.99), "r1_interval": 16, "path_length": 2.0,
             "path_length_interval": 4, "ema_images": 10_000, "latent_dim": 512, "base_filters": 512,
             "batch_size": 32}
# What each data set changes: Stacked MNIST padded to 32 px (the field's; from the paper's
# 4 x 4 constant) at 64 channels and z of 128, for CPU-sized runs; a folder at 64 or 256 px.
STYLEGAN2_DATASETS = {
    "stacked_mnist": {"base_filters": 64, "latent_dim": 128, "image_size": 32,
                      "train": {"epochs": 20, "steps_per_epoch": 300}},
    "cifar10": {"train": {"epochs": 500, "steps_per_epoch": 1000}},
    "folder": {"image_size": 256, "train": {"epochs": 100, "steps_per_epoch": 1000}},
    "folder64": {"image_size": 64, "train": {"epochs": 100, "steps_per_epoch": 1000}},
}


def stylegan2_config(dataset: str):
    """StyleGAN2 (`STYLEGAN2`, networks.kind="stylegan2") on `dataset`, with its
    `STYLEGAN2_DATASETS` changes, over the GAN's non-saturating loss and the data set's
    preset ("folder64": a folder at 64 px)."""
    settings = {**STYLEGAN2, **STYLEGAN2_DATASETS[dataset]}
    config = zoo_config("gan", "folder" if dataset.startswith("folder") else dataset)
    config.image_size = settings.get("image_size", config.image_size)
    config.model.latent_dim = settings["latent_dim"]
    config.networks.update({"kind": "stylegan2", "base_filters": settings["base_filters"]})
    for optimizer in (config.g_optimizer, config.d_optimizer):
        optimizer.update({"name": "adam", "learning_rate": settings["learning_rate"]})
        optimizer.beta_1, optimizer.beta_2 = settings["betas"]
    batch = settings["batch_size"]
    size = config.image_size or NATIVE_SIZES[dataset]
    config.penalties.r1 = round(0.0002 * size ** 2 / batch, 6)
    config.generator_penalties.path_length = settings["path_length"]
    config.train.update({"batch_size": batch, "penalty_interval": settings["r1_interval"],
                         "generator_penalty_interval": settings["path_length_interval"],
                         "ema_decay": round(0.5 ** (batch / settings["ema_images"]), 6), **settings["train"]})
    return config


def with_aids(config, arg: str, name: str, *, r1: float = 1.0, ema_decay: float = 0.99,
              learning_rate: float | None = None, betas: tuple[float, float] | None = None,
              penalty_interval: int = 1, epochs: int | None = None):
    """`config` with Mescheder et al. 2018's R1 penalty (gamma `r1`) and a moving average
    of G's weights (`ema_decay`), the aids measured to help its variant on mnist_subset,
    and where given a `learning_rate` and Adam `betas` (beta_1, beta_2) for both optimizers
    that the two make stable (as StyleGAN2's 2e-3 and (0, 0.99) with the same pair), R1
    taken lazily (`penalty_interval`) and the length (`epochs`) its cheaper step affords;
    the config argument `:paper` (`arg == "paper"`) gives the paper's variant alone."""
    if arg not in ("", "paper"):
        raise ValueError(f"{name} takes no config argument or ':paper', got {arg!r}.")
    if arg == "":
        config.penalties.r1 = r1
        config.train.ema_decay = ema_decay
        config.train.penalty_interval = penalty_interval
        config.train.epochs = epochs or config.train.epochs
        for optimizer in (config.g_optimizer, config.d_optimizer):
            if learning_rate is not None:
                optimizer.learning_rate = learning_rate
            if betas is not None:
                optimizer.beta_1, optimizer.beta_2 = betas
    return config


def zoo_config(variant: str, dataset: str, **model_overrides):
    """The config of `variant` on `dataset`: paper settings, the data set's preset and,
    on the toy mixtures, `TOY_OVERRIDES`."""
    paper, preset = PAPER_SETTINGS[variant], DATASET_PRESETS[dataset]
    toy = TOY_OVERRIDES.get(variant, {}) if dataset in TOYS else {}
    architecture = paper.get("architectures", {}).get(dataset, {})
    config = default_config()
    config.dataset = preset.get("tfds", dataset)
    config.image_size = preset.get("image_size", 0)
    config.center_crop = preset.get("center_crop", 0)
    config.split = preset.get("split", "train")
    config.model = model_config(variant, latent_dim=architecture.get("latent_dim", preset["latent_dim"]),
                                **{**toy.get("model", {}), **model_overrides})
    for optimizer in (config.g_optimizer, config.d_optimizer):
        optimizer.update(paper["optimizer"])
        if "learning_rate" in preset:
            optimizer.learning_rate = preset["learning_rate"]
        optimizer.update(toy.get("optimizer", {}))
    config.networks.update(preset["networks"])
    config.networks.update(paper.get("networks", {}))
    config.networks.update(toy.get("networks", {}))
    config.networks.update(architecture.get("networks", {}))
    config.train.update(preset["train"])
    config.eval.update(preset.get("eval", {}))
    config.labels_per_class = paper.get("labels_per_class", 0)
    return config
