//! The 25 kinds of object the scene world draws: fruits and vegetables as at the
//! lecture's fruit stand, and a few other things. Each has a silhouette, colour variants
//! (the attribute captions name), a surface texture and a typical size.

/// What a kind is, for captions ("there are many vegetables at the fruit stand").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// Apples, bananas, grapes ...
    Fruit,
    /// Carrots, broccoli, peppers ...
    Vegetable,
    /// Cups, balls, books ...
    Thing,
}

impl Category {
    /// The plural a caption uses.
    pub fn plural(self) -> &'static str {
        match self {
            Category::Fruit => "fruits",
            Category::Vegetable => "vegetables",
            Category::Thing => "things",
        }
    }
}

/// A silhouette in the object's own frame (unit radius, y down).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Silhouette {
    /// An ellipse `aspect` times wider than tall.
    Ellipse(f32),
    /// A banana's crescent.
    Crescent,
    /// A small circle over a big one.
    Pear,
    /// Wide at the top, pointed at the bottom.
    Heart,
    /// A bunch of small circles in a triangle.
    Bunch,
    /// Two small circles side by side.
    Pair,
    /// A long triangle, point down.
    Taper,
    /// A crown of florets on a stem.
    Tree,
    /// A cap on a stem.
    Mushroom,
    /// Round with a pointed top.
    Teardrop,
    /// A rounded square.
    Squircle,
    /// A rectangle `aspect` times longer than wide, with round ends.
    Capsule(f32),
    /// A mug with a handle on the right.
    Cup,
    /// A flat rectangle.
    Slab,
    /// A body with a narrow neck.
    Bottle,
    /// Five petals round a centre.
    Flower,
}

/// A surface pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Texture {
    /// Smooth with slight mottling.
    Smooth,
    /// Small light seeds.
    Seeds,
    /// Dark stripes along the long axis.
    Stripes,
    /// Grooves from top to bottom.
    Ribs,
    /// A grid of kernels.
    Kernels,
    /// A band of another colour round the middle.
    Band,
    /// Coarse bumps.
    Bumpy,
}

/// One kind of object.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    /// The class name and the caption noun.
    pub name: &'static str,
    /// The noun's plural.
    pub plural: &'static str,
    /// Fruit, vegetable or thing.
    pub category: Category,
    /// The outline.
    pub silhouette: Silhouette,
    /// Colour variants: the caption word and the base RGB.
    pub colours: &'static [(&'static str, [u8; 3])],
    /// The surface.
    pub texture: Texture,
    /// Typical radius relative to an apple's.
    pub size: f32,
}

const RED: [u8; 3] = [196, 32, 36];
const GREEN: [u8; 3] = [92, 168, 48];
const YELLOW: [u8; 3] = [236, 204, 52];
const ORANGE: [u8; 3] = [236, 128, 28];
const PURPLE: [u8; 3] = [96, 40, 112];
const BROWN: [u8; 3] = [140, 96, 56];
const WHITE: [u8; 3] = [232, 228, 216];
const BLUE: [u8; 3] = [44, 84, 188];
const DARK_GREEN: [u8; 3] = [40, 110, 40];

macro_rules! kinds {
    ($($name:literal $plural:literal $cat:ident $sil:expr, [$(($cn:literal, $c:expr)),+], $tex:ident, $size:literal;)+) => {
        /// Every kind, in class-index order (sorted by name, as image folders list them).
        pub const KINDS: &[Kind] = &[$(Kind {
            name: $name,
            plural: $plural,
            category: Category::$cat,
            silhouette: $sil,
            colours: &[$(($cn, $c)),+],
            texture: Texture::$tex,
            size: $size,
        }),+];
    };
}

