"""The final figures of a run, and which of them a run writes (`evaluation_figures`)."""

import dataclasses
import functools
import hashlib
import json
import os

import keras
import numpy as np

from gan_zoo import callbacks, data, files, metrics
from gan_zoo.build import make_optimizer
from gan_zoo.config import METRICS_NETWORKS


def feature_network(network: str, dataset: str) -> str:
    """The network `network` ("auto" resolved) that scores `dataset`'s images."""
    if network not in METRICS_NETWORKS:
        raise ValueError(f"The metrics network must be one of {METRICS_NETWORKS}, got {network!r}.")
    if network == "auto":
        return "classifier" if dataset in (*data.EMBEDDED, data.STACKED) else "inception_fid"
    return network


@dataclasses.dataclass(frozen=True)
class RealImages:
    """Where an evaluation's real images come from: the run's data set as it trains on it."""

    dataset: str
    split: str = "train"
    image_size: int = 0
    center_crop: int = 0
    data_dir: str = ""
    cache_dir: str = ""

    @classmethod
    def of(cls, config, cache_dir: str = "") -> "RealImages":
        return cls(config.dataset, config.split, config.image_size, config.center_crop, config.data_dir,
                   config.cache_dir or cache_dir)

    def load(self, count: int) -> np.ndarray:
        """The first `count` images of the split, in its stored order, in [-1, 1]."""
        if self.dataset in data.EMBEDDED:
            return data.load_arrays(self.dataset, self.split)[0][:count]
        batches, _ = data.load(self.dataset, 1, split=self.split, image_size=self.image_size or None,
                               center_crop=self.center_crop, data_dir=self.data_dir or None,
                               cache_dir=self.cache_dir or None, repeat=False, shuffle=False)
        rows = []
        for batch in batches:
            rows.append(np.asarray(batch))
            if len(rows) == count:
                break
        if not rows:
            raise data.DataError(f"{self.dataset}'s {self.split} split holds no images to score against.")
        return np.concatenate(rows)

    def describe(self, count: int) -> str:
        crop = f", centred {self.center_crop} px crop" if self.center_crop else ""
        size = f", {self.image_size} px" if self.image_size and self.dataset not in data.EMBEDDED else ""
        return f"the first {count} images of {self.dataset}'s {self.split} split{crop}{size}"


def real_features(real: RealImages, count: int, extractor) -> np.ndarray:
    """The extractor's features of `count` real images, cached per (data set, split, size,
    crop, network, count) in the cache directory: the real side of every FID is computed once."""
    described = json.dumps([dataclasses.asdict(real), count, extractor.network])
    key = hashlib.sha256(described.encode()).hexdigest()
    path = os.path.join(files.cache_dir(), "real_features", f"{key[:24]}.npy")
    if os.path.exists(path):
        return np.load(path, allow_pickle=False)
    features, _ = extractor(real.load(count))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    files.write_atomically(path, lambda f: np.save(f, features))
    return features


