"""The metrics of `distances` and `modes` as streaming `keras.metrics.Metric`s.

Each accumulates sufficient statistics batch by batch, in float64 variables with "sum"
aggregation, so that under a tf.distribute strategy the replicas' updates add up and
`result()` equals the single-device value over the same samples. The results match
the pure functions: FID exactly; the Inception Score with one split; KID as the
unbiased MMD^2 over all samples (the functions average it over random subsets, which
has the same expectation).
"""

import keras
import numpy as np
import tensorflow as tf

from gan_zoo.data import toy_spec


class _SumMetric(keras.metrics.Metric):
    """A metric whose state is float64 sums, reset to zero."""

    def _sum(self, name: str, shape=()):
        return self.add_variable(shape=shape, initializer="zeros", dtype="float64", aggregation="sum",
                                 name=name)

    def reset_state(self):
        for variable in self.variables:
            variable.assign(tf.zeros_like(variable))


def _as64(x):
    return tf.cast(tf.convert_to_tensor(x), tf.float64)


def _sqrt_psd(matrix):
    values, vectors = tf.linalg.eigh(matrix)
    return (vectors * tf.sqrt(tf.maximum(values, 0.0))[None, :]) @ tf.transpose(vectors)


class FrechetDistance(_SumMetric):
    """Streaming FID: counts, feature sums and outer-product sums of both sets.

    `update_state(real_features, fake_features)`; either may be None. The result is
    `distances.fid` over everything seen (unbiased covariances, symmetric PSD root).
    """

    def __init__(self, feature_dim: int, name: str = "fid", **kwargs):
        super().__init__(name=name, **kwargs)
        self.feature_dim = int(feature_dim)
        self.stats = {
            side: (self._sum(f"{side}_count"), self._sum(f"{side}_sum", (self.feature_dim,)),
                   self._sum(f"{side}_outer", (self.feature_dim, self.feature_dim)))
            for side in ("real", "fake")}

    def update_state(self, real_features=None, fake_features=None, sample_weight=None):
        for side, features in (("real", real_features), ("fake", fake_features)):
            if features is None:
                continue
            features = _as64(features)
            count, total, outer = self.stats[side]
            count.assign_add(tf.cast(tf.shape(features)[0], tf.float64))
            total.assign_add(tf.reduce_sum(features, axis=0))
            outer.assign_add(tf.transpose(features) @ features)

    def _moments(self, side):
        count, total, outer = (v.value for v in self.stats[side])
        mean = total / count
        covariance = (outer - count * mean[:, None] * mean[None, :]) / (count - 1.0)
        return mean, covariance

    def result(self):
        (mu1, s1), (mu2, s2) = self._moments("real"), self._moments("fake")
        root = _sqrt_psd(s1)
        inner = tf.linalg.eigvalsh(root @ s2 @ root)
        trace_covmean = tf.reduce_sum(tf.sqrt(tf.maximum(inner, 0.0)))
        diff = mu1 - mu2
        return tf.reduce_sum(diff * diff) + tf.linalg.trace(s1) + tf.linalg.trace(s2) - 2.0 * trace_covmean

    def get_config(self):
        return {**super().get_config(), "feature_dim": self.feature_dim}


