//! The kernel thread pool's size: set at run time, or read from FOVEA_NUM_THREADS.
//! One test only: it changes the process environment, which no other test in this
//! binary may read at the same time.

use fovea_core::{num_threads, num_threads_from_env, set_num_threads, Error, Tensor};

#[test]
fn thread_count_is_set_at_run_time_and_parsed_from_the_environment() {
    set_num_threads(3).unwrap();
    assert_eq!(num_threads(), 3);
    // Kernels still run (and agree) on the resized pool, above the parallel threshold.
    let x = Tensor::arange(1 << 16).unwrap();
    let three = x.mul_scalar(0.5).unwrap().to_vec_f32().unwrap();
    set_num_threads(1).unwrap();
    assert_eq!(num_threads(), 1);
    assert_eq!(x.mul_scalar(0.5).unwrap().to_vec_f32().unwrap(), three);
    let err = set_num_threads(0).unwrap_err();
    assert_eq!(err.to_string(), "set_num_threads: the thread count must be at least 1");
    assert_eq!(num_threads(), 1, "a refused count leaves the pool as it was");

    std::env::remove_var("FOVEA_NUM_THREADS");
    assert_eq!(num_threads_from_env().unwrap(), None);
    for (value, want) in [("4", 4), (" 2 ", 2), ("16\n", 16)] {
        std::env::set_var("FOVEA_NUM_THREADS", value);
        assert_eq!(num_threads_from_env().unwrap(), Some(want), "{value:?}");
    }
    for bad in ["0", "-1", "abc", "", "2.5"] {
        std::env::set_var("FOVEA_NUM_THREADS", bad);
        let err = num_threads_from_env().unwrap_err();
        assert!(matches!(err, Error::Argument { op: "FOVEA_NUM_THREADS", .. }), "{bad:?}");
        assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
    }
    std::env::remove_var("FOVEA_NUM_THREADS");
}
