//! Plan data: the zone table and plan-wide parameters, loaded from a versioned TOML file, and the
//! parcels and zones the rules are applied to.
//!
//! Every number of the plan is data so that a municipality changes its plan by editing a file,
//! never the engine; every rule carries the clause it is printed with.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The demo city's plan rules (the sample plan's table and numbers).
pub const DEMO_RULES_TOML: &str = include_str!("../plans/demo-rules.toml");

/// Uses of a level. The snake_case codes are stable: plan files, import files and stored sheets
/// use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Use {
    Residential,
    Commercial,
    Office,
    Parking,
    Storage,
    Services,
}

impl Use {
    pub const ALL: [Use; 6] =
        [Use::Residential, Use::Commercial, Use::Office, Use::Parking, Use::Storage, Use::Services];

    /// The stable code, identical to the serialised form.
    pub fn code(self) -> &'static str {
        match self {
            Use::Residential => "residential",
            Use::Commercial => "commercial",
            Use::Office => "office",
            Use::Parking => "parking",
            Use::Storage => "storage",
            Use::Services => "services",
        }
    }

    pub fn from_code(code: &str) -> Option<Use> {
        Use::ALL.into_iter().find(|u| u.code() == code)
    }
}

impl fmt::Display for Use {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One row of the zone table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneRules {
    pub code: String,
    pub meaning: String,
    pub clause: String,
    /// Whether a building permit can be issued at all (false for green/protection zones).
    pub building_zone: bool,
    pub floors: u32,
    pub coverage_percent: Decimal,
    pub far_percent: Decimal,
    /// Absent in zones without building rights.
    pub min_parcel_area: Option<Decimal>,
    pub min_street_width: Option<Decimal>,
    pub uses: Vec<Use>,
    /// Uses permitted only at level 0 (M111: commercial).
    pub ground_floor_only: Vec<Use>,
    pub extra_floor_purchasable: bool,
}

impl ZoneRules {
    /// Coverage as a fraction (60 % → 0.6).
    pub fn coverage(&self) -> Decimal {
        self.coverage_percent / dec!(100)
    }

