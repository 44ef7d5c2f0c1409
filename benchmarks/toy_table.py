"""The README's mode-coverage tables: benchmarks/results.py on the toy mixtures.

  python benchmarks/toy_table.py        # every variant on ring8 and grid25 -> docs/TOY_MODES.md
  python benchmarks/toy_table.py --variants=gan,wgan_gp --seeds=0,1,2

Same flags as benchmarks/results.py, with toy defaults (--datasets=ring8,grid25
--output=docs/TOY_MODES.md --readme=README.md); later flags override them. The runs are
results.py's own (--root=runs/results): a toy run made for one table serves the other.
"""

import sys

from absl import app

import results
from gan_zoo_tools.common import parse_flags

TOY_DEFAULTS = ["--datasets=ring8,grid25", "--output=docs/TOY_MODES.md", "--readme=README.md"]

if __name__ == "__main__":
    results.COMMAND_LINE = list(sys.argv)
    sys.argv[1:1] = TOY_DEFAULTS
    app.run(results.main, flags_parser=parse_flags)
