//! Fixtures local to the integration tests.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A moto server of the test's own, with request recording on: its log of the
/// requests it received is the independent count the API-call report must match.
pub struct PrivateMoto {
    child: Child,
    pub url: String,
    port: u16,
    recording: PathBuf,
}

impl PrivateMoto {
    pub fn start() -> PrivateMoto {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let bin = root.join(".emulators/moto/bin/moto_server");
        assert!(bin.exists(), "{} is missing: run `just emulators` first", bin.display());
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let recording = std::env::temp_dir().join(format!("strata-moto-recording-{port}.jsonl"));
        let _ = std::fs::remove_file(&recording);
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ENABLE_RECORDING", "True")
            .env("MOTO_RECORDER_FILEPATH", &recording)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = PrivateMoto { child, url: format!("http://127.0.0.1:{port}"), port, recording };
        let start = Instant::now();
        while moto.http("GET", "/moto-api/").is_err() {
            assert!(start.elapsed() < Duration::from_secs(60), "private moto did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
        moto
    }

    /// A bare HTTP/1.0 request to the server; returns the body.
    pub fn http(&self, method: &str, path: &str) -> std::io::Result<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        write!(s, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        match out.split_once("\r\n\r\n") {
            Some((head, body)) if head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200") => {
                Ok(body.to_string())
            }
            _ => Err(std::io::Error::other(out)),
        }
    }

    pub fn start_recording(&self) {
        self.http("POST", "/moto-api/recorder/start-recording").unwrap();
    }

    /// Every AWS request the server received while recording, by API action.
    pub fn recorded_actions(&self) -> std::collections::BTreeMap<String, u64> {
        let log = self.http("GET", "/moto-api/recorder/download-recording").unwrap();
        let mut counts = std::collections::BTreeMap::new();
        for line in log.lines().filter(|l| !l.trim().is_empty()) {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            let url = entry["url"].as_str().unwrap_or_default();
            let raw = entry["body"].as_str().unwrap_or_default();
            let body = if entry["body_encoded"].as_bool() == Some(true) { base64_decode(raw) } else { raw.to_string() };
            let body = body.as_str();
            let target = entry["headers"]["X-Amz-Target"].as_str().map(|t| t.rsplit('.').next().unwrap_or(t).to_string());
            let action = target
                .or_else(|| {
                    [url.split_once('?').map(|x| x.1).unwrap_or(""), body]
                        .iter()
                        .flat_map(|q| q.split('&'))
                        .find_map(|kv| kv.strip_prefix("Action=").map(str::to_string))
                })
                .or_else(|| rest_operation(entry["method"].as_str().unwrap_or_default(), url));
            if let Some(a) = action {
                *counts.entry(a).or_default() += 1;
            }
        }
        counts
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.recording);
    }
}

/// REST-protocol services name the operation by method and path, not by an
/// `Action` or target: the list calls a plan makes (S3, Route 53, Backup,
/// CloudFront, OpenSearch).
fn rest_operation(method: &str, url: &str) -> Option<String> {
    let path = url.split("://").nth(1).and_then(|u| u.find('/').map(|i| &u[i..])).unwrap_or(url);
    let path = path.split('?').next().unwrap_or_default();
    let op = match (method, path.trim_end_matches('/')) {
        ("GET", "") => "ListBuckets",
        ("GET", "/2013-04-01/hostedzone") => "ListHostedZones",
        ("GET", "/backup-vaults") => "ListBackupVaults",
        ("GET", "/backup/plans") => "ListBackupPlans",
        ("GET", "/2020-05-31/distribution") => "ListDistributions",
        ("GET", "/2021-01-01/domain") => "ListDomainNames",
        ("POST", "/2021-01-01/opensearch/domain-info") => "DescribeDomains",
        ("GET", "/2021-01-01/tags") => "ListTags",
        ("GET", "/clusters") => "ListClusters",
        ("GET", "/2015-03-31/functions") => "ListFunctions",
        ("GET", "/2015-03-31/event-source-mappings") => "ListEventSourceMappings",
        ("GET", "/v2/apis") => "GetApis",
        ("GET", "/v2/vpclinks") => "GetVpcLinks",
        ("GET", "/v2/domainnames") => "GetDomainNames",
        ("GET", "/v1/clusters") => "ListClusters",
        ("GET", "/restapis") => "GetRestApis",
        ("GET", "/vpclinks") => "GetVpcLinks",
        ("GET", "/domainnames") => "GetDomainNames",
        _ => return None,
    };
    Some(op.to_string())
}

/// Standard base64 (moto records binary bodies this way).
fn base64_decode(s: &str) -> String {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter_map(val) {
        acc = (acc << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

/// A bare `GET` to moto for `service` (moto routes by the credential scope and
/// does not check signatures); the body.
pub fn http_get(base_url: &str, service: &str, path: &str) -> String {
    let host = base_url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(host).unwrap();
    let auth = format!("AWS4-HMAC-SHA256 Credential=test/20260101/eu-central-1/{service}/aws4_request, SignedHeaders=host, Signature=0");
    write!(s, "GET {path} HTTP/1.0\r\nHost: {host}\r\nAuthorization: {auth}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default()
}

/// How every example test ends: the design's facts that did not hold are
/// reported together; a plan right after the apply is empty and a re-apply
/// makes no mutating call; destroy succeeds and leaves nothing tagged with
/// the stack.
/// An engine on the emulator that polls fast (100 ms, at most 500 ms): the
/// emulators answer at once, so AWS's waiting times would only slow tests.
pub fn fast_engine(aws: &strata::aws::Aws) -> strata::engine::Engine {
    let poll = strata::engine::PollPolicy { initial: Duration::from_millis(100), max: Duration::from_millis(500) };
    strata::engine::Engine::new(strata::aws::registry(aws)).with_config(strata::engine::EngineConfig { poll, ..strata::engine::EngineConfig::default() })
}

/// A plan of a stack that is not deployed creates every declared resource.
pub async fn plans_every_resource_as_a_create(engine: &strata::engine::Engine, s: &strata::Stack) {
    let plan = engine.plan(s).await.unwrap();
    let creates = plan.steps.iter().filter(|p| p.action == strata::Action::Create).count();
    assert_eq!(creates, s.resources().iter().filter(|r| !r.is_lookup()).count(), "{}", plan.render_text());
}

pub async fn facts_hold_then_noop_then_destroy(problems: &[String], engine: &strata::engine::Engine, counter: &dyn strata::engine::CallCounter, s: &strata::Stack, url: &str) {
    assert!(problems.is_empty(), "the design's facts that do not hold:\n  {}", problems.join("\n  "));
    let before = counter.snapshot();
    let plan = engine.plan(s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    let again = engine.apply(s, plan).await;
    assert!(again.is_success(), "{}", strata::cli::render_report(&again));
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a re-apply changes nothing");
    let report = engine.apply(s, engine.plan_destroy(s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let left = crate::inventory::tagged_with(url, s.name()).await;
    assert!(left.is_empty(), "left after destroy: {left:#?}");
}
