//! The detailed plan over the API: parcels, instruction sheets, plan checks and map layers.
//! Coordinates are projected metres in the plan's coordinate system (the demo city: UTM zone
//! 39N, EPSG:32639), x east and y north.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use daftar_app::plan::{self, DrawingCheck, ParcelInfo};
use daftar_app::{AppError, FieldError, Message};
use daftar_zoning::{Design, InstructionSheet, PlanCheck, Zone};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::ApiJson;
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody};

/// A parcel (attributes and polygon) with the zone its point-on-surface lies in.
#[derive(Serialize, ToSchema)]
pub struct ParcelBody {
    #[schema(value_type = Object)]
    pub parcel: Value,
    pub zone_code: Option<String>,
}

fn parcel_body(info: ParcelInfo) -> Result<Json<ParcelBody>, ApiError> {
    let parcel = serde_json::to_value(&info.parcel).map_err(|_| AppError::NotFound)?;
    Ok(Json(ParcelBody { parcel, zone_code: info.zone_code }))
}

#[utoipa::path(get, path = "/api/v1/parcels/{parcel_key}", tag = "plan",
    params(("parcel_key" = String, Path, description = "Municipal parcel key (کد نوسازی)")),
    responses((status = 200, body = ParcelBody), (status = 404, body = ApiErrorBody)))]
pub async fn parcel(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<ParcelBody>, ApiError> {
    parcel_body(plan::parcel(&state.app, &key).await?)
}

#[derive(Deserialize, IntoParams)]
pub struct Point {
    /// Easting, metres.
    pub x: f64,
    /// Northing, metres.
    pub y: f64,
}

/// The parcel containing a point.
#[utoipa::path(get, path = "/api/v1/parcels/at", tag = "plan", params(Point),
    responses((status = 200, body = ParcelBody), (status = 404, body = ApiErrorBody)))]
pub async fn parcel_at(
    State(state): State<AppState>,
    Query(point): Query<Point>,
) -> Result<Json<ParcelBody>, ApiError> {
    parcel_body(plan::parcel_at(&state.app, point.x, point.y).await?)
}

/// The planning instruction sheet (دستور نقشه) under the rules in force today: every figure
/// with its rule, clause, inputs, formula and arithmetic.
#[utoipa::path(get, path = "/api/v1/parcels/{parcel_key}/instruction-sheet", tag = "plan",
    params(("parcel_key" = String, Path, description = "Municipal parcel key")),
    responses((status = 200, body = Object), (status = 422, body = ApiErrorBody)))]
pub async fn instruction_sheet(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<InstructionSheet>, ApiError> {
    Ok(Json(plan::sheet(&state.app, &key).await?))
}

/// A design to check: the parcel and, per level, its use, areas, depth and units.
#[derive(Deserialize, ToSchema)]
pub struct CheckRequest {
    pub parcel_key: String,
    /// `{"levels": [{"level": 0, "use": "residential", "gross_area": "147", "footprint_area": "147",
    /// "depth": "14", "units": ["140"]}], "parking_spaces": 5}`; uses: residential, commercial,
    /// office, parking, storage, services; decimals as strings or numbers.
    #[schema(value_type = Object)]
    pub design: Design,
}

/// Checks a design given as numbers: one verdict per rule, each explained, and the floor area
/// to be purchased.
#[utoipa::path(post, path = "/api/v1/plan-check", tag = "plan", request_body = CheckRequest,
    responses((status = 200, body = Object), (status = 422, body = ApiErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CheckRequest>,
) -> Result<Json<PlanCheck>, ApiError> {
    Ok(Json(plan::check_design(&state.app, &body.parcel_key, &body.design).await?))
}

/// The largest drawing accepted.
pub const DXF_LIMIT: usize = 20 * 1024 * 1024;

fn upload_error(en: &str, fa: &str) -> ApiError {
    ApiError(AppError::invalid(FieldError::new("file", Message::new("فایل", "File"), Message::new(fa, en))))
}

/// The parts of a drawing upload.
pub struct DrawingUpload {
    pub parcel_key: String,
    pub bytes: Vec<u8>,
}

/// Reads `parcel_key` and `file` from a multipart form.
pub async fn read_upload(mut form: Multipart) -> Result<DrawingUpload, ApiError> {
    let (mut key, mut bytes) = (None, None);
    while let Some(field) =
        form.next_field().await.map_err(|_| upload_error("the upload is malformed", "بارگذاری ناقص است"))?
    {
        match field.name() {
            Some("parcel_key") => {
                key = Some(
                    field.text().await.map_err(|_| upload_error("bad parcel key", "کد نوسازی خوانا نیست"))?,
                )
            }
            Some("file") => {
                let data = field.bytes().await.map_err(|_| {
                    upload_error("the file is too large (20 MB at most)", "فایل بزرگ‌تر از ۲۰ مگابایت است")
                })?;
                bytes = Some(data.to_vec());
            }
            _ => {}
        }
    }
    match (key, bytes) {
        (Some(parcel_key), Some(bytes)) if !bytes.is_empty() => {
            Ok(DrawingUpload { parcel_key: parcel_key.trim().to_string(), bytes })
        }
        (None, _) => Err(ApiError(AppError::invalid(FieldError::new(
            "parcel_key",
            Message::new("کد نوسازی", "Parcel key"),
            Message::new("کد نوسازی قطعه را بفرستید.", "Send the parcel key."),
        )))),
        _ => Err(upload_error("attach the DXF drawing", "فایل DXF نقشه را پیوست کنید")),
    }
}

/// Multipart form: `parcel_key` and `file` (an ASCII DXF drawing in metres, layers as in
/// DXF-LAYERS.md).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DrawingForm {
    parcel_key: String,
    #[schema(format = Binary)]
    file: Vec<u8>,
}

/// Reads a DXF drawing and checks the design it shows. A drawing that cannot be read is
/// rejected as a whole, with every reason.
#[utoipa::path(post, path = "/api/v1/plan-check/dxf", tag = "plan",
    request_body(content = DrawingForm, content_type = "multipart/form-data"),
    responses((status = 200, body = Object), (status = 422, body = ApiErrorBody)))]
