//! Object headers (version 1 and version 2 "OHDR") and their continuation blocks.
//!
//! An object header is a list of typed messages; this module only splits it into
//! messages and follows continuation blocks. `messages.rs` decodes the message bodies.

use std::collections::{HashSet, VecDeque};

use super::bytes::{check_checksum, Cursor, FileData};
use super::error::{H5Error, H5Result};

pub(crate) const MSG_DATASPACE: u16 = 0x01;
pub(crate) const MSG_LINK_INFO: u16 = 0x02;
pub(crate) const MSG_DATATYPE: u16 = 0x03;
pub(crate) const MSG_FILL_OLD: u16 = 0x04;
pub(crate) const MSG_FILL: u16 = 0x05;
pub(crate) const MSG_LINK: u16 = 0x06;
pub(crate) const MSG_EXTERNAL_FILES: u16 = 0x07;
pub(crate) const MSG_LAYOUT: u16 = 0x08;
pub(crate) const MSG_FILTERS: u16 = 0x0b;
pub(crate) const MSG_ATTRIBUTE: u16 = 0x0c;
pub(crate) const MSG_CONTINUATION: u16 = 0x10;
pub(crate) const MSG_SYMBOL_TABLE: u16 = 0x11;
pub(crate) const MSG_ATTRIBUTE_INFO: u16 = 0x15;

/// Message flag: the body is a pointer to a shared (committed) message elsewhere.
pub(crate) const FLAG_SHARED: u8 = 0x02;

/// More continuation blocks than this is treated as a damaged (looping) header. HDF5
/// itself caps an object header at 64 KiB messages, which needs far fewer blocks.
const MAX_CHUNKS: usize = 4096;

/// One header message: its type, flags and body bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Message<'a> {
    pub kind: u16,
    pub flags: u8,
    pub data: &'a [u8],
    /// File offset of `data[0]`.
    pub offset: u64,
}

/// All messages of one object header, in file order, continuation blocks included.
#[derive(Debug)]
pub(crate) struct ObjectHeader<'a> {
    pub messages: Vec<Message<'a>>,
}

impl<'a> ObjectHeader<'a> {
    /// The first message of a kind.
    pub fn find(&self, kind: u16) -> Option<&Message<'a>> {
        self.messages.iter().find(|m| m.kind == kind)
    }

    /// Every message of a kind, in header order.
    pub fn all(&self, kind: u16) -> impl Iterator<Item = &Message<'a>> {
        self.messages.iter().filter(move |m| m.kind == kind)
    }
}

/// Reads the object header at `addr`; `path` names the object in errors.
pub(crate) fn read_header<'a>(file: &'a FileData, addr: u64, path: &str) -> H5Result<ObjectHeader<'a>> {
    let ctx = format!("object '{path}', object header");
    let first = file.index(addr, &ctx)?;
    let is_v2 = file.bytes.get(first..first + 4) == Some(&b"OHDR"[..]);
    let mut messages = Vec::new();
    let mut pending = VecDeque::new();
    let order = if is_v2 {
        read_v2_first(file, addr, &ctx, &mut messages, &mut pending)?
    } else {
        read_v1_first(file, addr, &ctx, &mut messages, &mut pending)?;
        false
    };
    let mut seen = HashSet::new();
    seen.insert(addr);
    let mut chunks = 1;
    // Blocks of an honest header never overlap, so together they fit in the file;
    // overlapping blocks could otherwise multiply the messages parsed.
    let mut total = 0u64;
    while let Some((at, len)) = pending.pop_front() {
        chunks += 1;
        total = total.saturating_add(len);
        if chunks > MAX_CHUNKS || !seen.insert(at) || total > file.bytes.len() as u64 {
            return Err(H5Error::corrupt(ctx, at, "continuation blocks loop, overlap or exceed 4096 blocks"));
        }
        let block = file.slice(at, len, &ctx)?;
        let mut c = Cursor::new(block, file.base + at, file.sizes, &ctx);
        if is_v2 {
            c.signature(b"OCHK")?;
            let body = block.len().checked_sub(4).ok_or_else(|| c.err("continuation block too short"))?;
            read_v2_messages(&mut c, body, order, &mut messages, &mut pending)?;
            verify_tail_checksum(&mut c, block)?;
        } else {
            read_v1_messages(&mut c, &mut messages, &mut pending)?;
        }
    }
    Ok(ObjectHeader { messages })
}

/// Continuation blocks still to read, in the order their messages were met.
type Pending = VecDeque<(u64, u64)>;

