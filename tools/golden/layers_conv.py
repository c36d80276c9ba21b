"""Golden fixtures for fovea-nn's convolution, pooling and padding layers. Run from
tools/golden/: ~/.cache/fovea-golden/venv/bin/python layers_conv.py

Families (fixture files crates/nn/tests/fixtures/<family>_<case>.json):
- conv2d:  Conv2D in both data formats, valid / same (odd totals, so the extra cell's
           side is pinned), strides (2, 1), dilation 2, groups 2 and 3, no bias,
           activations including softmax on channels_first (normalises the width axis).
- conv1d:  Conv1D likewise, plus causal padding with and without dilation.
- pooling: Max/AveragePooling1D/2D in both formats and both paddings, explicit and
           default (= pool_size) strides; Global{Max,Average}Pooling1D/2D in both formats
           with keepdims both ways.
- padding: ZeroPadding2D and Cropping2D with padding given as int, (sym_h, sym_w) and
           ((top, bottom), (left, right)), in both formats.

Every weight (kernel and bias) is set to random non-zero values before recording.
"""

from layer_fixtures import clear, layer_case, rng_for  # first: it selects the JAX backend

import keras  # noqa: E402
import numpy as np  # noqa: E402

L = keras.layers


def accept_training(layer):
    """layer_case hands `training=` to `stateless_call`, which passes it on to `call`;
    these layers' `call` takes no `training` (Keras's `__call__` would drop it), so wrap
    `call` to drop it too. No layer here behaves differently in training."""
    if not layer._call_has_training_arg:
        call = layer.call
        object.__setattr__(layer, "call", lambda *args, training=None, **kwargs: call(*args, **kwargs))


def run(family, name, layer, in_shape):
    """Builds `layer` for `in_shape` (batch included), randomises its weights and writes
    the fixture."""
    accept_training(layer)
    rng = rng_for(family + "/" + name + "/data")
    layer.build(in_shape)
    weights = layer.get_weights()
    if weights:
        layer.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in weights])
        assert all(np.all(w != 0) for w in layer.get_weights())
    x = rng.standard_normal(in_shape).astype(np.float32)
    layer_case(family, name, layer, [x])


CONV2D = [
    # (name, input shape, kwargs)
    ("valid_relu_cl", (2, 5, 6, 3), dict(filters=4, kernel_size=3, activation="relu")),
    ("valid_cf", (2, 3, 5, 6), dict(filters=4, kernel_size=(3, 2), data_format="channels_first")),
    # k=2 and k=4: odd `same` totals (1 and 3) on both axes; the extra cell goes after.
    ("same_odd_k2x4_cl", (2, 5, 6, 3), dict(filters=3, kernel_size=(2, 4), padding="same")),
    ("same_odd_k2x4_cf", (2, 3, 5, 6), dict(filters=3, kernel_size=(2, 4), padding="same", data_format="channels_first")),
    # strides (2, 1) on height 6 with k=3 -> same total 1 (odd).
    ("same_strides21_cl", (2, 6, 5, 2), dict(filters=3, kernel_size=3, strides=(2, 1), padding="same")),
    ("same_strides21_cf", (2, 2, 6, 5), dict(filters=3, kernel_size=3, strides=(2, 1), padding="same", data_format="channels_first")),
    ("valid_strides21_cl", (2, 7, 5, 2), dict(filters=2, kernel_size=(3, 2), strides=(2, 1))),
    ("dilation2_same_cl", (2, 7, 6, 2), dict(filters=3, kernel_size=3, dilation_rate=2, padding="same")),
    ("dilation2_valid_cf", (2, 2, 7, 6), dict(filters=3, kernel_size=(2, 3), dilation_rate=(2, 1), data_format="channels_first")),
    ("groups2_cl", (2, 5, 5, 4), dict(filters=6, kernel_size=3, groups=2, padding="same")),
    ("groups2_cf", (2, 4, 5, 5), dict(filters=6, kernel_size=3, groups=2, data_format="channels_first")),
    ("groups3_cl", (2, 4, 5, 6), dict(filters=3, kernel_size=2, groups=3, activation="tanh")),
    ("no_bias_sigmoid_cl", (2, 4, 4, 3), dict(filters=2, kernel_size=2, use_bias=False, activation="sigmoid")),
    ("no_bias_cf", (2, 3, 4, 4), dict(filters=2, kernel_size=3, use_bias=False, padding="same", data_format="channels_first")),
    ("softmax_cl", (2, 4, 5, 3), dict(filters=4, kernel_size=2, activation="softmax")),
    # Softmax on channels_first normalises the last axis (width), not the channels.
    ("softmax_cf", (2, 3, 4, 5), dict(filters=4, kernel_size=2, activation="softmax", data_format="channels_first")),
]

