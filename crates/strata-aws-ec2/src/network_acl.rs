//! `aws:ec2:NetworkAcl`: a network ACL with its entries and subnet
//! associations inline. A subnet always has exactly one NACL: associating moves
//! it here (`ReplaceNetworkAclAssociation`), and deleting the ACL first moves
//! its subnets back to the VPC's default ACL. The default deny entries (rule
//! 32767) belong to AWS and are not compared.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, NetworkAcl as Item, PortRange, ResourceType, RuleAction};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Values, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, OpContext, ProviderError};

use super::common::{entry, gone_ok, map_int, map_str, parse_cidr, sort_list, stack_filter, tags_of_list, tags_spec, Ec2Tags};

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

strata_aws::kind_fields! {
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
    pub struct NetworkAcl: "aws:ec2:NetworkAcl";
    values NetworkAclValues;
    handle NetworkAclHandle / NetworkAclOutputs {};
    fields {
        /// The VPC.
        vpc_id: str [replace required];
        /// The entries (rule 32767, AWS's default deny, excluded).
        entries: list [update private];
        /// The subnets that use this ACL.
        subnet_ids: strs [update private];
    }
}

impl NetworkAcl {
    /// An ACL with no entries of its own (everything denied), for no subnet.
    pub fn new(vpc_id: impl Into<Arg<String>>) -> Self {
        Self::empty().vpc_id(vpc_id).subnet_ids(Vec::<String>::new())
    }
    /// Add an entry.
    pub fn entry(self, e: AclEntry) -> Self {
        self.push(V::entries, Input::Known(e.value()))
    }
    /// Use this ACL for a subnet (moving it from the ACL it has).
    pub fn associate(self, subnet_id: impl Into<Arg<String>>) -> Self {
        self.push(V::subnet_ids, subnet_id.into().into_input())
    }
}

type V = NetworkAclValues;

/// The kind behind [`NetworkAcl`].
pub(crate) struct NetworkAcls;

type Entry = BTreeMap<String, Value>;

fn entries(v: &V) -> impl Iterator<Item = &Entry> {
    v.entries.iter().flatten().filter_map(Value::as_map)
}

fn rule(e: &Entry) -> (i32, bool) {
    (map_int(e, "rule_number").and_then(|n| i32::try_from(n).ok()).unwrap_or(0), e.get("egress").and_then(Value::as_bool).unwrap_or(false))
}

async fn put_entry(c: &aws_sdk_ec2::Client, acl: &str, e: &Entry, replace: bool) -> Result<(), ProviderError> {
    let (n, egress) = rule(e);
    let action = if map_str(e, "action").as_deref() == Some("allow") { RuleAction::Allow } else { RuleAction::Deny };
    let port = |f| map_int(e, f).and_then(|p| i32::try_from(p).ok());
    let range = port("from_port").zip(port("to_port")).map(|(f, t)| PortRange::builder().from(f).to(t).build());
    macro_rules! send {
        ($req:expr, $op:literal) => {
            $req.network_acl_id(acl)
                .rule_number(n)
                .egress(egress)
                .protocol(map_str(e, "protocol").unwrap_or_else(|| "-1".into()))
                .rule_action(action)
                .set_cidr_block(map_str(e, "cidr"))
                .set_port_range(range)
                .send()
                .await
                .map(|_| ())
                .map_err(err($op))
        };
    }
    if replace { send!(c.replace_network_acl_entry(), "ReplaceNetworkAclEntry") } else { send!(c.create_network_acl_entry(), "CreateNetworkAclEntry") }
}

