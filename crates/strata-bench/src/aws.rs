//! Benchmarks against the real SDK on a private moto server (its own port,
//! reset before each stack, so nothing else is disturbed):
//!
//! - **API calls of a no-op plan**: the Miamo `prod` stack and synthetic
//!   stacks of subnets, security groups with rules and instances; calls counted
//!   by strata's SDK interceptor. Also the mutating calls of a re-apply
//!   (target 0) and the calls of the stack lock, counted on their own.
//! - **End to end**: `prod` applied by strata (lock, plan, apply, as
//!   `apply --yes` does), every HTTP exchange recorded; then, on a reset moto,
//!   the same requests sent one after another by a plain HTTP client (a
//!   straight-line program making the same calls, without even the SDK's own
//!   work), with the ids moto gave in this run put in place of the recorded
//!   ones. The replay draws from the same client-side rate buckets as strata
//!   (AWS's published limits: WAF's mutating calls are 1 per second), as a
//!   program against AWS would have to.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use strata::aws::ec2::{Ami, Instance, Rule, SecurityGroup, SecurityGroupRule, Subnet, Vpc};
use strata::aws::record::Exchange;
use strata::aws::{Aws, AwsSettings};
use strata::engine::lock::{LockInfo, LockPolicy};
use strata::aws::ratelimit::RateLimiter;
use strata::engine::lock::LockBackend;
use strata::engine::CallCounter;
use strata::{Engine, EngineConfig, Stack};
use strata_aws_testkit::PrivateMoto;

#[allow(dead_code)]
#[path = "../../../examples/prod.rs"]
mod miamo_prod;

const REGION: &str = "eu-central-1";

/// A synthetic stack of exactly `n` resources: one VPC, then blocks of 50:
/// one subnet, two security groups with inline rules (the second admits the
/// first), 40 rules of their own (20 per group) and seven instances.
///
/// The mix leans on rules because moto's EC2 slows down with the number of
/// groups and instances (a `DescribeSecurityGroups` over 2,000 groups takes
/// about 20 s there), not because strata needs it: 5,000 resources of the
/// first mix (four groups and five instances per ten) did not finish on moto.
pub fn synthetic(n: usize) -> Stack {
    let mut stack = Stack::new(format!("bench-synth-{n}"), REGION);
    let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
    let ami = stack.lookup::<Ami>("ubuntu", Ami::ubuntu_2004());
    let mut count = 1;
    let mut block = 0usize;
    let room = |count: &mut usize| {
        let free = *count < n;
        *count += usize::from(free);
        free
    };
    while count < n {
        let az = ["eu-central-1a", "eu-central-1b", "eu-central-1c"][block % 3];
        // /24 subnets: 256 fit in the /16 (5,000 resources need 100).
        let subnet = stack.add(format!("subnet-{block}"), Subnet::new(vpc.id(), format!("10.0.{block}.0/24"), az));
        count += 1;
        let mut groups = Vec::new();
        for g in 0..2 {
            if !room(&mut count) {
                break;
            }
            let mut sg = SecurityGroup::new(vpc.id()).description("strata bench").ingress(Rule::tcp(443).cidr("10.0.0.0/16"));
            if let Some(first) = groups.first() {
                sg = sg.ingress(Rule::tcp(8080).group(first));
            }
            groups.push(stack.add(format!("sg-{block}-{g}"), sg).id());
        }
        for r in 0..40u16 {
            let Some(group) = groups.get(usize::from(r % 2)) else { break };
            if !room(&mut count) {
                break;
            }
            let rule = SecurityGroupRule::ingress(group, Rule::tcp(2000 + r).cidr("192.0.2.0/24"));
            stack.add(format!("rule-{block}-{r}"), rule);
        }
        for i in 0..7 {
            if !room(&mut count) {
                break;
            }
            let mut instance = Instance::new(ami.id(), "t3.micro", subnet.id());
            if let Some(group) = groups.get(i % 2) {
                instance = instance.security_group(group);
            }
            stack.add(format!("vm-{block}-{i}"), instance);
        }
        block += 1;
    }
    stack
}

/// The Miamo `prod` stack, as `cargo run --example prod` declares it.
pub fn prod() -> Stack {
    miamo_prod::miamo::stack(&miamo_prod::settings())
}

async fn connect(url: &str, unlimited: bool, record: bool) -> Result<Aws, String> {
    let mut settings = AwsSettings {
        region: Some(REGION.into()),
        endpoint_url: Some(url.into()),
        static_credentials: Some(("test".into(), "test".into())),
        record_exchanges: record,
        ..AwsSettings::default()
    };
    if unlimited {
        settings.rate_limiter = RateLimiter::new(|_, _| None);
    }
    Aws::connect(settings).await.map_err(|e| e.to_string())
}

