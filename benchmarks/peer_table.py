"""The summary table of the zoo against PyTorch (docs/PERFORMANCE.md), from the JSON files
that `benchmark.py --peer=pytorch` wrote: one row per file, in the order given.

  python benchmarks/peer_table.py docs/cpu/zen4_2026-12-07/resnet32_*.json

Each row pairs the zoo with the peer's loops of its precision: as written (float32, or
bfloat16_channels_last) and at its best (best_float32, best_bfloat16). Ratios are the
median (min-max) of the per-repetition ratios; "work" is the as-written loop's FLOPs per
image over the zoo algorithm's, both counted from what torch runs; "% of peak" divides the
zoo's FLOPs per second, counted so where the file has them, by the measured matmul peak.
BigGAN and StyleGAN2 have no as-written loop (PyTorch-GAN has none for them): "-" in
those columns.
"""

import json
import os
import sys

HEADER = ("network", "px", "batch", "dtype", "backend", "machine", "zoo img/s", "PyTorch as written img/s",
          "PyTorch at its best img/s", "work: as written / zoo", "zoo / at its best (equal work)",
          "zoo / as written at equal work (unequal)", "zoo % of peak", "JSON")
AS_WRITTEN_KINDS = ("resnet", "dcgan", "mlp")
NETWORKS = {"resnet": "ResNet", "dcgan": "DCGAN", "mlp": "MLP", "biggan": "BigGAN", "stylegan2": "StyleGAN2"}


def _ratio(spread: dict) -> str:
    return f"x{spread['median']:.2f} ({spread['min']:.2f}-{spread['max']:.2f})"


def machine_name(machine: dict) -> str:
    """The GPUs where there are some, else the CPU and its cores."""
    if machine.get("gpu"):
        return ", ".join(machine["gpu"])
    return f"{machine['cpu']}, {machine['cpu_cores']} cores"


def row(path: str, result: dict, link_from: str) -> list[str]:
    if "config" not in result or "precision" not in result:
        raise ValueError(f"{path} is not a JSON file that benchmarks/benchmark.py wrote.")
    config, bf16 = result["config"], result["precision"] != "float32"
    as_written, best = ("bfloat16_channels_last", "best_bfloat16") if bf16 else ("float32", "best_float32")
    # PyTorch-GAN has loops for the DCGAN, ResNet and MLP networks only: BigGAN's row has "-" there.
    kind = config["networks"]["kind"]
    wanted = (as_written, best) if kind in AS_WRITTEN_KINDS else (best,)
    missing = [s for s in wanted if s not in result.get("peer", {})]
    if missing:
        raise ValueError(f"{path} has no PyTorch loop {' or '.join(missing)}: rerun benchmark.py with "
                         f"--peer=pytorch --peer_settings={','.join(wanted)}.")
    older = [key for key in ("example_shape", "speedup_over_pytorch_at_equal_work") if key not in result]
    if older:
        raise ValueError(f"{path} has no {', '.join(older)}: an older benchmark.py wrote it; rerun "
                         f"its command: {result.get('command', '(not recorded)')}")
    peers, zoo = result["peer"], result["zoo"]
    dtype = "bfloat16" if bf16 else "float32"
    # The share of the peak by the FLOPs torch counts where the file has it, else the analytic count's.
    share = zoo.get(f"fraction_of_{dtype}_peak_counted_by_torch", zoo[f"fraction_of_{dtype}_peak"])
    written = ["-"] * 3
    if as_written in peers:
        written = [f"{peers[as_written]['images_per_second']['median']:.1f}",
                   f"{peers[as_written]['work_over_zoo']:.3f}",
                   f"{_ratio(result['speedup_over_pytorch_at_equal_work'][as_written])} "
                   f"({_ratio(result['speedup_over_pytorch'][as_written])})"]
    return [f"{NETWORKS.get(kind, kind)} ({config['model']['variant']}, {config['dataset']})",
            str(result["example_shape"][0]), str(config["train"]["batch_size"]), "bf16" if bf16 else "fp32",
            result["machine"]["backend"], machine_name(result["machine"]),
            f"{zoo['images_per_second']['median']:.1f}", written[0],
            f"{peers[best]['images_per_second']['median']:.1f}", written[1],
            f"**{_ratio(result['speedup_over_pytorch'][best])}**", written[2],
            f"{share:.0%} of {result['matmul_peak_gflops'][dtype]:.0f} GFLOP/s",
            f"[{os.path.basename(path).removesuffix('.json')}]({os.path.relpath(path, link_from)})"]


def table(paths: list[str], link_from: str = "docs") -> str:
    """The markdown table of `paths`, with links relative to `link_from`."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for path in paths:
        with open(path) as f:
            try:
                result = json.load(f)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path} is not JSON ({error}): give benchmark.py's "
                                 "--output files.") from None
        lines.append("| " + " | ".join(row(path, result, link_from)) + " |")
    return "\n".join(lines)


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        print(table(paths))
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
