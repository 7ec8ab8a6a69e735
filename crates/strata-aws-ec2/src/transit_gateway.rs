//! Transit Gateway: `aws:ec2:TransitGateway`, `aws:ec2:TransitGatewayVpcAttachment`
//! and `aws:ec2:TransitGatewayRouteTable` (its associations, propagations
//! and static routes as fields).
//!
//! A gateway is made with its default route table association and
//! propagation off (unless asked), so that routing is explicit: each route
//! table says which attachments it serves (associations), whose routes it
//! learns (propagations) and its static routes (a CIDR to an attachment, or
//! a blackhole). Associations, propagations and routes carry no tags: they
//! are read from their tagged route table (three reads a table a plan) and
//! changed in place, new ones first and old ones last.
//!
//! Discovery never trusts a `tag:` filter here (moto ignores it on
//! attachments and route tables and answers everything): the filter is
//! sent, as AWS honours it, and the kernel keeps only items whose own tags
//! name the stack.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AutoAcceptSharedAttachmentsValue, DefaultRouteTableAssociationValue, DefaultRouteTablePropagationValue, DnsSupportValue, Filter,
    ModifyTransitGatewayOptions, ModifyTransitGatewayVpcAttachmentRequestOptions, ResourceType, TransitGateway as Tgw, TransitGatewayRequestOptions,
    TransitGatewayRouteTable as Rtb, TransitGatewayRouteTableState, TransitGatewayState, TransitGatewayVpcAttachment as Attachment,
    TransitGatewayAttachmentState, ApplianceModeSupportValue, CreateTransitGatewayVpcAttachmentRequestOptions, VpnEcmpSupportValue,
};
use strata_aws::error::{all_pages, err, from_sdk};
use strata_aws::kernel::{Created, Kind, Life, Seen, Values, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Props, ResourceDecl, Stack, Tags};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use super::common::{sort_list, stack_filter, tags_of_list, tags_spec, Ec2Tags};

/// `enable` / `disable`, as the Transit Gateway API spells a switch.
fn switch(on: bool) -> &'static str {
    if on {
        "enable"
    } else {
        "disable"
    }
}

fn sorted(mut l: Vec<String>) -> Vec<String> {
    l.sort();
    l.dedup();
    l
}

fn sort_lists(props: &mut Props, fields: &[&str]) {
    for f in fields {
        sort_list(props, f);
    }
}

/// Why `asn` is not a private ASN an AWS-side gateway can take, if it is not.
pub(crate) fn private_asn_problem(asn: i64) -> Option<String> {
    let ok = (64512..=65534).contains(&asn) || (4_200_000_000..=4_294_967_294).contains(&asn);
    (!ok).then(|| format!("{asn} is not a private ASN (64512-65534 or 4200000000-4294967294)"))
}

// ---------------------------------------------------------------- gateway

strata_aws::kind_fields! {
    /// A transit gateway.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::TransitGateway;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let tgw = stack.add("hub", TransitGateway::new().amazon_side_asn(64600).description("ReClothes hub"));
    /// let _ = (tgw.id(), tgw.arn());
    /// ```
    pub struct TransitGateway: "aws:ec2:TransitGateway";
    values TransitGatewayValues;
    handle TransitGatewayHandle / TransitGatewayOutputs { arn };
    fields {
        /// What the gateway is for.
        description: str [update] = "Managed by strata";
        /// The BGP ASN of the AWS side (64512-65534 or 4200000000-4294967294).
        amazon_side_asn: int [update] = 64512;
        /// Associate new attachments with the default route table (default: off, routing is explicit).
        default_association: bool [update] = false;
        /// Propagate new attachments' routes to the default route table (default: off).
        default_propagation: bool [update] = false;
        /// Resolve public DNS names to private addresses across attached VPCs.
        dns_support: bool [update] = true;
        /// Equal-cost multipath over VPN connections.
        vpn_ecmp_support: bool [update] = true;
        /// Accept attachments from other accounts without asking.
        auto_accept_shared_attachments: bool [update] = false;
    }
}

impl TransitGateway {
    /// A gateway with explicit routing (no default route table use).
    pub fn new() -> Self {
        Self::empty()
    }
}

