//! Fault injection below the SDK (`strata_aws::faults`): the SDK sees AWS-shaped
//! throttles (`RequestLimitExceeded`, `Throttling`, HTTP 429), 500/503 answers,
//! slow answers, and EC2 `Invalid…ID.NotFound` for ids created a moment ago,
//! exactly as it would from AWS. At a 30 % fault rate the Miamo prod stack
//! still deploys, converges and is destroyed, and the report shows the retries.

use strata::aws::faults::FaultPlan;
use strata::aws::{Aws, AwsSettings};
use strata::engine::{CallCounter, Engine};
use strata_aws_testkit::{unique_stack, Emulator};

use crate::inventory::tagged_with;
use crate::miamo_prod;

const REGION: &str = "eu-central-1";

async fn connect(url: &str, faults: Option<FaultPlan>) -> Aws {
    let settings = AwsSettings {
        region: Some(REGION.into()),
        endpoint_url: Some(url.into()),
        static_credentials: Some(("test".into(), "test".into())),
        faults,
        ..AwsSettings::default()
    };
    Aws::connect(settings).await.unwrap()
}

fn engine(aws: &Aws) -> Engine {
    crate::support::fast_engine(aws)
}

#[tokio::test(flavor = "multi_thread")]
async fn miamo_prod_converges_with_30_percent_faults_on_moto() {
    let url = strata_aws_testkit::full_stack_endpoint();
    let tag = unique_stack("f").replace('-', "");
    let tag = format!("f{}", &tag[tag.len().saturating_sub(10)..]);
    let mut env = miamo_prod::settings().isolated(&tag);
    if let Some(d) = &mut env.data {
        d.protect = false; // destroyed at the end
    }
    let stack = miamo_prod::miamo::stack(&env);
    let seed = std::process::id() as u64;
    let plan = FaultPlan { rate: 0.3, seed, slow: std::time::Duration::from_millis(300), ..FaultPlan::new(0.3) };

    // Apply under faults.
    let faulty = connect(&url, Some(plan.clone())).await;
    let strata = engine(&faulty);
    let mut report = strata.apply(&stack, strata.plan(&stack).await.unwrap()).await;
    // The runner attaches the call counts to the report the same way.
    report.api_calls = Some(faulty.counter().snapshot());
    let rendered = strata::cli::render_report(&report);
    let stats = faulty.fault_stats().unwrap();
    eprintln!("seed {seed}: {stats}\n{rendered}");
    assert!(report.is_success(), "seed {seed}, {stats}:\n{rendered}");
    let calls = report.api_calls.clone().unwrap();
    for kind in ["throttle", "429", "5xx", "slow", "not-found"] {
        assert!(stats.injected.get(kind).copied().unwrap_or(0) > 0, "no `{kind}` fault was injected: {stats}");
    }
    let refused = ["throttle", "429", "5xx"].iter().map(|k| stats.injected.get(*k).copied().unwrap_or(0)).sum::<u64>();
    // Every throttle and 5xx answer was retried by the SDK, and the report says so.
    assert!(calls.retries() >= refused, "{} retries for {refused} refused requests:\n{rendered}", calls.retries());
    assert!(calls.throttles() > 0, "{rendered}");
    assert!(rendered.contains("retries") && rendered.contains("throttled"), "{rendered}");

    // Converged: a plan under faults and a plan without faults both see no
    // change (discovery refuses two live resources with one logical name, so
    // a duplicate would fail these plans).
    let again = strata.plan(&stack).await.unwrap();
    assert!(!again.has_changes(), "seed {seed}: plan under faults after apply:\n{}", again.render_text());
    let clean = connect(&url, None).await;
    let clean_engine = engine(&clean);
    let before = clean.counter().snapshot();
    let plan = clean_engine.plan(&stack).await.unwrap();
    assert!(!plan.has_changes(), "seed {seed}: clean plan after apply:\n{}", plan.render_text());
    assert_eq!(clean.counter().snapshot().since(&before).mutating_calls(), 0);
    let inventory = tagged_with(&url, &env.stack).await;
    assert!(inventory.len() > 50, "{inventory:#?}");

    // Destroy under faults leaves nothing tagged with the stack.
    let report = strata.apply(&stack, strata.plan_destroy(&stack).await.unwrap()).await;
    assert!(report.is_success(), "seed {seed}, destroy:\n{}", strata::cli::render_report(&report));
    let left = tagged_with(&url, &env.stack).await;
    assert!(left.is_empty(), "seed {seed}: left behind: {left:#?}");
    eprintln!("seed {seed}: after destroy, {}", faulty.fault_stats().unwrap());
}

/// Credentials that expire in the middle of a run (every call answered
/// `ExpiredToken`) end the plan with one clear line, not a trace.
#[test]
fn expired_credentials_give_one_clear_line() {
    let out = std::process::Command::new(crate::cli::example("network"))
        .arg("plan")
        .env("AWS_ENDPOINT_URL", Emulator::Moto.url())
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("STRATA_INJECT_FAULTS", "rate=1,kinds=expired-token")
        .env_remove("AWS_PROFILE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "one error line: {stderr}");
    assert!(errors[0].contains("expired"), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("stack backtrace"), "{stderr}");
}
