"""Shared writer for the layer golden fixtures of fovea-nn (crates/nn/tests/fixtures/).

Each family script (tools/golden/layers_<family>.py) builds real Keras 3 layers on the
JAX backend and calls `layer_case` for every configuration it pins. A fixture records the
layer's Keras config, its weights in Keras order, the inputs, the outputs in the given
mode, and the gradients of loss = sum_i sum(y_i * r_i) with respect to every input and
every trainable weight (r_i fixed random), plus the non-trainable weights after the call
(batch-norm moving statistics in training mode).
"""

import os

# Must be set before keras is imported: the backend is chosen at import time.
os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import json  # noqa: E402
import pathlib  # noqa: E402
import zlib  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates" / "nn" / "tests" / "fixtures"


def rng_for(name):
    """A numpy generator seeded by the case name, so cases are independent."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def arr(a):
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "data": [float(f"{v:.9g}") for v in a.ravel().tolist()]}


def _jsonable(v):
    """Keras configs hold tuples and numpy scalars; make them plain JSON."""
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    return v


def layer_case(family, name, layer, inputs, training=False, int_inputs=False):
    """Runs `layer` on `inputs` (list of numpy arrays) and writes the fixture
    `<family>_<name>.json`. The layer is built by this call if it is not built yet."""
    rng = rng_for(family + "/" + name)
    xs = [jnp.asarray(x) for x in inputs]
    if not layer.built:
        layer(xs[0] if len(xs) == 1 else xs)
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]

    def run(tv_, xs_):
        args = xs_[0] if len(xs_) == 1 else list(xs_)
        # Layers whose call() takes no `training` (conv, pooling) reject the keyword.
        kwargs = {"training": training} if getattr(layer, "_call_has_training_arg", True) else {}
        out, new_ntv = layer.stateless_call(tv_, ntv, args, **kwargs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        return outs, new_ntv

    outs, new_ntv = run(tv, xs)
    rs = [rng.standard_normal(np.shape(o)).astype(np.float32) for o in outs]

    def loss(tv_, xs_):
        o, _ = run(tv_, xs_)
        return sum(jnp.sum(a * jnp.asarray(r)) for a, r in zip(o, rs))

    if int_inputs:
        d_tv = jax.grad(lambda t: loss(t, xs))(tv)
        d_xs = None
    else:
        d_tv, d_xs = jax.grad(loss, argnums=(0, 1))(tv, xs)

    fixture = {
        "name": f"{family}_{name}",
        "class": layer.__class__.__name__,
        "keras_version": keras.__version__,
        "jax_version": jax.__version__,
        "config": _jsonable(layer.get_config()),
        "training": training,
        "weights": [{"name": v.path, "trainable": v.trainable, **arr(v.value)} for v in layer.weights],
        "inputs": [arr(x) for x in inputs],
        "outputs": [arr(o) for o in outs],
        "r": [arr(r) for r in rs],
        "d_inputs": None if d_xs is None else [arr(d) for d in d_xs],
        "d_trainable": [arr(d) for d in d_tv],
        "non_trainable_after": [arr(v) for v in new_ntv],
    }
    FIXTURES.mkdir(parents=True, exist_ok=True)
    path = FIXTURES / f"{family}_{name}.json"
    path.write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    return fixture


def clear(family):
    """Deletes the fixtures an earlier run of `family` wrote."""
    for p in FIXTURES.glob(f"{family}_*.json"):
        p.unlink()
