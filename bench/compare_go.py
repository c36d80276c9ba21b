"""AlphaGo policy network training throughput in positions/s, fovea vs PyTorch (CPU).

Side by side on this machine.

The network (fovea's `fovea_zoo::go::alphago_policy_with`, crates/zoo/src/go/policy.rs):
input (N, 19, 19, 48); a 5x5 conv of k filters 'same' + ReLU; (layers - 1) 3x3 convs of
k filters 'same' + ReLU; a 1x1 conv to one plane without bias; a learned bias per board
point (19x19); flatten; softmax over the 361 points; sparse categorical cross-entropy;
Adam (lr 5e-4, epsilon 1e-7 as Keras and fovea); batch 32 by default.

- fovea: its real trainer, `fovea --threads T train go-policy --data ../shared/go/tom ...
  --optimizer adam`, on the Tom games, parsing the positions/s of its final line. That
  rate includes what a user gets: batches encoded from real games by `--workers` encoder
  threads beside the T compute threads, the per-step loss and top-1 read back, and the
  held-out scoring (`--val-positions`, forward only) at the epoch's end. It excludes the
  ~5-10 s spent reading the games first. By default fovea runs two epochs of `--steps`
  steps each (`--steps 2S --epoch-steps S`) and the rate is the second epoch's (the
  trainer reports the last epoch's), so the first steps (allocations, the encoder
  filling its queue) do not count; `--cold` runs exactly `--steps S --epoch-steps S`.
- PyTorch: the same network in NCHW and in channels_last (each round takes the faster,
  as compare_lenet.py does), `torch.set_num_threads(T)`, one fixed random batch with
  inputs in [0, 1) and random labels (no data loading), `nn.CrossEntropyLoss` on the
  logits (softmax + cross-entropy fused, what a PyTorch user writes). The timed interval
  mirrors fovea's epoch: S steps that each read back the loss and the top-1 count, then
  a no-grad forward over `--val-positions` positions in chunks of 64. Untimed warm-up
  steps first (none with `--cold`).

Each engine runs in its own process (PyTorch via this script in `--worker` mode inside
the venv), the rounds rotate the engines' order so drift in the host's speed hits all
alike, and the ratio is the median over rounds of fovea pos/s / best PyTorch pos/s
(> 1: fovea faster). The parameter counts of both networks are compared as a check
that they are the same network.

The Python side lives in a venv outside the repo (default ~/.cache/fovea-bench/venv, or
$FOVEA_BENCH_VENV), created and filled from PyPI (torch, numpy) when missing; PyPI's
torch is the CUDA build (~5 GB) and runs on the CPU here. The driver runs in any
Python 3.

Usage:
    python3 bench/compare_go.py [--filters 64,128,192] [--layers 12] [--batch 32]
                                [--steps 40] [--rounds 3] [--threads 2] [--workers 1]
                                [--val-positions 64] [--data ../shared/go/tom]
                                [--cold] [--no-build] [--no-spin] [--json] [--out FILE.json]
"""

import argparse
import datetime
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
FOVEA = ROOT / "target" / "release" / "fovea"
VENV = pathlib.Path(os.environ.get("FOVEA_BENCH_VENV", "~/.cache/fovea-bench/venv")).expanduser()
REQUIREMENTS = ["torch", "numpy"]
ENGINES = ["fovea", "torch-nchw", "torch-cl"]
BOARD, PLANES = 19, 48
TORCH_WARMUP_STEPS = 5

FINAL_LINE = re.compile(r"^step (\d+): held-out top-1 \S+, top-5 \S+ \(([0-9.]+) positions/s\); saved ", re.M)
NETWORK_LINE = re.compile(r"^network: (\d+) filters, (\d+) layers, (\d+) parameters;", re.M)
DATA_WAIT = re.compile(r"data_wait: ([0-9.eE+-]+)")
EPOCH_RATE = re.compile(r"pos_per_s: ([0-9.eE+-]+)")


# ---------------------------------------------------------------------------- driver

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def ensure_venv():
    """The venv's python, created or completed from PyPI when a package is missing."""
    py = VENV / "bin" / "python"
    if not py.exists():
        log(f"creating {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if subprocess.run([str(py), "-c", "import torch, numpy"], capture_output=True).returncode != 0:
        log(f"installing {' '.join(REQUIREMENTS)} into {VENV} (PyPI's torch is ~5 GB)")
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True)
    return py


