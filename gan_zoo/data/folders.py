"""A folder of the user's own images as a data set: `folder:PATH`.

Every JPEG, PNG, WebP and BMP under PATH, recursively, is an example (hidden files and
folders aside). Where every image lies in a first-level sub-folder, each sub-folder is a
class, labelled in the order of the sorted names; a folder with images of its own is
unlabelled. Each image is cropped to its centred square (or to its centred `center_crop`
pixels, as the DCGAN code crops CelebA) and resized to `image_size` by PIL's bicubic
filter on uint8 (an anti-aliased resize, as clean-fid argues, where tf.image's default
bilinear resize aliases; a JPEG first decodes at the smallest of 1/1, 1/2, 1/4, 1/8 scale
that keeps `image_size`), transparency composited on white: the decoding is PIL's, so
the pixels are the same on every backend. The images are grayscale where every one is,
else RGB.

The first load decodes every image once, on threads (PIL releases the GIL while it
decodes and resizes), into a uint8 array file in a cache directory, keyed by the
folder's content (each file's path, size and modification time), the size and the
options; later loads, and resumed runs, map that file. A changed folder has another
key, so its cache is built anew. The array is written under a temporary name and
renamed, and its description (count, shape, labels) is written last the same way: a
build cut short is never read, and a description that does not match its array is
rebuilt.
"""

import concurrent.futures
import dataclasses
import hashlib
import json
import os

import keras
import numpy as np
from PIL import Image

from gan_zoo.data.errors import DataError
from gan_zoo.files import write_atomically

PREFIX = "folder:"
SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
CACHE_VERSION = 2  # of the cache's layout and of the decoding: a change rebuilds every cache
BAD_IMAGES = ("stop", "skip")


@dataclasses.dataclass(frozen=True)
class Folder:
    """The images of a folder: paths relative to `root`, sorted; labels (None when the
    folder is unlabelled) and the class names they index."""

    root: str
    paths: tuple
    labels: np.ndarray | None
    class_names: tuple


def scan(root: str) -> Folder:
    """The folder's images and classes, or a DataError saying what is wrong with it."""
    if not os.path.exists(root):
        raise DataError(f"{PREFIX}{root}: no such folder. Give the path of a folder of images "
                        f"(JPEG, PNG, WebP or BMP; class sub-folders for labels).")
    if not os.path.isdir(root):
        raise DataError(f"{PREFIX}{root} is a file; give the folder that holds the images.")
    paths, others = [], 0
    for directory, folders, files in os.walk(root, followlinks=True):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            relative = os.path.relpath(os.path.join(directory, name), root)
            if name.lower().endswith(SUFFIXES):
                paths.append(relative)
            else:
                others += 1
    if not paths:
        raise DataError(f"{PREFIX}{root} is empty." if not others else
                        f"{PREFIX}{root} has no images among its {others} files: it reads "
                        f"{', '.join(SUFFIXES)} (in sub-folders too).")
    if any(os.sep not in p for p in paths):  # images of its own: unlabelled
        return Folder(root, tuple(paths), None, ())
    classes = sorted(f for f in os.listdir(root)
                     if os.path.isdir(os.path.join(root, f)) and not f.startswith("."))
    counts = {c: sum(p.startswith(c + os.sep) for p in paths) for c in classes}
    empty = [c for c, n in counts.items() if not n]
    if empty:
        raise DataError(f"{PREFIX}{root}: class folder {empty[0]!r} has no images"
                        f"{f' (nor do {len(empty) - 1} more)' if len(empty) > 1 else ''}. Each "
                        "sub-folder is a class: remove it, or put its images in it.")
    labels = np.array([classes.index(p.split(os.sep, 1)[0]) for p in paths], np.int64)
    return Folder(root, tuple(paths), labels, tuple(classes))


class ImageTooSmall(DataError):
    """An image smaller than the size asked for, which is not upsampled unless asked."""


