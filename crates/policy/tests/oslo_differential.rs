//! Differential test against Python oslo.policy: the generated corpus is evaluated by this crate
//! and by `tools/policy_oracle.py`, which must agree on every verdict, every parsed rule and
//! every sample file.
//!
//! The oracle runs under the interpreter that `AWS_HYBRID_PYTHON` names, which needs
//! oslo.policy installed (tools/test.sh sets it to the project venv, whose pins are in
//! tools/constraints.txt). Without it the tests that need the oracle fail.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use aws_hybrid_policy::testgen::{self, Case, CaseSet, Corpus};
use aws_hybrid_policy::{
    Check, DEFAULT_RULE, Decision, DenyReason, Enforcer, Left, parse_check_str, sample_yaml,
};
use serde_json::{Value, json};

const ORACLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tools/policy_oracle.py");
const CASE_SET_COUNT: usize = 600;
const MIN_CASES: usize = 2000;
/// Minimum share of allow verdicts, and of other verdicts, in the corpus.
const MIN_VERDICT_SHARE: f64 = 0.2;
/// How many disagreements a failure prints in full.
const SHOWN_DISAGREEMENTS: usize = 5;

/// The corpus with the files it was written to and both sides' results.
struct Run {
    corpus: Corpus,
    /// Per case set: the policy file path, if written, and the policy directory.
    layouts: Vec<(Option<PathBuf>, PathBuf)>,
    enforcers: Vec<Enforcer>,
    /// Our verdict and decision per case id.
    ours: BTreeMap<usize, (&'static str, Decision)>,
    oracle: Result<Value, String>,
    _dir: tempfile::TempDir,
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let corpus = testgen::generate(testgen::SEED, CASE_SET_COUNT);
        let dir = tempfile::tempdir().expect("failed to create a temporary directory");
        let layouts: Vec<_> = corpus
            .case_sets
            .iter()
            .map(|set| write_policy_files(dir.path(), set))
            .collect();
        let mut enforcers = Vec::new();
        let mut ours = BTreeMap::new();
        for (set, (policy_file, policy_dir)) in corpus.case_sets.iter().zip(&layouts) {
            let enforcer = Enforcer::load(
                &set.defaults,
                policy_file.as_deref(),
                std::slice::from_ref(policy_dir),
            )
            .unwrap_or_else(|e| panic!("case set {} failed to load: {e}", set.id));
            for case in &set.cases {
                let decision = enforcer.enforce(&case.rule, &case.target, &case.creds);
                ours.insert(case.id, (verdict_of(&decision), decision));
            }
            enforcers.push(enforcer);
        }
        let oracle = run_oracle(dir.path(), &corpus, &layouts);
        Run {
            corpus,
            layouts,
            enforcers,
            ours,
            oracle,
            _dir: dir,
        }
    })
}

fn verdict_of(decision: &Decision) -> &'static str {
    match decision {
        Decision::Allow => "allow",
        Decision::Deny(DenyReason::MalformedCreds(_)) => "error",
        Decision::Deny(_) => "deny",
    }
}

fn write_policy_files(root: &Path, set: &CaseSet) -> (Option<PathBuf>, PathBuf) {
    let set_dir = root.join(format!("set-{}", set.id));
    let policy_dir = set_dir.join("policy.d");
    fs::create_dir_all(&set_dir).expect("failed to create a case set directory");
    let policy_file = set.policy_file.as_ref().map(|text| {
        let path = set_dir.join("policy.yaml");
        fs::write(&path, text).expect("failed to write a policy file");
        path
    });
    for (name, text) in &set.policy_dir_files {
        let path = policy_dir.join(name);
        let parent = path
            .parent()
            .expect("a policy.d file has a parent directory");
        fs::create_dir_all(parent).expect("failed to create a policy directory");
        fs::write(&path, text).expect("failed to write a policy.d file");
    }
    (policy_file, policy_dir)
}

fn oracle_input(corpus: &Corpus, layouts: &[(Option<PathBuf>, PathBuf)]) -> Value {
    let case_sets: Vec<Value> = corpus
        .case_sets
        .iter()
        .zip(layouts)
        .map(|(set, (policy_file, policy_dir))| {
            let defaults: Vec<Value> = set
                .defaults
                .iter()
                .map(|d| {
                    json!({
                        "name": d.name,
                        "check_str": d.check_str,
                        "description": d.description,
                        "operations": d.operations,
                        "scope_types": d.scope_types,
                    })
                })
                .collect();
            let cases: Vec<Value> = set
                .cases
                .iter()
                .map(|c| json!({"id": c.id, "rule": c.rule, "creds": c.creds, "target": c.target}))
                .collect();
            json!({
                "id": set.id,
                "defaults": defaults,
                "policy_file": policy_file,
                "policy_dirs": [policy_dir],
                "cases": cases,
            })
        })
        .collect();
    json!({"case_sets": case_sets, "malformed": corpus.malformed})
}

