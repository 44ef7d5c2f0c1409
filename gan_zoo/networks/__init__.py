"""Builders of generators and discriminators: MLP (toys), DCGAN and ResNet."""

from gan_zoo.networks.builders import (
    NETWORKS,
    PRECISIONS,
    autoencoder_discriminator,
    build_networks,
    dcgan_discriminator,
    dcgan_generator,
    mlp_discriminator,
    mlp_generator,
    precision_policy,
    resnet_discriminator,
    resnet_generator,
)

__all__ = [
    "NETWORKS",
    "PRECISIONS",
    "autoencoder_discriminator",
    "build_networks",
    "dcgan_discriminator",
    "dcgan_generator",
    "mlp_discriminator",
    "mlp_generator",
    "precision_policy",
    "resnet_discriminator",
    "resnet_generator",
]
