use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::*;

mod layering;
mod messages;

const KEYSTONE: &str = "[keystone_authtoken]
www_authenticate_uri = http://controller/identity
auth_url = http://controller/identity
username = aws-hybrid
password = s3cr3t-pw
project_name = service
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path
}

fn no_env() -> Vec<(String, String)> {
    Vec::new()
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// Loads `texts` as consecutive config files.
fn load_texts(
    texts: &[&str],
    env: Vec<(String, String)>,
) -> (TempDir, Result<Config, ConfigError>) {
    let dir = TempDir::new().unwrap();
    let files: Vec<PathBuf> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| write(dir.path(), &format!("f{i}.conf"), text))
        .collect();
    let result = Config::load(&files, None, env);
    (dir, result)
}

fn load_ok(texts: &[&str], env: Vec<(String, String)>) -> Config {
    match load_texts(texts, env) {
        (_, Ok(config)) => config,
        (_, Err(error)) => panic!("unexpected errors:\n{error}"),
    }
}

/// Loads `texts` and returns the error lines with the temporary directory replaced by `DIR`.
fn load_err(texts: &[&str], env: Vec<(String, String)>) -> Vec<String> {
    match load_texts(texts, env) {
        (_, Ok(config)) => panic!("expected errors, got {config:?}"),
        (dir, Err(error)) => {
            let prefix = dir.path().display().to_string();
            error
                .to_string()
                .lines()
                .map(|line| line.replace(&prefix, "DIR"))
                .collect()
        }
    }
}
