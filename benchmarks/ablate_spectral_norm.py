"""Which part of spectral normalization moves a config's figures: train the config with
the paper's reparameterization and with ablations of it, on the same seeds, and tabulate.

  python benchmarks/ablate_spectral_norm.py --config=zoo_configs/projection_mnist_subset.py:paper \
      --forms=paper,constant_sigma,unit_scale,constant_sigma+unit_scale,keras --seeds=0,1,2

A form is the spectral-norm layer that the network builders put around every weight layer
of D (benchmarks/spectral_norm_forms.py); everything else is the config's: `paper` (the zoo's,
Miyato et al.'s reparameterization), `constant_sigma` (no gradient through sigma),
`unit_scale` (W rescaled to spectral norm 1 after every update, which leaves D's function
alone), both, and `keras` (Keras's wrapper, TensorFlow only).

Runs go to --root/<form>_seed<seed>. Rerun, the tool resumes unfinished runs and reads
finished ones back.
"""

import os
import sys
from unittest import mock

from absl import app, flags

import result_tables
from gan_zoo_tools.common import config_value, define_config, fail, parse_flags, refuse_runs_of_other_configs
from spectral_norm_forms import FORMS, wrapper

_CONFIG = define_config("zoo:projection_mnist_subset:paper")
_FORMS = flags.DEFINE_list("forms", list(FORMS), f"Spectral-norm forms, of {', '.join(FORMS)}.")
_SEEDS = flags.DEFINE_list("seeds", ["0"], "Seeds; each form trains once per seed.")
_ROOT = flags.DEFINE_string("root", "runs/ablate_spectral_norm", "Where the runs' workdirs go.")


def seeded(config, seed: int):
    config = config.copy_and_resolve_references()
    config.seed = seed
    return config


def run(config, form: str, workdir: str) -> dict:
    """The figures of `config` trained with `form` in `workdir` (resumed, or read back when
    finished, as tools/train.py does)."""
    from gan_zoo import train
    from gan_zoo.networks import builders

    with mock.patch.object(builders, "SpectralNormalization", wrapper(form)):
        return train.train_and_evaluate(config, workdir, verbose=0)


def table(results: dict[str, list[dict]], columns) -> list[str]:
    """Markdown rows: each form's figures (the results tables' columns for the config's data
    set), mean ± std over its seeds."""
    summaries = {form: result_tables.summarize(runs, columns) for form, runs in results.items()}
    shown = [c for c in columns if any(c[0] in figures for figures, _ in summaries.values())]
    lines = ["| form | " + " | ".join(label for label, _, _ in shown) + " | seeds |",
             "|---|" + "---|" * (len(shown) + 1)]
    for form, (figures, spread) in summaries.items():
        row = {"figures": figures, "spread": spread}
        cells = [result_tables.cell(row, label, fmt) for label, _, fmt in shown]
        lines.append(f"| {form} | " + " | ".join(cells) + f" | {len(results[form])} |")
    return lines


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    import keras

    if not _FORMS.value or not _SEEDS.value:
        fail("give at least one --forms and one --seeds.")
    unknown = sorted(set(_FORMS.value) - set(FORMS))
    if unknown:
        fail(f"unknown --forms {unknown}; choose from {', '.join(FORMS)}.")
    if "keras" in _FORMS.value and keras.backend.backend() != "tensorflow":
        fail("--forms=keras runs on TensorFlow only: JAX's trainer drops the write into W that "
             "defines it.")
    try:
        seeds = [int(s) for s in _SEEDS.value]
    except ValueError:
        fail(f"--seeds takes integers, got {','.join(_SEEDS.value)!r}.")
    config = config_value(_CONFIG)
    if not config.networks.spectral_norm:
        fail("the config's D has no spectral norm to ablate (networks.spectral_norm is False): pick a "
             "config that has it, or add --config.networks.spectral_norm=True.")
    from gan_zoo import data, train

    # The results tables' columns for the config's data set (mnist_subset's for other image sets).
    key = "_conditional" if config.networks.conditioning else ""
    columns = result_tables.COLUMNS.get(config.dataset + key, result_tables.COLUMNS["mnist_subset" + key])
    planned = [(form, seed, os.path.join(_ROOT.value, f"{form}_seed{seed}"))
               for form in _FORMS.value for seed in seeds]
    refuse_runs_of_other_configs([(seeded(config, seed), workdir) for _, seed, workdir in planned])
    results = {form: [] for form in _FORMS.value}
    for form, seed, workdir in planned:
        try:
            results[form].append(run(seeded(config, seed), form, workdir))
        except (train.ConfigError, data.DataError) as error:
            fail(str(error))
        print(f"{form}, seed {seed}: step {results[form][-1]['step']}", flush=True)
    print("\n".join(table(results, columns)))
    return 0


if __name__ == "__main__":
    sys.exit(app.run(main, flags_parser=parse_flags))
