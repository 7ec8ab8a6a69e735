//! The discovery index (`crate::index`): what a plan lists with and without
//! it, and that it never makes a plan lose sight of a resource.

use std::sync::Arc;

use super::*;
use crate::index::{IndexStore, MemoryIndex, StackIndex};

fn indexed(cloud: &MemoryCloud, store: &Arc<MemoryIndex>) -> Engine {
    engine(cloud, 16).with_index(store.clone())
}

/// An empty cloud, an empty index store, and an engine keeping its index there.
fn fresh() -> (MemoryCloud, Arc<MemoryIndex>, Engine) {
    let cloud = MemoryCloud::new();
    let store = Arc::new(MemoryIndex::default());
    let e = indexed(&cloud, &store);
    (cloud, store, e)
}

/// The (kind, region) pairs a plan listed, from the in-memory cloud's calls.
fn listed(cloud: &MemoryCloud) -> Vec<String> {
    let mut v: Vec<String> = cloud.calls().into_iter().filter(|c| c.op == "discover").map(|c| c.kind.to_string()).collect();
    v.sort();
    v
}

fn things_only(name: &str) -> Stack {
    let mut s = Stack::new(name, "mem-1");
    s.add("a", Thing::new().set("size", 1i64));
    s
}

#[tokio::test(start_paused = true)]
async fn without_an_index_every_kind_is_listed_and_the_apply_records_what_holds_something() {
    let (cloud, store, e) = fresh();
    let s = things_only("t");
    let plan = e.plan(&s).await.unwrap();
    // No index yet: every kind of the registry is listed (Thing and Widget).
    assert_eq!(listed(&cloud), ["mem:Thing", "mem:Widget"]);
    assert!(e.apply(&s, plan).await.is_success());
    let ix = store.get("t").expect("the apply wrote the index");
    assert!(ix.holds("mem-1", "mem:Thing"), "{ix:?}");
    assert!(!ix.holds("mem-1", "mem:Widget"), "Widget holds nothing: {ix:?}");

    cloud.clear_calls();
    let plan = e.plan(&s).await.unwrap();
    assert!(!plan.has_changes());
    assert_eq!(listed(&cloud), ["mem:Thing"], "with the index only the declared kind is listed");
}

#[tokio::test(start_paused = true)]
async fn a_kind_whose_last_declaration_was_removed_is_still_pruned() {
    let (cloud, store, e) = fresh();
    assert!(apply(&e, &chain("t")).await.is_success());
    // Widget `d` is no longer declared: only the index makes the plan list Widgets.
    let mut s = Stack::new("t", "mem-1");
    let a = s.add("a", Thing::new().set("size", 1i64));
    let b = s.add("b", Thing::new().set("parent", a.id()));
    s.add("c", Thing::new().set("parent", b.id()));
    let plan = e.plan(&s).await.unwrap();
    assert_eq!(plan.step("d").map(|x| x.action), Some(Action::Delete), "{}", plan.render_text());
    assert!(e.apply(&s, plan).await.is_success());
    assert!(cloud.by_name("d").is_none());
    let ix = store.get("t").unwrap();
    assert!(!ix.holds("mem-1", "mem:Widget"), "nothing of Widget is left: {ix:?}");
    cloud.clear_calls();
    assert!(!e.plan(&s).await.unwrap().has_changes());
    assert_eq!(listed(&cloud), ["mem:Thing"]);
}

#[tokio::test(start_paused = true)]
async fn a_region_the_program_no_longer_names_is_still_pruned() {
    let (cloud, store, e) = fresh();
    let mut s = Stack::new("t", "mem-1");
    s.add("a", Thing::new().set("size", 1i64));
    s.add_with("far", Thing::new().set("size", 2i64), ResourceOptions::default().region("mem-2"));
    assert!(apply(&e, &s).await.is_success());
    assert_eq!(cloud.by_name("far").map(|o| o.region), Some("mem-2".to_string()));
    // The program no longer names mem-2 at all.
    let s = things_only("t");
    let plan = e.plan(&s).await.unwrap();
    assert_eq!(plan.step("far").map(|x| (x.action, x.region.as_str())), Some((Action::Delete, "mem-2")), "{}", plan.render_text());
    assert!(e.apply(&s, plan).await.is_success());
    assert!(cloud.by_name("far").is_none());
    assert!(!store.get("t").unwrap().held.contains_key("mem-2"));
}

