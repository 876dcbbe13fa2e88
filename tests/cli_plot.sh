#!/usr/bin/env bash
# End-to-end checks of ccx plot: help, bad arguments (exit 2), a PNG from two
# hand-written run directories, and a clear error without gnuplot (exit 1).
# Usage: tests/cli_plot.sh PATH/TO/ccx
source "$(dirname "$0")/expect.bash"

expect 0 "usage: ccx plot" "$CCX" plot --help
expect 0 "usage: ccx plot" "$CCX" help plot
expect 2 "expected at least one RUN_DIR" "$CCX" plot
expect 2 "unknown option '--bogus'" "$CCX" plot "$tmp" --bogus
expect 2 "needs a value" "$CCX" plot "$tmp" --out
expect 2 "is not a directory" "$CCX" plot "$tmp/none"
expect 2 "has no metrics.csv" "$CCX" plot "$tmp"

# two runs, the second without tasks.json
mkdir -p "$tmp/run1" "$tmp/run2"
{
    echo "update,env_steps,wall_s,mean_cost.PropaneCombustion,best_cost.PropaneCombustion,best_so_far.PropaneCombustion"
    for u in 1 2 3 4 5 6; do echo "$u,$((u * 512)),$u.5,$((140 - u * 3)),,$((120 - u * 4))"; done
} > "$tmp/run1/metrics.csv"
sed 's/,\([0-9]*\)$/,1\1/' "$tmp/run1/metrics.csv" > "$tmp/run2/metrics.csv"
cat > "$tmp/run1/tasks.json" <<'JSON'
{"tasks": [{"name": "PropaneCombustion", "path": "configs/tasks/PropaneCombustion.ccx",
            "graph_sha256": "x", "n_intermediates": 51, "forward": 151, "reverse": 90,
            "markowitz": 111, "published": {"ppo": 92, "best": 88}}]}
JSON

# no gnuplot: a clear error, exit 1, no file
out=$(CCX_GNUPLOT=/nonexistent/gnuplot "$CCX" plot "$tmp/run1" 2>&1); status=$?
if [[ $status -eq 1 && $out == *"gnuplot not found"* && ! -e $tmp/run1/plot.png ]]; then pass=$((pass + 1))
else echo "FAIL: no gnuplot: exit $status: $out"; fail=$((fail + 1)); fi
# a broken tasks.json is named
echo '{"tasks": [' > "$tmp/run2/tasks.json"
expect 1 "tasks.json: not valid JSON" "$CCX" plot "$tmp/run2"
rm "$tmp/run2/tasks.json"

if command -v gnuplot >/dev/null 2>&1; then
    expect 0 "wrote $tmp/run1/plot.png" "$CCX" plot "$tmp/run1" "$tmp/run2"
    check "plot.png is a PNG" "$([[ $(head -c 4 "$tmp/run1/plot.png" | tail -c 3) == PNG ]]; echo $?)"
    expect 0 "wrote $tmp/both.png" "$CCX" plot "$tmp/run1" "$tmp/run2" -o "$tmp/both.png"
    check "both.png non-empty" "$([[ -s $tmp/both.png ]]; echo $?)"
    # an output directory that does not exist: gnuplot's error, exit 1
    expect 1 "gnuplot failed" "$CCX" plot "$tmp/run1" --out "$tmp/no/such/dir.png"
else
    echo "(gnuplot not installed: PNG checks skipped)"
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
