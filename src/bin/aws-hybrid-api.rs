//! The aws-hybrid API service.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use aws_hybrid::config::{Config, default_config_files};

/// Serve the aws-hybrid REST API, authenticating every request against Keystone.
#[derive(Debug, Parser)]
#[command(name = "aws-hybrid-api", disable_version_flag = true)]
struct Args {
    /// Configuration file in oslo.config INI format; repeat to layer files (later files win).
    /// Default: /etc/aws-hybrid/aws-hybrid.conf.
    #[arg(long = "config-file", value_name = "PATH")]
    config_files: Vec<PathBuf>,
    /// Directory whose *.conf files are read, in sorted order, after the --config-file files.
    #[arg(long = "config-dir", value_name = "DIR")]
    config_dir: Option<PathBuf>,
    /// Print the versions of aws-hybrid and of the AWS SDK crates, then exit.
    #[arg(long)]
    version: bool,
}

fn main() -> ExitCode {
    let started = Instant::now();
    // SAFETY: no other thread exists yet. The AWS SDK is never given a default credential
    // chain, and this makes sure no part of it probes the EC2 instance metadata address.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    let args = Args::parse();
    if args.version {
        print!("{}", aws_hybrid::version_report());
        return ExitCode::SUCCESS;
    }
    let files = if args.config_files.is_empty() {
        default_config_files()
    } else {
        args.config_files
    };
    let config = match Config::load(&files, args.config_dir.as_deref(), std::env::vars()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("aws-hybrid-api: invalid configuration:\n{error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = aws_hybrid::logging::init(&config.default) {
        eprintln!("aws-hybrid-api: cannot open the log file ([DEFAULT] log_file): {error}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("aws-hybrid-api: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(aws_hybrid::server::run(config, started)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "aws-hybrid-api failed to start");
            eprintln!("aws-hybrid-api: {error}");
            ExitCode::FAILURE
        }
    }
}
