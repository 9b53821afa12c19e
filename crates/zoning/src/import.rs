//! Import of parcel and zone maps from GeoJSON text or Shapefile bytes.
//!
//! Both formats share one attribute schema (names of at most 10 characters, the dBase limit;
//! see `PLAN-SCHEMA.md`). An import is all or nothing: the `*_from_*` functions return every
//! record or the first error; the iterator forms yield record by record, so a command-line tool
//! can show progress and list every bad record before refusing the file.

use crate::num::{attribute_decimal, parse_decimal};
use crate::plan::{Frontage, Parcel, PlanRules, Zone};
use geo::{Area, Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use geojson::{GeoJson, GeometryValue, JsonObject, JsonValue};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use shapefile::Shape;
use shapefile::dbase::{FieldValue, Record};
use std::collections::HashSet;
use std::io::Cursor;

/// Why an import was refused: the record (0-based, in file order), the attribute or part of
/// the file, and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {index}, {field}: {reason}")]
pub struct ImportError {
    pub index: usize,
    pub field: String,
    pub reason: String,
}

impl ImportError {
    fn new(index: usize, field: &str, reason: impl Into<String>) -> ImportError {
        ImportError { index, field: field.to_owned(), reason: reason.into() }
    }

    /// A problem with the file as a whole (not readable, not the expected kind of document).
    fn file(reason: impl Into<String>) -> ImportError {
        ImportError::new(0, "file", reason)
    }
}

/// Attribute names of the shared schema.
pub mod fields {
    pub const PARCEL_KEY: &str = "pkey";
    pub const PLATE: &str = "plate";
    pub const DISTRICT: &str = "district";
    pub const DEED_AREA: &str = "deed_area";
    pub const DEPTH: &str = "depth";
    pub const P_VALUE: &str = "p_value";
    pub const MERGED: &str = "merged";
    pub const ZONE: &str = "zone";
    /// Frontages are `f1_len`, `f1_exist`, `f1_appr` … up to this number.
    pub const MAX_FRONTAGES: usize = 4;
}

const MAX_AREA: Decimal = dec!(100_000_000);
const MAX_LENGTH: Decimal = dec!(100_000);

/// Attribute values of one record, whatever the file format.
enum Attrs {
    Json(JsonObject),
    Dbf(Record),
}

/// A plain attribute value, format differences removed.
enum Value {
    Text(String),
    Number(Decimal),
}

impl Attrs {
    fn get(&self, name: &str) -> Result<Option<Value>, String> {
        match self {
            Attrs::Json(map) => {
                let v = map
                    .get(name)
                    .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v));
                match v {
                    None | Some(JsonValue::Null) => Ok(None),
                    Some(JsonValue::String(s)) => Ok(Some(Value::Text(s.clone()))),
                    // serde_json prints the shortest text that reads back as the same number,
                    // i.e. what the file said for any ordinary decimal.
                    Some(JsonValue::Number(n)) => parse_decimal(&n.to_string())
                        .or_else(|| n.as_f64().and_then(attribute_decimal))
                        .map(|d| Some(Value::Number(d)))
                        .ok_or_else(|| format!("{n} is not a usable number")),
                    Some(other) => Err(format!("expected text or a number, found {other}")),
                }
            }
            Attrs::Dbf(record) => {
                let v = record.get(name).or_else(|| {
                    record.as_ref().iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
                });
                let number = |f: Option<f64>| match f {
                    None => Ok(None),
                    Some(f) => attribute_decimal(f)
                        .map(|d| Some(Value::Number(d)))
                        .ok_or_else(|| format!("{f} is not a usable number")),
                };
                match v {
                    None => Ok(None),
                    Some(FieldValue::Character(s)) => {
                        Ok(s.as_ref().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).map(Value::Text))
                    }
                    Some(FieldValue::Memo(s)) => Ok(Some(Value::Text(s.trim().to_owned()))),
                    Some(FieldValue::Numeric(f)) => number(*f),
                    Some(FieldValue::Double(f)) | Some(FieldValue::Currency(f)) => number(Some(*f)),
                    Some(FieldValue::Integer(i)) => Ok(Some(Value::Number(Decimal::from(*i)))),
                    // An f32 printed as f32 keeps its short form ("245.37"); widening it to f64
                    // first would print 245.3699951171875.
                    Some(FieldValue::Float(None)) => Ok(None),
                    Some(FieldValue::Float(Some(f))) => parse_decimal(&format!("{f}"))
                        .map(|d| Some(Value::Number(d)))
                        .ok_or_else(|| format!("{f} is not a usable number")),
                    Some(other) => Err(format!("expected text or a number, found {other:?}")),
                }
            }
        }
    }

    fn text(&self, index: usize, name: &str, required: bool) -> Result<Option<String>, ImportError> {
        let err = |r: String| ImportError::new(index, name, r);
        let v = match self.get(name).map_err(err)? {
            None => None,
            Some(Value::Text(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Some(Value::Number(d)) => Some(d.normalize().to_string()),
        };
        if required && v.is_none() {
            return Err(ImportError::new(index, name, "missing"));
        }
        Ok(v)
    }

    fn decimal(&self, index: usize, name: &str) -> Result<Option<Decimal>, ImportError> {
        match self.get(name).map_err(|r| ImportError::new(index, name, r))? {
            None => Ok(None),
            Some(Value::Number(d)) => Ok(Some(d)),
            Some(Value::Text(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::Text(s)) => parse_decimal(&s)
                .map(Some)
                .ok_or_else(|| ImportError::new(index, name, format!("`{s}` is not a number"))),
        }
    }

    /// A required decimal within `[min, max]` (`min` excluded when `min_excluded`).
    fn bounded(
        &self,
        index: usize,
        name: &str,
        min: Decimal,
        min_excluded: bool,
        max: Decimal,
    ) -> Result<Decimal, ImportError> {
        let v = self.decimal(index, name)?.ok_or_else(|| ImportError::new(index, name, "missing"))?;
        if v < min || (min_excluded && v == min) || v > max {
            let low = if min_excluded { "greater than" } else { "at least" };
            return Err(ImportError::new(index, name, format!("{v} must be {low} {min} and at most {max}")));
        }
        Ok(v)
    }

    fn integer(&self, index: usize, name: &str) -> Result<Option<i64>, ImportError> {
        match self.decimal(index, name)? {
            None => Ok(None),
            Some(d) if d.fract().is_zero() => i64::try_from(d)
                .map(Some)
                .map_err(|_| ImportError::new(index, name, format!("{d} is out of range"))),
            Some(d) => Err(ImportError::new(index, name, format!("{d} is not a whole number"))),
        }
    }
}

/// Geometry of one record, whatever the file format.
enum Geom {
    Json(Option<geojson::Geometry>),
    Shp(Shape),
}

fn ring_from_positions(positions: &[geojson::Position]) -> Result<LineString<f64>, String> {
    let mut coords = Vec::with_capacity(positions.len());
    for p in positions {
        let s = p.as_slice();
        if s.len() < 2 {
            return Err("a position needs two coordinates".to_owned());
        }
        coords.push(Coord { x: s[0], y: s[1] });
    }
    ring(coords)
}

/// Checks a ring: finite, at least three distinct corners, closed.
fn ring(mut coords: Vec<Coord<f64>>) -> Result<LineString<f64>, String> {
    if coords.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return Err("a coordinate is not a finite number".to_owned());
    }
    if let Some(&first) = coords.first()
        && coords.last() != Some(&first)
    {
        coords.push(first);
    }
    if coords.len() < 4 {
        return Err("a ring needs at least three corners".to_owned());
    }
    Ok(LineString::new(coords))
}

fn polygon_from_rings(rings: &[Vec<geojson::Position>]) -> Result<Polygon<f64>, String> {
    let (outer, inner) = rings.split_first().ok_or("a polygon needs an outer ring")?;
    let exterior = ring_from_positions(outer)?;
    let interiors = inner.iter().map(|r| ring_from_positions(r)).collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

fn checked_area(p: &Polygon<f64>) -> Result<(), String> {
    let a = p.unsigned_area();
    if a.is_finite() && a > 0.0 { Ok(()) } else { Err("the polygon has no area".to_owned()) }
}

impl Geom {
    fn multi_polygon(&self) -> Result<MultiPolygon<f64>, String> {
        let mp = match self {
            Geom::Json(None) => return Err("the record has no geometry".to_owned()),
            Geom::Json(Some(g)) => match &g.value {
                GeometryValue::Polygon { coordinates } => {
                    MultiPolygon::new(vec![polygon_from_rings(coordinates)?])
                }
                GeometryValue::MultiPolygon { coordinates } => MultiPolygon::new(
                    coordinates.iter().map(|p| polygon_from_rings(p)).collect::<Result<Vec<_>, _>>()?,
                ),
                other => {
                    return Err(format!("expected a Polygon or MultiPolygon, found a {}", other.type_name()));
                }
            },
            Geom::Shp(shape) => shape_polygons(shape)?,
        };
        if mp.0.is_empty() {
            return Err("the geometry is empty".to_owned());
        }
        for p in &mp.0 {
            checked_area(p)?;
        }
        Ok(mp)
    }

    fn polygon(&self) -> Result<Polygon<f64>, String> {
        let mut mp = self.multi_polygon()?;
        if mp.0.len() != 1 {
            return Err(format!("a parcel is one polygon, found {} parts", mp.0.len()));
        }
        Ok(mp.0.remove(0))
    }
}

/// Shapefile polygons: outer rings (clockwise) with the holes that lie inside them.
fn shape_polygons(shape: &Shape) -> Result<MultiPolygon<f64>, String> {
    fn rings<P: shapefile::record::traits::HasXY>(
        rings: &[shapefile::PolygonRing<P>],
    ) -> Result<MultiPolygon<f64>, String> {
        let mut outers: Vec<(LineString<f64>, Vec<LineString<f64>>)> = Vec::new();
        let mut holes = Vec::new();
        for r in rings {
            let coords: Vec<Coord<f64>> = r.points().iter().map(|p| Coord { x: p.x(), y: p.y() }).collect();
            match r {
                shapefile::PolygonRing::Outer(_) => outers.push((ring(coords)?, Vec::new())),
                shapefile::PolygonRing::Inner(_) => holes.push(ring(coords)?),
            }
        }
        for hole in holes {
            let probe = hole.0.first().copied().map(Point::from);
            let owner = outers
                .iter_mut()
                .find(|(outer, _)| probe.is_some_and(|pt| Polygon::new(outer.clone(), vec![]).contains(&pt)));
            match owner {
                Some((_, inner)) => inner.push(hole),
                None => return Err("a hole lies outside every outer ring".to_owned()),
            }
        }
        Ok(MultiPolygon::new(outers.into_iter().map(|(outer, inner)| Polygon::new(outer, inner)).collect()))
    }
    match shape {
        Shape::Polygon(p) => rings(p.rings()),
        Shape::PolygonM(p) => rings(p.rings()),
        Shape::PolygonZ(p) => rings(p.rings()),
        Shape::NullShape => Err("the record has no geometry".to_owned()),
        other => Err(format!("expected a polygon, found a {}", other.shapetype())),
    }
}

/// One record as read from the file, before it is checked against the schema.
struct RawRecord {
    geom: Geom,
    attrs: Attrs,
}

fn parse_parcel(index: usize, r: &RawRecord) -> Result<Parcel, ImportError> {
    use fields::*;
    let a = &r.attrs;
    let polygon = r.geom.polygon().map_err(|e| ImportError::new(index, "geometry", e))?;
    let parcel_key = a.text(index, PARCEL_KEY, true)?.unwrap_or_default();
    let registry_plate = a.text(index, PLATE, true)?.unwrap_or_default();
    let district = a.text(index, DISTRICT, true)?.unwrap_or_default();
    let deed_area = a.bounded(index, DEED_AREA, Decimal::ZERO, true, MAX_AREA)?;
    let depth = a.bounded(index, DEPTH, Decimal::ZERO, true, MAX_LENGTH)?;
    let p = a.integer(index, P_VALUE)?.ok_or_else(|| ImportError::new(index, P_VALUE, "missing"))?;
    if p < 0 {
        return Err(ImportError::new(index, P_VALUE, format!("{p} must not be negative")));
    }
    let merged = match a.integer(index, MERGED)? {
        None => 1,
        Some(m) if (1..=1000).contains(&m) => u32::try_from(m).unwrap_or(1),
        Some(m) => {
            return Err(ImportError::new(index, MERGED, format!("{m} must be from 1 to 1000")));
        }
    };
    let mut frontages = Vec::new();
    for n in 1..=MAX_FRONTAGES {
        let (len, exist, appr) = (format!("f{n}_len"), format!("f{n}_exist"), format!("f{n}_appr"));
        let present = [&len, &exist, &appr]
            .iter()
            .map(|f| a.decimal(index, f).map(|v| v.is_some()))
            .collect::<Result<Vec<bool>, _>>()?;
        if present.iter().all(|p| !p) {
            if n == 1 {
                return Err(ImportError::new(index, &len, "every parcel needs its first frontage"));
            }
            continue;
        }
        frontages.push(Frontage {
            length: a.bounded(index, &len, Decimal::ZERO, true, MAX_LENGTH)?,
            existing_width: a.bounded(index, &exist, Decimal::ZERO, false, MAX_LENGTH)?,
            approved_width: a.bounded(index, &appr, Decimal::ZERO, false, MAX_LENGTH)?,
        });
    }
    Ok(Parcel {
        parcel_key,
        registry_plate,
        district,
        polygon,
        deed_area,
        depth,
        regional_value_p: p,
        merged_parcels: merged,
        frontages,
    })
}

fn parse_zone(index: usize, r: &RawRecord) -> Result<Zone, ImportError> {
    let polygon = r.geom.multi_polygon().map_err(|e| ImportError::new(index, "geometry", e))?;
    let code = r.attrs.text(index, fields::ZONE, true)?.unwrap_or_default();
    Ok(Zone { code, polygon })
}

/// Record-by-record import. Yields one result per record in file order (after a problem with
/// the file as a whole, that problem alone). `len()` is the number of results still to come,
/// for progress bars.
pub struct Import<T> {
    records: std::iter::Enumerate<std::vec::IntoIter<RawRecord>>,
    file_error: Option<ImportError>,
    parse: fn(usize, &RawRecord) -> Result<T, ImportError>,
    /// Parcel keys seen so far: a key must be unique within a file.
    seen_keys: Option<HashSet<String>>,
}

impl<T> Import<T> {
    fn new(
        records: Result<Vec<RawRecord>, ImportError>,
        parse: fn(usize, &RawRecord) -> Result<T, ImportError>,
    ) -> Import<T> {
        let (records, file_error) = match records {
            Ok(r) => (r, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        Import { records: records.into_iter().enumerate(), file_error, parse, seen_keys: None }
    }
}

impl Import<Parcel> {
    fn parcels(records: Result<Vec<RawRecord>, ImportError>) -> Import<Parcel> {
        let mut i = Import::new(records, parse_parcel);
        i.seen_keys = Some(HashSet::new());
        i
    }
}

impl<T: HasKey> Iterator for Import<T> {
    type Item = Result<T, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.file_error.take() {
            return Some(Err(e));
        }
        let (index, record) = self.records.next()?;
        let item = (self.parse)(index, &record);
        Some(item.and_then(|v| {
            if let (Some(seen), Some(key)) = (self.seen_keys.as_mut(), v.key())
                && !seen.insert(key.to_owned())
            {
                return Err(ImportError::new(
                    index,
                    fields::PARCEL_KEY,
                    format!("parcel key `{key}` appears more than once"),
                ));
            }
            Ok(v)
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.records.len() + usize::from(self.file_error.is_some());
        (n, Some(n))
    }
}

impl<T: HasKey> ExactSizeIterator for Import<T> {}

/// Records whose key must be unique within a file.
pub trait HasKey {
    fn key(&self) -> Option<&str>;
}

impl HasKey for Parcel {
    fn key(&self) -> Option<&str> {
        Some(&self.parcel_key)
    }
}

impl HasKey for Zone {
    /// Many polygons may share a zone code.
    fn key(&self) -> Option<&str> {
        None
    }
}

fn geojson_records(text: &str) -> Result<Vec<RawRecord>, ImportError> {
    let doc: GeoJson = text.parse().map_err(|e| ImportError::file(format!("not GeoJSON: {e}")))?;
    let features = match doc {
        GeoJson::FeatureCollection(fc) => fc.features,
        GeoJson::Feature(f) => vec![f],
        GeoJson::Geometry(_) => {
            return Err(ImportError::file(
                "expected a FeatureCollection, found a bare geometry without attributes",
            ));
        }
    };
    Ok(features
        .into_iter()
        .map(|f| RawRecord {
            geom: Geom::Json(f.geometry),
            attrs: Attrs::Json(f.properties.unwrap_or_default()),
        })
        .collect())
}

fn shapefile_records(shp: &[u8], dbf: &[u8]) -> Result<Vec<RawRecord>, ImportError> {
    let shapes = shapefile::ShapeReader::new(Cursor::new(shp))
        .map_err(|e| ImportError::file(format!("the .shp part is not readable: {e}")))?;
    let table = shapefile::dbase::Reader::new(Cursor::new(dbf))
        .map_err(|e| ImportError::file(format!("the .dbf part is not readable: {e}")))?;
    let mut reader = shapefile::Reader::new(shapes, table);
    let pairs =
        reader.read().map_err(|e| ImportError::file(format!("the shapefile is not readable: {e}")))?;
    Ok(pairs
        .into_iter()
        .map(|(shape, record)| RawRecord { geom: Geom::Shp(shape), attrs: Attrs::Dbf(record) })
        .collect())
}

/// Parcels from a GeoJSON FeatureCollection, record by record.
pub fn parcels_from_geojson_iter(text: &str) -> Import<Parcel> {
    Import::parcels(geojson_records(text))
}

/// All parcels of a GeoJSON FeatureCollection, or the first error.
pub fn parcels_from_geojson(text: &str) -> Result<Vec<Parcel>, ImportError> {
    parcels_from_geojson_iter(text).collect()
}

/// Zones from a GeoJSON FeatureCollection, record by record.
pub fn zones_from_geojson_iter(text: &str) -> Import<Zone> {
    Import::new(geojson_records(text), parse_zone)
}

pub fn zones_from_geojson(text: &str) -> Result<Vec<Zone>, ImportError> {
    zones_from_geojson_iter(text).collect()
}

/// Parcels from the `.shp` and `.dbf` parts of a shapefile (the `.shx` index is not needed
/// for reading every record in order).
pub fn parcels_from_shapefile_iter(shp: &[u8], dbf: &[u8]) -> Import<Parcel> {
    Import::parcels(shapefile_records(shp, dbf))
}

pub fn parcels_from_shapefile(shp: &[u8], dbf: &[u8]) -> Result<Vec<Parcel>, ImportError> {
    parcels_from_shapefile_iter(shp, dbf).collect()
}

pub fn zones_from_shapefile_iter(shp: &[u8], dbf: &[u8]) -> Import<Zone> {
    Import::new(shapefile_records(shp, dbf), parse_zone)
}

pub fn zones_from_shapefile(shp: &[u8], dbf: &[u8]) -> Result<Vec<Zone>, ImportError> {
    zones_from_shapefile_iter(shp, dbf).collect()
}

/// Every zone code on the map must be in the plan's zone table; checked at import so that an
/// unknown code is caught once, not on every sheet.
pub fn check_zone_codes(rules: &PlanRules, zones: &[Zone]) -> Result<(), ImportError> {
    for (index, z) in zones.iter().enumerate() {
        if rules.zone(&z.code).is_none() {
            return Err(ImportError::new(
                index,
                fields::ZONE,
                format!("zone code `{}` is not in plan version {}", z.code, rules.version),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(props: &str) -> String {
        format!(
            r#"{{"type":"Feature","geometry":{{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,20],[0,20],[0,0]]]}},"properties":{{{props}}}}}"#
        )
    }

    fn collection(features: &[String]) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
    }

    const GOOD: &str = r#""pkey":"01-0001-001","plate":"1234/56","district":"1","deed_area":245.37,"depth":"24.5","p_value":1234567,"f1_len":10,"f1_exist":12,"f1_appr":12"#;

    #[test]
    fn reads_a_parcel_exactly() {
        let parcels = parcels_from_geojson(&collection(&[feature(GOOD)])).expect("valid");
        assert_eq!(parcels.len(), 1);
        let p = &parcels[0];
        assert_eq!(p.deed_area, dec!(245.37));
        assert_eq!(p.depth, dec!(24.5));
        assert_eq!(p.merged_parcels, 1);
        assert_eq!(p.frontages.len(), 1);
        assert_eq!(p.regional_value_p, 1_234_567);
    }

    #[test]
    fn errors_name_record_and_field() {
        let bad = GOOD.replace(r#""deed_area":245.37"#, r#""deed_area":-3"#);
        let e =
            parcels_from_geojson(&collection(&[feature(GOOD), feature(&bad)])).expect_err("negative area");
        assert_eq!((e.index, e.field.as_str()), (1, "deed_area"));

        let partial = format!(r#"{GOOD},"f2_len":5"#);
        let e = parcels_from_geojson(&collection(&[feature(&partial)])).expect_err("partial");
        assert_eq!(e.field, "f2_exist");

        let e =
            parcels_from_geojson(&collection(&[feature(GOOD), feature(GOOD)])).expect_err("duplicate key");
        assert_eq!((e.index, e.field.as_str()), (1, "pkey"));

        let e = parcels_from_geojson("{not json").expect_err("syntax");
        assert_eq!(e.field, "file");

        let no_key = GOOD.replace(r#""pkey":"01-0001-001","#, "");
        let e = parcels_from_geojson(&collection(&[feature(&no_key)])).expect_err("missing");
        assert_eq!((e.field.as_str(), e.reason.as_str()), ("pkey", "missing"));
    }

    #[test]
    fn iterator_reports_every_record_and_its_length() {
        let bad = GOOD.replace("\"p_value\":1234567", "\"p_value\":1.5");
        let it = parcels_from_geojson_iter(&collection(&[
            feature(GOOD),
            feature(&bad.replace("01-0001-001", "x")),
        ]));
        assert_eq!(it.len(), 2);
        let results: Vec<_> = it.collect();
        assert!(results[0].is_ok());
        assert!(matches!(&results[1], Err(e) if e.field == "p_value"));
    }

    #[test]
    fn zones_accept_multipolygons() {
        let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[10,0],[10,10],[0,10],[0,0]]],[[[20,0],[30,0],[30,10],[20,10],[20,0]]]]},"properties":{"zone":"R122"}}]}"#;
        let zones = zones_from_geojson(text).expect("valid");
        assert_eq!(zones[0].polygon.0.len(), 2);
        assert!(check_zone_codes(&PlanRules::demo(), &zones).is_ok());
        let unknown = text.replace("R122", "X999");
        let zones = zones_from_geojson(&unknown).expect("valid");
        assert!(check_zone_codes(&PlanRules::demo(), &zones).is_err());
    }
}
