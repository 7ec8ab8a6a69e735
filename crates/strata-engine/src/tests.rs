//! Engine behaviour against the in-memory cloud.

use std::time::Duration;

use strata_core::{LookupQuery, Resource, ResourceOptions, Stack, Value};

use crate::memory::{MemoryCloud, Thing, Widget};
use crate::{Action, Engine, EngineConfig, EngineError, ErrorClass, RetryPolicy, Status};

fn engine(cloud: &MemoryCloud, parallelism: usize) -> Engine {
    let retry = RetryPolicy { base: Duration::from_millis(10), max_delay: Duration::from_millis(100), max_attempts: 5 };
    Engine::new(cloud.registry()).with_config(EngineConfig { parallelism, retry, ..EngineConfig::default() })
}

async fn apply(e: &Engine, stack: &Stack) -> crate::Report {
    let plan = e.plan(stack).await.unwrap();
    e.apply(stack, plan).await
}

/// a -> b -> c chain plus an independent d.
fn chain(name: &str) -> Stack {
    let mut s = Stack::new(name, "mem-1");
    let a = s.add("a", Thing::new().set("size", 1i64));
    let b = s.add("b", Thing::new().set("parent", a.id()));
    s.add("c", Thing::new().set("parent", b.id()));
    s.add("d", Widget::new().set("size", 2i64));
    s
}

fn create_order(cloud: &MemoryCloud) -> Vec<String> {
    cloud.calls().into_iter().filter(|c| c.op == "create").map(|c| c.target).collect()
}

#[tokio::test(start_paused = true)]
async fn creates_in_dependency_order_and_reapply_is_a_noop() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    let s = chain("t");
    let report = apply(&e, &s).await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.count(Status::Created), 4);
    let order = create_order(&cloud);
    let pos = |n: &str| order.iter().position(|x| x == n).unwrap();
    assert!(pos("a") < pos("b") && pos("b") < pos("c"));
    // b's parent is a's physical id.
    let a_id = cloud.by_name("a").unwrap().id;
    assert_eq!(cloud.by_name("b").unwrap().props["parent"], Value::str(&a_id));

    cloud.clear_calls();
    let plan = e.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    let report = e.apply(&s, plan).await;
    assert_eq!(report.count(Status::Unchanged), 4);
    assert_eq!(cloud.mutations(), 0, "{:?}", cloud.calls());
}

#[tokio::test(start_paused = true)]
async fn concurrency_bound_is_never_exceeded() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 3);
    let mut s = Stack::new("t", "mem-1");
    for i in 0..20 {
        s.add(format!("r{i}"), Thing::new().latency_ms(100));
    }
    let report = apply(&e, &s).await;
    assert!(report.is_success());
    assert_eq!(cloud.max_in_flight(), 3, "measured in the cloud");
    assert_eq!(report.max_in_flight, 3, "measured in the engine");
}

#[tokio::test(start_paused = true)]
async fn critical_path_starts_first() {
    // One slow chain (slow1 -> slow2) and many fast independent resources,
    // parallelism 1: the slow chain head must start first.
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 1);
    let mut s = Stack::new("t", "mem-1");
    for i in 0..5 {
        s.add(format!("fast{i}"), Thing::new().latency_ms(10));
    }
    let slow1 = s.add("slow1", Thing::new().latency_ms(1000));
    s.add("slow2", Thing::new().latency_ms(1000).set("parent", slow1.id()));
    let report = apply(&e, &s).await;
    assert!(report.is_success());
    assert_eq!(create_order(&cloud).first().map(String::as_str), Some("slow1"));
}

#[tokio::test(start_paused = true)]
async fn no_level_barrier_a_dependent_starts_when_its_own_deps_finish() {
    // a(10ms) -> b ; x(1000ms). b must start long before x finishes.
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    let mut s = Stack::new("t", "mem-1");
    let a = s.add("a", Thing::new().latency_ms(10));
    s.add("b", Thing::new().latency_ms(10).set("parent", a.id()));
    s.add("x", Thing::new().latency_ms(1000));
    assert!(apply(&e, &s).await.is_success());
    let t = cloud.timeline();
    let b = t.iter().find(|x| x.name == "b").unwrap();
    let x = t.iter().find(|x| x.name == "x").unwrap();
    assert!(b.end < x.end / 2, "b {b:?} x {x:?}");
}