class KernelDistance(_SumMetric):
    """Streaming KID: the unbiased MMD^2 with k(x, y) = (x.y / d + 1)^3 over all samples.

    The cubic kernel is an inner product of third tensor powers: with a = [x / sqrt(d), 1],
    k(x, y) = <a(x)^(x3), a(y)^(x3)>, so every kernel sum follows from the sums of those
    tensors, (d + 1)^3 numbers per set. Meant for compact features (the project's
    classifier, d = 128); d is capped at 160 (~4 M numbers per set).
    """

    MAX_DIM = 160

    def __init__(self, feature_dim: int, name: str = "kid", **kwargs):
        super().__init__(name=name, **kwargs)
        self.feature_dim = int(feature_dim)
        if self.feature_dim > self.MAX_DIM:
            raise ValueError(f"KernelDistance keeps (d + 1)^3 sums; d = {feature_dim} is too large "
                             f"(at most {self.MAX_DIM}). Use metrics.kid on stored features instead.")
        size = (self.feature_dim + 1) ** 3
        self.stats = {side: (self._sum(f"{side}_count"), self._sum(f"{side}_diagonal"),
                             self._sum(f"{side}_tensor_sum", (size,))) for side in ("real", "fake")}

    def _lifted(self, features):
        features = _as64(features)
        a = tf.concat([features / np.sqrt(self.feature_dim), tf.ones_like(features[:, :1])], axis=1)
        return a

    def update_state(self, real_features=None, fake_features=None, sample_weight=None):
        for side, features in (("real", real_features), ("fake", fake_features)):
            if features is None:
                continue
            a = self._lifted(features)
            count, diagonal, tensor_sum = self.stats[side]
            count.assign_add(tf.cast(tf.shape(a)[0], tf.float64))
            diagonal.assign_add(tf.reduce_sum(tf.reduce_sum(a * a, axis=1) ** 3))
            tensor_sum.assign_add(tf.reshape(tf.einsum("ni,nj,nk->ijk", a, a, a), [-1]))

    def result(self):
        (m, diag_x, sx), (n, diag_y, sy) = ((v.value for v in self.stats[s]) for s in ("real", "fake"))
        k_xx = (tf.reduce_sum(sx * sx) - diag_x) / (m * (m - 1.0))
        k_yy = (tf.reduce_sum(sy * sy) - diag_y) / (n * (n - 1.0))
        return k_xx + k_yy - 2.0 * tf.reduce_sum(sx * sy) / (m * n)

    def get_config(self):
        return {**super().get_config(), "feature_dim": self.feature_dim}


class InceptionScore(_SumMetric):
    """Streaming Inception Score with one split: exp(E_x sum_y p log p - sum_y p_bar log p_bar),
    from the count, the summed class probabilities and the summed p log p."""

    def __init__(self, num_classes: int, name: str = "inception_score", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = int(num_classes)
        self.count, self.negentropy = self._sum("count"), self._sum("p_log_p")
        self.marginal_sum = self._sum("p_sum", (self.num_classes,))

    def update_state(self, probs, sample_weight=None):
        probs = _as64(probs)
        self.count.assign_add(tf.cast(tf.shape(probs)[0], tf.float64))
        self.negentropy.assign_add(tf.reduce_sum(probs * tf.math.log(probs + 1e-12)))
        self.marginal_sum.assign_add(tf.reduce_sum(probs, axis=0))

    def result(self):
        marginal = self.marginal_sum / self.count
        return tf.exp(self.negentropy / self.count - tf.reduce_sum(marginal * tf.math.log(marginal + 1e-12)))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


class ModeCoverage(_SumMetric):
    """Streaming `modes.mode_metrics`: per-mode counts of high-quality samples.

    `result()` is {"modes", "high_quality", "reverse_kl"} over all samples seen.
    """

    def __init__(self, dataset: str, num_std: float = 3.0, name: str = "mode_coverage", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dataset, self.num_std = dataset, float(num_std)
        spec = toy_spec(dataset)
        self.modes = tf.constant(spec.modes, tf.float64)
        self.radius = self.num_std * spec.std
        self.count = self._sum("count")
        self.mode_counts = self._sum("mode_counts", (len(spec.modes),))

    def update_state(self, samples, sample_weight=None):
        samples = tf.reshape(_as64(samples), [tf.shape(samples)[0], -1])
        distances = tf.norm(samples[:, None, :] - self.modes[None], axis=-1)
        nearest = tf.argmin(distances, axis=1)
        good = tf.reduce_min(distances, axis=1) <= self.radius
        self.count.assign_add(tf.cast(tf.shape(samples)[0], tf.float64))
        self.mode_counts.assign_add(tf.reduce_sum(
            tf.one_hot(nearest, self.modes.shape[0], dtype=tf.float64) * tf.cast(good, tf.float64)[:, None],
            axis=0))

    def result(self):
        counts = self.mode_counts.value
        good = tf.reduce_sum(counts)
        q = counts / tf.maximum(good, 1.0)
        kl = tf.reduce_sum(tf.where(q > 0, q * tf.math.log(tf.maximum(q, 1e-300) * self.modes.shape[0]), 0.0))
        return {"modes": tf.reduce_sum(tf.cast(counts > 0, tf.float64)),
                "high_quality": good / self.count,
                "reverse_kl": tf.where(good > 0, kl, tf.constant(np.inf, tf.float64))}

    def get_config(self):
        return {**super().get_config(), "dataset": self.dataset, "num_std": self.num_std}
