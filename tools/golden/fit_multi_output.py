"""Golden fixture for Keras 3 fit / evaluate / predict with several inputs and outputs.

Builds a Functional model of Dense layers and a Concatenate (inputs `img` (4,) and `words`
(3,), trunk Dense(5, relu), heads Dense(3, softmax) and Dense(1)), sets every weight from
a seeded numpy RNG (uniform -0.5..0.5) and records, with real Keras 3 on JAX (CPU):
- "named" / "positional": compile with per-output losses, loss weights and metrics given
  as dicts by output name / as lists (default head names `dense`, `dense_1`); fit 2 epochs
  (batch 4, no shuffle, validation data): history (keys in Keras's order), the running
  logs after every training batch, evaluate(return_dict=True), predict, final weights;
- "single_loss_for_all": one loss string for two regression heads;
- "single_output_accuracy": metrics=["accuracy"] on one softmax output, sparse labels;
- "flat_metrics_multi_output": metrics=["mae"] (a flat list) on two outputs (an error);
- "monitor_missing_key": EarlyStopping / ReduceLROnPlateau / ModelCheckpoint(save_best_only) on a
  missing key `val_los`, in the default mode="auto" (Keras raises) and with mode="min"
  (the warnings it emits), and which direction mode="auto" infers for real log keys
  (multi-output: only `loss` / `val_loss`; single output: also `accuracy`).
Writes crates/nn/tests/fixtures/train_fit_multi_output.json. Rerun (byte-identical with
the pinned requirements.txt):

    cd tools/golden && ~/.cache/fovea-golden/venv/bin/python fit_multi_output.py
"""

import layer_fixtures  # noqa: F401  (selects the JAX backend before keras is imported)
from layer_fixtures import FIXTURES, arr, rng_for  # noqa: E402

import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

N_TRAIN, N_VAL = 10, 4
FIT = {"batch_size": 4, "epochs": 2, "shuffle": False, "verbose": 0}
RNG = rng_for("train_fit_multi_output")


def ints(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": [int(v) for v in a.ravel().tolist()]}


def data(n):
    return {
        "img": RNG.standard_normal((n, 4)).astype(np.float32),
        "words": RNG.standard_normal((n, 3)).astype(np.float32),
        "class": RNG.integers(0, 3, n).astype(np.int32),
        "score": RNG.standard_normal((n, 1)).astype(np.float32),
        "r2": RNG.standard_normal((n, 2)).astype(np.float32),  # second head of single_loss_for_all
    }


TRAIN, VAL = data(N_TRAIN), data(N_VAL)


def build(heads):
    """heads: list of (units, activation, name or None). clear_session() resets Keras's
    automatic names, so unnamed Dense layers are `dense`, `dense_1`, ..."""
    keras.backend.clear_session()
    img, words = keras.Input((4,), name="img"), keras.Input((3,), name="words")
    h = layers.Dense(5, activation="relu", name="trunk")(layers.Concatenate()([img, words]))
    outs = [layers.Dense(u, activation=a, name=n)(h) for u, a, n in heads]
    return keras.Model([img, words], outs if len(outs) > 1 else outs[0])


def draw_weights(model):
    return [RNG.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]


def weights_json(model):
    dense = [l for l in model.layers if isinstance(l, layers.Dense)]
    return [{"layer": l.name, "kernel": arr(l.kernel), "bias": arr(l.bias)} for l in dense]


def floats(d):
    return {k: ([float(x) for x in v] if isinstance(v, list) else float(v)) for k, v in d.items()}


class BatchLogs(keras.callbacks.Callback):
    """The logs Keras hands on_train_batch_end: running means since the epoch began."""

    def __init__(self):
        super().__init__()
        self.epoch, self.logs = 0, []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({"epoch": self.epoch, "batch": batch, **floats(logs)})


def run_fit(model, x, y, val, callbacks=(), **fit):
    rec = BatchLogs()
    hist = model.fit(x, y, validation_data=val, callbacks=[rec, *callbacks], **{**FIT, **fit})
    return hist, rec.logs


def io(as_dict, outs, d, ykeys=("class", "score")):
    """(x, y) from the data columns: dicts by input / output name, or lists."""
    if as_dict:
        return {"img": d["img"], "words": d["words"]}, {o: d[k] for o, k in zip(outs, ykeys)}
    return [d["img"], d["words"]], [d[k] for k in ykeys]


def compiled(heads, weights, **compile_kwargs):
    model = build(heads)
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), **compile_kwargs)
    return model


SGD_JSON = {"optimizer": {"class": "SGD", "learning_rate": 0.1}}


def fit_case(name, heads, compile_kwargs, as_dict, weights):
    model = compiled(heads, weights, **compile_kwargs)
    outs = list(model.output_names)
    (x, y), (xv, yv) = io(as_dict, outs, TRAIN), io(as_dict, outs, VAL)
    hist, batches = run_fit(model, x, y, (xv, yv))
    ev = model.evaluate(xv, yv, return_dict=True, verbose=0)
    pred = model.predict(xv, verbose=0)
    return {
        "name": name,
        "x_form": "dict" if as_dict else "list",
        "heads": [{"units": u, "activation": a or "linear", "name": n} for u, a, n in heads],
        "output_names": outs,
        "layer_names": [l.name for l in model.layers],
        "compile": {**SGD_JSON, **compile_kwargs},
        "history_keys": list(hist.history),
        "history": floats(hist.history),
        "batch_logs": batches,
        "evaluate_keys": list(ev),
        "evaluate": floats(ev),
        "predict": {o: arr(p) for o, p in zip(outs, pred)},
        "final_weights": weights_json(model),
    }


