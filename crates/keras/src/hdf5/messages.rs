//! Decoders for the object-header messages that describe groups and datasets:
//! dataspace, data layout, filter pipeline, fill value, symbol table, links.

use super::bytes::{Cursor, Sizes};
use super::error::{H5Error, H5Result};
use super::header::{Message, FLAG_SHARED};

/// HDF5's limit on the rank of a dataspace.
const MAX_RANK: usize = 32;

/// A cursor over a message body; shared (committed) messages are refused here, once.
pub(crate) fn body<'a, 'c>(msg: &Message<'a>, sizes: Sizes, ctx: &'c str) -> H5Result<Cursor<'a, 'c>> {
    if msg.flags & FLAG_SHARED != 0 {
        return Err(H5Error::unsupported(
            ctx,
            format!("message type {:#x} is shared (committed datatype or shared message table)", msg.kind),
        ));
    }
    Ok(Cursor::new(msg.data, msg.offset, sizes, ctx))
}

/// Shape of a dataset or attribute. `None` is HDF5's null dataspace (no elements, no
/// shape: h5py's `Empty`); `Some(vec![])` is a scalar.
pub(crate) fn parse_dataspace(c: &mut Cursor<'_, '_>) -> H5Result<Option<Vec<usize>>> {
    let version = c.u8()?;
    let rank = usize::from(c.u8()?);
    let flags = c.u8()?;
    let null = match version {
        1 => {
            c.skip(5)?;
            false
        }
        2 => match c.u8()? {
            0 | 1 => false,
            2 => true,
            t => return Err(c.err(format!("dataspace type {t} (known: 0 scalar, 1 simple, 2 null)"))),
        },
        v => return Err(c.err(format!("dataspace version {v} (known: 1, 2)"))),
    };
    if rank > MAX_RANK {
        return Err(c.err(format!("dataspace rank {rank} exceeds HDF5's limit of {MAX_RANK}")));
    }
    let mut dims = Vec::with_capacity(rank);
    for _ in 0..rank {
        let d = c.length()?;
        dims.push(usize::try_from(d).map_err(|_| c.err(format!("dimension {d} does not fit in memory")))?);
    }
    let _max_dims_present = flags & 0x01 != 0;
    Ok(if null { None } else { Some(dims) })
}

/// Number of elements of a shape, with overflow reported as corruption.
pub(crate) fn element_count(shape: &[usize], c: &Cursor<'_, '_>) -> H5Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| c.err(format!("shape {shape:?} has more elements than fit in memory")))
}

/// Where a dataset's elements are stored.
#[derive(Debug, Clone)]
pub(crate) enum Layout {
    /// In the layout message itself.
    Compact { data_offset: u64, size: usize },
    /// One block at `addr` (`None`: never written, read as the fill value).
    Contiguous { addr: Option<u64>, size: u64 },
    /// Chunks indexed by a version-1 B-tree at `btree` (`None`: no chunk written).
    /// `chunk` is the chunk shape (without the element-size dimension).
    ChunkedBtree { btree: Option<u64>, chunk: Vec<usize> },
    /// A single chunk covering the whole dataset (layout version 4, index type 1).
    SingleChunk { addr: Option<u64>, chunk: Vec<usize>, filtered: Option<(u64, u32)> },
}

