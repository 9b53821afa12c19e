//! Spatial lookup over parcels and zones: R-trees of envelopes narrow the candidates, exact
//! point-in-polygon and overlay decide.

use crate::num::measured_decimal;
use crate::plan::{Parcel, Zone};
use crate::sheet::ZoneContext;
use geo::{
    Area, BooleanOps, BoundingRect, Centroid, Contains, CoordsIter, InteriorPoint, Intersects, Point,
    Polygon, Rect,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use rust_decimal::Decimal;

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Outside shares are kept to 0.01 % of the parcel's area: floating-point slivers along shared
/// boundaries must not count as overlap.
const SHARE_DP: u32 = 4;

fn envelope(r: Rect<f64>) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

fn aabb(r: Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

fn finite(p: &Polygon<f64>) -> bool {
    p.coords_iter().all(|c| c.x.is_finite() && c.y.is_finite())
}

/// The point that decides a parcel's zone: its centroid when that lies inside the parcel (always
/// for convex parcels), otherwise a point guaranteed to be inside.
pub fn point_on_surface(p: &Polygon<f64>) -> Option<Point<f64>> {
    if !finite(p) {
        return None;
    }
    match p.centroid() {
        Some(c) if p.contains(&c) => Some(c),
        _ => p.interior_point(),
    }
}

/// Zones with an R-tree over their envelopes and one over their boundary edges; the edge tree
/// lets most parcels skip the polygon overlay entirely.
pub struct ZoneIndex {
    zones: Vec<Zone>,
    tree: RTree<Entry>,
    edges: RTree<Entry>,
}

impl ZoneIndex {
    pub fn new(zones: Vec<Zone>) -> ZoneIndex {
        let mut entries = Vec::with_capacity(zones.len());
        let mut edges = Vec::new();
        for (i, z) in zones.iter().enumerate() {
            if let Some(r) = z.polygon.bounding_rect() {
                entries.push(Entry::new(envelope(r), i));
            }
            for poly in &z.polygon.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    for line in ring.lines() {
                        let r = Rect::new(line.start, line.end);
                        edges.push(Entry::new(envelope(r), i));
                    }
                }
            }
        }
        ZoneIndex { zones, tree: RTree::bulk_load(entries), edges: RTree::bulk_load(edges) }
    }

    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    fn index_at(&self, x: f64, y: f64) -> Option<usize> {
        let pt = Point::new(x, y);
        let mut candidates: Vec<usize> = self.tree.locate_all_at_point(&[x, y]).map(|e| e.data).collect();
        candidates.sort_unstable();
        // Interior first; a point on a shared boundary goes to the first zone listed.
        candidates
            .iter()
            .copied()
            .find(|&i| self.zones[i].polygon.contains(&pt))
            .or_else(|| candidates.iter().copied().find(|&i| self.zones[i].polygon.intersects(&pt)))
    }

    /// The zone containing a point (boundary included).
    pub fn zone_at(&self, x: f64, y: f64) -> Option<&Zone> {
        self.index_at(x, y).map(|i| &self.zones[i])
    }

    /// Zone facts for a parcel polygon: the zone of its point-on-surface, the zones its area
    /// touches, and the share of its area outside its zone.
    pub fn zone_context_for(&self, polygon: &Polygon<f64>) -> ZoneContext {
        let (Some(pt), Some(bbox)) = (point_on_surface(polygon), polygon.bounding_rect()) else {
            return ZoneContext::default();
        };
        let home = self.index_at(pt.x(), pt.y());
        let query = aabb(bbox);
        let crossing_edge = self.edges.locate_in_envelope_intersecting(&query).next().is_some();
        if !crossing_edge {
            // No zone boundary comes near the parcel's box, so the box lies wholly inside or
            // wholly outside each zone: the home zone holds the whole parcel.
            return match home {
                Some(i) => ZoneContext::inside(&self.zones[i].code),
                None => {
                    ZoneContext { zone_code: None, zones_involved: Vec::new(), outside_share: Decimal::ONE }
                }
            };
        }
        let area = polygon.unsigned_area();
        if !(area.is_finite() && area > 0.0) {
            return ZoneContext::default();
        }
        let mut candidates: Vec<usize> =
            self.tree.locate_in_envelope_intersecting(&query).map(|e| e.data).collect();
        candidates.sort_unstable();
        let mut shares: Vec<(usize, Decimal)> = Vec::new();
        for i in candidates {
            let inside = polygon.intersection(&self.zones[i].polygon).unsigned_area();
            let share = measured_decimal(inside / area, SHARE_DP).unwrap_or(Decimal::ZERO);
            if share > Decimal::ZERO {
                shares.push((i, share));
            }
        }
        // Home zone first, then by share of the parcel, largest first.
        shares.sort_by(|a, b| {
            (Some(b.0) == home).cmp(&(Some(a.0) == home)).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0))
        });
        let home_share =
            home.and_then(|h| shares.iter().find(|(i, _)| *i == h).map(|(_, s)| *s)).unwrap_or(Decimal::ZERO);
        let mut involved: Vec<String> = Vec::new();
        for (i, _) in &shares {
            let code = &self.zones[*i].code;
            if !involved.contains(code) {
                involved.push(code.clone());
            }
        }
        ZoneContext {
            zone_code: home.map(|i| self.zones[i].code.clone()),
            zones_involved: involved,
            outside_share: (Decimal::ONE - home_share).max(Decimal::ZERO),
        }
    }
}

/// Parcels with an R-tree over their envelopes.
pub struct ParcelIndex {
    parcels: Vec<Parcel>,
    tree: RTree<Entry>,
}

