#!/usr/bin/env bash
# The prepared command for a session lent a GPU machine (JAX with CUDA, no TensorFlow, no
# Keras, no network): everything the GPU issue measures, in one run, results under $OUT.
#
#   bash tools/gpu_session.sh --wheels   # here, once: .gpu_wheels/ for Python 3.12
#   bash tools/gpu_session.sh            # there, carrying .gpu_wheels (about 8 minutes)
#   SMOKE=1 SKIP_INSTALL=1 PYTHON=.venv/bin/python bash tools/gpu_session.sh   # rehearsal on CPU
#
# One device command may run 10 minutes: the benchmarks stop starting after BUDGET_S (430 s),
# the training takes the rest.
# There: installs the wheels into /tmp/site, records the card and the versions, times every
# variant's mnist_subset config with tools/benchmark.py on JAX (the plain keras-io baseline
# side by side, matmul peaks measured in the same process), the default config also beside
# the PyTorch peer at batch 64 and 1024 and at float32, then trains the default config end to end with
# tools/train.py --backend=jax, kills it partway and reruns it (it must resume), leaving the
# workdir (generator.keras, metrics.json, tb/, samples/) in $OUT/run for evaluation on CPU.
set -u
PY=${PYTHON:-python3}
OUT=${OUT:-/tmp/gpu_session_out}
mkdir -p "$OUT"
WHEELS=.gpu_wheels

if [ "${1:-}" = "--wheels" ]; then  # keras and what the zoo imports that the GPU machine lacks
  rm -rf "$WHEELS" && mkdir -p "$WHEELS"
  "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
    -d "$WHEELS" keras==3.15.1 namex optree packaging ml_collections PyYAML mlxtend matplotlib \
    contourpy cycler fonttools kiwisolver pyparsing pillow python-dateutil six || exit 1
  ls "$WHEELS"
  exit 0
fi

export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}  # the working tree's gan_zoo and zoo_configs
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  "$PY" -m pip install -q --no-index --no-deps --target /tmp/site "$WHEELS"/*.whl 2>&1 \
    | grep -v -i "target directory" || true
  export PYTHONPATH=$PYTHONPATH:/tmp/site
fi
export KERAS_BACKEND=jax

{ nvidia-smi -L 2>&1 || echo "no nvidia-smi"; "$PY" -c "import jax, keras; print(jax.devices(), \
  'jax', jax.__version__, 'keras', keras.__version__)"; } | tee "$OUT/machine.txt"

if [ "${SMOKE:-0}" = 1 ]; then
  TIMING=(--repeats=1 --seconds=0.2 --warmup_steps=1); LIMIT=120
  TRAIN=(--config.train.epochs=2 --config.train.steps_per_epoch=20 --config.train.checkpoint_every=10
         --config.train.sample_every=10 --config.eval.num_samples=200)
else
  TIMING=(--repeats=3 --seconds=1); LIMIT=75
  TRAIN=()
fi

START=$(date +%s)
BUDGET=${BUDGET_S:-430}  # the benchmarks' share of one 10-minute device command; training follows
bench() {  # name, then flags for tools/benchmark.py
  local name=$1; shift
  if [ $(( $(date +%s) - START )) -gt "$BUDGET" ]; then echo "== skipped $name: over budget"; return; fi
  echo "== benchmark $name"
  timeout "$LIMIT" "$PY" tools/benchmark.py --backend=jax "${TIMING[@]}" --output="$OUT/bench_$name.json" \
    "$@" > "$OUT/bench_$name.log" 2>&1 || echo "   failed or timed out (rc $?): see bench_$name.log"
  tail -n 3 "$OUT/bench_$name.log"
}
# The default config beside PyTorch-GAN's dcgan.py loop on the same networks (the machine's
# own torch, fp32 and bf16 autocast + channels_last), at batch 64 and 1024.
bench gan --config=zoo_configs/gan_mnist_subset.py:paper --peer=pytorch
bench gan_batch1024 --config=zoo_configs/gan_mnist_subset.py:paper --config.train.batch_size=1024 --peer=pytorch
for variant in wgan_gp lsgan hinge ebgan improved_gan wgan semi_supervised cgan acgan projection; do
  bench "$variant" --config="zoo_configs/${variant}_mnist_subset.py"
done
bench gan_float32 --config=zoo_configs/gan_mnist_subset.py:paper --config.train.precision=float32

echo "== train end to end, killed partway, then resumed"
rm -rf "$OUT/run"
timeout -s KILL "${KILL_AFTER:-45}" "$PY" tools/train.py --backend=jax --config=zoo_configs/gan_mnist_subset.py \
  --workdir="$OUT/run" "${TRAIN[@]}" > "$OUT/train_killed.log" 2>&1
echo "   first run ended with rc $? (137: killed as planned)"
timeout 300 "$PY" tools/train.py --backend=jax --config=zoo_configs/gan_mnist_subset.py \
  --workdir="$OUT/run" "${TRAIN[@]}" > "$OUT/train_resumed.log" 2>&1
echo "   second run rc $?"; grep -a -o "Resuming from step [0-9]* of [0-9]*" "$OUT/train_resumed.log" || true
rm -rf "$OUT/run/checkpoints"  # large, and not needed to evaluate the run on CPU
ls "$OUT"
