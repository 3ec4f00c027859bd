//! Tests of `Enforcer`: loading, overriding, scope checks and evaluation semantics.

use std::fs;
use std::path::Path;

use aws_hybrid_policy::{
    Decision, DenyReason, Enforcer, PolicyError, PolicyFile, RuleDefault, RuleOrigin, TokenScope,
};
use serde_json::{Value, json};

fn default(name: &str, check_str: &str) -> RuleDefault {
    RuleDefault {
        name: name.to_string(),
        check_str: check_str.to_string(),
        ..RuleDefault::default()
    }
}

fn scoped(name: &str, check_str: &str, scope_types: &[&str]) -> RuleDefault {
    RuleDefault {
        scope_types: scope_types.iter().map(|s| s.to_string()).collect(),
        ..default(name, check_str)
    }
}

fn enforcer(defaults: &[RuleDefault]) -> Enforcer {
    match Enforcer::new(defaults, &[]) {
        Ok(enforcer) => enforcer,
        Err(e) => panic!("{e}"),
    }
}

/// Evaluates one check string, registered as rule "r", for a target and creds.
fn decide(check_str: &str, target: Value, creds: Value) -> Decision {
    enforcer(&[default("r", check_str)]).enforce("r", &target, &creds)
}

fn allowed(check_str: &str, target: Value, creds: Value) -> bool {
    decide(check_str, target, creds).is_allowed()
}

fn file(name: &str, text: &str) -> PolicyFile {
    match PolicyFile::parse(Path::new(name), text) {
        Ok(file) => file,
        Err(e) => panic!("{e}"),
    }
}

fn load_error(defaults: &[RuleDefault], files: &[PolicyFile]) -> PolicyError {
    match Enforcer::new(defaults, files) {
        Err(e) => e,
        Ok(_) => panic!("expected a load error"),
    }
}

#[test]
fn allow_and_deny_constants() {
    assert!(allowed("@", json!({}), json!({})));
    assert!(allowed("", json!({}), json!({})));
    assert_eq!(
        decide("!", json!({}), json!({})),
        Decision::Deny(DenyReason::CheckFailed)
    );
}

#[test]
fn role_matches_case_insensitively() {
    assert!(allowed(
        "role:Admin",
        json!({}),
        json!({"roles": ["ADMIN"]})
    ));
    assert!(!allowed(
        "role:admin",
        json!({}),
        json!({"roles": ["member"]})
    ));
}

#[test]
fn role_without_roles_denies() {
    assert!(!allowed("role:admin", json!({}), json!({})));
}

#[test]
fn role_name_from_target() {
    assert!(allowed(
        "role:%(role)s",
        json!({"role": "Reader"}),
        json!({"roles": ["reader"]})
    ));
    assert!(!allowed(
        "role:%(role)s",
        json!({}),
        json!({"roles": ["reader"]})
    ));
}

#[test]
fn role_string_matches_single_characters() {
    // Python iterates a string roles value by character.
    assert!(allowed("role:A", json!({}), json!({"roles": "admin"})));
    assert!(!allowed("role:admin", json!({}), json!({"roles": "admin"})));
}

#[test]
fn role_list_with_number_is_malformed() {
    let decision = decide("role:a", json!({}), json!({"roles": ["a", 1]}));
    let Decision::Deny(DenyReason::MalformedCreds(message)) = decision else {
        panic!("expected malformed creds, got {decision:?}");
    };
    assert!(message.contains("not a string"));
}

#[test]
fn role_number_is_malformed() {
    let decision = decide("role:a", json!({}), json!({"roles": 3}));
    assert!(matches!(
        decision,
        Decision::Deny(DenyReason::MalformedCreds(_))
    ));
}

#[test]
fn generic_compares_target_value() {
    let check = "project_id:%(project_id)s";
    assert!(allowed(
        check,
        json!({"project_id": "p1"}),
        json!({"project_id": "p1"})
    ));
    assert!(!allowed(
        check,
        json!({"project_id": "p2"}),
        json!({"project_id": "p1"})
    ));
}

