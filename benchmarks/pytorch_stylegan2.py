"""StyleGAN2's networks in PyTorch, layer for layer the zoo's (`gan_zoo.networks.stylegan2`,
`gan_zoo.layers.ModulatedConv2D` and its neighbours), for the PyTorch peer (`pytorch_peer`).

Each module sits under its Keras layer's name and its parameters under the names that
`pytorch_peer.copy_keras_weights` gives the Keras weights, so that with the zoo's weights
copied over both compute the same images and scores. Channels first. The widths, the
filter and the constants are read from the zoo's modules, not restated. Needs the
`torch` extra.
"""

import math

import torch
from torch import nn
from torch.nn import functional

from gan_zoo.layers.fir import RESAMPLE_FILTER
from gan_zoo.layers.modulated_conv import DEMODULATION_EPSILON
from gan_zoo.networks import stylegan2
from gan_zoo.networks.builders import upsamplings


def _lrelu(x):
    return functional.leaky_relu(x, 0.2) * math.sqrt(2.0)


class EqualizedLinear(nn.Module):
    """`layers.EqualizedDense`: y = x (c W) + lr_multiplier b, c = lr_multiplier / sqrt(fan_in)."""

    def __init__(self, c_in: int, c_out: int, lr_multiplier: float = 1.0, bias_init: float = 0.0,
                 activation: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in) / lr_multiplier)
        self.bias = nn.Parameter(torch.full((c_out,), bias_init / lr_multiplier))
        self.gain, self.lr_multiplier = lr_multiplier / math.sqrt(c_in), lr_multiplier
        self.activation = activation

    def forward(self, x):
        y = functional.linear(x, self.weight * self.gain, self.bias * self.lr_multiplier)
        return _lrelu(y) if self.activation else y


