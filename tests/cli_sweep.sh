#!/usr/bin/env bash
# End-to-end checks of ccx sweep-plan and scripts/sweep.sh. The sweep runs a
# fake `ccx train` (a script standing in through CCX=..., forwarding every
# other command to the real ccx) that writes a metrics.csv, so this test
# needs no training and always runs: parallel runs, a failing point recorded
# without stopping the others, summary.csv contents, the plot.
# Usage: tests/cli_sweep.sh PATH/TO/ccx
source "$(dirname "$0")/expect.bash"
REAL_CCX=$(cd "$(dirname "$CCX")" && pwd)/$(basename "$CCX")

# ---- ccx sweep-plan
cat > "$tmp/base.yaml" <<'YAML'
run: {tasks: PropaneCombustion}
budget: {updates: 5}
YAML
cat > "$tmp/s.yaml" <<YAML
base: $tmp/base.yaml
grid:
  optim.lr: [0.001, 0.5]
  run.tasks: [[T1, T2], "T 3"]
seeds: [0, 7]
set: {ppo.clip: 0.1}
out_dir: $tmp/sw
YAML
expect 0 "usage: ccx sweep-plan" "$CCX" sweep-plan --help
expect 2 "expected exactly one SWEEP.yaml" "$CCX" sweep-plan
expect 2 "cannot open" "$CCX" sweep-plan "$tmp/none.yaml"
plan=$("$CCX" sweep-plan "$tmp/s.yaml"); status=$?
check "sweep-plan exit 0" $status
check "sweep-plan: 8 points" "$([[ $(grep -c '^point' <<< "$plan") -eq 8 ]]; echo $?)"
want=$'point\t0\t7\tppo.clip=0.1\toptim.lr=0.001\trun.tasks=[T1, T2]\trun.seed=7'
check "sweep-plan: point 0 seed 7" "$([[ $plan == *"$want"* ]]; echo $?)"
want=$'point\t3\t0\tppo.clip=0.1\toptim.lr=0.5\trun.tasks="T 3"\trun.seed=0'
check "sweep-plan: point 3 seed 0" "$([[ $plan == *"$want"* ]]; echo $?)"
check "sweep-plan: keys line" "$([[ $plan == *$'keys\toptim.lr\trun.tasks'* ]]; echo $?)"
check "sweep-plan: base and out_dir" "$([[ $plan == *$'base\t'"$tmp/base.yaml"* && $plan == *$'out_dir\t'"$tmp/sw"* ]]; echo $?)"
# errors name file:line:col and the key
printf 'base: %s\ngrid:\n  optim.lrr: [1, 2]\n' "$tmp/base.yaml" > "$tmp/e1.yaml"
expect 2 "e1.yaml:3:3: unknown key 'optim.lrr' (did you mean 'optim.lr'?)" "$CCX" sweep-plan "$tmp/e1.yaml"
printf 'base: %s\ngrid:\n  ppo.clip: [0.1, 5]\n' "$tmp/base.yaml" > "$tmp/e2.yaml"
expect 2 "e2.yaml:3:19: ppo.clip must be in [0, 1], got 5" "$CCX" sweep-plan "$tmp/e2.yaml"
printf 'base: %s\nseed: [1]\n' "$tmp/base.yaml" > "$tmp/e3.yaml"
expect 2 "e3.yaml:2:1: unknown key 'seed'" "$CCX" sweep-plan "$tmp/e3.yaml"
printf 'grid: {ppo.clip: [0.1]}\n' > "$tmp/e4.yaml"
expect 2 "no 'base:' config" "$CCX" sweep-plan "$tmp/e4.yaml"
printf 'base: nope.yaml\n' > "$tmp/e5.yaml"
expect 2 "base config 'nope.yaml' not found" "$CCX" sweep-plan "$tmp/e5.yaml"
printf 'base: %s\nset: {run.name: x}\n' "$tmp/base.yaml" > "$tmp/e6.yaml"
expect 2 "run.name is set by the sweep itself" "$CCX" sweep-plan "$tmp/e6.yaml"
printf 'base: %s\ngrid: {ppo.clip: [0.1, 0.2}\n' "$tmp/base.yaml" > "$tmp/e7.yaml"
expect 2 "e7.yaml:2:" "$CCX" sweep-plan "$tmp/e7.yaml"
# the example sweep expands
expect 0 $'point\t2\t1' "$CCX" sweep-plan configs/sweeps/quickstart_lr.yaml

