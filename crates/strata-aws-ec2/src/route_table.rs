//! `aws:ec2:RouteTable`: a route table with its routes and subnet
//! associations inline (routes and associations cannot carry tags; they are
//! identified through the tagged table). Routes are compared by destination;
//! the VPC's `local` route and propagated routes are not ours and are ignored.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use strata_core::{Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, OpContext, Provider, ProviderError};

use super::common::*;
use strata_aws::error::err;
use strata_aws::Aws;

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
#[derive(Clone, Debug)]
pub struct RouteTable {
    vpc_id: Input,
    routes: Vec<Input>,
    subnets: Vec<Input>,
    tags: BTreeMap<String, Input>,
}

impl RouteTable {
    pub fn new(vpc_id: impl Into<Arg<String>>) -> Self {
        RouteTable { vpc_id: vpc_id.into().into_input(), routes: Vec::new(), subnets: Vec::new(), tags: BTreeMap::new() }
    }
    pub fn route(mut self, route: Route) -> Self {
        self.routes.push(route.into_input());
        self
    }
    /// Associate a subnet with this table.
    pub fn associate(mut self, subnet_id: impl Into<Arg<String>>) -> Self {
        self.subnets.push(subnet_id.into().into_input());
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

super::handle!(
    /// Outputs of a [`RouteTable`].
    RouteTableHandle { id: "id" }
);

impl Resource for RouteTable {
    const KIND: &'static str = "aws:ec2:RouteTable";
    type Handle = RouteTableHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("vpc_id".to_string(), self.vpc_id),
            ("routes".to_string(), Input::List(self.routes)),
            ("subnet_ids".to_string(), Input::List(self.subnets)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct RouteTableProvider {
    pub(crate) aws: Aws,
}

fn observe(region: &str, t: &aws_sdk_ec2::types::RouteTable) -> Observed {
    let id = t.route_table_id().unwrap_or_default();
    let vpc = t.vpc_id().unwrap_or_default();
    let mut routes = Vec::new();
    for r in t.routes() {
        let from_us = r.origin().map(|o| o.as_str() == "CreateRoute").unwrap_or(true);
        let Some(dest) = r.destination_cidr_block() else { continue };
        let target = if let Some(g) = r.gateway_id().filter(|g| *g != "local") {
            ("gateway_id", g)
        } else if let Some(n) = r.nat_gateway_id() {
            ("nat_gateway_id", n)
        } else if let Some(t) = r.transit_gateway_id() {
            ("transit_gateway_id", t)
        } else {
            continue;
        };
        if from_us {
            routes.push(entry(&[("destination", Value::str(dest)), (target.0, Value::str(target.1))]));
        }
    }
    let mut subnets = Vec::new();
    let mut assoc_ids = BTreeMap::new();
    for a in t.associations() {
        if a.main().unwrap_or(false) {
            continue;
        }
        if let (Some(sub), Some(aid)) = (a.subnet_id(), a.route_table_association_id()) {
            subnets.push(Value::str(sub));
            assoc_ids.insert(sub.to_string(), Value::str(aid));
        }
    }
    let props = Props::from([
        ("vpc_id".into(), Value::str(vpc)),
        ("routes".into(), Value::List(routes)),
        ("subnet_ids".into(), Value::List(subnets)),
        ("tags".into(), tags_value(t.tags())),
    ]);
    let mut o = observed(RouteTable::KIND, id, region, props);
    o.outputs.insert("association_ids".into(), Value::Map(assoc_ids));
    refs_from_props(&mut o);
    o
}

fn refs_from_props(o: &mut Observed) {
    let mut refs = BTreeSet::new();
    refs.extend(s(&o.props, "vpc_id"));
    refs.extend(str_list(&o.props, "subnet_ids"));
    if let Some(Value::List(routes)) = o.props.get("routes") {
        for r in routes {
            if let Some(m) = r.as_map() {
                refs.extend(TARGETS.iter().filter_map(|t| map_str(m, t)));
            }
        }
    }
    o.refs = refs.into_iter().collect();
}

/// destination -> (target kind, target id)
fn routes_of(props: &Props) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    if let Some(Value::List(routes)) = props.get("routes") {
        for r in routes {
            let Some(m) = r.as_map() else { continue };
            let Some(dest) = map_str(m, "destination") else { continue };
            if let Some((k, v)) = TARGETS.iter().find_map(|t| map_str(m, t).map(|v| (t.to_string(), v))) {
                out.insert(dest, (k, v));
            }
        }
    }
    out
}

impl RouteTableProvider {
    async fn put_route(
        &self,
        region: &str,
        table: &str,
        dest: &str,
        target: &(String, String),
        replace: bool,
    ) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, region);
        if replace {
            let mut req = c.replace_route().route_table_id(table).destination_cidr_block(dest);
            req = match target.0.as_str() {
                "nat_gateway_id" => req.nat_gateway_id(&target.1),
                "transit_gateway_id" => req.transit_gateway_id(&target.1),
                _ => req.gateway_id(&target.1),
            };
            req.send().await.map_err(err("ReplaceRoute"))?;
        } else {
            let mut req = c.create_route().route_table_id(table).destination_cidr_block(dest);
            req = match target.0.as_str() {
                "nat_gateway_id" => req.nat_gateway_id(&target.1),
                "transit_gateway_id" => req.transit_gateway_id(&target.1),
                _ => req.gateway_id(&target.1),
            };
            req.send().await.map_err(err("CreateRoute"))?;
        }
        Ok(())
    }

    async fn sync(&self, region: &str, table: &str, before: &Props, after: &Props, assoc_ids: &BTreeMap<String, Value>) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, region);
        let (old, new) = (routes_of(before), routes_of(after));
        for dest in old.keys().filter(|d| !new.contains_key(*d)) {
            let r = c.delete_route().route_table_id(table).destination_cidr_block(dest).send().await;
            gone_ok(r.map(|_| ()).map_err(err("DeleteRoute")))?;
        }
        for (dest, target) in &new {
            match old.get(dest) {
                Some(t) if t == target => {}
                Some(_) => self.put_route(region, table, dest, target, true).await?,
                None => self.put_route(region, table, dest, target, false).await?,
            }
        }
        let (old_s, new_s): (BTreeSet<String>, BTreeSet<String>) =
            (str_list(before, "subnet_ids").into_iter().collect(), str_list(after, "subnet_ids").into_iter().collect());
        for sub in old_s.difference(&new_s) {
            if let Some(aid) = assoc_ids.get(sub).and_then(|v| v.as_str()) {
                let r = c.disassociate_route_table().association_id(aid).send().await;
                gone_ok(r.map(|_| ()).map_err(err("DisassociateRouteTable")))?;
            }
        }
        for sub in new_s.difference(&old_s) {
            c.associate_route_table().route_table_id(table).subnet_id(sub).send().await.map_err(err("AssociateRouteTable"))?;
        }
        Ok(())
    }

    async fn describe(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match crate::client(&self.aws, region).describe_route_tables().route_table_ids(id).send().await {
            Ok(o) => Ok(o.route_tables().first().map(|t| observe(region, t))),
            Err(e) => not_found_none(strata_aws::error::from_sdk("DescribeRouteTables", e)),
        }
    }
}

