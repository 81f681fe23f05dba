use super::*;

#[test]
fn glob_matches_like_string_like() {
    assert!(glob(
        "system:serviceaccount:apps:*",
        "system:serviceaccount:apps:web"
    ));
    assert!(!glob(
        "system:serviceaccount:apps:*",
        "system:serviceaccount:ops:web"
    ));
    assert!(glob("repo:acme/*", "repo:acme/deploy:ref:refs/heads/main"));
    assert!(glob("a?c", "abc"));
    assert!(!glob("a?c", "ac"));
}

#[test]
fn username_templates_become_globs() {
    assert_eq!(template_glob("admin:{{SessionName}}"), "admin:*");
    assert_eq!(
        default_username("arn:aws:iam::1:role/people/admins"),
        "arn:aws:sts::1:assumed-role/admins/{{SessionName}}"
    );
}
