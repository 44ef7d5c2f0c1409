"""Train every variant on the toy mixtures and write the mode-coverage table.

  python tools/toy_table.py                      # all variants, ring8 and grid25
  python tools/toy_table.py --variants=gan,wgan_gp --datasets=ring8 --seeds=0,1,2

Each run is zoo_configs/<variant>_<dataset>.py trained by train_and_evaluate in
--root/<variant>_<dataset>_seed<k> (rerunning reuses finished runs), evaluated on the
VEEGAN / PacGAN protocol (2500 samples, 3 std). Writes --output (markdown) and a JSON
file beside it.
"""

import json
import os
import platform
import sys

from absl import app, flags

from common import fail, parse_flags

_VARIANTS = flags.DEFINE_list("variants", ["all"], "Variants (config names), or all.")
_DATASETS = flags.DEFINE_list("datasets", ["ring8", "grid25"], "Toy mixtures.")
_SEEDS = flags.DEFINE_list("seeds", ["0"], "Seeds; figures are averaged over them.")
_ROOT = flags.DEFINE_string("root", "runs/toy_table", "Where the runs' workdirs go.")
_OUTPUT = flags.DEFINE_string("output", "docs/TOY_MODES.md", "Markdown table to write.")

# Published rows, same protocol: VEEGAN (Srivastava et al. 2017) Table 1 and PacGAN
# (Lin et al. 2018) Table 1: (modes, high-quality share or None).
NUM_MODES = {"ring8": 8, "grid25": 25}
PUBLISHED = {
    "ring8": [("GAN (VEEGAN Table 1)", 1, None), ("GAN (PacGAN Table 1)", 6.3, None),
              ("PacGAN4 (PacGAN Table 1)", 7.8, 0.94)],
    "grid25": [("GAN (VEEGAN Table 1)", 3.3, None), ("GAN (PacGAN Table 1)", 17.3, None),
               ("PacGAN4 (PacGAN Table 1)", 24.8, 0.94)],
}


def main(argv):
    from gan_zoo import data, models, train

    variants = list(models.VARIANTS) if _VARIANTS.value == ["all"] else _VARIANTS.value
    unknown = [v for v in variants if v not in models.VARIANTS]
    bad_data = [d for d in _DATASETS.value if d not in ("ring8", "grid25")]
    if unknown or bad_data:
        fail(f"unknown variants {unknown} / toy data sets {bad_data}; variants: "
             f"{sorted(models.VARIANTS)}; data sets: ring8, grid25.")
    seeds = [int(s) for s in _SEEDS.value]
    rows = []
    for dataset in _DATASETS.value:
        for variant in variants:
            runs = []
            for seed in seeds:
                config = train.load_zoo_config(f"{variant}_{dataset}")
                config.seed = seed
                workdir = os.path.join(_ROOT.value, f"{variant}_{dataset}_seed{seed}")
                try:
                    metrics = train.train_and_evaluate(config, workdir, verbose=0)
                except (train.ConfigError, data.DataError) as error:
                    fail(str(error))
                runs.append(metrics)
                print(f"{variant:16s} {dataset:7s} seed {seed}: {metrics['modes']}", flush=True)
            rows.append({"variant": variant, "dataset": dataset, "seeds": seeds,
                         "modes": _mean(runs, "modes"), "num_modes": runs[0]["modes"]["num_modes"],
                         "high_quality": _mean(runs, "high_quality"),
                         "reverse_kl": _mean(runs, "reverse_kl"),
                         "steps": runs[0]["step"],
                         "wall_seconds": sum(r.get("wall_seconds_this_run", 0) for r in runs) / len(runs)})
    write(rows, seeds)


def _mean(runs, key):
    return sum(r["modes"][key] for r in runs) / len(runs)


def write(rows, seeds):
    os.makedirs(os.path.dirname(_OUTPUT.value) or ".", exist_ok=True)
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    lines = ["# Mode coverage on the toy mixtures", "",
             f"Written by `{' '.join(['python tools/toy_table.py', *sys.argv[1:]])}` on "
             f"{machine}; seeds {seeds}. Protocol (VEEGAN / PacGAN): 2500 samples; a sample is high "
             "quality within 3 std of its nearest mode; a mode is covered when it is the nearest mode "
             "of a high-quality sample; reverse KL of the mode histogram to uniform.", ""]
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        lines += [f"## {dataset}", "",
                  "| variant | modes | high quality | reverse KL | steps | train s/run |",
                  "|---|---|---|---|---|---|"]
        for r in (r for r in rows if r["dataset"] == dataset):
            lines.append(f"| {r['variant']} | {r['modes']:.1f}/{r['num_modes']} | "
                         f"{100 * r['high_quality']:.1f}% | {r['reverse_kl']:.3f} | {r['steps']} | "
                         f"{r['wall_seconds']:.0f} |")
        for name, modes, quality in PUBLISHED[dataset]:
            shown = "" if quality is None else f"{100 * quality:.0f}%"
            lines.append(f"| *published:* {name} | {modes}/{NUM_MODES[dataset]} | {shown} | | | |")
        lines.append("")
    with open(_OUTPUT.value, "w") as f:
        f.write("\n".join(lines))
    with open(os.path.splitext(_OUTPUT.value)[0] + ".json", "w") as f:
        json.dump(rows, f, indent=2)
    print(f"Wrote {_OUTPUT.value}")


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
