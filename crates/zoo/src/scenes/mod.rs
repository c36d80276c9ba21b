//! A procedural world of colour scenes, since no colour image set ships in a package:
//! fruits, vegetables and other things on tables, in crates, on grass and at market
//! stands, each image with a class (its main object) and five English captions.
//!
//! A scene is a pure function of `(seed, split, index)`: the same seed gives the same
//! files on any number of threads. What varies: the main object's kind (25, see
//! [`KINDS`]), colour, count (one to many), size, rotation and position; 0-3 distractors
//! of other kinds that may occlude it; the background ([`Place`]); the light's direction,
//! strength and colour. Kinds share colours (red apples, tomatoes, cherries,
//! strawberries; yellow lemons, bananas, corn) so that shape, not colour, tells them
//! apart: a linear classifier on pixels stays far below a CNN.
//!
//! [`write_dataset`] writes the image folder (`DIR/{train,val,test,novel}/<class>/`) and a
//! Karpathy-style `dataset_scenes.json` with the captions.

mod captions;
mod kinds;
mod render;
mod write;

pub use captions::captions;
pub use kinds::{is_novel, Category, Kind, Silhouette, Texture, KINDS, NOVEL};
pub use render::render;
pub use write::{write_dataset, ScenesConfig, ScenesReport};

/// Where the objects are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A wooden table.
    Table,
    /// A crate of planks.
    Crate,
    /// A lawn.
    Grass,
    /// A market stand under a striped awning.
    Stand,
    /// A checkered tablecloth.
    Cloth,
}

const PLACES: [Place; 5] = [Place::Table, Place::Crate, Place::Grass, Place::Stand, Place::Cloth];

/// The light: direction in the image plane (towards the light), brightness and colour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Light {
    /// Unit-ish `(x, y)` towards the light, y down.
    pub dir: [f32; 2],
    /// Overall brightness (about 0.75-1.15).
    pub strength: f32,
    /// Per-channel colour of the light (warm or cool).
    pub tint: [f32; 3],
}

/// One object of a scene.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Object {
    /// Index into [`KINDS`].
    pub kind: usize,
    /// Index into the kind's colours.
    pub colour: usize,
    /// Centre, in pixels.
    pub cx: f32,
    /// Centre, in pixels.
    pub cy: f32,
    /// Radius, in pixels.
    pub radius: f32,
    /// Rotation, in radians.
    pub angle: f32,
    /// This object's own colour variation, per channel.
    pub tint: [f32; 3],
    /// One of the main objects (not a distractor).
    pub main: bool,
}

/// A scene: what to draw and what the captions say.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    /// The background.
    pub place: Place,
    /// The light.
    pub light: Light,
    /// In drawing order (later ones occlude earlier ones).
    pub objects: Vec<Object>,
    /// The class: index into [`KINDS`].
    pub main_kind: usize,
    /// How many main objects there are.
    pub main_count: usize,
    /// The image size the positions are in.
    pub size: usize,
    /// Seeds the textures.
    pub seed: u32,
}

/// A little random-number source on top of a 64-bit stream (splitmix64).
pub(crate) struct Draw(u64);

impl Draw {
    pub(crate) fn new(seed: u64) -> Self {
        Draw(seed)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[lo, hi)`.
    pub(crate) fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next() >> 40) as f32 / (1u64 << 24) as f32)
    }
    /// Uniform in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn chance(&mut self, p: f32) -> bool {
        self.range(0.0, 1.0) < p
    }
}

/// A colour of `kind` that the split may show: held-out pairs only in the novel split
/// (which shows nothing else for the kinds that have one).
fn pick_colour(d: &mut Draw, kind: usize, novel: bool) -> usize {
    let k = &KINDS[kind];
    let allowed: Vec<usize> = (0..k.colours.len()).filter(|&c| is_novel(k.name, k.colours[c].0) == novel).collect();
    // A kind without a held-out colour asked for a novel one keeps its usual colours.
    if allowed.is_empty() {
        return d.below(k.colours.len());
    }
    allowed[d.below(allowed.len())]
}

/// The scene with `seed`, for an image of `size` pixels, whose main objects are of kind
/// `main_kind` (an index into [`KINDS`]). `novel` draws them in a held-out colour (the
/// kind must have one, see [`NOVEL`]); otherwise no object ever has one. An error for a
/// kind index past [`KINDS`].
pub fn scene(seed: u64, size: usize, main_kind: usize, novel: bool) -> fovea_nn::Result<Scene> {
    if main_kind >= KINDS.len() {
        return Err(fovea_nn::Error::Data {
            what: "scenes".into(),
            msg: format!("main_kind {main_kind} is out of range: there are {} kinds", KINDS.len()),
        });
    }
    let mut d = Draw::new(seed);
    let s = size as f32;
    let main_colour = pick_colour(&mut d, main_kind, novel);
    let main_count = match d.range(0.0, 1.0) {
        p if p < 0.45 => 1,
        p if p < 0.7 => 2,
        p if p < 0.85 => 3,
        _ => 4 + d.below(3),
    };
    let place = PLACES[d.below(PLACES.len())];
    let angle = d.range(0.0, std::f32::consts::TAU);
    let light = Light {
        dir: [angle.cos() * 0.7, angle.sin() * 0.7],
        strength: d.range(0.75, 1.15),
        tint: {
            let warm = d.range(-0.12, 0.12);
            [1.0 + warm, 1.0, 1.0 - warm]
        },
    };
    // One size for all main objects (so "big" and "small" mean something), smaller when
    // there are many.
    let crowd = 1.0 / (main_count as f32).sqrt();
    let main_radius = s * d.range(0.11, 0.24) * KINDS[main_kind].size.sqrt() * crowd.max(0.55);
    let mut objects = Vec::new();
    let distractors = d.below(4);
    let place_object = |d: &mut Draw, kind: usize, colour: usize, radius: f32, main: bool| {
        let margin = radius.min(s * 0.3);
        let spread = 0.04;
        Object {
            kind,
            colour,
            cx: d.range(margin, s - margin),
            cy: d.range(margin.max(if place == Place::Stand { s * 0.3 } else { 0.0 }), s - margin),
            radius: radius * d.range(0.9, 1.1),
            angle: d.range(-0.6, 0.6) + if d.chance(0.3) { std::f32::consts::PI } else { 0.0 },
            tint: [
                d.range(1.0 - spread * 3.0, 1.0 + spread),
                d.range(1.0 - spread, 1.0 + spread),
                d.range(1.0 - spread, 1.0 + spread),
            ],
            main,
        }
    };
    let mut mains: Vec<Object> =
        (0..main_count).map(|_| place_object(&mut d, main_kind, main_colour, main_radius, true)).collect();
    for _ in 0..distractors {
        let mut kind = d.below(KINDS.len());
        if kind == main_kind {
            kind = (kind + 1 + d.below(KINDS.len() - 1)) % KINDS.len();
        }
        let colour = pick_colour(&mut d, kind, false);
        let radius = main_radius.max(s * 0.1) * d.range(0.5, 0.85) * KINDS[kind].size.sqrt();
        let o = place_object(&mut d, kind, colour, radius, false);
        // Most distractors lie under the main objects; some cover part of them.
        if d.chance(0.75) {
            objects.push(o);
        } else {
            mains.push(o);
        }
    }
    objects.extend(mains);
    Ok(Scene { place, light, objects, main_kind, main_count, size, seed: (seed >> 32) as u32 ^ seed as u32 })
}
