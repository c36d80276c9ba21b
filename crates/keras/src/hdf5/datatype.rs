//! Datatype messages and conversion of stored elements to Rust numbers and strings.

use half::{bf16, f16};

use super::bytes::{Cursor, Sizes};
use super::error::{H5Error, H5Result};

/// Element type of a dataset or attribute, as declared in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum H5Type {
    /// IEEE 754 binary float of `size` bytes: 2 (half), 4 (single) or 8 (double).
    Float {
        /// Bytes per element.
        size: usize,
        /// Stored most significant byte first.
        big_endian: bool,
    },
    /// Two's-complement or unsigned integer of 1, 2, 4 or 8 bytes.
    Int {
        /// Bytes per element.
        size: usize,
        /// Two's complement (else unsigned).
        signed: bool,
        /// Stored most significant byte first.
        big_endian: bool,
    },
    /// Fixed-length byte string (numpy `S<n>`), `size` bytes per element.
    FixedString {
        /// Bytes per element.
        size: usize,
        /// How unused bytes at the end are filled.
        padding: StrPad,
        /// Declared UTF-8 (else ASCII).
        utf8: bool,
    },
    /// Variable-length string whose bytes live in a global heap (h5py's `str`).
    VarString {
        /// Bytes per element in the dataset or attribute (length + heap id).
        size: usize,
        /// Declared UTF-8 (else ASCII).
        utf8: bool,
    },
    /// Opaque bytes with a tag; Keras stores bfloat16 weights this way (numpy `V2`).
    Opaque {
        /// Bytes per element.
        size: usize,
        /// The tag the writer gave.
        tag: String,
    },
    /// Anything else (compound, enum, array, reference, non-IEEE float ...): listed,
    /// but reading its values is an error.
    Other {
        /// HDF5 datatype class number (6 compound, 8 enum, 9 variable-length, ...).
        class: u8,
        /// Bytes per element.
        size: usize,
    },
}

/// Padding of a fixed-length string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrPad {
    /// C string: ends at the first NUL.
    NullTerminated,
    /// Filled with NULs after the text (numpy `S<n>`).
    NullPadded,
    /// Filled with spaces after the text (Fortran).
    SpacePadded,
}

impl H5Type {
    /// Bytes one element takes in the file.
    pub fn size(&self) -> usize {
        match self {
            H5Type::Float { size, .. }
            | H5Type::Int { size, .. }
            | H5Type::FixedString { size, .. }
            | H5Type::VarString { size, .. }
            | H5Type::Opaque { size, .. }
            | H5Type::Other { size, .. } => *size,
        }
    }

    /// A short description for error messages, e.g. `"big-endian float (4 bytes)"`.
    pub fn describe(&self) -> String {
        let order = |be: &bool| if *be { "big-endian " } else { "" };
        match self {
            H5Type::Float { size, big_endian } => format!("{}float ({size} bytes)", order(big_endian)),
            H5Type::Int { size, signed, big_endian } => {
                format!("{}{} integer ({size} bytes)", order(big_endian), if *signed { "signed" } else { "unsigned" })
            }
            H5Type::FixedString { size, .. } => format!("fixed-length string ({size} bytes)"),
            H5Type::VarString { .. } => "variable-length string".to_string(),
            H5Type::Opaque { size, tag } => format!("opaque '{tag}' ({size} bytes)"),
            H5Type::Other { class, size } => format!("datatype class {class} ({size} bytes)"),
        }
    }
}

