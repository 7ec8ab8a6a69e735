//! `strata-bench`: measures what the engine's design buys.
//!
//! - **Scheduling efficiency**: apply wall time over the critical-path lower
//!   bound (the longest dependency chain of latencies), on the in-memory cloud
//!   with per-kind latencies from `shared/design/aws-timings.md` (typical
//!   values), for a Miamo-prod-shaped DAG and a random 500-node DAG, at
//!   parallelism 16 and 4; against a sequential baseline and a level-by-level
//!   (barrier) scheduler. Time is tokio's paused clock, so the figures are exact
//!   schedule lengths, independent of machine load; they are reported in
//!   simulated minutes.
//! - **Scheduling under AWS's rate buckets**: a DAG of fast EC2 objects (1-5
//!   simulated seconds each) whose creates draw from a bucket shaped like EC2's
//!   mutating one (burst 50, refill 5 per simulated second): wall time over a
//!   lower bound that includes the bucket, `(n - 50) / 5`, and a check over
//!   every window of the simulated calls that none outran the bucket.
//! - **Engine overhead**: plan and apply of 10,000 (and, without `--quick`,
//!   100,000) resources against a zero-latency in-memory cloud, in real time,
//!   with peak RSS.
//!
//! - **API calls of a no-op plan** and **end to end** on a private moto server
//!   (see [`aws`]); skipped with `--no-aws`.
//! - **Build time**: with `--build`, `scripts/bench-build.sh` (cold build of
//!   the `prod` example against an SDK-only floor, and of the network-only
//!   feature set); without it, the figures of its last run, if any.
//!
//! Usage: `strata-bench [--quick] [--no-aws] [--build] [--json PATH]`.
//! Correctness checks (a no-op plan that is not empty, a re-apply that
//! mutates, a simulated schedule that outruns the bucket) fail the run.

mod aws;

use std::collections::BTreeMap;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use strata_core::{Input, Stack};
use strata_engine::memory::{MemoryCloud, Thing};
use strata_engine::ratelimit::TokenBucket;
use strata_engine::{Engine, EngineConfig};

/// Latency unit: one simulated second is one millisecond of (paused) tokio time.
const MS_PER_SIM_SECOND: i64 = 1;

/// A node of a synthetic DAG: latency in simulated seconds, dependencies.
struct Node {
    name: String,
    secs: i64,
    deps: Vec<usize>,
}

