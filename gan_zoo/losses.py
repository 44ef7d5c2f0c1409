"""The papers' losses as pure functions.

Every function takes logits or scores (never probabilities) and returns one value per
example, shape [batch], so that a model can average it over the global batch and get gradients that are
correct when the batch is split across devices. Discriminator outputs of shape
[batch, 1] are accepted. Written in `keras.ops`: they run on every Keras backend.

`LOSS_PAIRS` names each paper's pair (D's loss, G's loss) for `BaseGAN(loss=...)`, as
compare_gan's `loss_lib` and TF-GAN's `gan_loss` make the loss a choice of its own.
"""

import dataclasses
from collections.abc import Callable

from keras import ops

from gan_zoo.values import bind_options, keyword_options


def _flat(logits):
    return ops.reshape(logits, (-1,))


def _sigmoid_xent(target: float, logits):
    """-[t log sigmoid(l) + (1 - t) log(1 - sigmoid(l))] = softplus(l) - t l."""
    return ops.softplus(logits) - target * logits


# --- Goodfellow et al. 2014, "Generative Adversarial Nets" -------------------------


def minimax_discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """-[log D(x) + log(1 - D(G(z)))], per pair (x_i, z_i).

    Goodfellow et al. 2014, eq. 1 (the discriminator ascends V(D, G)). With
    `label_smoothing` = s > 0 the real target is 1 - s and fake targets stay 0: the
    one-sided smoothing of Salimans et al. 2016, section 3.4.
    """
    real_logits, fake_logits = _flat(real_logits), _flat(fake_logits)
    return _sigmoid_xent(1.0 - label_smoothing, real_logits) + _sigmoid_xent(0.0, fake_logits)


def minimax_generator_loss(fake_logits):
    """log(1 - D(G(z))), minimised by G: the game of Goodfellow et al. 2014, eq. 1.

    Saturates when D rejects samples confidently; kept for faithfulness to the paper.
    """
    return -ops.softplus(_flat(fake_logits))


def non_saturating_generator_loss(fake_logits):
    """-log D(G(z)): the heuristic of Goodfellow et al. 2014, section 3.

    Same fixed point as the minimax loss but strong gradients early in training.
    """
    return ops.softplus(-_flat(fake_logits))


# --- Mao et al. 2017, "Least Squares Generative Adversarial Networks" --------------


def least_squares_discriminator_loss(real_scores, fake_scores, a: float = 0.0, b: float = 1.0):
    """1/2 (D(x) - b)^2 + 1/2 (D(G(z)) - a)^2 (Mao et al. 2017, eq. 2)."""
    return 0.5 * ops.square(_flat(real_scores) - b) + 0.5 * ops.square(_flat(fake_scores) - a)


def least_squares_generator_loss(fake_scores, c: float = 1.0):
    """1/2 (D(G(z)) - c)^2 (Mao et al. 2017, eq. 2)."""
    return 0.5 * ops.square(_flat(fake_scores) - c)


# --- Wasserstein GAN (Arjovsky et al. 2017) and WGAN-GP (Gulrajani et al. 2017) ----


def wasserstein_critic_loss(real_scores, fake_scores):
    """D(G(z)) - D(x): the critic maximises E D(x) - E D(G(z)) (Arjovsky et al., Alg. 1)."""
    return _flat(fake_scores) - _flat(real_scores)


def wasserstein_generator_loss(fake_scores):
    """-D(G(z)) (Arjovsky et al. 2017, Algorithm 1, line 10)."""
    return -_flat(fake_scores)


def interpolate(real, fake, epsilon):
    """x_hat = eps x + (1 - eps) G(z), one eps per sample (`epsilon` of shape [batch])."""
    epsilon = ops.reshape(ops.cast(epsilon, real.dtype), (-1,) + (1,) * (len(real.shape) - 1))
    return epsilon * real + (1.0 - epsilon) * fake


def gradient_norm_penalty(gradients, target: float = 1.0):
    """(||g||_2 - target)^2 per example, g = grad_x D(x) of shape [batch, ...]."""
    axes = tuple(range(1, len(gradients.shape)))
    return ops.square(ops.sqrt(ops.sum(ops.square(gradients), axis=axes) + 1e-12) - target)


