"""The suite's fixtures and markers (tests/conftest.py) for the lab's tests, which sit beside
the code they test."""

import importlib.util
import os

_SUITE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "conftest.py")
_spec = importlib.util.spec_from_file_location("gan_zoo_suite_conftest", _SUITE)
_suite = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_suite)
globals().update({name: value for name, value in vars(_suite).items() if not name.startswith("__")})
