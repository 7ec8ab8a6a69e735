//! `aws:ec2:Subnet`: a subnet in one availability zone, public (public IPs on
//! launch) or private. VPC, CIDR and AZ cannot change in place.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Subnet as Item};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, ResourceDecl, ResourceId, Stack, Tags};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use super::common::{check_az, check_cidr, filters, parse_cidr, referenced, stack_filter, tags_of_list, tags_spec, Ec2Tags};

strata_aws::kind_fields! {
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
    pub struct Subnet: "aws:ec2:Subnet";
    values SubnetValues;
    handle SubnetHandle / SubnetOutputs { availability_zone, cidr_block, vpc_id };
    fields {
        /// The VPC.
        vpc_id: str [replace required];
        /// Its IPv4 CIDR block, inside the VPC's (/16 to /28).
        cidr_block: str [replace required];
        /// Its availability zone (`<region>a`, ...).
        availability_zone: str [replace required];
        /// Instances launched here get a public IP.
        map_public_ip_on_launch: bool [update] = false;
    }
}

impl Subnet {
    /// A private subnet (no public IPs on launch).
    pub fn new(
        vpc_id: impl Into<Arg<String>>,
        cidr_block: impl Into<Arg<String>>,
        availability_zone: impl Into<Arg<String>>,
    ) -> Self {
        Self::empty().vpc_id(vpc_id).cidr_block(cidr_block).availability_zone(availability_zone)
    }

    /// Instances launched here get a public IP.
    pub fn public(self) -> Self {
        self.map_public_ip_on_launch(true)
    }
}

type V = SubnetValues;

/// The kind behind [`Subnet`].
pub(crate) struct Subnets;

#[async_trait]
impl Kind for Subnets {
    type Builder = Subnet;
    type Item = Item;
    type Tags = Ec2Tags;

    fn id(s: &Item) -> Option<&str> {
        s.subnet_id()
    }

    fn carried_tags(s: &Item) -> Option<Tags> {
        Some(tags_of_list(s.tags()))
    }

    fn observe(s: &Item) -> Seen<Subnet> {
        let text = |v: Option<&str>| v.map(str::to_string);
        let outputs = SubnetOutputs {
            vpc_id: text(s.vpc_id()),
            cidr_block: text(s.cidr_block()),
            availability_zone: text(s.availability_zone()),
        };
        let values = V {
            vpc_id: outputs.vpc_id.clone(),
            cidr_block: outputs.cidr_block.clone(),
            availability_zone: outputs.availability_zone.clone(),
            map_public_ip_on_launch: Some(s.map_public_ip_on_launch().unwrap_or(false)),
            ..V::default()
        };
        Seen { refs: outputs.vpc_id.iter().cloned().collect(), values, outputs }
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let net = check_cidr(decl, V::cidr_block, 16, 28, out);
        check_az(decl, stack, V::availability_zone, out);
        // The subnet must lie inside its VPC (when both are known now).
        let Some((net, vpc)) = net.zip(referenced(stack, decl, V::vpc_id)) else { return };
        if let Some(vpc_net) = vpc.known(V::cidr_block).and_then(|v| v.as_str().and_then(parse_cidr)) {
            if !vpc_net.contains(&net) {
                out.push(Diagnostic::field(&decl.name, V::cidr_block, format!("{net} is not inside VPC {} ({vpc_net})", vpc.name)));
            }
        }
    }

    fn validate_all(decls: &[&ResourceDecl], stack: &Stack, out: &mut Vec<Diagnostic>) {
        // No two subnets of one VPC overlap.
        let mut seen: Vec<(Option<ResourceId>, ipnet::Ipv4Net, &str)> = Vec::new();
        for d in decls {
            let Some(net) = d.known(V::cidr_block).and_then(|v| v.as_str().and_then(parse_cidr)) else { continue };
            let vpc = referenced(stack, d, V::vpc_id).map(|v| v.id);
            for (other_vpc, other, name) in &seen {
                if *other_vpc == vpc && (other.contains(&net) || net.contains(other)) {
                    out.push(Diagnostic::field(&d.name, V::cidr_block, format!("{net} overlaps subnet {name} ({other}) in the same VPC")));
                }
            }
            seen.push((vpc, net, &d.name));
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(5)
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let pages = crate::client(aws, &scope.region).describe_subnets().filters(stack_filter(scope)).into_paginator().items().send();
        strata_aws::error::all_pages(pages, "DescribeSubnets").await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = crate::client(aws, region).describe_subnets().subnet_ids(id).send().await.map_err(err("DescribeSubnets"))?;
        Ok(out.subnets().first().cloned())
    }

    async fn find(&self, aws: &Aws, region: &str, f: &[(String, Vec<String>)]) -> Result<Option<Vec<Item>>, ProviderError> {
        let out = crate::client(aws, region).describe_subnets().set_filters(Some(filters(f))).send().await.map_err(err("DescribeSubnets"))?;
        Ok(Some(out.subnets().to_vec()))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Subnet>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let out = crate::client(aws, &cx.region)
            .create_subnet()
            .set_vpc_id(v.vpc_id.clone())
            .set_cidr_block(v.cidr_block.clone())
            .set_availability_zone(v.availability_zone.clone())
            .tag_specifications(tags_spec(ResourceType::Subnet, &v.tags))
            .send()
            .await
            .map_err(err("CreateSubnet"))?;
        let subnet = out.subnet().ok_or_else(|| strata_aws::lacks("CreateSubnet", "Subnet", &cx.name))?;
        let id = subnet.subnet_id().ok_or_else(|| strata_aws::lacks("CreateSubnet", "SubnetId", &cx.name))?;
        let public = v.map_public_ip_on_launch == Some(true);
        if public {
            set_public(aws, &cx.region, id, true).await?;
        }
        // The answer plus the attribute just set: no read-back call.
        let mut item = subnet.clone();
        item.map_public_ip_on_launch = Some(public);
        Ok(Created::Item(item))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Subnet>, _diff: &Diff) -> Result<(), ProviderError> {
        set_public(aws, &want.cx.region, &actual.id, want.values.map_public_ip_on_launch == Some(true)).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        crate::client(aws, &cx.region).delete_subnet().subnet_id(&actual.id).send().await.map(|_| ()).map_err(err("DeleteSubnet"))
    }
}

async fn set_public(aws: &Aws, region: &str, id: &str, on: bool) -> Result<(), ProviderError> {
    crate::client(aws, region)
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
        .send()
        .await
        .map(|_| ())
        .map_err(err("ModifySubnetAttribute"))
}
