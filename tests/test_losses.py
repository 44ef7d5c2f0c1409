"""Each loss against values computed by hand from its paper's formula."""

import numpy as np
import pytest
from keras import ops

from gan_zoo import backends, losses

pytestmark = pytest.mark.backends("jax", "torch")

REAL = np.array([[2.0], [-1.0]], np.float32)  # logits, shape [batch, 1] as D returns them
FAKE = np.array([[0.5], [-3.0]], np.float32)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_minimax_discriminator_loss_is_negative_log_likelihood():
    expected = -np.log(sigmoid(REAL[:, 0])) - np.log(1.0 - sigmoid(FAKE[:, 0]))
    np.testing.assert_allclose(losses.minimax_discriminator_loss(REAL, FAKE), expected, rtol=1e-5)


def test_one_sided_label_smoothing_changes_only_real_targets():
    s = 0.1
    expected = (-(1 - s) * np.log(sigmoid(REAL[:, 0])) - s * np.log(1 - sigmoid(REAL[:, 0]))
                - np.log(1.0 - sigmoid(FAKE[:, 0])))
    np.testing.assert_allclose(losses.minimax_discriminator_loss(REAL, FAKE, s), expected, rtol=1e-5)


def test_generator_losses():
    d = sigmoid(FAKE[:, 0])
    np.testing.assert_allclose(losses.minimax_generator_loss(FAKE), np.log(1 - d), rtol=1e-5)
    np.testing.assert_allclose(losses.non_saturating_generator_loss(FAKE), -np.log(d), rtol=1e-5)


def test_non_saturating_gradient_is_strong_where_minimax_saturates():
    logits = ops.convert_to_tensor([[-8.0]])  # D confidently rejects the sample
    grads = [abs(float(backends.current().input_gradient(loss, logits)[0, 0]))
             for loss in (losses.minimax_generator_loss, losses.non_saturating_generator_loss)]
    assert grads[0] < 1e-3 < 0.99 < grads[1]


def test_least_squares_losses():
    np.testing.assert_allclose(losses.least_squares_discriminator_loss(REAL, FAKE),
                               0.5 * (REAL[:, 0] - 1) ** 2 + 0.5 * FAKE[:, 0] ** 2)
    np.testing.assert_allclose(losses.least_squares_generator_loss(FAKE), 0.5 * (FAKE[:, 0] - 1) ** 2)


def test_wasserstein_and_hinge_losses():
    np.testing.assert_allclose(losses.wasserstein_critic_loss(REAL, FAKE), FAKE[:, 0] - REAL[:, 0])
    np.testing.assert_allclose(losses.wasserstein_generator_loss(FAKE), -FAKE[:, 0])
    np.testing.assert_allclose(losses.hinge_discriminator_loss(REAL, FAKE),
                               np.maximum(0, 1 - REAL[:, 0]) + np.maximum(0, 1 + FAKE[:, 0]))
    np.testing.assert_allclose(losses.hinge_generator_loss(FAKE), -FAKE[:, 0])


def test_energy_losses():
    x = np.zeros((2, 2, 2, 1), np.float32)
    r = (np.ones((2, 2, 2, 1)) * np.array([1.0, 3.0]).reshape(2, 1, 1, 1)).astype(np.float32)
    energy = losses.reconstruction_energy(x, r)
    np.testing.assert_allclose(energy, [1.0, 9.0])
    np.testing.assert_allclose(losses.energy_discriminator_loss(energy, np.float32([4.0, 20.0]), 10.0),
                               [1.0 + 6.0, 9.0 + 0.0])


def test_pulling_away_term_excludes_the_diagonal():
    orthogonal = np.eye(4, dtype=np.float32)
    assert float(losses.pulling_away_term(orthogonal)) == pytest.approx(0.0, abs=1e-7)
    identical = np.ones((3, 5), np.float32)  # every off-diagonal cosine is 1
    assert float(losses.pulling_away_term(identical)) == pytest.approx(1.0, rel=1e-6)
    # Hand computed: S = [[1,0],[1,1]]; cos^2 = 1/2 for both off-diagonal pairs.
    assert float(losses.pulling_away_term(np.float32([[1.0, 0.0], [1.0, 1.0]]))) == pytest.approx(0.5)


def test_feature_matching_loss_compares_batch_means():
    real = np.float32([[1.0, 2.0], [3.0, 4.0]])  # mean (2, 3)
    fake = np.float32([[0.0, 0.0], [2.0, 2.0]])  # mean (1, 1)
    assert float(losses.feature_matching_loss(real, fake)) == pytest.approx(1.0 + 4.0)


