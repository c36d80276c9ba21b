//! Group membership: old-style symbol tables (v1 B-tree of type 0, symbol-table nodes,
//! local heap) and new-style compact link messages.

use std::collections::HashSet;

use super::bytes::{Cursor, FileData};
use super::error::{H5Error, H5Result};
use super::header::{ObjectHeader, MSG_LINK, MSG_LINK_INFO, MSG_SYMBOL_TABLE};
use super::messages::{body, parse_dense_heap, parse_link, LinkTarget};

/// Deepest B-tree accepted; a real one is 2-3 levels, and levels must strictly decrease.
pub(crate) const MAX_BTREE_LEVEL: u8 = 64;

/// Guards a B-tree walk: nodes already seen (cycles, shared subtrees) and a budget
/// of entries. Entries of an honest tree occupy distinct bytes (at least 8 each), so a
/// tree with more entries than `file length / 8` has overlapping, crafted nodes that
/// could otherwise make a small file cost quadratic time.
pub(crate) struct Visit {
    seen: HashSet<u64>,
    budget: usize,
}

impl Visit {
    pub fn new(file: &FileData) -> Self {
        Visit { seen: HashSet::new(), budget: file.bytes.len() / 8 + 64 }
    }

    /// Records a node at `addr` with `entries` entries; errors on a revisit or when
    /// the budget runs out.
    pub fn node(&mut self, addr: u64, entries: usize, ctx: &str) -> H5Result<()> {
        if !self.seen.insert(addr) {
            return Err(H5Error::corrupt(ctx, addr, "B-tree node reached twice (cycle)"));
        }
        self.budget = self
            .budget
            .checked_sub(entries)
            .ok_or_else(|| H5Error::corrupt(ctx, addr, "B-tree holds more entries than the file has room for"))?;
        Ok(())
    }
}

/// One member of a group.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub name: String,
    pub target: LinkTarget,
}

/// Whether an object header describes a group.
pub(crate) fn is_group(header: &ObjectHeader<'_>) -> bool {
    header.find(MSG_SYMBOL_TABLE).is_some() || header.find(MSG_LINK_INFO).is_some() || header.find(MSG_LINK).is_some()
}

/// All links of the group whose header is `header`, in storage order.
pub(crate) fn read_links(file: &FileData, header: &ObjectHeader<'_>, path: &str) -> H5Result<Vec<Link>> {
    if let Some(msg) = header.find(MSG_SYMBOL_TABLE) {
        let ctx = format!("group '{path}', symbol table message");
        let mut c = body(msg, file.sizes, &ctx)?;
        let btree = c.defined_addr("group B-tree")?;
        let heap = c.defined_addr("group local heap")?;
        let heap = LocalHeap::read(file, heap, path)?;
        let mut links = Vec::new();
        let mut visit = Visit::new(file);
        walk_group_btree(file, btree, None, &heap, path, &mut visit, &mut links)?;
        return Ok(links);
    }
    if let Some(msg) = header.find(MSG_LINK_INFO) {
        let ctx = format!("group '{path}', link info message");
        let mut c = body(msg, file.sizes, &ctx)?;
        if parse_dense_heap(&mut c, true)?.is_some() {
            return Err(H5Error::unsupported(
                format!("group '{path}'"),
                "links in dense storage (fractal heap; libver='latest' with more than 8 members)",
            ));
        }
    }
    let ctx = format!("group '{path}', link message");
    header
        .all(MSG_LINK)
        .map(|msg| {
            let mut c = body(msg, file.sizes, &ctx)?;
            let (name, target) = parse_link(&mut c)?;
            Ok(Link { name, target })
        })
        .collect()
}

/// A group's local heap: the data segment holding its member names.
pub(crate) struct LocalHeap<'a> {
    data: &'a [u8],
    offset: u64,
    ctx: String,
}

