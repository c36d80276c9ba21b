"""Golden sequences for fovea-nn's training callbacks, from the real Keras 3 callbacks.

Drives keras.callbacks.ReduceLROnPlateau, EarlyStopping and CSVLogger directly with
scripted epoch logs (no training), on a stand-in model that holds a real Keras SGD
optimizer (so the learning rate goes through Keras's float32 variable), and records:
the learning rate after each epoch and the `learning_rate` each epoch logged; the epoch
at which EarlyStopping first asks to stop and its best epoch; CSVLogger's file text.
Writes crates/nn/tests/fixtures/training_callbacks.json. Run from tools/golden/ with
/root/.cache/fovea-golden/venv/bin/python callbacks.py
"""

import os

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import json  # noqa: E402
import pathlib  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates" / "nn" / "tests" / "fixtures"


class StandIn:
    """What the callbacks read from `self.model`."""

    def __init__(self, lr):
        self.optimizer = keras.optimizers.SGD(learning_rate=lr)
        self.metrics = []
        self.stop_training = False


def reduce_lr_case(name, values, lr, **kwargs):
    model = StandIn(lr)
    cb = keras.callbacks.ReduceLROnPlateau(**kwargs)
    cb.set_model(model)
    cb.on_train_begin()
    lrs, logged = [], []
    monitor = kwargs.get("monitor", "val_loss")
    for epoch, v in enumerate(values):
        logs = {"loss": 1.0} if v is None else {"loss": 1.0, monitor: v}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cb.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
        lrs.append(float(np.asarray(model.optimizer.learning_rate)))
    return {"name": name, "config": kwargs, "lr": lr, "values": values, "lr_after": lrs, "logged": logged}


def early_stopping_case(name, values, **kwargs):
    model = StandIn(0.01)
    cb = keras.callbacks.EarlyStopping(**kwargs)
    cb.set_model(model)
    cb.on_train_begin()
    stop_at = None
    monitor = kwargs.get("monitor", "val_loss")
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {monitor: v})
        if model.stop_training:
            stop_at = epoch
            break
    return {
        "name": name,
        "config": kwargs,
        "values": values,
        "stop_at": stop_at,
        "best_epoch": cb.best_epoch,
        "stopped_epoch": cb.stopped_epoch,
    }


def csv_case(name, epochs_logs, separator=",", append_runs=1):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "log.csv")
        for _ in range(append_runs):
            cb = keras.callbacks.CSVLogger(path, separator=separator, append=append_runs > 1)
            cb.set_model(StandIn(0.01))
            cb.on_train_begin()
            for epoch, logs in enumerate(epochs_logs):
                cb.on_epoch_end(epoch, dict(logs))
            cb.on_train_end()
        with open(path, newline="") as f:
            text = f.read()
    return {"name": name, "separator": separator, "append_runs": append_runs, "logs": epochs_logs, "text": text}


def main():
    plateau = [1.0, 0.9, 0.9, 0.95, 0.9, 0.89995, 0.91, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    reduce = [
        reduce_lr_case("patience2_factor_half", plateau, 0.1, factor=0.5, patience=2),
        reduce_lr_case("patience1_cooldown2", plateau, 0.1, factor=0.5, patience=1, cooldown=2),
        reduce_lr_case("min_lr_floor", plateau, 0.01, factor=0.1, patience=1, min_lr=0.0005),
        reduce_lr_case(
            "alexnet_val_accuracy",
            [0.1, 0.3, 0.5, 0.5, 0.50005, 0.6, 0.6, 0.6, 0.61, 0.61, 0.61],
            0.01,
            monitor="val_accuracy",
            factor=0.1,
            patience=2,
            mode="max",
        ),
        reduce_lr_case("defaults_patience10", [1.0] + [1.0] * 24, 0.001),
        reduce_lr_case(
            "missing_monitor_epochs", [1.0, None, 1.0, None, 1.0, 1.0], 0.1, factor=0.5, patience=1
        ),
        reduce_lr_case("min_delta_zero", plateau, 0.1, factor=0.2, patience=1, min_delta=0.0, cooldown=1),
    ]
    stop = [
        early_stopping_case("patience0", [1.0, 0.9, 0.95, 0.8]),
        early_stopping_case("patience2", [1.0, 0.9, 0.95, 0.92, 0.91, 0.8], patience=2),
        early_stopping_case("min_delta", [1.0, 0.95, 0.91, 0.9, 0.89, 0.7], patience=1, min_delta=0.05),
        early_stopping_case(
            "baseline", [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4], patience=2, baseline=0.65
        ),
        early_stopping_case(
            "start_from_epoch", [1.0, 1.1, 1.2, 1.3, 1.4, 1.5], patience=1, start_from_epoch=3
        ),
        early_stopping_case(
            "max_mode_accuracy", [0.5, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7], monitor="val_accuracy", mode="max", patience=2
        ),
    ]
    f32 = lambda v: float(np.float32(v))  # noqa: E731  Keras logs float32 results as Python floats
    csv = [
        csv_case(
            "with_validation",
            [
                {"loss": f32(0.5), "accuracy": f32(0.75), "val_loss": f32(0.6), "val_accuracy": 0.5},
                {"loss": f32(0.25), "accuracy": 1.0, "val_loss": f32(1e-05), "val_accuracy": 0.0625},
            ],
        ),
        csv_case("no_validation_gets_na", [{"loss": 2.0, "mean_absolute_error": f32(0.1)}, {"loss": 1.5, "mean_absolute_error": 3e20}]),
        csv_case("semicolon_append", [{"loss": 1.0, "val_loss": 2.0}], separator=";", append_runs=2),
    ]
    FIXTURES.mkdir(parents=True, exist_ok=True)
    out = {"keras_version": keras.__version__, "reduce_lr_on_plateau": reduce, "early_stopping": stop, "csv_logger": csv}
    path = FIXTURES / "training_callbacks.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