/// Typical create times from shared/design/aws-timings.md, in seconds.
fn miamo_prod() -> Vec<Node> {
    let mut v: Vec<Node> = Vec::new();
    let add = |name: &str, secs: i64, deps: &[&str], v: &mut Vec<Node>| {
        let deps = deps.iter().filter_map(|d| v.iter().position(|n| n.name == *d)).collect();
        v.push(Node { name: name.into(), secs, deps });
    };
    add("vpc", 10, &[], &mut v);
    for s in ["priv-a", "priv-b", "priv-c", "pub-b", "pub-c"] {
        add(s, 5, &["vpc"], &mut v);
    }
    add("igw", 5, &["vpc"], &mut v);
    add("eip-nat", 2, &[], &mut v);
    add("nat", 105, &["pub-b", "eip-nat"], &mut v);
    add("rt-public", 5, &["vpc", "igw", "pub-b", "pub-c"], &mut v);
    add("rt-private", 5, &["vpc", "nat", "priv-a", "priv-b", "priv-c"], &mut v);
    for sg in ["sg-alb", "sg-web", "sg-bastion", "sg-db", "sg-redis", "sg-es"] {
        add(sg, 5, &["vpc"], &mut v);
    }
    add("kms", 5, &[], &mut v);
    add("db-subnets", 5, &["priv-b", "priv-c"], &mut v);
    add("db-params", 5, &[], &mut v);
    add("rds", 1050, &["db-subnets", "db-params", "sg-db", "kms"], &mut v);
    add("cache-subnets", 5, &["priv-b", "priv-c"], &mut v);
    add("redis", 630, &["cache-subnets", "sg-redis", "kms"], &mut v);
    add("opensearch", 1500, &["priv-b", "priv-c", "sg-es", "kms"], &mut v);
    add("magento", 30, &["priv-b", "sg-web", "rt-private"], &mut v);
    add("bastion", 30, &["pub-b", "sg-bastion", "rt-public"], &mut v);
    add("eip-bastion", 2, &["bastion"], &mut v);
    add("cert-alb", 30, &[], &mut v);
    add("alb", 120, &["pub-b", "pub-c", "sg-alb"], &mut v);
    add("tg", 2, &["vpc", "magento"], &mut v);
    add("secret-header", 5, &[], &mut v);
    add("listener", 2, &["alb", "tg", "cert-alb"], &mut v);
    add("rule", 2, &["listener", "secret-header"], &mut v);
    add("cert-cf", 30, &[], &mut v);
    add("waf-logs", 5, &[], &mut v);
    add("ipset", 15, &[], &mut v);
    add("waf", 15, &["ipset"], &mut v);
    add("waf-logging", 5, &["waf", "waf-logs"], &mut v);
    add("cloudfront", 240, &["alb", "cert-cf", "waf", "secret-header"], &mut v);
    add("zone-public", 30, &[], &mut v);
    add("rec-www", 30, &["zone-public", "cloudfront"], &mut v);
    add("rec-apex", 30, &["zone-public", "cloudfront"], &mut v);
    add("zone-private", 30, &["vpc"], &mut v);
    for r in ["rec-db", "rec-redis", "rec-es", "rec-magento"] {
        let dep = match r {
            "rec-db" => "rds",
            "rec-redis" => "redis",
            "rec-es" => "opensearch",
            _ => "magento",
        };
        add(r, 30, &["zone-private", dep], &mut v);
    }
    add("backup-vault", 20, &["kms"], &mut v);
    add("backup-plan", 20, &[], &mut v);
    add("backup-selection", 5, &["backup-plan", "backup-vault", "rds", "magento"], &mut v);
    add("sns", 3, &[], &mut v);
    for a in ["al-cpu-web", "al-5xx", "al-unhealthy", "al-rds-storage", "al-rds-conn", "al-redis-cpu", "al-redis-evict", "al-es"] {
        let dep = match a {
            "al-cpu-web" => "magento",
            "al-5xx" | "al-unhealthy" => "tg",
            "al-rds-storage" | "al-rds-conn" => "rds",
            "al-redis-cpu" | "al-redis-evict" => "redis",
            _ => "opensearch",
        };
        add(a, 2, &["sns", dep], &mut v);
    }
    v
}

/// A random DAG: each node depends on up to 3 earlier nodes; latencies drawn
/// from the kinds in the timing table (mostly fast, a few slow).
fn random_dag(n: usize, seed: u64) -> Vec<Node> {
    let mut rng = StdRng::seed_from_u64(seed);
    let kinds: [(i64, u32); 9] =
        [(5, 40), (2, 15), (10, 10), (30, 12), (120, 8), (105, 5), (240, 4), (600, 4), (1050, 2)];
    let total: u32 = kinds.iter().map(|k| k.1).sum();
    (0..n)
        .map(|i| {
            let mut pick = rng.random_range(0..total);
            let mut secs = 5;
            for (s, w) in kinds {
                if pick < w {
                    secs = s;
                    break;
                }
                pick -= w;
            }
            let deps = random_deps(&mut rng, i, 3);
            Node { name: format!("n{i:04}"), secs, deps }
        })
        .collect()
}

/// Up to `most` distinct dependencies of node `i`, among the earlier nodes.
fn random_deps(rng: &mut StdRng, i: usize, most: usize) -> Vec<usize> {
    let mut deps = Vec::new();
    if i > 0 {
        for _ in 0..rng.random_range(0..=most) {
            deps.push(rng.random_range(0..i));
        }
    }
    deps.sort_unstable();
    deps.dedup();
    deps
}

