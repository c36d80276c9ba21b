//! AlexNet's width scaling and the paper's initialisation.

use fovea_core::Rng;
use fovea_zoo::{alexnet, AlexNetConfig};

#[test]
fn quarter_width_at_112_pixels_keeps_the_layer_pattern() {
    let config = AlexNetConfig { num_classes: 25, input_size: 112, groups: 2, width: 0.25, paper_init: true };
    let m = alexnet(&config, &mut Rng::new(0)).unwrap();
    let specs: Vec<String> = m.output_specs().iter().map(|s| s.to_string()).collect();
    assert_eq!(specs, ["(None, 25)"]);
    // conv1 24 filters (96 / 4), conv2 64, conv3/conv4 96, conv5 64, FC 1024.
    let kernels: Vec<Vec<usize>> =
        m.layers().filter_map(|l| l.weights().first().map(|w| w.dims().to_vec())).filter(|d| d.len() > 1).collect();
    assert_eq!(kernels[0], [11, 11, 3, 24]);
    assert_eq!(kernels[1], [5, 5, 12, 64]);
    assert_eq!(kernels[4], [3, 3, 48, 64]);
    assert_eq!(kernels[5][1], 1024);
    // The paper: biases 1 in conv2, conv4, conv5 and the hidden FC layers, 0 elsewhere;
    // weights with standard deviation 0.01.
    let biases: Vec<f32> = m
        .layers()
        .filter_map(|l| l.weights().get(1).filter(|b| b.name() == "bias").map(|b| b.value().to_vec_f32().unwrap()[0]))
        .collect();
    assert_eq!(biases, [0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0]);
    let w = m.layers().find(|l| l.name() == "conv2d_2").unwrap().weights()[0].value().to_vec_f32().unwrap();
    let sd = (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
    assert!((sd - 0.01).abs() < 0.001, "{sd}");
}

#[test]
fn a_bad_width_is_refused() {
    let err = alexnet(&AlexNetConfig { width: 0.0, ..Default::default() }, &mut Rng::new(0)).err().unwrap().to_string();
    assert!(err.contains("width must be in (0, 4], got 0"), "{err}");
}
