"""What a generator is given to sample: z ~ N(0, I) drawn by numpy (the same samples for
the same seed on every backend), the labels of a conditional generator, the truncation
trick. `BaseGAN.generate` and the tools (a loaded generator.keras) draw through it."""


import numpy as np
from scipy import special

from gan_zoo.values import is_number


def noise_and_labels(n: int, latent_dim: int, num_classes: int, seed, labels=None, truncation: float = 0.0):
    """(z, labels) that `generate` feeds G for a seed: z ~ N(0, I) drawn by numpy first,
    then the labels (`sample_labels`), so that a GAN and its exported generator make the
    same samples for the same seed on every backend.

    `truncation` > 0 is the truncation trick (Brock et al. 2019, BigGAN, sec. 3.1): every
    component of z beyond +-truncation is drawn again from the normal restricted to
    [-truncation, truncation] (by its inverse CDF: what redrawing until it falls inside
    gives, in one draw), which trades variety (recall) for fidelity (precision). The
    redraws come after the labels, so the labels and the components already inside are
    those of the untruncated draw.
    """
    if not is_number(truncation) or not truncation >= 0:
        raise ValueError(f"truncation must be a number >= 0 (0 = off), got {truncation!r}.")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, latent_dim)).astype(np.float32)
    labels = sample_labels(num_classes, n, rng, labels)
    if truncation:
        outside = np.abs(z) > truncation
        inside_mass = rng.uniform(special.ndtr(-truncation), special.ndtr(truncation), int(outside.sum()))
        z[outside] = np.clip(special.ndtri(inside_mass), -truncation, truncation)
    return z, labels


def sample_labels(num_classes: int, n: int, rng: np.random.Generator, labels=None) -> np.ndarray | None:
    """The int32 labels of n conditional samples: `labels` checked, or classes drawn
    uniformly with `rng` when None; None for an unconditional generator (which refuses
    labels)."""
    if not num_classes:
        if labels is not None:
            raise ValueError("This generator is unconditional: it takes no labels (drop `labels`).")
        return None
    if labels is None:
        return rng.integers(num_classes, size=n).astype(np.int32)
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {n} integers (one per sample), got an array of shape "
                         f"{labels.shape} and dtype {labels.dtype}.")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), got values from {labels.min()} to "
                         f"{labels.max()}.")
    return labels.astype(np.int32)
