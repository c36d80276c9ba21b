//! [`H5Writer`]: builds an HDF5 file in memory that h5py and Keras read.
//!
//! The tree of groups, datasets and attributes is collected first, then laid out in
//! one pass, children before parents, so every address is known when it is written.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::attribute::AttrValue;
use super::error::{H5Error, H5Result};
use super::writer_format as fmt;
use super::writer_format::{pad8, UNDEF};

/// Largest body of one object-header message (its size field is 16 bits).
const MAX_MESSAGE: usize = 0xffff - 7;
/// Global heap object indices are 16 bits; index 0 is the free-space marker.
const MAX_HEAP_OBJECTS: usize = 0xffff;
/// HDF5 reads a global heap collection with a first guess of 4 KiB, so collections
/// are never smaller.
const MIN_COLLECTION: usize = 4096;

/// Builds an HDF5 file: groups, f32 datasets and attributes, then [`H5Writer::to_bytes`].
///
/// Members are written in byte-wise name order and attributes in the order they were
/// set, so the same calls always give the same bytes. Attribute encodings:
/// [`AttrValue::String`] is a scalar variable-length UTF-8 string (h5py's `str`);
/// [`AttrValue::Strings`] is a 1-D array of fixed-length NUL-padded byte strings
/// (numpy `S<n>`, as Keras writes `layer_names`); [`AttrValue::Ints`] /
/// [`AttrValue::Floats`] are i64 / f64, a scalar when the list has one element, an
/// HDF5 empty (null) attribute when it has none.
#[derive(Debug, Default, Clone)]
pub struct H5Writer {
    root: WGroup,
}

#[derive(Debug, Default, Clone)]
struct WGroup {
    members: BTreeMap<String, WNode>,
    attrs: Vec<(String, AttrValue)>,
}

#[derive(Debug, Clone)]
enum WNode {
    Group(WGroup),
    Dataset(WDataset),
}

#[derive(Debug, Clone)]
struct WDataset {
    shape: Vec<usize>,
    data: Vec<f32>,
    attrs: Vec<(String, AttrValue)>,
}

/// Splits `"a/b/c"` (leading `/` optional) into checked member names.
fn split_path(path: &str) -> H5Result<Vec<&str>> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = trimmed.split('/').collect();
    for p in &parts {
        if p.is_empty() || *p == "." || *p == ".." || p.contains('\0') {
            return Err(H5Error::write(path, format!("invalid member name '{p}' in the path")));
        }
    }
    Ok(parts)
}

impl H5Writer {
    /// An empty file (just the root group).
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates the group at `path` and any missing parents; an existing group is kept.
    pub fn create_group(&mut self, path: &str) -> H5Result<()> {
        let parts = split_path(path)?;
        self.group_mut(path, &parts, true).map(|_| ())
    }

    /// Writes a contiguous little-endian f32 dataset, creating parent groups.
    /// `shape` empty means a scalar; `data` holds `product(shape)` values in C order.
    pub fn write_dataset_f32(&mut self, path: &str, shape: &[usize], data: &[f32]) -> H5Result<()> {
        let parts = split_path(path)?;
        let Some((name, parents)) = parts.split_last() else {
            return Err(H5Error::write(path, "a dataset needs a name (the root is a group)"));
        };
        let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if count != Some(data.len()) {
            return Err(H5Error::write(
                path,
                format!("shape {shape:?} needs {count:?} values but {} were given", data.len()),
            ));
        }
        if shape.len() > 32 {
            return Err(H5Error::write(path, format!("rank {} exceeds HDF5's limit of 32", shape.len())));
        }
        let parent = self.group_mut(path, parents, true)?;
        if parent.members.contains_key(*name) {
            return Err(H5Error::write(path, "an object with this name already exists"));
        }
        let dataset = WDataset { shape: shape.to_vec(), data: data.to_vec(), attrs: Vec::new() };
        parent.members.insert(name.to_string(), WNode::Dataset(dataset));
        Ok(())
    }

