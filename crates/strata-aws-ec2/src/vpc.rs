//! `aws:ec2:Vpc`: a VPC with its DNS settings.
//!
//! The CIDR cannot change in place (replacement). DNS support and hostnames are
//! VPC attributes that `DescribeVpcs` does not return, so discovery reads them
//! with `DescribeVpcAttribute` (EC2 has no batched form).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};
use strata_core::{Diagnostic, Input, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, Provider, ProviderError};

use super::common::*;
use strata_aws::error::err;
use strata_aws::Aws;

/// A VPC.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::Vpc;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16").tag("Name", "main"));
/// let _id = vpc.id();
/// ```
#[derive(Clone, Debug)]
pub struct Vpc {
    cidr_block: Input,
    dns_support: bool,
    dns_hostnames: bool,
    tags: BTreeMap<String, Input>,
}

impl Vpc {
    /// A VPC with DNS support and DNS hostnames on.
    pub fn new(cidr_block: impl Into<strata_core::Arg<String>>) -> Self {
        Vpc { cidr_block: cidr_block.into().into_input(), dns_support: true, dns_hostnames: true, tags: BTreeMap::new() }
    }
    pub fn enable_dns_support(mut self, on: bool) -> Self {
        self.dns_support = on;
        self
    }
    pub fn enable_dns_hostnames(mut self, on: bool) -> Self {
        self.dns_hostnames = on;
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<strata_core::Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

super::handle!(
    /// Outputs of a [`Vpc`].
    VpcHandle { id: "id", cidr_block: "cidr_block" }
);

impl strata_core::Resource for Vpc {
    const KIND: &'static str = "aws:ec2:Vpc";
    type Handle = VpcHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("cidr_block".to_string(), self.cidr_block),
            ("enable_dns_support".to_string(), Input::from(self.dns_support)),
            ("enable_dns_hostnames".to_string(), Input::from(self.dns_hostnames)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct VpcProvider {
    pub(crate) aws: Aws,
}

impl VpcProvider {
    async fn dns(&self, region: &str, id: &str) -> Result<(bool, bool), ProviderError> {
        let c = crate::client(&self.aws, region);
        let support = c
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(VpcAttributeName::EnableDnsSupport)
            .send()
            .await
            .map_err(err("DescribeVpcAttribute"))?;
        let hostnames = c
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(VpcAttributeName::EnableDnsHostnames)
            .send()
            .await
            .map_err(err("DescribeVpcAttribute"))?;
        Ok((
            support.enable_dns_support().and_then(|a| a.value()).unwrap_or(true),
            hostnames.enable_dns_hostnames().and_then(|a| a.value()).unwrap_or(false),
        ))
    }

    async fn observe(&self, region: &str, v: &aws_sdk_ec2::types::Vpc) -> Result<Observed, ProviderError> {
        let id = v.vpc_id().unwrap_or_default();
        let (support, hostnames) = self.dns(region, id).await?;
        let props = Props::from([
            ("cidr_block".into(), Value::str(v.cidr_block().unwrap_or_default())),
            ("enable_dns_support".into(), Value::Bool(support)),
            ("enable_dns_hostnames".into(), Value::Bool(hostnames)),
            ("tags".into(), tags_value(v.tags())),
        ]);
        let mut o = observed(<Vpc as strata_core::Resource>::KIND, id, region, props);
        o.outputs.insert("cidr_block".into(), Value::str(v.cidr_block().unwrap_or_default()));
        Ok(o)
    }

    async fn set_dns(&self, region: &str, id: &str, support: Option<bool>, hostnames: Option<bool>) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, region);
        if let Some(on) = support {
            c.modify_vpc_attribute()
                .vpc_id(id)
                .enable_dns_support(AttributeBooleanValue::builder().value(on).build())
                .send()
                .await
                .map_err(err("ModifyVpcAttribute"))?;
        }
        if let Some(on) = hostnames {
            c.modify_vpc_attribute()
                .vpc_id(id)
                .enable_dns_hostnames(AttributeBooleanValue::builder().value(on).build())
                .send()
                .await
                .map_err(err("ModifyVpcAttribute"))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for VpcProvider {
    fn kind(&self) -> &'static str {
        <Vpc as strata_core::Resource>::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["cidr_block"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        require(decl, "cidr_block", out);
        check_cidr(decl, "cidr_block", 16, 28, out);
    }

    fn estimate(&self, op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(10),
            _ => Duration::from_secs(5),
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let vpcs = crate::client(&self.aws, &scope.region)
            .describe_vpcs()
            .filters(stack_filter(scope))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeVpcs"))?;
        let mut out = Vec::with_capacity(vpcs.len());
        for v in &vpcs {
            out.push(self.observe(&scope.region, v).await?);
        }
        Ok(out)
    }

    /// VPCs with the same CIDR and no `strata:stack` tag (one filtered call).
    async fn untagged_lookalikes(&self, region: &str, desired: &Props) -> Result<Vec<String>, ProviderError> {
        let Some(cidr) = desired.get("cidr_block").and_then(Value::as_str) else { return Ok(Vec::new()) };
        let found = crate::client(&self.aws, region)
            .describe_vpcs()
            .filters(aws_sdk_ec2::types::Filter::builder().name("cidr").values(cidr).build())
            .send()
            .await
            .map_err(err("DescribeVpcs"))?;
        Ok(found
            .vpcs()
            .iter()
            .filter(|v| !v.tags().iter().any(|t| t.key() == Some(strata_core::tags::STACK)))
            .filter(|v| !v.is_default().unwrap_or(false))
            .filter_map(|v| v.vpc_id().map(str::to_string))
            .collect())
    }

    fn lookalike_identity(&self) -> &'static str {
        "CIDR"
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let r = crate::client(&self.aws, region).describe_vpcs().vpc_ids(id).send().await;
        match r {
            Ok(o) => match o.vpcs().first() {
                Some(v) => Ok(Some(self.observe(region, v).await?)),
                None => Ok(None),
            },
            Err(e) => {
                let e = strata_aws::error::from_sdk("DescribeVpcs", e);
                if e.class == strata_engine::ErrorClass::NotFound { Ok(None) } else { Err(e) }
            }
        }
    }

    async fn lookup(&self, region: &str, query: &strata_core::LookupQuery) -> Result<Vec<Observed>, ProviderError> {
        match query {
            strata_core::LookupQuery::ByFilters(f) => {
                let vpcs = crate::client(&self.aws, region)
                    .describe_vpcs()
                    .set_filters(Some(filters(f)))
                    .send()
                    .await
                    .map_err(err("DescribeVpcs"))?;
                let mut out = Vec::new();
                for v in vpcs.vpcs() {
                    out.push(self.observe(region, v).await?);
                }
                Ok(out)
            }
            other => {
                let scope_lookup = super::default_lookup(self, region, other).await?;
                Ok(scope_lookup)
            }
        }
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let cidr = s(desired, "cidr_block").ok_or_else(|| missing("CreateVpc", "cidr_block"))?;
        let out = c
            .create_vpc()
            .cidr_block(&cidr)
            .tag_specifications(tag_spec(ResourceType::Vpc, desired))
            .send()
            .await
            .map_err(err("CreateVpc"))?;
        let id = out.vpc().and_then(|v| v.vpc_id()).ok_or_else(|| strata_aws::lacks("CreateVpc", "VpcId", &cx.name))?.to_string();
        let support = b(desired, "enable_dns_support");
        let hostnames = b(desired, "enable_dns_hostnames");
        // New VPCs have support on and hostnames off.
        self.set_dns(&cx.region, &id, (!support).then_some(false), hostnames.then_some(true)).await?;
        let mut o = observed(<Vpc as strata_core::Resource>::KIND, &id, &cx.region, desired.clone());
        o.outputs.insert("cidr_block".into(), Value::Str(cidr));
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            update_tags(&c, &actual.id, actual, desired).await?;
        }
        let support = diff.changed("enable_dns_support").map(|_| b(desired, "enable_dns_support"));
        let hostnames = diff.changed("enable_dns_hostnames").map(|_| b(desired, "enable_dns_hostnames"));
        self.set_dns(&cx.region, &actual.id, support, hostnames).await?;
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        log_op(cx, "deleting VPC");
        gone_ok(crate::client(&self.aws, &cx.region).delete_vpc().vpc_id(&actual.id).send().await.map(|_| ()).map_err(err("DeleteVpc")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        provider_set_tags(&crate::client(&self.aws, &cx.region), actual, add, remove).await
    }
}
