//! ECS clusters on moto (LocalStack's community edition has no ECS): created
//! with Container Insights, capacity providers and tags; read back through
//! the SDK; re-planned empty; changed in place; drift shown and repaired; a
//! new name replaces; destroy removes it. A cluster someone else made with
//! the declared name is not taken over (`CreateCluster` would answer it).

use aws_sdk_ecs::types::{ClusterField, ClusterSettingName};
use strata::aws::ecs::Cluster;
use strata::engine::{CallCounter, Engine};
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
    let engine = crate::support::fast_engine(&aws);
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

/// What the services test declares.
#[derive(Clone)]
struct App {
    mode: &'static str,
    count: i64,
    rollback: bool,
    service_name: Option<String>,
}

/// A Fargate service of a task definition in two private subnets, behind an
/// `ip` target group, reading a Secrets Manager secret and logging to a
/// log group, with its execution role.
fn app_stack(stack: &str, a: &App) -> Stack {
    use strata::aws::ec2::{SecurityGroup, Subnet, Vpc};
    use strata::aws::ecs::{Container, Service, TaskDefinition};
    use strata::aws::elbv2::TargetGroup;
    use strata::aws::iam::{PolicyDocument, Role, Statement};
    use strata::aws::logs::LogGroup;
    use strata::aws::secretsmanager::Secret;
    let mut s = Stack::new(stack, "eu-central-1");
    let vpc = s.add("vpc", Vpc::new("10.40.0.0/16"));
    let a1 = s.add("app-a", Subnet::new(vpc.id(), "10.40.1.0/24", "eu-central-1a"));
    let b1 = s.add("app-b", Subnet::new(vpc.id(), "10.40.2.0/24", "eu-central-1b"));
    let sg = s.add("tasks", SecurityGroup::new(vpc.id()));
    let logs = s.add("web-logs", LogGroup::new().retention_days(30));
    let db = s.add("db-password", Secret::generated(24).recovery_window_days(0));
    let exec = s.add(
        "web-execution",
        Role::new(PolicyDocument::assumed_by("ecs-tasks.amazonaws.com")).inline_policy(
            "read",
            PolicyDocument::new()
                .statement(Statement::allow().actions(["secretsmanager:GetSecretValue"]).resource(db.arn()))
                .statement(Statement::allow().actions(["logs:CreateLogStream", "logs:PutLogEvents"]).resource(logs.arn())),
        ),
    );
    let tg = s.add("web-tg", TargetGroup::http(vpc.id(), 80).ip_targets());
    let cluster = s.add("apps", Cluster::new());
    let td = s.add(
        "web",
        TaskDefinition::fargate(256, 512).execution_role(exec.arn()).container(
            Container::new("web", "public.ecr.aws/nginx/nginx:1.27")
                .port(80)
                .env("MODE", a.mode)
                .secret("DB_PASSWORD", db.arn())
                .logs(logs.group_name(), "web"),
        ),
    );
    let svc = s.add(
        "web-svc",
        a.service_name.iter().fold(Service::fargate(cluster.arn(), td.arn(), [a1.id(), b1.id()], [sg.id()]), |svc, n| svc.name(n.as_str()))
            .desired_count(a.count)
            .rollback(a.rollback)
            .load_balancer(tg.arn(), "web", 80)
            .health_check_grace_period(30)
            .tag("team", "web"),
    );
    s.export("service", svc.arn());
    s.export("task_definition", td.arn());
    s.export("secret", db.arn());
    s.export("cluster", cluster.cluster_name());
    s
}

async fn service(ecs: &aws_sdk_ecs::Client, arn: &str) -> Option<aws_sdk_ecs::types::Service> {
    let cluster = arn.split(":service/").nth(1)?.split('/').next()?;
    let out = ecs.describe_services().cluster(cluster).services(arn).include(aws_sdk_ecs::types::ServiceField::Tags).send().await.ok()?;
    out.services().iter().find(|s| s.status() == Some("ACTIVE")).cloned()
}

