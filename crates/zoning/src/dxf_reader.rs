//! Reading a design from a DXF drawing that follows the layer convention of `DXF-LAYERS.md`.
//!
//! A drawing is read whole or refused whole: every problem found is reported at once, each with
//! a stable code, so the designer fixes them in one round instead of one upload per mistake.
//! Nothing in a drawing can make the reader panic; odd input becomes a reported problem.

use crate::check::{Design, Level, validate_design};
use crate::num::{AREA_DP, LENGTH_DP, measured_decimal};
use crate::plan::{ParkingRules, Use};
use dxf::Drawing;
use dxf::entities::EntityType;
use geo::{Coord, LineString, Polygon, Validation};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::f64::consts::PI;

/// Larger files are refused before parsing: no real design comes near this size.
pub const MAX_DRAWING_BYTES: usize = 64 * 1024 * 1024;
/// Vertices of one outline after arcs are segmented.
const MAX_VERTICES: usize = 100_000;
/// Arcs are segmented every 2°: the chord deviates from the arc by at most r × 1.5e-4
/// (1.5 mm on a 10 m radius), below the millimetre resolution of depths.
const ARC_STEP: f64 = PI / 90.0;
/// No outline of a building plot comes near this area (m²); larger ones are drawing errors.
const MAX_OUTLINE_AREA: f64 = 1e10;
/// Points closer than this (1 mm) are the same point.
const SAME_POINT: f64 = 1e-3;

pub const LAYER_PARCEL: &str = "PARCEL";
pub const LAYER_FRONTAGE: &str = "FRONTAGE";
pub const LAYER_PARKING: &str = "PARKING";

/// Stable codes of drawing problems, for messages and for the locale layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// Not a DXF file the reader understands, or larger than the limit.
    Unreadable,
    /// The drawing declares units other than metres.
    NotMetres,
    MissingLayer,
    /// A layer name that starts like a level layer but does not follow the convention.
    BadLayerName,
    /// More than one parcel outline.
    DuplicateParcel,
    /// A polyline that must be closed is open.
    OpenPolyline,
    /// Fewer than three corners, no area, crossing itself, or too many vertices.
    BadOutline,
    /// An entity of a kind the convention does not use, on a convention layer.
    UnsupportedEntity,
    /// The frontage line is missing its direction, or there is more than one.
    BadFrontage,
    /// Two layers give one level different uses.
    LevelWithSeveralUses,
    /// Unit outlines on a level that has no level layer.
    UnitsWithoutLevel,
    /// A residential level without unit outlines.
    MissingUnits,
    StallNotRectangle,
    StallTooSmall,
    NoLevels,
    /// The levels read do not form a design (gaps, no ground floor…).
    InvalidDesign,
}

