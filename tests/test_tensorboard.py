"""What a user sees in TensorBoard: a real `tensorboard` server, started with the flags the
train tool prints, asked through the HTTP routes its dashboards read."""

import contextlib
import glob
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest
from PIL import Image

from gan_zoo import callbacks, summaries, train

FRAMES = [0, 1, 2, 4, 6, 8]  # sample_every 2: step 0, every step below 2, then every 2 steps


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TensorBoard:
    """The printed command on a free loopback port, stopped by `close`."""

    def __init__(self, logdir: str):
        command = summaries.tensorboard_command(logdir).split()
        executable = os.path.join(os.path.dirname(sys.executable), command[0])
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [executable if os.path.exists(executable) else command[0], *command[1:], "--host", "127.0.0.1",
             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while True:
            try:
                self.get("/data/plugins_listing")
                return
            except OSError:
                if self.process.poll() is not None or time.time() > deadline:
                    self.close()
                    raise RuntimeError(f"tensorboard did not start: {self.process.stderr.read()[-2000:]}") \
                        from None
                time.sleep(0.5)

    def get(self, route: str, body: dict | None = None):
        """A route's JSON (POSTed `body` if given), or an image's bytes."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + route, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            content = response.read()
        return content if route.startswith("/data/plugin/images/individualImage") else json.loads(content)

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=30)


@contextlib.contextmanager
def tensorboard_server(logdir: str):
    server = TensorBoard(logdir)
    try:
        yield server
    finally:
        server.close()


def wait_for(read, done, seconds: float = 60):
    """read() until done(value): the server loads the event files after it starts."""
    deadline = time.time() + seconds
    while True:
        value = read()
        if done(value) or time.time() > deadline:
            return value
        time.sleep(0.5)


def test_tensorboard_shows_every_frame_g_against_d_and_filled_hparams_columns(tmp_path):
    config = train.load_zoo_config("gan_mnist_subset")
    config.train.update(epochs=2, steps_per_epoch=4, checkpoint_every=4, sample_every=2, batch_size=16,
                        penalty_interval=2)
    config.networks.base_filters = 4
    config.penalties.r1 = 50.0  # a weighted penalty large enough to show in D's objective
    config.eval.num_samples = 200
    workdir = str(tmp_path / "run")
    result = train.train_and_evaluate(config, workdir, verbose=0)
    png_frames = sorted(glob.glob(os.path.join(workdir, "samples", "step_*.png")))
    assert len(png_frames) == len(FRAMES)

    with tensorboard_server(os.path.join(workdir, "tb")) as server:
        get = server.get
        # Every sample frame, with the printed flags (images=0 showed none, no flag 10 of 43).
        frames = wait_for(lambda: get("/data/plugin/images/images?run=.&tag=samples"),
                          lambda frames: len(frames) >= len(FRAMES))
        assert [frame["step"] for frame in frames] == FRAMES
        shown = Image.open(io.BytesIO(get(f"/data/plugin/images/individualImage?{frames[-1]['query']}")))
        np.testing.assert_array_equal(np.asarray(shown), np.asarray(Image.open(png_frames[-1])))

        # G against D on one chart ("loss"), D on real against generated data on another.
        tags = get("/data/plugin/scalars/tags")
        assert "loss" in tags["generator"] and "loss" in tags["discriminator"]
        assert "D(x)" in tags["real"] and "D(x)" in tags["generated"]

        def series(run, tag):
            query = urllib.parse.urlencode({"run": run, "tag": tag})
            return {step: value for _, step, value in get(f"/data/plugin/scalars/scalars?{query}")}

        d_loss = series("discriminator", "loss")
        assert sorted(d_loss) == list(range(1, 9))
        # D's chart is its loss without the lazy R1, which has a chart of its own: a point
        # at every 2nd update of D (the 1st, 3rd, ...), the only thing on that rhythm.
        assert sorted(series(".", "penalty/r1")) == [1, 3, 5, 7]
        logs = result["train"]  # Keras's means over the last epoch, steps 5 to 8
        assert np.mean([d_loss[step] for step in range(5, 9)]) == pytest.approx(
            logs["d_adversarial_loss"], rel=1e-4)
        assert logs["d_loss"] > logs["d_adversarial_loss"] + 1e-3
        assert not any("d_loss" in run_tags for run_tags in tags.values())

        # HParams: the dashboard ticks the first five hyper-parameters and metrics.
        experiment = get("/data/plugin/hparams/experiment", {"experimentName": ""})
        hparams = [info["name"] for info in experiment["hparamInfos"]]
        assert hparams[:5] == sorted(callbacks.KEY_HPARAMS) and hparams[5] == "penalties.r1"
        assert not {"model.a", "model.clip_value", "model.margin"} & set(hparams)  # other variants'
        # The metrics: this run's evaluation figures, every one written and described.
        metrics = [info["name"]["tag"] for info in experiment["metricInfos"]]
        assert metrics[:4] == ["eval/classifier_fid", "eval/classifier_kid", "eval/classifier_precision",
                               "eval/classifier_recall"]
        assert set(metrics) == {tag for tag in tags["."] if tag.startswith("eval/")}
        assert all(info.get("description") for info in experiment["metricInfos"])
        groups = get("/data/plugin/hparams/session_groups", {
            "experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_RUNNING"],
            "colParams": [{"hparam": name} for name in hparams[:6]]
            + [{"metric": info["name"]} for info in experiment["metricInfos"][:5]],
            "startIndex": 0, "sliceSize": 10})["sessionGroups"]
        assert len(groups) == 1
        values = groups[0]["hparams"]
        assert (values["model.variant"], values["model.loss"], values["dataset"]) == (
            "gan", "non_saturating", "mnist_subset")
        assert values["g_optimizer.learning_rate"] == config.g_optimizer.learning_rate
        assert values["penalties.r1"] == 50.0
        filled = {value["name"]["tag"]: value["value"] for value in groups[0]["metricValues"]}
        assert set(metrics[:5]) <= set(filled)
        assert filled["eval/classifier_fid"] == pytest.approx(result["eval"]["classifier_fid"], rel=1e-6)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Chromium (apt-get install chromium)")
def test_the_images_tab_draws_the_sample_frames_in_a_browser(tmp_path):
    """Optional: headless Chromium's screenshot of the Images tab holds the frame."""
    config = train.load_zoo_config("gan_gauss1d")
    config.train.update(epochs=1, steps_per_epoch=2, sample_every=2)
    workdir = str(tmp_path / "run")
    train.train_and_evaluate(config, workdir, verbose=0)
    with tensorboard_server(os.path.join(workdir, "tb")) as server:
        wait_for(lambda: server.get("/data/plugin/images/images?run=.&tag=samples"),
                 lambda frames: len(frames) == 3)
        screenshot = str(tmp_path / "images.png")
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1400,1000", "--virtual-time-budget=15000",
                        f"--screenshot={screenshot}", f"{server.url}/#images"],
                       capture_output=True, timeout=120, check=True)
    pixels = np.asarray(Image.open(screenshot).convert("RGB")).astype(int)
    # The density figure's green histogram and blue D(x) curve are drawn on the page.
    green = (pixels[..., 1] > pixels[..., 0] + 40) & (pixels[..., 1] > pixels[..., 2] + 40)
    assert green.sum() > 500