pub(crate) fn parse_layout(c: &mut Cursor<'_, '_>, elem_size: usize) -> H5Result<Layout> {
    let version = c.u8()?;
    match version {
        1 | 2 => parse_layout_v1_v2(c, elem_size),
        // Version 5 (HDF5 2.0) changes only how some chunk indexes size filtered
        // chunks; the fields read here are the same as in version 4.
        3..=5 => {
            let class = c.u8()?;
            match class {
                0 => {
                    let size = usize::from(c.u16()?);
                    let data_offset = c.file_pos();
                    c.skip(size)?;
                    Ok(Layout::Compact { data_offset, size })
                }
                1 => Ok(Layout::Contiguous { addr: c.addr()?, size: c.length()? }),
                2 if version == 3 => {
                    let ndims = usize::from(c.u8()?);
                    let btree = c.addr()?;
                    let dims = (0..ndims).map(|_| c.u32()).collect::<H5Result<Vec<u32>>>()?;
                    Ok(Layout::ChunkedBtree { btree, chunk: chunk_dims(c, &dims, elem_size)? })
                }
                2 => parse_chunked_v4(c, elem_size),
                3 => Err(H5Error::unsupported(c.ctx, "virtual dataset layout")),
                k => Err(c.err(format!("layout class {k} (known: 0 compact, 1 contiguous, 2 chunked)"))),
            }
        }
        v => Err(c.err(format!("data layout version {v} (known: 1 to 5)"))),
    }
}

fn parse_layout_v1_v2(c: &mut Cursor<'_, '_>, elem_size: usize) -> H5Result<Layout> {
    let ndims = usize::from(c.u8()?);
    let class = c.u8()?;
    c.skip(5)?;
    let addr = if class != 0 { c.addr()? } else { None };
    let dims = (0..ndims).map(|_| c.u32()).collect::<H5Result<Vec<u32>>>()?;
    match class {
        0 => {
            let size = c.u32()? as usize;
            let data_offset = c.file_pos();
            c.skip(size)?;
            Ok(Layout::Compact { data_offset, size })
        }
        1 => {
            let bytes = dims.iter().try_fold(elem_size as u64, |n, &d| n.checked_mul(u64::from(d)));
            let size = bytes.ok_or_else(|| c.err(format!("contiguous dims {dims:?} overflow")))?;
            Ok(Layout::Contiguous { addr, size })
        }
        2 => Ok(Layout::ChunkedBtree { btree: addr, chunk: chunk_dims(c, &dims, elem_size)? }),
        k => Err(c.err(format!("layout class {k} (known: 0 compact, 1 contiguous, 2 chunked)"))),
    }
}

/// The stored chunk dimensions end with the element size; check and drop it.
fn chunk_dims(c: &Cursor<'_, '_>, dims: &[u32], elem_size: usize) -> H5Result<Vec<usize>> {
    match dims.split_last() {
        Some((&last, chunk)) if last as usize == elem_size && chunk.iter().all(|&d| d > 0) => {
            Ok(chunk.iter().map(|&d| d as usize).collect())
        }
        _ => {
            Err(c.err(format!("chunk dimensions {dims:?} must be positive and end with the element size {elem_size}")))
        }
    }
}

fn parse_chunked_v4(c: &mut Cursor<'_, '_>, elem_size: usize) -> H5Result<Layout> {
    let flags = c.u8()?;
    let ndims = usize::from(c.u8()?);
    let width = usize::from(c.u8()?);
    if !(1..=8).contains(&width) {
        return Err(c.err(format!("chunk dimension width {width} bytes (1 to 8 allowed)")));
    }
    let dims =
        (0..ndims).map(|_| c.uint(width).map(|d| u32::try_from(d).unwrap_or(0))).collect::<H5Result<Vec<u32>>>()?;
    let chunk = chunk_dims(c, &dims, elem_size)?;
    let index = c.u8()?;
    match index {
        1 => {
            let filtered = if flags & 0x02 != 0 { Some((c.length()?, c.u32()?)) } else { None };
            Ok(Layout::SingleChunk { addr: c.addr()?, chunk, filtered })
        }
        2 => Err(H5Error::unsupported(c.ctx, "chunk index type 2 (implicit)")),
        3 => Err(H5Error::unsupported(c.ctx, "chunk index type 3 (fixed array; libver='latest')")),
        4 => Err(H5Error::unsupported(c.ctx, "chunk index type 4 (extensible array; libver='latest')")),
        5 => Err(H5Error::unsupported(c.ctx, "chunk index type 5 (version-2 B-tree; libver='latest')")),
        t => Err(c.err(format!("chunk index type {t} (known: 1 to 5)"))),
    }
}

