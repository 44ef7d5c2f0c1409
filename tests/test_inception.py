"""The papers' FID Inception (gan_zoo.metrics.inception): the same outputs as pytorch-fid's
network on every backend, its weights file checked and read without running code, and
what the tools say without it."""

import json
import os

import numpy as np
import pytest

from conftest import REPO
from gan_zoo import evaluation, metrics
from gan_zoo.metrics import inception

pytestmark = pytest.mark.backends("jax", "torch")
# Written by benchmarks/inception_peer.py from pytorch-fid 0.3.0 (torchvision 0.29.1): its
# state dict's keys and shapes, two 32-px images and their pool features and logits under
# the seeded weights.
PEER = os.path.join(REPO, "tests", "data", "fid_inception_peer.npz")


def peer_fixture():
    import sys

    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    from inception_peer import seeded_state_dict

    saved = dict(np.load(PEER, allow_pickle=False))
    shapes = {str(key): json.loads(str(shape))
              for key, shape in zip(saved["keys"], saved["shapes"], strict=True)}
    return saved, seeded_state_dict(shapes)


def test_the_port_gives_pytorch_fids_features_and_logits():
    """pytorch-fid's InceptionV3 (FID weights layout, its 299-px bilinear resize) and the
    port, filled with the same seeded tensors under pytorch-fid's keys: every key read, the
    same 2048-d pool features and 1008 logits (float32)."""
    saved, state_dict = peer_fixture()
    network = inception.fid_inception()
    assert sorted(inception.state_dict_keys(network)) == sorted(
        key for key in saved["keys"] if not key.endswith(inception.UNREAD))
    inception.assign(network, state_dict)
    pool, logits = network.predict(saved["images"].astype(np.float32) / 127.5 - 1.0, verbose=0)
    assert pool.shape == (2, 2048) and logits.shape == (2, 1008)
    np.testing.assert_allclose(pool, saved["pool"], rtol=1e-4, atol=1e-4 * np.abs(saved["pool"]).max())
    np.testing.assert_allclose(logits, saved["logits"], rtol=1e-4, atol=1e-4 * np.abs(saved["logits"]).max())


@pytest.mark.backends()
def test_a_state_dict_of_another_network_is_refused_naming_the_tensors():
    _, state_dict = peer_fixture()
    network = inception.fid_inception()
    del state_dict["Mixed_7c.branch_pool.conv.weight"]
    state_dict["Mixed_8a.conv.weight"] = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match=r"1 tensors missing \(Mixed_7c.branch_pool.conv.weight\), 1 unknown "
                                         r"\(Mixed_8a.conv.weight\)"):
        inception.assign(network, state_dict)


@pytest.mark.backends()
def test_the_weights_file_is_checked_by_fingerprint_read_safely_and_converted_once(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    _, state_dict = peer_fixture()
    path = tmp_path / inception.WEIGHTS_FILE
    torch.save({key: torch.from_numpy(value) for key, value in state_dict.items()}, path)
    network = inception.fid_inception()
    refused = (f"{path} is not pytorch-fid's {inception.WEIGHTS_FILE}: its SHA-256 starts [0-9a-f]{{8}}, "
               "not 6726825d")
    with pytest.raises(inception.InceptionUnavailable, match=refused):
        inception.load_weights(network, str(path), str(tmp_path / "cache"))
    digest = inception.sha256(str(path))
    monkeypatch.setattr(inception, "WEIGHTS_SHA256_PREFIX", digest[:8])  # as if it were pytorch-fid's file
    assert inception.load_weights(network, str(path), str(tmp_path / "cache")) == digest
    converted = tmp_path / "cache" / f"fid_inception-{digest[:16]}.npz"
    kernel = network.get_layer("Conv2d_1a_3x3__conv").kernel
    np.testing.assert_array_equal(kernel, np.transpose(state_dict["Conv2d_1a_3x3.conv.weight"], (2, 3, 1, 0)))
    monkeypatch.setattr(inception, "read_state_dict", None)  # a second load reads the conversion alone
    fresh = inception.fid_inception()
    inception.load_weights(fresh, str(path), str(tmp_path / "cache"))
    assert converted.exists()
    np.testing.assert_array_equal(fresh.get_layer("fc").kernel, network.get_layer("fc").kernel)


class RunsCode:
    """Unpickling this runs a shell command: what a hostile weights file would do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.backends()
def test_a_weights_file_that_pickles_code_is_refused_not_run(tmp_path):
    torch = pytest.importorskip("torch")
    marker, path = tmp_path / "ran", tmp_path / "hostile.pth"
    torch.save({"Conv2d_1a_3x3.conv.weight": RunsCode(marker)}, path)
    refused = r"is not a readable PyTorch weights file \(it pickles posix.system, which no weights file"
    with pytest.raises(inception.InceptionUnavailable, match=refused):
        inception.read_state_dict(str(path))
    assert not marker.exists()


@pytest.mark.backends()
def test_without_the_weights_the_figures_say_where_to_get_them(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(inception.WEIGHTS_ENVIRONMENT, raising=False)
    where = (f"download {inception.WEIGHTS_URL}.*--inception_weights=PATH \\(gan-zoo evaluate\\), "
             "--config.eval.inception_weights=PATH \\(gan-zoo train\\) or \\$GAN_ZOO_INCEPTION")
    with pytest.raises(metrics.InceptionUnavailable, match=where):
        metrics.inception_extractor()
    with pytest.raises(metrics.InceptionUnavailable, match="missing.pth' does not exist"):
        metrics.inception_extractor(str(tmp_path / "missing.pth"))

    def generate(n, seed):
        raise AssertionError("nothing is drawn without the network")

    assert evaluation.evaluate_samples(generate, "cifar10", 100, 0) == {}
    assert f"No Inception figures: The papers' FID needs the FID Inception weights: download " \
           f"{inception.WEIGHTS_URL}" in capsys.readouterr().out


@pytest.mark.backends("jax", "torch")
def test_a_folder_run_is_scored_on_the_inception_features_against_its_own_images(tmp_path, monkeypatch):
    """The evaluation's plumbing with a stand-in network (the real one needs its weights):
    the run's images as it trains on them, their features computed once and cached, the
    figures named after their network and reference images."""
    from test_folders import class_folder

    root = class_folder(tmp_path / "pets", per_class=6)

    def extractor(images):
        features = np.concatenate([images.mean(axis=(1, 2)), images.std(axis=(1, 2))], axis=1)
        return features, np.full((len(images), 4), 0.25)

    extractor.network = "stand-in"
    monkeypatch.setattr(metrics, "inception_extractor", lambda weights=None: extractor)
    monkeypatch.setenv("GAN_ZOO_CACHE", str(tmp_path / "cache"))
    real = evaluation.RealImages(f"folder:{root}", image_size=16, cache_dir=str(tmp_path / "folders"))
    own = real.load(12)

    def generate(n, seed):
        return own[:n] if seed == 0 else -own[:n]

    figures = evaluation.evaluate_samples(generate, real.dataset, 12, 0, real=real)["eval"]
    assert figures["inception_fid"] == pytest.approx(0, abs=1e-6) and figures["num_real"] == 12
    assert figures["feature_network"] == "stand-in"
    assert figures["reference_images"] == f"the first 12 images of folder:{root}'s train split, 16 px"
    monkeypatch.setattr(evaluation.RealImages, "load", None)  # the real side is read from the cache now
    assert evaluation.evaluate_samples(generate, real.dataset, 12, 1, real=real)["eval"]["inception_fid"] > 1
