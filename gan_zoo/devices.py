"""Devices and distribution, on either backend: strategies, GPUs, bf16 units, the machine.

TensorFlow distributes with a `tf.distribute.Strategy`; JAX with a
`keras.distribution.DataParallel` set globally, here wrapped in `JaxDistribution` so
that the trainer uses both alike (`scope()`, `num_replicas_in_sync`). On JAX, "mirrored"
(and "tpu") is data parallelism over every local device, and "multi_worker" first joins
the processes with `jax.distributed.initialize()` (which reads its coordinator from the
environment or the cluster) and then spreads over every process's devices.
"""

import contextlib
import os
import platform
import re

import keras

STRATEGIES = ("default", "one_device", "mirrored", "multi_worker", "tpu")


class DistributionError(ValueError):
    """A strategy that cannot be set up: the message says why and what to do."""


class JaxDistribution:
    """A `keras.distribution` data-parallel layout seen as a strategy."""

    def __init__(self, distribution=None):
        self.distribution = distribution
        keras.distribution.set_distribution(distribution)

    @property
    def num_replicas_in_sync(self) -> int:
        return len(self.distribution.device_mesh.devices.reshape(-1)) if self.distribution else 1

    def scope(self):
        return contextlib.nullcontext()


def make_strategy(name: str = "default", cpu_devices: int = 0):
    """A strategy by name, for the running backend.

    `cpu_devices` = N > 1 splits the CPU into N devices (before the backend uses any
    device), so that "mirrored" runs on a machine without GPUs; with GPUs, mirrored uses
    all of them. On TensorFlow "multi_worker" reads TF_CONFIG and "tpu" resolves the
    local TPU.
    """
    if name not in STRATEGIES:
        raise DistributionError(f"strategy must be one of {STRATEGIES}, got {name!r}.")
    if keras.backend.backend() == "jax":
        return _jax_strategy(name, cpu_devices)
    return _tensorflow_strategy(name, cpu_devices)


def _jax_strategy(name: str, cpu_devices: int) -> JaxDistribution:
    import jax

    if cpu_devices > 1:
        try:
            jax.config.update("jax_num_cpu_devices", cpu_devices)
        except RuntimeError as error:
            raise DistributionError(f"cpu_devices must be set before JAX starts: {error}") from error
    if name == "multi_worker":
        try:
            # Cross-process collectives on CPU go over gloo (tests/helpers/jax_processes_step.py).
            jax.config.update("jax_cpu_collectives_implementation", "gloo")
            jax.distributed.initialize(**_jax_cluster_from_environment())
        except (RuntimeError, ValueError) as error:
            raise DistributionError(
                f"jax.distributed.initialize() failed: {error}. Set JAX_COORDINATOR_ADDRESS, "
                "JAX_NUM_PROCESSES and JAX_PROCESS_ID, or run under a cluster JAX detects.") from error
    if name in ("default", "one_device"):
        return JaxDistribution(None)
    return JaxDistribution(keras.distribution.DataParallel(devices=jax.devices()))


def _jax_cluster_from_environment() -> dict:
    """jax.distributed.initialize's arguments from JAX_COORDINATOR_ADDRESS,
    JAX_NUM_PROCESSES and JAX_PROCESS_ID where they are set (JAX reads only the first
    itself; a cluster JAX detects, e.g. SLURM, needs none of them)."""
    names = {"JAX_COORDINATOR_ADDRESS": ("coordinator_address", str),
             "JAX_NUM_PROCESSES": ("num_processes", int), "JAX_PROCESS_ID": ("process_id", int)}
    try:
        return {argument: kind(os.environ[name]) for name, (argument, kind) in names.items()
                if os.environ.get(name)}
    except ValueError as error:
        raise DistributionError(f"JAX_NUM_PROCESSES and JAX_PROCESS_ID must be integers: {error}.") from None


def process_shard() -> tuple[int, int]:
    """(this process's index, the process count) of a multi-process JAX run, whose
    processes each feed their share of every global batch; (0, 1) otherwise (TensorFlow
    strategies shard their tf.data input themselves)."""
    if keras.backend.backend() != "jax":
        return 0, 1
    import jax

    return jax.process_index(), jax.process_count()


def _tensorflow_strategy(name: str, cpu_devices: int):
    import tensorflow as tf

    if cpu_devices > 1:
        cpus = tf.config.list_physical_devices("CPU")
        try:
            tf.config.set_logical_device_configuration(
                cpus[0], [tf.config.LogicalDeviceConfiguration()] * cpu_devices)
        except RuntimeError as error:
            raise DistributionError(f"cpu_devices must be set before TensorFlow starts: {error}") from error
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "multi_worker":  # before anything starts TensorFlow's runtime
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if name == "mirrored":
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def default_strategy():
    """The strategy in effect when none is given."""
    if keras.backend.backend() == "jax":
        return JaxDistribution(keras.distribution.distribution())
    import tensorflow as tf

    return tf.distribute.get_strategy()


def gpus() -> list[dict]:
    """The GPUs the backend sees: [{"name": ..., "compute_capability": (major, minor) or None}]."""
    if keras.backend.backend() == "jax":
        import jax

        def capability(device):
            parts = str(getattr(device, "compute_capability", "")).split(".")
            return tuple(int(x) for x in parts if x.isdigit()) or None

        return [{"name": d.device_kind, "compute_capability": capability(d)}
                for d in jax.devices() if d.platform == "gpu"]
    import tensorflow as tf

    found = []
    for device in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(device)
        found.append({"name": details.get("device_name", device.name),
                      "compute_capability": details.get("compute_capability")})
    return found


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
    if keras.backend.backend() == "jax":
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(next((line for line in f if line.startswith("flags")), "").split())
    except OSError:
        return False
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def machine() -> dict:
    """What a run or a benchmark was measured on: backend, CPU, GPUs, library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    versions = {"keras": keras.__version__}
    for module in ("tensorflow", "jax"):
        try:
            versions[module] = __import__(module).__version__
        except ImportError:
            pass
    driver = None
    try:  # "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build ..."
        with open("/proc/driver/nvidia/version") as f:
            found = re.search(r"\s(\d+\.\d+(?:\.\d+)?)\s", f.readline())
        driver = found and found.group(1)
    except OSError:
        pass
    return {"backend": keras.backend.backend(), "cpu": cpu, "cpu_cores": len(os.sched_getaffinity(0)),
            "gpu": [g["name"] for g in gpus()], "gpu_driver": driver, **versions,
            "fast_bfloat16": fast_bfloat16()}
