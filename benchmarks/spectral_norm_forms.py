"""The forms of spectral normalization that benchmarks/ablate_spectral_norm.py compares, each a
layer class to put where the network builders put `gan_zoo.layers.SpectralNormalization`.

- `paper`: `gan_zoo.layers.SpectralNormalization`, W / sigma(W) with the gradient through
  sigma (Miyato et al. 2018, eq. 12).
- `constant_sigma`: the same forward pass, sigma a constant to the gradient, so W's
  gradient is W_SN's divided by sigma (what Keras's wrapper differentiates).
- `unit_scale`: after every optimizer update, W is rescaled to spectral norm 1 (a kernel
  constraint). W_SN does not depend on W's scale, so D computes the
  same function; what changes is the size of Adam's fixed-size steps relative to W.
- `constant_sigma+unit_scale`: both.
- `keras`: `keras.layers.SpectralNormalization`, which writes W / sigma(W) into W in every
  training forward pass, rounded to the compute dtype under mixed precision. TensorFlow
  only: JAX's trainer drops that write.
"""

import keras
from keras import ops

from gan_zoo.layers import SpectralNormalization

FORMS = ("paper", "constant_sigma", "unit_scale", "constant_sigma+unit_scale", "keras")


def wrapper(form: str):
    """The spectral-norm layer class of `form`, one of FORMS."""
    if form not in FORMS:
        raise ValueError(f"Unknown spectral-norm form {form!r}; choose from {', '.join(FORMS)}.")
    if form == "keras":
        return keras.layers.SpectralNormalization
    if form == "paper":
        return SpectralNormalization
    parts = set(form.split("+"))

    class Ablated(SpectralNormalization):
        def build(self, input_shape):
            super().build(input_shape)
            if "unit_scale" in parts:
                # Optimizers apply a variable's constraint after each of its updates. The
                # exact norm (SVD), not the power iteration's estimate: u is state, which
                # the JAX trainer does not pass to a constraint.
                self.kernel.constraint = lambda kernel: kernel / ops.svd(
                    ops.reshape(kernel, (-1, kernel.shape[-1])), compute_uv=False)[0]

        def power_iteration(self):
            vector_u, sigma = super().power_iteration()
            if "constant_sigma" in parts:
                sigma = ops.stop_gradient(sigma)
            return vector_u, sigma

    return Ablated
