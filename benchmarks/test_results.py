"""The lab's results and ablation tools: tables beside the published figures, a README's
blocks rewritten from them, refusals of roots holding other runs."""

import glob
import json
import os
import re
import sys

import numpy as np
import pytest

import result_tables
import results
from conftest import REPO, run_script


@pytest.mark.parametrize("args, message", [
    (["--forms=paper,bogus"], "unknown --forms ['bogus']; choose from paper, constant_sigma"),
    (["--config=zoo_configs/gan_mnist_subset.py"], "has no spectral norm to ablate"),
    (["--backend=jax", "--forms=keras"], "--forms=keras runs on TensorFlow only"),
])
def test_the_spectral_norm_ablation_refuses_what_it_cannot_compare(tmp_path, args, message):
    result = run_script([sys.executable, os.path.join(REPO, "benchmarks", "ablate_spectral_norm.py"),
                         f"--root={tmp_path / 'runs'}", *args], cwd=REPO, timeout=120)
    assert result.returncode == 2 and message in result.stderr, result.stderr[-2000:]
    assert not (tmp_path / "runs").exists()


def test_the_spectral_norm_ablation_refuses_a_root_of_other_runs_and_unreadable_records(tmp_path):
    """Read back, a workdir's figures would be reported as this config's: a run of another
    config, or one whose config.json cannot be read, is refused before anything trains."""
    runs = tmp_path / "runs"
    (runs / "paper_seed0").mkdir(parents=True)
    (runs / "paper_seed0" / "config.json").write_text('{"seed": 0, "dataset": "ring8"}')
    (runs / "unit_scale_seed0").mkdir()
    (runs / "unit_scale_seed0" / "config.json").write_text('{"seed": 0,')  # cut short
    result = run_script([sys.executable, os.path.join(REPO, "benchmarks", "ablate_spectral_norm.py"),
                         f"--root={runs}", "--forms=paper,unit_scale"], cwd=REPO, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "cannot read" in result.stderr and "unit_scale_seed0/config.json" in result.stderr
    (runs / "unit_scale_seed0" / "config.json").unlink()
    result = run_script(result.args, cwd=REPO, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "paper_seed0 was trained with a different " in result.stderr and "another --root" in result.stderr
    assert "dataset ('ring8' in the run, 'mnist_subset' here)" in result.stderr
    assert sorted(p.name for p in runs.rglob("*")) == ["config.json", "paper_seed0", "unit_scale_seed0"]


def test_conditional_configs_get_a_table_of_their_label_aware_figures():
    """benchmarks/results.py puts cgan / acgan / projection rows in "<data set>_conditional",
    whose columns read the label-aware figures of metrics.json."""

    metrics_json = {"eval": {"conditional_accuracy": 0.977, "conditional_min_class_accuracy": 0.926,
                             "classifier_intra_fid": 10.1, "cas": 0.93}}
    figures = {label: result_tables.lookup(metrics_json, path)
               for label, path, _ in result_tables.CONDITIONAL_COLUMNS}
    row = {"variant": "cgan", "dataset": "mnist_subset", "backend": "tensorflow", "seeds": [0],
           "figures": {k: v for k, v in figures.items() if v is not None}, "steps": 6000, "machine": "m",
           "command": "c", "wall_seconds": 290.0}
    key = results.table_key("cgan", "mnist_subset")
    assert key == "mnist_subset_conditional" and results.table_key("gan", "mnist_subset") == "mnist_subset"
    lines = results.table(key, [row], ["m"], ["c"])
    assert lines[0].startswith("| variant | backend | conditional accuracy | worst class | intra-class FID |"
                               " CAS |")
    assert lines[2] == ("| cgan | tensorflow | 97.7% | 92.6% | 10.1 | 93.0% |  |  |  |  | 6000 | 0 | 290 "
                        "| [1] |")
    assert {"cgan", "acgan", "projection"} <= set(results.config_names())


def test_results_tool_tabulates_every_run_beside_the_published_figures(tmp_path):
    output, readme = tmp_path / "RESULTS.md", tmp_path / "README.md"
    readme.write_text("intro\n<!-- results: ring8 -->\nold table\n<!-- /results: ring8 -->\noutro\n")
    command = [sys.executable, os.path.join(REPO, "benchmarks", "results.py"),
               "--variants=gan", "--datasets=mnist_subset,ring8",
               f"--root={tmp_path / 'runs'}", f"--output={output}",
               f"--readme={readme}",
               "--override=train.epochs=1", "--override=train.steps_per_epoch=4",
               "--override=train.checkpoint_every=4", "--override=train.sample_every=4",
               "--override=train.batch_size=16", "--override=networks.base_filters=4",
               "--override=eval.num_samples=200"]
    result = run_script(command, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads((tmp_path / "RESULTS.json").read_text())
    assert {(r["variant"], r["dataset"]) for r in rows} == {("gan", "mnist_subset"), ("gan", "ring8")}
    with open(tmp_path / "runs" / "gan_mnist_subset_seed0" / "metrics.json") as f:
        fid = json.load(f)["eval"]["classifier_fid"]
    gan_row = next(r for r in rows if r["variant"] == "gan" and r["dataset"] == "mnist_subset")
    assert gan_row["figures"]["classifier FID"] == pytest.approx(fid) and gan_row["steps"] == 4
    table = output.read_text()
    assert f"| gan | tensorflow | {fid:.1f} |" in table and "*published:* PacGAN4 (PacGAN Table 1)" in table
    assert "AMD" in table or "cores" in table  # the machine is named
    # The README's marked block now holds the ring8 table, its machine numbered within the
    # block; the rest of the README is untouched.
    ring8 = [r for r in rows if r["dataset"] == "ring8"]
    docs_rows = table[table.index("## ring8"):].split("\n\n")[1].strip().replace("| [2] |", "| [1] |")
    assert readme.read_text() == (
        f"intro\n<!-- results: ring8 -->\n{docs_rows}\n\nMachines: [1] {ring8[0]['machine']}. Rows by "
        f"`{ring8[0]['command']}`.\n<!-- /results: ring8 -->\noutro\n")
    # One data set again: the other rows are kept, each with the command that made it.
    again = [*command[:2], "--variants=gan", "--datasets=ring8", "--notrain", *command[4:]]
    result = run_script(again)
    assert result.returncode == 0, result.stderr[-2000:]
    kept = json.loads((tmp_path / "RESULTS.json").read_text())
    assert [{**r, "command": ""} for r in kept] == [{**r, "command": ""} for r in rows]
    assert ["--notrain" in r["command"] for r in kept] == [
        r["variant"] == "gan" and r["dataset"] == "ring8" for r in kept]
    table = output.read_text()
    assert "Rows by command" in table and "--datasets=ring8 --notrain" in table and "Not run" not in table
    assert f"| gan | tensorflow | {fid:.1f} |" in table and re.search(r"\| \[\d\] \(a\) \|", table)
    assert re.search(r"\| \[\d\] \(b\) \|", table)
    # Retabulated where the runs are gone: the rows stand, nothing is listed as not run.
    result = run_script([*again, f"--root={tmp_path / 'elsewhere'}"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((tmp_path / "RESULTS.json").read_text()) == kept
    assert "Not run" not in output.read_text()
    # Two seeds: mean and standard deviation of the runs. A table written elsewhere leaves
    # the README of the working directory alone.
    before = readme.read_text()
    seeds = [*command[:2], "--variants=gan", "--datasets=ring8", "--seeds=0,1",
             f"--root={tmp_path / 'seeds'}",
             f"--output={tmp_path / 'SEEDS.md'}", "--override=train.epochs=1",
             "--override=train.steps_per_epoch=20", "--override=train.checkpoint_every=20",
             "--override=train.sample_every=20", "--override=eval.every=20"]
    result = run_script(seeds, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    high_quality = []
    for seed in (0, 1):
        with open(tmp_path / "seeds" / f"gan_ring8_seed{seed}" / "metrics.json") as f:
            high_quality.append(json.load(f)["modes"]["high_quality"])
    assert f"| {np.mean(high_quality):.1%} ± {np.std(high_quality, ddof=1):.1%} |" in (
        tmp_path / "SEEDS.md").read_text()
    assert readme.read_text() == before
    # A root holding runs of another config is refused before anything trains or is written.
    before = {path: os.path.getmtime(path) for path in glob.glob(str(tmp_path / "runs" / "*" / "*.json"))}
    result = run_script([*command, "--override=train.batch_size=8"])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (f"{tmp_path / 'runs' / 'gan_mnist_subset_seed0'} was trained with a different "
            "train.batch_size (16 in the run, 8 here)") in result.stderr and "another --root" in result.stderr
    assert {path: os.path.getmtime(path) for path in before} == before
    assert json.loads((tmp_path / "RESULTS.json").read_text()) == kept
    foreign = '[{"variant": "gan"}]'  # not one of ours: refused, and left as it is
    (tmp_path / "RESULTS.json").write_text(foreign)
    result = run_script(again)
    assert result.returncode == 2 and "is not a results file" in result.stderr
    assert "Traceback" not in result.stderr and (tmp_path / "RESULTS.json").read_text() == foreign
    result = run_script([*command[:2], "--override=train.epoch=1"])
    assert result.returncode == 2 and "no key 'train.epoch'" in result.stderr
    # Bad --seeds and READMEs are refused before any training, nothing written.
    readme.write_text("<!-- results: ring8 -->\nno closing line\n")
    for flag, message in (("--seeds=0,one", "give non-negative integers"),
                          (f"--readme={tmp_path / 'nowhere.md'}", "does not exist"),
                          (f"--readme={readme}", "has no `<!-- /results: ring8 -->` after it")):
        refused = [*command[:2], f"--root={tmp_path / 'refused'}", f"--output={tmp_path / 'X.md'}", flag]
        result = run_script(refused)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
        assert not (tmp_path / "refused").exists() and not (tmp_path / "X.md").exists()