#[tokio::test(start_paused = true)]
async fn a_failure_skips_dependents_and_independent_branches_go_on() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let s = chain("t");
    cloud.inject("a", "create", ErrorClass::Invalid, 1);
    let report = apply(&e, &s).await;
    assert!(!report.is_success());
    assert_eq!(report.outcome("a").unwrap().status, Status::Failed);
    assert!(report.outcome("a").unwrap().detail.as_deref().unwrap().contains("Invalid"));
    for n in ["b", "c"] {
        let o = report.outcome(n).unwrap();
        assert_eq!(o.status, Status::Skipped);
        assert_eq!(o.detail.as_deref(), Some("upstream failed: a"));
    }
    assert_eq!(report.outcome("d").unwrap().status, Status::Created);
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_with_backoff() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let s = chain("t");
    cloud.inject("b", "create", ErrorClass::Throttled, 2);
    let report = apply(&e, &s).await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.outcome("b").unwrap().retries, 2);
    assert_eq!(cloud.calls().iter().filter(|c| c.target == "b" && c.op == "create").count(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_create_that_failed_after_making_the_resource_is_finished_not_repeated() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let s = chain("t");
    cloud.inject("b", "create-after", ErrorClass::Transient, 1);
    let report = apply(&e, &s).await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.outcome("b").unwrap().retries, 1);
    let named_b = cloud.resources().iter().filter(|o| o.logical_name().as_deref() == Some("b")).count();
    assert_eq!(named_b, 1, "one b, not two: {:?}", cloud.resources());
    // The retry looked before it created again.
    let ops: Vec<&str> = cloud.calls().iter().filter(|c| c.target == "b" || c.op == "discover").map(|c| c.op).collect();
    assert_eq!(ops.iter().filter(|o| **o == "create").count(), 1, "{ops:?}");
    assert!(ops.contains(&"discover"), "{ops:?}");
}

#[tokio::test(start_paused = true)]
async fn retries_give_up_after_the_attempt_limit() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let s = chain("t");
    cloud.inject("a", "create", ErrorClass::Transient, 50);
    let report = apply(&e, &s).await;
    assert_eq!(report.outcome("a").unwrap().status, Status::Failed);
    assert_eq!(cloud.calls().iter().filter(|c| c.target == "a" && c.op == "create").count(), 5);
}

#[test]
fn cycles_are_reported_with_every_member_in_stable_order() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let mut s = Stack::new("t", "mem-1");
    // Build a cycle through depends_on: z -> y -> x -> z, and a self-contained pair.
    let x = s.add("x", Thing::new());
    let y = s.add_with("y", Thing::new(), ResourceOptions::new().depends_on(&x));
    let z = s.add_with("z", Thing::new(), ResourceOptions::new().depends_on(&y));
    s.options_mut(x.id_in_stack()).unwrap().depends_on.push(z.id_in_stack());
    let p = s.add("p", Thing::new());
    let q = s.add_with("q", Thing::new().set("parent", p.id()), ResourceOptions::new());
    s.options_mut(p.id_in_stack()).unwrap().depends_on.push(q.id_in_stack());
    let err = e.validate(&s).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("p: dependency cycle between p, q"), "{text}");
    assert!(text.contains("x: dependency cycle between x, y, z"), "{text}");
    assert_eq!(err.0.len(), 2);
}

