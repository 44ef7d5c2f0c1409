"""One train step of each variant on 2 JAX processes (one CPU device each) on 127.0.0.1,
or on one process with one device: `jax_processes_step.py VARIANTS PORT PROCESS_ID` or
`jax_processes_step.py VARIANTS single`, VARIANTS comma-separated.

The processes join through `jax.distributed.initialize` (as `--strategy=multi_worker`
does) with CPU collectives over gloo, and train under `keras.distribution.DataParallel`
over both processes' devices, each feeding its half of every global minibatch. The
networks, data, noise and interpolation weights are those of data_parallel_step.py.
Prints JSON: {variant: the updated weights (flattened), the logs, the generator steps}.
"""

import json
import os
import sys

os.environ["KERAS_BACKEND"] = "jax"
import jax  # noqa: E402

VARIANTS, MODE = sys.argv[1], sys.argv[2]
if MODE != "single":
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(coordinator_address=f"127.0.0.1:{MODE}", num_processes=2,
                               process_id=int(sys.argv[3]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from data_parallel_step import BATCH, build, tie_randomness_to_examples  # noqa: E402

if MODE != "single":
    assert len(jax.devices()) == 2 and len(jax.local_devices()) == 1, jax.devices()
    distribution = keras.distribution.DataParallel(devices=jax.devices())
    distribution.auto_shard_dataset = False  # each process feeds its own half
    keras.distribution.set_distribution(distribution)


def one_step(variant):
    keras.utils.set_random_seed(0)  # every process must create the same initial values
    gan = build(variant)
    tie_randomness_to_examples(gan)
    real = np.random.default_rng(1).normal(size=(BATCH * gan.d_steps, 2)).astype("float32")
    if MODE == "single":
        history = gan.fit(real, batch_size=BATCH, epochs=1, verbose=0, shuffle=False).history
    else:  # the global minibatch is the processes' halves, concatenated in process order
        half = len(real) // 2
        local = real[jax.process_index() * half:(jax.process_index() + 1) * half]
        history = gan.fit(local, batch_size=BATCH // 2, epochs=1, verbose=0, shuffle=False).history
    weights = gan.generator.get_weights() + gan.discriminator.get_weights()
    return {"weights": np.concatenate([np.ravel(w) for w in weights]).tolist(),
            "logs": {k: float(v[-1]) for k, v in history.items()}, "g_steps": int(gan.g_optimizer.iterations)}


print(json.dumps({variant: one_step(variant) for variant in VARIANTS.split(",")}))
