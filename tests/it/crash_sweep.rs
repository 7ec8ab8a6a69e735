//! Crash consistency of the Miamo `prod` stack: the example binary is killed
//! with SIGKILL right after its k-th mutating API call, then run again to
//! completion. Every round must end with each declared resource existing once,
//! nothing new that is untagged or foreign to the stack, an empty plan, and a
//! destroy that leaves nothing behind.
//!
//! The sweep runs on a private moto server (its own port, reset before each
//! round) so that killed runs never disturb the other tests. `just test` runs
//! every `STRATA_CRASH_STRIDE`-th k (default 25); `just crash-sweep` runs every
//! k (`STRATA_CRASH_FROM` and `STRATA_CRASH_TO` bound it, `STRATA_CRASH_MOTO_PORT`
//! moves the private moto from 5077). Each round is one line on stderr and the
//! summary goes to `target/crash-sweep.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use strata_aws_testkit::PrivateMoto;

use crate::inventory::{everything, tagged_with};
use crate::miamo_prod;

const REGION: &str = "eu-central-1";

fn prod(url: &str, args: &[&str], kill_after: Option<u64>) -> Output {
    let mut c = Command::new(crate::cli::example("prod"));
    c.args(args)
        .env("AWS_ENDPOINT_URL", url)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env_remove("AWS_PROFILE")
        .env_remove("STRATA_INJECT_FAULTS")
        .stdin(Stdio::null());
    match kill_after {
        Some(k) => c.env("STRATA_TEST_KILL_AFTER_MUTATING_CALLS", k.to_string()),
        None => c.env_remove("STRATA_TEST_KILL_AFTER_MUTATING_CALLS"),
    };
    c.output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Items per kind (the first word of an inventory key).
fn kinds(items: &BTreeSet<String>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i.split(' ').next().unwrap_or_default().to_string()).or_default() += 1;
    }
    m
}

/// What a round found wrong (empty: consistent).
struct Checks {
    problems: Vec<String>,
}

/// After a complete apply: everything new since `baseline` is tagged with the
/// stack (or is a record with the stack's owner record, or the lock bucket),
/// and the tagged inventory has exactly the reference's count of each kind.
async fn check_applied(url: &str, stack: &str, baseline: &BTreeSet<String>, reference: Option<&BTreeMap<String, usize>>) -> (Checks, BTreeMap<String, usize>) {
    let mut c = Checks { problems: Vec::new() };
    let after = everything(url).await;
    let tagged = tagged_with(url, stack).await;
    for item in after.difference(baseline) {
        let mut words = item.split(' ');
        match words.next() {
            Some("record") => {
                let (zone, name, rtype) = (words.next().unwrap_or(""), words.next().unwrap_or(""), words.next().unwrap_or(""));
                if name.starts_with("_strata-") {
                    if !item.contains(&format!("\"strata-owner={stack}/")) {
                        c.problems.push(format!("an owner record of another stack: {item}"));
                    }
                    continue;
                }
                let owner = format!("record {zone} _strata-{}.{name} TXT \"strata-owner={stack}/", rtype.to_ascii_lowercase());
                if !after.iter().any(|i| i.starts_with(&owner)) {
                    c.problems.push(format!("a record without the stack's owner record: {item}"));
                }
            }
            Some("s3") if item.starts_with("s3 strata-locks-") => {}
            _ if tagged.contains(item) => {}
            _ => c.problems.push(format!("new and not tagged with the stack: {item}")),
        }
    }
    let counts = kinds(&tagged);
    if let Some(reference) = reference {
        if &counts != reference {
            c.problems.push(format!("tagged resources per kind differ from a clean apply: {counts:?} != {reference:?}"));
        }
    }
    (c, counts)
}

/// Turn the database's protection off in place, destroy, and check that
/// nothing tagged remains and the account is back to `baseline` (plus the lock
/// bucket).
async fn destroy_and_check(url: &str, stack: &str, baseline: &BTreeSet<String>, c: &mut Checks) {
    let aws = strata_aws_testkit::aws(url, REGION).await;
    let engine = crate::support::fast_engine(&aws);
    let mut env = miamo_prod::settings();
    if let Some(d) = &mut env.data {
        d.protect = false;
    }
    let unprotected = miamo_prod::miamo::stack(&env);
    let report = engine.apply(&unprotected, engine.plan(&unprotected).await.unwrap()).await;
    if !report.is_success() {
        c.problems.push(format!("turning protection off failed:\n{}", strata::cli::render_report(&report)));
        return;
    }
    let report = engine.apply(&unprotected, engine.plan_destroy(&unprotected).await.unwrap()).await;
    if !report.is_success() {
        c.problems.push(format!("destroy failed:\n{}", strata::cli::render_report(&report)));
    }
    let left = tagged_with(url, stack).await;
    if !left.is_empty() {
        c.problems.push(format!("left tagged after destroy: {left:?}"));
    }
    let after: BTreeSet<String> = everything(url).await.into_iter().filter(|i| !i.starts_with("s3 strata-locks-")).collect();
    let extra: Vec<&String> = after.difference(baseline).collect();
    if !extra.is_empty() {
        c.problems.push(format!("left in the account after destroy: {extra:?}"));
    }
}

