"""Seeded random models of the Keras model corpus (keras_models.py): 2-D and 1-D conv
stacks with every option drawn at random, recurrent stacks, and random Functional graphs
with merges, shared layers and nested blocks. Each model depends only on its name (the
generator is `rng_for(name)`), so adding a case does not change the others."""

import keras
import numpy as np

from keras_model_cases import ACTS, CF, normal

L = keras.layers
I = keras.initializers  # noqa: E741
CL = "channels_last"
N_CNN2D, N_SEQ1D, N_GRAPH = 20, 12, 12


def pick(rng, items):
    return items[int(rng.integers(len(items)))]


def rint(rng, lo, hi):
    """An int in [lo, hi]."""
    return int(rng.integers(lo, hi + 1))


def initializer(rng):
    seed = rint(rng, 0, 99)
    return pick(rng, [
        lambda: "glorot_uniform", lambda: I.HeNormal(seed=seed), lambda: I.LecunUniform(seed=seed),
        lambda: I.RandomNormal(0.0, 0.3, seed=seed), lambda: I.Orthogonal(seed=seed), lambda: I.GlorotNormal(seed=seed),
    ])()


def activation(rng):
    # exponential and softmax kept rare: chained they saturate everything after them.
    return pick(rng, ACTS + ["relu", "tanh", "linear", "relu"] * 2)


def groups_for(rng, channels):
    divisors = [g for g in range(2, channels + 1) if channels % g == 0]
    return pick(rng, divisors) if divisors and rng.random() < 0.35 else 1


def conv_layer(rng, fmt, channels, rank):
    k = [rint(rng, 1, 4) for _ in range(rank)]
    strides = [rint(rng, 1, 3) for _ in range(rank)] if rng.random() < 0.5 else [1] * rank
    dilation = [rint(rng, 1, 3) for _ in range(rank)] if max(strides) == 1 and rng.random() < 0.35 else [1] * rank
    g = groups_for(rng, channels)
    pads = ["valid", "same"] + (["causal"] if rank == 1 else [])
    args = dict(
        filters=g * rint(rng, 1, 3), kernel_size=k if rank == 2 else k[0], strides=strides if rank == 2 else strides[0],
        padding=pick(rng, pads), data_format=fmt, dilation_rate=dilation if rank == 2 else dilation[0], groups=g,
        activation=activation(rng), use_bias=bool(rng.random() < 0.75), kernel_initializer=initializer(rng),
    )
    return (L.Conv2D if rank == 2 else L.Conv1D)(**args)


def pool_layer(rng, fmt, rank):
    cls = pick(rng, [L.MaxPooling2D, L.AveragePooling2D] if rank == 2 else [L.MaxPooling1D, L.AveragePooling1D])
    size = [rint(rng, 1, 3) for _ in range(rank)]
    strides = None if rng.random() < 0.4 else [rint(rng, 1, 3) for _ in range(rank)]
    if rank == 1:
        size, strides = size[0], (strides[0] if strides else None)
    return cls(size, strides=strides, padding=pick(rng, ["valid", "same"]), data_format=fmt)


def misc_layer(rng, fmt, rank):
    caxis = 1 if fmt == CF else -1
    choices = [
        lambda: L.BatchNormalization(axis=caxis, center=bool(rng.random() < 0.7), scale=bool(rng.random() < 0.7)),
        lambda: L.LayerNormalization(axis=pick(rng, [-1, caxis])),
        lambda: L.Dropout(0.25),
        lambda: L.Activation(activation(rng)),
        lambda: L.ReLU(max_value=pick(rng, [None, 1.0, 6.0]), negative_slope=pick(rng, [0.0, 0.1])),
        lambda: L.LeakyReLU(negative_slope=pick(rng, [0.2, 0.05])),
    ]
    if rank == 2:
        pairs = [(rint(rng, 0, 2), rint(rng, 0, 2)) for _ in range(2)]
        choices += [lambda: L.ZeroPadding2D(pairs, data_format=fmt), lambda: L.Cropping2D(pairs, data_format=fmt)]
    return pick(rng, choices)()


def grow(rng, t, make, steps):
    """Applies `steps` random layers from `make(t)`, redrawing any whose output is empty."""
    for _ in range(steps):
        for _attempt in range(30):
            try:
                y = make(t)(t)
            except ValueError:
                continue
            if all(d is None or d > 0 for d in y.shape[1:]):
                t = y
                break
    return t


def channels(t, fmt):
    return t.shape[1] if fmt == CF else t.shape[-1]


def head(rng, t, fmt, rank):
    kind = rint(rng, 0, 2)
    if kind == 0:
        t = L.Flatten(data_format=fmt)(t)
    elif kind == 1:
        gl = ([L.GlobalMaxPooling2D, L.GlobalAveragePooling2D] if rank == 2
              else [L.GlobalMaxPooling1D, L.GlobalAveragePooling1D])
        t = pick(rng, gl)(data_format=fmt, keepdims=bool(rng.random() < 0.2))(t)
    else:
        return t
    return L.Dense(rint(rng, 1, 4), activation=activation(rng))(t)


