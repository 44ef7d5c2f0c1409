"""A 2-D convolution (NHWC input, HWIO kernel) whose gradients, of any order, are
convolutions in that same layout: for JAX on CPU.

JAX writes a convolution's kernel gradient as a convolution over the batch (the input's
features taken as its batch, the batch as its features). Inside a `lax.cond` branch XLA's
CPU backend ran that 48 times slower than at a program's top level
(benchmarks/xla_cpu_convolutions.py; jax-ml/jax#12868 reports the same of convolutions in
loop bodies). The zoo's lazy R1 and path length penalties run in such a branch,
and they differentiate every convolution twice. Here each gradient transposes its operands
itself, into NHWC and HWIO, and is again this convolution, so a gradient of a gradient is
too.
"""

import functools

import jax
import jax.numpy as jnp

LAYOUT = ("NHWC", "HWIO", "NHWC")
Pairs = tuple[tuple[int, int], tuple[int, int]]


def conv2d(x, kernel, strides: int = 1):
    """`keras.ops.conv(x, kernel, strides, padding="same")`: x [N, H, W, C_in], kernel
    [k, k, C_in, C_out] -> [N, ceil(H / strides), ceil(W / strides), C_out], padded as
    XLA's "SAME" (any odd pixel of padding after)."""
    kernel = jnp.asarray(kernel)
    x = jnp.asarray(x, kernel.dtype)  # as Keras's convolution
    padding = tuple(_same_padding(x.shape[1 + axis], kernel.shape[axis], strides) for axis in range(2))
    return _conv(x, kernel, (strides, strides), padding, (1, 1), (1, 1))


def _same_padding(size: int, k: int, stride: int) -> tuple[int, int]:
    total = max((-(-size // stride) - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4, 5))
def _conv(x, kernel, strides: tuple, padding: Pairs, lhs_dilation: tuple, rhs_dilation: tuple):
    return jax.lax.conv_general_dilated(x, kernel, strides, padding, lhs_dilation, rhs_dilation,
                                        dimension_numbers=LAYOUT)


def _conv_forward(x, kernel, strides, padding, lhs_dilation, rhs_dilation):
    return _conv(x, kernel, strides, padding, lhs_dilation, rhs_dilation), (x, kernel)


def _conv_backward(strides, padding, lhs_dilation, rhs_dilation, operands, gradient):
    """The input and kernel gradients of y = x (*) kernel. Per spatial axis, with the input
    size n spread by the input dilation d to n' = (n - 1) d + 1, the kernel size k spread by
    its dilation e to k' = (k - 1) e + 1, the output size m spread by the stride s to
    m' = (m - 1) s + 1, and the padding (lo, hi):
    dx = dy spread by s (*) the kernel flipped, C_in and C_out swapped, padded
    (k' - 1 - lo, n' - m' + lo), at stride d and kernel dilation e;
    dK = x as [C_in, H, W, N] spread by d (*) dy as [H_out, W_out, N, C_out], padded
    (lo, m' - n' + k' - lo - 1), at stride e and kernel dilation s; then [k, k, C_in, C_out]."""
    x, kernel = operands
    x_padding, kernel_padding = [], []
    for axis in range(2):
        n, k, m = x.shape[1 + axis], kernel.shape[axis], gradient.shape[1 + axis]
        lo = padding[axis][0]
        n_spread = (n - 1) * lhs_dilation[axis] + 1
        k_spread = (k - 1) * rhs_dilation[axis] + 1
        m_spread = (m - 1) * strides[axis] + 1
        x_padding.append((k_spread - 1 - lo, n_spread - m_spread + lo))
        kernel_padding.append((lo, m_spread - n_spread + k_spread - lo - 1))
    flipped = jnp.transpose(jnp.flip(kernel, (0, 1)), (0, 1, 3, 2))
    dx = _conv(gradient, flipped, lhs_dilation, tuple(x_padding), strides, rhs_dilation)
    dkernel = _conv(jnp.transpose(x, (3, 1, 2, 0)), jnp.transpose(gradient, (1, 2, 0, 3)), rhs_dilation,
                    tuple(kernel_padding), lhs_dilation, strides)
    return dx, jnp.transpose(dkernel, (1, 2, 0, 3))


_conv.defvjp(_conv_forward, _conv_backward)
