//! ECS clusters on moto (LocalStack's community edition has no ECS): created
//! with Container Insights, capacity providers and tags; read back through
//! the SDK; re-planned empty; changed in place; drift shown and repaired; a
//! new name replaces; destroy removes it. A cluster someone else made with
//! the declared name is not taken over (`CreateCluster` would answer it).

use aws_sdk_ecs::types::{ClusterField, ClusterSettingName};
use strata::aws::ecs::Cluster;
use strata::engine::{CallCounter, Engine, EngineConfig, PollPolicy};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

fn stack(stack: &str, name: &str, insights: &str, providers: &[&str]) -> Stack {
    let mut s = Stack::new(stack, "eu-central-1");
    let mut c = Cluster::named(name).container_insights(insights).tag("team", "apps");
    for p in providers {
        c = c.capacity_provider(*p);
    }
    let c = s.add("apps", c);
    s.export("arn", c.arn());
    s
}

async fn describe(ecs: &aws_sdk_ecs::Client, name: &str) -> Option<aws_sdk_ecs::types::Cluster> {
    let out = ecs.describe_clusters().clusters(name).include(ClusterField::Settings).include(ClusterField::Tags).send().await.unwrap();
    out.clusters().iter().find(|c| c.cluster_name() == Some(name) && c.status() == Some("ACTIVE")).cloned()
}

fn insights(c: &aws_sdk_ecs::types::Cluster) -> Option<String> {
    c.settings().iter().find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights)).and_then(|s| s.value()).map(str::to_string)
}

#[tokio::test(flavor = "multi_thread")]
async fn cluster_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("ecs");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let poll = PollPolicy { initial: std::time::Duration::from_millis(100), max: std::time::Duration::from_millis(500) };
    let engine = Engine::new(strata::aws::registry(&aws)).with_config(EngineConfig { poll, ..EngineConfig::default() });
    let ecs = aws_sdk_ecs::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let cluster = format!("{name}-apps");

    let s = stack(&name, &cluster, "enabled", &["FARGATE", "FARGATE_SPOT"]);
    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let c = describe(&ecs, &cluster).await.expect("the cluster exists");
    assert_eq!(insights(&c).as_deref(), Some("enabled"));
    let mut providers = c.capacity_providers().to_vec();
    providers.sort();
    assert_eq!(providers, ["FARGATE", "FARGATE_SPOT"]);
    assert!(c.tags().iter().any(|t| t.key() == Some("strata:stack") && t.value() == Some(name.as_str())), "{:?}", c.tags());
    assert_eq!(report.exports["arn"].as_str(), c.cluster_arn());

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    let s2 = stack(&name, &cluster, "disabled", &["FARGATE"]);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("apps").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let c = describe(&ecs, &cluster).await.unwrap();
    assert_eq!(insights(&c).as_deref(), Some("disabled"));
    assert_eq!(c.capacity_providers(), ["FARGATE".to_string()]);
    assert!(!engine.plan(&s2).await.unwrap().has_changes());

    // Drift: someone turns Container Insights back on.
    let on = aws_sdk_ecs::types::ClusterSetting::builder().name(ClusterSettingName::ContainerInsights).value("enabled").build();
    ecs.update_cluster().cluster(&cluster).settings(on).send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    assert!(plan.render_text().contains("container_insights"), "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    assert_eq!(insights(&describe(&ecs, &cluster).await.unwrap()).as_deref(), Some("disabled"));

    let renamed = format!("{name}-apps-v2");
    let s3 = stack(&name, &renamed, "disabled", &["FARGATE"]);
    let plan = engine.plan(&s3).await.unwrap();
    assert_eq!(plan.step("apps").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = engine.apply(&s3, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(describe(&ecs, &cluster).await.is_none(), "the old cluster is deleted");

    let plan = engine.plan_destroy(&s3).await.unwrap();
    let report = engine.apply(&s3, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(describe(&ecs, &renamed).await.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untagged_cluster_with_the_name_is_not_taken_over_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("ecs-theirs");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let ecs = aws_sdk_ecs::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let theirs = format!("{name}-theirs");
    ecs.create_cluster().cluster_name(&theirs).tags(aws_sdk_ecs::types::Tag::builder().key("owner").value("someone-else").build()).send().await.unwrap();

    let s = stack(&name, &theirs, "enabled", &[]);
    let plan = engine.plan(&s).await.unwrap();
    assert_eq!(plan.step("apps").unwrap().action, strata::Action::Create);
    assert!(plan.render_text().contains(&theirs), "the plan names the look-alike: {}", plan.render_text());
    let report = engine.apply(&s, plan).await;
    assert!(!report.is_success(), "creating over someone else's cluster fails");
    let c = describe(&ecs, &theirs).await.unwrap();
    assert!(!c.tags().iter().any(|t| t.key() == Some("strata:stack")), "{:?}", c.tags());
    ecs.delete_cluster().cluster(&theirs).send().await.unwrap();
}
