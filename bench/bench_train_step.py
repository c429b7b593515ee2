"""Time one training step (forward + backward + AdamW) of FOCUS presets on the CPU.

Usage: OMP_NUM_THREADS=2 python bench/bench_train_step.py [--preset tiny] [--size 128] [--batch 4] [--steps 10]
Prints the median and the components (forward / backward / optimiser) in ms.
"""
import argparse, time
import numpy as np, torch
from focus.model import build_model, make_optimizer
from focus.criterion import SetCriterion, targets_from_mask

ap = argparse.ArgumentParser()
ap.add_argument('--preset', default='tiny'); ap.add_argument('--size', type=int, default=128)
ap.add_argument('--batch', type=int, default=4); ap.add_argument('--steps', type=int, default=10)
ap.add_argument("--fidelity", default="paper")
a = ap.parse_args()
torch.manual_seed(0)
m = build_model(a.preset, pretrained=False, fidelity=a.fidelity); m.train()   # random weights: timing only
opt = make_optimizer(m)
x = torch.randn(a.batch, 3, a.size, a.size)
lab = torch.ones(a.size, a.size, dtype=torch.long); s = a.size // 4; lab[s:3 * s, s:3 * s] = 0
tg = [targets_from_mask(lab)] * a.batch
fw, bw, st = [], [], []
for i in range(a.steps + 2):
    t0 = time.perf_counter(); loss = SetCriterion.total(m(x, tg)); t1 = time.perf_counter()
    opt.zero_grad(); loss.backward(); t2 = time.perf_counter(); opt.step(); t3 = time.perf_counter()
    if i >= 2: fw.append(t1 - t0); bw.append(t2 - t1); st.append(t3 - t2)
tot = np.array(fw) + np.array(bw) + np.array(st)
print(f"{a.preset} ({a.fidelity}) batch {a.batch} @ {a.size}px, torch threads {torch.get_num_threads()}: "
      f"step median {1e3 * np.median(tot):.0f} ms (forward {1e3 * np.median(fw):.0f}, backward {1e3 * np.median(bw):.0f}, "
      f"AdamW {1e3 * np.median(st):.0f}); trainable params {sum(p.numel() for p in m.trainable_parameters()) / 1e6:.2f} M")
