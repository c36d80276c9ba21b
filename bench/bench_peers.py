"""The peers' side of bench/compare.py: the same layers and networks as
`fovea bench conv` and `fovea bench model`, in PyTorch and in ONNX Runtime.

Networks are written once, as lists of layer specs (NCHW), and turned into a torch
module or an ONNX graph built with the `onnx.helper` API (no exporter involved).
Weights are random: only time is measured.
"""

import statistics
import time

import numpy as np

WARMUP = 1
TRAIN_WARMUP = 3


def median_ms(fn, reps, warmup=WARMUP, setup=None):
    """Median over `reps` timed calls of fn(setup()) after `warmup` untimed ones."""
    times = []
    for i in range(warmup + reps):
        state = setup() if setup else None
        t0 = time.perf_counter()
        fn(state)
        dt = (time.perf_counter() - t0) * 1e3
        if i >= warmup:
            times.append(dt)
    return statistics.median(times)


# ------------------------------------------------------------------ network specs (NCHW)

def conv(cin, cout, k, stride=1, pad=0, relu=True, bias=True):
    return ("conv", cin, cout, k, stride, pad, relu, bias)


LRN_ALEXNET = ("lrn", 2, 2.0, 1e-4, 0.75)  # depth_radius, bias, alpha (TensorFlow's), beta

NETS = {
    "lenet": [conv(1, 6, 5, pad=2), ("maxpool", 2, 2), conv(6, 16, 5), ("maxpool", 2, 2), ("flatten",),
              ("dense", 400, 120, "relu"), ("dense", 120, 84, "relu"), ("dense", 84, 10, "softmax")],
    # Keras's "simple MNIST convnet".
    "mnist_cnn": [conv(1, 32, 3), ("maxpool", 2, 2), conv(32, 64, 3), ("maxpool", 2, 2), ("flatten",),
                  ("dropout", 0.5), ("dense", 1600, 10, "softmax")],
    "alexnet": [conv(3, 96, 11, stride=4), ("maxpool", 3, 2), LRN_ALEXNET,
                conv(96, 256, 5, pad=2), ("maxpool", 3, 2), LRN_ALEXNET,
                conv(256, 384, 3, pad=1), conv(384, 384, 3, pad=1), conv(384, 256, 3, pad=1), ("maxpool", 3, 2),
                ("flatten",), ("dropout", 0.5), ("dense", 9216, 4096, "relu"), ("dropout", 0.5),
                ("dense", 4096, 4096, "relu"), ("dense", 4096, 1000, "softmax")],
    "alphago": [conv(48, 192, 5, pad=2)] + [conv(192, 192, 3, pad=1) for _ in range(11)]
               + [conv(192, 1, 1, relu=False, bias=False), ("flatten",), ("posbias", 361), ("softmax",)],
}
INPUTS = {"lenet": (1, 28, 28), "mnist_cnn": (1, 28, 28), "alexnet": (3, 227, 227), "alphago": (48, 19, 19)}
# fovea bench model's cases: (network, batch, training step or inference)
MODELS = {
    "lenet-train": ("lenet", 64, True),
    "mnist-cnn-train": ("mnist_cnn", 64, True),
    "alexnet-forward": ("alexnet", 8, False),
    "alphago-b1": ("alphago", 1, False),
    "alphago-b16": ("alphago", 16, False),
}


# ---------------------------------------------------------------------------- PyTorch

def torch_net(spec, training):
    """nn.Sequential of `spec`; a training net ends in logits (the loss applies softmax)."""
    import torch
    from torch import nn

    class PosBias(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.b = nn.Parameter(torch.zeros(n))

        def forward(self, x):
            return x + self.b

    mods = []
    for layer in spec:
        kind = layer[0]
        if kind == "conv":
            _, cin, cout, k, s, p, relu, bias = layer
            mods.append(nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=bias))
            if relu:
                mods.append(nn.ReLU())
        elif kind == "maxpool":
            mods.append(nn.MaxPool2d(layer[1], layer[2]))
        elif kind == "lrn":
            _, radius, bias, alpha, beta = layer
            size = 2 * radius + 1
            # PyTorch divides alpha by the window size; TensorFlow (and fovea) do not.
            mods.append(nn.LocalResponseNorm(size, alpha=alpha * size, beta=beta, k=bias))
        elif kind == "flatten":
            mods.append(nn.Flatten())
        elif kind == "dropout":
            mods.append(nn.Dropout(layer[1]))
        elif kind == "dense":
            _, fin, fout, act = layer
            mods.append(nn.Linear(fin, fout))
            if act == "relu":
                mods.append(nn.ReLU())
            elif act == "softmax" and not training:
                mods.append(nn.Softmax(dim=1))
        elif kind == "posbias":
            mods.append(PosBias(layer[1]))
        elif kind == "softmax":
            if not training:
                mods.append(nn.Softmax(dim=1))
        else:
            raise ValueError(kind)
    return nn.Sequential(*mods)


