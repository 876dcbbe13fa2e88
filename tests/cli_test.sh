#!/usr/bin/env bash
# End-to-end checks of the ccx command line: output, exit codes (0 ok,
# 2 bad input) and messages. Usage: tests/cli_test.sh PATH/TO/ccx
source "$(dirname "$0")/expect.bash"

# help and usage
expect 2 "usage: ccx COMMAND" "$CCX"
expect 0 "commands:" "$CCX" --help
expect 0 "ccx 0." "$CCX" --version
expect 2 "unknown command 'frobnicate'" "$CCX" frobnicate
for c in graph baselines cost gen; do
    expect 0 "usage: ccx $c" "$CCX" $c --help
    expect 0 "usage: ccx $c" "$CCX" help $c
done
expect 0 "usage: ccx bench BENCHMARK" "$CCX" bench --help
expect 0 "usage: ccx bench game" "$CCX" bench game --help

# baselines: the paper table, exactly
out=$("$CCX" baselines RoeFlux_1d RobotArm_6DOF HumanHeartDipole PropaneCombustion)
for row in "RoeFlux_1d +6 +101 +\(98 \+ 3\) +620 +364 +407" \
           "RobotArm_6DOF +6 +114 +\(108 \+ 6\) +397 +301 +288" \
           "HumanHeartDipole +8 +86 +\(78 \+ 8\) +240 +172 +194" \
           "PropaneCombustion +11 +62 +\(51 \+ 11\) +151 +90 +111"; do
    if [[ $out =~ $row ]]; then pass=$((pass + 1)); else echo "FAIL: baselines row /$row/"; echo "$out"; fail=$((fail + 1)); fi
done
expect 0 '"markowitz": 407' "$CCX" baselines RoeFlux_1d --json
expect 0 "" "$CCX" baselines configs/tasks/PropaneCombustion.ccx
expect 2 "no task 'NoSuchTask'" "$CCX" baselines NoSuchTask
expect 2 "expected at least one TASK" "$CCX" baselines
expect 2 "unknown option '--bogus'" "$CCX" baselines --bogus RoeFlux_1d

# graph
expect 0 "vertices       101 (98 eliminable + 3 outputs)" "$CCX" graph RoeFlux_1d
expect 0 "digraph" "$CCX" graph RoeFlux_1d --dot
expect 0 "v1     div" "$CCX" graph PropaneCombustion --vertices
expect 0 "v1     div" "$CCX" graph --vertices PropaneCombustion

# bad task files: file:line:column, exit 2
printf 'input x\ny = x +* 2\noutput y\n' > "$tmp/bad.ccx"
expect 2 "$tmp/bad.ccx:2:8: expected a number" "$CCX" graph "$tmp/bad.ccx"
printf 'input x\ny = sin(x)\n' > "$tmp/noout.ccx"
expect 2 "no outputs" "$CCX" baselines "$tmp/noout.ccx"
expect 2 "is a directory" "$CCX" graph "$tmp/"

# cost: baselines, lists, files, errors
expect 0 "cost            407" "$CCX" cost RoeFlux_1d --order markowitz
expect 0 "cost             88" "$CCX" cost PropaneCombustion --order \
    12,51,33,45,10,9,42,39,1,18,27,8,61,60,48,59,36,35,34,24,26,30,23,44,43,58,50,32,40,57,56,55,54,28,38,20,21,3,15,7,2,29,17,53,5,47,6,16,14,11,49
expect 2 "order entry 3: vertex 62 is an output" "$CCX" cost PropaneCombustion --order 1,2,62
expect 2 "appears again" "$CCX" cost PropaneCombustion --order 1,1
expect 2 "missing: 5, 6, 7" "$CCX" cost HumanHeartDipole --order 1,3
expect 2 "--order is required" "$CCX" cost RoeFlux_1d
expect 2 "neither a file" "$CCX" cost RoeFlux_1d --order nosuchfile.json
expect 0 "" "$CCX" cost RoeFlux_1d --order reverse -o "$tmp/rev.json"
expect 0 "cost            364" "$CCX" cost RoeFlux_1d --order "$tmp/rev.json"
expect 0 '"method": "reverse"' cat "$tmp/rev.json"
sed 's/"cost": 364/"cost": 300/' "$tmp/rev.json" > "$tmp/lie.json"
expect 2 "states cost 300" "$CCX" cost RoeFlux_1d --order "$tmp/lie.json"
expect 2 "different graph" "$CCX" cost RobotArm_6DOF --order "$tmp/rev.json"
tr -d '\n' < "$tmp/rev.json" | sed 's/.*"order": \[\([^]]*\)\].*/\1/' > "$tmp/bare.txt"
expect 0 "cost            364" "$CCX" cost RoeFlux_1d --order "$tmp/bare.txt"

# gen: a generated task parses with the requested sizes
expect 0 "" "$CCX" gen --inputs 5 --intermediates 40 --outputs 3 --seed 9 -o "$tmp/g.ccx"
expect 0 "vertices       43 (40 eliminable + 3 outputs)" "$CCX" graph "$tmp/g.ccx"
expect 2 "--inputs" "$CCX" gen --inputs 0

# bench
expect 0 "eliminations/s=" "$CCX" bench game RoeFlux_1d --seconds 0.2
expect 2 "--seconds" "$CCX" bench game RoeFlux_1d --seconds abc
expect 2 "unknown benchmark 'warp'" "$CCX" bench warp

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
