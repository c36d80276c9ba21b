"""Functional-graph cases of the Keras model corpus (keras_models.py): merges, several
inputs and outputs, dict inputs and outputs, shared layers, nested models, unknown
dimensions, and a few models Keras 3 saves in the legacy `.h5` format."""

import keras
import numpy as np

from keras_model_cases import B, CF, normal

L = keras.layers
CASES = []


def graph(name, fmt="keras", tags=()):
    def register(build):
        CASES.append((name, build, fmt, tags))
        return build

    return register


@graph("merge_add3_subtract")
def _add3(rng):
    a, b, c = (keras.Input((4,), name=n) for n in ("a", "b", "c"))
    d = L.Dense(4)(a)
    return keras.Model([a, b, c], [L.Add()([d, b, c]), L.Subtract()([d, b])]), [normal(rng, (B, 4)) for _ in range(3)]


@graph("merge_mul_avg_max_min")
def _elementwise(rng):
    a, b, c = (keras.Input((3, 5)) for _ in range(3))
    outs = [L.Multiply()([a, b]), L.Average()([a, b, c]), L.Maximum()([a, b]), L.Minimum()([a, b, c]),
            L.Multiply()([a, b, c])]
    return keras.Model([a, b, c], outs), [normal(rng, (B, 3, 5)) for _ in range(3)]


@graph("merge_concatenate_axes")
def _concat(rng):
    shapes = [(3, 4, 2), (3, 4, 5), (2, 4, 2), (3, 1, 2)]
    xs = [keras.Input(s) for s in shapes]
    outs = [L.Concatenate()([xs[0], xs[1]]), L.Concatenate(axis=1)([xs[0], xs[2]]),
            L.Concatenate(axis=-2)([xs[0], xs[3], xs[0]])]
    return keras.Model(xs, outs), [normal(rng, (B, *s)) for s in shapes]


@graph("merge_broadcast")
def _broadcast(rng):
    a, b, c = keras.Input((4, 3)), keras.Input((1, 3)), keras.Input((4, 1))
    outs = [L.Add()([a, b]), L.Multiply()([a, c]), L.Maximum()([b, c])]
    return keras.Model([a, b, c], outs), [normal(rng, (B, *s)) for s in ((4, 3), (1, 3), (4, 1))]


@graph("multi_input_multi_output")
def _multi(rng):
    img = keras.Input((6, 6, 3), name="image")
    vec = keras.Input((5,), name="features")
    f = L.GlobalAveragePooling2D()(L.Conv2D(4, 3, activation="relu")(img))
    h = L.Concatenate()([f, L.Dense(4, activation="tanh")(vec)])
    outs = [L.Dense(3, activation="softmax", name="probs")(h), L.Dense(1, name="value")(h)]
    return keras.Model([img, vec], outs), [normal(rng, (B, 6, 6, 3)), normal(rng, (B, 5))]


@graph("dict_inputs_outputs")
def _dicts(rng):
    ins = {"tabular": keras.Input((4,), name="tabular"), "image": keras.Input((5, 5, 2), name="image")}
    f = L.Flatten()(L.MaxPooling2D()(ins["image"]))
    h = L.Concatenate()([f, ins["tabular"]])
    outs = {"score": L.Dense(1, name="score")(h), "logits": L.Dense(3, name="logits")(h)}
    model = keras.Model(ins, outs)
    # model.inputs follows the flattened (key-sorted) structure: image, tabular.
    return model, [normal(rng, (B, 5, 5, 2)), normal(rng, (B, 4))]


@graph("shared_dense_conv")
def _shared(rng):
    a, b = keras.Input((5, 5, 2)), keras.Input((5, 5, 2))
    conv = L.Conv2D(3, 2, activation="relu")
    dense = L.Dense(2)
    fa, fb = L.Flatten()(conv(a)), L.Flatten()(conv(b))
    return keras.Model([a, b], [L.Subtract()([dense(fa), dense(fb)])]), [normal(rng, (B, 5, 5, 2)) for _ in "ab"]


def _inner_sequential():
    return keras.Sequential([keras.Input((6,)), L.Dense(5, activation="relu"), L.Dense(3)], name="inner_seq")


@graph("nested_sequential_in_functional")
def _nested_seq(rng):
    x = keras.Input((4,))
    return keras.Model(x, L.Dense(2)(_inner_sequential()(L.Dense(6)(x)))), [normal(rng, (B, 4))]


@graph("nested_functional_in_functional")
def _nested_func(rng):
    p, q = keras.Input((3,)), keras.Input((3,))
    inner = keras.Model([p, q], L.Dense(4, activation="sigmoid")(L.Concatenate()([p, L.Dense(3)(q)])), name="inner")
    a, b = keras.Input((3,)), keras.Input((2,))
    y = inner([a, L.Dense(3)(b)])
    return keras.Model([a, b], L.Dense(2)(y)), [normal(rng, (B, 3)), normal(rng, (B, 2))]


@graph("nested_sequential_in_sequential")
def _nested_ss(rng):
    inner = keras.Sequential([keras.Input((5, 5, 2)), L.Conv2D(3, 2), L.MaxPooling2D()], name="features")
    model = keras.Sequential([keras.Input((5, 5, 2)), inner, L.Flatten(), L.Dense(2)])
    return model, [normal(rng, (B, 5, 5, 2))]


