//! The superblock: format signature, address widths and the root group's location.
//!
//! Versions 0 and 1 (h5py's default `libver='earliest'`) end with the root group's
//! symbol-table entry; versions 2 and 3 (`libver='latest'`) hold the root object
//! header's address directly and carry a lookup3 checksum.

use super::bytes::{check_checksum, Cursor, Sizes};
use super::error::{H5Error, H5Result};

pub(crate) const SIGNATURE: [u8; 8] = [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n'];

/// What the rest of the reader needs from the superblock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Superblock {
    pub sizes: Sizes,
    /// Absolute offset that addresses are relative to (non-zero with a user block).
    pub base: u64,
    /// Address of the root group's object header.
    pub root: u64,
}

/// Finds and parses the superblock. HDF5 allows a user block before it, so the
/// signature may sit at 0, 512, 1024, 2048, ... (powers of two from 512).
pub(crate) fn read_superblock(bytes: &[u8]) -> H5Result<Superblock> {
    let mut at = 0usize;
    loop {
        if bytes.len() < at + SIGNATURE.len() {
            return Err(H5Error::corrupt(
                "superblock",
                0,
                format!("no HDF5 signature (\\x89HDF\\r\\n\\x1a\\n) found in the {}-byte file", bytes.len()),
            ));
        }
        if bytes[at..at + SIGNATURE.len()] == SIGNATURE {
            return parse_at(bytes, at);
        }
        at = if at == 0 { 512 } else { at * 2 };
    }
}

fn parse_at(bytes: &[u8], at: usize) -> H5Result<Superblock> {
    let ctx = "superblock";
    // Address widths are not known yet; 8/8 is a placeholder until they are read.
    let mut c = Cursor::new(&bytes[at..], at as u64, Sizes { offset: 8, length: 8 }, ctx);
    c.skip(SIGNATURE.len())?;
    let version = c.u8()?;
    let sb = match version {
        0 | 1 => parse_v0_v1(&mut c, version)?,
        2 | 3 => parse_v2_v3(&mut c)?,
        v => return Err(H5Error::unsupported(ctx, format!("superblock version {v} (known: 0 to 3)"))),
    };
    // A file may legitimately have a user block that the base address skips.
    let end = sb.1;
    let file_len = bytes.len() as u64;
    let needed = sb.0.base.saturating_add(end);
    if needed > file_len {
        return Err(H5Error::corrupt(
            ctx,
            at as u64,
            format!("file is truncated: the superblock says it ends at byte {needed}, but it has {file_len} bytes"),
        ));
    }
    Ok(sb.0)
}

fn check_sizes(c: &Cursor<'_, '_>, offset: u8, length: u8) -> H5Result<Sizes> {
    for (what, v) in [("offsets", offset), ("lengths", length)] {
        if ![2, 4, 8].contains(&v) {
            return Err(c.err(format!("size of {what} is {v}; HDF5 allows 2, 4 or 8")));
        }
    }
    Ok(Sizes { offset: usize::from(offset), length: usize::from(length) })
}

/// Returns the superblock and the stored end-of-file address.
fn parse_v0_v1(c: &mut Cursor<'_, '_>, version: u8) -> H5Result<(Superblock, u64)> {
    let _free_space_version = c.u8()?;
    let _root_table_version = c.u8()?;
    c.skip(1)?;
    let _shared_header_version = c.u8()?;
    let offset = c.u8()?;
    let length = c.u8()?;
    c.skip(1)?;
    c.sizes = check_sizes(c, offset, length)?;
    let _leaf_k = c.u16()?;
    let _internal_k = c.u16()?;
    let _flags = c.u32()?;
    if version == 1 {
        let _indexed_storage_k = c.u16()?;
        c.skip(2)?;
    }
    let base = c.addr()?.unwrap_or(0);
    let _free_space = c.addr()?;
    let eof = c.addr()?.unwrap_or(0);
    let _driver = c.addr()?;
    // Root group symbol-table entry: name offset, then the object header address.
    let _name_offset = c.uint(c.sizes.offset)?;
    let root = c.defined_addr("root group object header")?;
    Ok((Superblock { sizes: c.sizes, base, root }, eof))
}

fn parse_v2_v3(c: &mut Cursor<'_, '_>) -> H5Result<(Superblock, u64)> {
    let offset = c.u8()?;
    let length = c.u8()?;
    c.sizes = check_sizes(c, offset, length)?;
    let _flags = c.u8()?;
    let base = c.addr()?.unwrap_or(0);
    // The superblock extension holds file-wide settings (shared-message table, page
    // size); objects that use shared messages are refused where they are read.
    let _extension = c.addr()?;
    let eof = c.addr()?.unwrap_or(0);
    let root = c.defined_addr("root group object header")?;
    let covered = c.consumed();
    let at = c.file_pos();
    let stored = c.u32()?;
    check_checksum(covered, stored, c.ctx, at)?;
    Ok((Superblock { sizes: c.sizes, base, root }, eof))
}
