//! Drift: changes made outside strata show in the next plan field by field, and
//! apply repairs them. A resource that lost its ownership tags is never
//! duplicated silently: the plan names the untagged look-alike and how to adopt it.

use strata::aws::ec2::{Ami, Instance, Rule, SecurityGroup, Subnet, Vpc};
use strata::prelude::*;
use strata::Action;
use strata_aws_testkit::{unique_stack, Emulator};

const REGION: &str = "eu-central-1";

fn stack(name: &str) -> Stack {
    let mut s = Stack::new(name, REGION);
    let vpc = s.add("vpc", Vpc::new("10.70.0.0/16"));
    let a = s.add("a", Subnet::new(vpc.id(), "10.70.1.0/24", "eu-central-1a"));
    s.add("b", Subnet::new(vpc.id(), "10.70.2.0/24", "eu-central-1b"));
    let sg = s.add("sg", SecurityGroup::new(vpc.id()).ingress(Rule::tcp(443).cidr("10.70.0.0/16")));
    let ubuntu = s.lookup::<Ami>("ubuntu", Ami::ubuntu_2004());
    s.add("vm", Instance::new(ubuntu.id(), "t3.micro", a.id()).security_group(sg.id()).tag("team", "web"));
    s
}

fn changed_fields(plan: &strata::Plan, name: &str) -> Vec<String> {
    plan.step(name).map(|s| s.changes.iter().map(|c| c.field.clone()).collect()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_shown_field_by_field_and_repaired_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("drift");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = crate::support::fast_engine(&aws);
    let ec2 = strata_aws_testkit::ec2_client(&url, REGION).await;
    let s = stack(&name);
    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id = |n: &str| report.outcome(n).and_then(|o| o.physical_id.clone()).unwrap();
    let (vm, sg, b) = (id("vm"), id("sg"), id("b"));

    // Out of band: the instance type, an SSH rule, a deleted subnet, a removed tag.
    ec2.stop_instances().instance_ids(&vm).send().await.unwrap();
    ec2.modify_instance_attribute()
        .instance_id(&vm)
        .instance_type(aws_sdk_ec2::types::AttributeValue::builder().value("t3.large").build())
        .send()
        .await
        .unwrap();
    ec2.start_instances().instance_ids(&vm).send().await.unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    ec2.delete_subnet().subnet_id(&b).send().await.unwrap();
    ec2.delete_tags().resources(&vm).tags(aws_sdk_ec2::types::Tag::builder().key("team").build()).send().await.unwrap();

    let plan = engine.plan(&s).await.unwrap();
    let text = plan.render_text();
    assert_eq!(plan.step("vm").map(|s| s.action), Some(Action::Update), "{text}");
    let vm_fields = changed_fields(&plan, "vm");
    assert!(vm_fields.contains(&"instance_type".to_string()) && vm_fields.contains(&"tags".to_string()), "{vm_fields:?}\n{text}");
    assert!(text.contains("\"t3.large\" -> \"t3.micro\""), "the type change is shown old -> new:\n{text}");
    assert_eq!(plan.step("sg").map(|s| s.action), Some(Action::Update), "{text}");
    assert_eq!(changed_fields(&plan, "sg"), vec!["ingress".to_string()], "{text}");
    assert_eq!(plan.step("b").map(|s| s.action), Some(Action::Create), "the deleted subnet comes back:\n{text}");
    for unchanged in ["vpc", "a"] {
        assert_eq!(plan.step(unchanged).map(|s| s.action), Some(Action::NoOp), "{text}");
    }

    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let got = ec2.describe_instances().instance_ids(&vm).send().await.unwrap();
    let i = &got.reservations()[0].instances()[0];
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.micro"));
    assert!(i.tags().iter().any(|t| t.key() == Some("team") && t.value() == Some("web")));
    let rules = ec2.describe_security_groups().group_ids(&sg).send().await.unwrap();
    let ports: Vec<Option<i32>> = rules.security_groups()[0].ip_permissions().iter().map(|p| p.from_port()).collect();
    assert_eq!(ports, vec![Some(443)], "the SSH rule added outside is gone");
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "repaired: {}", plan.render_text());

    // Ownership tags removed outside: the VPC is no longer this stack's as far
    // as tags go. The plan must not create a second one silently: it names the
    // untagged VPC with the same CIDR and how to adopt it.
    let vpc = report.outcome("vpc").and_then(|o| o.physical_id.clone()).unwrap_or_else(|| id("vpc"));
    ec2.delete_tags()
        .resources(&vpc)
        .tags(aws_sdk_ec2::types::Tag::builder().key("strata:stack").build())
        .tags(aws_sdk_ec2::types::Tag::builder().key("strata:resource").build())
        .send()
        .await
        .unwrap();
    let plan = engine.plan(&s).await.unwrap();
    let text = plan.render_text();
    assert_eq!(plan.step("vpc").map(|s| s.action), Some(Action::Create), "{text}");
    let warning = plan.warnings.iter().find(|w| w.resource == "vpc").map(ToString::to_string).unwrap_or_default();
    assert!(warning.contains(&vpc) && warning.contains("adopt"), "the untagged look-alike is reported: {:?}", plan.warnings);
    assert!(text.contains(&vpc), "the plan text shows it too:\n{text}");

    // Adopting it puts the tags back; nothing is duplicated.
    let mut adopted = stack(&name);
    if let Some(o) = adopted.options_mut(adopted.resources()[0].id) {
        *o = ResourceOptions::new().adopt(&vpc);
    }
    let plan = engine.plan(&adopted).await.unwrap();
    assert_eq!(plan.step("vpc").map(|s| s.action), Some(Action::Adopt), "{}", plan.render_text());
    let report = engine.apply(&adopted, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let vpcs = ec2
        .describe_vpcs()
        .filters(aws_sdk_ec2::types::Filter::builder().name("cidr").values("10.70.0.0/16").build())
        .filters(aws_sdk_ec2::types::Filter::builder().name("tag:strata:stack").values(&name).build())
        .send()
        .await
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "one VPC, tagged again");
    let report = engine.apply(&s, engine.plan_destroy(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(strata_aws_testkit::ec2_leftovers(&ec2, &name).await.is_empty());
}
