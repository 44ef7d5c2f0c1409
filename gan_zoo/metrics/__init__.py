"""Metrics of what a GAN learned.

The streaming Keras metrics (`FrechetDistance`, `KernelDistance`, `InceptionScore`,
`ModeCoverage`) accumulate float64 sums in TensorFlow ops: they are loaded on first use
and need TensorFlow. The pure functions and extractors run on any backend.
"""

from gan_zoo.metrics import inception
from gan_zoo.metrics.conditional import (
    balanced_labels,
    classification_accuracy_score,
    conditional_accuracy,
    intra_class_fid,
)
from gan_zoo.metrics.distances import fid, frechet_distance, gaussian_statistics, inception_score, kid
from gan_zoo.metrics.evaluate import image_metrics
from gan_zoo.metrics.features import (
    InceptionUnavailable,
    cache_dir,
    classifier_extractor,
    fit_classifier,
    inception_extractor,
    train_classifier,
)
from gan_zoo.metrics.manifolds import density_coverage, manifold_metrics, precision_recall
from gan_zoo.metrics.modes import NUM_SAMPLES, mode_metrics, stacked_mnist_modes

STREAMING = ("FrechetDistance", "InceptionScore", "KernelDistance", "ModeCoverage")


def __getattr__(name):
    if name in STREAMING:
        from gan_zoo.metrics import streaming

        return getattr(streaming, name)
    raise AttributeError(f"module 'gan_zoo.metrics' has no attribute {name!r}")


__all__ = ["NUM_SAMPLES", "FrechetDistance", "InceptionScore", "InceptionUnavailable", "KernelDistance",
           "ModeCoverage", "balanced_labels", "cache_dir", "classification_accuracy_score",
           "classifier_extractor", "conditional_accuracy", "density_coverage", "fid", "fit_classifier",
           "frechet_distance", "gaussian_statistics", "image_metrics", "inception", "inception_extractor",
           "inception_score", "intra_class_fid", "kid", "manifold_metrics", "mode_metrics",
           "precision_recall",
           "stacked_mnist_modes", "train_classifier"]
