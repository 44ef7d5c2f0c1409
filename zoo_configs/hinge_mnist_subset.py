"""The hinge-loss GAN (Lim & Ye 2017; Miyato et al. 2018) on the 5000 embedded MNIST
digits, with two aids of later papers as in the default config
(zoo_configs/gan_mnist_subset.py): R1 (gamma 1) and a moving average of G's weights
(decay 0.99), and Adam at 1e-3 instead of setting C's 2e-4 (the rate and betas 0.5 and
0.999 of Miyato et al.'s setting E, which also takes 5 critic steps; here 1, as in C).
`:paper` gives the paper's variant alone, at setting C.

Measured (seed 0, TensorFlow, mixed_bfloat16, Zen 4 EPYC, classifier FID of 2000
samples on the shipped classifier): the paper's hinge GAN alone ends at FID 16.3 (16.3
with the average alone). With R1 (gamma 1) and the average (0.99): 9.1, its live
generator 10.0, at 2e-4; 6.9 at 1e-3 (live 11.3), precision / recall 0.53 / 0.89. The
same rate made LSGAN worse (18.1 against 9.5), which keeps 2e-4.
These figures predate two fixes: 4dba433 (TensorFlow's R1 exact through D's batch norm)
and f5a91fa (spectral norm as the paper's reparameterization, gan_zoo.layers.
SpectralNormalization, instead of Keras's wrapper, which wrote W / sigma(W) into W,
rounded to bfloat16, at every forward pass). After both (Zen 5, 2026-11-27, seeds 0, 1,
2): FID 5.2 ± 0.4 (4.75, 5.57, 5.21), live 6.0 ± 0.5, precision / recall 0.63 ± 0.01 /
0.91. After the first alone, with Keras's wrapper: 10.0 ± 1.7 (8.29, 11.74, 9.89), live
21.2 ± 10.4, precision 0.52 ± 0.00 / 0.89.
"""

from zoo_configs.common import with_aids, zoo_config


def get_config(arg: str = ""):
    return with_aids(zoo_config("hinge", "mnist_subset"), arg, "hinge_mnist_subset.py", learning_rate=1e-3)
