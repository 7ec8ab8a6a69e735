//! `aws:apigateway:VpcLink`: the link through which REST APIs reach a
//! private network load balancer (a REST API's VPC link targets exactly one
//! NLB, unlike an HTTP API's, which sits in subnets).
//!
//! A link takes minutes to become `AVAILABLE` on AWS (the kernel waits); its
//! target replaces it (AWS cannot change it), its name and description
//! change in place (`UpdateVpcLink`). The derived name is salted with the
//! target, so a replacement created before the old link's delete never
//! collides with it.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_apigateway::types::{Op as PatchOp, PatchOperation, VpcLink as Sdk, VpcLinkStatus};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, sdk_tags, tags_of, RestTags};

strata_aws::kind_fields! {
    /// A VPC link for REST APIs.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_apigateway::VpcLink;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let link = stack.add("to-nlb", VpcLink::new("arn:aws:elasticloadbalancing:eu-central-1:111122223333:loadbalancer/net/orders/0123456789abcdef"));
    /// let _ = link.arn();
    /// ```
    pub struct VpcLink: "aws:apigateway:VpcLink";
    values VpcLinkValues;
    handle VpcLinkHandle / VpcLinkOutputs { arn };
    fields {
        /// The link's name (default: `<stack>-<logical name>` and a hash of the target).
        name: str [update];
        /// A description.
        description: str [update] = "";
        /// The network load balancer it reaches (its ARN; exactly one).
        targets: strs [replace required];
    }
}

impl VpcLink {
    /// A link to this network load balancer (its ARN or an output).
    pub fn new(load_balancer_arn: impl Into<Arg<String>>) -> Self {
        Self::empty().push(V::targets, load_balancer_arn.into().into_input())
    }
}

type V = VpcLinkValues;

/// The kind behind [`VpcLink`].
pub(crate) struct VpcLinks;

/// A link as listed, with the region it is in (its ARN names it).
pub(crate) struct Item {
    link: Sdk,
    region: String,
}

fn arn(region: &str, id: &str) -> String {
    format!("arn:aws:apigateway:{region}::/vpclinks/{id}")
}

#[async_trait]
impl Kind for VpcLinks {
    type Builder = VpcLink;
    type Item = Item;
    type Tags = RestTags;

    const DERIVED: &'static [&'static str] = &[V::name];
    const WAIT_FOR_DELETE: bool = true;

    fn id(item: &Item) -> Option<&str> {
        item.link.id()
    }

    fn tag_target(item: &Item) -> Option<String> {
        item.link.id().map(|id| arn(&item.region, id))
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(tags_of(item.link.tags()))
    }

    fn life(item: &Item) -> Life {
        match item.link.status() {
            Some(VpcLinkStatus::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(item: &Item) -> Result<bool, ProviderError> {
        match item.link.status() {
            Some(VpcLinkStatus::Available) | None => Ok(true),
            Some(VpcLinkStatus::Failed) => Err(strata_aws::failed("CreateVpcLink", "VPC link", item.link.id(), item.link.status_message())),
            _ => Ok(false),
        }
    }

    fn observe(item: &Item) -> Seen<VpcLink> {
        let l = &item.link;
        Seen {
            values: V {
                name: l.name().map(str::to_string),
                description: Some(l.description().unwrap_or_default().to_string()),
                targets: Some(l.target_arns().to_vec()),
                ..V::default()
            },
            outputs: VpcLinkOutputs { arn: l.id().map(|id| arn(&item.region, id)) },
            refs: l.target_arns().to_vec(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // GetVpcLinks answers every link with its tags.
        let c = client(aws, &scope.region);
        let links: Vec<Sdk> = all_items!(c.get_vpc_links(), "GetVpcLinks");
        Ok(links.into_iter().map(|link| Item { link, region: scope.region.clone() }).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = strata_aws::found(client(aws, region).get_vpc_link().vpc_link_id(id).send().await.map_err(err("GetVpcLink")))?;
        Ok(out.map(|o| {
            let link = Sdk::builder()
                .set_id(o.id().map(str::to_string))
                .set_name(o.name().map(str::to_string))
                .set_description(o.description().map(str::to_string))
                .set_target_arns(Some(o.target_arns().to_vec()))
                .set_status(o.status().cloned())
                .set_status_message(o.status_message().map(str::to_string))
                .set_tags(o.tags().cloned())
                .build();
            Item { link, region: region.to_string() }
        }))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, VpcLink>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let salt = format!("{:?}", v.targets);
        let rules = strata_aws::naming::IdRules { max_len: 128, min_len: 1, lowercase: false };
        let name = v.name.clone().unwrap_or_else(|| strata_aws::naming::derived_id(rules, &cx.stack, &cx.name, &salt));
        let out = client(aws, &cx.region)
            .create_vpc_link()
            .name(name)
            .description(v.description.clone().unwrap_or_default())
            .set_target_arns(v.targets.clone())
            .set_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateVpcLink"))?;
        let id = out.id().ok_or_else(|| strata_aws::lacks("CreateVpcLink", "id", &cx.name))?;
        Ok(Created::Id(id.to_string()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, VpcLink>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let mut ops = Vec::new();
        if let (Some(_), Some(name)) = (diff.changed(V::name), &v.name) {
            ops.push(PatchOperation::builder().op(PatchOp::Replace).path("/name").value(name).build());
        }
        if diff.changed(V::description).is_some() {
            ops.push(PatchOperation::builder().op(PatchOp::Replace).path("/description").value(v.description.clone().unwrap_or_default()).build());
        }
        if ops.is_empty() {
            return Ok(());
        }
        let call = client(aws, &cx.region).update_vpc_link().vpc_link_id(&actual.id).set_patch_operations(Some(ops));
        call.send().await.map(|_| ()).map_err(err("UpdateVpcLink"))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        client(aws, &cx.region).delete_vpc_link().vpc_link_id(&actual.id).send().await.map(|_| ()).map_err(err("DeleteVpcLink"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let Some(Input::List(targets)) = decl.inputs.get(V::targets) else { return };
        if targets.len() != 1 {
            out.push(Diagnostic::field(r, V::targets, format!("a REST API's VPC link targets exactly one network load balancer, not {}", targets.len())));
        }
        for t in targets {
            if let Input::Known(Value::Str(arn)) = t {
                if !arn.contains(":elasticloadbalancing:") || !arn.contains(":loadbalancer/net/") {
                    out.push(Diagnostic::field(r, V::targets, format!("{arn:?} is not a network load balancer's ARN (a REST API's VPC link reaches only an NLB)")));
                }
            }
        }
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(180),
            _ => Duration::from_secs(30),
        }
    }
}
