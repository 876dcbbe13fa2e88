#!/usr/bin/env bash
# End-to-end checks of tensor graphs on the command line: the baselines of
# the six tensor tasks by name (the table of the tensor issue, exactly), the
# scalar tasks read from AlphaGrad's JSON, published orders under `ccx cost`,
# graph summaries and DOT labels, conversions (`ccx graph -o`), random tensor
# programs (`ccx gen --tensor`), searches and bounds, the record-path
# benchmark, bad graph files (exit 2, the JSON path named), the commands
# that refuse tensor graphs with a message, and training, search-play and
# the batched-env benchmark on one.
# Usage: tests/cli_tensor.sh PATH/TO/ccx
source "$(dirname "$0")/expect.bash"
data=tests/data/alphagrad

# expect_re STATUS REGEX CMD...: like expect, with an extended regex
expect_re() {
    local want=$1 re=$2; shift 2
    local out status
    out=$("$@" 2>&1); status=$?
    if [[ $status -ne $want || ! $out =~ $re ]]; then
        echo "FAIL (exit $status, want $want, /$re/): $*"; echo "$out" | head -5; fail=$((fail + 1)); return
    fi
    pass=$((pass + 1))
}

# baselines by name: the six tensor tasks
out=$("$CCX" baselines RoeFlux_3d BlackScholes_Jacobian Encoder Perceptron f g)
for row in "RoeFlux_3d +6 +146 +\(143 \+ 3\) +1556 +979 +956 .* tensor" \
           "BlackScholes_Jacobian +5 +134 +\(129 \+ 5\) +545 +572 +350 .* tensor" \
           "Encoder +16 +91 +\(90 \+ 1\) +135010 +4688 +51896 .* tensor" \
           "Perceptron +8 +39 +\(38 \+ 1\) +10930 +392 +4796 .* tensor" \
           "f +4 +80 +\(75 \+ 5\) +17728 +9333 +12257 .* tensor" \
           "g +15 +105 +\(85 \+ 20\) +632 +566 +451 +451 +scalar"; do
    if [[ $out =~ $row ]]; then pass=$((pass + 1)); else echo "FAIL: baselines row /$row/"; echo "$out"; fail=$((fail + 1)); fi
done
expect 0 "tensor-blind" "$CCX" baselines Encoder
expect 0 '"greedy": ' "$CCX" baselines Encoder --json
expect 0 '"model": "tensor"' "$CCX" baselines Encoder --json
# the scalar four from AlphaGrad's JSON: the same figures as their task files
out=$("$CCX" baselines $data/RoeFlux_1d.json $data/RobotArm_6DOF.json $data/HumanHeartDipole.json $data/PropaneCombustion.json)
for row in "RoeFlux_1d +6 +101 +\(98 \+ 3\) +620 +364 +407 +407 +scalar" \
           "RobotArm_6DOF +6 +114 +\(108 \+ 6\) +397 +301 +288 +288 +scalar" \
           "HumanHeartDipole +8 +86 +\(78 \+ 8\) +240 +172 +194 +194 +scalar" \
           "PropaneCombustion +11 +62 +\(51 \+ 11\) +151 +90 +111 +111 +scalar"; do
    if [[ $out =~ $row ]]; then pass=$((pass + 1)); else echo "FAIL: JSON baselines row /$row/"; echo "$out"; fail=$((fail + 1)); fi
done
a=$("$CCX" graph RoeFlux_1d | grep graph_sha256); b=$("$CCX" graph $data/RoeFlux_1d.json | grep graph_sha256)
check "RoeFlux_1d: task file and AlphaGrad JSON hash alike" "$([[ $a == "$b" ]]; echo $?)"
# order files written for the task file work on the JSON graph
expect 0 "" "$CCX" cost RoeFlux_1d --order markowitz -o "$tmp/m.json"
expect_re 0 "cost +407" "$CCX" cost $data/RoeFlux_1d.json --order "$tmp/m.json"

# published orders (AlphaGrad's notebooks)
perceptron="21,29,17,15,3,28,25,30,19,34,13,8,12,36,38,31,37,35,27,33,10,32,26,20,24,23,22,18,16,14,11,9,7,6,5,4,2,1"
expect_re 0 "cost +389" "$CCX" cost Perceptron --order "$perceptron"
expect_re 0 "cost +389" "$CCX" cost $data/Perceptron.json --order "$perceptron"
expect 0 "greedy" "$CCX" cost Perceptron --order "$perceptron"
expect 0 "cost" "$CCX" cost Encoder --order greedy -o "$tmp/e.json"
expect 0 '"greedy":' cat "$tmp/e.json"
expect 0 "" "$CCX" cost Encoder --order "$tmp/e.json"
# an order file of one graph is refused on another (the hash covers the records)
expect 2 "graph_sha256" "$CCX" cost f --order "$tmp/e.json"

# graph: summary, vertices, DOT, conversion
expect 0 "model          tensor" "$CCX" graph RoeFlux_3d
expect 0 "11(reshape):17" "$CCX" graph RoeFlux_3d
expect 0 "origin         AlphaGrad graph tensor" "$CCX" graph $data/f.json
expect 0 "origin         exported from configs/tasks/f.py" "$CCX" graph f
expect 0 "@configs/tasks/f.py:" "$CCX" graph f --vertices
expect 0 "dot_general" "$CCX" graph Encoder --vertices
expect 0 'label="-2 K13\n4x4<-4x4"' "$CCX" graph Encoder --dot
expect 0 "wrote $tmp/f.graph.json" "$CCX" graph $data/f.json -o "$tmp/f.graph.json"
a=$("$CCX" graph f | grep graph_sha256); b=$("$CCX" graph "$tmp/f.graph.json" | grep graph_sha256)
check "f: converted file hashes alike" "$([[ $a == "$b" ]]; echo $?)"
expect 0 "" "$CCX" graph RoeFlux_1d -o "$tmp/roe.graph.json"
expect_re 0 "cost +295" "$CCX" cost "$tmp/roe.graph.json" --order results/orders/RoeFlux_1d_sa.json

