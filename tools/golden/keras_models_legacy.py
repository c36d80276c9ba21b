"""Legacy Keras 2 `.h5` full-model files for the Keras model corpus, made with tf_keras
2.21 (the Keras 2 that TensorFlow 2.21 keeps as `tf_keras`) in the TensorFlow venv
(tools/golden/requirements-tf.txt). keras_models.py runs it and merges the manifest
entries it writes to the JSON file named on the command line:

    ~/.cache/fovea-golden/tfvenv/bin/python tools/golden/keras_models_legacy.py OUT.json

Keras 2 files differ from Keras 3 ones: `model_config` holds Keras 2 configs (nested
`inbound_nodes` lists, `batch_input_shape`, `LeakyReLU(alpha)`), and weights sit in
`model_weights/<layer>/<layer>/<name>:0`. TensorFlow's CPU kernels do not run
channels_first convolutions or pooling, so those are in the Keras 3 part only.
"""

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"  # plain Eigen kernels: reruns give the same numbers

import json  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402
import zlib  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

from keras_model_features import io_features, model_features  # noqa: E402

SEED = 5  # as keras_model_common.SEED
OUT = pathlib.Path(__file__).resolve().parents[2] / "crates" / "keras" / "tests" / "fixtures" / "models"
L = keras.layers
I = keras.initializers  # noqa: E741
R = keras.regularizers
C = keras.constraints
B = 2
CASES = []


def rng_for(name):
    return np.random.default_rng([SEED, zlib.crc32(name.encode())])


