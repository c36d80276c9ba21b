//! Drawing a scene: a textured background, soft shadows, then each object as a shaded,
//! textured silhouette in painter's order (later objects occlude earlier ones), then the
//! scene's light colour and a little sensor noise. Pure arithmetic per pixel, seeded by
//! the scene, so an image never depends on the thread that draws it.

use super::kinds::{Silhouette, Texture, KINDS};
use super::{Object, Place, Scene};

/// A hash of integer coordinates into `[0, 1)`: the noise behind every texture.
fn hash(x: i32, y: i32, seed: u32) -> f32 {
    let mut h =
        (x as u32).wrapping_mul(0x8da6_b343) ^ (y as u32).wrapping_mul(0xd816_3841) ^ seed.wrapping_mul(0xcb1a_b31f);
    h ^= h >> 13;
    h = h.wrapping_mul(0x5bd1_e995);
    h ^= h >> 15;
    (h & 0x00ff_ffff) as f32 / 16_777_216.0
}

/// Smooth value noise at scale `cell` pixels.
fn noise(x: f32, y: f32, cell: f32, seed: u32) -> f32 {
    let (fx, fy) = (x / cell, y / cell);
    let (ix, iy) = (fx.floor() as i32, fy.floor() as i32);
    let (tx, ty) = (fx - ix as f32, fy - iy as f32);
    let (sx, sy) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
    let a = hash(ix, iy, seed) + (hash(ix + 1, iy, seed) - hash(ix, iy, seed)) * sx;
    let b = hash(ix, iy + 1, seed) + (hash(ix + 1, iy + 1, seed) - hash(ix, iy + 1, seed)) * sx;
    a + (b - a) * sy
}

/// The background's colour at pixel `(x, y)` of an `s`-pixel image.
fn background(place: Place, x: f32, y: f32, s: f32, seed: u32) -> [f32; 3] {
    let n = noise(x, y, s / 24.0, seed);
    match place {
        Place::Table => {
            let grain = ((y / s * 40.0 + 3.0 * noise(x, y, s / 6.0, seed + 1)).sin() * 0.5 + 0.5) * 0.25;
            let v = 0.8 + grain - 0.1 * n;
            [0.55 * v, 0.36 * v, 0.2 * v]
        }
        Place::Crate => {
            let plank = (y / s * 5.0).fract();
            let gap = if plank < 0.06 { 0.35 } else { 1.0 };
            let v = gap * (0.85 + 0.15 * n);
            [0.72 * v, 0.58 * v, 0.36 * v]
        }
        Place::Grass => {
            let blades = noise(x, y * 0.25, s / 64.0, seed + 2);
            let v = 0.6 + 0.4 * blades;
            [0.2 * v, 0.5 * v + 0.1 * n, 0.15 * v]
        }
        Place::Stand => {
            if y < s * 0.22 {
                // The awning: red and white stripes.
                let stripe = ((x / s * 8.0) as i32) % 2 == 0;
                let v = 0.9 + 0.1 * n;
                if stripe {
                    [0.8 * v, 0.12 * v, 0.12 * v]
                } else {
                    [0.95 * v, 0.93 * v, 0.9 * v]
                }
            } else {
                let v = 0.75 + 0.2 * n;
                [0.45 * v, 0.42 * v, 0.38 * v]
            }
        }
        Place::Cloth => {
            let check = (((x / s * 10.0) as i32) + ((y / s * 10.0) as i32)) % 2 == 0;
            let v = 0.85 + 0.15 * n;
            if check {
                [0.85 * v, 0.2 * v, 0.2 * v]
            } else {
                [0.95 * v, 0.95 * v, 0.92 * v]
            }
        }
    }
}

