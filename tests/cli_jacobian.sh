#!/usr/bin/env bash
# End-to-end checks of `ccx jacobian`, `ccx codegen` and `ccx bench jacobian`:
# output, exit codes (0 ok, 2 bad input) and messages.
# Usage: tests/cli_jacobian.sh PATH/TO/ccx
source "$(dirname "$0")/expect.bash"

# help
for c in jacobian codegen; do
    expect 0 "usage: ccx $c" "$CCX" $c --help
    expect 0 "usage: ccx $c" "$CCX" help $c
done
expect 0 "usage: ccx bench jacobian" "$CCX" bench jacobian --help

# jacobian: multiplications = the order's cost, agreement with the dual reference
expect 0 "multiplications  111 performed (order cost 111)" "$CCX" jacobian PropaneCombustion --order markowitz
expect 0 "multiplications  364 performed (order cost 364)" "$CCX" jacobian RoeFlux_1d --order reverse
expect 0 "multiplications  231 performed (order cost 231)" "$CCX" jacobian RobotArm_6DOF --order \
    37,18,22,41,40,8,9,101,64,36,32,61,21,14,63,2,23,82,67,7,94,15,52,49,20,97,74,93,34,77,6,31,30,104,51,103,33,105,65,76,48,45,90,44,99,95,47,46,55,73,84,29,19,79,26,57,42,43,16,92,113,112,110,53,89,35,88,107,72,70,50,71,39,83,78,111,60,58,81,38,28,5,87,108,3,91,86,109,27,54,69,25,17,106,56,10,11,75,100,1,59,98,80,4,96,13,24,12
expect 0 "(default: draw" "$CCX" jacobian HumanHeartDipole --order forward
out=$("$CCX" jacobian PropaneCombustion --order reverse --at 1,2,3,4,5,6,7,8,9,10,11)
[[ $out =~ max\ diff\ /\ path-sum\ scale\ ([0-9.e+-]+) ]]
check "scaled dual difference below 1e-12 ($out)" "$(awk -v d="${BASH_REMATCH[1]:-1}" 'BEGIN { exit !(d < 1e-12) }'; echo $?)"
expect 0 '"multiplications": 90' "$CCX" jacobian PropaneCombustion --order reverse --json
"$CCX" jacobian RoeFlux_1d --order markowitz --json > "$tmp/j.json"
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["jacobian"]) == 3 and len(d["jacobian"][0]) == 6 and d["multiplications"] == d["cost"] == 407' "$tmp/j.json"
    check "jacobian --json parses" $?
fi
"$CCX" cost RoeFlux_1d --order markowitz -o "$tmp/m.json" > /dev/null
expect 0 "order            markowitz" "$CCX" jacobian RoeFlux_1d --order "$tmp/m.json"

# bad input: exit 2 with a message
expect 2 "--order is required" "$CCX" jacobian RoeFlux_1d
expect 2 "--at has 2 values but RoeFlux_1d has 6 inputs" "$CCX" jacobian RoeFlux_1d --order forward --at 1,2
expect 2 "is not a finite number" "$CCX" jacobian RoeFlux_1d --order forward --at 1,2,nan,4,5,6
expect 2 "bad point: vertex 3 (sqrt 'ulr0' of v2 = -1) has value NaN: sqrt of a negative number" "$CCX" jacobian RoeFlux_1d --order forward --at -1,1,1,1,1,1
expect 2 "RoeFlux_1d.ccx:" "$CCX" jacobian RoeFlux_1d --order forward --at -1,1,1,1,1,1
printf 'input x\ny = log(x)\noutput y\n' > "$tmp/log.ccx"
expect 2 "log of 0" "$CCX" jacobian "$tmp/log.ccx" --order forward --at 0
expect 2 "appears again" "$CCX" jacobian PropaneCombustion --order 1,1
printf 'input x\ny = sqrt(-1. - x * x)\noutput y\n' > "$tmp/nowhere.ccx"
expect 2 "give one with --at" "$CCX" jacobian "$tmp/nowhere.ccx" --order forward

