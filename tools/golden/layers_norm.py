"""Golden fixtures for fovea-nn's normalization layers (BatchNormalization,
LayerNormalization) from real Keras 3. Run from tools/golden/:
~/.cache/fovea-golden/venv/bin/python layers_norm.py

LocalResponseNormalization has no Keras layer: its fixtures come from TensorFlow's
tf.nn.local_response_normalization, written by lrn_tf.py (a separate TensorFlow venv).
"""

import warnings

from layer_fixtures import clear, layer_case, rng_for  # first: it selects the JAX backend

import keras  # noqa: E402
import numpy as np  # noqa: E402

# rms_scaling is deprecated in Keras 3.15 but still honoured; that is what we pin.
warnings.filterwarnings("ignore", message=".*rms_scaling.*")


def randomize(layer, rng):
    """Random weights so every path is exercised: gamma around 1, beta around 0,
    moving means around 0 and positive variances / standard deviations."""
    values = []
    for v in layer.weights:
        name = v.path.split("/")[-1]
        shape = v.shape
        if name in ("moving_variance", "moving_stddev", "renorm_stddev"):
            values.append(rng.uniform(0.5, 2.0, shape))
        elif name == "gamma":
            values.append(1.0 + 0.5 * rng.standard_normal(shape))
        else:
            values.append(rng.standard_normal(shape))
    layer.set_weights([np.asarray(a, np.float32) for a in values])


def batchnorm():
    family = "batchnorm"
    clear(family)
    cases = [
        # (name, input shape, kwargs, training)
        ("infer_axis_last_4d", (2, 3, 3, 4), {}, False),
        ("train_axis_last_4d", (2, 3, 3, 4), {}, True),
        ("infer_axis1_4d", (2, 3, 4, 2), {"axis": 1}, False),
        ("train_axis1_4d", (2, 3, 4, 2), {"axis": 1}, True),
        ("train_axis_neg2_3d", (3, 4, 2), {"axis": -2}, True),
        ("train_no_center", (4, 2, 3), {"center": False}, True),
        ("train_no_scale", (4, 2, 3), {"scale": False}, True),
        ("infer_no_center_no_scale", (4, 5), {"center": False, "scale": False}, False),
        ("train_no_center_no_scale", (4, 5), {"center": False, "scale": False}, True),
        ("train_momentum_epsilon", (5, 3), {"momentum": 0.9, "epsilon": 0.1}, True),
        ("infer_momentum_epsilon", (5, 3), {"momentum": 0.9, "epsilon": 0.1}, False),
        (
            "train_renorm_clipped",
            (6, 4),
            {"renorm": True, "renorm_clipping": {"rmax": 1.3, "rmin": 0.7, "dmax": 0.4}, "renorm_momentum": 0.9},
            True,
        ),
        ("train_renorm_unclipped_no_scale", (3, 2, 4), {"renorm": True, "scale": False, "momentum": 0.8}, True),
        ("infer_renorm", (6, 4), {"renorm": True}, False),
    ]
    for name, shape, kw, training in cases:
        rng = rng_for(family + "/" + name)
        layer = keras.layers.BatchNormalization(**kw)
        layer.build(shape)
        randomize(layer, rng)
        # Offset and scaled inputs, so the batch statistics differ from the moving ones.
        x = (0.5 + 1.5 * rng.standard_normal(shape)).astype(np.float32)
        layer_case(family, name, layer, [x], training=training)


class LayerNormalization(keras.layers.LayerNormalization):
    """Keras's layer, unchanged, except that `call` accepts (and ignores) the `training`
    argument that layer_case passes to every layer (Keras's LayerNormalization.call
    takes none, as it behaves the same in both modes)."""

    def call(self, inputs, training=None):
        return super().call(inputs)


def layernorm():
    family = "layernorm"
    clear(family)
    cases = [
        ("axis_last_3d", (2, 3, 5), {}),
        ("axis_1_2_4d", (2, 3, 4, 2), {"axis": [1, 2]}),
        ("axis_all_but_batch", (2, 3, 2, 2), {"axis": [1, 2, 3]}),
        # Keras sorts [1, -1] to [-1, 1]: gamma is (5, 3), reshaped (not transposed) to (1, 3, 5).
        ("axis_mixed_signs", (2, 3, 5), {"axis": [1, -1]}),
        ("no_center", (3, 4), {"center": False}),
        ("no_scale", (3, 4), {"scale": False}),
        ("no_center_no_scale", (2, 3, 4), {"center": False, "scale": False}),
        ("epsilon", (3, 4), {"epsilon": 0.5}),
        ("rms_scaling", (2, 3, 4), {"rms_scaling": True, "center": True}),
        ("rms_scaling_no_scale", (2, 4), {"rms_scaling": True, "scale": False}),
    ]
    for name, shape, kw in cases:
        rng = rng_for(family + "/" + name)
        layer = LayerNormalization(**kw)
        layer.build(shape)
        randomize(layer, rng)
        x = (0.5 + 1.5 * rng.standard_normal(shape)).astype(np.float32)
        layer_case(family, name, layer, [x])


def main():
    keras.utils.set_random_seed(1)
    batchnorm()
    layernorm()


if __name__ == "__main__":
    main()
