//! SIGHUP reloads the tenant mapping file in the running process. A valid file takes effect for
//! new requests, and an invalid one is rejected while the previous mapping stays in force.
//! Requests in flight finish with the mapping they started with.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::common::{
    Project, Service, ServiceOptions, TEST_AMI, account, env, error_item, project,
};

fn mapping_path(service: &Service) -> PathBuf {
    service.dir.join("tenants.conf")
}

/// Builds the mapping section of `p` in the format that `common::write_config` writes.
fn section(p: &Project) -> String {
    let keys = account(p.account);
    format!(
        "[project:{}]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = us-east-1\n",
        p.id, keys.aws_access_key_id, keys.aws_secret_access_key
    )
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// IDs of the running processes whose command line names this service's configuration file.
fn service_pids(service: &Service) -> Vec<u32> {
    let config = service.dir.join("aws-hybrid.conf");
    let config = config.to_str().unwrap();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline
            .split(|&b| b == 0)
            .any(|arg| arg == config.as_bytes())
        {
            pids.push(pid);
        }
    }
    pids
}

async fn list_status(service: &Service, token: &str) -> u16 {
    let response = service.get("/v1/instances", token).send().await.unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn reload_maps_added_project() {
    let mapped = project("alpha").await;
    let added = project("beta").await;
    let service = Service::start(ServiceOptions::new(&[&mapped])).await;
    let pids = service_pids(&service);
    assert_eq!(
        pids.len(),
        1,
        "processes with this service's config: {pids:?}"
    );

    let response = service
        .get("/v1/instances", &added.member_token)
        .send()
        .await
        .unwrap();
    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.project_not_mapped");

    append(&mapping_path(&service), &format!("\n{}", section(&added)));
    service.reload();
    service.wait_for_log("reload done", 1).await;

    assert_eq!(list_status(&service, &added.member_token).await, 200);
    assert_eq!(list_status(&service, &mapped.member_token).await, 200);
    assert_eq!(service_pids(&service), pids);
    assert_eq!(service.log().matches("aws-hybrid-api is ready").count(), 1);
    service.assert_log_free_of(&[
        &account("alpha").aws_secret_access_key,
        &account("beta").aws_secret_access_key,
    ]);
}

#[tokio::test]
async fn invalid_file_keeps_previous_mapping() {
    let mapped = project("alpha").await;
    let added = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&mapped])).await;
    let path = mapping_path(&service);
    let original = std::fs::read_to_string(&path).unwrap();
    // The new section would map a second project, but its last line lacks the `=`.
    let broken_line = original.lines().count() + section(&added).lines().count() + 1;
    append(&path, &format!("{}max_instances 5\n", section(&added)));

    service.reload();
    service.wait_for_log("reload refused", 1).await;

    let log = service.log();
    let reload_error = log
        .lines()
        .find(|l| l.contains("reload refused"))
        .expect("a reload refused line");
    let location = format!("{}:{broken_line}", path.display());
    assert!(
        reload_error.contains(&location),
        "expected {location} in: {reload_error}"
    );
    assert!(!log.contains("reload done"), "{log}");
    assert_eq!(list_status(&service, &mapped.member_token).await, 200);
    let response = service
        .get("/v1/instances", &added.member_token)
        .send()
        .await
        .unwrap();
    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.project_not_mapped");
    service.assert_log_free_of(&[&account("alpha").aws_secret_access_key]);
}

/// A TCP relay to the emulator that delays every connection until [`Gate::open`]. It keeps a
/// request of the service waiting on AWS for as long as a test needs.
struct Gate {
    url: String,
    accepted: mpsc::Receiver<()>,
    released: Arc<(Mutex<bool>, Condvar)>,
    stopped: Arc<AtomicBool>,
}

impl Gate {
    fn start(upstream: &str) -> Gate {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (accepted_tx, accepted) = mpsc::channel();
        let released = Arc::new((Mutex::new(false), Condvar::new()));
        let stopped = Arc::new(AtomicBool::new(false));
        let gate = released.clone();
        let stop = stopped.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let _ = accepted_tx.send(());
                let gate = gate.clone();
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let (lock, changed) = &*gate;
                    let guard = lock.lock().unwrap();
                    drop(changed.wait_while(guard, |released| !*released).unwrap());
                    relay(client, &upstream);
                });
            }
        });
        Gate {
            url,
            accepted,
            released,
            stopped,
        }
    }

    /// Waits until the service has opened a connection to AWS through the gate.
    async fn wait_for_connection(&self) {
        for _ in 0..200 {
            if self.accepted.try_recv().is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the service opened no connection to AWS within 10 seconds");
    }

    /// Lets every held and later connection through to the emulator.
    fn open(&self) {
        let (lock, changed) = &*self.released;
        *lock.lock().unwrap() = true;
        changed.notify_all();
    }
}

impl Drop for Gate {
    /// Releases the held connections and ends the accept loop by connecting to it once more.
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.open();
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

/// Copies bytes both ways between `client` and `upstream` until either side closes.
fn relay(client: TcpStream, upstream: &str) {
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let copy = |mut from: TcpStream, mut to: TcpStream| {
        std::thread::spawn(move || {
            let mut buffer = [0u8; 16 * 1024];
            while let Ok(read) = from.read(&mut buffer) {
                if read == 0 || to.write_all(&buffer[..read]).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(Shutdown::Write);
        })
    };
    copy(client.try_clone().unwrap(), server.try_clone().unwrap());
    copy(server, client);
}

/// The reload removes the project of a request in flight. That request still completes with the
/// mapping it started with, and the project's next request is rejected.
#[tokio::test]
async fn request_in_flight_survives_reload() {
    let staying = project("alpha").await;
    let leaving = project("alpha").await;
    let gate = Gate::start(&env().moto_url);
    let mut options = ServiceOptions::new(&[&staying, &leaving]);
    options.aws_endpoint = gate.url.clone();
    let service = Service::start(options).await;

    let in_flight = tokio::spawn(service.get("/v1/instances", &leaving.member_token).send());
    gate.wait_for_connection().await;
    std::fs::write(mapping_path(&service), section(&staying)).unwrap();
    service.reload();
    service.wait_for_log("reload done", 1).await;
    assert!(
        !in_flight.is_finished(),
        "the request finished before the reload"
    );
    gate.open();

    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let response = service
        .get("/v1/instances", &leaving.member_token)
        .send()
        .await
        .unwrap();
    let item = error_item(response, 403).await;
    assert_eq!(item["code"], "aws-hybrid.project_not_mapped");
    assert_eq!(list_status(&service, &staying.member_token).await, 200);
}

#[tokio::test]
async fn reload_applies_new_guardrail() {
    let p = project("alpha").await;
    let service = Service::start(ServiceOptions::new(&[&p])).await;
    let launch = || {
        service.post(
            "/v1/instances",
            &p.member_token,
            json!({"instance": {"image_id": TEST_AMI, "instance_type": "t3.micro"}}),
        )
    };
    assert_eq!(launch().send().await.unwrap().status(), 202);

    // The file has a single section, so the appended line belongs to it.
    append(&mapping_path(&service), "max_instances = 0\n");
    service.reload();
    service.wait_for_log("reload done", 1).await;

    let item = error_item(launch().send().await.unwrap(), 403).await;
    assert_eq!(item["code"], "aws-hybrid.guardrail.max_instances");
    let detail = item["detail"].as_str().unwrap();
    assert!(detail.contains("limit of 0"), "{detail}");
    assert!(detail.contains("1 are active now"), "{detail}");
}
