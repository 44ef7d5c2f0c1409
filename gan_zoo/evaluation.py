"""The final figures of a run, and which of them a run writes (`evaluation_figures`)."""

import functools

import keras
import numpy as np

from gan_zoo import callbacks, data, metrics
from gan_zoo.build import make_optimizer


def evaluate_samples(generate, dataset: str, num_samples: int, seed: int) -> dict:
    """Quality figures of a generator, given as `generate(n, seed) -> samples`.

    Toy mixtures: mode coverage of 2500 samples, and their precision / recall / density /
    coverage against as many draws of the mixture; gauss1d: their mean and std; embedded
    image sets: FID / KID / score and precision / recall / density / coverage of
    `num_samples` images over the features of a
    classifier trained on the data set's train split (cached), against as many real train
    images; Stacked MNIST: the digit triples of `num_samples` images read by the
    mnist_subset classifier. Other data sets: {} (they need InceptionV3, see
    tools/evaluate.py).
    """
    if dataset in data.TOYS:
        samples = generate(metrics.NUM_SAMPLES, seed)
        if dataset == "gauss1d":
            return {"mean": float(samples.mean()), "std": float(samples.std())}
        real, _ = data.load_arrays(dataset, "train", seed=seed)
        return {"modes": {**metrics.mode_metrics(samples, dataset),
                          **metrics.manifold_metrics(real[:len(samples)], samples)}}
    if dataset == data.STACKED and num_samples:
        classifier, info = metrics.train_classifier("mnist_subset")
        modes = metrics.stacked_mnist_modes(generate(num_samples, seed), classifier)
        return {"eval": {"stacked_mnist": modes, "classifier_test_accuracy": info["test_accuracy"]}}
    if dataset in data.EMBEDDED and num_samples:
        classifier, info = metrics.train_classifier(dataset)
        real, _ = data.load_arrays(dataset, "train")
        n = min(num_samples, len(real))
        scores = metrics.image_metrics(generate(n, seed), real[:n],
                                       metrics.classifier_extractor(classifier), "classifier")
        return {"eval": {**scores, "classifier_test_accuracy": info["test_accuracy"]}}
    return {}


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
    samples = generate(len(labels), seed, labels)
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


def evaluate(gan, config) -> dict:
    """The final figures of a run: `evaluate_samples` (of a conditional GAN, on classes
    drawn uniformly; with `ema_decay`, of the averaged generator and, under
    "without_ema", of the live one), `evaluate_conditional` for a conditional GAN, and
    the semi-supervised GAN's test error beside its labels-only baseline."""
    seed = config.seed + 12345
    figures = evaluate_samples(gan.generate, config.dataset, config.eval.num_samples, seed)
    if gan.ema_decay:  # the same run's live generator beside its average
        figures["without_ema"] = evaluate_samples(functools.partial(gan.generate, average=False),
                                                  config.dataset, config.eval.num_samples, seed)
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
    if config.dataset in data.EMBEDDED and config.eval.num_samples:
        fid, *others = callbacks.CLASSIFIER_FIGURES.items()
        figures.update([fid, *(callbacks.CONDITIONAL_FIGURES.items() if gan.conditional else ()), *others])
    return figures


def semi_supervised_errors(gan, config) -> dict:
    """Test error of the semi-supervised GAN's classifier on the held-out split, next to
    the same discriminator architecture trained on the labelled examples alone (same
    split, same labels, same optimizer and number of updates)."""
    x_test, y_test = data.load_arrays(config.dataset, "test")
    x, y = data.load_arrays(config.dataset, "train")
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
