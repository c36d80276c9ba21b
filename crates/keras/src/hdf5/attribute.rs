//! Attribute messages (versions 1 to 3) and their values, including variable-length
//! strings stored in global heap collections.

use super::bytes::{Cursor, FileData};
use super::datatype::{decode_f64, decode_fixed_strings, decode_i64, parse_datatype, utf8, H5Type};
use super::error::{H5Error, H5Result};
use super::header::{ObjectHeader, MSG_ATTRIBUTE, MSG_ATTRIBUTE_INFO};
use super::messages::{body, element_count, parse_dataspace, parse_dense_heap};

/// The value of an attribute, in the forms Keras files use.
///
/// Reading: a scalar string attribute (fixed-length or variable-length) is
/// [`AttrValue::String`]; a string array of any rank is [`AttrValue::Strings`]
/// (flattened in C order); integer and float attributes, scalar or array, are
/// [`AttrValue::Ints`] / [`AttrValue::Floats`]. An empty (null-dataspace) attribute
/// reads as an empty list of its type.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// One string (h5py: `attrs['x'] = 'text'`).
    String(String),
    /// A list of strings (Keras: `layer_names`, `weight_names`).
    Strings(Vec<String>),
    /// Integers of any width, widened to i64.
    Ints(Vec<i64>),
    /// Floats of any width, widened to f64.
    Floats(Vec<f64>),
}

/// An attribute message split into its parts.
struct RawAttr<'a> {
    name: String,
    dtype: H5Type,
    /// `None`: null dataspace (no elements).
    shape: Option<Vec<usize>>,
    data: &'a [u8],
    data_offset: u64,
}

fn parse_attr<'a>(file: &FileData, msg: &super::header::Message<'a>, ctx: &str) -> H5Result<RawAttr<'a>> {
    let mut c = body(msg, file.sizes, ctx)?;
    let version = c.u8()?;
    if !(1..=3).contains(&version) {
        return Err(c.err(format!("attribute message version {version} (known: 1 to 3)")));
    }
    let flags = c.u8()?;
    if version > 1 && flags & 0x03 != 0 {
        return Err(H5Error::unsupported(ctx, "attribute with a shared (committed) datatype or dataspace"));
    }
    let name_size = usize::from(c.u16()?);
    let type_size = usize::from(c.u16()?);
    let space_size = usize::from(c.u16()?);
    if version == 3 {
        c.skip(1)?; // name character set
    }
    // Version 1 pads each part to a multiple of 8 bytes.
    let pad = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
    let name = c.take(pad(name_size))?;
    let name = &name[..name_size.min(name.len())];
    let name = name.split(|&b| b == 0).next().unwrap_or_default();
    let name = utf8(name, ctx)?;
    let type_at = c.file_pos();
    let type_bytes = c.take(pad(type_size))?;
    let dtype = parse_datatype(&type_bytes[..type_size], type_at, file.sizes, ctx)?;
    let space_at = c.file_pos();
    let space_bytes = c.take(pad(space_size))?;
    let mut s = Cursor::new(&space_bytes[..space_size], space_at, file.sizes, ctx);
    let shape = parse_dataspace(&mut s)?;
    let data_offset = c.file_pos();
    let data = c.take(c.remaining())?;
    Ok(RawAttr { name, dtype, shape, data, data_offset })
}

/// Refuses dense attribute storage (fractal heap), which this reader does not implement.
fn check_compact(file: &FileData, header: &ObjectHeader<'_>, path: &str) -> H5Result<()> {
    if let Some(msg) = header.find(MSG_ATTRIBUTE_INFO) {
        let ctx = format!("object '{path}', attribute info message");
        let mut c = body(msg, file.sizes, &ctx)?;
        if parse_dense_heap(&mut c, false)?.is_some() {
            return Err(H5Error::unsupported(
                format!("object '{path}'"),
                "attributes in dense storage (fractal heap; libver='latest' with more than 8 attributes)",
            ));
        }
    }
    Ok(())
}

/// Attribute names of an object, in the order they are stored (creation order for
/// files h5py writes).
pub(crate) fn attr_names(file: &FileData, header: &ObjectHeader<'_>, path: &str) -> H5Result<Vec<String>> {
    check_compact(file, header, path)?;
    let ctx = format!("object '{path}', attribute message");
    header.all(MSG_ATTRIBUTE).map(|m| parse_attr(file, m, &ctx).map(|a| a.name)).collect()
}

