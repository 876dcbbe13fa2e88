#!/usr/bin/env bash
# End-to-end checks of `ccx bench nn` (the policy/value network): a tiny CPU
# run, its output line, the checkpoint it saves, and bad input (exit 2).
# Usage: tests/cli_nn.sh PATH/TO/ccx
source "$(dirname "$0")/expect.bash"

tiny=(--backend cpu --batch 2 --vertices 16 --layers 1 --dim 16 --heads 2 --seconds 0.05)
expect 0 "usage: ccx bench nn" "$CCX" bench nn --help
expect 0 "forward+backward:" "$CCX" bench nn "${tiny[@]}" --out "$tmp/nn.txt" --save "$tmp/ck.safetensors"
expect 0 "backend=cpu" cat "$tmp/nn.txt"
# the saved checkpoint is a safetensors file: 8-byte length, then '{'
expect 0 "" test -s "$tmp/ck.safetensors"
expect 0 "{" bash -c "head -c 9 '$tmp/ck.safetensors' | tail -c 1"
expect 0 "\"__metadata__\"" bash -c "head -c 4000 '$tmp/ck.safetensors' | tr -d '\\0'"
# bad input names the problem
expect 2 "n_heads" "$CCX" bench nn --backend cpu --dim 16 --heads 3 --seconds 0.05
expect 2 "unknown backend 'gpu'" "$CCX" bench nn --backend gpu
expect 2 "--vertices must be" "$CCX" bench nn --vertices 0
expect 2 "--tf32 must be on or off" "$CCX" bench nn --tf32 maybe
expect 2 "unexpected argument" "$CCX" bench nn extra

echo "$pass passed, $fail failed"
((fail == 0))
