"""Keras 3 `model.summary()` texts for fovea's summary tests.

Writes crates/nn/tests/fixtures/summary_<name>.txt (and, for the zoo networks, the
fixtures that crates/zoo tests read). Run from tools/golden with the pinned venv:
    ~/.cache/fovea-golden/venv/bin/python summaries.py
Keras sizes the table to the terminal (min(88, columns - 4)); the script sets COLUMNS
wide so the table has Keras's full default width, which is what fovea prints.
"""

import os

os.environ["COLUMNS"] = "200"
from layer_fixtures import FIXTURES  # noqa: E402  (first: selects the JAX backend)

import io  # noqa: E402
import sys  # noqa: E402

import keras  # noqa: E402
from keras import layers as L  # noqa: E402


def capture(model):
    buf = io.StringIO()
    old = sys.stdout
    sys.stdout = buf
    try:
        model.summary()
    finally:
        sys.stdout = old
    return buf.getvalue()


def write(name, build):
    # A fresh session per model resets Keras's global name counters, so layer names
    # start at `dense`, `dense_1`, ... as they do in fovea's per-model naming.
    keras.backend.clear_session()
    text = capture(build())
    (FIXTURES / f"summary_{name}.txt").write_text(text)


def dense_stack():
    return keras.Sequential(
        [keras.Input((784,)), L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")]
    )


def dense_rank3():
    return keras.Sequential([keras.Input((5, 3)), L.Dense(4)], name="rank3")


def functional_chain():
    i = keras.Input((8,))
    h = L.Dense(4)(i)
    return keras.Model(i, L.Dense(3)(h))


def functional_shared():
    a = keras.Input((8,), name="a")
    b = keras.Input((8,), name="b")
    shared = L.Dense(4)
    return keras.Model([a, b], [shared(a), shared(b)], name="towers")


ZOO = FIXTURES.parents[2] / "zoo" / "tests" / "fixtures"


class LocalResponseNormalization(keras.layers.Layer):
    """Stand-in with AlexNet's NORM shape behaviour (Keras 3 has no LRN layer); only
    its summary row matters here."""

    def call(self, x):
        return x

    def compute_output_shape(self, s):
        return s


class PositionBias(keras.layers.Layer):
    """Stand-in for fovea_zoo::go::PositionBias: one bias per board point."""

    def build(self, s):
        self.bias = self.add_weight(shape=tuple(s[1:]), initializer="zeros", name="bias")

    def call(self, x):
        return x + self.bias

    def compute_output_shape(self, s):
        return s


def alexnet(groups):
    def conv(f, k, g=1):
        return L.Conv2D(f, k, padding="same", groups=g, activation="relu")

    return keras.Sequential(
        [
            keras.Input((227, 227, 3)),
            L.Conv2D(96, 11, strides=4, activation="relu"),
            L.MaxPooling2D(3, strides=2),
            LocalResponseNormalization(),
            conv(256, 5, groups),
            L.MaxPooling2D(3, strides=2),
            LocalResponseNormalization(),
            conv(384, 3),
            conv(384, 3, groups),
            conv(256, 3, groups),
            L.MaxPooling2D(3, strides=2),
            L.Flatten(),
            L.Dropout(0.5),
            L.Dense(4096, activation="relu"),
            L.Dropout(0.5),
            L.Dense(4096, activation="relu"),
            L.Dense(1000, activation="softmax"),
        ],
        name="alexnet",
    )


def lenet():
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.Conv2D(6, 5, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(16, 5, activation="relu"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dense(120, activation="relu"),
            L.Dense(84, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        name="lenet",
    )


def lenet_bn(dropout=0.3, filters=(6, 16)):
    """fovea's `fovea train lenet` recipe: batch norm after each conv, both convs `same`,
    dropout after each hidden dense; `filters` per conv (LeNet-5's 6 and 16 by default,
    16 and 32 in `fovea train lenet`'s default)."""
    layers = [keras.Input((28, 28, 1))]
    for filters, padding in [(filters[0], "same"), (filters[1], "same")]:
        layers += [
            L.Conv2D(filters, 5, padding=padding, use_bias=False),
            L.BatchNormalization(),
            L.ReLU(),
            L.MaxPooling2D(2),
        ]
    layers.append(L.Flatten())
    for units in [120, 84]:
        layers += [L.Dense(units, activation="relu"), L.Dropout(dropout)]
    layers.append(L.Dense(10, activation="softmax"))
    return keras.Sequential(layers, name="lenet")


def alphago_policy(k):
    layers = [keras.Input((19, 19, 48)), L.Conv2D(k, 5, padding="same", activation="relu")]
    layers += [L.Conv2D(k, 3, padding="same", activation="relu") for _ in range(11)]
    layers += [L.Conv2D(1, 1, use_bias=False), PositionBias(), L.Flatten(), L.Activation("softmax")]
    return keras.Sequential(layers, name="alphago_policy")


def write_zoo(name, build):
    keras.backend.clear_session()
    ZOO.mkdir(parents=True, exist_ok=True)
    (ZOO / f"summary_{name}.txt").write_text(capture(build()))


def main():
    write_zoo("alexnet", lambda: alexnet(1))
    write_zoo("alexnet_groups2", lambda: alexnet(2))
    write_zoo("lenet", lenet)
    write_zoo("lenet_bn", lenet_bn)
    write_zoo("lenet_recipe", lambda: lenet_bn(filters=(16, 32)))
    write_zoo("alphago_policy_192", lambda: alphago_policy(192))
    write_zoo("alphago_policy_128", lambda: alphago_policy(128))
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, build in [
        ("dense_stack", dense_stack),
        ("dense_rank3", dense_rank3),
        ("functional_chain", functional_chain),
        ("functional_shared", functional_shared),
    ]:
        write(name, build)


if __name__ == "__main__":
    main()
