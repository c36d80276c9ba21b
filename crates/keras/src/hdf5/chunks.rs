//! Chunked storage: the version-1 B-tree (type 1) that indexes chunks, the filters
//! h5py applies (deflate, shuffle, fletcher32), and placing chunks in the output.

use std::collections::HashSet;
use std::io::Read;

use super::bytes::FileData;
use super::error::{H5Error, H5Result};
use super::links::{read_node_header, Visit};
use super::messages::Filter;

/// A stored chunk: where it is, its byte size on disk, which filters were skipped,
/// and its first element's coordinates.
struct ChunkRef {
    addr: u64,
    size: u32,
    mask: u32,
    offsets: Vec<u64>,
}

/// How a chunked dataset is laid out, for placing chunks in the output.
pub(crate) struct ChunkGeometry<'a> {
    pub shape: &'a [usize],
    pub chunk: &'a [usize],
    pub elem_size: usize,
    /// Bytes of one decoded chunk (`product(chunk) * elem_size`), already bounded.
    pub chunk_bytes: usize,
    /// Most bytes all chunks together may decode to (see `dataset.rs`).
    pub max_decoded: u64,
}

/// Reads every chunk indexed by the B-tree at `btree` into `out` (the whole dataset,
/// pre-filled with the fill value).
pub(crate) fn read_btree_chunks(
    file: &FileData,
    btree: u64,
    geo: &ChunkGeometry<'_>,
    filters: &[Filter],
    out: &mut [u8],
    ctx: &str,
) -> H5Result<()> {
    let mut refs = Vec::new();
    let mut visit = Visit::new(file);
    walk_chunk_btree(file, btree, None, geo.shape.len(), &mut visit, &mut refs, ctx)?;
    let mut placed = HashSet::new();
    // Chunks of an honest file are stored in distinct bytes, so together they decode
    // to at most `max_decoded`; crafted chunks sharing one stored block could not.
    let mut decoded_total = 0u64;
    for r in refs {
        for (d, (&o, &c)) in r.offsets.iter().zip(geo.chunk).enumerate() {
            if o % c as u64 != 0 {
                return Err(H5Error::corrupt(
                    ctx,
                    r.addr,
                    format!(
                        "chunk offset {:?} is not a multiple of the chunk shape {:?} (axis {d})",
                        r.offsets, geo.chunk
                    ),
                ));
            }
        }
        if !placed.insert(r.offsets.clone()) {
            return Err(H5Error::corrupt(ctx, r.addr, format!("two chunks claim offset {:?}", r.offsets)));
        }
        if r.offsets.iter().zip(geo.shape).any(|(&o, &n)| o >= n as u64) {
            continue; // beyond the current extent (a shrunk dataset): not part of the data
        }
        decoded_total = decoded_total.saturating_add(geo.chunk_bytes as u64);
        if decoded_total > geo.max_decoded {
            return Err(H5Error::corrupt(ctx, r.addr, "chunks decode to more data than the file can hold"));
        }
        let stored = file.slice(r.addr, u64::from(r.size), ctx)?;
        let decoded = apply_filters(stored, filters, r.mask, geo, ctx, r.addr)?;
        place_chunk(out, geo, &r.offsets, &decoded);
    }
    Ok(())
}

/// Decodes a single chunk (layout version 4, single-chunk index) into `out`.
pub(crate) fn read_single_chunk(
    stored: &[u8],
    mask: u32,
    geo: &ChunkGeometry<'_>,
    filters: &[Filter],
    out: &mut [u8],
    ctx: &str,
    addr: u64,
) -> H5Result<()> {
    let decoded = apply_filters(stored, filters, mask, geo, ctx, addr)?;
    place_chunk(out, geo, &vec![0; geo.shape.len()], &decoded);
    Ok(())
}

fn walk_chunk_btree(
    file: &FileData,
    addr: u64,
    expected_level: Option<u8>,
    rank: usize,
    visit: &mut Visit,
    refs: &mut Vec<ChunkRef>,
    ctx: &str,
) -> H5Result<()> {
    let node_ctx = format!("{ctx}, chunk B-tree node");
    let mut c = file.cursor(addr, &node_ctx)?;
    let node = read_node_header(&mut c, 1, expected_level)?;
    visit.node(addr, node.entries, &node_ctx)?;
    let mut entries = Vec::with_capacity(node.entries.min(c.remaining() / 8));
    for _ in 0..node.entries {
        let size = c.u32()?;
        let mask = c.u32()?;
        // Keys hold one offset per dataset axis plus a trailing 0 for the element size.
        let offsets = (0..=rank).map(|_| c.u64()).collect::<H5Result<Vec<u64>>>()?;
        let child = c.defined_addr("chunk B-tree child")?;
        entries.push((size, mask, offsets, child));
    }
    for (size, mask, mut offsets, child) in entries {
        if node.level > 0 {
            walk_chunk_btree(file, child, Some(node.level - 1), rank, visit, refs, ctx)?;
        } else {
            offsets.truncate(rank);
            refs.push(ChunkRef { addr: child, size, mask, offsets });
        }
    }
    Ok(())
}