@graph("nested_model_called_twice")
def _nested_twice(rng):
    inner = _inner_sequential()
    a, b = keras.Input((6,)), keras.Input((6,))
    return keras.Model([a, b], L.Add()([inner(a), inner(b)])), [normal(rng, (B, 6)) for _ in "ab"]


@graph("residual_cnn")
def _residual(rng):
    x = keras.Input((6, 6, 3))
    h = L.Conv2D(4, 3, padding="same")(x)
    r = L.Activation("relu")(L.BatchNormalization()(L.Conv2D(4, 3, padding="same")(h)))
    h = L.Add()([h, r])
    return keras.Model(x, L.Dense(3)(L.GlobalAveragePooling2D()(h))), [normal(rng, (B, 6, 6, 3))]


@graph("inception_concat")
def _inception(rng):
    x = keras.Input((7, 7, 3))
    b1 = L.Conv2D(2, 1)(x)
    b2 = L.Conv2D(3, 3, padding="same", activation="relu")(x)
    b3 = L.Conv2D(2, 1)(L.MaxPooling2D(3, strides=1, padding="same")(x))
    return keras.Model(x, L.GlobalMaxPooling2D()(L.Concatenate()([b1, b2, b3]))), [normal(rng, (B, 7, 7, 3))]


@graph("unknown_spatial_cnn")
def _unknown(rng):
    x = keras.Input((None, None, 3))
    h = L.Conv2D(4, 3, strides=2, padding="same", activation="relu")(x)
    return keras.Model(x, L.Dense(2)(L.GlobalAveragePooling2D()(h))), [normal(rng, (B, 7, 5, 3))]


@graph("cnn_rnn_mix")
def _cnn_rnn(rng):
    x = keras.Input((8, 3))
    h = L.GRU(4, return_sequences=True)(L.MaxPooling1D()(L.Conv1D(5, 3, padding="same", activation="relu")(x)))
    return keras.Model(x, L.Dense(2)(L.GlobalAveragePooling1D()(L.LayerNormalization()(h)))), [normal(rng, (B, 8, 3))]


@graph("channels_first_cnn_flatten")
def _cf_cnn(rng):
    x = keras.Input((3, 8, 8))
    h = L.Conv2D(4, 3, padding="same", data_format=CF, activation="relu")(x)
    h = L.BatchNormalization(axis=1)(h)
    h = L.MaxPooling2D(data_format=CF)(h)
    h = L.ZeroPadding2D(1, data_format=CF)(h)
    h = L.Conv2D(2, 2, strides=2, data_format=CF)(h)
    return keras.Model(x, L.Dense(3)(L.Flatten(data_format=CF)(h))), [normal(rng, (B, 3, 8, 8))]


@graph("sequential_input_shape_kwarg")
def _input_shape_kwarg(rng):
    model = keras.Sequential([L.Dense(4, input_shape=(3,), activation="relu"), L.Dense(2)])
    return model, [normal(rng, (B, 3))]


@graph("lstm_state_outputs_to_dense")
def _lstm_states(rng):
    x = keras.Input((5, 2))
    seq_out, h, c = L.LSTM(3, return_sequences=True, return_state=True)(x)
    y = L.Concatenate()([L.Flatten()(seq_out), h, c])
    return keras.Model(x, [L.Dense(2)(y), h]), [normal(rng, (B, 5, 2))]


# ---- Keras 3 writing the legacy .h5 format (model_config attribute + model_weights).
@graph("h5k3_cnn", fmt="h5")
def _h5_cnn(rng):
    model = keras.Sequential([keras.Input((7, 7, 2)), L.Conv2D(3, 3, padding="same", activation="relu"),
                              L.BatchNormalization(), L.MaxPooling2D(), L.Flatten(), L.Dropout(0.2), L.Dense(3)])
    return model, [normal(rng, (B, 7, 7, 2))]


@graph("h5k3_rnn", fmt="h5")
def _h5_rnn(rng):
    x = keras.Input((5, 3))
    h = L.GRU(4, return_sequences=True, reset_after=False)(x)
    s, st = L.SimpleRNN(3, return_state=True, go_backwards=True)(L.LSTM(4, return_sequences=True)(h))
    return keras.Model(x, [s, st]), [normal(rng, (B, 5, 3))]


@graph("h5k3_merges", fmt="h5")
def _h5_merge(rng):
    a, b = keras.Input((4,)), keras.Input((4,))
    d = L.Dense(4, activation="relu")
    return keras.Model([a, b], [L.Multiply()([d(a), b]), L.Concatenate()([a, d(b)])]), [normal(rng, (B, 4))
                                                                                       for _ in "ab"]


@graph("h5k3_nested_embedding", fmt="h5")
def _h5_nested(rng):
    x = keras.Input((6,), dtype="int32")
    inner = keras.Sequential([keras.Input((6, 3)), L.Conv1D(4, 2, padding="causal"), L.GlobalMaxPooling1D()])
    y = L.Dense(2)(inner(L.Embedding(9, 3)(x)))
    return keras.Model(x, y), [rng.integers(0, 9, (B, 6)).astype(np.int32)]