def random_cnn2d(rng):
    fmt = pick(rng, [CL, CF])
    h, w, c = rint(rng, 5, 10), rint(rng, 5, 10), rint(rng, 1, 4)
    shape = (c, h, w) if fmt == CF else (h, w, c)
    x = keras.Input(shape)

    def make(t):
        r = rng.random()
        if r < 0.5:
            return conv_layer(rng, fmt, channels(t, fmt), 2)
        return pool_layer(rng, fmt, 2) if r < 0.7 else misc_layer(rng, fmt, 2)

    t = grow(rng, x, make, rint(rng, 1, 4))
    t = head(rng, t, fmt, 2)
    return keras.Model(x, t), [normal(rng, (2, *shape))]


def random_seq1d(rng):
    fmt = pick(rng, [CL, CL, CF])
    steps, c = rint(rng, 5, 10), rint(rng, 1, 4)
    shape = (c, steps) if fmt == CF else (steps, c)
    x = keras.Input(shape)

    def make(t):
        r = rng.random()
        if r < 0.35:
            return conv_layer(rng, fmt, channels(t, fmt), 1)
        if r < 0.5:
            return pool_layer(rng, fmt, 1)
        if r < 0.7:
            cls = pick(rng, [L.SimpleRNN, L.LSTM, L.GRU])
            extra = {"reset_after": bool(rng.random() < 0.5)} if cls is L.GRU else {}
            return cls(rint(rng, 2, 5), return_sequences=True, go_backwards=bool(rng.random() < 0.3),
                       activation=pick(rng, ["tanh", "tanh", "relu", "sigmoid"]), **extra)
        if r < 0.8:
            return L.Dense(rint(rng, 2, 5), activation=activation(rng))
        return misc_layer(rng, fmt, 1)

    t = grow(rng, x, make, rint(rng, 1, 4))
    if rng.random() < 0.4:
        fmt = CL  # after an RNN or Dense the layout is (batch, steps, features)
        t = pick(rng, [L.LSTM, L.GRU, L.SimpleRNN])(rint(rng, 2, 4), go_backwards=bool(rng.random() < 0.3))(t)
    else:
        t = head(rng, t, fmt, 1)
    return keras.Model(x, t), [normal(rng, (2, *shape))]


MERGES = [L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum, L.Concatenate]


def random_graph(rng):
    rank3 = rng.random() < 0.4
    width = rint(rng, 2, 5)
    steps = rint(rng, 3, 6)
    shapes = [(steps, rint(rng, 1, 4)) if rank3 else (rint(rng, 2, 6),) for _ in range(rint(rng, 1, 3))]
    xs = [keras.Input(s) for s in shapes]
    pool = [L.Dense(width, activation=activation(rng))(x) for x in xs]
    shared = L.Dense(width, activation="tanh")
    nested = keras.Sequential([keras.Input((steps, width) if rank3 else (width,)), L.Dense(width, activation="relu"),
                               L.LayerNormalization(), L.Dense(width)], name="block")
    for _ in range(rint(rng, 2, 6)):
        r = rng.random()
        a = pick(rng, pool)
        if r < 0.35 and len(pool) > 1:
            cls = pick(rng, MERGES)
            n = 2 if cls is L.Subtract else rint(rng, 2, min(3, len(pool)))
            picks = [pool[int(i)] for i in rng.choice(len(pool), n, replace=False)]
            y = cls()(picks)
            if cls is L.Concatenate:
                y = L.Dense(width)(y)
        elif r < 0.5:
            y = shared(a)
        elif r < 0.6:
            y = nested(a)
        elif r < 0.75 and rank3:
            y = pick(rng, [
                lambda: L.Conv1D(width, rint(rng, 1, 3), padding=pick(rng, ["same", "causal"]))(a),
                lambda: L.GRU(width, return_sequences=True, reset_after=bool(rng.random() < 0.5))(a),
                lambda: L.LSTM(width, return_sequences=True, go_backwards=bool(rng.random() < 0.5))(a),
            ])()
        else:
            y = pick(rng, [
                lambda: L.Dense(width, activation=activation(rng))(a), lambda: L.BatchNormalization()(a),
                lambda: L.Activation(activation(rng))(a), lambda: L.Dropout(0.5)(a),
            ])()
        pool.append(y)
    final = L.Add()(pool[-2:]) if len(pool) >= 2 else pool[-1]
    # Every input reaches an output: the first outputs merge what each input started.
    outs = [L.Concatenate()([final] + pool[: len(xs)]) if len(xs) > 1 else final]
    if rng.random() < 0.5:
        outs.append(pool[int(rng.integers(len(xs), len(pool)))])
    return keras.Model(xs, outs), [normal(rng, (2, *s)) for s in shapes]


def cases():
    out = [(f"random_cnn2d_{i:02d}", random_cnn2d, "keras", ("random", "zip:deflated")) for i in range(N_CNN2D)]
    out += [(f"random_seq1d_{i:02d}", random_seq1d, "keras", ("random", "zip:deflated")) for i in range(N_SEQ1D)]
    out += [(f"random_graph_{i:02d}", random_graph, "keras", ("random", "zip:deflated")) for i in range(N_GRAPH)]
    return out
