"""The projection discriminator (Miyato & Koyama 2018): hinge loss, spectral norm,
conditional batch norm in G on the 5000 embedded MNIST digits and their labels, with the
hinge config's aids (zoo_configs/hinge_mnist_subset.py): R1 (gamma 1), a moving average of
G's weights (0.99) and Adam at 1e-3 instead of setting C's 2e-4. `:paper` gives the
paper's model alone, at setting C.

Measured (TensorFlow, mixed_bfloat16, Zen 5 EPYC, 2026-11-27, 6000 steps, the shipped
classifier, seeds 0, 1, 2): with the aids, samples read as their class 98.7% ± 0.2% of the
time (worst class 96.1% ± 0.9%), intra-class FID 5.7 ± 0.3, CAS 95.7% ± 0.5%, FID 2.0 ±
0.3, precision / recall 0.87 / 0.83; the paper's model alone (`:paper`) 91.8% ± 1.6%
(worst class 81.2% ± 1.3%), intra-class FID 34.5 ± 5.2, CAS 91.1% ± 0.8%, FID 9.4 ± 0.7,
precision 0.73. With Keras's spectral-norm wrapper instead of the paper's
reparameterization (9a4c957), the paper's model alone gave 92.9% ± 0.8%, 22.2 ± 1.0,
94.3% ± 1.1% and FID 5.8 ± 0.6: not the paper's method but the wrapper's rounding of D's
weights to bfloat16 at every pass (in float32 it gives FID 8.6 ± 0.6 and intra-class FID
37.2 ± 1.4; `benchmarks/ablate_spectral_norm.py`, README "Backends").
"""

from zoo_configs.common import conditional_config, with_aids


def get_config(arg: str = ""):
    return with_aids(conditional_config("projection", "mnist_subset"), arg, "projection_mnist_subset.py",
                     learning_rate=1e-3)
