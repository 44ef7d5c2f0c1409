"""EBGAN (Zhao et al. 2017) on the 5000 embedded MNIST digits, with two aids of later
papers as in the default config (zoo_configs/gan_mnist_subset.py): R1 (gamma 1) on the
energy and a moving average of G's weights (decay 0.99). `:paper` gives the paper's
EBGAN alone.

Measured (seed 0, TensorFlow, mixed_bfloat16, Zen 4 EPYC, classifier FID of 2000 samples
on the shipped classifier): with both aids FID 3.5, precision / recall 0.71 / 0.91, its
live generator 5.0. The paper's EBGAN alone scored 12.2 on JAX (float32, same machine
family) and 16.6 on TensorFlow on an older EPYC with a classifier trained there.
These figures predate 4dba433 (TensorFlow's R1 exact through D's batch norm); after it,
this config scored 4.6, precision / recall 0.65 / 0.89, live 8.0 (Zen 5, 2026-11-27).
"""

from zoo_configs.common import with_aids, zoo_config


def get_config(arg: str = ""):
    return with_aids(zoo_config("ebgan", "mnist_subset"), arg, "ebgan_mnist_subset.py")