pub async fn check_dxf(
    State(state): State<AppState>,
    form: Multipart,
) -> Result<Json<DrawingCheck>, ApiError> {
    let upload = read_upload(form).await?;
    Ok(Json(plan::check_drawing(&state.app, &upload.parcel_key, upload.bytes).await?))
}

fn ring(coords: impl Iterator<Item = geo::Coord<f64>>) -> Value {
    Value::Array(coords.map(|c| json!([c.x, c.y])).collect())
}

fn polygon_coordinates(p: &geo::Polygon<f64>) -> Value {
    let mut rings = vec![ring(p.exterior().coords().copied())];
    rings.extend(p.interiors().iter().map(|r| ring(r.coords().copied())));
    Value::Array(rings)
}

/// The zone map as GeoJSON.
#[utoipa::path(get, path = "/api/v1/map/zones", tag = "plan", responses((status = 200, body = Object)))]
pub async fn zones(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let zones: Vec<Zone> = plan::zones(&state.app).await?;
    let features: Vec<Value> = zones
        .iter()
        .map(|z| {
            json!({
                "type": "Feature",
                "properties": { "zone": z.code },
                "geometry": { "type": "MultiPolygon", "coordinates": z.polygon.0.iter().map(polygon_coordinates).collect::<Vec<_>>() }
            })
        })
        .collect();
    Ok(Json(json!({ "type": "FeatureCollection", "features": features })))
}

#[derive(Deserialize, IntoParams)]
pub struct BoxQuery {
    /// `min_x,min_y,max_x,max_y` in metres.
    pub bbox: String,
}

fn parse_bbox(text: &str) -> Option<((f64, f64), (f64, f64))> {
    let n: Vec<f64> = text.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().ok()?;
    match n.as_slice() {
        [a, b, c, d] if n.iter().all(|v| v.is_finite()) && a <= c && b <= d => Some(((*a, *b), (*c, *d))),
        _ => None,
    }
}

/// Parcels in a box as GeoJSON (at most 5,000; `truncated` says when there were more).
#[utoipa::path(get, path = "/api/v1/map/parcels", tag = "plan", params(BoxQuery),
    responses((status = 200, body = Object), (status = 422, body = ApiErrorBody)))]
pub async fn parcels(
    State(state): State<AppState>,
    Query(q): Query<BoxQuery>,
) -> Result<Json<Value>, ApiError> {
    let (min, max) = parse_bbox(&q.bbox).ok_or_else(|| {
        ApiError(AppError::invalid(FieldError::new(
            "bbox",
            Message::new("محدوده", "Box"),
            Message::new(
                "چهار عدد min_x,min_y,max_x,max_y بنویسید.",
                "give four numbers: min_x,min_y,max_x,max_y.",
            ),
        )))
    })?;
    let (found, truncated) = plan::parcels_in_box(&state.app, min, max).await?;
    let features: Vec<Value> = found
        .iter()
        .map(|info| {
            json!({
                "type": "Feature",
                "properties": { "parcel_key": info.parcel.parcel_key, "zone": info.zone_code, "district": info.parcel.district },
                "geometry": { "type": "Polygon", "coordinates": polygon_coordinates(&info.parcel.polygon) }
            })
        })
        .collect();
    Ok(Json(json!({ "type": "FeatureCollection", "features": features, "truncated": truncated })))
}

#[cfg(test)]
mod tests {
    #[test]
    fn boxes_are_four_ordered_numbers() {
        assert_eq!(super::parse_bbox("1,2,3,4"), Some(((1.0, 2.0), (3.0, 4.0))));
        assert_eq!(super::parse_bbox("3,2,1,4"), None);
        assert_eq!(super::parse_bbox("1,2,3"), None);
        assert_eq!(super::parse_bbox("1,2,3,NaN"), None);
        assert_eq!(super::parse_bbox("a,b,c,d"), None);
    }
}