/// Decodes a datatype message body.
pub(crate) fn parse_datatype(data: &[u8], offset: u64, sizes: Sizes, ctx: &str) -> H5Result<H5Type> {
    let mut c = Cursor::new(data, offset, sizes, ctx);
    let class_version = c.u8()?;
    let class = class_version & 0x0f;
    let version = class_version >> 4;
    if !(1..=5).contains(&version) {
        return Err(c.err(format!("datatype version {version} (known: 1 to 5)")));
    }
    let bits = c.take(3)?;
    let (b0, b1) = (bits[0], bits[1]);
    let size_at = c.file_pos();
    let size = c.u32()? as usize;
    if size == 0 {
        return Err(H5Error::corrupt(ctx, size_at, "datatype size is 0"));
    }
    let big_endian = b0 & 0x01 != 0;
    Ok(match class {
        0 => {
            let bit_offset = c.u16()?;
            let precision = c.u16()?;
            if [1, 2, 4, 8].contains(&size) && bit_offset == 0 && usize::from(precision) == size * 8 {
                H5Type::Int { size, signed: b0 & 0x08 != 0, big_endian }
            } else {
                H5Type::Other { class, size }
            }
        }
        1 => {
            let bit_offset = c.u16()?;
            let precision = c.u16()?;
            let exp_loc = c.u8()?;
            let exp_size = c.u8()?;
            let mant_loc = c.u8()?;
            let mant_size = c.u8()?;
            let bias = c.u32()?;
            let ieee = match size {
                2 => (exp_loc, exp_size, mant_size, bias) == (10, 5, 10, 15),
                4 => (exp_loc, exp_size, mant_size, bias) == (23, 8, 23, 127),
                8 => (exp_loc, exp_size, mant_size, bias) == (52, 11, 52, 1023),
                _ => false,
            };
            // Bit 6 of the byte order is VAX order; the sign must be the top bit.
            let plain = b0 & 0x40 == 0 && usize::from(b1) == size * 8 - 1;
            if ieee && plain && bit_offset == 0 && usize::from(precision) == size * 8 && mant_loc == 0 {
                H5Type::Float { size, big_endian }
            } else {
                H5Type::Other { class, size }
            }
        }
        3 => H5Type::FixedString { size, padding: string_padding(b0 & 0x0f), utf8: b0 >> 4 == 1 },
        5 => {
            let tag_len = usize::from(b0).min(c.remaining());
            let tag = c.take(tag_len)?;
            let tag = tag.split(|&b| b == 0).next().unwrap_or_default();
            H5Type::Opaque { size, tag: String::from_utf8_lossy(tag).into_owned() }
        }
        9 if b0 & 0x0f == 1 => H5Type::VarString { size, utf8: bits[1] & 0x0f == 1 },
        _ => H5Type::Other { class, size },
    })
}

fn string_padding(code: u8) -> StrPad {
    match code {
        0 => StrPad::NullTerminated,
        2 => StrPad::SpacePadded,
        // 1 is null-padded; reserved codes are read the same way (stop at NUL).
        _ => StrPad::NullPadded,
    }
}

/// One element's bytes as a little-endian u64 (zero-extended).
fn load(bytes: &[u8], big_endian: bool) -> u64 {
    let fold = |acc: u64, &b: &u8| (acc << 8) | u64::from(b);
    if big_endian {
        bytes.iter().fold(0, fold)
    } else {
        bytes.iter().rev().fold(0, fold)
    }
}

fn type_error(ctx: &str, ty: &H5Type, wanted: &str) -> H5Error {
    H5Error::kind(ctx, format!("holds {}, which cannot be read as {wanted}", ty.describe()))
}

/// Converts stored elements to f64 (floats exactly, integers rounded past 2^53).
/// `ctx` is the object path for errors.
pub(crate) fn decode_f64(ty: &H5Type, raw: &[u8], ctx: &str) -> H5Result<Vec<f64>> {
    let size = ty.size();
    let elems = raw.chunks_exact(size);
    Ok(match *ty {
        H5Type::Float { size: 2, big_endian } => {
            elems.map(|e| f64::from(f16::from_bits(load(e, big_endian) as u16))).collect()
        }
        H5Type::Float { size: 4, big_endian } => {
            elems.map(|e| f64::from(f32::from_bits(load(e, big_endian) as u32))).collect()
        }
        H5Type::Float { size: 8, big_endian } => elems.map(|e| f64::from_bits(load(e, big_endian))).collect(),
        H5Type::Int { signed, big_endian, .. } => {
            elems.map(|e| int_value(load(e, big_endian), size, signed) as f64).collect()
        }
        _ => return Err(type_error(ctx, ty, "numbers")),
    })
}

