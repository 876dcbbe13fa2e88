#!/usr/bin/env bash
# Run a hyperparameter sweep: every point of a grid, for every seed, as
#   ccx train BASE --set run.out_dir=SWEEPDIR --set run.name=pointK-seedS --set KEY=VALUE...
# up to -j at a time; a failed run is recorded and the others go on (Ctrl-C or
# SIGTERM stops the running ones cleanly: they checkpoint, --resume continues). Then
# SWEEPDIR/summary.csv (per point and seed: the grid values, status, and per
# task the best cost = min of best_so_far.TASK with the env_steps and wall_s
# of the row where it was first reached; status ok | failed | skipped) and
# SWEEPDIR/plot.png (ccx plot over every run directory).
#
# usage: scripts/sweep.sh SWEEP.yaml [-j N] [--build DIR]
#   SWEEP.yaml   base:, grid:, seeds:, set:, out_dir: (see `ccx sweep-plan --help`)
#   -j N         runs at once (default 1)
#   --build DIR  build directory holding ccx (default build/); CCX=PATH overrides
# Logs: SWEEPDIR/logs/pointK-seedS.log. Exit: 0 all ran, 1 some failed, 2 bad input.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

sweep="" jobs=1 build="$CCX_ROOT/build"
while (($#)); do
    case $1 in
        -h|--help) usage; exit 0 ;;
        -j) [[ $# -ge 2 ]] || { ccx_log "sweep: -j needs a value"; exit 2; }; jobs=$2; shift 2 ;;
        -j*) jobs=${1#-j}; shift ;;
        --build) [[ $# -ge 2 ]] || { ccx_log "sweep: --build needs a value"; exit 2; }; build=$2; shift 2 ;;
        -*) ccx_log "sweep: unknown option '$1' (see --help)"; exit 2 ;;
        *) [[ -z $sweep ]] || { ccx_log "sweep: expected one SWEEP.yaml, got '$sweep' and '$1'"; exit 2; }
           sweep=$1; shift ;;
    esac
done
[[ -n $sweep ]] || { usage >&2; exit 2; }
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { ccx_log "sweep: -j must be a positive integer, got '$jobs'"; exit 2; }
CCX=${CCX:-$build/ccx}
if [[ ! -x $CCX ]] && ! command -v "$CCX" >/dev/null 2>&1; then
    ccx_log "sweep: no ccx at '$CCX' (build it: cmake -S . -B build && cmake --build build, or set CCX=PATH)"
    exit 2
fi

plan=$("$CCX" sweep-plan "$sweep") || exit 2
base="" out_dir="" keys=() points=()
while IFS= read -r line; do
    IFS=$'\t' read -r -a f <<< "$line"
    case ${f[0]} in
        base) base=${f[1]} ;;
        out_dir) out_dir=${f[1]} ;;
        keys) keys=("${f[@]:1}") ;;
        point) points+=("$line") ;;
    esac