def torch_layer(case, channels_last, reps):
    """{pass: median ms} for the forward and forward+backward of one `fovea bench conv` case."""
    import torch
    import torch.nn.functional as F

    p, op = case["params"], case["op"]

    def fmt(t):
        return t.contiguous(memory_format=torch.channels_last) if channels_last and t.dim() == 4 else t

    def rand(*shape, scale=1.0):
        return fmt((torch.rand(*shape) * 2 - 1) * scale)

    if op == "conv2d":
        n, h, w, ci, co, k = p["n"], p["h"], p["w"], p["c_in"], p["c_out"], p["kernel"]
        s, pad = p["stride"], p["pad"]
        ho, wo = (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1
        inputs = [rand(n, ci, h, w), rand(co, ci, k, k, scale=0.1)]
        g = rand(n, co, ho, wo)

        def f(x, wt):
            return F.conv2d(x, wt, stride=s, padding=pad)
    elif op == "max_pool2d":
        n, h, w, c = p["n"], p["h"], p["w"], p["c"]
        inputs = [rand(n, c, h, w)]
        g = rand(n, c, (h - 3) // 2 + 1, (w - 3) // 2 + 1)

        def f(x):
            return F.max_pool2d(x, 3, 2)
    elif op == "local_response_norm":
        n, h, w, c = p["n"], p["h"], p["w"], p["c"]
        size = 2 * p["depth_radius"] + 1
        inputs = [rand(n, c, h, w)]
        g = rand(n, c, h, w)

        def f(x):
            return F.local_response_norm(x, size, alpha=p["alpha"] * size, beta=p["beta"], k=p["bias"])
    elif op == "matmul":
        if channels_last:
            return {}  # a matmul has no memory format; NCHW's run already covers it
        inputs = [rand(p["m"], p["k"]), rand(p["k"], p["n"], scale=0.01)]
        g = rand(p["m"], p["n"])
        f = torch.mm
    else:
        raise ValueError(op)

    out = {}
    with torch.no_grad():
        out["forward"] = median_ms(lambda _: f(*inputs), reps)
    if "forward_backward" in case["passes"]:
        vars_ = [t.detach().clone().requires_grad_(True) for t in inputs]

        def step(_):
            for v in vars_:
                v.grad = None
            f(*vars_).backward(g)
        out["forward_backward"] = median_ms(step, reps)
    return out


def torch_model(name, channels_last, reps):
    """Median ms of one training step or one inference batch of a `fovea bench model` case."""
    import torch
    from torch import nn

    net_name, batch, training = MODELS[name]
    model = torch_net(NETS[net_name], training)
    x = torch.rand(batch, *INPUTS[net_name])
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if not training:
        model.eval()
        with torch.no_grad():
            return median_ms(lambda _: model(x), reps, warmup=2)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    y = torch.arange(batch) % 10

    def step(_):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return median_ms(step, reps, warmup=TRAIN_WARMUP)


# ------------------------------------------------------------------------ ONNX Runtime

def ort_session(graph, threads, no_spin):
    import onnxruntime as ort
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # accepted by every onnxruntime since 1.10
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if no_spin:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


class GraphBuilder:
    """Appends ONNX nodes and random initializers; names are generated."""

    def __init__(self, x_shape):
        from onnx import TensorProto, helper
        self.helper, self.TensorProto = helper, TensorProto
        self.nodes, self.inits, self.count = [], [], 0
        self.rng = np.random.default_rng(0)
        self.input = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))
        self.cur = "x"

    def name(self, base):
        self.count += 1
        return f"{base}{self.count}"

    def weight(self, shape, scale=0.05):
        n = self.name("w")
        data = ((self.rng.random(shape, dtype=np.float32) * 2 - 1) * scale).astype(np.float32)
        from onnx import numpy_helper
        self.inits.append(numpy_helper.from_array(data, n))
        return n

    def node(self, op, extra_inputs=(), **attrs):
        out = self.name(op.lower())
        self.nodes.append(self.helper.make_node(op, [self.cur, *extra_inputs], [out], **attrs))
        self.cur = out
        return out

    def graph(self):
        out = self.helper.make_tensor_value_info(self.cur, self.TensorProto.FLOAT, None)
        return self.helper.make_graph(self.nodes, "g", [self.input], [out], self.inits)


