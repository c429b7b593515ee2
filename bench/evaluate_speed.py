"""Time `focus evaluate` against a PySODMetrics script on the same PNG files, on one thread.

Writes N deterministic pairs of SIZE x SIZE PNGs (a soft prediction and its GT: ellipses, bars, holes, false
positives; the generator of bench/bench_metrics.py) to a temporary folder, then times, best of R runs each:

  * in process: `focus.metrics.evaluate_folders` (file matching, one decode per file, every metric: MAE, Sm, Em,
    wFm, Fm plus BER, F1, AUC and the curves) against the PySODMetrics loop below;
  * wall time of a fresh process: the `focus evaluate` command (`python -m focus.cli evaluate … --json --csv`)
    against the same PySODMetrics loop run as a script (`python -c`), interpreter start and imports included.

The two are run in turn (PySODMetrics, focus, PySODMetrics, …) so that both see the same machine load, and CPU
time (user + system, children included) is reported beside wall time: it depends much less on other processes.

The PySODMetrics script reads each file with `cv2.imread(path, cv2.IMREAD_GRAYSCALE)` and steps MAE, Smeasure,
Emeasure, WeightedFmeasure and Fmeasure (py_sod_metrics 1.6.x), then reads their results. Everything runs on one
thread: OMP/MKL/OPENBLAS/NUMEXPR_NUM_THREADS=1, `cv2.setNumThreads(1)`, `torch.set_num_threads(1)` when torch is
installed, and OPENCV_FOR_THREADS_NUM=1; the fresh processes are also pinned to one CPU (`os.sched_setaffinity`),
since the `focus` command does not call `cv2.setNumThreads`. The script also checks that both give the same MAE,
Sm, Em_mean, wFm and Fm_adp (within 1e-6).

Usage:  python bench/evaluate_speed.py [--n 120] [--size 512] [--seed 0] [--repeat 3] [--json out.json]
"""
import os
for _k in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'NUMEXPR_NUM_THREADS',
           'OPENCV_FOR_THREADS_NUM'): os.environ[_k] = '1'
import argparse, importlib.metadata, io, json, platform, resource, runpy, subprocess, sys, tempfile, time
from contextlib import redirect_stdout
from pathlib import Path
import numpy as np
import cv2
cv2.setNumThreads(1)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_metrics import make_pair   # the same generator as the metrics benchmark

PSM_SCRIPT = '''
import os, sys, warnings
for k in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'NUMEXPR_NUM_THREADS'): os.environ[k] = '1'
import cv2
cv2.setNumThreads(1)
with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    import py_sod_metrics as psm
warnings.simplefilter("ignore")   # its Fmeasure warns that FmeasureV2 will replace it

def psm_folders(pred_dir, gt_dir):
    ms = dict(mae=psm.MAE(), sm=psm.Smeasure(), em=psm.Emeasure(), wfm=psm.WeightedFmeasure(), fm=psm.Fmeasure())
    for name in sorted(os.listdir(gt_dir)):
        gt = cv2.imread(os.path.join(gt_dir, name), cv2.IMREAD_GRAYSCALE)
        pred = cv2.imread(os.path.join(pred_dir, name), cv2.IMREAD_GRAYSCALE)
        if pred.shape != gt.shape: pred = cv2.resize(pred, gt.shape[::-1], interpolation=cv2.INTER_LINEAR)
        for m in ms.values(): m.step(pred, gt)
    em, fm = ms['em'].get_results()['em'], ms['fm'].get_results()['fm']
    return dict(MAE=ms['mae'].get_results()['mae'], Sm=ms['sm'].get_results()['sm'], Em_mean=em['curve'].mean(),
                wFm=ms['wfm'].get_results()['wfm'], Fm_adp=fm['adp'])

if __name__ == '__main__': print(psm_folders(sys.argv[1], sys.argv[2]))
'''


def write_pairs(root: Path, n: int, size: int, seed: int):
    "N soft predictions and their GTs as 8-bit grey PNGs in root/pred and root/gt."
    rng = np.random.default_rng(seed)
    for d in ('pred', 'gt'): (root/d).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        pred, gt = make_pair(rng, size)
        cv2.imwrite(str(root/'pred'/f'{i:04d}.png'), pred)
        cv2.imwrite(str(root/'gt'/f'{i:04d}.png'), gt)


def timed(f) -> tuple:
    "(wall s, CPU s of this process and its children, result) of one call f()."
    def cpu():
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    t0, c0 = time.perf_counter(), cpu()
    out = f()
    return time.perf_counter() - t0, cpu() - c0, out


