"""Time one `focus.deform_attn.MSDeformAttn` layer, forward + backward, on the CPU.

Default workload = the pixel-decoder encoder at the smoke scale: levels 32x32 + 16x16 + 8x8 (1344 tokens, every token
a query with its reference point at its own pixel centre), d_model 256, 8 heads, 4 points, batch 2.
Both code paths of `ms_deform_attn` are timed, interleaved: the zero-canvas one (`vectorised=True`, the default) and the
per-level `grid_sample` loop. Prints wall time (median, min) and process CPU time (median; with --threads 1 it is
the figure least disturbed by other jobs on a shared machine), then one JSON line.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_deform_attn.py [--threads 2] [--reps 10] [--levels 32,16,8]
"""
import argparse, json, time, statistics
import torch
from focus.deform_attn import MSDeformAttn


def pixel_centres(shapes):
    refs = []
    for h, w in shapes:
        y, x = torch.meshgrid((torch.arange(h) + 0.5) / h, (torch.arange(w) + 0.5) / w, indexing='ij')
        refs.append(torch.stack([x.flatten(), y.flatten()], -1))
    return torch.cat(refs)[None, :, None, :]  # (1, S, 1, 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--reps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--levels', default='32,16,8', help='square level sizes, comma separated')
    ap.add_argument('--d-model', type=int, default=256)
    ap.add_argument('--heads', type=int, default=8)
    ap.add_argument('--points', type=int, default=4)
    ap.add_argument('--batch', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    shapes = [(int(s), int(s)) for s in a.levels.split(',')]
    S = sum(h * w for h, w in shapes)
    attn = MSDeformAttn(a.d_model, len(shapes), a.heads, a.points)
    x = torch.randn(a.batch, S, a.d_model, requires_grad=True)
    ref = pixel_centres(shapes).expand(a.batch, -1, -1, -1)
    sh = torch.tensor(shapes)
    paths = (('canvas', True), ('per_level', False))
    times = {name: [] for name, _ in paths}
    cpu = {name: [] for name, _ in paths}
    for i in range(a.warmup + a.reps):  # interleaved, so both paths see the same machine load
        for name, vec in paths:
            attn.vectorised = vec
            t, c = time.perf_counter(), time.process_time()
            out = attn(x, ref, x, sh)
            out.square().mean().backward()
            if i >= a.warmup:
                times[name].append((time.perf_counter() - t) * 1000)
                cpu[name].append((time.process_time() - c) * 1000)
            attn.zero_grad(set_to_none=True); x.grad = None
    # wall time, and the process's CPU time (all threads) — the latter is less sensitive to other load on the machine
    res = {k: dict(median_ms=round(statistics.median(t), 1), min_ms=round(min(t), 1),
                   median_cpu_ms=round(statistics.median(cpu[k]), 1)) for k, t in times.items()}
    print(f"MSDeformAttn fwd+bwd, levels {shapes} (S={S}), d={a.d_model}, heads={a.heads}, points={a.points}, "
          f"batch={a.batch}, threads={a.threads}, reps={a.reps}")
    for k, v in res.items():
        print(f"  {k:10s} wall median {v['median_ms']:8.1f} ms   min {v['min_ms']:8.1f} ms   CPU median {v['median_cpu_ms']:8.1f} ms")
    print(json.dumps(dict(levels=shapes, d_model=a.d_model, heads=a.heads, points=a.points, batch=a.batch,
                          threads=a.threads, torch=torch.__version__, **res)))


if __name__ == '__main__':
    main()