impl ParcelIndex {
    pub fn new(parcels: Vec<Parcel>) -> ParcelIndex {
        let entries = parcels
            .iter()
            .enumerate()
            .filter(|(_, p)| finite(&p.polygon))
            .filter_map(|(i, p)| p.polygon.bounding_rect().map(|r| Entry::new(envelope(r), i)))
            .collect();
        ParcelIndex { parcels, tree: RTree::bulk_load(entries) }
    }

    pub fn parcels(&self) -> &[Parcel] {
        &self.parcels
    }

    pub fn len(&self) -> usize {
        self.parcels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parcels.is_empty()
    }

    /// The parcel under a point (boundary included; on a shared boundary, the first listed).
    pub fn parcel_at(&self, x: f64, y: f64) -> Option<&Parcel> {
        let pt = Point::new(x, y);
        self.tree
            .locate_all_at_point(&[x, y])
            .map(|e| e.data)
            .filter(|&i| self.parcels[i].polygon.intersects(&pt))
            .min()
            .map(|i| &self.parcels[i])
    }

    /// Parcels whose polygon meets the box, in the order they were given.
    pub fn parcels_in_box(&self, min: (f64, f64), max: (f64, f64)) -> Vec<&Parcel> {
        let rect = Rect::new(min, max);
        let mut hits: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&aabb(rect))
            .map(|e| e.data)
            .filter(|&i| self.parcels[i].polygon.intersects(&rect))
            .collect();
        hits.sort_unstable();
        hits.into_iter().map(|i| &self.parcels[i]).collect()
    }
}

/// Parcels and zones together: what a map view or a sheet sweep needs.
pub struct SpatialIndex {
    pub parcels: ParcelIndex,
    pub zones: ZoneIndex,
}

impl SpatialIndex {
    pub fn new(parcels: Vec<Parcel>, zones: Vec<Zone>) -> SpatialIndex {
        SpatialIndex { parcels: ParcelIndex::new(parcels), zones: ZoneIndex::new(zones) }
    }

    pub fn parcel_at(&self, x: f64, y: f64) -> Option<&Parcel> {
        self.parcels.parcel_at(x, y)
    }

    pub fn zone_at(&self, x: f64, y: f64) -> Option<&Zone> {
        self.zones.zone_at(x, y)
    }

    pub fn parcels_in_box(&self, min: (f64, f64), max: (f64, f64)) -> Vec<&Parcel> {
        self.parcels.parcels_in_box(min, max)
    }

    pub fn zone_context_for(&self, parcel: &Parcel) -> ZoneContext {
        self.zones.zone_context_for(&parcel.polygon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};
    use rust_decimal_macros::dec;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)]
    }

    fn zone(code: &str, p: Polygon<f64>) -> Zone {
        Zone { code: code.into(), polygon: MultiPolygon::new(vec![p]) }
    }

    fn zones() -> ZoneIndex {
        ZoneIndex::new(vec![
            zone("R122", rect(0.0, 0.0, 100.0, 100.0)),
            zone("M111", rect(100.0, 0.0, 200.0, 100.0)),
        ])
    }

    #[test]
    fn zone_at_point_and_boundary() {
        let z = zones();
        assert_eq!(z.zone_at(50.0, 50.0).map(|z| z.code.as_str()), Some("R122"));
        assert_eq!(z.zone_at(150.0, 50.0).map(|z| z.code.as_str()), Some("M111"));
        assert_eq!(z.zone_at(100.0, 50.0).map(|z| z.code.as_str()), Some("R122"));
        assert!(z.zone_at(250.0, 50.0).is_none());
    }

    #[test]
    fn parcel_inside_one_zone() {
        let c = zones().zone_context_for(&rect(10.0, 10.0, 30.0, 30.0));
        assert_eq!(c, ZoneContext::inside("R122"));
    }

    #[test]
    fn parcel_touching_a_boundary_is_wholly_inside() {
        let c = zones().zone_context_for(&rect(80.0, 10.0, 100.0, 30.0));
        assert_eq!(c.zone_code.as_deref(), Some("R122"));
        assert_eq!(c.outside_share, dec!(0));
        assert_eq!(c.zones_involved, vec!["R122".to_owned()]);
    }

    #[test]
    fn parcel_straddling_two_zones() {
        // 30 m wide, 10 m of it in M111: a third outside its zone.
        let c = zones().zone_context_for(&rect(80.0, 10.0, 110.0, 30.0));
        assert_eq!(c.zone_code.as_deref(), Some("R122"));
        assert_eq!(c.outside_share, dec!(0.3333));
        assert_eq!(c.zones_involved, vec!["R122".to_owned(), "M111".to_owned()]);
    }

    #[test]
    fn parcel_outside_every_zone() {
        let c = zones().zone_context_for(&rect(300.0, 10.0, 320.0, 30.0));
        assert_eq!(c.zone_code, None);
        assert_eq!(c.outside_share, dec!(1));
    }

    #[test]
    fn concave_parcel_uses_a_point_inside_it() {
        // A U shape whose centroid falls in the notch.
        let u = polygon![
            (x: 0.0, y: 0.0), (x: 30.0, y: 0.0), (x: 30.0, y: 30.0), (x: 20.0, y: 30.0),
            (x: 20.0, y: 5.0), (x: 10.0, y: 5.0), (x: 10.0, y: 30.0), (x: 0.0, y: 30.0)
        ];
        let p = point_on_surface(&u).expect("has a point");
        assert!(u.contains(&p));
        let square = rect(0.0, 0.0, 10.0, 10.0);
        assert_eq!(point_on_surface(&square), Some(Point::new(5.0, 5.0)));
        let bad = rect(0.0, 0.0, f64::NAN, 10.0);
        assert_eq!(point_on_surface(&bad), None);
    }
}
