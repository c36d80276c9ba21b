//! NumPy `.npy` arrays: read (float16/32/64, signed and unsigned integers, bool; either
//! byte order; format versions 1, 2 and 3; C order) into `f32`, and write `f32` arrays
//! atomically (a temporary file renamed into place).
//!
//! The header is a Python dict literal such as
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`; the data follow,
//! `prod(shape) * itemsize` bytes. Sizes are checked against the file before anything
//! is allocated.

use std::io::Write;
use std::path::Path;

use fovea_core::Tensor;

use crate::{Error, Result};

const MAGIC: &[u8] = b"\x93NUMPY";

/// An array read from a `.npy` file, converted to `f32`.
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    /// The dimensions (empty for a scalar).
    pub shape: Vec<usize>,
    /// The elements in C (row-major) order.
    pub data: Vec<f32>,
    /// The file's dtype as NumPy writes it (`<f4`, `>i8`, `|u1`).
    pub descr: String,
}

impl NpyArray {
    /// The array as a tensor.
    pub fn to_tensor(&self) -> Result<Tensor> {
        Ok(Tensor::from_vec(self.data.clone(), self.shape.as_slice())?)
    }
}

/// Element types a file may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Float,
    Int,
    Uint,
    Bool,
}

/// Reads a `.npy` file.
pub fn read_npy(path: impl AsRef<Path>) -> Result<NpyArray> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_npy(&bytes).map_err(|msg| Error::Npy { path: path.display().to_string(), msg })
}

/// Parses the bytes of a `.npy` file; the error is a message without the path.
pub fn parse_npy(bytes: &[u8]) -> std::result::Result<NpyArray, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not a .npy file (the magic string \\x93NUMPY is missing)".into());
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (header_len, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 => {
            let b = bytes.get(8..12).ok_or("truncated header")?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        }
        _ => return Err(format!("unsupported .npy format version {major}.{minor} (expected 1.0, 2.0 or 3.0)")),
    };
    let end = start
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| format!("truncated: the header claims {header_len} bytes but the file has {}", bytes.len()))?;
    // Version 3 headers are UTF-8, earlier ones latin-1; the keys we read are ASCII.
    let header = String::from_utf8_lossy(&bytes[start..end]);
    let descr = dict_value(&header, "descr").ok_or_else(|| format!("header has no 'descr': {header}"))?;
    let descr = unquote(descr).ok_or_else(|| format!("'descr' is not a string: {descr}"))?;
    let fortran =
        dict_value(&header, "fortran_order").ok_or_else(|| format!("header has no 'fortran_order': {header}"))?;
    match fortran.trim() {
        "False" => {}
        "True" => {
            return Err("fortran_order=True arrays are not supported; save it in C order (np.ascontiguousarray)".into())
        }
        other => return Err(format!("'fortran_order' is not a bool: {other}")),
    }
    let shape = parse_shape(dict_value(&header, "shape").ok_or_else(|| format!("header has no 'shape': {header}"))?)?;
    let (little, kind, size) = parse_descr(&descr)?;
    let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or("shape overflows")?;
    let nbytes = numel.checked_mul(size).ok_or("shape overflows")?;
    let body = &bytes[end..];
    if body.len() != nbytes {
        return Err(format!(
            "shape {shape:?} of {descr} needs {nbytes} data bytes, but the file has {} after the header",
            body.len()
        ));
    }
    let data = body.chunks_exact(size).map(|c| convert(c, little, kind)).collect();
    Ok(NpyArray { shape, data, descr })
}

/// The raw text of `key`'s value in a Python dict literal (up to the next top-level comma).
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let pat_single = format!("'{key}'");
    let pat_double = format!("\"{key}\"");
    let at = header
        .find(&pat_single)
        .map(|i| i + pat_single.len())
        .or_else(|| header.find(&pat_double).map(|i| i + pat_double.len()))?;
    let rest = header[at..].trim_start().strip_prefix(':')?;
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' | '}' if depth == 0 => return Some(rest[..i].trim()),
            _ => {}
        }
    }
    None
}

fn unquote(s: &str) -> Option<String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|t| t.strip_suffix('"')))?;
    Some(inner.to_string())
}

fn parse_shape(s: &str) -> std::result::Result<Vec<usize>, String> {
    let inner = s
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| format!("'shape' is not a tuple: {s}"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.trim_end_matches('L').parse::<usize>().map_err(|_| format!("bad dimension '{p}' in shape {s}")))
        .collect()
}

/// `(little_endian, kind, itemsize)` of a NumPy type string.
fn parse_descr(descr: &str) -> std::result::Result<(bool, Kind, usize), String> {
    let mut chars = descr.chars();
    let order = chars.next().ok_or("empty dtype")?;
    let little = match order {
        '<' | '|' => true,
        '>' => false,
        '=' => cfg!(target_endian = "little"),
        _ => return Err(format!("unsupported dtype '{descr}' (expected e.g. '<f4')")),
    };
    let rest: String = chars.collect();
    let kind = match rest.chars().next() {
        Some('f') => Kind::Float,
        Some('i') => Kind::Int,
        Some('u') => Kind::Uint,
        Some('b') => Kind::Bool,
        _ => return Err(format!("unsupported dtype '{descr}' (float, integer or bool arrays only)")),
    };
    let size: usize = rest[1..].parse().map_err(|_| format!("unsupported dtype '{descr}'"))?;
    let ok = match kind {
        Kind::Float => matches!(size, 2 | 4 | 8),
        Kind::Int | Kind::Uint => matches!(size, 1 | 2 | 4 | 8),
        Kind::Bool => size == 1,
    };
    if !ok {
        return Err(format!("unsupported dtype '{descr}'"));
    }
    Ok((little, kind, size))
}

fn convert(c: &[u8], little: bool, kind: Kind) -> f32 {
    let mut b = [0u8; 8];
    b[..c.len()].copy_from_slice(c);
    if !little {
        b[..c.len()].reverse();
    }
    let u = u64::from_le_bytes(b);
    match (kind, c.len()) {
        (Kind::Float, 2) => f16_to_f32(u as u16),
        (Kind::Float, 4) => f32::from_bits(u as u32),
        (Kind::Float, 8) => f64::from_bits(u) as f32,
        (Kind::Int, 1) => u as u8 as i8 as f32,
        (Kind::Int, 2) => u as u16 as i16 as f32,
        (Kind::Int, 4) => u as u32 as i32 as f32,
        (Kind::Int, _) => u as i64 as f32,
        (Kind::Uint | Kind::Bool, _) => u as f32,
        (Kind::Float, _) => f32::NAN,
    }
}

/// IEEE half to single, exactly (subnormals, infinities and NaN included).
fn f16_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0f32 } else { 1.0 };
    let exp = (h >> 10) & 0x1f;
    let frac = (h & 0x3ff) as f32;
    match exp {
        0 => sign * frac * (2.0f32).powi(-24),
        31 if frac == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        e => sign * (1.0 + frac / 1024.0) * (2.0f32).powi(e as i32 - 15),
    }
}

/// The bytes of a little-endian float32 `.npy` file (format 1.0, header padded to 64
/// bytes as NumPy does; 2.0 if the header would not fit 1.0's 16-bit length).
pub fn npy_bytes_f32(shape: &[usize], data: &[f32]) -> Result<Vec<u8>> {
    let numel: usize = shape.iter().product();
    if numel != data.len() {
        return Err(Error::Npy {
            path: "<memory>".into(),
            msg: format!("shape {shape:?} holds {numel} elements, got {}", data.len()),
        });
    }
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Room for the padding too: the padded header length must fit 16 bits.
    let v1 = header.len() + 64 < u16::MAX as usize;
    let prefix = if v1 { 10 } else { 12 };
    let pad = (64 - (prefix + header.len() + 1) % 64) % 64;
    header.push_str(&" ".repeat(pad));
    header.push('\n');
    let mut out = Vec::with_capacity(prefix + header.len() + 4 * data.len());
    out.extend_from_slice(MAGIC);
    if v1 {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

/// Writes a float32 `.npy` file atomically: to a temporary file beside `path`, then
/// renamed over it, so a crash never leaves a half-written array.
pub fn write_npy_f32(path: &Path, shape: &[usize], data: &[f32]) -> Result<()> {
    let bytes = npy_bytes_f32(shape, data).map_err(|e| match e {
        Error::Npy { msg, .. } => Error::Npy { path: path.display().to_string(), msg },
        other => other,
    })?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "out.npy".into());
    let tmp = path.with_file_name(format!(".{file_name}.tmp{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Writes a tensor as a float32 `.npy` file (atomically).
pub fn write_npy_tensor(path: impl AsRef<Path>, t: &Tensor) -> Result<()> {
    write_npy_f32(path.as_ref(), t.dims(), &t.to_vec_f32()?)
}

#[cfg(test)]
#[path = "npy_tests.rs"]
mod tests;
