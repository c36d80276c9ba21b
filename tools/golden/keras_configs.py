"""Whole Keras models saved as .keras archives, with inputs and Keras's outputs, for
fovea-keras's import tests (crates/keras/tests/keras_models.rs).

Run from tools/golden/ with the Keras/JAX venv (requirements.txt: keras 3.15.1,
jax 0.10.2, numpy 2.4.6, h5py 3.16.0). For each case it writes, in
crates/keras/tests/fixtures/:

  <case>.keras               the model (model.save), archive normalised (see below)
  <case>.in.npy              the input (float32; integer ids as floats), or
  <case>.in.<input>.npy      one per input of a multi-input model
  <case>.out.npy             Keras's prediction (training=False), or
  <case>.out.<output>.npy    one per output of a multi-output model

and, for cases listed in LEGACY_H5, <case>.h5 (Keras 3's legacy full-model .h5).

Every weight is redrawn from a seeded normal (variances from a uniform, so
batch-norm statistics are not the identity), so outputs depend on every weight.
Output names are the output layer's name, or `<layer>_<k>` for the k-th of several
model outputs that come from one layer (an LSTM's return_state, a nested model called
twice).

Archives are rewritten with fixed zip timestamps and a fixed `date_saved`, so a rerun
with the pinned versions is byte-for-byte identical.
"""

import os

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import io  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import zipfile  # noqa: E402
import zlib  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers as L  # noqa: E402

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates" / "keras" / "tests" / "fixtures"
LEGACY_H5 = {"nested", "functional_merge"}


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode()))


def randomize(model, rng):
    for v in model.weights:
        shape = tuple(v.shape)
        if "variance" in v.path:
            value = rng.uniform(0.5, 1.5, shape)
        else:
            value = rng.normal(0.0, 0.5, shape)
        v.assign(value.astype(np.float32))


def seq_convnet():
    return keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            L.Conv2D(4, 3, padding="same", activation="relu", kernel_regularizer="l2"),
            L.BatchNormalization(),
            L.MaxPooling2D(),
            L.Conv2D(6, (3, 2), strides=(2, 1), padding="same", use_bias=False),
            L.ZeroPadding2D(((1, 0), (0, 2))),
            L.Cropping2D(((0, 1), (1, 0))),
            L.AveragePooling2D(pool_size=3, strides=1, padding="same"),
            L.LeakyReLU(negative_slope=0.1),
            L.Conv2D(4, 2, dilation_rate=2, groups=2),
            L.Flatten(),
            L.Dropout(0.3),
            L.Dense(5, activation="softmax"),
        ],
        name="seq_convnet",
    )


def functional_merge():
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    da = L.Dense(4, activation="tanh", name="da")(a)
    db = L.Dense(4, activation="gelu", name="db")(b)
    shared = L.Dense(4, name="shared")
    sa, sb = shared(da), shared(db)
    merged = [
        L.Add()([sa, sb]),
        L.Subtract()([sa, sb]),
        L.Multiply()([sa, sb]),
        L.Average()([sa, sb, da]),
        L.Maximum()([sa, sb]),
        L.Minimum()([sa, sb]),
    ]
    cat = L.Concatenate(name="cat")(merged)
    out = L.Dense(3, activation="sigmoid", name="score")(cat)
    r = L.Reshape((4, 6))(cat)
    r = L.Permute((2, 1))(r)
    r = L.LayerNormalization(axis=-1)(r)
    r = L.Softmax(axis=1, name="attention")(r)
    relu = L.ReLU(max_value=0.5, negative_slope=0.1, threshold=0.2, name="clipped")(sb)
    return keras.Model([a, b], [out, r, relu], name="functional_merge")


def nested():
    inner_seq = keras.Sequential(
        [keras.Input((5,)), L.Dense(4, activation="relu"), L.BatchNormalization(center=False)], name="inner_seq"
    )
    i1 = keras.Input((4,), name="p")
    i2 = keras.Input((4,), name="q")
    inner_fn = keras.Model([i1, i2], L.Concatenate()([L.Dense(3)(i1), i2]), name="inner_fn")
    x = keras.Input((5,), name="x")
    h = inner_seq(x)
    y = inner_fn([h, h])
    y = L.Dense(2, activation="elu")(y)
    return keras.Model(x, [y, h], name="nested")


def rnns():
    x = keras.Input((5, 3), name="seq")
    s = L.SimpleRNN(4, return_sequences=True)(x)
    l_seq, l_h, l_c = L.LSTM(3, return_sequences=True, return_state=True, go_backwards=True)(s)
    g = L.GRU(4, reset_after=False)(l_seq)
    g2 = L.GRU(2, activation="relu", recurrent_activation="hard_sigmoid")(x)
    out = L.Dense(2)(L.Concatenate()([g, g2, l_h, l_c]))
    return keras.Model(x, [out, l_seq], name="rnns")


def bn_center_false():
    return keras.Sequential(
        [
            keras.Input((6, 6, 2)),
            L.Conv2D(3, 3),
            L.BatchNormalization(center=False),
            L.BatchNormalization(scale=False, epsilon=0.01),
            L.BatchNormalization(axis=1, center=False, scale=False),
            L.GlobalAveragePooling2D(),
        ],
        name="bn_center_false",
    )


