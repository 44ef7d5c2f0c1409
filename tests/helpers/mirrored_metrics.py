"""Streaming metrics on one device and under MirroredStrategy on 2 logical CPUs.

Run as a subprocess (logical devices must be set before TensorFlow starts). Prints JSON:
each metric's pure-function value, its single-device streaming value and its mirrored
streaming value, over the same samples fed in batches.
"""

import json

import numpy as np
import tensorflow as tf

cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)

from gan_zoo import metrics  # noqa: E402
from gan_zoo.metrics import distances, streaming  # noqa: E402

rng = np.random.default_rng(0)
real = rng.normal(size=(96, 6)).astype("float32")
fake = (rng.normal(size=(96, 6)) * 1.3 + 0.4).astype("float32")
logits = rng.normal(size=(96, 5)) * 2
probs = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype("float32")
points = (rng.normal(size=(96, 2)) * 0.02 + np.array([1.0, 0.0])).astype("float32")
points[::3] = rng.uniform(-1.5, 1.5, size=(32, 2))


def make():
    return {"fid": streaming.FrechetDistance(6), "kid": streaming.KernelDistance(6),
            "is": streaming.InceptionScore(5), "modes": streaming.ModeCoverage("ring8")}


def update(ms, r, f, p, x):
    ms["fid"].update_state(r, f)
    ms["kid"].update_state(r, f)
    ms["is"].update_state(p)
    ms["modes"].update_state(x)


def results(ms):
    out = {}
    for name, m in ms.items():
        value = m.result()
        out[name] = {k: float(v) for k, v in value.items()} if isinstance(value, dict) else float(value)
    return out


single = make()
for i in range(0, 96, 32):
    update(single, real[i:i + 32], fake[i:i + 32], probs[i:i + 32], points[i:i + 32])

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    mirrored = make()
dataset = strategy.experimental_distribute_dataset(
    tf.data.Dataset.from_tensor_slices((real, fake, probs, points)).batch(32))


@tf.function
def distributed_update(batch):
    strategy.run(lambda r, f, p, x: update(mirrored, r, f, p, x), args=batch)


for batch in dataset:
    distributed_update(batch)

mode_figures = metrics.mode_metrics(points, "ring8")
functions = {"fid": metrics.fid(real, fake),
             "kid": distances._polynomial_mmd(real.astype("float64"), fake.astype("float64")),
             "is": metrics.inception_score(probs, splits=1)[0],
             "modes": {k: float(mode_figures[k]) for k in ("modes", "high_quality", "reverse_kl")}}
print(json.dumps({"functions": functions, "single": results(single), "mirrored": results(mirrored),
                  "replicas": strategy.num_replicas_in_sync}))