#[test]
fn validation_reports_every_problem_at_once_before_any_call() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let mut s = Stack::new("t", "mem-1");
    s.add("dup", Thing::new());
    s.add("dup", Thing::new());
    s.add("big", Thing::new().set("size", 500i64));
    s.add("bad name!", Thing::new());
    s.add("tagged", Thing::new().set("tags", Value::from_tags(&[("strata:stack".to_string(), "x".to_string())].into())));
    let err = e.validate(&s).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("dup: field `name`: declared 2 times"), "{text}");
    assert!(text.contains("big: field `size`: 500 is outside 0-100"), "{text}");
    assert!(text.contains("bad name!: field `name`"), "{text}");
    assert!(text.contains("tagged: field `tags`: tag key strata:stack is reserved"), "{text}");
    assert!(cloud.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn invalid_program_makes_no_call() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let mut s = Stack::new("t", "mem-1");
    s.add("big", Thing::new().set("size", 500i64));
    assert!(matches!(e.plan(&s).await, Err(EngineError::Invalid(_))));
    assert!(cloud.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn removed_declarations_are_pruned_dependents_first() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    assert!(apply(&e, &chain("t")).await.is_success());
    // Keep only d: a, b, c are pruned; c before b before a.
    let mut s = Stack::new("t", "mem-1");
    s.add("d", Widget::new().set("size", 2i64));
    let plan = e.plan(&s).await.unwrap();
    assert_eq!(plan.step("a").unwrap().action, Action::Delete);
    assert_eq!(plan.step("a").unwrap().reason.as_deref(), Some("no longer declared"));
    cloud.clear_calls();
    let report = e.apply(&s, plan).await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.count(Status::Deleted), 3);
    let deletes: Vec<String> = cloud.calls().into_iter().filter(|c| c.op == "delete").map(|c| c.target).collect();
    assert_eq!(deletes, ["c", "b", "a"], "no DependencyViolation retries needed");
    assert_eq!(cloud.resources().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn other_stacks_and_untagged_resources_are_never_touched() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    assert!(apply(&e, &chain("other")).await.is_success());
    let stranger = cloud.insert_raw(Thing::KIND, "mem-1", [("name".to_string(), Value::str("a"))].into());
    let mut s = Stack::new("mine", "mem-1");
    s.add("a", Thing::new());
    assert!(apply(&e, &s).await.is_success());
    let d = e.plan_destroy(&s).await.unwrap();
    assert_eq!(d.steps.len(), 1);
    assert!(e.apply(&s, d).await.is_success());
    assert_eq!(cloud.resources().len(), 5, "the other stack's 4 and the untagged one remain");
    assert!(cloud.resources().iter().any(|o| o.id == stranger));
}

#[tokio::test(start_paused = true)]
async fn protect_refuses_replace_and_delete_with_a_clear_message() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let mut s = Stack::new("t", "mem-1");
    s.add_with("db", Thing::new().set("immutable", "v1"), ResourceOptions::new().protect());
    assert!(apply(&e, &s).await.is_success());

    let mut changed = Stack::new("t", "mem-1");
    changed.add_with("db", Thing::new().set("immutable", "v2"), ResourceOptions::new().protect());
    let err = e.plan(&changed).await.unwrap_err().to_string();
    assert!(err.contains("db: field `immutable`: is protected but the program requires replacing it"), "{err}");

    let empty = Stack::new("t", "mem-1");
    let err = e.plan(&empty).await.unwrap_err().to_string();
    assert!(err.contains("is protected and would be deleted"), "{err}");
    let err = e.plan_destroy(&s).await.unwrap_err().to_string();
    assert!(err.contains("before destroying the stack"), "{err}");
    assert_eq!(cloud.resources().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn retain_on_delete_drops_the_state_tags_and_keeps_the_resource() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let mut s = Stack::new("t", "mem-1");
    s.add_with("logs", Thing::new(), ResourceOptions::new().retain_on_delete());
    assert!(apply(&e, &s).await.is_success());
    let plan = e.plan(&Stack::new("t", "mem-1")).await.unwrap();
    assert_eq!(plan.steps[0].action, Action::Retain);
    let report = e.apply(&Stack::new("t", "mem-1"), plan).await;
    assert_eq!(report.count(Status::Retained), 1);
    let left = cloud.resources();
    assert_eq!(left.len(), 1);
    assert!(left[0].tags().keys().all(|k| !k.starts_with("strata:")), "{:?}", left[0].tags());
    // Not managed any more: the next plan is empty.
    assert!(e.plan(&Stack::new("t", "mem-1")).await.unwrap().steps.is_empty());
}

#[tokio::test(start_paused = true)]
async fn drift_is_planned_as_an_update_unless_ignored() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let mut s = Stack::new("t", "mem-1");
    s.add("a", Thing::new().set("size", 1i64).set("label", "x"));
    assert!(apply(&e, &s).await.is_success());
    let id = cloud.by_name("a").unwrap().id;
    cloud.set_prop(&id, "size", Value::Int(7));
    let plan = e.plan(&s).await.unwrap();
    let step = plan.step("a").unwrap();
    assert_eq!(step.action, Action::Update);
    assert_eq!(step.changes[0].field, "size");
    assert!(plan.render_text().contains("size: 7 -> 1"), "{}", plan.render_text());
    assert!(e.apply(&s, plan).await.is_success());
    assert_eq!(cloud.by_name("a").unwrap().props["size"], Value::Int(1));

    cloud.set_prop(&id, "size", Value::Int(9));
    let mut ignoring = Stack::new("t", "mem-1");
    ignoring.add_with(
        "a",
        Thing::new().set("size", 1i64).set("label", "x"),
        ResourceOptions::new().ignore_changes(["size"]),
    );
    assert!(!e.plan(&ignoring).await.unwrap().has_changes());
}

