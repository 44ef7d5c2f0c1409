"""Metrics of what a GAN learned."""

from gan_zoo.metrics.distances import fid, frechet_distance, gaussian_statistics, inception_score, kid
from gan_zoo.metrics.modes import NUM_SAMPLES, mode_metrics

__all__ = ["NUM_SAMPLES", "fid", "frechet_distance", "gaussian_statistics", "inception_score", "kid",
           "mode_metrics"]
