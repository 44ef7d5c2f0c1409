"""Train a zoo config into a workdir; rerunning on the same workdir resumes.

  python tools/train.py --workdir=runs/gan_mnist_subset    # the default config, zoo:gan_mnist_subset
  python tools/train.py --config=zoo:gan_ring8 --config.train.epochs=20 --workdir=...
  python tools/train.py --config=my_config.py --workdir=...  # a file with get_config()
"""

import sys

from absl import app, flags

from gan_zoo_tools.common import config_value, define_config, parse_flags

_CONFIG = define_config("zoo:gan_mnist_subset")
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


def run():
    """The tool as a command (`python tools/<tool>.py`, `gan-zoo <tool>`): exits with its code."""
    app.run(main, flags_parser=parse_flags)


if __name__ == "__main__":
    run()