#[tokio::test(start_paused = true)]
async fn replacement_creates_first_moves_dependents_then_deletes() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let build = |v: &str| {
        let mut s = Stack::new("t", "mem-1");
        let a = s.add("a", Thing::new().set("immutable", v));
        s.add("b", Thing::new().set("parent", a.id()));
        s
    };
    assert!(apply(&e, &build("v1")).await.is_success());
    let old = cloud.by_name("a").unwrap().id;
    let s2 = build("v2");
    let plan = e.plan(&s2).await.unwrap();
    assert_eq!(plan.step("a").unwrap().action, Action::Replace);
    assert_eq!(plan.step("a").unwrap().reason.as_deref(), Some("immutable cannot change in place"));
    assert!(plan.render_text().contains("# forces replacement"));
    cloud.clear_calls();
    let report = e.apply(&s2, plan).await;
    assert!(report.is_success(), "{report:?}");
    assert_eq!(report.outcome("a").unwrap().status, Status::Replaced);
    assert_eq!(report.outcome("b").unwrap().status, Status::Updated);
    let ops: Vec<(String, &str)> = cloud.calls().into_iter().map(|c| (c.target, c.op)).collect();
    let pos = |t: &str, op: &str| ops.iter().position(|(a, b)| a == t && *b == op).unwrap();
    assert!(pos("a", "create") < pos("b", "update"));
    assert!(pos("b", "update") < pos("a", "delete"));
    let new = cloud.by_name("a").unwrap().id;
    assert_ne!(old, new);
    assert_eq!(cloud.by_name("b").unwrap().props["parent"], Value::str(&new));
    assert_eq!(cloud.resources().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn delete_before_replace_deletes_first() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let build = |v: &str| {
        let mut s = Stack::new("t", "mem-1");
        s.add_with("a", Thing::new().set("immutable", v), ResourceOptions::new().delete_before_replace());
        s
    };
    assert!(apply(&e, &build("v1")).await.is_success());
    cloud.clear_calls();
    assert!(apply(&e, &build("v2")).await.is_success());
    let ops: Vec<&str> = cloud.calls().iter().filter(|c| c.target == "a").map(|c| c.op).collect();
    assert_eq!(ops, ["delete", "create"]);
}

#[tokio::test(start_paused = true)]
async fn cancellation_starts_nothing_new_and_reports() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 2);
    let mut s = Stack::new("t", "mem-1");
    for i in 0..10 {
        s.add(format!("r{i}"), Thing::new().latency_ms(1000));
    }
    let plan = e.plan(&s).await.unwrap();
    let token = e.cancel_token();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        token.cancel();
    });
    let report = e.apply(&s, plan).await;
    assert!(report.cancelled);
    assert_eq!(report.count(Status::Created), 2, "the two in flight finished");
    assert_eq!(report.count(Status::Skipped), 8);
    assert_eq!(cloud.resources().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn destroy_runs_in_reverse_dependency_order() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    let s = chain("t");
    assert!(apply(&e, &s).await.is_success());
    cloud.clear_calls();
    let plan = e.plan_destroy(&s).await.unwrap();
    let report = e.apply(&s, plan).await;
    assert!(report.is_success(), "{report:?}");
    let deletes: Vec<String> = cloud.calls().into_iter().filter(|c| c.op == "delete").map(|c| c.target).collect();
    let pos = |n: &str| deletes.iter().position(|x| x == n).unwrap();
    assert!(pos("c") < pos("b") && pos("b") < pos("a"));
    assert!(cloud.resources().is_empty());
}

