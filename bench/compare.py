"""fovea beside PyTorch (NCHW and channels_last) and ONNX Runtime, on the layer shapes
and networks of issue 6, with the same thread count each, interleaved over rounds.

What runs:
- layers: every case of `fovea bench conv --list` (AlexNet conv1-3, AlphaGo 3x3 at
  batch 1 and 16, AlphaGo's first layer, a 1x1, an MNIST-size 3x3, AlexNet's max pools
  and LRNs, FC6 and a 2048^3 matmul), forward and forward+backward (PyTorch's
  `y.backward(g)` with input and weights requiring gradients; ONNX Runtime is
  inference-only, so forward only);
- models: LeNet and Keras's MNIST convnet training steps at batch 64 (SGD, momentum
  0.9), AlexNet forward at batch 8, the AlphaGo policy net (k=192) at batch 1 and 16.

Each engine runs in its own process (fovea is `target/release/fovea bench ... --json`;
the Python peers are this script in `--worker` mode), so no thread pool spins beside
another's. Rounds run the engines in rotating order so that drift in the host's speed
hits all of them alike. The table gives, per row, median milliseconds over rounds and
the median over rounds of `peer ms / fovea ms`: above 1 means fovea is faster. For
PyTorch each round takes the faster of its two memory formats ("best").

The Python side lives in a venv outside the repo (default ~/.cache/fovea-bench/venv,
or $FOVEA_BENCH_VENV); it is created and filled from PyPI (torch, numpy, onnx,
onnxruntime) when a package is missing. PyPI's torch is the CUDA build (~5 GB); it runs
on the CPU here.

Usage:
    python3 bench/compare.py [--quick] [--rounds 3] [--threads 2] [--out FILE.json]
                             [--layers NAME,...|all|none] [--models NAME,...|all|none]
                             [--no-build] [--no-spin]
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
FOVEA = ROOT / "target" / "release" / "fovea"
VENV = pathlib.Path(os.environ.get("FOVEA_BENCH_VENV", "~/.cache/fovea-bench/venv")).expanduser()
REQUIREMENTS = ["torch", "numpy", "onnx", "onnxruntime"]
ENGINES = ["fovea", "torch-nchw", "torch-cl", "ort"]
TABLE_PASSES = ["forward", "forward_backward"]

# Timed repetitions (after warm-up); the median counts.
FULL = {"layer_reps": 10, "model_reps": {"lenet-train": 50, "mnist-cnn-train": 50, "alexnet-forward": 5,
                                         "alphago-b1": 30, "alphago-b16": 10}}
QUICK = {"layer_reps": 2, "model_reps": {"lenet-train": 10, "mnist-cnn-train": 10, "alexnet-forward": 2,
                                         "alphago-b1": 10, "alphago-b16": 3}}
# --quick without --layers/--models: one case of each kind, enough to prove every path works.
QUICK_LAYERS = "alphago-3x3-b1,mnist,conv-1x1,alexnet-pool3,alexnet-lrn2,fc6"
QUICK_MODELS = "lenet-train,alphago-b1,alphago-b16"


# ---------------------------------------------------------------------------- driver

def venv_python():
    return VENV / "bin" / "python"


def ensure_venv():
    """The venv's python, created or completed from PyPI when a package is missing."""
    py = venv_python()
    if not py.exists():
        print(f"creating {VENV}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = "import torch, numpy, onnx, onnxruntime"
    if subprocess.run([str(py), "-c", probe], capture_output=True).returncode != 0:
        print(f"installing {' '.join(REQUIREMENTS)} into {VENV}", file=sys.stderr)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True)
    return py


def build_fovea():
    subprocess.run(["cargo", "build", "--release", "-p", "fovea"], cwd=ROOT, check=True)


