"""Input pipelines: embedded image sets, toy distributions and tfds data sets.

`load(name, batch_size, ...)` returns `(dataset, info)`: a repeated, shuffled (seeded),
batched and prefetched `tf.data.Dataset` of images in [-1, 1] (or toy coordinates),
optionally with labels, and a `DataInfo` describing it.
"""

from gan_zoo.data.pipeline import (
    EMBEDDED,
    STACKED,
    TOYS,
    DataError,
    DataInfo,
    DataNotPrepared,
    from_arrays,
    load,
    load_arrays,
    padded,
    tfds_info,
    toy_spec,
    unpadded,
)

__all__ = ["EMBEDDED", "STACKED", "TOYS", "DataError", "DataInfo", "DataNotPrepared", "from_arrays", "load",
           "load_arrays", "padded", "tfds_info", "toy_spec", "unpadded"]