#[tokio::test(start_paused = true)]
async fn lookups_and_stack_references_feed_outputs_and_are_never_modified() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    // A "network" stack owns the VPC-like resource.
    let mut net = Stack::new("network", "mem-1");
    net.add("vpc", Thing::new().set("cidr", "10.0.0.0/16"));
    assert!(apply(&e, &net).await.is_success());
    let vpc_id = cloud.by_name("vpc").unwrap().id;
    let shared = cloud.insert_raw(Widget::KIND, "mem-1", [("name".to_string(), Value::str("shared"))].into());

    let mut app = Stack::new("app", "mem-1");
    let vpc = app.lookup::<Thing>("vpc", LookupQuery::StackRef { stack: "network".into(), resource: "vpc".into() });
    let w = app.lookup::<Widget>("shared", LookupQuery::ByFilters(vec![("name".into(), vec!["shared".into()])]));
    let by_id = app.lookup::<Widget>("by-id", LookupQuery::ById(shared.clone()));
    app.add("subnet", Thing::new().set("vpc", vpc.id()).set("peer", w.id()).set("again", by_id.id()));
    app.export("vpc_cidr", vpc.attr("cidr"));
    let plan = e.plan(&app).await.unwrap();
    assert_eq!(plan.steps.len(), 1, "lookups are not steps");
    let report = e.apply(&app, plan).await;
    assert!(report.is_success(), "{report:?}");
    let subnet = cloud.by_name("subnet").unwrap();
    assert_eq!(subnet.props["vpc"], Value::str(&vpc_id));
    assert_eq!(subnet.props["peer"], Value::str(&shared));
    assert_eq!(report.exports["vpc_cidr"], Value::str("10.0.0.0/16"));
    // Destroying the app stack leaves the looked-up resources alone.
    let d = e.plan_destroy(&app).await.unwrap();
    assert!(e.apply(&app, d).await.is_success());
    assert!(cloud.by_name("vpc").is_some());
    assert_eq!(cloud.resources().len(), 2);

    let mut missing = Stack::new("app", "mem-1");
    missing.lookup::<Thing>("nope", LookupQuery::StackRef { stack: "network".into(), resource: "nope".into() });
    let err = e.plan(&missing).await.unwrap_err().to_string();
    assert!(err.contains("nope: lookup"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn adoption_is_opt_in_and_planned_first() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let id = cloud.insert_raw(Thing::KIND, "mem-1", [("size".to_string(), Value::Int(3))].into());
    let mut s = Stack::new("t", "mem-1");
    s.add_with("legacy", Thing::new().set("size", 3i64), ResourceOptions::new().adopt(&id));
    let plan = e.plan(&s).await.unwrap();
    assert_eq!(plan.step("legacy").unwrap().action, Action::Adopt);
    assert!(plan.render_text().contains("& legacy"), "{}", plan.render_text());
    let report = e.apply(&s, plan).await;
    assert_eq!(report.outcome("legacy").unwrap().status, Status::Adopted);
    let o = cloud.by_name("legacy").unwrap();
    assert_eq!(o.id, id, "adopted, not recreated");
    assert_eq!(o.stack().as_deref(), Some("t"));
    assert!(!e.plan(&s).await.unwrap().has_changes());
}

#[tokio::test(start_paused = true)]
async fn two_resources_claiming_one_name_is_an_error_and_changes_nothing() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let mut s = Stack::new("t", "mem-1");
    s.add("a", Thing::new());
    assert!(apply(&e, &s).await.is_success());
    let tags = cloud.by_name("a").unwrap().props["tags"].clone();
    cloud.insert_raw(Thing::KIND, "mem-1", [("tags".to_string(), tags)].into());
    cloud.clear_calls();
    let err = e.plan(&s).await.unwrap_err().to_string();
    assert!(err.contains("a: 2 live resources claim this logical name"), "{err}");
    assert_eq!(cloud.mutations(), 0);
}

