//! IDX files, the format of MNIST and Fashion-MNIST: a magic number `00 00 TT NN`
//! (element type `TT`, `NN` dimensions), `NN` big-endian u32 sizes, then the elements
//! row-major. Files may be gzipped (detected by the gzip magic `1f 8b`).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;
use fovea_core::Tensor;

use super::data_error;
use crate::Result;

/// IDX element type code of unsigned bytes, the only one MNIST-style files use.
const UBYTE: u8 = 0x08;

/// The contents of an IDX file of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// The declared sizes, outermost first.
    pub dims: Vec<usize>,
    /// The elements in row-major order; `data.len()` is the product of `dims`.
    pub data: Vec<u8>,
}

fn err(path: &Path, msg: impl Into<String>) -> crate::Error {
    data_error(path.display().to_string(), msg)
}

/// Reads an IDX file of unsigned bytes, gzipped or not.
///
/// Validates the magic number, the element type and that the file holds exactly the
/// bytes its header declares. Memory grows only with data actually read, so a header
/// declaring an absurd size is an error, never a huge allocation.
pub fn read_idx(path: impl AsRef<Path>) -> Result<IdxArray> {
    let path = path.as_ref();
    let mut file = File::open(path).map_err(|e| err(path, format!("cannot open: {e}")))?;
    let mut probe = [0u8; 2];
    let got = read_up_to(&mut file, &mut probe).map_err(|e| err(path, format!("cannot read: {e}")))?;
    let file_len = file.metadata().map(|m| m.len()).ok();
    let head = std::io::Cursor::new(probe[..got].to_vec());
    let gzipped = probe[..got] == [0x1f, 0x8b];
    let reader: Box<dyn Read> = if gzipped {
        Box::new(GzDecoder::new(BufReader::new(head.chain(file))))
    } else {
        Box::new(BufReader::new(head.chain(file)))
    };
    decode(reader, path, if gzipped { None } else { file_len })
}

/// Fills `buf` as far as the reader allows; returns how many bytes were read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Parses an IDX stream; `plain_len` is the file length when it is not compressed.
fn decode(mut r: impl Read, path: &Path, plain_len: Option<u64>) -> Result<IdxArray> {
    let io = |e: std::io::Error| err(path, format!("cannot read IDX data: {e}"));
    let mut magic = [0u8; 4];
    if read_up_to(&mut r, &mut magic).map_err(io)? < 4 {
        return Err(err(path, "file too short for an IDX header (4-byte magic)"));
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(err(path, format!("bad IDX magic number {magic:02x?}: the first two bytes must be zero")));
    }
    if magic[2] != UBYTE {
        return Err(err(
            path,
            format!("IDX element type 0x{:02x} is not supported (only 0x08, unsigned byte)", magic[2]),
        ));
    }
    let ndim = magic[3] as usize;
    if ndim == 0 {
        return Err(err(path, "IDX header declares 0 dimensions"));
    }
    let mut raw = vec![0u8; 4 * ndim];
    if read_up_to(&mut r, &mut raw).map_err(io)? < raw.len() {
        return Err(err(path, format!("file too short for the {ndim} dimension sizes of its IDX header")));
    }
    let dims: Vec<usize> = raw.chunks(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize).collect();
    let declared = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .filter(|&n| usize::try_from(n).is_ok())
        .ok_or_else(|| err(path, format!("IDX dimensions {dims:?} overflow the element count")))?;
    let header = 4 + 4 * ndim as u64;
    if let Some(len) = plain_len {
        if len != header + declared {
            return Err(err(
                path,
                format!(
                    "IDX header declares dimensions {dims:?} ({declared} bytes of data) but the file holds {} bytes after the {header}-byte header",
                    len.saturating_sub(header)
                ),
            ));
        }
    }
    // One byte beyond the declared size detects trailing data; the vector grows only
    // as bytes arrive.
    let mut data = Vec::new();
    r.take(declared + 1).read_to_end(&mut data).map_err(io)?;
    if data.len() as u64 != declared {
        let actual = if data.len() as u64 > declared { "more".to_string() } else { data.len().to_string() };
        return Err(err(
            path,
            format!(
                "IDX header declares dimensions {dims:?} ({declared} bytes of data) but the data holds {actual} bytes"
            ),
        ));
    }
    Ok(IdxArray { dims, data })
}

/// Reads an IDX image file (`N x H x W` unsigned bytes) as f32 in `[0, 1]`
/// (`value / 255`).
///
/// # Shapes
/// Returns `(N, H, W, 1)`.
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let a = read_idx(path)?;
    if a.dims.len() != 3 {
        return Err(err(path, format!("expected 3 IDX dimensions (N, H, W) for images, got {:?}", a.dims)));
    }
    let data: Vec<f32> = a.data.iter().map(|&v| v as f32 / 255.0).collect();
    Ok(Tensor::from_vec(data, [a.dims[0], a.dims[1], a.dims[2], 1])?)
}

/// Reads an IDX label file (`N` unsigned bytes) as int64 class ids.
///
/// # Shapes
/// Returns `(N,)`.
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let a = read_idx(path)?;
    if a.dims.len() != 1 {
        return Err(err(path, format!("expected 1 IDX dimension (N) for labels, got {:?}", a.dims)));
    }
    let data: Vec<i64> = a.data.iter().map(|&v| v as i64).collect();
    Ok(Tensor::from_vec_i64(data, [a.dims[0]])?)
}
