//! Stage *settings*: the `stack` and `aws` blocks (one of each), evaluated with the locals
//! they read when those do not depend on resources (E0601 otherwise); the account and
//! partition every ARN is built from.

use super::inputs::{Facts, E_STACK};
use super::order::collect_body_refs;
use crate::desired::model::{AwsSettings, Stack};
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::kinds::lowering::UNKNOWN_ACCOUNT;
use crate::language::call::FileReader;
use crate::language::eval::{references, Env, ResourceTable};
use crate::language::evblock::head_span;
use crate::language::lower::eval_block;
use crate::language::schema::{self, RESOURCE_KINDS};
use crate::language::value::{Address, Value};
use hcl_edit::structure::{Attribute, Block};
use indexmap::IndexMap;

pub(super) struct Settings {
    /// `None` when there is no `stack` block (an error).
    pub stack: Option<Stack>,
    pub aws: AwsSettings,
    /// The account id given in `stack` or learned (`--account-id`, STS).
    pub account_known: Option<String>,
    /// `account_known`, or a placeholder.
    pub account: String,
    pub partition: String,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn settings(
    loaded: &crate::language::load::Loaded,
    stacks: &[(FileId, &Block)],
    aws: &[(FileId, &Block)],
    locals: &[(FileId, &Attribute)],
    vars: &IndexMap<String, Value>,
    files: &dyn FileReader,
    facts: &Facts,
    diags: &mut Diagnostics,
) -> Settings {
    let no_resources = ResourceTable::new();
    if stacks.is_empty() && loaded.bodies.len() == loaded.sources.files.len() {
        diags.push(
            Diagnostic::error(
                E_STACK,
                "no `stack \"NAME\" { ... }` block: every stack needs exactly one",
            )
            .help("add `stack \"my-stack\" {}` to one of the .hcl files"),
        );
    }
    for (f, b) in stacks.iter().skip(1) {
        diags.push(
            Diagnostic::error(E_STACK, "more than one `stack` block").at(Some(head_span(*f, b))),
        );
    }
    for (f, b) in aws.iter().skip(1) {
        diags.push(
            Diagnostic::error(E_STACK, "more than one `aws` block").at(Some(head_span(*f, b))),
        );
    }
    // Locals the stack and aws blocks read are evaluated first (only those, and only when
    // they do not depend on resources, whose ARNs need the stack's account and partition).
    let early_locals = {
        // Only the first of each is evaluated (more than one is an error above).
        let wanted: Vec<(Address, FileId, std::ops::Range<usize>)> = stacks
            .iter()
            .take(1)
            .chain(aws.iter().take(1))
            .flat_map(|(f, b)| {
                let mut refs = vec![];
                collect_body_refs(&b.body, &mut refs);
                refs.into_iter()
                    .filter(|(a, _)| a.kind == "local")
                    .map(move |(a, r)| (a, *f, r))
            })
            .collect();
        if wanted.is_empty() {
            IndexMap::new()
        } else {
            early_local_values(&wanted, locals, vars, files, diags)
        }
    };
    let mut env = Env::new(
        vars,
        &early_locals,
        &no_resources,
        RESOURCE_KINDS,
        files,
        "aws",
    );
    let stack_block = stacks
        .first()
        .map(|(f, b)| eval_block(*f, b, &schema::STACK, &mut env, diags));
    let aws_block = aws
        .first()
        .map(|(f, b)| eval_block(*f, b, &schema::AWS, &mut env, diags));
    let stack = stack_block.as_ref().map(|b| Stack {
        name: b.labels.first().cloned().unwrap_or_default(),
        account_id: b.str("account_id"),
        partition: b.str("partition").unwrap_or_else(|| "aws".into()),
        trust_policy_limit: b
            .num("trust_policy_limit")
            .map(|n| n as usize)
            .unwrap_or(2048),
        managed_policies_per_role: b
            .num("managed_policies_per_role")
            .map(|n| n as usize)
            .unwrap_or(10),
        allow_lints: b.list("allow_lints"),
    });
    if let (Some(s), Some(b)) = (&stack, &stack_block) {
        if !["aws", "aws-cn", "aws-us-gov"].contains(&s.partition.as_str()) {
            diags.push(
                Diagnostic::error(
                    crate::kinds::lowering::E_ENUM,
                    format!(
                        "`partition` must be \"aws\", \"aws-cn\" or \"aws-us-gov\", got \"{}\"",
                        s.partition
                    ),
                )
                .at(Some(b.span_of("partition"))),
            );
        }
        if let Some(a) = &s.account_id {
            if a.len() != 12 || !a.chars().all(|c| c.is_ascii_digit()) {
                diags.push(
                    Diagnostic::error(
                        crate::kinds::lowering::E_SEMANTIC,
                        format!("`account_id` must be 12 digits, got \"{a}\""),
                    )
                    .at(Some(b.span_of("account_id"))),
                );
            }
        }
    }
    let aws_settings = aws_block
        .as_ref()
        .map(|b| AwsSettings {
            region: b.str("region"),
            profile: b.str("profile"),
            endpoint: b.str("endpoint"),
        })
        .unwrap_or_default();
    let account_known = stack
        .as_ref()
        .and_then(|s| s.account_id.clone())
        .or_else(|| facts.account_id.clone());
    let account = account_known
        .clone()
        .unwrap_or_else(|| UNKNOWN_ACCOUNT.to_string());
    let partition = stack
        .as_ref()
        .map(|s| s.partition.clone())
        .unwrap_or_else(|| "aws".into());
    Settings {
        stack,
        aws: aws_settings,
        account_known,
        account,
        partition,
    }
}

/// The values of the locals `wanted` (read by the stack and aws blocks) and of the locals
/// they read, in dependency order. A local that reads a resource cannot be known before the
/// stack block: that is an error at the reference. Evaluation errors are left to the main
/// pass, which evaluates every local again and reports them once.
pub(super) fn early_local_values(
    wanted: &[(Address, FileId, std::ops::Range<usize>)],
    locals: &[(FileId, &Attribute)],
    vars: &IndexMap<String, Value>,
    files: &dyn FileReader,
    diags: &mut Diagnostics,
) -> IndexMap<String, Value> {
    let find = |name: &str| locals.iter().find(|(_, a)| a.key.value().as_str() == name);
    // Depth-first: dependencies before dependents; `visiting` stops cycles (the main pass
    // reports them).
    fn visit<'a>(
        name: &str,
        find: &dyn Fn(&str) -> Option<&'a (FileId, &'a Attribute)>,
        order: &mut Vec<String>,
        visiting: &mut Vec<String>,
        resource: &mut Option<Address>,
    ) {
        if order.iter().any(|n| n == name) || visiting.iter().any(|n| n == name) {
            return;
        }
        let Some((_, a)) = find(name) else { return };
        visiting.push(name.to_string());
        for (dep, _) in references(&a.value, RESOURCE_KINDS) {
            if dep.kind == "local" {
                visit(&dep.label, find, order, visiting, resource);
            } else if resource.is_none() {
                *resource = Some(dep);
            }
        }
        visiting.pop();
        order.push(name.to_string());
    }
    let mut values = IndexMap::new();
    let resources = ResourceTable::new();
    for (addr, file, range) in wanted {
        let mut order = vec![];
        let mut resource = None;
        visit(&addr.label, &find, &mut order, &mut vec![], &mut resource);
        if let Some(r) = resource {
            diags.push(
                Diagnostic::error(
                    E_STACK,
                    format!("`{addr}` depends on `{r}`, which cannot be known before the `stack` and `aws` blocks"),
                )
                .at(Some(Span::new(*file, range.clone())))
                .help("the stack and aws blocks may use variables and locals built from variables only"),
            );
            // Known to be unusable: null, so the block does not also call it undeclared.
            values.insert(addr.label.clone(), Value::Null);
            continue;
        }
        for name in order {
            if values.contains_key(&name) {
                continue;
            }
            let Some((_, a)) = find(&name) else { continue };
            let mut env = Env::new(vars, &values, &resources, RESOURCE_KINDS, files, "aws");
            if let Ok(v) = env.eval(&a.value) {
                values.insert(name, v);
            }
        }
    }
    values
}
