"""The file behind `--config=zoo:NAME`: ml_collections' config flag loads a file and gives
it the text after its ':', here the config's name (`zoo_configs.get`)."""

import zoo_configs


def get_config(name: str):
    return zoo_configs.get(name)
