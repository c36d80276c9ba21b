//! The autodiff graph: accumulation, no_grad, freeing after backward, detach, seeds,
//! which tensors receive gradients, and that the gradient checker itself can fail.

mod common;

use common::{assert_close, t};
use fovea_core::{check_gradients, is_grad_enabled, no_grad, Error, GradCheck, NoGradGuard};

#[test]
fn a_tensor_used_twice_accumulates_both_gradients() {
    // y = sum(x * x + 3x): dy/dx = 2x + 3
    let x = t(&[1.0, -2.0, 0.5], &[3]).requires_grad();
    let y = x.mul(&x).unwrap().add(&x.mul_scalar(3.0).unwrap()).unwrap().sum_all().unwrap();
    let g = y.backward().unwrap();
    assert_close(g.get(&x).unwrap(), &[5.0, -1.0, 4.0], 0.0);
}

#[test]
fn a_shared_intermediate_passes_on_the_sum_of_its_uses() {
    // h = 2x is used by two branches of different shapes: y = sum(h) + sum(h^T * w).
    let x = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).requires_grad();
    let w = t(&[1.0, 10.0], &[2]).requires_grad();
    let h = x.mul_scalar(2.0).unwrap();
    let y = h.sum_all().unwrap().add(&h.transpose(0, 1).unwrap().mul(&w).unwrap().sum_all().unwrap()).unwrap();
    let g = y.backward().unwrap();
    // dy/dx[i, j] = 2 + 2 * w[i]; dy/dw[i] = sum_j 2 x[i, j]
    assert_close(g.get(&x).unwrap(), &[4.0, 4.0, 4.0, 22.0, 22.0, 22.0], 0.0);
    assert_close(g.get(&w).unwrap(), &[12.0, 30.0], 0.0);
}

#[test]
fn the_same_variable_twice_in_one_op_gets_both_gradients() {
    let x = t(&[3.0], &[1]).requires_grad();
    let g = x.div(&x).unwrap().add(&x.maximum(&x).unwrap()).unwrap().sum_all().unwrap().backward().unwrap();
    // d(x/x)/dx = 0; maximum(x, x) sends everything to the first input: 1.
    assert_close(g.get(&x).unwrap(), &[1.0], 1e-7);
}

#[test]
fn no_grad_records_nothing() {
    let x = t(&[1.0, 2.0], &[2]).requires_grad();
    assert!(is_grad_enabled());
    let y = no_grad(|| {
        assert!(!is_grad_enabled());
        x.mul(&x).unwrap().sum_all().unwrap()
    });
    assert!(is_grad_enabled());
    assert!(!y.tracks_grad());
    assert_close(&y, &[5.0], 0.0);
    assert!(matches!(y.backward(), Err(Error::Autodiff(_))));
}

#[test]
fn no_grad_guards_nest_and_restore_the_previous_state() {
    let x = t(&[1.0], &[1]).requires_grad();
    {
        let _outer = NoGradGuard::new();
        {
            let _inner = NoGradGuard::new();
            assert!(!x.exp().unwrap().tracks_grad());
        }
        // Still off: the inner guard restores the outer state, not "on".
        assert!(!is_grad_enabled());
        assert!(!x.exp().unwrap().tracks_grad());
    }
    assert!(is_grad_enabled());
    assert!(x.exp().unwrap().tracks_grad());
}

#[test]
fn no_grad_is_per_thread() {
    let _guard = NoGradGuard::new();
    let other = std::thread::spawn(is_grad_enabled).join().unwrap();
    assert!(other);
    assert!(!is_grad_enabled());
}

#[test]
fn backward_frees_the_graph_so_a_second_backward_is_an_error() {
    let x = t(&[1.0, 2.0], &[2]).requires_grad();
    let y = x.exp().unwrap().sum_all().unwrap();
    assert!(y.backward().is_ok());
    let err = y.backward().err().expect("an error");
    assert!(matches!(err, Error::Autodiff(_)));
    assert!(err.to_string().contains("already freed"), "{err}");
    // A second loss through the freed part of the graph fails the same way.
    let h = x.exp().unwrap();
    h.sum_all().unwrap().backward().unwrap();
    assert!(h.mean_all().unwrap().backward().is_err());
}

#[test]
fn detach_cuts_the_gradient() {
    // y = sum(detach(x) * x): the gradient is detach(x) only, not 2x.
    let x = t(&[1.0, -3.0], &[2]).requires_grad();
    let d = x.detach();
    assert!(!d.tracks_grad());
    let g = d.mul(&x).unwrap().sum_all().unwrap().backward().unwrap();
    assert_close(g.get(&x).unwrap(), &[1.0, -3.0], 0.0);
    assert!(g.get(&d).is_none());
}

