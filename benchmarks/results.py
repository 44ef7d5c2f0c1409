"""Train every variant on every benchmark data set and write the results tables.

  python benchmarks/results.py                                  # docs/RESULTS.md, all of it
  python benchmarks/results.py --datasets=ring8,grid25 --output=docs/TOY_MODES.md
  python benchmarks/results.py --variants=gan,wgan_gp --datasets=mnist_subset --seeds=0,1,2
  python benchmarks/results.py --backend=jax --variants=gan,wgan_gp,ebgan,improved_gan
  python benchmarks/results.py --variants=cgan,acgan,projection --datasets=mnist_subset

Each run is the zoo config <variant>_<dataset> (pairs the zoo has no config of are left
out; the variants are the zoo's and the class-conditional configs cgan, acgan and
projection, which get a table of their own per data set), trained by
train_and_evaluate in --root/<variant>_<dataset>_seed<k> (rerunning reuses finished
runs; a workdir holding a run of another config, or one whose config was changed on
resume, is refused before anything trains) and evaluated as the run's metrics.json says:
classifier FID / KID / score on mnist_subset (and the semi-supervised test error beside its labels-only
baseline), modes and high-quality share on the toys (VEEGAN / PacGAN protocol), modes
and KL on Stacked MNIST. Figures are averaged over the seeds, with their standard
deviation beside them. Writes --output (markdown) with the published numbers beside
ours, the machine and each run's wall time, and a JSON file beside it. Rows of (variant,
data set) pairs that this invocation does not tabulate (other data sets, or runs missing
under --notrain) are kept from that JSON file, each with the command that made it, so
the table can be completed one data set at a time and retabulated on a machine that
lacks the earlier runs. The same tables replace the marked blocks of --readme, so the
README quotes what the results files hold. Runs on another backend than TensorFlow
(--backend=jax) go to workdirs suffixed with it and are rows of their own, the table's
backend column telling them apart.
"""

import json
import os
import sys

from absl import app, flags

from gan_zoo_tools.common import fail, parse_flags, refuse_runs_of_other_configs
from result_tables import COLUMNS, cell, summarize

DATASETS = ("mnist_subset", "ring8", "grid25", "stacked_mnist")
_VARIANTS = flags.DEFINE_list("variants", ["all"], "Variants and conditional configs (config names), "
                              "or all.")
_DATASETS = flags.DEFINE_list("datasets", list(DATASETS), "Data sets.")
_SEEDS = flags.DEFINE_list("seeds", ["0"], "Seeds; figures are averaged over them.")
_ROOT = flags.DEFINE_string("root", "runs/results", "Where the runs' workdirs go.")
_OUTPUT = flags.DEFINE_string("output", "docs/RESULTS.md", "Markdown file to write.")
_README = flags.DEFINE_string("readme", "README.md", "Markdown file whose `<!-- results: DATASET -->` "
                              "blocks get the tables written; empty to leave it alone. With another "
                              "--output, the README is left alone unless this flag is given.")
_TRAIN = flags.DEFINE_boolean("train", True, "Train the runs that are missing or unfinished; with "
                               "--notrain, tabulate the finished runs, keep the JSON's rows for the others, "
                               "and list those that have neither.")
_OVERRIDES = flags.DEFINE_multi_string("override", [], "key=value applied to every config, "
                                       "e.g. --override=train.epochs=2 (for quick checks).")