#[test]
fn generic_missing_target_key_denies() {
    let check = "project_id:%(project_id)s";
    assert!(!allowed(check, json!({}), json!({"project_id": "p1"})));
    assert!(allowed(
        &format!("not {check}"),
        json!({}),
        json!({"project_id": "p1"})
    ));
}

#[test]
fn generic_missing_creds_key_denies() {
    assert!(!allowed("user_id:u1", json!({}), json!({})));
}

#[test]
fn generic_dotted_target_key_is_flat() {
    let check = "user_id:%(target.owner)s";
    let creds = json!({"user_id": "u1"});
    assert!(allowed(check, json!({"target.owner": "u1"}), creds.clone()));
    assert!(!allowed(check, json!({"target": {"owner": "u1"}}), creds));
}

#[test]
fn generic_nested_creds_path() {
    let creds = json!({"token": {"user": {"id": "u1"}}});
    assert!(allowed(
        "token.user.id:%(owner)s",
        json!({"owner": "u1"}),
        creds.clone()
    ));
    assert!(!allowed(
        "token.user.name:%(owner)s",
        json!({"owner": "u1"}),
        creds
    ));
}

#[test]
fn generic_list_creds_match_any_element() {
    let creds = json!({"tags": ["a", 2, true], "groups": [{"id": "g1"}, {"id": "g2"}]});
    assert!(allowed("tags:2", json!({}), creds.clone()));
    assert!(allowed("tags:True", json!({}), creds.clone()));
    assert!(!allowed("tags:c", json!({}), creds.clone()));
    assert!(allowed("groups.id:g2", json!({}), creds.clone()));
    assert!(!allowed("groups.id:g3", json!({}), creds));
}

#[test]
fn generic_path_through_string_is_malformed() {
    let decision = decide("token.user:x", json!({}), json!({"token": "abc"}));
    let Decision::Deny(DenyReason::MalformedCreds(message)) = decision else {
        panic!("expected malformed creds, got {decision:?}");
    };
    assert!(message.contains("creds path token.user reaches a string"));
}

#[test]
fn generic_compares_python_str_of_values() {
    assert!(allowed(
        "is_admin:True",
        json!({}),
        json!({"is_admin": true})
    ));
    assert!(!allowed("is_admin:1", json!({}), json!({"is_admin": true})));
    assert!(allowed(
        "count:%(n)s",
        json!({"n": 3}),
        json!({"count": "3"})
    ));
    assert!(allowed("ratio:1.0", json!({}), json!({"ratio": 1.0})));
    assert!(allowed("parent:None", json!({}), json!({"parent": null})));
}

#[test]
fn literal_quoted_left_side() {
    let check = "'shared':%(visibility)s";
    assert!(allowed(check, json!({"visibility": "shared"}), json!({})));
    assert!(!allowed(check, json!({"visibility": "private"}), json!({})));
}

#[test]
fn literal_true_left_side() {
    let check = "True:%(enabled)s";
    assert!(allowed(check, json!({"enabled": true}), json!({})));
    assert!(allowed(check, json!({"enabled": "True"}), json!({})));
    assert!(!allowed(check, json!({"enabled": 1}), json!({})));
}

#[test]
fn literal_number_left_side() {
    assert!(allowed("1e3:%(n)s", json!({"n": 1000.0}), json!({})));
    assert!(!allowed("1e3:%(n)s", json!({"n": 1000}), json!({})));
    assert!(allowed("0x10:%(n)s", json!({"n": 16}), json!({})));
}