#[test]
fn backward_on_a_non_scalar_is_an_error_naming_the_shape() {
    let x = t(&[1.0, 2.0], &[2]).requires_grad();
    let err = x.mul_scalar(2.0).unwrap().backward().err().expect("an error");
    assert!(matches!(err, Error::Autodiff(_)));
    assert!(err.to_string().contains("(2,)"), "{err}");
    // A one-element tensor of any rank is a valid loss.
    let g = x.sum(&[0], true).unwrap().backward().unwrap();
    assert_close(g.get(&x).unwrap(), &[1.0, 1.0], 0.0);
}

#[test]
fn backward_with_grad_seeds_a_non_scalar_output() {
    let x = t(&[1.0, 2.0], &[2]).requires_grad();
    let y = x.square().unwrap();
    let g = y.backward_with_grad(&t(&[1.0, -1.0], &[2])).unwrap();
    assert_close(g.get(&x).unwrap(), &[2.0, -4.0], 0.0);
    let y = x.square().unwrap();
    let err = y.backward_with_grad(&t(&[1.0], &[1])).err().expect("an error");
    assert!(err.to_string().contains("seed gradient of shape (1,) for a tensor of shape (2,)"), "{err}");
}

#[test]
fn backward_of_a_constant_is_an_error() {
    let c = t(&[1.0, 2.0], &[2]).sum_all().unwrap();
    assert!(matches!(c.backward(), Err(Error::Autodiff(_))));
}

#[test]
fn gradients_are_kept_only_for_leaves_that_reach_the_loss() {
    let a = t(&[1.0, 2.0], &[2]).requires_grad();
    let b = t(&[3.0], &[1]).requires_grad();
    let unused = t(&[4.0], &[1]).requires_grad();
    let constant = t(&[5.0, 6.0], &[2]);
    let h = a.mul(&b).unwrap();
    let loss = h.add(&constant).unwrap().sum_all().unwrap();
    let g = loss.backward().unwrap();
    assert_eq!(g.len(), 2);
    assert!(g.get(&h).is_none(), "intermediates get no stored gradient");
    assert!(g.get(&loss).is_none());
    assert!(g.get(&constant).is_none());
    assert!(g.get(&unused).is_none());
    assert_close(g.get(&a).unwrap(), &[3.0, 3.0], 0.0);
    assert_close(g.get(&b).unwrap(), &[3.0], 0.0);
    assert!(a.is_leaf_var() && !h.is_leaf_var() && h.tracks_grad());
}

#[test]
fn gradients_can_be_taken_out_of_the_store() {
    let a = t(&[2.0], &[1]).requires_grad();
    let mut g = a.square().unwrap().sum_all().unwrap().backward().unwrap();
    let ga = g.remove(&a).unwrap();
    assert_close(&ga, &[4.0], 0.0);
    assert!(g.is_empty());
    assert!(!ga.tracks_grad(), "a gradient is a plain tensor, not part of a graph");
}

#[test]
fn a_leaf_shares_storage_with_the_tensor_it_was_made_from() {
    let x = t(&[1.0, 2.0], &[2]);
    let v = x.requires_grad();
    v.update_f32(|d| d[0] = 10.0).unwrap();
    assert_close(&x, &[10.0, 2.0], 0.0);
    assert_ne!(x.id(), v.id());
}

#[test]
fn a_long_chain_does_not_overflow_the_stack() {
    let x = t(&[0.5], &[1]).requires_grad();
    let mut y = x.clone();
    for _ in 0..20_000 {
        y = y.add_scalar(1e-4).unwrap();
    }
    let g = y.sum_all().unwrap().backward().unwrap();
    assert_close(g.get(&x).unwrap(), &[1.0], 0.0);
}

#[test]
fn the_gradient_checker_reports_a_mismatch() {
    // relu at exactly 0: autodiff says 0, the central difference says 1/2.
    let err = check_gradients(|v| v[0].relu(), &[t(&[0.0, 1.0], &[2])], GradCheck::default()).unwrap_err();
    assert!(err.to_string().contains("gradient check failed for input 0 (shape (2,)) at element 0"), "{err}");
    // And counts the elements it checked when all agree.
    let n = check_gradients(|v| v[0].mul(&v[1]), &[t(&[1.0, 2.0], &[2]), t(&[3.0], &[1])], GradCheck::default());
    assert_eq!(n.unwrap(), 3);
}

#[test]
fn on_pool_carries_the_callers_recording_state() {
    use fovea_core::{on_pool, Tensor};
    assert!(on_pool(is_grad_enabled));
    assert!(!no_grad(|| on_pool(is_grad_enabled)));
    // Ops run on the pool under the caller's no_grad record nothing...
    let w = Tensor::from_vec(vec![1.0f32, 2.0], [2]).unwrap().requires_grad();
    let y = no_grad(|| on_pool(|| w.mul_scalar(3.0))).unwrap();
    assert!(!y.tracks_grad());
    // ...and the pool thread's own state is restored afterwards.
    assert!(on_pool(is_grad_enabled));
    // A backward (which runs on the pool) still reaches the caller's variables.
    let g = w.mul(&w).unwrap().sum_all().unwrap().backward().unwrap();
    assert_eq!(g.get(&w).unwrap().to_vec_f32().unwrap(), [2.0, 4.0]);
}
