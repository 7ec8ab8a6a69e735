//! `aws:ec2:RouteTable`: a route table with its routes and subnet
//! associations inline (routes and associations cannot carry tags; they are
//! identified through the tagged table). Routes are compared by destination;
//! the VPC's `local` route and propagated routes are not ours and are ignored.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, RouteTable as Item};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, OpContext, ProviderError};

use super::common::{entry, gone_ok, map_str, parse_cidr, sort_list, stack_filter, tags_of_list, tags_spec, Ec2Tags};

/// Target kinds a route can name.
const TARGETS: [&str; 3] = ["gateway_id", "nat_gateway_id", "transit_gateway_id"];

/// One route: a destination CIDR and a target.
#[derive(Clone, Debug)]
pub struct Route {
    destination: String,
    target_kind: &'static str,
    target: Input,
}

impl Route {
    /// To an internet gateway.
    pub fn to_gateway(destination: &str, igw_id: impl Into<Arg<String>>) -> Route {
        Route { destination: destination.into(), target_kind: "gateway_id", target: igw_id.into().into_input() }
    }
    /// To a NAT gateway.
    pub fn to_nat_gateway(destination: &str, nat_id: impl Into<Arg<String>>) -> Route {
        Route { destination: destination.into(), target_kind: "nat_gateway_id", target: nat_id.into().into_input() }
    }
    /// To a transit gateway.
    pub fn to_transit_gateway(destination: &str, tgw_id: impl Into<Arg<String>>) -> Route {
        Route { destination: destination.into(), target_kind: "transit_gateway_id", target: tgw_id.into().into_input() }
    }
    fn into_input(self) -> Input {
        Input::Map(BTreeMap::from([
            ("destination".to_string(), Input::from(self.destination)),
            (self.target_kind.to_string(), self.target),
        ]))
    }
}

strata_aws::kind_fields! {
    /// A route table.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::{InternetGateway, Route, RouteTable, Subnet, Vpc};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
    /// let igw = stack.add("igw", InternetGateway::new().vpc_id(vpc.id()));
    /// let public = stack.add("public-a", Subnet::new(vpc.id(), "10.0.1.0/24", "eu-central-1a").public());
    /// stack.add("public-rt", RouteTable::new(vpc.id())
    ///     .route(Route::to_gateway("0.0.0.0/0", igw.id()))
    ///     .associate(public.id()));
    /// ```
    pub struct RouteTable: "aws:ec2:RouteTable";
    values RouteTableValues;
    handle RouteTableHandle / RouteTableOutputs { association_ids: map };
    fields {
        /// The VPC.
        vpc_id: str [replace required];
        /// The routes: `destination` and one target.
        routes: list [update private];
        /// The associated subnets.
        subnet_ids: strs [update private];
    }
}

impl RouteTable {
    /// A table with no routes of its own, associated with no subnet.
    pub fn new(vpc_id: impl Into<Arg<String>>) -> Self {
        Self::empty().vpc_id(vpc_id).subnet_ids(Vec::<String>::new())
    }
    /// Add a route.
    pub fn route(self, route: Route) -> Self {
        self.push(V::routes, route.into_input())
    }
    /// Associate a subnet with this table.
    pub fn associate(self, subnet_id: impl Into<Arg<String>>) -> Self {
        self.push(V::subnet_ids, subnet_id.into().into_input())
    }
}

type V = RouteTableValues;

/// The kind behind [`RouteTable`].
pub(crate) struct RouteTables;

/// destination -> (target kind, target id)
fn routes_of(routes: &[Value]) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for m in routes.iter().filter_map(Value::as_map) {
        let Some(dest) = map_str(m, "destination") else { continue };
        if let Some(target) = TARGETS.iter().find_map(|t| map_str(m, t).map(|v| (t.to_string(), v))) {
            out.insert(dest, target);
        }
    }
    out
}

async fn put_route(aws: &Aws, region: &str, table: &str, dest: &str, (kind, id): &(String, String), replace: bool) -> Result<(), ProviderError> {
    let c = crate::client(aws, region);
    macro_rules! send {
        ($req:expr, $op:literal) => {{
            let req = $req.route_table_id(table).destination_cidr_block(dest);
            let req = match kind.as_str() {
                "nat_gateway_id" => req.nat_gateway_id(id),
                "transit_gateway_id" => req.transit_gateway_id(id),
                _ => req.gateway_id(id),
            };
            req.send().await.map(|_| ()).map_err(err($op))
        }};
    }
    if replace { send!(c.replace_route(), "ReplaceRoute") } else { send!(c.create_route(), "CreateRoute") }
}

/// Bring routes and associations from `before` to `after`.
async fn sync(aws: &Aws, region: &str, table: &str, before: &V, after: &V, assoc_ids: &BTreeMap<String, Value>) -> Result<(), ProviderError> {
    let c = crate::client(aws, region);
    let (old, new) = (routes_of(before.routes.as_deref().unwrap_or_default()), routes_of(after.routes.as_deref().unwrap_or_default()));
    for dest in old.keys().filter(|d| !new.contains_key(*d)) {
        gone_ok(c.delete_route().route_table_id(table).destination_cidr_block(dest).send().await.map(|_| ()).map_err(err("DeleteRoute")))?;
    }
    for (dest, target) in &new {
        match old.get(dest) {
            Some(t) if t == target => {}
            had => put_route(aws, region, table, dest, target, had.is_some()).await?,
        }
    }
    let set = |v: &V| v.subnet_ids.iter().flatten().cloned().collect::<BTreeSet<String>>();
    let (old_s, new_s) = (set(before), set(after));
    for aid in old_s.difference(&new_s).filter_map(|sub| assoc_ids.get(sub).and_then(Value::as_str)) {
        gone_ok(c.disassociate_route_table().association_id(aid).send().await.map(|_| ()).map_err(err("DisassociateRouteTable")))?;
    }
    for sub in new_s.difference(&old_s) {
        c.associate_route_table().route_table_id(table).subnet_id(sub).send().await.map_err(err("AssociateRouteTable"))?;
    }
    Ok(())
}

