#!/usr/bin/env bash
# End-to-end checks of --cost alphagrad|real on every command that prices
# an elimination: bad model names (exit 2, the choices named), order files
# priced under the other model (exit 2, both named), the real baselines and
# bounds, search, polish, bench, and a short training run under real whose
# run directory names the model everywhere (tasks.json, metrics.csv, order
# files, checkpoint -> eval / search-play / export), resume keeping it, and
# plots refusing to mix models.
# Usage: tests/cli_real_cost.sh PATH/TO/ccx
source "$(dirname "$0")/expect.bash"

for c in cost baselines bounds search polish train eval search-play export; do
    expect 0 "--cost" "$CCX" $c --help
done
expect 0 "--cost MODEL" "$CCX" bench env --help

# a misspelt model names the choices
for c in "cost RoeFlux_1d --order reverse" "baselines RoeFlux_1d" "bounds RoeFlux_1d" \
         "search RoeFlux_1d --time 1" "bench game RoeFlux_1d" "bench env --task RoeFlux_1d"; do
    expect 2 "--cost must be alphagrad" "$CCX" $c --cost rael
done

# the real baselines of a tensor task (the JAX module's multiplications())
out=$("$CCX" baselines RoeFlux_3d --cost real --json)
[[ $out == *'"forward": 964'* && $out == *'"reverse": 695'* && $out == *'"markowitz": 739'* &&
   $out == *'"cost_model": "real"'* ]]
check "baselines RoeFlux_3d --cost real: 964 695 739, named real" $?
expect 0 "real cost model" "$CCX" baselines RoeFlux_3d --cost real

# an order file priced under one model, read under the other
"$CCX" cost RoeFlux_3d --order reverse -o "$tmp/rev_ag.json" >/dev/null
expect 2 "alphagrad" "$CCX" cost RoeFlux_3d --order "$tmp/rev_ag.json" --cost real
out=$("$CCX" cost RoeFlux_3d --order "$tmp/rev_ag.json" --cost real 2>&1)
[[ $out == *real* && $out == *alphagrad* ]]
check "a mismatched order file names both models" $?
expect 0 "695" "$CCX" cost RoeFlux_3d --order "$tmp/rev_ag.json" --cost real --reprice
"$CCX" cost RoeFlux_3d --order reverse --cost real -o "$tmp/rev_real.json" >/dev/null
grep -q '"cost_model": "real"' "$tmp/rev_real.json"
check "an order written under real says so" $?
expect 2 "real" "$CCX" cost RoeFlux_3d --order "$tmp/rev_real.json"

# bounds, search, polish
expect 0 "real" "$CCX" bounds RoeFlux_3d --cost real
expect 0 "" "$CCX" search RoeFlux_3d --cost real --method sa --time 0 --iters 2000 --quiet -o "$tmp/sa.json"
grep -q '"cost_model": "real"' "$tmp/sa.json"
check "search --cost real writes a real order file" $?
expect 2 "exact search" "$CCX" search RoeFlux_1d --cost real --method exact --time 1
expect 0 "" "$CCX" polish RoeFlux_3d --cost real --order "$tmp/sa.json" --time 1 -o "$tmp/pol.json"
expect 0 "cost=real" "$CCX" bench env --task RoeFlux_3d --backend cpu --cost real --batch 16 \
    --seconds 0.05 --mode step

# a short training run under real
cat > "$tmp/tiny.yaml" <<YAML
run:
  tasks: Perceptron
  out_dir: $tmp/runs
  backend: cpu
  threads: 1
env: {n_envs: 8, cost_model: real}
network: {dim: 16, layers: 1, heads: 2, mlp_dim: 16, value_dim: 16}
ppo: {epochs: 1, minibatches: 2}
eval: {every: 2, samples: 2}
budget: {updates: 3}
YAML
expect 2 "env.cost_model" "$CCX" train "$tmp/tiny.yaml" --set env.cost_model=rael
out=$("$CCX" train "$tmp/tiny.yaml" --set run.name=r --quiet 2>&1); status=$?
check "train under real: exit 0" $status
[[ $out == *"costs under the real cost model"* ]]
check "the summary names the real model" $?
run=$tmp/runs/r
grep -q '"cost_model":	"real"' "$run/tasks.json" && grep -q '"published":	null' "$run/tasks.json"
check "tasks.json: cost_model real, no published figures" $?
head -1 "$run/metrics.csv" | grep -q ',cost_model$' && tail -1 "$run/metrics.csv" | grep -q ',1$'
check "metrics.csv: a cost_model column, 1 = real" $?
grep -q '"cost_model": "real"' "$run/best_order.json"
check "best_order.json is priced under real" $?
# the baselines in tasks.json are the real ones
grep -q '"reverse":	199' "$run/tasks.json"
check "tasks.json: Perceptron's real reverse cost 199" $?
expect 0 "real cost model" "$CCX" eval "$run/checkpoints/latest.safetensors" --task Perceptron --samples 2
expect 0 "alphagrad cost model" "$CCX" eval "$run/checkpoints/latest.safetensors" --task Perceptron \
    --samples 0 --cost alphagrad
expect 0 "real cost model" "$CCX" search-play "$run/checkpoints/latest.safetensors" --task Perceptron \
    --simulations 2
expect 0 '"cost_model": "real"' "$CCX" export "$run"
expect 0 '"cost_model": "alphagrad"' "$CCX" export "$run" --cost alphagrad
expect 2 "keeps it" "$CCX" train --resume "$run" --cost alphagrad
expect 0 "" "$CCX" train --resume "$run" --set budget.updates=4 --quiet
# an AlphaGrad-model run beside it: plots do not mix the two
"$CCX" train "$tmp/tiny.yaml" --set run.name=a --cost alphagrad --quiet >/dev/null 2>&1
grep -q '"cost_model":	"alphagrad"' "$tmp/runs/a/tasks.json" && ! head -1 "$tmp/runs/a/metrics.csv" | grep -q cost_model
check "an alphagrad run: tasks.json says so, metrics.csv as before" $?
if command -v gnuplot >/dev/null; then
    expect 1 "plot them separately" "$CCX" plot "$run" "$tmp/runs/a" --out "$tmp/both.png"
fi

echo "cli_real_cost: $pass passed, $fail failed"
((fail == 0))