#[tokio::test(start_paused = true)]
async fn default_tags_merge_without_perpetual_diffs() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let mut s = Stack::new("t", "mem-1");
    s.default_tag("env", "prod").default_tag("team", "shop");
    s.add("a", Thing::new().set("tags", Value::from_tags(&[("team".to_string(), "db".to_string())].into())));
    assert!(apply(&e, &s).await.is_success());
    let t = cloud.by_name("a").unwrap().tags();
    assert_eq!(t["env"], "prod");
    assert_eq!(t["team"], "db", "the resource's own tag wins");
    assert_eq!(t["strata:stack"], "t");
    assert!(!e.plan(&s).await.unwrap().has_changes());
}

#[tokio::test(start_paused = true)]
async fn secrets_never_reach_plan_text_or_json() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let mut s = Stack::new("t", "mem-1");
    let a = s.add("a", Thing::new().set("password", "hunter2-very-secret"));
    s.add("b", Thing::new().set("copy", a.attr("password").secret()));
    s.export("pw", a.attr("password").secret());
    let plan = e.plan(&s).await.unwrap();
    let text = plan.render_text();
    let json = plan.to_json().to_string();
    assert!(json.contains("hunter2") && text.contains("hunter2"), "a plain input is not secret: the check is live");
    let mut s = Stack::new("t", "mem-1");
    let pw = strata_core::Output::known("hunter2-very-secret".to_string()).secret();
    let a = s.add("a", Thing::new().set("password", &pw));
    s.add("b", Thing::new().set("copy", a.attr("password").secret()));
    s.export("pw", a.attr("password").secret());
    let plan = e.plan(&s).await.unwrap();
    for out in [plan.render_text(), plan.to_json().to_string()] {
        assert!(!out.contains("hunter2"), "{out}");
    }
    let report = e.apply(&s, plan).await;
    assert!(report.is_success());
    assert!(!report.to_json().to_string().contains("hunter2"));
    assert!(!format!("{report:?}").contains("hunter2"));
}

#[tokio::test(start_paused = true)]
async fn discovery_failure_of_an_undeclared_kind_is_a_warning_of_a_declared_kind_an_error() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let mut s = Stack::new("t", "mem-1");
    s.add("a", Thing::new());
    cloud.inject("mem:Widget:t", "discover", ErrorClass::Transient, 1);
    let plan = e.plan(&s).await.unwrap();
    let w = plan.warnings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    assert!(w.contains("cannot list mem:Widget") && w.contains("not pruned"), "{w}");
    cloud.inject("mem:Thing:t", "discover", ErrorClass::Transient, 1);
    let err = e.plan(&s).await.unwrap_err().to_string();
    assert!(err.contains("discovering mem:Thing in mem-1 failed"), "{err}");
}

#[tokio::test]
async fn a_plan_applies_to_the_same_program_built_again_but_not_to_another() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    // The same program, built twice: two `Stack` values, one plan.
    let plan = e.plan(&chain("twice")).await.unwrap();
    let report = e.apply(&chain("twice"), plan).await;
    assert!(report.is_success(), "{}", report.to_json());
    assert_eq!(report.count(crate::Status::Created), 4);
    // Another program under the same name: refused, nothing changed.
    let mut other = Stack::new("twice", "mem-1");
    other.add("x", Thing::new().set("size", 2i64));
    let plan = e.plan(&chain("twice")).await.unwrap();
    let before = cloud.mutations();
    let report = e.apply(&other, plan).await;
    assert!(!report.is_success());
    let detail = report.outcomes.iter().find_map(|o| o.detail.clone()).unwrap_or_default();
    assert!(detail.contains("made for another program"), "{detail}");
    assert_eq!(cloud.mutations(), before);
}

// A panic in provider code is that resource's failure (or, in discovery, the
// kind's), in every phase; nothing is silently lost and the run is not a success.

fn assert_panicked(report: &crate::Report, name: &str, op: &str) {
    let o = report.outcome(name).unwrap_or_else(|| panic!("no outcome for {name}: {report:?}"));
    assert_eq!(o.status, Status::Failed, "{o:?}");
    let detail = o.detail.as_deref().unwrap_or_default();
    assert!(detail.contains(&format!("panicked: injected panic in {op} of {name}")), "{detail}");
    assert!(!report.is_success());
}

