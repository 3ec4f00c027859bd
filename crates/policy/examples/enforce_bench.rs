//! Times `Enforcer::enforce` on the rules that aws-hybrid registers, for the policy evaluation
//! benchmark in tools/bench/policy_eval.py (docs/benchmarks.md describes it).
//!
//! Usage:
//!
//! ```text
//! enforce_bench cases
//! enforce_bench measure [--iterations N] [--repetitions R]
//! ```
//!
//! `cases` prints the rules and the benchmark cases (rule, target, creds, expected verdict) as
//! one JSON object, so that the oslo.policy side evaluates exactly the same input. `measure`
//! times each case in R batches of N calls after one warm-up batch, and prints one JSON object
//! with the verdicts and the nanoseconds per call of every batch.
//!
//! Build it with `cargo build --release -p aws-hybrid-policy --examples`.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use aws_hybrid_policy::{Decision, Enforcer, RuleDefault};
use serde_json::{Value, json};

// The service's registered defaults, compiled in from the service's source so that the
// benchmark always measures the rules the service registers.
// NOTE: this works while defaults.rs uses nothing from the service crate outside its tests.
#[path = "../../../src/policy/defaults.rs"]
mod defaults;

/// A rule only the benchmark adds. Its check reaches the role and project checks through three
/// `rule:` references: `aws-hybrid:instance:list`, `project_reader_or_admin` and
/// `project_reader_api`.
const THREE_LEVELS_RULE: &str = "bench:three-levels";

const DEFAULT_ITERATIONS: u32 = 100_000;
const DEFAULT_REPETITIONS: u32 = 7;

/// Keystone-style IDs (32 hex digits), so that comparisons work on strings of realistic length.
const PROJECT_ID: &str = "3f2a7c1d9e8b4a6f8c0d2e4f6a8b0c1d";
const USER_ID: &str = "b7e4d2c1a0f94e8d9c7b6a5f4e3d2c1b";

/// The identity fields that token validation returns, as the service's request context stores them.
struct Identity {
    user_id: String,
    user_domain_id: String,
    project_id: String,
    project_domain_id: String,
    domain_id: Option<String>,
    system_scope: bool,
    roles: Vec<String>,
}

/// One benchmark case: a rule and the caller, with the verdict oslo.policy gives.
struct Case {
    name: &'static str,
    rule: &'static str,
    identity: Identity,
    expected_allowed: bool,
}

/// Builds the creds the way `credentials` in the service's src/policy/mod.rs does.
fn credentials(identity: &Identity) -> Value {
    json!({
        "user_id": identity.user_id,
        "user_domain_id": identity.user_domain_id,
        "project_id": identity.project_id,
        "project_domain_id": identity.project_domain_id,
        "domain_id": identity.domain_id,
        "system_scope": if identity.system_scope { Value::from("all") } else { Value::Null },
        "roles": identity.roles,
    })
}

/// Builds the target of a request to the caller's own project, as `Policy::enforce` does.
fn target(identity: &Identity) -> Value {
    json!({ "project_id": identity.project_id, "user_id": identity.user_id })
}

fn reader() -> Identity {
    Identity {
        user_id: USER_ID.to_owned(),
        user_domain_id: "default".to_owned(),
        project_id: PROJECT_ID.to_owned(),
        project_domain_id: "default".to_owned(),
        domain_id: None,
        system_scope: false,
        roles: vec!["reader".to_owned()],
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "reader lists instances (allowed)",
            rule: "aws-hybrid:instance:list",
            identity: reader(),
            expected_allowed: true,
        },
        Case {
            // Both branches of project_member_or_admin fail, so every check of the rule runs.
            name: "reader launches instances (denied)",
            rule: "aws-hybrid:instance:create",
            identity: reader(),
            expected_allowed: false,
        },
        Case {
            name: "three levels of rule: references (allowed)",
            rule: THREE_LEVELS_RULE,
            identity: reader(),
            expected_allowed: true,
        },
    ]
}

/// Converts the service's defaults as `rule_defaults` in src/policy/mod.rs does.
fn service_rules() -> Vec<RuleDefault> {
    defaults::RULES
        .iter()
        .map(|rule| RuleDefault {
            name: rule.name.to_owned(),
            check_str: rule.check.to_owned(),
            description: rule.description.to_owned(),
            operations: rule
                .operations
                .iter()
                .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
                .collect(),
            scope_types: if rule.operations.is_empty() {
                Vec::new()
            } else {
                vec!["project".to_owned()]
            },
        })
        .collect()
}

fn bench_rules() -> Vec<RuleDefault> {
    vec![RuleDefault {
        name: THREE_LEVELS_RULE.to_owned(),
        check_str: "rule:aws-hybrid:instance:list".to_owned(),
        description: "Benchmark rule with three levels of rule: references.".to_owned(),
        operations: Vec::new(),
        scope_types: vec!["project".to_owned()],
    }]
}

