"""The zoo's FID Inception beside pytorch-fid's, on the same random weights and images.

Two steps, as pytorch-fid needs torchvision (a 5.5 GB install here) and the zoo needs Keras:

  # 1. pytorch-fid's network (in an environment with pytorch-fid and torchvision):
  python benchmarks/inception_peer.py peer --output=/tmp/peer.npz
  # 2. the zoo's, on KERAS_BACKEND's backend, and the comparison as JSON:
  python benchmarks/inception_peer.py zoo --peer=/tmp/peer.npz \
      --output=docs/cpu/<machine>/fid_inception_peer.json

Both fill their network with `seeded_state_dict` (no download: the same random tensors
under pytorch-fid's keys on both sides) and score two sets of `--num_images` images. The
JSON gives the features' and logits' relative errors and both FIDs (pytorch-fid's
`calculate_frechet_distance` on its features; the zoo's `metrics.fid` on its own).
`--fixture=tests/data/fid_inception_peer.npz` also writes the first images' outputs, which
the suite compares with the zoo's network on every backend.
"""

import argparse
import json
import sys
import time
import zlib

import numpy as np

SEED = 20151205


def seeded_state_dict(shapes: dict, seed: int = SEED) -> dict:
    """{key: float32 array} for pytorch-fid's {key: shape}: each tensor drawn from its own
    stream (seed, crc32(key)), scaled so that activations keep their size through the network:
    He-normal convolutions, batch norm near the identity."""
    tensors = {}
    for key, shape in shapes.items():
        rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
        shape = tuple(shape)
        if key.endswith("num_batches_tracked"):
            continue
        if key.endswith((".running_var", ".bn.weight")):
            value = rng.uniform(0.5, 1.5, shape)
        elif key.endswith((".running_mean", ".bias")):
            value = 0.1 * rng.standard_normal(shape)
        else:  # convolution [out, in, h, w] or the classifier [out, in]
            value = rng.standard_normal(shape) * np.sqrt(2.0 / np.prod(shape[1:]))
        tensors[key] = value.astype(np.float32)
    return tensors


def images(count: int, seed: int, size: int = 32) -> np.ndarray:
    """uint8 [count, size, size, 3]: coarse random shapes with fine noise, so that the two
    sets (seeds) differ in their statistics as generated and real images do."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (count, size // 8, size // 8, 3)).repeat(8, 1).repeat(8, 2)
    return np.clip(coarse + rng.normal(0, 20 + 10 * seed, coarse.shape), 0, 255).astype(np.uint8)


def peer(args) -> None:
    import torch
    import torchvision
    from pytorch_fid import fid_score, inception

    reference = torchvision.models.inception_v3(num_classes=1008, aux_logits=False, weights=None,
                                                init_weights=False)
    shapes = {key: tuple(value.shape) for key, value in reference.state_dict().items()}
    state_dict = {key: torch.from_numpy(value) for key, value in seeded_state_dict(shapes).items()}
    state_dict.update({key: torch.zeros((), dtype=torch.long) for key in shapes if
                       key.endswith("num_batches_tracked")})
    # pytorch-fid builds its network from the weights it downloads: hand it the seeded ones.
    inception.load_state_dict_from_url = lambda *args, **kwargs: state_dict
    network = inception.InceptionV3([3], use_fid_inception=True).eval()
    fc = state_dict["fc.weight"]  # the Inception Score's logits: pool features x fc, no bias

    def outputs(batch: np.ndarray):
        x = torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 255.0  # pytorch-fid's [0, 1]
        with torch.no_grad():
            pool = network(x)[0][:, :, 0, 0]
        return pool.numpy(), (pool @ fc.T).numpy()

    sets, pools, logits, seconds = [images(args.num_images, s) for s in (1, 2)], [], [], 0.0
    for pictures in sets:
        start = time.perf_counter()
        parts = [outputs(pictures[i:i + 50]) for i in range(0, len(pictures), 50)]
        seconds += time.perf_counter() - start
        pools.append(np.concatenate([p for p, _ in parts]))
        logits.append(np.concatenate([lg for _, lg in parts]))
    statistics = [(p.mean(0), np.cov(p, rowvar=False)) for p in pools]
    fid = fid_score.calculate_frechet_distance(*statistics[0], *statistics[1])
    np.savez(args.output, keys=np.array(list(shapes)),
             shapes=np.array([json.dumps(s) for s in shapes.values()]),
             images_a=sets[0], images_b=sets[1], pool_a=pools[0], pool_b=pools[1], logits_a=logits[0],
             fid=fid, seconds=seconds, torch=torch.__version__, torchvision=torchvision.__version__,
             pytorch_fid=_version("pytorch-fid"))
    print(f"pytorch-fid FID {fid:.6f} over 2 x {args.num_images} images; wrote {args.output}")


def _version(distribution: str) -> str:
    from importlib import metadata

    return metadata.version(distribution)


def zoo(args) -> None:
    import keras

    from gan_zoo import metrics
    from gan_zoo.devices import machine
    from gan_zoo.metrics import inception

    saved = dict(np.load(args.peer, allow_pickle=False))
    shapes = {key: json.loads(str(shape)) for key, shape in zip(saved["keys"], saved["shapes"], strict=True)}
    network = inception.fid_inception()
    inception.assign(network, seeded_state_dict(shapes))

    def outputs(batch: np.ndarray):
        pool, logits = network.predict(batch.astype(np.float32) / 127.5 - 1.0, batch_size=50, verbose=0)
        return pool, logits

    start = time.perf_counter()
    pool_a, logits_a = outputs(saved["images_a"])
    pool_b, _ = outputs(saved["images_b"])
    seconds = time.perf_counter() - start

    def relative(ours, theirs):
        return float(np.linalg.norm(ours - theirs) / np.linalg.norm(theirs))

    fid = metrics.fid(pool_a, pool_b)
    result = {
        "command": " ".join(["python", *sys.argv]), "backend": keras.backend.backend(),
        "machine": machine(), "num_images": 2 * len(saved["images_a"]),
        "pool_relative_error": max(relative(pool_a, saved["pool_a"]), relative(pool_b, saved["pool_b"])),
        "pool_max_abs_error": float(max(np.abs(pool_a - saved["pool_a"]).max(),
                                        np.abs(pool_b - saved["pool_b"]).max())),
        "logits_relative_error": relative(logits_a, saved["logits_a"]),
        "fid_zoo": fid, "fid_pytorch_fid": float(saved["fid"]),
        "fid_abs_difference": abs(fid - float(saved["fid"])),
        "seconds_zoo": seconds, "seconds_pytorch_fid": float(saved["seconds"]),
        "peer_versions": {name: str(saved[name]) for name in ("torch", "torchvision", "pytorch_fid")},
        "keras": keras.__version__,
    }
    with open(args.output, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))
    if args.fixture:
        np.savez_compressed(args.fixture, keys=saved["keys"], shapes=saved["shapes"],
                            images=saved["images_a"][:2], pool=saved["pool_a"][:2],
                            logits=saved["logits_a"][:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("side", choices=("peer", "zoo"))
    parser.add_argument("--output", required=True)
    parser.add_argument("--peer", help="the peer's .npz (zoo side)")
    parser.add_argument("--fixture", help="also write the suite's fixture here (zoo side)")
    parser.add_argument("--num_images", type=int, default=500, help="images per set (peer side)")
    args = parser.parse_args()
    peer(args) if args.side == "peer" else zoo(args)


if __name__ == "__main__":
    main()
