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


def main():
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
