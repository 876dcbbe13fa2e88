#!/usr/bin/env bash
# End-to-end checks of ccx train / export / eval on the cpu backend: help,
# config errors naming the key (exit 2), a short run whose run directory has
# every promised file, Ctrl-C (SIGINT) -> checkpoint -> --resume, export
# formats accepted by `ccx cost`, eval of the checkpoint.
# Usage: tests/cli_train.sh PATH/TO/ccx
source "$(dirname "$0")/expect.bash"

for c in train eval export; do
    expect 0 "usage: ccx $c" "$CCX" $c --help
done
expect 0 "ppo.clip" "$CCX" train --help-config

"$CCX" gen --inputs 3 --intermediates 10 --outputs 2 --seed 4 -o "$tmp/tiny.ccx" >/dev/null
cat > "$tmp/tiny.yaml" <<YAML
run:
  tasks: $tmp/tiny.ccx
  out_dir: $tmp/runs
  backend: cpu
  threads: 1
env: {n_envs: 16}
network: {dim: 16, layers: 1, heads: 2, mlp_dim: 16, value_dim: 16}
ppo: {epochs: 2, minibatches: 2}
eval: {every: 2, samples: 4}
budget: {updates: 6}
YAML

# config errors: exit 2, the key named
expect 2 "unknown option" "$CCX" train "$tmp/tiny.yaml" --bogus
expect 2 "expected exactly one CONFIG" "$CCX" train
expect 2 "ppo.clip" "$CCX" train "$tmp/tiny.yaml" --set ppo.clip=abc
expect 2 "ppo.clp" "$CCX" train "$tmp/tiny.yaml" --set ppo.clp=0.1
expect 2 "--backend must be" "$CCX" train "$tmp/tiny.yaml" --backend tpu
printf 'run:\n  tasks: %s\nppo:\n  clip: -1\nbudget: {updates: 1}\n' "$tmp/tiny.ccx" > "$tmp/bad.yaml"
expect 2 "bad.yaml:4" "$CCX" train "$tmp/bad.yaml"
printf 'run:\n  tasks: NoSuchTask\nbudget: {updates: 1}\n' > "$tmp/bad2.yaml"
expect 2 "NoSuchTask" "$CCX" train "$tmp/bad2.yaml"

# a short run
out=$("$CCX" train "$tmp/tiny.yaml" --set run.name=a --quiet 2>&1); status=$?
check "train exits 0 ($out)" $status
run="$tmp/runs/a"
check "first line names the run directory" "$([[ $out == "run directory: $run"* ]]; echo $?)"
for f in config.yaml tasks.json metrics.csv best_order.json checkpoints/latest.safetensors; do
    check "run directory has $f" "$([[ -s $run/$f ]]; echo $?)"
done
check "metrics.csv has a header and 6 rows" "$([[ $(wc -l < "$run/metrics.csv") -eq 7 ]]; echo $?)"
if command -v gnuplot >/dev/null; then
    check "plot.png written" "$([[ -s $run/plot.png ]]; echo $?)"
fi
# the effective config reads back
expect 0 "run directory" "$CCX" train "$run/config.yaml" --set run.name=b --set budget.updates=1 --quiet

# export: json and list, both accepted by ccx cost with the same cost
expect 0 '"order"' "$CCX" export "$run"
list=$("$CCX" export "$run" --format list)
best=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i ~ /^best_so_far/) c=i} END{print $c}' "$run/metrics.csv")
cost_of() { "$CCX" cost "$tmp/tiny.ccx" --order "$1" | awk '$1 == "cost" {print $2}'; }
check "exported list costs the best_so_far $best" "$([[ $(cost_of "$list") == "$best" ]]; echo $?)"
"$CCX" export "$run" -o "$tmp/best.json" 2>/dev/null
check "exported file costs the best_so_far $best" "$([[ $(cost_of "$tmp/best.json") == "$best" ]]; echo $?)"
expect 2 "no task named" "$CCX" export "$run" --task Nope
# a short option that is only a long one's val is unknown, not "missing its value"
expect 2 "unknown option '-t'" "$CCX" export "$run" -t Nope
expect 2 "option '--task' needs a value" "$CCX" export "$run" --task
expect 2 "tasks.json" "$CCX" export "$tmp"

# eval of the checkpoint
expect 0 "greedy policy" "$CCX" eval "$run/checkpoints/latest.safetensors" --task "$tmp/tiny.ccx" --samples 4 --backend cpu
expect 2 "--task is required" "$CCX" eval "$run/checkpoints/latest.safetensors"

# SIGINT: checkpoint, exit 130, then --resume finishes the budget
"$CCX" train "$tmp/tiny.yaml" --set run.name=sig --set budget.updates=100000 --quiet \
    > "$tmp/sig.out" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
    [[ -f $tmp/runs/sig/metrics.csv && $(wc -l < "$tmp/runs/sig/metrics.csv") -ge 3 ]] && break
    sleep 0.1
done
kill -INT $pid
wait $pid; status=$?
check "SIGINT exits 130 (got $status)" "$([[ $status -eq 130 ]]; echo $?)"
check "SIGINT message names --resume" "$(grep -q -- '--resume' "$tmp/sig.out"; echo $?)"
rows=$(($(wc -l < "$tmp/runs/sig/metrics.csv") - 1))
expect 0 "run directory" "$CCX" train --resume "$tmp/runs/sig" --set budget.updates=$((rows + 2)) --quiet
check "resume appended 2 rows" "$([[ $(($(wc -l < "$tmp/runs/sig/metrics.csv") - 1)) -eq $((rows + 2)) ]]; echo $?)"

