"""tools/train.py and train_and_evaluate: the workdir contract, resume, and user errors."""

import glob
import json
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator
from test_folders import class_folder

import zoo_configs
from conftest import BACKEND, REPO, run_script
from gan_zoo import backends, build, callbacks, checkpoints, data, models, summaries, train
from gan_zoo import workdir as workdirs

TINY = ["--config.train.epochs=2", "--config.train.steps_per_epoch=3",
        "--config.train.checkpoint_every=2", "--config.train.sample_every=2",
        "--config.train.batch_size=16", "--config.networks.base_filters=4",
        "--config.eval.num_samples=200"]


def run_tool(*args, config="gan_mnist_subset.py"):
    """tools/train.py with `config`: zoo:NAME, or a zoo_configs/ path as older commands give it."""
    config = config if config.startswith("zoo:") else os.path.join(REPO, "zoo_configs", config)
    command = [sys.executable, os.path.join(REPO, "tools", "train.py"), f"--config={config}", *args]
    return run_script(command)


def tiny_config(name="gan_mnist_subset"):
    config = train.load_zoo_config(name)
    config.train.update(epochs=2, steps_per_epoch=3, checkpoint_every=2, sample_every=2,
                        batch_size=16)
    config.networks.base_filters = 4
    config.eval.num_samples = 0
    return config


def assert_hparams_dashboard_fills_in(workdir):
    """TensorBoard's HParams plugin, as the dashboard queries it, for the printed logdir
    (the run alone, which TensorBoard names ".") and for the folder holding the run: the
    session's metric columns hold the final figures, the model's keys come first."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import api_pb2, backend_context, get_experiment, list_session_groups

    with open(os.path.join(workdir, "metrics.json")) as f:
        fid = json.load(f)["eval"]["classifier_fid"]
    for logdir in (os.path.join(workdir, "tb"), os.path.dirname(workdir)):
        multiplexer = plugin_event_multiplexer.EventMultiplexer()
        multiplexer.AddRunsFromDirectory(logdir)
        multiplexer.Reload()
        provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)
        plugin = backend_context.Context(base_plugin.TBContext(logdir=logdir, multiplexer=multiplexer,
                                                               data_provider=provider))
        experiment = get_experiment.Handler(context.RequestContext(), plugin, "",
                                            api_pb2.GetExperimentRequest()).run()
        names = [h.name for h in experiment.hparam_infos]
        # The dashboard shows the first five: the keys that tell the zoo's runs apart.
        assert set(names[:5]) == set(callbacks.KEY_HPARAMS) and names[5] == "penalties.r1", names
        assert not {"model.clip_value", "model.a"} & set(names)  # other variants' keys
        assert [m.name.tag for m in experiment.metric_infos][:2] == ["eval/classifier_fid",
                                                                     "eval/classifier_kid"]
        assert all(m.description for m in experiment.metric_infos)
        request = api_pb2.ListSessionGroupsRequest(
            start_index=0, slice_size=10, allowed_statuses=[api_pb2.STATUS_UNKNOWN],
            col_params=[api_pb2.ColParams(hparam=name) for name in names]
            + [api_pb2.ColParams(metric=m.name) for m in experiment.metric_infos])
        handler = list_session_groups.Handler(context.RequestContext(), plugin, "", request)
        groups = handler.run().session_groups
        assert len(groups) == 1, logdir
        values = {v.name.tag: v.value for v in groups[0].metric_values}
        assert values["eval/classifier_fid"] == pytest.approx(fid, rel=1e-6), logdir
        assert groups[0].hparams["model.loss"].string_value == "non_saturating"


def restore_latest(config, workdir):
    """The GAN of `config` (on mnist_subset) restored from the workdir's latest checkpoint."""
    gan = build.build_gan(config, data.load("mnist_subset", 16)[1])
    assert checkpoints.restore_latest_good(*checkpoints.make(gan, os.path.join(workdir, "checkpoints")))
    return gan


