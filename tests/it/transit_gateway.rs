//! Transit Gateway on moto: a hub and two spoke VPCs, each attached through
//! one subnet per AZ; one route table that serves both attachments, learns
//! the first one's routes, and holds a static route and a blackhole; each
//! VPC's route table sends the other spoke's CIDR to the gateway. Read back
//! through the SDK; re-planned empty; changed in place (a propagation
//! dropped, a route moved, an attachment's subnets changed, the gateway's
//! description); drift (an association removed by hand) shown and repaired;
//! destroyed. moto's attachment tags, its default-association behaviour and
//! `ReplaceTransitGatewayRoute` are emulator fixes and an extension
//! (`scripts/moto_server.py`); moto ignores `tag:` filters on attachments and
//! route tables, so the test also leaves a foreign, untagged route table on
//! the same gateway and checks it is never touched.

use aws_sdk_ec2::types::Filter;
use strata::aws::ec2::{Route, RouteTable, Subnet, TransitGateway, TransitGatewayRouteTable, TransitGatewayVpcAttachment, Vpc};
use strata::engine::CallCounter;
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const REGION: &str = "eu-central-1";

#[derive(Clone)]
struct Want {
    propagate_b: bool,
    /// Where 10.200.0.0/16 goes: attachment "a" or "b".
    shared_route_to: &'static str,
    third_subnet_b: bool,
    description: &'static str,
}

