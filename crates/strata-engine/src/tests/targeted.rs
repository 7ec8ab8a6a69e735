//! Targeted runs (`Plan::select`, `Engine::plan_part`) and forced replacement
//! (`Plan::force_replace`, `replace_on_changes`) against the in-memory cloud.

use super::*;
use crate::Selection;

fn sel(targets: &[&str], with_dependents: bool, exclude: &[&str]) -> Selection {
    Selection { targets: targets.iter().map(|t| t.to_string()).collect(), with_dependents, exclude: exclude.iter().map(|t| t.to_string()).collect() }
}

/// chain() with every size changed: a, b, c and d all planned as updates.
fn changed(name: &str) -> Stack {
    let mut s = Stack::new(name, "mem-1");
    let a = s.add("a", Thing::new().set("size", 10i64));
    let b = s.add("b", Thing::new().set("parent", a.id()).set("size", 20i64));
    s.add("c", Thing::new().set("parent", b.id()).set("size", 30i64));
    s.add("d", Widget::new().set("size", 40i64));
    s
}

#[tokio::test(start_paused = true)]
async fn a_target_takes_what_it_depends_on_and_nothing_else() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    assert!(apply(&e, &chain("t")).await.is_success());
    let s = changed("t");
    let plan = e.plan(&s).await.unwrap().select(&s, &sel(&["b"], false, &[])).unwrap();
    let names: Vec<&str> = plan.steps.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"a") && names.contains(&"b"));
    assert!(plan.render_text().contains("PARTIAL plan: only `b` and what they depend on"), "{}", plan.render_text());
    assert!(plan.summary().contains("partial"));
    cloud.clear_calls();
    let report = e.apply(&s, plan).await;
    assert!(report.is_success(), "{report:?}");
    let updated: Vec<String> = cloud.calls().into_iter().filter(|c| c.op == "update").map(|c| c.target).collect();
    assert!(updated.iter().all(|t| t == "a" || t == "b") && updated.len() == 2, "{updated:?}");
    // c and d are still to do.
    let rest = e.plan(&s).await.unwrap();
    assert_eq!(rest.step("c").unwrap().action, Action::Update);
    assert_eq!(rest.step("d").unwrap().action, Action::Update);
    assert_eq!(rest.step("a").unwrap().action, Action::NoOp);
}

#[tokio::test(start_paused = true)]
async fn dependents_only_when_asked_and_exclusions_take_their_dependents() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    assert!(apply(&e, &chain("t")).await.is_success());
    let s = changed("t");
    let with = e.plan(&s).await.unwrap().select(&s, &sel(&["b"], true, &[])).unwrap();
    let mut names: Vec<&str> = with.steps.iter().map(|x| x.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["a", "b", "c"]);
    let without = e.plan(&s).await.unwrap().select(&s, &sel(&[], false, &["b"])).unwrap();
    let mut names: Vec<&str> = without.steps.iter().map(|x| x.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["a", "d"], "b and c (which uses b) are left out");
}

