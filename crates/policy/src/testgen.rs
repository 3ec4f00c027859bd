//! A deterministic generator of cases for the differential test against Python oslo.policy
//! (`tests/oslo_differential.rs` and `tools/policy_oracle.py`).
//!
//! Each [`CaseSet`] is a policy (registered defaults plus YAML policy files) and a few
//! evaluations of it. The generator draws from fixed pools with its own pseudo-random number
//! generator, so a seed always gives the same corpus. It writes only check strings that this
//! crate accepts, and the rules never form a `rule:` cycle: helper rule `h<i>` refers only to
//! helpers with a larger index, and the `default` rule refers to no rule.

use serde_json::{Map, Value, json};

use crate::enforcer::{DEFAULT_RULE, RuleDefault};

/// The seed of the corpus that the differential test uses.
pub const SEED: u64 = 0x6f73_6c6f_706f_6c69;

/// Name of the rule that each case set is built around.
pub const TARGET_RULE: &str = "target";

/// A generated corpus.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// Policies with their evaluations.
    pub case_sets: Vec<CaseSet>,
    /// Check strings that this crate rejects and oslo.policy parses to a deny of the whole rule.
    pub malformed: Vec<String>,
}

impl Corpus {
    /// Returns the number of evaluations in all case sets.
    pub fn case_count(&self) -> usize {
        self.case_sets.iter().map(|set| set.cases.len()).sum()
    }
}

/// A policy and evaluations of it.
#[derive(Debug, Clone)]
pub struct CaseSet {
    /// Index of the set in the corpus.
    pub id: usize,
    /// Rules registered in code.
    pub defaults: Vec<RuleDefault>,
    /// YAML text of the policy file, if there is one.
    pub policy_file: Option<String>,
    /// Files of the policy directory, as (file name, YAML text). Names that start with `.` and
    /// names inside a subdirectory (`sub/x.yaml`) are there to check that loaders skip them.
    pub policy_dir_files: Vec<(String, String)>,
    /// The evaluations.
    pub cases: Vec<Case>,
}

/// One evaluation: a rule name with a target and creds.
#[derive(Debug, Clone)]
pub struct Case {
    /// Index of the case in the corpus.
    pub id: usize,
    /// The rule to enforce.
    pub rule: String,
    /// The creds, a JSON object.
    pub creds: Value,
    /// The target, a JSON object.
    pub target: Value,
}

/// Generates `case_set_count` case sets from `seed`, with 3 to 5 cases each.
pub fn generate(seed: u64, case_set_count: usize) -> Corpus {
    let mut rng = Rng(seed);
    let mut case_sets = Vec::with_capacity(case_set_count);
    let mut next_case_id = 0;
    for id in 0..case_set_count {
        let set = generate_case_set(&mut rng, id, &mut next_case_id);
        case_sets.push(set);
    }
    let malformed = generate_malformed(&mut rng);
    Corpus {
        case_sets,
        malformed,
    }
}

/// SplitMix64, a small generator with good statistical quality for test data.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Returns a number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Returns true with a probability of `percent` in 100.
    fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Role names as checks write them, in mixed case.
const CHECK_ROLES: &[&str] = &[
    "admin", "Admin", "ADMIN", "member", "Member", "reader", "READER", "Reader", "manager",
    "service", "foo",
];

/// Role names as creds carry them.
const CREDS_ROLES: &[&str] = &[
    "admin", "Admin", "member", "MEMBER", "reader", "Reader", "manager", "service", "other",
];

/// Generic checks with a creds path and a `%(key)s` placeholder.
const PLACEHOLDER_CHECKS: &[&str] = &[
    "project_id:%(project_id)s",
    "project_id:%(project_id)s",
    "user_id:%(user_id)s",
    "user_id:%(target.owner)s",
    "user_id:%(owner)s",
    "token.user.id:%(target.owner)s",
    "token.user.id:%(owner)s",
    "token.user.domain.id:%(domain_id)s",
    "token.project.id:%(project_id)s",
    "domain_id:%(domain_id)s",
    "groups.id:%(group)s",
    "tags:%(tag)s",
    "count:%(count)s",
    "is_admin:%(enabled)s",
    "project_id:%(missing_key)s",
    "system:%(scope)s",
    "project_id.parent:%(project_id)s",
];

