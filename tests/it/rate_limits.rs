//! Client-side rate limiting keeps a large apply inside AWS's published EC2
//! bucket (mutating calls: burst 50, refill 5 per second), measured on moto
//! with a 300-resource stack (a VPC and 299 subnets).

use strata::aws::ec2::{Subnet, Vpc};
use strata::aws::{is_mutating, Aws, AwsSettings};
use strata::aws::ratelimit::RateLimiter;
use strata::engine::{CallCounter, Engine};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

#[tokio::test(flavor = "multi_thread")]
async fn ec2_mutating_calls_never_outrun_the_bucket() {
    let url = Emulator::Moto.url();
    let name = unique_stack("rate");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = Engine::new(strata::aws::registry(&aws));
    let mut s = Stack::new(&name, "eu-central-1");
    let vpc = s.add("vpc", Vpc::new("10.50.0.0/16"));
    for i in 0..299 {
        let az = if i % 2 == 0 { "eu-central-1a" } else { "eu-central-1b" };
        s.add(format!("subnet-{i}"), Subnet::new(vpc.id(), format!("10.50.{}.{}/26", i / 4, (i % 4) * 64), az));
    }
    assert_eq!(s.resources().len(), 300);
    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    eprintln!("300 resources applied in {:.1}s", report.elapsed.as_secs_f64());

    // Clean up without the limiter: only the apply is measured.
    let unlimited = Aws::connect(AwsSettings {
        region: Some("eu-central-1".into()),
        endpoint_url: Some(url.clone()),
        static_credentials: Some(("test".into(), "test".into())),
        rate_limiter: RateLimiter::new(|_, _| None),
        ..AwsSettings::default()
    })
    .await
    .unwrap();
    let cleanup = Engine::new(strata::aws::registry(&unlimited));
    let plan = cleanup.plan_destroy(&s).await.unwrap();
    assert!(cleanup.apply(&s, plan).await.is_success());

    let log = aws.send_log();
    let mut sent: Vec<_> = log.iter().filter(|(svc, op, _)| svc == "ec2" && is_mutating(op)).map(|(_, _, t)| *t).collect();
    sent.sort();
    // Every EC2 request went through the limiter (the interceptor counts independently).
    let counted: u64 = counter
        .snapshot()
        .rows
        .iter()
        .filter(|((svc, _), _)| svc == "EC2")
        .map(|(_, c)| c.calls + c.retries)
        .sum();
    let logged = log.iter().filter(|(svc, _, _)| svc == "ec2").count() as u64;
    if logged != counted {
        let mut by_op = std::collections::BTreeMap::<String, (u64, u64)>::new();
        for (svc, op, _) in &log {
            if svc == "ec2" {
                by_op.entry(op.clone()).or_default().0 += 1;
            }
        }
        for ((svc, op), c) in &counter.snapshot().rows {
            if svc == "EC2" {
                by_op.entry(op.clone()).or_default().1 += c.calls + c.retries;
            }
        }
        panic!("logged vs counted per operation: {by_op:?}");
    }
    assert!(sent.len() >= 300, "one mutating call per resource at least: {}", sent.len());
    // Token-bucket property: any run of k calls spanning t seconds has k <= 50 + 5 t.
    for i in 0..sent.len() {
        for j in i..sent.len() {
            let k = (j - i + 1) as f64;
            let t = (sent[j] - sent[i]).as_secs_f64();
            assert!(k <= 50.0 + 5.0 * t + 1.0, "{k} calls in {t:.2}s exceed the EC2 bucket");
        }
    }
    let span = (sent[sent.len() - 1] - sent[0]).as_secs_f64();
    assert!(span >= (sent.len() as f64 - 100.0) / 5.0, "the limiter waited: {span:.1}s for {} calls", sent.len());
}
