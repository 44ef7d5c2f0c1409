"""Images per second of a folder of JPEGs: the zoo's first (decoding) and cached passes,
side by side with Keras's `image_dataset_from_directory` and, where torchvision is
installed, `ImageFolder` + `DataLoader(num_workers=2)`; each reads the whole folder once
as 64-image float32 batches of the same crop and size. Then zoo:gan_folder's training
steps fed from the folder beside the same images in memory (--train_size).

  python benchmarks/folder_throughput.py --images=20000 --sizes=64,256 --output=docs/cpu/<machine>/folder.json

The folder (generated once under --root: smooth colour fields with noise, 320x288 px
JPEGs at quality 90, a natural photograph's size class) is kept for reruns.
"""

import os
import shutil
import time

try:  # before TensorFlow: torchvision's import crashes a process that has loaded it (torch 2.14, TF 2.21)
    import torch
    from torchvision import datasets, transforms
except (ImportError, RuntimeError):
    torch = None
from absl import app, flags

from gan_zoo_tools.common import TYPED_ARGV, parse_flags

_IMAGES = flags.DEFINE_integer("images", 20_000, "JPEGs in the generated folder.", lower_bound=64)
_SIZES = flags.DEFINE_list("sizes", ["64", "256"], "image_size of each measurement.")
_ROOT = flags.DEFINE_string("root", "/tmp/gan_zoo_folder_bench", "Where the folder and caches go.")
_OUTPUT = flags.DEFINE_string("output", None, "Write the JSON figures here.")
_TRAIN_SIZE = flags.DEFINE_integer("train_size", 64, "Also time zoo:gan_folder's training steps at this "
                                   "size, fed from the folder and from its images in memory (0 = not).")
BATCH = 64


def make_folder(root: str, count: int) -> str:
    import numpy as np
    from PIL import Image

    # Alone in its parent, which torchvision's ImageFolder reads as a one-class set.
    folder = os.path.join(root, "images", f"jpegs_{count}")
    if os.path.isdir(folder) and len(os.listdir(folder)) == count:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:288, 0:320] / 320.0
    for i in range(count):
        a, b, c = rng.uniform(0, 255, (3, 3))
        field = np.stack([a[k] + b[k] * x + c[k] * y for k in range(3)], -1) % 256
        noisy = np.clip(field + rng.normal(0, 12, field.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(os.path.join(folder, f"{i:06d}.jpg"), quality=90)
    return folder


def timed(read) -> float:
    start = time.perf_counter()
    count = read()
    return count / (time.perf_counter() - start)


def zoo_passes(folder: str, size: int, cache_dir: str) -> dict:
    from gan_zoo import data

    shutil.rmtree(cache_dir, ignore_errors=True)

    def read():
        dataset, info = data.load(f"folder:{folder}", BATCH, image_size=size, repeat=False, shuffle=True,
                                  cache_dir=cache_dir)
        for i in range(len(dataset)):
            dataset[i]
        return len(dataset) * BATCH

    first = timed(read)
    return {"first_pass": first, "cached_pass": max(timed(read) for _ in range(3))}


def keras_pass(folder: str, size: int) -> float:
    import keras

    def read():
        dataset = keras.utils.image_dataset_from_directory(
            folder, labels=None, image_size=(size, size), crop_to_aspect_ratio=True, batch_size=BATCH,
            shuffle=True, seed=0, interpolation="bicubic", verbose=False)
        return sum(int(batch.shape[0]) for batch in dataset)

    return timed(read)


def torchvision_pass(folder: str, size: int) -> float | None:
    if torch is None:
        return None
    transform = transforms.Compose([transforms.Resize(size, transforms.InterpolationMode.BICUBIC),
                                    transforms.CenterCrop(size), transforms.ToTensor()])
    parent = os.path.dirname(folder)  # ImageFolder wants class folders: the folder is one class

    def read():
        loader = torch.utils.data.DataLoader(datasets.ImageFolder(parent, transform), batch_size=BATCH,
                                             shuffle=True, num_workers=2)
        return sum(len(batch) for batch, _ in loader)

    return timed(read)


def training_rates(folder: str, size: int, cache_dir: str, repeats: int = 5, seconds: float = 3.0) -> dict:
    """Images/s of zoo:gan_folder's train steps at `size`, fed by the folder (its uint8 cache,
    scaled a batch at a time) and by the same images as a float32 array in memory; the two
    alternate, `repeats` times about `seconds` each, on the same GAN. The median of each."""
    import statistics

    import numpy as np

    import measure
    import zoo_configs
    from gan_zoo import build, data
    from gan_zoo.data import folders

    config = zoo_configs.get(f"gan_folder:{folder}")
    config.image_size = size
    from_folder, info = data.load(config.dataset, BATCH, image_size=size, cache_dir=cache_dir)
    images = folders.load(folder, size, cache_dir=cache_dir, verbose=0)[0]
    in_memory = data.pipeline.ArrayBatches((np.asarray(images, np.float32) / 127.5 - 1.0,), BATCH)
    gan = build.build_gan(config, info)
    timers = {"folder": measure._Timer(gan, from_folder), "in_memory": measure._Timer(gan, in_memory)}
    calls = {}
    for name, timer in timers.items():
        timer.run(10)
        calls[name] = max(2, int(seconds / (timer.run(10) / 10)))
    rates = {name: [] for name in timers}
    for _ in range(repeats):
        for name, timer in timers.items():
            rates[name].append(calls[name] * BATCH / timer.run(calls[name]))
    figures = {f"train_images_per_second_{name}": round(statistics.median(r), 1) for name, r in rates.items()}
    figures["folder_over_in_memory"] = round(figures["train_images_per_second_folder"]
                                             / figures["train_images_per_second_in_memory"], 3)
    return figures


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    import measure
    from gan_zoo import devices

    folder = make_folder(_ROOT.value, _IMAGES.value)
    result = {"images": _IMAGES.value, "batch_size": BATCH, "machine": devices.machine(),
              "command": " ".join(["python", "benchmarks/folder_throughput.py", *TYPED_ARGV[1:]]),
              "sizes": {}}
    for size in map(int, _SIZES.value):
        zoo = zoo_passes(folder, size, os.path.join(_ROOT.value, f"cache_{size}"))
        figures = {"zoo_first_pass": zoo["first_pass"], "zoo_cached_pass": zoo["cached_pass"],
                   "keras_image_dataset_from_directory": keras_pass(folder, size),
                   "torchvision_imagefolder_2_workers": torchvision_pass(folder, size)}
        result["sizes"][str(size)] = {k: None if v is None else round(v, 1) for k, v in figures.items()}
        print(f"{size} px: " + ", ".join(f"{k} {v:.0f} img/s" if v else f"{k} n/a"
                                         for k, v in figures.items()))
    if _TRAIN_SIZE.value:
        result["training"] = {"size": _TRAIN_SIZE.value, **training_rates(
            folder, _TRAIN_SIZE.value, os.path.join(_ROOT.value, f"cache_{_TRAIN_SIZE.value}"))}
        print(f"training at {_TRAIN_SIZE.value} px: {result['training']}")
    if _OUTPUT.value:
        measure.write_figures(_OUTPUT.value, result)
    return 0


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
