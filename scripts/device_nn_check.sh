#!/usr/bin/env bash
# GPU checks and benchmark of the policy/value network (issue 4), for the lent
# GPU machine (docs/device.md).
#
#   scripts/device_gpu_check.sh --prepare     HERE: builds build-device/dist
#                                             (ccx, ccx_tests, their libraries)
#   scripts/device_nn_check.sh                THERE, in one `run` call with
#                                             carry ["build-device/dist"]
#
# Stages: the NnCuda suite (GPU vs CPU twin), the same under compute-sanitizer
# memcheck (and one forward/backward test under racecheck), `ccx bench nn --backend cuda` at the issue's target size (batch
# 1024, N 128, D 128, L 4; TF32 on and off) and at N 1024. Output under $OUT
# (default results/device): device_nn_check.log, nn_cuda.txt. Stage limits (s)
# can be lowered through CCX_TESTS_S and CCX_MEMCHECK_S.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ ${1:-} == -h || ${1:-} == --help ]]; then sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi

OUT=${OUT:-results/device}
mkdir -p "$OUT"
LOG="$OUT/device_nn_check.log"
RES="$OUT/nn_cuda.txt"
DIST=build-device/dist
export LD_LIBRARY_PATH="$ROOT/$DIST/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
if [[ ! -e /work/main/configs/tasks ]]; then # CCX_SOURCE_DIR of the binaries
    mkdir -p /work 2>/dev/null && ln -sfn "$ROOT" /work/main 2>/dev/null || true
fi

failed=()
stage() { # stage NAME TIMEOUT CMD...
    local name=$1 limit=$2; shift 2
    printf '\n==== %s: %s\n' "$name" "$*" | tee -a "$LOG"
    local t0=$SECONDS
    timeout "$limit" "$@" 2>&1 | tee -a "$LOG"
    local rc=${PIPESTATUS[0]}
    printf '==== %s: exit %d in %ds\n' "$name" "$rc" "$((SECONDS - t0))" | tee -a "$LOG"
    ((rc == 0)) || failed+=("$name")
}

{ date -u; nvidia-smi --query-gpu=name,memory.total --format=csv 2>&1; } | tee "$LOG"
nvidia-smi -L >/dev/null 2>&1 || { echo "no GPU answers here: this script is for the device machine" | tee -a "$LOG"; exit 1; }
[[ -x $DIST/ccx_tests ]] || { echo "no $DIST/ccx_tests: run scripts/device_gpu_check.sh --prepare here" | tee -a "$LOG"; exit 1; }

stage tests ${CCX_TESTS_S:-240} "$DIST/ccx_tests" --gtest_filter='Nn*'
SAN=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
stage memcheck ${CCX_MEMCHECK_S:-400} "$SAN" --tool memcheck --error-exitcode 97 --leak-check full \
    "$DIST/ccx_tests" --gtest_filter='NnCuda.*:-NnCuda.LargeGraphsN1024'
# the attention kernels (typed edge biases since stop 19): shared-memory races
stage racecheck ${CCX_RACECHECK_S:-240} "$SAN" --tool racecheck --error-exitcode 97 \
    "$DIST/ccx_tests" --gtest_filter='NnCuda.ForwardBackwardMatchCpuFp32'
rm -f "$RES"
size=(--batch 1024 --vertices 128 --dim 128 --layers 4 --heads 4 --seconds 3)
stage bench_tf32 120 "$DIST/ccx" bench nn --backend cuda "${size[@]}" --tf32 on --out "$RES"
stage bench_fp32 120 "$DIST/ccx" bench nn --backend cuda "${size[@]}" --tf32 off --out "$RES"
stage bench_n1024 120 "$DIST/ccx" bench nn --backend cuda --batch 32 --vertices 1024 --seconds 2 --out "$RES"

if ((${#failed[@]})); then echo "device_nn_check: FAILED stages: ${failed[*]} (log: $LOG)" | tee -a "$LOG"; exit 1; fi
echo "device_nn_check: all stages passed (log: $LOG, bench: $RES)" | tee -a "$LOG"