/// Point each subnet's (only) NACL association at `acl`.
async fn move_subnets(c: &aws_sdk_ec2::Client, subnets: &[String], acl: &str) -> Result<(), ProviderError> {
    if subnets.is_empty() {
        return Ok(());
    }
    let filter = Filter::builder().name("association.subnet-id").set_values(Some(subnets.to_vec())).build();
    let found = c.describe_network_acls().filters(filter).send().await.map_err(err("DescribeNetworkAcls"))?;
    for a in found.network_acls().iter().filter(|a| a.network_acl_id() != Some(acl)) {
        for assoc in a.associations() {
            let (Some(sub), Some(aid)) = (assoc.subnet_id(), assoc.network_acl_association_id()) else { continue };
            if subnets.iter().any(|s| s == sub) {
                let r = c.replace_network_acl_association().association_id(aid).network_acl_id(acl).send().await;
                r.map_err(err("ReplaceNetworkAclAssociation"))?;
            }
        }
    }
    Ok(())
}

/// Move subnets back to their VPC's default ACL.
async fn release_subnets(c: &aws_sdk_ec2::Client, subnets: &[String], vpc: Option<&str>) -> Result<(), ProviderError> {
    if subnets.is_empty() {
        return Ok(());
    }
    let vpc = vpc.ok_or_else(|| ProviderError::new(ErrorClass::Fatal, "DescribeNetworkAcls", "the ACL's VPC is not known"))?;
    let found = c
        .describe_network_acls()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .filters(Filter::builder().name("default").values("true").build())
        .send()
        .await
        .map_err(err("DescribeNetworkAcls"))?;
    let default = found.network_acls().first().and_then(|a| a.network_acl_id());
    let default = default.ok_or_else(|| ProviderError::new(ErrorClass::NotFound, "DescribeNetworkAcls", format!("no default ACL in {vpc}")))?;
    move_subnets(c, subnets, default).await
}

/// Bring entries and subnets from `before` to `after`.
async fn sync(c: &aws_sdk_ec2::Client, acl: &str, before: &V, after: &V) -> Result<(), ProviderError> {
    let (old, new): (BTreeMap<_, _>, BTreeMap<_, _>) = (entries(before).map(|e| (rule(e), e)).collect(), entries(after).map(|e| (rule(e), e)).collect());
    for (n, egress) in old.keys().filter(|k| !new.contains_key(*k)) {
        let r = c.delete_network_acl_entry().network_acl_id(acl).rule_number(*n).egress(*egress).send().await;
        gone_ok(r.map(|_| ()).map_err(err("DeleteNetworkAclEntry")))?;
    }
    for (k, e) in &new {
        match old.get(k) {
            Some(o) if o == e => {}
            had => put_entry(c, acl, e, had.is_some()).await?,
        }
    }
    let set = |v: &V| v.subnet_ids.iter().flatten().cloned().collect::<BTreeSet<String>>();
    let (was, now) = (set(before), set(after));
    move_subnets(c, &now.difference(&was).cloned().collect::<Vec<_>>(), acl).await?;
    let vpc = after.vpc_id.as_deref().or(before.vpc_id.as_deref());
    release_subnets(c, &was.difference(&now).cloned().collect::<Vec<_>>(), vpc).await
}

#[async_trait]
impl Kind for NetworkAcls {
    type Builder = NetworkAcl;
    type Item = Item;
    type Tags = Ec2Tags;

    fn id(a: &Item) -> Option<&str> {
        a.network_acl_id()
    }

    fn carried_tags(a: &Item) -> Option<Tags> {
        Some(tags_of_list(a.tags()))
    }

