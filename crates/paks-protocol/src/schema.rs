use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

/// JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) of every wire type, keyed by type name,
/// with references of the form `#/components/schemas/Name`: ready to be the
/// `components.schemas` of the OpenAPI document.
pub fn component_schemas() -> Map<String, Value> {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    macro_rules! root {
        ($($t:ty),*) => { $( generator.subschema_for::<$t>(); )* };
    }
    root!(
        crate::SubmissionRequest,
        crate::Receipt,
        crate::SubmissionStatus,
        crate::ServerIdentity,
        crate::Problem,
        crate::PublishedCaseList,
        crate::PublishedCase,
        crate::PublicChangePage
    );
    generator.take_definitions(true)
}