# ... and the interrupted + resumed run has the uninterrupted run's metrics
# (all but the time columns wall_s and steps_per_s)
expect 0 "run directory" "$CCX" train "$tmp/tiny.yaml" --set run.name=whole --set budget.updates=$((rows + 2)) --quiet
strip() { cut -d, -f1-2,5- "$1"; }
check "interrupted + resumed run = uninterrupted run" "$(diff <(strip "$tmp/runs/sig/metrics.csv") <(strip "$tmp/runs/whole/metrics.csv") >&2; echo $?)"

# Gumbel AlphaZero: a short run, then search-play on its checkpoint
expect 0 "run directory" "$CCX" train "$tmp/tiny.yaml" --set run.name=az --set run.algo=alphazero \
    --set alphazero.num_simulations=8 --set alphazero.num_considered=4 --set alphazero.batch_size=32 \
    --set budget.updates=3 --quiet
check "alphazero run keeps its replay ring" "$([[ -s $tmp/runs/az/checkpoints/latest.replay ]]; echo $?)"
expect 0 "search-play" "$CCX" search-play "$tmp/runs/az/checkpoints/latest.safetensors" --task "$tmp/tiny.ccx" \
    --simulations 8 --backend cpu -o "$tmp/sp.json"
expect 0 "valid" "$CCX" cost "$tmp/tiny.ccx" --order "$tmp/sp.json"
expect 0 "search-play" "$CCX" search-play "$tmp/runs/az/checkpoints/latest.safetensors" --task "$tmp/tiny.ccx" \
    --simulations 8 --trees 4 --backend cpu
expect 2 "--simulations must be" "$CCX" search-play "$tmp/runs/az/checkpoints/latest.safetensors" --task "$tmp/tiny.ccx" --simulations 0
expect 2 "--task is required" "$CCX" search-play "$tmp/runs/az/checkpoints/latest.safetensors"
expect 0 "usage: ccx search-play" "$CCX" search-play --help

# a mixed batch: one agent over two graphs, a best order for each
"$CCX" gen --inputs 2 --intermediates 8 --outputs 2 --seed 9 -o "$tmp/tiny2.ccx" >/dev/null
expect 0 "run directory" "$CCX" train "$tmp/tiny.yaml" --set run.name=mix \
    --set "run.tasks=[$tmp/tiny.ccx, $tmp/tiny2.ccx]" --set budget.updates=2 --quiet
for t in tiny tiny2; do
    check "mixed run has best_order.$t.json" "$([[ -s $tmp/runs/mix/best_order.$t.json ]]; echo $?)"
done
expect 2 "choose one with --task" "$CCX" export "$tmp/runs/mix"
expect 0 "valid" "$CCX" cost "$tmp/tiny2.ccx" --order "$("$CCX" export "$tmp/runs/mix" --task tiny2 --format list)"
expect 2 "reward.scale" "$CCX" train "$tmp/tiny.yaml" --set run.name=mixaz --set run.algo=alphazero \
    --set "run.tasks=[$tmp/tiny.ccx, $tmp/tiny2.ccx]" --set alphazero.batch_size=32 --set budget.updates=1 --quiet

# a graph of one's own: configs/train/user_cpu.yaml with --task, run from
# another directory; the run is named after the graph and keeps its
# absolute path, so export works from anywhere
"$CCX" graph "$tmp/tiny2.ccx" -o "$tmp/mine.graph.json" >/dev/null 2>&1
root=$PWD ccx_abs=$(cd "$(dirname "$CCX")" && pwd)/$(basename "$CCX")
out=$(cd "$tmp" && "$ccx_abs" train "$root/configs/train/user_cpu.yaml" --task mine.graph.json \
    --set run.out_dir="$tmp/runs" --set run.threads=1 --set budget.seconds=0 --set budget.updates=2 \
    --quiet 2>&1); status=$?
check "user_cpu.yaml --task exits 0 ($out)" $status
check "the run is named after the graph" "$([[ $out == "run directory: $tmp/runs/mine"* ]]; echo $?)"
check "config.yaml keeps the graph's absolute path" "$(grep -q -- "$tmp/mine.graph.json" "$tmp/runs/mine/config.yaml"; echo $?)"
expect 0 "valid" "$CCX" cost "$tmp/mine.graph.json" --order "$("$CCX" export "$tmp/runs/mine" --format list)"
expect 2 "give ccx train --task" "$CCX" train configs/train/user_cpu.yaml --set budget.updates=1
expect 2 "drop --task" "$CCX" train --resume "$tmp/runs/mine" --task "$tmp/mine.graph.json"

# training throughput benchmark
expect 0 "env_steps/s=" "$CCX" bench train "$tmp/tiny.yaml" --updates 2 --backend cpu
expect 2 "--updates must be" "$CCX" bench train "$tmp/tiny.yaml" --updates 1
expect 0 "usage: ccx bench train" "$CCX" bench train --help

echo "cli_train: $pass passed, $fail failed"
((fail == 0))
