#!/usr/bin/env bash
# Search benchmark (issue 7): for each paper task, the lower bound, simulated
# annealing (60 s, 2 threads) and the exact solver (60 s). Writes
# results/bench/search_cpu.txt and the best orders results/orders/<task>_{sa,exact}.json.
# Usage: scripts/bench_search.sh [PATH/TO/ccx] [SECONDS] [THREADS]
set -uo pipefail
case "${1:-}" in -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
cd "$(dirname "$0")/.."
CCX=${1:-build/ccx}
SECS=${2:-60}
THREADS=${3:-2}
OUT=results/bench/search_cpu.txt
mkdir -p results/bench results/orders
TASKS="RoeFlux_1d RobotArm_6DOF HumanHeartDipole PropaneCombustion"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
    echo "# ccx search benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "# $("$CCX" --version | head -1); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "# sa: --time $SECS --threads $THREADS; exact: --time $SECS (half of it annealing for the upper bound)"
    echo "# cpu = user+sys CPU seconds the run got (the machine may be shared: compare with wall)"
    echo
    "$CCX" bounds $TASKS
    echo
} > "$OUT"
for t in $TASKS; do
    for m in sa exact; do
        extra=""
        [[ $m == sa ]] && extra="--threads $THREADS"
        order="results/orders/${t}_$m.json"
        echo "== $t --method $m (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >> "$OUT"
        /usr/bin/time -f "cpu %U user + %S sys seconds, wall %e s" \
            "$CCX" search "$t" --method $m --time "$SECS" $extra -o "$order" >> "$OUT" 2> "$tmp/err"
        grep -v '^ccx search: ' "$tmp/err" >> "$OUT"
        grep '^ccx search: ' "$tmp/err" | tail -3 | sed 's/^/  progress: /' >> "$OUT"
        echo >> "$OUT"
    done
done
{
    echo "summary: task, sa cost, exact cost, proven lower bound, gap"
    for t in $TASKS; do
        sa=$(sed -n 's/.*"cost": \([0-9]*\).*/\1/p' "results/orders/${t}_sa.json" | head -1)
        ex=$(sed -n 's/.*"cost": \([0-9]*\).*/\1/p' "results/orders/${t}_exact.json" | head -1)
        lb=$(awk -v t="$t" '$0 == "== " t " --method exact" || index($0, "== " t " --method exact") == 1 {f = 1}
                            f && /^lower bound/ {print $3; exit}' "$OUT")
        best=$(( sa < ex ? sa : ex ))
        printf "  %-20s sa %4s  exact %4s  lower bound %4s  gap %3s%s\n" "$t" "$sa" "$ex" "$lb" \
            "$((best - lb))" "$([[ $best -eq $lb ]] && echo '  optimal')"
    done
} >> "$OUT"
cat "$OUT"
