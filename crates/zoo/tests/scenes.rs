//! The scene world: deterministic images whatever the thread count, every class in every
//! split, held-out colour pairs only in the novel split, five different captions per
//! image, and a caption file in Karpathy's layout.

use std::path::PathBuf;

use fovea_zoo::scenes::{captions, is_novel, render, scene, write_dataset, ScenesConfig, KINDS, NOVEL};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fovea_scenes_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn a_scene_is_a_function_of_its_seed() {
    let a = render(&scene(42, 64, 3, false).unwrap(), 64);
    assert_eq!(a, render(&scene(42, 64, 3, false).unwrap(), 64));
    assert_ne!(a, render(&scene(43, 64, 3, false).unwrap(), 64));
    assert_eq!(a.len(), 64 * 64 * 3);
    // Not a flat image: objects, shading and texture give many distinct colours.
    let mut colours: Vec<&[u8]> = a.chunks(3).collect();
    colours.sort();
    colours.dedup();
    assert!(colours.len() > 500, "{} colours", colours.len());
}

#[test]
fn held_out_pairs_appear_only_in_the_novel_split() {
    for seed in 0..400u64 {
        let kind = (seed as usize) % KINDS.len();
        for o in scene(seed, 64, kind, false).unwrap().objects {
            let k = &KINDS[o.kind];
            assert!(!is_novel(k.name, k.colours[o.colour].0), "seed {seed}: {} {}", k.colours[o.colour].0, k.name);
        }
    }
    for (i, (name, colour)) in NOVEL.iter().enumerate() {
        let kind = KINDS.iter().position(|k| k.name == *name).unwrap();
        let s = scene(i as u64, 64, kind, true).unwrap();
        let main = s.objects.iter().find(|o| o.main).unwrap();
        assert_eq!(KINDS[main.kind].colours[main.colour].0, *colour);
    }
}

#[test]
fn every_image_gets_five_different_captions_naming_its_object() {
    for seed in 0..300u64 {
        let kind = (seed as usize * 7) % KINDS.len();
        let s = scene(seed, 96, kind, false).unwrap();
        let c = captions(&s, seed);
        assert_eq!(c.len(), 5);
        let mut unique = c.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 5, "seed {seed}: {c:?}");
        let k = &KINDS[kind];
        let mentions = c.iter().filter(|t| t.contains(k.name) || t.contains(k.plural)).count();
        assert!(mentions >= 3, "seed {seed}: {c:?}");
    }
}

#[test]
fn the_dataset_is_the_same_on_one_thread_and_on_several() {
    let config = |out: PathBuf| ScenesConfig { out, train: 30, val: 25, test: 25, novel: 5, size: 48, seed: 9 };
    let one = temp_dir("one");
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| write_dataset(&config(one.clone())))
        .unwrap();
    let many = temp_dir("many");
    let report = write_dataset(&config(many.clone())).unwrap();
    assert_eq!((report.images, report.sentences), (85, 425));
    let file = "train/apple/train_000000.png";
    assert_eq!(std::fs::read(one.join(file)).unwrap(), std::fs::read(many.join(file)).unwrap());
    assert_eq!(
        std::fs::read(one.join("dataset_scenes.json")).unwrap(),
        std::fs::read(many.join("dataset_scenes.json")).unwrap()
    );
    // Every class in every split (classes in turn), each with its PNGs.
    for split in ["train", "val", "test"] {
        let classes: Vec<_> = std::fs::read_dir(many.join(split)).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(classes.len(), KINDS.len(), "{split}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(many.join("dataset_scenes.json")).unwrap()).unwrap();
    let images = json["images"].as_array().unwrap();
    assert_eq!(images.len(), 85);
    let first = &images[0];
    assert_eq!((first["filename"].as_str(), first["split"].as_str()), (Some(file), Some("train")));
    let s = &first["sentences"][0];
    let raw = s["raw"].as_str().unwrap();
    let tokens: Vec<&str> = s["tokens"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(raw.split(' ').collect::<Vec<_>>(), tokens);
    assert!(images.iter().filter(|i| i["split"] == "novel").count() == 5);
    let _ = std::fs::remove_dir_all(one);
    let _ = std::fs::remove_dir_all(many);
}

#[test]
fn a_kind_past_the_list_is_an_error() {
    let err = scene(0, 64, KINDS.len(), false).unwrap_err().to_string();
    assert!(err.contains(&format!("main_kind {} is out of range", KINDS.len())), "{err}");
}

#[test]
fn a_too_small_size_is_refused() {
    let err =
        write_dataset(&ScenesConfig { out: temp_dir("small"), train: 1, val: 0, test: 0, novel: 0, size: 8, seed: 0 })
            .unwrap_err()
            .to_string();
    assert!(err.contains("--size must be at least 32, got 8"), "{err}");
}
