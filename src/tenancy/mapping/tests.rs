use std::fs;

use tempfile::TempDir;

use super::*;

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn project(id: &str) -> String {
    format!("[project:{id}]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n")
}

/// Returns the access key ID and secret of an entry that uses keys.
fn keys(entry: &TenantEntry) -> (&str, &str) {
    match &entry.credentials {
        TenantCredentials::Keys {
            access_key_id,
            secret_access_key,
        } => (access_key_id, secret_access_key.expose()),
        other => panic!("expected keys, got {other:?}"),
    }
}

fn parse_ok(text: &str) -> TenantMap {
    match TenantMap::parse(text, "tenants.conf", "us-east-1") {
        Ok(map) => map,
        Err(error) => panic!("unexpected errors:\n{error}"),
    }
}

fn error_lines(text: &str) -> Vec<String> {
    match TenantMap::parse(text, "tenants.conf", "us-east-1") {
        Ok(map) => panic!("expected errors, got {map:?}"),
        Err(error) => error.to_string().lines().map(str::to_string).collect(),
    }
}

fn kinds(text: &str) -> Vec<MappingIssueKind> {
    match TenantMap::parse(text, "tenants.conf", "us-east-1") {
        Ok(map) => panic!("expected errors, got {map:?}"),
        Err(error) => error.0.into_iter().map(|issue| issue.kind).collect(),
    }
}

#[test]
fn minimal_project_uses_default_region() {
    let map = parse_ok(&project("3f2a9c"));
    let entry = map.get("3f2a9c").unwrap();

    assert_eq!(entry.project_id, "3f2a9c");
    assert_eq!(keys(entry), (KEY, SECRET));
    assert_eq!(entry.region, "us-east-1");
    assert_eq!(entry.allowed_regions, ["us-east-1"]);
    assert_eq!(map.len(), 1);
    assert!(!map.is_empty());
}

#[test]
fn section_values_and_allowed_regions() {
    let text = format!(
        "{}region = eu-west-1\nallowed_regions = eu-west-1, eu-central-1,\n",
        project("p1")
    );
    let map = parse_ok(&text);
    let entry = map.get("p1").unwrap();

    assert_eq!(entry.region, "eu-west-1");
    assert_eq!(entry.allowed_regions, ["eu-west-1", "eu-central-1"]);
}

#[test]
fn default_section_gives_fallbacks() {
    let text = format!(
        "[DEFAULT]\nregion = eu-west-1\naws_access_key_id = AKIASHAREDACCOUNT01\n\n{}\n\
         [project:p2]\naws_secret_access_key = other\nregion = ap-south-1\n",
        project("p1")
    );
    let map = parse_ok(&text);

    assert_eq!(map.get("p1").unwrap().region, "eu-west-1");
    assert_eq!(keys(map.get("p1").unwrap()).0, KEY);
    assert_eq!(keys(map.get("p2").unwrap()).0, "AKIASHAREDACCOUNT01");
    assert_eq!(map.get("p2").unwrap().region, "ap-south-1");
}

#[test]
fn empty_allowed_regions_means_region() {
    let text = format!("{}region = eu-west-2\nallowed_regions =\n", project("p1"));

    assert_eq!(
        parse_ok(&text).get("p1").unwrap().allowed_regions,
        ["eu-west-2"]
    );
}

