//! Operator tasks for aws-hybrid: sample files and offline checks.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use aws_hybrid::config::{self, Config, default_config_files};
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
enum MappingsCommand {
    /// Print a documented sample tenant mapping file.
    Sample,
    /// Validate the mapping file named by [tenancy] mapping_file, without contacting AWS.
    Check,
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
        Command::Mappings {
            command: MappingsCommand::Check,
        } => {
            let config = load_config(args)?;
            let path = &config.tenancy.mapping_file;
            let map = TenantMap::load(path, &config.aws.region).map_err(|e| e.to_string())?;
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

fn main() -> ExitCode {
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
