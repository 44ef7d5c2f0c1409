"""Shared settings of the 2-D mixture configs (the VEEGAN / PacGAN toy protocol):
MLP networks, 2-D noise, Adam(1e-4, 0.5)."""

from gan_zoo.train import default_config


def toy2d_config(dataset: str, variant: str = "gan"):
    config = default_config()
    config.dataset = dataset
    config.model.variant = variant
    config.model.latent_dim = 2
    config.networks.kind = "mlp"
    config.networks.hidden_units = (256, 256, 256)
    config.g_optimizer.learning_rate = 1e-4
    config.d_optimizer.learning_rate = 1e-4
    config.train.batch_size = 256
    config.train.epochs = 10
    config.train.steps_per_epoch = 500
    config.train.checkpoint_every = 500
    config.train.sample_every = 500
    return config