#[test]
fn shared_access_key_allowed() {
    let map = parse_ok(&format!("{}{}", project("a"), project("b")));

    assert_eq!(map.project_ids().collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn ids_case_sensitive() {
    let map = parse_ok(&format!("{}{}", project("abc"), project("ABC")));

    assert_eq!(map.len(), 2);
    assert!(map.get("abc").is_some());
    assert!(map.get("Abc").is_none());
}

#[test]
fn section_prefix_case_insensitive() {
    let map = parse_ok(&project("x").replace("[project:", "[Project:"));

    assert!(map.get("x").is_some());
}

#[test]
fn invalid_section_names() {
    let long = "a".repeat(65);
    for name in [
        "tenant:abc",
        "project:",
        "project:a b",
        "project:ab/c",
        "default",
        long.as_str(),
    ] {
        let text = format!("{}[{name}]\nregion = us-east-1\n", project("ok"));

        assert_eq!(kinds(&text), [MappingIssueKind::InvalidSection], "{name}");
    }
    assert!(TenantMap::parse(&project(&"a".repeat(64)), "t", "us-east-1").is_ok());
}

#[test]
fn duplicate_project_rejected() {
    let text = format!(
        "{}\n{}",
        project("abc"),
        project("abc").replace("project", "PROJECT")
    );

    assert_eq!(
        error_lines(&text),
        [
            "tenants.conf:5: [PROJECT:abc]: duplicate section for this project, first defined at \
          line 1; merge the two sections"
        ]
    );
}

#[test]
fn missing_credentials_reported() {
    let text = "[project:p1]\nregion = us-east-2\n";

    assert_eq!(
        error_lines(text),
        [
            "tenants.conf:1: [project:p1] aws_access_key_id: required field is missing; set it \
             in this section or in [DEFAULT]",
            "tenants.conf:1: [project:p1] aws_secret_access_key: required field is missing; set \
             it in this section or in [DEFAULT]",
        ]
    );
}

#[test]
fn unknown_field_suggests_closest() {
    let text = format!(
        "{}regoin = us-east-1\naws_session_token = x\n",
        project("p")
    );

    assert_eq!(
        error_lines(&text),
        [
            "tenants.conf:4: [project:p] regoin: unknown field; did you mean region? Known fields: \
             aws_access_key_id, aws_secret_access_key, role_arn, region, allowed_regions, \
             max_instances, max_vcpus, allowed_instance_types, allowed_image_owners",
            "tenants.conf:5: [project:p] aws_session_token: unknown field; known fields: \
             aws_access_key_id, aws_secret_access_key, role_arn, region, allowed_regions, \
             max_instances, max_vcpus, allowed_instance_types, allowed_image_owners",
        ]
    );
}

#[test]
fn access_key_id_format() {
    let long = "A".repeat(129);
    for bad in [
        "AKIA123",
        "akiaiosfodnn7example",
        "AKIAIOSFODNN7EXAMPL-",
        long.as_str(),
    ] {
        let text = project("p").replace(KEY, bad);

        assert_eq!(
            kinds(&text),
            [MappingIssueKind::InvalidAccessKeyId { value: bad.into() }],
            "{bad}"
        );
    }
    let sixteen = project("p").replace(KEY, "AKIA000000000000");
    assert!(TenantMap::parse(&sixteen, "t", "us-east-1").is_ok());
}

#[test]
fn region_format() {
    let text = format!("{}region = Frankfurt\n", project("p"));

    assert_eq!(
        error_lines(&text),
        [
            "tenants.conf:4: [project:p] region: invalid region \"Frankfurt\": expected an AWS region \
          name such as us-east-1"
        ]
    );
}

#[test]
fn allowed_regions_format() {
    let text = format!("{}allowed_regions = us-east-1, eu_west_1\n", project("p"));

    assert_eq!(
        kinds(&text),
        [MappingIssueKind::InvalidRegion {
            value: "eu_west_1".into()
        }]
    );
}

#[test]
fn region_must_be_allowed() {
    let text = format!(
        "{}region = eu-west-1\nallowed_regions = eu-central-1, us-east-1\n",
        project("p")
    );

    assert_eq!(
        error_lines(&text),
        [
            "tenants.conf:4: [project:p] region: region \"eu-west-1\" is not in allowed_regions \
          (eu-central-1, us-east-1); add it there or choose an allowed region"
        ]
    );
}

#[test]
fn default_region_must_be_allowed() {
    let text = format!("{}allowed_regions = eu-central-1\n", project("p"));

    assert_eq!(
        error_lines(&text),
        [
            "tenants.conf:4: [project:p] allowed_regions: region \"us-east-1\" is not in \
          allowed_regions (eu-central-1); add it there or choose an allowed region"
        ]
    );
}

#[test]
fn invalid_default_region_reported_once() {
    let text = format!("{}{}", project("a"), project("b"));
    let error = TenantMap::parse(&text, "t", "mars").unwrap_err();

    assert_eq!(
        error.0.iter().map(|issue| &issue.kind).collect::<Vec<_>>(),
        [&MappingIssueKind::InvalidDefaultRegion {
            value: "mars".into()
        }]
    );
}

#[test]
fn invalid_default_entry_reported_once() {
    let text = format!(
        "[DEFAULT]\nregion = nowhere\n{}{}",
        project("a"),
        project("b")
    );

    assert_eq!(
        error_lines(&text),
        [
            "tenants.conf:2: [DEFAULT] region: invalid region \"nowhere\": expected an AWS region \
          name such as us-east-1"
        ]
    );
}

#[test]
fn no_project_is_error() {
    assert_eq!(
        error_lines("# empty\n[DEFAULT]\nregion = us-east-1\n"),
        ["tenants.conf: no [project:<id>] section; add one section per Keystone project"]
    );
    assert_eq!(kinds(""), [MappingIssueKind::NoProjects]);
}

#[test]
fn secret_never_in_errors() {
    let text = format!(
        "[project:p]\naws_access_key_id = bad\naws_secret_access_key = {SECRET}\n\
         region = x\nextra = {SECRET}\n[project:q]\naws_secret_access_key = {SECRET}\n"
    );
    let error = TenantMap::parse(&text, "t", "us-east-1").unwrap_err();
    let message = error.to_string();

    assert_eq!(error.0.len(), 4, "{message}");
    assert!(!message.contains(SECRET), "{message}");
    assert!(!format!("{error:?}").contains(SECRET));
    assert!(!format!("{:?}", parse_ok(&project("p"))).contains(SECRET));
}

#[test]
fn empty_secret_rejected() {
    let text = project("p").replace(SECRET, "");

    assert_eq!(kinds(&text), [MappingIssueKind::EmptyField]);
}

#[test]
fn syntax_errors_located() {
    assert_eq!(
        error_lines("aws_access_key_id = x\n[project:p\n"),
        [
            "tenants.conf:1: option outside any section: add a [DEFAULT] or [group] header above it",
            "tenants.conf:2: invalid section header: expected [name] on a line of its own, with \
             any comment on a separate line",
        ]
    );
}

#[test]
fn all_errors_collected() {
    let text = "[bad]\n[project:p]\nregion = x\n[project:q]\naws_access_key_id = y\n";

    assert_eq!(kinds(text).len(), 6, "{:?}", error_lines(text));
}

#[test]
fn last_repeated_value_wins() {
    let text = format!("{}region = eu-west-1\nregion = eu-west-3\n", project("p"));

    assert_eq!(parse_ok(&text).get("p").unwrap().region, "eu-west-3");
}

#[test]
fn load_reads_file() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("tenants.conf");
    fs::write(&path, project("p")).unwrap();

    let map = TenantMap::load(&path, "us-east-2").unwrap();

    assert_eq!(map.get("p").unwrap().region, "us-east-2");
}

#[test]
fn load_missing_file_named() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("absent.conf");

    let error = TenantMap::load(&path, "us-east-1").unwrap_err();

    assert_eq!(
        error.to_string(),
        format!(
            "{}: tenant mapping file not found; create it or set [tenancy] mapping_file to its path",
            path.display()
        )
    );
}

