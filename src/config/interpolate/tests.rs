use super::*;

const REGISTRY: &[OptDef] = &[
    OptDef::new(
        "DEFAULT",
        "state_path",
        OptKind::Path,
        Some("/var/lib/x"),
        "State.",
    ),
    OptDef::new("DEFAULT", "name", OptKind::String, None, "Name."),
    OptDef::new("api", "host", OptKind::String, None, "Host."),
    OptDef::new(
        "api",
        "name",
        OptKind::String,
        None,
        "Shadows DEFAULT name.",
    ),
    OptDef::new("api", "a", OptKind::String, None, "Cycle part."),
    OptDef::new("api", "b", OptKind::String, None, "Cycle part."),
    OptDef::new("api", "multi", OptKind::MultiString, None, "Multi."),
    OptDef::new("api", "password", OptKind::String, None, "Secret.").secret(),
];

fn index(group: &str, name: &str) -> usize {
    REGISTRY
        .iter()
        .position(|opt| opt.group == group && opt.name == name)
        .unwrap()
}

/// Expands `text` as a value of `[group] name`, with the other options set as given.
fn expand(
    set: &[(&str, &str, &'static str)],
    group: &str,
    name: &str,
    text: &str,
) -> Result<Expanded, Failure> {
    let mut texts: Vec<Option<&str>> = REGISTRY.iter().map(|opt| opt.default).collect();
    for (group, name, text) in set {
        texts[index(group, name)] = Some(text);
    }
    Interpolator::new(REGISTRY, texts).expand_text(index(group, name), text)
}

fn expanded_text(set: &[(&str, &str, &'static str)], text: &str) -> String {
    match expand(set, "api", "host", text) {
        Ok(expanded) => expanded.text,
        Err(failure) => panic!("{text}: {failure:?}"),
    }
}

fn own_failure(
    set: &[(&str, &str, &'static str)],
    group: &str,
    name: &str,
    text: &str,
) -> IssueKind {
    match expand(set, group, name, text) {
        Err(Failure::Own(kind)) => kind,
        other => panic!("{text}: expected an own failure, got {other:?}"),
    }
}

#[test]
fn plain_text_unchanged() {
    assert_eq!(expanded_text(&[], "no references \\n"), "no references \\n");
}

#[test]
fn reference_to_default_group() {
    assert_eq!(expanded_text(&[], "$state_path/data"), "/var/lib/x/data");
    assert_eq!(expanded_text(&[], "${state_path}data"), "/var/lib/xdata");
}

#[test]
fn same_group_wins_over_default() {
    let set = [("DEFAULT", "name", "outer"), ("api", "name", "inner")];

    assert_eq!(expanded_text(&set, "$name"), "inner");
    assert_eq!(expanded_text(&set, "${DEFAULT.name}"), "outer");
}

#[test]
fn other_group_reference() {
    let set = [("api", "name", "svc")];
    let text = match expand(&set, "DEFAULT", "name", "${api.name}-${API.name}") {
        Ok(expanded) => expanded.text,
        Err(failure) => panic!("{failure:?}"),
    };

    assert_eq!(text, "svc-svc");
}

#[test]
fn double_dollar_is_literal() {
    assert_eq!(
        expanded_text(&[], "cost $$5 and $$state_path"),
        "cost $5 and $state_path"
    );
}

#[test]
fn nested_references_expand() {
    let set = [("api", "name", "$state_path/n")];

    assert_eq!(expanded_text(&set, "$name!"), "/var/lib/x/n!");
}

#[test]
fn unknown_reference_named() {
    assert_eq!(
        own_failure(&[], "api", "host", "x${nope}y"),
        IssueKind::UnknownReference {
            reference: "${nope}".into()
        }
    );
    assert_eq!(
        own_failure(&[], "api", "host", "${other.host}"),
        IssueKind::UnknownReference {
            reference: "${other.host}".into()
        }
    );
}

#[test]
fn invalid_placeholders() {
    for text in [
        "price $",
        "$ 5",
        "${unclosed",
        "${}",
        "${a.b.c}",
        "$-x",
        "${1x}",
    ] {
        assert_eq!(
            own_failure(&[], "api", "host", text),
            IssueKind::InvalidPlaceholder { value: text.into() },
            "{text}"
        );
    }
}

#[test]
fn unset_reference_reported() {
    assert_eq!(
        own_failure(&[], "api", "host", "$name"),
        IssueKind::UnsetReference {
            reference: "$name".into()
        }
    );
}

#[test]
fn multi_valued_reference_rejected() {
    let set = [("api", "multi", "m")];

    assert!(matches!(
        own_failure(&set, "api", "host", "$multi"),
        IssueKind::MultiValuedReference { .. }
    ));
}

#[test]
fn cycle_detected_once() {
    let set = [("api", "a", "$b"), ("api", "b", "x$a")];
    let mut texts: Vec<Option<&str>> = REGISTRY.iter().map(|opt| opt.default).collect();
    for (group, name, text) in set {
        texts[index(group, name)] = Some(text);
    }
    let mut interpolator = Interpolator::new(REGISTRY, texts);

    assert_eq!(
        interpolator.expand_option(index("api", "a")),
        Err(Failure::Dependent)
    );
    assert_eq!(
        interpolator.expand_option(index("api", "b")),
        Err(Failure::Own(IssueKind::ReferenceCycle {
            chain: "[api] a -> [api] b -> [api] a".into()
        }))
    );
}

#[test]
fn self_reference_is_cycle() {
    let mut texts: Vec<Option<&str>> = REGISTRY.iter().map(|opt| opt.default).collect();
    texts[index("api", "a")] = Some("$a");
    let mut interpolator = Interpolator::new(REGISTRY, texts);

    assert_eq!(
        interpolator.expand_option(index("api", "a")),
        Err(Failure::Own(IssueKind::ReferenceCycle {
            chain: "[api] a -> [api] a".into()
        }))
    );
}

#[test]
fn secret_errors_hide_references() {
    assert_eq!(
        own_failure(&[], "api", "password", "pa$word"),
        IssueKind::HiddenReference
    );
    assert_eq!(
        own_failure(&[], "api", "password", "pa$"),
        IssueKind::HiddenReference
    );
}

#[test]
fn secret_taints_referencing_value() {
    let set = [("api", "password", "hunter2")];
    let expanded = expand(&set, "api", "host", "$password").unwrap();

    assert_eq!(expanded.text, "hunter2");
    assert!(expanded.secret);
    assert!(!expand(&set, "api", "host", "plain").unwrap().secret);
}
