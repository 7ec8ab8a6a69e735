//! `aws:ec2:NatGateway`: a public NAT gateway in a public subnet with an
//! Elastic IP. Create waits until `available`; delete waits until `deleted`, so
//! that the Elastic IP can be released after it. Gateways in `deleting`,
//! `deleted` or `failed` stay visible for a while and are not ours any more:
//! discovery skips them.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{NatGatewayState, ResourceType};
use strata_core::{Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError};

use super::common::*;
use strata_aws::error::err;
use strata_aws::Aws;

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
#[derive(Clone, Debug)]
pub struct NatGateway {
    subnet_id: Input,
    allocation_id: Input,
    tags: BTreeMap<String, Input>,
}

impl NatGateway {
    pub fn new(subnet_id: impl Into<Arg<String>>, allocation_id: impl Into<Arg<String>>) -> Self {
        NatGateway {
            subnet_id: subnet_id.into().into_input(),
            allocation_id: allocation_id.into().into_input(),
            tags: BTreeMap::new(),
        }
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

super::handle!(
    /// Outputs of a [`NatGateway`].
    NatGatewayHandle { id: "id", public_ip: "public_ip" }
);

impl Resource for NatGateway {
    const KIND: &'static str = "aws:ec2:NatGateway";
    type Handle = NatGatewayHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("subnet_id".to_string(), self.subnet_id),
            ("allocation_id".to_string(), self.allocation_id),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct NatProvider {
    pub(crate) aws: Aws,
}

fn is_live(n: &aws_sdk_ec2::types::NatGateway) -> bool {
    !matches!(n.state(), Some(NatGatewayState::Deleted | NatGatewayState::Deleting | NatGatewayState::Failed))
}

fn observe(region: &str, n: &aws_sdk_ec2::types::NatGateway) -> Observed {
    let id = n.nat_gateway_id().unwrap_or_default();
    let subnet = n.subnet_id().unwrap_or_default();
    let addr = n.nat_gateway_addresses().first();
    let alloc = addr.and_then(|a| a.allocation_id()).unwrap_or_default();
    let props = Props::from([
        ("subnet_id".into(), Value::str(subnet)),
        ("allocation_id".into(), Value::str(alloc)),
        ("tags".into(), tags_value(n.tags())),
    ]);
    let mut o = observed(NatGateway::KIND, id, region, props);
    o.outputs.insert("public_ip".into(), Value::str(addr.and_then(|a| a.public_ip()).unwrap_or_default()));
    o.refs = vec![subnet.to_string(), alloc.to_string()];
    o
}

impl NatProvider {
    async fn describe(&self, region: &str, id: &str) -> Result<Option<aws_sdk_ec2::types::NatGateway>, ProviderError> {
        match crate::client(&self.aws, region).describe_nat_gateways().nat_gateway_ids(id).send().await {
            Ok(o) => Ok(o.nat_gateways().first().cloned()),
            Err(e) => not_found_none(strata_aws::error::from_sdk("DescribeNatGateways", e)),
        }
    }
}

#[async_trait]
impl Provider for NatProvider {
    fn kind(&self) -> &'static str {
        NatGateway::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["subnet_id", "allocation_id"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        require(decl, "subnet_id", out);
        require(decl, "allocation_id", out);
    }

    fn estimate(&self, op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(105),
            Op::Delete => Duration::from_secs(45),
            Op::Update => Duration::from_secs(2),
        }
    }

    fn default_timeout(&self, op: Op) -> Duration {
        match op {
            Op::Delete => Duration::from_secs(30 * 60),
            _ => Duration::from_secs(10 * 60),
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let found = crate::client(&self.aws, &scope.region)
            .describe_nat_gateways()
            .filter(stack_filter(scope))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeNatGateways"))?;
        // moto and LocalStack ignore tag filters here; the engine checks the
        // stack tag of everything discovered anyway.
        Ok(found.iter().filter(|n| is_live(n)).map(|n| observe(&scope.region, n)).collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        Ok(self.describe(region, id).await?.filter(is_live).map(|n| observe(region, &n)))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let out = crate::client(&self.aws, &cx.region)
            .create_nat_gateway()
            .subnet_id(s(desired, "subnet_id").ok_or_else(|| missing("CreateNatGateway", "subnet_id"))?)
            .allocation_id(s(desired, "allocation_id").ok_or_else(|| missing("CreateNatGateway", "allocation_id"))?)
            .client_token(&cx.idempotency_token)
            .tag_specifications(tag_spec(ResourceType::Natgateway, desired))
            .send()
            .await
            .map_err(err("CreateNatGateway"))?;
        let id = out.nat_gateway().and_then(|n| n.nat_gateway_id()).ok_or_else(|| strata_aws::lacks("CreateNatGateway", "NatGatewayId", &cx.name))?.to_string();
        let what = format!("NAT gateway {id} to become available");
        let gw = wait_until(&what, cx.timeout, cx.poll, || async {
            match self.describe(&cx.region, &id).await? {
                None => Err(ProviderError::new(ErrorClass::NotFoundYet, "DescribeNatGateways", format!("{id} not visible yet"))),
                Some(n) => match n.state() {
                    Some(NatGatewayState::Available) => Ok(Some(n)),
                    Some(NatGatewayState::Failed) => Err(ProviderError::new(
                        ErrorClass::Fatal,
                        "CreateNatGateway",
                        format!("{id} failed: {}", n.failure_message().unwrap_or("no reason given")),
                    )
                    .with_code(n.failure_code().unwrap_or("Failed"))),
                    _ => Ok(None),
                },
            }
        })
        .await?;
        let mut o = observe(&cx.region, &gw);
        o.props = desired.clone();
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, _diff: &Diff) -> Result<Observed, ProviderError> {
        update_tags(&crate::client(&self.aws, &cx.region), &actual.id, actual, desired).await?;
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_nat_gateway().nat_gateway_id(&actual.id).send().await;
        gone_ok(r.map(|_| ()).map_err(err("DeleteNatGateway")))?;
        let what = format!("NAT gateway {} to be deleted", actual.id);
        wait_until(&what, cx.timeout, cx.poll, || async {
            Ok(match self.describe(&cx.region, &actual.id).await? {
                None => Some(()),
                Some(n) if matches!(n.state(), Some(NatGatewayState::Deleted)) => Some(()),
                Some(_) => None,
            })
        })
        .await
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        provider_set_tags(&crate::client(&self.aws, &cx.region), actual, add, remove).await
    }
}
