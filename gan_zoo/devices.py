"""Devices and distribution, on either backend: strategies, GPUs, bf16 units, the machine.

TensorFlow distributes with a `tf.distribute.Strategy`; JAX with a
`keras.distribution.DataParallel` set globally, wrapped so that the trainer uses both
alike (`scope()`, `num_replicas_in_sync`). The backend makes them
(`gan_zoo.backends.Backend.make_strategy`); this module names and checks them.
"""

import os
import platform
import re
import sys

import keras

from gan_zoo import backends
from gan_zoo.backends import DistributionError  # noqa: F401 - raised by make_strategy, caught by tools

STRATEGIES = ("default", "one_device", "mirrored", "multi_worker", "tpu")


def make_strategy(name: str = "default", cpu_devices: int = 0):
    """A strategy by name, for the running backend.

    `cpu_devices` = N > 1 splits the CPU into N devices (before the backend uses any
    device), so that "mirrored" runs on a machine without GPUs; with GPUs, mirrored uses
    all of them. On TensorFlow "multi_worker" reads TF_CONFIG and "tpu" resolves the
    local TPU; on JAX "mirrored" (and "tpu") is data parallelism over every local device,
    and "multi_worker" first joins the processes with `jax.distributed.initialize()`
    (which reads its coordinator from the environment or the cluster) and then spreads
    over every process's devices.
    """
    if name not in STRATEGIES:
        raise DistributionError(f"strategy must be one of {STRATEGIES}, got {name!r}.")
    return backends.current().make_strategy(name, cpu_devices)


def default_strategy():
    """The strategy in effect when none is given."""
    return backends.current().default_strategy()


def process_shard() -> tuple[int, int]:
    """(this process's index, the process count) of a multi-process JAX run, whose
    processes each feed their share of every global batch; (0, 1) otherwise (TensorFlow
    strategies shard their tf.data input themselves)."""
    return backends.current().process_shard()


def gpus() -> list[dict]:
    """The GPUs the backend sees: [{"name": ..., "compute_capability": (major, minor) or None}]."""
    return backends.current().gpus()


def fast_bfloat16() -> bool:
    """Whether bfloat16 is fast here: a GPU of compute capability >= 8.0, or (with no GPU,
    on TensorFlow) a CPU with AMX or AVX-512 BF16. Elsewhere bf16 is emulated and slower.
    XLA on CPU (JAX) does not use those units: on an AVX-512 BF16 EPYC its bf16 matmul ran
    at 174-182 GFLOP/s against 208-210 in float32 (TensorFlow's: 409-422 against 209-215),
    and the default config trained no faster in bf16 (docs/PERFORMANCE.md)."""
    found = gpus()
    if found:
        capability = found[0]["compute_capability"]
        return bool(capability) and capability[0] >= 8
    if not backends.current().bfloat16_units_on_cpu:
        return False
    return bool(set(_first_cpuinfo().get("flags", "").split()) & {"amx_bf16", "avx512_bf16"})


# The CPU's vector and matrix units that decide its speed: a figure names the ones it had.
CPU_FEATURES = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")


def _first_cpuinfo() -> dict:
    """The first processor's fields in /proc/cpuinfo ({} where the file is missing)."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    return fields


def machine() -> dict:
    """What a run or a benchmark was measured on: backend, CPU (its name, family and model,
    and `CPU_FEATURES`: one marketing name covers several generations), GPUs, library
    versions."""
    info = _first_cpuinfo()
    cpu = info.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in info and "model" in info:
        cpu += f" (family {info['cpu family']} model {info['model']})"
    features = [flag for flag in CPU_FEATURES if flag in info.get("flags", "").split()]
    versions = {"keras": keras.__version__}
    for name in ("tensorflow", "jax", "torch"):  # those this process uses, not all installed
        module = sys.modules.get(name)  # (None where an import of it was blocked)
        if module is not None:
            versions[name] = module.__version__
    driver = None
    try:  # "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build ..."
        with open("/proc/driver/nvidia/version") as f:
            found = re.search(r"\s(\d+\.\d+(?:\.\d+)?)\s", f.readline())
        driver = found and found.group(1)
    except OSError:
        pass
    return {"backend": backends.current().name, "cpu": cpu, "cpu_features": features,
            "cpu_cores": len(os.sched_getaffinity(0)),
            "gpu": [g["name"] for g in gpus()], "gpu_driver": driver, **versions,
            "fast_bfloat16": fast_bfloat16()}
