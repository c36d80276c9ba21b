"""Golden fixtures for fovea-nn's recurrent layers (SimpleRNN, LSTM, GRU). Run from the
repository root: ~/.cache/fovea-golden/venv/bin/python tools/golden/layers_rnn.py

Every case uses batch 2, 4 timesteps, 3 features and 5 units, with random non-zero
weights (set_weights) so that every bias entry matters. Dropout cases are not here: Keras's
masks come from its own random stream; crates/nn/tests/rnn_layers.rs checks dropout
statistically instead."""

from layer_fixtures import clear, layer_case, rng_for  # first: it selects the JAX backend

import keras  # noqa: E402
import numpy as np  # noqa: E402

SHAPE = (2, 4, 3)
UNITS = 5

SEQ = [
    ("last", {}),
    ("sequences", {"return_sequences": True}),
    ("state", {"return_state": True}),
    ("sequences_state", {"return_sequences": True, "return_state": True}),
    ("backwards", {"go_backwards": True}),
    ("backwards_sequences_state", {"go_backwards": True, "return_sequences": True, "return_state": True}),
    ("no_bias", {"use_bias": False, "return_sequences": True}),
]

CASES = {
    "simple_rnn": (
        keras.layers.SimpleRNN,
        SEQ
        + [
            ("relu", {"activation": "relu", "return_sequences": True}),
            ("linear_backwards_state", {"activation": None, "go_backwards": True, "return_state": True}),
            ("training", {"return_sequences": True}),
        ],
    ),
    "lstm": (
        keras.layers.LSTM,
        SEQ
        + [
            ("relu_hard_sigmoid", {"activation": "relu", "recurrent_activation": "hard_sigmoid", "return_state": True}),
            ("unroll_sequences", {"unroll": True, "return_sequences": True}),
            ("training", {"return_sequences": True, "return_state": True}),
        ],
    ),
    "gru": (
        keras.layers.GRU,
        SEQ
        + [(f"reset_before_{n}", {"reset_after": False, **kw}) for n, kw in SEQ]
        + [
            ("relu_hard_sigmoid", {"activation": "relu", "recurrent_activation": "hard_sigmoid", "return_state": True}),
            (
                "reset_before_relu_sequences",
                {"reset_after": False, "activation": "relu", "return_sequences": True},
            ),
            ("training", {"return_sequences": True, "return_state": True}),
            ("reset_before_training", {"reset_after": False, "return_state": True}),
        ],
    ),
}


def main():
    keras.utils.set_random_seed(1)
    for family, (cls, cases) in CASES.items():
        clear(family)
        for name, kw in cases:
            rng = rng_for(family + "/" + name)
            layer = cls(UNITS, **kw)
            layer.build(SHAPE)
            # Random non-zero weights (biases included), scaled so that states stay O(1).
            layer.set_weights([0.6 * rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()])
            x = rng.standard_normal(SHAPE).astype(np.float32)
            layer_case(family, name, layer, [x], training=name.endswith("training"))


if __name__ == "__main__":
    main()