#[tokio::test(start_paused = true)]
async fn the_index_covers_a_create_before_it_is_made() {
    // The create of `a` fails for good after the index was widened: the
    // index must already name Thing, so that a program that then drops `a`
    // still finds whatever the failed create may have left.
    let (cloud, store, e) = fresh();
    let mut s = Stack::new("t", "mem-1");
    s.add("w", Widget::new().set("size", 1i64));
    assert!(apply(&e, &s).await.is_success());
    assert!(!store.get("t").unwrap().holds("mem-1", "mem:Thing"));
    let mut s2 = Stack::new("t", "mem-1");
    s2.add("w", Widget::new().set("size", 1i64));
    s2.add("a", Thing::new().set("size", 1i64));
    cloud.inject("a", "create", ErrorClass::Fatal, 1);
    let report = apply(&e, &s2).await;
    assert!(!report.is_success());
    assert!(store.get("t").unwrap().holds("mem-1", "mem:Thing"), "a failed create keeps its kind in the index");
}

#[tokio::test(start_paused = true)]
async fn a_kind_whose_listing_failed_stays_in_the_index() {
    let (cloud, store, e) = fresh();
    assert!(apply(&e, &chain("t")).await.is_success());
    // Widget is no longer declared and cannot be listed in this run: a warning, and it stays indexed.
    cloud.inject("mem:Widget:t", "discover", ErrorClass::Fatal, 1);
    let s = changed_things("t");
    let plan = e.plan(&s).await.unwrap();
    assert!(plan.warnings.iter().any(|w| w.message.contains("mem:Widget")), "{:?}", plan.warnings);
    assert!(plan.has_changes());
    assert!(e.apply(&s, plan).await.is_success());
    assert!(store.get("t").unwrap().holds("mem-1", "mem:Widget"));
    // The next plan lists Widget again and prunes `d`.
    let plan = e.plan(&s).await.unwrap();
    assert_eq!(plan.step("d").map(|x| x.action), Some(Action::Delete));
}

/// chain()'s Things with a new size, and no Widget.
fn changed_things(name: &str) -> Stack {
    let mut s = Stack::new(name, "mem-1");
    let a = s.add("a", Thing::new().set("size", 5i64));
    let b = s.add("b", Thing::new().set("parent", a.id()));
    s.add("c", Thing::new().set("parent", b.id()));
    s
}

#[tokio::test(start_paused = true)]
async fn a_targeted_apply_narrows_nothing() {
    let (_, store, e) = fresh();
    assert!(apply(&e, &chain("t")).await.is_success());
    let s = changed_things("t");
    let sel = crate::Selection { targets: vec!["a".into()], with_dependents: false, exclude: Vec::new() };
    let plan = e.plan_part(&s, crate::Operation::Apply, &sel, &[]).await.unwrap();
    assert!(plan.step("d").is_none(), "the targeted part leaves d alone");
    assert!(e.apply(&s, plan).await.is_success());
    assert!(store.get("t").unwrap().holds("mem-1", "mem:Widget"), "d still exists, so Widget stays indexed");
}

#[derive(Debug)]
struct Broken;

#[async_trait::async_trait]
impl IndexStore for Broken {
    async fn read_index(&self, _stack: &str) -> Result<Option<StackIndex>, crate::ProviderError> {
        Ok(None)
    }
    async fn write_index(&self, _stack: &str, _index: &StackIndex) -> Result<(), crate::ProviderError> {
        Err(crate::ProviderError::new(ErrorClass::Fatal, "write", "AccessDenied"))
    }
}