def gradient_penalty(input_gradient, critic, real, fake, epsilon):
    """(||grad_x_hat D(x_hat)||_2 - 1)^2 with x_hat = eps x + (1 - eps) G(z).

    Gulrajani et al. 2017, Algorithm 1, lines 6-7. `epsilon` must hold one U[0, 1]
    draw per sample, shape [batch]: a single scalar for the batch is the known trap.
    `input_gradient(fn, x)` is the backend's d sum(fn(x)) / dx
    (`gan_zoo.backends.backends.current().input_gradient`).
    """
    x_hat = interpolate(real, fake, epsilon)
    return gradient_norm_penalty(input_gradient(lambda x: critic(x, training=True), x_hat))


def perturbed_gradient_penalty(input_gradient, critic, real, perturbation, target: float = 1.0):
    """(||grad_x D(x + delta)||_2 - k)^2 per example, at real data moved by `perturbation`
    delta (same shape as `real`).

    Kodali et al. 2017 ("On Convergence and Stability of GANs", DRAGAN), section 5: the
    penalty lambda E_{x ~ P_r, delta ~ N(0, cI)} [||grad_x D(x + delta)|| - k]^2, which
    keeps D's gradients bounded around the data manifold, where mode collapse begins.
    `input_gradient(fn, x)` is the backend's d sum(fn(x)) / dx.
    """
    x = ops.convert_to_tensor(real)
    x = x + ops.cast(perturbation, x.dtype)
    gradients = input_gradient(lambda inputs: critic(inputs, training=True), x)
    return gradient_norm_penalty(gradients, target)


# --- Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?" --


def zero_centred_gradient_penalty(input_gradient, critic, x):
    """1/2 ||grad_x D(x)||_2^2 per example: R1 on real data, R2 on generated data
    (Mescheder et al. 2018, eqs. 9 and 10; the weight is their gamma). D is the
    discriminator's logit (or score), as in the paper. `input_gradient(fn, x)` is the
    backend's d sum(fn(x)) / dx."""
    gradients = input_gradient(lambda inputs: critic(inputs, training=True), ops.convert_to_tensor(x))
    axes = tuple(range(1, len(gradients.shape)))
    return 0.5 * ops.sum(ops.square(gradients), axis=axes)


# --- Miyato et al. 2018 / Lim & Ye 2017: hinge loss --------------------------------


def hinge_discriminator_loss(real_logits, fake_logits):
    """max(0, 1 - D(x)) + max(0, 1 + D(G(z))) (Miyato et al. 2018, eq. 16)."""
    return ops.relu(1.0 - _flat(real_logits)) + ops.relu(1.0 + _flat(fake_logits))


def hinge_generator_loss(fake_logits):
    """-D(G(z)) (Miyato et al. 2018, eq. 17)."""
    return -_flat(fake_logits)


# --- Zhao et al. 2017, "Energy-based Generative Adversarial Network" ---------------


def reconstruction_energy(inputs, reconstructions):
    """D(x) = ||Dec(Enc(x)) - x||^2 averaged over pixels (Zhao et al. 2017, eq. 11)."""
    axes = tuple(range(1, len(inputs.shape)))
    return ops.mean(ops.square(reconstructions - inputs), axis=axes)


def energy_discriminator_loss(real_energy, fake_energy, margin: float = 10.0):
    """D(x) + [m - D(G(z))]^+ (Zhao et al. 2017, eq. 1; m = 10 is their MNIST margin)."""
    return _flat(real_energy) + ops.relu(margin - _flat(fake_energy))


def energy_generator_loss(fake_energy):
    """D(G(z)) (Zhao et al. 2017, eq. 2)."""
    return _flat(fake_energy)


def pulling_away_term(embeddings):
    """PT(S) = 1/(N(N-1)) sum_{i != j} (S_i^T S_j / (||S_i|| ||S_j||))^2.

    Zhao et al. 2017, eq. 12, over the encoder's embeddings S of a generated batch.
    The diagonal (i = j, always 1) is excluded: including it is the known trap.
    Returns a scalar: the term couples the whole batch.
    """
    flat = ops.reshape(embeddings, (ops.shape(embeddings)[0], -1))
    unit = flat / ops.sqrt(ops.maximum(ops.sum(ops.square(flat), axis=1, keepdims=True), 1e-12))
    cosine = ops.matmul(unit, ops.transpose(unit))
    n = ops.cast(ops.shape(flat)[0], flat.dtype)
    off_diagonal = ops.sum(ops.square(cosine)) - ops.sum(ops.square(ops.diagonal(cosine)))
    return off_diagonal / (n * (n - 1.0))


# --- Salimans et al. 2016, "Improved Techniques for Training GANs" -----------------


