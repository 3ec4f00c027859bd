//! Collects raw option values from configuration files, a configuration directory and
//! the environment, in oslo.config's order of precedence:
//!
//! 1. `--config-file` files in the order given,
//! 2. then the `*.conf` files of `--config-dir` in sorted order,
//! 3. then `OS_<GROUP>__<OPTION>` environment variables, which replace all file values.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use super::error::{ConfigIssue, IssueKind, Location};
use super::ini::{self, IniFile};
use super::options::OptDef;
use super::suggest;

/// One value as written, before interpolation and type checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawValue {
    pub text: String,
    pub location: Location,
}

/// Raw values of every registered option, indexed like the registry.
#[derive(Debug, Default)]
pub(crate) struct Layers {
    /// Every value of each option in precedence order, so the last one wins.
    pub values: Vec<Vec<RawValue>>,
    /// A file or directory could not be read or parsed, so values may be missing.
    pub incomplete: bool,
}

/// Reads all sources. Problems go to `issues`, and reading continues past them.
pub(crate) fn collect(
    registry: &[OptDef],
    config_files: &[PathBuf],
    config_dir: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
    issues: &mut Vec<ConfigIssue>,
) -> Layers {
    let mut layers = Layers {
        values: vec![Vec::new(); registry.len()],
        incomplete: false,
    };
    let mut paths = config_files.to_vec();
    if let Some(dir) = config_dir {
        match conf_files_in(dir) {
            Ok(found) => paths.extend(found),
            Err(error) => {
                let kind = match error.kind() {
                    io::ErrorKind::NotFound => IssueKind::DirNotFound,
                    _ => IssueKind::ReadFailed(error.to_string()),
                };
                issues.push(ConfigIssue::for_path(&dir.display().to_string(), kind));
                layers.incomplete = true;
            }
        }
    }

    for path in &paths {
        match read_ini(path) {
            Ok(file) => apply_file(registry, &file, &mut layers, issues),
            Err(file_issues) => {
                issues.extend(file_issues);
                layers.incomplete = true;
            }
        }
    }
    apply_env(registry, env, &mut layers);
    layers
}

/// Lists the `*.conf` files of `dir` sorted by path. Hidden files and directories are
/// skipped, as a `*.conf` glob skips them.
fn conf_files_in(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .is_some_and(|name| name.as_encoded_bytes().starts_with(b"."));
        let is_conf = path.extension().is_some_and(|ext| ext == "conf");
        if is_conf && !hidden && path.is_file() {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

fn read_ini(path: &Path) -> Result<IniFile, Vec<ConfigIssue>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| {
        let kind = match error.kind() {
            io::ErrorKind::NotFound => IssueKind::FileNotFound,
            _ => IssueKind::ReadFailed(error.to_string()),
        };
        vec![ConfigIssue::for_path(&name, kind)]
    })?;
    ini::parse(&text, &name).map_err(|errors| {
        errors
            .into_iter()
            .map(|error| ConfigIssue {
                location: Some(Location::file(&error.path, Some(error.line))),
                group: None,
                option: None,
                kind: IssueKind::Syntax(error.kind),
            })
            .collect()
    })
}

/// Appends the values of `file` to `layers` and reports unknown sections and options.
fn apply_file(
    registry: &[OptDef],
    file: &IniFile,
    layers: &mut Layers,
    issues: &mut Vec<ConfigIssue>,
) {
    let groups = known_groups(registry);
    for section in &file.sections {
        let group = section.group();
        let location = Location::file(&file.path, Some(section.line));
        if !groups.contains(&group.as_str()) {
            issues.push(unknown_section(location, &section.name, &groups));
            continue;
        }
        for entry in &section.entries {
            let location = Location::file(&file.path, Some(entry.line));
            let index = registry
                .iter()
                .position(|opt| opt.group == group && opt.name == entry.key);
            match index {
                Some(index) => layers.values[index].push(RawValue {
                    text: entry.value.clone(),
                    location,
                }),
                None => issues.push(unknown_option(registry, location, &group, &entry.key)),
            }
        }
    }
}

/// Replaces the file values of each option whose environment variable is set.
fn apply_env(
    registry: &[OptDef],
    env: impl IntoIterator<Item = (String, String)>,
    layers: &mut Layers,
) {
    let env: HashMap<String, String> = env
        .into_iter()
        .filter(|(name, _)| name.starts_with("OS_"))
        .collect();
    for (index, opt) in registry.iter().enumerate() {
        let var = opt.env_var();
        if let Some(text) = env.get(&var) {
            layers.values[index] = vec![RawValue {
                text: text.clone(),
                location: Location::Env { var },
            }];
        }
    }
}

/// Returns the group names of `registry` in registry order, without repeats.
fn known_groups(registry: &[OptDef]) -> Vec<&'static str> {
    let mut groups: Vec<&'static str> = Vec::new();
    for opt in registry {
        if !groups.contains(&opt.group) {
            groups.push(opt.group);
        }
    }
    groups
}

fn unknown_section(location: Location, name: &str, groups: &[&str]) -> ConfigIssue {
    ConfigIssue {
        location: Some(location),
        group: Some(name.to_string()),
        option: None,
        kind: IssueKind::UnknownSection {
            suggestion: suggest::closest(name, groups.iter().copied()).map(str::to_string),
            known: groups.iter().map(|group| group.to_string()).collect(),
        },
    }
}

fn unknown_option(registry: &[OptDef], location: Location, group: &str, key: &str) -> ConfigIssue {
    let known: Vec<&str> = registry
        .iter()
        .filter(|opt| opt.group == group)
        .map(|opt| opt.name)
        .collect();
    let kind = IssueKind::UnknownOption {
        group: group.to_string(),
        suggestion: suggest::closest(key, known.iter().copied()).map(str::to_string),
        known: known.iter().map(|name| name.to_string()).collect(),
    };
    ConfigIssue::for_option(Some(location), group, key, kind)
}