# The command line as typed, where a wrapper (benchmarks/toy_table.py) adds flags of its own.
COMMAND_LINE: list[str] | None = None
# Published figures on the same protocol: (source, {column label: value}).
PUBLISHED = {
    "mnist_subset": [("Improved GAN, 100 labels of full MNIST (Salimans et al. 2016, Table 1)",
                      {"test error (10 labels/class)": "0.93%"})],
    "ring8": [("GAN (VEEGAN Table 1)", {"modes": "1/8"}), ("GAN (PacGAN Table 1)", {"modes": "6.3/8"}),
              ("PacGAN4 (PacGAN Table 1)", {"modes": "7.8/8", "high quality": "94%"})],
    "grid25": [("GAN (VEEGAN Table 1)", {"modes": "3.3/25"}), ("GAN (PacGAN Table 1)", {"modes": "17.3/25"}),
               ("PacGAN4 (PacGAN Table 1)", {"modes": "24.8/25", "high quality": "94%"})],
    "stacked_mnist": [("DCGAN (VEEGAN Table 2)", {"modes": "99/1000", "KL to uniform": "3.40"}),
                      ("VEEGAN (VEEGAN Table 2)", {"modes": "150/1000", "KL to uniform": "2.95"})],
    "mnist_subset_conditional": [],
}
NOTES = {
    "mnist_subset": "Classifier figures use the project's MNIST classifier (not InceptionV3), "
                    "2000 samples against 2000 real training digits; real-vs-real FID is ~1.9. "
                    "The semi-supervised error is on the 500 held-out digits of the 5000 embedded "
                    "ones, not on MNIST's 10,000 test digits, and its labels-only baseline is the same "
                    "classifier trained on the same 100 labels for as many updates. Rows come from the "
                    "configs as they were when each ran. On TensorFlow, the gan, lsgan, hinge, ebgan "
                    "and semi_supervised rows are their configs with R1 (gamma 1) and a generator "
                    "average (0.99), hinge also with Adam at 1e-3, gan with StyleGAN2's Adam (2e-3, "
                    "betas 0 and 0.99), the average at 0.999 and R1 lazily (every 16th D update, "
                    "7500 steps), improved_gan with the "
                    "average alone; FID without EMA is their live generator in the same run. The "
                    "papers' variants alone (zoo:<config>:paper), on the Zen 4 EPYC: gan "
                    "19.7, lsgan 26.0, hinge 16.3, improved_gan 9.9, semi_supervised 28.8 with 15.0% "
                    "error. The wgan and wgan_gp configs leave the aids out (on the Zen 4 EPYC with the "
                    "shipped classifier, seed 0: wgan 85.0, wgan_gp 7.1; the average gave 85.8 and "
                    "7.9). Rows "
                    "of the Zen 4 "
                    "EPYC (AMD EPYC with bf16 units) were scored with the classifier that now ships "
                    "with the package; rows of other machines with one trained there, which moved one "
                    "generator's FID by up to 25%. The samples' "
                    "seed alone moves FID by ~10%. semi_supervised_mlp is the "
                    "semi-supervised GAN on Salimans et al.'s MNIST networks with a labelled minibatch "
                    "of 100 in every step, 9000 steps.",
    "stacked_mnist": "26,000 samples; each channel read by the project's MNIST classifier. The "
                     "published rows come from the papers' own DCGAN setting for this benchmark (a "
                     "deliberately weakened discriminator, after Metz et al. 2017) and their training "
                     "length; ours are the zoo configs (DCGAN, 32 base filters, 4500 steps on stacks of "
                     "the 4500 embedded digits), so they bracket rather than replicate those rows.",
}


NOTES["mnist_subset_conditional"] = (
    "Class-conditional configs, scored on 4500 samples, 450 per class, read by the project's "
    "MNIST classifier: the share read as their class (and the worst class's), the mean over classes "
    "of each class's classifier FID against its real training digits, and the Classification "
    "Accuracy Score (Ravuri & Vinyals 2019: the held-out accuracy of a fresh classifier trained on "
    "the samples alone) beside the same classifier trained on the 4500 real training digits. FID, "
    "precision and recall as in the unconditional table, on classes drawn uniformly. No paper "
    "reports these on this protocol (the classifier and the 5000-digit subset are the project's).")


def table_key(variant: str, dataset: str) -> str:
    """The table a config's row goes in: its data set's, or its conditional table (the
    conditional models', and a field network's preset that is conditional on that set)."""
    from gan_zoo.config import load_zoo_config
    from zoo_configs.common import CONDITIONAL, FIELD_NETWORK_CONFIGS

    conditional = variant in CONDITIONAL or (
        variant in FIELD_NETWORK_CONFIGS
        and bool(load_zoo_config(f"{variant}_{dataset}").networks.conditioning))
    return f"{dataset}_conditional" if conditional else dataset