#[test]
fn not_and_or_combine() {
    let creds = json!({"roles": ["reader"]});
    assert!(allowed("not role:admin", json!({}), creds.clone()));
    assert!(allowed(
        "role:admin or role:reader",
        json!({}),
        creds.clone()
    ));
    assert!(!allowed(
        "role:admin and role:reader",
        json!({}),
        creds.clone()
    ));
    assert!(allowed(
        "role:admin or role:reader and not role:x",
        json!({}),
        creds
    ));
}

#[test]
fn evaluation_short_circuits_errors() {
    let creds = json!({"token": "abc"});
    assert!(allowed("@ or token.user:x", json!({}), creds.clone()));
    assert_eq!(
        decide("! and token.user:x", json!({}), creds.clone()),
        Decision::Deny(DenyReason::CheckFailed)
    );
    assert!(matches!(
        decide("not token.user:x", json!({}), creds),
        Decision::Deny(DenyReason::MalformedCreds(_))
    ));
}

#[test]
fn rule_reference_evaluates_named_rule() {
    let e = enforcer(&[default("r", "rule:admin"), default("admin", "role:admin")]);
    assert!(
        e.enforce("r", &json!({}), &json!({"roles": ["admin"]}))
            .is_allowed()
    );
    assert!(
        !e.enforce("r", &json!({}), &json!({"roles": []}))
            .is_allowed()
    );
}

#[test]
fn undefined_reference_evaluates_default_rule() {
    let e = enforcer(&[
        default("r", "rule:missing"),
        default("default", "role:admin"),
    ]);
    assert!(
        e.enforce("r", &json!({}), &json!({"roles": ["admin"]}))
            .is_allowed()
    );
    assert!(
        !e.enforce("r", &json!({}), &json!({"roles": []}))
            .is_allowed()
    );
    assert_eq!(e.warnings().len(), 1);
    let warning = e.warnings()[0].to_string();
    assert_eq!(
        warning,
        "registered default: rule \"r\" refers to undefined rule \"missing\", which is \
         evaluated as the default rule \"default\""
    );
}

#[test]
fn undefined_reference_without_default_denies() {
    let e = enforcer(&[default("r", "not rule:missing")]);
    assert!(e.enforce("r", &json!({}), &json!({})).is_allowed());
    assert!(e.warnings()[0].to_string().contains("always false"));
}

#[test]
fn unregistered_name_uses_default_rule() {
    let e = enforcer(&[default("default", "role:admin")]);
    assert!(
        e.enforce("not:registered", &json!({}), &json!({"roles": ["admin"]}))
            .is_allowed()
    );
}

#[test]
fn unregistered_name_without_default_is_not_found() {
    let e = enforcer(&[default("r", "@")]);
    assert_eq!(
        e.enforce("other", &json!({}), &json!({})),
        Decision::Deny(DenyReason::RuleNotFound)
    );
}

#[test]
fn scope_system_from_system_scope() {
    let e = enforcer(&[scoped("r", "@", &["project"])]);
    let decision = e.enforce("r", &json!({}), &json!({"system_scope": "all"}));
    assert_eq!(
        decision,
        Decision::Deny(DenyReason::ScopeMismatch {
            token_scope: TokenScope::System,
            scope_types: vec!["project".into()],
        })
    );
}

#[test]
fn scope_system_from_system_key() {
    let e = enforcer(&[scoped("r", "@", &["system"])]);
    assert!(
        e.enforce("r", &json!({}), &json!({"system": "all"}))
            .is_allowed()
    );
    assert!(
        !e.enforce("r", &json!({}), &json!({"system": ""}))
            .is_allowed()
    );
}

#[test]
fn scope_domain_from_domain_id() {
    let e = enforcer(&[scoped("r", "@", &["domain"])]);
    assert!(
        e.enforce("r", &json!({}), &json!({"domain_id": "d1"}))
            .is_allowed()
    );
    assert!(
        !e.enforce("r", &json!({}), &json!({"domain_id": ""}))
            .is_allowed()
    );
}