def cpu_model():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def run_fovea(args, filters):
    """One `fovea train go-policy` run: {pos_per_s, params, data_wait}."""
    steps = args.steps if args.cold else 2 * args.steps
    out_dir = tempfile.mkdtemp(prefix=f"fovea-compare-go-k{filters}-")
    cmd = [str(FOVEA), "--threads", str(args.threads), "train", "go-policy", "--data", str(args.data),
           "--filters", str(filters), "--layers", str(args.layers), "--batch", str(args.batch),
           "--steps", str(steps), "--epoch-steps", str(args.steps), "--val-positions", str(args.val_positions),
           "--workers", str(args.workers), "--optimizer", "adam", "--lr", "0.0005", "--out", out_dir,
           "--verbose", "2"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    final = FINAL_LINE.search(out.stdout)
    if not final or int(final.group(1)) != steps:
        raise SystemExit(f"no final 'step {steps}: ... positions/s' line from fovea:\n{out.stdout[-2000:]}")
    net = NETWORK_LINE.search(out.stdout)
    # --verbose 2 prints one line per epoch; the last is the measured epoch. Its pos_per_s is
    # the final line's rate with 4 decimals (the final line rounds to whole positions/s).
    waits = DATA_WAIT.findall(out.stdout)
    rates = EPOCH_RATE.findall(out.stdout)
    rate = float(final.group(2))
    if rates and abs(float(rates[-1]) - rate) <= 0.5 + 1e-6:
        rate = float(rates[-1])
    return {"pos_per_s": rate, "params": int(net.group(3)) if net else None,
            "data_wait": float(waits[-1]) if waits else None}


def run_torch(py, args, filters, channels_last):
    spec = {"filters": filters, "layers": args.layers, "batch": args.batch, "steps": args.steps,
            "val_positions": args.val_positions, "threads": args.threads, "channels_last": channels_last,
            "warmup": 0 if args.cold else TORCH_WARMUP_STEPS}
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    if args.no_spin:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    out = subprocess.run([str(py), __file__, "--worker"], input=json.dumps(spec), capture_output=True, text=True,
                         env=env)
    if out.returncode != 0:
        raise SystemExit(f"torch worker ({'channels_last' if channels_last else 'NCHW'}) failed:\n{out.stderr}")
    return json.loads(out.stdout)


def measure(py, args, filters):
    """Every round of one configuration: [{engine: result}]."""
    rounds = []
    for r in range(args.rounds):
        order = ENGINES[r % len(ENGINES):] + ENGINES[:r % len(ENGINES)]
        res = {}
        for engine in order:
            t0 = time.time()
            res[engine] = run_fovea(args, filters) if engine == "fovea" else \
                run_torch(py, args, filters, channels_last=engine == "torch-cl")
            log(f"k={filters} round {r + 1}/{args.rounds}: {engine} {res[engine]['pos_per_s']:.1f} pos/s "
                f"({time.time() - t0:.0f} s)")
        rounds.append(res)
    return rounds


def summarize(filters, rounds):
    fovea = [r["fovea"]["pos_per_s"] for r in rounds]
    nchw = [r["torch-nchw"]["pos_per_s"] for r in rounds]
    cl = [r["torch-cl"]["pos_per_s"] for r in rounds]
    best = [max(a, b) for a, b in zip(nchw, cl)]
    params = {"fovea": rounds[0]["fovea"]["params"], "torch": rounds[0]["torch-nchw"]["params"]}
    waits = [r["fovea"]["data_wait"] for r in rounds if r["fovea"]["data_wait"] is not None]
    return {
        "filters": filters,
        "fovea_pos_per_s": statistics.median(fovea),
        "torch_best_pos_per_s": statistics.median(best),
        "torch_nchw_pos_per_s": statistics.median(nchw),
        "torch_cl_pos_per_s": statistics.median(cl),
        "torch_best_layout": "channels_last" if statistics.median(cl) >= statistics.median(nchw) else "nchw",
        "ratio": statistics.median(f / b for f, b in zip(fovea, best)),
        "ratio_per_round": [f / b for f, b in zip(fovea, best)],
        "fovea_data_wait": statistics.median(waits) if waits else None,
        "params": params,
        "rounds": rounds,
    }


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def print_tables(meta, rows):
    print(f"AlphaGo policy training, fovea vs PyTorch {meta['torch']} (best of NCHW / channels_last), "
          f"{meta['threads']} threads each (+{meta['workers']} fovea encoder worker), layers {meta['layers']}, "
          f"batch {meta['batch']}, {meta['steps']} timed steps{' (cold)' if meta['cold'] else ' after warm-up'}, "
          f"{meta['rounds']} rounds{', peers not spinning' if meta['no_spin'] else ''}")
    print(f"CPU: {meta['cpu']} ({meta['cpus']} CPUs), load average at start {meta['load_average_at_start']}")
    print("ratio = fovea pos/s / best PyTorch pos/s, median over rounds (> 1: fovea faster)")
    for row in rows:
        print()
        print(f"k = {row['filters']}  ({row['params']['fovea']} parameters fovea, {row['params']['torch']} PyTorch)")
        print(f"{'round':<8}{'fovea pos/s':>13}{'torch pos/s':>13}{'nchw pos/s':>12}{'cl pos/s':>11}{'ratio':>9}"
              f"{'data_wait':>11}")
        for i, r in enumerate(row["rounds"]):
            f, n, c = r["fovea"]["pos_per_s"], r["torch-nchw"]["pos_per_s"], r["torch-cl"]["pos_per_s"]
            print(f"{i + 1:<8}{f:>13.1f}{max(n, c):>13.1f}{n:>12.1f}{c:>11.1f}{f / max(n, c):>8.2f}x"
                  f"{fmt(r['fovea']['data_wait'], '>11.3f')}")
        print(f"{'median':<8}{row['fovea_pos_per_s']:>13.1f}{row['torch_best_pos_per_s']:>13.1f}"
              f"{row['torch_nchw_pos_per_s']:>12.1f}{row['torch_cl_pos_per_s']:>11.1f}{row['ratio']:>8.2f}x"
              f"{fmt(row['fovea_data_wait'], '>11.3f')}")
        print(f"k = {row['filters']}: fovea {row['fovea_pos_per_s']:.1f} pos/s | PyTorch {row['torch_best_pos_per_s']:.1f} "
              f"pos/s (faster layout each round; by median {row['torch_best_layout']}) | "
              f"ratio {row['ratio']:.2f}x")
    print()
    print("torch = the faster of NCHW / channels_last in that round; data_wait = the share of fovea's measured epoch "
          "spent waiting for the encoder's batches")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--filters", default="64,128,192", help="comma-separated k values, one table each")
    ap.add_argument("--layers", type=int, default=12, help="hidden convolutions (one 5x5, then 3x3s)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=40, help="timed training steps per measurement")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="compute threads of each engine")
    ap.add_argument("--workers", type=int, default=1, help="fovea's encoder threads (`--workers`)")
    ap.add_argument("--val-positions", type=int, default=64,
                    help="held-out positions scored at the epoch's end (fovea) / forward-only positions (PyTorch)")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "go" / "tom"), help="games for fovea's trainer")
    ap.add_argument("--cold", action="store_true",
                    help="no warm-up: fovea runs --steps S --epoch-steps S, PyTorch times from its first step")
    ap.add_argument("--no-build", action="store_true", help="use target/release/fovea as it is")
    ap.add_argument("--no-spin", action="store_true",
                    help="OMP_WAIT_POLICY=PASSIVE for PyTorch: fairer on a busy shared machine (see README)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    ap.add_argument("--out", help="also write the JSON object to this file")
    args = ap.parse_args()
    if args.worker:
        return worker_main()
    try:
        filters = [int(v) for v in args.filters.split(",") if v.strip()]
    except ValueError:
        raise SystemExit(f"--filters: expected comma-separated integers, got '{args.filters}'")
    if not filters or min(filters) < 1:
        raise SystemExit("--filters: at least one k, each at least 1")
    for name in ("layers", "batch", "steps", "rounds", "threads", "workers"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name} must be at least 1")
    if args.val_positions < 0:
        raise SystemExit("--val-positions must be at least 0")
    if not pathlib.Path(args.data).exists():
        raise SystemExit(f"--data {args.data}: not found (the Tom games live in ../shared/go/tom)")

    py = ensure_venv()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "fovea"], cwd=ROOT, check=True)
    if not FOVEA.exists():
        raise SystemExit(f"{FOVEA} is missing; run `cargo build --release -p fovea`")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > (os.cpu_count() or 1):
        log(f"warning: load average {load:.1f} on {os.cpu_count()} CPUs: the numbers will be noisy"
            f"{'' if args.no_spin else '; consider --no-spin'}")
    torch_version = subprocess.run([str(py), "-c", "import torch; print(torch.__version__)"],
                                   capture_output=True, text=True, check=True).stdout.strip()

    started = time.time()
    rows = []
    for k in filters:
        rows.append(summarize(k, measure(py, args, k)))
        if rows[-1]["params"]["fovea"] != rows[-1]["params"]["torch"]:
            log(f"warning: k={k}: fovea's network has {rows[-1]['params']['fovea']} parameters, PyTorch's "
                f"{rows[-1]['params']['torch']}")
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"), "cpu": cpu_model(), "cpus": os.cpu_count(),
        "torch": torch_version, "threads": args.threads, "workers": args.workers, "layers": args.layers,
        "batch": args.batch, "steps": args.steps, "rounds": args.rounds, "val_positions": args.val_positions,
        "cold": args.cold, "no_spin": args.no_spin, "load_average_at_start": round(load, 2),
        "seconds": round(time.time() - started),
    }
    result = {"meta": meta, "configs": rows}
    if args.out:
        pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(args.out).write_text(json.dumps(result, indent=1))
    if args.json:
        print(json.dumps(result))
    else:
        print_tables(meta, rows)


