#!/usr/bin/env bash
# Build and test everything:
#   1. build/       default build (CUDA if nvcc is found), ctest; then the JAX
#                   exporter's tests in build/venv-jax and build/venv-jax0426
#   2. build-asan/  AddressSanitizer + UBSan debug build, ctest
#   3. build-fuzz/  libFuzzer smoke runs of the task parser and the graph-file
#                   reader (needs clang)
# Usage: scripts/test.sh [--quick]     (--quick: the main build and its ctest only)
# Env:   CCX_FUZZ_SECONDS (task parser, default 45), CCX_FUZZ_GRAPH_SECONDS (graph
#        files, default 30)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CCX_ROOT"

quick=0
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) ccx_log "test.sh: unknown argument '$arg' (try --help)"; exit 2 ;;
    esac
done

JOBS=$(ccx_nproc)
stage="setup"
passed=()
t_start=$SECONDS
trap 'rc=$?; if ((rc != 0)); then printf "\ntest.sh: FAILED in stage: %s (exit %d; passed: %s)\n" "$stage" "$rc" "${passed[*]:-none}"; fi' EXIT

run_stage() { stage="$1"; ccx_header "$1"; }

# ---------------------------------------------------------------------------
run_stage "dependencies"
ccx_install_deps
passed+=("deps")

# ---------------------------------------------------------------------------
run_stage "build (build/, CCX_CUDA=AUTO)"
cmake -S . -B build -DCCX_CUDA=AUTO
cmake --build build -j"$JOBS"
run_stage "ctest (build/)"
ctest --test-dir build --output-on-failure -j2
passed+=("build+ctest")

# ---------------------------------------------------------------------------
# The JAX exporter (scripts/jax_export.py) and the JAX code ccx writes for
# Jacobians (tests/jax/test_jacobian.py): Python, in two virtual environments
# under build/ (created once): the current JAX, and JAX 0.4.26, under which
# the exports must be AlphaGrad's graphs record for record (fewer random
# programs and orders there: the generated code is the same).
if ((quick)); then
    echo "(--quick: skipping the JAX exporter stage)"
else
    for env in jax jax0426; do
        run_stage "JAX exporter and generated Jacobians (build/venv-$env, scripts/requirements-$env.txt)"
        py=$(ccx_venv "build/venv-$env" "scripts/requirements-$env.txt")
        "$py" -c 'import jax; print("jax", jax.__version__)'
        n_random=20 orders=forward,reverse,markowitz,random real_orders=2
        [[ $env == jax0426 ]] && n_random=5 orders=reverse,random real_orders=1
        CCX_BIN="$CCX_ROOT/build/ccx" CCX_JAX_RANDOM_PROGRAMS=$n_random CCX_JAX_ORDERS=$orders \
            CCX_REAL_RANDOM_ORDERS=$real_orders \
            "$py" -m unittest discover -s tests/jax -v
        passed+=("exporter-$env")
    done
fi

# ---------------------------------------------------------------------------
if ((quick)); then
    echo "(--quick: skipping sanitizer and fuzz stages)"
else
    run_stage "build (build-asan/, ASan+UBSan, Debug)"
    export ASAN_OPTIONS=detect_leaks=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    cmake -S . -B build-asan -DCCX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCCX_CUDA=OFF
    cmake --build build-asan -j"$JOBS"
    run_stage "ctest (build-asan/)"
    ctest --test-dir build-asan --output-on-failure -j2
    passed+=("asan+ctest")

    # -----------------------------------------------------------------------
    if command -v clang >/dev/null 2>&1 && command -v clang++ >/dev/null 2>&1; then
        run_stage "build (build-fuzz/, clang + libFuzzer)"
        CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCCX_FUZZ=ON -DCCX_CUDA=OFF
        cmake --build build-fuzz -j"$JOBS" --target fuzz_task fuzz_graph

        # fuzz_smoke TARGET SECONDS SEED...: run TARGET from a fresh copy of the
        # seed files; on a crash print the log and the reproducers and fail
        fuzz_smoke() {
            local target=$1 secs=$2; shift 2
            run_stage "fuzz smoke ($target, ${secs}s)"
            local corpus artifacts="build-fuzz/artifacts-$target" log="build-fuzz/$target.log"
            corpus=$(mktemp -d "${TMPDIR:-/tmp}/ccx-fuzz-corpus.XXXXXX")
            rm -rf -- "$artifacts"; mkdir -p "$artifacts"
            (($#)) && cp -- "$@" "$corpus/"
            echo "seed corpus: $# files -> $corpus; log: $log"
            local fuzz_rc=0
            "build-fuzz/$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
                -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" \
                >"$log" 2>&1 || fuzz_rc=$?
            if ((fuzz_rc != 0)); then
                tail -n 80 "$log"
                echo "$target FAILED (exit $fuzz_rc); reproducer(s) in $artifacts/:"
                ls -l "$artifacts"
                echo "(corpus kept in $corpus)"
                exit 1
            fi
            grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|INFO: seed corpus' "$log" || true
            rm -rf -- "$corpus"
            echo "fuzz smoke: $target, no crash in ${secs}s"
        }
        shopt -s nullglob
        task_seeds=(tests/fuzz/corpus/* configs/tasks/*.ccx)
        graph_seeds=(tests/fuzz/graph_corpus/*)
        shopt -u nullglob
        fuzz_smoke fuzz_task "${CCX_FUZZ_SECONDS:-45}" "${task_seeds[@]}"
        fuzz_smoke fuzz_graph "${CCX_FUZZ_GRAPH_SECONDS:-30}" "${graph_seeds[@]}"
        passed+=("fuzz")
    else
        echo "(clang not found: skipping the fuzz stage)"
    fi
fi

stage="done"
printf '\ntest.sh: ALL PASSED (%s) in %ds\n' "${passed[*]}" "$((SECONDS - t_start))"
