"""The generator's and the discriminator's optimizers seen by Keras as one."""

import keras


class OptimizerPair(keras.optimizers.Optimizer):
    """Keras's `model.optimizer` for a GAN: `variables` are both optimizers' variables.

    Keras's JAX trainer carries only `model.optimizer.variables` through the jitted
    state of `fit`; a second optimizer's slots (Adam's moments of D) would be read as
    constants and never updated. Passed to `Model.compile`, the pair puts both
    optimizers' variables into that state. It applies nothing itself: each network is
    updated by its own optimizer. `iterations` and `learning_rate` are the generator
    optimizer's (one generator step per `fit` batch), for Keras's callbacks. Each
    optimizer saves its own state, so the pair saves none.
    """

    def __init__(self, g_optimizer, d_optimizer):
        super().__init__(learning_rate=0.0, name="optimizer_pair")
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.built = True

    @property
    def variables(self):
        return [*self.g_optimizer.variables, *self.d_optimizer.variables]

    @property
    def iterations(self):
        return self.g_optimizer.iterations

    @property
    def learning_rate(self):
        return self.g_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.g_optimizer.learning_rate = value

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError("OptimizerPair applies nothing: use g_optimizer or d_optimizer.")

    def save_own_variables(self, store):
        pass

    def load_own_variables(self, store):
        pass
