//! Five different English captions per scene from a small grammar: counts, colours,
//! sizes, places and spatial relations ("there are many vegetables at the fruit stand",
//! "two red apples to the left of a green pear").

use super::kinds::{Category, KINDS};
use super::{Draw, Object, Place, Scene};

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// "a red apple", "two small green pears", "many carrots".
fn noun_phrase(kind: usize, colour: usize, count: usize, size: Option<&str>, d: &mut Draw) -> String {
    let k = &KINDS[kind];
    let colour = k.colours[colour].0;
    let adjectives: Vec<&str> = size.into_iter().chain(d.chance(0.8).then_some(colour)).collect();
    let adj = adjectives.join(" ");
    let noun = if count == 1 { k.name } else { k.plural };
    let words = if adj.is_empty() { noun.to_string() } else { format!("{adj} {noun}") };
    match count {
        1 => format!("{} {words}", if d.chance(0.2) { "one" } else { article(&words) }),
        2 => format!("two {words}"),
        3 => format!("three {words}"),
        _ => format!("{} {words}", ["many", "several", "a pile of", "lots of"][d.below(4)]),
    }
}

fn place_phrase(place: Place, category: Category, d: &mut Draw) -> &'static str {
    let options: &[&str] = match place {
        Place::Table => &["on a wooden table", "on the table", "on a brown table"],
        Place::Crate => &["in a wooden crate", "in a crate", "in a box of planks"],
        Place::Grass => &["on the grass", "on a lawn", "on green grass"],
        Place::Stand => match category {
            Category::Fruit => &["at the fruit stand", "at the market stand", "under a striped awning"],
            Category::Vegetable => &["at the vegetable stand", "at the market", "under a striped awning"],
            Category::Thing => &["at the market stand", "at a stall", "under a striped awning"],
        },
        Place::Cloth => &["on a checkered tablecloth", "on a red and white tablecloth", "on a picnic cloth"],
    };
    options[d.below(options.len())]
}

/// Where `a` is relative to `b`, in words.
fn relation(a: &Object, b: &Object) -> &'static str {
    let (dx, dy) = (a.cx - b.cx, a.cy - b.cy);
    if (dx * dx + dy * dy).sqrt() < (a.radius + b.radius) * 0.8 {
        "next to"
    } else if dx.abs() > dy.abs() {
        if dx < 0.0 {
            "to the left of"
        } else {
            "to the right of"
        }
    } else if dy < 0.0 {
        "above"
    } else {
        "below"
    }
}

/// The scene's five captions (none for a scene without objects), all different, in lower case without final punctuation
/// (Karpathy's `raw` keeps them as written; tokens split on spaces).
pub fn captions(scene: &Scene, seed: u64) -> Vec<String> {
    let mut d = Draw::new(seed ^ 0x00C0_FFEE);
    // A scene built by hand may hold no main object (or nothing at all).
    let Some(main) = scene.objects.iter().find(|o| o.main).or(scene.objects.first()).copied() else {
        return Vec::new();
    };
    let kind = &KINDS[scene.main_kind];
    let n = scene.main_count;
    let rel_size = main.radius / scene.size as f32;
    let size = if rel_size > 0.21 {
        Some(["big", "large"][d.below(2)])
    } else if rel_size < 0.1 {
        Some("small")
    } else {
        None
    };
    let distractor = scene.objects.iter().find(|o| !o.main).copied();
    let all: Vec<Category> = scene.objects.iter().map(|o| KINDS[o.kind].category).collect();
    let category = if all.iter().all(|&c| c == kind.category) { kind.category } else { Category::Thing };
    let total = scene.objects.len();
    let mut pool: Vec<String> = Vec::new();
    let np = |d: &mut Draw| noun_phrase(scene.main_kind, main.colour, n, size, d);
    pool.push(format!("{} {}", np(&mut d), place_phrase(scene.place, kind.category, &mut d)));
    let be = if n == 1 { "is" } else { "are" };
    pool.push(format!("there {be} {} {}", np(&mut d), place_phrase(scene.place, kind.category, &mut d)));
    if let Some(o) = distractor {
        let other = noun_phrase(o.kind, o.colour, 1, None, &mut d);
        pool.push(format!("{} {} {other}", np(&mut d), relation(&main, &o)));
        let others = scene.objects.iter().filter(|o| !o.main).count();
        let things = if others == 1 { "other thing" } else { "other things" };
        let count = ["one", "two", "three"][others.min(3) - 1];
        pool.push(format!("{} with {count} {things} {}", np(&mut d), place_phrase(scene.place, kind.category, &mut d)));
    } else {
        pool.push(format!("{} and nothing else", np(&mut d)));
    }
    let amount = match total {
        1 => "one of the",
        2 | 3 => ["some", "a few"][d.below(2)],
        _ => "many",
    };
    if total > 1 {
        pool.push(format!("there are {amount} {} {}", category.plural(), place_phrase(scene.place, category, &mut d)));
    }
    let side = {
        let [lx, ly] = scene.light.dir;
        if lx.abs() > ly.abs() {
            if lx < 0.0 {
                "left"
            } else {
                "right"
            }
        } else if ly < 0.0 {
            "top"
        } else {
            "bottom"
        }
    };
    pool.push(format!("{} lit from the {side}", np(&mut d)));
    pool.push(format!("a photo of {}", np(&mut d)));
    if size == Some("big") || size == Some("large") {
        pool.push(format!("a close up of {}", noun_phrase(scene.main_kind, main.colour, n.min(1), None, &mut d)));
    }
    pool.push(format!("{} seen from above", np(&mut d)));
    // Five of them in a seeded order. The templates' fixed words differ, so the pool
    // (six at least) holds no two equal captions.
    (0..5).map(|_| pool.swap_remove(d.below(pool.len()))).collect()
}
