#!/usr/bin/env python3
"""Golden fixtures for fovea-core's convolution and pooling, from real Keras 3 (JAX).

Writes one JSON file per case into crates/core/tests/fixtures/ (see README.md here).
Each fixture holds x (and the kernel for convs), y = op(x), a fixed random r, and
dx (and dkernel) = jax.grad of loss = sum(y * r). crates/core/tests/golden.rs checks
fovea against them.

Before a fixture is written the script checks that the explicit padding it records
reproduces what Keras computed:
  * y from the Keras call equals lax.conv_general_dilated / lax.reduce_window run
    with the recorded explicit pads (and for average pooling, divided by the count
    of real cells in each window);
  * y also equals an independent float64 numpy loop over the same explicit pads;
  * where the 'same' padding total is odd, putting the extra cell *before* instead
    gives a different y (so the fixture really pins "extra cell after").
"""

import os

# Must be set before keras is imported: the backend is chosen at import time.
os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import json  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402
import zlib  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

SEED = 20250611
REPO = pathlib.Path(__file__).resolve().parents[2]
OUT_DIR = REPO / "crates" / "core" / "tests" / "fixtures"
OPS = ("conv2d", "conv1d", "max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d")
MAX_FILE_BYTES = 200_000
MAX_TOTAL_BYTES = 2_000_000

assert keras.backend.backend() == "jax", keras.backend.backend()
assert not jax.config.jax_enable_x64, "fixtures are float32; run without JAX_ENABLE_X64"


# --------------------------------------------------------------------------- padding


