"""Run a tool as on a machine without TensorFlow: `python without_tensorflow.py TOOL ARGS...`.

`import tensorflow` (and tensorflow_datasets) then fails as it would where neither is
installed; the tool runs as its own `__main__`.
"""

import os
import runpy
import sys

sys.modules["tensorflow"] = None
sys.modules["tensorflow_datasets"] = None
tool, *args = sys.argv[1:]
sys.argv = [tool, *args]
sys.path.insert(0, os.path.dirname(os.path.abspath(tool)))
runpy.run_path(tool, run_name="__main__")
