"""Two XLA-on-CPU traps of StyleGAN2's training step on JAX, each timed side by side in
one process (milliseconds per call, median of --repeats, after one compiling call):

1. `FIRFilter`'s two forms (gan_zoo/layers/fir.py) at the 32-px preset's shapes: the
   depthwise convolution and the shifted slices, forward and gradient, for up-sampling,
   down-sampling and the blur.
2. A 3x3 convolution's forward pass, input gradient and kernel gradient, plain and inside
   a `lax.cond` branch (where the zoo's lazy R1 and path length penalties run): XLA's CPU
   backend runs the kernel gradient there far slower (jax-ml/jax#12868 reports the same for
   loop bodies).
3. The way round it, `gan_zoo.backends.jax_convolution`: the gradient and an R1 penalty's
   gradient through two 3x3 convolutions (stride 1, then 2), plain and inside the
   `lax.cond` branch, with JAX's own convolution and with the zoo's.

  python benchmarks/xla_cpu_convolutions.py --output=docs/cpu/<machine>/xla_cpu_convolutions.json
"""

import os
import statistics
import time

os.environ["KERAS_BACKEND"] = "jax"

from absl import app, flags  # noqa: E402

from gan_zoo_tools.common import TYPED_ARGV, parse_flags  # noqa: E402
from measure import write_figures  # noqa: E402

_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed calls per case.", lower_bound=1)
_BATCH = flags.DEFINE_integer("batch", 32, "Batch size (the StyleGAN2 preset's).", lower_bound=1)
_OUTPUT = flags.DEFINE_string("output", None, "Write the JSON figures here.")


def milliseconds(function, *args) -> float:
    import jax

    jax.block_until_ready(function(*args))  # compiles
    times = []
    for _ in range(_REPEATS.value):
        start = time.perf_counter()
        jax.block_until_ready(function(*args))
        times.append(1e3 * (time.perf_counter() - start))
    return round(statistics.median(times), 3)


def fir_forms(x) -> dict:
    import jax
    import jax.numpy as jnp

    from gan_zoo.layers import fir

    figures = {}
    for name, (up, down) in {"up": (2, 1), "down": (1, 2), "blur": (1, 1)}.items():
        for form in (fir.fir_by_depthwise_conv, fir.fir_by_shifted_slices):
            def forward(x, form=form, up=up, down=down):
                return form(x, up, down)

            gradient = jax.grad(lambda x, forward=forward: jnp.sum(forward(x) ** 2))
            figures[f"{name} {form.__name__}"] = {"forward_ms": milliseconds(jax.jit(forward), x),
                                                  "gradient_ms": milliseconds(jax.jit(gradient), x)}
    return figures


def convolution_in_cond(x) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    channels = x.shape[-1]
    kernel = jnp.asarray(np.random.default_rng(1).normal(0, 0.05, (3, 3, channels, channels)), "float32")

    def convolve(kernel, x):
        return jax.lax.conv_general_dilated(x, kernel, (1, 1), "SAME",
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))

    def loss(kernel, x):
        return jnp.sum(convolve(kernel, x) ** 2)

    figures = {}
    for name, function in {"forward": convolve, "input gradient": jax.grad(loss, 1),
                           "kernel gradient": jax.grad(loss, 0)}.items():
        shape = jax.eval_shape(function, kernel, x)

        def in_cond(kernel, x, due, function=function, shape=shape):
            return jax.lax.cond(due, lambda: function(kernel, x), lambda: jnp.zeros(shape.shape, shape.dtype))

        figures[name] = {"plain_ms": milliseconds(jax.jit(function), kernel, x),
                         "in_cond_ms": milliseconds(jax.jit(in_cond), kernel, x, True)}
    return figures


def r1_through_two_convolutions(x) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    from gan_zoo.backends import jax_convolution

    channels = x.shape[-1]
    rng = np.random.default_rng(2)
    kernels = [jnp.asarray(rng.normal(0, 0.05, (3, 3, channels, channels)), "float32") for _ in range(2)]

    def jaxs_own(x, kernel, strides):
        return jax.lax.conv_general_dilated(x, kernel, (strides, strides), "SAME",
                                            dimension_numbers=jax_convolution.LAYOUT)

    figures = {}
    convolutions = {"jax's convolution": jaxs_own, "gan_zoo.backends.jax_convolution": jax_convolution.conv2d}
    for name, conv in convolutions.items():
        def critic(kernels, x, conv=conv):
            return jnp.sum(conv(jax.nn.leaky_relu(conv(x, kernels[0], 1)), kernels[1], 2))

        def r1(kernels, x, critic=critic):
            return jnp.sum(jax.grad(critic, 1)(kernels, x) ** 2)

        cases = {"kernel gradient": jax.grad(critic), "R1's kernel gradient": jax.grad(r1)}
        for case, function in cases.items():
            def in_cond(kernels, x, due, function=function):
                unpenalized = [jnp.zeros_like(kernel) for kernel in kernels]
                return jax.lax.cond(due, lambda: function(kernels, x), lambda: unpenalized)

            figures[f"{case}, {name}"] = {"plain_ms": milliseconds(jax.jit(function), kernels, x),
                                          "in_cond_ms": milliseconds(jax.jit(in_cond), kernels, x, True)}
    return figures


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}")
    import jax.numpy as jnp
    import numpy as np

    from gan_zoo import devices

    x = jnp.asarray(np.random.default_rng(0).normal(size=(_BATCH.value, 16, 16, 64)), "float32")
    results = {"machine": devices.machine(), "command": " ".join(["python", *TYPED_ARGV]),
               "input_shape": list(x.shape), "repeats": _REPEATS.value,
               "fir_forms": fir_forms(x), "convolution_in_cond": convolution_in_cond(x),
               "r1_through_two_convolutions": r1_through_two_convolutions(x)}
    for section in ("fir_forms", "convolution_in_cond", "r1_through_two_convolutions"):
        for case, times in results[section].items():
            print(f"{section}: {case}: " + ", ".join(f"{k} {v}" for k, v in times.items()))
    if _OUTPUT.value:
        write_figures(_OUTPUT.value, results)


if __name__ == "__main__":
    app.run(main, flags_parser=parse_flags)
