"""Feature extractors for FID / KID / score: a project-trained classifier and the FID Inception.

An extractor maps images in [-1, 1] to (features [n, d], class probabilities [n, K]).
"""

import functools
import hashlib
import json
import os

import keras
import numpy as np

from gan_zoo.files import cache_dir
from gan_zoo.metrics import inception
from gan_zoo.metrics.inception import InceptionUnavailable  # noqa: F401 - re-exported

CLASSIFIER_VERSION = 1  # bump when the classifier's recipe changes: the cache key has it
# Shipped weights of the seed-0 classifier, for data sets that ship with the package. The
# classifier defines the feature space of every FID, KID and precision / recall: the same
# generator scored 7.2, 7.5 and 9.0 with three trainings of the same recipe (JAX on CPU,
# TensorFlow on CPU, JAX on an H200), so figures compare across machines, backends and
# sessions only through weights that do not depend on where they were trained.
INPUT_SHAPES = {"mnist_subset": (28, 28, 1)}  # of the data sets whose classifier ships
REFERENCE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference")




def _classifier_network(shape, num_classes: int) -> keras.Model:
    x = keras.Input(shape)
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    h = keras.layers.MaxPooling2D()(h) if shape[0] >= 16 else h
    h = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(128, activation="relu", name="features")(h)
    return keras.Model(x, keras.layers.Dense(num_classes, name="logits")(h), name="classifier")


