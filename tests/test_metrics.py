"""Metrics against known answers: closed forms and hand-counted sample sets."""

import numpy as np
import pytest

from gan_zoo import data, evaluation, metrics


def test_fid_of_two_gaussians_matches_the_closed_form():
    # Diagonal covariances: FID = ||mu1 - mu2||^2 + sum (s1 + s2 - 2 sqrt(s1 s2)).
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 0.25]), np.array([4.0, 1.0, 1.0])
    expected = 1.0 + 4.0 + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    assert metrics.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected)
    rng = np.random.default_rng(0)
    x = rng.normal(mu1, np.sqrt(s1), size=(200_000, 3))
    y = rng.normal(mu2, np.sqrt(s2), size=(200_000, 3))
    assert metrics.fid(x, y) == pytest.approx(expected, rel=0.02)


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(1).normal(size=(500, 16))
    assert metrics.fid(x, x) == pytest.approx(0.0, abs=1e-6)


def test_kid_is_unbiased():
    rng = np.random.default_rng(2)
    same = metrics.kid(rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8)), num_subsets=50,
                       subset_size=200)
    shifted = metrics.kid(rng.normal(size=(1000, 8)), rng.normal(0.5, 1, size=(1000, 8)),
                          num_subsets=50, subset_size=200)
    assert abs(same[0]) < 3 * same[1] / np.sqrt(50) + 1e-3  # about 0 on average
    assert shifted[0] > 10 * abs(same[0]) and shifted[0] > 0.05


def test_inception_score_of_confident_even_predictions_is_the_class_count():
    probs = np.eye(10)[np.arange(1000) % 10]
    assert metrics.inception_score(probs, splits=10)[0] == pytest.approx(10.0, rel=1e-6)
    assert metrics.inception_score(np.full((100, 10), 0.1), splits=1)[0] == pytest.approx(1.0)


def test_mode_metrics_on_constructed_samples():
    modes = data.toy_spec("ring8").modes
    # 4 modes hit exactly, twice as often for mode 0; 2 samples far from any mode.
    samples = np.concatenate([modes[[0, 0, 1, 2, 3]], [[0.0, 0.0], [3.0, 3.0]]])
    result = metrics.mode_metrics(samples, "ring8")
    assert result["modes"] == 4 and result["num_modes"] == 8
    assert result["high_quality"] == pytest.approx(5 / 7)
    q = np.array([2, 1, 1, 1]) / 5
    assert result["reverse_kl"] == pytest.approx(np.sum(q * np.log(q * 8)))
    # 2.9 std from a mode counts, 3.1 std does not.
    std = data.toy_spec("ring8").std
    near = metrics.mode_metrics(modes[:1] + [[2.9 * std, 0]], "ring8")
    far = metrics.mode_metrics(modes[:1] + [[3.1 * std, 0]], "ring8")
    assert (near["modes"], far["modes"]) == (1, 0)
    assert far["reverse_kl"] == float("inf")


def test_mode_metrics_of_the_real_distribution():
    x, _ = data.load_arrays("grid25", seed=3)
    result = metrics.mode_metrics(x[:2500], "grid25")
    assert result["modes"] == 25 and result["high_quality"] > 0.98 and result["reverse_kl"] < 0.02


# -- precision, recall, density, coverage on hand-built point sets ----------------------


def test_manifold_metrics_of_identical_sets():
    x = np.random.default_rng(0).normal(size=(300, 8))
    figures = metrics.manifold_metrics(x, x.copy(), k=3)
    # Every point lies in its own ball and its 3 neighbours': density (k + 1) / k.
    assert figures == pytest.approx({"precision": 1.0, "recall": 1.0, "density": 4 / 3, "coverage": 1.0})


def test_manifold_metrics_of_disjoint_sets_are_zero():
    x = np.random.default_rng(0).normal(size=(300, 8))
    assert metrics.manifold_metrics(x, x + 100.0) == {"precision": 0.0, "recall": 0.0, "density": 0.0,
                                                      "coverage": 0.0}


