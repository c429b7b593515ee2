"""Where the wall time of one whole training run goes: set-up, training steps, waiting for data, checkpoints,
snapshots, loss plots, the final evaluation and the reproduction's bookkeeping (provenance fingerprints).

Usage: OMP_NUM_THREADS=2 python bench/bench_run.py [--task cod] [--row '+JP+PCA+CR+EE'] [--seed 0] [--repeat 2]
           [--task-run]       # a task notebook's run (smoke TrainConfig) instead of a Table 4 run

Runs `focus.ablation.run_ablation` (or `focus.reproduce.train_task`) in the smoke profile in a temporary folder,
with the library's functions wrapped by timers, `--repeat` times (fresh folders), and prints seconds per phase.
"""
import argparse, functools, os, tempfile, time
from collections import defaultdict

os.environ.setdefault('FOCUS_PROFILE', 'smoke')
import focus.train as T, focus.reproduce as R, focus.evaluate as E
from focus.ablation import run_ablation

TIMES = defaultdict(float)
COUNTS = defaultdict(int)

def timed(mod, name, label=None):
    f = getattr(mod, name)
    @functools.wraps(f)
    def g(*a, **k):
        t = time.perf_counter()
        try: return f(*a, **k)
        finally: TIMES[label or name] += time.perf_counter() - t; COUNTS[label or name] += 1
    setattr(mod, name, g)

for name in ('_setup', 'train_iteration', 'save_checkpoint', '_after_step', 'evaluate_run', 'save_loss_plot',
             'atomic_save'):
    timed(T, name)
timed(R, 'provenance')
timed(T, 'ensure_synth', 'ensure_synth')

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--task', default='cod'); ap.add_argument('--row', default='+JP+PCA+CR+EE')
    ap.add_argument('--seed', type=int, default=0); ap.add_argument('--repeat', type=int, default=2)
    ap.add_argument('--task-run', action='store_true')
    ap.add_argument('--data', default=None, help='a FOCUS-Synth root to reuse (default: made in the temp folder)')
    a = ap.parse_args()
    for r in range(a.repeat):
        TIMES.clear(); COUNTS.clear()
        with tempfile.TemporaryDirectory() as d:
            ctx = R.context('smoke', out=d)
            if a.data: ctx.data_root = a.data
            T.ensure_synth(ctx.data_root, a.task, False)
            TIMES.clear(); COUNTS.clear()
            t = time.perf_counter()
            if a.task_run: R.train_task(ctx, a.task, name='run', progress=False, seed=a.seed)
            else: run_ablation(ctx, a.task, a.row, a.seed)
            total = time.perf_counter() - t
        inner = {k: v for k, v in TIMES.items()}
        print(f"repeat {r}: total {total:.1f} s")
        for k, v in sorted(inner.items(), key=lambda kv: -kv[1]):
            print(f"  {k:<18} {v:7.2f} s  ({COUNTS[k]} calls)")

if __name__ == '__main__':
    main()
