"""Golden fixtures for fovea-nn's training maths: losses (value and gradient w.r.t.
y_pred), accuracy metrics over several batches, the first steps of each optimizer on
fixed gradients, and learning-rate schedules, all from real Keras 3 on JAX.

Writes crates/nn/tests/fixtures/train_{losses,metrics,optimizers,schedules}.json, each a
list of cases; crates/nn/tests/training_math.rs checks them and their counts.

    cd tools/golden && ~/.cache/fovea-golden/venv/bin/python training_math.py
"""

import layer_fixtures  # noqa: F401  (selects the JAX backend before keras is imported)
from layer_fixtures import FIXTURES, arr, rng_for  # noqa: E402

import json  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

META = {"keras_version": keras.__version__, "jax_version": jax.__version__}


def write(family, cases):
    path = FIXTURES / f"train_{family}.json"
    path.write_text(json.dumps({**META, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"{path.name}: {len(cases)} cases, {path.stat().st_size} bytes")


def ints(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": [int(v) for v in a.ravel().tolist()]}


# ----- losses -------------------------------------------------------------------------


def probs(rng, shape):
    """Positive scores, not normalised: Keras renormalises them."""
    return rng.uniform(0.05, 1.0, size=shape).astype(np.float32)


def loss_case(name, loss, y_true, y_pred, int_labels=False, extra=None):
    y_pred = np.asarray(y_pred, np.float32)
    yt = jnp.asarray(y_true)
    value, grad = jax.value_and_grad(lambda p: loss(yt, p))(jnp.asarray(y_pred))
    cfg = {k: v for k, v in loss.get_config().items() if k not in ("name", "reduction", "dtype")}
    cfg.update(extra or {})  # Huber's get_config() omits `delta`
    return {
        "name": name,
        "class": type(loss).__name__,
        "config": cfg,
        "y_true": ints(y_true) if int_labels else arr(y_true),
        "int_labels": int_labels,
        "y_pred": arr(y_pred),
        "loss": float(value),
        "grad": arr(grad),
    }


def losses():
    L = keras.losses
    r = rng_for("train/losses")
    cases = []
    onehot = np.eye(4, dtype=np.float32)[[0, 3, 1, 2, 3]]
    soft = r.dirichlet(np.ones(4), size=5).astype(np.float32)
    logits = r.standard_normal((5, 4)).astype(np.float32) * 2
    p = probs(r, (5, 4))
    # A probability above 1 - eps after normalisation exercises the clip.
    p_clip = p.copy()
    p_clip[0] = [1.0, 1e-9, 1e-9, 1e-9]
    for fl, pred, tag in [(False, p, "probs"), (True, logits, "logits")]:
        for ls in [0.0, 0.1]:
            cases.append(loss_case(f"cce_{tag}_ls{ls}", L.CategoricalCrossentropy(from_logits=fl, label_smoothing=ls), onehot, pred))
    cases.append(loss_case("cce_soft_targets", L.CategoricalCrossentropy(), soft, p))
    cases.append(loss_case("cce_clipped", L.CategoricalCrossentropy(), onehot, p_clip))
    cases.append(loss_case("cce_rank3", L.CategoricalCrossentropy(from_logits=True), np.eye(3, dtype=np.float32)[r.integers(0, 3, (2, 3))], r.standard_normal((2, 3, 3))))
    cases.append(loss_case("cce_axis0_logits", L.CategoricalCrossentropy(from_logits=True, axis=0), onehot.T.copy(), logits.T.copy()))

    labels = np.array([0, 3, 1, 2, 3])
    for fl, pred, tag in [(False, p, "probs"), (True, logits, "logits")]:
        cases.append(loss_case(f"scce_{tag}_float", L.SparseCategoricalCrossentropy(from_logits=fl), labels.astype(np.float32), pred))
        cases.append(loss_case(f"scce_{tag}_int", L.SparseCategoricalCrossentropy(from_logits=fl), labels.astype(np.int32), pred, int_labels=True))
        cases.append(loss_case(f"scce_{tag}_col", L.SparseCategoricalCrossentropy(from_logits=fl), labels.reshape(5, 1).astype(np.float32), pred))
    ignore = np.array([0, -1, 1, 2, -1])
    cases.append(loss_case("scce_ignore_logits", L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1), ignore.astype(np.int32), logits, int_labels=True))
    cases.append(loss_case("scce_ignore_probs", L.SparseCategoricalCrossentropy(ignore_class=-1), ignore.astype(np.int32), p, int_labels=True))

    bin_t = r.integers(0, 2, (4, 3)).astype(np.float32)
    bin_p = r.uniform(0.02, 0.98, (4, 3)).astype(np.float32)
    bin_p_clip = bin_p.copy()
    bin_p_clip[0, 0] = 1.0
    bin_p_clip[1, 1] = 0.0
    bin_l = (r.standard_normal((4, 3)) * 3).astype(np.float32)
    for fl, pred, tag in [(False, bin_p, "probs"), (True, bin_l, "logits")]:
        for ls in [0.0, 0.2]:
            cases.append(loss_case(f"bce_{tag}_ls{ls}", L.BinaryCrossentropy(from_logits=fl, label_smoothing=ls), bin_t, pred))
    cases.append(loss_case("bce_clipped", L.BinaryCrossentropy(), bin_t, bin_p_clip))
    cases.append(loss_case("bce_vector_labels", L.BinaryCrossentropy(from_logits=True), bin_t[:, 0].copy(), bin_l[:, :1].copy()))

    reg_t = r.standard_normal((4, 3)).astype(np.float32)
    reg_p = reg_t + (r.standard_normal((4, 3)) * 1.5).astype(np.float32)
    cases.append(loss_case("mse", L.MeanSquaredError(), reg_t, reg_p))
    cases.append(loss_case("mse_vector_labels", L.MeanSquaredError(), reg_t[:, 0].copy(), reg_p[:, :1].copy()))
    cases.append(loss_case("mae", L.MeanAbsoluteError(), reg_t, reg_p))
    cases.append(loss_case("huber", L.Huber(), reg_t, reg_p, extra={"delta": 1.0}))
    cases.append(loss_case("huber_delta0.5", L.Huber(delta=0.5), reg_t, reg_p, extra={"delta": 0.5}))
    cases.append(loss_case("huber_delta3", L.Huber(delta=3.0), reg_t, reg_p, extra={"delta": 3.0}))
    write("losses", cases)


# ----- metrics ------------------------------------------------------------------------


def metric_case(name, metric, batches, int_labels=False):
    results = []
    for yt, yp in batches:
        if type(metric) is keras.metrics.Mean:
            metric.update_state(jnp.asarray(yp))
        else:
            metric.update_state(jnp.asarray(yt), jnp.asarray(yp))
        results.append(float(metric.result()))
    cfg = {k: v for k, v in metric.get_config().items() if k not in ("name", "dtype")}
    return {
        "name": name,
        "class": type(metric).__name__,
        "config": cfg,
        "batches": [{"y_true": ints(yt) if int_labels else arr(yt), "y_pred": arr(yp)} for yt, yp in batches],
        "int_labels": int_labels,
        "results": results,
    }


def metrics():
    M = keras.metrics
    r = rng_for("train/metrics")
    cases = []
    sizes = [4, 3, 5]  # unequal batches: Keras weights each by its size
    cls = 7
    preds = [r.standard_normal((n, cls)).astype(np.float32) for n in sizes]
    labels = [r.integers(0, cls, n) for n in sizes]
    onehots = [np.eye(cls, dtype=np.float32)[l] for l in labels]
    cases.append(metric_case("categorical_accuracy", M.CategoricalAccuracy(), list(zip(onehots, preds))))
    cases.append(metric_case("sparse_categorical_accuracy", M.SparseCategoricalAccuracy(), [(l.astype(np.float32), p) for l, p in zip(labels, preds)]))
    cases.append(metric_case("sparse_categorical_accuracy_int_col", M.SparseCategoricalAccuracy(), [(l.reshape(-1, 1).astype(np.int32), p) for l, p in zip(labels, preds)], int_labels=True))
    for k in [5, 3]:
        cases.append(metric_case(f"top_k_k{k}", M.TopKCategoricalAccuracy(k=k), list(zip(onehots, preds))))
        cases.append(metric_case(f"sparse_top_k_k{k}", M.SparseTopKCategoricalAccuracy(k=k), [(l.astype(np.int32), p) for l, p in zip(labels, preds)], int_labels=True))
    bt = [r.integers(0, 2, (n, 1)).astype(np.float32) for n in sizes]
    bp = [r.uniform(0, 1, (n, 1)).astype(np.float32) for n in sizes]
    cases.append(metric_case("binary_accuracy", M.BinaryAccuracy(), list(zip(bt, bp))))
    cases.append(metric_case("binary_accuracy_t0.7", M.BinaryAccuracy(threshold=0.7), list(zip(bt, bp))))
    bt2 = [r.integers(0, 2, (n, 3)).astype(np.float32) for n in sizes]
    bp2 = [r.uniform(0, 1, (n, 3)).astype(np.float32) for n in sizes]
    cases.append(metric_case("binary_accuracy_multilabel", M.BinaryAccuracy(), list(zip(bt2, bp2))))
    at = [r.integers(0, 3, (n, 2)).astype(np.float32) for n in sizes]
    ap = [r.integers(0, 3, (n, 2)).astype(np.float32) for n in sizes]
    cases.append(metric_case("accuracy", M.Accuracy(), list(zip(at, ap))))
    vals = [r.standard_normal((n,)).astype(np.float32) for n in sizes]
    cases.append(metric_case("mean", M.Mean(), [(np.zeros(0, np.float32), v) for v in vals]))
    write("metrics", cases)


# ----- optimizers ---------------------------------------------------------------------


def optimizer_case(name, make, constraint=None, steps=3):
    r = rng_for("train/opt/" + name)
    w0 = [r.standard_normal((2, 3)).astype(np.float32), r.standard_normal((3,)).astype(np.float32)]
    grads = [[(r.standard_normal(w.shape) * 2).astype(np.float32) for w in w0] for _ in range(steps)]
    opt = make()
    vs = [keras.Variable(w, name=n) for w, n in zip(w0, ["kernel", "bias"])]
    if constraint is not None:
        vs[0].constraint = constraint
    after = []
    lrs = []
    for g in grads:
        lrs.append(float(opt.learning_rate))
        opt.apply_gradients(zip([jnp.asarray(x) for x in g], vs))
        after.append([arr(np.asarray(v.value)) for v in vs])
    cfg = opt.get_config()
    if isinstance(cfg.get("learning_rate"), dict):
        cfg["learning_rate"] = cfg["learning_rate"]["config"]
    cfg = {k: v for k, v in cfg.items() if k in (
        "learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "epsilon", "amsgrad", "rho", "centered",
        "initial_accumulator_value", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm")}
    return {
        "name": name,
        "class": type(opt).__name__,
        "config": cfg,
        "max_norm": None if constraint is None else constraint.get_config(),
        "initial": [arr(w) for w in w0],
        "grads": [[arr(x) for x in g] for g in grads],
        "learning_rates": lrs,
        "after": after,
        "iterations": int(opt.iterations),
    }


def optimizers():
    O = keras.optimizers
    cases = [
        optimizer_case("sgd", lambda: O.SGD()),
        optimizer_case("sgd_momentum", lambda: O.SGD(learning_rate=0.1, momentum=0.9)),
        optimizer_case("sgd_nesterov", lambda: O.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)),
        optimizer_case("sgd_weight_decay", lambda: O.SGD(learning_rate=0.1, momentum=0.5, weight_decay=0.1)),
        optimizer_case("sgd_clipnorm", lambda: O.SGD(learning_rate=0.1, clipnorm=1.0)),
        optimizer_case("sgd_global_clipnorm", lambda: O.SGD(learning_rate=0.1, global_clipnorm=1.5)),
        optimizer_case("sgd_clipvalue", lambda: O.SGD(learning_rate=0.1, clipvalue=0.5)),
        optimizer_case("sgd_max_norm", lambda: O.SGD(learning_rate=0.5), constraint=keras.constraints.MaxNorm(1.0, axis=0)),
        optimizer_case("sgd_exponential_decay", lambda: O.SGD(learning_rate=O.schedules.ExponentialDecay(0.1, 1, 0.5))),
        optimizer_case("adam", lambda: O.Adam()),
        optimizer_case("adam_lr0.1_amsgrad", lambda: O.Adam(learning_rate=0.1, amsgrad=True)),
        optimizer_case("adam_custom", lambda: O.Adam(learning_rate=0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-3)),
        optimizer_case("adam_clipnorm", lambda: O.Adam(learning_rate=0.1, clipnorm=0.5)),
        optimizer_case("adamw", lambda: O.AdamW()),
        optimizer_case("adamw_wd0.1", lambda: O.AdamW(learning_rate=0.1, weight_decay=0.1)),
        optimizer_case("adamw_global_clipnorm", lambda: O.AdamW(learning_rate=0.1, global_clipnorm=1.0)),
        optimizer_case("rmsprop", lambda: O.RMSprop()),
        optimizer_case("rmsprop_momentum", lambda: O.RMSprop(learning_rate=0.01, momentum=0.9)),
        optimizer_case("rmsprop_centered", lambda: O.RMSprop(learning_rate=0.01, centered=True)),
        optimizer_case("rmsprop_centered_momentum", lambda: O.RMSprop(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True)),
        optimizer_case("rmsprop_clipvalue", lambda: O.RMSprop(learning_rate=0.01, clipvalue=0.3)),
        optimizer_case("adagrad", lambda: O.Adagrad()),
        optimizer_case("adagrad_custom", lambda: O.Adagrad(learning_rate=0.1, initial_accumulator_value=0.5, epsilon=1e-4)),
        optimizer_case("adagrad_weight_decay_max_norm", lambda: O.Adagrad(learning_rate=0.5, weight_decay=0.05), constraint=keras.constraints.MaxNorm(1.5, axis=0)),
    ]
    write("optimizers", cases)


# ----- schedules ----------------------------------------------------------------------


def schedules():
    S = keras.optimizers.schedules
    steps = [0, 1, 2, 3, 5, 9, 10, 11, 15, 20, 30, 100]
    specs = [
        ("exponential", S.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)),
        ("exponential_staircase", S.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.9, staircase=True)),
        ("piecewise", S.PiecewiseConstantDecay([3, 10, 20], [1.0, 0.5, 0.1, 0.01])),
        ("cosine", S.CosineDecay(0.1, decay_steps=20)),
        ("cosine_alpha", S.CosineDecay(0.1, decay_steps=20, alpha=0.1)),
        ("cosine_warmup", S.CosineDecay(0.0, decay_steps=20, alpha=0.05, warmup_target=0.2, warmup_steps=5)),
    ]
    cases = []
    for name, s in specs:
        cfg = {k: v for k, v in s.get_config().items() if k != "name"}
        cases.append({"name": name, "class": type(s).__name__, "config": cfg, "steps": steps,
                      "values": [float(s(np.int32(t))) for t in steps]})
    write("schedules", cases)


if __name__ == "__main__":
    losses()
    metrics()
    optimizers()
    schedules()
