//! The service catalog: every published version of every service.

use daftar_types::JalaliDate;

use crate::definition::{DefinitionError, ServiceDefinition};

/// The services shipped with the demo city, as `(file name, TOML)`: the municipality's
/// building permit, completion certificate and certificate of no violation, and the fire
/// department's safety approval, which runs on the same engine as the municipality's own.
pub const DEMO_SERVICES: [(&str, &str); 4] = [
    ("building_permit.toml", include_str!("../services/building_permit.toml")),
    ("completion_certificate.toml", include_str!("../services/completion_certificate.toml")),
    ("no_violation_certificate.toml", include_str!("../services/no_violation_certificate.toml")),
    ("fire_safety_approval.toml", include_str!("../services/fire_safety_approval.toml")),
];

/// Why a catalog could not be assembled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: {error}")]
    Definition { file: String, error: DefinitionError },
    #[error("service `{code}` version {version} is defined twice")]
    DuplicateVersion { code: String, version: u32 },
}

/// Every loaded version of every service. Old versions stay so that cases opened under them
/// keep their rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    services: Vec<ServiceDefinition>,
}

impl Catalog {
    /// Refuses two definitions with the same code and version.
    pub fn new(services: Vec<ServiceDefinition>) -> Result<Catalog, CatalogError> {
        for (index, service) in services.iter().enumerate() {
            if services[..index].iter().any(|s| s.code == service.code && s.version == service.version) {
                return Err(CatalogError::DuplicateVersion {
                    code: service.code.clone(),
                    version: service.version,
                });
            }
        }
        Ok(Catalog { services })
    }

    /// Loads service files given as `(file name, TOML)`; an error names the file.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Catalog, CatalogError> {
        let services = sources
            .into_iter()
            .map(|(file, source)| {
                ServiceDefinition::from_toml(source)
                    .map_err(|error| CatalogError::Definition { file: file.to_owned(), error })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Catalog::new(services)
    }

    /// The demo city's services ([`DEMO_SERVICES`]).
    pub fn demo() -> Result<Catalog, CatalogError> {
        Catalog::from_sources(DEMO_SERVICES)
    }

    pub fn services(&self) -> &[ServiceDefinition] {
        &self.services
    }

    /// The exact version a case was opened under.
    pub fn get(&self, code: &str, version: u32) -> Option<&ServiceDefinition> {
        self.services.iter().find(|s| s.code == code && s.version == version)
    }

    /// The version new cases use on `day`: the latest `effective_from` not after it, and of
    /// those the highest version.
    pub fn in_force(&self, code: &str, day: JalaliDate) -> Option<&ServiceDefinition> {
        self.services
            .iter()
            .filter(|s| s.code == code && s.effective_from <= day)
            .max_by_key(|s| (s.effective_from, s.version))
    }
}
