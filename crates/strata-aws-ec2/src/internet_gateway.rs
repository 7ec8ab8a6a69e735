//! `aws:ec2:InternetGateway`, with its VPC attachment as the `vpc_id` field:
//! attached on create, detached before delete, moved (detach, attach) in place.

use async_trait::async_trait;
use aws_sdk_ec2::types::{InternetGateway as Item, InternetGatewayAttachment, ResourceType};
use strata_aws::error::{err, from_sdk};
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, OpContext, ProviderError};

use super::common::{stack_filter, tags_of_list, tags_spec, Ec2Tags};

strata_aws::kind_fields! {
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
    pub struct InternetGateway: "aws:ec2:InternetGateway";
    values InternetGatewayValues;
    handle InternetGatewayHandle / InternetGatewayOutputs {};
    fields {
        /// The VPC to attach to.
        vpc_id: str [update cleared];
    }
}

impl InternetGateway {
    /// A gateway, attached to nothing until [`InternetGateway::vpc_id`].
    pub fn new() -> Self {
        Self::empty()
    }
}

impl Default for InternetGateway {
    fn default() -> Self {
        Self::new()
    }
}

type V = InternetGatewayValues;

/// The kind behind [`InternetGateway`].
pub(crate) struct InternetGateways;

async fn attach(aws: &Aws, region: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
    crate::client(aws, region)
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .map(|_| ())
        .map_err(err("AttachInternetGateway"))
}

async fn detach(aws: &Aws, region: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
    match crate::client(aws, region).detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc).send().await {
        Ok(_) => Ok(()),
        Err(e) => match from_sdk("DetachInternetGateway", e) {
            e if e.class == ErrorClass::NotFound || e.code.as_deref() == Some("Gateway.NotAttached") => Ok(()),
            e => Err(e),
        },
    }
}

#[async_trait]
impl Kind for InternetGateways {
    type Builder = InternetGateway;
    type Item = Item;
    type Tags = Ec2Tags;

    fn id(g: &Item) -> Option<&str> {
        g.internet_gateway_id()
    }

    fn carried_tags(g: &Item) -> Option<Tags> {
        Some(tags_of_list(g.tags()))
    }

    fn observe(g: &Item) -> Seen<InternetGateway> {
        let vpc = g.attachments().first().and_then(|a| a.vpc_id()).map(str::to_string);
        Seen { values: V { vpc_id: vpc.clone(), ..V::default() }, outputs: InternetGatewayOutputs {}, refs: vpc.into_iter().collect() }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let pages = crate::client(aws, &scope.region).describe_internet_gateways().filters(stack_filter(scope)).into_paginator().items().send();
        strata_aws::error::all_pages(pages, "DescribeInternetGateways").await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = crate::client(aws, region)
            .describe_internet_gateways()
            .internet_gateway_ids(id)
            .send()
            .await
            .map_err(err("DescribeInternetGateways"))?;
        Ok(out.internet_gateways().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, InternetGateway>) -> Result<Created<Item>, ProviderError> {
        let cx = want.cx;
        let out = crate::client(aws, &cx.region)
            .create_internet_gateway()
            .tag_specifications(tags_spec(ResourceType::InternetGateway, &want.values.tags))
            .send()
            .await
            .map_err(err("CreateInternetGateway"))?;
        let made = out.internet_gateway().ok_or_else(|| strata_aws::lacks("CreateInternetGateway", "InternetGateway", &cx.name))?;
        let id = made.internet_gateway_id().ok_or_else(|| strata_aws::lacks("CreateInternetGateway", "InternetGatewayId", &cx.name))?;
        let mut item = Item::builder().internet_gateway_id(id).set_tags(Some(made.tags().to_vec()));
        if let Some(vpc) = &want.values.vpc_id {
            attach(aws, &cx.region, id, vpc).await?;
            item = item.attachments(InternetGatewayAttachment::builder().vpc_id(vpc).build());
        }
        // The answer plus the attachment just made: no read-back call.
        Ok(Created::Item(item.build()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, InternetGateway>, _diff: &Diff) -> Result<(), ProviderError> {
        let region = &want.cx.region;
        if let Some(old) = actual.props.get(V::vpc_id).and_then(|v| v.as_str()) {
            detach(aws, region, &actual.id, old).await?;
        }
        match &want.values.vpc_id {
            Some(new) => attach(aws, region, &actual.id, new).await,
            None => Ok(()),
        }
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        if let Some(vpc) = actual.props.get(V::vpc_id).and_then(|v| v.as_str()) {
            detach(aws, &cx.region, &actual.id, vpc).await?;
        }
        crate::client(aws, &cx.region)
            .delete_internet_gateway()
            .internet_gateway_id(&actual.id)
            .send()
            .await
            .map(|_| ())
            .map_err(err("DeleteInternetGateway"))
    }
}