/// Generic checks with a literal left side.
const LITERAL_CHECKS: &[&str] = &[
    "'shared':%(visibility)s",
    "\"public\":%(visibility)s",
    "True:%(enabled)s",
    "False:%(enabled)s",
    "None:%(parent)s",
    "1:%(count)s",
    "-1:%(count)s",
    "16:%(count)s",
    "0x10:%(count)s",
    "1_6:%(count)s",
    "1.0:%(count)s",
    "1.5:%(ratio)s",
    "1e3:%(ratio)s",
    "1e16:%(ratio)s",
    "'':%(name)s",
    "'a.b':%(name)s",
    "True:True",
    "'x':y",
];

/// Generic checks with a plain right side.
const PLAIN_CHECKS: &[&str] = &[
    "is_admin:True",
    "is_admin:False",
    "is_admin:1",
    "system:all",
    "system_scope:all",
    "domain_id:d1",
    "user_id:u1",
    "project_id:p1",
    "project_id:7",
    "tags:a",
    "tags:None",
    "roles:admin",
    "groups.id:g1",
    "ratio:1e+16",
    "ratio:1e-05",
    "ratio:1.5",
    "ratio:100.0",
];

/// Names that no case set defines.
const UNDEFINED_RULES: &[&str] = &["undefined_rule", "missing:rule"];

const OPERATIONS: &[(&str, &str)] = &[
    ("GET", "/v1/instances"),
    ("POST", "/v1/instances"),
    ("DELETE", "/v1/instances/{instance_id}"),
    ("PUT", "/v1/instances/{instance_id}/tags"),
];

/// Words for descriptions, with the hyphens, em-dashes and punctuation that Python's
/// `textwrap` treats specially.
const DESCRIPTION_WORDS: &[&str] = &[
    "List",
    "instances",
    "of",
    "the",
    "project.",
    "Create",
    "an",
    "instance",
    "in",
    "AWS",
    "account",
    "self-service",
    "goof-ball",
    "x-ray",
    "a-b-c",
    "--",
    "well--known",
    "admin's",
    "e.g.",
    "non-ASCII",
    "café",
    "über-long",
    "(optional)",
    "option!",
    "-b",
    "is",
    "not",
    "and",
    "or",
    "with",
    "role:admin",
    "project_id:%(project_id)s",
    "long-hyphenated-compound-word",
    "mid-2020s",
    "a-",
    "--b",
    "x--y",
];

struct ExpressionWriter<'a> {
    rng: &'a mut Rng,
    /// Rules that `rule:` checks may name.
    references: &'a [String],
    /// Whether `rule:` checks may name undefined rules.
    undefined_references: bool,
}

impl ExpressionWriter<'_> {
    fn separator(&mut self) -> &'static str {
        match self.rng.below(40) {
            0 => "  ",
            1 => "\t",
            2 => "\n",
            _ => " ",
        }
    }

    fn operator(&mut self, word: &str) -> String {
        match self.rng.below(10) {
            0 => word.to_uppercase(),
            1 => {
                let mut chars = word.chars();
                let first = chars.next().map(|c| c.to_ascii_uppercase());
                first.into_iter().chain(chars).collect()
            }
            _ => word.to_string(),
        }
    }

    /// Writes operands joined by `and` and `or`; `depth` bounds the nesting.
    fn expression(&mut self, depth: usize) -> String {
        let count = if depth == 0 { 1 } else { 1 + self.rng.below(4) };
        let mut text = self.operand(depth);
        for _ in 1..count {
            let word = if self.rng.percent(40) { "and" } else { "or" };
            let operator = self.operator(word);
            let before = self.separator();
            let after = self.separator();
            let operand = self.operand(depth);
            text.push_str(&format!("{before}{operator}{after}{operand}"));
        }
        text
    }

    fn operand(&mut self, depth: usize) -> String {
        let roll = self.rng.below(100);
        if depth > 0 && roll < 15 {
            let not = self.operator("not");
            let separator = self.separator();
            return format!("{not}{separator}{}", self.operand(depth - 1));
        }
        if depth > 0 && roll < 40 {
            let inner = self.expression(depth - 1);
            return if self.rng.percent(25) {
                format!("( {inner} )")
            } else {
                format!("({inner})")
            };
        }
        self.leaf()
    }

    fn leaf(&mut self) -> String {
        match self.rng.below(100) {
            0..18 => format!("role:{}", self.rng.pick(CHECK_ROLES)),
            18..21 => "role:%(role)s".to_string(),
            21..31 => {
                if !self.references.is_empty()
                    && (!self.undefined_references || self.rng.percent(70))
                {
                    format!("rule:{}", self.rng.pick(self.references))
                } else if self.undefined_references {
                    format!("rule:{}", self.rng.pick(UNDEFINED_RULES))
                } else {
                    format!("role:{}", self.rng.pick(CHECK_ROLES))
                }
            }
            31..55 => self.rng.pick(PLACEHOLDER_CHECKS).to_string(),
            55..71 => self.rng.pick(LITERAL_CHECKS).to_string(),
            71..79 => "@".to_string(),
            79..82 => "!".to_string(),
            _ => self.rng.pick(PLAIN_CHECKS).to_string(),
        }
    }
}