# codegen
expect 0 "24 accumulation multiplications, constants folded; AlphaGrad's model prices it 111" "$CCX" codegen PropaneCombustion --order markowitz -o "$tmp/p.c"
real=$("$CCX" cost PropaneCombustion --order markowitz --cost real | awk '/^cost/ { print $2 }')
expect 0 "graph_sha256  6f901aa7968eefc3bf6d97b11b24fc0577569139c456e3b4396916cccc850fff" cat "$tmp/p.c"
expect 0 "void PropaneCombustion_jacobian(long n" cat "$tmp/p.c"
stars=$(awk '/END ACCUMULATION/ { on = 0 } on { n += gsub(/\*/, "") } /BEGIN ACCUMULATION/ { on = 1 } END { print n + 0 }' "$tmp/p.c")
check "accumulation has the real cost's $real '*' (got $stars)" "$([[ $stars == 24 && $real == 24 ]]; echo $?)"
expect 0 "const int PropaneCombustion_jac_nnz = 53;" cat "$tmp/p.c"
expect 0 "" "$CCX" codegen PropaneCombustion --order markowitz --layout dense -o "$tmp/pd.c"
expect 0 "J has 121 rows of n" cat "$tmp/pd.c"
expect 2 "--layout must be sparse or dense" "$CCX" codegen PropaneCombustion --order forward --layout csr
expect 2 "--layout is for --lang c and cuda" "$CCX" codegen PropaneCombustion --order forward --lang jax --layout dense
if command -v cc >/dev/null 2>&1; then
    expect 0 "" cc -std=c11 -Wall -Werror -fsyntax-only "$tmp/p.c"
fi
expect 0 "" "$CCX" codegen RoeFlux_1d --order reverse --lang cuda --name roe -o "$tmp/r.cu"
expect 0 '__global__ void roe_jacobian_kernel' cat "$tmp/r.cu"
expect 0 "" "$CCX" codegen RobotArm_6DOF --order forward --lang jax -o "$tmp/r.py"
if command -v python3 >/dev/null 2>&1; then
    expect 0 "" python3 -m py_compile "$tmp/r.py"
fi
expect 0 "# BEGIN ACCUMULATION" "$CCX" codegen HumanHeartDipole --order forward --lang jax
expect 2 "--lang must be c, cuda or jax" "$CCX" codegen RoeFlux_1d --order forward --lang fortran
expect 2 "not a C identifier" "$CCX" codegen RoeFlux_1d --order forward --name 1x

# bench jacobian (small: correctness of the pipeline, not timing)
if command -v cc >/dev/null 2>&1; then
    expect 0 "markowitz" "$CCX" bench jacobian PropaneCombustion --points 2000 --reps 1 --out "$tmp/b.txt"
    expect 0 "time/fwd" cat "$tmp/b.txt"
    expect 0 "reverse                    1031" "$CCX" bench jacobian PropaneCombustion --points 2000 --reps 1 --batch 7,1031 --layout dense
fi
if ! "$CCX" --version | grep -q "no device"; then :; else
    expect 0 "no CUDA device: skipped" "$CCX" bench jacobian PropaneCombustion --lang cuda
fi
expect 2 "--reps" "$CCX" bench jacobian PropaneCombustion --reps 0
expect 2 "--batch must be" "$CCX" bench jacobian PropaneCombustion --batch 0,16
expect 2 "--peer must be casadi" "$CCX" bench jacobian PropaneCombustion --peer acados
expect 2 "--peer casadi needs a Python with casadi" env CCX_PYTHON=/bin/false "$CCX" bench jacobian PropaneCombustion --peer casadi --points 100
expect 2 "--peer is for --lang c" "$CCX" bench jacobian PropaneCombustion --peer casadi --lang cuda
expect 2 "neither a file" "$CCX" bench jacobian PropaneCombustion --orders forward,nosuch

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
