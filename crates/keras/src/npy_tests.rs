use super::*;

/// A `.npy` file with this header text (format `major`.0) and data bytes.
fn file(major: u8, header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[major, 0]);
    if major == 1 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn float32_round_trips_through_a_file() {
    let dir = std::env::temp_dir().join(format!("fovea-npy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.npy");
    let data = vec![1.5, -2.0, f32::INFINITY, 0.0, 1e-30, 7.0];
    write_npy_f32(&path, &[2, 3], &data).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // NumPy aligns the data to 64 bytes.
    assert_eq!((bytes.len() - 24) % 64, 0);
    let a = read_npy(&path).unwrap();
    assert_eq!(a.shape, vec![2, 3]);
    assert_eq!(a.data, data);
    assert_eq!(a.descr, "<f4");
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_dimensional_and_scalar_shapes_round_trip() {
    for shape in [vec![4usize], vec![], vec![0, 3]] {
        let n: usize = shape.iter().product();
        let data: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let a = parse_npy(&npy_bytes_f32(&shape, &data).unwrap()).unwrap();
        assert_eq!((a.shape, a.data), (shape, data));
    }
}

#[test]
fn big_endian_and_integer_types_convert() {
    let be: Vec<u8> = [1.0f64, -0.5].iter().flat_map(|v| v.to_be_bytes()).collect();
    let a = parse_npy(&file(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }\n", &be)).unwrap();
    assert_eq!(a.data, vec![1.0, -0.5]);
    let i: Vec<u8> = [-3i16, 300].iter().flat_map(|v| v.to_be_bytes()).collect();
    let a = parse_npy(&file(2, "{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }\n", &i)).unwrap();
    assert_eq!(a.data, vec![-3.0, 300.0]);
    let a = parse_npy(&file(3, "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2), }\n", &[255, 7])).unwrap();
    assert_eq!((a.shape, a.data), (vec![1, 2], vec![255.0, 7.0]));
    let i: Vec<u8> = [-(1i64 << 40)].iter().flat_map(|v| v.to_le_bytes()).collect();
    let a = parse_npy(&file(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }\n", &i)).unwrap();
    assert_eq!(a.data, vec![-(2f32.powi(40))]);
    let h: Vec<u8> = [0x3c00u16, 0xc000, 0x7c00].iter().flat_map(|v| v.to_le_bytes()).collect();
    let a = parse_npy(&file(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }\n", &h)).unwrap();
    assert_eq!(a.data, vec![1.0, -2.0, f32::INFINITY]);
}

#[test]
fn fortran_order_is_refused_with_advice() {
    let e = parse_npy(&file(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n", &[0; 4])).unwrap_err();
    assert!(e.contains("fortran_order") && e.contains("ascontiguousarray"), "{e}");
}

#[test]
fn bad_files_are_errors_not_panics() {
    let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"PK\x03\x04 not numpy".to_vec(), "magic"),
        (Vec::new(), "magic"),
        (file(1, h, &[0; 20]), "needs 24 data bytes"),
        (file(1, h, &[0; 28]), "needs 24 data bytes"),
        (file(9, h, &[]), "version 9"),
        (file(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", &[0; 8]), "unsupported dtype"),
        (
            file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 9999999999), }", &[]),
            "overflows",
        ),
        (file(1, "{'descr': '<f4', 'shape': (1,), }", &[0; 4]), "fortran_order"),
        (file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }", &[0; 4]), "bad dimension"),
    ];
    for (bytes, want) in cases {
        let e = parse_npy(&bytes).unwrap_err();
        assert!(e.contains(want), "{e} (wanted '{want}')");
    }
    // A header length past the end of the file.
    let mut b = file(1, h, &[]);
    b[8] = 0xff;
    b[9] = 0xff;
    assert!(parse_npy(&b).unwrap_err().contains("truncated"));
    let e = read_npy(Path::new("/nonexistent/x.npy")).unwrap_err().to_string();
    assert!(e.contains("/nonexistent/x.npy"), "{e}");
}

#[test]
fn writing_a_wrong_sized_array_is_an_error() {
    let e = write_npy_f32(Path::new("/tmp/never.npy"), &[2, 2], &[1.0]).unwrap_err().to_string();
    assert!(e.contains("/tmp/never.npy") && e.contains("4 elements"), "{e}");
}
