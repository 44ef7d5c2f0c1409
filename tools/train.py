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
flags.mark_flag_as_required("workdir")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    from gan_zoo import callbacks, data, train

    try:
        train.train_and_evaluate(config_value(_CONFIG), _WORKDIR.value)
    except (train.ConfigError, data.DataError, callbacks.TrainingDiverged) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