struct Round {
    k: u64,
    killed: bool,
    killed_after: String,
    recovered_created: String,
    seconds: f64,
    problems: Vec<String>,
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_consistency_sweep_of_miamo_prod_on_moto() {
    let stride: u64 = std::env::var("STRATA_CRASH_STRIDE").ok().and_then(|s| s.parse().ok()).unwrap_or(25).max(1);
    let first: u64 = std::env::var("STRATA_CRASH_FROM").ok().and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let last: u64 = std::env::var("STRATA_CRASH_TO").ok().and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    let port: u16 = std::env::var("STRATA_CRASH_MOTO_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5077);
    let moto = PrivateMoto::start(Path::new(env!("CARGO_MANIFEST_DIR")), port, 2).unwrap();
    let url = moto.url.clone();
    let stack = miamo_prod::settings().stack;

    // Reference: a clean apply.
    moto.reset().unwrap();
    let baseline = everything(&url).await;
    let clean = prod(&url, &["apply", "--yes"], None);
    assert!(clean.status.success(), "clean apply failed:\n{}", text(&clean));
    let (checks, reference) = check_applied(&url, &stack, &baseline, None).await;
    assert!(checks.problems.is_empty(), "clean apply: {:#?}", checks.problems);
    assert!(reference.values().sum::<usize>() > 50, "{reference:?}");
    let mut c = Checks { problems: Vec::new() };
    destroy_and_check(&url, &stack, &baseline, &mut c).await;
    assert!(c.problems.is_empty(), "clean destroy: {:#?}", c.problems);

    let mut rounds: Vec<Round> = Vec::new();
    let mut k = first;
    while k <= last {
        let started = Instant::now();
        moto.reset().unwrap();
        let baseline = everything(&url).await;
        let crashed = prod(&url, &["apply", "--yes"], Some(k));
        let killed = crashed.status.signal() == Some(9);
        let crash_text = text(&crashed);
        if !killed {
            // k is past the last mutating call: the sweep is over.
            assert!(crashed.status.success(), "k={k}: neither killed nor successful:\n{crash_text}");
            eprintln!("k={k}: the apply completed before a {k}th mutating call; sweep over");
            break;
        }
        let killed_after = crash_text
            .lines()
            .find_map(|l| l.split_once("after mutating call ").map(|(_, r)| r.to_string()))
            .unwrap_or_default();
        let rerun = prod(&url, &["apply", "--yes"], None);
        let mut checks = Checks { problems: Vec::new() };
        let rerun_text = text(&rerun);
        if !rerun.status.success() {
            checks.problems.push(format!("the apply after the crash failed:\n{rerun_text}"));
        }
        let recovered_created = rerun_text.lines().find(|l| l.starts_with("Apply complete")).unwrap_or("").to_string();
        let plan = prod(&url, &["plan", "--detailed-exitcode"], None);
        if plan.status.code() != Some(0) {
            checks.problems.push(format!("the plan after recovery is not empty:\n{}", text(&plan)));
        }
        let (applied, _) = check_applied(&url, &stack, &baseline, Some(&reference)).await;
        checks.problems.extend(applied.problems);
        destroy_and_check(&url, &stack, &baseline, &mut checks).await;
        let round = Round {
            k,
            killed,
            killed_after,
            recovered_created,
            seconds: started.elapsed().as_secs_f64(),
            problems: checks.problems,
        };
        eprintln!(
            "k={:>3} killed after {:<40} | rerun: {} | {:.1}s | {}",
            round.k,
            round.killed_after,
            round.recovered_created,
            round.seconds,
            if round.problems.is_empty() { "consistent".to_string() } else { format!("{} PROBLEMS", round.problems.len()) }
        );
        rounds.push(round);
        k += stride;
    }
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/crash-sweep.json");
    let rounds_json: Vec<serde_json::Value> = rounds
        .iter()
        .map(|r| serde_json::json!({ "k": r.k, "killed": r.killed, "killed_after": r.killed_after, "rerun": r.recovered_created, "seconds": r.seconds, "problems": r.problems }))
        .collect();
    let summary = serde_json::json!({ "stride": stride, "reference": reference, "rounds": rounds_json });
    let _ = std::fs::write(&target, serde_json::to_string_pretty(&summary).unwrap_or_default());
    assert!(!rounds.is_empty(), "no round was run");
    let failed: Vec<&Round> = rounds.iter().filter(|r| !r.problems.is_empty()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} rounds inconsistent:\n{}",
        failed.len(),
        rounds.len(),
        failed.iter().map(|r| format!("k={}: {:#?}", r.k, r.problems)).collect::<Vec<_>>().join("\n")
    );
}
