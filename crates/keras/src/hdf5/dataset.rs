//! Datasets: shape, type and storage from the object header, and reading the values.

use std::sync::Arc;

use super::attribute::{attr_names, find_attr, AttrValue};
use super::bytes::{Cursor, FileData};
use super::chunks::{read_btree_chunks, read_single_chunk, ChunkGeometry};
use super::datatype::{decode_bf16, decode_f32, decode_f64, decode_i64, parse_datatype, H5Type};
use super::error::{H5Error, H5Result};
use super::header::{
    read_header, ObjectHeader, MSG_DATASPACE, MSG_DATATYPE, MSG_EXTERNAL_FILES, MSG_FILL, MSG_FILL_OLD, MSG_FILTERS,
    MSG_LAYOUT,
};
use super::messages::{body, element_count, parse_dataspace, parse_fill, parse_filters, parse_layout, Filter, Layout};

/// Slack on top of the compression bound for data the file need not store at all
/// (never-written datasets and chunks read as the fill value).
const FILL_SLACK: u64 = 1 << 20;

/// deflate cannot expand data by more than about 1032:1, so no honest file decodes
/// to more than this many times its own size.
const MAX_INFLATE_RATIO: u64 = 1032;

/// A dataset: its shape and type, read from the header when opened, and its values,
/// read on demand. It holds a reference-counted handle on the file bytes, so it
/// outlives the [`Group`](super::Group) it came from.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Full path, as h5py's `Dataset.name` (`/layers/conv2d/vars/0`).
    pub name: String,
    /// Dimensions, slowest-varying first (C order). Empty for a scalar.
    pub shape: Vec<usize>,
    /// The element type as stored.
    pub dtype: H5Type,
    /// Number of elements (0 for an HDF5 null dataspace, 1 for a scalar).
    elements: usize,
    file: Arc<FileData>,
    header_addr: u64,
    layout: Layout,
    filters: Vec<Filter>,
    fill: Option<Vec<u8>>,
}

impl Dataset {
    /// Decodes the dataset messages of the header at `addr`.
    pub(crate) fn open(file: Arc<FileData>, addr: u64, path: &str) -> H5Result<Dataset> {
        let header = read_header(&file, addr, path)?;
        let ctx = |what: &str| format!("dataset '{path}', {what} message");
        let need = |kind: u16, what: &str| {
            header.find(kind).copied().ok_or_else(|| {
                H5Error::corrupt(format!("dataset '{path}'"), addr, format!("object header has no {what} message"))
            })
        };
        let ctx_space = ctx("dataspace");
        let mut c = body(&need(MSG_DATASPACE, "dataspace")?, file.sizes, &ctx_space)?;
        let space = parse_dataspace(&mut c)?;
        let elements = match &space {
            Some(shape) => element_count(shape, &c)?,
            None => 0,
        };
        let shape = space.unwrap_or_default();
        let ctx_type = ctx("datatype");
        let msg = need(MSG_DATATYPE, "datatype")?;
        body(&msg, file.sizes, &ctx_type)?; // refuses a shared (committed) datatype
        let dtype = parse_datatype(msg.data, msg.offset, file.sizes, &ctx_type)?;
        let ctx_layout = ctx("data layout");
        let mut c = body(&need(MSG_LAYOUT, "data layout")?, file.sizes, &ctx_layout)?;
        let layout = parse_layout(&mut c, dtype.size())?;
        let filters = match header.find(MSG_FILTERS) {
            Some(msg) => parse_filters(&mut body(msg, file.sizes, &ctx("filter pipeline"))?)?,
            None => Vec::new(),
        };
        let fill = read_fill(&file, &header, path)?;
        if let Some(fill) = &fill {
            if fill.len() != dtype.size() {
                return Err(H5Error::corrupt(
                    ctx("fill value"),
                    addr,
                    format!("fill value has {} bytes but elements have {}", fill.len(), dtype.size()),
                ));
            }
        }
        if header.find(MSG_EXTERNAL_FILES).is_some() {
            return Err(H5Error::unsupported(format!("dataset '{path}'"), "data stored in external files"));
        }
        Ok(Dataset { name: path.to_string(), shape, dtype, elements, file, header_addr: addr, layout, filters, fill })
    }

    /// Number of elements (the product of `shape`; 1 for a scalar).
    pub fn len(&self) -> usize {
        self.elements
    }

    /// Whether the dataset has no elements.
    pub fn is_empty(&self) -> bool {
        self.elements == 0
    }

    /// All values as f32 in C order, converted from f16/f64/integers (rounded to
    /// nearest) or from bfloat16 (Keras's opaque `V2` with attribute `dtype="bfloat16"`).
    pub fn read_f32(&self) -> H5Result<Vec<f32>> {
        let raw = self.read_raw()?;
        if matches!(self.dtype, H5Type::Opaque { size: 2, .. })
            && self.attr("dtype")? == Some(AttrValue::String("bfloat16".into()))
        {
            return Ok(decode_bf16(&raw));
        }
        decode_f32(&self.dtype, &raw, &self.name)
    }

