"""A folder of the user's images as a data set (`folder:PATH`): labels from class
sub-folders, the field's crop and resize, the decode cache, and every bad input."""

import json
import os
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import REPO, run_script
from gan_zoo import data, train
from gan_zoo.data import folders

pytestmark = pytest.mark.backends("jax", "torch")


def write_image(path, size=(40, 30), color=(200, 40, 40), mode="RGB", kind=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = np.random.default_rng(abs(hash(path)) % 2**32)
    pixels = rng.integers(0, 255, (size[1], size[0], len(mode)), np.uint8)
    pixels[..., : min(3, len(mode))] = np.array(color[: len(mode)], np.uint8)[: min(3, len(mode))]
    Image.fromarray(pixels.squeeze(-1) if len(mode) == 1 else pixels, mode).save(path, kind)


def class_folder(root, per_class=4, classes=("cats", "dogs"), size=(40, 30)):
    colors = {"cats": (250, 0, 0), "dogs": (0, 0, 250), "owls": (0, 250, 0)}
    kinds = [("png", "PNG"), ("jpg", "JPEG"), ("webp", "WEBP"), ("bmp", "BMP")]
    for name in classes:
        for i in range(per_class):
            suffix, kind = kinds[i % len(kinds)]
            write_image(os.path.join(root, name, f"{i}.{suffix}"), size, colors[name], kind=kind)
    return str(root)


def test_class_sub_folders_give_labels_and_images_come_cropped_resized_and_scaled(tmp_path):
    root = class_folder(tmp_path / "pets")
    write_image(os.path.join(root, "dogs", "deeper", "5.png"), color=(0, 0, 250))  # recursive, still a dog
    (tmp_path / "pets" / "notes.txt").write_text("not an image")
    dataset, info = data.load(f"folder:{root}", 3, image_size=8, with_labels=True, shuffle=False,
                              repeat=False, cache_dir=str(tmp_path / "cache"))
    assert info.shape == (8, 8, 3) and info.num_examples == 9 and info.num_classes == 2 and info.is_image
    x, y = (np.concatenate(parts) for parts in zip(*[dataset[i] for i in range(3)], strict=True))
    assert x.dtype == np.float32 and -1.0 <= x.min() and x.max() <= 1.0
    assert list(y) == [0, 0, 0, 0, 1, 1, 1, 1, 1]  # cats, then dogs (sorted names, sorted files)
    red = x[y == 0][..., 0].mean() > 0.8 and x[y == 0][..., 2].mean() < -0.8
    blue = x[y == 1][..., 2].mean() > 0.8 and x[y == 1][..., 0].mean() < -0.8
    assert red and blue
    # The first cat: its centred 30x30 square, PIL's bicubic resize to 8x8, on uint8.
    with Image.open(os.path.join(root, "cats", "0.png")) as image:
        square = image.convert("RGB").crop((5, 0, 35, 30))
        expected = np.asarray(square.resize((8, 8), Image.Resampling.BICUBIC))
    np.testing.assert_array_equal(np.round((x[0] + 1.0) * 127.5).astype(np.uint8), expected)


def test_a_flat_folder_is_unlabelled_and_grayscale_stays_one_channel(tmp_path):
    for i in range(4):
        write_image(str(tmp_path / "faces" / f"{i}.png"), mode="L", color=(100,))
    dataset, info = data.load(f"folder:{tmp_path / 'faces'}", 2, image_size=16, cache_dir=str(tmp_path / "c"))
    assert info.shape == (16, 16, 1) and info.num_classes is None
    assert dataset[0].shape == (2, 16, 16, 1)
    with pytest.raises(data.DataError, match="has no labels: its images are not all in class sub-folders"):
        data.load(f"folder:{tmp_path / 'faces'}", 2, image_size=16, with_labels=True,
                  cache_dir=str(tmp_path / "c"))


def test_transparency_is_composited_on_white(tmp_path):
    pixels = np.zeros((20, 20, 4), np.uint8)  # black, fully transparent
    os.makedirs(tmp_path / "icons")
    Image.fromarray(pixels, "RGBA").save(tmp_path / "icons" / "a.png")
    np.testing.assert_array_equal(folders.decode(str(tmp_path / "icons" / "a.png"), 4), 255)


def test_the_cache_is_built_once_read_after_and_rebuilt_when_the_folder_changes(tmp_path, capsys):
    root, cache = class_folder(tmp_path / "pets", per_class=2), str(tmp_path / "cache")
    load = lambda: folders.load(root, 8, cache_dir=cache)  # noqa: E731
    first = np.array(load()[0])
    assert "Decoding 4 images" in capsys.readouterr().out
    (array,) = [f for f in os.listdir(cache) if f.endswith(".npy")]
    mapped = load()[0]
    assert "Decoding" not in capsys.readouterr().out and isinstance(mapped, np.memmap)
    np.testing.assert_array_equal(mapped, first)
    write_image(os.path.join(root, "dogs", "new.png"), color=(0, 0, 250))  # a file added
    assert len(load()[0]) == 5 and "Decoding 5 images" in capsys.readouterr().out
    os.remove(os.path.join(root, "cats", "0.png"))  # a file removed
    assert len(load()[0]) == 4 and "Decoding 4 images" in capsys.readouterr().out
    write_image(os.path.join(root, "cats", "1.jpg"), color=(10, 10, 10), kind="JPEG")  # one modified
    os.utime(os.path.join(root, "cats", "1.jpg"), ns=(1, 1))
    images, labels, _, _ = load()
    assert "Decoding 4 images" in capsys.readouterr().out and images[labels == 0].mean() < 40


def test_a_cache_cut_short_or_of_another_version_is_rebuilt_never_read_wrong(tmp_path, capsys):
    root, cache = class_folder(tmp_path / "pets", per_class=2), str(tmp_path / "cache")
    good = np.array(folders.load(root, 8, cache_dir=cache)[0])
    capsys.readouterr()
    (array,) = [os.path.join(cache, f) for f in os.listdir(cache) if f.endswith(".npy")]
    description = array[:-len(".npy")] + ".json"
    with open(array, "r+b") as f:  # cut short: a disk that filled up
        f.truncate(os.path.getsize(array) // 2)
    np.testing.assert_array_equal(folders.load(root, 8, cache_dir=cache)[0], good)
    assert "rebuilt" in capsys.readouterr().out
    with open(description) as f:
        written = json.load(f)
    with open(description, "w") as f:  # as an older version wrote it
        json.dump({**written, "version": folders.CACHE_VERSION - 1}, f)
    np.testing.assert_array_equal(folders.load(root, 8, cache_dir=cache)[0], good)
    assert "written by another version: rebuilt" in capsys.readouterr().out
    os.remove(description)  # a build killed before its description: the array is not read
    np.testing.assert_array_equal(folders.load(root, 8, cache_dir=cache)[0], good)
    assert "Decoding 4 images" in capsys.readouterr().out


@pytest.mark.parametrize("make, message", [
    (lambda root: None, "no such folder"),
    (lambda root: os.makedirs(root), "is empty"),
    (lambda root: (os.makedirs(root), open(os.path.join(root, "a.txt"), "w").close()),
     "has no images among its 1 files"),
    (lambda root: (class_folder(root, 2), os.makedirs(os.path.join(root, "owls"))),
     "class folder 'owls' has no images"),
    (lambda root: class_folder(root, 1), "has 2 images, fewer than one batch of 4"),
    (lambda root: write_image(os.path.join(root, "tiny.png"), size=(6, 9)),
     r"tiny.png is 6x9 px, smaller than image_size 8: .*upsample"),
])
def test_bad_folders_are_refused_with_what_to_do(tmp_path, make, message):
    root = str(tmp_path / "images")
    make(root)
    with pytest.raises(data.DataError, match=message):
        data.load(f"folder:{root}", 4, image_size=8, cache_dir=str(tmp_path / "cache"))


def test_a_cache_folder_that_cannot_be_written_is_refused_naming_the_flag(tmp_path):
    root = class_folder(tmp_path / "pets", per_class=2)
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(data.DataError, match=r"cannot be written in .*a_file/cache .*--config.cache_dir"):
        data.load(f"folder:{root}", 2, image_size=8, cache_dir=str(tmp_path / "a_file" / "cache"))


def test_small_images_are_enlarged_only_when_asked(tmp_path):
    write_image(str(tmp_path / "small" / "a.png"), size=(6, 6))
    dataset, info = data.load(f"folder:{tmp_path / 'small'}", 1, image_size=8, upsample=True,
                              cache_dir=str(tmp_path / "cache"))
    assert info.shape == (8, 8, 3) and dataset[0].shape == (1, 8, 8, 3)


def test_a_corrupt_image_stops_the_load_naming_it_or_is_skipped_and_counted(tmp_path, capsys):
    root = class_folder(tmp_path / "pets", per_class=3)
    good = os.path.join(root, "cats", "0.png")
    with open(good, "rb") as f:
        start = f.read()
    with open(os.path.join(root, "cats", "broken.png"), "wb") as f:
        f.write(start[: len(start) // 3])  # truncated
    with open(os.path.join(root, "dogs", "junk.jpg"), "wb") as f:
        f.write(b"not a jpeg at all")
    with pytest.raises(data.DataError, match=r"broken.png is not a readable image .*bad_images='skip'"):
        data.load(f"folder:{root}", 2, image_size=8, cache_dir=str(tmp_path / "cache"))
    assert not [f for f in os.listdir(tmp_path / "cache") if f.endswith((".npy", ".json", ".tmp"))]
    _, info = data.load(f"folder:{root}", 2, image_size=8, cache_dir=str(tmp_path / "cache"),
                        bad_images="skip", with_labels=True)
    assert info.num_examples == 6 and "Skipped 2 unreadable image(s)" in capsys.readouterr().out


# A folder gives the same ArrayBatches on every backend (tested above); the JAX and torch
# trainers' runs through the tool are the workdir and resume tests'.
@pytest.mark.backends()
def test_the_train_tool_trains_on_a_folder_and_resumes_where_it_stopped(tmp_path):
    """A user's folder through the tool: the cache beside the workdir, built once; a
    second run resumes; a folder without image_size is refused with nothing written."""
    root = class_folder(tmp_path / "pets", per_class=8)
    workdir = str(tmp_path / "runs" / "pets")
    command = [sys.executable, os.path.join(REPO, "tools", "train.py"), "--config=zoo:gan_mnist_subset",
               f"--workdir={workdir}", f"--config.dataset=folder:{root}", "--config.image_size=16",
               "--config.train.batch_size=8", "--config.networks.base_filters=4",
               "--config.eval.num_samples=0",
               "--config.train.steps_per_epoch=4", "--config.train.checkpoint_every=4",
               "--config.train.sample_every=4", "--config.train.epochs=1"]
    config = train.load_zoo_config("gan_mnist_subset")  # in process: the tool turns it into exit 2
    config.dataset = f"folder:{root}"
    with pytest.raises(data.DataError, match="give image_size"):
        train.train_and_evaluate(config, workdir, verbose=0)
    assert not os.path.exists(os.path.join(workdir, "checkpoints"))
    first = run_script(command)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "Decoding 16 images" in first.stdout
    assert [f for f in os.listdir(tmp_path / "runs" / "folder_cache") if f.endswith(".npy")]
    again = run_script([*command[:-1], "--config.train.epochs=2"])
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Decoding" not in again.stdout and "Resuming from step 4 of 8" in again.stdout
    with open(os.path.join(workdir, "metrics.json")) as f:
        assert json.load(f)["step"] == 8