/// Distance measure inside a silhouette: 0 at the centre line, 1 at the outline, `None`
/// outside; and which part (0 body, 1 stem, handle, centre or neck).
fn shape(sil: Silhouette, qx: f32, qy: f32) -> Option<(f32, u8)> {
    let circle = |cx: f32, cy: f32, r: f32| ((qx - cx).powi(2) + (qy - cy).powi(2)).sqrt() / r;
    let inside = |rho: f32, part: u8| (rho < 1.0).then_some((rho, part));
    match sil {
        Silhouette::Ellipse(a) => inside(((qx / a).powi(2) + qy * qy).sqrt(), 0),
        Silhouette::Crescent => {
            let d = ((qx * qx + (qy + 1.2).powi(2)).sqrt() - 1.5).abs();
            let t = 0.32 * (1.0 - (qx / 1.2).powi(2)).max(0.0);
            if qy > -1.2 && t > 0.0 {
                inside(d / t, 0)
            } else {
                None
            }
        }
        Silhouette::Pear => inside(circle(0.0, 0.35, 0.68).min(circle(0.0, -0.4, 0.45)), 0),
        Silhouette::Heart => {
            let w = 0.25 + 0.65 * (1.0 - qy) / 2.0;
            inside(((qx / w).powi(2) + qy * qy).sqrt(), 0)
        }
        Silhouette::Bunch => {
            const O: [(f32, f32); 9] = [
                (-0.6, -0.55),
                (0.0, -0.6),
                (0.6, -0.55),
                (-0.3, -0.05),
                (0.3, -0.05),
                (-0.55, 0.0),
                (0.55, 0.0),
                (0.0, 0.45),
                (0.0, 0.0),
            ];
            inside(O.iter().map(|&(x, y)| circle(x, y, 0.36)).fold(f32::MAX, f32::min), 0)
        }
        Silhouette::Pair => {
            let stem = qx.abs() < 0.05 && (-1.0..-0.2).contains(&qy);
            if stem {
                return Some((0.5, 1));
            }
            inside(circle(-0.42, 0.25, 0.48).min(circle(0.42, 0.25, 0.48)), 0)
        }
        Silhouette::Taper => {
            if !(-1.0..1.0).contains(&qy) {
                return None;
            }
            if qy < -0.75 {
                return (qx.abs() < 0.2).then_some((0.5, 1));
            }
            let w = 0.42 * (1.0 - qy) / 1.75;
            inside((qx / w).abs(), 0)
        }
        Silhouette::Tree => {
            if qy > 0.1 {
                return (qx.abs() < 0.22 && qy < 1.0).then_some(((qx / 0.22).abs(), 1));
            }
            let florets = [(-0.5, -0.1), (0.5, -0.1), (0.0, -0.45), (-0.3, -0.55), (0.3, -0.55), (0.0, 0.0)];
            inside(florets.iter().map(|&(x, y)| circle(x, y, 0.42)).fold(f32::MAX, f32::min), 0)
        }
        Silhouette::Mushroom => {
            if qy > -0.05 {
                return (qx.abs() < 0.28 && qy < 0.9).then_some(((qx / 0.28).abs(), 1));
            }
            inside((qx * qx + ((qy + 0.05) / 0.75).powi(2)).sqrt(), 0)
        }
        Silhouette::Teardrop => {
            let body = circle(0.0, 0.25, 0.75);
            let tip = if qy < -0.3 && qy > -1.0 { qx.abs() / (0.6 * (qy + 1.0) / 0.7) } else { f32::MAX };
            inside(body.min(tip), 0)
        }
        Silhouette::Squircle => inside((qx.powi(4) + qy.powi(4)).powf(0.25), 0),
        Silhouette::Capsule(a) => {
            let half = a / 2.0 - 0.5;
            let dx = (qx.abs() - half).max(0.0);
            inside((dx * dx + qy * qy).sqrt() / 0.5 * 0.9, 0)
        }
        Silhouette::Cup => {
            let handle = ((qx - 0.75).powi(2) + qy * qy).sqrt();
            if (0.25..0.4).contains(&handle) && qx > 0.75 {
                return Some((0.5, 1));
            }
            let rho = (qx / 0.7).abs().max((qy / 0.85).abs());
            inside(rho, 0)
        }
        Silhouette::Slab => inside(qx.abs().max((qy / 0.72).abs()).powi(6), 0),
        Silhouette::Bottle => {
            if qy < -0.35 {
                return (qx.abs() < 0.18 && qy > -1.0).then_some(((qx / 0.18).abs(), 1));
            }
            inside((qx / 0.45).abs().max(((qy - 0.3) / 0.7).abs()).powi(3), 0)
        }
        Silhouette::Flower => {
            let r = (qx * qx + qy * qy).sqrt();
            if r < 0.28 {
                return Some((r / 0.28, 1));
            }
            let phi = qy.atan2(qx);
            let petal = 0.45 + 0.55 * (2.5 * phi).cos().abs();
            inside(r / petal, 0)
        }
    }
}

/// The colour of a part other than the body.
fn part_colour(sil: Silhouette) -> [f32; 3] {
    match sil {
        Silhouette::Tree => [0.55, 0.72, 0.35],
        Silhouette::Mushroom => [0.9, 0.86, 0.76],
        Silhouette::Flower => [0.95, 0.8, 0.15],
        Silhouette::Pair | Silhouette::Taper => [0.3, 0.45, 0.15],
        _ => [1.0, 1.0, 1.0],
    }
}

/// How the texture changes the body's brightness at local `(qx, qy)`.
fn texture(tex: Texture, qx: f32, qy: f32, seed: u32) -> f32 {
    match tex {
        Texture::Smooth => 1.0 - 0.08 * noise(qx * 40.0, qy * 40.0, 12.0, seed),
        Texture::Seeds => {
            let (gx, gy) = ((qx * 7.0).round(), (qy * 7.0).round());
            let d = ((qx * 7.0 - gx).powi(2) + (qy * 7.0 - gy).powi(2)).sqrt();
            if d < 0.18 {
                1.45
            } else {
                1.0
            }
        }
        Texture::Stripes => 1.0 - 0.35 * ((qx * 9.0 + 0.6 * (qy * 3.0).sin()).sin() > 0.3) as u8 as f32,
        Texture::Ribs => 0.82 + 0.18 * (qx * 10.0).cos().abs(),
        Texture::Kernels => {
            let (u, v) = ((qx * 9.0).fract().abs(), (qy * 5.0).fract().abs());
            if u < 0.15 || v < 0.15 {
                0.7
            } else {
                1.05
            }
        }
        Texture::Band => 1.0,
        Texture::Bumpy => 0.88 + 0.24 * noise(qx * 60.0, qy * 60.0, 6.0, seed),
    }
}

