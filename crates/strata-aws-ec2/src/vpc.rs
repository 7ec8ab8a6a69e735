//! `aws:ec2:Vpc`: a VPC with its DNS settings.
//!
//! The CIDR cannot change in place (replacement). DNS support and hostnames are
//! VPC attributes that `DescribeVpcs` does not return, so discovery reads them
//! with `DescribeVpcAttribute` (EC2 has no batched form).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, Vpc as SdkVpc, VpcAttributeName};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, ResourceDecl, Stack, Tags};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use super::common::{check_cidr, filters, stack_filter, tags_of_list, tags_spec, Ec2Tags};

strata_aws::kind_fields! {
    /// A VPC.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::Vpc;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16").tag("Name", "main"));
    /// let _id = vpc.id();
    /// ```
    pub struct Vpc: "aws:ec2:Vpc";
    values VpcValues;
    handle VpcHandle / VpcOutputs { cidr_block };
    fields {
        /// Its IPv4 CIDR block (/16 to /28).
        cidr_block: str [replace required];
        /// The Amazon DNS server answers in the VPC.
        enable_dns_support: bool [update] = true;
        /// Instances with public IPs get public DNS names.
        enable_dns_hostnames: bool [update] = true;
    }
}

impl Vpc {
    /// A VPC with DNS support and DNS hostnames on.
    pub fn new(cidr_block: impl Into<Arg<String>>) -> Self {
        Self::empty().cidr_block(cidr_block)
    }
}

type V = VpcValues;

/// A VPC with its two DNS attributes (`None` when not read: a look-alike).
pub(crate) struct Item {
    vpc: SdkVpc,
    dns: Option<(bool, bool)>,
}

/// The kind behind [`Vpc`].
pub(crate) struct Vpcs;

async fn describe(aws: &Aws, region: &str, filters: Vec<Filter>, ids: Vec<String>) -> Result<Vec<SdkVpc>, ProviderError> {
    let list = crate::client(aws, region).describe_vpcs().set_filters(Some(filters)).set_vpc_ids(Some(ids).filter(|i| !i.is_empty()));
    let pages = list.into_paginator().items().send();
    strata_aws::error::all_pages(pages, "DescribeVpcs").await
}

async fn with_dns(aws: &Aws, region: &str, vpcs: Vec<SdkVpc>) -> Result<Vec<Item>, ProviderError> {
    let mut out = Vec::with_capacity(vpcs.len());
    for vpc in vpcs {
        let Some(id) = vpc.vpc_id() else { continue };
        let attr = |a| crate::client(aws, region).describe_vpc_attribute().vpc_id(id).attribute(a).send();
        let support = attr(VpcAttributeName::EnableDnsSupport).await.map_err(err("DescribeVpcAttribute"))?;
        let hostnames = attr(VpcAttributeName::EnableDnsHostnames).await.map_err(err("DescribeVpcAttribute"))?;
        let dns = (
            support.enable_dns_support().and_then(|a| a.value()).unwrap_or(true),
            hostnames.enable_dns_hostnames().and_then(|a| a.value()).unwrap_or(false),
        );
        out.push(Item { vpc, dns: Some(dns) });
    }
    Ok(out)
}

async fn set_dns(aws: &Aws, region: &str, id: &str, support: Option<bool>, hostnames: Option<bool>) -> Result<(), ProviderError> {
    let on = |v: bool| AttributeBooleanValue::builder().value(v).build();
    let modify = || crate::client(aws, region).modify_vpc_attribute().vpc_id(id);
    if let Some(v) = support {
        modify().enable_dns_support(on(v)).send().await.map_err(err("ModifyVpcAttribute"))?;
    }
    if let Some(v) = hostnames {
        modify().enable_dns_hostnames(on(v)).send().await.map_err(err("ModifyVpcAttribute"))?;
    }
    Ok(())
}

#[async_trait]
impl Kind for Vpcs {
    type Builder = Vpc;
    type Item = Item;
    type Tags = Ec2Tags;

    const LOOKALIKE: &'static str = "CIDR";

    fn id(i: &Item) -> Option<&str> {
        i.vpc.vpc_id()
    }

    fn carried_tags(i: &Item) -> Option<Tags> {
        Some(tags_of_list(i.vpc.tags()))
    }

    fn observe(i: &Item) -> Seen<Vpc> {
        let cidr = i.vpc.cidr_block().map(str::to_string);
        let values = V {
            cidr_block: cidr.clone(),
            enable_dns_support: i.dns.map(|d| d.0),
            enable_dns_hostnames: i.dns.map(|d| d.1),
            ..V::default()
        };
        Seen { values, outputs: VpcOutputs { cidr_block: cidr }, refs: Vec::new() }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        check_cidr(decl, V::cidr_block, 16, 28, out);
    }

    fn estimate(op: Op) -> Duration {
        Duration::from_secs(if op == Op::Create { 10 } else { 5 })
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        with_dns(aws, &scope.region, describe(aws, &scope.region, vec![stack_filter(scope)], Vec::new()).await?).await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        Ok(with_dns(aws, region, describe(aws, region, Vec::new(), vec![id.to_string()]).await?).await?.pop())
    }

    async fn find(&self, aws: &Aws, region: &str, f: &[(String, Vec<String>)]) -> Result<Option<Vec<Item>>, ProviderError> {
        with_dns(aws, region, describe(aws, region, filters(f), Vec::new()).await?).await.map(Some)
    }

    /// Non-default VPCs with the same CIDR (one filtered call, no DNS reads).
    async fn lookalikes(&self, aws: &Aws, region: &str, want: &V) -> Result<Vec<Item>, ProviderError> {
        let Some(cidr) = &want.cidr_block else { return Ok(Vec::new()) };
        let found = describe(aws, region, vec![Filter::builder().name("cidr").values(cidr).build()], Vec::new()).await?;
        Ok(found.into_iter().filter(|v| !v.is_default().unwrap_or(false)).map(|vpc| Item { vpc, dns: None }).collect())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Vpc>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let out = crate::client(aws, &cx.region)
            .create_vpc()
            .set_cidr_block(v.cidr_block.clone())
            .tag_specifications(tags_spec(ResourceType::Vpc, &v.tags))
            .send()
            .await
            .map_err(err("CreateVpc"))?;
        let vpc = out.vpc().ok_or_else(|| strata_aws::lacks("CreateVpc", "Vpc", &cx.name))?;
        let id = vpc.vpc_id().ok_or_else(|| strata_aws::lacks("CreateVpc", "VpcId", &cx.name))?;
        let (support, hostnames) = (v.enable_dns_support != Some(false), v.enable_dns_hostnames == Some(true));
        // New VPCs have support on and hostnames off.
        set_dns(aws, &cx.region, id, (!support).then_some(false), hostnames.then_some(true)).await?;
        // The answer plus the attributes just set: no read-back call.
        Ok(Created::Item(Item { vpc: vpc.clone(), dns: Some((support, hostnames)) }))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Vpc>, diff: &Diff) -> Result<(), ProviderError> {
        let v = &want.values;
        let support = diff.changed(V::enable_dns_support).and(v.enable_dns_support);
        let hostnames = diff.changed(V::enable_dns_hostnames).and(v.enable_dns_hostnames);
        set_dns(aws, &want.cx.region, &actual.id, support, hostnames).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        crate::client(aws, &cx.region).delete_vpc().vpc_id(&actual.id).send().await.map(|_| ()).map_err(err("DeleteVpc"))
    }
}