CONV1D = [
    ("valid_relu_cl", (2, 7, 3), dict(filters=4, kernel_size=3, activation="relu")),
    ("valid_cf", (2, 3, 7), dict(filters=4, kernel_size=3, data_format="channels_first")),
    ("same_odd_k2_cl", (2, 6, 3), dict(filters=3, kernel_size=2, padding="same")),
    ("same_odd_k4_cf", (2, 3, 6), dict(filters=3, kernel_size=4, padding="same", data_format="channels_first")),
    ("same_strides2_cl", (2, 8, 2), dict(filters=3, kernel_size=3, strides=2, padding="same")),
    ("valid_strides3_cf", (2, 2, 10), dict(filters=2, kernel_size=2, strides=3, data_format="channels_first")),
    ("dilation2_same_cl", (2, 9, 2), dict(filters=3, kernel_size=3, dilation_rate=2, padding="same")),
    ("causal_k3_cl", (2, 6, 2), dict(filters=3, kernel_size=3, padding="causal")),
    ("causal_k3_dilation2_cl", (2, 9, 2), dict(filters=3, kernel_size=3, dilation_rate=2, padding="causal", activation="tanh")),
    ("causal_k2_dilation3_cf", (2, 2, 9), dict(filters=2, kernel_size=2, dilation_rate=3, padding="causal", data_format="channels_first")),
    ("causal_strides2_cl", (2, 7, 2), dict(filters=2, kernel_size=3, strides=2, padding="causal")),
    ("groups2_cl", (2, 6, 4), dict(filters=6, kernel_size=3, groups=2)),
    ("groups3_cf", (2, 6, 6), dict(filters=3, kernel_size=2, groups=3, padding="same", data_format="channels_first")),
    ("no_bias_cl", (2, 5, 3), dict(filters=2, kernel_size=2, use_bias=False)),
    ("softmax_cf", (2, 3, 6), dict(filters=4, kernel_size=2, activation="softmax", data_format="channels_first")),
]