def evaluate_samples(generate, dataset: str, num_samples: int, seed: int, network: str = "auto",
                     real: RealImages | None = None, inception_weights: str | None = None) -> dict:
    """Quality figures of a generator, given as `generate(n, seed) -> samples`.

    Toy mixtures: mode coverage of 2500 samples, and their precision / recall / density /
    coverage against as many draws of the mixture; gauss1d: their mean and std; Stacked
    MNIST: the digit triples of `num_samples` images read by the mnist_subset classifier.
    Image sets: FID / KID / score and precision / recall / density / coverage of
    `num_samples` images against as many real ones (`real`, default the data set's train
    split), on the features of `network` (`feature_network`): the project's classifier
    (classifier_* figures, embedded sets only) or the papers' FID Inception (inception_*
    figures; weights `inception_weights`, else $GAN_ZOO_INCEPTION_WEIGHTS). Without those
    weights the figures are {} and a message says where to get them. "feature_network"
    and "reference_images" say what produced the figures. Samples of a run that padded
    an embedded set (`image_size`) are cut back to its digits' size (`data.unpadded`)
    before the classifier reads them, and scored against the unpadded real digits.
    """
    if dataset in (*data.EMBEDDED, data.STACKED):
        generate = _unpadded(generate, dataset)
    if dataset in data.TOYS:
        samples = generate(metrics.NUM_SAMPLES, seed)
        if dataset == "gauss1d":
            return {"mean": float(samples.mean()), "std": float(samples.std())}
        real_points, _ = data.load_arrays(dataset, "train", seed=seed)
        return {"modes": {**metrics.mode_metrics(samples, dataset),
                          **metrics.manifold_metrics(real_points[:len(samples)], samples)}}
    if dataset == data.STACKED and num_samples:
        classifier, info = metrics.train_classifier("mnist_subset")
        modes = metrics.stacked_mnist_modes(generate(num_samples, seed), classifier)
        return {"eval": {"stacked_mnist": modes, "classifier_test_accuracy": info["test_accuracy"]}}
    if not num_samples:
        return {}
    network = feature_network(network, dataset)
    real = real or RealImages(dataset)
    if network == "classifier":
        if dataset not in data.EMBEDDED:
            raise ValueError(f"The project's classifier scores the embedded sets {data.EMBEDDED}, not "
                             f"{dataset!r}: use the inception_fid network.")
        classifier, info = metrics.train_classifier(dataset)
        extractor, extra = metrics.classifier_extractor(classifier), {"classifier_test_accuracy":
                                                                      info["test_accuracy"]}
    else:
        try:
            extractor, extra = metrics.inception_extractor(inception_weights), {}
        except metrics.InceptionUnavailable as error:
            print(f"No Inception figures: {error}")
            return {}
    reals = real_features(real, num_samples, extractor)
    scores = metrics.image_metrics(generate(len(reals), seed), None, extractor,
                                   "classifier" if network == "classifier" else "inception", reals)
    return {"eval": {**scores, **extra, "feature_network": extractor.network,
                     "reference_images": real.describe(len(reals))}}


def evaluate_conditional(generate, dataset: str, num_classes: int, seed: int) -> dict:
    """Label-aware figures of a class-conditional generator, `generate(n, seed, labels)`,
    on an embedded image set ({} elsewhere): as many samples as the train split holds,
    every class equally often, read by the project's classifier:

    - conditional_accuracy: the share classified as the class they were made for (with
      per class and the worst class's);
    - classifier_intra_fid: the mean over classes of the classifier FID between a class's
      samples and its real training images (with per class);
    - cas: the Classification Accuracy Score, the held-out accuracy of a fresh classifier
      trained on the samples alone, beside cas_of_real_training_data, the same
      classifier trained on the real training images.
    """
    if dataset not in data.EMBEDDED:
        return {}
    classifier, info = metrics.train_classifier(dataset)
    x, y = data.load_arrays(dataset, "train")
    x_test, y_test = data.load_arrays(dataset, "test")
    labels = metrics.balanced_labels(num_classes, len(x), seed)
    samples = _unpadded(generate, dataset)(len(labels), seed, labels)
    extract = metrics.classifier_extractor(classifier)
    real_features, _ = extract(x)
    fake_features, probabilities = extract(samples)
    accuracy = metrics.conditional_accuracy(probabilities, labels, num_classes)
    intra = metrics.intra_class_fid(real_features, y, fake_features, labels)
    return {"conditional_accuracy": accuracy["accuracy"],
            "conditional_min_class_accuracy": accuracy["min_class_accuracy"],
            "conditional_per_class_accuracy": accuracy["per_class_accuracy"],
            "classifier_intra_fid": intra["intra_fid"], "classifier_per_class_fid": intra["per_class_fid"],
            "cas": metrics.classification_accuracy_score(samples, labels, x_test, y_test, num_classes,
                                                         info["epochs"], info["seed"]),
            "cas_of_real_training_data": info["test_accuracy"], "conditional_samples": len(samples)}


def _unpadded(generate, dataset: str):
    """`generate` with its samples cut back to the embedded set's own size (`data.unpadded`)."""
    return lambda *args, **kwargs: data.unpadded(generate(*args, **kwargs), dataset)


def missing_network(config) -> str:
    """Why the run's images will not be scored ("" when they will): the FID Inception's
    weights file is missing, which a run says before it trains, not after."""
    if not config.eval.num_samples or config.dataset in (*data.TOYS, data.STACKED):
        return ""
    if feature_network(config.eval.network, config.dataset) != "inception_fid":
        return ""
    try:
        metrics.inception.checked_weights(config.eval.inception_weights or None)
    except metrics.InceptionUnavailable as error:
        return str(error)
    return ""