async fn task_definition_status(ecs: &aws_sdk_ecs::Client, arn: &str) -> Option<String> {
    let out = ecs.describe_task_definition().task_definition(arn).send().await.ok()?;
    out.task_definition().and_then(|t| t.status()).map(|s| s.as_str().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn task_definition_and_service_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("ecs-svc");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let ecs = aws_sdk_ecs::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let app = App { mode: "blue", count: 2, rollback: true, service_name: None };

    let s = app_stack(&name, &app);
    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let (svc_arn, td1) = (report.exports["service"].as_str().unwrap().to_string(), report.exports["task_definition"].as_str().unwrap().to_string());
    let secret_arn = report.exports["secret"].as_str().unwrap().to_string();
    let svc = service(&ecs, &svc_arn).await.expect("the service runs");
    assert_eq!(svc.task_definition(), Some(td1.as_str()));
    assert_eq!(svc.desired_count(), 2);
    assert_eq!(svc.launch_type(), Some(&aws_sdk_ecs::types::LaunchType::Fargate));
    let breaker = svc.deployment_configuration().and_then(|d| d.deployment_circuit_breaker()).expect("a circuit breaker");
    assert!(breaker.enable() && breaker.rollback());
    assert_eq!(svc.health_check_grace_period_seconds(), Some(30));
    let vpc = svc.network_configuration().and_then(|n| n.awsvpc_configuration()).expect("awsvpc");
    assert_eq!(vpc.subnets().len(), 2);
    assert_eq!(vpc.assign_public_ip(), Some(&aws_sdk_ecs::types::AssignPublicIp::Disabled));
    assert_eq!(svc.load_balancers().first().and_then(|l| l.container_port()), Some(80));
    assert!(svc.tags().iter().any(|t| t.key() == Some("strata:stack") && t.value() == Some(name.as_str())), "{:?}", svc.tags());
    let td = ecs.describe_task_definition().task_definition(&td1).send().await.unwrap();
    let td = td.task_definition().unwrap();
    assert_eq!((td.cpu(), td.memory()), (Some("256"), Some("512")));
    let c = &td.container_definitions()[0];
    assert_eq!(c.secrets()[0].value_from(), secret_arn, "the secret is passed by reference");
    assert_eq!(c.environment()[0].value(), Some("blue"));
    let log = c.log_configuration().and_then(|l| l.options()).expect("awslogs options");
    assert_eq!(log.get("awslogs-region").map(String::as_str), Some("eu-central-1"));

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    // Clusters are listed once for clusters and services; task definitions
    // once (moto holds other tests' clusters and families, so the describes
    // are not counted here).
    let counted = counter.snapshot().since(&before);
    let calls = |op: &str| counted.rows.iter().filter(|((svc, o), _)| svc == "ECS" && o == op).map(|(_, c)| c.calls).sum::<u64>();
    assert_eq!(calls("ListClusters"), 1, "{:?}", counted.rows);
    assert_eq!(calls("ListTaskDefinitions"), 1, "{:?}", counted.rows);
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // A changed container registers a new revision; the service moves to it;
    // then the old revision is deregistered.
    let green = App { mode: "green", ..app.clone() };
    let s2 = app_stack(&name, &green);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("web").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    assert_eq!(plan.step("web-svc").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let td2 = report.exports["task_definition"].as_str().unwrap().to_string();
    assert_ne!(td1, td2);
    assert!(td2.starts_with(td1.rsplit_once(':').unwrap().0), "the same family: {td1} {td2}");
    assert_eq!(service(&ecs, &svc_arn).await.unwrap().task_definition(), Some(td2.as_str()));
    assert_ne!(task_definition_status(&ecs, &td1).await.as_deref(), Some("ACTIVE"), "the old revision is deregistered");
    let plan = engine.plan(&s2).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());

    // In place: the count and the rollback.
    let s3 = app_stack(&name, &App { count: 3, rollback: false, ..green.clone() });
    let plan = engine.plan(&s3).await.unwrap();
    assert_eq!(plan.step("web-svc").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert!(plan.step("web").is_none_or(|st| st.action == strata::Action::NoOp), "{}", plan.render_text());
    let report = engine.apply(&s3, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let svc = service(&ecs, &svc_arn).await.unwrap();
    assert_eq!(svc.desired_count(), 3);
    assert!(!svc.deployment_configuration().and_then(|d| d.deployment_circuit_breaker()).unwrap().rollback());

    // Drift: someone scales the service by hand.
    ecs.update_service().cluster(report.exports["cluster"].as_str().unwrap()).service(&svc_arn).desired_count(7).send().await.unwrap();
    let plan = engine.plan(&s3).await.unwrap();
    assert!(plan.render_text().contains("desired_count"), "{}", plan.render_text());
    assert!(engine.apply(&s3, plan).await.is_success());
    assert_eq!(service(&ecs, &svc_arn).await.unwrap().desired_count(), 3);

    // Drift: someone deregisters the revision: a new one is registered and
    // the service moves to it (nothing is silently lost).
    ecs.deregister_task_definition().task_definition(&td2).send().await.unwrap();
    let plan = engine.plan(&s3).await.unwrap();
    assert_eq!(plan.step("web").unwrap().action, strata::Action::Create, "{}", plan.render_text());
    let report = engine.apply(&s3, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let td3 = report.exports["task_definition"].as_str().unwrap().to_string();
    assert_ne!(td3, td2);
    assert_eq!(service(&ecs, &svc_arn).await.unwrap().task_definition(), Some(td3.as_str()));
    assert!(!engine.plan(&s3).await.unwrap().has_changes());

    // A new name replaces the service: the new one first, then the old one goes.
    let renamed = format!("{name}-web-v2");
    let s4 = app_stack(&name, &App { count: 3, rollback: false, service_name: Some(renamed.clone()), ..green });
    let plan = engine.plan(&s4).await.unwrap();
    assert_eq!(plan.step("web-svc").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = engine.apply(&s4, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let new_arn = report.exports["service"].as_str().unwrap().to_string();
    assert!(new_arn.ends_with(&renamed), "{new_arn}");
    assert!(service(&ecs, &svc_arn).await.is_none(), "the old service is gone");
    assert!(service(&ecs, &new_arn).await.is_some());
    assert!(!engine.plan(&s4).await.unwrap().has_changes());

    let plan = engine.plan_destroy(&s4).await.unwrap();
    let report = engine.apply(&s4, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(service(&ecs, &new_arn).await.is_none(), "the service is gone");
    assert_ne!(task_definition_status(&ecs, &td3).await.as_deref(), Some("ACTIVE"), "the revision is deregistered");
}