# On torch the workdir's checkpoints and resumes are the resume tests' (test_resume.py).
@pytest.mark.backends("jax")
def test_train_tool_writes_the_workdir_contract_and_resumes(tmp_path):
    workdir = str(tmp_path / "run")
    result = run_tool(f"--workdir={workdir}", *TINY)
    assert result.returncode == 0, result.stderr[-2000:]
    assert summaries.tensorboard_command(f"{workdir}/tb") in result.stdout
    assert set(os.listdir(workdir)) >= {"config.json", "checkpoints", "tb", "samples",
                                        "generator.keras", "metrics.json"}
    with open(os.path.join(workdir, "config.json")) as f:
        assert json.load(f)["train"]["steps_per_epoch"] == 3
    with open(os.path.join(workdir, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["machine"]["backend"] == BACKEND
    assert metrics["step"] == 6 and set(metrics["train"]) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    # An untrained generator is far from the digits in the classifier's feature space.
    assert metrics["eval"]["num_samples"] == 200 and metrics["eval"]["classifier_fid"] > 10
    assert metrics["eval"]["classifier_test_accuracy"] > 0.9
    # An untrained generator's samples are off the digits' manifold: precision near 0.
    assert metrics["eval"]["classifier_precision"] < 0.2 and 0 <= metrics["eval"]["classifier_recall"] <= 1
    # Step 0, dense early frames (every sample_every / 5 steps, at least 1), then every 2.
    assert sorted(os.listdir(os.path.join(workdir, "samples"))) == [
        "samples.gif", "step_0000000.png", "step_0000001.png", "step_0000002.png", "step_0000004.png",
        "step_0000006.png"]
    assert Image.open(os.path.join(workdir, "samples", "samples.gif")).n_frames == 5
    generator = keras.saving.load_model(os.path.join(workdir, "generator.keras"))
    assert generator(np.zeros((2, 100), "float32")).shape == (2, 28, 28, 1)

    def events_of(run=""):
        events = event_accumulator.EventAccumulator(os.path.join(workdir, "tb", run))
        events.Reload()
        return events

    assert [e.step for e in events_of("discriminator").Tensors("loss")] == [1, 2, 3, 4, 5, 6]
    assert [e.step for e in events_of("generator").Tensors("loss")] == [1, 2, 3, 4, 5, 6]
    for run in ("real", "generated"):
        assert "a probability" in events_of(run).SummaryMetadata("D(x)").summary_description
    events = events_of()
    assert {"penalty/r1", "eval/classifier_fid"} <= set(events.Tags()["tensors"])
    assert not {"eval/num_samples", "eval/num_real", "d_loss"} & set(events.Tags()["tensors"])
    frames = events.Tensors("samples")
    assert [e.step for e in frames] == [0, 1, 2, 4, 6]
    assert min(int(frames[-1].tensor_proto.string_val[i]) for i in (0, 1)) >= 512  # width, height
    assert_hparams_dashboard_fills_in(workdir)

    # The same command with a longer schedule resumes at step 6 instead of starting over.
    result = run_tool(f"--workdir={workdir}", *TINY[1:], "--config.train.epochs=3")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Resuming from step 6 of 9, with train.epochs (2 before, 3 now)." in result.stdout
    with open(os.path.join(workdir, "metrics.json")) as f:
        assert json.load(f)["step"] == 9


@pytest.mark.parametrize("override,message", [
    ("--config.train.batch_sise=3", "config has no key 'train.batch_sise'. Did you mean \"batch_size\""),
    ("--config.train.batch_size=abc", "invalid literal for int()"),
    ("--config.dataset=mnits", "Unknown data set 'mnits'"),
])
def test_bad_config_fails_clearly(tmp_path, override, message):
    """Through the tool: the flag parser's errors, and a config's (the train tool turns
    every ConfigError and DataError into this, as `test_a_config_that_cannot_run_...` shows
    in process)."""
    result = run_tool(f"--workdir={tmp_path / 'run'}", override)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    if "batch_sise" in override:
        assert "Valid keys:" in result.stderr and "train.batch_size" in result.stderr


@pytest.mark.parametrize("overrides,message", [
    ({"model.loss": "wasserstein"}, "loss must be one of"),
    ({"model.variant": "wgan"}, "config.model has ['label_smoothing', 'loss'], which wgan does not take"),
    ({"model.variant": "vae"}, "model.variant must be one of"),
    ({"train.batch_size": 0}, "config.train.batch_size must be a positive number"),
    ({"dataset": "gauss1d"}, "DCGAN networks need images"),
    ({"networks.conditioning": "film"}, "conditioning must be one of ('', 'concat', 'projection')"),
    ({"labelled_batch_size": 10}, "it needs labels_per_class > 0 and a variant that reads labels"),
    ({"center_crop": 20}, "center_crop crops tfds and folder images; 'mnist_subset' has a fixed shape"),
    ({"eval.network": "inception_v2"}, "config.eval.network must be one of ('auto', 'classifier', "
                                       "'inception_fid')"),
    ({"dataset": "cifar10", "eval.network": "classifier"},
     "config.eval.network=classifier: the project's classifier scores the embedded"),
])
def test_a_config_that_cannot_run_is_refused_before_anything_is_trained(tmp_path, overrides, message):
    config = train.load_zoo_config("gan_mnist_subset")
    config.update_from_flattened_dict(overrides)
    with pytest.raises((train.ConfigError, data.DataError)) as error:
        train.train_and_evaluate(config, str(tmp_path / "run"), verbose=0)
    assert message in str(error.value)
    assert not (tmp_path / "run" / "checkpoints").exists()


@pytest.mark.parametrize("key,value,message", [
    ("train.steps_per_epoch", 0, "config.train.steps_per_epoch must be a positive number"),
    ("train.steps_per_execution", 7,
     "config.train.steps_per_epoch (300) must be a multiple of train.steps_per_execution (7)"),
    ("train.steps_per_execution", -1,
     "config.train.steps_per_execution must be a positive integer (or 0: chosen for the device), got -1"),
    ("train.penalty_interval", 0,
     "config.train.penalty_interval must be a positive number, got 0"),
    ("train.precision", "float8", "config.train.precision must be one of"),
    ("train.lr_decay", "cosine", "config.train.lr_decay must be one of ('none', 'linear')"),
    ("d_optimizer.learning_rate", -0.1,
     "config.d_optimizer.learning_rate must be a positive number"),
    ("g_optimizer.beta_1", 1.5,
     "config.g_optimizer.beta_1 must be a number in [0, 1), got 1.5"),
    ("d_optimizer.beta_2", -0.1,
     "config.d_optimizer.beta_2 must be a number in [0, 1), got -0.1"),
])
def test_config_values_no_run_can_use_are_refused_naming_the_key(key, value, message):
    """`config.validate`, which the tool runs before anything else (exit 2 with the message:
    `test_bad_config_fails_clearly` shows it through the tool for train.batch_size=0)."""
    config = train.load_zoo_config("gan_mnist_subset")
    section, name = key.split(".")
    config[section][name] = value
    with pytest.raises(train.ConfigError) as error:
        train.validate(config)
    assert message in str(error.value)


@pytest.mark.parametrize("key,value,message", [
    ("labels_per_class", 10, "A class-conditional GAN needs every example's label"),
    ("num_train_examples", -5, "config.num_train_examples must be a non-negative integer"),
    ("num_train_examples", 5000, "num_train_examples=5000 exceeds the 4500 examples"),
])
def test_conditioning_and_subsets_refuse_what_they_cannot_train(tmp_path, key, value, message):
    """In process (the tool turns these errors into exit 2 as above), before anything is
    trained or checkpointed."""
    config = tiny_config("cgan_mnist_subset")
    config[key] = value
    with pytest.raises((train.ConfigError, data.DataError), match=message):
        train.train_and_evaluate(config, str(tmp_path / "run"), verbose=0)
    assert not (tmp_path / "run" / "checkpoints").exists()


@pytest.mark.backends("jax", "torch")
def test_resuming_with_another_model_overwrites_nothing(tmp_path):
    workdir = str(tmp_path / "run")
    train.train_and_evaluate(tiny_config(), workdir, verbose=0)
    with open(os.path.join(workdir, "config.json")) as f:
        before = f.read()
    other = tiny_config()
    other.networks.base_filters = 8
    with pytest.raises(train.ConfigError, match="different networks"):
        train.train_and_evaluate(other, workdir, verbose=0)
    with open(os.path.join(workdir, "config.json")) as f:
        assert f.read() == before


def test_a_run_from_before_a_new_hyper_parameter_still_resumes(tmp_path):
    config = tiny_config("semi_supervised_mnist_subset")
    config.train.epochs = 1
    workdir = str(tmp_path / "run")
    train.train_and_evaluate(config, workdir, verbose=0)
    path = os.path.join(workdir, "config.json")
    with open(path) as f:
        written = json.load(f)
    del written["model"]["adversarial_weight"], written["networks"]["embedding_dim"]
    del written["num_train_examples"], written["networks"]["conditioning"]
    with open(path, "w") as f:  # as a run made before those keys existed wrote it
        json.dump(written, f)
    config.train.epochs = 2
    assert train.train_and_evaluate(config, workdir, verbose=0)["step"] == 6
    with open(path, "w") as f:
        json.dump(written, f)
    config.model.adversarial_weight = 1.0  # not what that run trained with (0)
    refused = r"different model.adversarial_weight \(0.0 in the run, 1.0 here\)"
    with pytest.raises(train.ConfigError, match=refused):
        train.train_and_evaluate(config, workdir, verbose=0)
    written["model"]["from_a_later_version"] = 3  # a key today's zoo does not know
    with open(path, "w") as f:
        json.dump(written, f)
    config.model.adversarial_weight = 0.0
    with pytest.raises(train.ConfigError, match=r"model.from_a_later_version \(3 in the run, absent here\)"):
        train.train_and_evaluate(config, workdir, verbose=0)


@pytest.mark.backends("jax", "torch")
def test_a_workdir_of_the_other_backend_is_refused_and_left_alone(tmp_path):
    """A backend does not see another's checkpoints: it would start over beside them."""
    config = tiny_config()
    workdir = str(tmp_path / "run")
    other, written = {"tensorflow": ("jax", "ckpt-4.npz"), "jax": ("torch", "ckpt-4.pt"),
                      "torch": ("tensorflow", "ckpt-4.index")}[BACKEND]
    os.makedirs(os.path.join(workdir, "checkpoints"))
    with open(os.path.join(workdir, "checkpoints", written), "w") as f:
        f.write("a checkpoint of the other backend")
    with pytest.raises(train.ConfigError, match=f"written on the {other} backend.*--backend={other}"):
        train.train_and_evaluate(config, workdir, verbose=0)
    assert sorted(os.listdir(workdir)) == [workdirs.LOCK, "checkpoints"]  # the lock, released: empty
    assert os.path.getsize(os.path.join(workdir, workdirs.LOCK)) == 0
    assert os.listdir(os.path.join(workdir, "checkpoints")) == [written]


@pytest.mark.parametrize("tool", ["train.py", "evaluate.py", "sample.py", "benchmark.py"])
def test_an_unknown_backend_is_refused_before_anything_is_written(tmp_path, tool):
    workdir = [f"--workdir={tmp_path / 'run'}"] if tool in ("train.py", "evaluate.py", "sample.py") else []
    folder = "benchmarks" if tool == "benchmark.py" else "tools"
    result = subprocess.run([sys.executable, os.path.join(REPO, folder, tool), "--backend=mxnet", *workdir],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "--backend must be one of ('tensorflow', 'jax', 'torch'), got 'mxnet'" in result.stderr
    assert not (tmp_path / "run").exists()


def test_config_penalties_reach_the_gan_with_their_options():
    config = tiny_config()
    config.penalties.dragan = 10.0
    config.penalty_options.perturbation_variance = 0.5
    gan = build.build_gan(config, data.load("mnist_subset", 16)[1])
    assert gan.penalties == {"r1": 1.0, "dragan": 10.0}  # beside the default config's own R1
    assert gan.penalty_options == {"perturbation_variance": 0.5}
    assert gan.penalty_interval == 16  # the default config's lazy R1
    lazy_gp = tiny_config("wgan_gp_mnist_subset")
    lazy_gp.train.penalty_interval = 5  # reaches the variant's own penalty too
    assert build.build_gan(lazy_gp, data.load("mnist_subset", 16)[1]).penalty_interval == 5
    config.penalties.dragan, config.penalties.r1 = 0.0, -1.0
    with pytest.raises(train.ConfigError, match="config.penalties.r1 is the penalty's weight"):
        train.validate(config)
    wgan_gp = tiny_config("wgan_gp_mnist_subset")
    wgan_gp.penalties.gradient_penalty = 1.0
    with pytest.raises(train.ConfigError, match="gp_weight, not penalties"):
        build.build_gan(wgan_gp, data.load("mnist_subset", 16)[1])


def test_a_run_with_a_generator_average_also_scores_its_live_generator(tmp_path):
    config = train.load_zoo_config("gan_gauss1d")
    config.train.update(epochs=1, steps_per_epoch=20, ema_decay=0.9)
    figures = train.train_and_evaluate(config, str(tmp_path), verbose=0)
    assert set(figures["without_ema"]) == {"mean", "std"}
    assert figures["without_ema"]["mean"] != figures["mean"]


def test_diff_augment_is_refused_for_data_that_are_not_images():
    config = train.load_zoo_config("gan_ring8")
    config.train.diff_augment = "translation"
    with pytest.raises(train.ConfigError, match="not an image data set"):
        build.build_gan(config, data.load("ring8", 16)[1])


def test_unwritable_workdir_is_a_config_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(train.ConfigError, match="Cannot write to workdir"):
        train.train_and_evaluate(tiny_config(), str(blocker / "run"), verbose=0)


@pytest.mark.backends("jax", "torch")
@pytest.mark.parametrize("name", ["gan_gauss1d", "gan_ring8", "gan_grid25"])
def test_toy_configs_train_and_plot(tmp_path, name):
    config = train.load_zoo_config(name)
    config.train.update(epochs=1, steps_per_epoch=2, sample_every=2, batch_size=32)
    metrics = train.train_and_evaluate(config, str(tmp_path), verbose=0)
    assert metrics["step"] == 2
    if name != "gan_gauss1d":  # an untrained generator sits between the modes
        assert metrics["modes"]["precision"] < 0.5
        assert set(metrics["modes"]) >= {"recall", "density", "coverage"}
    assert sorted(os.listdir(tmp_path / "samples")) == [
        "samples.gif", "step_0000000.png", "step_0000001.png", "step_0000002.png"]


def test_gauss1d_shows_the_study_from_a_to_d(tmp_path):
    """Goodfellow et al. 2014, Figure 1, on the logged numbers of zoo_configs/gan_gauss1d.py:
    D separates real from generated early, then flattens to 1/2 as G matches the data."""
    config = train.load_zoo_config("gan_gauss1d")
    result = train.train_and_evaluate(config, str(tmp_path), verbose=0)
    events = event_accumulator.EventAccumulator(str(tmp_path / "tb"),
                                                size_guidance={event_accumulator.TENSORS: 0})
    events.Reload()

    def story(name):
        return {e.step: float(tf.make_ndarray(e.tensor_proto)) for e in events.Tensors(f"story/{name}")}

    separation = story("max_abs_d_minus_half_on_real_support")
    assert sorted(separation)[:7] == [0, 20, 40, 60, 80, 100, 200]  # step 0 and dense early frames
    assert max(v for step, v in separation.items() if step <= 100) >= 0.2  # (b): D separates
    assert separation[result["step"]] <= 0.05  # (d): D(x) = 1/2 on the data
    spec = data.toy_spec("gauss1d")
    assert abs(story("generated_mean")[result["step"]] - spec.modes[0, 0]) <= 0.1
    assert abs(story("generated_std")[result["step"]] - spec.std) <= 0.1
    assert Image.open(tmp_path / "samples" / "samples.gif").n_frames == len(separation)
    # Its HParams metric columns are its own figures, not the image sets' classifier FID.
    assert declared_metrics(events) == ["eval/mean", "eval/std"]
    assert {"eval/mean", "eval/std"} <= set(events.Tags()["tensors"])


def test_import_without_tensorflow_names_the_extras():
    code = "import sys; sys.modules['tensorflow'] = None; import gan_zoo"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "pip install -e '.[cpu]'" in result.stderr and "'.[gpu]'" in result.stderr


@pytest.mark.backends("jax", "torch")
def test_divergence_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    from conftest import adam, toy_networks
    from gan_zoo import data, models

    class PoisonAtStep3(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 2:  # D's output bias: a ReLU would map NaN to 0 on some CPUs (AVX-512 max)
                w = self.model.discriminator.trainable_variables[-1]
                w.assign(np.full(w.shape, np.nan, "float32"))

    gan = models.GAN(*toy_networks(), latent_dim=4)
    gan.compile(g_optimizer=adam(), d_optimizer=adam())
    _, manager = checkpoints.make(gan, str(tmp_path))
    guard = [PoisonAtStep3(), callbacks.DivergenceGuard(), checkpoints.Checkpointer(manager, every=1)]
    with pytest.raises(callbacks.TrainingDiverged, match=r"at step 3: d_fake = nan"):
        gan.fit(data.load("gauss1d", 64)[0], steps_per_epoch=6, epochs=1, verbose=0, callbacks=guard)
    assert checkpoints.step_of(manager.latest_checkpoint) == "2"


@pytest.mark.backends("jax", "torch")
def test_every_checkpoint_on_disk_has_its_training_time(tmp_path):
    """A kill just after a checkpoint is written (simulated by raising there) still finds
    that step in train_seconds.json, so the resumed run carries the earlier time over."""
    from conftest import adam, toy_networks

    class Killed(Exception):
        pass

    gan = models.GAN(*toy_networks(), latent_dim=4)
    gan.compile(g_optimizer=adam(), d_optimizer=adam())
    _, manager = checkpoints.make(gan, str(tmp_path))
    checkpointer = checkpoints.Checkpointer(manager, every=2)
    save = manager.save

    def save_then_die(checkpoint_number):
        save(checkpoint_number=checkpoint_number)
        if checkpoint_number == 4:
            raise Killed

    manager.save = save_then_die
    with pytest.raises(Killed):
        gan.fit(data.load("gauss1d", 64)[0], steps_per_epoch=6, epochs=1, verbose=0,
                callbacks=[checkpointer])
    with open(tmp_path / "train_seconds.json") as f:
        clock = json.load(f)
    assert checkpoints.step_of(manager.latest_checkpoint) == "4" and clock["4"] > clock["2"] > 0


def test_a_checkpoint_missing_from_the_state_file_is_still_resumed_from(tmp_path):
    """A kill after a checkpoint's files are written but before the manager's state file
    lists it: the resume takes that checkpoint, not the one before."""
    step = tf.Variable(0)
    checkpoint = tf.train.Checkpoint(step=step)
    manager = tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=3)
    step.assign(20)
    manager.save(checkpoint_number=20)
    step.assign(40)
    checkpoint.write(str(tmp_path / "ckpt-40"))  # what the killed save left
    step.assign(0)
    manager = tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=3)
    assert manager.latest_checkpoint.endswith("ckpt-20")
    assert checkpoints.restore_latest_good(checkpoint, manager).endswith("ckpt-40") and int(step) == 40


@pytest.mark.backends("jax", "torch")
def test_a_resume_takes_the_configs_learning_rate_and_the_workdir_records_the_change(tmp_path):
    config = tiny_config()
    workdir = str(tmp_path / "run")
    train.train_and_evaluate(config, workdir, verbose=0)
    config_path, history_path = os.path.join(workdir, "config.json"), os.path.join(workdir, workdirs.HISTORY)
    with open(config_path) as f:
        trained_with = f.read()
    # A finished run is read back, not retrained: its config.json keeps what trained it, and
    # it is not one run of the changed config.
    changed = tiny_config()
    changed.g_optimizer.learning_rate = 1e-5
    assert train.train_and_evaluate(changed, workdir, verbose=0)["step"] == 6
    with open(config_path) as f:
        assert f.read() == trained_with
    assert not os.path.exists(history_path)
    assert workdirs.not_one_run_of(changed, workdir) == (
        f"{workdir} was trained with a different g_optimizer.learning_rate (0.002 in the run, 1e-05 here)")
    # Trained longer: recorded, and still one run of the config (a constant learning rate).
    config.train.epochs = 3
    train.train_and_evaluate(config, workdir, verbose=0)
    assert workdirs.read_history(workdir) == [{"step": 6, "changes": {"train.epochs": [2, 3]}}]
    assert workdirs.not_one_run_of(config, workdir) is None
    # Resumed with another learning rate: the config's rate replaces the checkpoint's, and
    # the change is kept with the step it applies from.
    config.train.epochs = 4
    config.g_optimizer.learning_rate = 1e-5
    train.train_and_evaluate(config, workdir, verbose=0)
    assert float(restore_latest(config, workdir).g_optimizer.learning_rate) == pytest.approx(1e-5)
    assert workdirs.read_history(workdir)[1] == {
        "step": 9, "changes": {"g_optimizer.learning_rate": [0.002, 1e-5], "train.epochs": [3, 4]}}
    assert workdirs.not_one_run_of(config, workdir) == (
        f"{workdir} changed config when resumed at step 9: g_optimizer.learning_rate (0.002 before, "
        f"1e-05 after) (see {history_path})")
    config.g_optimizer.name = "sgd"
    with pytest.raises(train.ConfigError, match=r"g_optimizer.name \('adam' in the run, 'sgd' here\)"):
        train.train_and_evaluate(config, workdir, verbose=0)


@pytest.mark.backends("jax", "torch")
def test_linear_decay_follows_the_global_step_across_a_resume(tmp_path):
    config = tiny_config()
    config.train.lr_decay = "linear"
    workdir = str(tmp_path / "run")

    def restored_rates():
        gan = restore_latest(config, workdir)
        return float(gan.g_optimizer.learning_rate), float(gan.d_optimizer.learning_rate)

    rate = config.g_optimizer.learning_rate
    train.train_and_evaluate(config, workdir, verbose=0)  # 6 steps; the last at rate * 1/6
    assert restored_rates() == pytest.approx((rate / 6, rate / 6))
    config.train.epochs = 4  # resumed at step 6 of 12: the schedule is a function of the step
    config.d_optimizer.learning_rate = 3e-3
    train.train_and_evaluate(config, workdir, verbose=0)
    assert restored_rates() == pytest.approx((rate / 12, 3e-3 / 12))


@pytest.mark.backends("jax", "torch")
def test_a_corrupt_latest_checkpoint_falls_back_to_the_previous(tmp_path, capsys):
    config = tiny_config()
    workdir = str(tmp_path / "run")
    train.train_and_evaluate(config, workdir, verbose=0)  # checkpoints 2, 4, 6
    pattern = backends.CHECKPOINT_PATTERNS[BACKEND]  # the data files of a TensorFlow checkpoint
    torn = glob.glob(os.path.join(workdir, "checkpoints", "ckpt-6.data*" if pattern.endswith(".index")
                                  else pattern.replace("*", "6")))
    assert torn
    for path in torn:
        with open(path, "wb") as f:
            f.write(b"corrupt")
    config.train.epochs = 3
    metrics = train.train_and_evaluate(config, workdir, verbose=1)
    assert re.search(r"ckpt-6(\.npz|\.pt)? is unreadable", capsys.readouterr().out)
    assert metrics["step"] == 9 and metrics["steps_this_run"] == 5  # resumed from step 4


def test_semi_supervised_run_reports_its_test_error_beside_the_labels_only_baseline(tmp_path):
    config = train.load_zoo_config("semi_supervised_mnist_subset")
    config.dataset = "digits"
    config.model.latent_dim = 16
    config.networks.update(kind="mlp", hidden_units=(128, 128), minibatch_kernels=0)
    config.train.update(epochs=1, steps_per_epoch=300, batch_size=100)
    config.eval.num_samples = 0
    figures = train.train_and_evaluate(config, str(tmp_path), verbose=0)["eval"]
    assert figures["labelled_examples"] == 100 and figures["test_examples"] == 179
    assert figures["test_error"] < 0.4  # chance is 0.9
    assert figures["labels_only_test_error"] < 0.6


@pytest.mark.backends("jax")  # the same evaluation code on every backend
def test_evaluate_tool_rescores_a_workdir_and_refuses_a_foreign_file(tmp_path):
    config = train.load_zoo_config("gan_gauss1d")
    config.train.update(epochs=1, steps_per_epoch=300)
    workdir = str(tmp_path / "run")
    trained = train.train_and_evaluate(config, workdir, verbose=0)
    tool = [sys.executable, os.path.join(REPO, "tools", "evaluate.py")]
    result = run_script([*tool, f"--workdir={workdir}", "--seed=12345"])
    assert result.returncode == 0, result.stderr[-2000:]
    with open(os.path.join(workdir, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["step"] == 300  # the run's own figures are kept
    # The same seed as the run's own evaluation: the same figures, where the run put them.
    assert (metrics["mean"], metrics["std"]) == pytest.approx((trained["mean"], trained["std"]), rel=1e-5)
    result = run_script([*tool, f"--workdir={workdir}", "--seed=12345", "--truncation=0.5"])
    assert result.returncode == 0, result.stderr[-2000:]
    with open(os.path.join(workdir, "metrics.json")) as f:
        rescored = json.load(f)
    # z within +-0.5 narrows the samples, under a key of its own beside the untruncated figures.
    assert rescored["truncation_0.5"]["std"] < 0.5 * metrics["std"]
    assert rescored["std"] == metrics["std"]
    foreign = tmp_path / "generator.keras"
    foreign.write_text("not a keras file")
    result = run_script([*tool, f"--generator={foreign}", "--dataset=gauss1d",
                         f"--output={tmp_path / 'm.json'}"])
    assert result.returncode == 2 and "cannot load" in result.stderr and "Traceback" not in result.stderr


def test_sample_tool_draws_grids_interpolations_and_toy_figures(tmp_path):
    from PIL import Image

    tool = [sys.executable, os.path.join(REPO, "tools", "sample.py")]
    workdir = str(tmp_path / "digits")
    config = tiny_config()
    train.train_and_evaluate(config, workdir, verbose=0)
    result = run_script([*tool, f"--workdir={workdir}", "--num_samples=16", "--interpolations=3",
                         "--steps=7"])
    assert result.returncode == 0, result.stderr[-2000:]
    final = os.path.join(workdir, "samples", "final")
    assert Image.open(os.path.join(final, "samples.png")).size == (4 * 29 + 1, 4 * 29 + 1)
    # One row of 7 images per latent path.
    assert Image.open(os.path.join(final, "interpolations.png")).size == (7 * 29 + 1, 3 * 29 + 1)

    toy = train.load_zoo_config("gan_ring8")
    toy.train.update(epochs=1, steps_per_epoch=20, checkpoint_every=20, sample_every=20)
    toy.eval.num_samples = 0
    train.train_and_evaluate(toy, str(tmp_path / "ring"), verbose=0)
    out = tmp_path / "pictures"
    result = run_script([*tool, f"--generator={tmp_path / 'ring' / 'generator.keras'}",
                         "--dataset=ring8", f"--output_dir={out}"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert {p.name for p in out.iterdir()} == {"samples.png", "interpolations.png"}
    result = run_script([*tool, f"--generator={tmp_path / 'ring' / 'generator.keras'}"])
    assert result.returncode == 2 and "--generator needs --dataset" in result.stderr


def test_slerp_keeps_endpoints_and_interpolates_norms():
    sys.path.insert(0, os.path.join(REPO, "tools"))
    from sample import slerp

    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal((2, 5, 16)).astype("float32")
    path = slerp(z0, z1, 5)
    np.testing.assert_allclose(path[:, 0], z0, atol=1e-5)
    np.testing.assert_allclose(path[:, -1], z1, atol=1e-5)
    norms = np.linalg.norm(path, axis=-1)
    np.testing.assert_allclose(norms[:, 2], (norms[:, 0] + norms[:, -1]) / 2, rtol=1e-5)
    # Along a great circle: equal angles between consecutive points.
    unit = path / norms[..., None]
    angles = np.arccos(np.clip(np.sum(unit[:, 1:] * unit[:, :-1], -1), -1, 1))
    np.testing.assert_allclose(angles, angles[:, :1].repeat(4, 1), rtol=1e-4)


def test_tensorboard_gets_periodic_evaluations_and_an_hparams_record(tmp_path):
    config = train.load_zoo_config("gan_ring8")
    config.train.update(epochs=1, steps_per_epoch=40, checkpoint_every=40, sample_every=40)
    config.eval.every = 20
    workdir = str(tmp_path / "run")
    result = train.train_and_evaluate(config, workdir, verbose=0)
    events = event_accumulator.EventAccumulator(os.path.join(workdir, "tb"),
                                                size_guidance={event_accumulator.TENSORS: 0})
    events.Reload()
    modes = events.Tensors("eval/modes/modes")
    assert [e.step for e in modes] == [20, 40, 40]  # every 20 steps, then the final evaluation
    assert float(tf.make_ndarray(modes[-1].tensor_proto)) == result["modes"]["modes"]
    hparams = events.PluginTagToContent("hparams")
    assert hparams, "no hparams record"
    assert b"model.variant" in b"".join(hparams.values()) and b"gan" in b"".join(hparams.values())
    assert "eval/modes/num_modes" not in events.Tags()["tensors"]  # a constant: metrics.json only
    assert declared_metrics(events) == [tag for tag in callbacks.MODE_FIGURES]
    assert set(declared_metrics(events)) == {t for t in events.Tags()["tensors"] if t.startswith("eval/")}


def declared_metrics(events) -> list[str]:
    """The metric columns a run's HParams experiment declares, in order."""
    from tensorboard.plugins.hparams import metadata

    content = events.PluginTagToContent("hparams")[metadata.EXPERIMENT_TAG]
    return [m.name.tag for m in metadata.parse_experiment_plugin_data(content).metric_infos]


@pytest.mark.parametrize("name", zoo_configs.names())
def test_every_zoo_config_validates_and_builds(name, tmp_path):
    """Through data.load's own checks: tfds sets are served by tfds's mock data, offline;
    the folder presets get a folder of 8 images in two classes, enlarged to the preset's
    size. BigGAN and StyleGAN2 are built at a width of 8 (their papers' widths are
    test_biggan.py's and test_stylegan2.py's parameter counts)."""
    import tensorflow_datasets as tfds

    if name in zoo_configs.FOLDER_PRESETS:
        name = f"{name}:{class_folder(tmp_path / 'images', size=(70, 64))}"
    config = train.load_zoo_config(name)
    train.validate(config)
    config.train.batch_size = 8
    config.upsample = True
    if config.networks.kind in ("biggan", "stylegan2"):
        config.networks.base_filters = 8
    with tfds.testing.mock_data(num_examples=32):
        dataset, info = build.load_data(config, cache_dir=str(tmp_path / "cache"))
        next(iter(dataset))
    # Configs that differ in their data set's name or schedule alone build the same GAN: once.
    built = json.dumps([config.model.to_dict(), config.networks.to_dict(), config.penalties.to_dict(),
                        info.shape, info.num_classes, info.is_image], sort_keys=True, default=str)
    if built not in BUILT:
        gan = build.build_gan(config, info)
        assert type(gan) is models.VARIANTS[config.model.variant]
        assert gan.generate(2, seed=0).shape == (2, *info.shape)
        BUILT.add(built)


BUILT: set[str] = set()  # the GANs test_every_zoo_config_validates_and_builds built in this worker


def test_the_standard_protocols_cut_the_images_as_the_papers_and_say_what_to_set_them_beside():
    from zoo_configs import common

    assert set(common.STANDARD_PROTOCOLS) == {"cifar10", *zoo_configs.STANDARD}
    assert set(common.STANDARD_PROTOCOLS) < set(common.PUBLISHED_INCEPTION)
    celeba, stl10 = train.load_zoo_config("hinge_celeba64"), train.load_zoo_config("wgan_gp_stl10_48")
    assert (celeba.dataset, celeba.center_crop, celeba.image_size, celeba.split) == (
        "celeb_a", 108, 64, "train")
    assert (stl10.dataset, stl10.center_crop, stl10.image_size, stl10.split) == ("stl10", 0, 48, "unlabelled")
    assert train.load_zoo_config("projection_imagenet32").dataset == "imagenet_resized/32x32"


@pytest.mark.parametrize("config,message", [
    ("gan_ring8.py:paper", "error: zoo config 'gan_ring8' takes no config argument; drop ':paper'."),
    ("zoo:gan_rng8", "error: No zoo config named 'gan_rng8'; did you mean gan_ring8, wgan_ring8, "
                     "lsgan_ring8?"),
    ("gan_mnist_subset.py:papr", "takes no config argument or ':paper', got 'papr'")])
def test_a_config_argument_it_does_not_take_or_an_unknown_name_fails_in_one_line(tmp_path, config, message):
    result = run_tool(f"--workdir={tmp_path / 'run'}", config=config)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    with pytest.raises(train.ConfigError, match="zoo config 'gan_ring8' takes no config argument"):
        train.load_zoo_config("gan_ring8:paper")


@pytest.mark.parametrize("variant", ["gan", "lsgan", "hinge", "ebgan", "improved_gan", "semi_supervised"])
def test_paper_configs_are_the_papers_and_the_defaults_add_only_the_aids(variant):
    """`:paper` is zoo_config's paper settings untouched; the default config differs from it
    only in R1 (and how often it is taken), the generator average, the optimizers' learning
    rates and betas, and the length (each config's docstring gives their measured effect)."""
    from zoo_configs.common import zoo_config

    def flat(config):
        return {f"{group}.{key}": value for group, values in config.to_dict().items()
                for key, value in (values.items() if isinstance(values, dict) else [("", values)])}

    paper = flat(train.load_zoo_config(f"{variant}_mnist_subset:paper"))
    default = flat(train.load_zoo_config(f"{variant}_mnist_subset"))
    base = zoo_config(variant, "mnist_subset")
    if variant == "improved_gan":
        base.model.adversarial_weight = 1.0  # the config's choice of the paper's two G losses
    assert paper == flat(base)
    assert paper["penalties.r1"] == 0 and paper["train.ema_decay"] == 0
    changed = {key for key in paper if paper[key] != default[key]}
    assert "train.ema_decay" in changed and changed <= {
        "penalties.r1", "train.ema_decay", "train.penalty_interval", "train.epochs",
        *(f"{optimizer}_optimizer.{key}" for optimizer in "gd"
                                             for key in ("learning_rate", "beta_1", "beta_2"))}
    for key in ("name", "learning_rate", "beta_1", "beta_2"):  # G and D get the same optimizer
        assert default[f"g_optimizer.{key}"] == default[f"d_optimizer.{key}"], key
    if variant == "gan":  # the settings the config's docstring and the README measure
        assert [default[f"g_optimizer.{key}"] for key in ("learning_rate", "beta_1", "beta_2")] == [
            2e-3, 0.0, 0.99] and default["train.ema_decay"] == 0.999
        assert default["train.penalty_interval"] == 16 and default["train.epochs"] == 25


def test_a_missing_config_file_fails_clearly(tmp_path):
    result = run_tool(f"--workdir={tmp_path / 'run'}", config=str(tmp_path / "does_not_exist.py"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cannot load the --config file" in result.stderr and "does_not_exist.py" in result.stderr
    # Under zoo_configs/ a missing file is a name the registry does not know.
    result = run_tool(f"--workdir={tmp_path / 'run'}", config="does_not_exist.py")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "error: No zoo config named 'does_not_exist'. The configs: acgan_cifar10, " in result.stderr
    assert not (tmp_path / "run").exists()


def test_a_conditional_config_trains_draws_class_grids_and_is_scored_by_label(tmp_path):
    """The cgan config on scikit-learn's 8 x 8 digits (1618 training images: the
    label-aware figures score as many samples and train CAS's classifier on them)."""
    config = train.load_zoo_config("cgan_mnist_subset")
    config.dataset = "digits"
    config.train.update(epochs=1, steps_per_epoch=4, checkpoint_every=4, sample_every=4, batch_size=16)
    config.networks.base_filters = 4
    config.eval.num_samples = 200
    workdir = str(tmp_path / "run")
    figures = train.train_and_evaluate(config, workdir, verbose=0)["eval"]
    assert figures["conditional_samples"] == 1618 and len(figures["conditional_per_class_accuracy"]) == 10
    assert 0.0 <= figures["cas"] <= 1.0 and figures["classifier_intra_fid"] > 0
    assert figures["cas_of_real_training_data"] == figures["classifier_test_accuracy"]
    # A class grid, under a strip with its title: ten rows (classes) of ten columns (noise
    # vectors) of 8 x 8 digits.
    picture = np.asarray(Image.open(os.path.join(workdir, "samples", "step_0000004.png")))
    title, grid = picture[:-picture.shape[1]], picture[-picture.shape[1]:]
    assert grid.shape[0] % (10 * 9 + 1) == 0 and 0 < len(title) < grid.shape[0] / 10
    assert title.min() == 0 and grid[:1].min() == 255  # black type on the strip, the grid's white border

    tool = [sys.executable, os.path.join(REPO, "tools", "evaluate.py"), f"--workdir={workdir}",
            "--seed=12345", "--num_samples=200", f"--output={tmp_path / 'm.json'}"]
    result = run_script(tool)
    assert result.returncode == 0, result.stderr[-2000:]
    with open(tmp_path / "m.json") as f:
        rescored = json.load(f)["eval"]
    for key in ("classifier_fid", "conditional_accuracy", "classifier_intra_fid"):  # the run's seed
        assert rescored[key] == pytest.approx(figures[key], rel=1e-4), key

    out = tmp_path / "pictures"
    result = run_script([sys.executable, os.path.join(REPO, "tools", "sample.py"), f"--workdir={workdir}",
                         f"--output_dir={out}", "--num_samples=16", "--interpolations=3", "--steps=5"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert Image.open(out / "class_grid.png").size == (10 * 9 + 1, 10 * 9 + 1)
    assert Image.open(out / "interpolations.png").size == (5 * 9 + 1, 3 * 9 + 1)
