//! `aws:ec2:NatGateway`: a public NAT gateway in a public subnet with an
//! Elastic IP. Create waits until `available`; delete waits until `deleted`, so
//! that the Elastic IP can be released after it. Gateways in `deleting`,
//! `deleted` or `failed` stay visible for a while and are not ours any more:
//! discovery skips them.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{NatGateway as Item, NatGatewayState as State, ResourceType};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Tags};
use strata_engine::{DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use super::common::{stack_filter, tags_of_list, tags_spec, Ec2Tags};

strata_aws::kind_fields! {
    /// A public NAT gateway.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::{ElasticIp, NatGateway, Subnet, Vpc};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
    /// let public = stack.add("public-b", Subnet::new(vpc.id(), "10.0.11.0/24", "eu-central-1b").public());
    /// let ip = stack.add("nat-ip", ElasticIp::new());
    /// let nat = stack.add("nat", NatGateway::new(public.id(), ip.allocation_id()));
    /// let _ = nat.id();
    /// ```
    pub struct NatGateway: "aws:ec2:NatGateway";
    values NatGatewayValues;
    handle NatGatewayHandle / NatGatewayOutputs { public_ip };
    fields {
        /// The public subnet it sits in.
        subnet_id: str [replace required];
        /// The Elastic IP's allocation id.
        allocation_id: str [replace required];
    }
}

impl NatGateway {
    /// A gateway in this subnet with this Elastic IP.
    pub fn new(subnet_id: impl Into<Arg<String>>, allocation_id: impl Into<Arg<String>>) -> Self {
        Self::empty().subnet_id(subnet_id).allocation_id(allocation_id)
    }
}

type V = NatGatewayValues;

/// The kind behind [`NatGateway`].
pub(crate) struct NatGateways;

#[async_trait]
impl Kind for NatGateways {
    type Builder = NatGateway;
    type Item = Item;
    type Tags = Ec2Tags;

    const WAIT_FOR_DELETE: bool = true;

    fn id(n: &Item) -> Option<&str> {
        n.nat_gateway_id()
    }

    fn carried_tags(n: &Item) -> Option<Tags> {
        Some(tags_of_list(n.tags()))
    }

    fn life(n: &Item) -> Life {
        match n.state() {
            Some(State::Deleted) => Life::Gone,
            Some(State::Deleting | State::Failed) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(n: &Item) -> Result<bool, ProviderError> {
        match n.state() {
            Some(State::Available) => Ok(true),
            Some(State::Failed) => Err(ProviderError::new(
                ErrorClass::Fatal,
                "CreateNatGateway",
                format!("{} failed: {}", n.nat_gateway_id().unwrap_or("the NAT gateway"), n.failure_message().unwrap_or("no reason given")),
            )
            .with_code(n.failure_code().unwrap_or("Failed"))),
            _ => Ok(false),
        }
    }

    fn observe(n: &Item) -> Seen<NatGateway> {
        let addr = n.nat_gateway_addresses().first();
        let values = V {
            subnet_id: n.subnet_id().map(str::to_string),
            allocation_id: addr.and_then(|a| a.allocation_id()).map(str::to_string),
            ..V::default()
        };
        let refs = values.subnet_id.iter().chain(&values.allocation_id).cloned().collect();
        Seen { values, outputs: NatGatewayOutputs { public_ip: addr.and_then(|a| a.public_ip()).map(str::to_string) }, refs }
    }

    fn estimate(op: Op) -> Duration {
        Duration::from_secs(match op {
            Op::Create => 105,
            Op::Delete => 45,
            Op::Update => 2,
        })
    }

    fn default_timeout(op: Op) -> Duration {
        Duration::from_secs(if op == Op::Delete { 30 * 60 } else { 10 * 60 })
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let pages = crate::client(aws, &scope.region).describe_nat_gateways().filter(stack_filter(scope)).into_paginator().items().send();
        strata_aws::error::all_pages(pages, "DescribeNatGateways").await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = crate::client(aws, region).describe_nat_gateways().nat_gateway_ids(id).send().await.map_err(err("DescribeNatGateways"))?;
        Ok(out.nat_gateways().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, NatGateway>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let out = crate::client(aws, &cx.region)
            .create_nat_gateway()
            .set_subnet_id(v.subnet_id.clone())
            .set_allocation_id(v.allocation_id.clone())
            .client_token(&cx.idempotency_token)
            .tag_specifications(tags_spec(ResourceType::Natgateway, &v.tags))
            .send()
            .await
            .map_err(err("CreateNatGateway"))?;
        let id = out.nat_gateway().and_then(|n| n.nat_gateway_id());
        // Pending: the kernel waits until it is available.
        Ok(Created::Id(id.ok_or_else(|| strata_aws::lacks("CreateNatGateway", "NatGatewayId", &cx.name))?.to_string()))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        crate::client(aws, &cx.region)
            .delete_nat_gateway()
            .nat_gateway_id(&actual.id)
            .send()
            .await
            .map(|_| ())
            .map_err(err("DeleteNatGateway"))
    }
}