#[test]
fn scope_project_by_default() {
    let e = enforcer(&[scoped("r", "@", &["project"])]);
    assert!(e.enforce("r", &json!({}), &json!({})).is_allowed());
    assert!(
        !e.enforce("r", &json!({}), &json!({"domain_id": "d1"}))
            .is_allowed()
    );
}

#[test]
fn scope_applies_to_overridden_default() {
    let overrides = file("policy.yaml", "\"r\": \"@\"\n");
    let e = Enforcer::new(&[scoped("r", "!", &["system"])], &[overrides]).unwrap();
    assert!(
        e.enforce("r", &json!({}), &json!({"system_scope": "all"}))
            .is_allowed()
    );
    assert!(!e.enforce("r", &json!({}), &json!({})).is_allowed());
}

#[test]
fn scope_skipped_for_default_rule_fallback() {
    let e = enforcer(&[scoped("default", "@", &["system"])]);
    assert!(
        e.enforce("unregistered", &json!({}), &json!({}))
            .is_allowed()
    );
    assert!(!e.enforce("default", &json!({}), &json!({})).is_allowed());
}

#[test]
fn scope_skipped_for_referenced_rules() {
    let e = enforcer(&[
        default("r", "rule:inner"),
        scoped("inner", "@", &["system"]),
    ]);
    assert!(e.enforce("r", &json!({}), &json!({})).is_allowed());
}

#[test]
fn system_scope_becomes_system_creds() {
    let e = enforcer(&[default("r", "system:all")]);
    let creds = json!({"system_scope": "all", "system": "other"});
    assert!(e.enforce("r", &json!({}), &creds).is_allowed());
}

#[test]
fn non_object_inputs_count_as_empty() {
    let e = enforcer(&[default("r", "not role:a")]);
    assert!(e.enforce("r", &json!([1]), &json!("creds")).is_allowed());
}

#[test]
fn files_override_in_order() {
    let first = file("policy.yaml", "\"a\": \"!\"\n\"b\": \"!\"\n");
    let second = file("policy.d/10.yaml", "\"b\": \"@\"\n\"extra\": \"@\"\n");
    let e = Enforcer::new(
        &[default("a", "@"), default("b", "@"), default("c", "@")],
        &[first, second],
    )
    .unwrap();
    assert!(!e.enforce("a", &json!({}), &json!({})).is_allowed());
    assert!(e.enforce("b", &json!({}), &json!({})).is_allowed());
    assert!(e.enforce("c", &json!({}), &json!({})).is_allowed());
    assert!(e.enforce("extra", &json!({}), &json!({})).is_allowed());
}

#[test]
fn effective_rules_report_overrides() {
    let overrides = file("policy.yaml", "\"b\": \"role:x\"\n\"extra\": \"@\"\n");
    let e = Enforcer::new(&[default("a", "@"), default("b", "@")], &[overrides]).unwrap();
    let rules = e.effective_rules();
    let summary: Vec<(&str, &str, bool, bool)> = rules
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.check_str.as_str(),
                r.registered,
                r.overridden,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("a", "@", true, false),
            ("b", "role:x", true, true),
            ("extra", "@", false, false)
        ]
    );
    assert_eq!(
        rules[1].origin,
        RuleOrigin::File {
            path: "policy.yaml".into(),
            line: 1
        }
    );
}

#[test]
fn load_reads_policy_file_then_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let policy_file = dir.path().join("policy.yaml");
    let policy_dir = dir.path().join("policy.d");
    fs::create_dir(&policy_dir).unwrap();
    fs::write(&policy_file, "\"a\": \"!\"\n\"b\": \"!\"\n").unwrap();
    fs::write(policy_dir.join("20.yaml"), "\"b\": \"@\"\n").unwrap();
    fs::write(policy_dir.join("10.yaml"), "\"b\": \"!\"\n").unwrap();
    fs::write(policy_dir.join(".hidden.yaml"), "\"a\": \"@\"\n").unwrap();
    let e = Enforcer::load(
        &[default("a", "@"), default("b", "!")],
        Some(&policy_file),
        &[policy_dir],
    )
    .unwrap();
    assert!(!e.enforce("a", &json!({}), &json!({})).is_allowed());
    assert!(e.enforce("b", &json!({}), &json!({})).is_allowed());
}

