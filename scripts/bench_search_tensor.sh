#!/usr/bin/env bash
# Search benchmark on the six tensor tasks of the paper: for each, the
# baselines (forward, reverse, AlphaGrad's Markowitz, the tensor-aware
# greedy), the proven lower bound, and simulated annealing (SECONDS s,
# THREADS threads), beside AlphaGrad's best published result. Writes
# results/bench/search_tensor_cpu.txt and the orders
# results/orders/<task>_sa.json.
# Usage: scripts/bench_search_tensor.sh [PATH/TO/ccx] [SECONDS] [THREADS]
set -uo pipefail
case "${1:-}" in -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
cd "$(dirname "$0")/.."
CCX=${1:-build/ccx}
SECS=${2:-60}
THREADS=${3:-2}
OUT=results/bench/search_tensor_cpu.txt
mkdir -p results/bench results/orders
TASKS="RoeFlux_3d BlackScholes_Jacobian Encoder Perceptron f g"
declare -A ALPHAGRAD=([RoeFlux_3d]=784 [BlackScholes_Jacobian]=307 [Encoder]=4656 [Perceptron]=389 [f]=5884 [g]=416)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
    echo "# ccx search benchmark, tensor tasks: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# $("$CCX" --version | head -1); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "# sa: --time $SECS --threads $THREADS; cpu = user+sys CPU seconds the run got"
    echo
    "$CCX" bounds $TASKS
    echo
} > "$OUT"
for t in $TASKS; do
    order="results/orders/${t}_sa.json"
    echo "== $t --method sa (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >> "$OUT"
    /usr/bin/time -f "cpu %U user + %S sys seconds, wall %e s" \
        "$CCX" search "$t" --method sa --time "$SECS" --threads "$THREADS" -o "$order" >> "$OUT" 2> "$tmp/err"
    grep -v '^ccx search: ' "$tmp/err" >> "$OUT"
    grep '^ccx search: ' "$tmp/err" | tail -3 | sed 's/^/  progress: /' >> "$OUT"
    echo >> "$OUT"
done
{
    echo "summary (multiplications): task, forward, reverse, AlphaGrad's Markowitz, tensor-aware greedy,"
    echo "lower bound, ccx sa ${SECS} s x ${THREADS} threads, AlphaGrad's best published result"
    printf "  %-22s %8s %8s %10s %8s %8s %8s %10s\n" task forward reverse markowitz greedy bound sa alphagrad
    for t in $TASKS; do
        read -r fw rv mk gr <<< "$("$CCX" baselines "$t" --json | sed -n 's/.*"forward": \([0-9]*\), "reverse": \([0-9]*\), "markowitz": \([0-9]*\), "greedy": \([0-9]*\).*/\1 \2 \3 \4/p')"
        lb=$("$CCX" bounds "$t" --json | sed -n 's/.*"lower_bound": \([0-9]*\).*/\1/p')
        sa=$(sed -n 's/.*"cost": \([0-9]*\).*/\1/p' "results/orders/${t}_sa.json" | head -1)
        ag=${ALPHAGRAD[$t]}
        printf "  %-22s %8s %8s %10s %8s %8s %8s %10s  %s\n" "$t" "$fw" "$rv" "$mk" "$gr" "$lb" "$sa" "$ag" \
            "$([[ $sa -lt $ag ]] && echo "below AlphaGrad by $((ag - sa)) ($(awk -v a="$ag" -v s="$sa" 'BEGIN{printf "%.1f", 100*(a-s)/a}')%)" || echo "NOT below AlphaGrad")"
    done
} >> "$OUT"
cat "$OUT"
