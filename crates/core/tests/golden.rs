//! fovea's convolution and pooling against golden values from real Keras 3 (JAX backend).
//!
//! Each fixture in `tests/fixtures/` holds `x` (and a conv kernel), `y = op(x)`, a fixed
//! random `r`, and `dx` (and `dkernel`) = the gradients of `sum(y * r)`. They are written
//! by `tools/golden/generate_core.py`, pinned by `tools/golden/requirements.txt`; see
//! `tools/golden/README.md` to regenerate them. Every fixture records Keras's `padding`
//! string next to the explicit pads; the test derives the pads again through
//! [`axis_geometry`] and requires both to agree, so the padding rule is pinned as well.

use fovea_core::ops::geometry::{axis_geometry, AxisGeometry, Padding};
use fovea_core::{Conv1dOptions, Conv2dOptions, Pool1dOptions, Pool2dOptions, Tensor};

use fixture::{Array, Fixture};

/// How many fixtures of each op the generator writes: deleting a file fails the test.
const EXPECTED: [(&str, usize); 6] =
    [("conv2d", 23), ("conv1d", 16), ("max_pool2d", 10), ("avg_pool2d", 10), ("max_pool1d", 7), ("avg_pool1d", 7)];

/// Fixture loading and comparison. Errors are `String`s naming what differed, so a
/// family test can report every failing fixture at once.
mod fixture {
    use std::path::Path;

    use fovea_core::Tensor;
    use serde_json::Value;

    pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

    /// A float32 array: `data` in row-major order.
    pub struct Array {
        pub shape: Vec<usize>,
        pub data: Vec<f32>,
    }

    pub struct Fixture {
        pub name: String,
        pub params: Value,
        pub x: Array,
        pub kernel: Option<Array>,
        pub r: Array,
        pub y: Array,
        pub dx: Array,
        pub dkernel: Option<Array>,
    }

    impl Array {
        fn parse(v: &Value) -> Result<Array, String> {
            let shape = v["shape"]
                .as_array()
                .ok_or("array without shape")?
                .iter()
                .map(|d| d.as_u64().map(|d| d as usize).ok_or("bad dimension"))
                .collect::<Result<Vec<_>, _>>()?;
            let data = v["data"]
                .as_array()
                .ok_or("array without data")?
                .iter()
                .map(|x| x.as_f64().map(|x| x as f32).ok_or("non-numeric element"))
                .collect::<Result<Vec<_>, _>>()?;
            if shape.iter().product::<usize>() != data.len() {
                return Err(format!("shape {shape:?} does not hold {} elements", data.len()));
            }
            Ok(Array { shape, data })
        }

        pub fn tensor(&self) -> Result<Tensor, String> {
            Tensor::from_vec(self.data.clone(), self.shape.clone()).map_err(|e| e.to_string())
        }
    }

    fn optional(v: &Value, key: &str) -> Result<Option<Array>, String> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(a) => Array::parse(a).map(Some).map_err(|e| format!("{key}: {e}")),
        }
    }

    fn required(v: &Value, key: &str) -> Result<Array, String> {
        optional(v, key)?.ok_or_else(|| format!("missing `{key}`"))
    }

    /// Every fixture whose `op` is `op`, sorted by name. A file that does not parse fails
    /// the test: a broken fixture must not be skipped silently.
    pub fn load(op: &str) -> Vec<Fixture> {
        let mut paths: Vec<_> = std::fs::read_dir(DIR)
            .unwrap_or_else(|e| panic!("cannot read {DIR}: {e}"))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        let mut out = Vec::new();
        for path in paths {
            let v = read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if v["op"].as_str() != Some(op) {
                continue;
            }
            out.push(parse(&v).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
        }
        out
    }

    fn read(path: &Path) -> Result<Value, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }

    fn parse(v: &Value) -> Result<Fixture, String> {
        Ok(Fixture {
            name: v["name"].as_str().ok_or("missing `name`")?.to_string(),
            params: v["params"].clone(),
            x: required(v, "x")?,
            kernel: optional(v, "kernel")?,
            r: required(v, "r")?,
            y: required(v, "y")?,
            dx: required(v, "dx")?,
            dkernel: optional(v, "dkernel")?,
        })
    }

    pub fn usize_param(p: &Value, key: &str) -> Result<usize, String> {
        p[key].as_u64().map(|x| x as usize).ok_or_else(|| format!("params.{key} is not an integer"))
    }

    /// `[a, b]` as two integers; `what` names it in the error.
    fn pair(v: &Value, what: &str) -> Result<[usize; 2], String> {
        match v.as_array().map(|a| a.as_slice()) {
            Some([a, b]) => match (a.as_u64(), b.as_u64()) {
                (Some(a), Some(b)) => Ok([a as usize, b as usize]),
                _ => Err(format!("{what} is not two integers")),
            },
            _ => Err(format!("{what} is not a pair")),
        }
    }

    pub fn usize2_param(p: &Value, key: &str) -> Result<[usize; 2], String> {
        pair(&p[key], &format!("params.{key}"))
    }

    /// `[before, after]` at `p[key]`.
    pub fn pad_pair(p: &Value, key: &str) -> Result<(usize, usize), String> {
        usize2_param(p, key).map(|[before, after]| (before, after))
    }

    /// `[[before, after], [before, after]]` (height, width) at `p[key]`.
    pub fn pad_pairs(p: &Value, key: &str) -> Result<[(usize, usize); 2], String> {
        let what = format!("params.{key}");
        match p[key].as_array().map(|a| a.as_slice()) {
            Some([h, w]) => {
                let [hb, ha] = pair(h, &what)?;
                let [wb, wa] = pair(w, &what)?;
                Ok([(hb, ha), (wb, wa)])
            }
            _ => Err(format!("{what} is not two (before, after) pairs")),
        }
    }

    /// `actual` equals `expected` in shape, and in value within
    /// `1e-4 * max(1, max |expected|)`.
    pub fn compare(what: &str, actual: &Tensor, expected: &Array) -> Result<(), String> {
        if actual.dims() != expected.shape.as_slice() {
            return Err(format!("{what}: shape {:?}, Keras has {:?}", actual.dims(), expected.shape));
        }
        let got = actual.to_vec_f32().map_err(|e| format!("{what}: {e}"))?;
        let scale = expected.data.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        let tol = 1e-4 * scale;
        let mut worst: Option<(usize, f32)> = None;
        for (i, (g, e)) in got.iter().zip(&expected.data).enumerate() {
            let diff = (g - e).abs();
            let bad = diff.is_nan() || diff > tol;
            if bad && worst.is_none_or(|(_, d)| diff.is_nan() || diff > d) {
                worst = Some((i, diff));
            }
        }
        match worst {
            None => Ok(()),
            Some((i, diff)) => Err(format!(
                "{what}: |diff| {diff:e} > tol {tol:e} at flat index {i} (fovea {}, Keras {})",
                got[i], expected.data[i]
            )),
        }
    }
}

