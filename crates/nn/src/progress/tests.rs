// Test-only module: declared under #[cfg(test)] in progress.rs.
//! Rendered text against Keras 3.15.1's `Progbar` driven with the same fake clock.
//! The expected strings come from running `keras.src.utils.progbar.Progbar` with
//! `time.time` patched to return the listed times (start at 100.0) and stdout captured,
//! ANSI codes and Keras's `\b` run stripped: tools/golden/progbar_text.py.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::*;

type Step<'a> = (f64, usize, &'a [(&'a str, f64)], Option<bool>);

/// Drives a bar with a clock that reads 100.0 at creation and `t` at each step.
fn run(config: ProgbarConfig, dynamic: bool, steps: &[Step]) -> String {
    let now = Arc::new(AtomicU64::new(100f64.to_bits()));
    let clock_now = now.clone();
    let clock: Clock = Box::new(move || f64::from_bits(clock_now.load(Ordering::SeqCst)));
    let mut bar = Progbar::new(config, Vec::new(), dynamic).with_clock(clock);
    for &(t, current, values, finalize) in steps {
        now.store(t.to_bits(), Ordering::SeqCst);
        match finalize {
            Some(f) => bar.update_with(current, values, f).unwrap(),
            None => bar.update(current, values).unwrap(),
        }
    }
    String::from_utf8(bar.into_inner()).unwrap()
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn target(t: Option<usize>) -> ProgbarConfig {
    ProgbarConfig { target: t, ..Default::default() }
}

const EPOCH: &[Step] = &[
    (100.5, 1, &[("accuracy", 0.5), ("loss", 1.0)], None),
    (100.588, 12, &[("accuracy", 0.9), ("loss", 0.3)], None),
    (104.2, 469, &[("accuracy", 0.95), ("loss", 0.2)], None),
];

#[test]
fn terminal_bar_matches_keras_eta_then_elapsed_with_step_weighted_averages() {
    let out = strip_ansi(&run(target(Some(469)), true, EPOCH));
    assert_eq!(
        out,
        "\r  1/469 ━━━━━━━━━━━━━━━━━━━━ 3:54 500ms/step - accuracy: 0.5000 - loss: 1.0000\
         \r 12/469 ━━━━━━━━━━━━━━━━━━━━ 3s 8ms/step - accuracy: 0.8667 - loss: 0.3583    \
         \r469/469 ━━━━━━━━━━━━━━━━━━━━ 4s 8ms/step - accuracy: 0.9500 - loss: 0.2000\n"
    );
}

#[test]
fn terminal_bar_is_coloured_like_keras() {
    let out = run(target(Some(4)), true, &[(101.0, 1, &[], None)]);
    assert_eq!(out, "\r\x1b[1m1/4\x1b[0m \x1b[32m━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━\x1b[0m \x1b[1m3s\x1b[0m 1s/step");
}

#[test]
fn non_terminal_prints_only_the_final_line_without_escapes() {
    let out = run(target(Some(469)), false, EPOCH);
    assert_eq!(out, "469/469 ━━━━━━━━━━━━━━━━━━━━ 4s 8ms/step - accuracy: 0.9500 - loss: 0.2000\n");
}

#[test]
fn long_etas_small_negative_and_nan_values_format_as_python() {
    let steps: &[Step] = &[
        (102.0, 1, &[("loss", 0.00012)], None),
        (172.0, 2, &[("loss", -0.5)], None),
        (173.0, 3, &[("loss", f64::NAN)], None),
    ];
    let out = strip_ansi(&run(target(Some(10000)), true, steps));
    assert_eq!(
        out,
        "\r    1/10000 ━━━━━━━━━━━━━━━━━━━━ 5:33:18 2s/step - loss: 1.2000e-04\
         \r    2/10000 ━━━━━━━━━━━━━━━━━━━━ 194:24:20 70s/step - loss: -0.2499\
         \r    3/10000 ━━━━━━━━━━━━━━━━━━━━ 98:34:53 36s/step - loss: nan     "
    );
}

#[test]
fn unknown_target_counts_and_shows_elapsed_time() {
    let steps: &[Step] = &[(101.0, 5, &[("loss", 2.0)], None), (103.0, 9, &[("loss", 1.0)], Some(true))];
    let out = strip_ansi(&run(target(None), true, steps));
    assert_eq!(out, "\r      5/Unknown 1s 200ms/step - loss: 2.0000\r      9/Unknown 3s 333ms/step - loss: 1.0000\n");
}

#[test]
fn verbose_two_prints_one_summary_line() {
    let config = ProgbarConfig { verbose: Verbosity::OneLine, ..target(Some(8)) };
    let steps: &[Step] = &[(101.0, 4, &[("loss", -0.5)], None), (102.5, 8, &[("loss", -0.25), ("acc", 0.75)], None)];
    assert_eq!(run(config, true, steps), "8/8 - 2s - 312ms/step - loss: -2.5000e-01 - acc: 0.7500\n");
}

#[test]
fn updates_closer_than_the_interval_are_skipped_but_still_averaged() {
    let steps: &[Step] =
        &[(100.01, 1, &[("loss", 4.0)], None), (100.02, 2, &[("loss", 2.0)], None), (100.2, 4, &[("loss", 1.0)], None)];
    let out = strip_ansi(&run(target(Some(100)), true, steps));
    assert_eq!(
        out,
        "\r  1/100 ━━━━━━━━━━━━━━━━━━━━ 0s 10ms/step - loss: 4.0000\
         \r  4/100 ━━━━━━━━━━━━━━━━━━━━ 6s 63ms/step - loss: 2.0000"
    );
}

#[test]
fn stateful_metrics_show_the_latest_value_and_silent_prints_nothing() {
    let config = ProgbarConfig { stateful_metrics: vec!["lr".into()], ..target(Some(2)) };
    let steps: &[Step] = &[(101.0, 1, &[("lr", 0.5)], None), (102.0, 2, &[("lr", 0.25)], Some(false))];
    let out = strip_ansi(&run(config, false, steps));
    assert_eq!(out, "");
    let config = ProgbarConfig { stateful_metrics: vec!["lr".into()], ..target(Some(3)) };
    let steps: &[Step] = &[(101.0, 1, &[("lr", 0.5)], None), (102.0, 2, &[("lr", 0.25)], None)];
    assert!(strip_ansi(&run(config, true, steps)).ends_with("lr: 0.2500"));
    let config = ProgbarConfig { verbose: Verbosity::Silent, ..target(Some(1)) };
    assert_eq!(run(config, true, &[(101.0, 1, &[("loss", 1.0)], None)]), "");
}

#[test]
fn python_number_formats() {
    assert_eq!(format_sci(1.5e-7), "1.5000e-07");
    assert_eq!(format_sci(0.0), "0.0000e+00");
    assert_eq!(format_sci(-1e-120), "-1.0000e-120");
    assert_eq!(format_fixed(f64::NEG_INFINITY), "-inf");
    assert_eq!(format_eta(3661.9), "1:01:01");
    assert_eq!(format_eta(60.5), "1:00");
    assert_eq!(format_time(0.0005, "step"), " 500us/step");
}