def conv1d_embedding():
    ids = keras.Input((7,), name="ids", dtype="int32")
    e = L.Embedding(11, 4)(ids)
    c = L.Conv1D(5, 3, padding="causal", dilation_rate=2, activation="selu")(e)
    c = L.MaxPooling1D(2, strides=None, padding="same")(c)
    c = L.AveragePooling1D(2, strides=1)(c)
    m = L.GlobalMaxPooling1D()(c)
    a = L.GlobalAveragePooling1D()(c)
    out = L.Activation("softplus")(L.Dense(3)(L.Concatenate()([m, a])))
    return keras.Model(ids, out, name="conv1d_embedding")


def channels_first():
    return keras.Sequential(
        [
            keras.Input((2, 7, 7)),
            L.Conv2D(3, 3, data_format="channels_first", padding="same"),
            L.MaxPooling2D(2, data_format="channels_first", padding="same"),
            L.BatchNormalization(axis=1),
            L.GlobalMaxPooling2D(data_format="channels_first", keepdims=True),
            L.Flatten(data_format="channels_first"),
        ],
        name="channels_first",
    )


def shared_nested():
    """A nested Functional called twice (Keras numbers its calls differently in
    inbound_nodes and in output_layers) and a Dense shared at two depths."""
    p = keras.Input((4,), name="p")
    q = keras.Input((4,), name="q")
    sub = keras.Model([p, q], L.Concatenate()([L.Dense(2)(p), q]), name="sub")
    x = keras.Input((4,), name="x")
    shared = L.Dense(4, activation="tanh", name="shared")
    y1 = sub([x, shared(x)])
    y2 = sub([shared(L.Dense(4)(y1)), x])
    return keras.Model(x, [y2, y1], name="shared_nested")


CASES = [seq_convnet, functional_merge, nested, rnns, bn_center_false, conv1d_embedding, channels_first, shared_nested]


def output_names(model):
    """Each output's producing layer name, or `<layer>_<k>` for the k-th of several
    model outputs from one layer (fovea_keras's ModelSpec::output_names, same rule)."""
    layers = [t._keras_history[0] for t in model.outputs]
    names = []
    for i, layer in enumerate(layers):
        if sum(1 for x in layers if x is layer) > 1:
            names.append(f"{layer.name}_{sum(1 for x in layers[:i] if x is layer)}")
        else:
            names.append(layer.name)
    return names


def input_file(name, model, t):
    return f"{name}.in.npy" if len(model.inputs) == 1 else f"{name}.in.{t.name}.npy"


def output_file(name, outs, n):
    return f"{name}.out.npy" if len(outs) == 1 else f"{name}.out.{n}.npy"


def renumber_shared_ids(v, ids):
    """Keras writes Python id()s as shared_object_id; number them 1, 2, ... in order
    of appearance instead (same sharing, reproducible bytes)."""
    if isinstance(v, dict):
        return {
            k: (ids.setdefault(x, len(ids) + 1) if k == "shared_object_id" else renumber_shared_ids(x, ids))
            for k, x in v.items()
        }
    if isinstance(v, list):
        return [renumber_shared_ids(x, ids) for x in v]
    return v


def normalise_archive(path):
    """Rewrites the .keras zip with fixed timestamps, date_saved and shared ids."""
    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in members:
            if name == "metadata.json":
                meta = json.loads(data)
                meta["date_saved"] = "2000-01-01@00:00:00"
                data = json.dumps(meta).encode()
            if name == "config.json":
                data = json.dumps(renumber_shared_ids(json.loads(data), {})).encode()
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(info, data)
    path.write_bytes(out.getvalue())


def main():
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for old in FIXTURES.glob("*"):
        if old.suffix in (".keras", ".npy", ".h5") and not old.name.startswith("tfkeras_"):
            old.unlink()
    for make in CASES:
        name = make.__name__
        keras.utils.set_random_seed(zlib.crc32(name.encode()))
        model = make()
        rng = rng_for(name)
        randomize(model, rng)
        inputs = []
        for t in model.inputs:
            shape = (3,) + tuple(t.shape[1:])
            if "int" in str(t.dtype):
                inputs.append(rng.integers(0, 11, shape).astype(np.float32))
            else:
                inputs.append(rng.normal(0.0, 1.0, shape).astype(np.float32))
        outs = model(inputs if len(inputs) > 1 else inputs[0], training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        path = FIXTURES / f"{name}.keras"
        model.save(path)
        normalise_archive(path)
        if name in LEGACY_H5:
            model.save(FIXTURES / f"{name}.h5")
        for t, x in zip(model.inputs, inputs):
            np.save(FIXTURES / input_file(name, model, t), x)
        for n, y in zip(output_names(model), outs):
            np.save(FIXTURES / output_file(name, outs, n), np.asarray(y, dtype=np.float32))
        # The archive must load back in Keras with the same predictions.
        again = keras.models.load_model(path)
        back = again(inputs if len(inputs) > 1 else inputs[0], training=False)
        back = back if isinstance(back, (list, tuple)) else [back]
        for y, z in zip(outs, back):
            assert np.array_equal(np.asarray(y), np.asarray(z)), name
        print(name, [tuple(np.shape(y)) for y in outs], output_names(model), path.stat().st_size)


if __name__ == "__main__":
    main()