def decode(path: str, size: int, upsample: bool = False, center_crop: int = 0) -> np.ndarray:
    """The image at `path`: its centred square (its centred `center_crop` x `center_crop`
    pixels where that is > 0) resized to size x size (PIL bicubic on uint8), [size, size]
    uint8 if grayscale, else [size, size, 3]. Transparency is composited on white. A crop
    below `size` is an ImageTooSmall unless `upsample`; an image below `center_crop` always."""
    with Image.open(path) as image:
        width, height = image.size
        if center_crop > min(width, height):
            raise ImageTooSmall(f"{path} is {width}x{height} px, smaller than center_crop {center_crop}: "
                                "lower center_crop (0: each image's largest centred square).")
        crop = center_crop or min(width, height)
        if crop < size and not upsample:
            cropped = f" (its centred {crop} px crop)" if center_crop else ""
            raise ImageTooSmall(f"{path} is {width}x{height} px{cropped}, smaller than image_size {size}: "
                                "choose a smaller image_size, or upsample (config.upsample=True) to enlarge "
                                "it.")
        # A JPEG decodes at 1/2, 1/4 or 1/8 scale where the crop stays at least `size` a side:
        # the DCT's own averaging, anti-aliased, and much faster for small sizes (docs/PERFORMANCE.md).
        image.draft(image.mode, (-(-size * width // crop), -(-size * height // crop)))
        side = crop * image.size[0] // width
        width, height = image.size
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
        image = image.convert("L" if image.mode in ("1", "L", "I", "I;16", "F") else "RGB")
        left, top = (width - side) // 2, (height - side) // 2
        square = image.crop((left, top, left + side, top + side))
        return np.asarray(square.resize((size, size), Image.Resampling.BICUBIC))


def _key(folder: Folder, size: int, upsample: bool, bad_images: str, center_crop: int) -> str:
    files = []
    for relative in folder.paths:
        status = os.stat(os.path.join(folder.root, relative))
        files.append((relative, status.st_size, status.st_mtime_ns))
    described = json.dumps({"version": CACHE_VERSION, "size": size, "upsample": upsample,
                            "bad_images": bad_images, "center_crop": center_crop, "files": files})
    return hashlib.sha256(described.encode()).hexdigest()


def _read_cache(array_path: str, description_path: str, key: str):
    """(images, description) of a complete cache of `key`, or None (with why)."""
    try:
        with open(description_path) as f:
            description = json.load(f)
        if description.get("version") != CACHE_VERSION or description.get("key") != key:
            return None, "written by another version"
        images = np.load(array_path, mmap_mode="r")
        if list(images.shape) != description["shape"] or images.dtype != np.uint8:
            return None, f"its array holds {images.shape}, not the {description['shape']} it describes"
        return (images, description), None
    except FileNotFoundError:
        return None, None  # none yet
    except (OSError, ValueError, KeyError, TypeError) as error:
        return None, f"unreadable ({error})"


def _decode_all(folder: Folder, size: int, upsample: bool, bad_images: str, center_crop: int,
                array_path: str, verbose: int):
    """Decode every image into a uint8 array file at `array_path`; (kept rows, skipped paths, channels)."""
    temporary = f"{array_path}.tmp"
    images = np.lib.format.open_memmap(temporary, "w+", np.uint8, (len(folder.paths), size, size, 3))
    gray, bad, small = np.zeros(len(folder.paths), bool), {}, {}

    def one(i):
        path = os.path.join(folder.root, folder.paths[i])
        try:
            pixels = decode(path, size, upsample, center_crop)
        except ImageTooSmall as error:
            small[i] = error
            return
        except Exception as error:  # noqa: BLE001 - PIL raises many kinds for corrupt or truncated files
            bad[i] = (path, error)
            return
        gray[i] = pixels.ndim == 2
        images[i] = pixels[..., None] if pixels.ndim == 2 else pixels

    progress = keras.utils.Progbar(len(folder.paths), unit_name="image") if verbose else None
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        futures = [pool.submit(one, i) for i in range(len(folder.paths))]
        try:
            for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
                future.result()
                if progress and (done % 64 == 0 or done == len(futures)):
                    progress.update(done)
            if small:  # the first in the folder's order, whichever thread saw it
                raise small[min(small)]
            if bad and bad_images == "stop":
                path, error = bad[min(bad)]
                more = f" ({len(bad) - 1} more)" if len(bad) > 1 else ""
                raise DataError(f"{path} is not a readable image ({error}){more}. Remove or replace it, or "
                                "pass bad_images='skip' (config.bad_images=skip) to leave such files out.")
        except BaseException:
            for future in futures:
                future.cancel()
            del images
            os.remove(temporary)
            raise
    kept = np.array([i for i in range(len(folder.paths)) if i not in bad], np.int64)
    channels = 1 if gray[kept].all() else 3
    if len(kept) < len(folder.paths) or channels == 1:  # compact: leave out the skipped, keep one channel
        final = np.lib.format.open_memmap(f"{array_path}.compact", "w+", np.uint8,
                                          (len(kept), size, size, channels))
        for start in range(0, len(kept), 1024):
            rows = kept[start:start + 1024]
            final[start:start + len(rows)] = images[rows][..., :channels]
        final.flush()
        del final, images
        os.replace(f"{array_path}.compact", temporary)
    else:
        images.flush()
        del images
    os.replace(temporary, array_path)
    return kept, sorted(path for path, _ in bad.values()), channels


def load(root: str, size: int, *, cache_dir: str, upsample: bool = False, bad_images: str = "stop",
         center_crop: int = 0, verbose: int = 1):
    """(uint8 images [N, size, size, C], labels [N] or None, class names, skipped paths)
    of the folder at `root`, from its cache in `cache_dir` (built on the first load)."""
    if bad_images not in BAD_IMAGES:
        raise DataError(f"bad_images must be one of {BAD_IMAGES}, got {bad_images!r}.")
    folder = scan(root)
    key = _key(folder, size, upsample, bad_images, center_crop)
    try:
        os.makedirs(cache_dir, exist_ok=True)
        with open(os.path.join(cache_dir, ".writable"), "w"):
            pass
    except OSError as error:
        raise DataError(f"The cache of {PREFIX}{root} cannot be written in {cache_dir} ({error}): give a "
                        "writable folder as cache_dir (--config.cache_dir=DIR).") from None
    stem = os.path.join(cache_dir, f"{os.path.basename(os.path.abspath(root))}-{size}px-{key[:16]}")
    array_path, description_path = f"{stem}.npy", f"{stem}.json"
    cached, why = _read_cache(array_path, description_path, key)
    if cached is None:
        if verbose:
            print(f"Decoding {len(folder.paths)} images of {root} at {size} px into {array_path}"
                  f"{f' (the cache there was {why}: rebuilt)' if why else ''}.")
        for stale in (description_path, array_path):  # the description goes first: never read half
            if os.path.exists(stale):
                os.remove(stale)
        kept, skipped, _ = _decode_all(folder, size, upsample, bad_images, center_crop, array_path, verbose)
        labels = None if folder.labels is None else folder.labels[kept].tolist()
        description = {"version": CACHE_VERSION, "key": key, "root": os.path.abspath(root),
                       "shape": list(np.load(array_path, mmap_mode="r").shape), "labels": labels,
                       "class_names": list(folder.class_names), "skipped": skipped}
        write_atomically(description_path, lambda f: f.write(json.dumps(description).encode()))
        if skipped and verbose:
            print(f"Skipped {len(skipped)} unreadable image(s) of {root}, e.g. {skipped[0]}.")
        cached, why = _read_cache(array_path, description_path, key)
        if cached is None:
            raise DataError(f"The cache just written at {array_path} does not read back ({why}).")
    images, description = cached
    labels = None if description["labels"] is None else np.array(description["labels"], np.int64)
    if not len(images):
        raise DataError(f"{PREFIX}{root}: every image was unreadable "
                        f"({len(description['skipped'])} skipped).")
    return images, labels, tuple(description["class_names"]), description["skipped"]
