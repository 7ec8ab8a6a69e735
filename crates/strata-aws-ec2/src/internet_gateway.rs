//! `aws:ec2:InternetGateway`, with its VPC attachment as the `vpc_id` field:
//! attached on create, detached before delete, moved (detach, attach) in place.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use strata_core::{Arg, Input, Props, Resource, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, OpContext, Provider, ProviderError};

use super::common::*;
use strata_aws::error::err;
use strata_aws::Aws;

/// An internet gateway, attached to a VPC.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::{InternetGateway, Vpc};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
/// let igw = stack.add("igw", InternetGateway::new().vpc_id(vpc.id()));
/// let _ = igw.id();
/// ```
#[derive(Clone, Debug, Default)]
pub struct InternetGateway {
    vpc_id: Option<Input>,
    tags: BTreeMap<String, Input>,
}

impl InternetGateway {
    pub fn new() -> Self {
        Self::default()
    }
    /// The VPC to attach to.
    pub fn vpc_id(mut self, vpc_id: impl Into<Arg<String>>) -> Self {
        self.vpc_id = Some(vpc_id.into().into_input());
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

super::handle!(
    /// Outputs of an [`InternetGateway`].
    InternetGatewayHandle { id: "id" }
);

impl Resource for InternetGateway {
    const KIND: &'static str = "aws:ec2:InternetGateway";
    type Handle = InternetGatewayHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("vpc_id".to_string(), self.vpc_id.unwrap_or(Input::Known(Value::Null))),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct IgwProvider {
    pub(crate) aws: Aws,
}

fn observe(region: &str, g: &aws_sdk_ec2::types::InternetGateway) -> Observed {
    let id = g.internet_gateway_id().unwrap_or_default();
    let vpc = g.attachments().first().and_then(|a| a.vpc_id()).map(str::to_string);
    let props = Props::from([
        ("vpc_id".into(), vpc.clone().map(Value::Str).unwrap_or(Value::Null)),
        ("tags".into(), tags_value(g.tags())),
    ]);
    let mut o = observed(InternetGateway::KIND, id, region, props);
    o.refs.extend(vpc);
    o
}

impl IgwProvider {
    async fn attach(&self, region: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
        crate::client(&self.aws, region)
            .attach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc)
            .send()
            .await
            .map_err(err("AttachInternetGateway"))?;
        Ok(())
    }

    async fn detach(&self, region: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, region).detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send().await;
        match r.map(|_| ()).map_err(err("DetachInternetGateway")) {
            Err(e) if e.class == strata_engine::ErrorClass::NotFound || e.code.as_deref() == Some("Gateway.NotAttached") => Ok(()),
            other => other,
        }
    }
}

#[async_trait]
impl Provider for IgwProvider {
    fn kind(&self) -> &'static str {
        InternetGateway::KIND
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let found = crate::client(&self.aws, &scope.region)
            .describe_internet_gateways()
            .filters(stack_filter(scope))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeInternetGateways"))?;
        Ok(found.iter().map(|g| observe(&scope.region, g)).collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match crate::client(&self.aws, region).describe_internet_gateways().internet_gateway_ids(id).send().await {
            Ok(o) => Ok(o.internet_gateways().first().map(|g| observe(region, g))),
            Err(e) => not_found_none(strata_aws::error::from_sdk("DescribeInternetGateways", e)),
        }
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let out = crate::client(&self.aws, &cx.region)
            .create_internet_gateway()
            .tag_specifications(tag_spec(ResourceType::InternetGateway, desired))
            .send()
            .await
            .map_err(err("CreateInternetGateway"))?;
        let id = out.internet_gateway().and_then(|g| g.internet_gateway_id()).ok_or_else(|| strata_aws::lacks("CreateInternetGateway", "InternetGatewayId", &cx.name))?.to_string();
        let mut o = observed(InternetGateway::KIND, &id, &cx.region, desired.clone());
        if let Some(vpc) = s(desired, "vpc_id") {
            self.attach(&cx.region, &id, &vpc).await?;
            o.refs.push(vpc);
        }
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        if diff.changed("tags").is_some() {
            update_tags(&crate::client(&self.aws, &cx.region), &actual.id, actual, desired).await?;
        }
        if diff.changed("vpc_id").is_some() {
            if let Some(old) = s(&actual.props, "vpc_id") {
                self.detach(&cx.region, &actual.id, &old).await?;
            }
            if let Some(new) = s(desired, "vpc_id") {
                self.attach(&cx.region, &actual.id, &new).await?;
            }
        }
        let mut o = actual.clone();
        o.props = desired.clone();
        o.refs = s(desired, "vpc_id").into_iter().collect();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        if let Some(vpc) = s(&actual.props, "vpc_id") {
            self.detach(&cx.region, &actual.id, &vpc).await?;
        }
        let r = crate::client(&self.aws, &cx.region).delete_internet_gateway().internet_gateway_id(&actual.id).send().await;
        gone_ok(r.map(|_| ()).map_err(err("DeleteInternetGateway")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        provider_set_tags(&crate::client(&self.aws, &cx.region), actual, add, remove).await
    }
}
