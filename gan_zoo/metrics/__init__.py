"""Metrics of what a GAN learned."""

from gan_zoo.metrics.modes import NUM_SAMPLES, mode_metrics

__all__ = ["NUM_SAMPLES", "mode_metrics"]