# ---- scripts/sweep.sh with a fake trainer
cat > "$tmp/fake-ccx" <<'FAKE'
#!/usr/bin/env bash
# stands in for `ccx train`: --set run.out_dir, run.name, run.seed, optim.lr are
# read; optim.lr=0.5 fails; metrics.csv has best_so_far for T1 and T2
[[ $1 == train ]] || exec "$REAL_CCX" "$@"
shift
[[ -f $1 ]] || { echo "fake: no config '$1'" >&2; exit 2; }
shift
out="" name="" lr="" seed=0
while (($#)); do
    if [[ $1 == --set ]]; then
        case $2 in
            run.out_dir=*) out=${2#*=} ;; run.name=*) name=${2#*=} ;;
            optim.lr=*) lr=${2#*=} ;; run.seed=*) seed=${2#*=} ;;
        esac
        shift 2
    else shift; fi
done
echo "backend: cpu" >&2
[[ $lr == 0.5 ]] && { echo "fake: diverged" >&2; exit 1; }
dir="$out/$name"
mkdir -p "$dir"
echo "run directory: $dir"
{
    echo "update,env_steps,wall_s,mean_cost.T1,best_so_far.T1,best_so_far.T2"
    echo "1,100,0.5,60,,50"
    echo "2,200,1,55,$((40 + seed)),45"
    echo "3,300,1.5,50,$((30 + seed)),45"
    echo "4,400,2,50,$((30 + seed)),44"
} > "$dir/metrics.csv"
FAKE
chmod +x "$tmp/fake-ccx"
export REAL_CCX

expect 2 "-j must be a positive integer" env CCX="$tmp/fake-ccx" scripts/sweep.sh "$tmp/s.yaml" -j 0
expect 2 "unknown option" env CCX="$tmp/fake-ccx" scripts/sweep.sh "$tmp/s.yaml" --bogus
expect 2 "no ccx at" env CCX="$tmp/none" scripts/sweep.sh "$tmp/s.yaml"
expect 2 "cannot open" env CCX="$tmp/fake-ccx" scripts/sweep.sh "$tmp/none.yaml"

# 8 runs, 4 fail (optim.lr=0.5): exit 1, all recorded
out=$(CCX="$tmp/fake-ccx" scripts/sweep.sh "$tmp/s.yaml" -j 3 2>&1); status=$?
check "sweep exits 1 when a run failed (got $status)" "$([[ $status -eq 1 ]]; echo $?)"
check "sweep reports the failures" "$([[ $out == *"8 runs, 4 failed"* ]]; echo $?)"
sum="$tmp/sw/summary.csv"
check "summary.csv written" "$([[ -f $sum ]]; echo $?)"
check "summary: 8 rows" "$([[ $(($(wc -l < "$sum") - 1)) -eq 8 ]]; echo $?)"
hdr="point,seed,optim.lr,run.tasks,status,exit_code,run_dir,best.T1,env_steps.T1,wall_s.T1,best.T2,env_steps.T2,wall_s.T2"
check "summary header" "$([[ $(head -1 "$sum") == "$hdr" ]]; echo $?)"
row='0,7,0.001,"[T1, T2]",ok,0,'"$tmp/sw/point0-seed7"',37,300,1.5,44,400,2'
check "summary row point0-seed7" "$(grep -qxF "$row" "$sum"; echo $?)"
row='1,0,0.001,"""T 3""",ok,0,'"$tmp/sw/point1-seed0"',30,300,1.5,44,400,2'
check "summary row point1-seed0" "$(grep -qxF "$row" "$sum"; echo $?)"
row='2,0,0.5,"[T1, T2]",failed,1,'"$tmp/sw/point2-seed0"',,,,,,'
check "summary row of a failed run" "$(grep -qxF "$row" "$sum"; echo $?)"
check "failed run's log kept" "$(grep -q 'fake: diverged' "$tmp/sw/logs/point2-seed0.log"; echo $?)"
if command -v gnuplot >/dev/null 2>&1; then
    check "sweep plot.png" "$([[ -s $tmp/sw/plot.png ]]; echo $?)"
fi
if [[ $fail -ne 0 ]]; then echo "$out"; cat "$sum"; fi

# all ok: exit 0
printf 'base: %s\ngrid: {optim.lr: [0.01]}\nout_dir: %s\n' "$tmp/base.yaml" "$tmp/sw2" > "$tmp/ok.yaml"
expect 0 "1 runs, 0 failed" env CCX="$tmp/fake-ccx" scripts/sweep.sh "$tmp/ok.yaml"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