def feature_matching_loss(real_features, fake_features, real_weights=None):
    """||E f(x) - E f(G(z))||_2^2 on an intermediate layer f (Salimans et al., sec. 3.1).

    Returns a scalar: the loss compares batch means, not pairs of examples.
    `real_weights` ([batch]) weights the real examples' mean (e.g. the unlabelled ones).
    """
    axes = tuple(range(len(real_features.shape) - 1))
    if real_weights is None:
        real_mean = ops.mean(real_features, axis=axes)
    else:
        weights = ops.reshape(real_weights, (-1,) + (1,) * (len(real_features.shape) - 1))
        real_mean = ops.sum(real_features * weights, axis=axes) / ops.maximum(ops.sum(real_weights), 1e-12)
    fake_mean = ops.mean(fake_features, axis=axes)
    return ops.sum(ops.square(real_mean - fake_mean))


# --- Brock et al. 2019, "Large Scale GAN Training for High Fidelity Natural Image Synthesis"


def orthogonal_regularization(kernel):
    """R(W) = ||W^T W * (1 - I)||_F^2: BigGAN's orthogonal regularization (Brock et al.
    2019, eq. 3, with its weight beta left to the caller), which pushes the filters of W
    towards mutual orthogonality without constraining their norms.

    `kernel` is a Dense kernel [in, out] or a convolution's [..., in, out], taken as W of
    shape [prod(...) in, out], one column per filter; W^T W is then the [out, out] Gram
    matrix of the filters, the same as BigGAN's code forms from torch's [out, in ...]
    weights. Returns a scalar. Its gradient is 4 W (W^T W * (1 - I)); the authors' code adds
    2 W (W^T W * (1 - I)) to the gradient instead, so their beta = 1e-4 is beta = 5e-5 in
    the paper's formula, which is what this function is.
    """
    w = ops.reshape(kernel, (-1, kernel.shape[-1]))
    gram = ops.matmul(ops.transpose(w), w)
    off_diagonal = gram * (1.0 - ops.eye(kernel.shape[-1], dtype=gram.dtype))
    return ops.sum(ops.square(off_diagonal))


# --- The pairs, by name -------------------------------------------------------------


def _probabilities(real_logits, fake_logits):
    return {"d_real": ops.sigmoid(_flat(real_logits)), "d_fake": ops.sigmoid(_flat(fake_logits))}


def _scores(real_scores, fake_scores):
    return {"d_real": _flat(real_scores), "d_fake": _flat(fake_scores)}


def _wasserstein_estimate(real_scores, fake_scores):
    # Per example: the tracker's mean over the batch is E D(x) - E D(G(z)).
    return {"wasserstein": _flat(real_scores) - _flat(fake_scores)}


def _energies(real_energy, fake_energy):
    return {"real_energy": _flat(real_energy), "fake_energy": _flat(fake_energy)}


@dataclasses.dataclass(frozen=True)
class LossPair:
    """A paper's (discriminator loss, generator loss), what D's output means to them
    ("logits", "scores" or "energies"), and what to log of D's outputs on real and fake
    data (`summaries(real_out, fake_out)`: name -> per-example values)."""

    discriminator: Callable
    generator: Callable
    outputs: str
    summaries: Callable

    def options(self) -> list[str]:
        """The keyword options of the two losses (label_smoothing, a, b, c, margin)."""
        return [*keyword_options(self.discriminator, 2), *keyword_options(self.generator, 1)]

    def bind(self, options: dict) -> tuple[Callable, Callable]:
        """The two losses with `options` given to whichever of them takes each."""
        bound = bind_options({"discriminator": (self.discriminator, 2), "generator": (self.generator, 1)},
                             options, "loss_options", "this loss pair")
        return bound["discriminator"], bound["generator"]


LOSS_PAIRS = {
    "non_saturating": LossPair(minimax_discriminator_loss, non_saturating_generator_loss, "logits",
                               _probabilities),
    "minimax": LossPair(minimax_discriminator_loss, minimax_generator_loss, "logits", _probabilities),
    "least_squares": LossPair(least_squares_discriminator_loss, least_squares_generator_loss, "scores",
                              _scores),
    "hinge": LossPair(hinge_discriminator_loss, hinge_generator_loss, "scores", _scores),
    "wasserstein": LossPair(wasserstein_critic_loss, wasserstein_generator_loss, "scores",
                            _wasserstein_estimate),
    "energy": LossPair(energy_discriminator_loss, energy_generator_loss, "energies", _energies),
}