    fn observe(a: &Item) -> Seen<NetworkAcl> {
        let mut entries = Vec::new();
        for e in a.entries().iter().filter(|e| e.rule_number().unwrap_or(0) < 32767) {
            let protocol = e.protocol().unwrap_or("-1").to_string();
            let ports = protocol == "6" || protocol == "17";
            let port = |p: Option<i32>| if ports { Value::Int(i64::from(p.unwrap_or(0))) } else { Value::Null };
            entries.push(entry(&[
                ("rule_number", Value::Int(i64::from(e.rule_number().unwrap_or(0)))),
                ("egress", Value::Bool(e.egress().unwrap_or(false))),
                ("protocol", Value::Str(protocol)),
                ("action", Value::str(e.rule_action().map(|r| r.as_str()).unwrap_or("deny"))),
                ("cidr", Value::str(e.cidr_block().unwrap_or_default())),
                ("from_port", port(e.port_range().and_then(|r| r.from()))),
                ("to_port", port(e.port_range().and_then(|r| r.to()))),
            ]));
        }
        let subnets: Vec<String> = a.associations().iter().filter_map(|x| x.subnet_id()).map(str::to_string).collect();
        let refs = a.vpc_id().map(str::to_string).into_iter().chain(subnets.iter().cloned()).collect();
        let values = V { vpc_id: a.vpc_id().map(str::to_string), entries: Some(entries), subnet_ids: Some(subnets), ..V::default() };
        Seen { values, outputs: NetworkAclOutputs {}, refs }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let Some(Value::List(list)) = decl.known(V::entries) else { return };
        let mut seen = BTreeSet::new();
        let mut bad = |m: String| out.push(Diagnostic::field(&decl.name, V::entries, m));
        for e in list.iter().filter_map(Value::as_map) {
            let n = map_int(e, "rule_number").unwrap_or(0);
            let egress = e.get("egress").and_then(Value::as_bool).unwrap_or(false);
            if !(1..=32766).contains(&n) {
                bad(format!("rule number {n} must be 1-32766"));
            }
            if !seen.insert((n, egress)) {
                bad(format!("two {} entries with rule number {n}", if egress { "egress" } else { "ingress" }));
            }
            if let Some(c) = map_str(e, "cidr").filter(|c| parse_cidr(c).is_none()) {
                bad(format!("rule {n}: {c:?} is not an IPv4 CIDR"));
            }
            if let (Some(f), Some(t)) = (map_int(e, "from_port"), map_int(e, "to_port")) {
                if !(0..=65535).contains(&f) || !(0..=65535).contains(&t) || f > t {
                    bad(format!("rule {n}: ports {f}-{t} are not a range in 0-65535"));
                }
            }
        }
    }

    fn normalize(props: &mut Props) {
        sort_list(props, V::entries);
        sort_list(props, V::subnet_ids);
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let pages = crate::client(aws, &scope.region).describe_network_acls().filters(stack_filter(scope)).into_paginator().items().send();
        strata_aws::error::all_pages(pages, "DescribeNetworkAcls").await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = crate::client(aws, region).describe_network_acls().network_acl_ids(id).send().await.map_err(err("DescribeNetworkAcls"))?;
        Ok(out.network_acls().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, NetworkAcl>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let c = crate::client(aws, &cx.region);
        let out = c
            .create_network_acl()
            .set_vpc_id(v.vpc_id.clone())
            .tag_specifications(tags_spec(ResourceType::NetworkAcl, &v.tags))
            .send()
            .await
            .map_err(err("CreateNetworkAcl"))?;
        let made = out.network_acl().ok_or_else(|| strata_aws::lacks("CreateNetworkAcl", "NetworkAcl", &cx.name))?;
        let id = made.network_acl_id().ok_or_else(|| strata_aws::lacks("CreateNetworkAcl", "NetworkAclId", &cx.name))?;
        sync(&c, id, &V::default(), v).await?;
        // The answer (for its id and VPC): the kernel keeps the desired entries.
        Ok(Created::Item(made.clone()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, NetworkAcl>, _diff: &Diff) -> Result<(), ProviderError> {
        sync(&crate::client(aws, &want.cx.region), &actual.id, &V::from_props(&actual.props), &want.values).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = crate::client(aws, &cx.region);
        let v = V::from_props(&actual.props);
        release_subnets(&c, v.subnet_ids.as_deref().unwrap_or_default(), v.vpc_id.as_deref()).await?;
        c.delete_network_acl().network_acl_id(&actual.id).send().await.map(|_| ()).map_err(err("DeleteNetworkAcl"))
    }
}
