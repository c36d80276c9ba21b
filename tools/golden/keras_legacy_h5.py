"""Keras 2 (tf.keras) full-model .h5 files, with inputs and tf.keras's outputs, for
fovea-keras's legacy import tests (crates/keras/tests/keras_models.rs).

Run from tools/golden/ with the TensorFlow venv (requirements-tf.txt: tensorflow-cpu
2.21.0, tf_keras 2.21.0, the Keras 2 API). Writes in crates/keras/tests/fixtures/
`tfkeras_<case>.h5` (attribute model_config + group model_weights), and
`tfkeras_<case>.in.npy` / `.out.npy` (or `.out.<name>.npy` for several outputs), the
same naming as keras_configs.py. Weights are redrawn from seeded normals.
"""

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import pathlib  # noqa: E402
import zlib  # noqa: E402

import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras import layers as L  # noqa: E402

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates" / "keras" / "tests" / "fixtures"


def randomize(model, rng):
    for v in model.weights:
        shape = tuple(v.shape)
        value = rng.uniform(0.5, 1.5, shape) if "variance" in v.name else rng.normal(0.0, 0.5, shape)
        v.assign(value.astype(np.float32))


def graph():
    img = keras.Input((8, 8, 2), name="img")
    x = L.Conv2D(4, 3, padding="same", activation="relu")(img)
    x = L.BatchNormalization(center=False)(x)
    y = L.Conv2D(4, 1, use_bias=False)(img)
    z = L.Add()([x, y])
    z = L.MaxPooling2D()(z)
    inner = keras.Sequential([keras.Input((4, 4, 4)), L.Flatten(), L.Dense(6), L.BatchNormalization()], name="inner")
    z = inner(z)
    r = L.Reshape((3, 2))(z)
    r = L.GRU(3)(r)
    r2 = L.LSTM(2, return_sequences=True)(L.Reshape((2, 3))(z))
    out = L.Dense(2, activation="softmax", name="probs")(L.Concatenate()([r, L.Flatten()(r2)]))
    return keras.Model(img, [out, z], name="graph")


def stack():
    return keras.Sequential(
        [
            L.Conv1D(3, 2, input_shape=(6, 2), padding="causal"),
            L.LeakyReLU(alpha=0.2),
            L.SimpleRNN(4, return_sequences=True),
            L.GlobalAveragePooling1D(),
            L.Dense(2, activation="tanh"),
        ],
        name="stack",
    )


def main():
    for old in FIXTURES.glob("tfkeras_*"):
        old.unlink()
    for make in [graph, stack]:
        name = "tfkeras_" + make.__name__
        keras.utils.set_random_seed(zlib.crc32(name.encode()))
        model = make()
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        randomize(model, rng)
        x = rng.normal(0.0, 1.0, (3,) + tuple(model.inputs[0].shape[1:])).astype(np.float32)
        outs = model(x, training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        model.save(FIXTURES / f"{name}.h5")
        np.save(FIXTURES / f"{name}.in.npy", x)
        names = [t.node.layer.name for t in model.outputs]
        for n, y in zip(names, outs):
            suffix = "" if len(outs) == 1 else f".{n}"
            np.save(FIXTURES / f"{name}.out{suffix}.npy", np.asarray(y, dtype=np.float32))
        print(name, [tuple(np.shape(y)) for y in outs], names)


if __name__ == "__main__":
    main()
