"""Builders of generators and discriminators: MLP (toys), DCGAN, ResNet and BigGAN, each
unconditional or class-conditional, and StyleGAN2's."""

from gan_zoo.networks.biggan import biggan_discriminator, biggan_generator
from gan_zoo.networks.builders import (
    CONDITIONINGS,
    NETWORKS,
    PRECISIONS,
    autoencoder_discriminator,
    build_networks,
    dcgan_discriminator,
    dcgan_generator,
    generator_classes,
    mlp_discriminator,
    mlp_generator,
    precision_policy,
    resnet_discriminator,
    resnet_generator,
)
from gan_zoo.networks.stylegan2 import StyleGAN2Generator, stylegan2_discriminator

__all__ = [
    "CONDITIONINGS",
    "NETWORKS",
    "PRECISIONS",
    "StyleGAN2Generator",
    "autoencoder_discriminator",
    "biggan_discriminator",
    "biggan_generator",
    "build_networks",
    "dcgan_discriminator",
    "dcgan_generator",
    "generator_classes",
    "mlp_discriminator",
    "mlp_generator",
    "precision_policy",
    "resnet_discriminator",
    "resnet_generator",
    "stylegan2_discriminator",
]
