//! IAM roles, instance profiles and managed policies on both emulators:
//! create with trust, inline and attached policies; the next plan is empty
//! although IAM answers every policy URL-encoded and reordered; trust,
//! inline policies, description, session length and the managed policy's
//! document change in place (a new default version, at most five kept);
//! drift (an inline policy added outside strata) is shown and removed; a new
//! path replaces the role; destroy removes everything. The stack spans two
//! regions: IAM is global, and each resource is reported once, by the region
//! that made it. A no-op plan reads every role with two calls.

use std::collections::BTreeMap;

use strata::aws::iam::{InstanceProfile, ManagedPolicy, PolicyDocument, Role, Statement};
use strata::aws::logs::LogGroup;
use strata::engine::{CallCounter, Engine, Status};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

/// What one version of the program declares.
#[derive(Clone)]
struct Want {
    path: &'static str,
    services: Vec<&'static str>,
    read_action: &'static str,
    description: &'static str,
    session: i64,
    policy_action: &'static str,
}

fn base() -> Want {
    Want {
        path: "/app/",
        services: vec!["ec2.amazonaws.com"],
        read_action: "s3:GetObject",
        description: "the web servers",
        session: 3600,
        policy_action: "logs:GetLogEvents",
    }
}

fn stack(name: &str, w: &Want) -> Stack {
    let mut s = Stack::new(name, "eu-central-1");
    let policy = s.add(
        "read-logs",
        ManagedPolicy::new(
            PolicyDocument::new().statement(Statement::allow().actions([w.policy_action, "logs:DescribeLogGroups"]).resource("*")),
        ),
    );
    let mut trust = Statement::allow().action("sts:AssumeRole");
    for svc in &w.services {
        trust = trust.principal("Service", *svc);
    }
    let role = s.add(
        "web-role",
        Role::new(PolicyDocument::new().statement(trust))
            .path(w.path)
            .description(w.description)
            .max_session_duration(w.session)
            .inline_policy(
                "read-assets",
                PolicyDocument::new().statement(
                    Statement::allow()
                        .actions([w.read_action, "s3:ListBucket"])
                        .resources(["arn:aws:s3:::assets", "arn:aws:s3:::assets/*"])
                        .condition("Bool", "aws:SecureTransport", ["true"]),
                ),
            )
            .attach(policy.arn())
            .tag("team", "web"),
    );
    let profile = s.add("web-profile", InstanceProfile::new(role.role_name()));
    // A resource in a second region: IAM discovery runs there too.
    s.add_with("edge-logs", LogGroup::new(), ResourceOptions::new().region("us-east-1"));
    s.export("role_arn", role.arn());
    s.export("profile", profile.profile_name());
    s
}

fn engine(aws: &strata::aws::Aws) -> Engine {
    crate::support::fast_engine(aws)
}

