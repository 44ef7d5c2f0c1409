"""Flag parsing shared by the tools: user errors end in one clear line and exit code 2."""

import importlib.util
import os
import sys

# Before TensorFlow loads: keep its C++ info lines out of the progress bar.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags, logging  # noqa: E402
from ml_collections import config_flags  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")


def fail(message: str, code: int = 2):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


def refuse_runs_of_other_configs(planned) -> None:
    """Fail, before anything trains, when a workdir of `planned` ((config, workdir) pairs)
    holds a run that is not one run of its config: read back, its figures would be
    reported as that config's."""
    from gan_zoo import workdir as workdirs
    from gan_zoo.config import ConfigError

    try:
        problems = [problem for config, workdir in planned
                    if (problem := workdirs.not_one_run_of(config, workdir))]
    except ConfigError as error:
        fail(str(error))
    if problems:
        fail("; ".join(problems) + ". Give another --root, or delete those workdirs to train them again.")


def _select_backend(argv):
    """--backend=NAME sets KERAS_BACKEND before anything imports Keras: the config files
    do, while their flag is defined, before absl parses the rest."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--backend=") else (
            argv[i + 1] if arg == "--backend" and i + 1 < len(argv) else None)
        if value is not None:
            if value not in BACKENDS:
                fail(f"--backend must be one of {BACKENDS}, got {value!r}.")
            os.environ["KERAS_BACKEND"] = value


_select_backend(sys.argv)


def zoo_config_file(value: str) -> str:
    """The file (":argument" kept) that ml_collections' config flag loads for a --config
    value: `zoo:NAME[:ARG]` is zoo_configs/load.py:NAME[:ARG], and so is a path
    .../zoo_configs/NAME.py[:ARG] whose file is gone (the preset became a registry entry:
    older commands keep working); any other value as given."""
    loader = os.path.join(importlib.util.find_spec("zoo_configs").submodule_search_locations[0], "load.py")
    if value.startswith("zoo:"):
        return f"{loader}:{value[len('zoo:'):]}"
    path, colon, arg = value.partition(".py:")
    path = path + ".py" if colon else path
    directory, file = os.path.split(path)
    if file.endswith(".py") and os.path.basename(directory) == "zoo_configs" and not os.path.exists(path):
        return f"{loader}:{file[:-len('.py')]}" + (f":{arg}" if colon else "")
    return value


def _resolve_config_argument(argv):
    """--config=zoo:NAME (or a gone preset file) in `argv`, in place, as `zoo_config_file`
    has it, before absl parses it."""
    for i, arg in enumerate(argv):
        if arg.startswith("--config="):
            argv[i] = "--config=" + zoo_config_file(arg[len("--config="):])
        elif arg == "--config" and i + 1 < len(argv):
            argv[i + 1] = zoo_config_file(argv[i + 1])


# The command line as typed, before --config=zoo:NAME became this machine's path: what a
# JSON file records as the command that wrote it.
TYPED_ARGV = list(sys.argv)
_resolve_config_argument(sys.argv)
flags.DEFINE_enum("backend", os.environ.get("KERAS_BACKEND", "tensorflow"), list(BACKENDS),
                  "Keras backend (sets KERAS_BACKEND); TensorFlow by default.")


def _unknown_override(argv, config):
    """The first --config.a.b=... whose path the config does not have, or None."""
    for arg in argv:
        if not arg.startswith("--config."):
            continue
        path = arg[len("--config."):].split("=", 1)[0]
        node = config
        for part in path.split("."):
            if not hasattr(node, "items") or part not in node:
                return path
            node = node[part]
    return None


def _load_config_file(value: str):
    """The config of a config file, "path.py" or "path.py:argument"."""
    path, colon, arg = value.partition(".py:")
    spec = importlib.util.spec_from_file_location("zoo_config", path + ".py" if colon else path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config(arg) if colon else module.get_config()


def _explain_unknown_key(error, argv, default: str):
    """Exit naming a misspelled --config.key and the valid keys; re-raise anything else."""
    path = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), default)
    try:
        config = _load_config_file(path)
    except Exception:  # noqa: BLE001 - the file itself is broken
        fail(f"cannot load config {path!r}: {error}")
    bad = _unknown_override(argv, config)
    if bad is None:
        raise error
    from gan_zoo.values import flatten  # here: importing gan_zoo imports Keras, after --backend

    hint = str(error).strip("'\"").split("\\n")[-1]
    fail(f"config has no key {bad!r}. {hint}\nValid keys: {', '.join(flatten(config))}")


_DEFAULT_CONFIG = None


def define_config(default: str):
    """--config (zoo:NAME or a config file; `default` likewise) with --config.key=value
    overrides.

    config_flags applies overrides while the flag is defined (to the default file) or
    parsed (to a --config file); either way a misspelled key is named with the valid keys.
    """
    global _DEFAULT_CONFIG
    default = _DEFAULT_CONFIG = zoo_config_file(default)
    try:
        return config_flags.DEFINE_config_file(
            "config", default, "A zoo config, zoo:NAME (e.g. zoo:gan_ring8), or a config file; override "
            "keys with --config.key=value.", lock_config=True)
    except (AttributeError, KeyError) as error:
        _explain_unknown_key(error, sys.argv, default)


def config_value(holder):
    """The parsed config, or a clear exit when its file could not be loaded."""
    config = holder.value
    try:
        config.items()  # config_flags defers a load failure to the first attribute access
        return config
    except OSError as error:
        fail(f"cannot load the --config file: {str(error).splitlines()[-1].strip()}")


def parse_flags(argv):
    """absl's parser; malformed values, unknown flags and unknown keys exit 2 with one line."""
    try:
        remaining = flags.FLAGS(argv)
    except flags.Error as error:
        message = _without_traceback(str(error))
        if "ConfigError: " in message:  # the zoo's own word on the config (zoo_configs.get)
            fail(message.split("ConfigError: ", 1)[1])
        fail(f"{message}\nRun with --helpshort to list the flags.")
    except (AttributeError, KeyError) as error:
        _explain_unknown_key(error, argv, _DEFAULT_CONFIG)
    logging.set_verbosity(logging.WARNING)  # checkpoint INFO lines would break the progress bar
    return remaining


