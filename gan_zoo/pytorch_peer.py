"""The loop a PyTorch user would write, on a zoo config's networks, for side-by-side timing.

`tools/benchmark.py --peer=pytorch` times it in the same process as the zoo model: the
`dcgan.py` loop of PyTorch-GAN (Linder-Noren) on the config's networks built layer for
layer in PyTorch (same shapes, same parameter count): each iteration draws z, takes a
generator step (the non-saturating loss of D on G(z)), then a discriminator step on the
real minibatch and the detached G(z) (BCE, halved), with Adam at the config's rates.
Two settings: fp32 as written, and the best a PyTorch user gets on the same code, bf16
autocast with channels_last. Real minibatches are drawn from a tensor already on the
device (the GPU where PyTorch sees one, else the CPU), so the loop times training, not a
data loader.

Only the pairing that `dcgan.py` trains is defined: the non-saturating GAN with one D
step per G step, on DCGAN or MLP networks. Needs the `bench` extra (PyTorch).
"""

import math
import statistics
import time

import numpy as np

SETTINGS = ("float32", "bfloat16_channels_last")


class PeerError(ValueError):
    """The peer cannot run: PyTorch missing, or a config its loop does not train."""


def _torch():
    try:
        import torch
    except ImportError:
        raise PeerError("--peer=pytorch needs PyTorch: pip install -e '.[bench]'.") from None
    return torch


def check_config(config) -> None:
    """A clear error for a config the peer loop does not train."""
    model = config.model
    if model.variant != "gan" or model.get("loss") != "non_saturating" or model.d_steps != 1:
        raise PeerError("The PyTorch peer is PyTorch-GAN's dcgan.py loop: the non-saturating GAN with "
                         f"d_steps=1 (a gan_* config); got model.variant={config.model.variant!r}.")
    if config.networks.kind not in ("dcgan", "mlp") or config.networks.conditioning:
        raise PeerError("The PyTorch peer builds unconditional DCGAN or MLP networks; got "
                         f"networks.kind={config.networks.kind!r}.")
    if config.networks.minibatch_kernels or config.networks.spectral_norm:
        raise PeerError("The PyTorch peer has no minibatch discrimination or spectral norm.")
    if any(config.penalties.values()) or config.train.ema_decay:
        raise PeerError("PyTorch-GAN's dcgan.py has no penalties (R1, ...) and no generator average: set "
                        "them to 0, e.g. --config=zoo_configs/gan_mnist_subset.py:paper.")


def _upsamplings(size: int) -> tuple[int, int]:
    n = 0
    while size % 2 == 0 and size > 7:
        size, n = size // 2, n + 1
    return n, size


