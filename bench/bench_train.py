"""Speed of the training step of `focus.train`, against the machine's dense-matmul ceiling, with the time of each part.

Usage: OMP_NUM_THREADS=2 python bench/bench_train.py [--preset small-cpu] [--size 160] [--batch 4] [--steps 20]
           [--model freeze_vit=True] [--compile] [--channels-last] [--workers 2]

Runs real training iterations (`focus.train.train_iteration`: the model, the criterion with its point sampling, the CLIP
refiner loss, backward, clipping, fused AdamW) on FOCUS-Synth, fed by the real loader (`TrainStream` with the edge images
computed in the workers). Prints seconds per iteration (median), the share spent waiting for data, the GFLOP of one step
(forward + backward, `torch.utils.flop_counter`), the GFLOP/s that makes, the GFLOP/s of a dense fp32 matmul with the
same threads (the most this CPU does), so the ratio says how far the step is from the machine's limit, and where the
step's time goes: the forward of the ViT blocks, the rest of the enhancer, the pixel decoder, the decoder, the losses,
then the backward pass and the optimiser (gradient clipping + AdamW), measured with module hooks on separate steps.
"""
import argparse, ast, tempfile, time
from collections import defaultdict
from pathlib import Path
import numpy as np, torch
from torch.utils.flop_counter import FlopCounterMode
from focus.synth import make_synth
from focus.train import CPUSyncBatchNorm
from focus.train import (train_config, build_train_model, make_accelerator, make_loader, sync_batchnorm, train_iteration,
                         param_groups, make_train_data, sample_generators)


def matmul_gflops(n=2048, reps=10):
    "Best fp32 GEMM throughput (GFLOP/s) with the current torch threads."
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3): a @ b
    best = min(_time(lambda: a @ b) for _ in range(reps))
    return 2 * n ** 3 / best / 1e9


def _time(f):
    t = time.perf_counter(); f(); return time.perf_counter() - t


def override(s):
    k, _, v = s.partition('=')
    try: v = ast.literal_eval(v)
    except (ValueError, SyntaxError): pass
    return k, v


class PartTimer:
    "Wall time of the forward of named sub-modules (hooks; the CPU runs synchronously, so wall time is exact)."
    def __init__(self, parts: dict):
        self.t, self.start, self.handles = defaultdict(float), {}, []
        for name, mods in parts.items():
            for m in mods:
                self.handles.append(m.register_forward_pre_hook(lambda mod, a, n=name: self._go(n, mod)))
                self.handles.append(m.register_forward_hook(lambda mod, a, o, n=name: self._stop(n, mod)))

    def _go(self, n, mod): self.start[id(mod)] = time.perf_counter()
    def _stop(self, n, mod): self.t[n] += time.perf_counter() - self.start.pop(id(mod))
    def remove(self):
        for h in self.handles: h.remove()


def two_pass_bn(self, x):
    "The batch norm the engine ran before (also with one process): mean, then mean squared deviation, in Python ops."
    if not (self.training and self.track_running_stats): return torch.nn.BatchNorm2d.forward(self, x)
    C = x.shape[1]
    n = x.numel() / C
    mean = x.sum((0, 2, 3)) / n
    d = x - mean[:, None, None]
    var = (d * d).sum((0, 2, 3)) / n
    with torch.no_grad():
        self.num_batches_tracked += 1
        self.running_mean.lerp_(mean.detach(), self.momentum)
        self.running_var.lerp_(var.detach() * n / (n - 1), self.momentum)
    y = d * torch.rsqrt(var + self.eps)[:, None, None]
    return y * self.weight[:, None, None] + self.bias[:, None, None]