fn engine(aws: &Aws) -> Engine {
    Engine::new(strata::aws::registry(aws)).with_config(EngineConfig { parallelism: 16, ..EngineConfig::default() })
}

/// What `apply --yes` does: take the stack lock, plan, apply if anything
/// changes, release. The lock's calls go through `lock_aws` (the same
/// connection as `aws`, or another to count them apart). Returns the number
/// of changes planned.
async fn apply_like_the_cli(lock_aws: &Aws, aws: &Aws, stack: &Stack) -> Result<usize, String> {
    let locks = strata::aws::s3::S3Locks::open(lock_aws, stack.region()).await.map_err(|e| e.to_string())?;
    let info = LockInfo::new("apply", &strata::host::LocalHost);
    strata::engine::lock::acquire(&locks, &strata::host::LocalHost, stack.name(), &info, LockPolicy::default()).await.map_err(|e| e.to_string())?;
    let result = async {
        // The discovery index beside the lock, as the CLI keeps it.
        let engine = engine(aws).with_index(std::sync::Arc::new(locks.clone()));
        let plan = engine.plan(stack).await.map_err(|e| format!("plan of {}: {e}", stack.name()))?;
        let changes = plan.steps.iter().filter(|s| s.action != strata::Action::NoOp).count();
        if changes == 0 {
            engine.record_index(stack, &plan).await.map_err(|e| e.to_string())?;
        }
        if changes > 0 {
            let report = engine.apply(stack, plan).await;
            if !report.is_success() {
                return Err(format!("apply of {} failed: {:?}", stack.name(), report.counts()));
            }
        }
        Ok(changes)
    }
    .await;
    locks.release(stack.name(), &info).await.map_err(|e| e.to_string())?;
    result
}

/// One stack's no-op plan and re-apply figures.
pub struct CallFigures {
    pub stack: String,
    pub resources: usize,
    pub setup_s: f64,
    pub plan_reads: u64,
    /// The same no-op plan without the discovery index (every kind in every region).
    pub full_plan_reads: u64,
    pub plan_s: f64,
    pub reapply_mutating: u64,
    pub reapply_changes: usize,
    pub lock_calls: u64,
    pub lock_mutating: u64,
    pub by_operation: Vec<(String, String, u64)>,
}

impl CallFigures {
    pub fn per_resource(&self) -> f64 {
        self.plan_reads as f64 / self.resources.max(1) as f64
    }

    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "stack": self.stack, "resources": self.resources, "setup_apply_s": self.setup_s,
            "noop_plan_read_calls": self.plan_reads, "noop_plan_read_calls_without_index": self.full_plan_reads, "read_calls_per_resource": self.per_resource(), "noop_plan_s": self.plan_s,
            "reapply_mutating_calls": self.reapply_mutating, "reapply_changes": self.reapply_changes,
            "lock_calls": self.lock_calls, "lock_mutating_calls": self.lock_mutating,
            "noop_plan_calls_by_operation": self.by_operation.iter().map(|(s, o, n)| json!([s, o, n])).collect::<Vec<_>>(),
        })
    }
}

/// Apply `stack` on a reset moto (unlimited client rate, to set up fast),
/// then count the calls of a no-op plan and of a re-apply.
pub async fn calls_of(moto: &PrivateMoto, stack: &Stack) -> Result<CallFigures, String> {
    moto.reset()?;
    let t = Instant::now();
    let setup = connect(&moto.url, true, false).await?;
    apply_like_the_cli(&setup, &setup, stack).await?;
    let setup_s = t.elapsed().as_secs_f64();

    let full = connect(&moto.url, false, false).await?;
    let plan = engine(&full).plan(stack).await.map_err(|e| format!("full no-op plan of {}: {e}", stack.name()))?;
    if plan.has_changes() {
        return Err(format!("the full plan right after applying {} is not empty:\n{}", stack.name(), plan.render_text()));
    }
    let full = full.counter().snapshot();

    // As `plan` runs it: the index read (the caller identity names its bucket) is counted with the plan.
    let aws = connect(&moto.url, false, false).await?;
    let t = Instant::now();
    let index = strata::aws::s3::S3Locks::open_existing(&aws, stack.region()).await.map_err(|e| e.to_string())?;
    let plan = engine(&aws)
        .with_index(std::sync::Arc::new(index))
        .plan(stack)
        .await
        .map_err(|e| format!("no-op plan of {}: {e}", stack.name()))?;
    let plan_s = t.elapsed().as_secs_f64();
    let calls = aws.counter().snapshot();
    if plan.has_changes() {
        return Err(format!("the plan right after applying {} is not empty:\n{}", stack.name(), plan.render_text()));
    }
    if calls.mutating_calls() > 0 {
        return Err(format!("the no-op plan of {} made {} mutating calls", stack.name(), calls.mutating_calls()));
    }
    let resources = plan.steps.len();
    let by_operation = calls.rows.iter().map(|((s, o), c)| (s.clone(), o.clone(), c.calls)).collect();

    // Re-apply: the engine's calls and the lock's, each on its own counter.
    let aws = connect(&moto.url, false, false).await?;
    let lock_aws = connect(&moto.url, false, false).await?;
    let reapply_changes = apply_like_the_cli(&lock_aws, &aws, stack).await?;
    let lock = lock_aws.counter().snapshot();
    Ok(CallFigures {
        stack: stack.name().to_string(),
        resources,
        setup_s,
        plan_reads: calls.total_calls() - calls.mutating_calls(),
        full_plan_reads: full.total_calls() - full.mutating_calls(),
        plan_s,
        reapply_mutating: aws.counter().snapshot().mutating_calls(),
        reapply_changes,
        lock_calls: lock.total_calls(),
        lock_mutating: lock.mutating_calls(),
        by_operation,
    })
}