def fit_classifier(x: np.ndarray, y: np.ndarray, num_classes: int, epochs: int = 8, seed: int = 0,
                   verbose: int = 0) -> keras.Model:
    """The project's classifier network trained on (x, y) with its fixed recipe (Adam
    1e-3, batch 64, `epochs` epochs): the FID classifier on real data, the Classification
    Accuracy Score's on generated data."""
    keras.utils.set_random_seed(seed)
    model = _classifier_network(x.shape[1:], num_classes)
    model.compile(keras.optimizers.Adam(1e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=verbose, shuffle=True)
    return model


def train_classifier(dataset: str = "mnist_subset", epochs: int = 8, seed: int = 0,
                     directory: str | None = None, verbose: int = 0) -> tuple[keras.Model, dict]:
    """A small CNN trained on the data set's train split, cached on disk.

    The default recipe (8 epochs, seed 0) on a data set with shipped weights
    (`reference_path`) loads those. Otherwise the first call trains (about 20 s for
    mnist_subset on 2 CPU cores) and later calls load; such a classifier is only
    deterministic on one machine and backend. Returns (model, info) where info has the
    held-out accuracy on the data set's test split.
    """
    from gan_zoo import data

    if epochs == 8 and seed == 0 and os.path.exists(reference_path(dataset)):
        return load_reference(dataset)
    directory = directory or cache_dir()
    stem = os.path.join(directory, f"classifier_{dataset}_v{CLASSIFIER_VERSION}_seed{seed}")
    if os.path.exists(stem + ".keras") and os.path.exists(stem + ".json"):
        with open(stem + ".json") as f:
            return keras.saving.load_model(stem + ".keras"), json.load(f)
    x, y = data.load_arrays(dataset, "train")
    x_test, y_test = data.load_arrays(dataset, "test")
    model = fit_classifier(x, y, int(y.max()) + 1, epochs, seed, verbose)
    accuracy = float(model.evaluate(x_test, y_test, verbose=0)[1])
    info = {"dataset": dataset, "seed": seed, "epochs": epochs, "test_accuracy": accuracy,
            "test_examples": len(x_test), "version": CLASSIFIER_VERSION}
    os.makedirs(directory, exist_ok=True)
    # Written under private names and renamed, the .json last: two processes training the
    # same classifier at once (parallel test workers, two evaluations) never see or leave a
    # half-written file.
    private = f"{stem}.{os.getpid()}"
    model.save(private + ".keras")
    os.replace(private + ".keras", stem + ".keras")
    with open(private + ".json", "w") as f:
        json.dump(info, f, indent=2)
    os.replace(private + ".json", stem + ".json")
    return model, info


def reference_path(dataset: str) -> str:
    return os.path.join(REFERENCE_DIR, f"classifier_{dataset}.npz")


def save_reference(dataset: str = "mnist_subset", path: str | None = None) -> str:
    """Trains the default recipe afresh and writes its weights, and its accuracy on the
    test split, where `load_reference` finds them. The shipped mnist_subset file was made
    on JAX on CPU, whose training is deterministic (two trainings gave the same weights):
    `KERAS_BACKEND=jax python -c "from gan_zoo.metrics import features; features.save_reference()"`."""
    from gan_zoo import data

    x, y = data.load_arrays(dataset, "train")
    model = fit_classifier(x, y, int(y.max()) + 1, epochs=8, seed=0)
    x_test, y_test = data.load_arrays(dataset, "test")
    predicted = np.argmax(model.predict(x_test, batch_size=500, verbose=0), axis=-1)
    path = path or reference_path(dataset)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez_compressed(path, test_accuracy=np.mean(predicted == y_test), test_examples=len(y_test),
                        **{f"weight_{i}": np.asarray(w) for i, w in enumerate(model.get_weights())})
    return path


@functools.cache
def load_reference(dataset: str) -> tuple[keras.Model, dict]:
    """The shipped classifier of `dataset` (built once per process), and its accuracy on
    the test split as recorded when it was made."""
    with np.load(reference_path(dataset)) as saved:
        weights = [saved[f"weight_{i}"] for i in range(len(saved.files) - 2)]
        info = {"dataset": dataset, "seed": 0, "epochs": 8,
                "reference": os.path.basename(reference_path(dataset)),
                "test_accuracy": float(saved["test_accuracy"]), "test_examples": int(saved["test_examples"])}
    model = _classifier_network(INPUT_SHAPES[dataset], weights[-1].shape[0])
    model.set_weights(weights)
    return model, info


def classifier_extractor(classifier: keras.Model, batch_size: int = 500):
    """images -> (the classifier's "features" activations, its softmax probabilities)."""
    view = keras.Model(classifier.inputs, [classifier.get_layer("features").output, classifier.outputs[0]])

    def extract(images):
        features, logits = view.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0)
        return features, keras.ops.convert_to_numpy(keras.ops.softmax(logits))

    # Names the weights too: a classifier trained on another machine gives other figures.
    weights = hashlib.sha256(b"".join(np.asarray(w).tobytes() for w in classifier.get_weights())).hexdigest()
    extract.network = f"the project's classifier (weights {weights[:16]}...)"
    return extract


def inception_extractor(weights: str | None = None, batch_size: int = 50):
    """The papers' FID Inception (`inception`) filled from pytorch-fid's weights file
    (`weights`, else $GAN_ZOO_INCEPTION_WEIGHTS): images in [-1, 1] -> (2048-d pool
    features, softmax of the 1008 logits); an InceptionUnavailable saying where to get
    the file when it is missing, refused when it is not pytorch-fid's."""
    path, _ = inception.checked_weights(weights)
    networks: dict[int, keras.Model] = {}  # by the images' channel count
    digest = inception.load_weights(networks.setdefault(3, inception.fid_inception(3)), path, cache_dir())

    def extract(images):
        images = np.asarray(images, np.float32)
        channels = images.shape[-1]
        if channels not in networks:
            networks[channels] = inception.fid_inception(channels)
            networks[channels].set_weights(networks[3].get_weights())
        pool, logits = networks[channels].predict(images, batch_size=batch_size, verbose=0)
        return pool, keras.ops.convert_to_numpy(keras.ops.softmax(logits))

    extract.network = f"inception_fid ({os.path.basename(path)}, SHA-256 {digest[:16]}...)"
    return extract