#[tokio::test(start_paused = true)]
async fn an_unknown_target_is_refused_with_near_names() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    let s = chain("t");
    let Err(err) = e.plan(&s).await.unwrap().select(&s, &sel(&["bb"], false, &[])) else { panic!("an unknown target is accepted") };
    let text = err.to_string();
    assert!(text.contains("no resource of this stack is named `bb`") && text.contains("`b`"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_removed_resource_is_deleted_only_when_targeted() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    assert!(apply(&e, &chain("t")).await.is_success());
    let mut s = Stack::new("t", "mem-1");
    let a = s.add("a", Thing::new().set("size", 1i64));
    let b = s.add("b", Thing::new().set("parent", a.id()));
    s.add("c", Thing::new().set("parent", b.id()));
    // d is no longer declared.
    let plan = e.plan(&s).await.unwrap().select(&s, &sel(&["a"], false, &[])).unwrap();
    assert!(plan.step("d").is_none(), "{}", plan.render_text());
    let plan = e.plan(&s).await.unwrap().select(&s, &sel(&["d"], false, &[])).unwrap();
    assert_eq!(plan.step("d").unwrap().action, Action::Delete);
    assert!(e.apply(&s, plan).await.is_success());
    assert!(cloud.by_name("d").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_replaced_target_with_dependents_outside_is_refused() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    assert!(apply(&e, &chain("t")).await.is_success());
    let mut s = Stack::new("t", "mem-1");
    let a = s.add("a", Thing::new().set("size", 1i64));
    let b = s.add("b", Thing::new().set("parent", a.id()).set("immutable", "v2"));
    s.add("c", Thing::new().set("parent", b.id()));
    s.add("d", Widget::new().set("size", 2i64));
    let plan = e.plan(&s).await.unwrap();
    assert_eq!(plan.step("b").unwrap().action, Action::Replace, "{}", plan.render_text());
    let Err(err) = plan.clone().select(&s, &sel(&["b"], false, &[])) else { panic!("the cut leaves c on a deleted copy") };
    assert!(err.to_string().contains("`c`") && err.to_string().contains("--target-dependents"), "{err}");
    assert!(plan.select(&s, &sel(&["b"], true, &[])).is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_targeted_destroy_takes_the_dependents_with_it() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    let s = chain("t");
    assert!(apply(&e, &s).await.is_success());
    let plan = e.plan_destroy(&s).await.unwrap().select(&s, &sel(&["b"], false, &[])).unwrap();
    let mut names: Vec<&str> = plan.steps.iter().map(|x| x.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["b", "c"]);
    assert!(e.apply(&s, plan).await.is_success());
    assert!(cloud.by_name("a").is_some() && cloud.by_name("d").is_some());
    assert!(cloud.by_name("b").is_none() && cloud.by_name("c").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_forced_replacement_makes_the_new_copy_first_and_moves_the_dependents() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    let s = chain("t");
    assert!(apply(&e, &s).await.is_success());
    let old_a = cloud.by_name("a").unwrap().id;
    let plan = e.plan(&s).await.unwrap().force_replace(&s, &["a".to_string()]).unwrap();
    assert_eq!(plan.step("a").unwrap().action, Action::Replace, "{}", plan.render_text());
    assert!(plan.render_text().contains("replacement asked for (--replace)"));
    cloud.clear_calls();
    let report = e.apply(&s, plan).await;
    assert!(report.is_success(), "{report:?}");
    let calls: Vec<(String, String)> = cloud.calls().into_iter().map(|c| (c.op.to_string(), c.target)).collect();
    let pos = |op: &str, t: &str| calls.iter().position(|(o, x)| o == op && x == t);
    assert!(pos("create", "a").is_some() && pos("create", "a") < pos("delete", "a"), "the new copy comes first: {calls:?}");
    assert!(pos("update", "b") < pos("delete", "a"), "b moved before the old copy went: {calls:?}");
    let new_a = cloud.by_name("a").unwrap().id;
    assert_ne!(new_a, old_a);
    assert_eq!(cloud.by_name("b").unwrap().props["parent"], Value::str(&new_a), "b moved to the new copy");
    assert!(!e.plan(&s).await.unwrap().has_changes());
    let Err(err) = e.plan(&s).await.unwrap().force_replace(&s, &["aa".to_string()]) else { panic!("an unknown name is accepted") };
    assert!(err.to_string().contains("`a`"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn replace_on_changes_turns_an_update_into_a_replacement() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    let mut s = Stack::new("t", "mem-1");
    s.add_with("a", Thing::new().set("size", 1i64), ResourceOptions::new().replace_on_changes(["size"]));
    assert!(apply(&e, &s).await.is_success());
    let old = cloud.by_name("a").unwrap().id;
    let mut s2 = Stack::new("t", "mem-1");
    s2.add_with("a", Thing::new().set("size", 2i64), ResourceOptions::new().replace_on_changes(["size"]));
    let plan = e.plan(&s2).await.unwrap();
    assert_eq!(plan.step("a").unwrap().action, Action::Replace, "{}", plan.render_text());
    assert!(e.apply(&s2, plan).await.is_success());
    assert_ne!(cloud.by_name("a").unwrap().id, old);
    assert!(!e.plan(&s2).await.unwrap().has_changes());
}

#[tokio::test(start_paused = true)]
async fn a_protected_resource_outside_the_part_does_not_refuse_it() {
    let cloud = MemoryCloud::new();
    let e = engine(&cloud, 16);
    let mut s = Stack::new("t", "mem-1");
    let a = s.add("a", Thing::new().set("size", 1i64));
    s.add("b", Thing::new().set("parent", a.id()));
    s.add_with("d", Widget::new().set("size", 2i64), ResourceOptions::new().protect());
    assert!(apply(&e, &s).await.is_success());
    assert!(matches!(e.plan_destroy(&s).await, Err(EngineError::Refused(_))), "the whole destroy would delete d");
    let part = e.plan_part(&s, crate::Operation::Destroy, &sel(&["b"], false, &[]), &[]).await.unwrap();
    let names: Vec<&str> = part.steps.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["b"]);
    assert!(e.apply(&s, part).await.is_success());
    assert!(cloud.by_name("b").is_none() && cloud.by_name("d").is_some());
    let Err(EngineError::Refused(why)) = e.plan_part(&s, crate::Operation::Destroy, &sel(&["d"], false, &[]), &[]).await else { panic!("d is protected") };
    assert!(why.iter().any(|d| d.resource == "d"), "{why:?}");
}
