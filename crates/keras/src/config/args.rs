//! Typed access to one layer's `config` object that remembers which keys were read, so
//! that a key nobody read (a Keras option fovea would silently ignore) is an error
//! naming it and the layer.

use std::cell::RefCell;
use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::{Error, Result};

/// Which Keras wrote the config: some strings mean different things (Keras 2's
/// `hard_sigmoid` is `clip(0.2 x + 0.5)`, Keras 3's is `relu6(x + 3) / 6`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Keras 2 / tf.keras (legacy `.h5` files written by Keras 2.x).
    Keras2,
    /// Keras 3.
    Keras3,
}

/// Keys every layer may carry that do not change what it computes at inference:
/// its name, whether it trains, and Keras 2's input-shape hints (read by the model
/// builder when they matter). `dtype` is checked separately.
const HARMLESS: &[&str] =
    &["name", "trainable", "batch_input_shape", "batch_shape", "input_shape", "batch_size", "input_dim"];

/// One layer's config with read tracking.
pub struct Args<'a> {
    at: String,
    class: &'a str,
    map: &'a Map<String, Value>,
    dialect: Dialect,
    read: RefCell<BTreeSet<String>>,
}

impl<'a> Args<'a> {
    /// The config `map` of a layer of class `class`; `at` names it in errors
    /// (`layer 'conv2d_1' (Conv2D)`).
    pub fn new(at: String, class: &'a str, map: &'a Map<String, Value>, dialect: Dialect) -> Self {
        Args { at, class, map, dialect, read: RefCell::new(BTreeSet::new()) }
    }

    /// Where errors point.
    pub fn at(&self) -> &str {
        &self.at
    }

    /// The layer's Keras class name.
    pub fn class(&self) -> &'a str {
        self.class
    }

    /// Which Keras wrote the config.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// A config error at this layer.
    pub fn err(&self, msg: impl Into<String>) -> Error {
        Error::config(&self.at, msg)
    }

    /// An unsupported-feature error at this layer.
    pub fn unsupported(&self, msg: impl Into<String>) -> Error {
        Error::unsupported(&self.at, msg)
    }

    /// The raw value of `key` (JSON `null` included), marking it read.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.read.borrow_mut().insert(key.to_string());
        self.map.get(key)
    }

    /// The value of `key`; `None` if it is missing or `null`.
    pub fn opt(&self, key: &str) -> Option<&'a Value> {
        self.raw(key).filter(|v| !v.is_null())
    }

    /// Marks keys as read without looking at them (options that only matter to
    /// training or to Keras's own bookkeeping).
    pub fn ignore(&self, keys: &[&str]) {
        self.read.borrow_mut().extend(keys.iter().map(|k| k.to_string()));
    }

    /// A required positive-or-zero integer.
    pub fn usize(&self, key: &str) -> Result<usize> {
        let v = self.opt(key).ok_or_else(|| self.err(format!("config has no '{key}'")))?;
        self.as_usize(key, v)
    }

    /// An integer with a default.
    pub fn usize_or(&self, key: &str, default: usize) -> Result<usize> {
        self.opt(key).map_or(Ok(default), |v| self.as_usize(key, v))
    }

    /// An optional integer.
    pub fn opt_usize(&self, key: &str) -> Result<Option<usize>> {
        self.opt(key).map(|v| self.as_usize(key, v)).transpose()
    }

    /// A signed integer with a default.
    pub fn isize_or(&self, key: &str, default: isize) -> Result<isize> {
        self.opt(key).map_or(Ok(default), |v| self.as_isize(key, v))
    }

    /// A boolean with a default.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        match self.opt(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.err(format!("'{key}' must be true or false, got {v}"))),
        }
    }

    /// A float (Keras writes float32 values rounded to float64, like 0.30000001192092896;
    /// the nearest f32 is the original).
    pub fn f32_or(&self, key: &str, default: f32) -> Result<f32> {
        self.opt(key).map_or(Ok(default), |v| self.as_f32(key, v))
    }

    /// An optional float.
    pub fn opt_f32(&self, key: &str) -> Result<Option<f32>> {
        self.opt(key).map(|v| self.as_f32(key, v)).transpose()
    }

    /// An optional string.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>> {
        match self.opt(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.err(format!("'{key}' must be a string, got {v}"))),
        }
    }

    /// `N` sizes given as one integer (repeated) or a list of `N`; `default` if missing.
    pub fn sizes<const N: usize>(&self, key: &str, default: Option<[usize; N]>) -> Result<[usize; N]> {
        match self.opt(key) {
            None => default.ok_or_else(|| self.err(format!("config has no '{key}'"))),
            Some(v) => self.opt_sizes::<N>(key, v),
        }
    }

    /// Like [`Args::sizes`] for a value that may be `null` (pooling `strides`).
    pub fn opt_sizes<const N: usize>(&self, key: &str, v: &Value) -> Result<[usize; N]> {
        if let Some(list) = v.as_array() {
            if list.len() != N {
                return Err(self.err(format!("'{key}' must have {N} entries, got {v}")));
            }
            let mut out = [0; N];
            for (o, x) in out.iter_mut().zip(list) {
                *o = self.as_usize(key, x)?;
            }
            Ok(out)
        } else {
            Ok([self.as_usize(key, v)?; N])
        }
    }

    /// A list of signed integers, or one integer as a list of one.
    pub fn isize_list(&self, key: &str, default: &[isize]) -> Result<Vec<isize>> {
        match self.opt(key) {
            None => Ok(default.to_vec()),
            Some(Value::Array(list)) => list.iter().map(|x| self.as_isize(key, x)).collect(),
            Some(v) => Ok(vec![self.as_isize(key, v)?]),
        }
    }

    /// Errors unless `key` is missing, `null` or passes `ok`: for options fovea only
    /// supports at their default (`time_major: false`).
    pub fn require(&self, key: &str, ok: impl Fn(&Value) -> bool, why: &str) -> Result<()> {
        match self.opt(key) {
            Some(v) if !ok(v) => Err(self.unsupported(format!("{key}={v} is not supported: {why}"))),
            _ => Ok(()),
        }
    }

    fn as_usize(&self, key: &str, v: &Value) -> Result<usize> {
        match v.as_u64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15).map(|f| f as u64))
        {
            Some(n) => usize::try_from(n).map_err(|_| self.err(format!("'{key}' is too large: {v}"))),
            None => Err(self.err(format!("'{key}' must be a non-negative integer, got {v}"))),
        }
    }

    fn as_isize(&self, key: &str, v: &Value) -> Result<isize> {
        v.as_i64()
            .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e15).map(|f| f as i64))
            .and_then(|n| isize::try_from(n).ok())
            .ok_or_else(|| self.err(format!("'{key}' must be an integer, got {v}")))
    }

    fn as_f32(&self, key: &str, v: &Value) -> Result<f32> {
        v.as_f64().map(|f| f as f32).ok_or_else(|| self.err(format!("'{key}' must be a number, got {v}")))
    }

    /// Errors on the first key that was never read and is not harmless.
    pub fn finish(self) -> Result<()> {
        let read = self.read.borrow();
        match self.map.keys().find(|k| !read.contains(k.as_str()) && !HARMLESS.contains(&k.as_str())) {
            Some(k) => Err(Error::unsupported(
                &self.at,
                format!("unknown config key '{k}' (= {}) for {}; fovea would ignore it", self.map[k], self.class),
            )),
            None => Ok(()),
        }
    }
}
