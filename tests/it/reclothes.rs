//! The ReClothes example (`examples/reclothes`) on moto: the `dev`
//! environment is applied; the design's facts are checked with independent
//! SDK calls (the expectations are the design's, not read from the example's
//! settings): five VPCs, each reaching each other one through the transit
//! gateway's routes and no other way; three security-group tiers whose
//! database tier admits only its compute tier; network ACLs on every subnet;
//! two REST APIs, the external one behind a WAF web ACL; a VPN to the
//! office. A re-apply makes no mutating call; destroy leaves nothing tagged
//! with the stack. `prod`'s settings are planned.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::Filter;
use strata::engine::Engine;
use strata_aws_testkit::{unique_stack, Emulator};

use crate::reclothes_example::reclothes::{self, Env};
use crate::reclothes_example::settings;

const REGION: &str = "eu-central-1";

fn tag(prefix: &str) -> String {
    let t = unique_stack(prefix).replace('-', "");
    format!("t{}", &t[t.len().saturating_sub(8)..])
}

#[tokio::test(flavor = "multi_thread")]
async fn reclothes_dev_on_moto() {
    let url = Emulator::Moto.url();
    // No emulator implements DocumentDB: the catalogue is left out, as the program does on an emulator.
    let env = Env { catalogue: None, ..settings("dev").expect("dev settings").isolated(&tag("rc")) };
    let s = reclothes::stack(&env);
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let (ec2, apigw, waf) = (aws_sdk_ec2::Client::new(&conf), aws_sdk_apigateway::Client::new(&conf), aws_sdk_wafv2::Client::new(&conf));
    let (rds, ec) = (aws_sdk_rds::Client::new(&conf), aws_sdk_elasticache::Client::new(&conf));

    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let mut problems: Vec<String> = Vec::new();
    let mut holds = |what: &str, ok: bool| {
        if !ok {
            problems.push(what.to_string());
        }
    };
    let by_stack = Filter::builder().name("tag:strata:stack").values(&env.stack).build();

    // Five VPCs, one per service, each with public and private subnets in two AZs.
    let vpcs = ec2.describe_vpcs().filters(by_stack.clone()).send().await.unwrap().vpcs().to_vec();
    let cidr_of: BTreeMap<String, String> = vpcs.iter().filter_map(|v| Some((v.vpc_id()?.to_string(), v.cidr_block()?.to_string()))).collect();
    let cidrs: BTreeSet<&str> = cidr_of.values().map(String::as_str).collect();
    holds(&format!("five VPCs, one per service (got {cidrs:?})"), cidrs.len() == 5);
    let subnets = ec2.describe_subnets().filters(by_stack.clone()).send().await.unwrap().subnets().to_vec();
    for vpc in cidr_of.keys() {
        let mine: Vec<_> = subnets.iter().filter(|s| s.vpc_id() == Some(vpc)).collect();
        let public = mine.iter().filter(|s| s.map_public_ip_on_launch() == Some(true)).count();
        let azs: BTreeSet<_> = mine.iter().filter_map(|s| s.availability_zone()).collect();
        holds(&format!("{vpc}: two public and two private subnets over two AZs"), mine.len() == 4 && public == 2 && azs.len() == 2);
    }
    let igws = ec2.describe_internet_gateways().filters(by_stack.clone()).send().await.unwrap();
    holds("an internet gateway per VPC", igws.internet_gateways().len() == 5);
    // (moto ignores a tag filter of DescribeNatGateways: the VPCs are checked here.)
    let nats = ec2.describe_nat_gateways().send().await.unwrap();
    let nat_vpcs: BTreeSet<_> = nats.nat_gateways().iter().filter_map(|n| n.vpc_id()).filter(|v| cidr_of.contains_key(*v)).collect();
    holds("a NAT gateway in every VPC", nat_vpcs.len() == 5);

    // Each VPC reaches each other one through the transit gateway, and no other way.
    let tgw = report.exports["transit_gateway"].as_str().unwrap().to_string();
    let tables = ec2.describe_route_tables().filters(by_stack.clone()).send().await.unwrap().route_tables().to_vec();
    for (vpc, own) in &cidr_of {
        let mine: Vec<_> = tables.iter().filter(|t| t.vpc_id() == Some(vpc)).collect();
        for other in cidr_of.values().filter(|c| *c != own) {
            let via_tgw = mine.iter().any(|t| t.routes().iter().any(|r| r.destination_cidr_block() == Some(other) && r.transit_gateway_id() == Some(tgw.as_str())));
            holds(&format!("{own} reaches {other} through the transit gateway"), via_tgw);
            let other_way = mine.iter().any(|t| t.routes().iter().any(|r| r.destination_cidr_block() == Some(other) && r.transit_gateway_id().is_none()));
            holds(&format!("{own} reaches {other} no other way"), !other_way);
        }
    }
    let peerings = ec2.describe_vpc_peering_connections().send().await.unwrap();
    let peered = peerings.vpc_peering_connections().iter().any(|p| p.requester_vpc_info().and_then(|i| i.vpc_id()).is_some_and(|v| cidr_of.contains_key(v)));
    holds("no VPC peering", !peered);
    let atts = ec2.describe_transit_gateway_vpc_attachments().filters(Filter::builder().name("transit-gateway-id").values(&tgw).build()).send().await.unwrap();
    let att_vpc: BTreeMap<String, String> = atts
        .transit_gateway_vpc_attachments()
        .iter()
        .filter(|a| a.transit_gateway_id() == Some(tgw.as_str()) && a.state().map(|s| s.as_str()) != Some("deleted"))
        .filter_map(|a| Some((a.transit_gateway_attachment_id()?.to_string(), a.vpc_id()?.to_string())))
        .collect();
    holds("every VPC is attached to the transit gateway", att_vpc.values().collect::<BTreeSet<_>>() == cidr_of.keys().collect::<BTreeSet<_>>());
    let g = ec2.describe_transit_gateways().transit_gateway_ids(&tgw).send().await.unwrap().transit_gateways()[0].clone();
    holds("the transit gateway routes only as declared", g.options().and_then(|o| o.default_route_table_association()).map(|v| v.as_str()) == Some("disable"));
    let tgw_table = report.outcome("tgw-routes").and_then(|o| o.physical_id.clone()).expect("the transit gateway route table");
    let routes = ec2
        .search_transit_gateway_routes()
        .transit_gateway_route_table_id(&tgw_table)
        .filters(Filter::builder().name("type").values("static").build())
        .send()
        .await
        .unwrap();
    for (vpc, cidr) in &cidr_of {
        let to = routes.routes().iter().find(|r| r.destination_cidr_block() == Some(cidr)).and_then(|r| r.transit_gateway_attachments().first()).and_then(|a| a.transit_gateway_attachment_id());
        holds(&format!("the transit gateway sends {cidr} to its VPC's attachment"), to.and_then(|a| att_vpc.get(a)) == Some(vpc));
    }

    // Three security-group tiers; the database tier admits only its compute tier.
    let groups = ec2.describe_security_groups().filters(by_stack.clone()).send().await.unwrap().security_groups().to_vec();
    for vpc in cidr_of.keys() {
        let mine: Vec<_> = groups.iter().filter(|g| g.vpc_id() == Some(vpc)).collect();
        let tier = |t: &str| mine.iter().find(|g| g.description().is_some_and(|d| d.contains(&format!("{t} tier")))).copied();
        let (Some(_public), Some(compute), Some(db)) = (tier("public"), tier("compute"), tier("database")) else {
            holds(&format!("{vpc}: three security-group tiers"), false);
            continue;
        };
        let only_compute = db.ip_permissions().iter().all(|p| p.ip_ranges().is_empty() && p.user_id_group_pairs().iter().all(|u| u.group_id() == compute.group_id()));
        holds(&format!("{vpc}: the database tier admits only the compute tier"), only_compute);
    }

    // A network ACL of the stack's on every subnet.
    let acls = ec2.describe_network_acls().filters(by_stack.clone()).send().await.unwrap();
    let covered: BTreeSet<&str> = acls.network_acls().iter().flat_map(|a| a.associations().iter().filter_map(|x| x.subnet_id())).collect();
    holds("every subnet has one of the stack's network ACLs", subnets.iter().filter_map(|s| s.subnet_id()).all(|s| covered.contains(s)));

    // The VPN: a gateway on one service VPC, a static route to the office.
    let vgws = ec2.describe_vpn_gateways().filters(by_stack.clone()).send().await.unwrap();
    let attached = vgws.vpn_gateways().iter().flat_map(|g| g.vpc_attachments()).filter(|a| a.vpc_id().is_some_and(|v| cidr_of.contains_key(v))).count();
    holds("a VPN gateway attached to a service VPC", vgws.vpn_gateways().len() == 1 && attached == 1);
    let conns = ec2.describe_vpn_connections().filters(by_stack.clone()).send().await.unwrap();
    holds("a VPN connection with a static route to the office", conns.vpn_connections().iter().any(|c| !c.routes().is_empty()));

    // The APIs: external behind the web ACL, internal for signed requests from the office.
    let apis = apigw.get_rest_apis().limit(500).send().await.unwrap().items().to_vec();
    let ours: Vec<_> = apis.iter().filter(|a| a.tags().and_then(|t| t.get("strata:stack")) == Some(&env.stack)).collect();
    holds("two REST APIs", ours.len() == 2);
    for a in &ours {
        let id = a.id().unwrap_or_default();
        let res = apigw.get_resources().rest_api_id(id).embed("methods").limit(500).send().await.unwrap().items().to_vec();
        let services: BTreeSet<&str> = res.iter().filter_map(|r| r.path()).filter_map(|p| p.strip_prefix('/')).filter(|p| !p.is_empty() && !p.contains('/') && *p != "health").collect();
        let private = res.iter().flat_map(|r| r.resource_methods().into_iter().flatten()).filter(|(_, m)| m.method_integration().and_then(|i| i.connection_type()).map(|c| c.as_str()) == Some("VPC_LINK")).count();
        holds(&format!("API {id}: every service path goes through a VPC link ({services:?})"), private == 2 * services.len() && !services.is_empty());
        let stage = apigw.get_stages().rest_api_id(id).send().await.unwrap().item().first().and_then(|s| s.stage_name()).unwrap_or_default().to_string();
        let stage_arn = format!("arn:aws:apigateway:{REGION}::/restapis/{id}/stages/{stage}");
        let guarded = waf.get_web_acl_for_resource().resource_arn(&stage_arn).send().await.unwrap().web_acl().is_some();
        if a.policy().is_some_and(|p| !p.is_empty()) {
            holds("the internal API admits the office only", a.policy().is_some_and(|p| p.contains("aws:SourceIp")));
            holds("the internal API takes signed requests only", res.iter().flat_map(|r| r.resource_methods().into_iter().flatten()).filter(|(_, m)| m.method_integration().and_then(|i| i.connection_type()).map(|c| c.as_str()) == Some("VPC_LINK")).all(|(_, m)| m.authorization_type() == Some("AWS_IAM")));
            holds("the internal API serves the management services, not the cart", !services.contains("cart"));
        } else {
            holds("the external API is behind a web ACL", guarded);
            holds("the external API serves the cart", services.contains("cart"));
        }
    }

    // Data: a PostgreSQL database per domain with one, Redis for the cart and the configuration.
    let dbs = rds.describe_db_instances().send().await.unwrap();
    let ours_db = dbs.db_instances().iter().filter(|d| d.db_instance_identifier().is_some_and(|i| i.starts_with(&env.names))).collect::<Vec<_>>();
    holds("four PostgreSQL databases (auth, cart, customer, billing)", ours_db.len() == 4 && ours_db.iter().all(|d| d.engine() == Some("postgres")));
    let caches = ec.describe_replication_groups().send().await.unwrap();
    holds("two Redis groups", caches.replication_groups().iter().filter(|g| g.replication_group_id().is_some_and(|i| i.starts_with(&env.names))).count() == 2);

    crate::support::facts_hold_then_noop_then_destroy(&problems, &engine, counter.as_ref(), &s, &url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reclothes_prod_plans_on_moto() {
    let url = Emulator::Moto.url();
    let t = tag("rp");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let kinds = |s: &strata::Stack| s.resources().iter().map(|r| r.kind).collect::<BTreeSet<_>>();
    let dev = reclothes::stack(&settings("dev").expect("dev").isolated(&t));
    let prod = reclothes::stack(&settings("prod").expect("prod").isolated(&t));
    crate::support::plans_every_resource_as_a_create(&engine, &prod).await;
    assert!(kinds(&dev).is_subset(&kinds(&prod)));
    // Prod: a NAT gateway per AZ in each of the five VPCs, databases that refuse deletion.
    assert_eq!(prod.resources().iter().filter(|r| r.kind == "aws:ec2:NatGateway").count(), 10);
    assert!(prod.resources().iter().filter(|r| r.kind == "aws:rds:DbInstance").all(|d| d.known("deletion_protection").and_then(|v| v.as_bool()) == Some(true)));
    // The catalogue is planned (its kinds only list, which moto's RDS answers): a cluster that refuses deletion, two instances.
    assert!(prod.resources().iter().any(|r| r.kind == "aws:docdb:DbCluster" && r.known("deletion_protection").and_then(|v| v.as_bool()) == Some(true)));
    assert_eq!(prod.resources().iter().filter(|r| r.kind == "aws:docdb:DbInstance").count(), 2);
    assert!(settings("qa").is_none(), "an unknown environment is refused");
}