def same_pads(n, k, s, d=1):
    """TensorFlow's 'same' rule, which Keras (and lax 'SAME') follow."""
    k_eff = d * (k - 1) + 1
    out = -(-n // s)
    total = max((out - 1) * s + k_eff - n, 0)
    return (total // 2, total - total // 2)


def keras_pads(padding, n, k, s, d=1):
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        return same_pads(n, k, s, d)
    if padding == "causal":
        # keras.layers.Conv1D._compute_causal_padding: left pad dilation * (k - 1).
        return (d * (k - 1), 0)
    raise ValueError(padding)


# --------------------------------------------------------------- numpy references


def np_conv(x, k, strides, pads, dil, groups):
    """float64 loop conv over NHWC x and HWIO k with explicit pads (2-D only)."""
    x = x.astype(np.float64)
    k = k.astype(np.float64)
    n, h, w, cin = x.shape
    kh, kw, cin_g, cout = k.shape
    cout_g = cout // groups
    xp = np.zeros((n, h + sum(pads[0]), w + sum(pads[1]), cin))
    xp[:, pads[0][0] : pads[0][0] + h, pads[1][0] : pads[1][0] + w, :] = x
    oh = (xp.shape[1] - (dil[0] * (kh - 1) + 1)) // strides[0] + 1
    ow = (xp.shape[2] - (dil[1] * (kw - 1) + 1)) // strides[1] + 1
    y = np.zeros((n, oh, ow, cout))
    for o in range(cout):
        g = o // cout_g
        for i in range(kh):
            for j in range(kw):
                patch = xp[
                    :,
                    i * dil[0] : i * dil[0] + strides[0] * (oh - 1) + 1 : strides[0],
                    j * dil[1] : j * dil[1] + strides[1] * (ow - 1) + 1 : strides[1],
                    g * cin_g : (g + 1) * cin_g,
                ]
                y[..., o] += patch @ k[i, j, :, o]
    return y


def np_pool(x, mode, pool, strides, pads):
    """float64 loop pooling over NHWC x; padded cells never take part (2-D only)."""
    n, h, w, c = x.shape
    oh = (h + sum(pads[0]) - pool[0]) // strides[0] + 1
    ow = (w + sum(pads[1]) - pool[1]) // strides[1] + 1
    y = np.zeros((n, oh, ow, c))
    for a in range(oh):
        for b in range(ow):
            r0 = max(a * strides[0] - pads[0][0], 0)
            r1 = min(a * strides[0] - pads[0][0] + pool[0], h)
            c0 = max(b * strides[1] - pads[1][0], 0)
            c1 = min(b * strides[1] - pads[1][0] + pool[1], w)
            win = x[:, r0:r1, c0:c1, :].astype(np.float64)
            y[:, a, b, :] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
    return y


# ------------------------------------------------------------------------ helpers


def rng_for(name):
    # Seeded per case, so adding or reordering cases leaves the others unchanged.
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


def normal(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def close(a, b, tol=1e-5):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol)


def arr(a):
    a = np.asarray(a)
    assert a.dtype == np.float32, a.dtype
    data = [float("%.9g" % v) for v in a.ravel()]
    # 9 significant digits always round-trip a float32; check it anyway.
    assert np.array_equal(np.asarray(data, np.float32), a.ravel())
    return {"shape": list(a.shape), "data": data}


def grads(fn, args, r):
    """jax.grad of sum(fn(*args) * r) with respect to every arg."""

    def loss(*a):
        return jnp.sum(fn(*a) * r)

    return jax.grad(loss, argnums=tuple(range(len(args))))(*args)


FIXTURES = []
# How often each verified behaviour was exercised (printed at the end; see README.md).
OBSERVED = {"same_extra_cell_after": 0, "avg_pool_real_cells_only": 0, "layer_equals_op": 0}


def emit(name, op, source, params, x, y, r, dx, kernel=None, dkernel=None):
    assert name.startswith(op + "_"), name
    fx = {
        "name": name,
        "op": op,
        "source": source,
        "keras_version": keras.__version__,
        "jax_version": jax.__version__,
        "params": params,
        "x": arr(x),
    }
    if kernel is not None:
        fx["kernel"] = arr(kernel)
    fx["r"] = arr(r)
    fx["y"] = arr(np.asarray(y))
    fx["dx"] = arr(np.asarray(dx))
    if dkernel is not None:
        fx["dkernel"] = arr(np.asarray(dkernel))
    FIXTURES.append(fx)


def to_2d(a):
    """(N, W, C) -> (N, 1, W, C) so the 2-D numpy references serve 1-D ops too."""
    return a[:, None] if a.ndim == 3 else a


# --------------------------------------------------------------------- convolution


def conv_case(name, x_shape, k_shape, strides, padding, dilation=None, source="ops"):
    """One conv case.

    rank 1 or 2 comes from x_shape; padding is 'valid' / 'same' / 'causal' (Keras
    strings) or an explicit list of (before, after) pairs run through lax directly.
    source: 'ops' = keras.ops.conv, 'layer' = keras.layers.Conv{1,2}D (use_bias=False),
    'lax' = jax.lax.conv_general_dilated with explicit padding.
    """
    rank = len(x_shape) - 2
    op = "conv%dd" % rank
    name = op + "_" + name
    dilation = tuple(dilation or (1,) * rank)
    strides = tuple(strides)
    rng = rng_for(name)
    x = normal(rng, x_shape)
    k = normal(rng, k_shape)
    groups = x_shape[-1] // k_shape[-2]
    assert x_shape[-1] == groups * k_shape[-2] and k_shape[-1] % groups == 0
    spatial = x_shape[1:-1]
    ksize = k_shape[:-2]
    if isinstance(padding, str):
        pads = [keras_pads(padding, spatial[i], ksize[i], strides[i], dilation[i]) for i in range(rank)]
        keras_padding = padding
    else:
        assert source == "lax"
        pads = [tuple(p) for p in padding]
        keras_padding = None
    dn = ("NHWC", "HWIO", "NHWC") if rank == 2 else ("NWC", "WIO", "NWC")

    def lax_conv(xx, kk, pp):
        return lax.conv_general_dilated(
            xx, kk, strides, pp, rhs_dilation=dilation, dimension_numbers=dn, feature_group_count=groups
        )

    if source == "ops":
        assert padding != "causal", "keras.ops.conv has no causal padding; use the layer"

        def fn(xx, kk):
            return keras.ops.conv(xx, kk, strides=strides, padding=padding, dilation_rate=dilation)

        src = "keras.ops.conv"
    elif source == "layer":
        cls = keras.layers.Conv2D if rank == 2 else keras.layers.Conv1D
        layer = cls(
            filters=k_shape[-1],
            kernel_size=ksize,
            strides=strides,
            padding=padding,
            dilation_rate=dilation,
            groups=groups,
            use_bias=False,
        )
        layer.build(x_shape)
        layer.set_weights([k])
        assert tuple(layer.kernel.shape) == tuple(k_shape)
        y_call = np.asarray(layer(x))

        def fn(xx, kk):
            y, _ = layer.stateless_call([kk], [], xx)
            return y

        assert close(y_call, fn(x, k), 0), name + ": stateless_call differs from layer call"
        if padding != "causal":
            y_op = keras.ops.conv(x, k, strides=strides, padding=padding, dilation_rate=dilation)
            assert close(y_call, y_op, 0), name + ": the layer differs from keras.ops.conv"
            OBSERVED["layer_equals_op"] += 1
        src = "keras.layers.%s" % cls.__name__
    elif source == "lax":

        def fn(xx, kk):
            return lax_conv(xx, kk, pads)

        src = "jax.lax.conv_general_dilated"
    else:
        raise ValueError(source)

    y = np.asarray(fn(x, k))
    # The recorded explicit pads reproduce Keras exactly.
    assert close(y, lax_conv(x, k, pads), 1e-6), name + ": explicit pads differ from Keras"
    ref = np_conv(to_2d(x), k[None] if rank == 1 else k, (1,) * (2 - rank) + strides, [(0, 0)] * (2 - rank) + pads,
                  (1,) * (2 - rank) + dilation, groups)
    assert close(y, ref.reshape(y.shape), 1e-4), name + ": numpy reference differs"
    for i, (b, a) in enumerate(pads):
        if keras_padding == "same" and a > b:
            swapped = list(pads)
            swapped[i] = (a, b)
            assert not close(y, lax_conv(x, k, swapped), 1e-4), name + ": extra pad not pinned"
            OBSERVED["same_extra_cell_after"] += 1
    r = normal(rng, y.shape)
    dx, dk = grads(fn, (x, k), r)
    if rank == 2:
        params = {"strides": list(strides), "dilation": list(dilation),
                  "padding": [list(p) for p in pads], "groups": groups}
    else:
        params = {"stride": strides[0], "dilation": dilation[0], "padding": list(pads[0]), "groups": groups}
    params["keras_padding"] = keras_padding
    emit(name, op, src, params, x, y, r, dx, k, dk)


# ------------------------------------------------------------------------ pooling


def pool_case(mode, name, x_shape, pool, strides, padding, source="ops"):
    rank = len(x_shape) - 2
    op = "%s_pool%dd" % (mode, rank)
    name = op + "_" + name
    pool = tuple(pool)
    strides = tuple(strides)
    rng = rng_for(name)
    x = normal(rng, x_shape)
    spatial = x_shape[1:-1]
    pads = [keras_pads(padding, spatial[i], pool[i], strides[i]) for i in range(rank)]

    if source == "ops":
        kfn = keras.ops.max_pool if mode == "max" else keras.ops.average_pool

        def fn(xx):
            return kfn(xx, pool_size=pool, strides=strides, padding=padding)

        src = "keras.ops.%s" % kfn.__name__
    elif source == "layer":
        cls = {
            ("max", 1): keras.layers.MaxPooling1D,
            ("max", 2): keras.layers.MaxPooling2D,
            ("avg", 1): keras.layers.AveragePooling1D,
            ("avg", 2): keras.layers.AveragePooling2D,
        }[(mode, rank)]
        layer = cls(pool_size=pool, strides=strides, padding=padding)

        def fn(xx):
            return layer(xx)

        src = "keras.layers.%s" % cls.__name__
    else:
        raise ValueError(source)

    y = np.asarray(fn(x))
    if source == "layer":
        kfn = keras.ops.max_pool if mode == "max" else keras.ops.average_pool
        assert close(y, kfn(x, pool_size=pool, strides=strides, padding=padding), 0), name + ": layer != op"
        OBSERVED["layer_equals_op"] += 1
    window = (1,) + pool + (1,)
    wstrides = (1,) + strides + (1,)

    def lax_pool(xx, pp):
        full = [(0, 0)] + list(pp) + [(0, 0)]
        if mode == "max":
            return lax.reduce_window(xx, -jnp.inf, lax.max, window, wstrides, full)
        total = lax.reduce_window(xx, 0.0, lax.add, window, wstrides, full)
        real = lax.reduce_window(jnp.ones_like(xx), 0.0, lax.add, window, wstrides, full)
        return total / real

    assert close(y, lax_pool(x, pads), 1e-6), name + ": explicit pads differ from Keras"
    ref = np_pool(to_2d(x), mode, (1,) * (2 - rank) + pool, (1,) * (2 - rank) + strides,
                  [(0, 0)] * (2 - rank) + pads)
    assert close(y, ref.reshape(y.shape), 1e-5), name + ": numpy reference differs"
    if mode == "avg" and any(b or a for b, a in pads):
        # Dividing by the full window size (count_include_pad) would differ: Keras
        # averages over the real cells only.
        full = [(0, 0)] + list(pads) + [(0, 0)]
        incl = lax.reduce_window(x, 0.0, lax.add, window, wstrides, full) / np.prod(pool)
        assert not close(y, incl, 1e-4), name + ": padding cells counted?"
        OBSERVED["avg_pool_real_cells_only"] += 1
    for i, (b, a) in enumerate(pads):
        if padding == "same" and a > b:
            swapped = list(pads)
            swapped[i] = (a, b)
            assert not close(y, lax_pool(x, swapped), 1e-4), name + ": extra pad not pinned"
            OBSERVED["same_extra_cell_after"] += 1
    r = normal(rng, y.shape)
    (dx,) = grads(fn, (x,), r)
    if rank == 2:
        params = {"pool_size": list(pool), "strides": list(strides), "padding": [list(p) for p in pads]}
    else:
        params = {"pool_size": pool[0], "stride": strides[0], "padding": list(pads[0])}
    params["keras_padding"] = padding
    emit(name, op, src, params, x, y, r, dx)


# -------------------------------------------------------------------------- cases


def conv2d_cases():
    c = conv_case
    c("valid_k3", (2, 7, 7, 3), (3, 3, 3, 4), (1, 1), "valid")
    c("same_k3", (2, 6, 6, 3), (3, 3, 3, 4), (1, 1), "same")
    c("same_k2_odd_pad", (1, 5, 5, 2), (2, 2, 2, 3), (1, 1), "same")
    c("same_k4_odd_pad", (2, 7, 6, 3), (4, 4, 3, 2), (1, 1), "same")
    c("same_k3_s2_even_size", (1, 8, 8, 3), (3, 3, 3, 4), (2, 2), "same")
    c("same_k3_s2_odd_size", (1, 7, 7, 2), (3, 3, 2, 3), (2, 2), "same")
    c("valid_s21", (2, 7, 6, 3), (3, 3, 3, 4), (2, 1), "valid")
    c("same_s21_k2x3", (1, 7, 7, 2), (2, 3, 2, 3), (2, 1), "same")
    c("valid_k2_s3", (1, 9, 8, 2), (2, 2, 2, 3), (3, 3), "valid")
    c("same_k2_s3", (1, 7, 8, 2), (2, 2, 2, 3), (3, 3), "same")
    c("valid_dilation2", (1, 9, 9, 2), (3, 3, 2, 3), (1, 1), "valid", (2, 2))
    c("same_dilation2", (1, 7, 7, 2), (3, 3, 2, 3), (1, 1), "same", (2, 2))
    c("valid_dilation13", (1, 6, 9, 2), (3, 3, 2, 2), (1, 1), "valid", (1, 3))
    c("same_dilation13_odd_pad", (2, 6, 8, 2), (2, 2, 2, 3), (1, 1), "same", (1, 3))
    # keras.layers.Conv2D refuses strides > 1 with dilation > 1; the op allows it.
    c("same_s2_dilation2", (1, 8, 8, 2), (3, 3, 2, 2), (2, 2), "same", (2, 2))
    c("groups2_valid", (2, 6, 6, 4), (3, 3, 2, 6), (1, 1), "valid")
    c("groups3_same", (1, 7, 6, 6), (2, 3, 2, 3), (1, 1), "same")
    c("k1x1", (2, 5, 5, 4), (1, 1, 4, 3), (1, 1), "valid")
    c("k1x1_s2_same", (1, 6, 5, 3), (1, 1, 3, 2), (2, 2), "same")
    c("layer_same_s2_even", (2, 8, 6, 3), (3, 3, 3, 4), (2, 2), "same", source="layer")
    c("layer_groups2_dilation_same", (1, 7, 7, 4), (2, 3, 2, 4), (1, 1), "same", (1, 2), source="layer")
    c("explicit_asym", (1, 6, 7, 3), (3, 3, 3, 4), (1, 1), [(1, 2), (0, 3)], source="lax")
    c("explicit_asym_s2_groups3", (2, 7, 6, 6), (3, 2, 2, 3), (2, 2), [(1, 2), (0, 3)], source="lax")


def conv1d_cases():
    c = conv_case
    c("valid_k3", (2, 9, 3), (3, 3, 4), (1,), "valid")
    c("same_k3", (2, 7, 3), (3, 3, 2), (1,), "same")
    c("same_k4_odd_pad", (1, 8, 2), (4, 2, 3), (1,), "same")
    c("same_k2_odd_pad", (1, 6, 2), (2, 2, 2), (1,), "same")
    c("valid_dilation2", (1, 9, 2), (3, 2, 3), (1,), "valid", (2,))
    c("same_dilation2", (2, 8, 3), (3, 3, 2), (1,), "same", (2,))
    c("same_s2_even", (1, 8, 3), (3, 3, 2), (2,), "same")
    c("valid_s2", (2, 9, 2), (2, 2, 3), (2,), "valid")
    c("valid_k2_s3", (1, 8, 2), (2, 2, 2), (3,), "valid")
    c("groups2_same", (2, 7, 4), (3, 2, 4), (1,), "same")
    c("causal_k3", (2, 8, 3), (3, 3, 4), (1,), "causal", source="layer")
    c("causal_k3_dilation2", (1, 9, 2), (3, 2, 3), (1,), "causal", (2,), source="layer")
    c("causal_k2_groups2", (1, 7, 4), (2, 2, 4), (1,), "causal", source="layer")
    c("causal_k3_s2", (1, 8, 2), (3, 2, 2), (2,), "causal", source="layer")
    c("layer_same_s2_k4", (1, 9, 3), (4, 3, 2), (2,), "same", source="layer")
    c("explicit_asym", (1, 7, 2), (3, 2, 3), (1,), [(2, 1)], source="lax")


def pool2d_cases(mode):
    p = pool_case
    p(mode, "valid_p2_s2", (1, 6, 6, 3), (2, 2), (2, 2), "valid")
    p(mode, "valid_p3_s2", (2, 7, 7, 2), (3, 3), (2, 2), "valid")
    p(mode, "same_p3_s2_even", (1, 8, 8, 2), (3, 3), (2, 2), "same")
    p(mode, "same_p3_s2_odd", (1, 7, 7, 2), (3, 3), (2, 2), "same")
    p(mode, "same_p2_s2_odd", (1, 7, 5, 3), (2, 2), (2, 2), "same")
    p(mode, "valid_p2_s3", (1, 8, 8, 2), (2, 2), (3, 3), "valid")
    p(mode, "same_p2_s3", (1, 7, 8, 2), (2, 2), (3, 3), "same")
    p(mode, "same_p3x2_s1x2", (1, 5, 6, 2), (3, 2), (1, 2), "same")
    p(mode, "layer_same_p3_s2", (2, 6, 6, 3), (3, 3), (2, 2), "same", source="layer")
    p(mode, "layer_same_p2_s2_odd", (1, 5, 7, 2), (2, 2), (2, 2), "same", source="layer")


def pool1d_cases(mode):
    p = pool_case
    p(mode, "valid_p2_s2", (2, 8, 3), (2,), (2,), "valid")
    p(mode, "valid_p3_s2", (1, 9, 2), (3,), (2,), "valid")
    p(mode, "same_p3_s2_even", (1, 8, 2), (3,), (2,), "same")
    p(mode, "same_p2_s2_odd", (1, 7, 2), (2,), (2,), "same")
    p(mode, "same_p3_s1", (1, 6, 2), (3,), (1,), "same")
    p(mode, "valid_p2_s3", (1, 9, 2), (2,), (3,), "valid")
    p(mode, "layer_same_p2_s2_odd", (2, 9, 3), (2,), (2,), "same", source="layer")


# -------------------------------------------------------------------------- output


def dump(fx):
    # One key per line, arrays on one line: small files, readable diffs.
    items = list(fx.items())
    lines = ["{"]
    for i, (key, value) in enumerate(items):
        sep = "," if i + 1 < len(items) else ""
        lines.append("  %s: %s%s" % (json.dumps(key), json.dumps(value, separators=(", ", ": ")), sep))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    conv2d_cases()
    conv1d_cases()
    for mode in ("max", "avg"):
        pool2d_cases(mode)
        pool1d_cases(mode)
    names = [fx["name"] for fx in FIXTURES]
    assert len(names) == len(set(names)), "duplicate fixture names"

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    # Remove what an earlier run of this script wrote, so renamed cases do not linger.
    for old in OUT_DIR.glob("*.json"):
        if any(old.name.startswith(op + "_") for op in OPS):
            old.unlink()
    total = 0
    counts = {}
    for fx in FIXTURES:
        text = dump(fx)
        assert len(text) < MAX_FILE_BYTES, (fx["name"], len(text))
        (OUT_DIR / (fx["name"] + ".json")).write_text(text)
        total += len(text)
        counts[fx["op"]] = counts.get(fx["op"], 0) + 1
    assert total < MAX_TOTAL_BYTES, total
    print("keras %s, jax %s, numpy %s" % (keras.__version__, jax.__version__, np.__version__))
    for op in OPS:
        print("%-11s %d fixtures" % (op, counts.get(op, 0)))
    for what, n in OBSERVED.items():
        print("checked %-25s in %d places" % (what, n))
    print("%d fixtures, %d bytes, in %s" % (len(FIXTURES), total, OUT_DIR.relative_to(REPO)))


if __name__ == "__main__":
    sys.exit(main())
