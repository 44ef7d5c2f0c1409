"""The default zoo config: the non-saturating GAN (Goodfellow et al. 2014) on DCGAN
networks (Radford et al. 2016: Adam(2e-4, beta_1=0.5), batch 64, N(0, 0.02) weights),
trained on the 5000 embedded MNIST digits. 32 base filters instead of the paper's 128
keep it to minutes on 2 CPU cores (4500 generator steps);
`--config.networks.base_filters=128` restores them.

Two aids of later papers, and the learning rate they allow, each measured on this config
(seed 0, TensorFlow, mixed_bfloat16, Zen 4 EPYC, classifier FID of 2000 samples on the
shipped classifier; real-vs-real 1.9):
- Mescheder et al. 2018's R1 penalty, gamma = 1 (`penalties.r1`): FID 19.7 without, 9.2
  with (gamma 10: 13.9; gamma 0.3 with the average below: 8.8);
- a moving average of G's weights, decay 0.99 (`train.ema_decay`): with R1, FID 8.1
  (0.999: 8.7). Without R1 it moved FID only from 19.7 to 19.1;
- with both, Adam at 1e-3 instead of DCGAN's 2e-4 for G and D: FID 4.5, precision /
  recall 0.59 / 0.92 (2e-4: 8.1, 0.54 / 0.91; 2e-3: 5.0, 0.59 / 0.91), at the same cost
  a step. A linear decay of 2e-4 to 0 gave 13.8; 9000 steps at 2e-4 gave 4.8; at 1e-3,
  decay 0.999 gave 4.9 and DiffAugment's translation 9.7.
`--config=zoo_configs/gan_mnist_subset.py:paper` is the paper's GAN alone (what
tools/benchmark.py times by default, beside loops that have none of these).
"""

from zoo_configs.common import with_aids, zoo_config


def get_config(arg: str = ""):
    return with_aids(zoo_config("gan", "mnist_subset"), arg, "gan_mnist_subset.py", learning_rate=1e-3)