def config_names() -> list[str]:
    """Every variant, paper-network, conditional and field-network config name, in table order."""
    from gan_zoo import models
    from zoo_configs.common import CONDITIONAL, FIELD_NETWORK_CONFIGS, PAPER_NETWORK_CONFIGS

    return list(dict.fromkeys([*models.VARIANTS, *PAPER_NETWORK_CONFIGS, *CONDITIONAL,
                               *FIELD_NETWORK_CONFIGS]))


def describe(run: dict) -> str:
    """The machine and precision a run's metrics.json records."""
    machine = run.get("machine")
    if not machine:
        return "not recorded (runs made before metrics.json recorded the machine)"
    gpu = f", {', '.join(machine['gpu'])}" if machine.get("gpu") else ""
    bf16 = " with bf16 units" if machine.get("fast_bfloat16") else ""
    backend = (f"JAX {machine['jax']}" if backend_of(run) == "jax"
               else f"TensorFlow {machine['tensorflow']}")
    precision = run.get("precision", "float32")
    return f"{machine['cpu']}{bf16}, {machine['cpu_cores']} cores{gpu}, {backend}, {precision}"


def backend_of(run: dict) -> str:
    """The Keras backend a run's metrics.json records (runs before it did: TensorFlow)."""
    return run.get("machine", {}).get("backend", "tensorflow")


def identity(row: dict) -> tuple:
    return row["variant"], row["dataset"], row.get("backend", "tensorflow")


def apply_overrides(config, overrides):
    import ast

    for item in overrides:
        key, _, text = item.partition("=")
        node, *path = [config, *key.split(".")]
        for part in path[:-1]:
            node = node[part]
        if path[-1] not in node:
            fail(f"--override {item!r}: the config has no key {key!r}.")
        try:
            node[path[-1]] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            node[path[-1]] = text


def main(argv):
    import keras

    import zoo_configs
    from gan_zoo import data, train

    backend = keras.backend.backend()

    names = config_names()
    variants = names if _VARIANTS.value == ["all"] else _VARIANTS.value
    unknown = [v for v in variants if v not in names]
    bad_data = [d for d in _DATASETS.value if d not in DATASETS]
    if unknown or bad_data:
        fail(f"unknown variants {unknown} / data sets {bad_data}; variants: {sorted(names)}; "
             f"data sets: {', '.join(DATASETS)}.")
    if not all(s.isdigit() for s in _SEEDS.value) or not _SEEDS.value:
        fail(f"--seeds={','.join(_SEEDS.value)}: give non-negative integers, e.g. --seeds=0,1,2.")
    seeds = [int(s) for s in _SEEDS.value]
    readme = readme_path()  # checked before hours of training, not after
    planned = {}  # (variant, dataset) -> [(seed, config, workdir)]
    for dataset in _DATASETS.value:
        for variant in variants:
            if f"{variant}_{dataset}" not in zoo_configs.names():
                continue
            planned[variant, dataset] = []
            for seed in seeds:
                config = train.load_zoo_config(f"{variant}_{dataset}")
                config.seed = seed
                apply_overrides(config, _OVERRIDES.value)
                workdir = os.path.join(_ROOT.value, f"{variant}_{dataset}_seed{seed}"
                                       + ("" if backend == "tensorflow" else f"_{backend}"))
                planned[variant, dataset].append((seed, config, workdir))
    refuse_runs_of_other_configs([(config, workdir) for plan in planned.values()
                                  for _, config, workdir in plan])
    rows, missing = [], []
    for (variant, dataset), plan in planned.items():
        runs = []
        for seed, config, workdir in plan:
            if not _TRAIN.value and not finished(workdir, config):
                missing.append(((variant, dataset, backend), f"{variant} on {dataset} (seed {seed})"))
                continue
            try:
                runs.append(train.train_and_evaluate(config, workdir, verbose=0))
            except (train.ConfigError, data.DataError) as error:
                fail(str(error))
            print(f"{variant:16s} {dataset:13s} seed {seed}: step {runs[-1]['step']}", flush=True)
        if len(runs) < len(seeds):
            continue
        figures, spread = summarize(runs, COLUMNS[table_key(variant, dataset)])
        rows.append({"variant": variant, "dataset": dataset, "backend": backend_of(runs[0]),
                     "seeds": seeds, "figures": figures,
                     "spread": spread,
                     "steps": runs[0]["step"], "machine": describe(runs[0]),
                     "command": command_line(),
                     "wall_seconds": sum(r.get("train_seconds_total", r.get("wall_seconds_this_run", 0))
                                         for r in runs) / len(runs)})
    write(rows, readme, missing)


