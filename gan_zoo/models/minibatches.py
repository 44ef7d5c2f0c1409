"""The minibatches of one train step: k discriminator minibatches per generator step,
grouped for `fit` (`BaseGAN.fit`) and split again inside the step (`split_batch`)."""

import keras
import numpy as np


def split_batch(data):
    """(images, labels-or-None) from a batch of images or (images, labels[, weights])."""
    if isinstance(data, (tuple, list)):
        return data[0], (data[1] if len(data) > 1 else None)
    return data, None


def group_minibatches(x, y, batch_size, k: int):
    """(x, y, batch_size) for `Model.fit` with k minibatches per train step.

    Arrays: batches of k * batch_size shuffled rows (k random disjoint minibatches). A
    tf.data dataset or a `keras.utils.PyDataset` of minibatches: k consecutive ones,
    interleaved, so that row j * k + i is row j of minibatch i and the strided split
    x[i::k] gives minibatch i back.
    """
    if isinstance(x, keras.utils.PyDataset):
        return GroupedBatches(x, k), None, None
    if type(x).__module__.startswith("tensorflow") and hasattr(x, "batch") and hasattr(x, "map"):
        import tensorflow as tf

        def interleave_tf(t):  # [k, m, ...] -> [m * k, ...], row j * k + i = t[i, j]
            rows = tf.transpose(t, [1, 0, *range(2, t.shape.rank)])
            return tf.reshape(rows, tf.concat([[-1], tf.shape(t)[2:]], axis=0))

        grouped = x.batch(k, drop_remainder=True).map(
            lambda *parts: _map_structure(interleave_tf, parts))
        return grouped, None, None
    if hasattr(x, "__next__"):
        raise ValueError("With d_steps > 1, fit a GAN on arrays, a tf.data dataset or a "
                         "keras.utils.PyDataset: a Python generator's batches cannot be grouped.")
    return x, y, (batch_size or 32) * k


def _map_structure(fn, parts):
    parts = tuple(fn(p) if not isinstance(p, (tuple, list)) else tuple(fn(q) for q in p) for p in parts)
    return parts if len(parts) > 1 else parts[0]


class GroupedBatches(keras.utils.PyDataset):
    """k consecutive batches of a PyDataset as one interleaved batch."""

    def __init__(self, batches: keras.utils.PyDataset, k: int):
        super().__init__()
        self.batches, self.k = batches, k

    @property
    def num_batches(self):
        count = self.batches.num_batches
        return None if count is None else count // self.k

    def __len__(self):
        return self.num_batches

    def __getitem__(self, index):
        parts = [self.batches[index * self.k + i] for i in range(self.k)]
        if isinstance(parts[0], tuple):
            return tuple(interleave([p[j] for p in parts]) for j in range(len(parts[0])))
        return interleave(parts)


def interleave(batches):
    stacked = np.stack([np.asarray(b) for b in batches], axis=1)
    return stacked.reshape(-1, *stacked.shape[2:])