fn association_ids(actual: &Observed) -> BTreeMap<String, Value> {
    actual.outputs.get(RouteTableOutputs::association_ids).and_then(Value::as_map).cloned().unwrap_or_default()
}

#[async_trait]
impl Kind for RouteTables {
    type Builder = RouteTable;
    type Item = Item;
    type Tags = Ec2Tags;

    fn id(t: &Item) -> Option<&str> {
        t.route_table_id()
    }

    fn carried_tags(t: &Item) -> Option<Tags> {
        Some(tags_of_list(t.tags()))
    }

    fn observe(t: &Item) -> Seen<RouteTable> {
        let mut routes = Vec::new();
        for r in t.routes().iter().filter(|r| r.origin().is_none_or(|o| o.as_str() == "CreateRoute")) {
            let Some(dest) = r.destination_cidr_block() else { continue };
            let target = r.gateway_id().filter(|g| *g != "local").map(|g| ("gateway_id", g))
                .or_else(|| r.nat_gateway_id().map(|n| ("nat_gateway_id", n)))
                .or_else(|| r.transit_gateway_id().map(|t| ("transit_gateway_id", t)));
            if let Some((kind, id)) = target {
                routes.push(entry(&[("destination", Value::str(dest)), (kind, Value::str(id))]));
            }
        }
        let mut assoc = BTreeMap::new();
        for a in t.associations().iter().filter(|a| !a.main().unwrap_or(false)) {
            if let (Some(sub), Some(aid)) = (a.subnet_id(), a.route_table_association_id()) {
                assoc.insert(sub.to_string(), Value::str(aid));
            }
        }
        let mut refs: BTreeSet<String> = t.vpc_id().map(str::to_string).into_iter().collect();
        refs.extend(assoc.keys().cloned());
        refs.extend(routes_of(&routes).into_values().map(|(_, id)| id));
        let values = V { vpc_id: t.vpc_id().map(str::to_string), routes: Some(routes), subnet_ids: Some(assoc.keys().cloned().collect()), ..V::default() };
        Seen { values, outputs: RouteTableOutputs { association_ids: Some(assoc) }, refs: refs.into_iter().collect() }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let Some(Input::List(routes)) = decl.inputs.get(V::routes) else { return };
        let mut seen = BTreeSet::new();
        for r in routes {
            let dest = match r {
                Input::Map(m) => m.get("destination").and_then(Input::known).and_then(|d| d.as_str().map(str::to_string)),
                other => other.known().and_then(|v| v.as_map().and_then(|m| map_str(m, "destination"))),
            };
            if let Some(dest) = dest {
                check_dest(decl, &dest, &mut seen, out);
            }
        }
    }

    fn normalize(props: &mut Props) {
        sort_list(props, V::routes);
        sort_list(props, V::subnet_ids);
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let pages = crate::client(aws, &scope.region).describe_route_tables().filters(stack_filter(scope)).into_paginator().items().send();
        strata_aws::error::all_pages(pages, "DescribeRouteTables").await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = crate::client(aws, region).describe_route_tables().route_table_ids(id).send().await.map_err(err("DescribeRouteTables"))?;
        Ok(out.route_tables().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, RouteTable>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let out = crate::client(aws, &cx.region)
            .create_route_table()
            .set_vpc_id(v.vpc_id.clone())
            .tag_specifications(tags_spec(ResourceType::RouteTable, &v.tags))
            .send()
            .await
            .map_err(err("CreateRouteTable"))?;
        let id = out.route_table().and_then(|t| t.route_table_id()).ok_or_else(|| strata_aws::lacks("CreateRouteTable", "RouteTableId", &cx.name))?;
        sync(aws, &cx.region, id, &V::default(), v, &BTreeMap::new()).await?;
        // Read back: the association ids are needed to disassociate later.
        Ok(Created::Id(id.to_string()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, RouteTable>, _diff: &Diff) -> Result<(), ProviderError> {
        let before = <V as strata_aws::kernel::Values>::from_props(&actual.props);
        sync(aws, &want.cx.region, &actual.id, &before, &want.values, &association_ids(actual)).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = crate::client(aws, &cx.region);
        for aid in association_ids(actual).values().filter_map(Value::as_str) {
            gone_ok(c.disassociate_route_table().association_id(aid).send().await.map(|_| ()).map_err(err("DisassociateRouteTable")))?;
        }
        c.delete_route_table().route_table_id(&actual.id).send().await.map(|_| ()).map_err(err("DeleteRouteTable"))
    }
}

fn check_dest(decl: &ResourceDecl, dest: &str, seen: &mut BTreeSet<String>, out: &mut Vec<Diagnostic>) {
    if parse_cidr(dest).is_none() {
        out.push(Diagnostic::field(&decl.name, V::routes, format!("destination {dest:?} is not an IPv4 CIDR")));
    }
    if !seen.insert(dest.to_string()) {
        out.push(Diagnostic::field(&decl.name, V::routes, format!("two routes for destination {dest}")));
    }
}
