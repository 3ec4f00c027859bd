//! Shared fixtures: the harness environment, fresh Keystone projects and users, and an
//! aws-hybrid process started per test with its own config and mapping file.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_ec2::config::{BehaviorVersion, Region};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub project_name: String,
}

#[derive(Debug, Deserialize)]
pub struct UserEnv {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
pub struct ProjectEnv {
    pub id: String,
    pub member: UserEnv,
    pub reader: UserEnv,
    pub aws_account_id: String,
    pub aws_access_key_id: String,
    pub aws_secret_access_key: String,
}

/// What `tools/harness/up.sh` wrote to `env.json`.
#[derive(Debug, Deserialize)]
pub struct Env {
    pub keystone_url: String,
    pub keystone_admin: Credentials,
    pub service_user: Credentials,
    pub projects: HashMap<String, ProjectEnv>,
    pub moto_url: String,
    pub api_port: u16,
    pub venv: PathBuf,
    pub tools_dir: PathBuf,
    pub state_dir: PathBuf,
}

pub fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let path = std::env::var("AWS_HYBRID_TEST_ENV").expect(
            "AWS_HYBRID_TEST_ENV is not set: run the test suite with tools/test.sh, which starts Keystone and the AWS emulator",
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not a valid harness env file: {e}"))
    })
}

/// Builds an HTTP client whose responses are written to the run's record (see [`record`]).
pub fn http() -> Client {
    Client(
        reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("building an HTTP client"),
    )
}

/// Returns the directory where the test command collects what the secret scan reads: every response
/// body, every service log and the list of secrets the tests made. Unset: nothing is kept.
fn record_dir() -> Option<PathBuf> {
    std::env::var_os("AWS_HYBRID_TEST_RECORD").map(PathBuf::from)
}

/// Appends `text` to the file `name` of the record directory, if there is one.
pub fn record(name: &str, text: &str) {
    use std::io::Write as _;
    let Some(dir) = record_dir() else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .unwrap();
    writeln!(file, "{text}").unwrap();
}

/// Adds a password or token the tests made to the list the secret scan looks for.
pub fn record_secret(secret: &str) {
    record("secrets.txt", secret);
}

/// A reqwest client whose requests record their response bodies.
#[derive(Clone)]
pub struct Client(reqwest::Client);

impl Client {
    pub fn get(&self, url: impl reqwest::IntoUrl) -> Call {
        Call(self.0.get(url))
    }
    pub fn post(&self, url: impl reqwest::IntoUrl) -> Call {
        Call(self.0.post(url))
    }
    pub fn put(&self, url: impl reqwest::IntoUrl) -> Call {
        Call(self.0.put(url))
    }
    pub fn delete(&self, url: impl reqwest::IntoUrl) -> Call {
        Call(self.0.delete(url))
    }
    pub fn request(&self, method: reqwest::Method, url: impl reqwest::IntoUrl) -> Call {
        Call(self.0.request(method, url))
    }
}

/// A request being built; [`Call::send`] records the response body and hands back an equal
/// response.
pub struct Call(reqwest::RequestBuilder);

impl Call {
    pub fn header<K, V>(self, key: K, value: V) -> Call
    where
        reqwest::header::HeaderName: TryFrom<K>,
        <reqwest::header::HeaderName as TryFrom<K>>::Error: Into<axum::http::Error>,
        reqwest::header::HeaderValue: TryFrom<V>,
        <reqwest::header::HeaderValue as TryFrom<V>>::Error: Into<axum::http::Error>,
    {
        Call(self.0.header(key, value))
    }
    pub fn json<T: serde::Serialize + ?Sized>(self, body: &T) -> Call {
        Call(self.0.json(body))
    }

    pub async fn send(self) -> reqwest::Result<reqwest::Response> {
        let response = self.0.send().await?;
        let status = response.status();
        let url = response.url().clone();
        let version = response.version();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        record(
            "responses.log",
            &format!("{status} {url} {}", String::from_utf8_lossy(&body)),
        );
        let mut rebuilt = axum::http::Response::builder()
            .status(status)
            .version(version);
        *rebuilt.headers_mut().unwrap() = headers;
        // The rebuilt response has no URL; no test reads it.
        Ok(reqwest::Response::from(rebuilt.body(body).unwrap()))
    }
}

pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Issue a token; `project` None gives an unscoped token.
pub async fn issue_token(
    keystone_url: &str,
    user: &str,
    password: &str,
    project: Option<&str>,
) -> String {
    let mut auth = json!({"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}}});
    if let Some(project) = project {
        auth["scope"] = json!({"project": {"name": project, "domain": {"id": "default"}}});
    }
    // Keystones started by extra-keystone.sh share the SQLite file, and password authentication
    // writes to it, so a concurrent token issue can fail with "database is locked": retry.
    for attempt in 1..=5 {
        let result = http()
            .post(format!("{keystone_url}/v3/auth/tokens?nocatalog"))
            .json(&json!({ "auth": auth }))
            .send()
            .await;
        match result {
            Ok(response) if response.status() == 201 => {
                let token = response.headers()["x-subject-token"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                record_secret(&token);
                return token;
            }
            Ok(response) if response.status().is_server_error() && attempt < 5 => {}
            Err(_) if attempt < 5 => {}
            Ok(response) => panic!("token issue for {user} failed: {}", response.status()),
            Err(error) => panic!("token issue for {user} failed: {error}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    unreachable!("the last attempt returns or panics")
}

pub async fn admin_token() -> String {
    let e = env();
    issue_token(
        &e.keystone_url,
        &e.keystone_admin.username,
        &e.keystone_admin.password,
        Some(&e.keystone_admin.project_name),
    )
    .await
}

async fn admin_post(path: &str, body: Value) -> Value {
    let response = http()
        .post(format!("{}/v3/{path}", env().keystone_url))
        .header("X-Auth-Token", admin_token().await)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "POST /v3/{path} failed: {}",
        response.status()
    );
    response.json().await.unwrap()
}

pub async fn role_id(name: &str) -> String {
    let response: Value = http()
        .get(format!("{}/v3/roles?name={name}", env().keystone_url))
        .header("X-Auth-Token", admin_token().await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response["roles"][0]["id"]
        .as_str()
        .expect("role exists")
        .to_owned()
}

pub async fn grant(project_id: &str, user_id: &str, role: &str) {
    let status = http()
        .put(format!(
            "{}/v3/projects/{project_id}/users/{user_id}/roles/{}",
            env().keystone_url,
            role_id(role).await
        ))
        .header("X-Auth-Token", admin_token().await)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "role grant failed: {status}");
}

pub async fn create_project(name: &str) -> String {
    let body = admin_post(
        "projects",
        json!({"project": {"name": name, "domain_id": "default"}}),
    )
    .await;
    body["project"]["id"].as_str().unwrap().to_owned()
}

pub async fn create_user(name: &str, password: &str) -> String {
    record_secret(password);
    let body = admin_post(
        "users",
        json!({"user": {"name": name, "password": password, "domain_id": "default"}}),
    )
    .await;
    body["user"]["id"].as_str().unwrap().to_owned()
}

/// A fresh Keystone project with a member and a reader, mapped to one of the harness's AWS
/// accounts (`alpha` or `beta`).
pub struct Project {
    pub id: String,
    pub name: String,
    pub account: &'static str,
    pub member_id: String,
    pub member_token: String,
    pub reader_token: String,
}

pub async fn project(account: &'static str) -> Project {
    let name = unique("proj");
    let id = create_project(&name).await;
    let password = uuid::Uuid::new_v4().to_string();
    let member_id = create_user(&format!("{name}-member"), &password).await;
    let reader_id = create_user(&format!("{name}-reader"), &password).await;
    grant(&id, &member_id, "member").await;
    grant(&id, &reader_id, "reader").await;
    let url = &env().keystone_url;
    let member_token = issue_token(url, &format!("{name}-member"), &password, Some(&name)).await;
    let reader_token = issue_token(url, &format!("{name}-reader"), &password, Some(&name)).await;
    Project {
        id,
        name,
        account,
        member_id,
        member_token,
        reader_token,
    }
}

pub fn account(name: &str) -> &'static ProjectEnv {
    &env().projects[name]
}

/// How to start one aws-hybrid process for a test.
pub struct ServiceOptions {
    pub keystone_url: String,
    pub service_user: (String, String),
    pub aws_endpoint: String,
    pub mappings: Vec<(String, &'static str)>,
    /// Text appended to the mapping file, for sections that `mappings` cannot express.
    pub extra_mapping: String,
    /// Text appended to every `[project:<id>]` section written from `mappings`.
    pub mapping_fields: String,
    pub extra_config: String,
    pub env: Vec<(String, String)>,
    pub port: Option<u16>,
}

impl ServiceOptions {
    pub fn new(projects: &[&Project]) -> Self {
        let e = env();
        Self {
            keystone_url: e.keystone_url.clone(),
            service_user: (
                e.service_user.username.clone(),
                e.service_user.password.clone(),
            ),
            aws_endpoint: e.moto_url.clone(),
            mappings: projects.iter().map(|p| (p.id.clone(), p.account)).collect(),
            extra_mapping: String::new(),
            mapping_fields: String::new(),
            extra_config: String::new(),
            env: Vec::new(),
            port: None,
        }
    }
}

pub struct Service {
    child: Child,
    pub url: String,
    pub log_path: PathBuf,
    /// Holds `aws-hybrid.conf`, `tenants.conf` and `service.log`.
    pub dir: PathBuf,
    _dir: tempfile::TempDir,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn write_config(dir: &std::path::Path, options: &ServiceOptions, port: u16) -> PathBuf {
    let mut mapping = String::new();
    for (project_id, account_name) in &options.mappings {
        let a = account(account_name);
        writeln!(
            mapping,
            "[project:{project_id}]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = us-east-1\nallowed_regions = us-east-1, us-west-2\n{}",
            a.aws_access_key_id, a.aws_secret_access_key, options.mapping_fields
        )
        .unwrap();
    }
    mapping.push_str(&options.extra_mapping);
    let mapping_path = dir.join("tenants.conf");
    std::fs::write(&mapping_path, mapping).unwrap();
    let config = format!(
        "[DEFAULT]\ndebug = true\n\n[api]\nbind_host = 127.0.0.1\nbind_port = {port}\npublic_endpoint = http://127.0.0.1:{port}\n\n\
         [keystone_authtoken]\nwww_authenticate_uri = {ks}\nauth_url = {ks}\nauth_type = password\nusername = {user}\npassword = {password}\n\
         project_name = service\nuser_domain_name = Default\nproject_domain_name = Default\ninterface = public\n\n\
         [aws]\nregion = us-east-1\nendpoint_url = {aws}\nretry_initial_backoff_ms = 10\nretry_max_backoff_ms = 50\n\n\
         [tenancy]\nmapping_file = {mapping}\n\n{extra}",
        ks = options.keystone_url,
        user = options.service_user.0,
        password = options.service_user.1,
        aws = options.aws_endpoint,
        mapping = mapping_path.display(),
        extra = options.extra_config,
    );
    let config_path = dir.join("aws-hybrid.conf");
    std::fs::write(&config_path, config).unwrap();
    config_path
}

impl Service {
    pub async fn start(options: ServiceOptions) -> Service {
        let dir = tempfile::tempdir().unwrap();
        let port = options.port.unwrap_or_else(free_port);
        let config_path = write_config(dir.path(), &options, port);
        let log_path = dir.path().join("service.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_aws-hybrid-api"))
            .arg("--config-file")
            .arg(&config_path)
            .envs(options.env.iter().cloned())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("starting aws-hybrid-api");
        let mut service = Service {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log_path,
            dir: dir.path().to_owned(),
            _dir: dir,
        };
        service.wait_ready().await;
        service
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("aws-hybrid-api exited with {status}:\n{}", self.log());
            }
            let response = http().get(format!("{}/healthcheck", self.url)).send().await;
            if response.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aws-hybrid-api did not become ready:\n{}", self.log());
    }

    /// Send SIGTERM, as systemd does on stop.
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Send SIGHUP, as `systemctl reload` does, to reload the mapping and the policy.
    pub fn reload(&self) {
        self.signal("HUP");
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Wait until the log has `count` lines containing `text`; panics after 10 seconds.
    pub async fn wait_for_log(&self, text: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.log().matches(text).count() >= count {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the log never had {count} line(s) with {text:?}:\n{}",
            self.log()
        );
    }

    /// Wait up to `timeout` for the process to exit; returns whether it exited successfully.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<bool> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.success());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Assert that none of `secrets` appears in the service's log.
    pub fn assert_log_free_of(&self, secrets: &[&str]) {
        let log = self.log();
        for secret in secrets {
            assert!(!secret.is_empty());
            assert!(
                !log.contains(secret),
                "a secret value appeared in the service log"
            );
        }
    }

    pub fn get(&self, path: &str, token: &str) -> Call {
        http()
            .get(format!("{}{path}", self.url))
            .header("X-Auth-Token", token)
    }

    pub fn post(&self, path: &str, token: &str, body: Value) -> Call {
        http()
            .post(format!("{}{path}", self.url))
            .header("X-Auth-Token", token)
            .json(&body)
    }

    pub fn delete(&self, path: &str, token: &str) -> Call {
        http()
            .delete(format!("{}{path}", self.url))
            .header("X-Auth-Token", token)
    }

    /// Launch one instance and return its id.
    pub async fn launch(&self, token: &str, name: &str) -> String {
        let response = self
            .post("/v1/instances", token, json!({"instance": {"name": name, "image_id": TEST_AMI, "instance_type": "t3.micro"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            202,
            "launch failed: {}",
            response.text().await.unwrap()
        );
        let body: Value = response.json().await.unwrap();
        body["instance"]["id"].as_str().unwrap().to_owned()
    }

    pub async fn instance_state(&self, token: &str, id: &str) -> String {
        let body: Value = self
            .get(&format!("/v1/instances/{id}"), token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["instance"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = record_dir() {
            let logs = dir.join("service-logs");
            let _ = std::fs::create_dir_all(&logs);
            let name = format!("{}.log", uuid::Uuid::new_v4().simple());
            let _ = std::fs::copy(&self.log_path, logs.join(name));
        }
    }
}

/// An AMI id of the right form; the emulator accepts launches from it.
pub const TEST_AMI: &str = "ami-12c6146b";

/// Assert the API-SIG error shape and return the first error item.
pub async fn error_item(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let request_id = response
        .headers()
        .get("x-openstack-request-id")
        .expect("x-openstack-request-id on errors")
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.expect("JSON error body");
    let item = body["errors"][0].clone();
    assert_eq!(item["status"], status);
    assert_eq!(item["request_id"], request_id.as_str());
    assert!(item["code"].as_str().unwrap().starts_with("aws-hybrid."));
    assert!(item["title"].is_string());
    assert!(item["detail"].is_string());
    assert_eq!(item["links"][0]["rel"], "help");
    item
}

/// Build an EC2 client that talks straight to the emulator, to check what the service did on
/// the AWS side.
pub fn ec2(account_name: &str) -> aws_sdk_ec2::Client {
    let a = account(account_name);
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            &a.aws_access_key_id,
            &a.aws_secret_access_key,
            None,
            None,
            "test",
        ))
        .endpoint_url(&env().moto_url)
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

/// Return the value of tag `key` of an EC2 resource.
pub fn tag_value(tags: &[aws_sdk_ec2::types::Tag], key: &str) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
        .map(str::to_owned)
}

/// Create an item by sending `{"<key>": item}` to `/v1/<collection>` and return the created
/// item. The test fails unless the service returns `status`.
pub async fn create_item(
    service: &Service,
    token: &str,
    collection: &str,
    key: &str,
    item: Value,
    status: u16,
) -> Value {
    let response = service
        .post(&format!("/v1/{collection}"), token, json!({ key: item }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        status,
        "{key} create failed: {}",
        response.text().await.unwrap()
    );
    let body: Value = response.json().await.unwrap();
    body[key].clone()
}

/// Send a GET to `path` and return the JSON body. The test fails unless the service returns
/// 200.
pub async fn get_ok(service: &Service, token: &str, path: &str) -> Value {
    let response = service.get(path, token).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

/// Read `/v1/<collection>/<id>` and return its `<key>` item. The test fails unless the
/// service returns 200.
pub async fn show_item(
    service: &Service,
    token: &str,
    collection: &str,
    key: &str,
    id: &str,
) -> Value {
    let body = get_ok(service, token, &format!("/v1/{collection}/{id}")).await;
    body[key].clone()
}

/// Send an action `body` to `/v1/<collection>/<id>/action`.
pub async fn post_action(
    service: &Service,
    token: &str,
    collection: &str,
    id: &str,
    body: Value,
) -> reqwest::Response {
    service
        .post(&format!("/v1/{collection}/{id}/action"), token, body)
        .send()
        .await
        .unwrap()
}

/// List `/v1/<collection>?<query>` and return the ids of the items under `<collection>`. The
/// test fails unless the service returns 200.
pub async fn listed_ids(
    service: &Service,
    token: &str,
    collection: &str,
    query: &str,
) -> Vec<String> {
    let body = get_ok(service, token, &format!("/v1/{collection}?{query}")).await;
    body[collection]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Assert that both a GET and a DELETE of `/v1/<collection>/<id>` with `token` fail with 404
/// and error code `code`, as they must for an item of another project.
pub async fn assert_show_and_delete_not_found(
    service: &Service,
    token: &str,
    collection: &str,
    id: &str,
    code: &str,
) {
    let path = format!("/v1/{collection}/{id}");
    let show_response = service.get(&path, token).send().await.unwrap();
    assert_eq!(
        error_item(show_response, 404).await["code"],
        code,
        "GET {path}"
    );
    let delete_response = service.delete(&path, token).send().await.unwrap();
    assert_eq!(
        error_item(delete_response, 404).await["code"],
        code,
        "DELETE {path}"
    );
}

/// A fault proxy process between the service and the emulator, owned by one test.
pub struct FaultProxy {
    child: Child,
    pub url: String,
}

impl FaultProxy {
    pub fn start() -> FaultProxy {
        use std::io::BufRead;
        let e = env();
        let mut child = Command::new(e.venv.join("bin/python"))
            .arg(e.tools_dir.join("fault_proxy.py"))
            .args(["--listen", "127.0.0.1:0", "--upstream", &e.moto_url])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting tools/fault_proxy.py");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .expect("fault proxy announces its address")
            .to_owned();
        FaultProxy {
            child,
            url: format!("http://{address}"),
        }
    }

    pub async fn rule(&self, rule: Value) {
        let response = http()
            .post(format!("{}/__fault__/rules", self.url))
            .json(&rule)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "fault rule rejected: {}",
            response.text().await.unwrap()
        );
    }

    pub async fn calls(&self, action: &str) -> usize {
        proxied_calls(self, action).await.len()
    }
}

/// Start a service for `projects` whose AWS endpoint is the fault proxy.
pub async fn service_behind(proxy: &FaultProxy, projects: &[&Project]) -> Service {
    let mut options = ServiceOptions::new(projects);
    options.aws_endpoint = proxy.url.clone();
    Service::start(options).await
}

/// Return the calls of `action` that went through the proxy, each with its request parameters.
pub async fn proxied_calls(proxy: &FaultProxy, action: &str) -> Vec<Value> {
    let calls: Vec<Value> = http()
        .get(format!("{}/__fault__/calls", proxy.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    calls
        .into_iter()
        .filter(|c| c["action"] == action)
        .collect()
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
