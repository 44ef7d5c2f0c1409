"""Evaluate a generator against its data set with a feature extractor."""

import numpy as np

from gan_zoo.metrics.distances import fid, inception_score, kid
from gan_zoo.metrics.manifolds import manifold_metrics


def image_metrics(samples: np.ndarray, real: np.ndarray, extractor, prefix: str,
                  real_features: np.ndarray | None = None) -> dict:
    """FID, KID (mean, std), the score, and precision / recall / density / coverage
    (k = 3) of `samples` against `real` images (or their `real_features`, computed once).

    `prefix` names the extractor ("classifier" or "inception"): e.g. classifier_fid.
    """
    if real_features is None:
        real_features, _ = extractor(real)
    fake_features, fake_probs = extractor(samples)
    kid_mean, kid_std = kid(real_features, fake_features, num_subsets=50,
                            subset_size=min(1000, len(real_features), len(samples)))
    score, score_std = inception_score(fake_probs, splits=10)
    manifolds = manifold_metrics(real_features, fake_features)
    return {f"{prefix}_fid": fid(real_features, fake_features), f"{prefix}_kid": kid_mean,
            f"{prefix}_kid_std": kid_std, f"{prefix}_score": score, f"{prefix}_score_std": score_std,
            **{f"{prefix}_{name}": value for name, value in manifolds.items()},
            "num_samples": len(samples), "num_real": len(real_features)}