impl ProblemCode {
    pub fn key(self) -> &'static str {
        match self {
            ProblemCode::Unreadable => "unreadable",
            ProblemCode::NotMetres => "not_metres",
            ProblemCode::MissingLayer => "missing_layer",
            ProblemCode::BadLayerName => "bad_layer_name",
            ProblemCode::DuplicateParcel => "duplicate_parcel",
            ProblemCode::OpenPolyline => "open_polyline",
            ProblemCode::BadOutline => "bad_outline",
            ProblemCode::UnsupportedEntity => "unsupported_entity",
            ProblemCode::BadFrontage => "bad_frontage",
            ProblemCode::LevelWithSeveralUses => "level_with_several_uses",
            ProblemCode::UnitsWithoutLevel => "units_without_level",
            ProblemCode::MissingUnits => "missing_units",
            ProblemCode::StallNotRectangle => "stall_not_rectangle",
            ProblemCode::StallTooSmall => "stall_too_small",
            ProblemCode::NoLevels => "no_levels",
            ProblemCode::InvalidDesign => "invalid_design",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawingProblem {
    pub code: ProblemCode,
    /// The layer concerned, if any.
    pub layer: Option<String>,
    /// Details for the person fixing the drawing (handle, sizes, the design error…).
    pub detail: String,
}

/// The drawing was refused; `reasons` lists every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("the drawing was rejected: {}", summary(.reasons))]
pub struct DrawingError {
    pub reasons: Vec<DrawingProblem>,
}

fn summary(reasons: &[DrawingProblem]) -> String {
    let parts: Vec<String> = reasons
        .iter()
        .map(|r| match &r.layer {
            Some(l) => format!("{} on {l} ({})", r.code.key(), r.detail),
            None => format!("{} ({})", r.code.key(), r.detail),
        })
        .collect();
    parts.join("; ")
}

/// What a drawing yields: the design to check and the parcel as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawingDesign {
    pub design: Design,
    pub parcel_boundary: Polygon<f64>,
    /// Area of the drawn parcel (m², to 0.01), for comparison with the deed area.
    pub parcel_area: Decimal,
    /// The main frontage line as drawn: depths are measured perpendicular to it.
    pub frontage: (Coord<f64>, Coord<f64>),
}

/// Use codes in level layer names.
fn use_from_layer_code(code: &str) -> Option<Use> {
    Some(match code {
        "RES" => Use::Residential,
        "COM" => Use::Commercial,
        "OFF" => Use::Office,
        "PRK" => Use::Parking,
        "STO" => Use::Storage,
        "SRV" => Use::Services,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LayerRole {
    Parcel,
    Frontage,
    Parking,
    Level(i32, Use),
    Units(i32),
    /// Not part of the convention (annotation, dimensions, layer "0"): ignored.
    Other,
}

/// Classifies a layer name (case-insensitive). `Err` for names that look like a level layer
/// but are malformed, so a typo is reported instead of silently ignored.
fn layer_role(name: &str) -> Result<LayerRole, String> {
    let upper = name.trim().to_ascii_uppercase();
    match upper.as_str() {
        LAYER_PARCEL => return Ok(LayerRole::Parcel),
        LAYER_FRONTAGE => return Ok(LayerRole::Frontage),
        LAYER_PARKING => return Ok(LayerRole::Parking),
        _ => {}
    }
    let Some(rest) = upper.strip_prefix('L') else {
        return Ok(LayerRole::Other);
    };
    let sign = match rest.chars().next() {
        Some('+') => 1,
        Some('-') => -1,
        _ => return Ok(LayerRole::Other),
    };
    let bad = || format!("`{name}` does not follow L+NN-USE (e.g. L+00-RES, L-01-PRK, L+02-UNIT)");
    let body = &rest[1..];
    let (digits, code) = body.split_once('-').ok_or_else(bad)?;
    if digits.len() != 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: i32 = digits.parse().map_err(|_| bad())?;
    if sign < 0 && n == 0 {
        return Err(bad());
    }
    let level = sign * n;
    if code == "UNIT" {
        return Ok(LayerRole::Units(level));
    }
    use_from_layer_code(code).map(|u| LayerRole::Level(level, u)).ok_or_else(bad)
}

/// A polyline vertex: position and bulge (tan of a quarter of the arc's included angle).
#[derive(Debug, Clone, Copy)]
struct Vertex {
    x: f64,
    y: f64,
    bulge: f64,
}

/// A closed outline: the segmented polygon and the exact area (arcs included exactly).
struct Outline {
    polygon: Polygon<f64>,
    area: f64,
    /// Corners as drawn, without the closing repeat; used for the stall rectangle test.
    corners: Vec<Vertex>,
}

fn same(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.0 - b.0).hypot(a.1 - b.1) <= SAME_POINT
}

/// Appends the points of the edge from `a` to `b` (excluding `b`), segmenting an arc.
fn push_edge(out: &mut Vec<Coord<f64>>, a: Vertex, b: Vertex) {
    out.push(Coord { x: a.x, y: a.y });
    if a.bulge == 0.0 {
        return;
    }
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let chord = dx.hypot(dy);
    if chord <= SAME_POINT {
        return;
    }
    let theta = 4.0 * a.bulge.atan();
    // Centre: from the chord's midpoint along its left normal.
    let k = (1.0 - a.bulge * a.bulge) / (4.0 * a.bulge);
    let (cx, cy) = ((a.x + b.x) / 2.0 - dy * k, (a.y + b.y) / 2.0 + dx * k);
    let r = (a.x - cx).hypot(a.y - cy);
    let start = (a.y - cy).atan2(a.x - cx);
    let steps = (theta.abs() / ARC_STEP).ceil().clamp(1.0, 720.0) as usize;
    for j in 1..steps {
        let t = start + theta * (j as f64) / (steps as f64);
        out.push(Coord { x: cx + r * t.cos(), y: cy + r * t.sin() });
    }
}

/// Signed area between a chord and its arc, positive for a counter-clockwise arc.
fn arc_segment_area(a: Vertex, b: Vertex) -> f64 {
    if a.bulge == 0.0 {
        return 0.0;
    }
    let chord = (b.x - a.x).hypot(b.y - a.y);
    let theta = 4.0 * a.bulge.atan();
    let half = (theta / 2.0).sin();
    if chord <= SAME_POINT || half == 0.0 {
        return 0.0;
    }
    let r = chord / (2.0 * half);
    0.5 * r * r * (theta - theta.sin())
}

/// Builds a closed outline; `Err` explains why the polyline cannot be one.
fn outline(mut vs: Vec<Vertex>, closed_flag: bool) -> Result<Outline, (ProblemCode, String)> {
    if vs.iter().any(|v| !v.x.is_finite() || !v.y.is_finite() || !v.bulge.is_finite()) {
        return Err((ProblemCode::BadOutline, "a coordinate is not a finite number".into()));
    }
    // An open polyline whose ends meet is closed in all but the flag.
    let ends_meet = match (vs.first(), vs.last()) {
        (Some(f), Some(l)) if vs.len() > 2 => same((f.x, f.y), (l.x, l.y)),
        _ => false,
    };
    if !closed_flag && !ends_meet {
        return Err((ProblemCode::OpenPolyline, "the polyline must be closed".into()));
    }
    if ends_meet {
        vs.pop();
    }
    vs.dedup_by(|b, a| same((a.x, a.y), (b.x, b.y)) && a.bulge == 0.0);
    if vs.len() < 3 && vs.iter().all(|v| v.bulge == 0.0) {
        return Err((ProblemCode::BadOutline, "fewer than three corners".into()));
    }
    if vs.len() < 2 {
        return Err((ProblemCode::BadOutline, "fewer than two vertices".into()));
    }
    // Work relative to the first vertex: map coordinates are large, and the shoelace formula
    // would lose square centimetres to cancellation on them.
    let (ox, oy) = (vs[0].x, vs[0].y);
    let local: Vec<Vertex> = vs.iter().map(|v| Vertex { x: v.x - ox, y: v.y - oy, bulge: v.bulge }).collect();
    let n = local.len();
    let mut twice = 0.0;
    let mut arcs = 0.0;
    let mut coords = Vec::with_capacity(n + 1);
    for i in 0..n {
        let (a, b) = (local[i], local[(i + 1) % n]);
        twice += a.x * b.y - b.x * a.y;
        arcs += arc_segment_area(a, b);
        push_edge(&mut coords, a, b);
        if coords.len() > MAX_VERTICES {
            return Err((ProblemCode::BadOutline, format!("more than {MAX_VERTICES} vertices")));
        }
    }
    let area = (twice / 2.0 + arcs).abs();
    let shifted: Vec<Coord<f64>> = coords.iter().map(|c| Coord { x: c.x + ox, y: c.y + oy }).collect();
    let polygon = Polygon::new(LineString::new(shifted), vec![]);
    if !(area.is_finite() && area > 0.0) {
        return Err((ProblemCode::BadOutline, "the outline has no area".into()));
    }
    if area > MAX_OUTLINE_AREA {
        return Err((ProblemCode::BadOutline, "the outline is larger than 10,000 km² (not metres?)".into()));
    }
    if !polygon.is_valid() {
        return Err((ProblemCode::BadOutline, "the outline crosses itself".into()));
    }
    Ok(Outline { polygon, area, corners: vs })
}

/// Sides of a stall when it is a rectangle (within 1 cm and about half a degree).
fn rectangle_sides(corners: &[Vertex]) -> Option<(f64, f64)> {
    if corners.len() != 4 || corners.iter().any(|v| v.bulge != 0.0) {
        return None;
    }
    let edge = |i: usize| {
        let (a, b) = (corners[i], corners[(i + 1) % 4]);
        (b.x - a.x, b.y - a.y)
    };
    let len = |e: (f64, f64)| e.0.hypot(e.1);
    for i in 0..4 {
        let (e, f) = (edge(i), edge((i + 1) % 4));
        let dot = e.0 * f.0 + e.1 * f.1;
        if dot.abs() > 0.01 * len(e) * len(f) {
            return None;
        }
    }
    let (a, b) = (len(edge(0)), len(edge(1)));
    if (a - len(edge(2))).abs() > 0.01 || (b - len(edge(3))).abs() > 0.01 {
        return None;
    }
    Some((a.min(b), a.max(b)))
}

/// One entity's geometry as vertices, with its closed flag; `None` for entities ignored.
enum Shape {
    Poly(Vec<Vertex>, bool),
    Line(Vertex, Vertex),
    Unsupported(&'static str),
    Ignored,
}

fn shape_of(e: &EntityType) -> Shape {
    match e {
        EntityType::LwPolyline(p) => Shape::Poly(
            p.vertices.iter().map(|v| Vertex { x: v.x, y: v.y, bulge: v.bulge }).collect(),
            p.is_closed(),
        ),
        EntityType::Polyline(p) => Shape::Poly(
            p.vertices().map(|v| Vertex { x: v.location.x, y: v.location.y, bulge: v.bulge }).collect(),
            p.is_closed(),
        ),
        EntityType::Line(l) => Shape::Line(
            Vertex { x: l.p1.x, y: l.p1.y, bulge: 0.0 },
            Vertex { x: l.p2.x, y: l.p2.y, bulge: 0.0 },
        ),
        // Annotation is welcome on any layer.
        EntityType::Text(_)
        | EntityType::MText(_)
        | EntityType::RotatedDimension(_)
        | EntityType::RadialDimension(_)
        | EntityType::DiameterDimension(_)
        | EntityType::AngularThreePointDimension(_)
        | EntityType::OrdinateDimension(_)
        | EntityType::Leader(_)
        | EntityType::Attribute(_)
        | EntityType::AttributeDefinition(_)
        | EntityType::Seqend(_)
        | EntityType::Vertex(_) => Shape::Ignored,
        EntityType::Insert(_) => Shape::Unsupported("block reference (explode blocks first)"),
        EntityType::Arc(_) => Shape::Unsupported("ARC (draw outlines as polylines with arcs)"),
        EntityType::Circle(_) => Shape::Unsupported("CIRCLE (draw outlines as polylines)"),
        EntityType::Spline(_) => Shape::Unsupported("SPLINE (convert to a polyline)"),
        EntityType::Ellipse(_) => Shape::Unsupported("ELLIPSE (convert to a polyline)"),
        _ => Shape::Unsupported("entity kind not used by the layer convention"),
    }
}

/// What the reader takes from a DXF file before handing anything to the DXF parser: the
/// ENTITIES section, rebuilt as a drawing of its own, and the `$INSUNITS` header value.
///
/// Only that section is parsed because the parser panics on some malformed header values
/// (found by fuzzing), and the design needs nothing else from the file. Scanning the group
/// codes here also tells a file that is not a drawing at all from a drawing missing its layers.
struct Scanned {
    entities: Vec<u8>,
    insunits: Option<i64>,
}

/// Lines of a byte buffer without their line ends.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| start + i);
        pos = end + 1;
        let mut line = &bytes[start..end];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        Some((start, line))
    })
}

fn trimmed(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

fn scan(bytes: &[u8]) -> Result<Scanned, String> {
    if bytes.starts_with(b"AutoCAD Binary DXF") {
        return Err("binary DXF is not supported: save the drawing as ASCII DXF".into());
    }
    let all: Vec<(usize, &[u8])> = lines(bytes).collect();
    // Blank lines after the last pair are not part of the drawing.
    let used = all.iter().rposition(|(_, l)| !trimmed(l).is_empty()).map_or(0, |i| i + 1);
    let mut it = all[..used].iter().copied().enumerate();
    let mut section: Option<Vec<u8>> = None;
    let mut expect_name = false;
    let mut entities: Option<(usize, usize)> = None;
    let mut entities_start = 0;
    let mut insunits = None;
    let mut header_var: Option<Vec<u8>> = None;
    let mut pairs = 0usize;
    while let Some((n, (code_start, code_line))) = it.next() {
        let code_text = trimmed(code_line);
        let code: i32 = std::str::from_utf8(code_text)
            .ok()
            .and_then(|t| t.parse().ok())
            .filter(|c| (0..=1071).contains(c))
            .ok_or_else(|| format!("line {} is not a DXF group code", n + 1))?;
        let Some((_, (value_start, value_line))) = it.next() else {
            return Err(format!("group code {code} on the last line has no value"));
        };
        let value = trimmed(value_line);
        pairs += 1;
        if expect_name {
            expect_name = false;
            if code != 2 {
                return Err("a SECTION without a name".into());
            }
            section = Some(value.to_vec());
            if value == b"ENTITIES" {
                entities_start = code_start;
            }
            continue;
        }
        match (code, value) {
            (0, b"SECTION") => {
                if section.is_some() {
                    return Err("a SECTION inside another".into());
                }
                expect_name = true;
            }
            (0, b"ENDSEC") => {
                if section.as_deref() == Some(b"ENTITIES") && entities.is_none() {
                    entities = Some((entities_start, value_start + value_line.len()));
                }
                section = None;
            }
            (0, b"EOF") => break,
            (9, name) if section.as_deref() == Some(b"HEADER") => {
                header_var = Some(name.to_vec());
            }
            (70, v) if header_var.as_deref() == Some(b"$INSUNITS") => {
                insunits = std::str::from_utf8(v).ok().and_then(|t| t.parse().ok());
                header_var = None;
            }
            _ => {}
        }
    }
    if pairs == 0 {
        return Err("not a DXF file: it holds no group codes".into());
    }
    let mut doc = b"  0\nSECTION\n".to_vec();
    if let Some((a, b)) = entities {
        doc.extend_from_slice(&bytes[a..b]);
        doc.push(b'\n');
    } else {
        doc.extend_from_slice(b"  2\nENTITIES\n  0\nENDSEC\n");
    }
    doc.extend_from_slice(b"  0\nEOF\n");
    Ok(Scanned { entities: doc, insunits })
}

/// `$INSUNITS` must be metres (6) or unitless (0).
fn units_problem(insunits: Option<i64>) -> Option<String> {
    let name = match insunits {
        None | Some(0) | Some(6) => return None,
        Some(1) => "inches",
        Some(2) => "feet",
        Some(4) => "millimetres",
        Some(5) => "centimetres",
        Some(7) => "kilometres",
        Some(_) => "a unit other than metres",
    };
    Some(format!("the drawing is in {name} ($INSUNITS {}); draw in metres", insunits.unwrap_or(0)))
}

/// Reads a design from DXF bytes. Depths are measured perpendicular to the `FRONTAGE` line;
/// stalls are checked against the plan's stall size.
pub fn read_design(bytes: &[u8], parking: &ParkingRules) -> Result<DrawingDesign, DrawingError> {
    let refuse = |detail: String| DrawingError {
        reasons: vec![DrawingProblem { code: ProblemCode::Unreadable, layer: None, detail }],
    };
    if bytes.len() > MAX_DRAWING_BYTES {
        return Err(refuse(format!("the file is larger than {} MiB", MAX_DRAWING_BYTES / (1024 * 1024))));
    }
    let scanned = scan(bytes).map_err(refuse)?;
    let mut cursor = std::io::Cursor::new(scanned.entities.as_slice());
    let drawing = Drawing::load(&mut cursor).map_err(|e| refuse(e.to_string()))?;
    read_entities(&drawing, units_problem(scanned.insunits), parking)
}

/// Problems collected while reading, so that all of them are reported together.
struct Problems(Vec<DrawingProblem>);

impl Problems {
    fn add(&mut self, code: ProblemCode, layer: Option<&str>, detail: String) {
        self.0.push(DrawingProblem { code, layer: layer.map(str::to_owned), detail });
    }
}

fn read_entities(
    drawing: &Drawing,
    units_problem: Option<String>,
    parking: &ParkingRules,
) -> Result<DrawingDesign, DrawingError> {
    let mut problems = Problems(Vec::new());
    if let Some(detail) = units_problem {
        problems.add(ProblemCode::NotMetres, None, detail);
    }

    let mut parcels: Vec<Outline> = Vec::new();
    let mut frontages: Vec<(Vertex, Vertex)> = Vec::new();
    let mut stalls = 0u32;
    let mut levels: BTreeMap<i32, (Use, Vec<Outline>, String)> = BTreeMap::new();
    let mut units: BTreeMap<i32, (Vec<Decimal>, String)> = BTreeMap::new();

    for entity in drawing.entities() {
        if entity.common.is_in_paper_space {
            continue;
        }
        let layer = entity.common.layer.as_str();
        let role = match layer_role(layer) {
            Ok(r) => r,
            Err(msg) => {
                problems.add(ProblemCode::BadLayerName, Some(layer), msg);
                continue;
            }
        };
        if role == LayerRole::Other {
            continue;
        }
        let handle = format!("entity {:X}", entity.common.handle.0);
        let shape = shape_of(&entity.specific);
        if role == LayerRole::Frontage {
            match shape {
                Shape::Line(a, b) => frontages.push((a, b)),
                Shape::Poly(vs, _) if vs.len() >= 2 => {
                    frontages.push((vs[0], vs[vs.len() - 1]));
                }
                Shape::Poly(..) => problems.add(
                    ProblemCode::BadFrontage,
                    Some(layer),
                    format!("{handle}: a frontage line needs two points"),
                ),
                Shape::Unsupported(what) => {
                    problems.add(ProblemCode::UnsupportedEntity, Some(layer), format!("{handle}: {what}"))
                }
                Shape::Ignored => {}
            }
            continue;
        }
        let (vs, closed) = match shape {
            Shape::Poly(vs, closed) => (vs, closed),
            Shape::Ignored => continue,
            Shape::Line(..) => {
                problems.add(
                    ProblemCode::UnsupportedEntity,
                    Some(layer),
                    format!("{handle}: LINE (outlines are closed polylines)"),
                );
                continue;
            }
            Shape::Unsupported(what) => {
                problems.add(ProblemCode::UnsupportedEntity, Some(layer), format!("{handle}: {what}"));
                continue;
            }
        };
        let o = match outline(vs, closed) {
            Ok(o) => o,
            Err((code, why)) => {
                problems.add(code, Some(layer), format!("{handle}: {why}"));
                continue;
            }
        };
        match role {
            LayerRole::Parcel => parcels.push(o),
            LayerRole::Parking => match rectangle_sides(&o.corners) {
                None => problems.add(
                    ProblemCode::StallNotRectangle,
                    Some(layer),
                    format!("{handle}: a stall is a rectangle of four straight sides"),
                ),
                Some((short, long)) => {
                    let (w, l) = (
                        measured_decimal(short, LENGTH_DP).unwrap_or(Decimal::ZERO),
                        measured_decimal(long, LENGTH_DP).unwrap_or(Decimal::ZERO),
                    );
                    if w < parking.stall_width || l < parking.stall_length {
                        problems.add(
                            ProblemCode::StallTooSmall,
                            Some(layer),
                            format!(
                                "{handle}: {} × {} m, at least {} × {} m required",
                                w.normalize(),
                                l.normalize(),
                                parking.stall_width.normalize(),
                                parking.stall_length.normalize()
                            ),
                        );
                    } else {
                        stalls = stalls.saturating_add(1);
                    }
                }
            },
            LayerRole::Level(level, use_) => {
                let entry = levels.entry(level).or_insert_with(|| (use_, Vec::new(), layer.to_owned()));
                if entry.0 != use_ {
                    problems.add(
                        ProblemCode::LevelWithSeveralUses,
                        Some(layer),
                        format!("level {level} is also drawn on {}", entry.2),
                    );
                } else {
                    entry.1.push(o);
                }
            }
            LayerRole::Units(level) => {
                let entry = units.entry(level).or_insert_with(|| (Vec::new(), layer.to_owned()));
                entry.0.push(measured_decimal(o.area, AREA_DP).unwrap_or(Decimal::ZERO));
            }
            LayerRole::Frontage | LayerRole::Other => {}
        }
    }

    let parcel = match parcels.len() {
        0 => {
            problems.add(ProblemCode::MissingLayer, Some(LAYER_PARCEL), "no closed parcel outline".into());
            None
        }
        1 => parcels.pop(),
        n => {
            problems.add(
                ProblemCode::DuplicateParcel,
                Some(LAYER_PARCEL),
                format!("{n} parcel outlines, one expected"),
            );
            None
        }
    };
    let frontage = match frontages.as_slice() {
        [] => {
            problems.add(ProblemCode::MissingLayer, Some(LAYER_FRONTAGE), "no frontage line".into());
            None
        }
        [(a, b)] if !same((a.x, a.y), (b.x, b.y)) && [a.x, a.y, b.x, b.y].iter().all(|v| v.is_finite()) => {
            Some((*a, *b))
        }
        [_] => {
            problems.add(
                ProblemCode::BadFrontage,
                Some(LAYER_FRONTAGE),
                "the frontage line has no length".into(),
            );
            None
        }
        many => {
            problems.add(
                ProblemCode::BadFrontage,
                Some(LAYER_FRONTAGE),
                format!("{} frontage lines, one expected (the main frontage)", many.len()),
            );
            None
        }
    };
    if levels.is_empty() {
        problems.add(ProblemCode::NoLevels, None, "no level layer (L+00-RES …) holds an outline".into());
    }
    for (level, (_, layer)) in &units {
        if !levels.contains_key(level) {
            problems.add(
                ProblemCode::UnitsWithoutLevel,
                Some(layer),
                format!("level {level} has unit outlines but no level outline"),
            );
        }
    }

    // Depth direction: the unit normal of the frontage line.
    let normal = frontage.map(|(a, b)| {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = dx.hypot(dy);
        (-dy / len, dx / len)
    });
    let mut design_levels = Vec::with_capacity(levels.len());
    for (level, (use_, outlines, layer)) in &levels {
        let area: f64 = outlines.iter().map(|o| o.area).sum();
        let depth = normal.map(|(nx, ny)| {
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for c in outlines.iter().flat_map(|o| o.polygon.exterior().0.iter()) {
                let d = c.x * nx + c.y * ny;
                lo = lo.min(d);
                hi = hi.max(d);
            }
            hi - lo
        });
        let unit_areas = units.get(level).map(|u| u.0.clone()).unwrap_or_default();
        if *use_ == Use::Residential && unit_areas.is_empty() {
            problems.add(
                ProblemCode::MissingUnits,
                Some(layer),
                format!("residential level {level} needs unit outlines on its UNIT layer"),
            );
        }
        let (Some(area), Some(depth)) =
            (measured_decimal(area, AREA_DP), depth.and_then(|d| measured_decimal(d, LENGTH_DP)))
        else {
            // Without a frontage line there is no depth; that is reported already.
            if normal.is_some() {
                problems.add(
                    ProblemCode::BadOutline,
                    Some(layer),
                    format!("level {level} cannot be measured"),
                );
            }
            continue;
        };
        design_levels.push(Level {
            level: *level,
            use_: *use_,
            gross_area: area,
            footprint_area: area,
            depth,
            units: unit_areas,
        });
    }

    if !problems.0.is_empty() {
        return Err(DrawingError { reasons: problems.0 });
    }
    let design = Design { levels: design_levels, parking_spaces: stalls };
    if let Err(e) = validate_design(&design) {
        problems.add(ProblemCode::InvalidDesign, None, e.to_string());
    }
    match (parcel, frontage) {
        (Some(parcel), Some((a, b))) if problems.0.is_empty() => Ok(DrawingDesign {
            design,
            parcel_area: measured_decimal(parcel.area, AREA_DP).unwrap_or(Decimal::ZERO),
            parcel_boundary: parcel.polygon,
            frontage: (Coord { x: a.x, y: a.y }, Coord { x: b.x, y: b.y }),
        }),
        _ => Err(DrawingError { reasons: problems.0 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_names() {
        assert_eq!(layer_role("parcel"), Ok(LayerRole::Parcel));
        assert_eq!(layer_role("L+00-RES"), Ok(LayerRole::Level(0, Use::Residential)));
        assert_eq!(layer_role("l-01-prk"), Ok(LayerRole::Level(-1, Use::Parking)));
        assert_eq!(layer_role("L+12-UNIT"), Ok(LayerRole::Units(12)));
        assert_eq!(layer_role("0"), Ok(LayerRole::Other));
        assert_eq!(layer_role("LABELS"), Ok(LayerRole::Other));
        assert!(layer_role("L+1-RES").is_err());
        assert!(layer_role("L-00-PRK").is_err());
        assert!(layer_role("L+01-SHOP").is_err());
        assert!(layer_role("L+01").is_err());
    }

    fn v(x: f64, y: f64, bulge: f64) -> Vertex {
        Vertex { x, y, bulge }
    }

    #[test]
    fn arcs_have_exact_area() {
        // A 10 m × 10 m square whose top edge bulges out into a half circle of radius 5.
        let vs = vec![
            v(530_000.0, 3_950_000.0, 0.0),
            v(530_010.0, 3_950_000.0, 0.0),
            v(530_010.0, 3_950_010.0, 1.0),
            v(530_000.0, 3_950_010.0, 0.0),
        ];
        let o = outline(vs, true).expect("valid outline");
        let expected = 100.0 + PI * 25.0 / 2.0;
        assert!((o.area - expected).abs() < 1e-6, "{}", o.area);
        // The segmented polygon reaches the top of the arc: depth 15 m from the bottom edge.
        let top = o.polygon.exterior().0.iter().map(|c| c.y).fold(f64::NEG_INFINITY, f64::max);
        assert!((top - 3_950_015.0).abs() < 1e-3);
    }

    #[test]
    fn outlines_refuse_open_and_crossing_polylines() {
        let square = vec![v(0.0, 0.0, 0.0), v(1.0, 0.0, 0.0), v(1.0, 1.0, 0.0), v(0.0, 1.0, 0.0)];
        assert!(matches!(outline(square.clone(), false), Err((ProblemCode::OpenPolyline, _))));
        let mut explicit = square.clone();
        explicit.push(v(0.0, 0.0, 0.0));
        assert!(outline(explicit, false).is_ok());
        let bow = vec![v(0.0, 0.0, 0.0), v(1.0, 1.0, 0.0), v(1.0, 0.0, 0.0), v(0.0, 1.0, 0.0)];
        assert!(matches!(outline(bow, true), Err((ProblemCode::BadOutline, _))));
        let nan = vec![v(0.0, 0.0, 0.0), v(f64::NAN, 0.0, 0.0), v(1.0, 1.0, 0.0)];
        assert!(matches!(outline(nan, true), Err((ProblemCode::BadOutline, _))));
    }

    #[test]
    fn stalls_must_be_rectangles() {
        let rect = [v(0.0, 0.0, 0.0), v(2.5, 0.0, 0.0), v(2.5, 5.0, 0.0), v(0.0, 5.0, 0.0)];
        assert_eq!(rectangle_sides(&rect), Some((2.5, 5.0)));
        let rhombus = [v(0.0, 0.0, 0.0), v(2.5, 0.0, 0.0), v(4.0, 5.0, 0.0), v(1.5, 5.0, 0.0)];
        assert_eq!(rectangle_sides(&rhombus), None);
    }
}
