//! The language's schema: every block, its labels, attributes and nested blocks. The evaluator
//! checks blocks against it (unknown/missing attributes, types, kinds of reference), and
//! `schemas/eksfed-language.schema.json` is generated from it.

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

const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Attr {
    Attr {
        name,
        ty,
        required: true,
        doc,
    }
}
const fn opt(name: &'static str, ty: Ty, doc: &'static str) -> Attr {
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

pub const RESOURCE_KINDS: &[&str] = &[
    "cluster",
    "oidc_provider",
    "saml_provider",
    "policy",
    "role",
    "service_account",
    "access",
    "rbac_binding",
];

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
            "string | number | bool | list(string) | map(string) | any",
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

pub const CLUSTER: BlockSchema = BlockSchema {
    name: "cluster",
    labels: &["label"],
    attrs: &[
        req("name", Ty::String, "EKS cluster name"),
        opt(
            "region",
            Ty::String,
            "cluster region (default: the aws block's)",
        ),
        opt(
            "oidc_issuer_url",
            Ty::String,
            "OIDC issuer; read with DescribeCluster when omitted",
        ),
        opt(
            "kube_context",
            Ty::String,
            "kubeconfig context (default: current context)",
        ),
        opt(
            "access_mode",
            Ty::String,
            "aws_auth | access_entries | both",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "an EKS cluster the stack binds into (read, never created)",
};

pub const OIDC_PROVIDER: BlockSchema = BlockSchema {
    name: "oidc_provider",
    labels: &["label"],
    attrs: &[
        req("url", Ty::String, "issuer URL (https://...)"),
        opt(
            "client_ids",
            Ty::ListString,
            "audiences (default [\"sts.amazonaws.com\"])",
        ),
        opt(
            "thumbprints",
            Ty::ListString,
            "server certificate thumbprints (40 hex digits)",
        ),
        opt("tags", Ty::MapString, "IAM tags"),
        opt(
            "existing",
            Ty::Bool,
            "made and owned elsewhere: only read (never created, changed, tagged or deleted); only the identifying attributes are allowed",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "an IAM OpenID Connect identity provider",
};

pub const SAML_PROVIDER: BlockSchema = BlockSchema {
    name: "saml_provider",
    labels: &["label"],
    attrs: &[
        opt("name", Ty::String, "provider name (default: the label)"),
        req(
            "metadata",
            Ty::String,
            "SAML 2.0 EntityDescriptor metadata XML",
        ),
        opt("tags", Ty::MapString, "IAM tags"),
        opt(
            "existing",
            Ty::Bool,
            "made and owned elsewhere: only read (never created, changed, tagged or deleted); only the identifying attributes are allowed",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "an IAM SAML 2.0 identity provider",
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

pub const POLICY: BlockSchema = BlockSchema {
    name: "policy",
    labels: &["label"],
    attrs: &[
        opt("name", Ty::String, "policy name (default: the label)"),
        opt("path", Ty::String, "IAM path (default /)"),
        opt("description", Ty::String, "description (immutable in IAM)"),
        opt(
            "document",
            Ty::Any,
            "a JSON document (string or object) instead of statement blocks",
        ),
        opt("tags", Ty::MapString, "IAM tags"),
        opt(
            "existing",
            Ty::Bool,
            "made and owned elsewhere: only read (never created, changed, tagged or deleted); only the identifying attributes are allowed",
        ),
    ],
    blocks: &[(&STATEMENT, true)],
    open: false,
    doc: "a customer managed IAM policy",
};

pub const INLINE_POLICY: BlockSchema = BlockSchema {
    name: "inline_policy",
    labels: &["name"],
    attrs: &[opt(
        "document",
        Ty::Any,
        "a JSON document instead of statement blocks",
    )],
    blocks: &[(&STATEMENT, true)],
    open: false,
    doc: "an inline policy of a role",
};

pub const TRUST_SERVICE_ACCOUNT: BlockSchema = BlockSchema {
    name: "trust_service_account",
    labels: &[],
    attrs: &[
        opt(
            "cluster",
            Ty::Ref(&["cluster"]),
            "the cluster whose issuer signs the tokens",
        ),
        opt(
            "provider",
            Ty::Ref(&["oidc_provider"]),
            "or the OIDC provider directly",
        ),
        req("namespace", Ty::String, "Kubernetes namespace"),
        req("names", Ty::ListString, "service account names"),
        opt(
            "allow_wildcard",
            Ty::Bool,
            "allow * and ? in names and namespace (EKS001 becomes a warning)",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "IRSA: trust Kubernetes service accounts",
};

pub const TRUST_POD_IDENTITY: BlockSchema = BlockSchema {
    name: "trust_pod_identity",
    labels: &[],
    attrs: &[opt(
        "conditions",
        Ty::Any,
        "extra StringEquals conditions, e.g. on aws:RequestTag/eks-cluster-name",
    )],
    blocks: &[],
    open: false,
    doc: "EKS Pod Identity (pods.eks.amazonaws.com)",
};

pub const TRUST_SAML: BlockSchema = BlockSchema {
    name: "trust_saml",
    labels: &[],
    attrs: &[req(
        "provider",
        Ty::Ref(&["saml_provider"]),
        "the SAML provider",
    )],
    blocks: &[],
    open: false,
    doc: "people signing in through a SAML IdP",
};

pub const TRUST_OIDC: BlockSchema = BlockSchema {
    name: "trust_oidc",
    labels: &[],
    attrs: &[
        req("provider", Ty::Ref(&["oidc_provider"]), "the OIDC provider"),
        opt("conditions", Ty::Any, "condition key -> list of values"),
    ],
    blocks: &[],
    open: false,
    doc: "any other OIDC IdP, e.g. GitHub Actions",
};

pub const TRUST_AWS: BlockSchema = BlockSchema {
    name: "trust_aws",
    labels: &[],
    attrs: &[
        req(
            "principals",
            Ty::ListString,
            "AWS principal ARNs or account ids",
        ),
        opt(
            "conditions",
            Ty::Any,
            "condition key -> list of values (StringEquals)",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "plain cross-account trust",
};

pub const TRUST_STATEMENT: BlockSchema = BlockSchema {
    name: "trust_statement",
    labels: &[],
    attrs: &[req(
        "statement",
        Ty::Any,
        "one trust policy statement, written as is: a JSON string (jsonencode({...})) or an object",
    )],
    blocks: &[],
    open: false,
    doc: "a raw trust statement, for what the typed trust blocks cannot express (a Deny, other operators or principals); `eksfed generate` writes it",
};

pub const ROLE: BlockSchema = BlockSchema {
    name: "role",
    labels: &["label"],
    attrs: &[
        opt("name", Ty::String, "role name (default: the label)"),
        opt("path", Ty::String, "IAM path (default /)"),
        opt("description", Ty::String, "description"),
        opt("max_session_duration", Ty::Number, "seconds, 3600..43200"),
        opt("permissions_boundary", Ty::String, "policy ARN"),
        opt("tags", Ty::MapString, "IAM tags"),
        opt(
            "policies",
            Ty::ListString,
            "managed policy ARNs attached exclusively",
        ),
        opt(
            "existing",
            Ty::Bool,
            "made and owned elsewhere: only read (never created, changed, tagged or deleted); only the identifying attributes are allowed",
        ),
    ],
    blocks: &[
        (&TRUST_SERVICE_ACCOUNT, true),
        (&TRUST_POD_IDENTITY, true),
        (&TRUST_SAML, true),
        (&TRUST_OIDC, true),
        (&TRUST_AWS, true),
        (&TRUST_STATEMENT, true),
        (&INLINE_POLICY, true),
    ],
    open: false,
    doc: "an IAM role and who may assume it",
};

pub const ACCESS_POLICY_ATTRS: &[Attr] = &[
    req(
        "policy",
        Ty::String,
        "EKS cluster access policy name or ARN",
    ),
    opt("scope", Ty::String, "cluster | namespace"),
    opt(
        "namespaces",
        Ty::ListString,
        "namespaces for namespace scope",
    ),
];

pub const SUBJECT_ATTRS: &[Attr] = &[
    req("kind", Ty::String, "Group | User | ServiceAccount"),
    req("name", Ty::String, "subject name"),
    opt(
        "namespace",
        Ty::String,
        "namespace of a ServiceAccount subject",
    ),
];

pub const SERVICE_ACCOUNT: BlockSchema = BlockSchema {
    name: "service_account",
    labels: &["label"],
    attrs: &[
        req("cluster", Ty::Ref(&["cluster"]), "the cluster"),
        req("namespace", Ty::String, "namespace"),
        opt(
            "name",
            Ty::String,
            "service account name (default: the label)",
        ),
        opt(
            "role",
            Ty::Ref(&["role"]),
            "the IAM role pods of this account assume",
        ),
        opt("mode", Ty::String, "irsa | pod_identity"),
        opt("labels", Ty::MapString, "extra labels"),
        opt("annotations", Ty::MapString, "extra annotations"),
        opt(
            "create_namespace",
            Ty::Bool,
            "create the namespace if missing",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "a Kubernetes service account bound to a role",
};

pub const ACCESS: BlockSchema = BlockSchema {
    name: "access",
    labels: &["label"],
    attrs: &[
        req("cluster", Ty::Ref(&["cluster"]), "the cluster"),
        opt("role", Ty::Ref(&["role"]), "a role of the stack"),
        opt("role_arn", Ty::String, "or a role ARN"),
        opt("user_arn", Ty::String, "or a user ARN"),
        opt(
            "username",
            Ty::String,
            "Kubernetes user name (aws-iam-authenticator templates allowed)",
        ),
        opt("groups", Ty::ListString, "Kubernetes groups"),
        opt(
            "access_policies",
            Ty::ListObject(ACCESS_POLICY_ATTRS),
            "EKS access policy associations",
        ),
        opt("type", Ty::String, "access entry type: STANDARD (default), or a node type EC2, EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX (EKS assigns the username and groups)"),
    ],
    blocks: &[],
    open: false,
    doc: "a person-facing IAM role or user mapped into a cluster",
};

pub const RBAC_BINDING: BlockSchema = BlockSchema {
    name: "rbac_binding",
    labels: &["label"],
    attrs: &[
        req("cluster", Ty::Ref(&["cluster"]), "the cluster"),
        req("subjects", Ty::ListObject(SUBJECT_ATTRS), "subjects"),
        opt(
            "name",
            Ty::String,
            "the bindings' Kubernetes name (default eksfed-LABEL)",
        ),
        opt("cluster_role", Ty::String, "a ClusterRole name"),
        opt("role", Ty::String, "or a namespaced Role name"),
        opt(
            "namespaces",
            Ty::ListString,
            "one RoleBinding each; empty: a ClusterRoleBinding",
        ),
    ],
    blocks: &[],
    open: false,
    doc: "Kubernetes RBAC for mapped groups or users",
};

pub const IMPORT: BlockSchema = BlockSchema {
    name: "import",
    labels: &[],
    attrs: &[
        req(
            "to",
            Ty::Ref(&[
                "role",
                "policy",
                "oidc_provider",
                "saml_provider",
                "service_account",
                "access",
                "rbac_binding",
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

/// Every top-level block.
pub const TOP_LEVEL: &[&BlockSchema] = &[
    &STACK,
    &VARIABLE,
    &LOCALS,
    &AWS,
    &CLUSTER,
    &OIDC_PROVIDER,
    &SAML_PROVIDER,
    &POLICY,
    &ROLE,
    &SERVICE_ACCOUNT,
    &ACCESS,
    &RBAC_BINDING,
    &IMPORT,
];

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
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "eksfed stack",
        "description": "The blocks of an eksfed stack (HCL), in HCL's JSON form. Generated from compiler/src/schema.rs.",
        "type": "object",
        "properties": props,
        "additionalProperties": false
    })
}
