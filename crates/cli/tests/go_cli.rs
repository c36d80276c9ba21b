//! `fovea gtp`, `fovea go match` and `fovea go eval` end to end, on a tiny randomly
//! initialised policy network saved the way `fovea train go-policy` saves one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use fovea_core::Rng;
use fovea_go::policy::PolicyNet;
use fovea_zoo::go::PolicyConfig;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea-go-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A 2-layer, 4-filter policy network in `dir/tiny.safetensors`.
fn tiny_model(dir: &Path) -> PathBuf {
    let net =
        PolicyNet::build(&PolicyConfig { filters: 4, layers: 2, ..PolicyConfig::default() }, &mut Rng::new(5)).unwrap();
    let path = dir.join("tiny.safetensors");
    fovea_go::train::save_model(&path, &net, 0.0).unwrap();
    path
}

/// Runs `fovea ARGS` with `stdin`; (success, stdout, stderr).
fn fovea(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fovea"))
        .args(args)
        .env_remove("FOVEA_NUM_THREADS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn gtp_plays_19x19_with_the_network_and_refuses_other_sizes_for_genmove() {
    let dir = temp_dir("gtp");
    let model = tiny_model(&dir);
    let script = "1 name\n2 genmove b\n3 policy_top 2\n4 boardsize 9\n5 play b E5\n6 genmove w\n7 quit\n8 name\n";
    let (ok, out, err) = fovea(&["gtp", "--model", model.to_str().unwrap()], script);
    assert!(ok, "{err}");
    let responses: Vec<&str> = out.split("\n\n").collect();
    assert_eq!(responses[0], "=1 fovea");
    assert!(responses[1].starts_with("=2 ") && responses[1].len() <= 6, "{out}");
    let top: Vec<&str> = responses[2].strip_prefix("=3 ").unwrap().lines().collect();
    assert_eq!(top.len(), 2, "{out}");
    assert_eq!(
        &responses[3..7],
        ["=4", "=5", "?6 the policy network only knows 19x19 boards; this board is 9x9", "=7"]
    );
    assert_eq!(responses[7], "", "nothing after quit: {out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_model_says_how_to_train_one() {
    let (ok, _, err) = fovea(&["gtp", "--model", "/nonexistent/policy.safetensors"], "");
    assert!(!ok);
    assert!(err.contains("/nonexistent/policy.safetensors: no such model file; train one with"), "{err}");
    let (ok, _, err) = fovea(&["go", "eval", "--model", "/nonexistent/policy.safetensors", "x.sgf"], "");
    assert!(!ok && err.contains("train one with"), "{err}");
}

#[test]
fn eval_reports_top1_on_its_last_line_and_json_on_request() {
    let dir = temp_dir("eval");
    let model = tiny_model(&dir);
    let sgf = dir.join("games.sgf");
    std::fs::write(&sgf, "(;SZ[19];B[pd];W[dp];B[pp];W[dd])(;SZ[9];B[ee])(;SZ[19]HA[2]AB[pd][dp];W[dd])").unwrap();
    let (model, sgf) = (model.to_str().unwrap(), sgf.to_str().unwrap());
    let (ok, out, err) = fovea(&["go", "eval", "--model", model, sgf], "");
    assert!(ok, "{err}");
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("top-1 accuracy: 0.") || last.starts_with("top-1 accuracy: 1."), "{out}");
    assert!(last.ends_with(" (4 positions, 1 games)"), "{out}");
    assert!(out.contains("1 not 19x19, 1 handicap"), "{out}");
    let (ok, out, err) = fovea(&["go", "eval", "--model", model, "--json", "--symmetries", "8", "--handicap", sgf], "");
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!((v["positions"].as_u64(), v["games"].as_u64()), (Some(5), Some(2)));
    assert!(v["top1"].as_f64().unwrap() <= v["top5"].as_f64().unwrap());
    let (ok, _, err) = fovea(&["go", "eval", "--model", model, "--symmetries", "4", sgf], "");
    assert!(!ok && err.contains("symmetries must be 1 or 8, not 4"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn match_against_a_fake_engine_prints_json_and_writes_sgf() {
    if !Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success()) {
        println!("skipped: python3 is not on PATH");
        return;
    }
    let dir = temp_dir("match");
    let model = tiny_model(&dir);
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("../go/tests/fake_gtp.py");
    let opponent = format!("python3 '{}' --name passer", fake.display());
    let sgf_dir = dir.join("games");
    let args = [
        "go",
        "match",
        "--model",
        model.to_str().unwrap(),
        "--opponent",
        &opponent,
        "--games",
        "2",
        "--json",
        "--sgf-dir",
        sgf_dir.to_str().unwrap(),
    ];
    let (ok, out, err) = fovea(&args, "");
    assert!(ok, "{err}");
    // The passer never plays: the network wins as black (one stone, then a winning
    // pass) and as white (passing on komi).
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!((v["games"].as_u64(), v["wins"].as_u64(), v["losses"].as_u64()), (Some(2), Some(2), Some(0)));
    assert_eq!(v["win_rate"].as_f64(), Some(1.0));
    assert!(
        err.contains("game 1: fovea (black) won B+353.5") && err.contains("game 2: fovea (white) won W+7.5"),
        "{err}"
    );
    assert!(sgf_dir.join("game-001.sgf").is_file() && sgf_dir.join("game-002.sgf").is_file());
    // Plain output: per-game lines and the summary with its interval.
    let (ok, out, _) = fovea(&args[..args.len() - 3], "");
    assert!(ok);
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("fovea vs passer: 2 wins, 0 losses in 2 games, win rate 1.000 (95% CI 0.342-1.000)"),
        "{out}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn match_arguments_are_checked() {
    let (ok, _, err) = fovea(&["go", "match", "--opponent", "gnugo --mode gtp", "--size", "9"], "");
    assert!(!ok && err.contains("the policy network plays 19x19 only, not 9x9"), "{err}");
    let (ok, _, err) = fovea(&["go", "match", "--black", "gnugo --mode gtp"], "");
    assert!(!ok && err.contains("--white"), "{err}");
    let (ok, _, err) = fovea(&["go", "match", "--games", "1"], "");
    assert!(!ok && err.contains("give --opponent CMD, or both --black CMD and --white CMD"), "{err}");
    let (ok, _, err) = fovea(&["go", "match", "--black", "a", "--white", "b", "--move-timeout", "0"], "");
    assert!(!ok && err.contains("--move-timeout must be a positive number of seconds"), "{err}");
    assert!(!err.contains("panicked"));
}
