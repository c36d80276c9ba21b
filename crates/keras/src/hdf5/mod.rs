//! A small, pure-Rust HDF5 reader and writer for the files Keras and h5py produce.
//!
//! Why our own: the maintained `hdf5` / `hdf5-metno` crates bind the C library, which
//! must be installed outside cargo (and is a large attack surface for files from the
//! internet). The pure-Rust crates on crates.io (`hdf5-pure`, `hdf5-rust`,
//! `rustyhdf5`, `hdf5-pure-rust`) are young, single-maintainer projects whose APIs
//! still change release to release, and none documents fuzzing or a no-panic
//! guarantee on hostile input; several also lack pieces Keras files need (gzip
//! chunks, v0 superblocks on write). Keras needs a small subset — groups, f32
//! datasets, string and number attributes — so a reader and writer of what h5py
//! writes is about 2,500 lines we can bound-check, fuzz and keep panic-free.
//!
//! # What is read
//! Superblocks v0-v3; object headers v1 and v2 with continuation blocks; old-style
//! groups (symbol table, v1 B-tree, local heap) and compact new-style groups (link
//! messages); data layout messages v1-v5 (v5 is HDF5 2.0's) with contiguous, compact
//! and chunked storage (v1 B-tree index, or the single-chunk index) and the deflate,
//! shuffle and fletcher32 filters (the checksum is dropped, not verified); IEEE
//! f16/f32/f64, integers of either byte order, Keras's bfloat16 (2-byte opaque with
//! attribute `dtype="bfloat16"`), fixed- and variable-length strings; attribute
//! messages v1-v3. Not read (each a clear [`H5Error::Unsupported`]): dense (fractal
//! heap) links or attributes, the v4 chunk indexes other than single-chunk, other
//! filters (szip, lzf, blosc, ...), shared/committed datatypes, external storage.
//! Soft and external links are listed but not followed.
//!
//! # Robustness
//! The whole file is held in memory. Every read is bounds-checked; B-tree walks and
//! continuation chains detect cycles and have work budgets tied to the file length
//! (so overlapping, crafted structures cannot cost quadratic time); no allocation is sized from a declared count
//! before that count is checked against the file length (decoded data is bounded by
//! deflate's maximum ratio times the file size). A damaged file gives an error naming
//! the object path and byte offset, never a panic.
//!
//! # What is written
//! [`H5Writer`] builds a file in the classic layout h5py's default `libver='earliest'`
//! produces: superblock v0, v1 object headers, symbol-table groups, contiguous
//! little-endian f32 datasets, and string / string-array / integer / float attributes.
//! h5py 3.14 (HDF5 1.14.6) and 3.16 (HDF5 2.0) read its files, HDF5 can append to
//! them, and Keras 3 loads weights written with it (`tools/golden/hdf5_writer_check.py`).

mod attribute;
mod bytes;
mod chunks;
mod dataset;
mod datatype;
mod error;
mod header;
mod links;
mod messages;
mod superblock;
mod writer;
mod writer_format;

use std::cell::OnceCell;
use std::path::Path;
use std::sync::Arc;

pub use attribute::AttrValue;
pub use dataset::Dataset;
pub use datatype::{H5Type, StrPad};
pub use error::{H5Error, H5Result};
pub use writer::H5Writer;

use bytes::FileData;
use header::{read_header, ObjectHeader, MSG_LAYOUT};
use links::{is_group, read_links, Link};
use messages::LinkTarget;

/// An HDF5 file held in memory.
#[derive(Debug, Clone)]
pub struct H5File {
    data: Arc<FileData>,
    root_addr: u64,
}

impl H5File {
    /// Parses the superblock and the root group of a file image.
    pub fn from_bytes(bytes: Vec<u8>) -> H5Result<H5File> {
        let sb = superblock::read_superblock(&bytes)?;
        let data = FileData { bytes, sizes: sb.sizes, base: sb.base };
        let file = H5File { data: Arc::new(data), root_addr: sb.root };
        file.root()?;
        Ok(file)
    }

    /// Reads and parses the file at `path`.
    pub fn open(path: &Path) -> H5Result<H5File> {
        let bytes = std::fs::read(path).map_err(|source| H5Error::Io { path: path.to_path_buf(), source })?;
        H5File::from_bytes(bytes)
    }

    /// The root group `/`.
    pub fn root(&self) -> H5Result<Group<'_>> {
        let header = read_header(&self.data, self.root_addr, "/")?;
        if !is_group(&header) {
            return Err(H5Error::corrupt("root group", self.root_addr, "root object is not a group"));
        }
        Ok(Group { file: self, path: "/".to_string(), addr: self.root_addr, header, links: OnceCell::new() })
    }

    /// The group at `path` (e.g. `"layers/conv2d/vars"`, with or without a leading
    /// `/`); `None` if nothing is there, an error if something else is.
    pub fn group(&self, path: &str) -> H5Result<Option<Group<'_>>> {
        self.root()?.group(path)
    }

    /// The dataset at `path`; `None` if nothing is there, an error if a group is.
    pub fn dataset(&self, path: &str) -> H5Result<Option<Dataset>> {
        self.root()?.dataset(path)
    }
}