def test_gradient_penalty_of_a_linear_critic():
    # D(x) = w.x has gradient w everywhere: penalty (||w|| - 1)^2 = (5 - 1)^2 per sample.
    w = np.float32([[3.0], [4.0]])

    def critic(x, training=True):
        return ops.matmul(x, w)

    real, fake = np.ones((3, 2), np.float32), np.zeros((3, 2), np.float32)
    epsilon = np.float32([0.1, 0.5, 0.9])
    penalty = losses.gradient_penalty(backends.current().input_gradient, critic, real, fake, epsilon)
    np.testing.assert_allclose(penalty, [16.0, 16.0, 16.0], rtol=1e-5)


def test_r1_and_r2_match_finite_differences_on_a_small_network():
    """1/2 ||grad D(x)||^2 against central differences of a nonlinear D, on each point."""
    import keras

    from gan_zoo import models, networks

    g, d = networks.build_networks("mlp", (3,), 2, is_image=False, hidden_units=(16,))
    gan = models.BaseGAN(g, d, latent_dim=2, seed=0, penalties={"r1": 10.0, "r2": 1.0})
    real = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    fake = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)

    def by_differences(x, h=1e-3):
        gradients = np.zeros_like(x, np.float64)
        for j in range(x.shape[1]):
            step = np.zeros_like(x)
            step[:, j] = h
            up = keras.ops.convert_to_numpy(gan.critic(x + step, training=True)).ravel()
            down = keras.ops.convert_to_numpy(gan.critic(x - step, training=True)).ravel()
            gradients[:, j] = (up.astype(np.float64) - down) / (2 * h)
        return 0.5 * np.sum(gradients ** 2, axis=1)

    from gan_zoo.models.penalties import PENALTIES

    r1 = keras.ops.convert_to_numpy(PENALTIES["r1"](gan, real, fake))
    r2 = keras.ops.convert_to_numpy(PENALTIES["r2"](gan, real, fake))
    np.testing.assert_allclose(r1, by_differences(real), rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(r2, by_differences(fake), rtol=2e-3, atol=1e-6)
    assert not np.allclose(r1, r2)


def test_dragan_matches_finite_differences_at_the_perturbed_points():
    """(||grad D(x + delta)|| - 1)^2 against central differences of a nonlinear D."""
    import keras

    from gan_zoo import networks

    _, d = networks.build_networks("mlp", (3,), 2, is_image=False, hidden_units=(16,))
    real = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    delta = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    penalty = keras.ops.convert_to_numpy(losses.perturbed_gradient_penalty(
        backends.current().input_gradient, lambda x, training: d(x, training=training), real, delta))
    x, h = real + delta, 1e-3

    def d_of(points):
        return keras.ops.convert_to_numpy(d(points)).ravel().astype(np.float64)

    gradients = np.stack([(d_of(x + h * e) - d_of(x - h * e)) / (2 * h) for e in np.eye(3, dtype=np.float32)],
                         axis=1)
    np.testing.assert_allclose(penalty, (np.linalg.norm(gradients, axis=1) - 1) ** 2, rtol=2e-3, atol=1e-6)


def test_dragan_perturbs_real_data_with_variance_c():
    """With D(x) = ||x||^2 / 2 the gradient at x + delta is x + delta; at x = 0 in 400
    dimensions ||delta||^2 / 400 estimates c, so the penalty says which c was drawn."""
    import keras

    from gan_zoo import models, networks

    g, _ = networks.build_networks("mlp", (400,), 2, is_image=False, hidden_units=(4,))
    d = keras.Sequential([keras.Input((400,)), keras.layers.Lambda(
        lambda x: 0.5 * keras.ops.sum(keras.ops.square(x), axis=1, keepdims=True))])
    real, fake = np.zeros((64, 400), np.float32), np.zeros((64, 400), np.float32)
    for c in (0.25, 10.0):
        gan = models.BaseGAN(g, d, latent_dim=2, seed=0, penalties={"dragan": 10.0},
                             penalty_options={"perturbation_variance": c})
        penalty = keras.ops.convert_to_numpy(gan._penalties["dragan"](gan, real, fake))
        norms = np.sqrt(penalty) + 1  # ||delta|| >> 1
        assert np.mean(norms ** 2) / 400 == pytest.approx(c, rel=0.03)