const ROLE: &str = "arn:aws:iam::333333333333:role/aws-hybrid";

#[test]
fn role_arn_replaces_keys() {
    let map = parse_ok(&format!("[project:p]\nrole_arn = {ROLE}\n"));

    let entry = map.get("p").unwrap();
    assert_eq!(
        entry.credentials,
        TenantCredentials::Role {
            role_arn: ROLE.into()
        }
    );
    assert_eq!(entry.account_key(), format!("{ROLE}#p"));
}

#[test]
fn role_arn_with_keys_rejected() {
    let text = format!("{}role_arn = {ROLE}\n", project("p"));

    assert_eq!(
        error_lines(&text),
        [
            "tenants.conf:2: [project:p] aws_access_key_id: a section gives either role_arn or the \
          two aws_ keys, not both; remove the keys to assume the role, or remove role_arn"
        ]
    );
}

#[test]
fn role_arn_format() {
    for bad in [
        "arn:aws:iam::33333333333:role/x",
        "arn:aws:iam::333333333333:user/x",
        "arn:aws:s3:::bucket",
        "arn:aws:iam::333333333333:role/",
        "arn:aws:iam::333333333333:role/bad name",
    ] {
        let kinds = kinds(&format!("[project:p]\nrole_arn = {bad}\n"));
        assert_eq!(
            kinds,
            [MappingIssueKind::InvalidRoleArn { value: bad.into() }],
            "{bad}"
        );
    }
    assert!(is_role_arn(
        "arn:aws-us-gov:iam::333333333333:role/path/to/Role+1"
    ));
}

#[test]
fn guardrail_fields_parsed() {
    let text = format!(
        "{}max_instances = 4\nmax_vcpus = 16\nallowed_instance_types = t3.*, m5.large\n\
         allowed_image_owners = self, 123456789012\n",
        project("p")
    );

    let rails = &parse_ok(&text).get("p").unwrap().guardrails.clone();

    assert_eq!(rails.max_instances, Some(4));
    assert_eq!(rails.max_vcpus, Some(16));
    assert_eq!(rails.allowed_instance_types, ["t3.*", "m5.large"]);
    assert_eq!(rails.allowed_image_owners, ["self", "123456789012"]);
}

#[test]
fn guardrail_defaults_come_from_default_section() {
    let text = format!("[DEFAULT]\nmax_instances = 2\n{}", project("p"));

    assert_eq!(
        parse_ok(&text).get("p").unwrap().guardrails.max_instances,
        Some(2)
    );
}

#[test]
fn guardrail_formats_checked() {
    let text = format!(
        "{}max_instances = -1\nmax_vcpus = many\nallowed_instance_types = T3.*\n\
         allowed_image_owners = amazon, someone\n",
        project("p")
    );

    assert_eq!(
        kinds(&text),
        [
            MappingIssueKind::InvalidCount { value: "-1".into() },
            MappingIssueKind::InvalidCount {
                value: "many".into()
            },
            MappingIssueKind::InvalidInstanceTypePattern {
                value: "T3.*".into()
            },
            MappingIssueKind::InvalidImageOwner {
                value: "someone".into()
            },
        ]
    );
}
