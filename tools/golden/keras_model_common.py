"""Shared machinery of the Keras model corpus (keras_models.py): seeding, weight
perturbation, saving a case with its inputs and outputs, and the coverage check.

Import it first: it selects the JAX backend before Keras is imported.
"""

import os

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import io  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import zipfile  # noqa: E402
import zlib  # noqa: E402

import h5py  # noqa: E402
import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_model_features import io_features, model_features  # noqa: E402

SEED = 5
OUT = pathlib.Path(__file__).resolve().parents[2] / "crates" / "keras" / "tests" / "fixtures" / "models"
FIXED_DATE = "2026-01-01@00:00:00"


def rng_for(name):
    """A numpy generator that depends only on the case name."""
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


def versions():
    return {"keras": keras.__version__, "jax": jax.__version__, "numpy": np.__version__, "h5py": h5py.__version__}


def clear_outputs():
    OUT.mkdir(parents=True, exist_ok=True)
    for p in OUT.iterdir():
        if p.suffix in (".keras", ".h5", ".npy", ".json", ".txt"):
            p.unlink()


def perturb(model, rng):
    """Random weights with non-trivial biases and statistics: Keras's initial biases,
    betas and moving means are zeros and its variances ones, which would hide a loader
    that drops or swaps them."""
    for v in model.weights:
        a = np.asarray(v.numpy(), dtype=np.float64)
        name = v.name
        if name in ("moving_variance", "moving_stddev", "renorm_stddev", "gamma"):
            a = rng.uniform(0.5, 1.5, a.shape)
        else:
            a = a + rng.normal(0.0, 0.2, a.shape)
        v.assign(a.astype(v.dtype))


def _renumber_shared_ids(obj, ids):
    """Keras's `shared_object_id` is the Python `id()` of the shared object (a dtype
    policy, ...); numbering them in order of appearance keeps their meaning."""
    if isinstance(obj, dict):
        if "shared_object_id" in obj:
            obj["shared_object_id"] = ids.setdefault(obj["shared_object_id"], len(ids) + 1)
        for v in obj.values():
            _renumber_shared_ids(v, ids)
    elif isinstance(obj, list):
        for v in obj:
            _renumber_shared_ids(v, ids)


def _null_pool_strides(obj):
    """Pooling `strides: null`, as configs written by hand or by other tools carry;
    Keras resolves it to `pool_size` on load (its own get_config writes the tuple)."""
    if isinstance(obj, dict):
        if obj.get("class_name", "").endswith(("Pooling1D", "Pooling2D")) and "strides" in obj.get("config", {}):
            if obj["config"]["strides"] == obj["config"]["pool_size"]:
                obj["config"]["strides"] = None
        for v in obj.values():
            _null_pool_strides(v)
    elif isinstance(obj, list):
        for v in obj:
            _null_pool_strides(v)


def normalize_keras_zip(path, deflate, null_strides=False):
    """Fixed zip dates, `date_saved` and shared-object ids, so a rerun writes the same
    bytes. Keras stores members uncompressed; `deflate` compresses them instead (as a
    re-zipped archive would be), which Keras reads just the same."""
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info, data in items:
            if info.filename == "metadata.json":
                meta = json.loads(data)
                meta["date_saved"] = FIXED_DATE
                data = json.dumps(meta).encode()
            if info.filename == "config.json":
                config = json.loads(data)
                _renumber_shared_ids(config, {})
                if null_strides:
                    _null_pool_strides(config)
                data = json.dumps(config).encode()
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED if deflate else info.compress_type
            zi.external_attr = info.external_attr
            out.writestr(zi, data)
    path.write_bytes(buf.getvalue())


def saved_config(path):
    if path.suffix == ".keras":
        with zipfile.ZipFile(path) as z:
            return json.loads(z.read("config.json"))
    with h5py.File(path, "r") as f:
        c = f.attrs["model_config"]
        return json.loads(c.decode() if isinstance(c, bytes) else c)


def _input_name(t):
    return t._keras_history[0].name


def _call(model, flat):
    struct = getattr(model, "_inputs_struct", None)
    if len(flat) == 1 and not isinstance(struct, (dict, list, tuple)):
        args = flat[0]
    elif isinstance(struct, dict):
        args = keras.tree.pack_sequence_as(struct, flat)
    else:
        args = list(flat)
    out = model(args, training=False)
    return [np.asarray(o, dtype=np.float32) for o in keras.tree.flatten(out)]


def as_model_dtype(x):
    """What Keras computes with: float64 inputs are cast to the float32 input layer."""
    return x.astype(np.float32) if x.dtype == np.float64 else x


def layer_input_shapes(model, out=None):
    """Input shape of every single-input layer, nested models included (pooling layers
    have no `build_config` in the saved config)."""
    out = {} if out is None else out
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            layer_input_shapes(layer, out)
        try:
            x = layer.input
        except (AttributeError, ValueError):
            continue
        if isinstance(x, keras.KerasTensor):
            out.setdefault(layer.name, list(x.shape))
    return out


