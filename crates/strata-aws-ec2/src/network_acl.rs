//! `aws:ec2:NetworkAcl`: a network ACL with its entries and subnet
//! associations inline. A subnet always has exactly one NACL: associating moves
//! it here (`ReplaceNetworkAclAssociation`), and deleting the ACL first moves
//! its subnets back to the VPC's default ACL. The default deny entries (rule
//! 32767) belong to AWS and are not compared.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, PortRange, ResourceType, RuleAction};
use strata_core::{Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, OpContext, Provider, ProviderError};

use super::common::*;
use strata_aws::error::err;
use strata_aws::Aws;

/// One ACL entry.
#[derive(Clone, Debug)]
pub struct AclEntry {
    rule_number: i64,
    egress: bool,
    protocol: String,
    allow: bool,
    cidr: String,
    from_port: i64,
    to_port: i64,
}

impl AclEntry {
    /// Allow inbound TCP on a port range from a CIDR.
    pub fn allow_in(rule_number: i64, cidr: &str, from: i64, to: i64) -> AclEntry {
        AclEntry { rule_number, egress: false, protocol: "6".into(), allow: true, cidr: cidr.into(), from_port: from, to_port: to }
    }
    /// Allow outbound TCP on a port range to a CIDR.
    pub fn allow_out(rule_number: i64, cidr: &str, from: i64, to: i64) -> AclEntry {
        AclEntry { rule_number, egress: true, protocol: "6".into(), allow: true, cidr: cidr.into(), from_port: from, to_port: to }
    }
    /// Deny inbound traffic of every protocol from a CIDR.
    pub fn deny_in(rule_number: i64, cidr: &str) -> AclEntry {
        AclEntry { rule_number, egress: false, protocol: "-1".into(), allow: false, cidr: cidr.into(), from_port: 0, to_port: 0 }
    }
    /// Set the protocol: `tcp`, `udp`, `icmp`, `-1` (all), or a number.
    pub fn protocol(mut self, p: &str) -> AclEntry {
        self.protocol = match p {
            "tcp" => "6".into(),
            "udp" => "17".into(),
            "icmp" => "1".into(),
            "all" => "-1".into(),
            other => other.into(),
        };
        self
    }
    fn value(&self) -> Value {
        let ports = self.protocol == "6" || self.protocol == "17";
        entry(&[
            ("rule_number", Value::Int(self.rule_number)),
            ("egress", Value::Bool(self.egress)),
            ("protocol", Value::str(&self.protocol)),
            ("action", Value::str(if self.allow { "allow" } else { "deny" })),
            ("cidr", Value::str(&self.cidr)),
            ("from_port", if ports { Value::Int(self.from_port) } else { Value::Null }),
            ("to_port", if ports { Value::Int(self.to_port) } else { Value::Null }),
        ])
    }
}

/// A network ACL.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::{AclEntry, NetworkAcl, Subnet, Vpc};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
/// let db = stack.add("db-a", Subnet::new(vpc.id(), "10.0.5.0/24", "eu-central-1a"));
/// stack.add("db-acl", NetworkAcl::new(vpc.id())
///     .entry(AclEntry::allow_in(100, "10.0.0.0/16", 3306, 3306))
///     .entry(AclEntry::allow_out(100, "10.0.0.0/16", 1024, 65535))
///     .associate(db.id()));
/// ```
#[derive(Clone, Debug)]
pub struct NetworkAcl {
    vpc_id: Input,
    entries: Vec<AclEntry>,
    subnets: Vec<Input>,
    tags: BTreeMap<String, Input>,
}

impl NetworkAcl {
    pub fn new(vpc_id: impl Into<Arg<String>>) -> Self {
        NetworkAcl { vpc_id: vpc_id.into().into_input(), entries: Vec::new(), subnets: Vec::new(), tags: BTreeMap::new() }
    }
    pub fn entry(mut self, e: AclEntry) -> Self {
        self.entries.push(e);
        self
    }
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
    /// Outputs of a [`NetworkAcl`].
    NetworkAclHandle { id: "id" }
);