def finished(workdir: str, config) -> bool:
    """Whether the workdir holds this config's run trained to its full length."""
    path = os.path.join(workdir, "metrics.json")
    if not os.path.exists(path):
        return False
    with open(path) as f:
        return json.load(f).get("step", 0) >= config.train.epochs * config.train.steps_per_epoch


def command_line() -> str:
    argv = COMMAND_LINE or sys.argv
    return " ".join(["python", os.path.relpath(argv[0]), *argv[1:]])


def kept_rows(rows):
    """The rows of the existing JSON output for pairs that `rows` do not hold."""
    path = os.path.splitext(_OUTPUT.value)[0] + ".json"
    try:
        with open(path) as f:
            previous = json.load(f)
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        fail(f"{path} is not a results file ({error}); move it away to start a new table.")
    needed = {"variant", "dataset", "seeds", "figures", "steps", "machine", "wall_seconds"}
    if not isinstance(previous, list) or not all(isinstance(r, dict) and needed <= set(r) for r in previous):
        fail(f"{path} is not a results file (a list of rows with {sorted(needed)}); move it away "
             "to start a new table.")
    done = {identity(r) for r in rows}
    return [{"command": "an earlier command", **r} for r in previous if identity(r) not in done]


def write(rows, readme: str, missing=()):
    """Write the tables of `rows` plus the kept ones, and `readme`'s blocks where it is
    not empty; `missing` holds ((variant, data set),
    description) of the runs not trained yet, listed where no kept row stands for them."""
    os.makedirs(os.path.dirname(_OUTPUT.value) or ".", exist_ok=True)
    order = {key: i for i, key in enumerate((v, d, b) for d in DATASETS for v in config_names()
                                            for b in ("tensorflow", "jax"))}
    kept = [r for r in kept_rows(rows) if identity(r) in order]
    rows = sorted(rows + kept, key=lambda r: order[identity(r)])
    kept_keys = {identity(r) for r in kept}
    missing = [(key, text) for key, text in missing if key not in kept_keys]
    command = command_line()
    machines = dict.fromkeys(r["machine"] for r in rows)
    commands = dict.fromkeys([command] + [r["command"] for r in rows])
    lines = ["# Results", "", f"Written by `{command}`. Each row is "
             "the zoo config <variant>_<dataset> trained to its configured length; *published* rows "
             "are the papers' figures on the same protocol. Machines (wall times are of a shared "
             "machine): " + numbered(machines) + ".", ""]
    if len(commands) > 1:
        lines += [f"Rows by command: {lettered(commands)}.", ""]
    tables = sorted(dict.fromkeys(table_key(r["variant"], r["dataset"]) for r in rows),
                    key=lambda key: list(COLUMNS).index(key))
    for key in tables:
        title = key.replace("_conditional", ", class-conditional")
        lines += [f"## {title}", ""] + ([NOTES[key], ""] if key in NOTES else [])
        lines += table(key, rows, list(machines), list(commands)) + [""]
    if missing:
        lines += ["## Not run yet", "", "These configs have no finished run under the root; "
                  f"`{command.replace(' --notrain', '')}` trains them: "
                  + "; ".join(text for _, text in missing) + ".", ""]
    with open(_OUTPUT.value, "w") as f:
        f.write("\n".join(lines))
    with open(os.path.splitext(_OUTPUT.value)[0] + ".json", "w") as f:
        json.dump(rows, f, indent=2)
    print(f"Wrote {_OUTPUT.value}")
    if readme:
        update_readme(readme, {key: in_table(key, rows) for key in tables})


