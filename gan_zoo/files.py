"""Where gan_zoo caches what it computes once, and how it writes a file that a crash must
never leave half-written."""

import os


def cache_dir() -> str:
    """$GAN_ZOO_CACHE, else ~/.cache/gan_zoo: decoded folders, classifiers, converted
    weights, real images' features."""
    return os.environ.get("GAN_ZOO_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "gan_zoo"))


def write_atomically(path: str, write) -> None:
    """`write(f)` into a binary file under a name private to this process, then renamed to
    `path`: a reader (another process building the same cache) sees the whole file or none."""
    private = f"{path}.{os.getpid()}.tmp"
    with open(private, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(private, path)