def test_manifold_metrics_of_a_subset_counted_by_hand():
    """Real points 0..9 on a line, generated points 0..4, k = 1: every ball has radius 1.
    Precision 5/5 (all inside); recall: the real points within 1 of a generated one, 0..5,
    6/10; coverage: real balls holding a generated point, again 0..5; density: the real
    balls holding 0 are those of 0 and 1, each of 1..4 lies in 3, so (2 + 4 * 3) / (1 * 5)."""
    real, fake = np.arange(10.0)[:, None], np.arange(5.0)[:, None]
    assert metrics.manifold_metrics(real, fake, k=1) == pytest.approx(
        {"precision": 1.0, "recall": 0.6, "density": 2.8, "coverage": 0.6})
    # Swapped, the subset is the real set: all of it is covered, half the samples are on it.
    swapped = metrics.manifold_metrics(fake, real, k=1)
    assert (swapped["precision"], swapped["recall"], swapped["coverage"]) == (0.6, 1.0, 1.0)


def test_coverage_ignores_an_outlier_that_inflates_recall():
    """Naeem et al.'s motivation: one far generated point gets a huge k-NN ball that holds
    every real point (recall 1), while coverage counts only real neighbourhoods."""
    rng = np.random.default_rng(0)
    real = rng.normal(size=(200, 2))
    fake = np.concatenate([rng.normal(size=(3, 2)) * 0.01, [[50.0, 50.0]]])
    figures = metrics.manifold_metrics(real, fake, k=3)
    assert figures["recall"] == 1.0 and figures["coverage"] < 0.1


def test_classifier_is_accurate_cached_and_separates_real_from_noise(tmp_path):
    classifier, info = metrics.train_classifier("digits", epochs=20, directory=str(tmp_path))
    assert info["test_accuracy"] > 0.9 and info["test_examples"] == 179
    again, info_again = metrics.train_classifier("digits", epochs=20, directory=str(tmp_path))
    assert info_again == info  # loaded from the cache, not retrained
    train_x, _ = data.load_arrays("digits", "train")
    test_x, _ = data.load_arrays("digits", "test")
    extract = metrics.classifier_extractor(again)
    noise = np.random.default_rng(0).uniform(-1, 1, size=test_x.shape).astype("float32")
    real = metrics.image_metrics(test_x, train_x[:179], extract, "classifier")
    fake = metrics.image_metrics(noise, train_x[:179], extract, "classifier")
    assert real["classifier_fid"] < 0.2 * fake["classifier_fid"]
    assert real["classifier_score"] > 2 * fake["classifier_score"]


def test_the_shipped_mnist_subset_classifier_is_loaded_not_trained(tmp_path, monkeypatch):
    """Every machine and backend scores with the same feature space: the shipped weights
    (made on JAX on CPU, 97.6% on the 500 held-out digits), never a local training."""
    monkeypatch.setenv("GAN_ZOO_CACHE", str(tmp_path))
    monkeypatch.setattr(metrics.features, "fit_classifier", None)  # training would fail here
    classifier, info = metrics.train_classifier("mnist_subset")
    assert info["test_accuracy"] == pytest.approx(0.976) and info["test_examples"] == 500
    assert info["reference"] == "classifier_mnist_subset.npz" and not list(tmp_path.iterdir())
    x_test, y_test = data.load_arrays("mnist_subset", "test")
    predicted = np.argmax(classifier.predict(x_test, verbose=0), axis=-1)
    assert np.mean(predicted == y_test) == pytest.approx(info["test_accuracy"])  # the weights, as recorded
    assert classifier.get_layer("features").output.shape[-1] == 128