def best_interleaved(repeat: int, f, g) -> tuple:
    "Best wall and best CPU seconds of f() and of g() over `repeat` rounds f, g, f, g, … (both see the same load)."
    best = [[float('inf')] * 2 for _ in range(2)]
    outs = [None, None]
    for _ in range(repeat):
        for i, h in enumerate((f, g)):
            w, c, outs[i] = timed(h)
            best[i] = [min(best[i][0], w), min(best[i][1], c)]
    return best[0], best[1], outs


def one_cpu():
    "Pin the calling process (a child, before exec) to one CPU: one thread whatever a library starts."
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def run(cmd):
    "Run `cmd` in a fresh process pinned to one CPU; its stdout."
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ), preexec_fn=one_cpu,
                       check=False)
    if r.returncode: raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{r.stderr[-2000:]}")
    return r.stdout


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=120, help='prediction / GT pairs')
    ap.add_argument('--size', type=int, default=512)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--repeat', type=int, default=3, help='runs of each timing; the best is kept')
    ap.add_argument('--json', default=None, help='also write the numbers here')
    a = ap.parse_args(argv)
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError: pass
    from focus.metrics import evaluate_folders
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_pairs(tmp, a.n, a.size, a.seed)
        P, G = tmp/'pred', tmp/'gt'
        (tmp/'psm.py').write_text(PSM_SCRIPT)
        psm_folders = runpy.run_path(str(tmp/'psm.py'))['psm_folders']   # the script's function, in process
        psm_folders(P, G)                                               # warm-up: imports, caches, page cache
        with redirect_stdout(io.StringIO()): evaluate_folders(P, G, progress=False)
        (t_psm, c_psm), (t_ours, c_ours), (ref, res) = best_interleaved(
            a.repeat, lambda: psm_folders(P, G), lambda: evaluate_folders(P, G, progress=False, notes=False))
        diff = max(abs(res['dataset'][k] - float(v)) for k, v in ref.items())
        cli = [sys.executable, '-m', 'focus.cli', 'evaluate', '--pred', P, '--gt', G, '--json', tmp/'r.json',
               '--csv', tmp/'r.csv', '--quiet']
        (w_psm, wc_psm), (w_cli, wc_cli), _ = best_interleaved(
            a.repeat, lambda: run([sys.executable, tmp/'psm.py', P, G]), lambda: run(cli))
    rows = dict(in_process=dict(pysodmetrics_s=t_psm, focus_s=t_ours, ratio=t_psm / t_ours,
                                pysodmetrics_cpu_s=c_psm, focus_cpu_s=c_ours, cpu_ratio=c_psm / c_ours),
                fresh_process=dict(pysodmetrics_s=w_psm, focus_s=w_cli, ratio=w_psm / w_cli,
                                   pysodmetrics_cpu_s=wc_psm, focus_cpu_s=wc_cli, cpu_ratio=wc_psm / wc_cli))
    out = dict(n=a.n, size=a.size, seed=a.seed, repeat=a.repeat, threads=1, load_after=round(os.getloadavg()[0], 2),
               python=platform.python_version(), numpy=np.__version__, opencv=cv2.__version__,
               pysodmetrics=importlib.metadata.version('pysodmetrics'), max_abs_diff=diff, **rows)
    print(f"{a.n} pairs of {a.size}x{a.size} PNGs, one thread, best of {a.repeat}, the two interleaved "
          f"(load average after: {out['load_after']})")
    print(f"{'seconds':24}{'PySODMetrics':>14}{'focus':>8}{'ratio':>8}   {'CPU: PySODMetrics':>18}{'focus':>8}{'ratio':>8}")
    for name, r in (('in process', rows['in_process']), ('wall, fresh process', rows['fresh_process'])):
        print(f"{name:24}{r['pysodmetrics_s']:14.2f}{r['focus_s']:8.2f}{r['ratio']:7.1f}x   "
              f"{r['pysodmetrics_cpu_s']:18.2f}{r['focus_cpu_s']:8.2f}{r['cpu_ratio']:7.1f}x")
    print(f"per image, in process: PySODMetrics {1000 * t_psm / a.n:.1f} ms, focus {1000 * t_ours / a.n:.1f} ms")
    print(f"largest difference in MAE, Sm, Em_mean, wFm, Fm_adp: {diff:.1e}")
    if a.json: Path(a.json).write_text(json.dumps(out, indent=1))
    if diff > 1e-6: raise SystemExit(f"focus and PySODMetrics disagree by {diff:.2e}")
    return out


if __name__ == '__main__':
    main()