impl<'a> LocalHeap<'a> {
    pub fn read(file: &'a FileData, addr: u64, path: &str) -> H5Result<Self> {
        let ctx = format!("group '{path}', local heap");
        let mut c = file.cursor(addr, &ctx)?;
        c.signature(b"HEAP")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.err(format!("local heap version {version} (known: 0)")));
        }
        c.skip(3)?;
        let size = c.length()?;
        let _free_list = c.length()?;
        let data_addr = c.defined_addr("local heap data segment")?;
        let data = file.slice(data_addr, size, &ctx)?;
        Ok(LocalHeap { data, offset: file.base + data_addr, ctx })
    }

    /// The NUL-terminated string at `offset` in the data segment.
    pub fn name(&self, offset: u64) -> H5Result<String> {
        let start = usize::try_from(offset).ok().filter(|&o| o < self.data.len()).ok_or_else(|| {
            H5Error::corrupt(
                &self.ctx,
                self.offset,
                format!("name offset {offset} is outside the {}-byte heap", self.data.len()),
            )
        })?;
        let rest = &self.data[start..];
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| H5Error::corrupt(&self.ctx, self.offset + offset, "name is not NUL-terminated"))?;
        String::from_utf8(rest[..end].to_vec())
            .map_err(|_| H5Error::corrupt(&self.ctx, self.offset + offset, "member name is not valid UTF-8"))
    }
}

/// Walks a group B-tree (type 0); leaves point at symbol-table nodes ("SNOD").
fn walk_group_btree(
    file: &FileData,
    addr: u64,
    expected_level: Option<u8>,
    heap: &LocalHeap<'_>,
    path: &str,
    visit: &mut Visit,
    links: &mut Vec<Link>,
) -> H5Result<()> {
    let ctx = format!("group '{path}', B-tree node");
    let mut c = file.cursor(addr, &ctx)?;
    let node = read_node_header(&mut c, 0, expected_level)?;
    visit.node(addr, node.entries, &ctx)?;
    let mut children = Vec::with_capacity(node.entries.min(c.remaining() / 8));
    for _ in 0..node.entries {
        let _key = c.length()?;
        children.push(c.defined_addr("B-tree child")?);
    }
    for child in children {
        if node.level > 0 {
            walk_group_btree(file, child, Some(node.level - 1), heap, path, visit, links)?;
        } else {
            read_symbol_node(file, child, heap, path, visit, links)?;
        }
    }
    Ok(())
}

/// The fixed part of a version-1 B-tree node, shared with chunk B-trees.
pub(crate) struct NodeHeader {
    pub level: u8,
    pub entries: usize,
}

pub(crate) fn read_node_header(
    c: &mut Cursor<'_, '_>,
    node_type: u8,
    expected_level: Option<u8>,
) -> H5Result<NodeHeader> {
    c.signature(b"TREE")?;
    let kind = c.u8()?;
    if kind != node_type {
        return Err(c.err(format!("B-tree node type {kind}, expected {node_type}")));
    }
    let level = c.u8()?;
    if level > MAX_BTREE_LEVEL || expected_level.is_some_and(|l| l != level) {
        return Err(c.err(format!("B-tree node level {level}, expected {expected_level:?}")));
    }
    let entries = usize::from(c.u16()?);
    let _left = c.addr()?;
    let _right = c.addr()?;
    Ok(NodeHeader { level, entries })
}

fn read_symbol_node(
    file: &FileData,
    addr: u64,
    heap: &LocalHeap<'_>,
    path: &str,
    visit: &mut Visit,
    links: &mut Vec<Link>,
) -> H5Result<()> {
    let ctx = format!("group '{path}', symbol table node");
    let mut c = file.cursor(addr, &ctx)?;
    c.signature(b"SNOD")?;
    let version = c.u8()?;
    if version != 1 {
        return Err(c.err(format!("symbol table node version {version} (known: 1)")));
    }
    c.skip(1)?;
    let count = c.u16()?;
    visit.node(addr, usize::from(count), &ctx)?;
    for _ in 0..count {
        let name_offset = c.length_as_offset()?;
        let at = c.file_pos();
        let header = c.addr()?;
        let cache_type = c.u32()?;
        c.skip(4)?;
        let scratch = c.take(16)?;
        let name = heap.name(name_offset)?;
        // Cache type 2 is an old-style soft link: the scratch pad holds the heap
        // offset of the link's target path.
        let target = match (cache_type, header) {
            (2, _) => {
                let value = u32::from_le_bytes([scratch[0], scratch[1], scratch[2], scratch[3]]);
                LinkTarget::Soft(heap.name(u64::from(value))?)
            }
            (_, Some(h)) => LinkTarget::Hard(h),
            (_, None) => {
                return Err(H5Error::corrupt(ctx, at, format!("member '{name}' has no object header address")))
            }
        };
        links.push(Link { name, target });
    }
    Ok(())
}

impl Cursor<'_, '_> {
    /// A heap offset stored with the width of a file address.
    fn length_as_offset(&mut self) -> H5Result<u64> {
        self.uint(self.sizes.offset)
    }
}
