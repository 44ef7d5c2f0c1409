"""EBGAN (Zhao et al. 2017) on the 5000 embedded MNIST digits, with two aids of later
papers as in the default config (zoo_configs/gan_mnist_subset.py): R1 (gamma 1) on the
energy and a moving average of G's weights (decay 0.99). `:paper` gives the paper's
EBGAN alone.

Measured (seed 0, TensorFlow, mixed_bfloat16, Zen 4 EPYC, classifier FID of 2000 samples
on the shipped classifier): with both aids FID 3.5, precision / recall 0.71 / 0.91, its
live generator 5.0. The paper's EBGAN alone scored 12.2 on JAX (float32, same machine
family) and 16.6 on TensorFlow on an older EPYC with a classifier trained there.
These figures predate 4dba433 (TensorFlow's R1 exact through D's batch norm); after it,
this config scored 4.6, precision / recall 0.65 / 0.89, live 8.0 (Zen 5, 2026-11-27);
seeds 0, 1, 2: 4.6, 6.0, 6.1 on TensorFlow, and 17.1, 6.3, 3.7 on JAX (float32), whose
seed 0 kept its pulling-away term near 1 (G's samples nearly parallel in D's embedding)
to the end: EBGAN's figures move with the seed more than any other variant's.
"""

from zoo_configs.common import with_aids, zoo_config


def get_config(arg: str = ""):
    return with_aids(zoo_config("ebgan", "mnist_subset"), arg, "ebgan_mnist_subset.py")
