"""LeNet-5 training speed, fovea vs PyTorch (CPU), side by side on this machine.

Both train the same network on batches of 64 28x28x1 images with 2 threads each:
- `--model lenet-recipe` (default): what `fovea train lenet` trains — conv F1@5x5 same -
  batch norm - relu - maxpool 2 - conv F2@5x5 same - batch norm - relu - maxpool 2 -
  dense 120 - dropout 0.1 - dense 84 - dropout 0.1 - dense 10, Adam (lr 1e-3), with
  `--filters F1,F2` (default 16,32 as `fovea train lenet`; 6,16 is LeNet-5's);
- `--model lenet`: classic LeNet-5 (conv 6@5x5 same - relu - maxpool 2 - conv 16@5x5 -
  relu - maxpool 2 - dense 120 - dense 84 - dense 10), SGD with momentum 0.9.
Both use cross-entropy on class ids. Rounds alternate
fovea and PyTorch so that drift in the host's speed hits both alike; the table reports
each round and the median ratio.

Usage (the venv lives outside the repo; PyTorch from PyPI is the CUDA build, ~5 GB,
and runs on the CPU here):
    python3 -m venv ~/.cache/fovea-bench/venv
    ~/.cache/fovea-bench/venv/bin/pip install torch numpy
    cargo build --release -p fovea
    ~/.cache/fovea-bench/venv/bin/python bench/compare_lenet.py [--rounds 3] [--steps 200]
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")

import torch  # noqa: E402
from torch import nn  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
FOVEA = ROOT / "target" / "release" / "fovea"


def torch_lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def torch_lenet_recipe(f1, f2):
    return nn.Sequential(
        nn.Conv2d(1, f1, 5, padding=2, bias=False), nn.BatchNorm2d(f1, eps=1e-3, momentum=0.01), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(f1, f2, 5, padding=2, bias=False), nn.BatchNorm2d(f2, eps=1e-3, momentum=0.01), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(7 * 7 * f2, 120), nn.ReLU(), nn.Dropout(0.1),
        nn.Linear(120, 84), nn.ReLU(), nn.Dropout(0.1),
        nn.Linear(84, 10),
    )


def torch_images_per_sec(model_name, filters, steps, batch, channels_last):
    torch.manual_seed(0)
    model = torch_lenet_recipe(*filters) if model_name == "lenet-recipe" else torch_lenet()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    if model_name == "lenet-recipe":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, 1, 28, 28)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,))
    for _ in range(10):  # warm up
        opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return steps * batch / (time.perf_counter() - start)


def fovea_images_per_sec(model_name, filters, steps, batch):
    shape = ["--filters", ",".join(map(str, filters))] if model_name == "lenet-recipe" else []
    out = subprocess.run(
        [str(FOVEA), "--threads", "2", "bench", "train-step", "--model", model_name, *shape,
         "--batch-size", str(batch), "--steps", str(steps), "--json"],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)["images_per_sec"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--model", choices=["lenet-recipe", "lenet"], default="lenet-recipe")
    ap.add_argument("--filters", default="16,32", help="lenet-recipe's conv filters F1,F2")
    args = ap.parse_args()
    filters = tuple(int(v) for v in args.filters.split(","))
    torch.set_num_threads(2)
    shape = f", filters {filters[0]},{filters[1]}" if args.model == "lenet-recipe" else ""
    print(f"model: {args.model}{shape}, batch {args.batch_size}, {args.steps} steps per measurement")
    rows = []
    for r in range(args.rounds):
        f = fovea_images_per_sec(args.model, filters, args.steps, args.batch_size)
        t = torch_images_per_sec(args.model, filters, args.steps, args.batch_size, channels_last=False)
        tc = torch_images_per_sec(args.model, filters, args.steps, args.batch_size, channels_last=True)
        rows.append((f, t, tc))
        print(f"round {r + 1}: fovea {f:9.0f} img/s | torch NCHW {t:9.0f} img/s | torch channels_last {tc:9.0f} img/s")
    ratio = statistics.median(f / max(t, tc) for f, t, tc in rows)
    med = [statistics.median(c) for c in zip(*rows)]
    print(f"median: fovea {med[0]:.0f} img/s, torch best {max(med[1], med[2]):.0f} img/s")
    print(f"median ratio fovea / best torch: {ratio:.2f}x")
    print(f"epoch of 60,000 images: fovea {60000 / med[0]:.1f} s, torch {60000 / max(med[1], med[2]):.1f} s")


if __name__ == "__main__":
    main()
