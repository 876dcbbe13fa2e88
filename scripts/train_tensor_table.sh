#!/usr/bin/env bash
# The issue-14 results table on a CPU: for each task, training alone (PPO
# configs/train/quick_TASK.yaml and Gumbel AlphaZero alphazero_quickstart.yaml
# on TASK, SECONDS each, one core each, the two side by side), then
# `ccx search-play` with each trained network and `ccx polish` on the best
# order found, beside `ccx search --method sa` at the same wall time on one
# core. Run directories (with each trained network, checkpoints/
# latest.safetensors), logs and orders under OUT; the table (markdown) is
# OUT/README.md, written by scripts/train_tensor_table.py.
#
#   scripts/train_tensor_table.sh [--seconds S] [--out DIR] [TASK...]
#   (defaults: 150 s, results/train/cpu_tensor, the six tensor tasks)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_EACH=150
OUT=results/train/cpu_tensor
TASKS=()
while (($#)); do
    case $1 in
    --seconds) SECONDS_EACH=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h | --help) sed -n 2,12p "$0"; exit 0 ;;
    *) TASKS+=("$1"); shift ;;
    esac
done
((${#TASKS[@]})) || TASKS=(RoeFlux_3d BlackScholes_Jacobian Encoder Perceptron f g)
CCX=build/ccx
[[ -x $CCX ]] || { echo "build ccx first (scripts/test.sh or cmake --build build)" >&2; exit 1; }
mkdir -p "$OUT"
for t in "${TASKS[@]}"; do
    echo "== $t: PPO and AlphaZero, ${SECONDS_EACH} s each (side by side)" >&2
    rm -rf "$OUT/ppo_$t" "$OUT/az_$t"
    $CCX train "configs/train/quick_$t.yaml" --backend cpu --set budget.seconds="$SECONDS_EACH" \
        --set run.out_dir="$OUT" --set run.name="ppo_$t" --quiet >"$OUT/ppo_$t.log" 2>&1 &
    $CCX train configs/train/alphazero_quickstart.yaml --backend cpu --set run.tasks="$t" \
        --set budget.seconds="$SECONDS_EACH" --set run.out_dir="$OUT" --set run.name="az_$t" \
        --quiet >"$OUT/az_$t.log" 2>&1 &
    wait
    echo "== $t: annealing ${SECONDS_EACH} s on one core, beside search-play + polish" >&2
    $CCX search "$t" --method sa --time "$SECONDS_EACH" --threads 1 -o "$OUT/sa_$t.json" \
        >"$OUT/sa_$t.log" 2>&1 &
    for a in ppo az; do
        $CCX search-play "$OUT/${a}_$t/checkpoints/latest.safetensors" --task "$t" --trees 8 \
            -o "$OUT/${a}_${t}_search_play.json" >"$OUT/${a}_${t}_search_play.log" 2>&1
    done
    # polish the cheapest order training and search-play found
    best=$(python3 scripts/train_tensor_table.py --best-order "$OUT" "$t")
    $CCX polish "$t" --order "$best" --time 10 --threads 1 -o "$OUT/polish_$t.json" \
        >"$OUT/polish_$t.log" 2>&1
    wait
done
python3 scripts/train_tensor_table.py "$OUT" "${TASKS[@]}" >"$OUT/README.md"
# keep each run's trained network (checkpoints/latest.safetensors, for
# search-play), not the periodic checkpoints and AlphaZero's replay buffer
find "$OUT" -path '*/checkpoints/*' ! -name latest.safetensors -delete
cat "$OUT/README.md"
