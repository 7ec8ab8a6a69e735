//! The EC2 network layer against both emulators: the same test code, two endpoints.

use aws_sdk_ec2::types::Filter;
use strata::engine::{CallCounter, Engine, Status};
use strata::prelude::*;
use strata::aws::ec2::{
    AclEntry, ElasticIp, InternetGateway, NatGateway, NetworkAcl, Route, RouteTable, Rule, SecurityGroup, SecurityGroupRule,
    Subnet, Vpc,
};
use strata_aws_testkit::{ec2_client, ec2_leftovers, unique_stack, Emulator};

/// Which version of the program to build.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Variant {
    Base,
    /// The web SG's rule moves from 443 to 8443 and the VPC gets a new tag.
    Changed,
    /// Changed, and the third subnet is gone.
    Pruned,
    /// Pruned, with private-b on another CIDR (only planned, never applied).
    MovedSubnet,
}

pub const REGION: &str = "eu-central-1";

/// VPC, three subnets in two AZs, IGW, EIP + NAT, public and private route
/// tables, and a security group.
pub fn small_network(name: &str, v: Variant) -> Stack {
    let mut s = Stack::new(name, REGION);
    s.default_tag("env", "test");
    let mut vpc = Vpc::new("10.20.0.0/16");
    if v != Variant::Base {
        vpc = vpc.tag("owner", "network-team");
    }
    let vpc = s.add("vpc", vpc);
    let public_a = s.add("public-a", Subnet::new(vpc.id(), "10.20.1.0/24", "eu-central-1a").public());
    let private_b_cidr = if v == Variant::MovedSubnet { "10.20.4.0/24" } else { "10.20.2.0/24" };
    let private_b = s.add("private-b", Subnet::new(vpc.id(), private_b_cidr, "eu-central-1b"));
    if matches!(v, Variant::Base | Variant::Changed) {
        s.add("private-c", Subnet::new(vpc.id(), "10.20.3.0/24", "eu-central-1b"));
    }
    let igw = s.add("igw", InternetGateway::new().vpc_id(vpc.id()));
    let eip = s.add("nat-eip", ElasticIp::new());
    let nat = s.add("nat", NatGateway::new(public_a.id(), eip.allocation_id()));
    s.add(
        "public-rt",
        RouteTable::new(vpc.id()).route(Route::to_gateway("0.0.0.0/0", igw.id())).associate(public_a.id()),
    );
    s.add(
        "private-rt",
        RouteTable::new(vpc.id()).route(Route::to_nat_gateway("0.0.0.0/0", nat.id())).associate(private_b.id()),
    );
    let port = if v == Variant::Base { 443 } else { 8443 };
    let sg = s.add(
        "web-sg",
        SecurityGroup::new(vpc.id()).description("web tier").ingress(Rule::tcp(port).cidr("10.0.0.0/8")),
    );
    // Two groups that admit each other: separate rule resources, no cycle.
    let app = s.add("app-sg", SecurityGroup::new(vpc.id()).description("app tier"));
    let db = s.add("db-sg", SecurityGroup::new(vpc.id()).description("db tier"));
    s.add("db-from-app", SecurityGroupRule::ingress(db.id(), Rule::tcp(3306).group(app.id())));
    s.add("app-from-db", SecurityGroupRule::ingress(app.id(), Rule::tcp(8080).group(db.id())));
    s.add(
        "private-acl",
        NetworkAcl::new(vpc.id())
            .entry(AclEntry::allow_in(100, "10.20.0.0/16", 0, 65535))
            .entry(AclEntry::allow_out(100, "0.0.0.0/0", 0, 65535))
            .associate(private_b.id()),
    );
    s.export("vpc_id", vpc.id());
    s.export("sg_id", sg.id());
    s
}

fn engine(aws: &strata::aws::Aws) -> Engine {
    crate::support::fast_engine(aws)
}

fn tag_filter(stack: &str) -> Filter {
    Filter::builder().name("tag:strata:stack").values(stack).build()
}