def test_stacked_mnist_modes_count_real_triples_and_catch_collapse():
    classifier, info = metrics.train_classifier("mnist_subset")
    real, _ = data.load_arrays("stacked_mnist", "test")
    figures = metrics.stacked_mnist_modes(real, classifier)
    # 10,000 draws over 1000 equally likely triples: all but ~0.005% of modes appear.
    assert figures["num_modes"] == 1000 and figures["modes"] >= 990
    assert figures["reverse_kl"] < 0.1
    collapsed = metrics.stacked_mnist_modes(np.repeat(real[:1], 500, axis=0), classifier)
    assert collapsed["modes"] == 1 and collapsed["reverse_kl"] == pytest.approx(np.log(1000))
    with pytest.raises(ValueError, match="Stacked MNIST samples are"):
        metrics.stacked_mnist_modes(real[..., :1], classifier)


def test_samples_padded_to_a_larger_square_are_scored_as_their_digits():
    """A run that padded the digits (image_size=32) is scored on its samples cut back to
    the digits' 28 px: the same figures as for the digits unpadded."""
    triples, _ = data.load_arrays("stacked_mnist", "test")
    digits, _ = data.load_arrays("mnist_subset", "test")
    for dataset, images, count in (("stacked_mnist", triples, 500), ("mnist_subset", digits, 200)):
        def generate(n, seed, x=images, name=dataset):
            return data.padded(x[:n], 32, name)

        padded = evaluation.evaluate_samples(generate, dataset, count, 0)["eval"]
        plain = evaluation.evaluate_samples(lambda n, seed, x=images: x[:n], dataset, count, 0)["eval"]
        assert padded == plain
    assert padded["classifier_fid"] < 20 and padded["feature_network"].startswith("the project's classifier")


def test_kernel_distance_refuses_features_too_wide_to_stream():
    with pytest.raises(ValueError, match="at most 160"):
        metrics.KernelDistance(2048)


# -- label-aware metrics of conditional GANs ------------------------------------------------


def test_conditional_accuracy_counts_by_hand():
    probabilities = np.eye(3)[[0, 1, 2, 2, 1, 0]]
    labels = np.array([0, 1, 2, 0, 1, 1])  # right, right, right, wrong, right, wrong
    figures = metrics.conditional_accuracy(probabilities, labels, 3)
    assert figures["accuracy"] == pytest.approx(4 / 6)
    assert figures["per_class_accuracy"] == pytest.approx([1 / 2, 2 / 3, 1.0])
    assert figures["min_class_accuracy"] == pytest.approx(0.5)


def test_intra_class_fid_catches_good_samples_of_the_wrong_class():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    real_labels = np.repeat(np.arange(3), 400)
    real = centres[real_labels] + rng.normal(size=(1200, 2))
    same = metrics.intra_class_fid(real, real_labels, real, real_labels)
    assert same["intra_fid"] == pytest.approx(0.0, abs=1e-6)
    # The same images, each labelled one class on: FID over all classes stays 0, and each
    # class's FID is that of two unit Gaussians 5 or sqrt(50) apart (||mu1 - mu2||^2).
    swapped = metrics.intra_class_fid(real, real_labels, real, (real_labels + 1) % 3)
    assert metrics.fid(real, real) == pytest.approx(0.0, abs=1e-6)
    assert swapped["per_class_fid"] == pytest.approx([25.0, 25.0, 50.0], rel=0.05)
    with pytest.raises(ValueError, match="at least 2 samples of every class"):
        metrics.intra_class_fid(real, real_labels, real[:2], np.array([0, 1]))


def test_classification_accuracy_score_is_high_on_real_digits_and_zero_on_shifted_labels():
    """CAS of the real training digits is the real classifier's accuracy; the same
    images labelled one class on teach the classifier the wrong map."""
    x, y = data.load_arrays("digits", "train")
    x_test, y_test = data.load_arrays("digits", "test")
    right = metrics.classification_accuracy_score(x, y, x_test, y_test, 10)
    wrong = metrics.classification_accuracy_score(x, (y + 1) % 10, x_test, y_test, 10)
    assert right > 0.9
    assert wrong < 0.05
    assert sorted(np.bincount(metrics.balanced_labels(10, 95, seed=0))) == [9] * 5 + [10] * 5
