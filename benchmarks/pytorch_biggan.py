"""BigGAN's unconditional networks in PyTorch, layer for layer the zoo's
(`gan_zoo.networks.biggan`), for the PyTorch peer (`pytorch_peer`).

Each module sits under its Keras layer's name and its parameters under the names that
`pytorch_peer.copy_keras_weights` gives the Keras weights, so that with the zoo's weights
copied over both compute the same G(z) and D(x). Channels first; G's projection is
reshaped as Keras's (rows, columns, channels). The widths, the attention's place and the
batch norms' epsilon and momentum are read from the zoo's module, not restated. torch
moves a batch norm's running variance by the unbiased batch variance, Keras by the biased
one: the two agree in training mode and at the first inference, not after many updates.
Needs the `torch` extra.
"""

import torch
from torch import nn
from torch.nn import functional

from gan_zoo.networks import biggan
from gan_zoo.networks.builders import BN_MOMENTUM, upsamplings


class SpectralNorm(nn.Module):
    """`layer` (Linear or Conv2d) computing with W / sigma(W), as the zoo's
    `layers.SpectralNormalization` (Miyato et al. 2018, Algorithm 1): one power-iteration
    step from the stored u in every forward pass, in float32 whatever the autocast, u and v
    constants to the gradient, u kept in training mode only."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = layer
        self.register_buffer("u", functional.normalize(torch.randn(1, layer.weight.shape[0]), dim=1))

    def forward(self, x):
        weight = self.layer.weight
        # One row per filter: the zoo's [..., out] kernel, transposed.
        matrix = weight.reshape(weight.shape[0], -1)
        with torch.autocast(weight.device.type, enabled=False):
            with torch.no_grad():
                v = functional.normalize(self.u @ matrix, dim=1)
                u = functional.normalize(v @ matrix.t(), dim=1)
            sigma = (v @ matrix.t() @ u.t())[0, 0]
        if self.training:
            with torch.no_grad():
                self.u.copy_(u)
        return torch.func.functional_call(self.layer, {"weight": weight / sigma}, (x,))


def _conv(c_in: int, c_out: int, size: int, bias: bool = True) -> SpectralNorm:
    return SpectralNorm(nn.Conv2d(c_in, c_out, size, padding=size // 2, bias=bias))


def _up(x):
    return functional.interpolate(x, scale_factor=2, mode="nearest")


def _batch_norm(channels: int, affine: bool = True) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=biggan.EPSILON, momentum=1 - BN_MOMENTUM, affine=affine)


class ConditionalBatchNorm(nn.Module):
    """`layers.LinearConditionalBatchNormalization`: (1 + c W_gamma) BN(x) + c W_beta."""

    def __init__(self, channels: int, condition_dim: int):
        super().__init__()
        self.normalize = _batch_norm(channels, affine=False)
        self.gain = SpectralNorm(nn.Linear(condition_dim, channels, bias=False))
        self.bias = SpectralNorm(nn.Linear(condition_dim, channels, bias=False))

    def forward(self, x, condition):
        gain, bias = 1 + self.gain(condition), self.bias(condition)
        return gain[:, :, None, None] * self.normalize(x) + bias[:, :, None, None]


class SelfAttention(nn.Module):
    """`layers.SelfAttention` as BigGAN builds it: queries and keys at C/8 channels, values
    at C/2, keys and values max-pooled 2x2, the softmax in float32, y = x + gamma o."""

    def __init__(self, channels: int):
        super().__init__()
        keys, values = channels // 8, channels // 2
        self.query, self.key = _conv(channels, keys, 1, False), _conv(channels, keys, 1, False)
        self.value, self.output = _conv(channels, values, 1, False), _conv(values, channels, 1, False)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        batch, _, height, width = x.shape
        queries = self.query(x).flatten(2)  # [batch, C/8, N], positions row by row as Keras's
        keys = functional.max_pool2d(self.key(x), 2).flatten(2)
        values = functional.max_pool2d(self.value(x), 2).flatten(2)
        scores = queries.transpose(1, 2) @ keys  # [batch, N, N/4]
        attention = torch.softmax(scores.float(), dim=-1).to(queries.dtype)
        attended = (attention @ values.transpose(1, 2)).transpose(1, 2).reshape(batch, -1, height, width)
        return x + self.gamma * self.output(attended)


def _attention_resolution(image_shape, attention_resolution: int) -> int:
    if attention_resolution < 0:
        return biggan.default_attention_resolution(image_shape)
    return attention_resolution


class Generator(nn.Module):
    """`biggan.biggan_generator` without classes: z in n + 1 chunks, the first projected
    to an s x s map, each residual up-block's batch norms conditioned on its chunk."""

    def __init__(self, image_shape, latent_dim: int, base_filters: int, attention_resolution: int = -1):
        super().__init__()
        n, size = upsamplings(image_shape)
        multiples = biggan.GENERATOR_WIDTHS.get(n, (biggan.SMALL_WIDTH,) * n)
        first = base_filters * (16 if n in biggan.GENERATOR_WIDTHS else biggan.SMALL_WIDTH)
        attention = _attention_resolution(image_shape, attention_resolution)
        self.chunks, self.size, self.first = n + 1, size, first
        chunk = latent_dim // self.chunks
        self.layers = nn.ModuleDict({"project": SpectralNorm(nn.Linear(chunk, size * size * first))})
        self.attended, c_in = [], first
        for i, multiple in enumerate(multiples):
            filters, block = base_filters * multiple, f"block_{i}"
            self.layers.update({f"{block}_bn1": ConditionalBatchNorm(c_in, chunk),
                                f"{block}_shortcut": _conv(c_in, filters, 1),
                                f"{block}_conv1": _conv(c_in, filters, 3),
                                f"{block}_bn2": ConditionalBatchNorm(filters, chunk),
                                f"{block}_conv2": _conv(filters, filters, 3)})
            if size * 2 ** (i + 1) == attention:
                self.layers[f"{block}_attention"] = SelfAttention(filters)
            c_in = filters
        self.layers.update({"out_bn": _batch_norm(c_in), "image": _conv(c_in, image_shape[-1], 3)})

    def forward(self, z):
        layer = self.layers
        chunks = torch.chunk(z, self.chunks, dim=1)
        h = layer["project"](chunks[0]).view(-1, self.size, self.size, self.first).permute(0, 3, 1, 2)
        for i, condition in enumerate(chunks[1:]):
            def block(name, *x, i=i):
                return layer[f"block_{i}_{name}"](*x)

            shortcut = block("shortcut", _up(h))
            h = _up(functional.relu(block("bn1", h, condition)))
            h = block("conv2", functional.relu(block("bn2", block("conv1", h), condition)))
            h = shortcut + h
            if f"block_{i}_attention" in layer:
                h = block("attention", h)
        return torch.tanh(layer["image"](functional.relu(layer["out_bn"](h))))


