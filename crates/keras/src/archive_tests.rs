use std::io::Write;

use zip::write::SimpleFileOptions;

use super::*;

fn zip_of(members: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, SimpleFileOptions::default().compression_method(method)).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn err_of(bytes: &[u8]) -> String {
    read_archive_bytes(bytes, "m.keras").unwrap_err().to_string()
}

#[test]
fn reads_stored_and_deflated_members() {
    for method in [CompressionMethod::Stored, CompressionMethod::Deflated] {
        let bytes = zip_of(
            &[("metadata.json", b"{}"), ("config.json", b"{\"a\": 1}"), ("model.weights.h5", &[0u8; 1000])],
            method,
        );
        let a = read_archive_bytes(&bytes, "m.keras").unwrap();
        assert_eq!(a.config, "{\"a\": 1}");
        assert_eq!(a.metadata.as_deref(), Some("{}"));
        assert_eq!(a.weights.unwrap().len(), 1000);
    }
}

#[test]
fn weights_are_optional_but_config_is_not() {
    let a = read_archive_bytes(&zip_of(&[("config.json", b"{}")], CompressionMethod::Stored), "m").unwrap();
    assert!(a.weights.is_none() && a.metadata.is_none());
    let e = err_of(&zip_of(&[("metadata.json", b"{}")], CompressionMethod::Stored));
    assert!(e.contains("m.keras") && e.contains("no config.json") && e.contains("metadata.json"), "{e}");
}

#[test]
fn a_file_that_is_not_a_zip_is_an_error() {
    let e = err_of(b"\x89HDF\r\n\x1a\n rest");
    assert!(e.contains("not a .keras archive"), "{e}");
    assert!(err_of(b"").contains("not a .keras archive"));
    assert!(err_of(b"PK\x03\x04garbage").contains("m.keras"));
}

#[test]
fn a_truncated_archive_is_an_error_at_every_cut() {
    let bytes = zip_of(&[("config.json", &[b'x'; 300]), ("model.weights.h5", &[7u8; 500])], CompressionMethod::Stored);
    for cut in (0..bytes.len()).step_by(37) {
        assert!(read_archive_bytes(&bytes[..cut], "m.keras").is_err(), "cut at {cut} was accepted");
    }
}

#[test]
fn non_utf8_config_is_an_error_naming_the_member() {
    let e = err_of(&zip_of(&[("config.json", b"{\"a\": \"\xff\"}")], CompressionMethod::Stored));
    assert!(e.contains("config.json") && e.contains("not UTF-8") && e.contains("offset 7"), "{e}");
}

#[test]
fn corrupt_data_fails_the_crc() {
    let mut bytes = zip_of(&[("config.json", b"{\"layers\": []}")], CompressionMethod::Stored);
    let at = bytes.windows(8).position(|w| w == b"{\"layers").unwrap();
    bytes[at + 3] ^= 0x20;
    let e = err_of(&bytes);
    assert!(e.contains("config.json"), "{e}");
}

/// Rewrites the declared uncompressed size of every member in the local and central
/// headers (offsets 22 and 24 after their signatures).
fn forge_size(bytes: &mut [u8], size: u32) {
    let mut i = 0;
    while i + 46 <= bytes.len() {
        match &bytes[i..i + 4] {
            b"PK\x03\x04" => bytes[i + 22..i + 26].copy_from_slice(&size.to_le_bytes()),
            b"PK\x01\x02" => bytes[i + 24..i + 28].copy_from_slice(&size.to_le_bytes()),
            _ => {}
        }
        i += 1;
    }
}

#[test]
fn absurd_declared_sizes_are_refused_before_allocating() {
    for method in [CompressionMethod::Stored, CompressionMethod::Deflated] {
        let mut bytes = zip_of(&[("config.json", b"{}")], method);
        forge_size(&mut bytes, 0xffff_fff0);
        let e = err_of(&bytes);
        assert!(e.contains("config.json") && e.contains("declares"), "{e}");
        let mut bytes = zip_of(&[("config.json", b"{}")], method);
        forge_size(&mut bytes, 3_000_000);
        let e = err_of(&bytes);
        assert!(e.contains("declares 3000000 bytes"), "{e}");
    }
}
