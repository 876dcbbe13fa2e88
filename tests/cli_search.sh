#!/usr/bin/env bash
# End-to-end checks of ccx search / polish / bounds: help, bad flags (exit 2),
# a short search writing an order file that `ccx cost` accepts, polish never
# worse than its input, the lower bounds of the paper tasks.
# Usage: tests/cli_search.sh PATH/TO/ccx
source "$(dirname "$0")/expect.bash"

# help
for c in search polish bounds; do
    expect 0 "usage: ccx $c" "$CCX" $c --help
    expect 0 "usage: ccx $c" "$CCX" help $c
done
expect 0 "search" "$CCX" --help

# bad flags and arguments: exit 2
expect 2 "--method must be" "$CCX" search RoeFlux_1d --method bogus
expect 2 "--time must be" "$CCX" search RoeFlux_1d --time -1
expect 2 "--time must be" "$CCX" search RoeFlux_1d --time abc
expect 2 "--threads must be" "$CCX" search RoeFlux_1d --threads 0
expect 2 "--seed must be" "$CCX" search RoeFlux_1d --seed x
expect 2 "--width must be" "$CCX" search RoeFlux_1d --width 0
expect 2 "--backend must be" "$CCX" search RoeFlux_1d --backend tpu
expect 2 "unknown option '--bogus'" "$CCX" search RoeFlux_1d --bogus
expect 2 "needs a value" "$CCX" search RoeFlux_1d --time
expect 2 "expected exactly one TASK" "$CCX" search
expect 2 "no task 'NoSuchTask'" "$CCX" search NoSuchTask --time 0.1
expect 2 "sa needs --time" "$CCX" search RoeFlux_1d --time 0
expect 2 "--order is required" "$CCX" polish RoeFlux_1d
expect 2 "appears again" "$CCX" polish PropaneCombustion --order 1,1
expect 2 "unknown option '--bogus'" "$CCX" polish RoeFlux_1d --order reverse --bogus
expect 2 "expected at least one TASK" "$CCX" bounds
expect 2 "unknown option '--bogus'" "$CCX" bounds RoeFlux_1d --bogus
# the GPU search: not available without a device
out=$("$CCX" search PropaneCombustion --backend cuda --time 0.2 -o "$tmp/c.json" 2>&1); status=$?
if [[ $status -eq 2 && ( $out == *"not available yet"* || $out == *"no CUDA device"* ) ]] || [[ $status -eq 0 ]]; then
    pass=$((pass + 1)); else echo "FAIL: --backend cuda: exit $status: $out"; fail=$((fail + 1)); fi

# bounds of the paper tasks
out=$("$CCX" bounds RoeFlux_1d RobotArm_6DOF HumanHeartDipole PropaneCombustion)
for row in "RoeFlux_1d +249 +223 +620" "RobotArm_6DOF +221 +221 +397" "HumanHeartDipole +148 +148 +240" \
           "PropaneCombustion +88 +88 +151"; do
    if [[ $out =~ $row ]]; then pass=$((pass + 1)); else echo "FAIL: bounds row /$row/"; echo "$out"; fail=$((fail + 1)); fi
done
expect 0 "cut_in" "$CCX" bounds PropaneCombustion --verbose
expect 0 '"lower_bound": 88' "$CCX" bounds PropaneCombustion --json

# every method: a short search writes an order file that ccx cost accepts
for m in rmk beam sa exact; do
    expect 0 "cost" "$CCX" search PropaneCombustion --method $m --time 0.5 --threads 2 -o "$tmp/$m.json" --quiet
    expect 0 "valid" "$CCX" cost PropaneCombustion --order "$tmp/$m.json"
    expect 0 "\"method\": \"search:$m\"" cat "$tmp/$m.json"
done
# JSON on stdout without -o, summary on stderr
"$CCX" search PropaneCombustion --method rmk --time 0.2 --quiet > "$tmp/stdout.json" 2> "$tmp/stderr.txt"
expect 0 "valid" "$CCX" cost PropaneCombustion --order "$tmp/stdout.json"
expect 0 "lower bound" cat "$tmp/stderr.txt"
# exact proves PropaneCombustion optimal (88 = its lower bound)
expect 0 "optimal" "$CCX" search PropaneCombustion --method exact --time 5 --quiet -o "$tmp/ex.json"
expect 0 '"cost": 88' cat "$tmp/ex.json"
# a generated graph small enough for exact to finish without a time limit
"$CCX" gen --inputs 3 --intermediates 12 --outputs 2 --seed 4 -o "$tmp/small.ccx" > /dev/null
expect 0 "search complete" "$CCX" search "$tmp/small.ccx" --method exact --time 0 -o "$tmp/small.json"
# determinism: a fixed seed and budget give the same order
"$CCX" search PropaneCombustion --method sa --time 0 --iters 20000 --threads 2 --seed 3 -o "$tmp/d1.json" > /dev/null
"$CCX" search PropaneCombustion --method sa --time 0 --iters 20000 --threads 2 --seed 3 -o "$tmp/d2.json" > /dev/null
if cmp -s "$tmp/d1.json" "$tmp/d2.json"; then pass=$((pass + 1)); else echo "FAIL: sa not deterministic"; fail=$((fail + 1)); fi
# sa from a given start
expect 0 "$(printf 'start       %8d' 90)" "$CCX" search PropaneCombustion --method sa --time 0.3 --start reverse -o "$tmp/st.json" --quiet

# polish: never worse than the input, output accepted by ccx cost
expect 0 "$(printf 'start       %8d' 151)" "$CCX" polish PropaneCombustion --order forward --time 0.5 -o "$tmp/p.json" --quiet
expect 0 "valid" "$CCX" cost PropaneCombustion --order "$tmp/p.json"
"$CCX" polish RoeFlux_1d --order reverse --time 0.3 -o "$tmp/pr.json" --quiet > /dev/null
cost=$(sed -n 's/.*"cost": \([0-9]*\).*/\1/p' "$tmp/pr.json" | head -1)
if [[ -n $cost && $cost -le 364 ]]; then pass=$((pass + 1)); else echo "FAIL: polish of reverse (364) gave '$cost'"; fail=$((fail + 1)); fi
expect 0 "windows" "$CCX" polish RoeFlux_1d --order "$tmp/pr.json" --time 0 -o "$tmp/pr2.json"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