class Discriminator(nn.Module):
    """`biggan.biggan_discriminator` without classes: residual down-blocks, self-attention
    once at its resolution, ReLU, global sum pooling and a linear output."""

    def __init__(self, image_shape, base_filters: int, attention_resolution: int = -1):
        super().__init__()
        n, _ = upsamplings(image_shape)
        if n in biggan.DISCRIMINATOR_WIDTHS:
            widths, self.downsample = biggan.DISCRIMINATOR_WIDTHS[n], [True] * n + [False]
        else:
            downsamplings = max(1, n - 1)
            widths = (biggan.SMALL_WIDTH,) * (downsamplings + 2)
            self.downsample = [True] * downsamplings + [False, False]
        attention = _attention_resolution(image_shape, attention_resolution)
        self.layers = nn.ModuleDict()
        c_in, attended, side = image_shape[-1], False, image_shape[0]
        for i, (width, down) in enumerate(zip(widths, self.downsample, strict=True)):
            filters, block = base_filters * width, f"block_{i}"
            if down or c_in != filters:
                self.layers[f"{block}_shortcut"] = _conv(c_in, filters, 1)
            self.layers.update({f"{block}_conv1": _conv(c_in, filters, 3),
                                f"{block}_conv2": _conv(filters, filters, 3)})
            side //= 2 if down else 1
            if side == attention and not attended:
                self.layers[f"{block}_attention"], attended = SelfAttention(filters), True
            c_in = filters
        self.layers["logit"] = SpectralNorm(nn.Linear(c_in, 1))

    def forward(self, h):
        layer = self.layers
        for i, down in enumerate(self.downsample):
            def block(name, x, i=i):
                return layer[f"block_{i}_{name}"](x)

            first, shortcut = i == 0, h
            if f"block_{i}_shortcut" in layer:  # the first block pools before its 1x1 convolution
                shortcut = functional.avg_pool2d(shortcut, 2) if first and down else shortcut
                shortcut = block("shortcut", shortcut)
                shortcut = functional.avg_pool2d(shortcut, 2) if down and not first else shortcut
            h = block("conv2", functional.relu(block("conv1", h if first else functional.relu(h))))
            h = shortcut + (functional.avg_pool2d(h, 2) if down else h)
            if f"block_{i}_attention" in layer:
                h = block("attention", h)
        h = functional.relu(h)
        features = h.mean(dim=(2, 3)) * (h.shape[2] * h.shape[3])  # global sum pooling, as Keras computes it
        return layer["logit"](features)
