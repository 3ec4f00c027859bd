//! `aws-hybrid-manage status upgrade check`: the checks an operator runs before and after an
//! upgrade, with the exit codes of OpenStack's upgrade checks (0 success, 1 warning, 2 failure).

use std::path::{Path, PathBuf};

use crate::auth::KeystoneClient;
use crate::config::Config;
use crate::policy::Policy;
use crate::tenancy::{self, TenantMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Success,
    Warning,
    Failure,
}

pub struct CheckResult {
    pub name: &'static str,
    pub outcome: Outcome,
    pub details: Option<String>,
}

pub struct Report {
    pub results: Vec<CheckResult>,
}

impl Report {
    /// Return 0 when every check succeeded, 1 when the worst result is a warning, 2 for a failure.
    pub fn exit_code(&self) -> u8 {
        match self.results.iter().map(|r| r.outcome).max() {
            Some(Outcome::Failure) => 2,
            Some(Outcome::Warning) => 1,
            _ => 0,
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::from("Upgrade Check Results\n");
        for result in &self.results {
            let outcome = match result.outcome {
                Outcome::Success => "Success",
                Outcome::Warning => "Warning",
                Outcome::Failure => "Failure",
            };
            out.push_str(&format!(
                "\nCheck: {}\nResult: {outcome}\nDetails: {}\n",
                result.name,
                result.details.as_deref().unwrap_or("None")
            ));
        }
        out
    }
}

fn result(name: &'static str, outcome: Outcome, details: Option<String>) -> CheckResult {
    CheckResult {
        name,
        outcome,
        details,
    }
}

/// Run every check. A configuration that cannot be loaded makes the later checks fail too,
/// since they depend on it.
pub fn run(config_files: &[PathBuf], config_dir: Option<&Path>) -> Report {
    let config = match Config::load(config_files, config_dir, std::env::vars()) {
        Ok(config) => config,
        Err(error) => {
            return Report {
                results: vec![
                    result("Configuration", Outcome::Failure, Some(error.to_string())),
                    result(
                        "Tenant mapping file",
                        Outcome::Failure,
                        Some("not checked: the configuration is invalid".into()),
                    ),
                    result(
                        "Policy files",
                        Outcome::Failure,
                        Some("not checked: the configuration is invalid".into()),
                    ),
                    result(
                        "Keystone",
                        Outcome::Failure,
                        Some("not checked: the configuration is invalid".into()),
                    ),
                ],
            };
        }
    };
    let results = vec![
        result("Configuration", Outcome::Success, None),
        check_mapping(&config),
        check_policy(&config),
        check_keystone(&config),
    ];
    Report { results }
}

fn check_mapping(config: &Config) -> CheckResult {
    let path = &config.tenancy.mapping_file;
    match TenantMap::load(path, &config.aws.region) {
        Err(error) => result(
            "Tenant mapping file",
            Outcome::Failure,
            Some(error.to_string()),
        ),
        Ok(map) => match tenancy::permission_warning(path) {
            Some(warning) => result("Tenant mapping file", Outcome::Warning, Some(warning)),
            None => result(
                "Tenant mapping file",
                Outcome::Success,
                Some(format!("{}: {} project(s)", path.display(), map.len())),
            ),
        },
    }
}

/// Loads the policy files. Undefined `rule:` references are warnings, since oslo.policy
/// evaluates them as the `default` rule, which is rarely what the author meant.
fn check_policy(config: &Config) -> CheckResult {
    let name = "Policy files";
    match Policy::load(&config.oslo_policy) {
        Err(error) => result(name, Outcome::Failure, Some(error.to_string())),
        Ok(policy) => {
            let warnings = policy.enforcer().warnings();
            if !warnings.is_empty() {
                let lines: Vec<String> = warnings.iter().map(ToString::to_string).collect();
                return result(name, Outcome::Warning, Some(lines.join("; ")));
            }
            let overridden = policy
                .enforcer()
                .effective_rules()
                .into_iter()
                .filter(|rule| rule.overridden || !rule.registered)
                .count();
            result(
                name,
                Outcome::Success,
                Some(format!("{overridden} rule(s) differ from the defaults")),
            )
        }
    }
}

fn check_keystone(config: &Config) -> CheckResult {
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|runtime| {
            let client = KeystoneClient::new(config.keystone_authtoken.clone())
                .map_err(|e| e.to_string())?;
            runtime.block_on(client.check()).map_err(|e| e.to_string())
        });
    match outcome {
        Ok(()) => result(
            "Keystone",
            Outcome::Success,
            Some(format!(
                "the service user authenticated at {}",
                config.keystone_authtoken.auth_url
            )),
        ),
        Err(error) => result("Keystone", Outcome::Failure, Some(error)),
    }
}