def fovea_json(args):
    out = subprocess.run([str(FOVEA), *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"fovea {' '.join(args)} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def pick(spec, known, what):
    if spec == "all":
        return list(known)
    if spec == "none":
        return []
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what} {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def run_fovea(layers, models, cfg, threads):
    """{("layer", name, pass) or ("model", name): median ms} from one fovea process per bench."""
    res = {}
    if layers:
        out = fovea_json(["--threads", str(threads), "bench", "conv", "--json", "--shape", ",".join(layers),
                          "--reps", str(cfg["layer_reps"]), "--passes", ",".join(TABLE_PASSES)])
        for r in out["results"]:
            res[("layer", r["name"], r["pass"])] = r["median_ms"]
        res[("peak",)] = out["peak"]
    for m in models:
        out = fovea_json(["--threads", str(threads), "bench", "model", "--json", "--model", m,
                          "--reps", str(cfg["model_reps"][m])])
        for r in out["results"]:
            res[("model", r["name"])] = r["median_ms"]
    return res


def run_worker(py, engine, layer_cases, models, cfg, threads, no_spin):
    spec = {"engine": engine, "layers": layer_cases, "models": models, "cfg": cfg, "threads": threads,
            "no_spin": no_spin}
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if no_spin:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    out = subprocess.run([str(py), __file__, "--worker"], input=json.dumps(spec), capture_output=True,
                         text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{engine} worker failed:\n{out.stderr}")
    res = {}
    for r in json.loads(out.stdout)["results"]:
        key = ("layer", r["name"], r["pass"]) if r["kind"] == "layer" else ("model", r["name"])
        res[key] = r["median_ms"]
    return res


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(rounds, layers, models, layer_info):
    """Rows of the table: fovea's and each peer's median ms, and median per-round ratios."""
    rows = []

    def row(section, label, key):
        f = [r["fovea"].get(key) for r in rounds]
        torch_best = [min((v for v in (r["torch-nchw"].get(key), r["torch-cl"].get(key)) if v is not None),
                          default=None) for r in rounds]
        ort = [r["ort"].get(key) for r in rounds]

        def ratio(peer):
            return median_or_none([p / x if p is not None and x else None for p, x in zip(peer, f)])

        rows.append({
            "section": section, "case": label, "key": list(key),
            "fovea_ms": median_or_none(f),
            "torch_nchw_ms": median_or_none([r["torch-nchw"].get(key) for r in rounds]),
            "torch_cl_ms": median_or_none([r["torch-cl"].get(key) for r in rounds]),
            "torch_best_ms": median_or_none(torch_best),
            "ort_ms": median_or_none(ort),
            "vs_torch": ratio(torch_best), "vs_ort": ratio(ort),
        })

    for p in TABLE_PASSES:
        section = "layer forward" if p == "forward" else "layer forward+backward"
        for name in layers:
            if p in layer_info[name]["passes"]:
                row(section, name, ("layer", name, p))
    for m in models:
        row("model", m, ("model", m))
    return rows


def cell(v, width, unit=""):
    """`v` right-aligned in `width` columns: ms with 3 decimals, ratios with 2 and an x."""
    if v is None:
        text = "-"
    elif unit == "x":
        text = f"{v:.2f}x"
    else:
        text = f"{v:.3f}"
    return text.rjust(width)


def print_table(rows, meta):
    print()
    print(f"fovea vs PyTorch {meta['torch']} (best of NCHW / channels_last) and ONNX Runtime {meta['ort']}, "
          f"{meta['threads']} threads each, {meta['rounds']} rounds{', quick' if meta['quick'] else ''}"
          f"{', peers not spinning' if meta['no_spin'] else ''}; ratio = peer ms / fovea ms (> 1: fovea faster)")
    peak = meta.get("peak")
    if peak:
        print(f"measured fp32 peak: {peak['gflops']:.0f} GFLOP/s on {peak['threads']} threads ({peak['isa']})")
    section = None
    for r in rows:
        if r["section"] != section:
            section = r["section"]
            print()
            print(f"{section:<24}{'fovea ms':>11}{'torch ms':>11}{'nchw ms':>11}{'cl ms':>11}{'ort ms':>11}"
                  f"{'vs torch':>10}{'vs ort':>9}")
        print(f"{r['case']:<24}{cell(r['fovea_ms'], 11)}{cell(r['torch_best_ms'], 11)}"
              f"{cell(r['torch_nchw_ms'], 11)}{cell(r['torch_cl_ms'], 11)}{cell(r['ort_ms'], 11)}"
              f"{cell(r['vs_torch'], 10, 'x')}{cell(r['vs_ort'], 9, 'x')}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="few repetitions: a smoke run, not a measurement")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--layers", help="comma-separated cases of `fovea bench conv --list`, all, none "
                    f"(default all; with --quick {QUICK_LAYERS})")
    ap.add_argument("--models", help="comma-separated `fovea bench model` cases, all, none "
                    f"(default all; with --quick {QUICK_MODELS})")
    ap.add_argument("--out", help="JSON results file (default target/bench/compare-<time>.json)")
    ap.add_argument("--no-build", action="store_true", help="use target/release/fovea as it is")
    ap.add_argument("--no-spin", action="store_true",
                    help="let the peers' idle threads sleep instead of spinning (OMP_WAIT_POLICY=PASSIVE for "
                         "PyTorch, allow_spinning=0 for ONNX Runtime): fairer on a busy shared machine, where "
                         "spinning threads fight the ones doing work; slower on an idle one")
    args = ap.parse_args()
    if args.worker:
        return worker_main()
    if args.rounds < 1 or args.threads < 1:
        raise SystemExit("--rounds and --threads must be at least 1")

    py = ensure_venv()
    if not args.no_build:
        build_fovea()
    if not FOVEA.exists():
        raise SystemExit(f"{FOVEA} is missing; run `cargo build --release -p fovea`")
    cfg = QUICK if args.quick else FULL
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > (os.cpu_count() or 1) and not args.no_spin:
        print(f"warning: load average {load:.1f} on {os.cpu_count()} CPUs: PyTorch's and ONNX Runtime's spinning "
              "thread pools suffer most from a busy host; consider --no-spin", file=sys.stderr)
    listed = fovea_json(["bench", "conv", "--list", "--json"])["cases"]
    layer_info = {c["name"]: c for c in listed}
    layers = pick(args.layers or (QUICK_LAYERS if args.quick else "all"), list(layer_info), "layers")
    models = pick(args.models or (QUICK_MODELS if args.quick else "all"), list(cfg["model_reps"]), "models")
    versions = json.loads(subprocess.run(
        [str(py), "-c", "import json, torch, onnxruntime as o; print(json.dumps([torch.__version__, o.__version__]))"],
        capture_output=True, text=True, check=True).stdout)

    rounds = []
    started = time.time()
    for r in range(args.rounds):
        order = ENGINES[r % len(ENGINES):] + ENGINES[:r % len(ENGINES)]
        results = {}
        for engine in order:
            t0 = time.time()
            if engine == "fovea":
                results[engine] = run_fovea(layers, models, cfg, args.threads)
            else:
                results[engine] = run_worker(py, engine, [layer_info[n] for n in layers], models, cfg, args.threads,
                                             args.no_spin)
            print(f"round {r + 1}/{args.rounds}: {engine} done in {time.time() - t0:.0f} s", file=sys.stderr)
        rounds.append(results)

    peak = next((r["fovea"].get(("peak",)) for r in rounds if ("peak",) in r["fovea"]), None)
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
        "torch": versions[0], "ort": versions[1], "threads": args.threads, "rounds": args.rounds,
        "quick": args.quick, "no_spin": args.no_spin, "load_average_at_start": round(load, 2), "cfg": cfg,
        "peak": peak, "seconds": round(time.time() - started),
    }
    rows = summarize(rounds, layers, models, layer_info)
    print_table(rows, meta)
    out = pathlib.Path(args.out) if args.out else (
        ROOT / "target" / "bench" / f"compare-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = [{e: [{"key": list(k), "median_ms": v} for k, v in res.items() if k != ("peak",)]
            for e, res in rnd.items()} for rnd in rounds]
    out.write_text(json.dumps({"meta": meta, "summary": rows, "rounds": raw}, indent=1))
    print(f"\nresults: {out}")


# ---------------------------------------------------------------------------- workers

def worker_main():
    spec = json.load(sys.stdin)
    engine, threads, cfg = spec["engine"], spec["threads"], spec["cfg"]
    import numpy as np  # noqa: F401  (onnxruntime and torch both need it)
    results = []
    if engine.startswith("torch"):
        import torch
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        from bench_peers import torch_layer, torch_model
        cl = engine == "torch-cl"
        for case in spec["layers"]:
            for p, ms in torch_layer(case, cl, cfg["layer_reps"]).items():
                results.append({"kind": "layer", "name": case["name"], "pass": p, "median_ms": ms})
        for m in spec["models"]:
            results.append({"kind": "model", "name": m, "median_ms": torch_model(m, cl, cfg["model_reps"][m])})
    else:
        from bench_peers import ort_layer, ort_model
        for case in spec["layers"]:
            results.append({"kind": "layer", "name": case["name"], "pass": "forward",
                            "median_ms": ort_layer(case, threads, cfg["layer_reps"], spec["no_spin"])})
        for m in spec["models"]:
            ms = ort_model(m, threads, cfg["model_reps"][m], spec["no_spin"])
            if ms is not None:
                results.append({"kind": "model", "name": m, "median_ms": ms})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    main()
