"""CPU inference of one FOCUS model, five engines side by side: eager fp32, torch.compile, bf16 autocast, ONNX Runtime
fp32 and ONNX Runtime with dynamic int8 weights. Per preset and engine: seconds per 512×512 image (median of
--repeat after a warm-up), the process's peak memory, the largest |Δ| of the soft maps against eager fp32, and the
change of Sα and Fβ^w on FOCUS-Synth test images. Peak memory is the process's resident high-water mark from the
model's loading to the last image (reset by Linux's clear_refs just before); base_MB is the resident memory at that
point (Python, torch, the libraries and the test images), which every engine carries.

Usage: python bench/bench_infer.py [--presets small,paper-L] [--size 512] [--threads 2] [--images 8] [--repeat 3]
           [--checkpoint small=PATH]       # trained weights for a preset (default: random weights)
           [--task cod] [--out bench/bench_infer.csv]

Every (preset, engine) runs in its own process (`--worker`), so its peak memory is its own. All engines see the
same input (each image resized to S×S, as an exported graph needs) and share the host code around the network
(`focus.export`: edge image, upsampling, merge). The ONNX graphs are exported once per preset, and quantised with
`onnxruntime.quantization.quantize_dynamic` (int8 weights of MatMul/Gemm, activations quantised on the fly).
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

ENGINES = ('eager', 'compile', 'bf16', 'ort', 'ort-int8')


def load(preset: str, checkpoint: str | None):
    import torch
    from focus.model import build_model
    from focus.convert import load_model
    if checkpoint: return load_model(checkpoint).eval()
    torch.manual_seed(0)
    return build_model(preset, pretrained=False, clip=False).eval()


def test_images(task: str, n: int):
    "The first `n` FOCUS-Synth test images and masks of `task` (made if missing)."
    from focus.core import default_data_root, read_image, read_mask
    from focus.train import ensure_synth
    root = default_data_root()
    ensure_synth(root, task, False)
    d = root/'FOCUS-Synth'/task/'test'
    stems = sorted(p.stem for p in (d/'images').glob('*.png'))[:n]
    return [read_image(d/'images'/f'{s}.png') for s in stems], [read_mask(d/'masks'/f'{s}.png') for s in stems]


def peak_rss_mb() -> float:
    "This process's peak resident memory since the last reset (VmHWM), in MB."
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024
    return float('nan')


def worker(a):
    "One engine of one preset in this process: timings and maps to a JSON + NPZ file."
    import numpy as np, torch
    torch.set_num_threads(a.threads)
    from focus.export import InferenceGraph, OnnxModel, square_maps
    images, _ = test_images(a.task, a.images)
    S, work = a.size, Path(a.work)
    Path('/proc/self/clear_refs').write_text('5')      # the high-water mark restarts from here …
    base = peak_rss_mb()                                # … at the libraries' and images' memory
    if a.engine.startswith('ort'):
        om = OnnxModel(work/f'{a.preset}{"-int8" if a.engine == "ort-int8" else ""}.onnx', threads=a.threads)
        predict = lambda im: om.predict([im])[0]
    else:
        model = load(a.preset, a.checkpoint)
        g = InferenceGraph(model).eval()
        inputs = g.inputs                                  # read before compiling wraps the module
        if a.engine == 'compile': g = torch.compile(g)
        amp = torch.autocast('cpu', dtype=torch.bfloat16, enabled=a.engine == 'bf16')
        def run(feeds):
            with amp: return g(**feeds)
        @torch.no_grad()
        def predict(im):
            return square_maps(run, [im], S, inputs, model.cfg.fidelity)[0]
    from PIL import Image
    one = np.asarray(Image.fromarray(images[0]).resize((S, S)))        # the timed image: S×S in and out
    t0 = time.perf_counter(); predict(one); first = time.perf_counter() - t0     # warm-up (compiles)
    times = []
    for _ in range(a.repeat):
        t0 = time.perf_counter(); predict(one); times.append(time.perf_counter() - t0)
    maps = [predict(im) for im in images]
    np.savez(work/f'maps-{a.preset}-{a.engine}.npz', *maps)
    rec = dict(preset=a.preset, engine=a.engine, first_s=first, s_per_image=float(np.median(times)),
               peak_MB=peak_rss_mb(), base_MB=base)
    (work/f'rec-{a.preset}-{a.engine}.json').write_text(json.dumps(rec))


def prepare(preset: str, a, work: Path):
    "Export the preset's graph at --size and quantise it (timed)."
    from focus.export import export_onnx
    from onnxruntime.quantization import quantize_dynamic, QuantType
    model = load(preset, a.ckpt.get(preset))
    t0 = time.perf_counter()
    export_onnx(model, work/f'{preset}.onnx', size=a.size)
    t1 = time.perf_counter()
    quantize_dynamic(str(work/f'{preset}.onnx'), str(work/f'{preset}-int8.onnx'), weight_type=QuantType.QInt8,
                     use_external_data_format=(work/f'{preset}.onnx.data').exists())
    import onnx                                              # keep focus's metadata on the quantised graph
    src, dst = onnx.load(str(work/f'{preset}.onnx'), load_external_data=False), onnx.load(str(work/f'{preset}-int8.onnx'))
    onnx.helper.set_model_props(dst, {p.key: p.value for p in src.metadata_props})
    onnx.save(dst, str(work/f'{preset}-int8.onnx'))
    return dict(export_s=t1 - t0, quantise_s=time.perf_counter() - t1,
                onnx_MB=(work/f'{preset}.onnx').stat().st_size / 2 ** 20,
                int8_MB=(work/f'{preset}-int8.onnx').stat().st_size / 2 ** 20)


def scores(maps, masks) -> dict:
    "Sα and Fβ^w (standard protocol) of soft maps, quantised to 8 bits as the PNG maps are."
    import numpy as np
    from focus.metrics import Evaluator
    ev = Evaluator('standard')
    for m, gt in zip(maps, masks):
        import cv2
        m8 = np.uint8(np.rint(255 * cv2.resize(m, gt.shape[::-1], interpolation=cv2.INTER_LINEAR).clip(0, 1)))
        ev.step(m8, gt)
    d = ev.result()['dataset']
    return dict(S=d['Sm'], Fwb=d['wFm'])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--presets', default='small,paper-L'); ap.add_argument('--engines', default=','.join(ENGINES))
    ap.add_argument('--size', type=int, default=512); ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--images', type=int, default=8); ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--task', default='cod'); ap.add_argument('--checkpoint', action='append', default=[])
    ap.add_argument('--out', default='bench/bench_infer.csv')
    ap.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--preset', help=argparse.SUPPRESS); ap.add_argument('--engine', help=argparse.SUPPRESS)
    ap.add_argument('--work', help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.ckpt = dict(c.split('=', 1) for c in a.checkpoint)
    if a.worker:
        a.checkpoint = a.ckpt.get(a.preset)
        return worker(a)
    import numpy as np, pandas as pd
    work = Path(tempfile.mkdtemp(prefix='bench_infer.'))
    _, masks = test_images(a.task, a.images)
    rows = []
    for preset in a.presets.split(','):
        prep = prepare(preset, a, work)
        print(preset, {k: round(v, 1) for k, v in prep.items()}, flush=True)
        for engine in a.engines.split(','):
            cmd = [sys.executable, __file__, '--worker', '--preset', preset, '--engine', engine, '--work', str(work),
                   '--size', str(a.size), '--threads', str(a.threads), '--images', str(a.images),
                   '--repeat', str(a.repeat), '--task', a.task, *[x for c in a.checkpoint for x in ('--checkpoint', c)]]
            env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)   # a failed engine is reported, not fatal
            if r.returncode: print(f"{preset} {engine}: failed\n{r.stderr[-3000:]}", flush=True); continue
            rec = json.loads((work/f'rec-{preset}-{engine}.json').read_text())
            z = np.load(work/f'maps-{preset}-{engine}.npz'); rec['maps'] = [z[k] for k in z.files]
            rec.update(scores(rec['maps'], masks)); rows.append(rec)
            print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in rec.items() if k != 'maps'}, flush=True)
        base = next((r for r in rows if r['preset'] == preset and r['engine'] == 'eager'), None)
        for r in rows:
            if r['preset'] == preset and base is not None:
                r['max_delta'] = max(float(np.abs(x - y).max()) for x, y in zip(r['maps'], base['maps']))
                r['dS'], r['dFwb'] = r['S'] - base['S'], r['Fwb'] - base['Fwb']
                r['speedup'] = base['s_per_image'] / r['s_per_image']
                r.update(prep)
    df = pd.DataFrame([{k: v for k, v in r.items() if k != 'maps'} for r in rows])
    df.to_csv(a.out, index=False, float_format='%.6g')
    cols = ['preset', 'engine', 's_per_image', 'speedup', 'first_s', 'peak_MB', 'base_MB', 'max_delta', 'S', 'dS', 'Fwb', 'dFwb']
    print(df[[c for c in cols if c in df]].to_string(index=False, float_format=lambda v: f'{v:.4g}'))


if __name__ == '__main__':
    main()