def normal(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def case(name):
    def register(build):
        CASES.append((name, build))
        return build

    return register


def seq(name, shape, make, dtype=np.float32):
    @case(name)
    def build(rng):
        return keras.Sequential([keras.Input(shape), *make()]), [normal(rng, (B, *shape), dtype)]


seq(
    "legacy_cnn_sequential",
    (8, 8, 3),
    lambda: [L.Conv2D(4, 3, padding="same", activation="relu"), L.BatchNormalization(), L.MaxPooling2D(),
             L.Conv2D(4, (2, 2), strides=2, padding="same"), L.Dropout(0.3), L.Flatten(),
             L.Dense(3, activation="softmax")],
)
seq(
    "legacy_conv_options",
    (9, 8, 2),
    lambda: [L.Conv2D(3, 3, dilation_rate=2, kernel_initializer=I.HeNormal(seed=1),
                      kernel_regularizer=R.L2(1e-3), kernel_constraint=C.MaxNorm(2.0, axis=[0, 1, 2])),
             L.Conv2D(4, (2, 4), strides=(3, 2), padding="same", use_bias=False, activation="elu"),
             L.ZeroPadding2D(((1, 0), (2, 1))), L.AveragePooling2D(2, strides=1, padding="same"),
             L.Cropping2D(((0, 1), (1, 0))), L.GlobalMaxPooling2D()],
)
seq("legacy_conv_groups", (6, 6, 4), lambda: [L.Conv2D(6, 3, groups=2, padding="same", activation="tanh"),
                                             L.GlobalAveragePooling2D()])
seq(
    "legacy_conv1d",
    (10, 3),
    lambda: [L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu"),
             L.MaxPooling1D(3, strides=2, padding="same"), L.Conv1D(3, 2, strides=2, padding="same"),
             L.AveragePooling1D(2, padding="same"), L.GlobalAveragePooling1D()],
)


@case("legacy_lstm_modes")
def _lstm(rng):
    x = keras.Input((5, 3))
    seq_out, h, c = L.LSTM(4, return_sequences=True, return_state=True)(x)
    last = L.LSTM(3, go_backwards=True, unit_forget_bias=False, recurrent_activation="hard_sigmoid")(seq_out)
    return keras.Model(x, [last, h, c]), [normal(rng, (B, 5, 3))]


seq(
    "legacy_gru_reset_after_both",
    (6, 3),
    lambda: [L.GRU(4, return_sequences=True), L.GRU(3, reset_after=False, go_backwards=True, return_sequences=True),
             L.GRU(2, use_bias=False)],
)


@case("legacy_simple_rnn_states")
def _simple(rng):
    x = keras.Input((5, 2))
    s, st = L.SimpleRNN(4, return_sequences=True, return_state=True, go_backwards=True)(x)
    return keras.Model(x, [L.SimpleRNN(3, activation="relu")(s), st]), [normal(rng, (B, 5, 2))]


@case("legacy_embedding_lstm")
def _emb(rng):
    x = keras.Input((6,), dtype="int32")
    y = L.Dense(2)(L.LSTM(4)(L.Embedding(11, 3, embeddings_initializer=I.RandomNormal(seed=2))(x)))
    return keras.Model(x, y), [rng.integers(0, 11, (B, 6)).astype(np.int64)]


@case("legacy_merges")
def _merges(rng):
    a, b, c = (keras.Input((4,)) for _ in range(3))
    d = L.Dense(4, activation="sigmoid")(a)
    outs = [L.Add()([d, b, c]), L.Subtract()([d, b]), L.Multiply()([d, c]), L.Average()([a, b]),
            L.Maximum()([a, b, c]), L.Minimum()([d, c]), L.Concatenate()([a, d])]
    return keras.Model([a, b, c], outs), [normal(rng, (B, 4)) for _ in range(3)]


@case("legacy_nested_shared")
def _nested(rng):
    inner = keras.Sequential([keras.Input((5,)), L.Dense(4, activation="relu"), L.Dense(3)], name="inner")
    a, b = keras.Input((5,)), keras.Input((5,))
    shared = L.Dense(5)
    y = L.Concatenate()([inner(shared(a)), inner(shared(b))])
    return keras.Model([a, b], L.Dense(2)(y)), [normal(rng, (B, 5)) for _ in "ab"]


seq(
    "legacy_normalization",
    (4, 5),
    lambda: [L.BatchNormalization(center=False), L.BatchNormalization(axis=1, scale=False, epsilon=0.01),
             L.LayerNormalization(axis=[1, 2]), L.LayerNormalization(center=False, scale=False, epsilon=1e-5)],
)


@case("legacy_activations")
def _acts(rng):
    x = keras.Input((3, 4))
    acts = "relu sigmoid tanh softmax elu selu softplus softsign swish gelu exponential hard_sigmoid linear".split()
    layers = [L.Activation(a) for a in acts] + [L.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
                                                L.LeakyReLU(alpha=0.25), L.Softmax(axis=1), L.Dense(2, activation="relu6")]
    return keras.Model(x, [layer(x) for layer in layers]), [normal(rng, (B, 3, 4))]


seq("legacy_reshape_permute", (12,), lambda: [L.Reshape((3, 4)), L.Permute((2, 1)), L.Dense(3), L.Reshape((-1,))],
    dtype=np.float64)


def run(name, build):
    keras.backend.clear_session()
    keras.utils.set_random_seed(zlib.crc32(name.encode()) % (2**31))
    rng = rng_for(name)
    model, xs = build(rng)
    for w in model.weights:
        a = w.numpy().astype(np.float64)
        short = w.name.split("/")[-1].split(":")[0]
        a = rng.uniform(0.5, 1.5, a.shape) if short in ("moving_variance", "gamma") else a + rng.normal(0, 0.2, a.shape)
        w.assign(a.astype(np.float32))
    feed = [x.astype(np.float32) if x.dtype == np.float64 else x for x in xs]

    def call(m):
        out = m(feed if len(feed) > 1 else feed[0], training=False)
        return [np.asarray(o, dtype=np.float32) for o in tf.nest.flatten(out)]

    ys = call(model)
    path = OUT / f"{name}.h5"
    model.save(path, save_format="h5")
    again = keras.models.load_model(path, compile=False)
    for a, b in zip(ys, call(again)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"{name}: reloaded model differs")
    inputs = []
    for i, (t, x) in enumerate(zip(model.inputs, xs)):
        f = f"{name}.in{i}.npy"
        np.save(OUT / f, x)
        inputs.append({"name": t.node.layer.name, "file": f, "dtype": str(x.dtype), "shape": list(x.shape)})
    outputs = []
    for i, (t, y) in enumerate(zip(model.outputs, ys)):
        f = f"{name}.out{i}.npy"
        np.save(OUT / f, y)
        outputs.append({"layer": t.node.layer.name, "file": f, "shape": list(y.shape)})
    with h5py.File(path, "r") as h:
        config = json.loads(h.attrs["model_config"])
    shapes = {}
    for layer in model.layers:
        try:
            shapes[layer.name] = list(layer.input_shape)
        except (AttributeError, RuntimeError):
            pass  # several inbound nodes
    features = model_features(config, shapes) | io_features(inputs, outputs) | {"format:h5", "source:tf_keras2"}
    return {
        "name": name,
        "file": path.name,
        "format": "h5",
        "source": f"tf_keras {keras.__version__} (tensorflow {tf.__version__})",
        "inputs": inputs,
        "outputs": outputs,
        "features": sorted(features),
    }


def main():
    entries = []
    for name, build in CASES:
        entries.append(run(name, build))
        print(f"{name}: ok", flush=True)
    versions = {"tf_keras": keras.__version__, "tensorflow": tf.__version__}
    pathlib.Path(sys.argv[1]).write_text(json.dumps({"models": entries, "versions": versions}))


if __name__ == "__main__":
    main()
