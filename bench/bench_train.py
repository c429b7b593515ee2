"""Speed of the training step of `focus.train`, against the machine's dense-matmul ceiling.

Usage: OMP_NUM_THREADS=2 python bench/bench_train.py [--preset tiny] [--size 160] [--batch 4] [--steps 20] [--workers 2]

Runs real training iterations (`focus.train.train_iteration`: the model, the criterion with its point sampling, the CLIP
refiner loss, backward, clipping, fused AdamW) on FOCUS-Synth, fed by the real loader (`TrainStream` with the edge images
computed in the workers). Prints seconds per iteration (median), the share spent waiting for data, the GFLOP of one step
(forward + backward, `torch.utils.flop_counter`), the GFLOP/s that makes, and the GFLOP/s of a dense fp32 matmul with
the same threads — the most this CPU does — so the ratio says how far the step is from the machine's limit.
"""
import argparse, tempfile, time
from pathlib import Path
import numpy as np, torch
from torch.utils.flop_counter import FlopCounterMode
from focus.synth import make_synth
from focus.train import (train_config, build_train_model, make_accelerator, make_loader, sync_batchnorm, train_iteration,
                         param_groups, make_train_data)

def matmul_gflops(n=2048, reps=10):
    "Best fp32 GEMM throughput (GFLOP/s) with the current torch threads."
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3): a @ b
    best = min(_time(lambda: a @ b) for _ in range(reps))
    return 2 * n ** 3 / best / 1e9

def _time(f):
    t = time.perf_counter(); f(); return time.perf_counter() - t

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--preset', default='tiny'); ap.add_argument('--size', type=int, default=160)
    ap.add_argument('--batch', type=int, default=4); ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--workers', type=int, default=2); ap.add_argument('--task', default='cod')
    ap.add_argument('--profile', default='smoke', help='the training profile whose recipe is timed')
    ap.add_argument('--compile', action='store_true', help='torch.compile the model first')
    a = ap.parse_args()
    root = Path(tempfile.mkdtemp())
    make_synth(root, tasks=[a.task], n_train=64, n_test=1)
    cfg = train_config(a.profile, a.task, preset=a.preset, size=a.size, batch=a.batch, data_root=str(root),
                       num_workers=a.workers, iters=a.steps + 3)
    acc = make_accelerator('no')
    model, _ = build_train_model(cfg); sync_batchnorm(model)
    opt = torch.optim.AdamW(param_groups(model, cfg.lr, cfg.backbone_multiplier, cfg.weight_decay), fused=True)
    model, opt = acc.prepare(model, opt)
    if a.compile: model = torch.compile(model)
    ds, _ = make_train_data(cfg, model.cfg.train_size if hasattr(model, 'cfg') else a.size, progress=False)
    it, times, waits = iter(make_loader(ds, cfg, 0, acc, cfg.fidelity)), [], []
    for i in range(a.steps + 3):
        t0 = time.perf_counter(); batch = next(it); t1 = time.perf_counter()
        train_iteration(model, batch, opt, acc, cfg); t2 = time.perf_counter()
        if i >= 3: times.append(t2 - t0); waits.append(t1 - t0)
    with FlopCounterMode(display=False) as fc:
        train_iteration(model, batch, opt, acc, cfg)
    gflop = fc.get_total_flops() / 1e9
    s_it, peak = float(np.median(times)), matmul_gflops()
    print(f"{a.preset} @ {a.size}px, batch {a.batch}, {torch.get_num_threads()} threads, {a.workers} loader workers"
          f"{', compiled' if a.compile else ''}:")
    print(f"  {s_it:.3f} s/iteration (median of {a.steps}), waiting for data {np.median(waits) * 1e3:.0f} ms")
    print(f"  {gflop:.1f} GFLOP per step (forward + backward) → {gflop / s_it:.1f} GFLOP/s")
    print(f"  dense fp32 matmul on this machine: {peak:.0f} GFLOP/s → the step reaches {100 * gflop / s_it / peak:.0f} % of it")

if __name__ == '__main__': main()
