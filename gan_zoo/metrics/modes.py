"""Mode coverage on Gaussian mixtures: the VEEGAN / PacGAN protocol.

Srivastava et al. 2017 (VEEGAN), Lin et al. 2018 (PacGAN): a sample is high quality
when it lies within 3 standard deviations of its nearest mode; a mode is covered when it
is the nearest mode of at least one high-quality sample; 2500 samples are drawn; the
reverse KL compares the generated mode histogram (high-quality samples) to the
uniform mode weights.
"""

import numpy as np

from gan_zoo.data import toy_spec

NUM_SAMPLES = 2500


def mode_metrics(samples: np.ndarray, dataset: str, num_std: float = 3.0) -> dict:
    """{"modes": covered, "num_modes", "high_quality": share in [0, 1], "reverse_kl"}.

    reverse_kl = sum_k q_k log(q_k / p_k) with q the share of high-quality samples whose
    nearest mode is k and p = 1/K; 0 when every mode gets the same share. With no
    high-quality sample it is reported as infinity.
    """
    spec = toy_spec(dataset)
    samples = np.asarray(samples, np.float64).reshape(len(samples), -1)
    distances = np.linalg.norm(samples[:, None, :] - spec.modes[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= num_std * spec.std
    counts = np.bincount(nearest[good], minlength=len(spec.modes))
    if counts.sum():
        q = counts / counts.sum()
        present = q > 0
        reverse_kl = float(np.sum(q[present] * np.log(q[present] * len(spec.modes))))
    else:
        reverse_kl = float("inf")
    return {"modes": int((counts > 0).sum()), "num_modes": len(spec.modes),
            "high_quality": float(good.mean()), "reverse_kl": reverse_kl}


def stacked_mnist_modes(samples: np.ndarray, classifier) -> dict:
    """Stacked MNIST coverage (Metz et al. 2017; PacGAN's protocol uses 26,000 samples):
    each channel of each sample [n, 28, 28, 3] is read by an MNIST classifier, the
    triple of digits is its mode. Returns {"modes": distinct triples found, "num_modes":
    1000, "reverse_kl": KL(generated triple histogram || uniform over 1000)}."""
    samples = np.asarray(samples, np.float32)
    if samples.ndim != 4 or samples.shape[-1] != 3:
        raise ValueError(f"Stacked MNIST samples are [n, H, W, 3], got shape {samples.shape}.")
    channels = np.moveaxis(samples, -1, 1).reshape(-1, *samples.shape[1:3], 1)
    digits = np.argmax(classifier.predict(channels, batch_size=1000, verbose=0), axis=-1).reshape(-1, 3)
    counts = np.bincount(digits @ np.array([100, 10, 1]), minlength=1000)
    q = counts / counts.sum()
    present = q > 0
    return {"modes": int(present.sum()), "num_modes": 1000,
            "reverse_kl": float(np.sum(q[present] * np.log(q[present] * 1000)))}
