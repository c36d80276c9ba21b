//! Real Keras models (tools/golden/keras_configs.py, keras_legacy_h5.py) load with
//! their weights and predict what Keras predicted, within 1e-4 * max(1, max|expected|).

use std::path::{Path, PathBuf};

use fovea_core::Rng;
use fovea_keras::npy::read_npy;
use fovea_keras::{load_with_warnings, Loaded};
use fovea_nn::CallContext;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Loads `file`, runs it on the case's inputs and compares every output.
fn check(case: &str, file: &str) -> Loaded {
    let dir = fixtures();
    let loaded = load_with_warnings(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(loaded.warnings.is_empty(), "{file}: {:?}", loaded.warnings);
    let names = loaded.model.input_names();
    let inputs: Vec<_> = names
        .iter()
        .map(|n| {
            let p = if names.len() == 1 { format!("{case}.in.npy") } else { format!("{case}.in.{n}.npy") };
            read_npy(dir.join(p)).unwrap().to_tensor().unwrap()
        })
        .collect();
    let mut rng = Rng::new(0);
    let outs = loaded.model.call(&inputs, &mut CallContext::new(false, &mut rng)).unwrap();
    assert_eq!(outs.len(), loaded.output_names.len(), "{file}");
    for (y, name) in outs.iter().zip(&loaded.output_names) {
        let p = if outs.len() == 1 { format!("{case}.out.npy") } else { format!("{case}.out.{name}.npy") };
        let want = read_npy(dir.join(&p)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(y.dims(), want.shape.as_slice(), "{file} output {name}");
        let got = y.to_vec_f32().unwrap();
        let scale = want.data.iter().fold(1f32, |m, v| m.max(v.abs()));
        let worst = got.iter().zip(&want.data).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(worst <= 1e-4 * scale, "{file} output {name}: max error {worst} (scale {scale})");
    }
    loaded
}

#[test]
fn sequential_conv_net() {
    check("seq_convnet", "seq_convnet.keras");
}

#[test]
fn functional_with_merges_shared_layer_and_three_outputs() {
    let l = check("functional_merge", "functional_merge.keras");
    assert_eq!(l.output_names, ["score", "attention", "clipped"]);
    assert_eq!(l.model.input_names(), ["a", "b"]);
}

#[test]
fn nested_sequential_and_functional_models() {
    let l = check("nested", "nested.keras");
    assert!(l.model.summary().contains("inner_seq (Sequential)"));
}

#[test]
fn recurrent_layers_with_state_outputs_and_go_backwards() {
    check("rnns", "rnns.keras");
}

#[test]
fn batch_norm_without_center_or_scale() {
    check("bn_center_false", "bn_center_false.keras");
}

#[test]
fn embedding_ids_and_causal_conv1d() {
    check("conv1d_embedding", "conv1d_embedding.keras");
}

#[test]
fn channels_first_layers() {
    check("channels_first", "channels_first.keras");
}

#[test]
fn keras3_legacy_h5_files() {
    check("nested", "nested.h5");
    check("functional_merge", "functional_merge.h5");
}

#[test]
fn tf_keras_legacy_h5_files() {
    check("tfkeras_graph", "tfkeras_graph.h5");
    check("tfkeras_stack", "tfkeras_stack.h5");
}

#[test]
fn a_nested_functional_called_twice_and_a_layer_shared_at_two_depths() {
    let l = check("shared_nested", "shared_nested.keras");
    assert_eq!(l.output_names, ["sub_0", "sub_1"]);
}

#[test]
fn damaged_real_files_are_errors_not_panics() {
    for file in ["nested.keras", "tfkeras_stack.h5"] {
        let bytes = std::fs::read(fixtures().join(file)).unwrap();
        let load = |b: &[u8]| {
            if file.ends_with(".keras") {
                fovea_keras::load_keras_bytes(b, file).map(|_| ())
            } else {
                fovea_keras::load_h5_bytes(b.to_vec(), file).map(|_| ())
            }
        };
        for cut in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
            assert!(load(&bytes[..cut]).is_err(), "{file} cut at {cut}");
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut b = bytes.clone();
            let at = state as usize % b.len();
            b[at] ^= 1 << (state >> 61);
            let _ = load(&b);
        }
    }
}

/// Rewrites one member of a `.keras` archive.
fn with_config(file: &str, edit: impl Fn(&str) -> String) -> Vec<u8> {
    use std::io::{Read, Write};
    let bytes = std::fs::read(fixtures().join(file)).unwrap();
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut m = zin.by_index(i).unwrap();
        let name = m.name().unwrap().to_string();
        let mut data = Vec::new();
        m.read_to_end(&mut data).unwrap();
        if name == "config.json" {
            data = edit(std::str::from_utf8(&data).unwrap()).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn absurd_declared_layer_sizes_are_errors_before_allocating() {
    // 3x3x3 kernels of 10^7 filters: a gigabyte of weights from a 36 KB weights file.
    let big = with_config("seq_convnet.keras", |c| c.replacen("\"filters\": 4", "\"filters\": 10000000", 1));
    let msg = fovea_keras::load_keras_bytes(&big, "big.keras").err().expect("must fail").to_string();
    assert!(msg.contains("conv2d") && msg.contains("weight budget"), "{msg}");
    // Past any budget: 10^15 units overflow the per-variable cap.
    let huge = with_config("seq_convnet.keras", |c| c.replacen("\"units\": 5", "\"units\": 1000000000000000", 1));
    let msg = fovea_keras::load_keras_bytes(&huge, "huge.keras").err().expect("must fail").to_string();
    assert!(msg.contains("absurdly large") || msg.contains("weight budget"), "{msg}");
    // The unedited archive still loads.
    assert!(fovea_keras::load_keras_bytes(&with_config("seq_convnet.keras", str::to_string), "ok.keras").is_ok());
}