def run_case(name, build, fmt, tags):
    """Builds, perturbs, runs and saves one case; returns its manifest entry."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(zlib.crc32(name.encode()) % (2**31))
    rng = rng_for(name)
    model, xs = build(rng)
    assert len(xs) == len(model.inputs), f"{name}: {len(xs)} arrays for {len(model.inputs)} inputs"
    perturb(model, rng)
    ys = _call(model, [as_model_dtype(x) for x in xs])
    path = OUT / f"{name}.{fmt}"
    model.save(path)
    deflate = "zip:deflated" in tags
    if fmt == "keras":
        normalize_keras_zip(path, deflate, "config:strides_null" in tags)
    # The saved file must give Keras the same numbers.
    again = keras.saving.load_model(path, compile=False)
    for a, b in zip(ys, _call(again, [as_model_dtype(x) for x in xs])):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"{name}: reloaded model differs")
    inputs = []
    for i, (t, x) in enumerate(zip(model.inputs, xs)):
        f = f"{name}.in{i}.npy"
        np.save(OUT / f, x)
        inputs.append({"name": _input_name(t), "file": f, "dtype": str(x.dtype), "shape": list(x.shape)})
    outputs = []
    for i, (t, y) in enumerate(zip(model.outputs, ys)):
        f = f"{name}.out{i}.npy"
        np.save(OUT / f, y)
        outputs.append({"layer": t._keras_history[0].name, "file": f, "shape": list(y.shape)})
    assert all(np.isfinite(y).all() for y in ys), f"{name}: non-finite output"
    features = model_features(saved_config(path), layer_input_shapes(model)) | io_features(inputs, outputs) | set(tags)
    features |= {f"format:{fmt}", "source:keras3"}
    if fmt == "keras" and not deflate:
        features.add("zip:stored")
    entry = {
        "name": name,
        "file": path.name,
        "format": fmt,
        "source": f"keras {keras.__version__} (jax)",
        "inputs": inputs,
        "outputs": outputs,
        "features": sorted(features),
    }
    # A model fovea must refuse, with an error naming this text.
    for t in tags:
        if t.startswith("expect_error:"):
            entry["expect_error"] = t.split(":", 1)[1]
    return entry


# Features the corpus must contain (checked after generation): every layer class of
# fovea-nn that Keras has, every option of the issue.
REQUIRED = (
    [
        f"layer:{c}"
        for c in (
            "Conv2D Conv1D Dense MaxPooling1D MaxPooling2D AveragePooling1D AveragePooling2D "
            "GlobalMaxPooling1D GlobalMaxPooling2D GlobalAveragePooling1D GlobalAveragePooling2D "
            "ZeroPadding2D Cropping2D Flatten Reshape Permute Dropout BatchNormalization "
            "LayerNormalization Embedding SimpleRNN LSTM GRU Add Subtract Multiply Average Maximum "
            "Minimum Concatenate Activation ReLU LeakyReLU Softmax"
        ).split()
    ]
    + [
        f"activation:{a}"
        for a in (
            "linear relu relu6 sigmoid hard_sigmoid tanh softmax log_softmax elu selu gelu softplus "
            "softsign silu exponential leaky_relu"
        ).split()
    ]
    + [f"{c}.data_format={f}" for c in ("Conv2D", "Conv1D", "MaxPooling2D", "AveragePooling2D",
                                          "MaxPooling1D", "AveragePooling1D", "GlobalMaxPooling2D",
                                          "GlobalAveragePooling2D", "GlobalMaxPooling1D",
                                          "GlobalAveragePooling1D", "ZeroPadding2D", "Cropping2D",
                                          "Flatten") for f in ("channels_last", "channels_first")]
    + [f"{c}.same_odd_total" for c in ("Conv2D", "Conv1D", "MaxPooling2D", "AveragePooling2D",
                                       "MaxPooling1D", "AveragePooling1D")]
    + [f"{c}.{k}" for c in ("Conv2D", "Conv1D") for k in ("groups>1", "dilation_rate>1", "strides>1",
                                                        "use_bias=false", "kernel_size=even")]
    + ["Conv1D.padding=causal"]
    + [f"{c}.strides=none" for c in ("MaxPooling2D", "AveragePooling2D", "MaxPooling1D", "AveragePooling1D")]
    + [f"{c}.{k}" for c in ("SimpleRNN", "LSTM", "GRU") for k in (
        "return_sequences=true", "return_sequences=false", "return_state=true", "go_backwards=true",
        "use_bias=false", "unroll=true", "dropout=set", "recurrent_dropout=set")]
    + ["GRU.reset_after=true", "GRU.reset_after=false", "LSTM.unit_forget_bias=false"]
    + ["BatchNormalization.center=false", "BatchNormalization.scale=false", "BatchNormalization.renorm=true",
       "LayerNormalization.center=false", "LayerNormalization.scale=false", "LayerNormalization.rms_scaling=true"]
    + ["GlobalMaxPooling2D.keepdims=true", "GlobalAveragePooling1D.keepdims=true", "Dropout.noise_shape=set"]
    + [f"initializer:{c}" for c in ("Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
                                    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal",
                                    "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal",
                                    "Identity")]
    + [f"regularizer:{c}" for c in ("L1", "L2", "L1L2")]
    + [f"constraint:{c}" for c in ("MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm")]
    + ["model:Sequential", "model:Functional", "nested:Sequential", "nested:Functional", "multi_input",
       "multi_output", "shared_layer", "io:dict", "input:unknown_dims", "input_dtype:float64",
       "input_dtype:int32", "input_dtype:int64", "format:keras", "zip:stored", "zip:deflated", "format:h5", "source:keras3",
       "source:tf_keras2"]
)


def check_coverage(entries):
    """`{feature: [model names]}`; fails if a REQUIRED feature is missing."""
    cov = {}
    for e in entries:
        for f in e["features"]:
            cov.setdefault(f, []).append(e["name"])
    missing = [f for f in REQUIRED if f not in cov]
    assert not missing, f"features missing from the corpus: {missing}"
    return dict(sorted(cov.items()))
