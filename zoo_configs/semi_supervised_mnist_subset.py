"""The semi-supervised GAN (Salimans et al. 2016, sec. 5) on the 5000 embedded MNIST
digits, on DCGAN networks (zoo_configs/semi_supervised_mlp_mnist_subset.py has their
own MNIST networks).

With R1 (gamma 1) on the discriminator, whose K + 1 logits are the classifier, and a
moving average of G's weights (decay 0.99); `:paper` gives the paper's variant alone.
Measured (seed 0, TensorFlow, mixed_bfloat16, Zen 4 EPYC, one run each): the paper's
variant errs on 15.0% of the 500 held-out digits (labels alone: 20.2%), its samples at
classifier FID 28.8 (27.1 with the average); with R1 and the average, 9.8% error, but
FID 48.8 (52.7 live). The config serves the error, which is what this variant is for:
feature matching trains G to help D classify, not to draw digits (the paper's own
point), and R1 moves its samples further from the data. These figures predate 4dba433
(TensorFlow's R1 exact through D's batch norm); after it, this config erred on 9.4%, its
samples at FID 50.0 (Zen 5, 2026-11-27).
"""

from zoo_configs.common import with_aids, zoo_config


def get_config(arg: str = ""):
    return with_aids(zoo_config("semi_supervised", "mnist_subset"), arg, "semi_supervised_mnist_subset.py")