fn read_v1_first<'a>(
    file: &'a FileData,
    addr: u64,
    ctx: &str,
    messages: &mut Vec<Message<'a>>,
    pending: &mut Pending,
) -> H5Result<()> {
    let mut c = file.cursor(addr, ctx)?;
    let version = c.u8()?;
    if version != 1 {
        return Err(c.err(format!("object header version byte is {version}; expected 1 or the signature 'OHDR'")));
    }
    c.skip(1)?;
    let _count = c.u16()?;
    let _refcount = c.u32()?;
    let size = c.u32()?;
    c.skip(4)?; // the prefix is padded to 16 bytes
    let body_at = addr + 16;
    let body = file.slice(body_at, u64::from(size), ctx)?;
    let mut body = Cursor::new(body, file.base + body_at, file.sizes, ctx);
    read_v1_messages(&mut body, messages, pending)
}

fn read_v1_messages<'a>(
    c: &mut Cursor<'a, '_>,
    messages: &mut Vec<Message<'a>>,
    pending: &mut Pending,
) -> H5Result<()> {
    while c.remaining() >= 8 {
        let kind = c.u16()?;
        let size = usize::from(c.u16()?);
        let flags = c.u8()?;
        c.skip(3)?;
        let offset = c.file_pos();
        let data = c.take(size)?;
        push(c, Message { kind, flags, data, offset }, messages, pending)?;
    }
    Ok(())
}

/// Returns whether messages carry creation-order fields.
fn read_v2_first<'a>(
    file: &'a FileData,
    addr: u64,
    ctx: &str,
    messages: &mut Vec<Message<'a>>,
    pending: &mut Pending,
) -> H5Result<bool> {
    let start = file.index(addr, ctx)?;
    let all = &file.bytes[start..];
    let mut c = Cursor::new(all, start as u64, file.sizes, ctx);
    c.signature(b"OHDR")?;
    let version = c.u8()?;
    if version != 2 {
        return Err(c.err(format!("OHDR version is {version}; expected 2")));
    }
    let flags = c.u8()?;
    if flags & 0x20 != 0 {
        c.skip(16)?; // access, modification, change and birth times
    }
    if flags & 0x10 != 0 {
        c.skip(4)?; // attribute storage phase change values
    }
    let size = c.uint(1 << (flags & 0x03))?;
    let prefix = c.pos();
    let size = usize::try_from(size)
        .ok()
        .filter(|&s| s <= c.remaining().saturating_sub(4))
        .ok_or_else(|| c.err(format!("first chunk of {size} bytes runs past the end of the file")))?;
    let block = &all[..prefix + size + 4];
    let mut c = Cursor::new(block, start as u64, file.sizes, ctx);
    c.skip(prefix)?;
    let order = flags & 0x04 != 0;
    read_v2_messages(&mut c, prefix + size, order, messages, pending)?;
    verify_tail_checksum(&mut c, block)?;
    Ok(order)
}

/// Reads version-2 messages until position `end`; a tail shorter than a message
/// header is a gap and is skipped. `order`: messages carry a 2-byte creation index
/// (OHDR flag bit 2, "attribute creation order tracked").
fn read_v2_messages<'a>(
    c: &mut Cursor<'a, '_>,
    end: usize,
    order: bool,
    messages: &mut Vec<Message<'a>>,
    pending: &mut Pending,
) -> H5Result<()> {
    let header_len = if order { 6 } else { 4 };
    while end.saturating_sub(c.pos()) >= header_len {
        let kind = u16::from(c.u8()?);
        let size = usize::from(c.u16()?);
        let flags = c.u8()?;
        if order {
            c.skip(2)?;
        }
        if size > end - c.pos() {
            return Err(c.err(format!("message of {size} bytes runs past its header block")));
        }
        let offset = c.file_pos();
        let data = c.take(size)?;
        push(c, Message { kind, flags, data, offset }, messages, pending)?;
    }
    c.skip(end.saturating_sub(c.pos()))
}

fn verify_tail_checksum(c: &mut Cursor<'_, '_>, block: &[u8]) -> H5Result<()> {
    let covered = &block[..c.pos()];
    let at = c.file_pos();
    let stored = c.u32()?;
    check_checksum(covered, stored, c.ctx, at)
}

fn push<'a>(
    c: &Cursor<'a, '_>,
    msg: Message<'a>,
    messages: &mut Vec<Message<'a>>,
    pending: &mut Pending,
) -> H5Result<()> {
    if msg.kind == MSG_CONTINUATION {
        let mut m = Cursor::new(msg.data, msg.offset, c.sizes, c.ctx);
        let at = m.defined_addr("continuation block")?;
        let len = m.length()?;
        pending.push_back((at, len));
    }
    messages.push(msg);
    Ok(())
}
