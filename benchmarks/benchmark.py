"""Steady-state training speed of a zoo config against a plain keras-io baseline.

  python benchmarks/benchmark.py --config=zoo_configs/gan_mnist_subset.py:paper   # the default
  python benchmarks/benchmark.py --config=zoo_configs/wgan_gp_mnist_subset.py --config.train.precision=float32
  python benchmarks/benchmark.py --config=... --quality_steps=3000   # + classifier FID of both
  python benchmarks/benchmark.py --peer=pytorch   # + PyTorch-GAN's dcgan.py loop and PyTorch at its best
  python benchmarks/benchmark.py --config=zoo:wgan_gp_cifar10 --peer=pytorch   # no CIFAR-10: random images
  python benchmarks/benchmark.py --config=zoo:wgan_gp_cifar10 --random_images=32,32,3   # no tfds either
  python benchmarks/benchmark.py --backend=jax --roofline   # + XLA's bytes: the step's memory floor
  python benchmarks/benchmark.py --backend=torch --profile_ops=20   # + where torch's step spends its time

Prints a one-line summary and writes the full figures as JSON (--output).
"""

import json
import sys

from absl import app, flags

from gan_zoo_tools.common import TYPED_ARGV, config_value, define_config, parse_flags

# The paper's GAN: the default config's R1 and generator average have no analogue in the
# keras-io baseline or PyTorch-GAN's loop.
_CONFIG = define_config("zoo:gan_mnist_subset:paper")
_OUTPUT = flags.DEFINE_string("output", None, "Write the JSON figures here (default: print only).")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed repetitions per model, alternating.", lower_bound=1)
_SECONDS = flags.DEFINE_float("seconds", 2.0, "Approximate length of one repetition.", lower_bound=0.01)
_WARMUP = flags.DEFINE_integer("warmup_steps", 10, "Untimed steps first (tracing, allocation).",
                               lower_bound=1)
_BASELINE = flags.DEFINE_boolean("baseline", True, "Time the plain keras-io baseline side by side.")
_QUALITY_STEPS = flags.DEFINE_integer("quality_steps", 0, "Also train both this many steps and "
                                      "compare their classifier FID (0: skip).", lower_bound=0)
_STRATEGY = flags.DEFINE_enum("strategy", "default",
                              ["default", "one_device", "mirrored", "multi_worker", "tpu"],
                              "tf.distribute strategy; train.batch_size is the global batch.")
_CPU_DEVICES = flags.DEFINE_integer("cpu_devices", 0, "Split the CPU into N logical devices.",
                                    lower_bound=0)
_ROOFLINE = flags.DEFINE_boolean("roofline", False, "JAX: also XLA's FLOPs and bytes of each compiled "
                                 "step, the measured memory bandwidth, and the zoo step's compute and "
                                 "memory floors (one more compile per model).")
_PROFILE_OPS = flags.DEFINE_integer("profile_ops", 0, "torch: after the timing, profile 2 zoo steps and "
                                    "write the N operators that take the most CPU time (0: skip).",
                                    lower_bound=0)
_PEER = flags.DEFINE_enum("peer", "none", ["none", "pytorch"], "Also time, in this process, the loop a "
                          "PyTorch user would write on the same networks (benchmarks/pytorch_peer.py): as "
                          "written (fp32; bf16 autocast + channels_last) and at its best (the zoo's "
                          "algorithm, torch.compile, fused Adam; fp32 and bf16); needs the torch extra.")

_RANDOM_IMAGES = flags.DEFINE_list(
    "random_images", [], "HEIGHT,WIDTH,CHANNELS[,CLASSES]: time every model on random images of this "
    "shape (and random labels of CLASSES) in place of the config's data, on a machine that has neither "
    "the data set nor tensorflow-datasets to read its shape. A tfds set not prepared here is timed on "
    "random images of its own shape without this flag.")
_PEER_SETTINGS = flags.DEFINE_list(
    "peer_settings", "float32,bfloat16_channels_last,best_float32,best_bfloat16",
    "The peer's settings to time: as written (float32, bfloat16_channels_last), at its best "
    "(best_float32, best_bfloat16).")