def part_times(model, batch, opt, acc, cfg, steps=5) -> dict:
    "Median seconds per part over `steps` training steps (forward parts by hooks; backward, optimiser by stopwatch)."
    core = getattr(model, '_orig_mod', model)
    parts = dict(vit=list(core.backbone.vit.blocks) + [core.backbone.vit.patch_embed], backbone=[core.backbone],
                 pixel_decoder=[core.sem_seg_head['pixel_decoder']], decoder=[core.sem_seg_head['predictor']],
                 losses=[core.criterion] + ([core.clip_refiner] if core.clip_refiner is not None else []))
    rec = defaultdict(list)
    for _ in range(steps):
        pt = PartTimer(parts)
        gens = sample_generators(batch['samples'], cfg.seed, acc.device)
        tg = [dict(t, generator=g) for t, g in zip(batch['targets'], gens)]
        model.train()
        t0 = time.perf_counter()
        with acc.autocast(): losses = model(batch['images'], tg, batch.get('edges'))
        t1 = time.perf_counter()
        total = sum(losses.values()); opt.zero_grad(set_to_none=True); total.backward(); t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], cfg.clip_grad or 1e9)
        opt.step(); t3 = time.perf_counter()
        pt.remove()
        f = dict(pt.t)
        rec['forward: ViT blocks'].append(f['vit'])
        rec['forward: enhancer (adapter, ResNet, fusion)'].append(f['backbone'] - f['vit'])
        rec['forward: pixel decoder'].append(f['pixel_decoder'])
        rec['forward: decoder'].append(f['decoder'])
        rec['forward: losses (matcher, points, CLIP)'].append(f['losses'])
        rec['forward: other'].append((t1 - t0) - sum(f.values()) + f['vit'])
        rec['backward'].append(t2 - t1)
        rec['optimiser (clip + AdamW)'].append(t3 - t2)
    return {k: float(np.median(v)) for k, v in rec.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--preset', default='small-cpu'); ap.add_argument('--size', type=int, default=160)
    ap.add_argument('--batch', type=int, default=4); ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--workers', type=int, default=2); ap.add_argument('--task', default='cod')
    ap.add_argument('--profile', default='smoke', help='the training profile whose recipe is timed')
    ap.add_argument('--model', type=override, action='append', default=[], metavar='FIELD=VALUE',
                    help='FocusConfig override (repeatable), e.g. freeze_vit=True')
    ap.add_argument('--compile', action='store_true', help='torch.compile the model first')
    ap.add_argument('--channels-last', action='store_true', help='channels-last memory format for the convolutions')
    ap.add_argument('--two-pass-bn', action='store_true',
                    help="the engine's former one-process batch norm (two passes in Python ops) instead of PyTorch's")
    ap.add_argument('--amp', default=None, choices=('no', 'bf16'),
                    help="fp32 or bf16 autocast (AMX/AVX-512 bf16 CPUs); default: the profile's recipe")
    ap.add_argument('--denormals', action='store_true',
                    help="keep denormal floats (the engine flushes them to zero; this measures what that saves)")
    ap.add_argument('--ops', type=int, default=0, metavar='N',
                    help='also print the N operators with the most self CPU time over 3 steps (torch.profiler)')
    a = ap.parse_args()
    torch.set_flush_denormal(not a.denormals)
    if a.two_pass_bn: CPUSyncBatchNorm.forward = two_pass_bn
    root = Path(tempfile.mkdtemp())
    make_synth(root, tasks=[a.task], n_train=64, n_test=1)
    base = train_config(a.profile, a.task)
    cfg = train_config(a.profile, a.task, preset=a.preset, size=a.size, batch=a.batch, data_root=str(root),
                       num_workers=a.workers, iters=a.steps + 3, model={**base.model, **dict(a.model)})
    a.amp = a.amp or base.amp
    acc = make_accelerator(a.amp)
    model, _ = build_train_model(cfg); sync_batchnorm(model)
    if a.channels_last: model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(param_groups(model, cfg.lr, cfg.backbone_multiplier, cfg.weight_decay,
                                         cfg.adapter_multiplier), fused=True)
    model, opt = acc.prepare(model, opt)
    if a.compile: model = torch.compile(model)
    ds, _ = make_train_data(cfg, a.size, progress=False)
    it, times, waits = iter(make_loader(ds, cfg, 0, acc, cfg.fidelity)), [], []
    for i in range(a.steps + 3):
        t0 = time.perf_counter(); batch = next(it); t1 = time.perf_counter()
        train_iteration(model, batch, opt, acc, cfg); t2 = time.perf_counter()
        if i >= 3: times.append(t2 - t0); waits.append(t1 - t0)
    with FlopCounterMode(display=False) as fc:
        train_iteration(model, batch, opt, acc, cfg)
    gflop = fc.get_total_flops() / 1e9
    s_it, peak = float(np.median(times)), matmul_gflops()
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6
    print(f"{a.preset} @ {a.size}px, batch {a.batch}, {dict(a.model) or cfg.model}, {n_train:.2f} M trainable, "
          f"{torch.get_num_threads()} threads, {a.workers} loader workers"
          f"{', compiled' if a.compile else ''}{', channels-last' if a.channels_last else ''}"
          f"{', two-pass batch norm' if a.two_pass_bn else ''}{', denormals kept' if a.denormals else ''}{', bf16 autocast' if a.amp == 'bf16' else ''}:")
    print(f"  {s_it:.3f} s/iteration (median of {a.steps}), waiting for data {np.median(waits) * 1e3:.0f} ms")
    print(f"  {gflop:.1f} GFLOP per step (forward + backward) → {gflop / s_it:.1f} GFLOP/s")
    print(f"  dense fp32 matmul on this machine: {peak:.0f} GFLOP/s → the step reaches {100 * gflop / s_it / peak:.0f} % of it")
    if not a.compile:
        parts = part_times(model, batch, opt, acc, cfg)
        print("  where one step's time goes (median of 5 steps, ms):")
        for k, v in parts.items(): print(f"    {k:<46} {v * 1e3:7.0f}")
        print(f"    {'sum':<46} {sum(parts.values()) * 1e3:7.0f}")
    if a.ops:
        from torch.profiler import profile, ProfilerActivity
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(3): train_iteration(model, batch, opt, acc, cfg)
        print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=a.ops, max_name_column_width=40))


if __name__ == '__main__': main()
