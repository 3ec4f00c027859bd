//! Operator tasks for aws-hybrid: sample files and offline checks.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use std::sync::Arc;

use aws_hybrid::cloud::{self, Scope};
use aws_hybrid::config::{self, Config, default_config_files};
use aws_hybrid::oidc::Signer;
use aws_hybrid::policy::Policy;
use aws_hybrid::tenancy::{self, TenantMap};
use aws_hybrid::upgrade_check;

/// Manage an aws-hybrid deployment.
#[derive(Debug, Parser)]
#[command(name = "aws-hybrid-manage", version)]
struct Args {
    /// Configuration file in oslo.config INI format; repeatable. Default:
    /// /etc/aws-hybrid/aws-hybrid.conf.
    #[arg(long = "config-file", value_name = "PATH", global = true)]
    config_files: Vec<PathBuf>,
    /// Directory whose *.conf files are read after the --config-file files.
    #[arg(long = "config-dir", value_name = "DIR", global = true)]
    config_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The service configuration file.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The tenant mapping file (Keystone project → AWS account).
    Mappings {
        #[command(subcommand)]
        command: MappingsCommand,
    },
    /// Authorization rules (policy.yaml).
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Deployment status.
    Status {
        #[command(subcommand)]
        command: StatusCommand,
    },
}

#[derive(Debug, Subcommand)]
enum StatusCommand {
    /// Check that this deployment can run this release: configuration, tenant mapping file and
    /// Keystone. Exits 0 when every check succeeds, 1 when one has a warning, 2 when one fails.
    #[command(name = "upgrade")]
    Upgrade {
        #[command(subcommand)]
        command: UpgradeCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UpgradeCommand {
    /// Run the upgrade checks.
    Check,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print a sample aws-hybrid.conf with every option, its help and its default.
    Sample,
    /// Load the configuration and report every error in it.
    Check,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Print a sample policy.yaml with every rule commented out at its default, like
    /// oslopolicy-sample-generator.
    Sample,
    /// Load the policy files of [oslo_policy] and list the rules that differ from the defaults.
    Check,
}

#[derive(Debug, Subcommand)]
enum MappingsCommand {
    /// Print a documented sample tenant mapping file.
    Sample,
    /// Validate the mapping file named by [tenancy] mapping_file. With --online, also ask
    /// AWS STS (GetCallerIdentity) whose credentials each project gets, assuming roles where
    /// the mapping names them; exits 1 if any project fails.
    Check {
        /// Contact AWS for each project, not only read the file.
        #[arg(long)]
        online: bool,
    },
}

fn load_config(args: &Args) -> Result<Config, String> {
    let files = if args.config_files.is_empty() {
        default_config_files()
    } else {
        args.config_files.clone()
    };
    Config::load(&files, args.config_dir.as_deref(), std::env::vars())
        .map_err(|e| format!("invalid configuration:\n{e}"))
}

fn run(args: &Args) -> Result<(), String> {
    match &args.command {
        Command::Config {
            command: ConfigCommand::Sample,
        } => print!("{}", config::sample::render_sample()),
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            load_config(args)?;
            println!("configuration is valid");
        }
        Command::Mappings {
            command: MappingsCommand::Sample,
        } => print!("{}", tenancy::render_sample()),
        Command::Status { .. } => unreachable!("handled in main"),
        Command::Policy {
            command: PolicyCommand::Sample,
        } => print!("{}", aws_hybrid::policy::sample()),
        Command::Policy {
            command: PolicyCommand::Check,
        } => {
            let config = load_config(args)?;
            let policy = Policy::load(&config.oslo_policy).map_err(|e| e.to_string())?;
            for warning in policy.enforcer().warnings() {
                println!("warning: {warning}");
            }
            let changed: Vec<_> = policy
                .enforcer()
                .effective_rules()
                .into_iter()
                .filter(|rule| rule.overridden || !rule.registered)
                .collect();
            for rule in &changed {
                println!("{}: {:?} ({})", rule.name, rule.check_str, rule.origin);
            }
            println!(
                "policy is valid; {} rule(s) differ from the defaults",
                changed.len()
            );
        }
        Command::Mappings {
            command: MappingsCommand::Check { online },
        } => {
            let config = load_config(args)?;
            let path = &config.tenancy.mapping_file;
            let map = TenantMap::load(path, &config.aws.region).map_err(|e| e.to_string())?;
            if *online {
                return check_online(&config, &map);
            }
            println!("{:<34} {:<16} allowed regions", "project", "region");
            for id in map.project_ids() {
                let entry = map.get(id).expect("listed project ids have entries");
                println!(
                    "{:<34} {:<16} {}",
                    id,
                    entry.region,
                    entry.allowed_regions.join(",")
                );
            }
            println!("{}: {} project(s), valid", path.display(), map.len());
        }
    }
    Ok(())
}

/// Asks STS who each project's credentials belong to and prints one row per project.
fn check_online(config: &Config, map: &TenantMap) -> Result<(), String> {
    let signer = Signer::from_config(&config.oidc)
        .map_err(|e| e.to_string())?
        .map(Arc::new);
    let driver = cloud::load_driver(config, signer).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let request_id = format!("req-{}", uuid::Uuid::new_v4());
    println!(
        "{:<34} {:<14} {:<16} result",
        "project", "account", "region"
    );
    let mut failed = 0;
    for id in map.project_ids() {
        let tenant = map.get(id).expect("listed project ids have entries");
        let scope = Scope {
            project_id: id,
            user_id: "aws-hybrid-manage",
            request_id: &request_id,
            tenant,
            region: &tenant.region,
        };
        let (account, result) = match runtime.block_on(driver.caller_identity(scope)) {
            Ok((account, arn)) => (account, format!("ok ({arn})")),
            Err(error) => {
                failed += 1;
                ("-".to_owned(), format!("error: {error}"))
            }
        };
        println!("{id:<34} {account:<14} {:<16} {result}", tenant.region);
    }
    if failed > 0 {
        return Err(format!("{failed} of {} project(s) failed", map.len()));
    }
    println!("{} project(s) reached AWS", map.len());
    Ok(())
}

fn main() -> ExitCode {
    // SAFETY: no other thread exists yet. The AWS SDK is never given a default credential
    // chain, and this makes sure no part of it probes the EC2 instance metadata address.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    let args = Args::parse();
    if let Command::Status { .. } = args.command {
        let files = if args.config_files.is_empty() {
            default_config_files()
        } else {
            args.config_files.clone()
        };
        let report = upgrade_check::run(&files, args.config_dir.as_deref());
        print!("{}", report.render());
        return ExitCode::from(report.exit_code());
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("aws-hybrid-manage: {message}");
            ExitCode::FAILURE
        }
    }
}
