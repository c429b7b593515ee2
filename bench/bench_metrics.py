"""Benchmark focus.metrics against PySODMetrics (py_sod_metrics 1.6.x) on one core.

Generates N deterministic soft and N binary prediction / GT pairs (SIZE x SIZE) as PNG files in a temporary
folder, decodes them once with focus.core.read_mask, then times, image by image and interleaved (so both see the
same machine load):
  * PySODMetrics: MAE + Smeasure + Emeasure + WeightedFmeasure + Fmeasure (one `step` each),
  * focus.metrics: `Evaluator.step` (all keys: those five plus BER, F1, AUC and the curves),
on the same decoded arrays; checks that per-image and data-set values (and the 256-point curves) agree within
1e-6; and finally times `evaluate_folders` end to end (file matching + PNG decoding + metrics).

Usage:  OMP_NUM_THREADS=1 .venv/bin/python bench/bench_metrics.py --n 100 [--size 512] [--seed 0] [--json out.json]
"""
import os
for _k in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'NUMEXPR_NUM_THREADS'): os.environ[_k] = '1'
import argparse, importlib.metadata, json, platform, sys, tempfile, time, warnings
from pathlib import Path
import numpy as np
import cv2
cv2.setNumThreads(1)


def make_pair(rng, size):
    "A GT with 1-3 ellipses (sometimes a thin bar or a hole) and a soft prediction of it."
    gt = np.zeros((size, size), np.uint8)
    for _ in range(rng.integers(1, 4)):
        c = tuple(int(v) for v in rng.integers(size // 6, 5 * size // 6, 2))
        ax = tuple(int(v) for v in rng.integers(size // 20, size // 4, 2))
        cv2.ellipse(gt, c, ax, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    if rng.random() < 0.3:
        y = int(rng.integers(0, size)); cv2.line(gt, (0, y), (size - 1, int(rng.integers(0, size))), 255, int(rng.integers(1, 4)))
    if rng.random() < 0.3:
        cv2.circle(gt, tuple(int(v) for v in rng.integers(size // 4, 3 * size // 4, 2)), size // 30, 0, -1)
    shift = rng.integers(-size // 40, size // 40 + 1, 2)
    s = cv2.GaussianBlur(np.roll(gt, tuple(int(v) for v in shift), (0, 1)).astype(np.float32), (0, 0), float(rng.uniform(1, 6)))
    s = s * rng.uniform(0.6, 1.0) + rng.normal(0, rng.uniform(5, 40), gt.shape)
    for _ in range(rng.integers(0, 3)):   # false-positive blobs
        c = tuple(int(v) for v in rng.integers(0, size, 2))
        blob = np.zeros_like(gt); cv2.circle(blob, c, int(rng.integers(size // 40, size // 10)), 255, -1)
        s += cv2.GaussianBlur(blob.astype(np.float32), (0, 0), 4) * rng.uniform(0.2, 0.7)
    return np.clip(s, 0, 255).astype(np.uint8), gt


def write_sets(root, n, size, seed):
    rng = np.random.default_rng(seed)
    for d in ('gt', 'soft', 'binary'): (root / d).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        pred, gt = make_pair(rng, size)
        binary = np.where(cv2.GaussianBlur(pred, (0, 0), 2) >= 128, 255, 0).astype(np.uint8)
        cv2.imwrite(str(root / 'gt' / f'{i:04d}.png'), gt)
        cv2.imwrite(str(root / 'soft' / f'{i:04d}.png'), pred)
        cv2.imwrite(str(root / 'binary' / f'{i:04d}.png'), binary)


def psm_objects(psm):
    return dict(mae=psm.MAE(), sm=psm.Smeasure(), em=psm.Emeasure(), wfm=psm.WeightedFmeasure(), fm=psm.Fmeasure())


def compare(ms, ev_result, stems):
    "Largest |difference| between PySODMetrics' accumulated values and ours, per image and per data set."
    d = 0.0
    per = ev_result['per_image']
    for i, s in enumerate(stems):
        r = per[s]
        ref = dict(MAE=ms['mae'].maes[i], Sm=ms['sm'].sms[i], Em_adp=ms['em'].adaptive_ems[i],
                   Em_mean=ms['em'].changeable_ems[i].mean(), Em_max=ms['em'].changeable_ems[i].max(),
                   wFm=ms['wfm'].weighted_fms[i], Fm_adp=ms['fm'].adaptive_fms[i],
                   Fm_mean=ms['fm'].changeable_fms[i].mean(), Fm_max=ms['fm'].changeable_fms[i].max())
        for k, v in ref.items():
            if np.isnan(v) and np.isnan(r[k]): continue
            if np.isnan(v) != np.isnan(r[k]): return float('inf')      # NaN on one side only: a disagreement
            d = max(d, abs(float(v) - r[k]))
    em, fm = ms['em'].get_results()['em'], ms['fm'].get_results()
    ds = ev_result['dataset']; c = ev_result['curves']
    ref = dict(MAE=ms['mae'].get_results()['mae'], Sm=ms['sm'].get_results()['sm'], wFm=ms['wfm'].get_results()['wfm'],
               Em_adp=em['adp'], Em_mean=em['curve'].mean(), Em_max=em['curve'].max(),
               Fm_adp=fm['fm']['adp'], Fm_mean=fm['fm']['curve'].mean(), Fm_max=fm['fm']['curve'].max())
    for k, v in ref.items():
        if np.isnan(v) != np.isnan(ds[k]): return float('inf')
        d = max(d, abs(float(v) - ds[k]))
    for ours, theirs in ((c['em'], em['curve']), (c['fm'], fm['fm']['curve']), (c['precision'], fm['pr']['p']), (c['recall'], fm['pr']['r'])):
        d = max(d, float(np.abs(np.asarray(ours)[::-1] - theirs).max()))
    return d


def bench_set(name, pairs, stems, psm, Evaluator):
    ms = psm_objects(psm); ev = Evaluator('standard')
    # warm-up on a copy (imports, caches)
    w = psm_objects(psm); [m.step(*pairs[0]) for m in w.values()]; Evaluator().step(*pairs[0])
    t_psm = t_ours = c_psm = c_ours = 0.0
    for (p, g), s in zip(pairs, stems):
        t0, c0 = time.perf_counter(), time.process_time()
        for m in ms.values(): m.step(p, g)
        t1, c1 = time.perf_counter(), time.process_time()
        ev.step(p, g, name=s)
        t2, c2 = time.perf_counter(), time.process_time()
        t_psm += t1 - t0; t_ours += t2 - t1; c_psm += c1 - c0; c_ours += c2 - c1
    res = ev.result()
    n = len(pairs)
    return dict(set=name, n=n, psm_ms=1000 * t_psm / n, focus_ms=1000 * t_ours / n, ratio=t_psm / t_ours,
                psm_cpu_ms=1000 * c_psm / n, focus_cpu_ms=1000 * c_ours / n, cpu_ratio=c_psm / c_ours,
                max_abs_diff=compare(ms, res, stems))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=100, help='pairs per set (soft and binary)')
    ap.add_argument('--size', type=int, default=512)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--json', default=None, help='also write the numbers here')
    a = ap.parse_args(argv)

    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        import py_sod_metrics as psm
    from focus.core import read_mask
    from focus.metrics import Evaluator, evaluate_folders

    out = dict(load_before=round(os.getloadavg()[0], 2), n=a.n, size=a.size, seed=a.seed, python=platform.python_version(), numpy=np.__version__,
               opencv=cv2.__version__, pysodmetrics=importlib.metadata.version('pysodmetrics'), rows=[])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter(); write_sets(root, a.n, a.size, a.seed)
        print(f'generated {a.n} soft + {a.n} binary {a.size}x{a.size} pairs in {time.perf_counter() - t0:.1f} s ({root})')
        stems = [f'{i:04d}' for i in range(a.n)]
        t0 = time.perf_counter()
        gts = [read_mask(root / 'gt' / f'{s}.png') for s in stems]
        decoded = {k: [read_mask(root / k / f'{s}.png') for s in stems] for k in ('soft', 'binary')}
        decode_ms = 1000 * (time.perf_counter() - t0) / (3 * a.n)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            for k in ('soft', 'binary'):
                out['rows'].append(bench_set(k, list(zip(decoded[k], gts)), stems, psm, Evaluator))
            t0 = time.perf_counter()
            res = evaluate_folders(root / 'soft', root / 'gt', progress=False)
            folder_ms = 1000 * (time.perf_counter() - t0) / a.n
        assert res['n'] == a.n
    out.update(decode_ms_per_png=decode_ms, evaluate_folders_ms=folder_ms)

    print(f"\n{'set':8s} {'n':>5s} {'PySODMetrics ms/img':>20s} {'focus ms/img':>13s} {'ratio':>7s}   "
          f"{'(CPU ms/img: psm':>17s} {'focus':>6s} {'ratio)':>7s} {'max |diff|':>11s}")
    for r in out['rows']:
        print(f"{r['set']:8s} {r['n']:5d} {r['psm_ms']:20.2f} {r['focus_ms']:13.2f} {r['ratio']:6.1f}x   "
              f"{r['psm_cpu_ms']:17.2f} {r['focus_cpu_ms']:6.2f} {r['cpu_ratio']:6.1f}x {r['max_abs_diff']:11.2e}")
    print(f"load average before/after: {out['load_before']} / {os.getloadavg()[0]:.2f} (2 cores shared: wall-clock ratios are noisier than CPU-time ratios)")
    soft = out['rows'][0]
    print(f"\nPNG decode (focus.core.read_mask): {decode_ms:.2f} ms per file")
    print(f"evaluate_folders (soft set, match + decode 2 PNGs + all metrics): {folder_ms:.2f} ms/img; "
          f"PySODMetrics + the same decoding would be {soft['psm_ms'] + 2 * decode_ms:.2f} ms/img "
          f"(ratio {(soft['psm_ms'] + 2 * decode_ms) / folder_ms:.1f}x)")
    ok = all(r['max_abs_diff'] <= 1e-6 for r in out['rows'])
    print('values equal within 1e-6:', ok)
    if a.json: Path(a.json).write_text(json.dumps(out, indent=1))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
