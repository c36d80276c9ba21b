"""Golden fixtures for fovea-nn's core layers (Dense). Run from the repository root:
~/.cache/fovea-golden/venv/bin/python tools/golden/layers_core.py"""

from layer_fixtures import clear, layer_case, rng_for  # first: it selects the JAX backend

import keras  # noqa: E402
import numpy as np  # noqa: E402

FAMILY = "dense"


def main():
    clear(FAMILY)
    keras.utils.set_random_seed(1)
    for name, units, in_shape, kw in [
        ("relu_rank2", 5, (4, 3), {"activation": "relu"}),
        ("linear_rank3", 4, (2, 3, 6), {}),
        ("no_bias_softmax", 3, (5, 4), {"activation": "softmax", "use_bias": False}),
    ]:
        rng = rng_for(name)
        layer = keras.layers.Dense(units, **kw)
        layer.build(in_shape)
        # Non-zero biases so the bias path is tested.
        layer.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()])
        x = rng.standard_normal(in_shape).astype(np.float32)
        layer_case(FAMILY, name, layer, [x])


if __name__ == "__main__":
    main()