    /// Sets (or replaces) attribute `name` on the group or dataset at `path`.
    pub fn set_attr(&mut self, path: &str, name: &str, value: AttrValue) -> H5Result<()> {
        if name.is_empty() || name.contains('\0') {
            return Err(H5Error::write(path, format!("invalid attribute name {name:?}")));
        }
        let strings: &[String] = match &value {
            AttrValue::String(s) => std::slice::from_ref(s),
            AttrValue::Strings(v) => v,
            _ => &[],
        };
        if strings.iter().any(|s| s.contains('\0')) {
            return Err(H5Error::write(path, format!("attribute '{name}': strings cannot contain NUL")));
        }
        // Encode once now (with a dummy heap address) so an oversized value fails here,
        // naming the attribute, rather than in `to_bytes`.
        let size = pad8(encode_attr(name, &value, Some((0, 1)))?.len());
        if size > MAX_MESSAGE {
            return Err(H5Error::write(
                path,
                format!(
                    "attribute '{name}' needs {size} bytes; an HDF5 object header message holds at most \
                     {MAX_MESSAGE} (store long text as AttrValue::String)"
                ),
            ));
        }
        let parts = split_path(path)?;
        let attrs = match parts.split_last() {
            None => &mut self.root.attrs,
            Some((last, parents)) => {
                let parent = self.group_mut(path, parents, false)?;
                match parent.members.get_mut(*last) {
                    Some(WNode::Group(g)) => &mut g.attrs,
                    Some(WNode::Dataset(d)) => &mut d.attrs,
                    None => return Err(H5Error::write(path, "no such group or dataset")),
                }
            }
        };
        match attrs.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => attrs.push((name.to_string(), value)),
        }
        Ok(())
    }

    /// The group at `parts`, creating missing groups when `create` is set.
    fn group_mut(&mut self, path: &str, parts: &[&str], create: bool) -> H5Result<&mut WGroup> {
        let mut group = &mut self.root;
        for part in parts {
            if create && !group.members.contains_key(*part) {
                group.members.insert(part.to_string(), WNode::Group(WGroup::default()));
            }
            group = match group.members.get_mut(*part) {
                Some(WNode::Group(g)) => g,
                Some(WNode::Dataset(_)) => {
                    return Err(H5Error::write(path, format!("'{part}' is a dataset, not a group")))
                }
                None => return Err(H5Error::write(path, format!("no group '{part}'"))),
            };
        }
        Ok(group)
    }

    /// The complete file image.
    pub fn to_bytes(&self) -> H5Result<Vec<u8>> {
        let mut out = Layout { buf: vec![0; fmt::SUPERBLOCK_LEN], strings: HashMap::new() };
        let mut texts = Vec::new();
        collect_strings("/", &self.root, &mut texts);
        out.global_heaps(texts);
        let root = out.group(&self.root, "/")?;
        let superblock = fmt::superblock(out.buf.len() as u64, root.header, root.btree, root.heap);
        out.buf[..fmt::SUPERBLOCK_LEN].copy_from_slice(&superblock);
        Ok(out.buf)
    }

    /// Writes the file to `path` through a temporary file and a rename, so a crash
    /// never leaves a half-written file behind.
    pub fn save(&self, path: &Path) -> H5Result<()> {
        let bytes = self.to_bytes()?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let io = |source| H5Error::Io { path: path.to_path_buf(), source };
        std::fs::write(&tmp, &bytes).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// Every `AttrValue::String` in the tree, keyed by (object path, attribute name), in
/// a fixed order.
fn collect_strings(path: &str, group: &WGroup, out: &mut Vec<((String, String), String)>) {
    let own = |path: &str, attrs: &[(String, AttrValue)], out: &mut Vec<_>| {
        for (name, value) in attrs {
            if let AttrValue::String(s) = value {
                out.push(((path.to_string(), name.clone()), s.clone()));
            }
        }
    };
    own(path, &group.attrs, out);
    for (name, node) in &group.members {
        let child = join(path, name);
        match node {
            WNode::Group(g) => collect_strings(&child, g, out),
            WNode::Dataset(d) => own(&child, &d.attrs, out),
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path == "/" {
        format!("/{name}")
    } else {
        format!("{path}/{name}")
    }
}

/// Addresses a group's symbol-table entry caches.
struct GroupAddrs {
    header: u64,
    btree: u64,
    heap: u64,
}

/// The file image being laid out.
struct Layout {
    buf: Vec<u8>,
    /// Global heap location (collection address, object index) of each string attribute.
    strings: HashMap<(String, String), (u64, u16)>,
}

impl Layout {
    /// Appends `bytes` at the next 8-byte boundary and returns their address.
    fn put(&mut self, bytes: &[u8]) -> u64 {
        self.buf.resize(pad8(self.buf.len()), 0);
        let at = self.buf.len() as u64;
        self.buf.extend_from_slice(bytes);
        at
    }

    /// Writes the variable-length strings into global heap collections.
    fn global_heaps(&mut self, texts: Vec<((String, String), String)>) {
        for batch in texts.chunks(MAX_HEAP_OBJECTS) {
            let objects: usize = batch.iter().map(|(_, s)| 16 + pad8(s.len())).sum();
            // Header, objects, and at least a free-space object header after them.
            let size = (16 + objects + 16).max(MIN_COLLECTION);
            let mut coll = fmt::global_heap_header(size);
            let at = pad8(self.buf.len()) as u64;
            for (i, (key, text)) in batch.iter().enumerate() {
                let index = (i + 1) as u16;
                coll.extend(fmt::global_heap_object(index, text.len() as u64, text.as_bytes()));
                self.strings.insert(key.clone(), (at, index));
            }
            let free = size - coll.len();
            coll.extend(fmt::global_heap_object(0, free as u64, &[]));
            coll.resize(size, 0);
            self.put(&coll);
        }
    }

    fn group(&mut self, group: &WGroup, path: &str) -> H5Result<GroupAddrs> {
        // Children first, so their header addresses are known.
        let mut entries = Vec::with_capacity(group.members.len());
        for (name, node) in &group.members {
            let child = join(path, name);
            let (header, cache) = match node {
                WNode::Group(g) => {
                    let a = self.group(g, &child)?;
                    (a.header, Some((a.btree, a.heap)))
                }
                WNode::Dataset(d) => (self.dataset(d, &child)?, None),
            };
            entries.push((name.as_str(), header, cache));
        }
        // Local heap: "" at offset 0, the names, then one 16-byte free block.
        let mut names = vec![0u8; 8];
        let mut offsets = Vec::with_capacity(entries.len());
        for (name, _, _) in &entries {
            offsets.push(names.len() as u64);
            names.extend_from_slice(name.as_bytes());
            names.push(0);
            names.resize(pad8(names.len()), 0);
        }
        let free = names.len();
        fmt::put_u64(&mut names, 1); // next free block: none (HDF5's H5HL_FREE_NULL)
        fmt::put_u64(&mut names, 16); // this block's size
        let heap_at = pad8(self.buf.len()) as u64;
        let header = fmt::local_heap_header(heap_at + 32, names.len(), free);
        self.put(&header);
        self.put(&names);
        // Symbol-table nodes, each with up to 2K entries, and their largest name.
        let mut level: Vec<(u64, u64)> = Vec::new();
        for (chunk, chunk_offsets) in entries.chunks(2 * fmt::LEAF_K).zip(offsets.chunks(2 * fmt::LEAF_K)) {
            let encoded: Vec<Vec<u8>> = chunk
                .iter()
                .zip(chunk_offsets)
                .map(|((_, header, cache), &off)| fmt::symbol_entry(off, *header, *cache))
                .collect();
            let at = self.put(&fmt::symbol_node(&encoded));
            level.push((at, *chunk_offsets.last().unwrap_or(&0)));
        }
        let btree = self.btree(level);
        let mut messages = vec![(fmt::MSG_SYMBOL_TABLE, 0, fmt::symbol_table_message(btree, heap_at))];
        self.attr_messages(path, &group.attrs, &mut messages)?;
        let header = self.header(path, &messages)?;
        Ok(GroupAddrs { header, btree, heap: heap_at })
    }

    /// Builds the B-tree over `children` (address, largest name offset) bottom-up and
    /// returns the root node's address. Key 0 is the empty name at heap offset 0.
    fn btree(&mut self, mut children: Vec<(u64, u64)>) -> u64 {
        let mut node_level = 0u8;
        loop {
            let groups: Vec<&[(u64, u64)]> =
                if children.is_empty() { vec![&[]] } else { children.chunks(2 * fmt::INTERNAL_K).collect() };
            let start = pad8(self.buf.len()) as u64;
            let addr = |i: usize| start + (i * fmt::BTREE_NODE_LEN) as u64;
            let mut parents = Vec::with_capacity(groups.len());
            for (i, group) in groups.iter().enumerate() {
                let left = if i == 0 { UNDEF } else { addr(i - 1) };
                let right = if i + 1 == groups.len() { UNDEF } else { addr(i + 1) };
                let mut keys = vec![0u64];
                keys.extend(group.iter().map(|c| c.1));
                let kids: Vec<u64> = group.iter().map(|c| c.0).collect();
                let at = self.put(&fmt::group_btree_node(node_level, left, right, &keys, &kids));
                parents.push((at, *keys.last().unwrap_or(&0)));
            }
            if parents.len() == 1 {
                return parents[0].0;
            }
            children = parents;
            node_level += 1;
        }
    }

    fn dataset(&mut self, d: &WDataset, path: &str) -> H5Result<u64> {
        let bytes: Vec<u8> = d.data.iter().flat_map(|v| v.to_le_bytes()).collect();
        let addr = if bytes.is_empty() { UNDEF } else { self.put(&bytes) };
        let mut messages = vec![
            (fmt::MSG_DATASPACE, 0, fmt::dataspace(&d.shape, true)),
            (fmt::MSG_DATATYPE, fmt::FLAG_CONSTANT, fmt::float_type(4)),
            (fmt::MSG_FILL, fmt::FLAG_CONSTANT, fmt::fill_value()),
            (fmt::MSG_LAYOUT, 0, fmt::contiguous_layout(addr, bytes.len() as u64)),
        ];
        self.attr_messages(path, &d.attrs, &mut messages)?;
        self.header(path, &messages)
    }

    /// Writes a version-1 object header, whose message count is a 16-bit field.
    fn header(&mut self, path: &str, messages: &[(u16, u8, Vec<u8>)]) -> H5Result<u64> {
        if messages.len() > usize::from(u16::MAX) {
            return Err(H5Error::write(
                path,
                format!("{} attributes are more than one object can hold", messages.len()),
            ));
        }
        Ok(self.put(&fmt::object_header(messages)))
    }

    fn attr_messages(
        &self,
        path: &str,
        attrs: &[(String, AttrValue)],
        messages: &mut Vec<(u16, u8, Vec<u8>)>,
    ) -> H5Result<()> {
        for (name, value) in attrs {
            let heap = self.strings.get(&(path.to_string(), name.clone())).copied();
            let body = encode_attr(name, value, heap)?;
            // `set_attr` refuses oversized values; this guards the 16-bit size field.
            if pad8(body.len()) > MAX_MESSAGE {
                return Err(H5Error::write(path, format!("attribute '{name}' needs {} bytes", body.len())));
            }
            messages.push((fmt::MSG_ATTRIBUTE, 0, body));
        }
        Ok(())
    }
}

/// The attribute message body; `heap` locates a `String` value's bytes.
fn encode_attr(name: &str, value: &AttrValue, heap: Option<(u64, u16)>) -> H5Result<Vec<u8>> {
    let list_space = |n: usize| match n {
        0 => fmt::null_dataspace(),
        1 => fmt::dataspace(&[], false),
        n => fmt::dataspace(&[n], false),
    };
    let (dtype, space, data) = match value {
        AttrValue::String(s) => {
            let (addr, index) = heap.ok_or_else(|| H5Error::write(name, "string not placed in a heap"))?;
            let mut data = (s.len() as u32).to_le_bytes().to_vec();
            fmt::put_u64(&mut data, addr);
            data.extend_from_slice(&u32::from(index).to_le_bytes());
            (fmt::var_string_type(), fmt::dataspace(&[], false), data)
        }
        AttrValue::Strings(list) => {
            let width = list.iter().map(String::len).max().unwrap_or(0).max(1);
            let utf8 = list.iter().any(|s| !s.is_ascii());
            let mut data = Vec::with_capacity(width * list.len());
            for s in list {
                data.extend_from_slice(s.as_bytes());
                data.resize(data.len() + width - s.len(), 0);
            }
            let space = if list.is_empty() { fmt::null_dataspace() } else { fmt::dataspace(&[list.len()], false) };
            (fmt::fixed_string_type(width, utf8), space, data)
        }
        AttrValue::Ints(v) => (fmt::i64_type(), list_space(v.len()), v.iter().flat_map(|x| x.to_le_bytes()).collect()),
        AttrValue::Floats(v) => {
            (fmt::float_type(8), list_space(v.len()), v.iter().flat_map(|x| x.to_le_bytes()).collect())
        }
    };
    Ok(fmt::attribute_message(name, &dtype, &space, &data))
}
