"""Golden fixtures for fovea-nn's weightless and lookup layers: families "reshaping",
"dropout", "activation", "merge", "embedding". Run from tools/golden/:
~/.cache/fovea-golden/venv/bin/python layers_basic.py"""

from layer_fixtures import clear, layer_case, rng_for  # first: it selects the JAX backend

import keras  # noqa: E402
import numpy as np  # noqa: E402

L = keras.layers


def case(family, name, layer, inputs, **kw):
    """`layer_case`, for layers whose `call` has no `training` argument too:
    layer_fixtures passes `training=` to `stateless_call`, which forwards it to `call`
    (Keras's `__call__` drops it for such layers; `stateless_call` does not)."""
    if not layer._call_has_training_arg:
        inner = layer.stateless_call
        layer.stateless_call = lambda tv, ntv, *a, training=False, **k: inner(tv, ntv, *a, **k)
    return layer_case(family, name, layer, inputs, **kw)


def normal(name, shape, scale=1.0):
    return (scale * rng_for(name).standard_normal(shape)).astype(np.float32)


def reshaping():
    fam = "reshaping"
    clear(fam)
    for name, layer, shape in [
        ("flatten_rank4", L.Flatten(), (2, 3, 4, 5)),
        ("flatten_rank2", L.Flatten(), (3, 4)),
        ("flatten_rank1", L.Flatten(), (4,)),
        # channels_first transposes to channels-last before flattening.
        ("flatten_channels_first_rank4", L.Flatten(data_format="channels_first"), (2, 3, 4, 5)),
        ("flatten_channels_first_rank3", L.Flatten(data_format="channels_first"), (2, 3, 4)),
        ("flatten_channels_first_rank2", L.Flatten(data_format="channels_first"), (2, 5)),
        ("reshape_flat_to_2d", L.Reshape((3, 4)), (2, 12)),
        ("reshape_infer_first", L.Reshape((-1, 2)), (2, 3, 4)),
        ("reshape_infer_middle", L.Reshape((1, -1, 3)), (2, 6)),
        ("reshape_to_rank1", L.Reshape((-1,)), (2, 2, 3)),
        ("permute_swap", L.Permute((2, 1)), (2, 3, 4)),
        ("permute_rank4", L.Permute((3, 1, 2)), (2, 3, 4, 5)),
        ("permute_identity", L.Permute((1, 2)), (2, 3, 4)),
    ]:
        case(fam, name, layer, [normal(fam + name, shape)])


def dropout():
    fam = "dropout"
    clear(fam)
    x = normal("dropout_x", (3, 4, 5))
    for name, layer, training in [
        # Inference: the identity whatever the rate, noise_shape or seed.
        ("rate_half_inference", L.Dropout(0.5), False),
        ("noise_shape_inference", L.Dropout(0.3, noise_shape=(None, 1, 5), seed=3), False),
        ("rate_one_inference", L.Dropout(1.0), False),
        # Training with rate 0 (identity) and rate 1 (all zeros, zero gradient) is
        # deterministic; other training rates are tested statistically in Rust.
        ("rate_zero_training", L.Dropout(0.0), True),
        ("rate_one_training", L.Dropout(1.0), True),
    ]:
        case(fam, name, layer, [x], training=training)


ACTIVATIONS = [
    "linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "tanh", "softmax", "log_softmax", "elu",
    "selu", "gelu", "softplus", "softsign", "silu", "swish", "exponential", "leaky_relu",
]


