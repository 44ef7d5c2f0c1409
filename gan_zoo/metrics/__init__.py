"""Metrics of what a GAN learned."""

from gan_zoo.metrics.distances import fid, frechet_distance, gaussian_statistics, inception_score, kid
from gan_zoo.metrics.evaluate import image_metrics
from gan_zoo.metrics.features import (
    InceptionUnavailable,
    classifier_extractor,
    inception_extractor,
    train_classifier,
)
from gan_zoo.metrics.modes import NUM_SAMPLES, mode_metrics, stacked_mnist_modes
from gan_zoo.metrics.streaming import FrechetDistance, InceptionScore, KernelDistance, ModeCoverage

__all__ = ["NUM_SAMPLES", "FrechetDistance", "InceptionScore", "InceptionUnavailable", "KernelDistance",
           "ModeCoverage", "classifier_extractor", "fid", "frechet_distance",
           "gaussian_statistics", "image_metrics", "inception_extractor", "inception_score", "kid",
           "mode_metrics", "stacked_mnist_modes", "train_classifier"]
