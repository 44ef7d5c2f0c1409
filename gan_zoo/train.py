"""train_and_evaluate(config, workdir): config -> data, model, fit, artifacts.

The workdir contract (WORKSPACE.md, "A run's workdir"): config.json, checkpoints/, tb/, samples/,
generator.keras and metrics.json, and config_history.json once a resume changed the config.
Calling it again on the same workdir resumes from the latest checkpoint, at the same
position in the data stream. Building from the config is `gan_zoo.build`, the workdir's
record and lock `gan_zoo.workdir`, the final figures `gan_zoo.evaluation`.
"""

import json
import os
import resource
import time

import keras

from gan_zoo import backends, callbacks, checkpoints, devices, evaluation, summaries
from gan_zoo import workdir as workdirs
from gan_zoo.build import build_gan, load_data
from gan_zoo.config import (  # noqa: F401 - the schema, re-exported for the trainer's users
    IDENTITY_KEYS,
    OPTIMIZERS,
    ConfigError,
    callback_intervals,
    config_changes,
    default_config,
    describe_changes,
    load_zoo_config,
    model_config,
    validate,
    with_later_defaults,
)
from gan_zoo.devices import machine


def train_and_evaluate(config, workdir: str, verbose: int = 1, strategy=None) -> dict:
    """Train the GAN that `config` describes in `workdir`, resuming if it holds a run.

    Under `strategy` (`devices.make_strategy`: a tf.distribute strategy, or JAX data
    parallelism) the GAN, its optimizers and its checkpoint are built in
    `strategy.scope()`; `train.batch_size` is the global minibatch, split across the
    replicas. Returns the figures written to metrics.json. The run holds the workdir
    (`workdir.lock`): a second run on it is refused with a `workdir.WorkdirBusy` naming
    the first, before anything is written.
    """
    validate(config)
    workdirs.prepare(workdir)
    say = print if verbose else lambda message: None
    with workdirs.lock(workdir, say):
        changes = _changes_to_the_run(config, workdir)
        keras.utils.set_random_seed(config.seed)
        if config.deterministic:
            backends.current().enable_determinism()
        dataset, info = load_data(config, folder_cache(workdir))
        with (strategy or devices.default_strategy()).scope():
            gan = build_gan(config, info)
            checkpoint, manager = checkpoints.make(gan, os.path.join(workdir, "checkpoints"))
        start = _restore(gan, config, checkpoint, manager)
        total = config.train.epochs * config.train.steps_per_epoch
        say(f"Workdir: {os.path.abspath(workdir)}")
        say(f"TensorBoard: {summaries.tensorboard_command(os.path.abspath(os.path.join(workdir, 'tb')))}")
        if start >= total and os.path.exists(os.path.join(workdir, "metrics.json")):
            say(f"Already trained for {start} steps; raise train.epochs to train longer."
                + (f"\nNothing trained, so not applied: {describe_changes(changes)}." if changes else ""))
            with open(os.path.join(workdir, "metrics.json")) as f:  # config.json keeps describing the run
                return json.load(f)
        unscored = evaluation.missing_network(config)
        if unscored:
            say(f"No Inception figures will be computed at the end: {unscored}")
        if start:
            say(f"Resuming from step {start} of {total}"
                + (f", with {describe_changes(changes, 'before', 'now')}." if changes else "."))
        workdirs.record_config(config, workdir, start, changes)
        writer = summaries.SummaryWriter(os.path.join(workdir, "tb"))
        checkpointer = checkpoints.Checkpointer(manager, config.train.checkpoint_every)
        callbacks.write_hparams(writer, config, os.path.basename(os.path.abspath(workdir)), gan.loss_name,
                                evaluation.evaluation_figures(gan, config))
        started = time.time()
        cbs = _callbacks(gan, config, info, workdir, writer, checkpointer)
        history = _fit(gan, dataset, config, start, cbs, verbose)
        result = _record(gan, config, workdir, writer, history, start, time.time() - started,
                         checkpointer.train_seconds)
        say(f"Exported generator: {os.path.join(workdir, 'generator.keras')}")
        return result