fn critical_path(nodes: &[Node]) -> i64 {
    let mut finish = vec![0i64; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        finish[i] = n.secs + n.deps.iter().map(|&d| finish[d]).max().unwrap_or(0);
    }
    finish.into_iter().max().unwrap_or(0)
}

fn to_stack(nodes: &[Node], name: &str) -> Stack {
    let mut stack = Stack::new(name, "mem-1");
    let mut refs = Vec::with_capacity(nodes.len());
    for n in nodes {
        let mut thing = Thing::new().latency_ms(n.secs * MS_PER_SIM_SECOND);
        for (k, &d) in n.deps.iter().enumerate() {
            let r: &strata_core::Ref<Thing> = &refs[d];
            thing = thing.set(&format!("dep{k}"), Input::from(r.id()));
        }
        refs.push(stack.add(n.name.clone(), thing));
    }
    stack
}

/// Plan and apply `nodes` on `cloud` with strata's scheduler: the apply's
/// makespan in simulated seconds (inside a paused runtime).
async fn simulated_apply(cloud: &MemoryCloud, nodes: &[Node], parallelism: usize) -> f64 {
    let engine = Engine::new(cloud.registry()).with_config(EngineConfig { parallelism, ..EngineConfig::default() });
    let stack = to_stack(nodes, "bench");
    let plan = match engine.plan(&stack).await {
        Ok(p) => p,
        Err(e) => panic!("plan failed: {e}"),
    };
    let start = tokio::time::Instant::now();
    let report = engine.apply(&stack, plan).await;
    assert!(report.is_success(), "simulated apply failed");
    start.elapsed().as_secs_f64() * 1000.0 / MS_PER_SIM_SECOND as f64
}

/// strata's scheduler on the simulated cloud, in simulated seconds.
fn strata_schedule(nodes: &[Node], parallelism: usize) -> f64 {
    paused_runtime().block_on(simulated_apply(&MemoryCloud::new(), nodes, parallelism))
}

/// EC2's mutating-call bucket (shared/design/aws-timings.md), in simulated seconds.
const EC2_MUTATING_BURST: u32 = 50;
const EC2_MUTATING_PER_SECOND: f64 = 5.0;

/// A random DAG of fast objects (routes, rules, subnets: 1-5 s).
fn fast_dag(n: usize, seed: u64) -> Vec<Node> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let secs = match rng.random_range(0..10) {
                0..=4 => 1,
                5..=7 => 2,
                _ => 5,
            };
            let deps = random_deps(&mut rng, i, 2);
            Node { name: format!("f{i:04}"), secs, deps }
        })
        .collect()
}

/// strata's scheduler with creates drawing from EC2's mutating bucket: the
/// makespan in simulated seconds, and whether every window of k creates
/// starting within t seconds kept k <= burst + rate * t (+1 for rounding).
fn rate_limited_schedule(nodes: &[Node], parallelism: usize) -> (f64, bool) {
    let rt = paused_runtime();
    rt.block_on(async {
        let per_sim_second = 1000.0 / MS_PER_SIM_SECOND as f64;
        let cloud = MemoryCloud::new()
            .with_mutation_bucket(TokenBucket::new(EC2_MUTATING_BURST, EC2_MUTATING_PER_SECOND * per_sim_second));
        let makespan = simulated_apply(&cloud, nodes, parallelism).await;
        let mut starts: Vec<f64> =
            cloud.timeline().iter().filter(|s| s.op == "create").map(|s| s.start.as_secs_f64() * per_sim_second).collect();
        starts.sort_by(f64::total_cmp);
        let mut within = true;
        for i in 0..starts.len() {
            for j in i..starts.len() {
                let k = (j - i + 1) as f64;
                if k > f64::from(EC2_MUTATING_BURST) + EC2_MUTATING_PER_SECOND * (starts[j] - starts[i]) + 1.0 {
                    within = false;
                }
            }
        }
        (makespan, within)
    })
}