/// Keras's `padding` string recorded in the fixture; `None` for explicit padding
/// (fixtures taken straight from `lax.conv_general_dilated`).
fn keras_padding(f: &Fixture) -> Result<Option<Padding>, String> {
    match &f.params["keras_padding"] {
        serde_json::Value::Null => Ok(None),
        v => match v.as_str() {
            Some("valid") => Ok(Some(Padding::Valid)),
            Some("same") => Ok(Some(Padding::Same)),
            Some("causal") => Ok(Some(Padding::Causal)),
            _ => Err(format!("unknown keras_padding {v}")),
        },
    }
}

/// fovea's geometry for `padding` must give the pads the script recorded (those it
/// verified against Keras) and Keras's output size.
#[allow(clippy::too_many_arguments)]
fn check_geometry(
    axis: usize,
    padding: Padding,
    n: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    pads: (usize, usize),
    keras_out: usize,
) -> Result<(), String> {
    let g = axis_geometry("golden", n, kernel, stride, dilation, padding).map_err(|e| e.to_string())?;
    let want = AxisGeometry { out: keras_out, pad_before: pads.0, pad_after: pads.1 };
    if g == want {
        Ok(())
    } else {
        Err(format!("axis {axis}: axis_geometry({padding:?}) gives {g:?}, Keras has {want:?}"))
    }
}

