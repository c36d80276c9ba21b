//! Regularizer penalties and constraint projections against real Keras 3
//! (fixture from tools/golden/weights_rules.py).

mod common;

use common::{mismatch, tensor};
use fovea_nn::{Constraint, Regularizer};
use serde_json::Value;

fn fixture() -> Value {
    let path = format!("{}/tests/fixtures/weights_rules.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn f(v: &Value) -> f32 {
    v.as_f64().unwrap() as f32
}

fn axes(v: &Value) -> Vec<isize> {
    v.as_array().unwrap().iter().map(|a| a.as_i64().unwrap() as isize).collect()
}

#[test]
fn regularizer_penalties_match_keras() {
    let fx = fixture();
    let w = tensor(&fx["w"]);
    let regs = fx["regularizers"].as_array().unwrap();
    assert_eq!(regs.len(), 3);
    for r in regs {
        let got = Regularizer::l1_l2(f(&r["l1"]), f(&r["l2"])).penalty(&w).unwrap().to_scalar().unwrap();
        let want = f(&r["penalty"]);
        assert!((got - want).abs() <= 1e-5 * want.abs().max(1.0), "{}: {got} vs keras {want}", r["name"]);
    }
}

#[test]
fn constraint_projections_match_keras() {
    let fx = fixture();
    let cons = fx["constraints"].as_array().unwrap();
    assert_eq!(cons.len(), 5);
    let mut failures = Vec::new();
    for c in cons {
        let x = tensor(&fx[c["input"].as_str().unwrap()]);
        let constraint = match c["kind"].as_str().unwrap() {
            "max_norm" => Constraint::MaxNorm { max_value: f(&c["max_value"]), axis: axes(&c["axis"]) },
            "min_max_norm" => Constraint::MinMaxNorm {
                min_value: f(&c["min_value"]),
                max_value: f(&c["max_value"]),
                rate: f(&c["rate"]),
                axis: axes(&c["axis"]),
            },
            "unit_norm" => Constraint::UnitNorm { axis: axes(&c["axis"]) },
            "non_neg" => Constraint::NonNeg,
            other => panic!("unknown constraint {other}"),
        };
        let got = constraint.apply(&x).unwrap();
        failures.extend(mismatch(c["name"].as_str().unwrap(), &got, &tensor(&c["output"])));
    }
    assert!(failures.is_empty(), "{failures:?}");
}
