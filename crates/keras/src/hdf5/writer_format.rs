//! Byte encoders for the structures the writer emits, in the classic format h5py's
//! default `libver='earliest'` writes (8-byte addresses and lengths throughout).
//! Field layouts mirror what h5py 3.x / HDF5 1.14-2.0 produce, byte for byte where
//! it matters (fill value message, variable-length string type, heap free block).

/// Undefined address.
pub(crate) const UNDEF: u64 = u64::MAX;
/// Symbol-table nodes hold up to 2 * LEAF_K entries (HDF5's default K = 4).
pub(crate) const LEAF_K: usize = 4;
/// Group B-tree nodes hold up to 2 * INTERNAL_K children (HDF5's default K = 16).
pub(crate) const INTERNAL_K: usize = 16;
/// Superblock v0 with 8-byte fields, including the root symbol-table entry.
pub(crate) const SUPERBLOCK_LEN: usize = 96;
/// One symbol-table entry: name offset, header address, cache type, reserved, scratch.
const ENTRY_LEN: usize = 40;
/// A symbol-table node is always written at full capacity.
pub(crate) const SNOD_LEN: usize = 8 + 2 * LEAF_K * ENTRY_LEN;
/// A group B-tree node is always written at full capacity: header, siblings,
/// 2K + 1 keys and 2K children.
pub(crate) const BTREE_NODE_LEN: usize = 8 + 16 + (2 * INTERNAL_K + 1) * 8 + 2 * INTERNAL_K * 8;

pub(crate) const MSG_DATASPACE: u16 = 0x01;
pub(crate) const MSG_DATATYPE: u16 = 0x03;
pub(crate) const MSG_FILL: u16 = 0x05;
pub(crate) const MSG_LAYOUT: u16 = 0x08;
pub(crate) const MSG_ATTRIBUTE: u16 = 0x0c;
pub(crate) const MSG_SYMBOL_TABLE: u16 = 0x11;
/// Message flag "constant": HDF5 sets it on datatype and fill value messages.
pub(crate) const FLAG_CONSTANT: u8 = 0x01;

pub(crate) fn pad8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn pad_to_8(out: &mut Vec<u8>) {
    out.resize(pad8(out.len()), 0);
}

/// Superblock version 0 ending in the root group's symbol-table entry.
pub(crate) fn superblock(eof: u64, root_header: u64, root_btree: u64, root_heap: u64) -> Vec<u8> {
    let mut out = super::superblock::SIGNATURE.to_vec();
    // Versions: superblock, free space, root symbol table, reserved, shared header;
    // then offset size 8, length size 8, reserved.
    out.extend_from_slice(&[0, 0, 0, 0, 0, 8, 8, 0]);
    put_u16(&mut out, LEAF_K as u16);
    put_u16(&mut out, INTERNAL_K as u16);
    put_u32(&mut out, 0); // file consistency flags
    put_u64(&mut out, 0); // base address
    put_u64(&mut out, UNDEF); // free-space info
    put_u64(&mut out, eof);
    put_u64(&mut out, UNDEF); // driver info
    out.extend_from_slice(&symbol_entry(0, root_header, Some((root_btree, root_heap))));
    out
}

/// A symbol-table entry; groups cache their B-tree and heap addresses (cache type 1).
pub(crate) fn symbol_entry(name_offset: u64, header: u64, group: Option<(u64, u64)>) -> Vec<u8> {
    let mut out = Vec::with_capacity(ENTRY_LEN);
    put_u64(&mut out, name_offset);
    put_u64(&mut out, header);
    put_u32(&mut out, u32::from(group.is_some()));
    put_u32(&mut out, 0);
    let (btree, heap) = group.unwrap_or((0, 0));
    put_u64(&mut out, btree);
    put_u64(&mut out, heap);
    out
}

/// A version-1 object header: 16-byte prefix, then messages padded to 8 bytes.
pub(crate) fn object_header(messages: &[(u16, u8, Vec<u8>)]) -> Vec<u8> {
    let chunk: usize = messages.iter().map(|(_, _, b)| 8 + pad8(b.len())).sum();
    let mut out = vec![1, 0];
    put_u16(&mut out, messages.len() as u16);
    put_u32(&mut out, 1); // reference count
    put_u32(&mut out, chunk as u32);
    put_u32(&mut out, 0); // prefix padding
    for (kind, flags, body) in messages {
        put_u16(&mut out, *kind);
        put_u16(&mut out, pad8(body.len()) as u16);
        out.extend_from_slice(&[*flags, 0, 0, 0]);
        out.extend_from_slice(body);
        pad_to_8(&mut out);
    }
    out
}

/// Dataspace version 1: scalar for an empty `dims`; `max` repeats the dims as
/// maximum dimensions (h5py does for datasets, not for attributes).
pub(crate) fn dataspace(dims: &[usize], max: bool) -> Vec<u8> {
    let max = max && !dims.is_empty();
    let mut out = vec![1, dims.len() as u8, u8::from(max), 0, 0, 0, 0, 0];
    for _ in 0..if max { 2 } else { 1 } {
        for &d in dims {
            put_u64(&mut out, d as u64);
        }
    }
    out
}

/// Dataspace version 2 of type null (h5py's `Empty`): no elements.
pub(crate) fn null_dataspace() -> Vec<u8> {
    vec![2, 0, 0, 2]
}

