"""PyTorch twin of conv_timing.rs: same shapes and passes, 2 threads, both memory formats.

~/.cache/fovea-bench/venv/bin/python crates/core/examples/conv_timing_torch.py [filter] [--reps N]
    [--threads N] [--cpu]

--cpu times by the calling thread's CPU time (only meaningful with --threads 1): on a
busy machine it leaves out the time other processes hold the core, like fovea's
CONV_CPU=1 kernel timing.
"""
import sys
import time

import torch

SHAPES = [
    ("alex1", 8, 227, 227, 3, 96, 11, 4, 0),
    ("alex2", 8, 27, 27, 96, 256, 5, 1, 2),
    ("alex3", 8, 13, 13, 256, 384, 3, 1, 1),
    ("go3_b1", 1, 19, 19, 192, 192, 3, 1, 1),
    ("go3_b16", 16, 19, 19, 192, 192, 3, 1, 1),
    ("go5_b16", 16, 19, 19, 48, 192, 5, 1, 2),
    ("pw", 8, 28, 28, 256, 64, 1, 1, 0),
    ("mnist", 64, 28, 28, 32, 64, 3, 1, 1),
    ("lenet1", 64, 28, 28, 1, 6, 5, 1, 2),
    ("lenet2", 64, 14, 14, 6, 16, 5, 1, 0),
]


CLOCK = time.perf_counter


def median_ms(reps, f):
    f()
    t = []
    for _ in range(reps):
        s = CLOCK()
        f()
        t.append((CLOCK() - s) * 1e3)
    t.sort()
    return t[len(t) // 2]


def main():
    global CLOCK
    args = sys.argv[1:]
    torch.set_num_threads(int(args[args.index("--threads") + 1]) if "--threads" in args else 2)
    if "--cpu" in args:
        CLOCK = time.thread_time
    reps = int(args[args.index("--reps") + 1]) if "--reps" in args else 20
    filt = args[0].split(",") if args and not args[0].startswith("--") else [""]
    for name, n, h, w, ci, co, k, s, pad in SHAPES:
        exact = any(f == s[0] for s in SHAPES for f in filt)
        if not any((f == name) if exact else (f in name) for f in filt):
            continue
        best = None
        for fmt in (torch.channels_last, torch.contiguous_format):
            x = torch.rand(n, ci, h, w).mul(2).sub(1).contiguous(memory_format=fmt)
            conv = torch.nn.Conv2d(ci, co, k, stride=s, padding=pad, bias=False).to(memory_format=fmt)
            y = conv(x)
            dy = torch.rand_like(y)
            gflop = 2.0 * n * y.shape[2] * y.shape[3] * co * ci * k * k / 1e9

            def fwd():
                with torch.no_grad():
                    conv(x)

            def run(xg, wg):
                x.requires_grad_(xg)
                conv.weight.requires_grad_(wg)
                x.grad = None
                conv.weight.grad = None
                conv(x).backward(dy)

            r = (
                median_ms(reps, fwd),
                median_ms(reps, lambda: run(True, False)),
                median_ms(reps, lambda: run(False, True)),
                median_ms(reps, lambda: run(True, True)),
            )
            x.requires_grad_(False)
            tag = "cl" if fmt == torch.channels_last else "nchw"
            print(f"{name:8} {tag:4} fwd {r[0]:8.3f} ms ({gflop / r[0] * 1e3:6.1f} GF/s)  fwd+dx {r[1]:8.3f}  "
                  f"fwd+dw {r[2]:8.3f}  fwd+both {r[3]:8.3f}", flush=True)


main()
