#!/usr/bin/env bash
# Training runs on the lent GPU machine (docs/device.md), several at
# once on one GPU. Build here first with `scripts/device_gpu_check.sh
# --prepare`, then in one `run` call with carry ["build-device/dist"]:
#
#   scripts/device_train.sh [--seconds S] [--tests] CONFIG[:NAME[:KEY=VALUE,...]]...
#
#   --tests     first run the GPU suites of the RL ops, the Gumbel search and
#               the CUDA env/nn parity tests (gtest), logged to tests.log
#   --seconds   budget.seconds of every run (default: each config's)
#
# Each CONFIG trains in the background with `ccx train CONFIG --backend cuda`
# (NAME: run name; KEY=VALUE: extra --set overrides, comma-separated); their
# logs, metrics, plots and best orders (not checkpoints) come back in
# $OUT/runs.tar.gz and the final tables in $OUT/train.log.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [[ ${1:-} == -h || ${1:-} == --help ]]; then sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
OUT=${OUT:-results/device}
mkdir -p "$OUT"
DIST=build-device/dist
export LD_LIBRARY_PATH="$ROOT/$DIST/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
if [[ ! -e /work/main/configs/tasks ]]; then mkdir -p /work 2>/dev/null && ln -sfn "$ROOT" /work/main 2>/dev/null || true; fi

seconds="" tests=0 specs=()
while (($#)); do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --tests) tests=1; shift ;;
        *) specs+=("$1"); shift ;;
    esac
done
LOG="$OUT/train.log"
{ date -u; nvidia-smi --query-gpu=name,memory.total --format=csv,noheader; } | tee "$LOG"
if ((tests)); then
    timeout 300 "$DIST/ccx_tests" --gtest_filter='RlOpsCuda.*:GumbelCuda.*:EnvCuda.MatchesCpuOnMixedBatch:NnCuda.*:-NnCuda.LargeGraphsN1024' \
        > "$OUT/tests.log" 2>&1
    echo "tests: exit $? ($(grep -c '^\[       OK' "$OUT/tests.log") ok, $(grep -c '^\[  FAILED' "$OUT/tests.log") failed lines)" | tee -a "$LOG"
    grep -E '^\[  FAILED|Failure' "$OUT/tests.log" | head -20 | tee -a "$LOG"
fi
runs="$ROOT/device-runs"
rm -rf "$runs"
mkdir -p "$runs"
pids=()
for spec in "${specs[@]}"; do
    IFS=: read -r cfg name sets <<< "$spec"
    [[ -n $name ]] || name=$(basename "$cfg" .yaml)
    args=(train "$cfg" --backend cuda --quiet --set run.out_dir="$runs" --set run.name="$name")
    [[ -n $seconds ]] && args+=(--set budget.seconds="$seconds")
    if [[ -n $sets ]]; then IFS=, read -ra kv <<< "$sets"; for x in "${kv[@]}"; do args+=(--set "$x"); done; fi
    echo "start: ccx ${args[*]}" | tee -a "$LOG"
    "$DIST/ccx" "${args[@]}" > "$runs/$name.log" 2>&1 &
    pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
for spec in "${specs[@]}"; do
    IFS=: read -r cfg name sets <<< "$spec"
    [[ -n $name ]] || name=$(basename "$cfg" .yaml)
    echo "==== $name" | tee -a "$LOG"
    tail -8 "$runs/$name.log" | tee -a "$LOG"
    if [[ -f $runs/$name/metrics.csv ]]; then
        awk -F, 'NR==1{for(i=1;i<=NF;i++) h[i]=$i; next} {last=$0} END{n=split(last,v,","); printf "last row:"; for(i=1;i<=n;i++) if (h[i] ~ /^(update|env_steps|wall_s|steps_per_s|best_so_far|greedy_cost|mean_cost)/) printf " %s=%s", h[i], v[i]; print ""}' \
            "$runs/$name/metrics.csv" | tee -a "$LOG"
    fi
done
tar -C "$runs" --exclude=checkpoints -czf "$OUT/runs.tar.gz" .
echo "device_train: exit $status" | tee -a "$LOG"
exit $status