def evaluate(gan, config, cache_dir: str = "") -> dict:
    """The final figures of a run: `evaluate_samples` (of a conditional GAN, on classes
    drawn uniformly; with `ema_decay`, of the averaged generator and, under
    "without_ema", of the live one) on `config.eval.network`'s features, `evaluate_conditional`
    for a conditional GAN, and the semi-supervised GAN's test error beside its labels-only
    baseline. A folder's real images are read from its cache in `cache_dir` (where the run
    trained on them) unless config.cache_dir says otherwise."""
    seed = config.seed + 12345
    score = functools.partial(evaluate_samples, dataset=config.dataset, num_samples=config.eval.num_samples,
                              seed=seed, network=config.eval.network, real=RealImages.of(config, cache_dir),
                              inception_weights=config.eval.inception_weights or None)
    figures = score(gan.generate)
    if gan.ema_decay and figures:  # the same run's live generator beside its average
        figures["without_ema"] = score(functools.partial(gan.generate, average=False))
    if gan.conditional and config.eval.num_samples and config.dataset in data.EMBEDDED:
        figures.setdefault("eval", {}).update(
            evaluate_conditional(gan.generate, config.dataset, gan.num_classes, seed))
    if config.dataset in data.EMBEDDED and gan.own_evaluation:
        figures.setdefault("eval", {}).update(OWN_EVALUATIONS[gan.own_evaluation][0](gan, config))
    return figures


def evaluation_figures(gan, config) -> dict[str, str]:
    """{"eval/..." tag: description} of the figures `evaluate` writes for this run,
    headline figures first: the HParams dashboard's metric columns."""
    if config.dataset in data.TOYS:
        return callbacks.DENSITY_FIGURES if config.dataset == "gauss1d" else callbacks.MODE_FIGURES
    figures = {}
    if config.dataset in data.EMBEDDED and gan.own_evaluation:
        figures.update(OWN_EVALUATIONS[gan.own_evaluation][1])
    if config.dataset == data.STACKED and config.eval.num_samples:
        figures.update(callbacks.STACKED_MNIST_FIGURES)
    network = feature_network(config.eval.network, config.dataset)
    if config.dataset != data.STACKED and config.eval.num_samples:
        fid, *others = (callbacks.CLASSIFIER_FIGURES if network == "classifier" else
                        callbacks.INCEPTION_FIGURES).items()
        conditional = gan.conditional and config.dataset in data.EMBEDDED
        figures.update([fid, *(callbacks.CONDITIONAL_FIGURES.items() if conditional else ()), *others])
    return figures


def semi_supervised_errors(gan, config) -> dict:
    """Test error of the semi-supervised GAN's classifier on the held-out split, next to
    the same discriminator architecture trained on the labelled examples alone (same
    split, same labels, same optimizer and number of updates)."""
    x_test, y_test = data.load_arrays(config.dataset, "test")
    x, y = data.load_arrays(config.dataset, "train")
    # On the square the classifier trained on (`image_size` pads the digits).
    x_test, x = (data.padded(a, config.image_size, config.dataset) for a in (x_test, x))
    y = data.pipeline.keep_labels(y, config.labels_per_class, config.seed) if config.labels_per_class else y
    x, y = x[y >= 0], y[y >= 0]
    keras.utils.set_random_seed(config.seed)
    baseline = keras.models.clone_model(gan.classifier)  # same architecture, fresh weights
    baseline.compile(make_optimizer(config.d_optimizer),
                     keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    batch = min(config.labelled_batch_size or config.train.batch_size, len(x))
    steps = callbacks.global_step(gan) * config.model.d_steps
    passes = max(1, steps * batch // len(x))
    # Up to 100 passes per Keras epoch: 100 labels make one-batch epochs otherwise, whose
    # per-epoch overhead outweighs the updates.
    repeats = min(passes, 100)
    baseline.fit(np.tile(x, (repeats,) + (1,) * (x.ndim - 1)), np.tile(y, repeats), batch_size=batch,
                 epochs=max(1, passes // repeats), verbose=0)

    def error(model):
        return float(np.mean(np.argmax(model.predict(x_test, verbose=0), -1) != y_test))

    return {"test_error": error(gan.classifier), "labels_only_test_error": error(baseline),
            "labelled_examples": len(x), "test_examples": len(x_test)}


# The evaluations a variant may declare as its own (`BaseGAN.own_evaluation`): the
# function, and the figures it writes as declared to TensorBoard's HParams.
OWN_EVALUATIONS = {"classifier_test_error": (semi_supervised_errors, callbacks.SEMI_SUPERVISED_FIGURES)}
