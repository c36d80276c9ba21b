"""Keras 3 regularizer penalties, constraint projections and initializer statistics
for fovea-nn's tests (crates/nn/tests/fixtures/weights_rules.json). Run from
tools/golden: ~/.cache/fovea-golden/venv/bin/python weights_rules.py"""

from layer_fixtures import FIXTURES, arr, rng_for  # first: selects the JAX backend

import json  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402


def main():
    rng = rng_for("weights_rules")
    w = rng.standard_normal((3, 3, 4, 5)).astype(np.float32)
    d = rng.standard_normal((6, 4)).astype(np.float32) * 2
    out = {"keras_version": keras.__version__, "w": arr(w), "d": arr(d), "regularizers": [], "constraints": []}
    for name, reg, args in [
        ("l1", keras.regularizers.L1(0.03), {"l1": 0.03, "l2": 0.0}),
        ("l2", keras.regularizers.L2(0.02), {"l1": 0.0, "l2": 0.02}),
        ("l1_l2", keras.regularizers.L1L2(0.01, 0.05), {"l1": 0.01, "l2": 0.05}),
    ]:
        out["regularizers"].append({"name": name, **args, "penalty": float(reg(w))})
    for name, c, spec, x in [
        ("max_norm_conv", keras.constraints.MaxNorm(1.5, axis=[0, 1, 2]), {"kind": "max_norm", "max_value": 1.5, "axis": [0, 1, 2]}, w),
        ("max_norm_dense", keras.constraints.MaxNorm(2.0, axis=0), {"kind": "max_norm", "max_value": 2.0, "axis": [0]}, d),
        ("min_max_norm", keras.constraints.MinMaxNorm(0.5, 3.0, rate=0.7, axis=0), {"kind": "min_max_norm", "min_value": 0.5, "max_value": 3.0, "rate": 0.7, "axis": [0]}, d),
        ("unit_norm", keras.constraints.UnitNorm(axis=1), {"kind": "unit_norm", "axis": [1]}, d),
        ("non_neg", keras.constraints.NonNeg(), {"kind": "non_neg"}, d),
    ]:
        out["constraints"].append({"name": name, **spec, "input": "w" if x is w else "d", "output": arr(c(x))})
    (FIXTURES / "weights_rules.json").write_text(json.dumps(out, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
