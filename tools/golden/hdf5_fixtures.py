"""HDF5 fixtures for fovea-keras's own HDF5 reader (crates/keras/src/hdf5/).

Run from tools/golden/ with the Keras/JAX venv (h5py 3.16.0, HDF5 2.0.0):
    ~/.cache/fovea-golden/venv/bin/python hdf5_fixtures.py
It re-runs itself under the TensorFlow venv (h5py 3.14.0, HDF5 1.14.6, tensorflow-cpu
2.21.0) for the legacy full-model .h5 file; set FOVEA_TF_PYTHON to use another one.

Writes crates/keras/tests/fixtures/hdf5/*.h5 plus expected.json, a dump of every
object as h5py reads it, which crates/keras/tests/hdf5_read.rs compares exactly.
Numbers are stored as strings (Python repr of the float32 / float64 / int) so the
Rust side parses them with correctly rounded std parsing.
"""

import json
import os
import pathlib
import subprocess
import sys

if sys.argv[1:] == ["--tf-legacy"]:
    os.environ["KERAS_BACKEND"] = "tensorflow"
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
else:
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ["JAX_PLATFORMS"] = "cpu"

import h5py  # noqa: E402
import numpy as np  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[2] / "crates/keras/tests/fixtures/hdf5"
TF_PYTHON = os.environ.get(
    "FOVEA_TF_PYTHON", str(pathlib.Path.home() / ".cache/fovea-golden/tfvenv/bin/python")
)
RNG = np.random.default_rng(20240607)


def vals(n, dtype):
    """Deterministic values with fractions and negatives where the type allows."""
    x = np.arange(n, dtype=np.float64) * 1.25 - n / 3
    dt = np.dtype(dtype)
    if dt.kind == "u":
        x = np.abs(x) * 3
    if dt.kind in "iu":
        x = np.round(x * 7)
    return x.astype(dtype)


# ---------------------------------------------------------------- fixture files