/// `prod` applied by strata against the same calls made one after another.
pub struct EndToEnd {
    pub strata_s: f64,
    pub calls: usize,
    pub sum_of_call_s: f64,
    /// Time with at least one call in flight.
    pub busy_s: f64,
    pub straight_line_s: f64,
    pub replay_differences: usize,
    pub unmatched_answers: usize,
}

impl EndToEnd {
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "strata_apply_s": self.strata_s, "calls": self.calls, "sum_of_call_latencies_s": self.sum_of_call_s,
            "time_with_calls_in_flight_s": self.busy_s,
            "straight_line_s": self.straight_line_s, "ratio": self.strata_s / self.straight_line_s,
            "replay_status_differences": self.replay_differences, "replay_unmatched_answers": self.unmatched_answers,
        })
    }
}

pub async fn end_to_end(moto: &PrivateMoto, stack: &Stack) -> Result<EndToEnd, String> {
    moto.reset()?;
    // What a user gets: AWS's rate buckets, parallelism 16.
    let aws = connect(&moto.url, false, true).await?;
    let t = Instant::now();
    apply_like_the_cli(&aws, &aws, stack).await?;
    let strata_s = t.elapsed().as_secs_f64();
    let recorded = aws.exchanges();
    let sum_of_call_s = recorded.iter().map(|e| e.seconds).sum();
    let busy_s = busy_time(&recorded);
    // The call timeline, for a look at where the time went.
    let timeline: Vec<_> = recorded.iter().map(|e| json!([e.service, e.operation, e.started_s, e.seconds, e.status])).collect();
    let _ = std::fs::write(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-e2e-timeline.json"),
        serde_json::to_string(&timeline).unwrap_or_default(),
    );

    moto.reset()?;
    let (straight_line_s, replay_differences, unmatched_answers) = replay(&recorded).await?;
    Ok(EndToEnd { strata_s, calls: recorded.len(), sum_of_call_s, busy_s, straight_line_s, replay_differences, unmatched_answers })
}

