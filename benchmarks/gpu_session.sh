#!/usr/bin/env bash
# The prepared command for a session lent a GPU machine (JAX with CUDA, no TensorFlow, no
# Keras, no network): everything the GPU issue measures, in one run.
#
#   bash benchmarks/gpu_session.sh --wheels   # here, once: .gpu_wheels/ for Python 3.12
#   bash benchmarks/gpu_session.sh            # there, carrying .gpu_wheels (under 10 minutes)
#   SMOKE=1 SKIP_INSTALL=1 PYTHON=.venv/bin/python bash benchmarks/gpu_session.sh   # rehearsal on CPU
#   ROWS='fp32|gan_' bash benchmarks/gpu_session.sh   # only the benchmark rows whose names match
#
# There: installs the wheels into /tmp/site and records the card and the versions. Then, in
# order of what the issues need most, while BUDGET_S (470 s) lasts:
# - issue 34: WGAN-GP's CIFAR-10 ResNet at 32 px (random images of CIFAR-10's shape: no
#   tfds there) beside PyTorch as written and at its best, BigGAN at 128 px and StyleGAN2
#   at 64 and 256 px beside PyTorch at its best, timed in turn (5 windows of 10 s each),
#   at batch 64 and 256, bf16 then fp32: about 3 rows a call, the rest in a later call
#   with ROWS='...' (a regex of the bench names left; with ROWS the command ends after
#   the benchmark rows);
# - benchmarks/benchmark.py on JAX for the paper's GAN with 128 base filters (about the FLOPs an
#   image of PyTorch-GAN's dcgan.py networks, where plain Keras reached 22% of the bf16
#   peak) at batch 1024 and 64, beside the PyTorch loop: the 35%-of-peak target;
# - tools/train.py --backend=jax on the default config, killed once its step-1000
#   checkpoint exists and rerun (it must resume), the workdir (generator.keras,
#   metrics.json, tb/, samples/) kept for evaluation on CPU; then uninterrupted, its
#   checkpoints' clock kept (the steady rate without compiles);
# - the ring8 toy config end to end (its linear learning-rate decay runs inside the step);
# - WGAN-GP at batch 900 beside its wgan_gp.py loop; the paper's GAN beside PyTorch-GAN's
#   dcgan.py loop at batch 64 and 1024, and WGAN-GP beside its wgan_gp.py loop at 64
#   (first measured on 2026-11-26);
# - the levers (batch 4096 in bf16 and float32, mixed_float16, a fresh generator pass) and
#   every other variant (first measured on 2026-11-27).
# Only 8 files come back from the device, so everything lands in one tarball,
# $OUT/gpu_session.tgz, rewritten after each step (a killed command still returns it).
set -u
PY=${PYTHON:-python3}
FINAL=${OUT:-/tmp/gpu_session_out}
OUT=/tmp/gpu_session  # packed into $FINAL/gpu_session.tgz by pack()
rm -rf "$OUT" && mkdir -p "$OUT" "$FINAL"
pack() { tar czf "$FINAL/gpu_session.tgz" --exclude=checkpoints -C "$(dirname "$OUT")" "$(basename "$OUT")"; }
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
# tools/ installs as the package gan_zoo_tools; uninstalled, a link of that name stands in.
mkdir -p /tmp/gan_zoo_tools_link && ln -sfn "$PWD/tools" /tmp/gan_zoo_tools_link/gan_zoo_tools
export PYTHONPATH=$PYTHONPATH:/tmp/gan_zoo_tools_link
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  "$PY" -m pip install -q --no-index --no-deps --target /tmp/site "$WHEELS"/*.whl 2>&1 \
    | grep -v -i "target directory" || true
  export PYTHONPATH=$PYTHONPATH:/tmp/site
fi
export KERAS_BACKEND=jax
# XLA programs compiled once serve later processes (the resumed run, repeated networks).
export JAX_COMPILATION_CACHE_DIR=/tmp/jax_cache JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=1

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "no nvidia-smi"
  "$PY" -c "import jax, keras, torch; print(jax.devices(), 'jax', jax.__version__, 'keras', \
  keras.__version__, 'torch', torch.__version__)"; } | tee "$OUT/machine.txt"

if [ "${SMOKE:-0}" = 1 ]; then
  TIMING=(--repeats=1 --seconds=0.2 --warmup_steps=1); LIMIT=150; RESNET_TIMING=("${TIMING[@]}")
  RESNET_SMOKE=(--config.networks.base_filters=8)  # the same code at a CPU's size
  BIGGAN_SMOKE=(--config.networks.base_filters=4 --config.image_size=32 --random_images=32,32,3
                --config.model.latent_dim=16)
  STYLEGAN2_SMOKE=(--config.networks.base_filters=8 --config.networks.mapping_layers=2 --config.image_size=32
                   --random_images=32,32,3 --config.model.latent_dim=16)
  TRAIN=(--config.train.epochs=2 --config.train.steps_per_epoch=20 --config.train.checkpoint_every=10
         --config.train.sample_every=10 --config.eval.num_samples=200); KILL_AT=20
else
  TIMING=(--repeats=3 --seconds=1); LIMIT=150  # WGAN-GP's compiles took over 90 s on an H200
  # Issue 34's rows: at least 5 repeats of at least 10 s, so a 10-minute call times about 3 of
  # them; ROWS= picks up where an earlier call stopped.
  RESNET_TIMING=(--repeats=5 --seconds=10 --warmup_steps=3); RESNET_SMOKE=(); BIGGAN_SMOKE=(); STYLEGAN2_SMOKE=()
  TRAIN=()
fi

if [ -n "${ROWS:-}" ]; then
  [[ "" =~ $ROWS ]]
  if [ $? -eq 2 ]; then echo "ROWS='$ROWS' is not a regular expression (bash's =~): e.g. ROWS='fp32|biggan'."; exit 2; fi
fi
START=$(date +%s)
BUDGET=${BUDGET_S:-470}  # seconds into the command after which nothing new starts (10-minute limit)
left() { echo $(( BUDGET - ($(date +%s) - START) )); }
bench() {  # name, then flags for benchmarks/benchmark.py
  local name=$1; shift
  if ! [[ $name =~ ${ROWS:-.} ]]; then return; fi
  if [ "$(left)" -lt "${MIN_LEFT:-40}" ]; then echo "== skipped $name: over budget"; return; fi
  echo "== benchmark $name ($(( $(date +%s) - START )) s in)"
  timeout "$LIMIT" "$PY" benchmarks/benchmark.py --backend=jax "${TIMING[@]}" --output="$OUT/bench_$name.json" \
    "$@" > "$OUT/bench_$name.log" 2>&1 || echo "   failed or timed out (rc $?): see bench_$name.log"
  tail -n 1 "$OUT/bench_$name.log"
  pack
}
# Issue 34's rows: the zoo on JAX, PyTorch as written and at its best (torch.compile'd G and D,
# channels_last, fused Adam, cudnn.benchmark), their windows in turn. Batch 64 and 256, the
# bf16 rows first, the % of peak targets (BigGAN-128, StyleGAN2-256 at batch 256, with XLA's
# bytes and the measured bandwidth) next to them. BigGAN (the biggan_folder preset: ch = 96,
# 2 D steps, orthogonal regularization, G's average) and StyleGAN2 (the stylegan2_folder
# presets: 512 channels up to 64 px, lazy R1 and path length, style mixing, G's average) are
# unconditional on random images, beside PyTorch at its best alone (PyTorch-GAN has no loop
# for them).
RESNET=(--config=zoo:wgan_gp_cifar10 --random_images=32,32,3 --nobaseline --peer=pytorch)
BIGGAN=(--config=zoo:biggan_folder:random --random_images=128,128,3 --nobaseline --peer=pytorch)
STYLEGAN2_256=(--config=zoo:stylegan2_folder:random --random_images=256,256,3 --nobaseline --peer=pytorch)
STYLEGAN2_64=(--config=zoo:stylegan2_folder64:random --random_images=64,64,3 --nobaseline --peer=pytorch)
row() {  # name, dtype (bf16 or fp32), batch, then the network's flags
  local name=$1 dtype=$2 batch=$3; shift 3
  local precision=mixed_bfloat16 peers=bfloat16_channels_last,best_bfloat16
  if [ "$dtype" = fp32 ]; then precision=float32; peers=float32,best_float32; fi
  case $name in resnet*) ;; *) peers=${peers#*,} ;; esac  # at its best alone
  # JAX takes 75% of the card at its first use unless told not to: the peer in the same process
  # needs its share (BigGAN-128 and StyleGAN2-256 at batch 256 are tens of GB each).
  XLA_PYTHON_CLIENT_PREALLOCATE=false LIMIT=300 MIN_LEFT=150 bench "${name}_${dtype}_batch$batch" "$@" "${RESNET_TIMING[@]}" \
    --config.train.batch_size="$batch" --config.train.precision=$precision --peer_settings="$peers"
}
for dtype in bf16 fp32; do
  row resnet32 $dtype 64 "${RESNET[@]}" "${RESNET_SMOKE[@]}"
  row resnet32 $dtype 256 "${RESNET[@]}" "${RESNET_SMOKE[@]}"
  peak=(); [ $dtype = bf16 ] && peak=(--roofline)
  row biggan128 $dtype 256 "${BIGGAN[@]}" "${BIGGAN_SMOKE[@]}" "${peak[@]}"
  row stylegan2_256 $dtype 256 "${STYLEGAN2_256[@]}" "${STYLEGAN2_SMOKE[@]}" "${peak[@]}"
  row biggan128 $dtype 64 "${BIGGAN[@]}" "${BIGGAN_SMOKE[@]}"
  row stylegan2_256 $dtype 64 "${STYLEGAN2_256[@]}" "${STYLEGAN2_SMOKE[@]}"
  row stylegan2_64 $dtype 64 "${STYLEGAN2_64[@]}" "${STYLEGAN2_SMOKE[@]}"
  row stylegan2_64 $dtype 256 "${STYLEGAN2_64[@]}" "${STYLEGAN2_SMOKE[@]}"
done
# The summary rows of docs/PERFORMANCE.md (work counted, ratios at equal work), as they stand.
shopt -s nullglob  # the rows the budget reached
ROW_FILES=("$OUT"/bench_resnet32_*.json "$OUT"/bench_biggan128_*.json "$OUT"/bench_stylegan2_*.json)
shopt -u nullglob
[ ${#ROW_FILES[@]} -gt 0 ] && "$PY" benchmarks/peer_table.py "${ROW_FILES[@]}" 2>&1 | tee "$OUT/peer_summary.md"

# The 35% target on networks of the reference's size: ~1 GFLOP an image at 128 base
# filters, against 60 MFLOP for the config's 32 (2026-11-27: 22% of the peak at batch 1024,
# 24% at 4096). --roofline adds XLA's bytes a step on the card and its measured bandwidth.
bench gan_wide_batch1024 --config=zoo_configs/gan_mnist_subset.py:paper --config.networks.base_filters=128 \
  --config.train.batch_size=1024 --peer=pytorch --roofline
bench gan_wide --config=zoo_configs/gan_mnist_subset.py:paper --config.networks.base_filters=128 --peer=pytorch

# The default config end to end: killed once its checkpoint at step 1000 exists, then rerun
# (it must resume), leaving the workdir in $OUT/run for evaluation on CPU. Measured on
# 2026-11-26 and 27: where the rows above took the budget, the command ends here.
if [ "$(left)" -lt 150 ] || [ -n "${ROWS:-}" ]; then
  echo "== done (over budget, or ROWS given) in $(( $(date +%s) - START )) s"; pack; exit 0
fi
echo "== train end to end, killed partway, then resumed ($(( $(date +%s) - START )) s in)"
rm -rf "$OUT/run"
"$PY" tools/train.py --backend=jax --config=zoo_configs/gan_mnist_subset.py --workdir="$OUT/run" \
  "${TRAIN[@]}" > "$OUT/train_killed.log" 2>&1 &
TRAIN_PID=$!
for _ in $(seq 240); do
  if ls "$OUT"/run/checkpoints/ckpt-"${KILL_AT:-1000}".npz > /dev/null 2>&1 || ! kill -0 $TRAIN_PID 2> /dev/null; then
    break
  fi
  sleep 0.5
done
kill -9 $TRAIN_PID 2> /dev/null && echo "   killed after ckpt-${KILL_AT:-1000}" || echo "   not killed: it had ended"
wait $TRAIN_PID 2> /dev/null
timeout 200 "$PY" tools/train.py --backend=jax --config=zoo_configs/gan_mnist_subset.py \
  --workdir="$OUT/run" "${TRAIN[@]}" > "$OUT/train_resumed.log" 2>&1
echo "   second run rc $?"; grep -a -o "Resuming from step [0-9]* of [0-9]*" "$OUT/train_resumed.log" || true
"$PY" -c "import json; m = json.load(open('$OUT/run/metrics.json')); print('   ', {k: m[k] for k in m \
  if k in ('fid', 'kid', 'train_seconds_total', 'wall_seconds_this_run') or k == 'eval'})" || true
cp "$OUT/run/checkpoints/train_seconds.json" "$OUT/run_train_seconds.json" 2> /dev/null
pack
# The same uninterrupted (steps_per_execution resolves to 10 on a GPU): it must end at the
# resumed run's FID, and its training time is the 30-s target's.
timeout 150 "$PY" tools/train.py --backend=jax --config=zoo_configs/gan_mnist_subset.py --workdir="$OUT/run_whole" \
  "${TRAIN[@]}" > "$OUT/train_whole.log" 2>&1
echo "   uninterrupted: rc $?"
# Training time at each checkpoint: the steady rate, without the compiles, comes from its differences.
cp "$OUT/run_whole/checkpoints/train_seconds.json" "$OUT/run_whole_train_seconds.json" 2> /dev/null
rm -rf "$OUT/run_whole/checkpoints" "$OUT/run_whole/samples"
"$PY" -c "import json; m = json.load(open('$OUT/run_whole/metrics.json')); print('   ', m['train_seconds_total'], \
  m['images_per_second'], m['steps_per_execution'], m['eval']['classifier_fid'])" || true
pack

# A toy config end to end: its learning rates decay inside the step (no per-step state sync
# on JAX since 2026-11-27), so an MLP's short steps should run 10 to a call undisturbed.
if [ "$(left)" -ge 40 ]; then
  echo "== train gan_ring8 ($(( $(date +%s) - START )) s in)"
  timeout 90 "$PY" tools/train.py --backend=jax --config=zoo_configs/gan_ring8.py --workdir="$OUT/ring8" \
    "${TRAIN[@]}" > "$OUT/train_ring8.log" 2>&1
  echo "   rc $?"
  rm -rf "$OUT/ring8/checkpoints"
  "$PY" -c "import json; m = json.load(open('$OUT/ring8/metrics.json')); print('   ', m['train_seconds_total'], \
    m['images_per_second'], m['steps_per_execution'], m['modes']['modes'], m['modes']['high_quality'])" || true
  pack
fi

# 5 critic minibatches of 900 take all 4500 digits: the largest batch mnist_subset gives WGAN-GP.
bench wgan_gp_batch900 --config=zoo_configs/wgan_gp_mnist_subset.py --config.train.batch_size=900 --peer=pytorch
# The paper's GAN (the default config without R1 and the average) beside PyTorch-GAN's
# dcgan.py loop, and WGAN-GP beside its wgan_gp.py loop, on the same networks (the
# machine's own torch, fp32 and bf16 autocast + channels_last), at batch 64 and 1024.
bench gan --config=zoo_configs/gan_mnist_subset.py:paper --peer=pytorch
bench gan_batch1024 --config=zoo_configs/gan_mnist_subset.py:paper --config.train.batch_size=1024 --peer=pytorch
bench wgan_gp --config=zoo_configs/wgan_gp_mnist_subset.py --peer=pytorch

# Levers on the paper's GAN (measured on 2026-11-27): batch, precision, the generator pass.
bench gan_batch4096 --config=zoo_configs/gan_mnist_subset.py:paper --config.train.batch_size=4096
bench gan_batch4096_float32 --config=zoo_configs/gan_mnist_subset.py:paper --config.train.batch_size=4096 \
  --config.train.precision=float32
bench gan_float16 --config=zoo_configs/gan_mnist_subset.py:paper --config.train.precision=mixed_float16
bench gan_fresh_pass --config=zoo_configs/gan_mnist_subset.py:paper --config.train.reuse_generator_pass=false
# Every other variant, beside its plain baseline, cheapest compiles first (measured on 2026-11-27).
for variant in lsgan hinge wgan ebgan cgan acgan projection improved_gan semi_supervised; do
  bench "$variant" --config="zoo_configs/${variant}_mnist_subset.py"
done
echo "== done in $(( $(date +%s) - START )) s"
pack; ls -R "$OUT" | head -40
