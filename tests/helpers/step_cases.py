"""The cases the one-step distribution helpers (mirrored_step.py, data_parallel_step.py)
share: a variant name, optionally "variant+option", and the constructor arguments each
gets beyond the networks."""

from gan_zoo import models

# The variants' usual extras: a second critic step, the adversarial loss beside feature
# matching, EBGAN's margin and pulling-away term (all batch-coupled or looped).
EXTRAS = {models.WGANGP: {"d_steps": 2}, models.ImprovedGAN: {"adversarial_weight": 1.0},
          models.EBGAN: {"margin": 1.0, "pt_weight": 1.0}}
# "variant+option": these arguments instead of the extras,
OPTIONS = {"lazy_r1": {"penalties": {"r1": 1.0}, "penalty_interval": 2},  # R1 in its own update
           "reference_schedule": {"reference_schedule": True, "d_steps": 2},  # 100 critic updates
           # the rates assigned inside the step (in replica context under tf.distribute)
           "linear_decay": {"lr_decay_steps": 2, "d_steps": 2}}
# or other networks with the extras (mirrored_step.py alone builds the layer-norm critic;
# data_parallel_step.py alone BigGAN's and StyleGAN2's, with their generator penalties).
NETWORK_OPTIONS = ("spectral_norm", "layer_norm_critic", "biggan", "stylegan2")


def parse(variant: str):
    """(the variant's class, its option or "", its constructor arguments)."""
    name, _, option = variant.partition("+")
    cls = models.VARIANTS[name]
    if option and option not in OPTIONS and option not in NETWORK_OPTIONS:  # a typo would test nothing new
        raise ValueError(f"Unknown option {option!r} in {variant!r}; known: {[*OPTIONS, *NETWORK_OPTIONS]}.")
    return cls, option, OPTIONS.get(option, EXTRAS.get(cls, {}))
