//! The language's schema: every block, its labels, attributes and nested blocks. The evaluator
//! checks blocks against it (unknown/missing attributes, types, kinds of reference), and
//! `schemas/eksfed-language.schema.json` is generated from it.

pub mod types;

pub use types::*;

use crate::kinds::{self, id::KindId};

pub const STACK: BlockSchema = BlockSchema {
    name: "stack",
    labels: &["name"],
    attrs: &[
        opt(
            "account_id",
            Ty::String,
            "AWS account id; otherwise learned from STS GetCallerIdentity",
        ),
        opt(
            "partition",
            Ty::String,
            "aws | aws-cn | aws-us-gov (default aws)",
        ),
        opt(
            "trust_policy_limit",
            Ty::Number,
            "trust policy size quota (default 2048, raisable to 4096)",
        ),
        opt(
            "managed_policies_per_role",
            Ty::Number,
            "managed policies per role quota (default 10, raisable to 20)",
        ),
        opt(
            "allow_lints",
            Ty::ListString,
            "lint codes silenced for the whole stack",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "names the stack; the name is the ownership mark",
};

pub const VARIABLE: BlockSchema = BlockSchema {
    name: "variable",
    labels: &["name"],
    attrs: &[
        opt(
            "type",
            Ty::Any,
            "string | number | bool | any | list(T) | set(T) | map(T) | tuple([T, ...]) | object({ NAME = T, ... }), with optional(T[, default]) attributes",
        ),
        opt("default", Ty::Any, "value when none is given"),
        opt("description", Ty::String, "what the variable is for"),
        opt("sensitive", Ty::Bool, "hide the value in output"),
    ],
    blocks: &[],
    open: false,
    doc: "an input variable",
};

pub const LOCALS: BlockSchema = BlockSchema {
    name: "locals",
    labels: &[],
    attrs: &[],
    blocks: &[],
    open: true,
    doc: "named values",
};

pub const AWS: BlockSchema = BlockSchema {
    name: "aws",
    labels: &[],
    attrs: &[
        opt("region", Ty::String, "AWS region"),
        opt("profile", Ty::String, "shared config profile"),
        opt(
            "endpoint",
            Ty::String,
            "an AWS-compatible endpoint (tests, emulators)",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "how to connect to AWS; overrides the SDK's environment",
};

pub const IMPORT: BlockSchema = BlockSchema {
    name: "import",
    labels: &[],
    attrs: &[
        req(
            "to",
            Ty::Ref(&[
                KindId::Role.name(),
                KindId::Policy.name(),
                KindId::OidcProvider.name(),
                KindId::SamlProvider.name(),
                KindId::ServiceAccount.name(),
                KindId::Access.name(),
                KindId::RbacBinding.name(),
            ]),
            "the address of this stack to adopt into (with its key under for_each)",
        ),
        req(
            "id",
            Ty::String,
            "the live object: role/policy/saml_provider: name; oidc_provider: URL; service_account: NAMESPACE/NAME; access: principal ARN; rbac_binding: NAMESPACE/NAME or NAME",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "adopt an existing object: the plan marks it as imported, apply adds the ownership mark",
};

pub const MODULE: BlockSchema = BlockSchema {
    name: "module",
    labels: &["name"],
    attrs: &[
        req(
            "source",
            Ty::String,
            "the module's directory, relative to the directory of this file (a literal path)",
        ),
        opt(
            "for_each",
            Ty::Any,
            "map or set of strings: one module instance per element (each.key, each.value)",
        ),
        opt(
            "depends_on",
            Ty::ListRef,
            "resources and modules every resource of the module waits for",
        ),
    ],
    blocks: &[],
    open: true,
    doc: "a local module: a directory of *.hcl files called with inputs (every other attribute sets one of its variables)",
};

pub const OUTPUT: BlockSchema = BlockSchema {
    name: "output",
    labels: &["name"],
    attrs: &[
        req(
            "value",
            Ty::Any,
            "the value the caller reads as module.NAME.OUTPUT (a resource stays a resource)",
        ),
        opt("description", Ty::String, "what the output is"),
        opt("sensitive", Ty::Bool, "hide the value in output"),
    ],
    blocks: &[],
    open: false,
    doc: "a value a module gives its caller",
};

/// The block of the workspace file, `eksfed.workspace.hcl` (not a stack's block).
pub const WORKSPACE: BlockSchema = BlockSchema {
    name: "workspace",
    labels: &["name"],
    attrs: &[opt(
        "stacks",
        Ty::ListString,
        "globs of stack directories, relative to this file (literal strings); default: every directory under the root (hidden ones skipped) holding a `stack` block",
    )],
    blocks: &[],
    open: false,
    doc: "names the workspace: the directory of eksfed.workspace.hcl is the root files are confined to for every stack below it",
};

/// Every top-level block: the stack's own, every kind's (from the kind registry,
/// `kinds::SCHEMAS`), then `import`, `module` and `output`.
pub const TOP_LEVEL: &[&BlockSchema] = &{
    const OWN: [&BlockSchema; 4] = [&STACK, &VARIABLE, &LOCALS, &AWS];
    const KINDS: usize = kinds::SCHEMAS.len();
    const TAIL: [&BlockSchema; 3] = [&IMPORT, &MODULE, &OUTPUT];
    let mut out: [&BlockSchema; OWN.len() + KINDS + TAIL.len()] =
        [&IMPORT; OWN.len() + KINDS + TAIL.len()];
    let mut i = 0;
    while i < OWN.len() {
        out[i] = OWN[i];
        i += 1;
    }
    let mut k = 0;
    while k < KINDS {
        out[OWN.len() + k] = kinds::SCHEMAS[k];
        k += 1;
    }
    let mut j = 0;
    while j < TAIL.len() {
        out[OWN.len() + KINDS + j] = TAIL[j];
        j += 1;
    }
    out
};

pub fn top_level(name: &str) -> Option<&'static BlockSchema> {
    TOP_LEVEL.iter().copied().find(|b| b.name == name)
}

/// The JSON Schema of the language: blocks as objects, attributes as properties.
pub fn language_json_schema() -> serde_json::Value {
    use serde_json::{json, Map, Value};
    fn ty(t: &Ty) -> Value {
        match t {
            Ty::String => json!({"type": "string"}),
            Ty::Number => json!({"type": "number"}),
            Ty::Bool => json!({"type": "boolean"}),
            Ty::ListString => json!({"type": "array", "items": {"type": "string"}}),
            Ty::MapString => json!({"type": "object", "additionalProperties": {"type": "string"}}),
            Ty::Any => json!({}),
            Ty::Ref(kinds) => {
                json!({"type": "string", "description": format!("reference: {}", kinds.iter().map(|k| format!("{k}.LABEL")).collect::<Vec<_>>().join(" | "))})
            }
            Ty::ListRef => json!({"type": "array", "items": {"type": "string"}}),
            Ty::ListObject(attrs) => {
                json!({"type": "array", "items": attrs_schema(attrs, &[], false, &[])})
            }
        }
    }
    fn attrs_schema(
        attrs: &[Attr],
        blocks: &[(&BlockSchema, bool)],
        open: bool,
        meta: &[Attr],
    ) -> Value {
        let mut props = Map::new();
        let mut required = vec![];
        for a in attrs.iter().chain(meta) {
            let mut s = ty(&a.ty);
            s["description"] = Value::String(a.doc.to_string());
            props.insert(a.name.to_string(), s);
            if a.required {
                required.push(a.name);
            }
        }
        for (b, many) in blocks {
            let inner = block(b);
            props.insert(
                b.name.to_string(),
                if *many {
                    json!({"type": "array", "items": inner})
                } else {
                    inner
                },
            );
        }
        json!({"type": "object", "properties": props, "required": required, "additionalProperties": open})
    }
    fn block(b: &BlockSchema) -> Value {
        let meta: &[Attr] = if RESOURCE_KINDS.contains(&b.name) {
            META_ATTRS
        } else {
            &[]
        };
        let mut blocks: Vec<(&BlockSchema, bool)> = b.blocks.to_vec();
        if RESOURCE_KINDS.contains(&b.name) {
            blocks.push((&LIFECYCLE, false));
        }
        let mut s = attrs_schema(b.attrs, &blocks, b.open, meta);
        s["description"] = Value::String(b.doc.to_string());
        if !b.labels.is_empty() {
            // Labelled blocks: an object keyed by label, as HCL's JSON form writes them.
            s = json!({"type": "object", "description": b.doc, "additionalProperties": s});
        }
        s
    }
    let mut props = Map::new();
    for b in TOP_LEVEL {
        props.insert(b.name.to_string(), block(b));
    }
    let workspace_file = json!({
        "type": "object",
        "description": "eksfed.workspace.hcl, in HCL's JSON form: one workspace block and the checks every stack of the workspace must pass",
        "properties": {
            "workspace": block(&WORKSPACE),
            "check": {"type": "object", "description": "checks every stack of the workspace must pass, by name"}
        },
        "required": ["workspace"],
        "additionalProperties": false
    });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"workspace_file": workspace_file},
        "title": "eksfed stack",
        "description": "The blocks of an eksfed stack (HCL), in HCL's JSON form. Generated from compiler/src/schema/ and each kind's SCHEMA in compiler/src/kinds/.",
        "type": "object",
        "properties": props,
        "additionalProperties": false
    })
}
