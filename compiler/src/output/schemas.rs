//! The JSON Schemas the project publishes under `schemas/`, generated from the Rust types:
//! the language (from [`crate::language::schema`]), render output and plan output (from their serde types).

pub fn all() -> Vec<(&'static str, serde_json::Value)> {
    let mut v = vec![
        (
            "eksfed-language.schema.json",
            crate::language::schema::language_json_schema(),
        ),
        (
            "render.schema.json",
            serde_json::to_value(schemars::schema_for!(crate::plan::rendered::Rendered))
                .unwrap_or_default(),
        ),
    ];
    v.extend(extra());
    v
}

fn extra() -> Vec<(&'static str, serde_json::Value)> {
    vec![(
        "plan.schema.json",
        serde_json::to_value(schemars::schema_for!(crate::plan::Plan)).unwrap_or_default(),
    )]
}
