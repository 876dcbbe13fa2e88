#!/usr/bin/env bash
# GPU checks of the batched environments (issues 3 and 14: scalar and tensor
# graphs), for the lent GPU machine
# (docs/device.md). Two steps:
#
#   scripts/device_gpu_check.sh --prepare
#       HERE (no GPU needed): Release build with CUDA (sm_90) in build-device/,
#       then build-device/dist/ = ccx, ccx_tests and every shared library they
#       need that is neither glibc nor CUDA (OpenBLAS, cJSON, libgomp, ...),
#       found through an RPATH of $ORIGIN/lib. ~45 MiB: fits one `carry`.
#
#   scripts/device_gpu_check.sh
#       THERE, the one command of one `run` call with carry ["build-device/dist"]:
#         the env test binary (cpu suites + the cuda parity suite), the cuda
#         suite under compute-sanitizer memcheck (then racecheck/synccheck on
#         one mixed batch), and `ccx bench env --backend cuda --sweep`; logs
#         and results/bench-style output under $OUT (default results/device).
#
# Stage time limits (s) can be lowered through CCX_TESTS_S, CCX_MEMCHECK_S,
# CCX_RACECHECK_S, CCX_SYNCCHECK_S.
# Exit status: 0 when every stage passed; the log names the failing stage.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ ${1:-} == --prepare ]]; then
    set -e
    cmake -S . -B build-device -DCMAKE_BUILD_TYPE=Release -DCCX_CUDA=ON \
        -DCMAKE_CUDA_ARCHITECTURES=90 '-DCMAKE_BUILD_RPATH=$ORIGIN/lib'
    cmake --build build-device -j"$(nproc 2>/dev/null || echo 2)" --target ccx ccx_tests
    rm -rf build-device/dist
    mkdir -p build-device/dist/lib
    cp build-device/ccx build-device/ccx_tests build-device/dist/
    ldd build-device/ccx build-device/ccx_tests | awk '/=> \//{print $3}' | sort -u |
        grep -v -e '/libc\.so' -e '/libm\.so' -e '/libdl\.so' -e '/librt\.so' -e '/libpthread\.so' \
                -e '/ld-linux' -e 'cuda' -e 'libcublas' -e 'libcurand' -e 'libcudart' |
        while read -r lib; do cp -L "$lib" build-device/dist/lib/; done
    du -sh build-device/dist
    echo "ready: run 'scripts/device_gpu_check.sh' on the device with carry [\"build-device/dist\"]"
    exit 0
fi
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi

OUT=${OUT:-results/device}
mkdir -p "$OUT"
LOG="$OUT/device_gpu_check.log"
DIST=build-device/dist
export LD_LIBRARY_PATH="$ROOT/$DIST/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
# the binaries know their source tree as /work/main (task files, CCX_SOURCE_DIR)
if [[ ! -e /work/main/configs/tasks ]]; then
    mkdir -p /work 2>/dev/null && ln -sfn "$ROOT" /work/main 2>/dev/null ||
        echo "warning: cannot link /work/main -> $ROOT; tests that load paper tasks will fail" | tee -a "$LOG"
fi

failed=()
stage() {  # stage NAME TIMEOUT CMD...: run, log, remember failures
    local name=$1 limit=$2; shift 2
    printf '\n==== %s: %s\n' "$name" "$*" | tee -a "$LOG"
    local t0=$SECONDS
    timeout "$limit" "$@" 2>&1 | tee -a "$LOG"
    local rc=${PIPESTATUS[0]}
    printf '==== %s: exit %d in %ds\n' "$name" "$rc" "$((SECONDS - t0))" | tee -a "$LOG"
    ((rc == 0)) || failed+=("$name")
}

{ date -u; nvidia-smi --query-gpu=name,memory.total,clocks.max.memory --format=csv 2>&1; } | tee "$LOG"
[[ -x $DIST/ccx_tests ]] || { echo "no $DIST/ccx_tests: run --prepare here and carry build-device/dist" | tee -a "$LOG"; exit 1; }

stage tests ${CCX_TESTS_S:-240} "$DIST/ccx_tests" --gtest_filter='Env*:Game*'
SAN=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
stage memcheck ${CCX_MEMCHECK_S:-300} "$SAN" --tool memcheck --error-exitcode 97 --leak-check full \
    "$DIST/ccx_tests" --gtest_filter='EnvCuda.*'
stage racecheck ${CCX_RACECHECK_S:-120} "$SAN" --tool racecheck --error-exitcode 97 \
    "$DIST/ccx_tests" --gtest_filter='EnvCuda.MatchesCpuOnMixedBatch:EnvCuda.TensorGraphsMatchCpu'
stage synccheck ${CCX_SYNCCHECK_S:-120} "$SAN" --tool synccheck --error-exitcode 97 \
    "$DIST/ccx_tests" --gtest_filter='EnvCuda.MatchesCpuOnMixedBatch:EnvCuda.TensorGraphsMatchCpu'
rm -f "$OUT/env_cuda.txt"
stage bench 240 "$DIST/ccx" bench env --backend cuda --task RoeFlux_1d --sweep --seconds 0.5 \
    --out "$OUT/env_cuda.txt"
# the record path (tensor graphs, issue 14): target >= 2e8 eliminations/s at the best batch
stage bench_tensor 240 "$DIST/ccx" bench env --backend cuda --task RoeFlux_3d --sweep --seconds 0.5 \
    --out "$OUT/env_cuda.txt"

if ((${#failed[@]})); then
    echo "device_gpu_check: FAILED stages: ${failed[*]} (log: $LOG)" | tee -a "$LOG"
    exit 1
fi
echo "device_gpu_check: all stages passed (log: $LOG, bench: $OUT/env_cuda.txt)" | tee -a "$LOG"