/// Converts stored elements to f32 (rounding f64 and wide integers to nearest).
pub(crate) fn decode_f32(ty: &H5Type, raw: &[u8], ctx: &str) -> H5Result<Vec<f32>> {
    let size = ty.size();
    let elems = raw.chunks_exact(size);
    Ok(match *ty {
        H5Type::Float { size: 2, big_endian } => {
            elems.map(|e| f16::from_bits(load(e, big_endian) as u16).to_f32()).collect()
        }
        H5Type::Float { size: 4, big_endian } => elems.map(|e| f32::from_bits(load(e, big_endian) as u32)).collect(),
        H5Type::Float { size: 8, big_endian } => elems.map(|e| f64::from_bits(load(e, big_endian)) as f32).collect(),
        H5Type::Int { signed, big_endian, .. } => elems
            .map(|e| {
                let v = int_value(load(e, big_endian), size, signed);
                // i128 -> f32 rounds once; going through f64 would round twice.
                v as f32
            })
            .collect(),
        _ => return Err(type_error(ctx, ty, "numbers")),
    })
}

/// bfloat16 stored as 2-byte opaque elements (Keras marks them with `dtype="bfloat16"`).
pub(crate) fn decode_bf16(raw: &[u8]) -> Vec<f32> {
    raw.chunks_exact(2).map(|e| bf16::from_bits(load(e, false) as u16).to_f32()).collect()
}

/// Converts stored integers to i64; unsigned values above `i64::MAX` are an error.
pub(crate) fn decode_i64(ty: &H5Type, raw: &[u8], ctx: &str) -> H5Result<Vec<i64>> {
    let H5Type::Int { size, signed, big_endian } = *ty else {
        return Err(type_error(ctx, ty, "integers"));
    };
    raw.chunks_exact(size)
        .map(|e| {
            let v = int_value(load(e, big_endian), size, signed);
            i64::try_from(v).map_err(|_| H5Error::kind(ctx, format!("integer {v} does not fit in i64")))
        })
        .collect()
}

/// Sign-extends (or not) a `size`-byte integer held in the low bytes of `bits`.
fn int_value(bits: u64, size: usize, signed: bool) -> i128 {
    let width = size * 8;
    if signed && width < 64 {
        let shift = 64 - width;
        i128::from(((bits << shift) as i64) >> shift)
    } else if signed {
        i128::from(bits as i64)
    } else {
        i128::from(bits)
    }
}

/// Decodes fixed-length strings; `ctx` names the attribute for errors.
pub(crate) fn decode_fixed_strings(raw: &[u8], size: usize, padding: StrPad, ctx: &str) -> H5Result<Vec<String>> {
    raw.chunks_exact(size)
        .map(|e| {
            let text = match padding {
                StrPad::SpacePadded => {
                    let end = e.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1);
                    &e[..end]
                }
                _ => e.split(|&b| b == 0).next().unwrap_or_default(),
            };
            utf8(text, ctx)
        })
        .collect()
}

/// Bytes to a String, with an error naming the object if they are not UTF-8.
pub(crate) fn utf8(bytes: &[u8], ctx: &str) -> H5Result<String> {
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        H5Error::kind(ctx, format!("string is not valid UTF-8 ({e}): {:?}", String::from_utf8_lossy(bytes)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_value_sign_extends_only_signed_types() {
        assert_eq!(int_value(0xff, 1, true), -1);
        assert_eq!(int_value(0xff, 1, false), 255);
        assert_eq!(int_value(0x8000, 2, true), -32768);
        assert_eq!(int_value(u64::MAX, 8, false), i128::from(u64::MAX));
        assert_eq!(int_value(u64::MAX, 8, true), -1);
    }

    #[test]
    fn space_padded_strings_lose_trailing_spaces_only() {
        let raw = b" ab  cd  ";
        let got = decode_fixed_strings(&raw[..9], 9, StrPad::SpacePadded, "x").unwrap();
        assert_eq!(got, vec![" ab  cd".to_string()]);
    }
}