def _without_traceback(message: str) -> str:
    """A flag error's message with a traceback that config_flags quotes cut to its last
    line, the error itself."""
    if "Traceback (most recent call last)" not in message:
        return message
    head, trace = message.split("Traceback (most recent call last)", 1)
    return f"{head.strip()} {trace.strip().splitlines()[-1]}"


def load_generator(workdir: str | None, generator_path: str | None, dataset: str | None):
    """(generator model, its data set name, the workdir's config or None) from
    --workdir, or from --generator with --dataset; user errors exit 2.

    The file is loaded with Keras's safe mode on: a file holding Lambda layers (code)
    is refused. Load a file you trust yourself with
    keras.saving.load_model(path, safe_mode=False).
    """
    import json

    import keras

    if bool(workdir) == bool(generator_path):
        fail("give either --workdir or --generator (with --dataset).")
    config = None
    if workdir:
        config_path = os.path.join(workdir, "config.json")
        generator_path = os.path.join(workdir, "generator.keras")
        if not os.path.exists(config_path) or not os.path.exists(generator_path):
            fail(f"{workdir} has no config.json and generator.keras: train it with tools/train.py.")
        with open(config_path) as f:
            config = json.load(f)
        dataset = config["dataset"]
    elif not dataset:
        fail("--generator needs --dataset.")
    try:
        generator = keras.saving.load_model(generator_path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - a corrupt or foreign file
        fail(f"cannot load {generator_path} as a Keras generator: {type(error).__name__}: {error}")
    return generator, dataset, config


def latent_dim(generator) -> int:
    """The size of z, a generator's (first) input (StyleGAN2's, a subclassed model, says it)."""
    if isinstance(getattr(generator, "latent_dim", None), int):
        return generator.latent_dim
    return int(generator.inputs[0].shape[-1])


def generate_fn(generator, truncation: float = 0.0):
    """generate(n, seed, labels=None) -> float32 samples of a loaded generator, z ~ N(0, I)
    (truncated at +-`truncation` when > 0): the samples `BaseGAN.generate` makes for the
    same seed. A class-conditional generator ([z, labels]) makes the classes `labels`, or
    classes drawn uniformly with the seed; an unconditional one refuses labels."""
    import numpy as np

    from gan_zoo.networks import generator_classes
    from gan_zoo.sampling import noise_and_labels

    try:
        num_classes = generator_classes(generator)
    except ValueError as error:  # a two-input generator that is not one of ours
        fail(str(error))

    def generate(n, seed, labels=None):
        z, labels = noise_and_labels(n, latent_dim(generator), num_classes, seed, labels, truncation)
        return np.asarray(generator.predict(z if labels is None else [z, labels], batch_size=500, verbose=0),
                          np.float32)

    generate.num_classes = num_classes
    return generate