#[tokio::test(start_paused = true)]
async fn a_panicking_create_fails_its_resource_and_skips_its_dependents() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let s = chain("t");
    cloud.inject_panic("b", "create");
    let report = apply(&e, &s).await;
    assert_panicked(&report, "b", "create");
    assert_eq!(report.outcome("c").unwrap().status, Status::Skipped);
    assert_eq!(report.outcome("c").unwrap().detail.as_deref(), Some("upstream failed: b"));
    assert_eq!(report.outcome("a").unwrap().status, Status::Created);
    assert_eq!(report.outcome("d").unwrap().status, Status::Created);
    assert_eq!(report.outcomes.len(), 4, "every step has an outcome");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_update_and_delete_fail_their_resources() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    assert!(apply(&e, &chain("t")).await.is_success());
    // a changes (update), d is no longer declared (delete).
    let mut s = Stack::new("t", "mem-1");
    let a = s.add("a", Thing::new().set("size", 7i64));
    let b = s.add("b", Thing::new().set("parent", a.id()));
    s.add("c", Thing::new().set("parent", b.id()));
    cloud.inject_panic("a", "update");
    cloud.inject_panic("d", "delete");
    let report = apply(&e, &s).await;
    assert_panicked(&report, "a", "update");
    assert_panicked(&report, "d", "delete");
    for n in ["b", "c"] {
        assert_eq!(report.outcome(n).unwrap().status, Status::Skipped, "{report:?}");
    }
    assert!(cloud.by_name("d").is_some(), "the delete never happened");
}

#[tokio::test(start_paused = true)]
async fn a_panic_while_preparing_an_action_fails_that_resource() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let s = chain("t");
    assert!(apply(&e, &s).await.is_success());
    let plan = e.plan(&s).await.unwrap();
    // The engine diffs again when it prepares each action: that diff panics.
    cloud.inject_panic("b", "diff");
    let report = e.apply(&s, plan).await;
    assert_panicked(&report, "b", "diff");
    assert_eq!(report.outcome("c").unwrap().status, Status::Skipped);
    assert_eq!(report.outcome("a").unwrap().status, Status::Unchanged);
}

