//! The discovery index on moto (`strata_engine::index`, kept by `S3Locks`
//! beside the stack's lock): a plan lists only what the program declares and
//! what the index says may hold something, and still finds what the program
//! dropped, in a region it no longer names.

use std::sync::Arc;

use strata::aws::ec2::Vpc;
use strata::engine::index::IndexStore;
use strata::engine::CallCounter;
use strata::prelude::*;
use strata::aws::s3::S3Locks;
use strata_aws_testkit::unique_stack;

use crate::support::{fast_engine, PrivateMoto};

fn two_regions(name: &str, far: bool) -> Stack {
    let mut s = Stack::new(name, "eu-central-1");
    s.add("home", Vpc::new("10.10.0.0/16"));
    if far {
        s.add_with("far", Vpc::new("10.20.0.0/16"), ResourceOptions::default().region("eu-west-1"));
    }
    s
}

/// The read calls of one plan, by operation.
async fn plan_calls(engine: &strata::engine::Engine, counter: &dyn CallCounter, s: &Stack) -> (strata::Plan, std::collections::BTreeMap<String, u64>) {
    let before = counter.snapshot();
    let plan = engine.plan(s).await.unwrap();
    let mut calls = std::collections::BTreeMap::new();
    for ((_, op), c) in &counter.snapshot().since(&before).rows {
        *calls.entry(op.clone()).or_insert(0) += c.calls;
    }
    (plan, calls)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_index_narrows_the_plan_and_still_prunes_a_region_the_program_dropped() {
    let moto = PrivateMoto::start();
    let aws = strata_aws_testkit::aws(&moto.url, "eu-central-1").await;
    let counter = aws.counter();
    let store = Arc::new(S3Locks::open(&aws, "eu-central-1").await.unwrap());
    let plain = fast_engine(&aws);
    let indexed = fast_engine(&aws).with_index(store.clone());
    let name = unique_stack("index");

    let s = two_regions(&name, true);
    let report = indexed.apply(&s, indexed.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let ix = store.read_index(&name).await.unwrap().expect("the apply wrote the index");
    assert!(ix.holds("eu-central-1", "aws:ec2:Vpc") && ix.holds("eu-west-1", "aws:ec2:Vpc"), "{ix:?}");
    assert_eq!(ix.pairs().count(), 2, "only what holds something: {ix:?}");

    // A no-op plan: the full discovery lists every kind in both regions, the indexed one the VPCs only.
    let (p, full) = plan_calls(&plain, counter.as_ref(), &s).await;
    assert!(!p.has_changes(), "{}", p.render_text());
    let (p, narrow) = plan_calls(&indexed, counter.as_ref(), &s).await;
    assert!(!p.has_changes(), "{}", p.render_text());
    assert!(full.contains_key("DescribeDBInstances") && full.contains_key("DescribeLoadBalancers"), "{full:?}");
    assert!(!narrow.contains_key("DescribeDBInstances") && !narrow.contains_key("DescribeSecurityGroups"), "{narrow:?}");
    assert_eq!(narrow.get("DescribeVpcs"), Some(&2), "one list per region: {narrow:?}");
    assert_eq!(narrow.get("GetObject"), Some(&1), "the index itself: {narrow:?}");
    let (n, f) = (narrow.values().sum::<u64>(), full.values().sum::<u64>());
    assert!(n * 4 < f, "indexed {n} calls, full {f}");

    // The program drops eu-west-1 altogether: without the index the plan does
    // not look there (the VPC would be forgotten), with it the VPC is deleted.
    let s = two_regions(&name, false);
    let blind = plain.plan(&s).await.unwrap();
    assert!(blind.step("far").is_none(), "{}", blind.render_text());
    let plan = indexed.plan(&s).await.unwrap();
    let far = plan.step("far").expect("the index reaches eu-west-1");
    assert_eq!((far.action, far.region.as_str()), (strata::Action::Delete, "eu-west-1"), "{}", plan.render_text());
    let report = indexed.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let ix = store.read_index(&name).await.unwrap().unwrap();
    assert!(!ix.holds("eu-west-1", "aws:ec2:Vpc"), "{ix:?}");

    let report = indexed.apply(&s, indexed.plan_destroy(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(store.read_index(&name).await.unwrap().unwrap().pairs().count(), 0);
}

/// A stack whose index is lost: the scan of the account's regions through
/// the tagging API finds the region the program no longer names.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_index_is_made_up_for_by_a_scan_of_the_accounts_regions() {
    use strata::aws::ec2::regions::{regions_holding, RegionScan};
    use strata::engine::index::MemoryIndex;
    let moto = PrivateMoto::start();
    let aws = strata_aws_testkit::aws(&moto.url, "eu-central-1").await;
    let name = unique_stack("scan");
    let recorded = Arc::new(MemoryIndex::default());
    let engine = fast_engine(&aws).with_index(recorded.clone());
    let s = two_regions(&name, true);
    assert!(engine.apply(&s, engine.plan(&s).await.unwrap()).await.is_success());
    let found = regions_holding(&aws, "eu-central-1", &name).await.unwrap();
    assert_eq!(found.into_iter().collect::<Vec<_>>(), ["eu-central-1", "eu-west-1"]);
    assert!(regions_holding(&aws, "eu-central-1", "no-such-stack").await.unwrap().is_empty());

    // The recorded index is gone (a new, empty store); the program drops eu-west-1.
    let lost = Arc::new(MemoryIndex::default());
    let scanning = fast_engine(&aws).with_index(Arc::new(RegionScan::new(&aws, "eu-central-1", lost.clone())));
    let s = two_regions(&name, false);
    let plan = scanning.plan(&s).await.unwrap();
    let far = plan.step("far").expect("the scan reaches eu-west-1");
    assert_eq!((far.action, far.region.as_str()), (strata::Action::Delete, "eu-west-1"), "{}", plan.render_text());
    let report = scanning.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let ix = lost.get(&name).expect("the apply recorded the index");
    assert!(ix.holds("eu-central-1", "aws:ec2:Vpc") && ix.held.len() == 1 && !ix.scanned, "{ix:?}");
    let report = scanning.apply(&s, scanning.plan_destroy(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
}