async fn apply(engine: &Engine, s: &Stack) -> strata::Report {
    let plan = engine.plan(s).await.unwrap();
    let report = engine.apply(s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    report
}

async fn empty_plan(engine: &Engine, s: &Stack) {
    let plan = engine.plan(s).await.unwrap();
    assert!(!plan.has_changes(), "the next plan is empty:\n{}", plan.render_text());
}

fn iam_calls(stats: &strata::engine::CallStats) -> BTreeMap<String, u64> {
    stats.rows.iter().filter(|((svc, _), _)| svc.eq_ignore_ascii_case("iam")).map(|((_, op), c)| (op.clone(), c.calls)).collect()
}

async fn inline_doc(iam: &aws_sdk_iam::Client, role: &str, name: &str) -> String {
    let out = iam.get_role_policy().role_name(role).policy_name(name).send().await.unwrap();
    strata::aws::policy::percent_decode(out.policy_document())
}

async fn role_lifecycle(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("iam");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = engine(&aws);
    let iam = aws_sdk_iam::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);

    let w = base();
    let report = apply(&engine, &stack(&name, &w)).await;
    let role = report.outcome("web-role").unwrap().physical_id.clone().unwrap();
    let got = iam.get_role().role_name(&role).send().await.unwrap();
    let r = got.role().unwrap();
    assert_eq!(r.path(), "/app/");
    assert_eq!(r.description(), Some("the web servers"));
    assert_eq!(report.exports["role_arn"].as_str(), Some(r.arn()));
    let tags: BTreeMap<&str, &str> = r.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags.get("strata:stack"), Some(&name.as_str()));
    assert_eq!(tags.get("strata:resource"), Some(&"web-role"));
    assert_eq!(tags.get("strata:region"), Some(&"eu-central-1"), "the region that manages it");
    assert_eq!(tags.get("team"), Some(&"web"));
    assert!(inline_doc(&iam, &role, "read-assets").await.contains("s3:GetObject"));
    let policy_arn = report.outcome("read-logs").unwrap().physical_id.clone().unwrap();
    let attached = iam.list_attached_role_policies().role_name(&role).send().await.unwrap();
    assert_eq!(attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect::<Vec<_>>(), [policy_arn.as_str()]);
    let profile = report.exports["profile"].as_str().unwrap().to_string();
    let p = iam.get_instance_profile().instance_profile_name(&profile).send().await.unwrap();
    assert_eq!(p.instance_profile().unwrap().roles().iter().map(|r| r.role_name()).collect::<Vec<_>>(), [role.as_str()]);

    // IAM answers the policies URL-encoded, a one-item list as a string, and
    // the plan is still empty; roles are read by two calls, whatever their number.
    let before = counter.snapshot();
    empty_plan(&engine, &stack(&name, &w)).await;
    let calls = iam_calls(&counter.snapshot().since(&before));
    assert_eq!(calls.get("GetAccountAuthorizationDetails"), Some(&1), "one list for both regions: {calls:?}");
    assert_eq!(calls.get("ListRoles"), Some(&1), "{calls:?}");
    for per_role in ["GetRole", "ListRoleTags", "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies"] {
        assert_eq!(calls.get(per_role), None, "no per-role reads in a plan: {calls:?}");
    }
    assert!(engine.apply(&stack(&name, &w), engine.plan(&stack(&name, &w)).await.unwrap()).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // Changes in place.
    let changed = Want {
        services: vec!["ec2.amazonaws.com", "ecs-tasks.amazonaws.com"],
        read_action: "s3:GetObjectVersion",
        description: "the web servers and their tasks",
        session: 7200,
        policy_action: "logs:FilterLogEvents",
        ..base()
    };
    let plan = engine.plan(&stack(&name, &changed)).await.unwrap();
    assert_eq!(plan.step("web-role").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert_eq!(plan.step("read-logs").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&stack(&name, &changed), plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(report.count(Status::Updated), 2);
    let r = iam.get_role().role_name(&role).send().await.unwrap();
    let r = r.role().unwrap();
    assert_eq!(r.description(), Some("the web servers and their tasks"));
    assert_eq!(r.max_session_duration(), Some(7200));
    assert!(strata::aws::policy::percent_decode(r.assume_role_policy_document().unwrap()).contains("ecs-tasks.amazonaws.com"));
    assert!(inline_doc(&iam, &role, "read-assets").await.contains("s3:GetObjectVersion"));
    let versions = iam.list_policy_versions().policy_arn(&policy_arn).send().await.unwrap();
    assert_eq!(versions.versions().len(), 2, "a changed document is a new version");
    empty_plan(&engine, &stack(&name, &changed)).await;

    // IAM keeps five versions: older ones are pruned.
    for action in ["logs:GetQueryResults", "logs:StartQuery", "logs:StopQuery", "logs:TestMetricFilter", "logs:ListTagsLogGroup"] {
        apply(&engine, &stack(&name, &Want { policy_action: action, ..changed.clone() })).await;
    }
    let versions = iam.list_policy_versions().policy_arn(&policy_arn).send().await.unwrap();
    assert_eq!(versions.versions().len(), 5, "at most five versions");
    let default = versions.versions().iter().find(|v| v.is_default_version()).unwrap();
    let doc = iam.get_policy_version().policy_arn(&policy_arn).version_id(default.version_id().unwrap()).send().await.unwrap();
    assert!(strata::aws::policy::percent_decode(doc.policy_version().unwrap().document().unwrap()).contains("logs:ListTagsLogGroup"));
    let last = Want { policy_action: "logs:ListTagsLogGroup", ..changed.clone() };

    // Drift: an inline policy added outside strata is shown and removed.
    let extra = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    iam.put_role_policy().role_name(&role).policy_name("added-by-hand").policy_document(extra).send().await.unwrap();
    let plan = engine.plan(&stack(&name, &last)).await.unwrap();
    assert_eq!(plan.step("web-role").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert!(plan.render_text().contains("inline_policies"), "{}", plan.render_text());
    apply(&engine, &stack(&name, &last)).await;
    let names = iam.list_role_policies().role_name(&role).send().await.unwrap();
    assert_eq!(names.policy_names(), ["read-assets"], "the hand-made policy is removed");
    empty_plan(&engine, &stack(&name, &last)).await;

    // A new path replaces the role; the profile moves to the new one.
    let moved = Want { path: "/web/", ..last.clone() };
    let plan = engine.plan(&stack(&name, &moved)).await.unwrap();
    assert_eq!(plan.step("web-role").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = apply(&engine, &stack(&name, &moved)).await;
    let new_role = report.outcome("web-role").unwrap().physical_id.clone().unwrap();
    assert_ne!(new_role, role);
    assert!(iam.get_role().role_name(&role).send().await.is_err(), "the old role is deleted");
    let p = iam.get_instance_profile().instance_profile_name(&profile).send().await.unwrap();
    assert_eq!(p.instance_profile().unwrap().roles().iter().map(|r| r.role_name()).collect::<Vec<_>>(), [new_role.as_str()]);
    empty_plan(&engine, &stack(&name, &moved)).await;

    let s = stack(&name, &moved);
    let report = engine.apply(&s, engine.plan_destroy(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(iam.get_role().role_name(&new_role).send().await.is_err());
    assert!(iam.get_instance_profile().instance_profile_name(&profile).send().await.is_err());
    assert!(iam.get_policy().policy_arn(&policy_arn).send().await.is_err());
}

/// A role someone else made with the name a stack declares is not taken
/// over: the plan names it as a look-alike, and the create fails without
/// touching it.
async fn an_untagged_role_with_the_name_is_not_taken_over(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("iam-theirs");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let engine = engine(&aws);
    let iam = aws_sdk_iam::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let theirs = format!("{name}-theirs");
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role().role_name(&theirs).assume_role_policy_document(trust).send().await.unwrap();

    let mut s = Stack::new(&name, "eu-central-1");
    s.add("role", Role::new(PolicyDocument::assumed_by("lambda.amazonaws.com")).name(theirs.as_str()).description("mine"));
    let plan = engine.plan(&s).await.unwrap();
    assert_eq!(plan.step("role").unwrap().action, strata::Action::Create);
    assert!(plan.render_text().contains(&theirs), "the plan names the look-alike: {}", plan.render_text());
    let report = engine.apply(&s, plan).await;
    assert!(!report.is_success(), "creating over someone else's role fails");
    let r = iam.get_role().role_name(&theirs).send().await.unwrap();
    let r = r.role().unwrap();
    assert!(r.tags().iter().all(|t| !t.key().starts_with("strata:")), "their role is untouched");
    assert!(strata::aws::policy::percent_decode(r.assume_role_policy_document().unwrap()).contains("ec2.amazonaws.com"));
    iam.delete_role().role_name(&theirs).send().await.unwrap();
}

mod localstack {
    #[tokio::test(flavor = "multi_thread")]
    async fn role_lifecycle() {
        super::role_lifecycle(strata_aws_testkit::Emulator::LocalStack).await
    }
    #[tokio::test(flavor = "multi_thread")]
    async fn an_untagged_role_with_the_name_is_not_taken_over() {
        super::an_untagged_role_with_the_name_is_not_taken_over(strata_aws_testkit::Emulator::LocalStack).await
    }
}

mod moto {
    #[tokio::test(flavor = "multi_thread")]
    async fn role_lifecycle() {
        super::role_lifecycle(strata_aws_testkit::Emulator::Moto).await
    }
    #[tokio::test(flavor = "multi_thread")]
    async fn an_untagged_role_with_the_name_is_not_taken_over() {
        super::an_untagged_role_with_the_name_is_not_taken_over(strata_aws_testkit::Emulator::Moto).await
    }
}

/// An instance runs with an instance profile the stack made
/// (`Instance::iam_instance_profile` taking the profile's output); the next
/// plan is empty; a new profile replaces the instance (EC2 cannot swap it
/// through `ModifyInstanceAttribute`); destroy removes all of it. On moto:
/// LocalStack's EC2 keeps no instance profile on an instance.
#[tokio::test(flavor = "multi_thread")]
async fn an_instance_runs_with_its_instance_profile_on_moto() {
    use strata::aws::ec2::{Ami, Instance, Subnet, Vpc};
    let url = Emulator::Moto.url();
    let name = unique_stack("iam-vm");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let engine = crate::support::fast_engine(&aws);
    let ec2 = aws_sdk_ec2::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let stack = |profile: &str| {
        let mut s = Stack::new(&name, "eu-central-1");
        let vpc = s.add("vpc", Vpc::new("10.40.0.0/16"));
        let subnet = s.add("app-a", Subnet::new(vpc.id(), "10.40.1.0/24", "eu-central-1a"));
        let role = s.add("web-role", Role::new(PolicyDocument::assumed_by("ec2.amazonaws.com")));
        let profile = s.add(profile, InstanceProfile::new(role.role_name()));
        let ami = s.lookup::<Ami>("ubuntu", Ami::newest("099720109477", "ubuntu/images/hvm-ssd/ubuntu-*"));
        let vm = s.add("web-1", Instance::new(ami.id(), "t3.micro", subnet.id()).iam_instance_profile(profile.profile_name()));
        s.export("instance", vm.id());
        s.export("profile_arn", profile.arn());
        s
    };
    let profile_of = |id: String| {
        let ec2 = ec2.clone();
        async move {
            let out = ec2.describe_instances().instance_ids(id).send().await.unwrap();
            out.reservations()[0].instances()[0].iam_instance_profile().and_then(|p| p.arn()).map(str::to_string)
        }
    };

    let s = stack("web-profile");
    let report = apply(&engine, &s).await;
    let vm = report.exports["instance"].as_str().unwrap().to_string();
    let arn = report.exports["profile_arn"].as_str().unwrap().to_string();
    assert_eq!(profile_of(vm.clone()).await.as_deref(), Some(arn.as_str()), "the instance runs with the profile");
    empty_plan(&engine, &s).await;

    let s2 = stack("web-profile-v2");
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("web-1").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let vm2 = report.exports["instance"].as_str().unwrap().to_string();
    assert_ne!(vm2, vm);
    assert_eq!(profile_of(vm2).await.as_deref(), report.exports["profile_arn"].as_str());

    let plan = engine.plan_destroy(&s2).await.unwrap();
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
}

/// An OpenID Connect provider (what EKS service accounts need): created with
/// its audiences, thumbprint and tags; the next plan is empty although IAM
/// answers its URL without the scheme; audiences and thumbprints change in
/// place (on moto, through `scripts/moto_server.py`'s emulator extension of
/// the client-id calls; LocalStack only creates, re-plans and destroys);
/// a new URL replaces it; destroy removes it.
async fn oidc_provider_lifecycle(emulator: Emulator) {
    use strata::aws::iam::OpenIdConnectProvider;
    let url = emulator.url();
    let name = unique_stack("oidc");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let iam = aws_sdk_iam::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let issuer = |v: &str| format!("https://oidc.eks.eu-central-1.amazonaws.com/id/{}{v}", name.replace('-', "").to_uppercase());
    let stack = |url: &str, audiences: &[&str], thumb: &str| {
        let mut s = Stack::new(&name, "eu-central-1");
        let mut p = OpenIdConnectProvider::new(url).thumbprint(thumb).tag("cluster", "innovate");
        for a in audiences {
            p = p.client_id(*a);
        }
        let p = s.add("eks-oidc", p);
        s.export("arn", p.arn());
        s
    };
    const T1: &str = "9E99A48A9960B14926BB7F3B02E22DA2B0AB7280";
    const T2: &str = "06b25927c42a721631c1efd9431e648fa62e1e39";

    let s = stack(&issuer("A"), &["sts.amazonaws.com"], T1);
    let report = apply(&engine, &s).await;
    let arn = report.exports["arn"].as_str().unwrap().to_string();
    let got = iam.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await.unwrap();
    assert_eq!(got.client_id_list(), ["sts.amazonaws.com".to_string()]);
    assert!(got.tags().iter().any(|t| t.key() == "strata:stack" && t.value() == name), "{:?}", got.tags());
    empty_plan(&engine, &s).await;

    if emulator == Emulator::Moto {
        let s2 = stack(&issuer("A"), &["sts.amazonaws.com", "innovate-web"], T2);
        let plan = engine.plan(&s2).await.unwrap();
        assert_eq!(plan.step("eks-oidc").unwrap().action, strata::Action::Update, "{}", plan.render_text());
        apply(&engine, &s2).await;
        let got = iam.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await.unwrap();
        let mut ids = got.client_id_list().to_vec();
        ids.sort();
        assert_eq!(ids, ["innovate-web".to_string(), "sts.amazonaws.com".to_string()]);
        assert_eq!(got.thumbprint_list(), [T2.to_string()]);
        empty_plan(&engine, &s2).await;
        let s3 = stack(&issuer("A"), &["innovate-web"], T2);
        apply(&engine, &s3).await;
        let got = iam.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await.unwrap();
        assert_eq!(got.client_id_list(), ["innovate-web".to_string()]);
    }

    let s4 = stack(&issuer("B"), &["innovate-web"], T2);
    let plan = engine.plan(&s4).await.unwrap();
    assert_eq!(plan.step("eks-oidc").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = apply(&engine, &s4).await;
    assert!(iam.get_open_id_connect_provider().open_id_connect_provider_arn(&arn).send().await.is_err(), "the old provider is deleted");
    let new_arn = report.exports["arn"].as_str().unwrap().to_string();
    let plan = engine.plan_destroy(&s4).await.unwrap();
    assert!(engine.apply(&s4, plan).await.is_success());
    assert!(iam.get_open_id_connect_provider().open_id_connect_provider_arn(&new_arn).send().await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn oidc_provider_lifecycle_on_moto() {
    oidc_provider_lifecycle(Emulator::Moto).await
}

#[tokio::test(flavor = "multi_thread")]
async fn oidc_provider_lifecycle_on_localstack() {
    oidc_provider_lifecycle(Emulator::LocalStack).await
}
