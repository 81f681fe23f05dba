//! The security review of `eksfed plan` end to end against moto: the text section before the
//! changes, the JSON items and count, the markdown table, and `--fail-on-broadening`.
#![allow(clippy::unwrap_used)]

mod support;
use support::{text, World};

fn stack(actions: &str) -> String {
    format!(
        r#"
stack "sec" {{}}
role "app" {{
  name = "sec-app"
  trust_aws {{ principals = ["arn:aws:iam::ACCOUNT:root"] }}
  inline_policy "jobs" {{
    statement {{
      actions   = [{actions}]
      resources = ["arn:aws:sqs:us-east-1:ACCOUNT:jobs"]
    }}
  }}
}}
"#
    )
}

fn code(o: &std::process::Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[test]
fn plan_reviews_access_and_gates_broadening() {
    let w = World::new("security");
    let dir = w.write_stack("sec", &[("main.hcl", &stack(r#""sqs:SendMessage""#))]);
    let d = dir.to_str().unwrap();
    // A new role broadens (it can be assumed; it may send).
    let p = w.eksfed(&["plan", d, "--fail-on-broadening"]);
    assert_eq!(code(&p), 3, "{}", text(&p));
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    assert!(
        String::from_utf8_lossy(&a.stdout).contains("Security review:"),
        "apply shows the review: {}",
        text(&a)
    );
    // Nothing to do: no item, the gate passes.
    let p = w.eksfed(&["plan", d, "--fail-on-broadening", "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));

    // One action added: broadens.
    let dir = w.write_stack(
        "sec",
        &[(
            "main.hcl",
            &stack(r#""sqs:SendMessage", "sqs:DeleteMessage""#),
        )],
    );
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d]);
    assert_eq!(code(&p), 0, "{}", text(&p));
    let out = String::from_utf8_lossy(&p.stdout).to_string();
    let line = format!(
        "  ! role.app may now sqs:DeleteMessage on arn:aws:sqs:us-east-1:{}:jobs\n",
        w.account
    );
    assert!(out.contains(&line), "{out}");
    let review = out.find("Security review:\n").unwrap();
    assert!(
        review < out.find("# role.app will be updated in-place").unwrap(),
        "{out}"
    );
    assert!(!out.contains("may now sqs:SendMessage"), "{out}");
    for flags in [
        &["--fail-on-broadening"][..],
        &["--fail-on-broadening", "--detailed-exitcode"][..],
    ] {
        let mut args = vec!["plan", d];
        args.extend_from_slice(flags);
        let p = w.eksfed(&args);
        assert_eq!(code(&p), 3, "{flags:?}: {}", text(&p));
    }
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 2, "{}", text(&p));
    let j = w.eksfed(&["plan", d, "--format", "json"]);
    assert_eq!(code(&j), 0, "{}", text(&j));
    let j: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(j["broadening"], 1, "{j}");
    let change = &j["changes"][0];
    assert_eq!(change["address"], "role.app");
    assert_eq!(change["security"][0]["effect"], "broadens", "{change}");
    assert_eq!(change["security"][0]["kind"], "permissions", "{change}");
    assert_eq!(
        change["security"][0]["message"],
        format!(
            "role.app may now sqs:DeleteMessage on arn:aws:sqs:us-east-1:{}:jobs",
            w.account
        )
    );
    assert_eq!(change["security"].as_array().unwrap().len(), 1, "{change}");
    let m = w.eksfed(&["plan", d, "--format", "markdown"]);
    assert_eq!(code(&m), 0, "{}", text(&m));
    let md = String::from_utf8_lossy(&m.stdout).to_string();
    let section = md.find("#### Security review").unwrap();
    assert!(
        section < md.find("| | Resource | Action | Why |").unwrap(),
        "{md}"
    );
    assert!(
        md.contains("| ⚠️ broadens | `role.app` | role.app may now sqs:DeleteMessage on arn:aws:sqs:us-east-1:"),
        "{md}"
    );

    // Apply it, then take the action away again: narrows, so the gate lets it through.
    assert_eq!(code(&w.eksfed(&["apply", d, "--auto-approve"])), 0);
    let dir = w.write_stack("sec", &[("main.hcl", &stack(r#""sqs:SendMessage""#))]);
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d, "--fail-on-broadening", "--detailed-exitcode"]);
    assert_eq!(code(&p), 2, "{}", text(&p));
    assert!(
        String::from_utf8_lossy(&p.stdout).contains(&format!(
            "  - role.app may no longer sqs:DeleteMessage on arn:aws:sqs:us-east-1:{}:jobs\n",
            w.account
        )),
        "{}",
        text(&p)
    );
    let j = w.eksfed(&["plan", d, "--format", "json"]);
    let j: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(j["broadening"], 0, "{j}");
    assert_eq!(j["changes"][0]["security"][0]["effect"], "narrows", "{j}");

    // An error still exits 1.
    let bad = w.write_stack("bad", &[("main.hcl", "stack \"bad\" {\n role \"x\" {\n")]);
    let p = w.eksfed(&["plan", bad.to_str().unwrap(), "--fail-on-broadening"]);
    assert_eq!(code(&p), 1, "{}", text(&p));
}

/// A managed policy that grows broadens every role it is attached to: the stack's own, and
/// (from the live read) a role made outside the stack.
#[test]
fn a_growing_managed_policy_names_every_role_it_is_attached_to() {
    let w = World::new("security-shared");
    let stack = |actions: &str| {
        format!(
            r#"
stack "shared" {{}}
policy "shared" {{
  name = "sec-shared"
  statement {{
    actions   = [{actions}]
    resources = ["arn:aws:sqs:us-east-1:ACCOUNT:jobs"]
  }}
}}
role "a" {{
  name = "sec-a"
  trust_aws {{ principals = ["arn:aws:iam::ACCOUNT:root"] }}
  policies = [policy.shared.arn]
}}
"#
        )
    };
    let dir = w.write_stack("shared", &[("main.hcl", &stack(r#""sqs:SendMessage""#))]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    w.boto3(&format!(
        "iam.create_role(RoleName='legacy', AssumeRolePolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'AWS': 'arn:aws:iam::{0}:root'}}, 'Action': 'sts:AssumeRole'}}]}}))\niam.attach_role_policy(RoleName='legacy', PolicyArn='arn:aws:iam::{0}:policy/sec-shared')\nprint('{{}}')",
        w.account
    ));
    let dir = w.write_stack(
        "shared",
        &[(
            "main.hcl",
            &stack(r#""sqs:SendMessage", "sqs:DeleteMessage""#),
        )],
    );
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d, "--fail-on-broadening"]);
    assert_eq!(code(&p), 3, "{}", text(&p));
    let out = String::from_utf8_lossy(&p.stdout);
    assert!(
        out.contains(&format!(
            "  ! policy.shared grows for role.a, role legacy (outside the stack): + sqs:DeleteMessage on arn:aws:sqs:us-east-1:{}:jobs\n",
            w.account
        )),
        "{out}"
    );
    // The outside role is only named: the plan neither changes nor deletes it.
    assert!(
        out.contains("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."),
        "{out}"
    );
}

/// Drift: an action added by hand to a role's inline policy, which the plan takes away again,
/// is a narrowing item marked as drift (text, JSON, markdown); once the configuration itself
/// changes that policy, the same item is no longer drift. Apply records what it applied in
/// the role's `eksfed:applied` tag, which the plan never shows as a tag change.
#[test]
fn a_hand_widened_role_is_a_narrowing_marked_as_drift() {
    let w = World::new("security-drift");
    let dir = w.write_stack("sec", &[("main.hcl", &stack(r#""sqs:SendMessage""#))]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let tags = w.boto3("print(json.dumps({t['Key']: t['Value'] for t in iam.list_role_tags(RoleName='sec-app')['Tags']}))");
    assert!(
        tags["eksfed:applied"]
            .as_str()
            .unwrap_or("")
            .starts_with("1 t="),
        "apply records what it applied: {tags}"
    );
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "the record is not a change: {}", text(&p));

    // "The console": sqs:DeleteMessage added to the inline policy.
    w.boto3("name = iam.list_role_policies(RoleName='sec-app')['PolicyNames'][0]\nd = iam.get_role_policy(RoleName='sec-app', PolicyName=name)['PolicyDocument']\nd = d if isinstance(d, dict) else json.loads(d)\na = d['Statement'][0]['Action']\nd['Statement'][0]['Action'] = (a if isinstance(a, list) else [a]) + ['sqs:DeleteMessage']\niam.put_role_policy(RoleName='sec-app', PolicyName=name, PolicyDocument=json.dumps(d))\nprint('{}')");
    let jobs = format!("arn:aws:sqs:us-east-1:{}:jobs", w.account);
    let p = w.eksfed(&["plan", d, "--fail-on-broadening", "--detailed-exitcode"]);
    assert_eq!(code(&p), 2, "a repair narrows: {}", text(&p));
    let out = String::from_utf8_lossy(&p.stdout).to_string();
    assert!(
        out.contains(&format!(
            "  - role.app may no longer sqs:DeleteMessage on {jobs} (repairs drift)\n"
        )),
        "{out}"
    );
    assert!(!out.contains("eksfed:applied"), "{out}");
    let j = w.eksfed(&["plan", d, "--format", "json"]);
    assert_eq!(code(&j), 0, "{}", text(&j));
    let j: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(j["broadening"], 0, "{j}");
    let item = &j["changes"][0]["security"][0];
    assert_eq!(item["effect"], "narrows", "{j}");
    assert_eq!(item["kind"], "permissions", "{j}");
    assert_eq!(item["drift"], true, "{j}");
    assert_eq!(
        item["message"],
        format!("role.app may no longer sqs:DeleteMessage on {jobs}")
    );
    let m = w.eksfed(&["plan", d, "--format", "markdown"]);
    let md = String::from_utf8_lossy(&m.stdout).to_string();
    assert!(
        md.contains(&format!(
            "| ✅ narrows | `role.app` | role.app may no longer sqs:DeleteMessage on {jobs} (repairs drift) |"
        )),
        "{md}"
    );

    // The configuration now changes that policy too: what it removes is no longer known to
    // be drift, and what it adds broadens.
    let dir = w.write_stack(
        "sec",
        &[(
            "main.hcl",
            &stack(r#""sqs:SendMessage", "sqs:ChangeMessageVisibility""#),
        )],
    );
    let d = dir.to_str().unwrap();
    let j = w.eksfed(&["plan", d, "--format", "json"]);
    assert_eq!(code(&j), 0, "{}", text(&j));
    let j: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let items = j["changes"][0]["security"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{j}");
    assert!(items.iter().all(|i| i.get("drift").is_none()), "{j}");
    assert_eq!(j["broadening"], 1, "{j}");

    // Applied: the record follows the configuration, and the next plan is empty.
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let after = w.boto3("print(json.dumps({t['Key']: t['Value'] for t in iam.list_role_tags(RoleName='sec-app')['Tags']}))");
    assert_ne!(after["eksfed:applied"], tags["eksfed:applied"], "{after}");
    let p = w.eksfed(&["plan", d, "--detailed-exitcode"]);
    assert_eq!(code(&p), 0, "{}", text(&p));
}

/// Attribute-based access through a policy outside the stack (issue 24 item 3): the stack's
/// role attaches a customer managed policy made by hand that allows `s3:*` to principals
/// tagged `team = admin`. Changing the role's tag from `app` to `admin` broadens, and the
/// plan can only say so if it reads that policy: `--fail-on-broadening` exits 3.
#[test]
fn a_tag_tested_by_a_policy_outside_the_stack_broadens() {
    let w = World::new("security-abac");
    w.boto3(
        "iam.create_policy(PolicyName='abac', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*', 'Condition': {'StringEquals': {'aws:PrincipalTag/team': 'admin'}}}]}))\nprint('{}')",
    );
    let stack = |team: &str| {
        format!(
            r#"
stack "abac" {{}}
role "app" {{
  name     = "abac-app"
  tags     = {{ team = "{team}" }}
  trust_aws {{ principals = ["arn:aws:iam::ACCOUNT:root"] }}
  policies = ["arn:aws:iam::ACCOUNT:policy/abac"]
}}
"#
        )
    };
    let dir = w.write_stack("abac", &[("main.hcl", &stack("app"))]);
    let d = dir.to_str().unwrap();
    let a = w.eksfed(&["apply", d, "--auto-approve"]);
    assert_eq!(code(&a), 0, "{}", text(&a));
    let dir = w.write_stack("abac", &[("main.hcl", &stack("admin"))]);
    let d = dir.to_str().unwrap();
    let p = w.eksfed(&["plan", d, "--fail-on-broadening"]);
    assert_eq!(code(&p), 3, "{}", text(&p));
    let out = String::from_utf8_lossy(&p.stdout);
    assert!(
        out.contains(&format!(
            "  ! role.app tag team changes from \"app\" to \"admin\", and policy arn:aws:iam::{}:policy/abac (outside the stack) tests aws:PrincipalTag/team\n",
            w.account
        )),
        "{out}"
    );
    // The outside policy is only read: the plan does not change it.
    assert!(
        out.contains("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."),
        "{out}"
    );
}
