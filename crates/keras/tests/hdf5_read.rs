//! The HDF5 reader against files h5py and Keras wrote (tools/golden/hdf5_fixtures.py):
//! every object in every fixture must read back exactly as h5py reads it
//! (`expected.json`), and the features the reader refuses must fail with a clear error.

mod hdf5_common;

use fovea_keras::hdf5::{AttrValue, H5File, H5Type};
use hdf5_common::{fixture, fixture_dir};
use serde_json::Value;

/// The fixtures and how many objects each must contain, so a shrunken fixture fails.
const FIXTURES: [(&str, usize); 6] = [
    ("basic.h5", 33),
    ("chunked.h5", 9),
    ("many.h5", 304),
    ("latest.h5", 9),
    ("keras3.weights.h5", 21),
    ("tf_legacy.h5", 22),
];

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

fn parse<T: std::str::FromStr>(v: &Value) -> Vec<T>
where
    T::Err: std::fmt::Debug,
{
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().parse().unwrap()).collect()
}

fn attr_value(v: &Value) -> AttrValue {
    let (kind, inner) = v.as_object().unwrap().iter().next().unwrap();
    match kind.as_str() {
        "String" => AttrValue::String(inner.as_str().unwrap().to_string()),
        "Strings" => AttrValue::Strings(strings(inner)),
        "Ints" => AttrValue::Ints(parse(inner)),
        "Floats" => AttrValue::Floats(parse(inner)),
        other => panic!("unknown attribute kind {other}"),
    }
}

fn dtype(v: &Value) -> H5Type {
    let size = v["size"].as_u64().unwrap() as usize;
    let big_endian = v["big_endian"].as_bool().unwrap_or(false);
    match v["class"].as_str().unwrap() {
        "float" => H5Type::Float { size, big_endian },
        "int" => H5Type::Int { size, signed: v["signed"].as_bool().unwrap(), big_endian },
        "opaque" => H5Type::Opaque { size, tag: v["tag"].as_str().unwrap().to_string() },
        other => panic!("no dtype check for class {other}"),
    }
}