/// Compares `y`, then back-propagates `r` and compares the gradient of every variable.
fn check_values(f: &Fixture, y: &Tensor, vars: &[(&str, &Tensor, &Array)]) -> Result<(), String> {
    let mut errors = Vec::new();
    if let Err(e) = fixture::compare("y", y, &f.y) {
        errors.push(e);
    }
    let r = f.r.tensor()?;
    match y.backward_with_grad(&r) {
        Err(e) => errors.push(format!("backward: {e}")),
        Ok(grads) => {
            for (what, var, expected) in vars {
                match grads.get(var) {
                    Some(g) => {
                        if let Err(e) = fixture::compare(what, g, expected) {
                            errors.push(e);
                        }
                    }
                    None => errors.push(format!("{what}: no gradient")),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

fn kernel_and_grad(f: &Fixture) -> Result<(&Array, &Array), String> {
    match (&f.kernel, &f.dkernel) {
        (Some(k), Some(dk)) => Ok((k, dk)),
        _ => Err("conv fixture without kernel or dkernel".into()),
    }
}

fn check_conv2d(f: &Fixture) -> Result<(), String> {
    let p = &f.params;
    let (kernel, dkernel) = kernel_and_grad(f)?;
    let options = Conv2dOptions {
        strides: fixture::usize2_param(p, "strides")?,
        dilation: fixture::usize2_param(p, "dilation")?,
        padding: fixture::pad_pairs(p, "padding")?,
        groups: fixture::usize_param(p, "groups")?,
    };
    if let Some(padding) = keras_padding(f)? {
        for axis in 0..2 {
            check_geometry(
                axis,
                padding,
                f.x.shape[1 + axis],
                kernel.shape[axis],
                options.strides[axis],
                options.dilation[axis],
                options.padding[axis],
                f.y.shape[1 + axis],
            )?;
        }
    }
    let x = f.x.tensor()?.requires_grad();
    let k = kernel.tensor()?.requires_grad();
    let y = x.conv2d(&k, &options).map_err(|e| e.to_string())?;
    check_values(f, &y, &[("dx", &x, &f.dx), ("dkernel", &k, dkernel)])
}

fn check_conv1d(f: &Fixture) -> Result<(), String> {
    let p = &f.params;
    let (kernel, dkernel) = kernel_and_grad(f)?;
    let options = Conv1dOptions {
        stride: fixture::usize_param(p, "stride")?,
        dilation: fixture::usize_param(p, "dilation")?,
        padding: fixture::pad_pair(p, "padding")?,
        groups: fixture::usize_param(p, "groups")?,
    };
    if let Some(padding) = keras_padding(f)? {
        check_geometry(
            0,
            padding,
            f.x.shape[1],
            kernel.shape[0],
            options.stride,
            options.dilation,
            options.padding,
            f.y.shape[1],
        )?;
    }
    let x = f.x.tensor()?.requires_grad();
    let k = kernel.tensor()?.requires_grad();
    let y = x.conv1d(&k, &options).map_err(|e| e.to_string())?;
    check_values(f, &y, &[("dx", &x, &f.dx), ("dkernel", &k, dkernel)])
}

#[derive(Clone, Copy)]
enum Pool {
    Max,
    Avg,
}

fn check_pool2d(f: &Fixture, pool: Pool) -> Result<(), String> {
    let p = &f.params;
    let options = Pool2dOptions {
        pool_size: fixture::usize2_param(p, "pool_size")?,
        strides: fixture::usize2_param(p, "strides")?,
        padding: fixture::pad_pairs(p, "padding")?,
    };
    let padding = keras_padding(f)?.ok_or("pool fixture without keras_padding")?;
    for axis in 0..2 {
        check_geometry(
            axis,
            padding,
            f.x.shape[1 + axis],
            options.pool_size[axis],
            options.strides[axis],
            1,
            options.padding[axis],
            f.y.shape[1 + axis],
        )?;
    }
    let x = f.x.tensor()?.requires_grad();
    let y = match pool {
        Pool::Max => x.max_pool2d(&options),
        Pool::Avg => x.avg_pool2d(&options),
    }
    .map_err(|e| e.to_string())?;
    check_values(f, &y, &[("dx", &x, &f.dx)])
}

fn check_pool1d(f: &Fixture, pool: Pool) -> Result<(), String> {
    let p = &f.params;
    let options = Pool1dOptions {
        pool_size: fixture::usize_param(p, "pool_size")?,
        stride: fixture::usize_param(p, "stride")?,
        padding: fixture::pad_pair(p, "padding")?,
    };
    let padding = keras_padding(f)?.ok_or("pool fixture without keras_padding")?;
    check_geometry(0, padding, f.x.shape[1], options.pool_size, options.stride, 1, options.padding, f.y.shape[1])?;
    let x = f.x.tensor()?.requires_grad();
    let y = match pool {
        Pool::Max => x.max_pool1d(&options),
        Pool::Avg => x.avg_pool1d(&options),
    }
    .map_err(|e| e.to_string())?;
    check_values(f, &y, &[("dx", &x, &f.dx)])
}

/// Runs `check` on every fixture of `op` and fails listing each one that differs.
fn check_family(op: &str, check: impl Fn(&Fixture) -> Result<(), String>) {
    let expected = EXPECTED.iter().find(|(o, _)| *o == op).map(|(_, n)| *n).unwrap();
    let fixtures = fixture::load(op);
    assert_eq!(
        fixtures.len(),
        expected,
        "{} holds {} {op} fixtures, expected {expected}; rerun tools/golden/generate_core.py",
        fixture::DIR,
        fixtures.len()
    );
    let failures: Vec<String> =
        fixtures.iter().filter_map(|f| check(f).err().map(|e| format!("  {}: {e}", f.name))).collect();
    assert!(
        failures.is_empty(),
        "{} of {} {op} fixtures differ from Keras:\n{}",
        failures.len(),
        fixtures.len(),
        failures.join("\n")
    );
}

#[test]
fn conv2d_matches_keras_values_and_gradients() {
    check_family("conv2d", check_conv2d);
}

#[test]
fn conv1d_matches_keras_values_and_gradients() {
    check_family("conv1d", check_conv1d);
}

#[test]
fn max_pool2d_matches_keras_values_and_gradients() {
    check_family("max_pool2d", |f| check_pool2d(f, Pool::Max));
}

#[test]
fn avg_pool2d_matches_keras_values_and_gradients() {
    check_family("avg_pool2d", |f| check_pool2d(f, Pool::Avg));
}

#[test]
fn max_pool1d_matches_keras_values_and_gradients() {
    check_family("max_pool1d", |f| check_pool1d(f, Pool::Max));
}

#[test]
fn avg_pool1d_matches_keras_values_and_gradients() {
    check_family("avg_pool1d", |f| check_pool1d(f, Pool::Avg));
}
