//! The 8 symmetries of the square board (the dihedral group D4), for augmenting
//! training positions and averaging the network over rotations.

use crate::{Move, Vertex};

/// One of the 8 dihedral transforms. Bit 2 transposes (`(x, y) -> (y, x)`), then bit 0
/// mirrors left-right (`x -> size-1-x`) and bit 1 mirrors top-bottom; `Symmetry(0)` is
/// the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Symmetry(pub u8);

impl Symmetry {
    pub const IDENTITY: Symmetry = Symmetry(0);
    /// All 8, the identity first.
    pub const ALL: [Symmetry; 8] =
        [Symmetry(0), Symmetry(1), Symmetry(2), Symmetry(3), Symmetry(4), Symmetry(5), Symmetry(6), Symmetry(7)];

    fn transposes(self) -> bool {
        self.0 & 4 != 0
    }

    /// Where `v` goes on a board of side `size`.
    #[inline]
    pub fn apply(self, size: usize, v: Vertex) -> Vertex {
        let (mut x, mut y) = (v.x as usize, v.y as usize);
        if self.transposes() {
            std::mem::swap(&mut x, &mut y);
        }
        if self.0 & 1 != 0 {
            x = size - 1 - x;
        }
        if self.0 & 2 != 0 {
            y = size - 1 - y;
        }
        Vertex::new(x, y)
    }

    /// The move `mv` transformed (a pass stays a pass).
    pub fn apply_move(self, size: usize, mv: Move) -> Move {
        match mv {
            Move::Pass => Move::Pass,
            Move::Play(v) => Move::Play(self.apply(size, v)),
        }
    }

    /// The transform that undoes this one. Mirrors and the transpose commute except
    /// that moving a mirror across the transpose swaps its axis, so an inverse with a
    /// transpose swaps the two mirror bits.
    pub fn inverse(self) -> Symmetry {
        if self.transposes() {
            Symmetry((self.0 & 4) | ((self.0 & 1) << 1) | ((self.0 & 2) >> 1))
        } else {
            self
        }
    }

    /// Moves each point's `channels` values to where [`apply`](Self::apply) sends the
    /// point: `dst[apply(v)] = src[v]`.
    ///
    /// # Shapes
    /// `src` and `dst` are both `(size, size, channels)` HWC.
    pub fn transform_planes(self, size: usize, channels: usize, src: &[f32], dst: &mut [f32]) {
        let n = size * size * channels;
        assert!(
            src.len() == n && dst.len() == n,
            "transform_planes: src has {} and dst {} values, but (size, size, channels) = ({size}, {size}, {channels}) \
             needs {n}",
            src.len(),
            dst.len()
        );
        for y in 0..size {
            for x in 0..size {
                let t = self.apply(size, Vertex::new(x, y));
                let from = (y * size + x) * channels;
                let to = (t.y as usize * size + t.x as usize) * channels;
                dst[to..to + channels].copy_from_slice(&src[from..from + channels]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_symmetry_composed_with_its_inverse_is_the_identity() {
        let size = 5;
        for s in Symmetry::ALL {
            for y in 0..size {
                for x in 0..size {
                    let v = Vertex::new(x, y);
                    assert_eq!(s.inverse().apply(size, s.apply(size, v)), v, "{s:?}");
                    assert_eq!(s.apply(size, s.inverse().apply(size, v)), v, "{s:?}");
                }
            }
        }
    }

    #[test]
    fn the_eight_symmetries_send_a_corner_point_to_eight_places() {
        // (1, 0) is off the diagonal, so its orbit has all 8 images.
        let images: std::collections::HashSet<_> =
            Symmetry::ALL.iter().map(|s| s.apply(19, Vertex::new(1, 0))).collect();
        assert_eq!(images.len(), 8);
        assert_eq!(Symmetry(4).apply(19, Vertex::new(1, 0)), Vertex::new(0, 1));
        assert_eq!(Symmetry(1).apply(19, Vertex::new(1, 0)), Vertex::new(17, 0));
        assert_eq!(Symmetry(2).apply(19, Vertex::new(1, 0)), Vertex::new(1, 18));
    }

    #[test]
    fn transform_planes_moves_every_channel_of_a_point_together() {
        let (size, channels) = (3, 2);
        let src: Vec<f32> = (0..size * size * channels).map(|i| i as f32).collect();
        let mut dst = vec![0.0; src.len()];
        // A quarter turn: transpose then mirror left-right sends (x, y) to (2 - y, x).
        Symmetry(5).transform_planes(size, channels, &src, &mut dst);
        // Point (1, 0) (values 2, 3) lands on (2, 1).
        assert_eq!(&dst[(size + 2) * channels..][..2], &[2.0, 3.0]);
        let mut back = vec![0.0; src.len()];
        Symmetry(5).inverse().transform_planes(size, channels, &dst, &mut back);
        assert_eq!(back, src);
    }
}