fn write_expression(
    rng: &mut Rng,
    references: &[String],
    undefined_references: bool,
    max_depth: usize,
) -> String {
    // An empty check string allows everyone; it is a check string of its own.
    if rng.percent(3) {
        return String::new();
    }
    let depth = rng.below(max_depth + 1);
    let mut writer = ExpressionWriter {
        rng,
        references,
        undefined_references,
    };
    writer.expression(depth)
}

fn scope_types(rng: &mut Rng) -> Vec<String> {
    let choices: &[&[&str]] = &[
        &[],
        &[],
        &[],
        &[],
        &["project"],
        &["project"],
        &["project"],
        &["project"],
        &["system"],
        &["domain"],
        &["project", "domain"],
        &["system", "project"],
    ];
    rng.pick(choices).iter().map(|s| s.to_string()).collect()
}

fn description(rng: &mut Rng) -> String {
    if rng.percent(30) {
        return String::new();
    }
    let mut lines = Vec::new();
    for paragraph in 0..1 + rng.below(3) {
        if paragraph > 0 {
            lines.push(if rng.percent(80) { "" } else { "  " }.to_string());
        }
        if rng.percent(15) {
            lines.push(format!(
                "    {}  {}",
                rng.pick(DESCRIPTION_WORDS),
                rng.pick(DESCRIPTION_WORDS)
            ));
            continue;
        }
        for _ in 0..1 + rng.below(3) {
            let mut words = Vec::new();
            for _ in 0..1 + rng.below(14) {
                words.push(match rng.below(30) {
                    0 => "x".repeat(60 + rng.below(30)),
                    1 => format!("{}-{}", "y".repeat(40), "z".repeat(40)),
                    _ => rng.pick(DESCRIPTION_WORDS).to_string(),
                });
            }
            let separator = match rng.below(20) {
                0 => "  ",
                1 => "\t",
                _ => " ",
            };
            let trailing = if rng.percent(10) { " " } else { "" };
            lines.push(format!("{}{trailing}", words.join(separator)));
        }
    }
    lines.join("\n")
}

fn operations(rng: &mut Rng, description: &str) -> Vec<(String, String)> {
    // oslo.policy's DocumentedRuleDefault needs a description when it has operations.
    if description.trim().is_empty() {
        return Vec::new();
    }
    (0..rng.below(3))
        .map(|_| {
            let (method, path) = rng.pick(OPERATIONS);
            (method.to_string(), path.to_string())
        })
        .collect()
}

