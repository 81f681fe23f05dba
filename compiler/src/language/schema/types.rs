//! The schema's types and what several blocks share: [`Ty`], [`Attr`], [`BlockSchema`],
//! `req`/`opt`, the resource kinds' meta-attributes and `lifecycle` block, and the policy
//! statement blocks both `policy` and `role` use. A leaf: the kind files
//! (`kinds/<kind>.rs`, each holding its block's schema) import it, never `schema/mod.rs`.

use crate::kinds::id::KindId;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ty {
    String,
    Number,
    Bool,
    ListString,
    MapString,
    /// Any value (checked by the block's own lowering).
    Any,
    /// A reference to a resource of one of these kinds.
    Ref(&'static [&'static str]),
    /// A list of references to resources of any kind (`depends_on`).
    ListRef,
    /// A list of objects with these attributes.
    ListObject(&'static [Attr]),
}

impl Ty {
    pub fn describe(&self) -> String {
        match self {
            Ty::String => "a string".into(),
            Ty::Number => "a number".into(),
            Ty::Bool => "a bool".into(),
            Ty::ListString => "a list of strings".into(),
            Ty::MapString => "a map of strings".into(),
            Ty::Any => "any value".into(),
            Ty::Ref(kinds) => format!(
                "a reference to a {} (e.g. `{}.NAME`)",
                kinds.join(" or "),
                kinds[0]
            ),
            Ty::ListRef => "a list of resource references".into(),
            Ty::ListObject(_) => "a list of objects".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attr {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    pub doc: &'static str,
}

pub const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Attr {
    Attr {
        name,
        ty,
        required: true,
        doc,
    }
}
pub const fn opt(name: &'static str, ty: Ty, doc: &'static str) -> Attr {
    Attr {
        name,
        ty,
        required: false,
        doc,
    }
}

#[derive(Debug, Clone, Copy)]
pub struct BlockSchema {
    pub name: &'static str,
    pub labels: &'static [&'static str],
    pub attrs: &'static [Attr],
    /// Nested blocks and whether they may repeat.
    pub blocks: &'static [(&'static BlockSchema, bool)],
    /// Any attribute name is allowed (`locals`).
    pub open: bool,
    pub doc: &'static str,
}

impl BlockSchema {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name).or_else(|| {
            if self.labels.len() == 1 && RESOURCE_KINDS.contains(&self.name) {
                META_ATTRS.iter().find(|a| a.name == name)
            } else {
                None
            }
        })
    }
    pub fn block(&self, name: &str) -> Option<(&'static BlockSchema, bool)> {
        self.blocks
            .iter()
            .copied()
            .find(|(b, _)| b.name == name)
            .or_else(|| {
                (RESOURCE_KINDS.contains(&self.name) && name == "lifecycle")
                    .then_some((&LIFECYCLE, false))
            })
    }
    pub fn attr_names(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.attrs.iter().map(|a| a.name).collect();
        if RESOURCE_KINDS.contains(&self.name) {
            v.extend(META_ATTRS.iter().map(|a| a.name));
        }
        v
    }
}

pub const RESOURCE_KINDS: &[&str] = &KindId::NAMES;

pub const META_ATTRS: &[Attr] = &[
    opt(
        "for_each",
        Ty::Any,
        "a map or set of strings; one instance per key (`each.key`, `each.value`)",
    ),
    opt(
        "depends_on",
        Ty::ListRef,
        "explicit dependencies on other resources",
    ),
    opt(
        "allow_lints",
        Ty::ListString,
        "lint codes silenced for this resource",
    ),
];

/// `existing`, on the kinds that may be made and owned elsewhere (`existing::EXISTING_KINDS`).
pub const EXISTING: Attr = opt(
    "existing",
    Ty::Bool,
    "made and owned elsewhere: only read (never created, changed, tagged or deleted); only the identifying attributes are allowed",
);

pub const LIFECYCLE: BlockSchema = BlockSchema {
    name: "lifecycle",
    labels: &[],
    attrs: &[opt(
        "prevent_destroy",
        Ty::Bool,
        "refuse to plan the deletion of this resource",
    )],
    blocks: &[],
    open: false,
    doc: "lifecycle settings",
};

pub const CONDITION: BlockSchema = BlockSchema {
    name: "condition",
    labels: &[],
    attrs: &[
        req("test", Ty::String, "condition operator, e.g. StringEquals"),
        req("variable", Ty::String, "condition key"),
        req("values", Ty::ListString, "values"),
    ],
    blocks: &[],
    open: false,
    doc: "a condition of a statement",
};

pub const PRINCIPALS: BlockSchema = BlockSchema {
    name: "principals",
    labels: &[],
    attrs: &[
        req("type", Ty::String, "AWS | Service | Federated | *"),
        req("identifiers", Ty::ListString, "principal ids"),
    ],
    blocks: &[],
    open: false,
    doc: "principals of a statement (resource policies)",
};

pub const STATEMENT: BlockSchema = BlockSchema {
    name: "statement",
    labels: &[],
    attrs: &[
        opt("sid", Ty::String, "statement id"),
        opt("effect", Ty::String, "Allow | Deny (default Allow)"),
        opt("actions", Ty::ListString, "actions, service:Action"),
        opt("not_actions", Ty::ListString, "NotAction"),
        opt("resources", Ty::ListString, "resource ARNs"),
        opt("not_resources", Ty::ListString, "NotResource"),
    ],
    blocks: &[(&CONDITION, true), (&PRINCIPALS, true)],
    open: false,
    doc: "one statement of an IAM policy document",
};
