#!/usr/bin/env bash
# The GPU check, in one go, from the repository root on a machine with a CUDA GPU:
#
#     bash benchmarks/gpu_check.sh            # outputs under ${OUT:-/tmp}/gpu_check
#
# 1. the app's CUDA training path end to end: `python -m designer train` (the CLI the
#    Train button's loop also serves) on the mini_inception example and the built-in
#    synthetic data, one epoch on --device cuda (bf16 autocast, channels_last, pinned
#    memory, checkpoints, validation);
# 2. benchmarks/gpu_train.py: images/s of the app's loop and of a bare loop for GoogLeNet
#    and Inception v3 at batch 128, fp32 / bf16, contiguous / channels_last, and
#    torch.compile for bf16 + channels_last; the table goes into the README;
# 3. while time is left: the CLI run again with --compile (the app's compiled path, with
#    validation), and the compiled GoogLeNet row with the branch meter off (--branch-every 0),
#    to see what the meter's hooks cost under torch.compile.
#
# Meant to finish within 10 minutes on an H200 (every step has a timeout; later steps run only
# while time is left). Uses the first Python (PYTHON, .venv/bin/python, python3, python) whose
# torch sees a CUDA GPU; without one it says what to install and exits 1. Exit status: that of
# step 1 (the benchmark itself is never pass/fail).
set -u
cd "$(dirname "$0")/.." || exit 1
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
OUT_DIR="${OUT:-/tmp}/gpu_check"
TOTAL_S=570 # leave a margin under 10 minutes
SECONDS=0
mkdir -p "$OUT_DIR" || exit 1

PY=""
for cand in "${PYTHON:-}" .venv/bin/python python3 python; do
    [ -n "$cand" ] || continue
    command -v "$cand" >/dev/null 2>&1 || [ -x "$cand" ] || continue
    if "$cand" -c 'import torch; assert torch.cuda.is_available()' >/dev/null 2>&1; then
        PY="$cand"
        break
    fi
done
if [ -z "$PY" ]; then
    echo "no Python here has a torch that sees a CUDA GPU (tried: ${PYTHON:+$PYTHON }.venv/bin/python python3 python)."
    if command -v nvidia-smi >/dev/null 2>&1; then
        nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/GPU: /'
    else
        echo "nvidia-smi is not found either: is there an NVIDIA GPU and driver?"
    fi
    echo "install a CUDA build of torch and the app's dependencies, then run this again, e.g.:"
    echo "    python3 -m venv .venv && .venv/bin/python -m pip install torch --index-url https://download.pytorch.org/whl/cu126"
    echo "    .venv/bin/python -m pip install 'networkx>=3.1,<4' numpy    # (or: .venv/bin/python -m pip install -e .)"
    exit 1
fi
if ! "$PY" -c 'import designer.training.loop, designer.compiler.build' >/dev/null 2>&1; then
    echo "$PY has a CUDA torch but cannot import the app:"
    "$PY" -c 'import designer.training.loop, designer.compiler.build' 2>&1 | tail -1
    echo "install its dependencies: $PY -m pip install 'networkx>=3.1,<4' numpy    # (or: $PY -m pip install -e .)"
    exit 1
fi

left() { echo $((TOTAL_S - SECONDS)); }
section() { printf '\n=== %s (%d s in)\n' "$1" "$SECONDS"; }

section "environment"
"$PY" -c 'import sys, torch; print(f"python {sys.version.split()[0]} ({sys.executable}), torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}, bf16 {torch.cuda.is_bf16_supported()}")'
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader
echo "outputs: $OUT_DIR"

section "1. the app's CUDA training (CLI, mini_inception, synthetic data, 1 epoch)"
rm -rf "$OUT_DIR/cli_cuda"
timeout 150 "$PY" -m designer train resources/examples/mini_inception.json --device cuda --epochs 1 \
    --synthetic-train 5120 --synthetic-val 1024 --out "$OUT_DIR/cli_cuda" --quiet 2>&1 | tee "$OUT_DIR/cli_cuda.log"
CLI_RC=${PIPESTATUS[0]}
echo "exit status $CLI_RC; run folder: $(ls "$OUT_DIR/cli_cuda" 2>/dev/null | tr '\n' ' ')"

section "2. benchmarks/gpu_train.py"
BENCH_T=$(($(left) - 60))
[ "$BENCH_T" -gt 420 ] && BENCH_T=420
timeout "$BENCH_T" "$PY" benchmarks/gpu_train.py --json "$OUT_DIR/gpu_train.json" --markdown \
    --budget-s $((BENCH_T - 150)) 2>&1 | tee "$OUT_DIR/gpu_train.txt"
BENCH_RC=${PIPESTATUS[0]}
[ "$BENCH_RC" -eq 124 ] && echo "cut short after ${BENCH_T} s: the rows so far are in $OUT_DIR/gpu_train.json"

if [ "$(left)" -gt 120 ]; then
    section "3a. the app's CUDA training with --compile (CLI, mini_inception, 30 steps + validation)"
    rm -rf "$OUT_DIR/cli_cuda_compile"
    T=$(($(left) - 60))
    [ "$T" -gt 180 ] && T=180
    timeout "$T" "$PY" -m designer train resources/examples/mini_inception.json --device cuda --epochs 1 \
        --compile --max-steps 30 --synthetic-train 5120 --synthetic-val 1024 --out "$OUT_DIR/cli_cuda_compile" \
        --quiet 2>&1 | tee "$OUT_DIR/cli_cuda_compile.log"
    echo "exit status ${PIPESTATUS[0]}"
else
    echo "(3a skipped: $(left) s left)"
fi

if [ "$(left)" -gt 100 ]; then
    section "3b. compiled GoogLeNet with the app's branch meter off"
    T=$(($(left) - 10))
    timeout "$T" "$PY" benchmarks/gpu_train.py --models googlenet --precisions bf16 --formats channels_last \
        --compile all --branch-every 0 --json "$OUT_DIR/gpu_train_no_meter.json" 2>&1 | tee "$OUT_DIR/gpu_train_no_meter.txt"
else
    echo "(3b skipped: $(left) s left)"
fi

section "done"
echo "CLI CUDA training: exit status $CLI_RC; benchmark: exit status $BENCH_RC; outputs in $OUT_DIR"
exit "$CLI_RC"
