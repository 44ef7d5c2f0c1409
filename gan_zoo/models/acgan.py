"""The auxiliary classifier GAN of Odena et al. 2017."""

import keras
from keras import ops

from gan_zoo.models.gan import GAN


@keras.saving.register_keras_serializable(package="gan_zoo")
class ACGAN(GAN):
    """Odena et al. 2017, "Conditional Image Synthesis With Auxiliary Classifier GANs".

    G makes X_fake = G(c, z) of a class c; D gives a distribution over sources, P(S | X),
    and one over classes, P(C | X): one network, its first output the source logit and
    the next `num_classes` the class logits (`networks.build_networks(...,
    discriminator="auxiliary_classifier")`). With

        L_S = E[log P(S = real | X_real)] + E[log P(S = fake | X_fake)]   (eq. 2)
        L_C = E[log P(C = c | X_real)] + E[log P(C = c | X_fake)]         (eq. 3)

    D is trained to maximise L_S + L_C and G to maximise L_C - L_S (section 3). c of
    each X_fake is the label of the real example it is paired with, a draw from the
    data's label distribution.

    Args:
      loss: "minimax" (default), the paper's G, which minimises L_S's term on generated
        data, log(1 - D(G(z))) on the source logit; "non_saturating" minimises
        -log D(G(z)) instead, Goodfellow et al.'s section 3 heuristic, which most ACGAN
        code uses. Either way G also minimises -log P(C = c | X_fake).
      label_smoothing: one-sided smoothing of the real source target (0 in the paper).
      num_classes: the number of classes (required), passed to the base.
    """

    also_logged = {
        "class_loss": ("classifier/class_loss", "ACGAN: -L_C, D's cross-entropy of the class on real and "
                       "generated data"),
        "real_accuracy": ("classifier/real_accuracy", "ACGAN: accuracy of D's auxiliary classifier on real "
                          "data"),
        "fake_accuracy": ("classifier/fake_accuracy", "ACGAN: share of generated samples that D's "
                          "auxiliary classifier reads as their class")}
    needs_labels = True
    discriminator_kind = "auxiliary_classifier"

    def __init__(self, generator, discriminator, latent_dim, d_steps=1, loss="minimax",
                 label_smoothing=0.0, **kwargs):
        super().__init__(generator, discriminator, latent_dim, d_steps=d_steps, loss=loss,
                         label_smoothing=label_smoothing, **kwargs)
        if not self.num_classes:
            raise ValueError("ACGAN is class-conditional: pass num_classes and a generator built with "
                             "conditioning (networks.conditioning='concat' or 'projection').")
        outputs = discriminator.outputs[0].shape[-1]
        if len(discriminator.inputs) != 1 or outputs != 1 + self.num_classes:
            raise ValueError(f"ACGAN's discriminator takes x alone and outputs 1 + num_classes = "
                             f"{1 + self.num_classes} logits (source, then classes); this one takes "
                             f"{len(discriminator.inputs)} input(s) and outputs {outputs}. Build it with "
                             "networks.build_networks(..., discriminator='auxiliary_classifier').")

    def source_and_classes(self, x, training=True):
        """(the source logit, the class logits) of D on samples x."""
        outputs = self.discriminator(self.augmented(x, training), training=training)
        return outputs[:, :1], ops.cast(outputs[:, 1:], "float32")

    def critic(self, x, labels=None, training=True):
        """The source logit: what the loss pair, the penalties and the plots see of D."""
        return self.source_and_classes(x, training)[0]

    @staticmethod
    def class_loss(class_logits, labels):
        """-log P(C = c | X), per example."""
        return ops.sparse_categorical_crossentropy(ops.cast(labels, "int32"), class_logits, from_logits=True)

    @staticmethod
    def accuracy(class_logits, labels):
        return ops.cast(ops.argmax(class_logits, axis=-1) == ops.cast(labels, "int32"), "float32")

    def discriminator_objective(self, real, fake, labels=None):
        """-(L_S + L_C), per example, plus any penalties."""
        real_source, real_classes = self.source_and_classes(real)
        fake_source, fake_classes = self.source_and_classes(fake)
        class_loss = self.class_loss(real_classes, labels) + self.class_loss(fake_classes, labels)
        d_loss, penalty_logs = self.add_penalties(
            self.discriminator_loss(real_source, fake_source) + class_loss, real, fake, labels)
        return self.average(d_loss), {
            "d_loss": d_loss, **self.loss_pair.summaries(real_source, fake_source), **penalty_logs,
            "class_loss": class_loss, "real_accuracy": self.accuracy(real_classes, labels),
            "fake_accuracy": self.accuracy(fake_classes, labels)}

    def generator_objective(self, real, fake, labels=None):
        """-(L_C - L_S) on the generated samples (L_C's real term does not depend on G)."""
        fake_source, fake_classes = self.source_and_classes(fake)
        g_loss = self.generator_loss(fake_source) + self.class_loss(fake_classes, labels)
        return self.add_generator_penalties(self.average(g_loss), {"g_loss": g_loss}, fake, labels)
