"""JAX's convolution for CPU (`gan_zoo.backends.jax_convolution`): JAX's own gradients, of
the first and second order, with every gradient traced as a convolution in one layout."""

import re

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

from conftest import BACKEND  # noqa: E402
from gan_zoo import layers  # noqa: E402
from gan_zoo.backends import jax_convolution  # noqa: E402

NHWC_HWIO = ("(0, 3, 1, 2)", "(3, 2, 0, 1)", "(0, 3, 1, 2)")
LAYOUTS = r"lhs_spec=(\(.*?\)), rhs_spec=(\(.*?\)), out_spec=(\(.*?\))"


def jax_conv(x, kernel, strides, padding, lhs_dilation=(1, 1), rhs_dilation=(1, 1)):
    return jax.lax.conv_general_dilated(x, kernel, strides, padding, lhs_dilation, rhs_dilation,
                                        dimension_numbers=jax_convolution.LAYOUT)


def jaxs_same_conv(x, kernel, strides: int):
    """What `jax_convolution.conv2d` stands in for: JAX's own "SAME" convolution."""
    return jax_conv(x, kernel, (strides, strides), "SAME")


def gradients(conv, x, kernel, weights):
    """The output, d/dx and d/dK of sum(y w), and d/dx and d/dK of a penalty of that
    gradient (R1's and path length's shape: a gradient differentiated again)."""
    def first(x, kernel):
        return jnp.sum(jnp.tanh(conv(x, kernel)) * weights)

    def penalty(x, kernel):
        dx, dkernel = jax.grad(first, (0, 1))(x, kernel)
        return jnp.sum(dx ** 2) + jnp.sum(dkernel ** 3)

    return conv(x, kernel), *jax.grad(first, (0, 1))(x, kernel), *jax.grad(penalty, (0, 1))(x, kernel)


@pytest.mark.parametrize("size,k,stride,dilations", [(6, 3, 2, (1, 1)), (5, 3, 1, (2, 1)), (6, 1, 2, (1, 2)),
                                                     (5, 3, 2, (2, 2))])
def test_gradients_of_both_orders_are_jaxs_own(size, k, stride, dilations):
    """With the dilations the gradients' own convolutions take (a stride becomes an input
    dilation in the input gradient and a kernel dilation in the kernel gradient)."""
    rng = np.random.default_rng(size + 10 * k + 100 * stride)
    x = jnp.asarray(rng.normal(size=(2, size, size + 1, 3)), "float32")
    kernel = jnp.asarray(rng.normal(size=(k, k, 3, 4)), "float32")
    settings = ((stride, stride), ((1, 2), (0, 1)), *((d, d) for d in dilations))
    ours = lambda x, kernel: jax_convolution._conv(x, kernel, *settings)  # noqa: E731
    theirs = lambda x, kernel: jax_conv(x, kernel, *settings)  # noqa: E731
    weights = jnp.asarray(rng.normal(size=theirs(x, kernel).shape), "float32")
    for name, a, b in zip(("y", "dx", "dK", "d2x", "d2K"), gradients(ours, x, kernel, weights),
                          gradients(theirs, x, kernel, weights), strict=True):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5 * float(jnp.max(jnp.abs(b))), err_msg=name)


@pytest.mark.parametrize("strides", [1, 2])
def test_conv2d_is_kerass_same_convolution(strides):
    rng = np.random.default_rng(strides)
    x = jnp.asarray(rng.normal(size=(2, 7, 8, 3)), "float32")
    kernel = jnp.asarray(rng.normal(size=(3, 3, 3, 5)), "float32")
    np.testing.assert_allclose(jax_convolution.conv2d(x, kernel, strides), jaxs_same_conv(x, kernel, strides),
                               rtol=1e-6, atol=1e-5)


def layouts(conv) -> list[tuple]:
    """The (input, kernel, output) layouts of every convolution JAX traces for a lazy R1
    step's gradient through two convolutions (stride 2, then 1) inside a `lax.cond` branch,
    as the zoo's lazy penalties run."""
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(4, 8, 8, 3)), "float32")
    kernels = [jnp.asarray(rng.normal(size=shape), "float32") for shape in ((3, 3, 3, 4), (3, 3, 4, 4))]

    def critic(kernels, x):
        return jnp.sum(conv(jnp.tanh(conv(x, kernels[0], 2)), kernels[1], 1))

    def r1(kernels, x):
        return jnp.sum(jax.grad(critic, 1)(kernels, x) ** 2)

    def step(kernels, x, due):
        unpenalized = [jnp.zeros_like(kernel) for kernel in kernels]
        return jax.lax.cond(due, lambda: jax.grad(r1)(kernels, x), lambda: unpenalized)

    return re.findall(LAYOUTS, str(jax.make_jaxpr(step)(kernels, x, True)), re.S)


def test_every_convolution_of_a_lazy_penalty_is_in_the_one_layout():
    """What makes it fast on CPU, held as what JAX hands XLA (the speed itself is
    benchmarks/xla_cpu_convolutions.py's). JAX's own convolution, the contrast, hands it
    kernel gradients over the batch."""
    ours = layouts(jax_convolution.conv2d)
    assert len(ours) >= 10 and set(ours) == {NHWC_HWIO}, ours
    assert set(layouts(jaxs_same_conv)) - {NHWC_HWIO}


@pytest.mark.backends("jax")
@pytest.mark.skipif(BACKEND != "jax", reason="the JAX backend's choice")
@pytest.mark.parametrize("layer", [layers.EqualizedConv2D(4, 3, strides=2), layers.ModulatedConv2D(4, 3)])
def test_the_zoos_convolution_layers_take_it_on_jax_on_cpu(layer):
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    inputs = [x, np.ones((2, 5), "float32")] if isinstance(layer, layers.ModulatedConv2D) else x
    layer.build([i.shape for i in inputs] if isinstance(inputs, list) else x.shape)
    values = [v.value for v in layer.trainable_variables]

    def loss(values):
        y, _ = layer.stateless_call(values, [v.value for v in layer.non_trainable_variables], inputs)
        return jnp.sum(y ** 2)

    assert set(re.findall(LAYOUTS, str(jax.make_jaxpr(jax.grad(loss))(values)), re.S)) == {NHWC_HWIO}