#[tokio::test(start_paused = true)]
async fn an_apply_that_cannot_record_the_index_changes_nothing() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16).with_index(Arc::new(Broken));
    let s = chain("t");
    let plan = e.plan(&s).await.unwrap();
    let report = e.apply(&s, plan).await;
    assert!(!report.is_success());
    assert_eq!(report.count(Status::Skipped), 4);
    assert!(report.outcomes.iter().all(|o| o.detail.as_deref().is_some_and(|d| d.contains("discovery index") && d.contains("AccessDenied"))), "{report:?}");
    assert_eq!(cloud.mutations(), 0);
}

#[tokio::test(start_paused = true)]
async fn an_index_of_another_version_is_ignored_with_a_warning() {
    let cloud = MemoryCloud::new();
    let store = Arc::new(MemoryIndex::default());
    store.write_index("t", &StackIndex { version: 99, ..StackIndex::default() }).await.unwrap();
    let e = indexed(&cloud, &store);
    let plan = e.plan(&things_only("t")).await.unwrap();
    assert!(plan.warnings.iter().any(|w| w.message.contains("version 99")), "{:?}", plan.warnings);
    assert_eq!(listed(&cloud), ["mem:Thing", "mem:Widget"]);
}

#[tokio::test(start_paused = true)]
async fn a_scanned_index_lists_every_kind_in_the_programs_regions_and_the_regions_found() {
    let (cloud, _, e) = fresh();
    let mut s = Stack::new("t", "mem-1");
    s.add("a", Thing::new().set("size", 1i64));
    s.add_with("far", Widget::new().set("size", 2i64), ResourceOptions::default().region("mem-2"));
    assert!(apply(&e, &s).await.is_success());
    // The recorded index is lost; a scan says only that mem-2 holds something.
    let scanned = Arc::new(MemoryIndex::default());
    scanned.write_index("t", &StackIndex::scanned(["mem-2".to_string()])).await.unwrap();
    let e = indexed(&cloud, &scanned);
    cloud.clear_calls();
    let s = things_only("t");
    let plan = e.plan(&s).await.unwrap();
    assert_eq!(listed(&cloud), ["mem:Thing", "mem:Thing", "mem:Widget", "mem:Widget"], "every kind in mem-1 and mem-2");
    assert_eq!(plan.step("far").map(|x| x.action), Some(Action::Delete), "{}", plan.render_text());
    assert!(e.apply(&s, plan).await.is_success());
    // What the apply records is what exists, not the scan's wildcard.
    let ix = scanned.get("t").unwrap();
    assert!(!ix.scanned && ix.holds("mem-1", "mem:Thing") && ix.pairs().count() == 1, "{ix:?}");
}

#[tokio::test(start_paused = true)]
async fn a_targeted_first_apply_records_what_it_left_alone() {
    // Applied before the stack had an index; the first indexed apply is a targeted one.
    let cloud = MemoryCloud::new();
    assert!(apply(&engine(&cloud, 16), &chain("t")).await.is_success());
    let store = Arc::new(MemoryIndex::default());
    let e = indexed(&cloud, &store);
    let s = changed_things("t");
    let sel = crate::Selection { targets: vec!["a".into()], with_dependents: false, exclude: Vec::new() };
    let plan = e.plan_part(&s, crate::Operation::Apply, &sel, &[]).await.unwrap();
    assert!(plan.step("d").is_none());
    assert!(e.apply(&s, plan).await.is_success());
    // `d` (a Widget, no longer declared) was outside the part: the index must still name Widget.
    assert!(store.get("t").unwrap().holds("mem-1", "mem:Widget"), "{:?}", store.get("t"));
    let plan = e.plan(&s).await.unwrap();
    assert_eq!(plan.step("d").map(|x| x.action), Some(Action::Delete));
}
