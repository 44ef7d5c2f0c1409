"""The figures that the results tables show, and how a row of them reads: shared by
benchmarks/results.py and benchmarks/ablate_spectral_norm.py (no flags, so both can import it, and
tests too)."""

import numpy as np


def mode_columns(num_modes: int) -> list[tuple[str, str, str]]:
    """The toy mixtures' columns: VEEGAN / PacGAN's mode counts, with precision / recall."""
    return [("modes", "modes.modes", f"{{:.1f}}/{num_modes}"),
            ("high quality", "modes.high_quality", "{:.1%}"), ("reverse KL", "modes.reverse_kl", "{:.3f}"),
            ("precision", "modes.precision", "{:.2f}"), ("recall", "modes.recall", "{:.2f}")]


# (figure label, path in metrics.json, format) per data set.
COLUMNS = {
    "mnist_subset": [("classifier FID", "eval.classifier_fid", "{:.1f}"),
                     # The same run's live generator, where the config averages G (EMA).
                     ("FID without EMA", "without_ema.eval.classifier_fid", "{:.1f}"),
                     ("classifier KID", "eval.classifier_kid", "{:.1f}"),
                     ("classifier score", "eval.classifier_score", "{:.2f}"),
                     ("precision", "eval.classifier_precision", "{:.2f}"),
                     ("recall", "eval.classifier_recall", "{:.2f}"),
                     ("test error (10 labels/class)", "eval.test_error", "{:.1%}"),
                     ("labels-only test error", "eval.labels_only_test_error", "{:.1%}")],
    "ring8": mode_columns(8),
    "grid25": mode_columns(25),
    "stacked_mnist": [("modes", "eval.stacked_mnist.modes", "{:.0f}/1000"),
                      ("KL to uniform", "eval.stacked_mnist.reverse_kl", "{:.2f}")],
}
CONDITIONAL_COLUMNS = [
    ("conditional accuracy", "eval.conditional_accuracy", "{:.1%}"),
    ("worst class", "eval.conditional_min_class_accuracy", "{:.1%}"),
    ("intra-class FID", "eval.classifier_intra_fid", "{:.1f}"),
    ("CAS", "eval.cas", "{:.1%}"),
    ("CAS of real data", "eval.cas_of_real_training_data", "{:.1%}"),
    ("classifier FID", "eval.classifier_fid", "{:.1f}"),
    ("precision", "eval.classifier_precision", "{:.2f}"),
    ("recall", "eval.classifier_recall", "{:.2f}")]
COLUMNS["mnist_subset_conditional"] = CONDITIONAL_COLUMNS


def lookup(metrics: dict, path: str):
    value = metrics
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def summarize(runs: list[dict], columns) -> tuple[dict, dict]:
    """({label: mean over the runs}, {label: their standard deviation, given several}) of
    every column all the runs' metrics have."""
    figures, spread = {}, {}
    for label, path, _ in columns:
        values = [lookup(r, path) for r in runs]
        if all(v is not None for v in values):
            figures[label] = float(np.mean(values))
            if len(values) > 1:
                spread[label] = float(np.std(values, ddof=1))
    return figures, spread


def cell(row: dict, label: str, fmt: str) -> str:
    """A figure as its mean over the seeds, with their standard deviation where there
    were several ("24.7/25 ± 0.6", "95.1% ± 0.4%")."""
    if label not in row["figures"]:
        return ""
    text = fmt.format(row["figures"][label])
    if label in row.get("spread", {}):
        text += " ± " + fmt.format(row["spread"][label]).split("/")[0]
    return text
