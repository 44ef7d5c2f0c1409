"""The user's tools (installed as the package gan_zoo_tools): `gan-zoo train|sample|evaluate`,
or `python tools/<tool>.py` in a checkout."""