/// Draws `scene` as `size x size` RGB bytes, row-major.
pub fn render(scene: &Scene, size: usize) -> Vec<u8> {
    let s = size as f32;
    let mut img = vec![0f32; size * size * 3];
    for y in 0..size {
        for x in 0..size {
            let c = background(scene.place, x as f32, y as f32, s, scene.seed);
            img[(y * size + x) * 3..(y * size + x) * 3 + 3].copy_from_slice(&c);
        }
    }
    let (lx, ly) = (scene.light.dir[0], scene.light.dir[1]);
    for o in &scene.objects {
        shadow(&mut img, size, o, lx, ly);
    }
    for o in &scene.objects {
        draw(&mut img, size, o, scene);
    }
    let tint = scene.light.tint;
    img.chunks_exact(3)
        .enumerate()
        .flat_map(|(i, p)| {
            let grain = (hash(i as i32, 7, scene.seed) - 0.5) * 0.04;
            (0..3).map(move |c| ((p[c] * tint[c] * scene.light.strength + grain).clamp(0.0, 1.0) * 255.0).round() as u8)
        })
        .collect()
}

/// The pixel box an object may touch (its rotated silhouette fits in 1.6 radii).
fn bounds(o: &Object, size: usize, extra: f32) -> (usize, usize, usize, usize) {
    let r = o.radius * 1.6 + extra;
    let lo = |c: f32| (c - r).floor().max(0.0) as usize;
    let hi = |c: f32| ((c + r).ceil().max(0.0) as usize).min(size);
    (lo(o.cx), hi(o.cx), lo(o.cy), hi(o.cy))
}

/// A soft dark ellipse under the object, away from the light.
fn shadow(img: &mut [f32], size: usize, o: &Object, lx: f32, ly: f32) {
    let (sx, sy) = (o.cx - lx * o.radius * 0.35, o.cy - ly * o.radius * 0.35 + o.radius * 0.2);
    let (x0, x1, y0, y1) = bounds(o, size, o.radius * 0.5);
    for y in y0..y1 {
        for x in x0..x1 {
            let d =
                (((x as f32 - sx) / (o.radius * 1.15)).powi(2) + ((y as f32 - sy) / (o.radius * 0.95)).powi(2)).sqrt();
            if d < 1.0 {
                let k = 1.0 - 0.45 * (1.0 - d * d);
                img[(y * size + x) * 3..(y * size + x) * 3 + 3].iter_mut().for_each(|v| *v *= k);
            }
        }
    }
}

fn draw(img: &mut [f32], size: usize, o: &Object, scene: &Scene) {
    let kind = &KINDS[o.kind];
    let base = kind.colours[o.colour].1.map(|c| c as f32 / 255.0);
    let (cos, sin) = (o.angle.cos(), o.angle.sin());
    let (lx, ly) = (scene.light.dir[0], scene.light.dir[1]);
    let lz = (1.0 - lx * lx - ly * ly).max(0.1).sqrt();
    let (x0, x1, y0, y1) = bounds(o, size, 1.0);
    let seed = scene.seed ^ (o.kind as u32 * 7919);
    for y in y0..y1 {
        for x in x0..x1 {
            let (dx, dy) = ((x as f32 + 0.5 - o.cx) / o.radius, (y as f32 + 0.5 - o.cy) / o.radius);
            // Into the object's frame: undo its rotation.
            let (qx, qy) = (cos * dx + sin * dy, -sin * dx + cos * dy);
            let Some((rho, part)) = shape(kind.silhouette, qx, qy) else { continue };
            let colour = if part == 0 { [0, 1, 2].map(|i| base[i] * o.tint[i]) } else { part_colour(kind.silhouette) };
            // A pseudo-sphere normal: facing the viewer at the centre, sideways at the rim.
            let nz = (1.0 - rho * rho).max(0.0).sqrt();
            let len = (dx * dx + dy * dy).sqrt().max(1e-6);
            let (nx, ny) = (dx / len * rho, dy / len * rho);
            let lambert = (nx * lx + ny * ly + nz * lz).max(0.0);
            let mut shade = 0.35 + 0.75 * lambert;
            if part == 0 {
                shade *= texture(kind.texture, qx, qy, seed);
                if kind.texture == Texture::Band && qy.abs() < 0.22 {
                    let band = [0.95, 0.95, 0.9];
                    let i = (y * size + x) * 3;
                    img[i..i + 3].copy_from_slice(&band.map(|c| c * (0.35 + 0.75 * lambert)));
                    continue;
                }
            }
            // A highlight where the surface faces the light squarely.
            let spec = if part == 0 { lambert.powi(24) * 0.35 } else { 0.0 };
            let i = (y * size + x) * 3;
            for c in 0..3 {
                img[i + c] = (colour[c] * shade + spec).min(1.0);
            }
        }
    }
}
