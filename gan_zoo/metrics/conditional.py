"""Label-aware metrics of a class-conditional generator: does a sample of class c look
like a c, does each class match its own real images, and can a classifier learn the
classes from samples alone?"""

import numpy as np

from gan_zoo.metrics.distances import fid


def conditional_accuracy(probabilities: np.ndarray, labels: np.ndarray, num_classes: int) -> dict:
    """The share of samples that a classifier reads as the class they were made for
    (`probabilities` [n, K] of the samples of `labels` [n]), overall and per class, with
    the worst class's."""
    correct = probabilities.argmax(axis=-1) == labels
    per_class = [float(correct[labels == c].mean()) for c in range(num_classes) if np.any(labels == c)]
    return {"accuracy": float(correct.mean()), "per_class_accuracy": per_class,
            "min_class_accuracy": min(per_class)}


def intra_class_fid(real_features: np.ndarray, real_labels: np.ndarray, fake_features: np.ndarray,
                    fake_labels: np.ndarray) -> dict:
    """The mean over classes c of FID(real images of c, samples of c), with each class's
    (Miyato & Koyama 2018, section 5: intra-FID). Unlike FID over all classes, it grows
    when samples are good images of the wrong class."""
    classes = np.unique(real_labels)
    missing = [int(c) for c in classes if np.sum(fake_labels == c) < 2]
    if missing:
        raise ValueError(f"intra-class FID needs at least 2 samples of every class; classes {missing} "
                         "have fewer.")
    per_class = [fid(real_features[real_labels == c], fake_features[fake_labels == c]) for c in classes]
    return {"intra_fid": float(np.mean(per_class)), "per_class_fid": [float(v) for v in per_class]}


def classification_accuracy_score(samples: np.ndarray, labels: np.ndarray, x_test: np.ndarray,
                                  y_test: np.ndarray, num_classes: int, epochs: int = 8,
                                  seed: int = 0) -> float:
    """CAS (Ravuri & Vinyals 2019): the accuracy on real held-out images (x_test, y_test)
    of a fresh classifier trained on generated samples and the labels they were made for
    alone, with the recipe of the project's FID classifier (`fit_classifier`), whose own
    accuracy, trained on the real training images, is the figure to compare it with."""
    from gan_zoo.metrics.features import fit_classifier

    model = fit_classifier(samples, labels, num_classes, epochs, seed)
    return float(model.evaluate(x_test, y_test, verbose=0)[1])


def balanced_labels(num_classes: int, n: int, seed: int) -> np.ndarray:
    """n labels, each class n / K times (one more for the first n % K), in a seeded order."""
    return np.random.default_rng(seed).permutation(np.arange(n) % num_classes).astype(np.int32)
