"""train_and_evaluate(config, workdir): config -> data, model, fit, artifacts.

The workdir contract (WORKSPACE.md, "A run's workdir"): config.json, checkpoints/, tb/, samples/,
generator.keras and metrics.json, and config_history.json once a resume changed the config.
Calling it again on the same workdir resumes from the latest checkpoint, at the same
position in the data stream.
"""

import functools
import json
import os
import resource
import time

import keras
import numpy as np

from gan_zoo import callbacks, checkpoints, data, devices, layers, metrics, models, networks, summaries
from gan_zoo import workdir as workdirs
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
from gan_zoo.devices import fast_bfloat16, machine
from gan_zoo.models import penalties


def resolve_precision(precision: str, is_image: bool) -> str:
    """The Keras dtype policy behind config.train.precision. "auto" keeps toys in
    float32: their MLPs are cheap and their modes (std 0.01) finer than bf16's steps."""
    if precision != "auto":
        return precision
    return "mixed_bfloat16" if is_image and fast_bfloat16() else "float32"


GPU_STEPS_PER_EXECUTION = 10


def resolve_steps_per_execution(config) -> int:
    """config.train.steps_per_execution, 0 chosen for the device. On a GPU, where a call into
    the step costs more than the step (H200, the default config: 4500 steps in 16.6 s of
    training against 52 s at 1, the same weights), the largest count up to 10 that divides
    every callback interval; elsewhere 1 (no measurable gain on CPU, and TensorBoard gets
    every step)."""
    if config.train.steps_per_execution or not devices.gpus():
        return config.train.steps_per_execution or 1
    intervals = callback_intervals(config).values()
    return max(n for n in range(1, GPU_STEPS_PER_EXECUTION + 1) if all(v % n == 0 for v in intervals))


def make_optimizer(spec, loss_scaling: bool = False) -> keras.optimizers.Optimizer:
    """The optimizer a config section names; `loss_scaling` wraps it in Keras's dynamic
    `LossScaleOptimizer` (mixed_float16: each network's loss gets its own optimizer's
    scale, and a step whose gradients overflow is skipped for that network only)."""
    spec = dict(spec)
    cls = OPTIMIZERS[spec.pop("name")]
    if cls is not keras.optimizers.Adam:  # betas belong to Adam only
        spec.pop("beta_1", None)
        spec.pop("beta_2", None)
    optimizer = cls(**spec)
    return keras.optimizers.LossScaleOptimizer(optimizer) if loss_scaling else optimizer


def build_gan(config, info: data.DataInfo) -> models.BaseGAN:
    """The compiled GAN a config describes, for data described by `info`."""
    net = config.networks
    variant = models.VARIANTS[config.model.variant]
    model_kwargs = {k: v for k, v in config.model.items() if k != "variant"}
    foreign = sorted(set(model_kwargs) - set(model_config(config.model.variant, latent_dim=1)))
    if foreign:
        raise ConfigError(
            f"config.model has {foreign}, which {config.model.variant} does not take. To switch "
            f"variants start from its config, e.g. --config=zoo:{config.model.variant}_{config.dataset}.")
    conditioning = config.networks.conditioning
    if conditioning and not info.num_classes:
        raise ConfigError(f"config.networks.conditioning={conditioning!r} needs a labelled data set; "
                          f"{config.dataset!r} has no labels.")
    if conditioning and config.labels_per_class:
        raise ConfigError("A class-conditional GAN needs every example's label: set labels_per_class=0 "
                          "(it keeps a few labels for the semi-supervised GAN).")
    if config.train.diff_augment and not info.is_image:
        raise ConfigError(f"config.train.diff_augment augments images; {config.dataset} is not an image "
                          "data set: set it to \"\".")
    precision = resolve_precision(config.train.precision, info.is_image)
    try:
        with networks.precision_policy(precision):
            generator, discriminator = networks.build_networks(
                net.kind, info.shape, config.model.latent_dim, is_image=info.is_image,
                hidden_units=tuple(net.hidden_units), base_filters=net.base_filters,
                kernel_size=net.kernel_size, norm=net.norm, spectral_norm=net.spectral_norm,
                num_outputs=info.num_classes if issubclass(variant, models.SemiSupervisedGAN) else 1,
                minibatch_kernels=net.minibatch_kernels, embedding_dim=net.embedding_dim,
                discriminator=variant.discriminator_kind, conditioning=conditioning,
                num_classes=info.num_classes if conditioning else 0)
        gan = variant(generator=generator, discriminator=discriminator, seed=config.seed,
                      reuse_generator_pass=config.train.reuse_generator_pass,
                      ema_decay=config.train.ema_decay or None,
                      lr_decay_steps=config.train.epochs * config.train.steps_per_epoch
                      if config.train.lr_decay == "linear" else None,
                      augment=layers.DiffAugment(config.train.diff_augment, seed=config.seed)
                      if config.train.diff_augment else None,
                      num_classes=info.num_classes if conditioning else 0,
                      **penalty_arguments(config), **model_kwargs)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"config.model / config.networks / config.penalties: {error}") from error
    loss_scaling = precision == "mixed_float16"
    gan.compile(g_optimizer=make_optimizer(config.g_optimizer, loss_scaling),
                d_optimizer=make_optimizer(config.d_optimizer, loss_scaling),
                steps_per_execution=resolve_steps_per_execution(config),
                # XLA is optional on TensorFlow (slower on the reference CPU); JAX always compiles.
                jit_compile=config.train.jit_compile or keras.backend.backend() == "jax")
    return gan


