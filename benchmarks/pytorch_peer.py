"""The loop a PyTorch user would write, on a zoo config's networks, for side-by-side timing.

`benchmarks/benchmark.py --peer=pytorch` times it in the same process as the zoo model, on the
config's networks built layer for layer in PyTorch (same shapes, same parameter count),
with Adam at the config's rates. The loop is PyTorch-GAN's (Linder-Noren) for the variant:

- `gan` (`dcgan.py`): each iteration draws z, takes a generator step (the non-saturating
  loss of D on G(z)), then a discriminator step on the real minibatch and the detached
  G(z) (BCE, halved).
- `wgan_gp` (`wgan_gp.py`): each iteration is a critic step on one real minibatch and
  G(z), whose loss D(G(z)) - D(x) + lambda (||grad D(x_hat)|| - 1)^2 takes the penalty's
  input gradient with `create_graph=True` (x_hat on the segment at a per-example
  alpha ~ U[0, 1]); every `d_steps`-th iteration (`i % n_critic == 0`) adds a generator
  step on the same z. As written, the critic's loss also backpropagates into G.

Two settings of that loop as written: fp32, and bf16 autocast with channels_last. Two
of PyTorch at its best (`_zoo_step`): the zoo's own algorithm, so that both do the same
work, with torch.compile'd networks, channels_last, fused Adam and cudnn.benchmark, in
fp32 and under bf16 autocast. Real minibatches are drawn from a tensor already on the
device (the GPU where PyTorch sees one, else the CPU), so the loop times training, not a
data loader. Images per second count real images, one minibatch per D step, as the zoo's
benchmark does. The work of each loop, and of the zoo's algorithm, is counted from the
operations torch runs (`flops_per_image`), so the as-written loop's extra work is a
figure beside its ratio rather than a caveat. Needs the `torch` extra.
"""

import math
import time

import keras
import numpy as np

AS_WRITTEN = ("float32", "bfloat16_channels_last")
AT_ITS_BEST = ("best_float32", "best_bfloat16")
SETTINGS = AS_WRITTEN + AT_ITS_BEST


class PeerError(ValueError):
    """The peer cannot run: PyTorch missing, or a config its loop does not train."""


def _torch():
    try:
        import torch
    except ImportError:
        raise PeerError("--peer=pytorch needs PyTorch: pip install -e '.[torch]'.") from None
    return torch