def onnx_net(spec, x_shape):
    b = GraphBuilder(x_shape)
    for layer in spec:
        kind = layer[0]
        if kind == "conv":
            _, cin, cout, k, s, p, relu, bias = layer
            ins = [b.weight((cout, cin, k, k))] + ([b.weight((cout,))] if bias else [])
            b.node("Conv", ins, kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p])
            if relu:
                b.node("Relu")
        elif kind == "maxpool":
            b.node("MaxPool", kernel_shape=[layer[1]] * 2, strides=[layer[2]] * 2)
        elif kind == "lrn":
            _, radius, bias, alpha, beta = layer
            size = 2 * radius + 1
            # ONNX, like Caffe and PyTorch, divides alpha by the window size.
            b.node("LRN", size=size, alpha=alpha * size, beta=beta, bias=bias)
        elif kind == "flatten":
            b.node("Flatten", axis=1)
        elif kind == "dropout":
            pass  # identity at inference
        elif kind == "dense":
            _, fin, fout, act = layer
            b.node("Gemm", [b.weight((fin, fout)), b.weight((fout,))])
            if act == "relu":
                b.node("Relu")
            elif act == "softmax":
                b.node("Softmax", axis=1)
        elif kind == "posbias":
            b.node("Add", [b.weight((1, layer[1]))])
        elif kind == "softmax":
            b.node("Softmax", axis=1)
        else:
            raise ValueError(kind)
    return b.graph()


def ort_layer(case, threads, reps, no_spin=False):
    """Median ms of the forward of one `fovea bench conv` case."""
    p, op = case["params"], case["op"]
    rng = np.random.default_rng(0)
    if op == "conv2d":
        x_shape = (p["n"], p["c_in"], p["h"], p["w"])
        spec = [conv(p["c_in"], p["c_out"], p["kernel"], p["stride"], p["pad"], relu=False, bias=False)]
    elif op == "max_pool2d":
        x_shape = (p["n"], p["c"], p["h"], p["w"])
        spec = [("maxpool", 3, 2)]
    elif op == "local_response_norm":
        x_shape = (p["n"], p["c"], p["h"], p["w"])
        spec = [("lrn", p["depth_radius"], p["bias"], p["alpha"], p["beta"])]
    elif op == "matmul":
        x_shape = (p["m"], p["k"])
        b = GraphBuilder(x_shape)
        b.node("MatMul", [b.weight((p["k"], p["n"]))])
        sess = ort_session(b.graph(), threads, no_spin)
        x = rng.random(x_shape, dtype=np.float32)
        return median_ms(lambda _: sess.run(None, {"x": x}), reps)
    else:
        raise ValueError(op)
    sess = ort_session(onnx_net(spec, x_shape), threads, no_spin)
    x = rng.random(x_shape, dtype=np.float32)
    return median_ms(lambda _: sess.run(None, {"x": x}), reps)


def ort_model(name, threads, reps, no_spin=False):
    """Median ms of one inference batch, or None for training cases (ORT runs inference)."""
    net_name, batch, training = MODELS[name]
    if training:
        return None
    x_shape = (batch, *INPUTS[net_name])
    sess = ort_session(onnx_net(NETS[net_name], x_shape), threads, no_spin)
    x = np.random.default_rng(0).random(x_shape, dtype=np.float32)
    return median_ms(lambda _: sess.run(None, {"x": x}), reps, warmup=2)