#[async_trait]
impl Provider for RouteTableProvider {
    fn kind(&self) -> &'static str {
        RouteTable::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["vpc_id"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        require(decl, "vpc_id", out);
        if let Some(Input::List(routes)) = decl.inputs.get("routes") {
            let mut seen = BTreeSet::new();
            for r in routes {
                let Some(dest) = r.known().and_then(|v| v.as_map().and_then(|m| map_str(m, "destination"))) else {
                    if let Input::Map(m) = r {
                        if let Some(d) = m.get("destination").and_then(Input::known) {
                            let d = d.as_str().unwrap_or_default().to_string();
                            check_dest(decl, &d, &mut seen, out);
                        }
                    }
                    continue;
                };
                check_dest(decl, &dest, &mut seen, out);
            }
        }
    }

    fn normalize(&self, props: &mut Props) {
        sort_list(props, "routes");
        sort_list(props, "subnet_ids");
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let found = crate::client(&self.aws, &scope.region)
            .describe_route_tables()
            .filters(stack_filter(scope))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeRouteTables"))?;
        Ok(found.iter().map(|t| observe(&scope.region, t)).collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        self.describe(region, id).await
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let out = crate::client(&self.aws, &cx.region)
            .create_route_table()
            .vpc_id(s(desired, "vpc_id").ok_or_else(|| missing("CreateRouteTable", "vpc_id"))?)
            .tag_specifications(tag_spec(ResourceType::RouteTable, desired))
            .send()
            .await
            .map_err(err("CreateRouteTable"))?;
        let id = out.route_table().and_then(|t| t.route_table_id()).ok_or_else(|| strata_aws::lacks("CreateRouteTable", "RouteTableId", &cx.name))?.to_string();
        self.sync(&cx.region, &id, &Props::new(), desired, &BTreeMap::new()).await?;
        let mut o = observed(RouteTable::KIND, &id, &cx.region, desired.clone());
        // Association ids are needed to disassociate later; read them back.
        if let Some(fresh) = self.describe(&cx.region, &id).await? {
            o.outputs = fresh.outputs;
        }
        refs_from_props(&mut o);
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        if diff.changed("tags").is_some() {
            update_tags(&crate::client(&self.aws, &cx.region), &actual.id, actual, desired).await?;
        }
        let assoc = actual.outputs.get("association_ids").and_then(Value::as_map).cloned().unwrap_or_default();
        self.sync(&cx.region, &actual.id, &actual.props, desired, &assoc).await?;
        let mut o = actual.clone();
        if let Some(fresh) = self.describe(&cx.region, &actual.id).await? {
            o.outputs = fresh.outputs;
        }
        o.props = desired.clone();
        refs_from_props(&mut o);
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if let Some(Value::Map(assoc)) = actual.outputs.get("association_ids") {
            for aid in assoc.values().filter_map(Value::as_str) {
                let r = c.disassociate_route_table().association_id(aid).send().await;
                gone_ok(r.map(|_| ()).map_err(err("DisassociateRouteTable")))?;
            }
        }
        let r = c.delete_route_table().route_table_id(&actual.id).send().await;
        gone_ok(r.map(|_| ()).map_err(err("DeleteRouteTable")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        provider_set_tags(&crate::client(&self.aws, &cx.region), actual, add, remove).await
    }
}

fn check_dest(decl: &ResourceDecl, dest: &str, seen: &mut BTreeSet<String>, out: &mut Vec<Diagnostic>) {
    if parse_cidr(dest).is_none() {
        out.push(Diagnostic::field(&decl.name, "routes", format!("destination {dest:?} is not an IPv4 CIDR")));
    }
    if !seen.insert(dest.to_string()) {
        out.push(Diagnostic::field(&decl.name, "routes", format!("two routes for destination {dest}")));
    }
}
