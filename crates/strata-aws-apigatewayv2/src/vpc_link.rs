//! `aws:apigatewayv2:VpcLink`: the network interfaces through which HTTP
//! APIs reach private load balancers, in the given subnets with the given
//! security groups.
//!
//! A link takes minutes to become `AVAILABLE` on AWS (the kernel waits);
//! its subnets and groups replace it, its name changes in place. The derived
//! name is salted with the subnets and groups, so a replacement created
//! before the old link's delete never collides.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_apigatewayv2::types::{VpcLink as Sdk, VpcLinkStatus};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, tags_of, ApiTags};

strata_aws::kind_fields! {
    /// A VPC link for HTTP APIs.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_apigatewayv2::VpcLink;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let link = stack.add("to-nlb", VpcLink::new(["subnet-0a", "subnet-0b"], ["sg-0a"]));
    /// let _ = link.arn();
    /// ```
    pub struct VpcLink: "aws:apigatewayv2:VpcLink";
    values VpcLinkValues;
    handle VpcLinkHandle / VpcLinkOutputs { arn };
    fields {
        /// The link's name (default: `<stack>-<logical name>`).
        name: str [update];
        /// The subnets of its network interfaces.
        subnets: strs [replace required];
        /// Their security groups.
        security_groups: strs [replace] = Vec::<String>::new();
    }
}

impl VpcLink {
    /// A link in these subnets with these security groups.
    pub fn new<S: Into<Arg<String>>, G: Into<Arg<String>>>(subnets: impl IntoIterator<Item = S>, groups: impl IntoIterator<Item = G>) -> Self {
        let l = subnets.into_iter().fold(Self::empty(), |l, s| l.push(V::subnets, s.into().into_input()));
        groups.into_iter().fold(l, |l, g| l.push(V::security_groups, g.into().into_input()))
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

async fn links(aws: &Aws, region: &str) -> Result<Vec<Sdk>, ProviderError> {
    let c = client(aws, region);
    let (mut out, mut token) = (Vec::new(), None);
    loop {
        let page = c.get_vpc_links().set_next_token(token).send().await.map_err(err("GetVpcLinks"))?;
        out.extend(page.items().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

#[async_trait]
impl Kind for VpcLinks {
    type Builder = VpcLink;
    type Item = Item;
    type Tags = ApiTags;

    const DERIVED: &'static [&'static str] = &[V::name];
    const WAIT_FOR_DELETE: bool = true;

    fn id(item: &Item) -> Option<&str> {
        item.link.vpc_link_id()
    }

    fn tag_target(item: &Item) -> Option<String> {
        item.link.vpc_link_id().map(|id| arn(&item.region, id))
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(tags_of(item.link.tags()))
    }

    fn life(item: &Item) -> Life {
        match item.link.vpc_link_status() {
            Some(VpcLinkStatus::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(item: &Item) -> Result<bool, ProviderError> {
        match item.link.vpc_link_status() {
            Some(VpcLinkStatus::Available) | None => Ok(true),
            Some(VpcLinkStatus::Failed) => Err(strata_aws::failed("CreateVpcLink", "VPC link", item.link.vpc_link_id(), item.link.vpc_link_status_message())),
            _ => Ok(false),
        }
    }

    fn observe(item: &Item) -> Seen<VpcLink> {
        let l = &item.link;
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v
        };
        Seen {
            values: V { name: l.name().map(str::to_string), subnets: Some(sorted(l.subnet_ids())), security_groups: Some(sorted(l.security_group_ids())), ..V::default() },
            outputs: VpcLinkOutputs { arn: l.vpc_link_id().map(|id| arn(&item.region, id)) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        Ok(links(aws, &scope.region).await?.into_iter().map(|link| Item { link, region: scope.region.clone() }).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = strata_aws::found(client(aws, region).get_vpc_link().vpc_link_id(id).send().await.map_err(err("GetVpcLink")))?;
        Ok(out.map(|o| {
            let link = Sdk::builder()
                .set_vpc_link_id(o.vpc_link_id().map(str::to_string))
                .set_name(o.name().map(str::to_string))
                .set_subnet_ids(Some(o.subnet_ids().to_vec()))
                .set_security_group_ids(Some(o.security_group_ids().to_vec()))
                .set_vpc_link_status(o.vpc_link_status().cloned())
                .set_vpc_link_status_message(o.vpc_link_status_message().map(str::to_string))
                .set_tags(o.tags().cloned())
                .build();
            Item { link, region: region.to_string() }
        }))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, VpcLink>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let salt = format!("{:?}/{:?}", v.subnets, v.security_groups);
        let name = v.name.clone().unwrap_or_else(|| strata_aws::naming::derived_id(strata_aws::naming::IdRules { max_len: 128, min_len: 1, lowercase: false }, &cx.stack, &cx.name, &salt));
        let out = client(aws, &cx.region)
            .create_vpc_link()
            .name(name)
            .set_subnet_ids(v.subnets.clone())
            .set_security_group_ids(v.security_groups.clone())
            .set_tags(Some(crate::sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateVpcLink"))?;
        let id = out.vpc_link_id().ok_or_else(|| strata_aws::lacks("CreateVpcLink", "vpcLinkId", &cx.name))?;
        Ok(Created::Id(id.to_string()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, VpcLink>, _diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        client(aws, &cx.region).update_vpc_link().vpc_link_id(&actual.id).set_name(v.name.clone()).send().await.map(|_| ()).map_err(err("UpdateVpcLink"))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        client(aws, &cx.region).delete_vpc_link().vpc_link_id(&actual.id).send().await.map(|_| ()).map_err(err("DeleteVpcLink"))
    }

    fn normalize(props: &mut Props) {
        for f in [V::subnets, V::security_groups] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                l.dedup();
            }
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if matches!(decl.inputs.get(V::subnets), Some(strata_core::Input::List(l)) if l.is_empty()) {
            out.push(Diagnostic::field(&decl.name, V::subnets, "a VPC link needs at least one subnet"));
        }
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(120),
            _ => Duration::from_secs(30),
        }
    }
}
