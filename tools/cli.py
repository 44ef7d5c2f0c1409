"""gan-zoo train|sample|evaluate [flags]: the user's tools, as installed (`--helpshort`
after a tool's name lists its flags)."""

import importlib
import sys

TOOLS = {"train": "train a zoo config into a workdir (rerun to resume)",
         "sample": "sample grids and interpolations of a trained generator",
         "evaluate": "score a workdir's or a file's generator"}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TOOLS:
        listing = "\n".join(f"  {name:9} {what}" for name, what in TOOLS.items())
        print(f"usage: gan-zoo {{{'|'.join(TOOLS)}}} [flags]\n{listing}", file=sys.stderr)
        return 0 if sys.argv[1:2] in (["-h"], ["--help"]) else 2
    name = sys.argv.pop(1)
    sys.argv[0] = f"gan-zoo {name}"
    return importlib.import_module(f"gan_zoo_tools.{name}").run()
