"""fovea (conv_timing example) against PyTorch (conv_timing_torch.py), interleaved shape by
shape and round by round so that a shared machine's load hits both alike; prints each
pass's median over rounds and the ratio PyTorch best / fovea (> 1: fovea faster).

    cargo build --release -p fovea-core --example conv_timing
    ~/.cache/fovea-bench/venv/bin/python crates/core/examples/conv_compare.py \
        [--rounds 3] [--reps 10] [--threads 2] [--cpu] [shape,shape,...]

--cpu (with --threads 1) compares CPU time rather than wall time.
"""
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
FOVEA = os.path.join(ROOT, "target", "release", "examples", "conv_timing")
TORCH = os.path.join(HERE, "conv_timing_torch.py")
SHAPES = ["alex1", "alex2", "alex3", "go3_b1", "go3_b16", "go5_b16", "pw", "mnist", "lenet1", "lenet2"]
PASSES = ["fwd", "fwd+dx", "fwd+dw", "fwd+both"]
LINE = re.compile(r"^(\S+)\s+(?:(cl|nchw)\s+)?fwd\s+([\d.]+) ms.*fwd\+dx\s+([\d.]+)\s+fwd\+dw\s+([\d.]+)\s+fwd\+both\s+([\d.]+)")


def arg(name, default):
    a = sys.argv[1:]
    return a[a.index(name) + 1] if name in a else default


def parse(text):
    out = {}
    for line in text.splitlines():
        m = LINE.match(line.strip())
        if m:
            vals = [float(v) for v in m.group(3, 4, 5, 6)]
            prev = out.get(m.group(1))
            out[m.group(1)] = vals if prev is None else [min(a, b) for a, b in zip(prev, vals)]
    return out


def main():
    rounds, reps, threads = int(arg("--rounds", 3)), arg("--reps", "10"), arg("--threads", "2")
    cpu = ["--cpu"] if "--cpu" in sys.argv else []
    pos = [a for i, a in enumerate(sys.argv[1:]) if not a.startswith("--") and not sys.argv[i].startswith("--")]
    shapes = pos[0].split(",") if pos else SHAPES
    env = dict(os.environ, FOVEA_NUM_THREADS=threads)
    res = {s: ([], []) for s in shapes}
    for _ in range(rounds):
        for s in shapes:
            f = parse(subprocess.run([FOVEA, s, "--reps", reps] + cpu, env=env, capture_output=True, text=True).stdout)
            t = parse(subprocess.run([sys.executable, TORCH, s, "--reps", reps, "--threads", threads] + cpu,
                                     capture_output=True, text=True).stdout)
            res[s][0].append(f[s])
            res[s][1].append(t[s])
    print(f"{'shape':8} " + "  ".join(f"{p:>22}" for p in PASSES))
    print(f"{'':8} " + "  ".join(f"{'fovea/torch ms  ratio':>22}" for _ in PASSES))
    for s in shapes:
        f = [statistics.median(r[i] for r in res[s][0]) for i in range(4)]
        t = [statistics.median(r[i] for r in res[s][1]) for i in range(4)]
        print(f"{s:8} " + "  ".join(f"{a:7.2f}/{b:7.2f} {b / a:5.2f}x" for a, b in zip(f, t)), flush=True)


main()