fn bits32(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn bits64(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Checks the attributes of a group or dataset against the expected map.
fn check_attrs(
    path: &str,
    want: &Value,
    names: Vec<String>,
    get: impl Fn(&str) -> Result<Option<AttrValue>, fovea_keras::hdf5::H5Error>,
) {
    let want = want.as_object().unwrap();
    let mut got_names = names;
    got_names.sort();
    let mut want_names: Vec<String> = want.keys().cloned().collect();
    want_names.sort();
    assert_eq!(got_names, want_names, "attribute names of {path}");
    for (name, value) in want {
        if let Some(err) = value.get("error") {
            let e = get(name).expect_err(&format!("{path} attr {name} should fail")).to_string();
            assert!(e.contains(err.as_str().unwrap()) && e.contains(path), "{path} attr {name}: {e}");
            continue;
        }
        let got = get(name).unwrap_or_else(|e| panic!("{path} attr {name}: {e}"));
        assert_eq!(got, Some(attr_value(value)), "{path} attr {name}");
    }
}

fn check_fixture(name: &str, min_objects: usize) {
    let all = expected();
    let exp = &all[name];
    let file = H5File::from_bytes(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let objects = exp["objects"].as_array().unwrap();
    assert_eq!(objects.len(), min_objects, "{name}: object count in expected.json");
    for obj in objects {
        let path = obj["path"].as_str().unwrap();
        if obj["kind"] == "group" {
            let g = file.group(path).unwrap().unwrap_or_else(|| panic!("{name}: no group {path}"));
            assert_eq!(g.name(), path);
            assert_eq!(g.member_names().unwrap(), strings(&obj["members"]), "{name}: members of {path}");
            check_attrs(path, &obj["attrs"], g.attr_names().unwrap(), |a| g.attr(a));
            continue;
        }
        let ds = file.dataset(path).unwrap().unwrap_or_else(|| panic!("{name}: no dataset {path}"));
        assert_eq!(ds.name, path);
        if let Some(first) = obj.get("same_as") {
            let first = file.dataset(first.as_str().unwrap()).unwrap().unwrap();
            assert_eq!(bits32(&ds.read_f32().unwrap()), bits32(&first.read_f32().unwrap()), "{path}");
            continue;
        }
        check_attrs(path, &obj["attrs"], ds.attr_names().unwrap(), |a| ds.attr(a));
        match obj["shape"].as_array() {
            Some(shape) => {
                let shape: Vec<usize> = shape.iter().map(|d| d.as_u64().unwrap() as usize).collect();
                assert_eq!(ds.shape, shape, "{name}: shape of {path}");
                assert_eq!(ds.len(), shape.iter().product::<usize>());
            }
            None => assert!(ds.shape.is_empty() && ds.is_empty(), "{path} is a null dataspace"),
        }
        if let Some(err) = obj.get("read_error") {
            let e = ds.read_f32().expect_err(path).to_string();
            assert!(e.contains(err.as_str().unwrap()) && e.contains(path), "{e}");
            continue;
        }
        assert_eq!(ds.dtype, dtype(&obj["dtype"]), "{name}: dtype of {path}");
        let f32s = ds.read_f32().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(bits32(&f32s), bits32(&parse::<f32>(&obj["f32"])), "{name}: f32 values of {path}");
        if let Some(want) = obj.get("f64") {
            assert_eq!(bits64(&ds.read_f64().unwrap()), bits64(&parse::<f64>(want)), "{path} f64");
        }
        if let Some(want) = obj.get("i64") {
            assert_eq!(ds.read_i64().unwrap(), parse::<i64>(want), "{name}: i64 values of {path}");
        } else {
            assert!(ds.read_i64().is_err(), "{path}: floats are not read as integers");
        }
    }
    for err in exp["errors"].as_array().unwrap() {
        let path = err["path"].as_str().unwrap();
        let want = err["contains"].as_str().unwrap();
        let got = match err["op"].as_str().unwrap() {
            "group" => file.group(path).map(|_| ()),
            "members" => file.group(path).unwrap().unwrap().member_names().map(|_| ()),
            "attrs" => file.group(path).unwrap().unwrap().attr_names().map(|_| ()),
            "dataset" => file.dataset(path).map(|_| ()),
            "read" => file.dataset(path).unwrap().unwrap().read_f32().map(|_| ()),
            op => panic!("unknown op {op}"),
        };
        let e = got.expect_err(&format!("{name}: {path} should fail")).to_string();
        assert!(e.contains(want) && e.contains(path), "{name}: {path}: {e}");
    }
}

#[test]
fn fixture_list_matches_expected_json() {
    let all = expected();
    let mut names: Vec<&str> =
        all.as_object().unwrap().keys().map(String::as_str).filter(|k| !k.starts_with('_')).collect();
    names.sort();
    let mut ours: Vec<&str> = FIXTURES.iter().map(|f| f.0).collect();
    ours.sort();
    assert_eq!(names, ours);
}

#[test]
fn basic_types_attributes_and_layouts_match_h5py() {
    check_fixture("basic.h5", FIXTURES[0].1);
}

#[test]
fn chunked_filtered_datasets_match_h5py() {
    check_fixture("chunked.h5", FIXTURES[1].1);
}

#[test]
fn multi_level_group_btree_and_header_continuations_match_h5py() {
    check_fixture("many.h5", FIXTURES[2].1);
}

#[test]
fn libver_latest_structures_match_h5py() {
    check_fixture("latest.h5", FIXTURES[3].1);
}

#[test]
fn keras3_weights_file_matches_h5py() {
    check_fixture("keras3.weights.h5", FIXTURES[4].1);
}

#[test]
fn tf_keras_legacy_model_file_matches_h5py() {
    check_fixture("tf_legacy.h5", FIXTURES[5].1);
}

#[test]
fn legacy_model_file_has_keras_attributes() {
    let file = H5File::from_bytes(fixture("tf_legacy.h5")).unwrap();
    let root = file.root().unwrap();
    let Some(AttrValue::String(config)) = root.attr("model_config").unwrap() else {
        panic!("model_config should be a scalar string");
    };
    assert!(config.contains("\"class_name\": \"Sequential\""), "{config}");
    let weights = file.group("model_weights").unwrap().unwrap();
    let Some(AttrValue::Strings(layers)) = weights.attr("layer_names").unwrap() else {
        panic!("layer_names should be a string array");
    };
    assert_eq!(layers, ["conv2d", "batch_normalization", "max_pooling2d", "flatten", "dense"]);
    let conv = weights.group("conv2d").unwrap().unwrap();
    assert!(matches!(conv.attr("weight_names").unwrap(), Some(AttrValue::Strings(w)) if w.len() == 2));
}

#[test]
fn missing_objects_are_none_and_wrong_kinds_are_errors() {
    let file = H5File::from_bytes(fixture("basic.h5")).unwrap();
    assert!(file.group("nope").unwrap().is_none());
    assert!(file.dataset("a/b/nope").unwrap().is_none());
    assert!(file.group("a").unwrap().unwrap().attr("nope").unwrap().is_none());
    let e = file.group("dtypes/f4").unwrap_err().to_string();
    assert!(e.contains("/dtypes/f4") && e.contains("not a group"), "{e}");
    let e = file.dataset("a/b").unwrap_err().to_string();
    assert!(e.contains("/a/b") && e.contains("is a group"), "{e}");
    let e = file.dataset("dtypes/f4/x").unwrap_err().to_string();
    assert!(e.contains("/dtypes/f4") && e.contains("no member 'x'"), "{e}");
    // Relative and absolute paths from a group.
    let a = file.group("/a").unwrap().unwrap();
    assert_eq!(a.group("b/c").unwrap().unwrap().name(), "/a/b/c");
    assert_eq!(a.dataset("/dtypes/f4").unwrap().unwrap().name, "/dtypes/f4");
}