def summary_line(name: str, result: dict) -> str:
    zoo = result["zoo"]
    line = (f"{name}: {zoo['images_per_second']['median']:.0f} img/s "
            f"(min {zoo['images_per_second']['min']:.0f}, max {zoo['images_per_second']['max']:.0f}), "
            f"{zoo['ms_per_step']['median']:.2f} ms/step, {zoo['gflops']:.0f} GFLOP/s = "
            f"{zoo['fraction_of_float32_peak']:.0%} of fp32 / {zoo['fraction_of_bfloat16_peak']:.0%} of "
            f"bf16 peak, {result['precision']}")
    if "fraction_of_bfloat16_peak_counted_by_torch" in zoo:
        line += (f" (FLOPs counted by torch: {zoo['fraction_of_float32_peak_counted_by_torch']:.0%} / "
                 f"{zoo['fraction_of_bfloat16_peak_counted_by_torch']:.0%})")
    if "baseline" in result:
        line += (f"; baseline {result['baseline']['images_per_second']['median']:.0f} img/s, "
                 f"speed-up x{result['speedup']['median']:.2f}")
    if "roofline_ms" in result:
        floors = result["roofline_ms"]
        compute = floors.get("compute_at_peak_counted_by_torch", floors["compute_at_peak"])
        line += (f"; floors {compute:.2f} ms of matmuls at the peak + "
                 f"{floors['memory_at_bandwidth']:.2f} ms for XLA's {zoo['xla']['gbytes_per_step']:.1f} GB "
                 f"at {result['memory_bandwidth_gbps']:.0f} GB/s")
    for setting, figures in result.get("peer", {}).items():
        line += (f"; PyTorch {setting} {figures['images_per_second']['median']:.0f} img/s "
                 f"(zoo x{result['speedup_over_pytorch'][setting]['median']:.2f}")
        if figures["work_over_zoo"] != 1:
            line += (f"; its work per image x{figures['work_over_zoo']:.3f} the zoo's, at equal work zoo "
                     f"x{result['speedup_over_pytorch_at_equal_work'][setting]['median']:.2f}")
        line += ")"
    for model, figures in result.get("quality", {}).items():
        fid = figures.get("eval", {}).get("fid")
        if fid is not None:
            line += f"; {model} FID {fid:.2f}"
    if "op_profile" in zoo:
        top = zoo["op_profile"]["ops"][0]
        line += f"; its top operator {top['name']} {top['share']:.0%} of the CPU time"
    if result["data"].startswith("random images"):  # the data set is not on this machine
        line += "; timed on " + result["data"].split(", timed in")[0]
    return line + f"; peak RSS {result['peak_rss_mib']:.0f} MiB"


def random_images_shape(values: list) -> tuple | None:
    """--random_images as ((height, width, channels), classes or None); None when not given."""
    from gan_zoo.config import ConfigError

    if not values:
        return None
    if len(values) not in (3, 4) or not all(v.strip().isdigit() and int(v) > 0 for v in values):
        raise ConfigError(f"--random_images takes HEIGHT,WIDTH,CHANNELS[,CLASSES] as positive "
                          f"integers (e.g. 32,32,3 for CIFAR-10), got {','.join(values)!r}.")
    numbers = [int(v) for v in values]
    return tuple(numbers[:3]), (numbers[3] if len(numbers) == 4 else None)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    import measure
    import pytorch_peer
    from gan_zoo import data, devices, train

    config = config_value(_CONFIG)
    try:
        if _PEER.value == "pytorch":  # before minutes of timing, not after
            unknown = sorted(set(_PEER_SETTINGS.value) - set(pytorch_peer.SETTINGS))
            if unknown:
                raise pytorch_peer.PeerError(f"Unknown --peer_settings {unknown}; choose from "
                                             f"{', '.join(pytorch_peer.SETTINGS)}.")
            pytorch_peer.check_config(config, _PEER_SETTINGS.value)
            pytorch_peer._torch()
        random_images = random_images_shape(_RANDOM_IMAGES.value)
        strategy = devices.make_strategy(_STRATEGY.value, _CPU_DEVICES.value)
        peers = {}
        if _PEER.value == "pytorch":
            images = measure.images_in_memory(config, examples=1024, random_images=random_images)
            peers = {setting: pytorch_peer.loop(config, images, setting, config.seed)
                     for setting in _PEER_SETTINGS.value}
        result = measure.benchmark(config, baseline=_BASELINE.value, warmup_steps=_WARMUP.value,
                                   seconds=_SECONDS.value, repeats=_REPEATS.value, strategy=strategy,
                                   roofline=_ROOFLINE.value, peers=peers, random_images=random_images,
                                   profile_ops=_PROFILE_OPS.value)
        if _QUALITY_STEPS.value:
            result["quality"] = measure.quality(config, _QUALITY_STEPS.value)
            result["peak_rss_mib"] = round(train.peak_rss_mib(), 1)
    except (train.ConfigError, data.DataError, devices.DistributionError, pytorch_peer.PeerError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result["command"] = " ".join(["python", "benchmarks/benchmark.py", *TYPED_ARGV[1:]])
    result["config"] = json.loads(config.to_json())
    name = f"{config.model.variant}/{config.dataset}" + (
        f" ({config.networks.conditioning}-conditional)" if config.networks.conditioning else "")
    print(summary_line(name, result))
    if _OUTPUT.value:
        measure.write_figures(_OUTPUT.value, result)
    return 0


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
