"""Hand-written cases of the Keras model corpus (keras_models.py): at least one small
model per layer option fovea-nn implements. Each builder gets the case's numpy generator
and returns `(model, inputs)`, the inputs in `model.inputs` order."""

import keras
import numpy as np

L = keras.layers
I = keras.initializers  # noqa: E741
R = keras.regularizers
C = keras.constraints
B = 2  # batch

CASES = []  # (name, builder, format, tags)


def normal(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def seq(name, shape, make, fmt="keras", tags=(), dtype=np.float32, batch=B):
    """A Sequential case: `make()` returns the layers (made after the session reset)."""

    def build(rng):
        model = keras.Sequential([keras.Input(shape), *make()])
        return model, [normal(rng, (batch, *[d or 5 for d in shape]), dtype)]

    CASES.append((name, build, fmt, tags))


def func(name, fmt="keras", tags=()):
    """A Functional case from a builder function."""

    def register(build):
        CASES.append((name, build, fmt, tags))
        return build

    return register


def fanout(name, shape, make, batch=B, fmt="keras"):
    """One input, one output per layer from `make()`, each applied to the input."""

    @func(name, fmt)
    def build(rng):
        x = keras.Input(shape)
        outs = []
        for layer in make():
            y = layer(x)
            outs += y if isinstance(y, (list, tuple)) else [y]
        return keras.Model(x, outs), [normal(rng, (batch, *shape))]


# ---- Conv2D: valid/same (odd totals from even kernels, strides, odd sizes), formats,
# groups, dilation, activations, bias, initializers, regularizers, constraints.
CF = "channels_first"
seq("conv2d_valid_relu", (7, 7, 3), lambda: [L.Conv2D(4, 3, activation="relu")])
seq("conv2d_same_even_kernel", (6, 7, 3), lambda: [L.Conv2D(4, (2, 4), padding="same")])
seq("conv2d_same_stride2_odd", (7, 9, 2), lambda: [L.Conv2D(3, 3, strides=2, padding="same", activation="tanh")])
seq("conv2d_same_k4x2_s3x2", (8, 7, 3), lambda: [L.Conv2D(4, (4, 2), strides=(3, 2), padding="same")])
seq("conv2d_valid_stride2_even", (8, 9, 3), lambda: [L.Conv2D(4, (2, 3), strides=2, activation="elu")])
seq("conv2d_same_dilation2", (7, 8, 3), lambda: [L.Conv2D(4, 3, dilation_rate=2, padding="same", activation="selu")])
seq("conv2d_valid_dilation_2x1", (9, 6, 2), lambda: [L.Conv2D(3, (3, 2), dilation_rate=(2, 1), activation="softplus")])
seq("conv2d_same_dilation_even_k", (7, 6, 2), lambda: [L.Conv2D(3, (2, 4), dilation_rate=(3, 1), padding="same")])
seq("conv2d_groups2", (6, 6, 4), lambda: [L.Conv2D(6, 3, groups=2, padding="same", activation="relu6")])
seq("conv2d_groups4_same_s2", (7, 7, 4), lambda: [L.Conv2D(8, (2, 2), strides=2, groups=4, padding="same")])
seq("conv2d_cf_valid", (3, 7, 6), lambda: [L.Conv2D(4, 3, data_format=CF, activation="sigmoid")])
seq("conv2d_cf_same_stride2_even", (2, 7, 8), lambda: [L.Conv2D(4, (2, 4), strides=2, padding="same", data_format=CF)])
seq(
    "conv2d_cf_dilation_groups",
    (4, 8, 8),
    lambda: [L.Conv2D(6, 3, dilation_rate=(1, 2), groups=2, padding="same", data_format=CF, activation="gelu")],
)
seq("conv2d_cf_softmax_over_width", (3, 4, 5), lambda: [L.Conv2D(4, (1, 2), data_format=CF, activation="softmax")])
seq("conv2d_1x1_softmax", (5, 5, 3), lambda: [L.Conv2D(4, 1, activation="softmax")])
seq(
    "conv2d_no_bias_initializers",
    (6, 6, 3),
    lambda: [
        L.Conv2D(4, 3, use_bias=False, kernel_initializer=I.HeNormal(seed=1)),
        L.Conv2D(3, 2, kernel_initializer=I.Orthogonal(gain=0.5, seed=2), bias_initializer=I.Constant(0.3),
                 activation="softsign"),
    ],
)
seq(
    "conv2d_regularizers_constraints",
    (6, 6, 3),
    lambda: [
        L.Conv2D(4, 3, kernel_regularizer=R.L1L2(1e-3, 1e-4), bias_regularizer=R.L2(1e-2),
                 activity_regularizer=R.L1(1e-3), kernel_constraint=C.MaxNorm(2.0, axis=[0, 1, 2]),
                 bias_constraint=C.NonNeg()),
        L.Conv2D(2, 1, kernel_constraint=C.UnitNorm(axis=[0, 1, 2]),
                 bias_constraint=C.MinMaxNorm(0.1, 1.5, rate=0.5, axis=0)),
    ],
)

# ---- Conv1D, causal included.
seq("conv1d_valid", (9, 3), lambda: [L.Conv1D(4, 3, activation="relu")])
seq("conv1d_same_even_stride2", (9, 3), lambda: [L.Conv1D(4, 4, strides=2, padding="same")])
seq(
    "conv1d_causal_dilation",
    (10, 2),
    lambda: [L.Conv1D(3, 3, padding="causal", dilation_rate=2, activation="tanh"), L.Conv1D(2, 2, padding="causal")],
)
seq("conv1d_cf_same", (3, 9), lambda: [L.Conv1D(4, 2, padding="same", data_format=CF, activation="silu")])
seq("conv1d_cf_causal_stride", (2, 11), lambda: [L.Conv1D(3, 3, strides=2, padding="causal", data_format=CF)])
seq("conv1d_groups", (8, 6), lambda: [L.Conv1D(9, 3, groups=3, padding="same"), L.Conv1D(3, 2, groups=3, use_bias=False)])
seq(
    "conv1d_cf_valid_dilation_groups",
    (4, 12),
    lambda: [L.Conv1D(4, 3, dilation_rate=3, groups=2, data_format=CF, kernel_initializer=I.LecunNormal(seed=4))],
)

# ---- Pooling: strides=None, same with odd totals (average counts only real cells).
seq("maxpool2d_default_odd", (7, 7, 3), lambda: [L.MaxPooling2D()])
seq("maxpool2d_same_strides_none_k3", (7, 8, 2), lambda: [L.MaxPooling2D(3, padding="same")], tags=("config:strides_null",))
seq("maxpool2d_same_asym", (6, 7, 2), lambda: [L.MaxPooling2D((2, 3), strides=(1, 2), padding="same")])
seq("avgpool2d_same_asym", (7, 6, 2), lambda: [L.AveragePooling2D((3, 2), strides=(2, 1), padding="same")])
seq("avgpool2d_valid_strides", (8, 7, 3), lambda: [L.AveragePooling2D((2, 3), strides=(3, 2))])
seq("avgpool2d_same_strides_none_even", (7, 7, 2), lambda: [L.AveragePooling2D(2, padding="same")], tags=("config:strides_null",))
seq("maxpool2d_cf_same", (2, 7, 6), lambda: [L.MaxPooling2D(2, padding="same", data_format=CF)])
seq("avgpool2d_cf_valid", (3, 6, 7), lambda: [L.AveragePooling2D((2, 2), strides=1, data_format=CF)])
seq("avgpool2d_cf_same_k3", (2, 5, 8), lambda: [L.AveragePooling2D(3, strides=2, padding="same", data_format=CF)])
seq("maxpool1d_default", (9, 3), lambda: [L.MaxPooling1D()], tags=("config:strides_null",))
seq("maxpool1d_same_k3_s2", (8, 2), lambda: [L.MaxPooling1D(3, strides=2, padding="same")])
seq("avgpool1d_same_strides_none_k2", (7, 3), lambda: [L.AveragePooling1D(2, padding="same")], tags=("config:strides_null",))
seq("avgpool1d_valid_s1", (7, 3), lambda: [L.AveragePooling1D(3, strides=1)])
seq("maxpool1d_cf_same", (3, 7), lambda: [L.MaxPooling1D(2, padding="same", data_format=CF)])
seq("avgpool1d_cf_same_k3", (2, 8), lambda: [L.AveragePooling1D(3, strides=2, padding="same", data_format=CF)])
fanout(
    "global_pooling_2d",
    (5, 6, 3),
    lambda: [
        L.GlobalMaxPooling2D(), L.GlobalAveragePooling2D(), L.GlobalMaxPooling2D(keepdims=True),
        L.GlobalAveragePooling2D(data_format=CF), L.GlobalMaxPooling2D(data_format=CF, keepdims=True),
        L.GlobalAveragePooling2D(keepdims=True),
    ],
)
fanout(
    "global_pooling_1d",
    (7, 4),
    lambda: [
        L.GlobalMaxPooling1D(), L.GlobalAveragePooling1D(), L.GlobalAveragePooling1D(keepdims=True),
        L.GlobalMaxPooling1D(data_format=CF), L.GlobalAveragePooling1D(data_format=CF, keepdims=True),
    ],
)

# ---- Padding, cropping, reshaping.
seq(
    "zeropad2d_forms",
    (4, 5, 2),
    lambda: [L.ZeroPadding2D(), L.ZeroPadding2D((1, 2)), L.ZeroPadding2D(((0, 2), (1, 0))), L.Conv2D(2, 3)],
)
seq(
    "zeropad2d_cf",
    (2, 4, 5),
    lambda: [L.ZeroPadding2D(((1, 0), (2, 1)), data_format=CF), L.Conv2D(2, 2, data_format=CF)],
)
seq("cropping2d_forms", (9, 10, 2), lambda: [L.Cropping2D(1), L.Cropping2D((1, 2)), L.Cropping2D(((0, 2), (1, 0)))])
seq("cropping2d_cf", (2, 8, 7), lambda: [L.Cropping2D(((2, 1), (0, 3)), data_format=CF)])
seq(
    "flatten_cf_dense",
    (3, 5, 4),
    lambda: [L.Conv2D(4, 2, data_format=CF), L.Flatten(data_format=CF), L.Dense(5)],
)
seq("flatten_cl_dense", (5, 4, 3), lambda: [L.Conv2D(4, 2), L.Flatten(), L.Dense(3, activation="softmax")])
seq("reshape_permute", (12,), lambda: [L.Dense(12), L.Reshape((3, -1)), L.Permute((2, 1)), L.Flatten(), L.Dense(4)])
seq(
    "reshape_to_image",
    (24,),
    lambda: [L.Reshape((4, 3, 2)), L.Conv2D(3, 2, padding="same"), L.Permute((3, 1, 2)), L.Reshape((-1,)),
             L.Dense(2)],
)

# ---- Dense, activations, dropout.
seq("dense_rank3", (4, 5), lambda: [L.Dense(6, activation="relu"), L.Dense(3, use_bias=False)])
ACTS = ("linear relu relu6 sigmoid hard_sigmoid tanh softmax log_softmax elu selu gelu softplus softsign silu "
        "exponential leaky_relu").split()
fanout("dense_activations_a", (6,), lambda: [L.Dense(4, activation=a) for a in ACTS[:8]])
fanout("dense_activations_b", (6,), lambda: [L.Dense(4, activation=a) for a in ACTS[8:]])
fanout(
    "activation_layers",
    (3, 5),
    lambda: [L.Activation(a) for a in ACTS]
    + [
        L.ReLU(), L.ReLU(max_value=1.5), L.ReLU(negative_slope=0.1, threshold=0.2),
        L.ReLU(max_value=2.0, negative_slope=0.05, threshold=0.3), L.LeakyReLU(), L.LeakyReLU(negative_slope=0.01),
        L.Softmax(), L.Softmax(axis=1),
    ],
)


@func("dense_initializers")
def _dense_initializers(rng):
    inits = [
        I.Zeros(), I.Ones(), I.Constant(0.7), I.RandomNormal(0.1, 0.3, seed=1), I.RandomUniform(-0.2, 0.4, seed=2),
        I.TruncatedNormal(stddev=0.2, seed=3), I.VarianceScaling(2.0, "fan_out", "uniform", seed=4),
        I.VarianceScaling(0.5, "fan_avg", "untruncated_normal", seed=5), I.GlorotNormal(seed=6),
        I.HeUniform(seed=7), I.LecunUniform(seed=8), I.LecunNormal(seed=9), I.Orthogonal(seed=10),
        I.Identity(gain=2.0), I.GlorotUniform(seed=11), I.HeNormal(seed=12),
    ]
    x = keras.Input((6,))
    # Orthogonal and Identity need rank-2 shapes: not for biases.
    biases = [b for b in inits if not isinstance(b, (I.Orthogonal, I.Identity))]
    outs = [L.Dense(6, kernel_initializer=k, bias_initializer=biases[(i + 3) % len(biases)])(x)
            for i, k in enumerate(inits)]
    return keras.Model(x, L.Concatenate()(outs)), [normal(rng, (B, 6))]


seq(
    "dense_regularizers_constraints",
    (5,),
    lambda: [
        L.Dense(5, kernel_regularizer=R.L1(0.01), bias_regularizer=R.L1L2(0.01, 0.02),
                activity_regularizer=R.L2(1e-3), kernel_constraint=C.MinMaxNorm(0.5, 2.0, rate=0.7),
                bias_constraint=C.UnitNorm()),
        L.Dense(3, kernel_constraint=C.NonNeg(), bias_constraint=C.MaxNorm(1.0)),
    ],
)
seq(
    "dropout_variants",
    (4, 6),
    lambda: [L.Dropout(0.5), L.Dense(5), L.Dropout(0.3, noise_shape=(None, 1, 5), seed=3), L.Dropout(0.0)],
)
seq("dense_float64_input", (7,), lambda: [L.Dense(5, activation="tanh"), L.Dense(2)], dtype=np.float64)

# ---- Normalization.
seq("bn_dense", (6,), lambda: [L.Dense(5), L.BatchNormalization(), L.Activation("relu")])
seq("bn_conv_center_off", (5, 5, 3), lambda: [L.Conv2D(4, 3), L.BatchNormalization(center=False)])
seq("bn_scale_off_eps", (5, 5, 3), lambda: [L.BatchNormalization(scale=False, epsilon=0.01, momentum=0.9)])
seq(
    "bn_cf_axis1_both_off",
    (3, 5, 4),
    lambda: [L.Conv2D(4, 2, data_format=CF), L.BatchNormalization(axis=1, center=False, scale=False)],
)
seq(
    "bn_renorm",
    (6,),
    lambda: [L.BatchNormalization(renorm=True, renorm_clipping={"rmax": 2.0, "rmin": 0.5, "dmax": 1.0},
                                  renorm_momentum=0.9)],
)
seq(
    "bn_rank3_axis1_options",
    (4, 5),
    lambda: [L.BatchNormalization(axis=1, gamma_initializer=I.RandomUniform(0.5, 1.5, seed=1),
                                  beta_regularizer=R.L2(0.01), gamma_constraint=C.NonNeg(),
                                  moving_mean_initializer=I.RandomNormal(seed=2))],
)
seq("layernorm_last", (4, 6), lambda: [L.LayerNormalization()])
seq("layernorm_axes_12", (3, 4, 5), lambda: [L.LayerNormalization(axis=[1, 2], epsilon=1e-5)])
seq("layernorm_axes_mixed_signs", (3, 4, 5), lambda: [L.LayerNormalization(axis=[-1, 1])])
seq(
    "layernorm_center_scale_off",
    (6,),
    lambda: [L.Dense(6), L.LayerNormalization(center=False), L.LayerNormalization(scale=False),
             L.LayerNormalization(center=False, scale=False, beta_regularizer=R.L1(0.01))],
)
seq("layernorm_rms_scaling", (3, 5), lambda: [L.LayerNormalization(rms_scaling=True)])

# ---- Embedding: int32, int64 and float ids.


def ids(rng, shape, high, dtype):
    return rng.integers(0, high, shape).astype(dtype)


@func("embedding_int32_flatten")
def _embedding_int32(rng):
    x = keras.Input((5,), dtype="int32")
    y = L.Dense(3)(L.Flatten()(L.Embedding(10, 4)(x)))
    return keras.Model(x, y), [ids(rng, (B, 5), 10, np.int32)]


@func("embedding_int64_lstm")
def _embedding_int64(rng):
    x = keras.Input((6,), dtype="int64")
    e = L.Embedding(12, 3, embeddings_initializer=I.RandomNormal(seed=3), embeddings_regularizer=R.L2(1e-3),
                    embeddings_constraint=C.MaxNorm(3.0))(x)
    return keras.Model(x, L.LSTM(4)(e)), [ids(rng, (3, 6), 12, np.int64)]


@func("embedding_float_ids_conv1d")
def _embedding_float(rng):
    x = keras.Input((7,))
    y = L.GlobalAveragePooling1D()(L.Conv1D(3, 2, padding="same")(L.Embedding(8, 4)(x)))
    return keras.Model(x, y), [ids(rng, (B, 7), 8, np.float32)]


@func("embedding_mask_zero_dense", tags=("expect_error:mask_zero",))
def _embedding_mask(rng):
    # mask_zero with only mask-blind layers after it: Keras's numbers do not depend on the
    # mask, but fovea has no masks and its loader refuses mask_zero=True rather than guess
    # which downstream layers would use one; the harness expects that error.
    x = keras.Input((5,), dtype="int32")
    return keras.Model(x, L.Dense(2)(L.Embedding(9, 3, mask_zero=True)(x))), [ids(rng, (B, 5), 9, np.int32)]


# ---- Recurrent layers in every mode.
RNNS = {"simple_rnn": L.SimpleRNN, "lstm": L.LSTM, "gru": L.GRU}


def rnn_cases(prefix, cls, **extra):
    fanout(
        f"{prefix}_modes",
        (5, 3),
        lambda: [cls(4, **extra), cls(4, return_sequences=True, **extra), cls(4, return_state=True, **extra),
                 cls(3, return_sequences=True, return_state=True, **extra)],
    )
    fanout(
        f"{prefix}_backwards",
        (5, 3),
        lambda: [cls(4, go_backwards=True, **extra),
                 cls(3, go_backwards=True, return_sequences=True, return_state=True, **extra)],
    )
    seq(
        f"{prefix}_options_stack",
        (None, 3),
        lambda: [cls(5, use_bias=False, return_sequences=True, unroll=True, dropout=0.3, recurrent_dropout=0.2,
                     activation="relu", **extra),
                 cls(3, activation=None, kernel_regularizer=R.L2(1e-3), recurrent_constraint=C.MaxNorm(2.0),
                     bias_initializer=I.RandomUniform(seed=1), **extra),
                 L.Dense(2)],
    )


for _p, _cls in RNNS.items():
    rnn_cases(_p, _cls)
rnn_cases("gru_reset_before", L.GRU, reset_after=False)
seq(
    "lstm_forget_bias_hard_sigmoid",
    (4, 3),
    lambda: [L.LSTM(4, unit_forget_bias=False, recurrent_activation="hard_sigmoid", return_sequences=True,
                    recurrent_initializer=I.Identity(), kernel_initializer=I.GlorotNormal(seed=2)),
             L.LSTM(2, go_backwards=True, unroll=True)],
)
seq(
    "gru_reset_before_recurrent_options",
    (6, 2),
    lambda: [L.GRU(3, reset_after=False, recurrent_activation="sigmoid", activation="elu", use_bias=False,
                   return_sequences=True, go_backwards=True),
             L.GRU(4, reset_after=True, bias_regularizer=R.L1(1e-3), recurrent_dropout=0.5, unroll=True)],
)
seq(
    "simple_rnn_tanh_sequences_float64",
    (4, 3),
    lambda: [L.SimpleRNN(4, return_sequences=True), L.SimpleRNN(2, go_backwards=True)],
    dtype=np.float64,
)