POOLING = [
    # 2-D windows: height 5 / width 6 with pool 2 or 3 gives odd `same` totals.
    ("max2d_valid_cl", L.MaxPooling2D, (2, 5, 6, 3), dict(pool_size=2)),
    ("max2d_valid_cf", L.MaxPooling2D, (2, 3, 5, 6), dict(pool_size=(2, 3), strides=(1, 2), data_format="channels_first")),
    ("max2d_same_cl", L.MaxPooling2D, (2, 5, 6, 3), dict(pool_size=3, strides=(2, 1), padding="same")),
    ("max2d_same_cf", L.MaxPooling2D, (2, 3, 5, 6), dict(pool_size=2, padding="same", data_format="channels_first")),
    ("avg2d_valid_cl", L.AveragePooling2D, (2, 5, 6, 3), dict(pool_size=(3, 2))),
    ("avg2d_valid_cf", L.AveragePooling2D, (2, 3, 5, 6), dict(pool_size=2, strides=1, data_format="channels_first")),
    ("avg2d_same_cl", L.AveragePooling2D, (2, 5, 6, 3), dict(pool_size=3, strides=(2, 1), padding="same")),
    ("avg2d_same_cf", L.AveragePooling2D, (2, 3, 5, 6), dict(pool_size=2, padding="same", data_format="channels_first")),
    ("max1d_valid_cl", L.MaxPooling1D, (2, 7, 3), dict(pool_size=2)),
    ("max1d_valid_cf", L.MaxPooling1D, (2, 3, 7), dict(pool_size=3, strides=2, data_format="channels_first")),
    ("max1d_same_cl", L.MaxPooling1D, (2, 7, 3), dict(pool_size=2, strides=1, padding="same")),
    ("max1d_same_cf", L.MaxPooling1D, (2, 3, 7), dict(pool_size=3, padding="same", data_format="channels_first")),
    ("avg1d_valid_cl", L.AveragePooling1D, (2, 7, 3), dict(pool_size=3)),
    ("avg1d_valid_cf", L.AveragePooling1D, (2, 3, 7), dict(pool_size=2, strides=1, data_format="channels_first")),
    ("avg1d_same_cl", L.AveragePooling1D, (2, 7, 3), dict(pool_size=2, padding="same")),
    ("avg1d_same_cf", L.AveragePooling1D, (2, 3, 7), dict(pool_size=4, strides=2, padding="same", data_format="channels_first")),
]
for cls, tag, shape_cl, shape_cf in [
    (L.GlobalMaxPooling2D, "gmax2d", (2, 4, 5, 3), (2, 3, 4, 5)),
    (L.GlobalAveragePooling2D, "gavg2d", (2, 4, 5, 3), (2, 3, 4, 5)),
    (L.GlobalMaxPooling1D, "gmax1d", (2, 6, 3), (2, 3, 6)),
    (L.GlobalAveragePooling1D, "gavg1d", (2, 6, 3), (2, 3, 6)),
]:
    for keepdims in (False, True):
        kd = "keep" if keepdims else "drop"
        POOLING.append((f"{tag}_{kd}_cl", cls, shape_cl, dict(keepdims=keepdims)))
        POOLING.append((f"{tag}_{kd}_cf", cls, shape_cf, dict(keepdims=keepdims, data_format="channels_first")))

PADDING = []
for fmt, shape in [("cl", (2, 4, 5, 2)), ("cf", (2, 2, 4, 5))]:
    df = "channels_last" if fmt == "cl" else "channels_first"
    PADDING += [
        (f"zero_int_{fmt}", L.ZeroPadding2D, shape, dict(padding=2, data_format=df)),
        (f"zero_sym_{fmt}", L.ZeroPadding2D, shape, dict(padding=(1, 2), data_format=df)),
        (f"zero_pairs_{fmt}", L.ZeroPadding2D, shape, dict(padding=((0, 2), (3, 1)), data_format=df)),
        (f"crop_int_{fmt}", L.Cropping2D, shape, dict(cropping=1, data_format=df)),
        (f"crop_sym_{fmt}", L.Cropping2D, shape, dict(cropping=(1, 2), data_format=df)),
        (f"crop_pairs_{fmt}", L.Cropping2D, shape, dict(cropping=((0, 2), (3, 0)), data_format=df)),
    ]


def main():
    keras.utils.set_random_seed(1)
    clear("conv2d")
    for name, shape, kw in CONV2D:
        run("conv2d", name, L.Conv2D(**kw), shape)
    clear("conv1d")
    for name, shape, kw in CONV1D:
        run("conv1d", name, L.Conv1D(**kw), shape)
    clear("pooling")
    for name, cls, shape, kw in POOLING:
        run("pooling", name, cls(**kw), shape)
    clear("padding")
    for name, cls, shape, kw in PADDING:
        run("padding", name, cls(**kw), shape)
    print(f"conv2d {len(CONV2D)}, conv1d {len(CONV1D)}, pooling {len(POOLING)}, padding {len(PADDING)}")


if __name__ == "__main__":
    main()