/// A group: a directory of named members (groups and datasets) with attributes.
pub struct Group<'f> {
    file: &'f H5File,
    path: String,
    addr: u64,
    header: ObjectHeader<'f>,
    /// Members, read on first use: looking up many members of one group (Keras's
    /// `vars/0`, `vars/1`, ...) then parses its B-tree and heap once.
    links: OnceCell<Vec<Link>>,
}

impl std::fmt::Debug for Group<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group").field("path", &self.path).field("addr", &self.addr).finish()
    }
}

impl<'f> Group<'f> {
    /// Full path, as h5py's `Group.name` (`/` for the root, `/layers/conv2d`).
    pub fn name(&self) -> &str {
        &self.path
    }

    /// Names of all members (groups, datasets and links), sorted byte-wise as h5py
    /// lists them.
    pub fn member_names(&self) -> H5Result<Vec<String>> {
        let mut names: Vec<String> = self.links()?.iter().map(|l| l.name.clone()).collect();
        names.sort();
        Ok(names)
    }

    /// The member group `name`; `name` may be a relative path (`"conv2d/vars"`) or,
    /// with a leading `/`, a path from the root. `None` if there is no such member.
    pub fn group(&self, name: &str) -> H5Result<Option<Group<'f>>> {
        let Some((path, addr)) = self.resolve(name)? else { return Ok(None) };
        let header = read_header(&self.file.data, addr, &path)?;
        if !is_group(&header) {
            return Err(H5Error::kind(path, "is a dataset or other object, not a group"));
        }
        Ok(Some(Group { file: self.file, path, addr, header, links: OnceCell::new() }))
    }

    /// The member dataset `name` (a relative or absolute path, as for [`Group::group`]).
    pub fn dataset(&self, name: &str) -> H5Result<Option<Dataset>> {
        let Some((path, addr)) = self.resolve(name)? else { return Ok(None) };
        let header = read_header(&self.file.data, addr, &path)?;
        if header.find(MSG_LAYOUT).is_none() {
            let what = if is_group(&header) { "a group" } else { "not a dataset" };
            return Err(H5Error::kind(path, format!("is {what}, expected a dataset")));
        }
        Dataset::open(Arc::clone(&self.file.data), addr, &path).map(Some)
    }

    /// The value of attribute `name`, or `None` if there is no such attribute.
    pub fn attr(&self, name: &str) -> H5Result<Option<AttrValue>> {
        attribute::find_attr(&self.file.data, &self.header, &self.path, name)
    }

    /// Attribute names in storage order (creation order for h5py files).
    pub fn attr_names(&self) -> H5Result<Vec<String>> {
        attribute::attr_names(&self.file.data, &self.header, &self.path)
    }

    fn links(&self) -> H5Result<&Vec<Link>> {
        if let Some(links) = self.links.get() {
            return Ok(links);
        }
        let links = read_links(&self.file.data, &self.header, &self.path)?;
        Ok(self.links.get_or_init(|| links))
    }

    /// Follows `rel` from this group (or from the root if it starts with `/`) to an
    /// object: its full path and object header address.
    fn resolve(&self, rel: &str) -> H5Result<Option<(String, u64)>> {
        let (mut path, mut addr) = if rel.starts_with('/') {
            (String::new(), self.file.root_addr)
        } else {
            (self.path.trim_end_matches('/').to_string(), self.addr)
        };
        let from_self = !rel.starts_with('/');
        for (i, part) in rel.split('/').filter(|p| !p.is_empty() && *p != ".").enumerate() {
            let link = if i == 0 && from_self {
                self.links()?.iter().find(|l| l.name == part).cloned()
            } else {
                let here = if path.is_empty() { "/".to_string() } else { path.clone() };
                let header = read_header(&self.file.data, addr, &here)?;
                if !is_group(&header) {
                    return Err(H5Error::kind(here, format!("is not a group, so it has no member '{part}'")));
                }
                read_links(&self.file.data, &header, &here)?.into_iter().find(|l| l.name == part)
            };
            let Some(link) = link else { return Ok(None) };
            path = format!("{path}/{part}");
            addr = match link.target {
                LinkTarget::Hard(a) => a,
                LinkTarget::Soft(to) => {
                    return Err(H5Error::kind(path, format!("is a soft link to '{to}'; links are not followed")))
                }
                LinkTarget::External => return Err(H5Error::kind(path, "is an external link; links are not followed")),
            };
        }
        if path.is_empty() {
            path.push('/');
        }
        Ok(Some((path, addr)))
    }
}
