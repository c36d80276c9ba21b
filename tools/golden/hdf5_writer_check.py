"""Checks that files written by fovea-keras's HDF5 writer open in h5py and Keras 3.

The files are committed (crates/keras/tests/fixtures/hdf5/writer_*.h5) and
crates/keras/tests/hdf5_write.rs asserts the writer still produces them byte for byte,
so this check stays valid until the writer changes. Run from tools/golden/:

    ~/.cache/fovea-golden/venv/bin/python hdf5_writer_check.py          # h5py 3.16 / HDF5 2.0 + Keras
    ~/.cache/fovea-golden/tfvenv/bin/python hdf5_writer_check.py --h5py-only   # HDF5 1.14.6

writer_features.h5 holds every writer feature (hdf5_write.rs::features());
writer_keras.weights.h5 is keras3.weights.h5 copied through our reader and writer:
Keras 3 must load it into the same model with identical weights and predictions.
"""

import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

DIR = pathlib.Path(__file__).resolve().parents[2] / "crates/keras/tests/fixtures/hdf5"


def check_features():
    long_text = "".join(chr(ord("a") + i % 26) for i in range(9000))
    kernel = (np.arange(24, dtype=np.float32) * 0.5 - 3.0).reshape(2, 3, 4)
    with h5py.File(DIR / "writer_features.h5", "r") as f:
        assert f.libver == ("earliest", f.libver[1]), f.libver
        assert sorted(f.keys()) == ["a", "empty", "scalar", "wide"], list(f.keys())
        a = f.attrs
        assert a["title"] == "written by fovea"
        assert a["long"] == long_text
        assert [s.decode() for s in a["layer_names"]] == ["conv2d", "dense_1", "bn", "ünï"]
        assert a["layer_names"].dtype.kind == "S"  # fixed-length, as Keras writes it
        assert list(a["ints"]) == [1, -2, 2**63 - 1] and a["ints"].dtype == np.int64
        assert a["one_int"] == 7 and np.ndim(a["one_int"]) == 0
        assert list(a["floats"]) == [0.5, -1e300]
        assert isinstance(a["no_floats"], h5py.Empty)
        assert isinstance(a["no_strings"], h5py.Empty)
        assert f["a"].attrs["note"] == "ä group"
        assert list(f["a"].keys()) == ["b"] and len(f["a/b/c"]) == 0
        k = f["a/b/kernel"]
        assert k.dtype == np.dtype("<f4") and k.shape == (2, 3, 4)
        assert np.array_equal(k[()], kernel)
        assert k.attrs["unit"] == "m/s"
        assert f["scalar"].shape == () and f["scalar"][()] == np.float32(3.25)
        assert f["empty"].shape == (0, 3) and f["empty"][()].size == 0
        wide = f["wide"]
        assert list(wide.keys()) == [f"d{i:03d}" for i in range(260)]
        for i in range(260):
            assert wide[f"d{i:03d}"][()].tolist() == [float(i)]
        assert wide["d137"].name == "/wide/d137"  # lookup by name walks the B-tree
    # Appending with the HDF5 library must work on our structures too.
    tmp = DIR.parent / "writer_features_appended.tmp.h5"
    tmp.write_bytes((DIR / "writer_features.h5").read_bytes())
    try:
        with h5py.File(tmp, "a") as f:
            for i in range(40):
                f[f"wide/e{i:02d}"] = np.float32(i)
            f["a"].attrs["more"] = 1
        with h5py.File(tmp, "r") as f:
            assert len(f["wide"]) == 300 and f["wide/e39"][()] == 39
    finally:
        tmp.unlink()
    print("writer_features.h5: h5py reads every object and value; appending works")


def same_tree(a, b):
    """Every group, dataset (values and shape) and attribute of a is in b, and back."""
    names_a, names_b = [], []
    a.visit(names_a.append)
    b.visit(names_b.append)
    assert sorted(names_a) == sorted(names_b), (names_a, names_b)
    for n in ["/"] + names_a:
        x, y = a[n], b[n]
        assert dict(x.attrs) == dict(y.attrs), n
        if isinstance(x, h5py.Dataset):
            assert x.dtype == y.dtype and x.shape == y.shape, n
            assert np.array_equal(x[()], y[()]), n


def check_keras_copy(h5py_only):
    with h5py.File(DIR / "keras3.weights.h5", "r") as a, h5py.File(DIR / "writer_keras.weights.h5", "r") as b:
        same_tree(a, b)
    print("writer_keras.weights.h5: same groups, datasets and attributes as keras3.weights.h5")
    if h5py_only:
        return
    import keras

    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from hdf5_fixtures import conv_net

    original = conv_net(keras, "sequential")
    original.load_weights(DIR / "keras3.weights.h5")
    ours = conv_net(keras, "sequential")
    for w in ours.weights:
        w.assign(np.zeros(w.shape, w.dtype))
    ours.load_weights(DIR / "writer_keras.weights.h5")
    for w0, w1 in zip(original.get_weights(), ours.get_weights()):
        assert np.array_equal(w0, w1)
    x = np.random.default_rng(1).standard_normal((2, 6, 6, 2)).astype(np.float32)
    assert np.array_equal(original.predict(x, verbose=0), ours.predict(x, verbose=0))
    print(f"Keras {keras.__version__} loads writer_keras.weights.h5: identical weights and predictions")


if __name__ == "__main__":
    only = sys.argv[1:] == ["--h5py-only"]
    print(f"h5py {h5py.__version__}, HDF5 {h5py.version.hdf5_version}")
    check_features()
    check_keras_copy(only)