/// The length of the union of the calls' intervals.
fn busy_time(exchanges: &[Exchange]) -> f64 {
    let mut spans: Vec<(f64, f64)> = exchanges.iter().map(|e| (e.started_s, e.started_s + e.seconds)).collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut total, mut current): (f64, Option<(f64, f64)>) = (0.0, None);
    for (a, b) in spans {
        current = match current {
            Some((s, e)) if a <= e => Some((s, e.max(b))),
            Some((s, e)) => {
                total += e - s;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    total + current.map_or(0.0, |(s, e)| e - s)
}

/// Send the recorded requests one after another. Ids in the answers (any
/// token that differs between the recorded and the new answer at the same
/// place) are mapped, and the mapping is applied to every later request.
/// Returns the wall time, the answers whose status differs from the recorded
/// one, and the answers whose tokens could not be aligned.
async fn replay(recorded: &[Exchange]) -> Result<(f64, usize, usize), String> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let limiter = RateLimiter::default();
    let mut ids: HashMap<String, String> = HashMap::new();
    let (mut differences, mut unmatched) = (0, 0);
    let t = Instant::now();
    for e in recorded {
        let uri = substitute(&e.uri, &ids);
        let body = match std::str::from_utf8(&e.body) {
            Ok(text) => substitute(text, &ids).into_bytes(),
            Err(_) => e.body.clone(),
        };
        let mut request = hyper::Request::builder().method(e.method.as_str()).uri(uri.as_str());
        for (k, v) in &e.headers {
            if !matches!(k.to_ascii_lowercase().as_str(), "content-length" | "host" | "expect" | "transfer-encoding") {
                request = request.header(k.as_str(), substitute(v, &ids));
            }
        }
        let request = request.body(Full::new(Bytes::from(body))).map_err(|err| format!("replay of {}: {err}", e.operation))?;
        limiter.acquire(&e.service, &e.operation, &e.region).await;
        let response = client.request(request).await.map_err(|err| format!("replay of {} {}: {err}", e.service, e.operation))?;
        let status = response.status().as_u16();
        let answer = response.into_body().collect().await.map_err(|err| err.to_string())?.to_bytes();
        if status != e.status {
            differences += 1;
        }
        let (old, new) = (String::from_utf8_lossy(&e.response), String::from_utf8_lossy(&answer));
        let (old_tokens, new_tokens) = (tokens(&old), tokens(&new));
        if old_tokens.len() == new_tokens.len() {
            for (a, b) in old_tokens.iter().zip(&new_tokens) {
                if a != b && a.len() >= 4 {
                    ids.insert(a.to_string(), b.to_string());
                }
            }
        } else {
            unmatched += 1;
        }
    }
    Ok((t.elapsed().as_secs_f64(), differences, unmatched))
}

/// Byte ranges of the tokens of `text`: runs of ASCII letters, digits, `-`
/// and `_`; a percent-escape (`%2F`) separates tokens like the character it
/// stands for.
fn token_ranges(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut start) = (0, None);
    while i < b.len() {
        let escape = b[i] == b'%'
            && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        let word = !escape && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b'_');
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
        i += if escape { 3 } else { 1 };
    }
    if let Some(s) = start {
        out.push((s, b.len()));
    }
    out
}

fn tokens(text: &str) -> Vec<&str> {
    token_ranges(text).into_iter().map(|(a, b)| &text[a..b]).collect()
}

/// `text` with every token that is a key of `ids` replaced by its value.
fn substitute(text: &str, ids: &HashMap<String, String>) -> String {
    if ids.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (a, b) in token_ranges(text) {
        if let Some(new) = ids.get(&text[a..b]) {
            out.push_str(&text[last..a]);
            out.push_str(new);
            last = b;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Start the private moto: `STRATA_BENCH_MOTO_PORT` (default 5078).
pub fn start_moto() -> Result<PrivateMoto, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let port = std::env::var("STRATA_BENCH_MOTO_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5078);
    // Certificates issued at once: moto's stand-in for DNS validation would
    // otherwise add a fixed wait that only strata (which polls) sits through.
    PrivateMoto::start(&root, port, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_stacks_have_exactly_n_resources() {
        for n in [100, 1_000, 5_000, 7, 2] {
            // The AMI lookup is a declaration, not a managed resource.
            let managed = synthetic(n).resources().iter().filter(|d| !d.is_lookup()).count();
            assert_eq!(managed, n, "n = {n}");
        }
    }

    #[test]
    fn busy_time_is_the_union_of_call_intervals() {
        let e = |started_s: f64, seconds: f64| Exchange { started_s, seconds, ..Exchange::default() };
        assert_eq!(busy_time(&[]), 0.0);
        assert_eq!(busy_time(&[e(0.0, 1.0), e(0.5, 1.0), e(3.0, 1.0)]), 2.5);
        assert_eq!(busy_time(&[e(2.0, 1.0), e(0.0, 5.0)]), 5.0);
    }

    #[test]
    fn tokens_split_on_escapes_and_punctuation() {
        assert_eq!(
            tokens("Arn=arn%3Aaws%3Aelb%3Aloadbalancer%2Fapp%2Fweb%2F50dc6c495c0c9188&VpcId=vpc-1a2b"),
            ["Arn", "arn", "aws", "elb", "loadbalancer", "app", "web", "50dc6c495c0c9188", "VpcId", "vpc-1a2b"]
        );
        assert_eq!(tokens("<VpcId>vpc-12</VpcId>"), ["VpcId", "vpc-12", "VpcId"]);
    }

    #[test]
    fn substitution_replaces_whole_tokens_only() {
        let ids = HashMap::from([("vpc-12".to_string(), "vpc-99".to_string())]);
        assert_eq!(substitute("VpcId=vpc-12&Other=vpc-123", &ids), "VpcId=vpc-99&Other=vpc-123");
        assert_eq!(substitute("/hostedzone/vpc-12%2Fx", &ids), "/hostedzone/vpc-99%2Fx");
    }
}