#[tokio::test(start_paused = true)]
async fn a_panic_while_planning_refuses_the_plan_naming_the_resource() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let s = chain("t");
    assert!(apply(&e, &s).await.is_success());
    cloud.inject_panic("b", "diff");
    cloud.clear_calls();
    let err = e.plan(&s).await.unwrap_err().to_string();
    assert!(err.contains("b") && err.contains("panicked: injected panic in diff of b"), "{err}");
    assert_eq!(cloud.mutations(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_discovery_of_a_declared_kind_fails_the_plan() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    let s = chain("t");
    assert!(apply(&e, &s).await.is_success());
    cloud.inject_panic(&format!("{}:t", Thing::KIND), "discover");
    match e.plan(&s).await {
        Err(EngineError::Discovery { kind, source, .. }) => {
            assert_eq!(kind, Thing::KIND);
            assert!(source.to_string().contains("panicked: injected panic in discover"), "{source}");
        }
        other => panic!("a plan that would create a, b and c again: {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_discovery_of_an_undeclared_kind_warns_and_prunes_nothing_of_it() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 4);
    assert!(apply(&e, &chain("t")).await.is_success());
    // d (the only Widget) is no longer declared, and listing Widgets panics.
    let mut s = Stack::new("t", "mem-1");
    let a = s.add("a", Thing::new().set("size", 1i64));
    let b = s.add("b", Thing::new().set("parent", a.id()));
    s.add("c", Thing::new().set("parent", b.id()));
    cloud.inject_panic(&format!("{}:t", Widget::KIND), "discover");
    let plan = e.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    let w = plan.warnings.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    assert!(w.contains(Widget::KIND) && w.contains("panicked") && w.contains("not pruned"), "{w}");
}

#[test]
fn the_idempotency_token_is_pinned_to_a_canonical_encoding() {
    // sha256 of
    // {"desired":{"name":"web \"1\"","ports":[80,443],"public":true,"secret":"(secret)","tags":{"a":"1","b":"2"}},"name":"web","stack":"shop","v":1}
    // (computed outside Rust: python3 -c 'import hashlib; print(hashlib.sha256(b"...").hexdigest()[:32])').
    let desired: strata_core::Props = [
        ("tags".to_string(), Value::Map([("b".into(), Value::str("2")), ("a".into(), Value::str("1"))].into())),
        ("ports".to_string(), Value::List(vec![Value::Int(80), Value::Int(443)])),
        ("public".to_string(), Value::Bool(true)),
        ("name".to_string(), Value::str("web \"1\"")),
        ("secret".to_string(), Value::Secret(Box::new(Value::str("hunter2")))),
    ]
    .into();
    let token = crate::apply::idempotency_token("shop", "web", &desired);
    assert_eq!(token, "strata-v1-108894803dfe0232fae861413efebd48");
    assert!(token.len() <= 64, "EC2's ClientToken takes at most 64 characters");
    let mut other = desired.clone();
    other.insert("public".into(), Value::Bool(false));
    assert_ne!(crate::apply::idempotency_token("shop", "web", &other), token);
    assert_ne!(crate::apply::idempotency_token("shop", "api", &desired), token);
}

/// A provider whose cloud answers without ids: a listed resource with an
/// empty id, and a create whose answer has none.
struct NoIds;

#[async_trait::async_trait]
impl crate::Provider for NoIds {
    fn kind(&self) -> &'static str {
        Thing::KIND
    }
    async fn discover(&self, scope: &crate::DiscoverScope) -> Result<Vec<crate::Observed>, crate::ProviderError> {
        let mut o = crate::Observed::new(Thing::KIND, "", &scope.region);
        let tags = strata_core::Tags::from([
            (strata_core::tags::STACK.to_string(), scope.stack.clone()),
            (strata_core::tags::RESOURCE.to_string(), "listed".to_string()),
        ]);
        o.props.insert("tags".into(), Value::from_tags(&tags));
        Ok(if scope.stack == "listed" { vec![o] } else { Vec::new() })
    }
    async fn read(&self, _: &str, _: &str) -> Result<Option<crate::Observed>, crate::ProviderError> {
        Ok(None)
    }
    async fn create(&self, cx: &crate::OpContext, _: &strata_core::Props) -> Result<crate::Observed, crate::ProviderError> {
        Ok(crate::Observed::new(Thing::KIND, "", &cx.region))
    }
    async fn update(
        &self,
        _: &crate::OpContext,
        a: &crate::Observed,
        _: &strata_core::Props,
        _: &crate::Diff,
    ) -> Result<crate::Observed, crate::ProviderError> {
        Ok(a.clone())
    }
    async fn delete(&self, _: &crate::OpContext, _: &crate::Observed) -> Result<(), crate::ProviderError> {
        Ok(())
    }
    async fn set_tags(
        &self,
        _: &crate::OpContext,
        _: &crate::Observed,
        _: &strata_core::Tags,
        _: &[String],
    ) -> Result<(), crate::ProviderError> {
        Ok(())
    }
}

fn no_ids_engine() -> Engine {
    let mut r = crate::Registry::new();
    r.register(std::sync::Arc::new(NoIds));
    Engine::new(r)
}

#[tokio::test(start_paused = true)]
async fn a_listed_resource_without_an_id_fails_the_plan_naming_the_kind() {
    let mut s = Stack::new("listed", "mem-1");
    s.add("listed", Thing::new());
    let err = no_ids_engine().plan(&s).await.unwrap_err().to_string();
    assert!(err.contains("has no id") && err.contains(Thing::KIND), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_create_answered_without_an_id_fails_that_resource_and_skips_its_dependents() {
    let mut s = Stack::new("fresh", "mem-1");
    let a = s.add("a", Thing::new());
    s.add("b", Thing::new().set("parent", a.id()));
    let e = no_ids_engine();
    let plan = e.plan(&s).await.unwrap();
    let report = e.apply(&s, plan).await;
    assert!(!report.is_success());
    let a = report.outcome("a").unwrap();
    assert_eq!(a.status, Status::Failed, "{report:?}");
    assert!(a.detail.as_deref().is_some_and(|d| d.contains("answered without an id")), "{a:?}");
    assert_eq!(report.outcome("b").unwrap().status, Status::Skipped);
}

mod targeted;
mod index;