def error_text(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001  the text is what we pin
        return {"error_class": type(e).__name__, "message": str(e)}
    return None


def monitor_cases(heads, weights, compile_kwargs):
    """Each callback in its own 1-epoch fit of the named model (dict x / y)."""
    outs = [n for _, _, n in heads]
    (x, y), val = io(True, outs, TRAIN), io(True, outs, VAL)
    out = {"model": "named", "monitor": "val_los"}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "best.keras")
        makers = {
            "EarlyStopping": lambda **k: keras.callbacks.EarlyStopping(monitor="val_los", **k),
            "ReduceLROnPlateau": lambda **k: keras.callbacks.ReduceLROnPlateau(monitor="val_los", **k),
            "ModelCheckpoint": lambda **k: keras.callbacks.ModelCheckpoint(path, monitor="val_los", save_best_only=True, **k),
        }
        for cls, make in makers.items():
            auto = error_text(lambda: run_fit(compiled(heads, weights, **compile_kwargs), x, y, val, [make()], epochs=1))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                hist, _ = run_fit(compiled(heads, weights, **compile_kwargs), x, y, val, [make(mode="min")], epochs=1)
            out[cls] = {
                "mode_auto": auto,
                # UserWarnings only: numpy DeprecationWarnings from Keras internals are noise.
                "mode_min_warnings": [str(w.message) for w in caught if w.category is UserWarning],
                "history_keys": list(hist.history),
            }
            if cls == "ModelCheckpoint":
                out[cls]["file_saved"] = os.path.exists(path)
    model = compiled(heads, weights, **compile_kwargs)
    hist, _ = run_fit(model, x, y, val, epochs=1)
    out["auto_mode_direction"] = auto_direction(model, list(hist.history) + ["val_los"])
    return out


def auto_direction(model, keys):
    """What mode="auto" infers per monitor key: "min", "max" or the error text. Called on a
    trained model, so its metrics are built, as at the first epoch end where Keras calls it."""
    direction = {}
    for key in keys:
        cb = keras.callbacks.EarlyStopping(monitor=key)
        cb.set_model(model)
        err = error_text(cb._set_monitor_op)
        direction[key] = err["message"] if err else ("min" if cb.monitor_op is keras.ops.less else "max")
    return direction


def main():
    named_heads = [(3, "softmax", "class"), (1, None, "score")]
    weights = draw_weights(build(named_heads))
    sce = "sparse_categorical_crossentropy"
    named = {"loss": {"class": sce, "score": "mse"}, "loss_weights": {"class": 1.0, "score": 0.5}, "metrics": {"class": ["accuracy"], "score": ["mae"]}}
    positional = {"loss": [sce, "mse"], "loss_weights": [1.0, 0.5], "metrics": [["accuracy"], ["mae"]]}
    cases = [
        fit_case("named", named_heads, named, True, weights),
        fit_case("positional", [(3, "softmax", None), (1, None, None)], positional, False, weights),
    ]

    # One loss string for two regression heads (targets: columns `score` and `r2`).
    reg_heads = [(1, None, "r1"), (2, None, "r2")]
    reg_weights = draw_weights(build(reg_heads))
    model = compiled(reg_heads, reg_weights, loss="mse")
    initial = weights_json(model)
    (x, y), val = io(False, None, TRAIN, ("score", "r2")), io(False, None, VAL, ("score", "r2"))
    hist, batches = run_fit(model, x, y, val)
    single_loss = {
        "output_names": list(model.output_names),
        "targets": ["score", "r2"],
        "compile": {**SGD_JSON, "loss": "mse"},
        "initial_weights": initial,
        "history_keys": list(hist.history),
        "history": floats(hist.history),
        "batch_logs": batches,
        "final_weights": weights_json(model),
    }

    # metrics=["accuracy"] on a single softmax output with sparse labels (trunk and class
    # weights of the main model).
    model = compiled(named_heads[:1], weights[:4], loss=sce, metrics=["accuracy"])
    initial = weights_json(model)
    hist, _ = run_fit(model, x, TRAIN["class"], (val[0], VAL["class"]))
    single_acc = {
        "compile": {**SGD_JSON, "loss": sce, "metrics": ["accuracy"]},
        "initial_weights": initial,
        "history_keys": list(hist.history),
        "history": floats(hist.history),
        "final_weights": weights_json(model),
        "auto_mode_direction": auto_direction(model, list(hist.history)),
    }

    # A flat metrics list on a two-output model.
    flat = error_text(lambda: run_fit(compiled(reg_heads, reg_weights, loss="mse", metrics=["mae"]), x, y, val, epochs=1))

    out = {
        "keras_version": keras.__version__,
        "jax_version": jax.__version__,
        "numpy_version": np.__version__,
        "fit": {k: v for k, v in FIT.items() if k != "verbose"},
        "inputs": [{"name": "img", "shape": [4]}, {"name": "words", "shape": [3]}],
        "initial_weights": weights_json(compiled(named_heads, weights)),
        "train": {k: ints(v) if k == "class" else arr(v) for k, v in TRAIN.items()},
        "val": {k: ints(v) if k == "class" else arr(v) for k, v in VAL.items()},
        "cases": cases,
        "single_loss_for_all": single_loss,
        "single_output_accuracy": single_acc,
        "flat_metrics_multi_output": {"compile": {**SGD_JSON, "loss": "mse", "metrics": ["mae"]}, "output_names": ["r1", "r2"], "result": flat},
        "monitor_missing_key": monitor_cases(named_heads, weights, named),
    }
    path = FIXTURES / "train_fit_multi_output.json"
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
