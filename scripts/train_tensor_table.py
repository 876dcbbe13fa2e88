#!/usr/bin/env python3
"""The results table of scripts/train_tensor_table.sh (markdown on stdout).

    python3 scripts/train_tensor_table.py OUT TASK...        the table
    python3 scripts/train_tensor_table.py --best-order OUT TASK
        the path of the cheapest order training and search-play found for TASK

Per task: the classic orders, the best order of PPO and of AlphaZero by
training alone (with the wall time it was reached at and the run's env
steps/s), search-play with each trained network, polish on the best of
those, annealing at the same wall time, and AlphaGrad's best."""
import csv, json, os, platform, sys

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def cost(path):
    d = load(path)
    return d.get('cost') if d else None

def run_best(out, run, task):
    """(best cost, wall s when first reached, env steps/s, budget s) of a run directory."""
    d = os.path.join(out, run)
    try:
        rows = list(csv.DictReader(open(os.path.join(d, 'metrics.csv'))))
    except OSError:
        return None
    col = 'best_so_far.' + task
    vals = [(float(r[col]), float(r['wall_s'])) for r in rows if r.get(col)]
    if not vals:
        return None
    best = min(v for v, _ in vals)
    at = next(w for v, w in vals if v == best)
    last = rows[-1]
    return best, at, float(last['env_steps']) / max(float(last['wall_s']), 1e-9), float(last['wall_s'])

def candidates(out, task):
    return [os.path.join(out, p) for p in (f'ppo_{task}/best_order.json', f'az_{task}/best_order.json',
                                          f'ppo_{task}_search_play.json', f'az_{task}_search_play.json')]

def best_order(out, task):
    found = [(cost(p), p) for p in candidates(out, task) if cost(p) is not None]
    return min(found)[1] if found else 'reverse'

def cpu_name():
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'

def fmt(x):
    return '-' if x is None else f'{x:.0f}'

def table(out, tasks):
    print(f'# Training on tensor graphs, CPU ({cpu_name()}, {os.cpu_count()} cores, no GPU)\n')
    print('    scripts/train_tensor_table.sh ' + ' '.join(tasks) + '\n')
    print('PPO (`configs/train/quick_TASK.yaml`) and Gumbel AlphaZero (`configs/train/alphazero_quickstart.yaml`')
    print('with `run.tasks=TASK`) trained side by side, one core each; then `ccx search-play` with each')
    print('trained network (8 trees, 64 simulations) and `ccx polish` (10 s) on the cheapest of those')
    print('orders; `ccx search --method sa` on one core for the same wall time as one training run.')
    print('"at" = wall seconds when training first reached its best.\n')
    print('| task | forward | reverse | AlphaGrad Markowitz | tensor greedy | PPO (at) | AlphaZero (at) | + search-play | + polish | sa, same time | AlphaGrad best |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for t in tasks:
        info = load(os.path.join(out, f'ppo_{t}', 'tasks.json')) or load(os.path.join(out, f'az_{t}', 'tasks.json'))
        if not info:
            print(f'| {t} | (no run) |||||||||')
            continue
        ti = info['tasks'][0]
        ppo, az = run_best(out, f'ppo_{t}', t), run_best(out, f'az_{t}', t)
        sp = [c for c in (cost(os.path.join(out, f'{a}_{t}_search_play.json')) for a in ('ppo', 'az')) if c is not None]
        pol, sa = cost(os.path.join(out, f'polish_{t}.json')), cost(os.path.join(out, f'sa_{t}.json'))
        pub = (ti.get('published') or {}).get('best')
        def run_cell(r):
            if not r:
                return '-'
            below = pub is not None and r[0] < pub
            return f"{'**' if below else ''}{r[0]:.0f}{'**' if below else ''} ({r[1]:.0f} s)"
        mark = lambda c: f'**{fmt(c)}**' if c is not None and pub is not None and c < pub else fmt(c)
        print(f"| {t} | {ti['forward']} | {ti['reverse']} | {ti['markowitz']} | {ti['greedy']} | "
              f"{run_cell(ppo)} | {run_cell(az)} | {mark(min(sp) if sp else None)} | {mark(pol)} | "
              f"{mark(sa)} | {fmt(pub)} |")
    print('\nThe joint run of all ten tasks is in joint_ten_cpu.md (not written by this script).')
    print('\nBold: below AlphaGrad\'s best. Env steps/s of the runs: ' + ', '.join(
        f'{t} PPO {r[2]:.0f}' + (f' / AZ {a[2]:.0f}' if a else '')
        for t in tasks for r, a in [(run_best(out, f"ppo_{t}", t), run_best(out, f"az_{t}", t))] if r) + '.')

if __name__ == '__main__':
    a = sys.argv[1:]
    if a and a[0] in ('-h', '--help'):
        print(__doc__)
    elif a and a[0] == '--best-order':
        print(best_order(a[1], a[2]))
    elif a:
        table(a[0], a[1:])
    else:
        print(__doc__)
        sys.exit(2)
