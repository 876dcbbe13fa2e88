#!/usr/bin/env bash
# Main job: build ccx and print the baseline table (forward, reverse,
# minimal Markowitz) for every task in configs/tasks/.
# (Training and search will be added here later.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CCX_ROOT"

if (($#)); then
    ccx_log "run.sh: extra arguments are not used yet: $*"
fi

ccx_header "dependencies"
ccx_install_deps

ccx_header "build (build/)"
cmake -S . -B build -DCCX_CUDA=AUTO
cmake --build build -j"$(ccx_nproc)" --target ccx

ccx_header "baselines"
shopt -s nullglob
tasks=(configs/tasks/*.ccx)
shopt -u nullglob
if ((${#tasks[@]} == 0)); then
    ccx_log "run.sh: no task files in configs/tasks/"
    exit 1
fi
build/ccx baselines "${tasks[@]}"
