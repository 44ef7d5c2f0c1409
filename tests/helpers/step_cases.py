"""The cases the one-step distribution helpers (mirrored_step.py, data_parallel_step.py)
share: a variant name, optionally "variant+option", and the constructor arguments each
gets beyond the networks."""

from gan_zoo import models

# The variants' usual extras: a second critic step, the adversarial loss beside feature
# matching, EBGAN's margin and pulling-away term (all batch-coupled or looped).
EXTRAS = {models.WGANGP: {"d_steps": 2}, models.ImprovedGAN: {"adversarial_weight": 1.0},
          models.EBGAN: {"margin": 1.0, "pt_weight": 1.0}}
# "variant+option": these arguments instead of the extras. An option not listed here
# changes the networks only (spectral_norm; mirrored_step.py's layer_norm_critic).
OPTIONS = {"lazy_r1": {"penalties": {"r1": 1.0}, "penalty_interval": 2},  # R1 in its own update
           "reference_schedule": {"reference_schedule": True, "d_steps": 2}}  # 100 critic updates


def parse(variant: str):
    """(the variant's class, its option or "", its constructor arguments)."""
    name, _, option = variant.partition("+")
    cls = models.VARIANTS[name]
    return cls, option, OPTIONS.get(option, EXTRAS.get(cls, {}))