def readme_path() -> str:
    """The README whose blocks get the tables, or "" for none. A table written elsewhere
    (a seed study, a quick check) is not the README's unless --readme names it. A README
    named but missing, or with a block left open, is refused."""
    explicit = flags.FLAGS["readme"].present
    if not _README.value or not (explicit or not flags.FLAGS["output"].present):
        return ""
    if not os.path.exists(_README.value):
        if explicit:
            fail(f"--readme={_README.value} does not exist; name the README to update, or "
                 "--readme= for none.")
        return ""
    with open(_README.value) as f:
        text = f.read()
    for key in COLUMNS:
        begin, end = markers(key)
        if begin in text and text.find(end) < text.find(begin):
            fail(f"{_README.value} opens `{begin}` but has no `{end}` after it; add the closing "
                 "line (the table goes between them) or remove the opening one.")
    return _README.value


def in_table(key: str, rows: list[dict]) -> list[dict]:
    return [r for r in rows if table_key(r["variant"], r["dataset"]) == key]


def table(key: str, rows: list[dict], machines: list[str], commands: list[str]) -> list[str]:
    """The markdown table `key` (a data set, or "<data set>_conditional") of its rows,
    each citing its machine as [i] and, where there are several commands, the command
    that made it as (a), (b), ..."""
    columns = COLUMNS[key]
    header = ["backend"] + [c[0] for c in columns] + ["steps", "seeds", "train s/run", "machine"]
    lines = ["| variant | " + " | ".join(header) + " |",
             "|---" * (len(header) + 1) + "|"]
    for r in in_table(key, rows):
        cells = [cell(r, label, fmt) for label, _, fmt in columns]
        where = f"[{machines.index(r['machine']) + 1}]"
        if len(commands) > 1:
            where += f" ({chr(97 + commands.index(r['command']))})"
        seeds = ",".join(map(str, r["seeds"]))
        lines.append(f"| {r['variant']} | {r.get('backend', 'tensorflow')} | " + " | ".join(cells) +
                     f" | {r['steps']} | {seeds} | {r['wall_seconds']:.0f} | {where} |")
    for name, published in PUBLISHED[key]:
        lines.append(f"| *published:* {name} | | " +
                     " | ".join(published.get(c[0], "") for c in columns) + " | | | | |")
    return lines


def markers(key: str) -> tuple[str, str]:
    """The lines that open and close a table's block in a README."""
    return f"<!-- results: {key} -->", f"<!-- /results: {key} -->"


def numbered(machines) -> str:
    """The machines as the tables cite them: [1] ...; [2] ..."""
    return "; ".join(f"[{i + 1}] {m}" for i, m in enumerate(machines))


def lettered(commands) -> str:
    """The commands as the tables cite them: (a) `...`; (b) `...`"""
    return "; ".join(f"({chr(97 + i)}) `{c}`" for i, c in enumerate(commands))


def update_readme(path: str, rows_by_table: dict[str, list[dict]]) -> None:
    """Replace each `<!-- results: TABLE -->` ... `<!-- /results: TABLE -->` block of
    `path` (TABLE a data set, or "<data set>_conditional") with that table and the
    machines and commands it cites, so that the README shows what the results files
    hold. Tables without a block are skipped."""
    with open(path) as f:
        text = f.read()
    updated = text
    for key, rows in rows_by_table.items():
        begin, end = markers(key)
        start, stop = updated.find(begin), updated.find(end)
        if start < 0 or stop < start:
            continue
        machines = list(dict.fromkeys(r["machine"] for r in rows))
        commands = list(dict.fromkeys(r["command"] for r in rows))
        cited = f"Machines: {numbered(machines)}. " + (
            f"Rows by command: {lettered(commands)}." if len(commands) > 1 else f"Rows by `{commands[0]}`.")
        block = "\n".join([begin, *table(key, rows, machines, commands), "", cited, end])
        updated = updated[:start] + block + updated[stop + len(end):]
    if updated != text:
        with open(path, "w") as f:
            f.write(updated)
        print(f"Updated the tables in {path}")


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
