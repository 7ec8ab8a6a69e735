//! The API-call report counts what the emulator actually received.

use strata::engine::{CallCounter, Engine};
use strata::prelude::*;
use strata_aws_testkit::unique_stack;

use crate::network::small_network;
use crate::support::PrivateMoto;

#[tokio::test(flavor = "multi_thread")]
async fn call_counts_match_the_emulators_request_log() {
    let moto = PrivateMoto::start();
    let aws = strata_aws_testkit::aws(&moto.url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = Engine::new(strata::aws::registry(&aws));
    let stack: Stack = small_network(&unique_stack("calls"), Variant::Base);

    moto.start_recording();
    let before = counter.snapshot();
    let plan = engine.plan(&stack).await.unwrap();
    let report = engine.apply(&stack, plan).await;
    assert!(report.is_success(), "{report:?}");
    let destroy = engine.plan_destroy(&stack).await.unwrap();
    assert!(engine.apply(&stack, destroy).await.is_success());
    let counted = counter.snapshot().since(&before);

    // Every attempt (first tries and retries) is one request the server saw.
    let mut ours = std::collections::BTreeMap::new();
    for ((_service, op), c) in &counted.rows {
        *ours.entry(op.clone()).or_insert(0u64) += c.calls + c.retries;
    }
    let theirs = moto.recorded_actions();
    assert!(!theirs.is_empty());
    assert_eq!(ours, theirs, "counter vs moto's request log");
    assert!(counted.mutating_calls() > 0);
}

use crate::network::Variant;