/// One stage of a filter pipeline.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    pub id: u16,
    pub client_data: Vec<u32>,
}

pub(crate) fn parse_filters(c: &mut Cursor<'_, '_>) -> H5Result<Vec<Filter>> {
    let version = c.u8()?;
    let count = c.u8()?;
    if version == 1 {
        c.skip(6)?;
    } else if version != 2 {
        return Err(c.err(format!("filter pipeline version {version} (known: 1, 2)")));
    }
    let mut filters = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let id = c.u16()?;
        let name_len = if version == 1 || id >= 256 { usize::from(c.u16()?) } else { 0 };
        let _flags = c.u16()?;
        let n_values = usize::from(c.u16()?);
        let name_padded = if version == 1 { name_len.div_ceil(8) * 8 } else { name_len };
        c.skip(name_padded)?;
        let client_data = (0..n_values).map(|_| c.u32()).collect::<H5Result<Vec<u32>>>()?;
        if version == 1 && n_values % 2 == 1 {
            c.skip(4)?;
        }
        filters.push(Filter { id, client_data });
    }
    Ok(filters)
}

/// The fill value's bytes, if the file defines one (else elements read as zero).
pub(crate) fn parse_fill(c: &mut Cursor<'_, '_>, old: bool) -> H5Result<Option<Vec<u8>>> {
    let read_value = |c: &mut Cursor<'_, '_>| -> H5Result<Option<Vec<u8>>> {
        let size = c.u32()? as usize;
        Ok(if size == 0 { None } else { Some(c.take(size)?.to_vec()) })
    };
    if old {
        return read_value(c);
    }
    let version = c.u8()?;
    match version {
        1 | 2 => {
            let _alloc_time = c.u8()?;
            let _write_time = c.u8()?;
            let defined = c.u8()?;
            if version == 1 || defined != 0 {
                read_value(c)
            } else {
                Ok(None)
            }
        }
        3 => {
            let flags = c.u8()?;
            if flags & 0x20 != 0 {
                read_value(c)
            } else {
                Ok(None)
            }
        }
        v => Err(c.err(format!("fill value message version {v} (known: 1 to 3)"))),
    }
}

/// Where a link points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkTarget {
    Hard(u64),
    Soft(String),
    External,
}

/// A link message (new-style compact group storage).
pub(crate) fn parse_link(c: &mut Cursor<'_, '_>) -> H5Result<(String, LinkTarget)> {
    let version = c.u8()?;
    if version != 1 {
        return Err(c.err(format!("link message version {version} (known: 1)")));
    }
    let flags = c.u8()?;
    let link_type = if flags & 0x08 != 0 { c.u8()? } else { 0 };
    if flags & 0x04 != 0 {
        c.skip(8)?; // creation order
    }
    if flags & 0x10 != 0 {
        c.skip(1)?; // name character set
    }
    let name_len = c.uint(1 << (flags & 0x03))? as usize;
    let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
    let target = match link_type {
        0 => LinkTarget::Hard(c.defined_addr("hard link target")?),
        1 => {
            let len = usize::from(c.u16()?);
            LinkTarget::Soft(String::from_utf8_lossy(c.take(len)?).into_owned())
        }
        64 => LinkTarget::External,
        t => return Err(H5Error::unsupported(c.ctx, format!("link type {t} (user-defined)"))),
    };
    Ok((name, target))
}

/// Fractal heap address of a link info or attribute info message: defined means the
/// links or attributes are in dense storage.
pub(crate) fn parse_dense_heap(c: &mut Cursor<'_, '_>, link_info: bool) -> H5Result<Option<u64>> {
    let version = c.u8()?;
    if version != 0 {
        return Err(c.err(format!("link/attribute info message version {version} (known: 0)")));
    }
    let flags = c.u8()?;
    if flags & 0x01 != 0 {
        c.skip(if link_info { 8 } else { 2 })?; // maximum creation index
    }
    c.addr()
}
