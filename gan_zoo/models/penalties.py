"""Discriminator penalties, by name, for `BaseGAN(penalties={name: weight})`.

Each takes the GAN (for its stepper's input gradients, its noise and its critic), a real
minibatch, as many generated samples and their labels (None when the GAN is not
conditional; the gradient is in x, the label held fixed), and returns the unweighted penalty per
example; the base adds weight * penalty to D's per-example loss and logs the penalty
under its name. As compare_gan's `penalty_lib`, a penalty is a choice of its own,
combinable with any loss pair. Keyword arguments after `labels` are the penalty's options
(`BaseGAN(penalty_options={...})`, `options_of`).
"""

import math

from keras import ops

from gan_zoo import losses
from gan_zoo.values import bind_options, is_number, keyword_options


def _critic(gan, labels):
    return lambda x, training=True: gan.critic(x, labels, training=training)


def gradient_penalty(gan, real, fake, labels=None):
    """(||grad D(x_hat)||_2 - 1)^2 at x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] per
    sample (Gulrajani et al. 2017, Algorithm 1; `losses.gradient_penalty`)."""
    epsilon = gan.uniform((ops.shape(real)[0],))
    return losses.gradient_penalty(gan.stepper.input_gradient, _critic(gan, labels), real, fake, epsilon)


def r1(gan, real, fake, labels=None):
    """R1 = 1/2 ||grad D(x)||^2 on real data (Mescheder et al. 2018, eq. 9); the penalty's
    weight is their gamma."""
    return losses.zero_centred_gradient_penalty(gan.stepper.input_gradient, _critic(gan, labels), real)


def r2(gan, real, fake, labels=None):
    """R2 = 1/2 ||grad D(G(z))||^2 on generated data (Mescheder et al. 2018, eq. 10);
    the penalty's weight is their gamma."""
    return losses.zero_centred_gradient_penalty(gan.stepper.input_gradient, _critic(gan, labels), fake)


def dragan(gan, real, fake, labels=None, perturbation_variance: float = 10.0):
    """(||grad D(x + delta)||_2 - 1)^2 with delta ~ N(0, c I) around real data x
    (Kodali et al. 2017, DRAGAN, section 5; `losses.perturbed_gradient_penalty`).

    `perturbation_variance` is their c, and the weight their lambda; the paper reports
    lambda ~ 10, c ~ 10 and k = 1 working well, the defaults here. The authors' code (and
    the ports in compare_gan and LynnHo's DRAGAN) perturb differently: a point drawn
    uniformly on the segment from x to x + 0.5 std(x) u, u ~ U[0, 1]^d, far closer to the
    data than the paper's c on images in [-1, 1]; set a smaller c for that regime.
    Measured on zoo_configs/gan_mnist_subset.py:paper (seed 0, TensorFlow, Zen 4 EPYC,
    lambda 10, classifier FID): c = 10 gave 24.1, worse than no penalty (19.7); c = 0.01,
    about the authors' scale on digits in [-1, 1], gave 9.4, as R1 (gamma 1) did (9.2).
    """
    delta = math.sqrt(float(perturbation_variance)) * gan.normal(ops.shape(real))
    return losses.perturbed_gradient_penalty(gan.stepper.input_gradient, _critic(gan, labels), real, delta)


PENALTIES = {"gradient_penalty": gradient_penalty, "r1": r1, "r2": r2, "dragan": dragan}


# -- Generator penalties, for `BaseGAN(generator_penalties={name: weight})`: each takes the
# GAN, the generated samples of G's step and their labels, and returns the unweighted
# penalty, a scalar; the base adds weight * penalty to G's objective and logs it under its
# name.


def generator_kernels(generator) -> list:
    """G's weight matrices: the kernels of its Dense and convolution layers (spectrally
    normalised ones included, as their W), not biases, norms' scales or embeddings."""
    return [w for w in generator.trainable_variables if w.path.endswith("kernel") and len(w.shape) >= 2]


def orthogonal(gan, fake, labels=None):
    """sum over G's kernels W of ||W^T W * (1 - I)||_F^2 (Brock et al. 2019, BigGAN, eq. 3;
    `losses.orthogonal_regularization`); the weight is their beta (1e-4)."""
    return sum(losses.orthogonal_regularization(ops.cast(w, "float32"))
               for w in generator_kernels(gan.generator))


PATH_LENGTH_DECAY = 0.01  # of the moving mean a (Karras et al. 2020, sec. 3.2)


def check_path_length_generator(generator):
    """The path length penalty differentiates G's synthesis network in w: G must be a
    `networks.StyleGAN2Generator` (or have its `styles` and `synthesis`)."""
    if not (hasattr(generator, "styles") and hasattr(generator, "synthesis")):
        raise ValueError("The path length penalty needs a generator with a mapping and a synthesis network "
                         "(networks.kind=\"stylegan2\"); this one maps z to images in one piece.")


def path_length(gan, fake, labels=None):
    """mean (||J_w^T y||_2 - a)^2 (Karras et al. 2020, StyleGAN2, eq. 4): J_w the Jacobian of
    the synthesis network in w (one w per layer, as in training: with style mixing),
    y ~ N(0, I) / sqrt(H W) an image of noise, a the moving mean of the lengths (decay
    0.01, `PATH_LENGTH_DECAY`; constant to the gradient, as the paper's "long-running
    average"), over half the batch (the authors' pl_batch_shrink 2). Their weight is 2,
    taken every 4th G step (`generator_penalty_interval`)."""
    generator = gan.generator
    n = max(1, ops.shape(fake)[0] // 2)
    ws = generator.styles(gan.sample_noise(n), training=True, update_average=False)
    height, width = fake.shape[1], fake.shape[2]
    y = gan.normal((n, *fake.shape[1:])) / math.sqrt(height * width)

    def projected(w, training=True):
        return ops.sum(ops.cast(generator.synthesis(w, training=True), "float32") * y, axis=(1, 2, 3))

    gradients = ops.cast(gan.stepper.input_gradient(projected, ws), "float32")  # [n, num_ws, w_dim]
    lengths = ops.sqrt(ops.mean(ops.sum(ops.square(gradients), axis=2), axis=1))
    previous = gan.path_length_mean.value
    mean = previous + PATH_LENGTH_DECAY * (ops.stop_gradient(ops.mean(lengths)) - previous)
    gan.path_length_mean.assign(mean)
    return ops.mean(ops.square(lengths - mean))


GENERATOR_PENALTIES = {"orthogonal": orthogonal, "path_length": path_length}
# The penalties whose objective holds an input gradient, so that the update differentiates twice.
DIFFERENTIATE_TWICE = (*PENALTIES, "path_length")


def options_of(name: str) -> dict:
    """{option: default} of penalty `name`: its keyword arguments after `labels`."""
    return keyword_options(PENALTIES[name], 4)


def options_taken(names) -> set[str]:
    """The options that any of the penalties `names` takes."""
    return {option for name in names for option in options_of(name)}


def bind(weights: dict, options: dict) -> dict:
    """{name: fn(gan, real, fake, labels)} of the penalties in `weights`, each given the
    `options` it takes; an option none of them takes, or one that is not a positive
    number (every option so far is a scale), is refused."""
    bound = bind_options({name: (PENALTIES[name], 4) for name in weights}, options, "penalty_options",
                         f"the penalties {sorted(weights)}")
    for option, value in options.items():
        if not is_number(value) or value <= 0:
            raise ValueError(f"penalty option {option!r} must be a positive number, got {value!r}.")
    return bound
