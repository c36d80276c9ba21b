"""Export round trip through real Keras: loads every `.keras` archive fovea exported
(`fovea_keras::save`) with Keras 3 and checks that Keras's predictions equal fovea's.

Make the exports, then run this (Keras/JAX venv, from the repository root):

    FOVEA_EXPORT_DIR=/tmp/fovea-export cargo test -p fovea-keras --test export_roundtrip
    ~/.cache/fovea-golden/venv/bin/python tools/golden/keras_roundtrip.py /tmp/fovea-export

The test writes, per corpus model NAME, `NAME.keras` (fovea's export) and
`NAME.fovea.outI.npy` (fovea's outputs on the corpus inputs). This script runs Keras on
the corpus inputs (crates/keras/tests/fixtures/models) and compares with fovea's
outputs and with the corpus's expected outputs, within 1e-4 * max(1, max|expected|). It
writes tools/golden/keras_roundtrip_report.txt and exits non-zero if any model fails.
"""

import os
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import json  # noqa: E402
import pathlib  # noqa: E402
import traceback  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "crates" / "keras" / "tests" / "fixtures" / "models"
REPORT = pathlib.Path(__file__).resolve().parent / "keras_roundtrip_report.txt"


def within(expected, got):
    if expected.shape != got.shape:
        return False, f"shape {got.shape} vs {expected.shape}"
    err = float(np.max(np.abs(expected.astype(np.float64) - got))) if expected.size else 0.0
    tol = 1e-4 * max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
    return err <= tol, f"max error {err:.2e} (tolerance {tol:.2e})"


def run_model(model, xs):
    feed = [x.astype(np.float32) if x.dtype == np.float64 else x for x in xs]
    struct = getattr(model, "_inputs_struct", None)
    if len(feed) == 1 and not isinstance(struct, (dict, list, tuple)):
        args = feed[0]
    elif isinstance(struct, dict):
        args = keras.tree.pack_sequence_as(struct, feed)
    else:
        args = feed
    return [np.asarray(o, dtype=np.float32) for o in keras.tree.flatten(model(args, training=False))]


def check(entry, export_dir):
    name = entry["name"]
    path = export_dir / f"{name}.keras"
    skipped = export_dir / f"{name}.not_exported.txt"
    if skipped.exists():
        return "SKIP " + skipped.read_text().strip()
    if not path.exists():
        return "no export"
    model = keras.saving.load_model(path, compile=False)
    # Feed the inputs in the exported model's input order: fovea keeps the input names.
    by_name = {i["name"]: np.load(CORPUS / i["file"]) for i in entry["inputs"]}
    names = [t._keras_history[0].name for t in model.inputs]
    if sorted(names) == sorted(by_name):
        xs = [by_name[n] for n in names]
    else:
        xs = [np.load(CORPUS / i["file"]) for i in entry["inputs"]]
    ys = run_model(model, xs)
    problems = []
    if len(ys) != len(entry["outputs"]):
        return f"{len(ys)} outputs, expected {len(entry['outputs'])}"
    for k, (y, out) in enumerate(zip(ys, entry["outputs"])):
        fovea = np.load(export_dir / f"{name}.fovea.out{k}.npy")
        ok, msg = within(fovea, y)
        if not ok:
            problems.append(f"output {k} vs fovea: {msg}")
        ok, msg = within(np.load(CORPUS / out["file"]), y)
        if not ok:
            problems.append(f"output {k} vs the corpus: {msg}")
    return "; ".join(problems) or None


def main():
    export_dir = pathlib.Path(sys.argv[1])
    entries = json.loads((CORPUS / "manifest.json").read_text())["models"]
    lines, failed, skipped = [], 0, 0
    for e in entries:
        try:
            problem = check(e, export_dir)
        except Exception as ex:  # a file Keras refuses is a failure to report, not a crash
            problem = f"{type(ex).__name__}: {str(ex).splitlines()[0] if str(ex) else ''}"
            traceback.print_exc()
        if problem is not None and problem.startswith("SKIP "):
            skipped += 1
            lines.append(f"{e['name']}: not exported on purpose: {problem[5:]}")
        else:
            failed += problem is not None
            lines.append(f"{e['name']}: {'ok' if problem is None else 'FAIL ' + problem}")
        print(lines[-1], flush=True)
    header = (
        f"# fovea export -> Keras {keras.__version__} load_model -> predictions vs fovea and vs the corpus\n"
        f"# tools/golden/keras_roundtrip.py; tolerance 1e-4 * max(1, max|expected|)\n"
        f"# {len(entries) - failed - skipped} of {len(entries)} models pass, {failed} fail, "
        f"{skipped} not exported on purpose (fovea refuses them)\n"
    )
    REPORT.write_text(header + "\n".join(lines) + "\n")
    print(header)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