fn rule_json(rule: &RuleDefault) -> Value {
    json!({
        "name": rule.name,
        "check_str": rule.check_str,
        "description": rule.description,
        "operations": rule.operations,
        "scope_types": rule.scope_types,
    })
}

fn print_cases() {
    let cases: Vec<Value> = cases()
        .iter()
        .map(|case| {
            json!({
                "name": case.name,
                "rule": case.rule,
                "target": target(&case.identity),
                "creds": credentials(&case.identity),
                "expected": if case.expected_allowed { "allow" } else { "deny" },
            })
        })
        .collect();
    let document = json!({
        "service_rules": service_rules().iter().map(rule_json).collect::<Vec<_>>(),
        "bench_rules": bench_rules().iter().map(rule_json).collect::<Vec<_>>(),
        "cases": cases,
    });
    println!("{document}");
}

/// Returns the nanoseconds per call of one batch of `iterations` calls to `enforce` with
/// prebuilt target and creds.
fn time_enforce(enforcer: &Enforcer, case: &Case, iterations: u32) -> f64 {
    let target = target(&case.identity);
    let creds = credentials(&case.identity);
    let started = Instant::now();
    for _ in 0..iterations {
        let decision =
            enforcer.enforce(black_box(case.rule), black_box(&target), black_box(&creds));
        black_box(decision);
    }
    started.elapsed().as_nanos() as f64 / f64::from(iterations)
}

/// Like [`time_enforce`], but builds the target and creds in every call, as the service does
/// for each request.
fn time_enforce_with_values(enforcer: &Enforcer, case: &Case, iterations: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..iterations {
        let identity = black_box(&case.identity);
        let decision = enforcer.enforce(
            black_box(case.rule),
            &target(identity),
            &credentials(identity),
        );
        black_box(decision);
    }
    started.elapsed().as_nanos() as f64 / f64::from(iterations)
}

fn measure(iterations: u32, repetitions: u32) -> Result<(), String> {
    let mut rules = service_rules();
    rules.extend(bench_rules());
    let enforcer = Enforcer::new(&rules, &[]).map_err(|e| format!("invalid rules: {e}"))?;

    let cases = cases();
    let mut verdicts = Vec::new();
    for case in &cases {
        let decision = enforcer.enforce(
            case.rule,
            &target(&case.identity),
            &credentials(&case.identity),
        );
        if decision.is_allowed() != case.expected_allowed {
            let expected = if case.expected_allowed {
                "Allow"
            } else {
                "Deny"
            };
            return Err(format!(
                "case {:?}: rule {} returned {decision:?}, expected {expected}",
                case.name, case.rule
            ));
        }
        verdicts.push(matches!(decision, Decision::Allow));
        // Warm-up: caches, branch predictors and CPU frequency settle before the timed batches.
        time_enforce(&enforcer, case, iterations / 10 + 1);
        time_enforce_with_values(&enforcer, case, iterations / 10 + 1);
    }

    // The cases take turns batch by batch, so that a change in machine load affects them all.
    let mut prebuilt = vec![Vec::new(); cases.len()];
    let mut with_values = vec![Vec::new(); cases.len()];
    for _ in 0..repetitions {
        for (index, case) in cases.iter().enumerate() {
            prebuilt[index].push(time_enforce(&enforcer, case, iterations));
            with_values[index].push(time_enforce_with_values(&enforcer, case, iterations));
        }
    }

    let results: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(index, case)| {
            json!({
                "name": case.name,
                "rule": case.rule,
                "allowed": verdicts[index],
                "ns_per_call": prebuilt[index],
                "ns_per_call_building_values": with_values[index],
            })
        })
        .collect();
    let document = json!({
        "iterations": iterations,
        "repetitions": repetitions,
        "cases": results,
    });
    println!("{document}");
    Ok(())
}

fn parse_count(flag: &str, value: Option<String>) -> Result<u32, String> {
    let text = value.ok_or_else(|| format!("{flag} needs a value"))?;
    match text.parse::<u32>() {
        Ok(count) if count > 0 => Ok(count),
        _ => Err(format!(
            "invalid {flag} {text:?}: expected a whole number above 0"
        )),
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let usage =
        "usage: enforce_bench cases | enforce_bench measure [--iterations N] [--repetitions R]";
    match args.first().map(String::as_str) {
        Some("cases") if args.len() == 1 => {
            print_cases();
            Ok(())
        }
        Some("measure") => {
            let mut iterations = DEFAULT_ITERATIONS;
            let mut repetitions = DEFAULT_REPETITIONS;
            let mut rest = args[1..].iter().cloned();
            while let Some(flag) = rest.next() {
                match flag.as_str() {
                    "--iterations" => iterations = parse_count(&flag, rest.next())?,
                    "--repetitions" => repetitions = parse_count(&flag, rest.next())?,
                    _ => return Err(format!("unknown option {flag:?}\n{usage}")),
                }
            }
            measure(iterations, repetitions)
        }
        _ => Err(usage.to_owned()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("enforce_bench: {message}");
            ExitCode::FAILURE
        }
    }
}