def penalty_arguments(config) -> dict:
    """The base's `penalties` and `penalty_options` from config.penalties (weight > 0)
    and the options those penalties take, and `penalty_interval`, which also applies to a
    variant's own penalty (WGAN-GP's, set by model.gp_weight)."""
    interval = {"penalty_interval": config.train.penalty_interval}
    weights = {name: float(weight) for name, weight in config.penalties.items() if weight}
    if not weights:
        return interval
    taken = penalties.options_taken(weights)
    return {"penalties": weights, **interval,
            "penalty_options": {k: v for k, v in config.penalty_options.items() if k in taken}}


def needs_labelled_batches(config) -> bool:
    """Whether the run trains on (images, labels): a conditional GAN, or a variant that
    uses labels (the semi-supervised GAN, ACGAN)."""
    return models.VARIANTS[config.model.variant].needs_labels or bool(config.networks.conditioning)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _final_logs(history: dict) -> dict:
    return {k: float(v[-1]) for k, v in history.items() if len(v)}


def train_and_evaluate(config, workdir: str, verbose: int = 1,
                       strategy=None) -> dict:
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
    with workdirs.lock(workdir, say=print if verbose else lambda message: None):
        return _train_and_evaluate(config, workdir, verbose, strategy or devices.default_strategy())