def check_config(config, settings=SETTINGS) -> None:
    """A clear error for a config the peer's loops in `settings` do not train. As written:
    PyTorch-GAN's two loops, on DCGAN, ResNet or MLP networks without aids. At its best
    (the zoo's algorithm): the non-saturating, hinge and WGAN-GP losses, BigGAN's and
    StyleGAN2's networks too, R1, orthogonal regularization and path length regularization
    (lazily where the config takes them so), and the generator average."""
    model, net = config.model, config.networks
    dcgan_py = model.variant == "gan" and model.get("loss") == "non_saturating" and model.d_steps == 1
    as_written = set(settings) & set(AS_WRITTEN)
    if as_written and not dcgan_py and model.variant != "wgan_gp":
        raise PeerError("The PyTorch peer as written has PyTorch-GAN's dcgan.py loop (the non-saturating GAN "
                        "with d_steps=1, a gan_* config) and its wgan_gp.py loop (a wgan_gp_* config); got "
                        f"model.variant={model.variant!r}: time it at its best alone "
                        "(--peer_settings=best_float32,best_bfloat16).")
    loss = model.get("loss", "non_saturating")
    if model.variant not in ("gan", "hinge", "wgan_gp") or loss != "non_saturating":
        raise PeerError("The PyTorch peer trains the non-saturating GAN, the hinge GAN and WGAN-GP; got "
                        f"model.variant={model.variant!r}.")
    kinds = ("dcgan", "mlp", "resnet") + (() if as_written else ("biggan", "stylegan2"))
    if net.kind not in kinds or net.conditioning:
        raise PeerError("The PyTorch peer builds unconditional DCGAN, ResNet or MLP networks, and BigGAN's "
                        f"and StyleGAN2's at its best alone; got networks.kind={net.kind!r}, "
                        f"conditioning={net.conditioning!r}{' as written' if as_written else ''}.")
    if net.kind == "resnet" and net.norm not in ("none", "layer"):
        raise PeerError("The PyTorch peer's ResNet critic has norm 'none' or 'layer'; got "
                        f"networks.norm={net.norm!r}.")
    if net.minibatch_kernels or (net.spectral_norm and net.kind != "biggan"):
        raise PeerError("The PyTorch peer has no minibatch discrimination, and spectral norm in BigGAN's "
                        "networks only.")
    penalties = [name for name, weight in config.penalties.items() if weight]
    aids = [name for name, weight in config.generator_penalties.items() if weight]
    if as_written and (penalties or aids or config.train.ema_decay):
        raise PeerError("PyTorch-GAN's loops have no penalties (R1, ...) and no generator average: set them "
                        "to 0 (e.g. --config=zoo_configs/gan_mnist_subset.py:paper), or time the peer at "
                        "its best alone.")
    if set(penalties) - {"r1"} or set(aids) - {"orthogonal", "path_length"}:
        raise PeerError("The PyTorch peer's penalties are R1, BigGAN's orthogonal regularization and "
                        f"StyleGAN2's path length regularization; got {penalties + aids}.")
    if "path_length" in aids and net.kind != "stylegan2":
        raise PeerError("Path length regularization needs StyleGAN2's networks "
                        "(networks.kind=\"stylegan2\").")


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
    if net.kind == "resnet":
        return _resnet_networks(shape, latent, net.base_filters, net.norm)
    if net.kind == "stylegan2":
        import pytorch_stylegan2

        generator = pytorch_stylegan2.Generator(shape, latent, net.base_filters, net.mapping_layers,
                                                net.style_mixing)
        return generator, pytorch_stylegan2.Discriminator(shape, net.base_filters)
    if net.kind == "biggan":
        import pytorch_biggan

        return (pytorch_biggan.Generator(shape, latent, net.base_filters, net.attention_resolution),
                pytorch_biggan.Discriminator(shape, net.base_filters, net.attention_resolution))
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