impl Default for TransitGateway {
    fn default() -> Self {
        Self::new()
    }
}

type G = TransitGatewayValues;

/// The kind behind [`TransitGateway`].
pub(crate) struct TransitGateways;

async fn describe_gateway(aws: &Aws, region: &str, id: &str) -> Result<Option<Tgw>, ProviderError> {
    let req = crate::client(aws, region).describe_transit_gateways().transit_gateway_ids(id);
    match req.send().await {
        Ok(out) => Ok(out.transit_gateways().first().cloned()),
        Err(e) => strata_aws::not_found_none(from_sdk("DescribeTransitGateways", e)),
    }
}

#[async_trait]
impl Kind for TransitGateways {
    type Builder = TransitGateway;
    type Item = Tgw;
    type Tags = Ec2Tags;

    const WAIT_FOR_DELETE: bool = true;

    fn id(g: &Tgw) -> Option<&str> {
        g.transit_gateway_id()
    }

    fn carried_tags(g: &Tgw) -> Option<Tags> {
        Some(tags_of_list(g.tags()))
    }

    fn life(g: &Tgw) -> Life {
        match g.state() {
            Some(TransitGatewayState::Deleted) => Life::Gone,
            Some(TransitGatewayState::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(g: &Tgw) -> Result<bool, ProviderError> {
        Ok(g.state() == Some(&TransitGatewayState::Available))
    }

    fn observe(g: &Tgw) -> Seen<TransitGateway> {
        let o = g.options();
        let on = |v: Option<&str>| Some(v == Some("enable"));
        Seen {
            values: G {
                description: Some(g.description().unwrap_or_default().to_string()),
                amazon_side_asn: o.and_then(|o| o.amazon_side_asn()),
                default_association: on(o.and_then(|o| o.default_route_table_association()).map(|v| v.as_str())),
                default_propagation: on(o.and_then(|o| o.default_route_table_propagation()).map(|v| v.as_str())),
                dns_support: on(o.and_then(|o| o.dns_support()).map(|v| v.as_str())),
                vpn_ecmp_support: on(o.and_then(|o| o.vpn_ecmp_support()).map(|v| v.as_str())),
                auto_accept_shared_attachments: on(o.and_then(|o| o.auto_accept_shared_attachments()).map(|v| v.as_str())),
                ..G::default()
            },
            outputs: TransitGatewayOutputs { arn: g.transit_gateway_arn().map(str::to_string) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Tgw>, ProviderError> {
        let pages = crate::client(aws, &scope.region).describe_transit_gateways().filters(stack_filter(scope)).into_paginator().items().send();
        all_pages(pages, "DescribeTransitGateways").await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Tgw>, ProviderError> {
        describe_gateway(aws, region, id).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, TransitGateway>) -> Result<Created<Tgw>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let options = TransitGatewayRequestOptions::builder()
            .set_amazon_side_asn(v.amazon_side_asn)
            .default_route_table_association(DefaultRouteTableAssociationValue::from(switch(v.default_association == Some(true))))
            .default_route_table_propagation(DefaultRouteTablePropagationValue::from(switch(v.default_propagation == Some(true))))
            .dns_support(DnsSupportValue::from(switch(v.dns_support != Some(false))))
            .vpn_ecmp_support(VpnEcmpSupportValue::from(switch(v.vpn_ecmp_support != Some(false))))
            .auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::from(switch(v.auto_accept_shared_attachments == Some(true))))
            .build();
        let out = crate::client(aws, &cx.region)
            .create_transit_gateway()
            .set_description(v.description.clone())
            .options(options)
            .tag_specifications(tags_spec(ResourceType::TransitGateway, &v.tags))
            .send()
            .await
            .map_err(err("CreateTransitGateway"))?;
        let g = out.transit_gateway().cloned().ok_or_else(|| strata_aws::lacks("CreateTransitGateway", "TransitGateway", &cx.name))?;
        Ok(Created::Item(g))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, TransitGateway>, diff: &Diff) -> Result<(), ProviderError> {
        let v = &want.values;
        let mut o = ModifyTransitGatewayOptions::builder();
        if diff.changed(G::amazon_side_asn).is_some() {
            o = o.set_amazon_side_asn(v.amazon_side_asn);
        }
        if diff.changed(G::default_association).is_some() {
            o = o.default_route_table_association(DefaultRouteTableAssociationValue::from(switch(v.default_association == Some(true))));
        }
        if diff.changed(G::default_propagation).is_some() {
            o = o.default_route_table_propagation(DefaultRouteTablePropagationValue::from(switch(v.default_propagation == Some(true))));
        }
        if diff.changed(G::dns_support).is_some() {
            o = o.dns_support(DnsSupportValue::from(switch(v.dns_support != Some(false))));
        }
        if diff.changed(G::vpn_ecmp_support).is_some() {
            o = o.vpn_ecmp_support(VpnEcmpSupportValue::from(switch(v.vpn_ecmp_support != Some(false))));
        }
        if diff.changed(G::auto_accept_shared_attachments).is_some() {
            o = o.auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::from(switch(v.auto_accept_shared_attachments == Some(true))));
        }
        let mut req = crate::client(aws, &want.cx.region).modify_transit_gateway().transit_gateway_id(&actual.id).options(o.build());
        if diff.changed(G::description).is_some() {
            req = req.set_description(v.description.clone());
        }
        req.send().await.map(|_| ()).map_err(err("ModifyTransitGateway"))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let req = crate::client(aws, &cx.region).delete_transit_gateway().transit_gateway_id(&actual.id);
        req.send().await.map(|_| ()).map_err(err("DeleteTransitGateway"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(p) = decl.known(G::amazon_side_asn).and_then(|v| v.as_int()).and_then(private_asn_problem) {
            out.push(Diagnostic::field(&decl.name, G::amazon_side_asn, p));
        }
    }

    fn estimate(op: Op) -> Duration {
        Duration::from_secs(match op {
            Op::Create => 120,
            Op::Delete => 90,
            Op::Update => 10,
        })
    }
}

// ------------------------------------------------------------- attachment

strata_aws::kind_fields! {
    /// A VPC's attachment to a transit gateway, through one subnet per AZ.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::{Subnet, TransitGateway, TransitGatewayVpcAttachment, Vpc};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let tgw = stack.add("hub", TransitGateway::new());
    /// let vpc = stack.add("orders-vpc", Vpc::new("10.10.0.0/16"));
    /// let a = stack.add("orders-tgw-a", Subnet::new(vpc.id(), "10.10.0.0/28", "eu-central-1a"));
    /// let b = stack.add("orders-tgw-b", Subnet::new(vpc.id(), "10.10.0.16/28", "eu-central-1b"));
    /// let att = stack.add("orders-attachment", TransitGatewayVpcAttachment::new(tgw.id(), vpc.id(), [a.id(), b.id()]));
    /// let _ = att.id();
    /// ```
    pub struct TransitGatewayVpcAttachment: "aws:ec2:TransitGatewayVpcAttachment";
    values TransitGatewayVpcAttachmentValues;
    handle TransitGatewayVpcAttachmentHandle / TransitGatewayVpcAttachmentOutputs {};
    fields {
        /// The transit gateway.
        transit_gateway_id: str [replace required];
        /// The VPC.
        vpc_id: str [replace required];
        /// One subnet per AZ the gateway reaches (changed in place).
        subnet_ids: strs [update required];
        /// Resolve DNS across the attachment.
        dns_support: bool [update] = true;
        /// Keep a flow on one AZ's interface both ways (for stateful appliances).
        appliance_mode: bool [update] = false;
    }
}

impl TransitGatewayVpcAttachment {
    /// Attach `vpc_id` to `transit_gateway_id` through `subnets`.
    pub fn new<S: Into<Arg<String>>>(transit_gateway_id: impl Into<Arg<String>>, vpc_id: impl Into<Arg<String>>, subnets: impl IntoIterator<Item = S>) -> Self {
        let a = Self::empty().transit_gateway_id(transit_gateway_id).vpc_id(vpc_id);
        subnets.into_iter().fold(a, |a, s| a.push(A::subnet_ids, s.into().into_input()))
    }
}

type A = TransitGatewayVpcAttachmentValues;

/// The kind behind [`TransitGatewayVpcAttachment`].
pub(crate) struct TransitGatewayVpcAttachments;

#[async_trait]
impl Kind for TransitGatewayVpcAttachments {
    type Builder = TransitGatewayVpcAttachment;
    type Item = Attachment;
    type Tags = Ec2Tags;

    const WAIT_FOR_DELETE: bool = true;

    fn id(a: &Attachment) -> Option<&str> {
        a.transit_gateway_attachment_id()
    }

    fn carried_tags(a: &Attachment) -> Option<Tags> {
        Some(tags_of_list(a.tags()))
    }

    fn life(a: &Attachment) -> Life {
        match a.state() {
            Some(TransitGatewayAttachmentState::Deleted | TransitGatewayAttachmentState::Rejected) => Life::Gone,
            Some(TransitGatewayAttachmentState::Deleting | TransitGatewayAttachmentState::Failed | TransitGatewayAttachmentState::Failing) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(a: &Attachment) -> Result<bool, ProviderError> {
        match a.state() {
            Some(TransitGatewayAttachmentState::Available) => Ok(true),
            Some(TransitGatewayAttachmentState::Failed | TransitGatewayAttachmentState::Rejected) => Err(ProviderError::new(
                ErrorClass::Fatal,
                "CreateTransitGatewayVpcAttachment",
                format!("{} failed", a.transit_gateway_attachment_id().unwrap_or("the attachment")),
            )),
            _ => Ok(false),
        }
    }

    fn observe(a: &Attachment) -> Seen<TransitGatewayVpcAttachment> {
        let o = a.options();
        let on = |v: Option<&str>| Some(v == Some("enable"));
        Seen {
            values: A {
                transit_gateway_id: a.transit_gateway_id().map(str::to_string),
                vpc_id: a.vpc_id().map(str::to_string),
                subnet_ids: Some(sorted(a.subnet_ids().to_vec())),
                dns_support: on(o.and_then(|o| o.dns_support()).map(|v| v.as_str())).or(Some(true)),
                appliance_mode: on(o.and_then(|o| o.appliance_mode_support()).map(|v| v.as_str())),
                ..A::default()
            },
            outputs: TransitGatewayVpcAttachmentOutputs {},
            refs: a.transit_gateway_id().into_iter().chain(a.vpc_id()).map(str::to_string).collect(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Attachment>, ProviderError> {
        let pages = crate::client(aws, &scope.region).describe_transit_gateway_vpc_attachments().filters(stack_filter(scope)).into_paginator().items().send();
        all_pages(pages, "DescribeTransitGatewayVpcAttachments").await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Attachment>, ProviderError> {
        let req = crate::client(aws, region).describe_transit_gateway_vpc_attachments().transit_gateway_attachment_ids(id);
        match req.send().await {
            Ok(out) => Ok(out.transit_gateway_vpc_attachments().first().cloned()),
            Err(e) => strata_aws::not_found_none(from_sdk("DescribeTransitGatewayVpcAttachments", e)),
        }
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, TransitGatewayVpcAttachment>) -> Result<Created<Attachment>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let options = CreateTransitGatewayVpcAttachmentRequestOptions::builder()
            .dns_support(DnsSupportValue::from(switch(v.dns_support != Some(false))))
            .appliance_mode_support(ApplianceModeSupportValue::from(switch(v.appliance_mode == Some(true))))
            .build();
        let out = crate::client(aws, &cx.region)
            .create_transit_gateway_vpc_attachment()
            .set_transit_gateway_id(v.transit_gateway_id.clone())
            .set_vpc_id(v.vpc_id.clone())
            .set_subnet_ids(v.subnet_ids.clone())
            .options(options)
            .tag_specifications(tags_spec(ResourceType::TransitGatewayAttachment, &v.tags))
            .send()
            .await
            .map_err(err("CreateTransitGatewayVpcAttachment"))?;
        let a = out.transit_gateway_vpc_attachment().ok_or_else(|| strata_aws::lacks("CreateTransitGatewayVpcAttachment", "TransitGatewayVpcAttachment", &cx.name))?;
        let id = a.transit_gateway_attachment_id().ok_or_else(|| strata_aws::lacks("CreateTransitGatewayVpcAttachment", "TransitGatewayAttachmentId", &cx.name))?;
        Ok(Created::Id(id.to_string()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, TransitGatewayVpcAttachment>, diff: &Diff) -> Result<(), ProviderError> {
        let v = &want.values;
        let have = A::from_props(&actual.props);
        let (old, new) = (have.subnet_ids.unwrap_or_default(), v.subnet_ids.clone().unwrap_or_default());
        let add: Vec<String> = new.iter().filter(|s| !old.contains(s)).cloned().collect();
        let remove: Vec<String> = old.iter().filter(|s| !new.contains(s)).cloned().collect();
        let mut o = ModifyTransitGatewayVpcAttachmentRequestOptions::builder();
        if diff.changed(A::dns_support).is_some() {
            o = o.dns_support(DnsSupportValue::from(switch(v.dns_support != Some(false))));
        }
        if diff.changed(A::appliance_mode).is_some() {
            o = o.appliance_mode_support(ApplianceModeSupportValue::from(switch(v.appliance_mode == Some(true))));
        }
        crate::client(aws, &want.cx.region)
            .modify_transit_gateway_vpc_attachment()
            .transit_gateway_attachment_id(&actual.id)
            .set_add_subnet_ids(Some(add).filter(|l| !l.is_empty()))
            .set_remove_subnet_ids(Some(remove).filter(|l| !l.is_empty()))
            .options(o.build())
            .send()
            .await
            .map(|_| ())
            .map_err(err("ModifyTransitGatewayVpcAttachment"))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let req = crate::client(aws, &cx.region).delete_transit_gateway_vpc_attachment().transit_gateway_attachment_id(&actual.id);
        req.send().await.map(|_| ()).map_err(err("DeleteTransitGatewayVpcAttachment"))
    }

    fn normalize(props: &mut Props) {
        sort_lists(props, &[A::subnet_ids]);
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let subnets = match decl.inputs.get(A::subnet_ids) {
            Some(strata_core::Input::List(l)) => l.clone(),
            _ => Vec::new(),
        };
        if subnets.is_empty() {
            out.push(Diagnostic::field(&decl.name, A::subnet_ids, "an attachment needs a subnet in each AZ it serves"));
        } else if let Some(azs) = strata_aws::props::subnet_azs(stack, &subnets) {
            if azs.len() != subnets.len() {
                out.push(Diagnostic::field(&decl.name, A::subnet_ids, "two of the subnets are in one AZ: an attachment takes one subnet per AZ"));
            }
        }
    }

    fn estimate(op: Op) -> Duration {
        Duration::from_secs(match op {
            Op::Create => 60,
            Op::Delete => 60,
            Op::Update => 30,
        })
    }
}

// ------------------------------------------------------------ route table

/// The route target of a blackhole route (traffic to it is dropped).
pub const BLACKHOLE: &str = "blackhole";

strata_aws::kind_fields! {
    /// A transit gateway route table, with the attachments it serves
    /// (associations), the attachments whose routes it learns
    /// (propagations) and its static routes.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::{TransitGateway, TransitGatewayRouteTable};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let tgw = stack.add("hub", TransitGateway::new());
    /// stack.add(
    ///     "spokes",
    ///     TransitGatewayRouteTable::new(tgw.id())
    ///         .associate("tgw-attach-0a")
    ///         .propagate("tgw-attach-0b")
    ///         .route("0.0.0.0/0", "tgw-attach-0b")
    ///         .blackhole("10.99.0.0/16"),
    /// );
    /// ```
    pub struct TransitGatewayRouteTable: "aws:ec2:TransitGatewayRouteTable";
    values TransitGatewayRouteTableValues;
    handle TransitGatewayRouteTableHandle / TransitGatewayRouteTableOutputs {};
    fields {
        /// The transit gateway.
        transit_gateway_id: str [replace required];
        /// The attachments whose traffic this table routes (an attachment has one table).
        associations: strs [update] = Vec::<String>::new();
        /// The attachments whose routes this table learns.
        propagations: strs [update] = Vec::<String>::new();
        /// Static routes: a CIDR to an attachment id, or to [`BLACKHOLE`].
        routes: map [update];
    }
}

impl TransitGatewayRouteTable {
    /// A route table of `transit_gateway_id`, serving nothing yet.
    pub fn new(transit_gateway_id: impl Into<Arg<String>>) -> Self {
        Self::empty().transit_gateway_id(transit_gateway_id)
    }

    /// Route the traffic of this attachment with this table.
    pub fn associate(self, attachment_id: impl Into<Arg<String>>) -> Self {
        self.push(R::associations, attachment_id.into().into_input())
    }

    /// Learn the routes of this attachment (its VPC's CIDRs).
    pub fn propagate(self, attachment_id: impl Into<Arg<String>>) -> Self {
        self.push(R::propagations, attachment_id.into().into_input())
    }

    /// A static route: `cidr` to this attachment.
    pub fn route(self, cidr: &str, attachment_id: impl Into<Arg<String>>) -> Self {
        self.put(R::routes, cidr, attachment_id.into().into_input())
    }

    /// A blackhole route: traffic to `cidr` is dropped.
    pub fn blackhole(self, cidr: &str) -> Self {
        self.put(R::routes, cidr, Arg::from(BLACKHOLE.to_string()).into_input())
    }
}

type R = TransitGatewayRouteTableValues;

/// The kind behind [`TransitGatewayRouteTable`].
pub(crate) struct TransitGatewayRouteTables;

/// A route table as read: its description and, once completed, its
/// associations, propagations and static routes.
#[derive(Clone)]
pub(crate) struct Table {
    table: Rtb,
    parts: Option<Parts>,
}

#[derive(Clone, Default)]
struct Parts {
    associations: Vec<String>,
    propagations: Vec<String>,
    routes: BTreeMap<String, String>,
}

async fn parts(aws: &Aws, region: &str, table: &str) -> Result<Parts, ProviderError> {
    let c = crate::client(aws, region);
    let assoc = all_pages(c.get_transit_gateway_route_table_associations().transit_gateway_route_table_id(table).into_paginator().items().send(), "GetTransitGatewayRouteTableAssociations").await?;
    let props = all_pages(c.get_transit_gateway_route_table_propagations().transit_gateway_route_table_id(table).into_paginator().items().send(), "GetTransitGatewayRouteTablePropagations").await?;
    let static_only = Filter::builder().name("type").values("static").build();
    let found = c.search_transit_gateway_routes().transit_gateway_route_table_id(table).filters(static_only).send().await.map_err(err("SearchTransitGatewayRoutes"))?;
    let live = |s: Option<&str>| !matches!(s, Some("disassociating" | "disassociated" | "disabling" | "disabled"));
    let routes = found
        .routes()
        .iter()
        .filter(|r| !matches!(r.state().map(|s| s.as_str()), Some("deleted" | "deleting")))
        .filter_map(|r| {
            let cidr = r.destination_cidr_block()?.to_string();
            let attachment = r.transit_gateway_attachments().first().and_then(|a| a.transit_gateway_attachment_id());
            let target = match (r.state().map(|s| s.as_str()), attachment) {
                (_, Some(a)) => a.to_string(),
                (Some("blackhole"), None) => BLACKHOLE.to_string(),
                // An active route whose target AWS did not name: shown as a change.
                _ => String::new(),
            };
            Some((cidr, target))
        })
        .collect();
    Ok(Parts {
        associations: sorted(assoc.iter().filter(|a| live(a.state().map(|s| s.as_str()))).filter_map(|a| a.transit_gateway_attachment_id().map(str::to_string)).collect()),
        propagations: sorted(props.iter().filter(|p| live(p.state().map(|s| s.as_str()))).filter_map(|p| p.transit_gateway_attachment_id().map(str::to_string)).collect()),
        routes,
    })
}

/// Bring one table's associations, propagations and routes to `want`:
/// new ones first, then changed routes, then what went.
async fn sync_parts(aws: &Aws, region: &str, table: &str, have: &Parts, want: &Parts) -> Result<(), ProviderError> {
    let c = crate::client(aws, region);
    for a in want.associations.iter().filter(|a| !have.associations.contains(a)) {
        c.associate_transit_gateway_route_table().transit_gateway_route_table_id(table).transit_gateway_attachment_id(a).send().await.map_err(err("AssociateTransitGatewayRouteTable"))?;
    }
    for p in want.propagations.iter().filter(|p| !have.propagations.contains(p)) {
        let req = c.enable_transit_gateway_route_table_propagation().transit_gateway_route_table_id(table).transit_gateway_attachment_id(p);
        req.send().await.map_err(err("EnableTransitGatewayRouteTablePropagation"))?;
    }
    for (cidr, target) in &want.routes {
        match have.routes.get(cidr) {
            Some(t) if t == target => {}
            Some(_) => {
                let req = c.replace_transit_gateway_route().transit_gateway_route_table_id(table).destination_cidr_block(cidr);
                let req = if target == BLACKHOLE { req.blackhole(true) } else { req.transit_gateway_attachment_id(target) };
                req.send().await.map_err(err("ReplaceTransitGatewayRoute"))?;
            }
            None => {
                let req = c.create_transit_gateway_route().transit_gateway_route_table_id(table).destination_cidr_block(cidr);
                let req = if target == BLACKHOLE { req.blackhole(true) } else { req.transit_gateway_attachment_id(target) };
                req.send().await.map_err(err("CreateTransitGatewayRoute"))?;
            }
        }
    }
    for cidr in have.routes.keys().filter(|c| !want.routes.contains_key(*c)) {
        c.delete_transit_gateway_route().transit_gateway_route_table_id(table).destination_cidr_block(cidr).send().await.map_err(err("DeleteTransitGatewayRoute"))?;
    }
    for p in have.propagations.iter().filter(|p| !want.propagations.contains(p)) {
        let req = c.disable_transit_gateway_route_table_propagation().transit_gateway_route_table_id(table).transit_gateway_attachment_id(p);
        gone_is_done(req.send().await.map(|_| ()).map_err(err("DisableTransitGatewayRouteTablePropagation")))?;
    }
    for a in have.associations.iter().filter(|a| !want.associations.contains(a)) {
        let req = c.disassociate_transit_gateway_route_table().transit_gateway_route_table_id(table).transit_gateway_attachment_id(a);
        gone_is_done(req.send().await.map(|_| ()).map_err(err("DisassociateTransitGatewayRouteTable")))?;
    }
    Ok(())
}

/// An attachment deleted meanwhile takes its association or propagation with it.
fn gone_is_done(r: Result<(), ProviderError>) -> Result<(), ProviderError> {
    strata_aws::gone_ok(r)
}

fn wanted(v: &R) -> Parts {
    Parts {
        associations: sorted(v.associations.clone().unwrap_or_default()),
        propagations: sorted(v.propagations.clone().unwrap_or_default()),
        routes: v.routes.clone().unwrap_or_default(),
    }
}

#[async_trait]
impl Kind for TransitGatewayRouteTables {
    type Builder = TransitGatewayRouteTable;
    type Item = Table;
    type Tags = Ec2Tags;

    fn id(t: &Table) -> Option<&str> {
        t.table.transit_gateway_route_table_id()
    }

    fn carried_tags(t: &Table) -> Option<Tags> {
        Some(tags_of_list(t.table.tags()))
    }

    fn life(t: &Table) -> Life {
        match t.table.state() {
            Some(TransitGatewayRouteTableState::Deleted) => Life::Gone,
            Some(TransitGatewayRouteTableState::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(t: &Table) -> Result<bool, ProviderError> {
        Ok(t.table.state() == Some(&TransitGatewayRouteTableState::Available))
    }

    fn observe(t: &Table) -> Seen<TransitGatewayRouteTable> {
        let p = t.parts.clone().unwrap_or_default();
        let mut refs: Vec<String> = t.table.transit_gateway_id().into_iter().map(str::to_string).collect();
        refs.extend(p.associations.iter().chain(&p.propagations).cloned());
        refs.extend(p.routes.values().filter(|r| *r != BLACKHOLE).cloned());
        Seen {
            values: R {
                transit_gateway_id: t.table.transit_gateway_id().map(str::to_string),
                associations: Some(p.associations),
                propagations: Some(p.propagations),
                routes: Some(p.routes),
                ..R::default()
            },
            outputs: TransitGatewayRouteTableOutputs {},
            refs,
        }
    }

    async fn complete(&self, aws: &Aws, region: &str, t: Table) -> Result<Table, ProviderError> {
        if t.parts.is_some() {
            return Ok(t);
        }
        let id = t.table.transit_gateway_route_table_id().unwrap_or_default().to_string();
        Ok(Table { parts: Some(parts(aws, region, &id).await?), ..t })
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Table>, ProviderError> {
        let pages = crate::client(aws, &scope.region).describe_transit_gateway_route_tables().filters(stack_filter(scope)).into_paginator().items().send();
        Ok(all_pages(pages, "DescribeTransitGatewayRouteTables").await?.into_iter().map(|table| Table { table, parts: None }).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Table>, ProviderError> {
        let req = crate::client(aws, region).describe_transit_gateway_route_tables().transit_gateway_route_table_ids(id);
        let table = match req.send().await {
            Ok(out) => out.transit_gateway_route_tables().first().cloned(),
            Err(e) => strata_aws::not_found_none(from_sdk("DescribeTransitGatewayRouteTables", e))?,
        };
        match table {
            // Read whole: the waiter after a create or an update reads it back by id.
            Some(table) if table.state() == Some(&TransitGatewayRouteTableState::Available) => Ok(Some(self.complete(aws, region, Table { table, parts: None }).await?)),
            Some(table) => Ok(Some(Table { table, parts: None })),
            None => Ok(None),
        }
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, TransitGatewayRouteTable>) -> Result<Created<Table>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let out = crate::client(aws, &cx.region)
            .create_transit_gateway_route_table()
            .set_transit_gateway_id(v.transit_gateway_id.clone())
            .tag_specifications(tags_spec(ResourceType::TransitGatewayRouteTable, &v.tags))
            .send()
            .await
            .map_err(err("CreateTransitGatewayRouteTable"))?;
        let table = out.transit_gateway_route_table().ok_or_else(|| strata_aws::lacks("CreateTransitGatewayRouteTable", "TransitGatewayRouteTable", &cx.name))?;
        let id = table.transit_gateway_route_table_id().ok_or_else(|| strata_aws::lacks("CreateTransitGatewayRouteTable", "TransitGatewayRouteTableId", &cx.name))?;
        let want = wanted(v);
        sync_parts(aws, &cx.region, id, &Parts::default(), &want).await?;
        Ok(Created::Id(id.to_string()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, TransitGatewayRouteTable>, _diff: &Diff) -> Result<(), ProviderError> {
        let have = wanted(&R::from_props(&actual.props));
        sync_parts(aws, &want.cx.region, &actual.id, &have, &wanted(&want.values)).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // A table with associations or propagations cannot be deleted: they
        // go first (its static routes go with it).
        let have = Parts { routes: BTreeMap::new(), ..wanted(&R::from_props(&actual.props)) };
        sync_parts(aws, &cx.region, &actual.id, &have, &Parts::default()).await?;
        let req = crate::client(aws, &cx.region).delete_transit_gateway_route_table().transit_gateway_route_table_id(&actual.id);
        req.send().await.map(|_| ()).map_err(err("DeleteTransitGatewayRouteTable"))
    }

    fn normalize(props: &mut Props) {
        sort_lists(props, &[R::associations, R::propagations]);
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(strata_core::Input::Map(m)) = decl.inputs.get(R::routes) {
            for cidr in m.keys() {
                let ok = super::common::parse_cidr(cidr).is_some();
                if !ok {
                    out.push(Diagnostic::field(&decl.name, R::routes, format!("{cidr:?} is not an IPv4 CIDR with its network address (like 10.20.0.0/16)")));
                }
            }
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_is_spelt_as_the_api_spells_it() {
        assert_eq!(switch(true), "enable");
        assert_eq!(switch(false), "disable");
        assert_eq!(sorted(vec!["b".into(), "a".into(), "b".into()]), ["a", "b"]);
    }

    #[test]
    fn wanted_parts_are_sorted() {
        let v = R { associations: Some(vec!["tgw-attach-b".into(), "tgw-attach-a".into()]), ..R::default() };
        assert_eq!(wanted(&v).associations, ["tgw-attach-a", "tgw-attach-b"]);
    }
}