def activation():
    fam = "activation"
    clear(fam)
    # Scale 2.5 reaches the saturated parts of relu6 and hard_sigmoid (|x| > 3).
    x = normal("activation_x", (2, 3, 4), scale=2.5)
    for act in ACTIVATIONS:
        case(fam, f"layer_{act}", L.Activation(act), [x])
    # ReLU: every combination of max_value / negative_slope / threshold. Inputs on a
    # grid offset from the thresholds, plus noise, so each branch is hit.
    xr = normal("activation_relu_x", (3, 8), scale=2.0)
    for max_value in [None, 6.0, 1.5, 0.4]:
        for negative_slope in [0.0, 0.2]:
            for threshold in [0.0, 0.7]:
                name = f"relu_max{max_value}_slope{negative_slope}_thr{threshold}".replace(".", "p")
                layer = L.ReLU(max_value=max_value, negative_slope=negative_slope, threshold=threshold)
                case(fam, name, layer, [xr * (4.0 if max_value == 6.0 else 1.0)])
    for name, layer in [
        ("leaky_relu_default", L.LeakyReLU()),
        ("leaky_relu_slope0p05", L.LeakyReLU(negative_slope=0.05)),
        ("leaky_relu_slope0", L.LeakyReLU(negative_slope=0.0)),
    ]:
        case(fam, name, layer, [xr])
    for name, axis in [("softmax_axis_last", -1), ("softmax_axis1", 1), ("softmax_axes_1_2", (1, 2))]:
        case(fam, name, L.Softmax(axis=axis), [x])


def merge():
    fam = "merge"
    clear(fam)

    def xs(name, *shapes):
        return [normal(f"{fam}{name}{i}", s) for i, s in enumerate(shapes)]

    s = (2, 3, 4)
    for name, layer, inputs in [
        ("add_2", L.Add(), xs("add_2", s, s)),
        ("add_3", L.Add(), xs("add_3", s, s, s)),
        ("add_broadcast_axis", L.Add(), xs("add_b", s, (2, 1, 4))),
        # Lower rank: Keras inserts axes after the batch, (2, 4) -> (2, 1, 4).
        ("add_lower_rank", L.Add(), xs("add_r", s, (2, 4))),
        ("subtract", L.Subtract(), xs("sub", s, s)),
        ("subtract_broadcast", L.Subtract(), xs("sub_b", (2, 1, 4), s)),
        ("multiply_2", L.Multiply(), xs("mul_2", s, s)),
        ("multiply_3_lower_rank", L.Multiply(), xs("mul_3", s, (2, 4), s)),
        ("average_2", L.Average(), xs("avg_2", s, s)),
        ("average_3", L.Average(), xs("avg_3", s, s, s)),
        ("maximum_2", L.Maximum(), xs("max_2", s, s)),
        ("maximum_3", L.Maximum(), xs("max_3", s, s, s)),
        ("maximum_broadcast", L.Maximum(), xs("max_b", s, (2, 3, 1))),
        ("minimum_2", L.Minimum(), xs("min_2", s, s)),
        ("minimum_3", L.Minimum(), xs("min_3", s, s, s)),
        ("concatenate_last_3", L.Concatenate(), xs("cat_l", (2, 3, 2), (2, 3, 4), (2, 3, 1))),
        ("concatenate_axis1_3", L.Concatenate(axis=1), xs("cat_1", (2, 1, 4), (2, 3, 4), (2, 2, 4))),
        ("concatenate_axis_neg2", L.Concatenate(axis=-2), xs("cat_n2", (2, 2, 3), (2, 4, 3))),
    ]:
        case(fam, name, layer, inputs)


def embedding():
    fam = "embedding"
    clear(fam)
    for name, input_dim, output_dim, ids_shape, kw in [
        ("ids_rank2", 7, 3, (2, 5), {}),
        ("ids_rank1", 5, 4, (6,), {}),
        ("ids_rank3", 4, 2, (2, 2, 3), {}),
        ("mask_zero", 6, 3, (3, 4), {"mask_zero": True}),
    ]:
        rng = rng_for(fam + name)
        layer = L.Embedding(input_dim, output_dim, **kw)
        layer.build()
        layer.set_weights([rng.standard_normal((input_dim, output_dim)).astype(np.float32)])
        ids = rng.integers(0, input_dim, size=ids_shape)
        # Repeated ids, so their gradients must accumulate.
        ids.ravel()[:3] = ids.ravel()[0]
        case(fam, name, layer, [ids.astype(np.int32)], int_inputs=True)


def main():
    keras.utils.set_random_seed(1)
    reshaping()
    dropout()
    activation()
    merge()
    embedding()


if __name__ == "__main__":
    main()