impl Resource for NetworkAcl {
    const KIND: &'static str = "aws:ec2:NetworkAcl";
    type Handle = NetworkAclHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("vpc_id".to_string(), self.vpc_id),
            ("entries".to_string(), Input::Known(Value::List(self.entries.iter().map(AclEntry::value).collect()))),
            ("subnet_ids".to_string(), Input::List(self.subnets)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct NetworkAclProvider {
    pub(crate) aws: Aws,
}

fn observe(region: &str, a: &aws_sdk_ec2::types::NetworkAcl) -> Observed {
    let id = a.network_acl_id().unwrap_or_default();
    let vpc = a.vpc_id().unwrap_or_default();
    let mut entries = Vec::new();
    for e in a.entries() {
        let n = i64::from(e.rule_number().unwrap_or(0));
        if n >= 32767 {
            continue;
        }
        let protocol = e.protocol().unwrap_or("-1").to_string();
        let ports = protocol == "6" || protocol == "17";
        let range = e.port_range();
        entries.push(entry(&[
            ("rule_number", Value::Int(n)),
            ("egress", Value::Bool(e.egress().unwrap_or(false))),
            ("protocol", Value::Str(protocol)),
            ("action", Value::str(e.rule_action().map(|r| r.as_str()).unwrap_or("deny"))),
            ("cidr", Value::str(e.cidr_block().unwrap_or_default())),
            ("from_port", if ports { Value::Int(i64::from(range.and_then(|r| r.from()).unwrap_or(0))) } else { Value::Null }),
            ("to_port", if ports { Value::Int(i64::from(range.and_then(|r| r.to()).unwrap_or(0))) } else { Value::Null }),
        ]));
    }
    let subnets: Vec<Value> = a.associations().iter().filter_map(|x| x.subnet_id()).map(Value::str).collect();
    let props = Props::from([
        ("vpc_id".into(), Value::str(vpc)),
        ("entries".into(), Value::List(entries)),
        ("subnet_ids".into(), Value::List(subnets)),
        ("tags".into(), tags_value(a.tags())),
    ]);
    let mut o = observed(NetworkAcl::KIND, id, region, props);
    o.refs.push(vpc.to_string());
    o.refs.extend(str_list(&o.props, "subnet_ids"));
    o
}

fn entries(props: &Props) -> Vec<BTreeMap<String, Value>> {
    props
        .get("entries")
        .and_then(Value::as_list)
        .map(|l| l.iter().filter_map(|v| v.as_map().cloned()).collect())
        .unwrap_or_default()
}

impl NetworkAclProvider {
    async fn put_entry(&self, c: &aws_sdk_ec2::Client, acl: &str, e: &BTreeMap<String, Value>, replace: bool) -> Result<(), ProviderError> {
        let n = i32::try_from(map_int(e, "rule_number").unwrap_or(0)).unwrap_or(0);
        let egress = e.get("egress").and_then(Value::as_bool).unwrap_or(false);
        let protocol = map_str(e, "protocol").unwrap_or_else(|| "-1".into());
        let action = if map_str(e, "action").as_deref() == Some("allow") { RuleAction::Allow } else { RuleAction::Deny };
        let cidr = map_str(e, "cidr").unwrap_or_default();
        let range = match (map_int(e, "from_port"), map_int(e, "to_port")) {
            (Some(f), Some(t)) => Some(
                PortRange::builder()
                    .from(i32::try_from(f).unwrap_or(0))
                    .to(i32::try_from(t).unwrap_or(0))
                    .build(),
            ),
            _ => None,
        };
        if replace {
            c.replace_network_acl_entry()
                .network_acl_id(acl)
                .rule_number(n)
                .egress(egress)
                .protocol(protocol)
                .rule_action(action)
                .cidr_block(cidr)
                .set_port_range(range)
                .send()
                .await
                .map_err(err("ReplaceNetworkAclEntry"))?;
        } else {
            c.create_network_acl_entry()
                .network_acl_id(acl)
                .rule_number(n)
                .egress(egress)
                .protocol(protocol)
                .rule_action(action)
                .cidr_block(cidr)
                .set_port_range(range)
                .send()
                .await
                .map_err(err("CreateNetworkAclEntry"))?;
        }
        Ok(())
    }

    /// Point each subnet's (only) NACL association at `acl`.
    async fn move_subnets(&self, c: &aws_sdk_ec2::Client, subnets: &[String], acl: &str) -> Result<(), ProviderError> {
        if subnets.is_empty() {
            return Ok(());
        }
        let found = c
            .describe_network_acls()
            .filters(Filter::builder().name("association.subnet-id").set_values(Some(subnets.to_vec())).build())
            .send()
            .await
            .map_err(err("DescribeNetworkAcls"))?;
        for a in found.network_acls() {
            for assoc in a.associations() {
                let (Some(sub), Some(aid)) = (assoc.subnet_id(), assoc.network_acl_association_id()) else { continue };
                if subnets.iter().any(|s| s == sub) && a.network_acl_id() != Some(acl) {
                    c.replace_network_acl_association()
                        .association_id(aid)
                        .network_acl_id(acl)
                        .send()
                        .await
                        .map_err(err("ReplaceNetworkAclAssociation"))?;
                }
            }
        }
        Ok(())
    }

    async fn default_acl(&self, c: &aws_sdk_ec2::Client, vpc: &str) -> Result<String, ProviderError> {
        let found = c
            .describe_network_acls()
            .filters(Filter::builder().name("vpc-id").values(vpc).build())
            .filters(Filter::builder().name("default").values("true").build())
            .send()
            .await
            .map_err(err("DescribeNetworkAcls"))?;
        found
            .network_acls()
            .first()
            .and_then(|a| a.network_acl_id())
            .map(str::to_string)
            .ok_or_else(|| ProviderError::new(ErrorClass::NotFound, "DescribeNetworkAcls", format!("no default ACL in {vpc}")))
    }

    async fn sync(&self, c: &aws_sdk_ec2::Client, acl: &str, before: &Props, after: &Props) -> Result<(), ProviderError> {
        let key = |e: &BTreeMap<String, Value>| (map_int(e, "rule_number"), e.get("egress").and_then(Value::as_bool));
        let old: BTreeMap<_, _> = entries(before).into_iter().map(|e| (key(&e), e)).collect();
        let new: BTreeMap<_, _> = entries(after).into_iter().map(|e| (key(&e), e)).collect();
        for (k, e) in &old {
            if !new.contains_key(k) {
                let r = c
                    .delete_network_acl_entry()
                    .network_acl_id(acl)
                    .rule_number(i32::try_from(map_int(e, "rule_number").unwrap_or(0)).unwrap_or(0))
                    .egress(e.get("egress").and_then(Value::as_bool).unwrap_or(false))
                    .send()
                    .await;
                gone_ok(r.map(|_| ()).map_err(err("DeleteNetworkAclEntry")))?;
            }
        }
        for (k, e) in &new {
            match old.get(k) {
                Some(o) if o == e => {}
                Some(_) => self.put_entry(c, acl, e, true).await?,
                None => self.put_entry(c, acl, e, false).await?,
            }
        }
        let (was, now): (BTreeSet<String>, BTreeSet<String>) =
            (str_list(before, "subnet_ids").into_iter().collect(), str_list(after, "subnet_ids").into_iter().collect());
        let added: Vec<String> = now.difference(&was).cloned().collect();
        self.move_subnets(c, &added, acl).await?;
        let removed: Vec<String> = was.difference(&now).cloned().collect();
        if !removed.is_empty() {
            let vpc = s(after, "vpc_id").or_else(|| s(before, "vpc_id")).unwrap_or_default();
            let default = self.default_acl(c, &vpc).await?;
            self.move_subnets(c, &removed, &default).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for NetworkAclProvider {
    fn kind(&self) -> &'static str {
        NetworkAcl::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["vpc_id"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        require(decl, "vpc_id", out);
        let Some(Value::List(list)) = decl.known("entries") else { return };
        let mut seen = BTreeSet::new();
        for e in list.iter().filter_map(Value::as_map) {
            let n = map_int(e, "rule_number").unwrap_or(0);
            let egress = e.get("egress").and_then(Value::as_bool).unwrap_or(false);
            if !(1..=32766).contains(&n) {
                out.push(Diagnostic::field(&decl.name, "entries", format!("rule number {n} must be 1-32766")));
            }
            if !seen.insert((n, egress)) {
                out.push(Diagnostic::field(
                    &decl.name,
                    "entries",
                    format!("two {} entries with rule number {n}", if egress { "egress" } else { "ingress" }),
                ));
            }
            if let Some(c) = map_str(e, "cidr") {
                if parse_cidr(&c).is_none() {
                    out.push(Diagnostic::field(&decl.name, "entries", format!("rule {n}: {c:?} is not an IPv4 CIDR")));
                }
            }
            if let (Some(f), Some(t)) = (map_int(e, "from_port"), map_int(e, "to_port")) {
                if !(0..=65535).contains(&f) || !(0..=65535).contains(&t) || f > t {
                    out.push(Diagnostic::field(&decl.name, "entries", format!("rule {n}: ports {f}-{t} are not a range in 0-65535")));
                }
            }
        }
    }

    fn normalize(&self, props: &mut Props) {
        sort_list(props, "entries");
        sort_list(props, "subnet_ids");
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let found = crate::client(&self.aws, &scope.region)
            .describe_network_acls()
            .filters(stack_filter(scope))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeNetworkAcls"))?;
        Ok(found.iter().map(|a| observe(&scope.region, a)).collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match crate::client(&self.aws, region).describe_network_acls().network_acl_ids(id).send().await {
            Ok(o) => Ok(o.network_acls().first().map(|a| observe(region, a))),
            Err(e) => not_found_none(strata_aws::error::from_sdk("DescribeNetworkAcls", e)),
        }
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let out = c
            .create_network_acl()
            .vpc_id(s(desired, "vpc_id").ok_or_else(|| missing("CreateNetworkAcl", "vpc_id"))?)
            .tag_specifications(tag_spec(ResourceType::NetworkAcl, desired))
            .send()
            .await
            .map_err(err("CreateNetworkAcl"))?;
        let id = out.network_acl().and_then(|a| a.network_acl_id()).ok_or_else(|| strata_aws::lacks("CreateNetworkAcl", "NetworkAclId", &cx.name))?.to_string();
        self.sync(&c, &id, &Props::new(), desired).await?;
        let mut o = observed(NetworkAcl::KIND, &id, &cx.region, desired.clone());
        o.refs.extend(s(desired, "vpc_id"));
        o.refs.extend(str_list(desired, "subnet_ids"));
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            update_tags(&c, &actual.id, actual, desired).await?;
        }
        self.sync(&c, &actual.id, &actual.props, desired).await?;
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let subnets = str_list(&actual.props, "subnet_ids");
        if !subnets.is_empty() {
            let vpc = s(&actual.props, "vpc_id").unwrap_or_default();
            let default = self.default_acl(&c, &vpc).await?;
            self.move_subnets(&c, &subnets, &default).await?;
        }
        let r = c.delete_network_acl().network_acl_id(&actual.id).send().await;
        gone_ok(r.map(|_| ()).map_err(err("DeleteNetworkAcl")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        provider_set_tags(&crate::client(&self.aws, &cx.region), actual, add, remove).await
    }
}
