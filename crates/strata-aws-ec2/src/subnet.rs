//! `aws:ec2:Subnet`: a subnet in one availability zone, public (public IPs on
//! launch) or private. VPC, CIDR and AZ cannot change in place.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};
use strata_core::{Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, Provider, ProviderError};

use super::common::*;
use strata_aws::error::err;
use strata_aws::Aws;

/// A subnet.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::{Subnet, Vpc};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
/// let public = stack.add("public-a", Subnet::new(vpc.id(), "10.0.1.0/24", "eu-central-1a").public());
/// let _ = public.id();
/// ```
#[derive(Clone, Debug)]
pub struct Subnet {
    vpc_id: Input,
    cidr_block: Input,
    availability_zone: Input,
    public: bool,
    tags: BTreeMap<String, Input>,
}

impl Subnet {
    /// A private subnet (no public IPs on launch).
    pub fn new(
        vpc_id: impl Into<Arg<String>>,
        cidr_block: impl Into<Arg<String>>,
        availability_zone: impl Into<Arg<String>>,
    ) -> Self {
        Subnet {
            vpc_id: vpc_id.into().into_input(),
            cidr_block: cidr_block.into().into_input(),
            availability_zone: availability_zone.into().into_input(),
            public: false,
            tags: BTreeMap::new(),
        }
    }
    /// Instances launched here get a public IP.
    pub fn public(mut self) -> Self {
        self.public = true;
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

super::handle!(
    /// Outputs of a [`Subnet`].
    SubnetHandle { id: "id", availability_zone: "availability_zone", cidr_block: "cidr_block", vpc_id: "vpc_id" }
);

impl Resource for Subnet {
    const KIND: &'static str = "aws:ec2:Subnet";
    type Handle = SubnetHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("vpc_id".to_string(), self.vpc_id),
            ("cidr_block".to_string(), self.cidr_block),
            ("availability_zone".to_string(), self.availability_zone),
            ("map_public_ip_on_launch".to_string(), Input::from(self.public)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct SubnetProvider {
    pub(crate) aws: Aws,
}

fn observe(region: &str, s: &aws_sdk_ec2::types::Subnet) -> Observed {
    let id = s.subnet_id().unwrap_or_default();
    let vpc = s.vpc_id().unwrap_or_default();
    let az = s.availability_zone().unwrap_or_default();
    let cidr = s.cidr_block().unwrap_or_default();
    let props = Props::from([
        ("vpc_id".into(), Value::str(vpc)),
        ("cidr_block".into(), Value::str(cidr)),
        ("availability_zone".into(), Value::str(az)),
        ("map_public_ip_on_launch".into(), Value::Bool(s.map_public_ip_on_launch().unwrap_or(false))),
        ("tags".into(), tags_value(s.tags())),
    ]);
    let mut o = observed(Subnet::KIND, id, region, props);
    for (k, v) in [("vpc_id", vpc), ("availability_zone", az), ("cidr_block", cidr)] {
        o.outputs.insert(k.into(), Value::str(v));
    }
    o.refs.push(vpc.to_string());
    o
}

#[async_trait]
impl Provider for SubnetProvider {
    fn kind(&self) -> &'static str {
        Subnet::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["vpc_id", "cidr_block", "availability_zone"]
    }

    fn validate(&self, decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        for f in ["vpc_id", "cidr_block", "availability_zone"] {
            require(decl, f, out);
        }
        let net = check_cidr(decl, "cidr_block", 16, 28, out);
        check_az(decl, stack, "availability_zone", out);
        // The subnet must lie inside its VPC (when both are known now).
        if let (Some(net), Some(vpc)) = (net, referenced(stack, decl, "vpc_id")) {
            let vpc_net = vpc.known("cidr_block").and_then(|v| v.as_str().and_then(parse_cidr));
            if let Some(vpc_net) = vpc_net {
                if !vpc_net.contains(&net) {
                    out.push(Diagnostic::field(
                        &decl.name,
                        "cidr_block",
                        format!("{net} is not inside VPC {} ({vpc_net})", vpc.name),
                    ));
                }
            }
        }
    }

    fn validate_all(&self, decls: &[&ResourceDecl], stack: &Stack, out: &mut Vec<Diagnostic>) {
        // No two subnets of one VPC overlap.
        let mut seen: Vec<(Option<strata_core::ResourceId>, ipnet::Ipv4Net, &str)> = Vec::new();
        for d in decls {
            let Some(net) = d.known("cidr_block").and_then(|v| v.as_str().and_then(parse_cidr)) else { continue };
            let vpc = referenced(stack, d, "vpc_id").map(|v| v.id);
            for (other_vpc, other, name) in &seen {
                if *other_vpc == vpc && (other.contains(&net) || net.contains(other)) {
                    out.push(Diagnostic::field(
                        &d.name,
                        "cidr_block",
                        format!("{net} overlaps subnet {name} ({other}) in the same VPC"),
                    ));
                }
            }
            seen.push((vpc, net, &d.name));
        }
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(5)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let found = crate::client(&self.aws, &scope.region)
            .describe_subnets()
            .filters(stack_filter(scope))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeSubnets"))?;
        Ok(found.iter().map(|s| observe(&scope.region, s)).collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match crate::client(&self.aws, region).describe_subnets().subnet_ids(id).send().await {
            Ok(o) => Ok(o.subnets().first().map(|s| observe(region, s))),
            Err(e) => not_found_none(strata_aws::error::from_sdk("DescribeSubnets", e)),
        }
    }

    async fn lookup(&self, region: &str, query: &strata_core::LookupQuery) -> Result<Vec<Observed>, ProviderError> {
        match query {
            strata_core::LookupQuery::ByFilters(f) => {
                let found = crate::client(&self.aws, region)
                    .describe_subnets()
                    .set_filters(Some(filters(f)))
                    .send()
                    .await
                    .map_err(err("DescribeSubnets"))?;
                Ok(found.subnets().iter().map(|s| observe(region, s)).collect())
            }
            other => super::default_lookup(self, region, other).await,
        }
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let out = c
            .create_subnet()
            .vpc_id(s(desired, "vpc_id").ok_or_else(|| missing("CreateSubnet", "vpc_id"))?)
            .cidr_block(s(desired, "cidr_block").ok_or_else(|| missing("CreateSubnet", "cidr_block"))?)
            .availability_zone(s(desired, "availability_zone").ok_or_else(|| missing("CreateSubnet", "availability_zone"))?)
            .tag_specifications(tag_spec(ResourceType::Subnet, desired))
            .send()
            .await
            .map_err(err("CreateSubnet"))?;
        let Some(subnet) = out.subnet() else {
            return Err(ProviderError::new(strata_engine::ErrorClass::Fatal, "CreateSubnet", "no subnet in the response"));
        };
        let id = subnet.subnet_id().ok_or_else(|| strata_aws::lacks("CreateSubnet", "SubnetId", &cx.name))?.to_string();
        if b(desired, "map_public_ip_on_launch") {
            set_public(&c, &id, true).await?;
        }
        let mut o = observe(&cx.region, subnet);
        o.props = desired.clone();
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            update_tags(&c, &actual.id, actual, desired).await?;
        }
        if diff.changed("map_public_ip_on_launch").is_some() {
            set_public(&c, &actual.id, b(desired, "map_public_ip_on_launch")).await?;
        }
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_subnet().subnet_id(&actual.id).send().await;
        gone_ok(r.map(|_| ()).map_err(err("DeleteSubnet")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        provider_set_tags(&crate::client(&self.aws, &cx.region), actual, add, remove).await
    }
}

async fn set_public(c: &aws_sdk_ec2::Client, id: &str, on: bool) -> Result<(), ProviderError> {
    c.modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
        .send()
        .await
        .map_err(err("ModifySubnetAttribute"))?;
    Ok(())
}