/// IEEE little-endian float of 4 or 8 bytes.
pub(crate) fn float_type(size: usize) -> Vec<u8> {
    let (exp_loc, exp_size, mant, bias): (u8, u8, u8, u32) =
        if size == 4 { (23, 8, 23, 127) } else { (52, 11, 52, 1023) };
    let bits = (size * 8) as u16;
    let mut out = vec![0x11, 0x20, (bits - 1) as u8, 0];
    put_u32(&mut out, size as u32);
    put_u16(&mut out, 0); // bit offset
    put_u16(&mut out, bits); // precision
    out.extend_from_slice(&[exp_loc, exp_size, 0, mant]);
    put_u32(&mut out, bias);
    out
}

/// Signed little-endian 64-bit integer.
pub(crate) fn i64_type() -> Vec<u8> {
    let mut out = vec![0x10, 0x08, 0, 0];
    put_u32(&mut out, 8);
    put_u16(&mut out, 0);
    put_u16(&mut out, 64);
    out
}

/// Fixed-length, NUL-padded string of `size` bytes (numpy `S<size>`).
pub(crate) fn fixed_string_type(size: usize, utf8: bool) -> Vec<u8> {
    let mut out = vec![0x13, 0x01 | (u8::from(utf8) << 4), 0, 0];
    put_u32(&mut out, size as u32);
    out
}

/// Variable-length UTF-8 string over a base of unsigned bytes, as h5py writes `str`.
pub(crate) fn var_string_type() -> Vec<u8> {
    let mut out = vec![0x19, 0x01, 0x01, 0x00];
    put_u32(&mut out, 16);
    out.extend_from_slice(&[0x10, 0, 0, 0]);
    put_u32(&mut out, 1);
    put_u16(&mut out, 0);
    put_u16(&mut out, 8);
    out
}

/// Fill value message version 2 as h5py writes it: allocation late, fill written
/// "if set", default value.
pub(crate) fn fill_value() -> Vec<u8> {
    vec![2, 2, 2, 1, 0, 0, 0, 0]
}

/// Data layout version 3, contiguous.
pub(crate) fn contiguous_layout(addr: u64, size: u64) -> Vec<u8> {
    let mut out = vec![3, 1];
    put_u64(&mut out, addr);
    put_u64(&mut out, size);
    out
}

pub(crate) fn symbol_table_message(btree: u64, heap: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    put_u64(&mut out, btree);
    put_u64(&mut out, heap);
    out
}

/// Attribute message version 1 (name, datatype and dataspace each padded to 8).
pub(crate) fn attribute_message(name: &str, dtype: &[u8], space: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = vec![1, 0];
    put_u16(&mut out, (name.len() + 1) as u16);
    put_u16(&mut out, dtype.len() as u16);
    put_u16(&mut out, space.len() as u16);
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad_to_8(&mut out);
    out.extend_from_slice(dtype);
    pad_to_8(&mut out);
    out.extend_from_slice(space);
    pad_to_8(&mut out);
    out.extend_from_slice(data);
    out
}

/// A local heap header whose data segment follows it directly.
pub(crate) fn local_heap_header(data_addr: u64, data_len: usize, free_offset: usize) -> Vec<u8> {
    let mut out = b"HEAP".to_vec();
    out.extend_from_slice(&[0, 0, 0, 0]);
    put_u64(&mut out, data_len as u64);
    put_u64(&mut out, free_offset as u64);
    put_u64(&mut out, data_addr);
    out
}

/// A symbol-table node holding up to 2K entries, zero-filled to full size.
pub(crate) fn symbol_node(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"SNOD".to_vec();
    out.extend_from_slice(&[1, 0]);
    put_u16(&mut out, entries.len() as u16);
    for e in entries {
        out.extend_from_slice(e);
    }
    out.resize(SNOD_LEN, 0);
    out
}

/// A group B-tree node (type 0): `keys` has one more element than `children`.
pub(crate) fn group_btree_node(level: u8, left: u64, right: u64, keys: &[u64], children: &[u64]) -> Vec<u8> {
    let mut out = b"TREE".to_vec();
    out.extend_from_slice(&[0, level]);
    put_u16(&mut out, children.len() as u16);
    put_u64(&mut out, left);
    put_u64(&mut out, right);
    for (i, key) in keys.iter().enumerate() {
        put_u64(&mut out, *key);
        if let Some(child) = children.get(i) {
            put_u64(&mut out, *child);
        }
    }
    out.resize(BTREE_NODE_LEN, 0);
    out
}

/// The header of a global heap collection of `size` bytes (header included).
pub(crate) fn global_heap_header(size: usize) -> Vec<u8> {
    let mut out = b"GCOL".to_vec();
    out.extend_from_slice(&[1, 0, 0, 0]);
    put_u64(&mut out, size as u64);
    out
}

/// One global heap object: index, reference count 0 (as h5py writes), size, data
/// padded to 8 bytes. Index 0 marks the free space at the end of a collection,
/// whose size counts its own 16-byte header.
pub(crate) fn global_heap_object(index: u16, size: u64, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + pad8(data.len()));
    put_u16(&mut out, index);
    put_u16(&mut out, 0);
    put_u32(&mut out, 0);
    put_u64(&mut out, size);
    out.extend_from_slice(data);
    pad_to_8(&mut out);
    out
}