/// Writes one `name: check string` line of YAML in a randomly chosen scalar style.
fn yaml_line(rng: &mut Rng, name: &str, check_str: &str) -> String {
    let plain_safe = {
        let mut chars = check_str.chars();
        chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && check_str.contains(':')
            && check_str
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let simple = !check_str.chars().any(|c| c.is_control());
    let value = match rng.below(10) {
        0..3 if plain_safe => check_str.to_string(),
        0..5 if simple => format!("'{}'", check_str.replace('\'', "''")),
        _ => {
            let mut quoted = String::from("\"");
            for c in check_str.chars() {
                match c {
                    '"' => quoted.push_str("\\\""),
                    '\\' => quoted.push_str("\\\\"),
                    '\t' => quoted.push_str("\\t"),
                    '\n' => quoted.push_str("\\n"),
                    c => quoted.push(c),
                }
            }
            quoted.push('"');
            quoted
        }
    };
    let comment = if rng.percent(10) {
        "# an override\n"
    } else {
        ""
    };
    format!("{comment}\"{name}\": {value}\n")
}

fn generate_case_set(rng: &mut Rng, id: usize, next_case_id: &mut usize) -> CaseSet {
    let helpers: Vec<String> = (0..rng.below(4)).map(|i| format!("h{i}")).collect();
    let has_default_rule = rng.percent(45);

    // Registered defaults: the target rule, some helpers and maybe the default rule. The rest
    // of the helpers are defined only in files.
    let mut defaults = Vec::new();
    let mut file_only: Vec<(String, String)> = Vec::new();
    let target_check = write_expression(rng, &helpers, true, 3);
    defaults.push(rule_default(rng, TARGET_RULE, target_check));
    for (i, helper) in helpers.iter().enumerate() {
        let check = write_expression(rng, &helpers[i + 1..], true, 2);
        if rng.percent(60) {
            defaults.push(rule_default(rng, helper, check));
        } else {
            file_only.push((helper.clone(), check));
        }
    }
    if has_default_rule {
        let check = write_expression(rng, &[], false, 1);
        if rng.percent(50) {
            defaults.push(rule_default(rng, DEFAULT_RULE, check));
        } else {
            file_only.push((DEFAULT_RULE.to_string(), check));
        }
    }

    // Overrides, written with the same reference limits as the rules they replace.
    let mut overrides = Vec::new();
    for default in &defaults {
        if !rng.percent(25) {
            continue;
        }
        let check = match default.name.as_str() {
            TARGET_RULE => write_expression(rng, &helpers, true, 3),
            DEFAULT_RULE => write_expression(rng, &[], false, 1),
            helper => {
                let index: usize = helper[1..].parse().expect("helper names are h<index>");
                write_expression(rng, &helpers[index + 1..], true, 2)
            }
        };
        overrides.push((default.name.clone(), check));
    }

    let mut policy_file_rules = Vec::new();
    let mut dir_rules: Vec<Vec<(String, String)>> = vec![Vec::new(); rng.below(3)];
    for rule in file_only.into_iter().chain(overrides) {
        if dir_rules.is_empty() || rng.percent(50) {
            policy_file_rules.push(rule);
        } else {
            let index = rng.below(dir_rules.len());
            dir_rules[index].push(rule);
        }
    }
    let policy_file = if policy_file_rules.is_empty() && rng.percent(70) {
        None
    } else {
        Some(
            policy_file_rules
                .iter()
                .map(|(n, c)| yaml_line(rng, n, c))
                .collect(),
        )
    };
    let mut policy_dir_files: Vec<(String, String)> = dir_rules
        .iter()
        .enumerate()
        .map(|(i, rules)| {
            let text = rules.iter().map(|(n, c)| yaml_line(rng, n, c)).collect();
            (format!("{:02}-overrides.yaml", 10 * (i + 1)), text)
        })
        .collect();
    if rng.percent(10) {
        policy_dir_files.push((".hidden.yaml".into(), format!("\"{TARGET_RULE}\": \"!\"\n")));
    }
    if rng.percent(5) {
        policy_dir_files.push((
            "sub/nested.yaml".into(),
            format!("\"{TARGET_RULE}\": \"@\"\n"),
        ));
    }

    let mut cases = Vec::new();
    for _ in 0..3 + rng.below(3) {
        let rule = match rng.below(100) {
            0..80 => TARGET_RULE.to_string(),
            80..88 if !helpers.is_empty() => rng.pick(&helpers).clone(),
            80..95 => "unregistered:rule".to_string(),
            _ => DEFAULT_RULE.to_string(),
        };
        // Give some creds a scope that the rule allows, so scoped rules do not mostly deny.
        let scope_hint = match defaults.iter().find(|d| d.name == rule) {
            Some(d) if !d.scope_types.is_empty() && rng.percent(60) => {
                Some(rng.pick(&d.scope_types).clone())
            }
            _ => None,
        };
        cases.push(Case {
            id: *next_case_id,
            rule,
            creds: creds(rng, scope_hint.as_deref()),
            target: target(rng),
        });
        *next_case_id += 1;
    }
    CaseSet {
        id,
        defaults,
        policy_file,
        policy_dir_files,
        cases,
    }
}

fn rule_default(rng: &mut Rng, name: &str, check_str: String) -> RuleDefault {
    let description = description(rng);
    RuleDefault {
        name: name.to_string(),
        check_str,
        operations: operations(rng, &description),
        description,
        scope_types: scope_types(rng),
    }
}

/// Inserts `key` with a value from `values` with a probability of `percent` in 100.
fn maybe_insert(
    rng: &mut Rng,
    map: &mut Map<String, Value>,
    percent: usize,
    key: &str,
    values: &[Value],
) {
    if rng.percent(percent) {
        map.insert(key.to_string(), rng.pick(values).clone());
    }
}

/// Generates creds; `scope` names the token scope to give them, if any.
fn creds(rng: &mut Rng, scope: Option<&str>) -> Value {
    let mut creds = Map::new();
    insert_roles(rng, &mut creds);
    insert_identity(rng, &mut creds, scope);
    insert_nested_values(rng, &mut creds);
    Value::Object(creds)
}

/// Inserts `roles`: mostly a list of names, sometimes a string (which Python iterates by
/// character) or a list with a number (which makes oslo.policy raise).
fn insert_roles(rng: &mut Rng, creds: &mut Map<String, Value>) {
    match rng.below(100) {
        0..75 => {
            let roles: Vec<Value> = (0..rng.below(5).min(3))
                .map(|_| json!(rng.pick(CREDS_ROLES)))
                .collect();
            creds.insert("roles".into(), Value::Array(roles));
        }
        75..80 => {
            creds.insert("roles".into(), json!(rng.pick(&["admin", "a", "Member"])));
        }
        80..83 => {
            creds.insert("roles".into(), json!(["reader", 1]));
        }
        _ => {}
    }
}

/// Inserts the ids and the scope keys of the token.
fn insert_identity(rng: &mut Rng, creds: &mut Map<String, Value>, scope: Option<&str>) {
    let user_ids = [json!("u1"), json!("u1"), json!("u2")];
    maybe_insert(rng, creds, 80, "user_id", &user_ids);
    let project_ids = [json!("p1"), json!("p1"), json!("p2"), json!(7)];
    maybe_insert(rng, creds, 85, "project_id", &project_ids);
    maybe_insert(rng, creds, 40, "is_admin", &[json!(true), json!(false)]);

    maybe_insert(rng, creds, 15, "domain_id", &[json!("d1"), json!("")]);
    maybe_insert(rng, creds, 12, "system_scope", &[json!("all"), json!("")]);
    maybe_insert(rng, creds, 4, "system", &[json!("all")]);
    match scope {
        Some("system") => {
            creds.insert("system_scope".into(), json!("all"));
        }
        Some("domain") => {
            creds.insert("domain_id".into(), json!("d1"));
        }
        Some(_) => {
            creds.remove("system_scope");
            creds.remove("system");
            creds.remove("domain_id");
        }
        None => {}
    }
}

/// Inserts objects and lists for creds paths to walk, including a few shapes that make
/// oslo.policy raise: a string where a path expects an object, and a list of strings where it
/// expects a list of objects.
fn insert_nested_values(rng: &mut Rng, creds: &mut Map<String, Value>) {
    let tokens = [
        json!({"user": {"id": "u1", "domain": {"id": "d1"}}}),
        json!({"user": {"id": "u2", "domain": {"id": "d2"}}}),
        json!("opaque-token"),
    ];
    if rng.percent(40) {
        let token = if rng.percent(8) {
            &tokens[2]
        } else {
            rng.pick(&tokens[..2])
        };
        creds.insert("token".into(), token.clone());
    }

    let groups = [
        json!([{"id": "g1"}, {"id": "g2"}]),
        json!([{"id": "g2"}]),
        json!([]),
        json!(["g1"]),
    ];
    if rng.percent(35) {
        let group = if rng.percent(8) {
            &groups[3]
        } else {
            rng.pick(&groups[..3])
        };
        creds.insert("groups".into(), group.clone());
    }

    let tags = [json!(["a", "b"]), json!(["a", 1, true, null]), json!([])];
    maybe_insert(rng, creds, 35, "tags", &tags);
    let counts = [json!("1"), json!(16), json!([1, "16"])];
    maybe_insert(rng, creds, 25, "count", &counts);
    let ratios = [
        json!(1e16),
        json!(1.5),
        json!(0.00001),
        json!(100.0),
        json!([1.5, 1e16]),
    ];
    maybe_insert(rng, creds, 30, "ratio", &ratios);
}

/// Generates a target. Its keys are flat, so `%(target.owner)s` reads the key `target.owner`;
/// the nested `target` object that some targets get instead must not match it.
fn target(rng: &mut Rng) -> Value {
    // (key, percent of targets that have it, values to choose from)
    let keys: [(&str, usize, Vec<Value>); 16] = [
        (
            "project_id",
            85,
            vec![json!("p1"), json!("p1"), json!("p2"), json!(7), json!(null)],
        ),
        (
            "target.owner",
            50,
            vec![json!("u1"), json!("u1"), json!("u2")],
        ),
        ("owner", 60, vec![json!("u1"), json!("u1"), json!("u2")]),
        ("user_id", 40, vec![json!("u1"), json!("u2")]),
        ("domain_id", 40, vec![json!("d1"), json!("d2")]),
        (
            "visibility",
            70,
            vec![json!("shared"), json!("public"), json!("private")],
        ),
        (
            "enabled",
            60,
            vec![json!(true), json!(false), json!("True"), json!(1)],
        ),
        (
            "count",
            60,
            vec![json!(1), json!("1"), json!(16), json!(1.0), json!(-1)],
        ),
        (
            "ratio",
            50,
            vec![
                json!(1.5),
                json!(1000.0),
                json!("1.5"),
                json!(1e16),
                json!("1e+16"),
                json!(0.00001),
            ],
        ),
        ("parent", 40, vec![json!(null), json!("x")]),
        (
            "role",
            40,
            vec![json!("admin"), json!("Reader"), json!("member")],
        ),
        ("group", 50, vec![json!("g1"), json!("g2")]),
        (
            "tag",
            50,
            vec![json!("a"), json!("b"), json!(1), json!(true)],
        ),
        ("name", 40, vec![json!(""), json!("x"), json!("a.b")]),
        ("scope", 30, vec![json!("all"), json!(["a", "b"])]),
        ("target", 15, vec![json!({"owner": "u1"})]),
    ];
    let mut target = Map::new();
    for (key, percent, values) in &keys {
        maybe_insert(rng, &mut target, *percent, key, values);
    }
    Value::Object(target)
}

/// Check strings that oslo.policy parses to a deny of the whole rule and this crate rejects:
/// a fixed list, and mutations of generated expressions that break their structure.
fn generate_malformed(rng: &mut Rng) -> Vec<String> {
    let mut malformed: Vec<String> = [
        " ",
        "(role:a",
        "role:a)",
        "role:a and",
        "or role:a",
        "not",
        "()",
        "role:a role:b",
        "'shared'",
        "role:a and 'x'",
        "role:a and or role:b",
        "(role:a or (role:b)",
        "'shared':'%(visibility)s'",
        "@ @",
        "not and role:a",
        "role:a (role:b)",
        "(role:a or)",
        "role:a not role:b",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let references = ["h0".to_string()];
    for _ in 0..60 {
        let valid = write_expression(rng, &references, true, 3);
        if valid.is_empty() {
            continue;
        }
        let broken = match rng.below(4) {
            0 => format!("{valid} and"),
            1 => format!("or {valid}"),
            2 => format!("({valid}"),
            _ => format!("{valid} 'quoted'"),
        };
        malformed.push(broken);
    }
    malformed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_check_str;

    #[test]
    fn same_seed_gives_same_corpus() {
        let first = generate(SEED, 20);
        let second = generate(SEED, 20);
        assert_eq!(format!("{first:?}"), format!("{second:?}"));
    }

    #[test]
    fn different_seeds_give_different_corpora() {
        let first = generate(1, 20);
        let second = generate(2, 20);
        assert_ne!(format!("{first:?}"), format!("{second:?}"));
    }

    #[test]
    fn defaults_parse() {
        for set in generate(SEED, 200).case_sets {
            for default in &set.defaults {
                let result = parse_check_str(&default.check_str);
                assert!(result.is_ok(), "{:?}: {result:?}", default.check_str);
            }
        }
    }

    #[test]
    fn malformed_strings_are_rejected() {
        for text in generate(SEED, 1).malformed {
            assert!(parse_check_str(&text).is_err(), "{text:?} parsed");
        }
    }
}
