//! Log set-up from `[DEFAULT] debug`, `log_file` and `use_json`. Every line written while a
//! request is served carries its request id, and its project and user ids once known.

use std::fs::OpenOptions;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::config::DefaultOpts;

/// Install the global subscriber. Client libraries log at `warn` and up only: their debug
/// output can include request headers.
pub fn init(opts: &DefaultOpts) -> std::io::Result<()> {
    let level = if opts.debug { "debug" } else { "info" };
    let filter = EnvFilter::new(format!("warn,aws_hybrid={level}"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_ansi(false);
    match (&opts.log_file, opts.use_json) {
        (Some(path), json) => {
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            let builder = builder.with_writer(Mutex::new(file));
            if json {
                builder.json().init();
            } else {
                builder.init();
            }
        }
        (None, true) => builder.with_writer(std::io::stderr).json().init(),
        (None, false) => builder.with_writer(std::io::stderr).init(),
    }
    Ok(())
}