def build_networks(config, shape):
    """(G, D) in PyTorch, layer for layer the zoo's `networks.build_networks` for the
    config: DCGAN (channels first; 'same' stride-2 convolutions as padding 2, output
    padding 1; batch norm momentum 0.1, Keras's 0.9) or the ReLU / LeakyReLU MLPs."""
    torch = _torch()
    nn = torch.nn
    net, latent = config.networks, config.model.latent_dim
    if net.kind == "mlp":
        sizes = [latent, *net.hidden_units]
        g_layers = [m for a, b in zip(sizes, sizes[1:], strict=False) for m in (nn.Linear(a, b), nn.ReLU())]
        output = [nn.Tanh()] if len(shape) == 3 else []  # images in [-1, 1]; toy coordinates linear
        g = nn.Sequential(*g_layers, nn.Linear(sizes[-1], math.prod(shape)), *output, nn.Unflatten(1, shape))
        sizes = [math.prod(shape), *net.hidden_units]
        d_layers = [m for a, b in zip(sizes, sizes[1:], strict=False)
                    for m in (nn.Linear(a, b), nn.LeakyReLU(0.2))]
        return g, nn.Sequential(nn.Flatten(), *d_layers, nn.Linear(sizes[-1], 1))
    height, _, channels = shape
    n, size = _upsamplings(height)
    k, f = net.kernel_size, net.base_filters

    def deconv(c_in, c_out, bias):
        return nn.ConvTranspose2d(c_in, c_out, k, stride=2, padding=k // 2, output_padding=1, bias=bias)

    filters = f * 2 ** (n - 1)
    g = [nn.Linear(latent, size * size * filters, bias=False), nn.Unflatten(1, (filters, size, size)),
         nn.BatchNorm2d(filters, momentum=0.1, eps=1e-3), nn.ReLU()]
    for _ in range(n - 1):
        g += [deconv(filters, filters // 2, False), nn.BatchNorm2d(filters // 2, momentum=0.1, eps=1e-3),
              nn.ReLU()]
        filters //= 2
    g += [deconv(filters, channels, True), nn.Tanh()]
    d, c_in, filters, side = [], channels, f, height
    for i in range(n):
        d.append(nn.Conv2d(c_in, filters, k, stride=2, padding=k // 2))
        side = (side + 1) // 2
        if i > 0 and net.norm == "batch":
            d.append(nn.BatchNorm2d(filters, momentum=0.1, eps=1e-3))
        elif i > 0 and net.norm == "layer":  # Keras's LayerNormalization: over channels, per position
            d.append(_ChannelLayerNorm(filters))
        d.append(nn.LeakyReLU(0.2))
        c_in, filters = filters, filters * 2
    d += [nn.Flatten(), nn.Linear(c_in * side * side, 1)]
    return nn.Sequential(*g), nn.Sequential(*d)


def _ChannelLayerNorm(channels):
    torch = _torch()

    class ChannelLayerNorm(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = torch.nn.LayerNorm(channels, eps=1e-3)

        def forward(self, x):
            return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    return ChannelLayerNorm()


def parameter_count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def time_loop(config, images: np.ndarray, setting: str = "float32", warmup_steps: int = 10,
              seconds: float = 2.0, repeats: int = 5, seed: int = 0) -> dict:
    """Images/s (median, min, max over `repeats` windows of about `seconds`) of the
    dcgan.py loop on `images` (NHWC in [-1, 1]) at the config's batch size, in `setting`
    ("float32" or "bfloat16_channels_last")."""
    torch = _torch()
    check_config(config)
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {SETTINGS}, got {setting!r}.")
    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    shape = images.shape[1:]
    g, d = (network.to(device) for network in build_networks(config, shape))
    is_image = len(shape) == 3
    data = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2) if is_image else images))
    data = data.to(device)
    channels_last = setting == "bfloat16_channels_last" and is_image
    if channels_last:
        g, d = g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
        data = data.contiguous(memory_format=torch.channels_last)
    opt = config.g_optimizer
    optimizer_g = torch.optim.Adam(g.parameters(), lr=opt.learning_rate, betas=(opt.beta_1, opt.beta_2))
    opt = config.d_optimizer
    optimizer_d = torch.optim.Adam(d.parameters(), lr=opt.learning_rate, betas=(opt.beta_1, opt.beta_2))
    bce = torch.nn.BCEWithLogitsLoss()
    batch, latent = config.train.batch_size, config.model.latent_dim
    valid, fake = torch.ones(batch, 1, device=device), torch.zeros(batch, 1, device=device)
    autocast = (torch.autocast(device, dtype=torch.bfloat16) if setting != "float32"
                else torch.autocast(device, enabled=False))

    def synchronize():  # CUDA runs asynchronously: a window ends when its work has
        if device == "cuda":
            torch.cuda.synchronize()

    def step():
        real = data[torch.randint(len(data), (batch,), device=device)]
        z = torch.randn(batch, latent, device=device)
        with autocast:  # generator step: -log D(G(z))
            generated = g(z)
            g_loss = bce(d(generated).float(), valid)
        optimizer_g.zero_grad()
        g_loss.backward()
        optimizer_g.step()
        with autocast:  # discriminator step on real and detached generated images
            d_loss = (bce(d(real).float(), valid) + bce(d(generated.detach()).float(), fake)) / 2
        optimizer_d.zero_grad()
        d_loss.backward()
        optimizer_d.step()

    for _ in range(warmup_steps):
        step()
    synchronize()
    steps = max(1, warmup_steps)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    synchronize()
    per_step = (time.perf_counter() - start) / steps
    calls = max(1, int(seconds / max(per_step, 1e-9)))
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        synchronize()
        rates.append(calls * batch / (time.perf_counter() - start))
    return {"setting": setting, "images_per_second": {"median": statistics.median(rates), "min": min(rates),
                                                      "max": max(rates)},
            "ms_per_step": 1000.0 * batch / statistics.median(rates), "threads": torch.get_num_threads(),
            "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
            "torch": torch.__version__, "generator_parameters": parameter_count(g),
            "discriminator_parameters": parameter_count(d)}
