"""Discriminator penalties, by name, for `BaseGAN(penalties={name: weight})`.

Each takes the GAN (for its stepper's input gradients, its noise and its critic), a real
minibatch, as many generated samples and their labels (None when the GAN is not
conditional; the gradient is in x, the label held fixed), and returns the unweighted penalty per
example; the base adds weight * penalty to D's per-example loss and logs the penalty
under its name. As compare_gan's `penalty_lib`, a penalty is a choice of its own,
combinable with any loss pair.
"""

from keras import ops

from gan_zoo import losses


def _critic(gan, labels):
    return lambda x, training=True: gan.critic(x, labels, training=training)


def gradient_penalty(gan, real, fake, labels=None):
    """(||grad D(x_hat)||_2 - 1)^2 at x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] per
    sample (Gulrajani et al. 2017, Algorithm 1; `losses.gradient_penalty`)."""
    epsilon = gan.draw("uniform", (ops.shape(real)[0],))
    return losses.gradient_penalty(gan.stepper.input_gradient, _critic(gan, labels), real, fake, epsilon)


def r1(gan, real, fake, labels=None):
    """R1 = 1/2 ||grad D(x)||^2 on real data (Mescheder et al. 2018, eq. 9); the penalty's
    weight is their gamma."""
    return losses.zero_centred_gradient_penalty(gan.stepper.input_gradient, _critic(gan, labels), real)


def r2(gan, real, fake, labels=None):
    """R2 = 1/2 ||grad D(G(z))||^2 on generated data (Mescheder et al. 2018, eq. 10);
    the penalty's weight is their gamma."""
    return losses.zero_centred_gradient_penalty(gan.stepper.input_gradient, _critic(gan, labels), fake)


PENALTIES = {"gradient_penalty": gradient_penalty, "r1": r1, "r2": r2}
