#!/usr/bin/env bash
# Main job: build ccx, train the quick-start config (PPO on HumanHeartDipole)
# with whichever backend is present (cuda when a GPU answers, else cpu),
# export the best order and print it beside the forward, reverse and
# Markowitz baselines.
#
#   scripts/run.sh [CONFIG.yaml] [--set KEY=VALUE]...
#
# CONFIG defaults to configs/train/quickstart.yaml (about 3 minutes on a
# 2-core laptop). The run directory (metrics.csv, plot.png, checkpoints,
# best_order.json) is under results/runs/.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CCX_ROOT"

config=configs/train/quickstart.yaml
if (($#)) && [[ $1 != --* ]]; then config=$1; shift; fi

ccx_header "dependencies"
ccx_install_deps

ccx_header "build (build/)"
cmake -S . -B build -DCCX_CUDA=AUTO >/dev/null
cmake --build build -j"$(ccx_nproc)" --target ccx

ccx_header "train ($config)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
build/ccx train "$config" "$@" | tee "$log"
run_dir=$(sed -n 's/^run directory: //p' "$log" | head -1)
[[ -n $run_dir ]] || { ccx_log "run.sh: ccx train printed no run directory"; exit 1; }

ccx_header "best order ($run_dir)"
shopt -s nullglob
if [[ -f $run_dir/best_order.json ]]; then files=("$run_dir/best_order.json"); else files=("$run_dir"/best_order.*.json); fi
shopt -u nullglob
((${#files[@]})) || { ccx_log "run.sh: no best order in $run_dir"; exit 1; }
for f in "${files[@]}"; do
    t=$(basename "$f" .json); t=${t#best_order}; t=${t#.}
    if [[ -n $t ]]; then sel=(--task "$t"); else sel=(); fi
    order=$(build/ccx export "$run_dir" "${sel[@]}" --format list)
    task=$(sed -n 's/.*"task": *"\([^"]*\)".*/\1/p' "$f" | head -1)
    echo "order: $order"
    build/ccx cost "$task" --order "$order"
done
echo "plot: $run_dir/plot.png"