/// A level-by-level scheduler: all of level k (by depth) must finish before
/// level k+1 starts; within a level, `parallelism` at a time, longest first.
fn barrier_schedule(nodes: &[Node], parallelism: usize) -> f64 {
    let mut depth = vec![0usize; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        depth[i] = n.deps.iter().map(|&d| depth[d] + 1).max().unwrap_or(0);
    }
    let mut levels: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        levels.entry(depth[i]).or_default().push(n.secs);
    }
    levels.values().map(|l| list_schedule(l, parallelism)).sum::<i64>() as f64
}

/// Makespan of independent jobs on `p` workers, longest first.
fn list_schedule(jobs: &[i64], p: usize) -> i64 {
    let mut jobs = jobs.to_vec();
    jobs.sort_unstable_by(|a, b| b.cmp(a));
    let mut workers = vec![0i64; p.max(1)];
    for j in jobs {
        if let Some(w) = workers.iter_mut().min() {
            *w += j;
        }
    }
    workers.into_iter().max().unwrap_or(0)
}

fn paused_runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build() {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build runtime: {e}"),
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Plan and apply `n` zero-latency resources (each depending on up to two
/// earlier ones), in real time.
fn engine_overhead(n: usize) -> (f64, f64, f64) {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build runtime: {e}"),
    };
    let nodes: Vec<Node> = random_dag(n, 7).into_iter().map(|mut x| {
        x.secs = 0;
        x.deps.truncate(2);
        x
    }).collect();
    rt.block_on(async {
        let cloud = MemoryCloud::new();
        let engine = Engine::new(cloud.registry())
            .with_config(EngineConfig { parallelism: 16, ..EngineConfig::default() });
        let stack = to_stack(&nodes, "overhead");
        let t = Instant::now();
        let plan = match engine.plan(&stack).await {
            Ok(p) => p,
            Err(e) => panic!("plan failed: {e}"),
        };
        let plan_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let report = engine.apply(&stack, plan).await;
        let apply_s = t.elapsed().as_secs_f64();
        assert!(report.is_success());
        (plan_s, apply_s, peak_rss_mib())
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let json_path = args
        .iter()
        .position(|a| a == "--json")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| "target/strata-bench.json".to_string());

    let mut results = serde_json::Map::new();
    println!("== Scheduling efficiency (wall time / lower bound; 1.00 is optimal)");
    println!("   lower bound = max(critical path, total work / parallelism)");
    println!("{:<14} {:>5} {:>10} {:>9} {:>9} {:>11} {:>9}", "dag", "nodes", "bound(min)", "parallel", "strata", "barrier", "sequential");
    let dags: Vec<(&str, Vec<Node>)> =
        vec![("miamo-prod", miamo_prod()), ("random-500", random_dag(if quick { 120 } else { 500 }, 42))];
    let mut sched = Vec::new();
    for (name, nodes) in &dags {
        let cp = critical_path(nodes) as f64;
        let sequential: f64 = nodes.iter().map(|n| n.secs as f64).sum();
        for p in [16usize, 4] {
            let bound = cp.max(sequential / p as f64);
            let strata = strata_schedule(nodes, p);
            let barrier = barrier_schedule(nodes, p);
            println!(
                "{:<14} {:>5} {:>10.1} {:>9} {:>9.3} {:>11.3} {:>9.3}",
                name,
                nodes.len(),
                bound / 60.0,
                p,
                strata / bound,
                barrier / bound,
                sequential / bound
            );
            sched.push(json!({
                "dag": name, "nodes": nodes.len(), "parallelism": p,
                "critical_path_s": cp, "lower_bound_s": bound, "strata_s": strata, "barrier_s": barrier, "sequential_s": sequential,
                "strata_ratio": strata / bound, "barrier_ratio": barrier / bound, "sequential_ratio": sequential / bound,
            }));
        }
    }
    results.insert("scheduling".into(), json!(sched));

    println!("\n== Scheduling under EC2's mutating bucket (burst {EC2_MUTATING_BURST}, {EC2_MUTATING_PER_SECOND}/s)");
    println!("   lower bound = max(critical path, total work / parallelism, (n - burst) / rate)");
    println!("{:<14} {:>5} {:>10} {:>9} {:>9} {:>14}", "dag", "nodes", "bound(s)", "parallel", "strata", "inside bucket");
    let fast = fast_dag(if quick { 200 } else { 500 }, 7);
    let mut rated = Vec::new();
    for p in [16usize, 4] {
        let cp = critical_path(&fast) as f64;
        let work: f64 = fast.iter().map(|n| n.secs as f64).sum();
        let by_rate = (fast.len() as f64 - f64::from(EC2_MUTATING_BURST)).max(0.0) / EC2_MUTATING_PER_SECOND;
        let bound = cp.max(work / p as f64).max(by_rate);
        let (took, within) = rate_limited_schedule(&fast, p);
        println!("{:<14} {:>5} {:>10.1} {:>9} {:>9.3} {:>14}", "fast-ec2", fast.len(), bound, p, took / bound, within);
        assert!(within, "the simulated creates outran the bucket");
        rated.push(json!({
            "dag": "fast-ec2", "nodes": fast.len(), "parallelism": p, "critical_path_s": cp, "work_over_parallelism_s": work / p as f64,
            "rate_bound_s": by_rate, "lower_bound_s": bound, "strata_s": took, "strata_ratio": took / bound, "inside_bucket": within,
        }));
    }
    results.insert("rate_limited_scheduling".into(), json!(rated));

    println!("\n== Engine overhead (zero-latency in-memory cloud, real time)");
    println!("{:>9} {:>9} {:>9} {:>13} {:>13}", "resources", "plan(s)", "apply(s)", "µs/resource", "peak RSS MiB");
    let sizes: &[usize] = if quick { &[1_000, 10_000] } else { &[10_000, 100_000] };
    let mut overhead = Vec::new();
    for &n in sizes {
        let (plan_s, apply_s, rss) = engine_overhead(n);
        let per = (plan_s + apply_s) / n as f64 * 1e6;
        println!("{n:>9} {plan_s:>9.3} {apply_s:>9.3} {per:>13.1} {rss:>13.1}");
        overhead.push(json!({ "resources": n, "plan_s": plan_s, "apply_s": apply_s, "us_per_resource": per, "peak_rss_mib": rss }));
    }
    results.insert("engine_overhead".into(), json!(overhead));

    let mut failed = false;
    if !args.iter().any(|a| a == "--no-aws") {
        match aws_sections(quick) {
            Ok((calls, e2e)) => {
                results.insert("noop_plan_api_calls".into(), json!(calls));
                results.insert("end_to_end".into(), e2e);
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }

    let build = build_section(args.iter().any(|a| a == "--build"));
    results.insert("build".into(), json!(build));
    results.insert("quick".into(), json!(quick));

    let text = serde_json::to_string_pretty(&serde_json::Value::Object(results)).unwrap_or_default();
    if let Some(dir) = std::path::Path::new(&json_path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&json_path, text) {
        Ok(()) => println!("\nwrote {json_path}"),
        Err(e) => eprintln!("could not write {json_path}: {e}"),
    }
    if failed {
        std::process::exit(1);
    }
}

/// The no-op plan and end-to-end sections, on a private moto.
fn aws_sections(quick: bool) -> Result<(Vec<serde_json::Value>, serde_json::Value), String> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    let moto = aws::start_moto()?;
    rt.block_on(async {
        println!("\n== API calls of a no-op plan (moto 5.2.5; targets: prod at most 40 read calls, < 0.05 per resource at 1,000)");
        println!(
            "{:<18} {:>9} {:>10} {:>10} {:>12} {:>9} {:>12} {:>10} {:>9}",
            "stack", "resources", "read calls", "no index", "per resource", "plan(s)", "re-apply mut", "lock calls", "setup(s)"
        );
        let mut stacks = vec![aws::prod(), aws::synthetic(100)];
        if !quick {
            stacks.push(aws::synthetic(1_000));
            stacks.push(aws::synthetic(5_000));
        }
        let mut rows = Vec::new();
        for stack in &stacks {
            let f = aws::calls_of(&moto, stack).await?;
            println!(
                "{:<18} {:>9} {:>10} {:>10} {:>12.3} {:>9.2} {:>12} {:>10} {:>9.1}",
                f.stack, f.resources, f.plan_reads, f.full_plan_reads, f.per_resource(), f.plan_s, f.reapply_mutating, f.lock_calls, f.setup_s
            );
            if f.stack == "miamo-prod" {
                println!("   prod: {} read calls (without the index {}): target of at most 40 {}", f.plan_reads, f.full_plan_reads, if f.plan_reads <= 40 { "met" } else { "NOT met" });
            }
            if f.reapply_mutating > 0 || f.reapply_changes > 0 {
                return Err(format!(
                    "re-applying {} changed {} resources with {} mutating calls (must be 0)",
                    f.stack, f.reapply_changes, f.reapply_mutating
                ));
            }
            rows.push(f.to_json());
        }
        if let Some(at_1000) = rows.iter().find(|r| r["resources"] == 1_000) {
            let per = at_1000["read_calls_per_resource"].as_f64().unwrap_or(f64::MAX);
            println!("   1,000 resources: {per:.3} read calls per resource: target {}", if per < 0.05 { "met" } else { "NOT met" });
        }

        println!("\n== End to end: apply of prod on moto, strata against the same calls one after another");
        let e = aws::end_to_end(&moto, &aws::prod()).await?;
        println!(
            "   strata {:.2} s; straight line {:.2} s ({} calls, replayed in order); ratio {:.2}",
            e.strata_s,
            e.straight_line_s,
            e.calls,
            e.strata_s / e.straight_line_s
        );
        println!(
            "   (strata: calls in flight during {:.2} s, sum of call latencies {:.2} s; replayed answers with another status than recorded: {}, not aligned: {})",
            e.busy_s, e.sum_of_call_s, e.replay_differences, e.unmatched_answers
        );
        Ok((rows, e.to_json()))
    })
}

/// Cold build figures: run `scripts/bench-build.sh` (`run`), or read the
/// figures of its last run.
fn build_section(run: bool) -> Vec<serde_json::Value> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    println!("\n== Cold build (debug; floor = an empty binary with the same SDK crates)");
    for (example, features) in [("prod", "default"), ("network", "ec2")] {
        let json_path = root.join(format!("target/bench-build-{example}.json"));
        if run {
            let status = std::process::Command::new(root.join("scripts/bench-build.sh"))
                .args([example, features])
                .arg(&json_path)
                .status();
            if !status.is_ok_and(|s| s.success()) {
                eprintln!("error: scripts/bench-build.sh {example} {features} failed");
                continue;
            }
        }
        let Some(v) = std::fs::read_to_string(&json_path).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        else {
            println!("   {example}: not measured (run `just bench-build`)");
            continue;
        };
        println!(
            "   {:<8} floor {:>6.1} s, strata {:>6.1} s, overhead {:>5.1} %  ({}, commit {}{})",
            example,
            v["floor_s"].as_f64().unwrap_or(0.0),
            v["strata_s"].as_f64().unwrap_or(0.0),
            v["overhead_pct"].as_f64().unwrap_or(0.0),
            v["date"].as_str().unwrap_or("?"),
            v["commit"].as_str().unwrap_or("?"),
            if run { "" } else { ", from the last `just bench-build`" }
        );
        out.push(v);
    }
    out
}