def _train_and_evaluate(config, workdir: str, verbose: int, strategy) -> dict:
    try:
        checkpoints.check_backend(os.path.join(workdir, "checkpoints"))
    except checkpoints.ForeignCheckpoints as error:
        raise ConfigError(str(error)) from error
    changes = workdirs.check_against_run(config, workdir)
    keras.utils.set_random_seed(config.seed)
    if config.deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # XLA on CPU (JAX) is deterministic already

        tf.config.experimental.enable_op_determinism()

    d_steps = config.model.d_steps
    needs_labels = needs_labelled_batches(config)
    dataset, info = data.load(config.dataset, config.train.batch_size, seed=config.seed,
                              data_dir=config.data_dir or None, image_size=config.image_size or None,
                              with_labels=needs_labels, labels_per_class=config.labels_per_class,
                              shard=devices.process_shard(), num_examples=config.num_train_examples,
                              labelled_batch_size=config.labelled_batch_size)
    if isinstance(dataset, data.pipeline.ArrayBatches | data.pipeline.WithLabelledBatches) \
            and devices.process_shard()[1] > 1:
        # Each process already feeds its own rows of every global batch (ArrayBatches' shard).
        keras.distribution.distribution().auto_shard_dataset = False
    if needs_labels and not info.num_classes:
        raise ConfigError(f"{config.model.variant} needs a labelled data set; {config.dataset!r} has "
                          "no labels.")
    with strategy.scope():
        gan = build_gan(config, info)
        checkpoint, manager = checkpoints.make(gan, os.path.join(workdir, "checkpoints"))
    try:
        restored = checkpoints.restore_latest_good(checkpoint, manager)
    except checkpoints.NoReadableCheckpoint as error:
        raise ConfigError(str(error)) from error
    if restored:
        # The checkpoint holds the learning rates too; the config's are the ones asked for.
        gan.g_optimizer.learning_rate = config.g_optimizer.learning_rate
        gan.d_optimizer.learning_rate = config.d_optimizer.learning_rate
    start = callbacks.global_step(gan)
    steps_per_epoch = config.train.steps_per_epoch
    total = config.train.epochs * steps_per_epoch

    metrics_path = os.path.join(workdir, "metrics.json")
    if verbose:
        print(f"Workdir: {os.path.abspath(workdir)}")
        print(f"TensorBoard: {summaries.tensorboard_command(os.path.abspath(os.path.join(workdir, 'tb')))}")
    if start >= total and os.path.exists(metrics_path):
        if verbose:
            print(f"Already trained for {start} steps; raise train.epochs to train longer.")
            if changes:  # config.json keeps describing the run
                print(f"Nothing trained, so not applied: {describe_changes(changes)}.")
        with open(metrics_path) as f:
            return json.load(f)
    if verbose and start:
        print(f"Resuming from step {start} of {total}"
              + (f", with {describe_changes(changes, 'before', 'now')}." if changes else "."))
    workdirs.record_config(config, workdir, start, changes)
    writer = summaries.SummaryWriter(os.path.join(workdir, "tb"))
    checkpointer = checkpoints.Checkpointer(manager, config.train.checkpoint_every)
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
        cbs.append(callbacks.PeriodicEvaluation(lambda model: evaluate(model, config), writer,
                                                config.eval.every))
    callbacks.write_hparams(writer, config, os.path.basename(os.path.abspath(workdir)), gan.loss_name,
                            evaluation_figures(gan, config))

    started = time.time()
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
    wall = time.time() - started

    with gan.averaged_generator() as generator:  # the average of G's weights, when kept
        generator.save(os.path.join(workdir, "generator.keras"))
    result = {"step": callbacks.global_step(gan), "steps_this_run": callbacks.global_step(gan) - start,
               "wall_seconds_this_run": round(wall, 2),
               "train_seconds_total": round(checkpointer.train_seconds, 2), "train": _final_logs(history),
               "precision": gan.generator.dtype_policy.name, "steps_per_execution": gan.steps_per_execution,
               "peak_rss_mib": round(peak_rss_mib(), 1), "machine": machine()}
    if result["steps_this_run"]:
        result["images_per_second"] = round(
            result["steps_this_run"] * config.train.batch_size * d_steps / max(wall, 1e-9), 1)
    figures = evaluate(gan, config)
    result.update(figures)
    callbacks.write_eval_scalars(writer, result["step"], figures)
    with open(metrics_path, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    if verbose:
        print(f"Exported generator: {os.path.join(workdir, 'generator.keras')}")
    return result


def evaluate_samples(generate, dataset: str, num_samples: int, seed: int) -> dict:
    """Quality figures of a generator, given as `generate(n, seed) -> samples`.

    Toy mixtures: mode coverage of 2500 samples, and their precision / recall / density /
    coverage against as many draws of the mixture; gauss1d: their mean and std; embedded
    image sets: FID / KID / score and precision / recall / density / coverage of
    `num_samples` images over the features of a
    classifier trained on the data set's train split (cached), against as many real train
    images; Stacked MNIST: the digit triples of `num_samples` images read by the
    mnist_subset classifier. Other data sets: {} (they need InceptionV3, see
    tools/evaluate.py).
    """
    if dataset in data.TOYS:
        samples = generate(metrics.NUM_SAMPLES, seed)
        if dataset == "gauss1d":
            return {"mean": float(samples.mean()), "std": float(samples.std())}
        real, _ = data.load_arrays(dataset, "train", seed=seed)
        return {"modes": {**metrics.mode_metrics(samples, dataset),
                          **metrics.manifold_metrics(real[:len(samples)], samples)}}
    if dataset == data.STACKED and num_samples:
        classifier, info = metrics.train_classifier("mnist_subset")
        modes = metrics.stacked_mnist_modes(generate(num_samples, seed), classifier)
        return {"eval": {"stacked_mnist": modes, "classifier_test_accuracy": info["test_accuracy"]}}
    if dataset in data.EMBEDDED and num_samples:
        classifier, info = metrics.train_classifier(dataset)
        real, _ = data.load_arrays(dataset, "train")
        n = min(num_samples, len(real))
        scores = metrics.image_metrics(generate(n, seed), real[:n],
                                       metrics.classifier_extractor(classifier), "classifier")
        return {"eval": {**scores, "classifier_test_accuracy": info["test_accuracy"]}}
    return {}


def evaluate_conditional(generate, dataset: str, num_classes: int, seed: int) -> dict:
    """Label-aware figures of a class-conditional generator, `generate(n, seed, labels)`,
    on an embedded image set ({} elsewhere): as many samples as the train split holds,
    every class equally often, read by the project's classifier:

    - conditional_accuracy: the share classified as the class they were made for (with
      per class and the worst class's);
    - classifier_intra_fid: the mean over classes of the classifier FID between a class's
      samples and its real training images (with per class);
    - cas: the Classification Accuracy Score, the held-out accuracy of a fresh classifier
      trained on the samples alone, beside cas_of_real_training_data, the same
      classifier trained on the real training images.
    """
    if dataset not in data.EMBEDDED:
        return {}
    classifier, info = metrics.train_classifier(dataset)
    x, y = data.load_arrays(dataset, "train")
    x_test, y_test = data.load_arrays(dataset, "test")
    labels = metrics.balanced_labels(num_classes, len(x), seed)
    samples = generate(len(labels), seed, labels)
    extract = metrics.classifier_extractor(classifier)
    real_features, _ = extract(x)
    fake_features, probabilities = extract(samples)
    accuracy = metrics.conditional_accuracy(probabilities, labels, num_classes)
    intra = metrics.intra_class_fid(real_features, y, fake_features, labels)
    return {"conditional_accuracy": accuracy["accuracy"],
            "conditional_min_class_accuracy": accuracy["min_class_accuracy"],
            "conditional_per_class_accuracy": accuracy["per_class_accuracy"],
            "classifier_intra_fid": intra["intra_fid"], "classifier_per_class_fid": intra["per_class_fid"],
            "cas": metrics.classification_accuracy_score(samples, labels, x_test, y_test, num_classes,
                                                         info["epochs"], info["seed"]),
            "cas_of_real_training_data": info["test_accuracy"], "conditional_samples": len(samples)}


def evaluate(gan, config) -> dict:
    """The final figures of a run: `evaluate_samples` (of a conditional GAN, on classes
    drawn uniformly; with `ema_decay`, of the averaged generator and, under
    "without_ema", of the live one), `evaluate_conditional` for a conditional GAN, and
    the semi-supervised GAN's test error beside its labels-only baseline."""
    seed = config.seed + 12345
    figures = evaluate_samples(gan.generate, config.dataset, config.eval.num_samples, seed)
    if gan.ema_decay:  # the same run's live generator beside its average
        figures["without_ema"] = evaluate_samples(functools.partial(gan.generate, average=False),
                                                  config.dataset, config.eval.num_samples, seed)
    if gan.conditional and config.eval.num_samples and config.dataset in data.EMBEDDED:
        figures.setdefault("eval", {}).update(
            evaluate_conditional(gan.generate, config.dataset, gan.num_classes, seed))
    if config.dataset in data.EMBEDDED and isinstance(gan, models.SemiSupervisedGAN):
        figures.setdefault("eval", {}).update(semi_supervised_errors(gan, config))
    return figures


def evaluation_figures(gan, config) -> dict[str, str]:
    """{"eval/..." tag: description} of the figures `evaluate` writes for this run,
    headline figures first: the HParams dashboard's metric columns."""
    if config.dataset in data.TOYS:
        return callbacks.DENSITY_FIGURES if config.dataset == "gauss1d" else callbacks.MODE_FIGURES
    figures = {}
    if config.dataset in data.EMBEDDED and isinstance(gan, models.SemiSupervisedGAN):
        figures.update(callbacks.SEMI_SUPERVISED_FIGURES)
    if config.dataset == data.STACKED and config.eval.num_samples:
        figures.update(callbacks.STACKED_MNIST_FIGURES)
    if config.dataset in data.EMBEDDED and config.eval.num_samples:
        fid, *others = callbacks.CLASSIFIER_FIGURES.items()
        figures.update([fid, *(callbacks.CONDITIONAL_FIGURES.items() if gan.conditional else ()), *others])
    return figures


def semi_supervised_errors(gan, config) -> dict:
    """Test error of the semi-supervised GAN's classifier on the held-out split, next to
    the same discriminator architecture trained on the labelled examples alone (same
    split, same labels, same optimizer and number of updates)."""
    x_test, y_test = data.load_arrays(config.dataset, "test")
    x, y = data.load_arrays(config.dataset, "train")
    y = data.pipeline.keep_labels(y, config.labels_per_class, config.seed) if config.labels_per_class else y
    x, y = x[y >= 0], y[y >= 0]
    keras.utils.set_random_seed(config.seed)
    baseline = keras.models.clone_model(gan.classifier)  # same architecture, fresh weights
    baseline.compile(make_optimizer(config.d_optimizer),
                     keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    batch = min(config.labelled_batch_size or config.train.batch_size, len(x))
    steps = callbacks.global_step(gan) * config.model.d_steps
    passes = max(1, steps * batch // len(x))
    # Up to 100 passes per Keras epoch: 100 labels make one-batch epochs otherwise, whose
    # per-epoch overhead outweighs the updates.
    repeats = min(passes, 100)
    baseline.fit(np.tile(x, (repeats,) + (1,) * (x.ndim - 1)), np.tile(y, repeats), batch_size=batch,
                 epochs=max(1, passes // repeats), verbose=0)

    def error(model):
        return float(np.mean(np.argmax(model.predict(x_test, verbose=0), -1) != y_test))

    return {"test_error": error(gan.classifier), "labels_only_test_error": error(baseline),
            "labelled_examples": len(x), "test_examples": len(x_test)}