# random tensor programs
expect 0 "" "$CCX" gen --tensor --intermediates 30 --seed 5 -o "$tmp/g5.graph.json"
expect 0 "" "$CCX" gen --tensor --intermediates 30 --seed 5 -o "$tmp/g5b.graph.json"
check "gen --tensor is deterministic" "$(cmp -s "$tmp/g5.graph.json" "$tmp/g5b.graph.json"; echo $?)"
expect 0 "model          tensor" "$CCX" graph "$tmp/g5.graph.json"
expect 0 "tensor" "$CCX" baselines "$tmp/g5.graph.json"
expect 2 "--ops does not apply" "$CCX" gen --tensor --ops add
expect 2 "--max-dim must be" "$CCX" gen --tensor --max-dim 1

# searches and bounds on tensor graphs
expect 0 "lower bound" "$CCX" search Perceptron --method sa --time 1 --threads 2
expect 0 "cost" "$CCX" search f --method rmk --time 0.5
expect 0 "cost" "$CCX" search f --method beam --time 1
expect 0 "" "$CCX" search Perceptron --method sa --time 1 -o "$tmp/p.json"
expect 0 "" "$CCX" polish Perceptron --order "$tmp/p.json" --time 1 -o "$tmp/pp.json"
expect 0 "" "$CCX" cost Perceptron --order "$tmp/pp.json"
expect 0 "" "$CCX" gen --tensor --intermediates 9 --seed 3 -o "$tmp/small.graph.json"
expect 0 "optimal" "$CCX" search "$tmp/small.graph.json" --method exact --time 20
expect 0 "greedy" "$CCX" bounds Encoder f
expect 0 "Perceptron" "$CCX" bounds Perceptron --json

# the record-path benchmark
expect 0 "path=record" "$CCX" bench game Perceptron --seconds 0.2
expect 0 "path=bitset" "$CCX" bench game PropaneCombustion Perceptron --seconds 0.2

# bad graph files: exit 2, file and JSON path named, nothing else printed
sed 's/\["x1","v6",6,4,1,4,1\]/["x1","v6",13,4,1,4,1]/' "$tmp/f.graph.json" > "$tmp/bad_type.graph.json"
"$CCX" graph f -o - 2>/dev/null | head -c 2000 > "$tmp/truncated.graph.json"
printf '{"format": "ccx-graph", "version": 1, "inputs": [], "vertices": [], "outputs": [], "edges": [["v1"]]}' > "$tmp/bad_edge.graph.json"
expect 2 "bad_type.graph.json: \$.edges[" "$CCX" baselines "$tmp/bad_type.graph.json"
expect 2 "truncated" "$CCX" cost "$tmp/truncated.graph.json" --order forward
expect 2 "\$.edges[0]" "$CCX" graph "$tmp/bad_edge.graph.json"
out=$("$CCX" baselines "$tmp/bad_type.graph.json" 2>/dev/null)
check "a bad file prints nothing on stdout" "$([[ -z $out ]]; echo $?)"

# commands that take scalar graphs only say so (exit 2): the interpreter, C code
expect 2 "tensor graph" "$CCX" jacobian f --order reverse
expect 2 "tensor graph" "$CCX" codegen Encoder --order reverse --lang c
# the batched environments and training take tensor graphs (the record path)
expect 0 "(tensor graph: record path)" "$CCX" bench env --backend cpu --task Perceptron --batch 64 \
    --mode step --seconds 0.05
expect_re 0 "Perceptron +10930 +392 +4796 +494 +[0-9]+" "$CCX" train configs/train/quick_Perceptron.yaml \
    --backend cpu --set budget.seconds=2 --set run.out_dir="$tmp/runs" --quiet
expect 0 "search-play" "$CCX" search-play "$tmp/runs/quick_Perceptron/checkpoints/latest.safetensors" \
    --task Perceptron --simulations 8 --considered 4
# ... while a scalar graph file of ccx ops works for them
expect 0 "dual reference" "$CCX" jacobian $data/RoeFlux_1d.json --order reverse

# JAX code for graph files (tests/jax/test_jacobian.py checks its values)
expect 0 "wrote $tmp/f.py (jax, structured module, order reverse, model cost 9333)" \
    "$CCX" codegen f --order reverse --lang jax -o "$tmp/f.py"
expect 0 "COST = 9333" cat "$tmp/f.py"
expect 0 "def jacobian(x1, x2, x3, x4):" cat "$tmp/f.py"
expect 0 "graph_sha256  9a574394f4acf8fb" cat "$tmp/f.py"
# g is a scalar graph, but from a graph file: the same structured module
expect 0 "def outputs(x1, x2" "$CCX" codegen g --order markowitz --lang jax
expect 2 "--lang must be c, cuda or jax" "$CCX" bench jacobian f --lang cobol
expect 2 "not found" env CCX_ROOT=/nonexistent "$CCX" bench jacobian f --lang jax
# a Python without jax is named, without a traceback
printf '#!/bin/sh\nexec python3 -I -S "$@"\n' > "$tmp/nojax_python"
chmod +x "$tmp/nojax_python"
expect 2 "cannot import jax (pip install jax" env CCX_PYTHON="$tmp/nojax_python" "$CCX" bench jacobian f --lang jax

echo "cli_tensor: $pass passed, $fail failed"
((fail == 0))