def basic():
    with h5py.File(OUT / "basic.h5", "w") as f:
        f.attrs["title"] = "fovea hdf5 fixture"
        f.attrs["utf8"] = "µ-naïve ✓"
        f.attrs["fixed"] = np.bytes_(b"fixed-bytes")
        f.attrs["names"] = np.array([b"conv2d", b"dense_1", b"bn"])
        f.attrs["vlnames"] = ["a", "bb", "ccc"]
        f.attrs["int"] = 7
        f.attrs["ints"] = np.array([1, -2, 3], np.int32)
        f.attrs["uint8s"] = np.array([0, 255], np.uint8)
        f.attrs["be_ints"] = np.array([-5, 6], ">i2")
        f.attrs["matrix"] = np.arange(6).reshape(2, 3)
        f.attrs["str2d"] = np.array([[b"a", b"b"], [b"c", b"dd"]])
        f.attrs["float"] = 0.5
        f.attrs["floats"] = np.array([1.5, -2.25], np.float32)
        f.attrs["f64s"] = np.array([0.1, 1e-300, -7.0])
        f.attrs["half"] = np.array([0.333], np.float16)
        f.attrs["empty"] = h5py.Empty("f4")
        f.attrs["empty_ints"] = np.zeros(0, np.int64)
        f.attrs["flag"] = np.bool_(True)  # an enum: listed, but not readable as a value

        a = f.create_group("a")
        a.attrs["depth"] = 1
        a.create_group("b").create_group("c")
        f["a/b/leaf"] = vals(4, "f4")

        d = f.create_group("dtypes")
        for dt in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]:
            d[dt] = vals(6, "<" + dt).reshape(2, 3)
        for dt in ["f2", "f4", "f8", "i4", "u2", "i8"]:
            d["be_" + dt] = vals(5, ">" + dt)
        d["f4"].attrs["unit"] = "m/s"
        d["f4"].attrs["scale"] = np.float32(2.5)

        f["scalar_f32"] = np.float32(3.25)
        f["scalar_i64"] = np.int64(-42)
        f["empty"] = np.zeros((0, 3), np.float32)
        f["empty1d"] = np.zeros((0,), np.float64)
        f["null"] = h5py.Empty("f4")
        f.create_dataset("unwritten", shape=(4,), dtype="f4")
        f.create_dataset("unwritten_fill", shape=(3,), dtype="f4", fillvalue=7.5)
        f["strings"] = np.array([b"x", b"yz"])
        # How Keras 3's H5IOStore stores bfloat16 variables: opaque 2-byte elements.
        import ml_dtypes

        bf16 = f.create_dataset("bf16", data=np.array([1.5, -2.0, 0.1], ml_dtypes.bfloat16))
        bf16.attrs["dtype"] = "bfloat16"

        # Compact layout is not in h5py's high-level API.
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        dcpl.set_obj_track_times(False)  # no timestamps: reruns are byte-identical
        space = h5py.h5s.create_simple((4,))
        ds = h5py.h5d.create(f.id, b"compact", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
        ds.write(h5py.h5s.ALL, h5py.h5s.ALL, vals(4, "f4"))

        f["soft"] = h5py.SoftLink("/a")


def chunked():
    with h5py.File(OUT / "chunked.h5", "w") as f:
        f.create_dataset("gzip_shuffle", data=vals(70, "f4").reshape(10, 7), chunks=(4, 3),
                         compression="gzip", compression_opts=4, shuffle=True)
        f.create_dataset("gzip", data=vals(20, "f8"), chunks=(6,), compression="gzip")
        f.create_dataset("plain_3d", data=vals(60, "i2").reshape(3, 4, 5), chunks=(2, 2, 2))
        f.create_dataset("be_shuffle", data=vals(9, ">i4"), chunks=(4,), shuffle=True,
                         compression="gzip")
        f.create_dataset("fletcher", data=vals(8, "f4"), chunks=(3,), fletcher32=True,
                         compression="gzip")
        # 150 chunks: more than one B-tree node (2K = 64 entries) holds.
        f.create_dataset("many_chunks", data=vals(300, "f4"), chunks=(2,))
        sparse = f.create_dataset("sparse", shape=(10,), dtype="f4", chunks=(2,), fillvalue=-1)
        sparse[0:2] = [1, 2]
        sparse[6:8] = [3, 4]
        f.create_dataset("resizable", data=vals(5, "f4"), chunks=(2,), maxshape=(None,))
        # Compressible data: an optional filter that does not shrink a chunk is skipped
        # (its mask bit set), and that chunk would read fine.
        f.create_dataset("lzf", data=np.zeros(64, "f4"), chunks=(32,), compression="lzf")


def many():
    with h5py.File(OUT / "many.h5", "w") as f:
        target = f.create_dataset("target", data=vals(3, "f4"))
        wide = f.create_group("wide")
        # Hard links are cheap members; 300 of them, inserted in random order, split
        # the symbol-table nodes and the group B-tree into several levels.
        for i in RNG.permutation(300):
            wide[f"m{i:03d}"] = target
        attrs = f.create_group("attrs")
        for i in range(40):
            attrs.attrs[f"attr_{i:02d}"] = f"value {i} " + "x" * 60


def latest():
    with h5py.File(OUT / "latest.h5", "w", libver="latest") as f:
        f.attrs["note"] = "superblock v3, OHDR, link messages"
        f.attrs["counts"] = np.array([3, 4], np.int16)
        g = f.create_group("group")
        g.create_group("inner").attrs["x"] = 1.5
        g["contiguous"] = vals(6, "f4").reshape(3, 2)
        g.create_dataset("single_chunk", data=vals(12, "f4").reshape(3, 4), chunks=(3, 4),
                         compression="gzip", shuffle=True)
        g.create_dataset("fixed_array", data=vals(12, "f4"), chunks=(4,))
        o = f.create_group("ordered", track_order=True)
        o.attrs["second"] = 2
        o.attrs["first"] = 1
        o["b"] = vals(2, "f8")
        o["a"] = vals(2, "i4")
        dense = f.create_group("dense")
        for i in range(12):
            dense.create_group(f"g{i}")
        dense_attrs = f.create_group("dense_attrs")
        for i in range(12):
            dense_attrs.attrs[f"a{i}"] = i
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        dcpl.set_obj_track_times(False)  # no timestamps: reruns are byte-identical
        ds = h5py.h5d.create(f.id, b"compact", h5py.h5t.IEEE_F64BE, h5py.h5s.create_simple((3,)), dcpl=dcpl)
        ds.write(h5py.h5s.ALL, h5py.h5s.ALL, vals(3, "f8"))


def conv_net(keras, name):
    """The small conv net both Keras fixtures hold; weights from a fixed generator."""
    model = keras.Sequential(
        [
            keras.Input((6, 6, 2)),
            keras.layers.Conv2D(3, 3, name="conv2d"),
            keras.layers.BatchNormalization(name="batch_normalization"),
            keras.layers.MaxPooling2D(2, name="max_pooling2d"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(2, name="dense"),
        ],
        name=name,
    )
    rng = np.random.default_rng(7)
    # Positive moving variances, so the net computes finite numbers.
    model.set_weights([
        (rng.uniform(0.5, 2.0, w.shape) if "variance" in w.path else rng.standard_normal(w.shape)).astype(np.float32)
        for w in model.weights
    ])
    return model


def keras3_weights():
    import keras

    conv_net(keras, "sequential").save_weights(OUT / "keras3.weights.h5")


def tf_legacy():
    """Runs in the TensorFlow venv: tf.keras (Keras 3.15.1 inside TF 2.21) writing the
    legacy full-model .h5 format (model_config VL string, layer_names /
    weight_names fixed-length byte arrays)."""
    import tensorflow as tf

    conv_net(tf.keras, "legacy_net").save(OUT / "tf_legacy.h5")


# ---------------------------------------------------------------- expected.json


def num(x):
    return repr(x.item() if hasattr(x, "item") else x)


def dtype_json(dt):
    if dt.kind == "f":
        return {"class": "float", "size": dt.itemsize, "big_endian": dt.byteorder == ">"}
    if dt.kind in "iu":
        be = dt.byteorder == ">" and dt.itemsize > 1
        return {"class": "int", "size": dt.itemsize, "signed": dt.kind == "i", "big_endian": be}
    if dt.kind == "S":
        return {"class": "fixed_string", "size": dt.itemsize}
    if dt.kind == "V":
        return {"class": "opaque", "size": dt.itemsize}  # the tag is added by dump()
    return {"class": "other"}


def attr_json(v):
    """AttrValue as the Rust reader should return it, or an error marker."""
    if isinstance(v, h5py.Empty):
        kind = np.dtype(v.dtype).kind
        return {"Strings": []} if kind in "SOU" else {"Ints": []} if kind in "iu" else {"Floats": []}
    if isinstance(v, (str, bytes)):
        return {"String": v.decode() if isinstance(v, bytes) else v}
    a = np.asarray(v)
    if a.dtype.kind == "b":
        return {"error": "not a string, integer or float"}
    if a.dtype.kind in "SOU":
        items = [x.decode() if isinstance(x, bytes) else str(x) for x in a.reshape(-1)]
        return {"String": items[0]} if a.ndim == 0 else {"Strings": items}
    if a.dtype.kind in "iu":
        return {"Ints": [num(x) for x in a.reshape(-1)]}
    return {"Floats": [num(float(x)) for x in a.reshape(-1)]}


def dump(path):
    objects = []
    errors = []
    seen = {}  # object address -> first path (hard links share one object)

    def attrs(obj):
        return {k: attr_json(obj.attrs[k]) for k in obj.attrs.keys()}

    def visit(full, obj):
        if isinstance(obj, h5py.Group):
            members = sorted(obj.keys(), key=lambda s: s.encode())
            objects.append({"path": full, "kind": "group", "members": members, "attrs": attrs(obj)})
            for m in members:
                child = (full.rstrip("/") + "/" + m)
                if isinstance(obj.get(m, getlink=True), (h5py.SoftLink, h5py.ExternalLink)):
                    errors.append({"path": child, "op": "group", "contains": "soft link"})
                else:
                    visit(child, obj[m])
            return
        entry = {"path": full, "kind": "dataset", "dtype": dtype_json(obj.dtype), "attrs": attrs(obj)}
        addr = h5py.h5o.get_info(obj.id).addr
        if addr in seen:
            objects.append({"path": full, "kind": "dataset", "same_as": seen[addr]})
            return
        seen[addr] = full
        entry["shape"] = list(obj.shape) if obj.shape is not None else None
        data = np.asarray(obj[()]) if obj.shape is not None else np.zeros(0, obj.dtype)
        flat = data.reshape(-1)
        if obj.attrs.get("dtype") == "bfloat16":
            import ml_dtypes

            entry["dtype"]["tag"] = obj.id.get_type().get_tag().decode()
            flat = flat.view(ml_dtypes.bfloat16)
            entry["f32"] = [num(x) for x in flat.astype(np.float32)]
        elif obj.dtype.kind in "fiu":
            entry["f32"] = [num(x) for x in flat.astype(np.float32)]
            if obj.dtype.kind == "f":
                entry["f64"] = [num(x) for x in flat.astype(np.float64)]
            else:
                entry["i64"] = [num(x) for x in flat.astype(np.int64)]
        else:
            entry["read_error"] = "cannot be read as numbers"
        objects.append(entry)

    with h5py.File(path, "r") as f:
        visit("/", f)
    return {"objects": objects, "errors": errors}


UNSUPPORTED = {
    "chunked.h5": [{"path": "/lzf", "op": "read", "contains": "filter 32000 (lzf)"}],
    "latest.h5": [
        {"path": "/group/fixed_array", "op": "dataset", "contains": "fixed array"},
        {"path": "/dense", "op": "members", "contains": "dense storage"},
        {"path": "/dense_attrs", "op": "attrs", "contains": "dense storage"},
    ],
}


def expected(names):
    out = {}
    for name in names:
        d = dump(OUT / name)
        skip = {e["path"] for e in UNSUPPORTED.get(name, [])}
        # Objects this reader refuses are checked as errors instead of values.
        d["objects"] = [o for o in d["objects"] if o["path"] not in skip
                        and not any(o["path"].startswith(p + "/") for p in skip)]
        d["errors"] += UNSUPPORTED.get(name, [])
        out[name] = d
    return out


def main():
    if sys.argv[1:] == ["--tf-legacy"]:
        tf_legacy()
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.h5"):
        if not old.name.startswith("writer_"):
            old.unlink()
    basic()
    chunked()
    many()
    latest()
    keras3_weights()
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "JAX_PLATFORMS")}
    subprocess.run([TF_PYTHON, __file__, "--tf-legacy"], check=True, env=env)
    names = ["basic.h5", "chunked.h5", "many.h5", "latest.h5", "keras3.weights.h5", "tf_legacy.h5"]
    exp = expected(names)
    exp["_versions"] = {"h5py": h5py.__version__, "hdf5": h5py.version.hdf5_version}
    # One object per line: readable diffs without the bulk of full indentation.
    lines = ["{"]
    for i, (name, d) in enumerate(exp.items()):
        comma = "," if i + 1 < len(exp) else ""
        if name.startswith("_"):
            lines.append(f" {json.dumps(name)}: {json.dumps(d)}{comma}")
            continue
        lines.append(f' {json.dumps(name)}: {{"objects": [')
        objs = [json.dumps(o, ensure_ascii=False) for o in d["objects"]]
        lines.append(",\n".join("  " + o for o in objs))
        lines.append(f' ], "errors": {json.dumps(d["errors"])}}}{comma}')
    lines.append("}")
    (OUT / "expected.json").write_text("\n".join(lines) + "\n")
    for n in names:
        print(f"{n}: {(OUT / n).stat().st_size} bytes")


if __name__ == "__main__":
    main()
