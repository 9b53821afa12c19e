//! A deterministic synthetic city for demos, load tests and benchmarks: a street grid with
//! varied widths (some due for widening), zones over groups of blocks, and rectangular lots
//! along the blocks, corner lots with two frontages, some merged parcels, three districts.
//!
//! The same seed gives the same city on every machine: randomness comes from an inline
//! splitmix64 seeded per block, so parcels are produced as a stream (a million parcels need no
//! more memory than the caller keeps) and any block can be generated on its own.

use crate::plan::{Frontage, Parcel, Zone};
use crate::sheet::main_frontage;
use geo::{LineString, MultiPolygon, Polygon};
use rust_decimal::Decimal;

/// splitmix64: tiny, fast, and good enough for synthetic data; never for anything secret.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1).max(1);
        lo + i64::try_from(self.next_u64() % span).unwrap_or(0)
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = usize::try_from(self.next_u64() % items.len() as u64).unwrap_or(0);
        &items[i]
    }
}

/// A seed derived from the city seed and a position, so every block has its own stream.
fn sub_seed(seed: u64, kind: u64, index: u64) -> u64 {
    let mut r =
        Rng::new(seed ^ kind.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
    r.next_u64()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// Runs east–west; its position is a y coordinate.
    Horizontal,
    /// Runs north–south; its position is an x coordinate.
    Vertical,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Street {
    pub axis: Axis,
    /// Centre line, in centimetres from the city origin (exact).
    pub position_cm: i64,
    pub existing_width: Decimal,
    pub approved_width: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    pub parcels: usize,
    /// South-west corner in projected metres; the default lies in UTM zone 39N.
    pub origin: (f64, f64),
    /// Blocks per side of a zone cell.
    pub zone_cell_blocks: usize,
}

impl SynthConfig {
    pub fn new(seed: u64, parcels: usize) -> SynthConfig {
        SynthConfig { seed, parcels, origin: (530_000.0, 3_950_000.0), zone_cell_blocks: 3 }
    }
}

/// Zone codes with their weights in the synthetic map (the sample plan's table).
const ZONE_MIX: [(&str, u64); 8] = [
    ("R111", 10),
    ("R112", 15),
    ("R121", 20),
    ("R122", 20),
    ("R131", 8),
    ("S111", 10),
    ("M111", 12),
    ("G111", 5),
];

/// Existing street widths in metres.
const WIDTHS: [i64; 7] = [6, 8, 10, 12, 14, 16, 20];

/// The city's layout; parcels are produced on demand by [`SynthCity::parcels`].
#[derive(Debug, Clone)]
pub struct SynthCity {
    pub config: SynthConfig,
    /// Vertical streets, west to east (one more than block columns).
    pub vertical_streets: Vec<Street>,
    /// Horizontal streets, south to north (one more than block rows).
    pub horizontal_streets: Vec<Street>,
    pub zones: Vec<Zone>,
    /// Lots per row of each block (two rows per block), row-major.
    lots_per_row: Vec<u8>,
    columns: usize,
}

fn street(rng: &mut Rng, axis: Axis, position_cm: i64) -> Street {
    let existing = *rng.pick(&WIDTHS);
    // About a third of the streets are due for widening by 2 to 6 m.
    let approved = if rng.chance(35) { existing + 2 * rng.range(1, 3) } else { existing };
    Street {
        axis,
        position_cm,
        existing_width: Decimal::from(existing),
        approved_width: Decimal::from(approved),
    }
}

/// Half a street's existing width in centimetres: lots start at the street's edge.
fn half_width_cm(s: &Street) -> i64 {
    i64::try_from((s.existing_width * Decimal::from(50)).trunc()).unwrap_or(0)
}

impl SynthCity {
    /// Lays out a city with exactly `config.parcels` parcels.
    pub fn generate(config: SynthConfig) -> SynthCity {
        let seed = config.seed;
        let mut layout = Rng::new(sub_seed(seed, 1, 0));
        // About 18 lots a block: choose a roughly square grid.
        let blocks_needed = config.parcels.div_ceil(18).max(1);
        let columns = (blocks_needed as f64).sqrt().ceil().max(1.0) as usize;

        let mut vertical_streets = Vec::with_capacity(columns + 1);
        let mut x = 0i64;
        vertical_streets.push(street(&mut layout, Axis::Vertical, x));
        for _ in 0..columns {
            x += layout.range(60, 160) * 100;
            vertical_streets.push(street(&mut layout, Axis::Vertical, x));
        }

        // Blocks, row-major, until the lots reach the requested count.
        let mut lots_per_row = Vec::new();
        let mut total = 0usize;
        while total < config.parcels {
            let b = lots_per_row.len();
            let col = b % columns;
            let width_cm = vertical_streets[col + 1].position_cm - vertical_streets[col].position_cm;
            let mut rng = Rng::new(sub_seed(seed, 2, b as u64));
            let lot_target_cm = rng.range(900, 1600);
            let k = (width_cm / lot_target_cm).clamp(2, 16);
            let k = u8::try_from(k).unwrap_or(2);
            lots_per_row.push(k);
            total += 2 * usize::from(k);
        }
        let rows = lots_per_row.len().div_ceil(columns);

        let mut horizontal_streets = Vec::with_capacity(rows + 1);
        let mut y = 0i64;
        horizontal_streets.push(street(&mut layout, Axis::Horizontal, y));
        for _ in 0..rows {
            y += layout.range(30, 60) * 100;
            horizontal_streets.push(street(&mut layout, Axis::Horizontal, y));
        }

        let mut city = SynthCity {
            config,
            vertical_streets,
            horizontal_streets,
            zones: Vec::new(),
            lots_per_row,
            columns,
        };
        city.zones = city.zone_cells();
        city
    }

    fn coord(&self, x_cm: i64, y_cm: i64) -> (f64, f64) {
        (self.config.origin.0 + x_cm as f64 / 100.0, self.config.origin.1 + y_cm as f64 / 100.0)
    }

    fn rect(&self, x0: i64, y0: i64, x1: i64, y1: i64) -> Polygon<f64> {
        let pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)];
        Polygon::new(LineString::from(pts.iter().map(|&(x, y)| self.coord(x, y)).collect::<Vec<_>>()), vec![])
    }

    /// Zone cells of `zone_cell_blocks` × `zone_cell_blocks` blocks, bounded by street centre
    /// lines so that no lot straddles two zones.
    fn zone_cells(&self) -> Vec<Zone> {
        let n = self.config.zone_cell_blocks.max(1);
        let cols = self.vertical_streets.len() - 1;
        let rows = self.horizontal_streets.len() - 1;
        let total_weight: u64 = ZONE_MIX.iter().map(|(_, w)| w).sum();
        let mut zones = Vec::new();
        for zr in (0..rows).step_by(n) {
            for zc in (0..cols).step_by(n) {
                let mut rng = Rng::new(sub_seed(self.config.seed, 3, (zr * cols + zc) as u64));
                let mut roll = rng.next_u64() % total_weight;
                let mut code = ZONE_MIX[0].0;
                for (c, w) in ZONE_MIX {
                    if roll < w {
                        code = c;
                        break;
                    }
                    roll -= w;
                }
                let x0 = self.vertical_streets[zc].position_cm;
                let x1 = self.vertical_streets[(zc + n).min(cols)].position_cm;
                let y0 = self.horizontal_streets[zr].position_cm;
                let y1 = self.horizontal_streets[(zr + n).min(rows)].position_cm;
                zones.push(Zone {
                    code: code.to_owned(),
                    polygon: MultiPolygon::new(vec![self.rect(x0, y0, x1, y1)]),
                });
            }
        }
        zones
    }

    pub fn parcel_count(&self) -> usize {
        self.config.parcels
    }

    pub fn block_count(&self) -> usize {
        self.lots_per_row.len()
    }

    /// Every parcel, block by block; the same sequence for the same configuration.
    pub fn parcels(&self) -> impl Iterator<Item = Parcel> + '_ {
        (0..self.lots_per_row.len()).flat_map(move |b| self.block_parcels(b)).take(self.config.parcels)
    }

    /// The lots of one block: the southern row fronts the street below, the northern row the
    /// street above; the end lots of each row are corner lots.
    pub fn block_parcels(&self, block: usize) -> Vec<Parcel> {
        let Some(&k) = self.lots_per_row.get(block) else {
            return Vec::new();
        };
        let k = usize::from(k);
        let (col, row) = (block % self.columns, block / self.columns);
        let (west, east) = (&self.vertical_streets[col], &self.vertical_streets[col + 1]);
        let (south, north) = (&self.horizontal_streets[row], &self.horizontal_streets[row + 1]);
        let x0 = west.position_cm + half_width_cm(west);
        let x1 = east.position_cm - half_width_cm(east);
        let y0 = south.position_cm + half_width_cm(south);
        let y1 = north.position_cm - half_width_cm(north);
        let y_mid = (y0 + y1) / 2;

        let mut rng = Rng::new(sub_seed(self.config.seed, 2, block as u64));
        // The first draw chose the lot count in `generate`; repeat it to stay on the same stream.
        rng.next_u64();
        // Lot boundaries: an even split with each cut jittered by up to a fifth of a lot.
        let base = (x1 - x0) / k as i64;
        let mut cuts = vec![x0];
        for i in 1..k {
            let jitter = rng.range(-(base / 5), base / 5);
            cuts.push(x0 + base * i as i64 + jitter);
        }
        cuts.push(x1);

        let district = match col * 3 / self.columns.max(1) {
            0 => "1",
            1 => "2",
            _ => "3",
        };
        // P per block, rounded to 1,000 Rials.
        let p = rng.range(200, 3000) * 1000;

        let mut out = Vec::with_capacity(2 * k);
        for (side, (ly0, ly1, street_h)) in [(y0, y_mid, south), (y_mid, y1, north)].into_iter().enumerate() {
            for i in 0..k {
                let (lx0, lx1) = (cuts[i], cuts[i + 1]);
                let width = Decimal::new(lx1 - lx0, 2);
                let depth = Decimal::new(ly1 - ly0, 2);
                let mut frontages = vec![Frontage {
                    length: width,
                    existing_width: street_h.existing_width,
                    approved_width: street_h.approved_width,
                }];
                let corner = if i == 0 {
                    Some(west)
                } else if i == k - 1 {
                    Some(east)
                } else {
                    None
                };
                if let Some(v) = corner {
                    frontages.push(Frontage {
                        length: depth,
                        existing_width: v.existing_width,
                        approved_width: v.approved_width,
                    });
                }
                // Depth is surveyed perpendicular to the main frontage.
                let lot_depth = if main_frontage(&frontages) == Some(0) { depth } else { width };
                let area_cm2 = (lx1 - lx0) * (ly1 - ly0);
                // Deed areas differ from the drawn area by up to 2 %, as surveys do.
                let deviation = rng.range(-200, 200);
                let deed = Decimal::new(area_cm2 * (10_000 + deviation) / 10_000, 4).round_dp(2);
                let merged = if rng.chance(4) { u32::try_from(rng.range(2, 4)).unwrap_or(2) } else { 1 };
                let lot = 2 * i + side;
                out.push(Parcel {
                    parcel_key: format!("{district}-{block:06}-{lot:03}"),
                    registry_plate: format!("{}/{}", block + 1, lot + 1),
                    district: district.to_owned(),
                    polygon: self.rect(lx0, ly0, lx1, ly1),
                    deed_area: deed,
                    depth: lot_depth,
                    regional_value_p: p,
                    merged_parcels: merged,
                    frontages,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_city() {
        let a = SynthCity::generate(SynthConfig::new(7, 500));
        let b = SynthCity::generate(SynthConfig::new(7, 500));
        let pa: Vec<Parcel> = a.parcels().collect();
        let pb: Vec<Parcel> = b.parcels().collect();
        assert_eq!(pa.len(), 500);
        assert_eq!(pa, pb);
        assert_eq!(a.zones, b.zones);
        let c = SynthCity::generate(SynthConfig::new(8, 500));
        assert_ne!(pa, c.parcels().collect::<Vec<_>>());
    }

    #[test]
    fn lots_are_sensible() {
        let city = SynthCity::generate(SynthConfig::new(42, 5000));
        let parcels: Vec<Parcel> = city.parcels().collect();
        assert_eq!(parcels.len(), 5000);
        let mut keys = std::collections::HashSet::new();
        let (mut corners, mut merged, mut widening) = (0, 0, 0);
        for p in &parcels {
            assert!(keys.insert(p.parcel_key.clone()));
            assert!(p.deed_area > Decimal::ZERO);
            assert!((200_000..=3_000_000).contains(&p.regional_value_p));
            assert!((1..=2).contains(&p.frontages.len()));
            corners += usize::from(p.frontages.len() == 2);
            merged += usize::from(p.merged_parcels > 1);
            widening += usize::from(p.frontages.iter().any(|f| f.approved_width > f.existing_width));
        }
        assert!(corners > 0 && merged > 0 && widening > 0);
        let districts: std::collections::BTreeSet<&str> =
            parcels.iter().map(|p| p.district.as_str()).collect();
        assert_eq!(districts.len(), 3);
        assert!(city.zones.iter().any(|z| z.code == "G111"));
    }
}
