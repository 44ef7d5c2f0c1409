"""What needs a backend's autodiff or mutable state, once per backend.

A GAN variant is its paper's mathematics in `keras.ops`: losses, penalties, what it
logs. What it cannot write in `keras.ops` comes from a *stepper*, chosen by
`KERAS_BACKEND`:

- `minimize(optimizer, variables, objective)`: one optimizer update down the gradient
  of `objective()`'s loss (TensorFlow: a tape; JAX: `jax.value_and_grad`);
- `record(variables, forward)` and `minimize_through(optimizer, recorded, objective)`:
  a forward pass recorded once and differentiated later (the generator pass reused by
  the generator step; TensorFlow: a tape kept open; JAX: `jax.vjp`);
- `input_gradient(fn, x)`: d sum(fn(x)) / dx, for gradient penalties; what fn assigns
  (batch-norm statistics of the penalty's extra pass) is dropped;
- `cond(condition, true_fn, false_fn)`: one of two functions, chosen by a tensor (lazy
  penalties), either of which may assign variables;
- `repeat(count, body)`: body(i) a data-dependent number of times (a while loop);
- `normal`, `uniform`: noise from a `keras.random.SeedGenerator`, distinct per replica;
- `average`, `average_scalar`, `global_batch`: reductions that stay exact when a batch
  is split across devices;
- `train_step(model, *args)`: Keras's entry point, which runs `model.adversarial_step`
  (TensorFlow: on variables; JAX: on the functional state, see `backends.jax`).

Variables are assigned as usual (`w.assign(...)`, optimizers, batch norm, trackers):
on JAX every such write lands in the functional state, as in Keras's own JAX trainer.
Nothing here imports a model.
"""

import keras

from gan_zoo.backends.optimizer_pair import OptimizerPair


def stepper():
    """The stepper of the running Keras backend."""
    name = keras.backend.backend()
    if name == "tensorflow":
        from gan_zoo.backends import tensorflow as module
    elif name == "jax":
        from gan_zoo.backends import jax as module
    else:
        raise RuntimeError(f"gan_zoo runs on the tensorflow and jax backends, not {name!r}: "
                           "set KERAS_BACKEND=tensorflow or KERAS_BACKEND=jax.")
    return module.STEPPER


__all__ = ["OptimizerPair", "stepper"]