kinds! {
    "apple" "apples" Fruit Silhouette::Ellipse(1.05), [("red", RED), ("green", GREEN), ("yellow", YELLOW)], Smooth, 1.0;
    "ball" "balls" Thing Silhouette::Ellipse(1.0), [("blue", BLUE), ("red", RED), ("white", WHITE)], Band, 1.1;
    "banana" "bananas" Fruit Silhouette::Crescent, [("yellow", YELLOW), ("green", GREEN)], Smooth, 1.4;
    "book" "books" Thing Silhouette::Slab, [("blue", BLUE), ("red", RED), ("green", DARK_GREEN)], Smooth, 1.3;
    "bottle" "bottles" Thing Silhouette::Bottle, [("green", DARK_GREEN), ("blue", BLUE), ("brown", BROWN)], Smooth, 1.4;
    "broccoli" "broccoli" Vegetable Silhouette::Tree, [("green", DARK_GREEN)], Bumpy, 1.2;
    "carrot" "carrots" Vegetable Silhouette::Taper, [("orange", ORANGE)], Ribs, 1.3;
    "cherry" "cherries" Fruit Silhouette::Pair, [("red", RED), ("dark", [110, 16, 32])], Smooth, 0.7;
    "corn" "corn cobs" Vegetable Silhouette::Capsule(2.4), [("yellow", YELLOW), ("white", WHITE)], Kernels, 1.4;
    "cucumber" "cucumbers" Vegetable Silhouette::Capsule(3.0), [("green", DARK_GREEN)], Bumpy, 1.4;
    "cup" "cups" Thing Silhouette::Cup, [("white", WHITE), ("blue", BLUE), ("red", RED)], Smooth, 1.0;
    "eggplant" "eggplants" Vegetable Silhouette::Pear, [("purple", PURPLE), ("white", WHITE)], Smooth, 1.3;
    "flower" "flowers" Thing Silhouette::Flower, [("red", RED), ("yellow", YELLOW), ("purple", PURPLE), ("white", WHITE)], Smooth, 1.0;
    "grapes" "bunches of grapes" Fruit Silhouette::Bunch, [("purple", PURPLE), ("green", GREEN)], Smooth, 1.2;
    "lemon" "lemons" Fruit Silhouette::Ellipse(1.35), [("yellow", YELLOW)], Bumpy, 0.85;
    "lime" "limes" Fruit Silhouette::Ellipse(1.15), [("green", GREEN)], Bumpy, 0.75;
    "mushroom" "mushrooms" Vegetable Silhouette::Mushroom, [("brown", BROWN), ("white", WHITE)], Smooth, 0.8;
    "onion" "onions" Vegetable Silhouette::Teardrop, [("brown", [176, 120, 64]), ("red", [150, 40, 90]), ("white", WHITE)], Stripes, 0.9;
    "orange" "oranges" Fruit Silhouette::Ellipse(1.0), [("orange", ORANGE)], Bumpy, 1.0;
    "pear" "pears" Fruit Silhouette::Pear, [("green", GREEN), ("yellow", YELLOW)], Seeds, 1.1;
    "pepper" "peppers" Vegetable Silhouette::Squircle, [("red", RED), ("green", GREEN), ("yellow", YELLOW)], Ribs, 1.0;
    "potato" "potatoes" Vegetable Silhouette::Ellipse(1.4), [("brown", [168, 128, 80])], Seeds, 0.95;
    "pumpkin" "pumpkins" Vegetable Silhouette::Ellipse(1.25), [("orange", ORANGE)], Ribs, 1.6;
    "strawberry" "strawberries" Fruit Silhouette::Heart, [("red", RED)], Seeds, 0.7;
    "watermelon" "watermelons" Fruit Silhouette::Ellipse(1.3), [("green", DARK_GREEN)], Stripes, 1.8;
}

/// The attribute-object pairs held out of train, val and test: only the `novel` split
/// shows them, so a captioner can be asked about combinations it never saw.
pub const NOVEL: &[(&str, &str)] =
    &[("apple", "yellow"), ("pepper", "yellow"), ("grapes", "green"), ("cup", "red"), ("ball", "white")];

/// Whether `kind` in colour `colour` is held out for the novel split.
pub fn is_novel(kind: &str, colour: &str) -> bool {
    NOVEL.iter().any(|&(k, c)| k == kind && c == colour)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_many_sorted_unique_and_keep_a_colour_outside_the_novel_pairs() {
        assert!(KINDS.len() >= 20);
        assert!(KINDS.windows(2).all(|w| w[0].name < w[1].name), "sorted by name, no duplicates");
        for k in KINDS {
            assert!(k.colours.iter().any(|(c, _)| !is_novel(k.name, c)), "{} has a non-novel colour", k.name);
        }
        for (k, c) in NOVEL {
            let kind = KINDS.iter().find(|x| x.name == *k).unwrap();
            assert!(kind.colours.iter().any(|(n, _)| n == c), "{k} has no colour {c}");
        }
    }
}
