#!/usr/bin/env python3
"""Markdown table of training runs: python3 scripts/train_summary.py RUNS_DIR (one row per run directory:
best cost, when reached, when first below every classic baseline, updates, env steps/s)."""
import csv, json, glob, os, sys
if len(sys.argv) != 2 or sys.argv[1] in ('-h', '--help'):
    print(__doc__)
    sys.exit(0 if sys.argv[1:] in (['-h'], ['--help']) else 2)
for d in sorted(glob.glob(sys.argv[1]+'/*')):
    if not os.path.isdir(d): continue
    t=json.load(open(d+'/tasks.json'))['tasks'][0]
    name=t['name']; base=min(t['forward'],t['reverse'],t['markowitz'])
    m=list(csv.DictReader(open(d+'/metrics.csv')))
    col='best_so_far.'+name
    first=next((r for r in m if r[col] and float(r[col])<base),None)
    best=min(float(r[col]) for r in m if r[col])
    fb=next(r for r in m if r[col] and float(r[col])==best)
    last=m[-1]
    below = f"{float(first['wall_s']):.1f}s" if first else "never"
    print(f"| {os.path.basename(d)} | {name} | {t['forward']}/{t['reverse']}/{t['markowitz']} | {t['published']['ppo']}/{t['published']['best']} | **{best:.0f}** | {float(fb['wall_s']):.0f} s, {float(fb['env_steps']):.3g} steps | {below} | {last['update']} | {float(last['env_steps'])/float(last['wall_s']):.0f} |")