# ---------------------------------------------------------------------------- worker

def torch_policy(filters, layers):
    """fovea's alphago_policy_with in PyTorch: returns logits (N, 361)."""
    import torch
    from torch import nn

    class PositionBias(nn.Module):
        def __init__(self):
            super().__init__()
            self.bias = nn.Parameter(torch.zeros(1, 1, BOARD, BOARD))

        def forward(self, x):
            return x + self.bias

    mods = [nn.Conv2d(PLANES, filters, 5, padding=2), nn.ReLU()]
    for _ in range(layers - 1):
        mods += [nn.Conv2d(filters, filters, 3, padding=1), nn.ReLU()]
    mods += [nn.Conv2d(filters, 1, 1, bias=False), PositionBias(), nn.Flatten()]
    net = nn.Sequential(*mods)
    for m in net.modules():  # the trainer's he-normal kernels, zero biases
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return net


def worker_main():
    spec = json.load(sys.stdin)
    import torch
    from torch import nn
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    cl = spec["channels_last"]
    fmt_ = torch.channels_last if cl else torch.contiguous_format
    model = torch_policy(spec["filters"], spec["layers"]).to(memory_format=fmt_)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    n = spec["batch"]
    x = torch.rand(n, PLANES, BOARD, BOARD).contiguous(memory_format=fmt_)
    y = torch.randint(0, BOARD * BOARD, (n,))
    xv = torch.rand(min(64, max(spec["val_positions"], 1)), PLANES, BOARD, BOARD).contiguous(memory_format=fmt_)

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = loss_fn(logits, y)
        loss.backward()
        opt.step()
        # what fovea's train_step reads back each step: the loss and the top-1 count
        return loss.item(), int((logits.detach().argmax(1) == y).sum())

    def evaluate(positions):  # fovea scores the held-out positions in chunks of 64, forward only
        with torch.no_grad():
            model.eval()
            for start in range(0, positions, 64):
                torch.softmax(model(xv[:min(64, positions - start)]), 1).max()
            model.train()

    for _ in range(spec["warmup"]):
        step()
    if spec["warmup"]:
        evaluate(spec["val_positions"])
    t0 = time.perf_counter()
    for _ in range(spec["steps"]):
        step()
    evaluate(spec["val_positions"])
    seconds = time.perf_counter() - t0
    json.dump({"pos_per_s": spec["steps"] * n / seconds, "seconds": seconds,
               "params": sum(p.numel() for p in model.parameters())}, sys.stdout)


if __name__ == "__main__":
    main()
