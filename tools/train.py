"""Train a zoo config into a workdir; rerunning on the same workdir resumes.

  python tools/train.py --config=zoo_configs/gan_mnist_subset.py --workdir=runs/gan_mnist
  python tools/train.py --config=zoo_configs/gan_ring8.py --config.train.epochs=20 --workdir=...
"""

import os
import sys

from absl import app, flags

from common import config_value, define_config, parse_flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CONFIG = define_config(os.path.join(REPO, "zoo_configs", "gan_mnist_subset.py"))
_WORKDIR = flags.DEFINE_string("workdir", None, "Directory for checkpoints, logs, samples.")
_STRATEGY = flags.DEFINE_enum("strategy", "default",
                              ["default", "one_device", "mirrored", "multi_worker", "tpu"],
                              "tf.distribute strategy, or on JAX data parallelism (mirrored, tpu: "
                              "over every device); train.batch_size is the global batch.")
_CPU_DEVICES = flags.DEFINE_integer("cpu_devices", 0, "Split the CPU into N logical devices "
                                    "(mirrored on a machine without GPUs).", lower_bound=0)
flags.mark_flag_as_required("workdir")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    from gan_zoo import callbacks, data, devices, train

    try:
        strategy = devices.make_strategy(_STRATEGY.value, _CPU_DEVICES.value)
        train.train_and_evaluate(config_value(_CONFIG), _WORKDIR.value, strategy=strategy)
    except (train.ConfigError, data.DataError, devices.DistributionError,
            callbacks.TrainingDiverged) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
