#!/usr/bin/env bash
# End-to-end checks of `ccx bench env`: help, a short cpu run in every mode
# (figures present, --out appends), the cuda backend refused or run as the
# build and machine allow, bad flags exit 2.
# Usage: tests/cli_env.sh PATH/TO/ccx
source "$(dirname "$0")/expect.bash"

# help
expect 0 "usage: ccx bench env" "$CCX" bench env --help
expect 0 "moved per elimination" "$CCX" bench env -h

# a short cpu run: every mode prints its figures; --out appends them
for mode in step random orders; do
    expect 0 "mode=$mode" "$CCX" bench env --backend cpu --task PropaneCombustion --batch 64 \
        --seconds 0.05 --mode $mode
done
expect 0 "eliminations/s=" "$CCX" bench env --backend cpu --task RoeFlux_1d --batch 32 --seconds 0.05 \
    --out "$tmp/env.txt"
if [[ $(grep -c '^bench env ' "$tmp/env.txt" 2>/dev/null) == 3 && $(grep -c '^# ccx bench env' "$tmp/env.txt") == 1 ]]; then
    pass=$((pass + 1))
else
    echo "FAIL: --out wrote:"; cat "$tmp/env.txt"; fail=$((fail + 1))
fi
for field in env-steps/s= bytes/elim= bw_fraction= eliminations/cpu-s=; do
    if grep -q "$field" "$tmp/env.txt"; then pass=$((pass + 1)); else echo "FAIL: no $field"; fail=$((fail + 1)); fi
done
# auto says what it picked
expect 0 "backend auto: " "$CCX" bench env --backend auto --task PropaneCombustion --batch 16 --seconds 0.05 --mode random

# cuda: refused without CUDA, a runtime failure without a device, else it runs
if "$CCX" bench env --backend cuda --task PropaneCombustion --batch 16 --seconds 0.05 --mode random >"$tmp/cuda.txt" 2>&1; then
    expect 0 "backend=cuda" cat "$tmp/cuda.txt"
elif grep -q "built without CUDA" "$tmp/cuda.txt"; then
    expect 2 "built without CUDA" "$CCX" bench env --backend cuda --task PropaneCombustion
else
    expect 1 "no CUDA device answers" "$CCX" bench env --backend cuda --task PropaneCombustion --batch 16 --seconds 0.05
fi

# bad input: exit 2
expect 2 "--task TASK is required" "$CCX" bench env --backend cpu
expect 2 "unknown backend 'gpu'" "$CCX" bench env --backend gpu --task RoeFlux_1d
expect 2 "--batch must be an integer" "$CCX" bench env --task RoeFlux_1d --batch 0
expect 2 "--batch must be an integer" "$CCX" bench env --task RoeFlux_1d --batch lots
expect 2 "--mode must be step, random, orders or all" "$CCX" bench env --task RoeFlux_1d --mode fast
expect 2 "--seconds must be a number" "$CCX" bench env --task RoeFlux_1d --seconds -1
expect 2 "--threads must be an integer" "$CCX" bench env --task RoeFlux_1d --threads 0
expect 2 "unknown option '--bogus'" "$CCX" bench env --task RoeFlux_1d --bogus
expect 2 "needs a value" "$CCX" bench env --task
expect 2 "unexpected argument 'RoeFlux_1d'" "$CCX" bench env RoeFlux_1d
expect 2 "no task 'NoSuchTask'" "$CCX" bench env --backend cpu --task NoSuchTask
expect 2 "unknown benchmark 'envv'" "$CCX" bench envv

echo "cli_env: $pass passed, $fail failed"
((fail == 0))
