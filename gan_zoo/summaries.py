"""TensorBoard event files written with the tensorboard package alone (no TensorFlow).

The same records `tf.summary` writes: scalars and images as tensor summaries tagged for
the scalars and images plugins, and the HParams record, so that TensorBoard's dashboards
and its loaders (`EventAccumulator`) read them alike. One writer for both backends, and
the only one a JAX install without TensorFlow has.
"""

import io
import os
import time

import numpy as np
from PIL import Image
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.hparams import summary_v2 as hparams_summary
from tensorboard.plugins.image import metadata as image_metadata
from tensorboard.plugins.scalar import metadata as scalar_metadata
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util

# TensorBoard keeps 10 images per tag unless told; its fast loader reads "images=0" as
# none at all (the older Python loader as every one): a count above any run's frames.
SAMPLES_PER_PLUGIN = "images=100000"


def tensorboard_command(logdir: str) -> str:
    """The command that shows `logdir` with every sample frame."""
    return f"tensorboard --logdir {logdir} --samples_per_plugin={SAMPLES_PER_PLUGIN}"


class SummaryWriter:
    """Scalars, images, an HParams experiment and record into the event files of `logdir`.

    A scalar may go to a sub-run (`run`, a sub-folder of `logdir`): TensorBoard draws
    one chart per tag with a line per run, so one tag written in two sub-runs (G's and
    D's "loss") shares a chart in every dashboard, as Keras's own TensorBoard callback
    puts training and validation on one chart.
    """

    def __init__(self, logdir: str):
        self.logdir = logdir
        self.writers = {"": EventFileWriter(logdir)}

    def _write(self, summary: summary_pb2.Summary, step: int, run: str = ""):
        if run not in self.writers:
            self.writers[run] = EventFileWriter(os.path.join(self.logdir, run))
        self.writers[run].add_event(event_pb2.Event(summary=summary, step=int(step), wall_time=time.time()))

    def scalar(self, tag: str, value: float, step: int, description: str = "", run: str = ""):
        value = summary_pb2.Summary.Value(
            tag=tag, metadata=scalar_metadata.create_summary_metadata(tag, description),
            tensor=tensor_util.make_tensor_proto(np.float32(value)))
        self._write(summary_pb2.Summary(value=[value]), step, run)

    def image(self, tag: str, picture: np.ndarray, step: int, description: str = ""):
        """`picture`: uint8 [H, W, C], C in 1, 3, 4."""
        buffer = io.BytesIO()
        Image.fromarray(picture.squeeze(-1) if picture.shape[-1] == 1 else picture).save(buffer, "PNG")
        height, width = picture.shape[:2]
        value = summary_pb2.Summary.Value(
            tag=tag, metadata=image_metadata.create_summary_metadata(tag, description),
            tensor=tensor_util.make_tensor_proto(
                np.array([str(width).encode(), str(height).encode(), buffer.getvalue()], dtype=object)))
        self._write(summary_pb2.Summary(value=[value]), step)

    def hparams_config(self, hparams: list[tuple[str, object, bool]], metrics: list[tuple[str, str]]):
        """Declare the experiment up front: its hyper-parameters (name, this run's value,
        which gives the column's type, and whether it is a key one: TensorBoard lists the
        key ones first, by name, and its HParams dashboard shows the first five) and its
        metrics (scalar tag, description, in the order of the dashboard's columns, the
        first five shown), looked up in this run itself. Declared, the metric columns fill in
        for a logdir that is this run (TensorBoard names it ".") as for a folder of runs;
        inferred, TensorBoard looks for a run "./." that does not exist."""
        experiment = api_pb2.Experiment(
            hparam_infos=[api_pb2.HParamInfo(name=name, type=_hparam_type(value), differs=key)
                          for name, value, key in hparams],
            metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(group="", tag=tag),
                                             display_name=tag, description=description)
                          for tag, description in metrics],
            time_created_secs=time.time())
        summary = summary_pb2.Summary()
        summary.value.add(tag=hparams_metadata.EXPERIMENT_TAG, tensor=hparams_metadata.NULL_TENSOR,
                          metadata=hparams_metadata.create_summary_metadata(
                              plugin_data_pb2.HParamsPluginData(experiment=experiment)))
        self._write(summary, 0)

    def hparams(self, values: dict, trial_id: str):
        self._write(hparams_summary.hparams_pb(values, trial_id=trial_id), 0)

    def flush(self):
        for writer in self.writers.values():
            writer.flush()

    def close(self):
        for writer in self.writers.values():
            writer.close()


def _hparam_type(value) -> int:
    if isinstance(value, bool):
        return api_pb2.DATA_TYPE_BOOL
    return api_pb2.DATA_TYPE_FLOAT64 if isinstance(value, (int, float)) else api_pb2.DATA_TYPE_STRING