/// The value of attribute `name`, or `None` if the object has no such attribute.
pub(crate) fn find_attr(
    file: &FileData,
    header: &ObjectHeader<'_>,
    path: &str,
    name: &str,
) -> H5Result<Option<AttrValue>> {
    check_compact(file, header, path)?;
    let ctx = format!("object '{path}', attribute message");
    for msg in header.all(MSG_ATTRIBUTE) {
        let raw = parse_attr(file, msg, &ctx)?;
        if raw.name == name {
            let ctx = format!("{path}, attribute '{name}'");
            return decode(file, &raw, &ctx).map(Some);
        }
    }
    Ok(None)
}

fn decode(file: &FileData, raw: &RawAttr<'_>, ctx: &str) -> H5Result<AttrValue> {
    let size = raw.dtype.size();
    let (count, scalar) = match &raw.shape {
        None => (0, false),
        Some(shape) => {
            let c = Cursor::new(raw.data, raw.data_offset, file.sizes, ctx);
            (element_count(shape, &c)?, shape.is_empty())
        }
    };
    let needed = count.checked_mul(size).filter(|&n| n <= raw.data.len()).ok_or_else(|| {
        H5Error::corrupt(
            ctx,
            raw.data_offset,
            format!("{count} elements of {size} bytes do not fit in the {} data bytes", raw.data.len()),
        )
    })?;
    let data = &raw.data[..needed];
    let strings = |list: Vec<String>| match (scalar, list.len()) {
        (true, 1) => AttrValue::String(list.into_iter().next().unwrap_or_default()),
        _ => AttrValue::Strings(list),
    };
    Ok(match &raw.dtype {
        H5Type::FixedString { size, padding, .. } => strings(decode_fixed_strings(data, *size, *padding, ctx)?),
        H5Type::VarString { size, .. } => strings(read_var_strings(file, data, *size, raw.data_offset, ctx)?),
        H5Type::Int { .. } => AttrValue::Ints(decode_i64(&raw.dtype, data, ctx)?),
        H5Type::Float { .. } => AttrValue::Floats(decode_f64(&raw.dtype, data, ctx)?),
        other => {
            return Err(H5Error::kind(
                ctx,
                format!("holds {}, which is not a string, integer or float", other.describe()),
            ))
        }
    })
}

/// Variable-length strings: each element is (length u32, heap collection address,
/// object index u32); the bytes live in a global heap collection.
fn read_var_strings(file: &FileData, data: &[u8], size: usize, offset: u64, ctx: &str) -> H5Result<Vec<String>> {
    let mut c = Cursor::new(data, offset, file.sizes, ctx);
    let mut out = Vec::with_capacity(data.len() / size.max(1));
    for _ in 0..data.len() / size.max(1) {
        let start = c.pos();
        let len = c.u32()? as usize;
        let addr = c.addr()?;
        let index = c.u32()?;
        c.skip(size.saturating_sub(c.pos() - start))?;
        if len == 0 {
            out.push(String::new());
            continue;
        }
        let addr = addr.ok_or_else(|| c.err("variable-length string has an undefined heap address"))?;
        let object = global_heap_object(file, addr, index, ctx)?;
        let bytes = object.get(..len).ok_or_else(|| {
            H5Error::corrupt(
                ctx,
                addr,
                format!("string of {len} bytes is longer than its heap object ({})", object.len()),
            )
        })?;
        out.push(utf8(bytes, ctx)?);
    }
    Ok(out)
}

/// Object `index` of the global heap collection ("GCOL") at `addr`. Scanning the
/// collection for each string keeps memory flat whatever a crafted file points at;
/// an attribute holds at most a few thousand strings.
fn global_heap_object<'a>(file: &'a FileData, addr: u64, index: u32, ctx: &str) -> H5Result<&'a [u8]> {
    let ctx = format!("{ctx}, global heap collection");
    let mut c = file.cursor(addr, &ctx)?;
    c.signature(b"GCOL")?;
    let version = c.u8()?;
    if version != 1 {
        return Err(c.err(format!("global heap version {version} (known: 1)")));
    }
    c.skip(3)?;
    let size = c.length()?;
    let header = c.pos();
    let all = file.slice(addr, size, &ctx)?;
    let mut c = Cursor::new(all, file.base + addr, file.sizes, &ctx);
    c.skip(header)?;
    let object_header = 8 + file.sizes.length;
    while c.remaining() >= object_header {
        let found = c.u16()?;
        let _refcount = c.u16()?;
        c.skip(4)?;
        let len = c.length()?;
        if found == 0 {
            break; // free space runs to the end of the collection
        }
        let len = usize::try_from(len).map_err(|_| c.err(format!("heap object size {len} too large")))?;
        let bytes = c.take(len)?;
        if u32::from(found) == index {
            return Ok(bytes);
        }
        let pad = (8 - len % 8) % 8;
        c.skip(pad.min(c.remaining()))?;
    }
    Err(H5Error::corrupt(ctx, addr, format!("global heap collection has no object {index}")))
}
