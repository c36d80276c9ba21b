"""Golden fixtures for fovea-nn's LocalResponseNormalization from TensorFlow's
tf.nn.local_response_normalization (Keras 3 has no such layer).

TensorFlow lives in its own venv, outside the repository (see README.md):
python3.11 -m venv ~/.cache/fovea-golden/tfvenv
~/.cache/fovea-golden/tfvenv/bin/pip install -r tools/golden/requirements-tf.txt
cd tools/golden && ~/.cache/fovea-golden/tfvenv/bin/python lrn_tf.py

Writes crates/nn/tests/fixtures/lrn_*.json in the layer-fixture format of
layer_fixtures.py (class "LocalResponseNormalization", no weights, inference mode),
with outputs from TensorFlow and input gradients of loss = sum(y * r) from
tf.GradientTape. Every case is also checked against a float64 numpy implementation of
the documented formula before it is written.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow's oneDNN rewrites may reorder float sums; pin its plain kernels.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import json  # noqa: E402
import pathlib  # noqa: E402
import zlib  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

FAMILY = "lrn"
FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates" / "nn" / "tests" / "fixtures"


def rng_for(name):
    """As layer_fixtures.rng_for: a generator seeded by the case name."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def arr(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "data": [float(f"{v:.9g}") for v in a.ravel().tolist()]}


def numpy_lrn(x, depth_radius, bias, alpha, beta):
    """sqr_sum[..., d] = sum(x[..., d - r : d + r + 1]^2); y = x / (bias + alpha * sqr_sum)^beta."""
    x = x.astype(np.float64)
    c = x.shape[-1]
    sq = x * x
    sqr_sum = np.stack([sq[..., max(0, d - depth_radius) : d + depth_radius + 1].sum(-1) for d in range(c)], -1)
    return x / (bias + alpha * sqr_sum) ** beta


def case(name, shape, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, scale=1.0, channels_first=False):
    rng = rng_for(FAMILY + "/" + name)
    x = (scale * rng.standard_normal(shape)).astype(np.float32)
    kw = dict(depth_radius=depth_radius, bias=bias, alpha=alpha, beta=beta)

    def lrn(t):
        # TensorFlow's op is NHWC only: channels-first goes through a transpose each way.
        if channels_first:
            t = tf.transpose(t, [0, 2, 3, 1])
        y = tf.nn.local_response_normalization(t, **kw)
        return tf.transpose(y, [0, 3, 1, 2]) if channels_first else y

    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = lrn(xt)
        r = rng.standard_normal(y.shape).astype(np.float32)
        loss = tf.reduce_sum(y * r)
    dx = tape.gradient(loss, xt).numpy()
    y = y.numpy()

    x_last = np.transpose(x, [0, 2, 3, 1]) if channels_first else x
    want = numpy_lrn(x_last, **kw)
    if channels_first:
        want = np.transpose(want, [0, 3, 1, 2])
    err = np.max(np.abs(y - want)) / max(1.0, np.max(np.abs(want)))
    assert err < 1e-5, f"{name}: TensorFlow differs from the numpy formula by {err}"

    fixture = {
        "name": f"{FAMILY}_{name}",
        "class": "LocalResponseNormalization",
        "source": "tf.nn.local_response_normalization",
        "tensorflow_version": tf.__version__,
        "config": {**kw, "data_format": "channels_first" if channels_first else "channels_last"},
        "training": False,
        "weights": [],
        "inputs": [arr(x)],
        "outputs": [arr(y)],
        "r": [arr(r)],
        "d_inputs": [arr(dx)],
        "d_trainable": [],
        "non_trainable_after": [],
    }
    (FIXTURES / f"{FAMILY}_{name}.json").write_text(json.dumps(fixture, separators=(",", ":")) + "\n")


def main():
    for p in FIXTURES.glob(f"{FAMILY}_*.json"):
        p.unlink()
    case("defaults", (2, 3, 3, 8))
    # AlexNet's k=2, n=5, alpha=1e-4, beta=0.75 on activations large enough for alpha to matter.
    case("alexnet", (2, 4, 4, 10), depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75, scale=30.0)
    case("radius0_beta1", (1, 2, 2, 6), depth_radius=0, bias=0.5, alpha=2.0, beta=1.0)
    case("radius_past_channels", (2, 2, 2, 3), depth_radius=4, bias=1.0, alpha=0.5, beta=0.3)
    case("wide_radius", (1, 2, 2, 24), depth_radius=9, bias=1.5, alpha=0.05, beta=0.75)
    case("channels_first", (2, 6, 3, 3), depth_radius=1, bias=1.0, alpha=0.8, beta=0.6, channels_first=True)


if __name__ == "__main__":
    main()
