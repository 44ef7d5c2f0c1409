"""Improved GAN and the semi-supervised GAN (Salimans et al. 2016)."""

import keras
from keras import ops

from gan_zoo import losses
from gan_zoo.layers import with_features
from gan_zoo.models.gan import GAN


@keras.saving.register_keras_serializable(package="gan_zoo")
class ImprovedGAN(GAN):
    """Salimans et al. 2016, "Improved Techniques for Training GANs".

    - Feature matching (3.1): G minimises ||E f(x) - E f(G(z))||^2 on D's layer
      `feature_layer`, alone (adversarial_weight = 0, the paper's choice) or plus
      adversarial_weight times the non-saturating loss.
    - Minibatch discrimination (3.2) is a layer of D:
      `gan_zoo.layers.MinibatchDiscrimination` (`networks.minibatch_kernels` in configs).
    - One-sided label smoothing (3.4): real targets 1 - label_smoothing = 0.9, fake 0.
    - Historical averaging (3.3): historical_weight * ||theta - mean of past theta||^2
      added to each player's cost; off (0) by default as in the paper's experiments.
    """

    also_logged = {"feature_matching": ("loss/feature_matching", "||E f(x) - E f(G(z))||^2 on D's feature "
                                        "layer, G's loss (feature matching)")}

    def __init__(self, generator, discriminator, latent_dim, d_steps=1, feature_layer="features",
                 adversarial_weight=0.0, label_smoothing=0.1, historical_weight=0.0, **kwargs):
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps,
                         label_smoothing=label_smoothing, **kwargs)
        self.feature_layer = feature_layer
        self.adversarial_weight = float(adversarial_weight)
        self.historical_weight = float(historical_weight)
        # Rebuilt from D rather than serialized: it shares D's weights.
        self.feature_view = with_features(discriminator, feature_layer)
        self.historical_means = {}
        if self.historical_weight:
            for name, network in (("g", generator), ("d", discriminator)):
                self.historical_means[name] = [
                    self.add_weight(shape=w.shape, initializer="zeros", trainable=False,
                                    name=f"{name}_historical_mean_{i}")
                    for i, w in enumerate(network.trainable_variables)]

    def historical_penalty(self, name, network):
        """historical_weight * sum ||theta - mean of past theta||^2 (0 when off)."""
        if not self.historical_weight:
            return 0.0
        return self.historical_weight * sum(
            ops.sum(ops.square(w - m))
            for w, m in zip(network.trainable_variables, self.historical_means[name], strict=True))

    def update_historical_means(self, name, network, optimizer):
        if self.historical_weight:
            t = ops.cast(optimizer.iterations, "float32")  # updates so far, this one included
            for w, m in zip(network.trainable_variables, self.historical_means[name], strict=True):
                m.assign(ops.where(t <= 1.0, w.value, m.value + (w.value - m.value) / t))

    def discriminator_objective(self, real, fake, labels=None):
        objective, logs = super().discriminator_objective(real, fake, labels)
        if not self.historical_weight:
            return objective, logs
        historical = self.historical_penalty("d", self.discriminator)
        return objective + self.average_scalar(historical), {**logs, "d_loss": logs["d_loss"] + historical}

    def after_discriminator_step(self):
        super().after_discriminator_step()
        self.update_historical_means("d", self.discriminator, self.d_optimizer)

    def logit(self, outputs):
        """The real-vs-fake logit in D's outputs (D's output itself here)."""
        return outputs

    def critic(self, x, labels=None, training=True):
        return self.logit(super().critic(x, labels, training))

    def matched_examples(self, labels):
        """Weights of the real examples whose mean features G matches (None: all alike)."""
        return None

    def generator_objective(self, real, fake, labels=None):
        def features(x):
            inputs = self.inputs_of_d(self.augmented(x), labels)
            return self.feature_view(inputs, training=True)

        real_features = ops.stop_gradient(features(real)[1])
        fake_out, fake_features = features(fake)
        fake_out = self.logit(fake_out)
        weights = self.matched_examples(labels)
        matching = losses.feature_matching_loss(
            self.global_batch(ops.cast(real_features, "float32")),
            self.global_batch(ops.cast(fake_features, "float32")),
            None if weights is None else self.global_batch(weights))
        g_loss = matching + self.historical_penalty("g", self.generator)
        objective = self.average_scalar(g_loss)
        if self.adversarial_weight:
            adversarial = self.adversarial_weight * self.generator_loss(fake_out)
            g_loss = g_loss + adversarial
            objective = objective + self.average(adversarial)
        return self.add_generator_penalties(objective, {"g_loss": g_loss, "feature_matching": matching},
                                            fake, labels)

    def generator_step(self, real, labels=None, recorded=None):
        logs = super().generator_step(real, labels, recorded)
        self.update_historical_means("g", self.generator, self.g_optimizer)
        return logs

    def checkpoint_items(self):
        items = super().checkpoint_items()
        for name, means in self.historical_means.items():
            items[f"{name}_historical_means"] = means
        return items

    def get_config(self):
        return {**super().get_config(), "feature_layer": self.feature_layer,
                "adversarial_weight": self.adversarial_weight,
                "historical_weight": self.historical_weight}