async fn converge(engine: &Engine, stack: &Stack) -> strata::Report {
    let plan = engine.plan(stack).await.unwrap();
    let report = engine.apply(stack, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    report
}

async fn lifecycle(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("net");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = engine(&aws);
    let ec2 = ec2_client(&url, REGION).await;

    // 1. Apply, then verify through independent describe calls.
    let base = small_network(&name, Variant::Base);
    let report = converge(&engine, &base).await;
    assert_eq!(report.count(Status::Created), base.resources().len());
    let vpcs = ec2.describe_vpcs().filters(tag_filter(&name)).send().await.unwrap();
    let vpc = &vpcs.vpcs()[0];
    assert_eq!(vpcs.vpcs().len(), 1);
    assert_eq!(vpc.cidr_block(), Some("10.20.0.0/16"));
    let vpc_id = vpc.vpc_id().unwrap().to_string();
    let subnets = ec2.describe_subnets().filters(tag_filter(&name)).send().await.unwrap();
    let mut found: Vec<(String, String, bool)> = subnets
        .subnets()
        .iter()
        .map(|s| {
            (
                s.cidr_block().unwrap().to_string(),
                s.availability_zone().unwrap().to_string(),
                s.map_public_ip_on_launch().unwrap_or(false),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("10.20.1.0/24".into(), "eu-central-1a".into(), true),
            ("10.20.2.0/24".into(), "eu-central-1b".into(), false),
            ("10.20.3.0/24".into(), "eu-central-1b".into(), false),
        ]
    );
    assert!(subnets.subnets().iter().all(|s| s.vpc_id() == Some(vpc_id.as_str())));
    let igws = ec2.describe_internet_gateways().filters(tag_filter(&name)).send().await.unwrap();
    assert_eq!(igws.internet_gateways()[0].attachments()[0].vpc_id(), Some(vpc_id.as_str()));
    let igw_id = igws.internet_gateways()[0].internet_gateway_id().unwrap().to_string();
    let rts = ec2.describe_route_tables().filters(tag_filter(&name)).send().await.unwrap();
    assert_eq!(rts.route_tables().len(), 2);
    assert!(rts.route_tables().iter().any(|rt| rt
        .routes()
        .iter()
        .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0") && r.gateway_id() == Some(igw_id.as_str()))));
    // Emulators ignore tag filters on DescribeNatGateways: check tags here.
    let nats = ec2.describe_nat_gateways().send().await.unwrap();
    let ours = nats.nat_gateways().iter().filter(|n| {
        n.tags().iter().any(|t| t.key() == Some("strata:stack") && t.value() == Some(name.as_str()))
    });
    assert_eq!(ours.count(), 1);
    let sgs = ec2.describe_security_groups().filters(tag_filter(&name)).send().await.unwrap();
    assert_eq!(sgs.security_groups().len(), 3);
    let sg = sgs.security_groups().iter().find(|g| g.description() == Some("web tier")).unwrap();
    assert_eq!(sg.ip_permissions().len(), 1, "{:?}", sg.ip_permissions());
    assert_eq!(sg.ip_permissions()[0].from_port(), Some(443));
    assert!(sg.ip_permissions_egress().is_empty(), "default egress rule revoked: default-deny");
    let by_desc = |d: &str| sgs.security_groups().iter().find(|g| g.description() == Some(d)).unwrap().clone();
    let (app_sg, db_sg) = (by_desc("app tier"), by_desc("db tier"));
    let db_rule = &db_sg.ip_permissions()[0];
    assert_eq!(db_rule.from_port(), Some(3306));
    assert_eq!(db_rule.user_id_group_pairs()[0].group_id(), app_sg.group_id());
    assert_eq!(app_sg.ip_permissions()[0].user_id_group_pairs()[0].group_id(), db_sg.group_id());
    let acls = ec2.describe_network_acls().filters(tag_filter(&name)).send().await.unwrap();
    let acl = &acls.network_acls()[0];
    let private_b_id = subnets.subnets().iter().find(|s| s.cidr_block() == Some("10.20.2.0/24")).unwrap().subnet_id();
    assert!(acl.associations().iter().any(|a| a.subnet_id() == private_b_id), "{acl:?}");
    assert!(acl.entries().iter().any(|e| e.rule_number() == Some(100) && e.egress() == Some(false)));
    for t in [&vpc.tags(), &sg.tags()] {
        assert!(t.iter().any(|t| t.key() == Some("strata:stack") && t.value() == Some(name.as_str())));
        assert!(t.iter().any(|t| t.key() == Some("env") && t.value() == Some("test")));
    }

    // 2. Re-apply: the plan is empty and no mutating call is made.
    let before = counter.snapshot();
    let plan = engine.plan(&base).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    let report = engine.apply(&base, plan).await;
    assert!(report.is_success());
    let calls = counter.snapshot().since(&before);
    assert_eq!(calls.mutating_calls(), 0, "{calls:?}");
    // EC2: one list call per kind (security groups serve two kinds), plus the
    // two VPC attributes EC2 has no batched read for, whatever the stack's size.
    let ec2_kinds = strata::aws::registry(&aws).kinds().filter(|k| k.starts_with("aws:ec2:")).count() as u64;
    let ec2_calls: u64 = calls.rows.iter().filter(|((svc, _), _)| svc == "EC2").map(|(_, c)| c.calls).sum();
    assert!(ec2_calls <= ec2_kinds + 2, "batched discovery: one call per kind, got {calls:?}");

    // 3. Change one SG rule and one tag: only those two resources change.
    let changed = small_network(&name, Variant::Changed);
    let plan = engine.plan(&changed).await.unwrap();
    let changing: Vec<&str> =
        plan.steps.iter().filter(|s| s.action != strata::Action::NoOp).map(|s| s.name.as_str()).collect();
    assert_eq!(changing, ["vpc", "web-sg"], "{}", plan.render_text());
    assert!(plan.steps.iter().all(|s| s.action != strata::Action::Replace));
    let report = engine.apply(&changed, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(report.count(Status::Updated), 2);
    let sgs = ec2.describe_security_groups().filters(tag_filter(&name)).send().await.unwrap();
    let web = sgs.security_groups().iter().find(|g| g.description() == Some("web tier")).unwrap();
    let perms = web.ip_permissions();
    assert_eq!(perms.len(), 1);
    assert_eq!(perms[0].from_port(), Some(8443));
    let vpcs = ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap();
    assert!(vpcs.vpcs()[0].tags().iter().any(|t| t.key() == Some("owner")));

    // 4. Remove a subnet from the program: it is pruned.
    let pruned = small_network(&name, Variant::Pruned);
    let plan = engine.plan(&pruned).await.unwrap();
    assert_eq!(plan.step("private-c").unwrap().action, strata::Action::Delete);
    converge(&engine, &pruned).await;
    let subnets = ec2.describe_subnets().filters(tag_filter(&name)).send().await.unwrap();
    assert_eq!(subnets.subnets().len(), 2);

    // A CIDR change cannot happen in place: the plan says replace, and why.
    let plan = engine.plan(&small_network(&name, Variant::MovedSubnet)).await.unwrap();
    let step = plan.step("private-b").unwrap();
    assert_eq!(step.action, strata::Action::Replace, "{}", plan.render_text());
    assert_eq!(step.reason.as_deref(), Some("cidr_block cannot change in place"));

    // 5. Out of band: delete a route and add an SG rule. Plan shows it; apply repairs it.
    let public_rt = rts
        .route_tables()
        .iter()
        .find(|rt| rt.routes().iter().any(|r| r.gateway_id() == Some(igw_id.as_str())))
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_string();
    ec2.delete_route().route_table_id(&public_rt).destination_cidr_block("0.0.0.0/0").send().await.unwrap();
    let sg_id = web.group_id().unwrap().to_string();
    ec2.authorize_security_group_ingress()
        .group_id(&sg_id)
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .cidr_ip("0.0.0.0/0")
        .send()
        .await
        .unwrap();
    let plan = engine.plan(&pruned).await.unwrap();
    let drift: Vec<&str> =
        plan.steps.iter().filter(|s| s.action != strata::Action::NoOp).map(|s| s.name.as_str()).collect();
    assert_eq!(drift, ["public-rt", "web-sg"], "{}", plan.render_text());
    let text = plan.render_text();
    assert!(text.contains("routes") && text.contains("ingress"), "{text}");
    converge(&engine, &pruned).await;
    let rt = ec2.describe_route_tables().route_table_ids(&public_rt).send().await.unwrap();
    assert!(rt.route_tables()[0].routes().iter().any(|r| r.destination_cidr_block() == Some("0.0.0.0/0")
        && r.gateway_id() == Some(igw_id.as_str())));
    let sg = ec2.describe_security_groups().group_ids(&sg_id).send().await.unwrap();
    assert_eq!(sg.security_groups()[0].ip_permissions().len(), 1, "the out-of-band rule is gone");
    assert!(!engine.plan(&pruned).await.unwrap().has_changes());

    // 6. Destroy: nothing tagged with the stack remains.
    let plan = engine.plan_destroy(&pruned).await.unwrap();
    let report = engine.apply(&pruned, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(ec2_leftovers(&ec2, &name).await, Vec::<String>::new());
}

async fn never_touches_untagged_lookalikes(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("foreign");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = engine(&aws);
    let ec2 = ec2_client(&url, REGION).await;
    // A VPC with the same logical-name tag but no stack tag, and one owned by another stack.
    let tags = |stack: Option<&str>| {
        let mut spec = aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
            .tags(aws_sdk_ec2::types::Tag::builder().key("strata:resource").value("vpc").build())
            .tags(aws_sdk_ec2::types::Tag::builder().key("Name").value("vpc").build());
        if let Some(s) = stack {
            spec = spec.tags(aws_sdk_ec2::types::Tag::builder().key("strata:stack").value(s).build());
        }
        spec.build()
    };
    let foreign = ec2.create_vpc().cidr_block("10.20.0.0/16").tag_specifications(tags(None)).send().await.unwrap();
    let other = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .tag_specifications(tags(Some(&format!("{name}-other"))))
        .send()
        .await
        .unwrap();
    let ids = [foreign.vpc().unwrap().vpc_id().unwrap().to_string(), other.vpc().unwrap().vpc_id().unwrap().to_string()];

    let mut s = Stack::new(&name, REGION);
    s.add("vpc", Vpc::new("10.20.0.0/16"));
    let plan = engine.plan(&s).await.unwrap();
    assert_eq!(plan.step("vpc").unwrap().action, strata::Action::Create);
    converge(&engine, &s).await;
    let destroy = engine.plan_destroy(&s).await.unwrap();
    assert_eq!(destroy.steps.len(), 1);
    assert!(engine.apply(&s, destroy).await.is_success());
    let still = ec2.describe_vpcs().set_vpc_ids(Some(ids.to_vec())).send().await.unwrap();
    assert_eq!(still.vpcs().len(), 2, "foreign VPCs untouched");
    for id in ids {
        ec2.delete_vpc().vpc_id(id).send().await.unwrap();
    }
}

/// A rule that exists already without this resource's description (made by
/// hand, or by another tool) is never taken over: the create fails, naming
/// the group, and the rule is left as it was.
async fn never_takes_over_a_rule_it_did_not_make(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("dup-rule");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = engine(&aws);
    let ec2 = ec2_client(&url, REGION).await;
    let vpc = ec2.create_vpc().cidr_block("10.30.0.0/16").send().await.unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let sg = ec2.create_security_group().group_name(&name).description("by hand").vpc_id(&vpc_id).send().await.unwrap();
    let sg_id = sg.group_id().unwrap().to_string();
    let by_hand = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(5432)
        .to_port(5432)
        .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("10.1.0.0/16").build())
        .build();
    ec2.authorize_security_group_ingress().group_id(&sg_id).ip_permissions(by_hand).send().await.unwrap();

    let mut s = Stack::new(&name, REGION);
    s.add("pg-from-office", SecurityGroupRule::ingress(sg_id.as_str(), Rule::tcp(5432).cidr("10.1.0.0/16")));
    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    let o = report.outcome("pg-from-office").unwrap();
    assert_eq!(o.status, Status::Failed, "{}", strata::cli::render_report(&report));
    let detail = o.detail.as_deref().unwrap_or_default();
    assert!(detail.contains(&sg_id) && detail.contains("does not take over a rule it did not make"), "{detail}");
    let after = ec2.describe_security_groups().group_ids(&sg_id).send().await.unwrap();
    let ranges: Vec<_> = after.security_groups()[0].ip_permissions().iter().flat_map(|p| p.ip_ranges().to_vec()).collect();
    assert_eq!(ranges.len(), 1, "{ranges:?}");
    assert_eq!(ranges[0].description(), None, "the rule was not re-described or re-tagged");
    // Nothing of the stack exists, so its plan is still a create.
    assert_eq!(engine.plan(&s).await.unwrap().step("pg-from-office").unwrap().action, strata::Action::Create);
    ec2.delete_security_group().group_id(&sg_id).send().await.unwrap();
    ec2.delete_vpc().vpc_id(&vpc_id).send().await.unwrap();
}

macro_rules! on_both_emulators {
    ($($name:ident),* $(,)?) => {
        mod localstack {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() { super::$name(strata_aws_testkit::Emulator::LocalStack).await }) *
        }
        mod moto {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() { super::$name(strata_aws_testkit::Emulator::Moto).await }) *
        }
    };
}

on_both_emulators!(lifecycle, never_touches_untagged_lookalikes, never_takes_over_a_rule_it_did_not_make);

/// Validation runs before any call: every rule, all errors at once.
mod validation {
    use super::*;

    /// Plan against an endpoint where nothing listens: validation must fail
    /// first, with zero API calls.
    async fn errors(stack: &Stack) -> String {
        let aws = strata_aws_testkit::aws("http://127.0.0.1:9", REGION).await;
        let counter = aws.counter();
        let engine = Engine::new(strata::aws::registry(&aws));
        let err = match engine.plan(stack).await {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        };
        assert_eq!(counter.snapshot().total_calls(), 0);
        err
    }

    #[tokio::test]
    async fn cidrs_sizes_containment_overlap_azs_and_ports() {
        let mut s = Stack::new("v", REGION);
        let vpc = s.add("vpc", Vpc::new("10.0.0.0/8"));
        let good = s.add("good-vpc", Vpc::new("10.1.0.0/16"));
        s.add("bad-cidr", Subnet::new(good.id(), "10.1.300.0/24", "eu-central-1a"));
        s.add("outside", Subnet::new(good.id(), "10.2.0.0/24", "eu-central-1a"));
        s.add("tiny", Subnet::new(good.id(), "10.1.0.0/29", "eu-central-1a"));
        s.add("a", Subnet::new(good.id(), "10.1.1.0/24", "eu-central-1a"));
        s.add("b", Subnet::new(good.id(), "10.1.1.128/25", "eu-central-1b"));
        s.add("wrong-az", Subnet::new(good.id(), "10.1.9.0/24", "us-east-1a"));
        s.add("sg", SecurityGroup::new(vpc.id()).ingress(Rule::tcp_range(80, 70_000).cidr("0.0.0.0/0")));
        s.add("proto", SecurityGroup::new(vpc.id()).ingress(Rule::protocol("tcpp", 1, 2).cidr("10.0.0.0/8")));
        s.add("no-source", SecurityGroup::new(vpc.id()).egress(Rule::tcp(443)));
        let text = errors(&s).await;
        for expected in [
            "vpc: field `cidr_block`",
            "bad-cidr: field `cidr_block`",
            "outside: field `cidr_block`",
            "tiny: field `cidr_block`",
            "overlap",
            "wrong-az: field `availability_zone`",
            "sg: field `ingress`",
            "proto: field `ingress`: rule 1 (tcpp 1-2): protocol \"tcpp\"",
            "no-source: field `egress`: rule 1 (tcp 443-443): needs exactly one of cidr, group, prefix_list",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }
}