/// Undoes the filter pipeline, last filter first, skipping those set in `mask`.
fn apply_filters(
    stored: &[u8],
    filters: &[Filter],
    mask: u32,
    geo: &ChunkGeometry<'_>,
    ctx: &str,
    addr: u64,
) -> H5Result<Vec<u8>> {
    let mut data = stored.to_vec();
    for (i, f) in filters.iter().enumerate().rev() {
        if i < 32 && mask & (1 << i) != 0 {
            continue;
        }
        data = match f.id {
            1 => inflate(&data, geo.chunk_bytes, ctx, addr)?,
            2 => {
                let size = f.client_data.first().map_or(geo.elem_size, |&s| s as usize);
                unshuffle(&data, size)
            }
            3 => {
                // Fletcher-32 appends a 4-byte checksum; it is dropped, not verified.
                let keep = data
                    .len()
                    .checked_sub(4)
                    .ok_or_else(|| H5Error::corrupt(ctx, addr, "fletcher32 chunk shorter than its checksum"))?;
                data.truncate(keep);
                data
            }
            id => return Err(H5Error::unsupported(ctx, format!("filter {id} ({})", filter_name(id)))),
        };
    }
    if data.len() != geo.chunk_bytes {
        return Err(H5Error::corrupt(
            ctx,
            addr,
            format!(
                "chunk decodes to {} bytes but the chunk shape {:?} needs {}",
                data.len(),
                geo.chunk,
                geo.chunk_bytes
            ),
        ));
    }
    Ok(data)
}

fn filter_name(id: u16) -> &'static str {
    match id {
        4 => "szip",
        5 => "nbit",
        6 => "scale-offset",
        32000 => "lzf",
        32001 => "blosc",
        32004 => "lz4",
        32008 => "bitshuffle",
        32015 => "zstd",
        _ => "unknown",
    }
}

/// zlib-inflates at most `limit` bytes: a chunk never decodes to more than its shape.
fn inflate(data: &[u8], limit: usize, ctx: &str, addr: u64) -> H5Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::ZlibDecoder::new(data).take(limit as u64 + 1);
    decoder
        .read_to_end(&mut out)
        .map_err(|e| H5Error::corrupt(ctx, addr, format!("deflate stream is damaged: {e}")))?;
    if out.len() > limit {
        return Err(H5Error::corrupt(ctx, addr, format!("chunk inflates past its {limit}-byte size")));
    }
    Ok(out)
}

/// Reverses HDF5's byte shuffle: byte `b` of element `i` was stored at `b * n + i`.
fn unshuffle(data: &[u8], size: usize) -> Vec<u8> {
    if size <= 1 || data.len() < size {
        return data.to_vec();
    }
    let n = data.len() / size;
    let mut out = vec![0u8; data.len()];
    for b in 0..size {
        for i in 0..n {
            out[i * size + b] = data[b * n + i];
        }
    }
    // Bytes past the last whole element are stored unshuffled.
    out[n * size..].copy_from_slice(&data[n * size..]);
    out
}

/// Copies the part of a decoded chunk that lies inside the dataset into `out`.
/// Edge chunks are stored full-size; the overhang is dropped.
fn place_chunk(out: &mut [u8], geo: &ChunkGeometry<'_>, offsets: &[u64], chunk: &[u8]) {
    let rank = geo.shape.len();
    let es = geo.elem_size;
    // In-dataset extent of this chunk per axis (offsets were checked < shape).
    let valid: Vec<usize> = (0..rank).map(|d| geo.chunk[d].min(geo.shape[d] - offsets[d] as usize)).collect();
    if rank == 0 || valid.contains(&0) {
        return;
    }
    let row = valid[rank - 1] * es;
    let mut idx = vec![0usize; rank - 1];
    loop {
        let (mut src, mut dst) = (0usize, 0usize);
        for d in 0..rank {
            let i = if d < rank - 1 { idx[d] } else { 0 };
            src = src * geo.chunk[d] + i;
            dst = dst * geo.shape[d] + offsets[d] as usize + i;
        }
        let (src, dst) = (src * es, dst * es);
        if let (Some(to), Some(from)) = (out.get_mut(dst..dst + row), chunk.get(src..src + row)) {
            to.copy_from_slice(from);
        }
        // Next row: odometer over all axes but the last.
        let mut d = rank - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < valid[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unshuffle_inverts_hdf5_shuffle_and_keeps_the_tail() {
        // Elements [1,2,3,4] as u16 LE shuffled: low bytes then high bytes; plus tail 9.
        let shuffled = [1, 3, 2, 4, 9];
        assert_eq!(unshuffle(&shuffled, 2), vec![1, 2, 3, 4, 9]);
    }

    #[test]
    fn edge_chunk_overhang_is_dropped() {
        // Dataset 3x3 of u8, chunk 2x2 at (2, 2): only element (2, 2) is inside.
        let mut out = vec![0u8; 9];
        let geo = ChunkGeometry { shape: &[3, 3], chunk: &[2, 2], elem_size: 1, chunk_bytes: 4, max_decoded: 16 };
        place_chunk(&mut out, &geo, &[2, 2], &[7, 8, 9, 10]);
        assert_eq!(out, vec![0, 0, 0, 0, 0, 0, 0, 0, 7]);
        place_chunk(&mut out, &geo, &[0, 2], &[1, 2, 3, 4]);
        assert_eq!(out, vec![0, 0, 1, 0, 0, 3, 0, 0, 7]);
    }
}