fn stack(name: &str, w: &Want) -> Stack {
    let mut s = Stack::new(name, REGION);
    let tgw = s.add("hub", TransitGateway::new().description(w.description).amazon_side_asn(64600));
    let spoke = |s: &mut Stack, n: &str, cidr_b: u8, extra: bool| {
        let vpc = s.add(format!("{n}-vpc"), Vpc::new(format!("10.{cidr_b}.0.0/16").as_str()));
        let mut subnets = vec![
            s.add(format!("{n}-a"), Subnet::new(vpc.id(), format!("10.{cidr_b}.1.0/24").as_str(), "eu-central-1a")).id(),
            s.add(format!("{n}-b"), Subnet::new(vpc.id(), format!("10.{cidr_b}.2.0/24").as_str(), "eu-central-1b")).id(),
        ];
        if extra {
            subnets.push(s.add(format!("{n}-c"), Subnet::new(vpc.id(), format!("10.{cidr_b}.3.0/24").as_str(), "eu-central-1c")).id());
        }
        let att = s.add(format!("{n}-attachment"), TransitGatewayVpcAttachment::new(tgw.id(), vpc.id(), subnets.clone()).tag("spoke", n));
        (vpc, subnets, att)
    };
    let (vpc_a, subnets_a, att_a) = spoke(&mut s, "orders", 110, false);
    let (vpc_b, subnets_b, att_b) = spoke(&mut s, "stock", 120, w.third_subnet_b);
    let mut table = TransitGatewayRouteTable::new(tgw.id()).associate(att_a.id()).associate(att_b.id()).propagate(att_a.id()).blackhole("10.99.0.0/16");
    if w.propagate_b {
        table = table.propagate(att_b.id());
    }
    table = table.route("10.200.0.0/16", if w.shared_route_to == "a" { att_a.id() } else { att_b.id() });
    s.add("spokes", table);
    let rt_a = s.add("orders-rt", RouteTable::new(vpc_a.id()).route(Route::to_transit_gateway("10.120.0.0/16", tgw.id())).associate(subnets_a[0].clone()));
    let rt_b = s.add("stock-rt", RouteTable::new(vpc_b.id()).route(Route::to_transit_gateway("10.110.0.0/16", tgw.id())).associate(subnets_b[0].clone()));
    let _ = (rt_a, rt_b);
    s.export("tgw", tgw.id());
    s.export("a", att_a.id());
    s.export("b", att_b.id());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn transit_gateway_hub_and_spokes_lifecycle_on_moto_with_attachment_fixes_as_emulator_extensions() {
    let url = Emulator::Moto.url();
    let name = unique_stack("tgw");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let ec2 = aws_sdk_ec2::Client::new(&strata_aws_testkit::sdk_config(&url, REGION).await);
    let base = Want { propagate_b: true, shared_route_to: "a", third_subnet_b: false, description: "ReClothes hub" };

    let s = stack(&name, &base);
    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id = |n: &str| report.outcome(n).and_then(|o| o.physical_id.clone()).unwrap_or_else(|| panic!("{n} has an id"));
    let (tgw, a, b, table) = (id("hub"), id("orders-attachment"), id("stock-attachment"), id("spokes"));

    let g = ec2.describe_transit_gateways().transit_gateway_ids(&tgw).send().await.unwrap().transit_gateways()[0].clone();
    let o = g.options().unwrap();
    assert_eq!(o.amazon_side_asn(), Some(64600));
    assert_eq!(o.default_route_table_association().map(|v| v.as_str()), Some("disable"), "routing is explicit");
    assert_eq!(o.default_route_table_propagation().map(|v| v.as_str()), Some("disable"));
    let att = ec2.describe_transit_gateway_vpc_attachments().transit_gateway_attachment_ids(&a).send().await.unwrap().transit_gateway_vpc_attachments()[0].clone();
    assert_eq!(att.subnet_ids().len(), 2);
    assert!(att.tags().iter().any(|t| t.key() == Some("strata:stack") && t.value() == Some(name.as_str())), "the attachment carries the stack's tags");
    let assoc = ec2.get_transit_gateway_route_table_associations().transit_gateway_route_table_id(&table).send().await.unwrap();
    let mut associated: Vec<String> = assoc.associations().iter().filter_map(|x| x.transit_gateway_attachment_id().map(str::to_string)).collect();
    associated.sort();
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(associated, both);
    let props = ec2.get_transit_gateway_route_table_propagations().transit_gateway_route_table_id(&table).send().await.unwrap();
    assert_eq!(props.transit_gateway_route_table_propagations().len(), 2);
    let routes = ec2.search_transit_gateway_routes().transit_gateway_route_table_id(&table).filters(Filter::builder().name("type").values("static").build()).send().await.unwrap();
    let route = |cidr: &str| routes.routes().iter().find(|r| r.destination_cidr_block() == Some(cidr)).cloned();
    assert_eq!(route("10.99.0.0/16").and_then(|r| r.state().map(|s| s.as_str().to_string())).as_deref(), Some("blackhole"));
    assert!(route("10.200.0.0/16").is_some());
    let rts = ec2.describe_route_tables().route_table_ids(id("orders-rt")).send().await.unwrap();
    assert!(rts.route_tables()[0].routes().iter().any(|r| r.destination_cidr_block() == Some("10.120.0.0/16") && r.transit_gateway_id() == Some(tgw.as_str())), "the VPC routes the other spoke through the hub");

    // Someone else's route table on the same gateway: untagged, never touched.
    let foreign = ec2.create_transit_gateway_route_table().transit_gateway_id(&tgw).send().await.unwrap();
    let foreign = foreign.transit_gateway_route_table().and_then(|t| t.transit_gateway_route_table_id()).unwrap().to_string();

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    let calls = counter.snapshot().since(&before);
    let mutating: Vec<&(String, String)> = calls.rows.iter().filter(|(_, c)| c.mutating && c.calls > 0).map(|(k, _)| k).collect();
    assert!(mutating.is_empty(), "a second run changes nothing: {mutating:?}");

    // In place: one propagation fewer, the shared route moved, a third subnet, a new description.
    let changed = Want { propagate_b: false, shared_route_to: "b", third_subnet_b: true, description: "ReClothes hub (eu)" };
    let s2 = stack(&name, &changed);
    let plan = engine.plan(&s2).await.unwrap();
    for step in ["spokes", "stock-attachment", "hub"] {
        assert_eq!(plan.step(step).unwrap().action, strata::Action::Update, "{step}: {}", plan.render_text());
    }
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let props = ec2.get_transit_gateway_route_table_propagations().transit_gateway_route_table_id(&table).send().await.unwrap();
    let learned: Vec<&str> = props.transit_gateway_route_table_propagations().iter().filter(|p| p.state().map(|s| s.as_str()) == Some("enabled")).filter_map(|p| p.transit_gateway_attachment_id()).collect();
    assert_eq!(learned, [a.as_str()]);
    let routes = ec2.search_transit_gateway_routes().transit_gateway_route_table_id(&table).filters(Filter::builder().name("type").values("static").build()).send().await.unwrap();
    let shared = routes.routes().iter().find(|r| r.destination_cidr_block() == Some("10.200.0.0/16")).cloned().unwrap();
    assert_eq!(shared.transit_gateway_attachments().first().and_then(|x| x.transit_gateway_attachment_id()), Some(b.as_str()), "the route moved");
    let att = ec2.describe_transit_gateway_vpc_attachments().transit_gateway_attachment_ids(&b).send().await.unwrap().transit_gateway_vpc_attachments()[0].clone();
    assert_eq!(att.subnet_ids().len(), 3);
    assert!(!engine.plan(&s2).await.unwrap().has_changes());

    // Drift: an association removed by hand is put back.
    ec2.disassociate_transit_gateway_route_table().transit_gateway_route_table_id(&table).transit_gateway_attachment_id(&a).send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    let step = plan.step("spokes").unwrap();
    assert_eq!(step.action, strata::Action::Update, "{}", plan.render_text());
    assert!(step.changes.iter().any(|c| c.field == "associations"), "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    assert!(!engine.plan(&s2).await.unwrap().has_changes(), "repaired");

    let f = ec2.describe_transit_gateway_route_tables().transit_gateway_route_table_ids(&foreign).send().await.unwrap();
    assert_eq!(f.transit_gateway_route_tables().first().and_then(|t| t.state()).map(|s| s.as_str()), Some("available"), "the foreign table is untouched");
    let theirs = ec2.get_transit_gateway_route_table_associations().transit_gateway_route_table_id(&foreign).send().await.unwrap();
    assert!(theirs.associations().is_empty(), "nothing was associated with the foreign table");
    ec2.delete_transit_gateway_route_table().transit_gateway_route_table_id(&foreign).send().await.unwrap();

    let report = engine.apply(&s2, engine.plan_destroy(&s2).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let left = crate::inventory::tagged_with(&url, &name).await;
    assert!(left.is_empty(), "left after destroy: {left:#?}");
}

const PSK: &str = "never_printed_psk_4711";

fn vpn_stack(name: &str, routes: &[&str], second_vpc: bool) -> Stack {
    use strata::aws::ec2::{CustomerGateway, VpnConnection, VpnGateway};
    let mut s = Stack::new(name, REGION);
    let vpc = s.add("mgmt-vpc", Vpc::new("10.130.0.0/16"));
    let other = s.add("other-vpc", Vpc::new("10.131.0.0/16"));
    let office = s.add("office", CustomerGateway::new(65010, "203.0.113.10"));
    let vgw = s.add("vgw", VpnGateway::new().amazon_side_asn(64620).vpc_id(if second_vpc { other.id() } else { vpc.id() }));
    let mut conn = VpnConnection::to_vpn_gateway(office.id(), vgw.id()).tunnel1_psk(PSK);
    for r in routes {
        conn = conn.static_route(r);
    }
    let conn = s.add("office-vpn", conn);
    let hub = s.add("hub", TransitGateway::new());
    s.add("office-vpn-tgw", VpnConnection::to_transit_gateway(office.id(), hub.id()));
    s.add("mgmt-rt", RouteTable::new(vpc.id()).route(Route::to_gateway("192.168.0.0/16", vgw.id())));
    s.export("tunnel1", conn.tunnel1_address());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn site_to_site_vpn_lifecycle_on_moto_with_options_and_routes_as_emulator_extensions() {
    let url = Emulator::Moto.url();
    let name = unique_stack("vpn");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let ec2 = aws_sdk_ec2::Client::new(&strata_aws_testkit::sdk_config(&url, REGION).await);

    let s = vpn_stack(&name, &["192.168.0.0/16", "172.20.0.0/16"], false);
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.render_text().contains(PSK), "the pre-shared key is not in the plan");
    let report = engine.apply(&s, plan).await;
    let rendered = strata::cli::render_report(&report);
    assert!(report.is_success(), "{rendered}");
    assert!(!rendered.contains(PSK), "the pre-shared key is not in the report");
    let id = |n: &str| report.outcome(n).and_then(|o| o.physical_id.clone()).unwrap_or_else(|| panic!("{n} has an id"));
    let conn = ec2.describe_vpn_connections().vpn_connection_ids(id("office-vpn")).send().await.unwrap().vpn_connections()[0].clone();
    assert_eq!(conn.options().and_then(|o| o.static_routes_only()), Some(true));
    let mut routes: Vec<&str> = conn.routes().iter().filter_map(|r| r.destination_cidr_block()).collect();
    routes.sort();
    assert_eq!(routes, ["172.20.0.0/16", "192.168.0.0/16"]);
    assert_eq!(conn.options().and_then(|o| o.tunnel_options().first()).and_then(|t| t.pre_shared_key()), Some(PSK), "the given key was sent");
    assert!(report.exports["tunnel1"].as_str().is_some_and(|a| a.parse::<std::net::Ipv4Addr>().is_ok()), "the tunnel's address is an output");
    let tgw_conn = ec2.describe_vpn_connections().vpn_connection_ids(id("office-vpn-tgw")).send().await.unwrap().vpn_connections()[0].clone();
    assert_eq!(tgw_conn.transit_gateway_id(), Some(id("hub").as_str()));
    let vgw = ec2.describe_vpn_gateways().vpn_gateway_ids(id("vgw")).send().await.unwrap().vpn_gateways()[0].clone();
    assert_eq!(vgw.vpc_attachments().first().and_then(|a| a.vpc_id()), Some(id("mgmt-vpc").as_str()));
    let cgw = ec2.describe_customer_gateways().customer_gateway_ids(id("office")).send().await.unwrap().customer_gateways()[0].clone();
    assert_eq!(cgw.ip_address(), Some("203.0.113.10"));

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // In place: a route swapped, the gateway moved to the other VPC.
    let s2 = vpn_stack(&name, &["192.168.0.0/16", "172.30.0.0/16"], true);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("office-vpn").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert_eq!(plan.step("vgw").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let conn = ec2.describe_vpn_connections().vpn_connection_ids(id("office-vpn")).send().await.unwrap().vpn_connections()[0].clone();
    let mut routes: Vec<&str> = conn.routes().iter().filter_map(|r| r.destination_cidr_block()).collect();
    routes.sort();
    assert_eq!(routes, ["172.30.0.0/16", "192.168.0.0/16"]);
    assert!(!engine.plan(&s2).await.unwrap().has_changes());

    let report = engine.apply(&s2, engine.plan_destroy(&s2).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let left = crate::inventory::tagged_with(&url, &name).await;
    assert!(left.is_empty(), "left after destroy: {left:#?}");
}