done <<< "$plan"
((${#points[@]})) || { ccx_log "sweep: the plan has no runs"; exit 2; }
logs="$out_dir/logs"
mkdir -p "$logs" || exit 1
ccx_log "sweep: ${#points[@]} runs of $base into $out_dir (-j $jobs)"

# run_point LINE: one ccx train; its exit status goes to logs/NAME.status
run_point() {
    local f name a
    IFS=$'\t' read -r -a f <<< "$1"
    name="point${f[1]}-seed${f[2]}"
    local args=(train "$base" --set "run.out_dir=$out_dir" --set "run.name=$name")
    for a in "${f[@]:3}"; do args+=(--set "$a"); done
    "$CCX" "${args[@]}" > "$logs/$name.log" 2>&1 < /dev/null &
    local child=$! rc
    # pass a stop on to the run (it checkpoints and exits), then wait for it
    trap 'kill -TERM "$child" 2>/dev/null' TERM INT
    wait "$child"
    rc=$?
    while kill -0 "$child" 2>/dev/null; do
        wait "$child"
        rc=$?
    done
    echo "$rc" > "$logs/$name.status"
}

interrupted=0
on_signal() {
    interrupted=1
    ccx_log "sweep: interrupted; stopping the running jobs"
    local pids
    read -r -a pids <<< "$(jobs -p | tr '\n' ' ')"
    ((${#pids[@]})) && kill -TERM "${pids[@]}" 2>/dev/null
}
trap on_signal INT TERM

running=0
for line in "${points[@]}"; do
    ((interrupted)) && break
    IFS=$'\t' read -r -a f <<< "$line"
    name="point${f[1]}-seed${f[2]}"
    rm -f "$logs/$name.status"
    ccx_log "sweep: start $name: ${f[*]:3}"
    run_point "$line" &
    running=$((running + 1))
    if ((running >= jobs)); then
        wait -n
        running=$((running - 1))
    fi
done
while ((running > 0)); do
    wait -n
    st=$?
    # 127: no job left (wait -n interrupted by a trapped signal leaves some)
    if ((st == 127)); then break; fi
    running=$((running - 1))
done
wait

# ---- summary.csv ----
csv_field() {  # quote a CSV field when it needs it
    local s=$1
    if [[ $s == *[,\"]* ]]; then s=${s//\"/\"\"}; printf '"%s"' "$s"; else printf '%s' "$s"; fi
}
# best_of METRICS.csv: "TASK<TAB>BEST<TAB>ENV_STEPS<TAB>WALL_S" per task
best_of() {
    awk -F, '
        NR == 1 { nf = NF
                  for (i = 1; i <= NF; i++) {
                      if ($i == "env_steps") es = i
                      else if ($i == "wall_s") ws = i
                      else if (substr($i, 1, 12) == "best_so_far.") { n++; col[n] = i; name[n] = substr($i, 13) }
                  }
                  next }
        NF != nf { next }
        { for (k = 1; k <= n; k++) {
              v = $(col[k]); if (v == "") continue
              if (!(k in best) || v + 0 < best[k] + 0) { best[k] = v; st[k] = es ? $es : ""; wt[k] = ws ? $ws : "" }
          } }
        END { for (k = 1; k <= n; k++) printf "%s\t%s\t%s\t%s\n", name[k], best[k], st[k], wt[k] }' "$1"
}

declare -A res_best res_steps res_wall
tasks=() dirs=() n_failed=0
rows=()
for line in "${points[@]}"; do
    IFS=$'\t' read -r -a f <<< "$line"
    name="point${f[1]}-seed${f[2]}"
    log="$logs/$name.log"
    rc=$(cat "$logs/$name.status" 2>/dev/null || echo "")
    dir=$(sed -n 's/^run directory: //p' "$log" 2>/dev/null | head -1)
    [[ -n $dir ]] || dir="$out_dir/$name"
    status=ok
    if [[ -z $rc ]]; then status=skipped  # interrupted before it started
    elif [[ $rc != 0 ]]; then status=failed; n_failed=$((n_failed + 1)); fi
    if [[ -f $dir/metrics.csv ]]; then
        dirs+=("$dir")
        while IFS=$'\t' read -r t b s w; do
            [[ -n $t ]] || continue
            [[ " ${tasks[*]-} " == *" $t "* ]] || tasks+=("$t")
            res_best[$name/$t]=$b res_steps[$name/$t]=$s res_wall[$name/$t]=$w
        done < <(best_of "$dir/metrics.csv")
    fi
    # the grid values of this point (the last assignment of each key wins)
    vals=()
    for k in "${keys[@]}"; do
        v=""
        for a in "${f[@]:3}"; do [[ ${a%%=*} == "$k" ]] && v=${a#*=}; done
        vals+=("$v")
    done
    # fields separated by US (\x1f): unlike a tab it never merges empty fields
    rows+=("$name"$'\x1f'"${f[1]}"$'\x1f'"${f[2]}"$'\x1f'"$status"$'\x1f'"$rc"$'\x1f'"$dir"$'\x1f'"$(IFS=$'\x1f'; echo "${vals[*]-}")")
done

summary="$out_dir/summary.csv"
{
    hdr="point,seed"
    for k in "${keys[@]}"; do hdr+=",$(csv_field "$k")"; done
    hdr+=",status,exit_code,run_dir"
    for t in "${tasks[@]}"; do hdr+=",$(csv_field "best.$t"),$(csv_field "env_steps.$t"),$(csv_field "wall_s.$t")"; done
    echo "$hdr"
    for r in "${rows[@]}"; do
        IFS=$'\x1f' read -r -a c <<< "$r"
        name=${c[0]}
        out="${c[1]},${c[2]}"
        for ((i = 0; i < ${#keys[@]}; i++)); do out+=",$(csv_field "${c[6 + i]-}")"; done
        out+=",${c[3]},${c[4]},$(csv_field "${c[5]}")"
        for t in "${tasks[@]}"; do
            out+=",${res_best[$name/$t]-},${res_steps[$name/$t]-},${res_wall[$name/$t]-}"
        done
        echo "$out"
    done
} > "$summary.tmp" && mv "$summary.tmp" "$summary"
ccx_log "sweep: ${#points[@]} runs, $n_failed failed; summary: $summary"
cat "$summary"

if ((${#dirs[@]})); then
    if ! "$CCX" plot "${dirs[@]}" --out "$out_dir/plot.png" >/dev/null; then
        ccx_log "sweep: warning: no plot (see the error above)"
    else
        ccx_log "sweep: plot: $out_dir/plot.png"
    fi
fi
((interrupted)) && exit 130
((n_failed == 0)) || exit 1
exit 0
