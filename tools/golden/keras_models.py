"""The Keras model corpus for fovea-keras (issue 5's "done when"): small random Keras
models saved as real `.keras` archives and legacy `.h5` files, each with seeded inputs and
the outputs Keras computes from them, in crates/keras/tests/fixtures/models/.

Run from the repository root with the Keras/JAX venv (tools/golden/requirements.txt):

    ~/.cache/fovea-golden/venv/bin/python tools/golden/keras_models.py

It writes the Keras 3 models itself (keras_model_cases.py: one case per option;
keras_model_random.py: seeded random stacks and graphs), then runs
keras_models_legacy.py in the TensorFlow venv (tf_keras 2.21, real Keras 2 `.h5` files;
path from $FOVEA_TF_PYTHON, default ~/.cache/fovea-golden/tfvenv/bin/python) and merges
everything into manifest.json. crates/keras/tests/keras_corpus.rs loads every entry.

Every model is reloaded with Keras after saving and must reproduce its outputs, so each
file is known to be one Keras itself reads back.
"""

from keras_model_common import (  # first: it selects the JAX backend
    OUT,
    SEED,
    check_coverage,
    clear_outputs,
    run_case,
    versions,
)

import json  # noqa: E402
import os  # noqa: E402
import pathlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import keras_model_cases  # noqa: E402
import keras_model_graphs  # noqa: E402
import keras_model_random  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent

# Keras features the corpus leaves out because fovea-nn has no counterpart (yet); the
# loader must reject them with an error naming them.
NOT_GENERATED = [
    "layers without a fovea-nn counterpart: Conv2DTranspose, Conv1DTranspose, Conv3D, DepthwiseConv1D/2D, "
    "SeparableConv1D/2D, UpSampling1D/2D, ZeroPadding1D/3D, Cropping1D/3D, 3-D pooling, Bidirectional, "
    "TimeDistributed, RepeatVector, Masking, Lambda, GaussianNoise/GaussianDropout/AlphaDropout, "
    "SpatialDropout1D/2D, GroupNormalization, UnitNormalization, Normalization/Rescaling, EinsumDense, "
    "MultiHeadAttention, ConvLSTM",
    "activations fovea lacks: celu, glu, hard_silu, hard_tanh, hard_shrink, soft_shrink, log_sigmoid, mish, "
    "sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh_shrink, threshold; gelu(approximate=True) "
    "(not reachable from a serialized activation string)",
    "recurrent: stateful=True (fovea refuses it), initial_state inputs, masking (mask_zero feeding an RNN or a "
    "pooling layer; the corpus uses mask_zero only before mask-blind Dense)",
    "OrthogonalRegularizer, STFT initializer, LoRA (lora_rank), quantized layers, non-float32 dtype policies",
    "LocalResponseNormalization: fovea-only (not a Keras layer)",
]


# Features every Keras 3 model has (default initializers are serialized in every layer):
# left out of features.json, where they would only add bulk.
NOISE = {"source:keras3", "format:keras", "input_dtype:float32", "zip:stored"}


def legacy_entries():
    """Runs the tf_keras generator in its own venv; returns its manifest entries."""
    py = os.environ.get("FOVEA_TF_PYTHON", str(pathlib.Path.home() / ".cache/fovea-golden/tfvenv/bin/python"))
    if not pathlib.Path(py).exists():
        sys.exit(f"the TensorFlow venv python {py} is missing (see tools/golden/README.md)")
    part = OUT / "_legacy_part.json"
    subprocess.run([py, str(HERE / "keras_models_legacy.py"), str(part)], check=True, cwd=HERE)
    data = json.loads(part.read_text())
    part.unlink()
    return data


def main():
    clear_outputs()
    entries = []
    for name, build, fmt, tags in keras_model_cases.CASES + keras_model_graphs.CASES + keras_model_random.cases():
        entries.append(run_case(name, build, fmt, tags))
        print(f"{name}: ok", flush=True)
    legacy = legacy_entries()
    entries += legacy["models"]
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names)), "duplicate case names"
    coverage = check_coverage(entries)
    features = {e["name"]: " ".join(f for f in e.pop("features") if f not in NOISE) for e in entries}
    header = {
        "generator": "tools/golden/keras_models.py",
        "seed": SEED,
        "versions": {**versions(), **legacy["versions"]},
        "tolerance": "1e-4 * max(1, max|expected|) per output array",
        "features": "features.json (per model), coverage.txt (per feature)",
        "not_generated": NOT_GENERATED,
    }
    # One model per line: small files that diff well (fixtures stay well under 100 KB).
    lines = [json.dumps(e) for e in entries]
    text = json.dumps(header, indent=1)[:-2] + ',\n "models": [\n' + ",\n".join(lines) + "\n ]\n}\n"
    json.loads(text)
    (OUT / "manifest.json").write_text(text)
    (OUT / "features.json").write_text(
        "{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in features.items()) + "\n}\n"
    )
    width = max(len(f) for f in coverage)
    rows = [f"{f:<{width}}  {len(names):>3}  {' '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
            for f, names in coverage.items()]
    (OUT / "coverage.txt").write_text(
        f"# feature, number of models, first models ({len(entries)} models; tools/golden/keras_models.py)\n"
        + "\n".join(rows) + "\n"
    )
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(entries)} models, {total / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