    /// All values as f64 in C order (floats exactly; integers past 2^53 rounded).
    pub fn read_f64(&self) -> H5Result<Vec<f64>> {
        decode_f64(&self.dtype, &self.read_raw()?, &self.name)
    }

    /// All values of an integer dataset as i64 in C order.
    pub fn read_i64(&self) -> H5Result<Vec<i64>> {
        decode_i64(&self.dtype, &self.read_raw()?, &self.name)
    }

    /// The value of attribute `name`, or `None` if there is no such attribute.
    pub fn attr(&self, name: &str) -> H5Result<Option<AttrValue>> {
        let header = self.header()?;
        find_attr(&self.file, &header, &self.name, name)
    }

    /// Attribute names in storage order.
    pub fn attr_names(&self) -> H5Result<Vec<String>> {
        let header = self.header()?;
        attr_names(&self.file, &header, &self.name)
    }

    fn header(&self) -> H5Result<ObjectHeader<'_>> {
        read_header(&self.file, self.header_addr, &self.name)
    }

    /// The stored bytes of all elements in C order, in the file's byte order.
    fn read_raw(&self) -> H5Result<Vec<u8>> {
        let ctx = format!("dataset '{}'", self.name);
        let es = self.dtype.size();
        let file_len = self.file.bytes.len() as u64;
        let bound = file_len.saturating_mul(MAX_INFLATE_RATIO).saturating_add(FILL_SLACK);
        let total = self.elements.checked_mul(es).filter(|&t| t as u64 <= bound).ok_or_else(|| {
            H5Error::corrupt(
                &ctx,
                self.header_addr,
                format!(
                    "{} elements of {es} bytes are more than a {file_len}-byte file can hold, even compressed",
                    self.elements
                ),
            )
        })?;
        match &self.layout {
            Layout::Compact { data_offset, size } => {
                let at = *data_offset as usize;
                let data = self.file.bytes.get(at..at + size).filter(|_| *size >= total);
                let data = data.ok_or_else(|| {
                    H5Error::corrupt(&ctx, *data_offset, format!("compact data has {size} bytes, needs {total}"))
                })?;
                Ok(data[..total].to_vec())
            }
            Layout::Contiguous { addr: None, .. } => Ok(self.filled(total)),
            Layout::Contiguous { addr: Some(addr), size } => {
                if *size < total as u64 {
                    return Err(H5Error::corrupt(
                        &ctx,
                        *addr,
                        format!("contiguous storage has {size} bytes, the shape needs {total}"),
                    ));
                }
                Ok(self.file.slice(*addr, total as u64, &ctx)?.to_vec())
            }
            Layout::ChunkedBtree { btree, chunk } => {
                let mut out = self.filled(total);
                if let Some(btree) = btree {
                    let geo = self.geometry(chunk, bound, &ctx)?;
                    read_btree_chunks(&self.file, *btree, &geo, &self.filters, &mut out, &ctx)?;
                }
                Ok(out)
            }
            Layout::SingleChunk { addr, chunk, filtered } => {
                let mut out = self.filled(total);
                if let Some(addr) = addr {
                    let geo = self.geometry(chunk, bound, &ctx)?;
                    let (size, mask) = filtered.unwrap_or((geo.chunk_bytes as u64, 0));
                    let stored = self.file.slice(*addr, size, &ctx)?;
                    read_single_chunk(stored, mask, &geo, &self.filters, &mut out, &ctx, *addr)?;
                }
                Ok(out)
            }
        }
    }

    fn geometry<'a>(&'a self, chunk: &'a [usize], bound: u64, ctx: &str) -> H5Result<ChunkGeometry<'a>> {
        let es = self.dtype.size();
        if chunk.len() != self.shape.len() {
            return Err(H5Error::corrupt(
                ctx,
                self.header_addr,
                format!("chunk shape {chunk:?} has a different rank than the dataset shape {:?}", self.shape),
            ));
        }
        let bytes = chunk.iter().try_fold(es, |n, &d| n.checked_mul(d)).filter(|&b| b as u64 <= bound);
        let chunk_bytes = bytes.ok_or_else(|| {
            H5Error::corrupt(ctx, self.header_addr, format!("chunk shape {chunk:?} is implausibly large"))
        })?;
        Ok(ChunkGeometry { shape: &self.shape, chunk, elem_size: es, chunk_bytes, max_decoded: bound })
    }

    /// `total` bytes of the fill value (zeros unless the file defines one).
    fn filled(&self, total: usize) -> Vec<u8> {
        match &self.fill {
            Some(fill) if fill.iter().any(|&b| b != 0) => fill.iter().copied().cycle().take(total).collect(),
            _ => vec![0; total],
        }
    }
}

fn read_fill(file: &FileData, header: &ObjectHeader<'_>, path: &str) -> H5Result<Option<Vec<u8>>> {
    let (msg, old) = match (header.find(MSG_FILL), header.find(MSG_FILL_OLD)) {
        (Some(m), _) => (m, false),
        (None, Some(m)) => (m, true),
        (None, None) => return Ok(None),
    };
    let ctx = format!("dataset '{path}', fill value message");
    let mut c: Cursor<'_, '_> = body(msg, file.sizes, &ctx)?;
    parse_fill(&mut c, old)
}