#[test]
fn load_reports_file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let policy_file = dir.path().join("policy.yaml");
    fs::write(&policy_file, "\"a\": \"(role:x\"\n").unwrap();
    let result = Enforcer::load(&[default("a", "@")], Some(&policy_file), &[]);
    let Err(e) = result else {
        panic!("expected an error");
    };
    let expected = format!(
        "{} line 1: rule \"a\": invalid check string \"(role:x\" at column 1: `(` is never \
         closed; add a matching `)`",
        policy_file.display()
    );
    assert_eq!(e.to_string(), expected);
}

#[test]
fn duplicate_default_is_rejected() {
    let e = load_error(&[default("a", "@"), default("a", "!")], &[]);
    assert!(matches!(e, PolicyError::DuplicateDefault { .. }));
}

#[test]
fn unknown_scope_type_is_rejected() {
    let e = load_error(&[scoped("a", "@", &["tenant"])], &[]);
    assert!(
        e.to_string()
            .contains("scope type \"tenant\" is not one of")
    );
}

#[test]
fn repeated_scope_type_is_rejected() {
    let e = load_error(&[scoped("a", "@", &["project", "project"])], &[]);
    assert!(e.to_string().contains("listed twice"));
}

#[test]
fn invalid_default_check_string_is_rejected() {
    let e = load_error(&[default("a", "role:x or")], &[]);
    assert_eq!(
        e.to_string(),
        "registered default: rule \"a\": invalid check string \"role:x or\" at column 8: `or` at \
         the end has no check after it; add one or remove the operator"
    );
}

#[test]
fn remote_check_in_default_is_rejected() {
    let e = load_error(&[default("a", "(https://policy.example/x)")], &[]);
    let PolicyError::InvalidRule {
        column, message, ..
    } = e
    else {
        panic!("expected an invalid rule error, got {e:?}");
    };
    assert_eq!(column, 2);
    assert!(message.contains("never makes remote policy calls"));
}

#[test]
fn direct_cycle_is_rejected() {
    let e = load_error(
        &[default("a", "rule:b"), default("b", "role:x or rule:a")],
        &[],
    );
    assert_eq!(
        e.to_string(),
        "rules form a cycle of rule: references, so evaluating them never ends: \"a\" \
         (registered default) -> \"b\" (registered default) -> \"a\"; change one of these rules \
         to break the cycle"
    );
}

#[test]
fn self_reference_under_not_is_rejected() {
    let e = load_error(&[default("a", "not rule:a")], &[]);
    assert!(matches!(e, PolicyError::Cycle { .. }));
}

#[test]
fn cycle_through_default_fallback_is_rejected() {
    let e = load_error(
        &[default("a", "rule:missing"), default("default", "rule:a")],
        &[],
    );
    assert!(
        e.to_string()
            .contains("\"a\" (registered default) -> undefined \"missing\", evaluated as the default rule -> \"default\"")
    );
}

#[test]
fn cycle_created_by_file_is_rejected() {
    let overrides = file("policy.yaml", "\"b\": \"rule:a\"\n");
    let e = load_error(&[default("a", "rule:b"), default("b", "@")], &[overrides]);
    assert!(e.to_string().contains("\"b\" (policy.yaml line 1)"));
}

#[test]
fn shared_reference_is_not_a_cycle() {
    let e = enforcer(&[
        default("a", "rule:c and rule:b"),
        default("b", "rule:c"),
        default("c", "@"),
    ]);
    assert!(e.enforce("a", &json!({}), &json!({})).is_allowed());
}