@keras.saving.register_keras_serializable(package="gan_zoo")
class SemiSupervisedGAN(ImprovedGAN):
    """Salimans et al. 2016, section 5: a K+1-class discriminator.

    D outputs K logits l(x); the "generated" class has the fixed logit 0, so
    D(x) = Z(x) / (Z(x) + 1) with Z(x) = sum_k exp l_k(x). Its loss is
    L_supervised (cross-entropy on the labelled examples) + L_unsupervised
    (-log D(x) on unlabelled examples, -log(1 - D(G(z))) on generated ones); G uses
    feature matching on the unlabelled examples (adversarial_weight = 0, section 5's
    choice; > 0 adds that times the non-saturating loss on log Z, as ImprovedGAN does).
    When every example of a batch is labelled, every example is unlabelled data too.
    Batches are (images, labels) with label -1 for unlabelled examples
    (`gan_zoo.data.load(..., labels_per_class=N)` makes them; `labelled_batch_size=M`
    appends M labelled examples to every batch, as the authors' code feeds D a labelled
    and an unlabelled minibatch). Each loss is the mean over its own examples of the
    global batch, however the batch is split across replicas; the fakes paired with
    labelled examples are left out. The authors' code halves L_unsupervised; this
    follows the paper's sum.

    `classifier` is the K-class classifier (the discriminator itself). No label
    smoothing by default: section 5 does not use it (it is a section 3.4 technique for
    sample quality), and smoothing the real class would bias the classifier.
    """

    also_logged = {
        "supervised_loss": ("classifier/supervised_loss", "cross-entropy of D's K classes on the labelled "
                            "examples"),
        "unsupervised_loss": ("loss/unsupervised", "D's real-vs-generated loss (K+1-class GAN), without "
                              "its penalties"),
        "accuracy": ("classifier/accuracy", "accuracy of D's K classes on the labelled examples of the "
                     "batch"),
        **ImprovedGAN.also_logged}
    needs_labels = True
    discriminator_classifies = True
    own_evaluation = "classifier_test_error"

    def __init__(self, generator, discriminator, latent_dim, d_steps=1, loss="non_saturating",
                 feature_layer="features", adversarial_weight=0.0, label_smoothing=0.0,
                 historical_weight=0.0, **kwargs):
        if kwargs.get("num_classes"):
            raise ValueError("The semi-supervised GAN's labels train its classifier (-1 for unlabelled "
                             "examples); its generator is not class-conditional: set "
                             "networks.conditioning to \"\".")
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, loss=loss,
                         feature_layer=feature_layer, adversarial_weight=adversarial_weight,
                         label_smoothing=label_smoothing, historical_weight=historical_weight,
                         **kwargs)

    @property
    def classifier(self) -> keras.Model:
        return self.discriminator

    def logit(self, outputs):
        """log Z(x): the logit of D(x) = Z / (Z + 1) against the fixed zero logit."""
        return ops.logsumexp(outputs, axis=-1)

    def real_minibatches(self, data):
        minibatches = super().real_minibatches(data)
        if minibatches[0][1] is None:
            raise ValueError("SemiSupervisedGAN needs (images, labels) batches, label -1 for "
                             "unlabelled examples: e.g. gan_zoo.data.load(name, batch_size, "
                             "labels_per_class=10).")
        return minibatches

    def discriminator_objective(self, real, fake, labels=None):
        real_logits = self.discriminator(self.augmented(real), training=True)
        real_lse, fake_lse = self.logit(real_logits), self.critic(fake)
        labels = ops.cast(labels, "int32")
        labelled = ops.cast(labels >= 0, "float32")
        unlabelled = self.matched_examples(labels)
        # -log D(x) = softplus(-lse), -log(1 - D(G(z))) = softplus(lse), per (x, z) pair.
        adversarial = self.discriminator_loss(real_lse, fake_lse)
        pairs, penalty_logs = self.add_penalties(adversarial, real, fake)
        cross_entropy = ops.sparse_categorical_crossentropy(
            ops.maximum(labels, 0), ops.cast(real_logits, "float32"), from_logits=True)
        supervised = cross_entropy * self.share_of(labelled)
        unlabelled_share = self.share_of(unlabelled)
        d_loss = pairs * unlabelled_share + supervised
        if penalty_logs:  # D's objective without the penalties
            penalty_logs["d_adversarial_loss"] = adversarial * unlabelled_share + supervised
        correct = ops.cast(ops.argmax(real_logits, -1) == labels, "float32")
        return (self.average(d_loss),
                {"d_loss": d_loss, "supervised_loss": (cross_entropy, labelled),
                 "unsupervised_loss": (adversarial, unlabelled), **penalty_logs,
                 **self.loss_pair.summaries(real_lse, fake_lse),  # D(x) = Z / (Z + 1)
                 "accuracy": (correct, labelled)})  # over the labelled examples only

    def share_of(self, mask):
        """mask * B / (examples with mask 1 in the global batch of B): per-example weights
        whose global-batch `average` is the mean over the masked examples."""
        everywhere = self.global_batch(mask)
        return mask * ops.cast(ops.shape(everywhere)[0], "float32") / ops.maximum(ops.sum(everywhere), 1.0)

    def matched_examples(self, labels):
        """The unlabelled examples (label -1): the real data of L_unsupervised and of G's
        feature matching. When the global batch has none (every example labelled), all."""
        if labels is None:
            return None
        unlabelled = ops.cast(ops.cast(labels, "int32") < 0, "float32")
        return ops.where(ops.sum(self.global_batch(unlabelled)) > 0, unlabelled, ops.ones_like(unlabelled))