def _changes_to_the_run(config, workdir: str) -> dict[str, tuple]:
    """The config keys changed against the run the workdir holds; a ConfigError where the
    workdir belongs to another backend or another model."""
    try:
        checkpoints.check_backend(os.path.join(workdir, "checkpoints"))
    except checkpoints.ForeignCheckpoints as error:
        raise ConfigError(str(error)) from error
    return workdirs.check_against_run(config, workdir)


def _restore(gan, config, checkpoint, manager) -> int:
    """The generator step the latest good checkpoint restores (0 without one)."""
    try:
        restored = checkpoints.restore_latest_good(checkpoint, manager)
    except checkpoints.NoReadableCheckpoint as error:
        raise ConfigError(str(error)) from error
    if restored:
        # The checkpoint holds the learning rates too; the config's are the ones asked for.
        gan.g_optimizer.learning_rate = config.g_optimizer.learning_rate
        gan.d_optimizer.learning_rate = config.d_optimizer.learning_rate
    return callbacks.global_step(gan)


def _callbacks(gan, config, info, workdir: str, writer, checkpointer) -> list:
    """The run's callbacks, the divergence guard first, so that the checkpoints and
    samples on disk are the last good ones."""
    cbs = [
        callbacks.DivergenceGuard(),
        callbacks.ScalarLogger(writer),
        callbacks.SampleWriter(os.path.join(workdir, "samples"), writer, config.train.sample_every,
                               config.dataset, info.is_image,
                               config.train.num_samples if info.is_image else 2000,
                               config.model.latent_dim, seed=config.seed, num_classes=gan.num_classes),
        checkpointer,
    ]
    if config.eval.every:
        cbs.append(callbacks.PeriodicEvaluation(lambda model: evaluation.evaluate(
            model, config, folder_cache(workdir)), writer,
                                                config.eval.every))
    return cbs


def _fit(gan, dataset, config, start: int, cbs: list, verbose: int) -> dict:
    """`fit` from generator step `start` to the configured length; the last history."""
    steps_per_epoch, d_steps = config.train.steps_per_epoch, config.model.d_steps
    total = config.train.epochs * steps_per_epoch
    history: dict = {}
    step = start
    while step < total:
        epoch, done_in_epoch = divmod(step, steps_per_epoch)
        # An epoch cut short by a kill is finished on its own, so epochs stay aligned.
        last_epoch = epoch + 1 if done_in_epoch else config.train.epochs
        # A generator step consumes d_steps minibatches (BaseGAN.fit groups them).
        history = gan.fit(dataset.skip(step * d_steps), epochs=last_epoch, initial_epoch=epoch,
                          steps_per_epoch=(steps_per_epoch - done_in_epoch) * d_steps, callbacks=cbs,
                          verbose=verbose, shuffle=False).history
        step = callbacks.global_step(gan)
    return history


def _record(gan, config, workdir: str, writer, history: dict, start: int, wall: float,
            train_seconds: float) -> dict:
    """Export the generator, evaluate it, write metrics.json; its figures."""
    with gan.averaged_generator() as generator:  # the average of G's weights, when kept
        generator.save(os.path.join(workdir, "generator.keras"))
    step = callbacks.global_step(gan)
    result = {"step": step, "steps_this_run": step - start, "wall_seconds_this_run": round(wall, 2),
              "train_seconds_total": round(train_seconds, 2),
              "train": {k: float(v[-1]) for k, v in history.items() if len(v)},
              "precision": gan.generator.dtype_policy.name, "steps_per_execution": gan.steps_per_execution,
              "peak_rss_mib": round(peak_rss_mib(), 1), "machine": machine()}
    if result["steps_this_run"]:
        images = result["steps_this_run"] * config.train.batch_size * config.model.d_steps
        result["images_per_second"] = round(images / max(wall, 1e-9), 1)
    figures = evaluation.evaluate(gan, config, folder_cache(workdir))
    result.update(figures)
    callbacks.write_eval_scalars(writer, step, figures)
    with open(os.path.join(workdir, "metrics.json"), "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    return result


def folder_cache(workdir: str) -> str:
    """Where a folder's decoded images are cached by default: beside the workdir, shared by
    the runs in its parent."""
    return os.path.join(os.path.dirname(os.path.abspath(workdir)), "folder_cache")


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