fn run_oracle(
    dir: &Path,
    corpus: &Corpus,
    layouts: &[(Option<PathBuf>, PathBuf)],
) -> Result<Value, String> {
    let Some(python) = std::env::var_os("AWS_HYBRID_PYTHON") else {
        return Err(
            "AWS_HYBRID_PYTHON is not set. Run this test through tools/test.sh, or set \
                    AWS_HYBRID_PYTHON to a Python interpreter that has oslo.policy installed \
                    (for example the bin/python of the venv that tools/setup-venv.sh prints)"
                .to_string(),
        );
    };
    let cases_path = dir.join("cases.json");
    let input =
        serde_json::to_vec(&oracle_input(corpus, layouts)).expect("the oracle input serializes");
    fs::write(&cases_path, input).map_err(|e| format!("failed to write the cases: {e}"))?;
    let output = Command::new(&python)
        .arg(ORACLE)
        .arg(&cases_path)
        .output()
        .map_err(|e| format!("failed to run {} {ORACLE}: {e}", python.to_string_lossy()))?;
    if !output.status.success() {
        return Err(format!(
            "{} {ORACLE} failed with {}:\n{}",
            python.to_string_lossy(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("the oracle printed invalid JSON: {e}"))
}

fn oracle() -> &'static Value {
    match &run().oracle {
        Ok(value) => value,
        Err(message) => panic!("{message}"),
    }
}

/// Describes a case set in full: its defaults, its files and our parsed trees.
fn describe_set(run: &Run, index: usize) -> String {
    let set = &run.corpus.case_sets[index];
    let mut text = format!("case set {}\n  defaults:\n", set.id);
    for d in &set.defaults {
        text.push_str(&format!(
            "    {:?}: {:?} scope_types={:?}\n",
            d.name, d.check_str, d.scope_types
        ));
    }
    let (policy_file, policy_dir) = &run.layouts[index];
    if let Some(path) = policy_file {
        text.push_str(&format!(
            "  {}:\n{}",
            path.display(),
            indent(set.policy_file.as_deref().unwrap_or_default())
        ));
    }
    for (name, content) in &set.policy_dir_files {
        text.push_str(&format!(
            "  {}:\n{}",
            policy_dir.join(name).display(),
            indent(content)
        ));
    }
    text.push_str("  our parsed rules:\n");
    for rule in run.enforcers[index].effective_rules() {
        let tree = run.enforcers[index]
            .rule_check(&rule.name)
            .map(|check| check.to_string())
            .unwrap_or_default();
        text.push_str(&format!("    {:?}: {tree}\n", rule.name));
    }
    text.push_str(&format!(
        "  oslo.policy's parsed rules: {}\n",
        oracle()["rules"][set.id.to_string()]
    ));
    text
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}\n")).collect()
}

#[test]
fn verdicts_match_oslo_policy() {
    let run = run();
    let verdicts = &oracle()["verdicts"];
    let mut disagreements = Vec::new();
    for (index, set) in run.corpus.case_sets.iter().enumerate() {
        for case in &set.cases {
            let theirs = &verdicts[case.id.to_string()];
            let (our_verdict, decision) = &run.ours[&case.id];
            if theirs["verdict"] != *our_verdict {
                disagreements.push(format!(
                    "case {}: rule {:?}\n  creds: {}\n  target: {}\n  ours: {our_verdict} \
                     ({decision:?})\n  oslo.policy: {theirs}\n{}",
                    case.id,
                    case.rule,
                    case.creds,
                    case.target,
                    describe_set(run, index)
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree with oslo.policy; the first {}:\n\n{}",
        disagreements.len(),
        run.corpus.case_count(),
        SHOWN_DISAGREEMENTS.min(disagreements.len()),
        disagreements[..SHOWN_DISAGREEMENTS.min(disagreements.len())].join("\n")
    );
}

#[test]
fn parsed_rules_match_oslo_policy() {
    let run = run();
    let mut mismatches = Vec::new();
    for (index, set) in run.corpus.case_sets.iter().enumerate() {
        let theirs = oracle()["rules"][set.id.to_string()]
            .as_object()
            .expect("the oracle lists the rules of every case set");
        let ours: BTreeMap<String, String> = run.enforcers[index]
            .effective_rules()
            .into_iter()
            .map(|rule| {
                let tree = run.enforcers[index]
                    .rule_check(&rule.name)
                    .map(|check| check.to_string())
                    .unwrap_or_default();
                (rule.name, tree)
            })
            .collect();
        let their_names: BTreeSet<&String> = theirs.keys().collect();
        let our_names: BTreeSet<&String> = ours.keys().collect();
        if their_names != our_names {
            mismatches.push(format!(
                "case set {}: rule names differ: ours {our_names:?}, oslo.policy's \
                 {their_names:?}",
                set.id
            ));
            continue;
        }
        for (name, tree) in &ours {
            if theirs[name] != *tree {
                mismatches.push(format!(
                    "case set {} rule {name:?}: ours {tree}, oslo.policy's {}",
                    set.id, theirs[name]
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} parsed rules differ from oslo.policy's; the first {}:\n{}",
        mismatches.len(),
        SHOWN_DISAGREEMENTS.min(mismatches.len()),
        mismatches[..SHOWN_DISAGREEMENTS.min(mismatches.len())].join("\n")
    );
}

#[test]
fn samples_match_oslo_policy() {
    let run = run();
    let mut mismatches = Vec::new();
    for set in &run.corpus.case_sets {
        let ours = sample_yaml(&set.defaults);
        let theirs = oracle()["samples"][set.id.to_string()]
            .as_str()
            .expect("the oracle formats the sample of every case set");
        if ours != theirs {
            mismatches.push(format!(
                "case set {}:\n--- ours\n{ours}--- oslo.policy's\n{theirs}---",
                set.id
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} samples differ from oslopolicy-sample-generator's; the first {}:\n{}",
        mismatches.len(),
        SHOWN_DISAGREEMENTS.min(mismatches.len()),
        mismatches[..SHOWN_DISAGREEMENTS.min(mismatches.len())].join("\n")
    );
}

#[test]
fn malformed_rules_deny_in_oslo_and_fail_here() {
    let run = run();
    let theirs = oracle()["malformed"]
        .as_array()
        .expect("the oracle parses every malformed check string");
    assert_eq!(theirs.len(), run.corpus.malformed.len());
    for (text, parsed) in run.corpus.malformed.iter().zip(theirs) {
        assert_eq!(parsed, "!", "oslo.policy does not deny all of {text:?}");
        assert!(parse_check_str(text).is_err(), "{text:?} parsed here");
    }
}

#[test]
fn corpus_has_enough_cases() {
    let count = run().corpus.case_count();
    assert!(
        count >= MIN_CASES,
        "{count} cases, expected at least {MIN_CASES}"
    );
}

#[test]
fn corpus_verdicts_are_balanced() {
    let run = run();
    let total = run.ours.len() as f64;
    let allowed = run.ours.values().filter(|(v, _)| *v == "allow").count() as f64;
    let allow_share = allowed / total;
    // Printed for `cargo test -- --nocapture`.
    println!(
        "{} cases: {:.1}% allow, {:.1}% deny",
        run.ours.len(),
        allow_share * 100.0,
        (1.0 - allow_share) * 100.0
    );
    println!("feature counts: {:?}", feature_counts(run));
    assert!(
        allow_share >= MIN_VERDICT_SHARE,
        "only {:.1}% of the verdicts allow",
        allow_share * 100.0
    );
    assert!(
        1.0 - allow_share >= MIN_VERDICT_SHARE,
        "only {:.1}% of the verdicts deny",
        (1.0 - allow_share) * 100.0
    );
}

/// Counts the features of the corpus that the differential test must exercise.
fn feature_counts(run: &Run) -> BTreeMap<&'static str, usize> {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut add = |feature: &'static str| *counts.entry(feature).or_default() += 1;
    for (index, set) in run.corpus.case_sets.iter().enumerate() {
        let enforcer = &run.enforcers[index];
        let rules = enforcer.effective_rules();
        let defined: BTreeSet<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        for rule in &rules {
            if rule.overridden {
                add("default overridden by a file");
            }
            if rule.check_str.is_empty() {
                add("empty check string");
            }
            if has_grouping_parenthesis(&rule.check_str) {
                add("parentheses");
            }
            let check = enforcer
                .rule_check(&rule.name)
                .expect("an effective rule has a check");
            if depth(check) >= 4 {
                add("nesting of depth 4");
            }
            check.walk(&mut |c| match c {
                Check::Allow => add("@"),
                Check::Deny => add("!"),
                Check::Not(_) => add("not"),
                Check::And(_) => add("and"),
                Check::Or(_) => add("or"),
                Check::Role(name) => {
                    add("role");
                    let source = name.source();
                    if source.chars().any(|c| c.is_uppercase()) {
                        add("role in mixed case");
                    }
                    if name.keys().next().is_some() {
                        add("role from the target");
                    }
                }
                Check::Rule(name) if defined.contains(name.as_str()) => add("rule: defined"),
                Check::Rule(_) => add("rule: undefined"),
                Check::Generic { left, right } => {
                    if right.keys().next().is_some() {
                        add("%(key)s placeholder");
                    }
                    if right.keys().any(|k| k.contains('.')) {
                        add("%(key)s with a dotted key");
                    }
                    match left {
                        Left::CredsPath(path) if path.len() > 1 => add("nested creds path"),
                        Left::CredsPath(_) => add("creds attribute"),
                        Left::Literal { source, .. } if source.starts_with(['\'', '"']) => {
                            add("quoted literal")
                        }
                        Left::Literal { source, .. } if source == "True" || source == "False" => {
                            add("True or False literal")
                        }
                        Left::Literal { source, .. } if source == "None" => add("None literal"),
                        Left::Literal { .. } => add("number literal"),
                    }
                }
                Check::Remote { .. } => add("remote"),
            });
        }
        if set.defaults.iter().any(|d| !d.scope_types.is_empty()) {
            add("scope_types");
        }
        if set
            .policy_dir_files
            .iter()
            .any(|(name, _)| !name.starts_with('.'))
        {
            add("policy directory");
        }
        for case in &set.cases {
            case_features(case, enforcer, &defined, &run.ours[&case.id].1, &mut add);
        }
    }
    counts
}

fn case_features(
    case: &Case,
    enforcer: &Enforcer,
    defined: &BTreeSet<&str>,
    decision: &Decision,
    add: &mut impl FnMut(&'static str),
) {
    match decision {
        Decision::Allow => add("allow"),
        Decision::Deny(DenyReason::ScopeMismatch { .. }) => add("denied by scope"),
        Decision::Deny(DenyReason::MalformedCreds(_)) => add("malformed creds"),
        Decision::Deny(DenyReason::RuleNotFound) => add("rule not found"),
        Decision::Deny(DenyReason::CheckFailed) => add("check failed"),
    }
    if !defined.contains(case.rule.as_str()) && defined.contains(DEFAULT_RULE) {
        add("unregistered rule evaluated as default");
    }
    let target = case.target.as_object().expect("a target is an object");
    let creds = case.creds.as_object().expect("creds are an object");
    let Some(check) = enforcer.rule_check(&case.rule) else {
        return;
    };
    check.walk(&mut |c| {
        if let Check::Generic { left, right } = c {
            if right.keys().any(|key| !target.contains_key(key)) {
                add("missing target key");
            }
            if let Left::CredsPath(path) = left
                && creds.get(&path[0]).is_some_and(Value::is_array)
            {
                add("list in the creds");
            }
        }
    });
}

/// Returns whether a check string has a `(` that groups, rather than one of `%(key)s`.
fn has_grouping_parenthesis(check_str: &str) -> bool {
    check_str
        .char_indices()
        .any(|(i, c)| c == '(' && !check_str[..i].ends_with('%'))
}

fn depth(check: &Check) -> usize {
    match check {
        Check::Not(inner) => 1 + depth(inner),
        Check::And(checks) | Check::Or(checks) => 1 + checks.iter().map(depth).max().unwrap_or(0),
        _ => 1,
    }
}

#[test]
fn corpus_covers_every_check_kind() {
    let counts = feature_counts(run());
    let required = [
        "@",
        "!",
        "empty check string",
        "not",
        "and",
        "or",
        "parentheses",
        "nesting of depth 4",
        "role",
        "role in mixed case",
        "role from the target",
        "rule: defined",
        "rule: undefined",
        "%(key)s placeholder",
        "%(key)s with a dotted key",
        "missing target key",
        "creds attribute",
        "nested creds path",
        "list in the creds",
        "quoted literal",
        "True or False literal",
        "None literal",
        "number literal",
        "scope_types",
        "denied by scope",
        "unregistered rule evaluated as default",
        "rule not found",
        "malformed creds",
        "default overridden by a file",
        "policy directory",
        "allow",
        "check failed",
    ];
    let missing: Vec<String> = required
        .iter()
        .filter(|feature| counts.get(*feature).copied().unwrap_or(0) < 10)
        .map(|feature| format!("{feature} ({})", counts.get(feature).copied().unwrap_or(0)))
        .collect();
    assert!(
        missing.is_empty(),
        "features with fewer than 10 occurrences: {missing:?}; all counts: {counts:?}"
    );
    assert!(
        !counts.contains_key("remote"),
        "the corpus contains remote checks"
    );
}