    /// Floor-area ratio as a fraction (300 % → 3).
    pub fn far(&self) -> Decimal {
        self.far_percent / dec!(100)
    }
}

/// A rule that has no numbers of its own, only its clause (its numbers come from the zone table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseRule {
    pub clause: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetAreaRule {
    pub clause: String,
    /// d = (approved − existing) × setback_share.
    pub setback_share: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveLandRule {
    pub clause: String,
    pub min_deed_area: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloorsRule {
    pub clause: String,
    pub floors_lost_per_unmet_condition: u32,
    pub min_floors_in_building_zone: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepthRule {
    pub clause: String,
    pub share: Decimal,
    pub allowance: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsolidationRule {
    pub clause: String,
    pub bonus_percent_per_extra_parcel: Decimal,
    pub bonus_floors: u32,
}

/// Residential parking by unit size class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentialParking {
    pub small_unit_below: Decimal,
    pub large_unit_above: Decimal,
    pub small_unit_spaces: Decimal,
    pub medium_unit_spaces: Decimal,
    pub large_unit_spaces: Decimal,
}

/// Parking for a use by floor area: area × factor / area_per_space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaParking {
    #[serde(rename = "use")]
    pub use_: Use,
    pub area_per_space: Decimal,
    pub factor: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkingRules {
    pub clause: String,
    pub stall_width: Decimal,
    pub stall_length: Decimal,
    pub residential: ResidentialParking,
    pub by_area: Vec<AreaParking>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsesRule {
    pub clause: String,
    /// Permitted in every building zone (a parking basement under houses).
    pub ancillary: Vec<Use>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountingRule {
    pub clause: String,
    pub uncounted_below_ground: Vec<Use>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrontagesRule {
    pub clause: String,
    pub max_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneOverlapRule {
    pub clause: String,
    pub max_outside_percent: Decimal,
}

impl ZoneOverlapRule {
    pub fn max_outside_share(&self) -> Decimal {
        self.max_outside_percent / dec!(100)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseRule {
    pub clause: String,
    pub extra_floors: u32,
    pub max_area_in_footprints: Decimal,
}

/// A validated plan: the zone table and the plan-wide parameters of one plan version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRules {
    pub version: String,
    /// Jalali date the version takes effect, "YYYY/MM/DD"; zero-padded so text order is date order.
    pub effective_from: String,
    pub title: String,
    pub crs: String,
    pub net_area: NetAreaRule,
    pub reserve_land: ReserveLandRule,
    pub floors: FloorsRule,
    pub coverage: ClauseRule,
    pub floor_area_ratio: ClauseRule,
    pub depth: DepthRule,
    pub consolidation: ConsolidationRule,
    pub parking: ParkingRules,
    pub uses: UsesRule,
    pub counting: CountingRule,
    pub frontages: FrontagesRule,
    pub zone_overlap: ZoneOverlapRule,
    pub purchase: PurchaseRule,
    pub zones: Vec<ZoneRules>,
}

/// Why a plan file was refused. Every variant names where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("plan rules file is not valid: {0}")]
    Syntax(String),
    #[error("{}field `{field}`: {reason}", zone_prefix(.zone))]
    Invalid {
        /// The zone code when the problem is in the zone table.
        zone: Option<String>,
        /// Dotted path of the field, e.g. `parking.residential.medium_unit_spaces` or `uses`.
        field: String,
        reason: String,
    },
    #[error("zone {code} is defined more than once")]
    DuplicateZone { code: String },
}

fn zone_prefix(zone: &Option<String>) -> String {
    match zone {
        Some(code) => format!("zone {code}: "),
        None => String::new(),
    }
}

impl PlanRules {
    /// Parses and validates a plan rules file.
    pub fn from_toml(text: &str) -> Result<PlanRules, PlanError> {
        let raw: raw::Plan = toml::from_str(text).map_err(|e| PlanError::Syntax(e.to_string()))?;
        raw.validate()
    }

    /// The demo plan shipped with the crate.
    pub fn demo() -> PlanRules {
        match PlanRules::from_toml(DEMO_RULES_TOML) {
            Ok(rules) => rules,
            // The demo file is part of the crate and covered by its tests; failing here means the
            // crate itself is broken, not the caller's input.
            Err(e) => panic!("the bundled demo plan is invalid: {e}"),
        }
    }

    pub fn zone(&self, code: &str) -> Option<&ZoneRules> {
        self.zones.iter().find(|z| z.code == code)
    }
}

/// One street frontage of a parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frontage {
    pub length: Decimal,
    pub existing_width: Decimal,
    pub approved_width: Decimal,
}

/// A parcel as recorded by the municipality. The rules use its attributes (deed area, depth,
/// frontages), never the polygon's computed area: the deed area is the legal one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parcel {
    /// Municipal parcel key (کد نوسازی).
    pub parcel_key: String,
    pub registry_plate: String,
    pub district: String,
    /// Projected metres in the plan's coordinate system.
    pub polygon: geo::Polygon<f64>,
    pub deed_area: Decimal,
    /// Surveyed depth perpendicular to the main frontage.
    pub depth: Decimal,
    /// Regional value P, Rials per m².
    pub regional_value_p: i64,
    /// Number of parcels merged into this one; 1 if none.
    pub merged_parcels: u32,
    pub frontages: Vec<Frontage>,
}

/// A zone polygon with its code from the zone table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    pub code: String,
    pub polygon: geo::MultiPolygon<f64>,
}

/// The TOML shape of a plan file, before validation.
mod raw {
    use super::*;
    use serde::de::{self, Visitor};
    use std::str::FromStr;

    /// A decimal written as an integer or a quoted string. TOML floats are refused: they are
    /// binary and would silently turn 0.1 into 0.1000000000000000055….
    #[derive(Debug, Clone, Copy)]
    pub struct Dec(pub Decimal);

    impl<'de> Deserialize<'de> for Dec {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Dec, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Dec;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an integer or a decimal in quotes, e.g. 60 or \"0.6\"")
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dec, E> {
                    Ok(Dec(Decimal::from(v)))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dec, E> {
                    Ok(Dec(Decimal::from(v)))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Dec, E> {
                    Decimal::from_str(v.trim())
                        .map(Dec)
                        .map_err(|_| E::custom(format!("`{v}` is not a decimal number")))
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dec, E> {
                    Err(E::custom(format!(
                        "write decimals in quotes (\"{v}\"): unquoted TOML floats are not exact"
                    )))
                }
            }
            d.deserialize_any(V)
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Plan {
        pub version: String,
        pub effective_from: String,
        pub title: String,
        pub crs: String,
        pub net_area: NetArea,
        pub reserve_land: ReserveLand,
        pub floors: Floors,
        pub coverage: Clause,
        pub floor_area_ratio: Clause,
        pub depth: Depth,
        pub consolidation: Consolidation,
        pub parking: Parking,
        pub uses: Uses,
        pub counting: Counting,
        pub frontages: Frontages,
        pub zone_overlap: ZoneOverlap,
        pub purchase: Purchase,
        #[serde(default)]
        pub zone: Vec<Zone>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Clause {
        pub clause: String,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct NetArea {
        pub clause: String,
        pub setback_share: Dec,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ReserveLand {
        pub clause: String,
        pub min_deed_area: Dec,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Floors {
        pub clause: String,
        pub floors_lost_per_unmet_condition: i64,
        pub min_floors_in_building_zone: i64,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Depth {
        pub clause: String,
        pub share: Dec,
        pub allowance: Dec,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Consolidation {
        pub clause: String,
        pub bonus_percent_per_extra_parcel: Dec,
        pub bonus_floors: i64,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Parking {
        pub clause: String,
        pub stall_width: Dec,
        pub stall_length: Dec,
        pub residential: Residential,
        #[serde(default)]
        pub by_area: Vec<ByArea>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Residential {
        pub small_unit_below: Dec,
        pub large_unit_above: Dec,
        pub small_unit_spaces: Dec,
        pub medium_unit_spaces: Dec,
        pub large_unit_spaces: Dec,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ByArea {
        #[serde(rename = "use")]
        pub use_: String,
        pub area_per_space: Dec,
        pub factor: Dec,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Uses {
        pub clause: String,
        pub ancillary: Vec<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Counting {
        pub clause: String,
        pub uncounted_below_ground: Vec<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Frontages {
        pub clause: String,
        pub max_count: i64,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ZoneOverlap {
        pub clause: String,
        pub max_outside_percent: Dec,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Purchase {
        pub clause: String,
        pub extra_floors: i64,
        pub max_area_in_footprints: Dec,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Zone {
        pub code: String,
        pub meaning: String,
        pub clause: String,
        pub building_zone: bool,
        pub floors: i64,
        pub coverage_percent: Dec,
        pub far_percent: Dec,
        pub min_parcel_area: Option<Dec>,
        pub min_street_width: Option<Dec>,
        pub uses: Vec<String>,
        #[serde(default)]
        pub ground_floor_only: Vec<String>,
        pub extra_floor_purchasable: bool,
    }

    /// Where a validation problem is; builds the error that names it.
    struct At<'a> {
        zone: Option<&'a str>,
    }

    impl At<'_> {
        fn err(&self, field: &str, reason: impl Into<String>) -> PlanError {
            PlanError::Invalid {
                zone: self.zone.map(str::to_owned),
                field: field.to_owned(),
                reason: reason.into(),
            }
        }

        /// Accepts `v` when `min <= v <= max`.
        fn range(&self, field: &str, v: Dec, min: Decimal, max: Decimal) -> Result<Decimal, PlanError> {
            if v.0 < min || v.0 > max {
                return Err(self.err(field, format!("{} is outside the accepted range {min} to {max}", v.0)));
            }
            Ok(v.0)
        }

        /// Accepts `v` when `0 < v <= max`.
        fn positive(&self, field: &str, v: Dec, max: Decimal) -> Result<Decimal, PlanError> {
            if v.0 <= Decimal::ZERO || v.0 > max {
                return Err(self.err(field, format!("{} must be greater than 0 and at most {max}", v.0)));
            }
            Ok(v.0)
        }

        fn count(&self, field: &str, v: i64, min: i64, max: i64) -> Result<u32, PlanError> {
            if v < min || v > max {
                return Err(self.err(field, format!("{v} is outside the accepted range {min} to {max}")));
            }
            u32::try_from(v).map_err(|_| self.err(field, format!("{v} is not a count")))
        }

        fn clause(&self, field: &str, text: String) -> Result<String, PlanError> {
            if text.trim().is_empty() {
                return Err(self.err(field, "every rule needs a clause reference"));
            }
            Ok(text)
        }

        fn uses(&self, field: &str, names: &[String]) -> Result<Vec<Use>, PlanError> {
            let mut out = Vec::with_capacity(names.len());
            for name in names {
                let u = Use::from_code(name).ok_or_else(|| {
                    let known: Vec<&str> = Use::ALL.iter().map(|u| u.code()).collect();
                    self.err(field, format!("unknown use `{name}` (known: {})", known.join(", ")))
                })?;
                if out.contains(&u) {
                    return Err(self.err(field, format!("use `{name}` is listed twice")));
                }
                out.push(u);
            }
            Ok(out)
        }
    }

    /// "YYYY/MM/DD" with a Jalali month length check (months 1–6 have 31 days, 7–11 have 30,
    /// Esfand at most 30); no calendar library is needed for that.
    fn jalali_date(text: &str) -> Result<String, PlanError> {
        let bad = || PlanError::Invalid {
            zone: None,
            field: "effective_from".to_owned(),
            reason: format!("`{text}` is not a Jalali date written YYYY/MM/DD"),
        };
        let parts: Vec<&str> = text.split('/').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !(all_digits(y) && all_digits(m) && all_digits(d)) {
            return Err(bad());
        }
        let month: u32 = m.parse().map_err(|_| bad())?;
        let day: u32 = d.parse().map_err(|_| bad())?;
        let max_day = match month {
            1..=6 => 31,
            7..=12 => 30,
            _ => return Err(bad()),
        };
        if day == 0 || day > max_day {
            return Err(bad());
        }
        Ok(text.to_owned())
    }

    const MAX_AREA: Decimal = dec!(100_000_000);
    const MAX_LENGTH: Decimal = dec!(10_000);

    impl Plan {
        pub fn validate(self) -> Result<PlanRules, PlanError> {
            let top = At { zone: None };
            if self.version.trim().is_empty() {
                return Err(top.err("version", "the plan version must not be empty"));
            }
            let effective_from = jalali_date(self.effective_from.trim())?;
            if self.crs.trim().is_empty() {
                return Err(top.err("crs", "the coordinate system must be stated"));
            }

            let net_area = NetAreaRule {
                clause: top.clause("net_area.clause", self.net_area.clause)?,
                setback_share: top.positive(
                    "net_area.setback_share",
                    self.net_area.setback_share,
                    Decimal::ONE,
                )?,
            };
            let reserve_land = ReserveLandRule {
                clause: top.clause("reserve_land.clause", self.reserve_land.clause)?,
                min_deed_area: top.positive(
                    "reserve_land.min_deed_area",
                    self.reserve_land.min_deed_area,
                    MAX_AREA,
                )?,
            };
            let floors = FloorsRule {
                clause: top.clause("floors.clause", self.floors.clause)?,
                floors_lost_per_unmet_condition: top.count(
                    "floors.floors_lost_per_unmet_condition",
                    self.floors.floors_lost_per_unmet_condition,
                    0,
                    10,
                )?,
                min_floors_in_building_zone: top.count(
                    "floors.min_floors_in_building_zone",
                    self.floors.min_floors_in_building_zone,
                    1,
                    10,
                )?,
            };
            let coverage = ClauseRule { clause: top.clause("coverage.clause", self.coverage.clause)? };
            let floor_area_ratio =
                ClauseRule { clause: top.clause("floor_area_ratio.clause", self.floor_area_ratio.clause)? };
            let depth = DepthRule {
                clause: top.clause("depth.clause", self.depth.clause)?,
                share: top.positive("depth.share", self.depth.share, Decimal::ONE)?,
                allowance: top.range("depth.allowance", self.depth.allowance, Decimal::ZERO, dec!(100))?,
            };
            let consolidation = ConsolidationRule {
                clause: top.clause("consolidation.clause", self.consolidation.clause)?,
                bonus_percent_per_extra_parcel: top.range(
                    "consolidation.bonus_percent_per_extra_parcel",
                    self.consolidation.bonus_percent_per_extra_parcel,
                    Decimal::ZERO,
                    dec!(100),
                )?,
                bonus_floors: top.count(
                    "consolidation.bonus_floors",
                    self.consolidation.bonus_floors,
                    0,
                    10,
                )?,
            };
            let parking = self.parking.validate(&top)?;
            let uses = UsesRule {
                clause: top.clause("uses.clause", self.uses.clause)?,
                ancillary: top.uses("uses.ancillary", &self.uses.ancillary)?,
            };
            let counting = CountingRule {
                clause: top.clause("counting.clause", self.counting.clause)?,
                uncounted_below_ground: top
                    .uses("counting.uncounted_below_ground", &self.counting.uncounted_below_ground)?,
            };
            let frontages = FrontagesRule {
                clause: top.clause("frontages.clause", self.frontages.clause)?,
                max_count: top.count("frontages.max_count", self.frontages.max_count, 1, 2)?,
            };
            let zone_overlap = ZoneOverlapRule {
                clause: top.clause("zone_overlap.clause", self.zone_overlap.clause)?,
                max_outside_percent: top.range(
                    "zone_overlap.max_outside_percent",
                    self.zone_overlap.max_outside_percent,
                    Decimal::ZERO,
                    dec!(100),
                )?,
            };
            let purchase = PurchaseRule {
                clause: top.clause("purchase.clause", self.purchase.clause)?,
                extra_floors: top.count("purchase.extra_floors", self.purchase.extra_floors, 0, 10)?,
                max_area_in_footprints: top.range(
                    "purchase.max_area_in_footprints",
                    self.purchase.max_area_in_footprints,
                    Decimal::ZERO,
                    dec!(10),
                )?,
            };

            if self.zone.is_empty() {
                return Err(top.err("zone", "the plan has no zone table"));
            }
            let mut zones: Vec<ZoneRules> = Vec::with_capacity(self.zone.len());
            for z in self.zone {
                let rules = z.validate()?;
                if zones.iter().any(|other| other.code == rules.code) {
                    return Err(PlanError::DuplicateZone { code: rules.code });
                }
                zones.push(rules);
            }

            Ok(PlanRules {
                version: self.version.trim().to_owned(),
                effective_from,
                title: self.title,
                crs: self.crs.trim().to_owned(),
                net_area,
                reserve_land,
                floors,
                coverage,
                floor_area_ratio,
                depth,
                consolidation,
                parking,
                uses,
                counting,
                frontages,
                zone_overlap,
                purchase,
                zones,
            })
        }
    }

    impl Parking {
        fn validate(self, at: &At<'_>) -> Result<ParkingRules, PlanError> {
            let r = &self.residential;
            let residential = ResidentialParking {
                small_unit_below: at.positive(
                    "parking.residential.small_unit_below",
                    r.small_unit_below,
                    MAX_AREA,
                )?,
                large_unit_above: at.positive(
                    "parking.residential.large_unit_above",
                    r.large_unit_above,
                    MAX_AREA,
                )?,
                small_unit_spaces: at.range(
                    "parking.residential.small_unit_spaces",
                    r.small_unit_spaces,
                    Decimal::ZERO,
                    dec!(100),
                )?,
                medium_unit_spaces: at.range(
                    "parking.residential.medium_unit_spaces",
                    r.medium_unit_spaces,
                    Decimal::ZERO,
                    dec!(100),
                )?,
                large_unit_spaces: at.range(
                    "parking.residential.large_unit_spaces",
                    r.large_unit_spaces,
                    Decimal::ZERO,
                    dec!(100),
                )?,
            };
            if residential.small_unit_below > residential.large_unit_above {
                return Err(at.err(
                    "parking.residential.large_unit_above",
                    "must not be smaller than small_unit_below",
                ));
            }
            let mut by_area: Vec<AreaParking> = Vec::with_capacity(self.by_area.len());
            for entry in &self.by_area {
                let use_ = at.uses("parking.by_area.use", std::slice::from_ref(&entry.use_))?[0];
                if use_ == Use::Residential {
                    return Err(at.err(
                        "parking.by_area.use",
                        "residential parking is set by unit size in parking.residential",
                    ));
                }
                if by_area.iter().any(|b| b.use_ == use_) {
                    return Err(at.err("parking.by_area.use", format!("use `{use_}` is listed twice")));
                }
                by_area.push(AreaParking {
                    use_,
                    area_per_space: at.positive(
                        "parking.by_area.area_per_space",
                        entry.area_per_space,
                        MAX_AREA,
                    )?,
                    factor: at.range("parking.by_area.factor", entry.factor, Decimal::ZERO, dec!(100))?,
                });
            }
            Ok(ParkingRules {
                clause: at.clause("parking.clause", self.clause)?,
                stall_width: at.positive("parking.stall_width", self.stall_width, dec!(100))?,
                stall_length: at.positive("parking.stall_length", self.stall_length, dec!(100))?,
                residential,
                by_area,
            })
        }
    }

    impl Zone {
        fn validate(self) -> Result<ZoneRules, PlanError> {
            let code = self.code.trim().to_owned();
            if code.is_empty()
                || code.len() > 10
                || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(PlanError::Invalid {
                    zone: Some(self.code.clone()),
                    field: "code".to_owned(),
                    reason: "a zone code is 1 to 10 letters, digits, '-' or '_'".to_owned(),
                });
            }
            let at = At { zone: Some(&code) };
            let clause = at.clause("clause", self.clause)?;
            let floors = at.count("floors", self.floors, 0, 200)?;
            let coverage_percent =
                at.range("coverage_percent", self.coverage_percent, Decimal::ZERO, dec!(100))?;
            let far_percent = at.range("far_percent", self.far_percent, Decimal::ZERO, dec!(20000))?;
            let min_parcel_area = self
                .min_parcel_area
                .map(|v| at.range("min_parcel_area", v, Decimal::ZERO, MAX_AREA))
                .transpose()?;
            let min_street_width = self
                .min_street_width
                .map(|v| at.range("min_street_width", v, Decimal::ZERO, MAX_LENGTH))
                .transpose()?;
            let uses = at.uses("uses", &self.uses)?;
            let ground_floor_only = at.uses("ground_floor_only", &self.ground_floor_only)?;
            if let Some(u) = ground_floor_only.iter().find(|u| !uses.contains(u)) {
                return Err(at.err("ground_floor_only", format!("use `{u}` is not among the zone's uses")));
            }
            if self.building_zone {
                if floors == 0 {
                    return Err(at.err("floors", "a building zone needs at least one floor"));
                }
                if coverage_percent.is_zero() {
                    return Err(at.err("coverage_percent", "a building zone needs coverage above 0"));
                }
                if far_percent.is_zero() {
                    return Err(at.err("far_percent", "a building zone needs a FAR above 0"));
                }
                if uses.is_empty() {
                    return Err(at.err("uses", "a building zone needs at least one use"));
                }
                if min_parcel_area.is_none() {
                    return Err(at.err("min_parcel_area", "required in a building zone"));
                }
                if min_street_width.is_none() {
                    return Err(at.err("min_street_width", "required in a building zone"));
                }
            } else {
                if floors != 0 {
                    return Err(at.err("floors", "a zone without building rights has 0 floors"));
                }
                if self.extra_floor_purchasable {
                    return Err(at.err(
                        "extra_floor_purchasable",
                        "a zone without building rights cannot sell floors",
                    ));
                }
            }
            Ok(ZoneRules {
                code,
                meaning: self.meaning,
                clause,
                building_zone: self.building_zone,
                floors,
                coverage_percent,
                far_percent,
                min_parcel_area,
                min_street_width,
                uses,
                ground_floor_only,
                extra_floor_purchasable: self.extra_floor_purchasable,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_plan_loads_with_the_sample_table() {
        let p = PlanRules::demo();
        assert_eq!(p.effective_from, "1405/01/01");
        assert_eq!(p.zones.len(), 8);
        let r122 = p.zone("R122").expect("R122 exists");
        assert_eq!(r122.floors, 5);
        assert_eq!(r122.coverage(), dec!(0.6));
        assert_eq!(r122.far(), dec!(3));
        assert!(r122.extra_floor_purchasable);
        let m111 = p.zone("M111").expect("M111 exists");
        assert_eq!(m111.ground_floor_only, vec![Use::Commercial]);
        let g111 = p.zone("G111").expect("G111 exists");
        assert!(!g111.building_zone);
        assert_eq!(p.reserve_land.min_deed_area, dec!(10000));
        assert_eq!(p.depth.share, dec!(0.6));
        assert_eq!(p.parking.residential.medium_unit_spaces, dec!(1.5));
        assert_eq!(p.zone_overlap.max_outside_share(), dec!(0.1));
    }

    fn with(from: &str, to: &str) -> Result<PlanRules, PlanError> {
        assert!(DEMO_RULES_TOML.contains(from), "fixture text `{from}` missing");
        PlanRules::from_toml(&DEMO_RULES_TOML.replacen(from, to, 1))
    }

    fn invalid(r: Result<PlanRules, PlanError>) -> (Option<String>, String) {
        match r {
            Err(PlanError::Invalid { zone, field, .. }) => (zone, field),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn negative_and_absurd_numbers_name_zone_and_field() {
        let (zone, field) = invalid(with(
            "coverage_percent = 60\nfar_percent = 120",
            "coverage_percent = -5\nfar_percent = 120",
        ));
        assert_eq!((zone.as_deref(), field.as_str()), (Some("R111"), "coverage_percent"));
        let (zone, field) = invalid(with("floors = 3", "floors = 9000"));
        assert_eq!((zone.as_deref(), field.as_str()), (Some("R112"), "floors"));
        let (zone, field) = invalid(with("coverage_percent = 50", "coverage_percent = 150"));
        assert_eq!((zone.as_deref(), field.as_str()), (Some("R131"), "coverage_percent"));
        let (zone, field) = invalid(with("share = \"0.6\"", "share = \"-0.6\""));
        assert_eq!((zone, field.as_str()), (None, "depth.share"));
        let (zone, field) = invalid(with("medium_unit_spaces = \"1.5\"", "medium_unit_spaces = \"-1.5\""));
        assert_eq!((zone, field.as_str()), (None, "parking.residential.medium_unit_spaces"));
    }

    #[test]
    fn unknown_uses_and_duplicate_codes_are_refused() {
        let (zone, field) =
            invalid(with("uses = [\"commercial\", \"office\"]", "uses = [\"commercial\", \"shop\"]"));
        assert_eq!((zone.as_deref(), field.as_str()), (Some("S111"), "uses"));
        let e = with("code = \"R112\"", "code = \"R111\"");
        assert_eq!(e, Err(PlanError::DuplicateZone { code: "R111".into() }));
        let (zone, field) =
            invalid(with("ancillary = [\"parking\", \"storage\", \"services\"]", "ancillary = [\"garage\"]"));
        assert_eq!((zone, field.as_str()), (None, "uses.ancillary"));
    }

    #[test]
    fn floats_dates_and_syntax_errors_are_refused() {
        assert!(
            matches!(with("share = \"0.6\"", "share = 0.6"), Err(PlanError::Syntax(m)) if m.contains("quotes"))
        );
        let (_, field) = invalid(with("effective_from = \"1405/01/01\"", "effective_from = \"1405/07/31\""));
        assert_eq!(field, "effective_from");
        assert!(matches!(with("[coverage]", "[coverage"), Err(PlanError::Syntax(_))));
        assert!(matches!(with("stall_length = 5", "stall_lenght = 5"), Err(PlanError::Syntax(_))));
        let (zone, field) = invalid(with("clause = \"sample-plan zone table, R121\"", "clause = \" \""));
        assert_eq!((zone.as_deref(), field.as_str()), (Some("R121"), "clause"));
    }

    #[test]
    fn green_zone_must_not_have_floors() {
        let (zone, field) =
            invalid(with("building_zone = false\nfloors = 0", "building_zone = false\nfloors = 2"));
        assert_eq!((zone.as_deref(), field.as_str()), (Some("G111"), "floors"));
    }

    #[test]
    fn use_codes_are_stable() {
        for u in Use::ALL {
            assert_eq!(Use::from_code(u.code()), Some(u));
            assert_eq!(serde_json::to_string(&u).ok(), Some(format!("\"{}\"", u.code())));
        }
    }
}