class EqualizedConv(nn.Module):
    """`layers.EqualizedConv2D`: a convolution with W scaled by 1 / sqrt(k k C_in) at run time,
    padded as Keras's 'same' (at stride 2 on an even map: one row and column after)."""

    def __init__(self, c_in: int, c_out: int, size: int, stride: int = 1, bias: bool = True,
                 activation: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, size, size))
        self.bias = nn.Parameter(torch.zeros(c_out)) if bias else None
        self.gain, self.stride, self.activation = 1 / math.sqrt(c_in * size * size), stride, activation

    def forward(self, x):
        size = self.weight.shape[-1]
        remainder = x.shape[-1] % self.stride
        total = max(size - (self.stride if remainder == 0 else remainder), 0)
        x = functional.pad(x, (total // 2, total - total // 2) * 2)
        y = functional.conv2d(x, self.weight * self.gain, self.bias, stride=self.stride)
        return _lrelu(y) if self.activation else y


class FIRFilter(nn.Module):
    """`layers.FIRFilter`: zero insertion (up 2), padding, the [1, 3, 3, 1] filter on every
    channel (times up^2), every down-th pixel kept."""

    def __init__(self, up: int = 1, down: int = 1):
        super().__init__()
        taps = torch.tensor(RESAMPLE_FILTER)
        self.register_buffer("kernel", torch.outer(taps, taps)[None, None] / taps.sum() ** 2 * up ** 2,
                             persistent=False)
        self.up, self.down = up, down

    def forward(self, x):
        batch, channels, height, width = x.shape
        if self.up == 2:  # x at the even rows and columns, as the zoo's stacks put it
            x = torch.stack([x, torch.zeros_like(x)], dim=-1).reshape(batch, channels, height, 2 * width)
            x = torch.stack([x, torch.zeros_like(x)], dim=-2).reshape(batch, channels, 2 * height, 2 * width)
        pad = (1, 1) if self.down == 2 else (2, 1)
        x = functional.pad(x, pad * 2)
        kernel = self.kernel.to(x.dtype).expand(channels, 1, -1, -1)
        return functional.conv2d(x, kernel, stride=self.down, groups=channels)


class ModulatedConv(nn.Module):
    """`layers.ModulatedConv2D`: style s = A(w), x s, up-sampled, convolved, demodulated by
    1 / sqrt(sum (s w)^2 + 1e-8), plus per-pixel noise times its strength (a fresh draw in
    training, the layer's fixed draw at inference), plus the bias, through LeakyReLU x sqrt 2."""

    def __init__(self, c_in: int, c_out: int, size: int, w_dim: int, up: int = 1, demodulate: bool = True,
                 noise_size: int = 0, activation: bool = True):
        super().__init__()
        self.affine = EqualizedLinear(w_dim, c_in, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(c_out, c_in, size, size))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.upsample = FIRFilter(up=2) if up == 2 else None
        self.demodulate, self.activation, self.noise = demodulate, activation, bool(noise_size)
        if self.noise:
            self.noise_strength = nn.Parameter(torch.zeros(()))
            self.register_buffer("fixed_noise", torch.randn(1, 1, noise_size, noise_size))

    def forward(self, x, w):
        styles = self.affine(w)
        if not self.demodulate:
            styles = styles / math.sqrt(self.weight[0].numel())
        x = x * styles[:, :, None, None]
        if self.upsample is not None:
            x = self.upsample(x)
        y = functional.conv2d(x, self.weight, padding=self.weight.shape[-1] // 2)
        if self.demodulate:
            energy = styles.square() @ self.weight.square().sum(dim=(2, 3)).t()  # [batch, C_out]
            y = y * torch.rsqrt(energy + DEMODULATION_EPSILON)[:, :, None, None]
        if self.noise:
            draw = (torch.randn(y.shape[0], 1, *y.shape[2:], device=y.device, dtype=y.dtype) if self.training
                    else self.fixed_noise.to(y.dtype))
            y = y + draw * self.noise_strength
        y = y + self.bias[None, :, None, None]
        return _lrelu(y) if self.activation else y


class Generator(nn.Module):
    """`stylegan2.StyleGAN2Generator`: `styles(z)` (the mapping network, style mixing in
    training, truncation at inference) and `synthesis(ws)`, as the zoo's."""

    def __init__(self, image_shape, latent_dim: int, base_filters: int, mapping_layers: int,
                 style_mixing: float):
        super().__init__()
        n, start = upsamplings(image_shape)
        resolutions = [start * 2 ** i for i in range(n + 1)]
        widths = [stylegan2.channels(r, base_filters) for r in resolutions]
        self.layers = nn.ModuleDict({
            f"mapping_{i}": EqualizedLinear(latent_dim, latent_dim, stylegan2.MAPPING_LR_MULTIPLIER,
                                            activation=True) for i in range(mapping_layers)})
        self.blocks = []  # per resolution: its convolutions' names, its toRGB's
        for i, resolution in enumerate(resolutions):
            convs = [f"b{resolution}_conv0"] if i else []
            if i:
                self.layers[convs[0]] = ModulatedConv(widths[i - 1], widths[i], 3, latent_dim, up=2,
                                                      noise_size=resolution)
            convs.append(f"b{resolution}_conv1")
            self.layers[convs[-1]] = ModulatedConv(widths[i], widths[i], 3, latent_dim, noise_size=resolution)
            self.layers[f"b{resolution}_torgb"] = ModulatedConv(widths[i], image_shape[-1], 1, latent_dim,
                                                                demodulate=False, activation=False)
            self.blocks.append((convs, f"b{resolution}_torgb"))
        self.image_up = FIRFilter(up=2)
        self.num_ws = sum(len(convs) for convs, _ in self.blocks) + 1
        self.mapping_layers, self.style_mixing = mapping_layers, style_mixing
        self.constant = nn.Parameter(torch.randn(widths[0], start, start))
        self.register_buffer("w_average", torch.zeros(latent_dim))
        self.register_buffer("truncation_psi", torch.ones(()))

    def mapping(self, z, update_average: bool = False):
        w = z * torch.rsqrt(z.square().mean(dim=-1, keepdim=True) + 1e-8)
        for i in range(self.mapping_layers):
            w = self.layers[f"mapping_{i}"](w)
        if update_average:
            with torch.no_grad():
                batch_mean = w.float().mean(dim=0)
                self.w_average.copy_(batch_mean + stylegan2.W_AVERAGE_DECAY * (self.w_average - batch_mean))
        return w

    def styles(self, z, update_average=None):
        w = self.mapping(z, self.training if update_average is None else update_average)
        ws = w[:, None].expand(-1, self.num_ws, -1)
        if self.training and self.style_mixing > 0:  # a second z's w from a random layer on, one cut-off
            other = self.mapping(torch.randn_like(z))
            cutoff = torch.randint(1, self.num_ws, (), device=z.device)
            mixes = torch.rand((), device=z.device) < self.style_mixing
            cutoff = torch.where(mixes, cutoff, self.num_ws)
            later = torch.arange(self.num_ws, device=z.device)[None, :, None] >= cutoff
            ws = torch.where(later, other[:, None], ws)
        elif not self.training:
            average = self.w_average.to(ws.dtype)
            ws = average + self.truncation_psi * (ws - average)
        return ws

    def synthesis(self, ws):
        x = self.constant[None].expand(ws.shape[0], -1, -1, -1).to(ws.dtype)
        image, index = None, 0
        for convs, to_rgb in self.blocks:
            for name in convs:
                x = self.layers[name](x, ws[:, index])
                index += 1
            rgb = self.layers[to_rgb](x, ws[:, index])
            image = rgb if image is None else self.image_up(image) + rgb
        return image

    def forward(self, z):
        return self.synthesis(self.styles(z))


class MinibatchStdDev(nn.Module):
    """`layers.MinibatchStdDev` with one feature: example i in group i mod (batch / group)."""

    def __init__(self, group_size: int):
        super().__init__()
        self.group_size = group_size

    def forward(self, x):
        batch, channels, height, width = x.shape
        group = min(self.group_size, batch)
        y = x.reshape(group, -1, channels, height, width)
        y = torch.sqrt((y - y.mean(dim=0)).square().mean(dim=0) + 1e-8).mean(dim=(1, 2, 3))  # [batch / group]
        y = y.repeat(group)[:, None, None, None].expand(-1, 1, height, width)
        return torch.cat([x, y.to(x.dtype)], dim=1)


class Discriminator(nn.Module):
    """`stylegan2.stylegan2_discriminator`: fromRGB, residual down-blocks (blurred stride-2
    convolution beside a down-sampled 1x1 skip, times sqrt(1/2)), the minibatch standard
    deviation, a 3x3 convolution and two dense layers."""

    def __init__(self, image_shape, base_filters: int, mbstd_group: int = 4):
        super().__init__()
        n, self.start = upsamplings(image_shape)
        resolution = image_shape[0]

        def width(r):
            return stylegan2.channels(r, base_filters)

        self.layers = nn.ModuleDict({
            f"b{resolution}_fromrgb": EqualizedConv(image_shape[-1], width(resolution), 1, activation=True)})
        self.resolutions = []
        for _ in range(n):
            c, out = width(resolution), width(resolution // 2)
            self.layers.update({f"b{resolution}_skip": EqualizedConv(c, out, 1, bias=False),
                                f"b{resolution}_conv0": EqualizedConv(c, c, 3, activation=True),
                                f"b{resolution}_conv1": EqualizedConv(c, out, 3, stride=2, activation=True)})
            self.resolutions.append(resolution)
            resolution //= 2
        c = width(self.start)
        self.layers.update({"epilogue_conv": EqualizedConv(c + 1, c, 3, activation=True),
                            "features": EqualizedLinear(c * self.start ** 2, c, activation=True),
                            "logit": EqualizedLinear(c, 1)})
        self.down, self.blur = FIRFilter(down=2), FIRFilter()
        self.minibatch_stddev = MinibatchStdDev(mbstd_group)

    def forward(self, x):
        layer = self.layers
        h = layer[f"b{self.resolutions[0]}_fromrgb"](x)
        for r in self.resolutions:
            skip = layer[f"b{r}_skip"](self.down(h))
            h = layer[f"b{r}_conv1"](self.blur(layer[f"b{r}_conv0"](h)))
            h = (skip + h) * math.sqrt(0.5)
        h = layer["epilogue_conv"](self.minibatch_stddev(h))
        h = layer["features"](h.permute(0, 2, 3, 1).flatten(1))  # Keras flattens rows, columns, channels
        return layer["logit"](h)