def _resnet_networks(shape, latent: int, filters: int, norm: str):
    """Gulrajani et al.'s CIFAR-10 ResNet, layer for layer the zoo's
    (`networks.builders.resnet_generator` / `resnet_discriminator`), each module under its
    Keras layer's name (`copy_keras_weights`): G's residual up-blocks BN-ReLU-up-conv3-BN-
    ReLU-conv3 with an up-conv1 shortcut; the critic's down-blocks [ReLU]-conv3-[norm]-ReLU-
    conv3-pool with a conv1-pool shortcut, two more blocks at 8 x 8, ReLU, the spatial mean
    and a linear output. Channels first; G's projection is reshaped as Keras's (rows,
    columns, channels)."""
    torch = _torch()
    nn, functional = torch.nn, torch.nn.functional
    height, _, channels = shape
    n, size = _upsamplings(height)

    def up(h):
        return functional.interpolate(h, scale_factor=2, mode="nearest")

    def batch_norm():
        return nn.BatchNorm2d(filters, momentum=0.1, eps=1e-3)

    def conv(c_in, kernel):
        return nn.Conv2d(c_in, filters, kernel, padding=kernel // 2)

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleDict({"project": nn.Linear(latent, size * size * filters)})
            for i in range(n):
                self.layers.update({f"block_{i}_shortcut": conv(filters, 1), f"block_{i}_bn1": batch_norm(),
                                    f"block_{i}_conv1": conv(filters, 3), f"block_{i}_bn2": batch_norm(),
                                    f"block_{i}_conv2": conv(filters, 3)})
            self.layers.update({"out_bn": batch_norm(), "image": nn.Conv2d(filters, channels, 3, padding=1)})

        def forward(self, z):
            layer = self.layers
            h = layer["project"](z).view(-1, size, size, filters).permute(0, 3, 1, 2)
            for i in range(n):
                def block(name, x, i=i):
                    return layer[f"block_{i}_{name}"](x)
                shortcut = block("shortcut", up(h))
                h = block("conv1", up(functional.relu(block("bn1", h))))
                h = shortcut + block("conv2", functional.relu(block("bn2", h)))
            return torch.tanh(layer["image"](functional.relu(layer["out_bn"](h))))

    downsamples = [True] * max(1, n - 1) + [False, False]

    class Critic(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleDict()
            for i, downsample in enumerate(downsamples):
                c_in = channels if i == 0 else filters
                if downsample or c_in != filters:
                    self.layers[f"block_{i}_shortcut"] = conv(c_in, 1)
                self.layers[f"block_{i}_conv1"] = conv(c_in, 3)
                if norm == "layer":
                    self.layers[f"block_{i}_norm"] = _ChannelLayerNorm(filters)
                self.layers[f"block_{i}_conv2"] = conv(filters, 3)
            self.layers["logit"] = nn.Linear(filters, 1)

        def forward(self, h):
            layer = self.layers
            for i, downsample in enumerate(downsamples):
                def block(name, x, i=i):
                    key = f"block_{i}_{name}"
                    return layer[key](x) if key in layer else x
                pool = functional.avg_pool2d if downsample else (lambda x, _: x)
                shortcut = pool(block("shortcut", h), 2)
                x = block("conv1", h if i == 0 else functional.relu(h))
                h = shortcut + pool(block("conv2", functional.relu(block("norm", x))), 2)
            return layer["logit"](functional.relu(h).mean(dim=(2, 3)))

    return Generator(), Critic()


def _torch_values(variables, name: str, norm: bool = False) -> dict:
    """{`name`.key: value} of Keras `variables` as the peer names and lays them out: a kernel
    [..., in, out] as torch's `weight` [out, in, ...], an embedding's table as `weight`, a
    map [H, W, C] (StyleGAN2's constant) channels first, a norm's (`norm`) scale, shift and
    moving statistics as torch names them, anything else under its own name."""
    names = {"kernel": "weight", "embeddings": "weight"}
    if norm:
        names.update(gamma="weight", beta="bias", moving_mean="running_mean", moving_variance="running_var")
    state = {}
    for variable in variables:
        array = np.asarray(keras.ops.convert_to_numpy(variable))
        if variable.name == "kernel":
            array = array.transpose(3, 2, 0, 1) if array.ndim == 4 else array.T
        elif array.ndim == 3 and variable.name == "constant":
            array = array.transpose(2, 0, 1)
        state[f"{name}.{names.get(variable.name, variable.name)}"] = array
    return state


def _keras_state(layer, name: str) -> dict:
    """{the peer's state-dict key: value as numpy} of Keras `layer`, which the peer holds under
    `name` (`_torch_values`); spectral norm's u beside its wrapped layer (`name.layer`); the
    zoo's layers made of layers (BigGAN's conditional batch norm and self-attention,
    StyleGAN2's modulated convolution) part by part, under the parts' attribute names."""
    from gan_zoo import layers as zoo_layers

    if isinstance(layer, zoo_layers.SpectralNormalization):
        u = np.asarray(keras.ops.convert_to_numpy(layer.vector_u))
        return {f"{name}.u": u, **_keras_state(layer.layer, f"{name}.layer")}
    parts = {zoo_layers.LinearConditionalBatchNormalization: ("normalize", "gain", "bias"),
             zoo_layers.SelfAttention: ("query", "key", "value", "output_conv"),
             zoo_layers.ModulatedConv2D: ("affine",)}.get(type(layer), ())
    inner = {id(w) for part in parts for w in getattr(layer, part).weights}
    norm = isinstance(layer, (keras.layers.BatchNormalization, keras.layers.LayerNormalization))
    state = _torch_values([w for w in layer.weights if id(w) not in inner], name, norm)
    for part in parts:
        state.update(_keras_state(getattr(layer, part), f"{name}.{part.removesuffix('_conv')}"))
    return state


def copy_keras_weights(keras_model, module) -> None:
    """Set the peer's `module` to `keras_model`'s weights: the Keras layer NAME's weights go
    to the module under `layers[NAME]` (a spectrally normalised layer's under its wrapped
    layer's name), the model's own (StyleGAN2's constant) to the module's, as
    `_keras_state` names them. Raises PeerError where the two do not hold the same weights."""
    torch = _torch()
    keras_state, in_layers = {}, set()
    for layer in keras_model.layers:
        name = layer.layer.name if isinstance(layer, keras.layers.SpectralNormalization) else layer.name
        keras_state.update(_keras_state(layer, f"layers.{name}"))
        in_layers.update(id(w) for w in layer.weights)
    own = [w for w in keras_model.weights if id(w) not in in_layers]
    keras_state.update({key.removeprefix("."): value for key, value in _torch_values(own, "").items()})
    peer_state = {key: t for key, t in module.state_dict().items() if not key.endswith("num_batches_tracked")}
    if peer_state.keys() != keras_state.keys():
        raise PeerError(f"{keras_model.name}'s weights {sorted(keras_state)} are not the peer's "
                        f"{sorted(peer_state)}.")
    with torch.no_grad():
        for key, target in peer_state.items():
            target.copy_(torch.from_numpy(np.ascontiguousarray(keras_state[key])).reshape(target.shape))


def _ChannelLayerNorm(channels):
    """Keras's LayerNormalization over the channels of each position, on channels-first maps."""
    torch = _torch()

    class ChannelLayerNorm(torch.nn.LayerNorm):
        def forward(self, x):
            return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)

    return ChannelLayerNorm(channels, eps=1e-3)


def parameter_count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _dcgan_step(config, g, d, optimizer_g, optimizer_d, data, autocast):
    """One iteration of dcgan.py: a G step, then a D step on real and detached fakes."""
    torch = _torch()
    batch, latent = config.train.batch_size, config.model.latent_dim
    bce = torch.nn.BCEWithLogitsLoss()
    valid = torch.ones(batch, 1, device=data.device)
    fake = torch.zeros(batch, 1, device=data.device)

    def step():
        real = data[torch.randint(len(data), (batch,), device=data.device)]
        z = torch.randn(batch, latent, device=data.device)
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

    return step


def gradient_penalty(d, real, fake):
    """wgan_gp.py's compute_gradient_penalty: mean (||grad D(x_hat)||_2 - 1)^2 at
    x_hat = alpha x + (1 - alpha) fake, alpha ~ U[0, 1] per example, keeping the graph
    for the double backward."""
    torch = _torch()
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = d(x_hat)
    gradients = torch.autograd.grad(scores, x_hat, torch.ones_like(scores), create_graph=True,
                                    retain_graph=True)[0]
    return ((gradients.reshape(len(gradients), -1).float().norm(2, dim=1) - 1) ** 2).mean()


def _wgan_gp_step(config, g, d, optimizer_g, optimizer_d, data, autocast):
    """One iteration (one real minibatch) of wgan_gp.py: a critic step, and a generator
    step on every `d_steps`-th iteration."""
    torch = _torch()
    batch, latent = config.train.batch_size, config.model.latent_dim
    iteration = [0]

    def step():
        real = data[torch.randint(len(data), (batch,), device=data.device)]
        z = torch.randn(batch, latent, device=data.device)
        optimizer_d.zero_grad()
        with autocast:
            generated = g(z)  # not detached, as written: d_loss.backward() also runs G's backward
            d_loss = (d(generated).float().mean() - d(real).float().mean()
                      + config.model.gp_weight * gradient_penalty(d, real.data, generated.data))
        d_loss.backward()
        optimizer_d.step()
        optimizer_g.zero_grad()
        if iteration[0] % config.model.d_steps == 0:
            with autocast:
                g_loss = -d(g(z)).float().mean()
            g_loss.backward()
            optimizer_g.step()
        iteration[0] += 1

    return step


def _losses(variant: str):
    """(D's loss on real and fake scores, G's on fake scores) of the zoo's `variant`, as
    `gan_zoo.losses` writes them: the non-saturating GAN's softplus forms, the hinge
    loss, or the Wasserstein critic's (WGAN-GP's penalty is added by the caller)."""
    torch = _torch()
    softplus, relu = torch.nn.functional.softplus, torch.relu
    if variant == "hinge":
        return (lambda real, fake: relu(1 - real).mean() + relu(1 + fake).mean()), (lambda fake: -fake.mean())
    if variant == "wgan_gp":
        return (lambda real, fake: fake.mean() - real.mean()), (lambda fake: -fake.mean())
    return ((lambda real, fake: softplus(-real).mean() + softplus(fake).mean()),
            (lambda fake: softplus(-fake).mean()))


def orthogonal_penalty(module):
    """BigGAN's orthogonal regularization as the zoo takes it (`losses.orthogonal_regularization`
    over `models.penalties.generator_kernels`): sum over the weights W of `module`'s Linear
    and Conv2d layers, one row per filter, of ||W W^T * (1 - I)||_F^2, in float32."""
    torch = _torch()
    total = 0.0
    for parameter in module.parameters():
        if parameter.dim() >= 2:
            w = parameter.float().reshape(parameter.shape[0], -1)
            gram = w @ w.t()
            total = total + (gram * (1 - torch.eye(len(gram), device=gram.device))).square().sum()
    return total


def r1_penalty(d, real):
    """Mescheder et al.'s R1 as the zoo takes it (`models.penalties.r1`): the mean over the
    minibatch of 1/2 ||grad_x D(x)||^2 at the real images, keeping the graph for the
    double backward."""
    torch = _torch()
    real = real.detach().requires_grad_(True)
    gradients = torch.autograd.grad(d(real).float().sum(), real, create_graph=True)[0]
    return 0.5 * gradients.float().square().sum(dim=tuple(range(1, real.dim()))).mean()


class PathLength:
    """StyleGAN2's path length penalty as the zoo takes it (`models.penalties.path_length`)
    on the peer's StyleGAN2 G: over half the batch, ws drawn as in training (style mixing
    too, w's tracked mean left), y ~ N(0, I) / sqrt(H W), lengths ||J_w^T y|| (mean over
    the ws of the squared gradient's sum, square-rooted), the moving mean a of the lengths
    (decay 0.01, constant to the gradient); the penalty is mean (length - a)^2."""

    def __init__(self, g, batch: int):
        from gan_zoo.models.penalties import PATH_LENGTH_DECAY

        self.g, self.n, self.decay, self.mean = g, max(1, batch // 2), PATH_LENGTH_DECAY, 0.0

    def penalty(self):
        torch = _torch()
        g = self.g
        z = torch.randn(self.n, g.layers["mapping_0"].weight.shape[1], device=g.constant.device)
        ws = g.styles(z, update_average=False)
        images = g.synthesis(ws)
        y = torch.randn_like(images, dtype=torch.float32) / math.sqrt(images.shape[2] * images.shape[3])
        gradients = torch.autograd.grad((images.float() * y).sum(), ws, create_graph=True)[0].float()
        lengths = gradients.square().sum(dim=2).mean(dim=1).sqrt()
        self.mean = (self.mean + self.decay * (lengths.mean().detach() - self.mean))
        return (lengths - self.mean).square().mean()


def _zoo_step(config, g, d, optimizer_g, optimizer_d, data, autocast, compiled):
    """One iteration of the zoo's algorithm (`BaseGAN.adversarial_step` with the generator
    pass reused, as the image configs train) as a performance-minded PyTorch engineer writes
    it: `d_steps` critic steps, each on its own real minibatch and a fresh G(z) under
    no_grad but the last, whose G pass is kept for the generator step; the generator step
    takes no gradients of D's weights (`requires_grad_(False)`), gradients are set to None,
    and nothing waits on the device. The zoo's losses (`_losses`) and penalties: WGAN-GP's;
    R1 (`r1_penalty`) and path length regularization (`PathLength`) in every N-th update of
    D or G, times N (`train.penalty_interval`, `train.generator_penalty_interval`), from the
    first; BigGAN's orthogonal regularization; then the moving average of G's weights after
    each of its updates, at the zoo's decay min(ema_decay, (1 + t) / (10 + t)). With
    `compiled`, G's and D's forward passes run as torch.compile'd modules (their backward
    passes with them), except the penalties' passes, which differentiate twice: AOTAutograd
    has no double backward, so they stay eager."""
    torch = _torch()
    batch, latent, k = config.train.batch_size, config.model.latent_dim, config.model.d_steps
    wgan_gp = config.model.variant == "wgan_gp"
    d_loss, g_loss = _losses(config.model.variant)
    orthogonal = config.generator_penalties.get("orthogonal", 0.0)
    r1, d_interval = config.penalties.get("r1", 0.0), config.train.penalty_interval
    path_length = config.generator_penalties.get("path_length", 0.0)
    g_interval = config.train.generator_penalty_interval
    lengths = PathLength(g, batch) if path_length else None
    ema_decay = config.train.ema_decay
    parameters = list(g.parameters())
    averages = [p.detach().clone() for p in parameters] if ema_decay else []
    updates = {"d": 0, "g": 0}  # so far
    g_run, d_run = (torch.compile(g), torch.compile(d)) if compiled else (g, d)

    def real():
        return data[torch.randint(len(data), (batch,), device=data.device)]

    def noise():
        return torch.randn(batch, latent, device=data.device)

    def discriminator_step(x, fake):
        optimizer_d.zero_grad(set_to_none=True)
        with autocast:
            loss = d_loss(d_run(x).float(), d_run(fake).float())
            if wgan_gp:
                loss = loss + config.model.gp_weight * gradient_penalty(d, x, fake)
            if r1 and updates["d"] % d_interval == 0:
                loss = loss + d_interval * r1 * r1_penalty(d, x)
        loss.backward()
        optimizer_d.step()
        updates["d"] += 1

    def generator_step(generated):
        d.requires_grad_(False)
        optimizer_g.zero_grad(set_to_none=True)
        with autocast:
            loss = g_loss(d_run(generated).float())
            if path_length and updates["g"] % g_interval == 0:
                loss = loss + g_interval * path_length * lengths.penalty()
        if orthogonal:
            loss = loss + orthogonal * orthogonal_penalty(g)
        loss.backward()
        optimizer_g.step()
        d.requires_grad_(True)
        updates["g"] += 1
        if ema_decay:
            decay = min(ema_decay, (1 + updates["g"]) / (10 + updates["g"]))
            with torch.no_grad():  # one fused update of every tensor, as torch.optim.swa_utils' EMA takes it
                torch._foreach_lerp_(averages, parameters, 1 - decay)

    def step():
        for _ in range(k - 1):
            with torch.no_grad(), autocast:
                fake = g_run(noise())
            discriminator_step(real(), fake)
        with autocast:
            generated = g_run(noise())
        discriminator_step(real(), generated.detach())
        generator_step(generated)

    step.generator_average = averages  # G's averaged weights, in `g.parameters()`'s order
    return step


class PeerLoop:
    """The peer's loop in one setting, as `measure.time_models` times it beside the zoo's
    models: `run(calls)` takes `calls` iterations and returns their seconds, waiting for
    the device's work; one iteration takes `images_per_step` real images. Its work per
    image is `flops_per_image`, and the zoo's algorithm's, counted the same way, is
    `zoo_flops_per_image` (`flops_per_image()`)."""

    steps_per_call = 1

    def __init__(self, step, synchronize, images_per_step: int, flops_per_image: float,
                 zoo_flops_per_image: float, description: dict):
        self.step, self.synchronize = step, synchronize
        self.images_per_step = images_per_step
        self.flops_per_image, self.zoo_flops_per_image = flops_per_image, zoo_flops_per_image
        self.description = description

    def run(self, calls: int) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            self.step()
        self.synchronize()
        return time.perf_counter() - start


def _setup(config, images: np.ndarray, setting: str, device: str, compiled: bool):
    """The loop's step function in `setting`, on freshly built networks on `device`."""
    torch = _torch()
    shape = images.shape[1:]
    g, d = (network.to(device) for network in build_networks(config, shape))
    is_image = len(shape) == 3
    data = torch.from_numpy(np.array(images.transpose(0, 3, 1, 2) if is_image else images, dtype=np.float32))
    data = data.to(device)
    best = setting in AT_ITS_BEST
    if setting != "float32" and is_image:  # channels_last
        g, d = g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
        data = data.contiguous(memory_format=torch.channels_last)
    opt = config.g_optimizer
    optimizer_g = torch.optim.Adam(g.parameters(), lr=opt.learning_rate, betas=(opt.beta_1, opt.beta_2),
                                   fused=best or None)
    opt = config.d_optimizer
    optimizer_d = torch.optim.Adam(d.parameters(), lr=opt.learning_rate, betas=(opt.beta_1, opt.beta_2),
                                   fused=best or None)
    autocast = (torch.autocast(device, dtype=torch.bfloat16) if "bfloat16" in setting
                else torch.autocast(device, enabled=False))
    if best:
        step = _zoo_step(config, g, d, optimizer_g, optimizer_d, data, autocast, compiled)
    else:
        make_step = _wgan_gp_step if config.model.variant == "wgan_gp" else _dcgan_step
        step = make_step(config, g, d, optimizer_g, optimizer_d, data, autocast)
    return step, g, d


def flops_per_image(config, images: np.ndarray, algorithm: str, batch: int = 4, device: str = "cpu") -> float:
    """FLOPs per real image of `algorithm` ("as_written": PyTorch-GAN's loop; "zoo": the
    zoo's algorithm, which PyTorch at its best runs) on the config's networks, counted
    rather than estimated: the matrix products and convolutions that torch dispatches
    (forward passes, the backward passes autograd takes, the penalties' double backward)
    over one generator update with its `d_steps` critic updates, eagerly in float32 on
    `device` at a batch of `batch` (the networks' FLOPs grow linearly with the batch). Lazy
    penalties are counted over as many iterations as it takes their schedules to repeat
    (16 for StyleGAN2's R1 every 16th D update and path length every 4th G update)."""
    _torch()  # a clear error without the torch extra
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import flop_registry

    class FlopCounter(TorchDispatchMode):
        flops = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            count = flop_registry.get(func.overloadpacket)
            if count is not None:
                self.flops += count(*args, **kwargs, out_val=out)
            return out

    small = config.copy_and_resolve_references()
    small.train.batch_size = batch
    setting = {"as_written": "float32", "zoo": "best_float32"}[algorithm]
    step, _, _ = _setup(small, images, setting, device, compiled=False)
    train = config.train
    if algorithm == "as_written":  # WGAN-GP's iteration: one critic update (G's on every d_steps-th)
        iterations, images_taken = config.model.d_steps, batch * config.model.d_steps
    else:
        path_length = config.generator_penalties.get("path_length")
        iterations = math.lcm(train.penalty_interval if config.penalties.get("r1") else 1,
                              train.generator_penalty_interval if path_length else 1)
        images_taken = batch * config.model.d_steps * iterations
    with FlopCounter() as counter:
        for _ in range(iterations):
            step()
    return counter.flops / images_taken


def loop(config, images: np.ndarray, setting: str = "float32", seed: int = 0) -> PeerLoop:
    """The variant's loop on `images` (NHWC in [-1, 1]) at the config's batch size, in
    `setting` (one of `SETTINGS`), built and ready to time (the first steps compile), with
    its FLOPs per image and those of the zoo's algorithm (`flops_per_image`)."""
    torch = _torch()
    check_config(config, [setting])
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {SETTINGS}, got {setting!r}.")
    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    best = setting in AT_ITS_BEST
    if best and device == "cuda":
        torch.backends.cudnn.benchmark = True
    step, g, d = _setup(config, images, setting, device, compiled=True)
    # CUDA runs asynchronously: a window ends when its work has.
    synchronize = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    # Real images an iteration takes: the as-written WGAN-GP loop's are one critic step each.
    images_per_step = config.train.batch_size * (config.model.d_steps if best else 1)
    zoo_flops = flops_per_image(config, images, "zoo", device=device)
    own_flops = zoo_flops if best else flops_per_image(config, images, "as_written", device=device)
    return PeerLoop(step, synchronize, images_per_step, own_flops, zoo_flops, {
        "setting": setting, "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu", "torch": torch.__version__,
        "generator_parameters": parameter_count(g), "discriminator_parameters": parameter_count(d)})
