"""Shared fixtures: small networks, quiet deterministic backends, the backend marker."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# JAX compiles each train step with XLA, which takes seconds on CPU: a persistent cache for
# the session (inherited by the tools the tests run) compiles a resumed run's step once.
JAX_CACHE = tempfile.mkdtemp(prefix="gan_zoo_xla_cache_")
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", JAX_CACHE)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
# Every JAX process of the suite (the JAX pass, and the ones the TensorFlow and torch passes
# spawn: one step of every variant on every backend, data parallelism, the .keras ring, the
# tools without TensorFlow) compiles tiny steps and hundreds of eager ops once each: LLVM's
# optimization of XLA's CPU code costs more than it saves there (a fifth to a third of the
# JAX pass), and XLA's older fusion emitters compile in half the time of its new ones (one
# step of every variant: 12 s of compiling instead of 23-29 s on a Zen 4). XLA's graph
# passes are the same either way; only round-off differs, which no test may hang on.
XLA_FLAGS = "--xla_backend_optimization_level=0 --xla_cpu_use_fusion_emitters=false"
os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {XLA_FLAGS}".strip()

# Two xdist workers on two cores: torch's OpenMP threads, one per core in each worker, spin
# against each other and slow the eager steps of both many times over; TensorFlow's op pool
# (and the tools' processes, which inherit these) likewise asks for every core in each.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

import keras  # noqa: E402
import pytest  # noqa: E402

from gan_zoo import networks  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKEND = keras.backend.backend()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "backends(*names): the backends besides TensorFlow whose passes run this test too "
        "(the marking nearest the test wins). Unmarked tests are about tf.data, tf.distribute or "
        "TensorFlow checkpoints, or spawn every backend themselves: the TensorFlow pass runs them.")


def pytest_unconfigure(config):
    shutil.rmtree(JAX_CACHE, ignore_errors=True)


# The slow tests of each pass, slowest first: xdist hands tests out in collection order, so
# the slow ones start first and the two workers end together. GAN_ZOO_STORE_DURATIONS=1
# rewrites this pass's list from the run's own timings.
DURATIONS = os.path.join(REPO, "tests", "durations.json")
SLOW_SECONDS = 5.0
_durations: dict = {}


def _test_id(nodeid: str) -> str:
    """The test's id without the "@group" that xdist's loadgroup appends to it."""
    return nodeid.split("@")[0]


def _slow_tests() -> dict:
    if not os.path.exists(DURATIONS):
        return {}
    with open(DURATIONS) as f:
        return json.load(f).get(BACKEND, {})


def pytest_runtest_logreport(report):
    if report.passed:  # setup, call and teardown
        test = _test_id(report.nodeid)
        _durations[test] = _durations.get(test, 0.0) + report.duration


def pytest_sessionfinish(session):
    if os.environ.get("GAN_ZOO_STORE_DURATIONS") != "1" or hasattr(session.config, "workerinput"):
        return
    stored = {}
    if os.path.exists(DURATIONS):
        with open(DURATIONS) as f:
            stored = json.load(f)
    slow = sorted(((t, nodeid) for nodeid, t in _durations.items() if t >= SLOW_SECONDS), reverse=True)
    stored[BACKEND] = {nodeid: round(t, 1) for t, nodeid in slow}
    with open(DURATIONS, "w") as f:
        json.dump(stored, f, indent=1)
        f.write("\n")


def pytest_collection_modifyitems(config, items):
    """The slow tests first (`DURATIONS`); KERAS_BACKEND=jax or torch runs only the tests
    marked for it (`backends`)."""
    slow = _slow_tests()
    items.sort(key=lambda item: -slow.get(_test_id(item.nodeid), 0.0))
    if BACKEND == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"not marked for the {BACKEND} pass")
    for item in items:
        marker = item.get_closest_marker("backends")
        if marker is None or BACKEND not in marker.args:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="session", autouse=True)
def _test_cache():
    """The evaluation classifier is trained once per checkout, in a cache of the tests' own
    (not the user's ~/.cache): the JAX pass loads what the TensorFlow pass trained. Its
    file name carries the classifier's recipe version."""
    os.environ["GAN_ZOO_CACHE"] = os.path.join(REPO, ".pytest_cache", "gan_zoo")


def numpy(tensor):
    """A tensor as numpy on every backend (a torch output carries its graph)."""
    return keras.ops.convert_to_numpy(tensor)


def toy_networks(dim: int = 1, latent_dim: int = 4, hidden=(64, 64)):
    """A small MLP generator/discriminator pair for toy data of `dim` coordinates."""
    return networks.build_networks("mlp", (dim,), latent_dim, is_image=False, hidden_units=hidden)


def adam(lr=5e-4):
    return keras.optimizers.Adam(lr, beta_1=0.5)


def straight_and_resumed(config, tmp_path, steps: int = 2) -> tuple[dict, dict]:
    """The last checkpoint (an array checkpoint: JAX's npz, torch's pt) of `config` trained
    for 2 x `steps` generator steps in one run, and in two runs of `steps` on one workdir,
    as {name: array} each, read by the backend's own checkpoint reader."""
    from gan_zoo import backends, train

    def final_state(workdir, epochs):
        config.train.update({"steps_per_epoch": steps, "epochs": epochs, "checkpoint_every": steps,
                             "sample_every": steps})
        config.eval.num_samples = 0
        train.train_and_evaluate(config, workdir, verbose=0)
        checkpoint, manager = backends.current().make_checkpoint({}, os.path.join(workdir, "checkpoints"), 1)
        assert manager.latest_checkpoint.endswith(f"ckpt-{steps * epochs}{checkpoint.suffix}")
        return checkpoint.read(manager.latest_checkpoint)

    straight = final_state(str(tmp_path / "straight"), 2)
    final_state(str(tmp_path / "resumed"), 1)
    return straight, final_state(str(tmp_path / "resumed"), 2)


class PreloadedPython:
    """tests/helpers/preloaded.py, a server of this process (one per xdist worker): it runs
    each script it is sent in a fork of a process that has imported Keras and gan_zoo."""

    def __init__(self):
        self.env = dict(os.environ)
        server = [sys.executable, os.path.join(REPO, "tests", "helpers", "preloaded.py")]
        self.server = subprocess.Popen(server, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def answer(self) -> dict:
        line = self.server.stdout.readline()
        if not line:
            raise RuntimeError(f"tests/helpers/preloaded.py exited with {self.server.wait()}")
        return json.loads(line)

    def start(self, command: list, env: dict, cwd: str) -> "PreloadedProcess":
        """The script forked and running; the server takes no other until it has exited."""
        folder = tempfile.mkdtemp(prefix="preloaded_")
        out, err = os.path.join(folder, "stdout"), os.path.join(folder, "stderr")
        request = {"argv": command, "env": env, "cwd": os.path.abspath(cwd), "stdout": out, "stderr": err}
        self.server.stdin.write(json.dumps(request) + "\n")
        self.server.stdin.flush()
        return PreloadedProcess(self, command, self.answer()["pid"], folder)

    def run(self, command: list, env: dict, cwd: str, timeout: float) -> subprocess.CompletedProcess:
        process, expired = self.start(command, env, cwd), threading.Event()

        def kill():
            expired.set()
            process.send_signal(signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            result = process.communicate()
        finally:
            timer.cancel()
        if expired.is_set():
            raise subprocess.TimeoutExpired(command, timeout)
        return result


class PreloadedProcess:
    """A script running in a fork of a `PreloadedPython`, as a `subprocess.Popen` of it:
    its pid and signals, and at its end its exit code and output."""

    def __init__(self, server: PreloadedPython, command: list, pid: int, folder: str):
        self.server, self.command, self.pid, self.folder = server, command, pid, folder
        self.returncode: int | None = None

    def send_signal(self, signum: int):
        os.kill(self.pid, signum)

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = self.server.answer()["returncode"]
            with open(os.path.join(self.folder, "stdout")) as out, \
                    open(os.path.join(self.folder, "stderr")) as err:
                self.stdout, self.stderr = out.read(), err.read()
            shutil.rmtree(self.folder)
        return self.returncode

    def communicate(self) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess(self.command, self.wait(), self.stdout, self.stderr)


# Set in the test process's own environment while it runs, and read by no import: pytest's
# name of the running test, and the cache folder torch's compiler records there at its first use.
_RUN_TIME_ONLY = ("PYTEST_CURRENT_TEST", "TORCHINDUCTOR_CACHE_DIR")


def _import_time(env: dict) -> dict:
    """The environment but what `_RUN_TIME_ONLY` names."""
    return {key: value for key, value in env.items() if key not in _RUN_TIME_ONLY}


_preloaded: PreloadedPython | None = None
_SCRIPT_FOLDERS = (os.path.join(REPO, "tools"), os.path.join(REPO, "benchmarks"))


def preloaded_python() -> PreloadedPython:
    """This worker's `PreloadedPython`, started at its first use."""
    global _preloaded
    _preloaded = _preloaded or PreloadedPython()
    return _preloaded


def _preloaded_for(command: list, env: dict) -> PreloadedPython | None:
    """The worker's server where it can run `command` under `env` (`run_script`)."""
    if (len(command) > 1 and command[0] == sys.executable and os.environ.get("GAN_ZOO_TEST_PRELOAD") != "0"
            and os.path.dirname(os.path.abspath(command[1])) in _SCRIPT_FOLDERS
            and not any(arg.startswith("--backend") for arg in command[2:])
            and _import_time(env) == _import_time(os.environ)):
        preloaded = preloaded_python()
        if _import_time(env) == _import_time(preloaded.env):
            return preloaded
    return None


def run_script(command: list, env: dict | None = None, cwd: str | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess:
    """`subprocess.run(command, capture_output=True, text=True, ...)`, where `python SCRIPT
    ...` runs a script of tools/ or benchmarks/ under this pass's environment and backend in
    a `PreloadedPython`: the script's own code from its first line, without the seconds of
    importing Keras and gan_zoo. Any other command, environment or --backend runs as a plain
    process, and so does everything under GAN_ZOO_TEST_PRELOAD=0."""
    env = dict(os.environ if env is None else env)
    preloaded = _preloaded_for(command, env)
    if preloaded:
        return preloaded.run(command, env, cwd or os.getcwd(), timeout)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def start_script(command: list) -> "PreloadedProcess | subprocess.Popen":
    """`command` started as by `run_script`, for a test that signals it (pid, send_signal,
    wait); its output is not kept. Wait for it before the next `run_script`: the server
    runs one script at a time."""
    preloaded = _preloaded_for(command, dict(os.environ))
    if preloaded:
        return preloaded.start(command, dict(os.environ), os.getcwd())
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
