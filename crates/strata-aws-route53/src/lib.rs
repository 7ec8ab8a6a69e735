//! Route 53: `aws:route53:HostedZone` (public, or private with VPCs) and
//! `aws:route53:Record` (A, AAAA, CNAME, TXT, MX, NS; alias records to
//! CloudFront or a load balancer; ACM validation records).
//!
//! Zones carry tags (read ten zones per `ListTagsForResources`). Route 53 is
//! global, so a zone remembers the stack region that made it
//! (`strata:region`), and only that region's discovery reports it.
//!
//! Records cannot carry tags. Each record strata writes has an owner record
//! beside it, a TXT record named `_strata-<type>.<name>` whose value names
//! the stack and the logical name, written and deleted in the same atomic
//! change batch. Records are found through their zone: discovery lists the
//! zones and reads their record sets, and a record counts as the stack's only
//! when its owner record says so. A record someone else made is never
//! overwritten: creating over it fails with a message.

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_route53, "route53");

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, HostedZoneConfig, ResourceRecord, ResourceRecordSet, RrType,
    Tag, TagResourceType, Vpc, VpcRegion,
};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::props::{str_of, strs};
use strata_aws::Aws;

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(ZoneProvider { aws: aws.clone() }));
    r.register(Arc::new(RecordProvider { aws: aws.clone() }));
}

pub use strata_aws::REGION_TAG;
/// CloudFront's hosted zone id, for alias records to a distribution.
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";

/// A hosted zone.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::Vpc;
/// use strata_aws_route53::{HostedZone, Record};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
/// let internal = stack.add("internal", HostedZone::private("miamo.internal", vpc.id()));
/// let public = stack.add("public", HostedZone::public("miamo.com"));
/// stack.add("db-record", Record::cname(internal.zone_id(), "db.miamo.internal", "db.example.rds.amazonaws.com"));
/// let _ = public.name_servers();
/// ```
#[derive(Clone, Debug)]
pub struct HostedZone {
    name: String,
    comment: String,
    vpcs: Vec<Input>,
    tags: BTreeMap<String, Input>,
}

impl HostedZone {
    pub fn public(name: &str) -> Self {
        HostedZone { name: name.into(), comment: "Managed by strata".into(), vpcs: Vec::new(), tags: BTreeMap::new() }
    }
    /// A private zone, visible in `vpc` (in the zone's region).
    pub fn private(name: &str, vpc: impl Into<Arg<String>>) -> Self {
        HostedZone { vpcs: vec![vpc.into().into_input()], ..HostedZone::public(name) }
    }
    /// Also visible in this VPC.
    pub fn vpc(mut self, vpc: impl Into<Arg<String>>) -> Self {
        self.vpcs.push(vpc.into().into_input());
        self
    }
    pub fn comment(mut self, c: &str) -> Self {
        self.comment = c.into();
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`HostedZone`].
    HostedZoneHandle { zone_id: "id", zone_name: "name", name_servers: "name_servers" }
);

impl Resource for HostedZone {
    const KIND: &'static str = "aws:route53:HostedZone";
    type Handle = HostedZoneHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let private = !self.vpcs.is_empty();
        BTreeMap::from([
            ("name".to_string(), Input::from(normalize_name(&self.name))),
            ("comment".to_string(), Input::from(self.comment)),
            ("private".to_string(), Input::from(private)),
            ("vpc_ids".to_string(), Input::List(self.vpcs)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

/// A DNS record.
#[derive(Clone, Debug)]
pub struct Record {
    zone_id: Input,
    name: Input,
    rtype: String,
    ttl: i64,
    values: Vec<Input>,
    alias: Option<(Input, Input, bool)>,
}

impl Record {
    /// A record with values (`A`, `AAAA`, `CNAME`, `TXT`, `MX`, `NS`). The
    /// name is usually a literal; it may be another resource's output (an ACM
    /// validation record's name), known only when that resource exists.
    pub fn new<I: IntoIterator<Item = A>, A: Into<Arg<String>>>(
        zone_id: impl Into<Arg<String>>,
        name: impl Into<Arg<String>>,
        rtype: &str,
        values: I,
    ) -> Self {
        let name = match name.into().into_input() {
            Input::Known(Value::Str(n)) => Input::from(normalize_name(&n)),
            other => other,
        };
        Record {
            zone_id: zone_id.into().into_input(),
            name,
            rtype: rtype.to_ascii_uppercase(),
            ttl: 300,
            values: values.into_iter().map(|v| v.into().into_input()).collect(),
            alias: None,
        }
    }
    pub fn a<I: IntoIterator<Item = A>, A: Into<Arg<String>>>(zone_id: impl Into<Arg<String>>, name: impl Into<Arg<String>>, addresses: I) -> Self {
        Record::new(zone_id, name, "A", addresses)
    }
    pub fn cname(zone_id: impl Into<Arg<String>>, name: impl Into<Arg<String>>, target: impl Into<Arg<String>>) -> Self {
        Record::new(zone_id, name, "CNAME", [target])
    }
    pub fn txt(zone_id: impl Into<Arg<String>>, name: impl Into<Arg<String>>, text: impl Into<Arg<String>>) -> Self {
        Record::new(zone_id, name, "TXT", [text])
    }
    /// An alias `A` record to a CloudFront distribution or a load balancer
    /// (`target_zone_id`: [`CLOUDFRONT_ZONE_ID`], or the ALB's `zone_id`).
    pub fn alias(
        zone_id: impl Into<Arg<String>>,
        name: impl Into<Arg<String>>,
        dns_name: impl Into<Arg<String>>,
        target_zone_id: impl Into<Arg<String>>,
    ) -> Self {
        Record {
            alias: Some((dns_name.into().into_input(), target_zone_id.into().into_input(), false)),
            ..Record::new(zone_id, name, "A", Vec::<String>::new())
        }
    }
    /// For alias records: answer only while the target is healthy.
    pub fn evaluate_target_health(mut self, on: bool) -> Self {
        if let Some(a) = &mut self.alias {
            a.2 = on;
        }
        self
    }
    pub fn ttl(mut self, seconds: i64) -> Self {
        self.ttl = seconds;
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`Record`].
    RecordHandle { fqdn: "name" }
);

impl Resource for Record {
    const KIND: &'static str = "aws:route53:Record";
    type Handle = RecordHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let (alias_name, alias_zone, health, ttl) = match self.alias {
            Some((n, z, h)) => (n, z, Input::from(h), Input::Known(Value::Null)),
            None => (Input::Known(Value::Null), Input::Known(Value::Null), Input::Known(Value::Null), Input::from(self.ttl)),
        };
        BTreeMap::from([
            ("zone_id".to_string(), self.zone_id),
            ("name".to_string(), self.name),
            ("type".to_string(), Input::from(self.rtype)),
            ("ttl".to_string(), ttl),
            ("values".to_string(), Input::List(self.values)),
            ("alias_dns_name".to_string(), alias_name),
            ("alias_zone_id".to_string(), alias_zone),
            ("alias_evaluate_health".to_string(), health),
        ])
    }
}

/// Lowercase, no trailing dot, `\052` back to `*`.
fn normalize_name(n: &str) -> String {
    n.trim_end_matches('.').replace("\\052", "*").to_ascii_lowercase()
}

/// The ids of every hosted zone of the account (one paginated call).
/// Every hosted zone id, once per discovery pass: Route 53 is global, so the
/// zone and record kinds of every region of the stack share one list.
async fn shared_zone_ids(aws: &Aws, scope: &DiscoverScope) -> Result<Arc<Vec<String>>, ProviderError> {
    aws.shared_lists().get(scope, "route53:ListHostedZones".into(), || zone_ids(aws, &scope.region)).await
}

async fn zone_ids(aws: &Aws, region: &str) -> Result<Vec<String>, ProviderError> {
    let pages = crate::client(aws, region).list_hosted_zones().into_paginator().items().send();
    let zones = strata_aws::error::all_pages(pages, "ListHostedZones").await?;
    Ok(zones.iter().map(|z| short_zone_id(z.id())).collect())
}

fn short_zone_id(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_string()
}

fn owner_name(rtype: &str, name: &str) -> String {
    format!("_strata-{}.{name}", rtype.to_ascii_lowercase())
}

/// The zone created with this caller reference, if any (every page).
async fn zone_with_caller_reference(c: &aws_sdk_route53::Client, reference: &str) -> Result<Option<String>, ProviderError> {
    let mut marker: Option<String> = None;
    loop {
        let page = c.list_hosted_zones().set_marker(marker.clone()).send().await.map_err(err("ListHostedZones"))?;
        if let Some(z) = page.hosted_zones().iter().find(|z| z.caller_reference() == reference) {
            return Ok(Some(short_zone_id(z.id())));
        }
        match page.next_marker() {
            Some(m) if page.is_truncated() => marker = Some(m.to_string()),
            _ => return Ok(None),
        }
    }
}

fn owner_value(stack: &str, logical: &str) -> String {
    format!("\"strata-owner={stack}/{logical}\"")
}

fn parse_owner(v: &str) -> Option<(String, String)> {
    let (stack, logical) = v.trim_matches('"').strip_prefix("strata-owner=")?.split_once('/')?;
    Some((stack.to_string(), logical.to_string()))
}

pub(crate) struct ZoneProvider {
    aws: Aws,
}

impl ZoneProvider {
    async fn observe(&self, region: &str, id: &str, tags: Tags) -> Result<Option<Observed>, ProviderError> {
        let out = match crate::client(&self.aws, region).get_hosted_zone().id(id).send().await {
            Ok(o) => o,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("GetHostedZone", e)),
        };
        let Some(z) = out.hosted_zone() else { return Ok(None) };
        let private = z.config().is_some_and(|c| c.private_zone());
        let mut vpcs: Vec<Value> = out.vpcs().iter().filter_map(|v| v.vpc_id()).map(Value::str).collect();
        vpcs.sort();
        let ns: Vec<String> = out.delegation_set().map(|d| d.name_servers().to_vec()).unwrap_or_default();
        let id = short_zone_id(z.id());
        let mut o = Observed::new(HostedZone::KIND, &id, region);
        o.refs = vpcs.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        o.props = Props::from([
            ("name".into(), Value::str(normalize_name(z.name()))),
            ("comment".into(), Value::str(z.config().and_then(|c| c.comment()).unwrap_or_default())),
            ("private".into(), Value::Bool(private)),
            ("vpc_ids".into(), Value::List(vpcs)),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        o.outputs = Props::from([
            ("id".into(), Value::str(&id)),
            ("name".into(), Value::str(normalize_name(z.name()))),
            ("name_servers".into(), Value::Str(ns.join(","))),
        ]);
        Ok(Some(o))
    }

    async fn tags_of(&self, region: &str, ids: &[String]) -> Result<BTreeMap<String, Tags>, ProviderError> {
        let mut out = BTreeMap::new();
        for chunk in ids.chunks(10) {
            let r = crate::client(&self.aws, region)
                .list_tags_for_resources()
                .resource_type(TagResourceType::Hostedzone)
                .set_resource_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(err("ListTagsForResources"))?;
            for s in r.resource_tag_sets() {
                let t: Tags = s.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect();
                out.insert(short_zone_id(s.resource_id().unwrap_or_default()), t);
            }
        }
        Ok(out)
    }
}

fn zone_tags(desired: &Props, region: &str) -> Vec<Tag> {
    let mut t = strata_aws::desired_tags(desired);
    t.insert(REGION_TAG.into(), region.into());
    t.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

#[async_trait]
impl Provider for ZoneProvider {
    fn kind(&self) -> &'static str {
        HostedZone::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["name", "private"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(n) = decl.known("name").and_then(|v| v.as_str().map(str::to_string)) {
            if let Some(p) = dns_name_problem(&n) {
                out.push(Diagnostic::field(&decl.name, "name", p));
            }
        }
    }

    fn normalize(&self, props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut("vpc_ids") {
            l.sort();
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut have = actual.props.clone();
        // The region tag is strata's own bookkeeping.
        if let Some(Value::Map(t)) = have.get_mut("tags") {
            t.remove(REGION_TAG);
        }
        strata_engine::default_diff(desired, &have, self.replace_fields())
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(30)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let ids = shared_zone_ids(&self.aws, scope).await?;
        let tags = self
            .aws
            .shared_lists()
            .get(scope, "route53:ListTagsForResources:zones".into(), || self.tags_of(&scope.region, &ids))
            .await?;
        let mut out = Vec::new();
        for (id, t) in tags.iter() {
            let (id, t) = (id.clone(), t.clone());
            let home = t.get(REGION_TAG).map(String::as_str);
            if t.get(tags::STACK) == Some(&scope.stack) && home.is_none_or(|r| r == scope.region) {
                out.extend(self.observe(&scope.region, &id, t).await?);
            }
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let t = match self.tags_of(region, &[id.to_string()]).await {
            Ok(mut t) => t.remove(id).unwrap_or_default(),
            Err(e) => return strata_aws::not_found_none(e),
        };
        self.observe(region, id, t).await
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let vpcs = strs(desired, "vpc_ids");
        let private = !vpcs.is_empty();
        let vpc = |id: &str| Vpc::builder().vpc_id(id).vpc_region(VpcRegion::from(cx.region.as_str())).build();
        // A run that died between CreateHostedZone and its tagging left the
        // zone untagged; its caller reference (the same stack, resource and
        // desired state give the same one) finds it, and it is taken over.
        let id = match zone_with_caller_reference(&c, &cx.idempotency_token).await? {
            Some(id) => {
                tracing::warn!(resource = %cx.name, zone = %id, "taking over the untagged zone a failed run created");
                id
            }
            None => {
                let out = c
                    .create_hosted_zone()
                    .name(str_of(desired, "name").unwrap_or_default())
                    .caller_reference(&cx.idempotency_token)
                    .hosted_zone_config(
                        HostedZoneConfig::builder().comment(str_of(desired, "comment").unwrap_or_default()).private_zone(private).build(),
                    )
                    .set_vpc(vpcs.first().map(|v| vpc(v)))
                    .send()
                    .await
                    .map_err(err("CreateHostedZone"))?;
                short_zone_id(out.hosted_zone().map(|z| z.id()).ok_or_else(|| strata_aws::lacks("CreateHostedZone", "HostedZone.Id", &cx.name))?)
            }
        };
        c.change_tags_for_resource()
            .resource_type(TagResourceType::Hostedzone)
            .resource_id(&id)
            .set_add_tags(Some(zone_tags(desired, &cx.region)))
            .send()
            .await
            .map_err(err("ChangeTagsForResource"))?;
        for v in vpcs.iter().skip(1) {
            c.associate_vpc_with_hosted_zone().hosted_zone_id(&id).vpc(vpc(v)).send().await.map_err(err("AssociateVPCWithHostedZone"))?;
        }
        self.observe(&cx.region, &id, strata_aws::desired_tags(desired))
            .await?
            .ok_or_else(|| ProviderError::new(ErrorClass::NotFoundYet, "GetHostedZone", format!("zone {id} not visible yet")))
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            let want = strata_aws::desired_tags(desired);
            let remove: Vec<String> =
                actual.tags().keys().filter(|k| !want.contains_key(*k) && k.as_str() != REGION_TAG).cloned().collect();
            self.set_tags(cx, actual, &want, &remove).await?;
        }
        if diff.changed("comment").is_some() {
            c.update_hosted_zone_comment()
                .id(&actual.id)
                .comment(str_of(desired, "comment").unwrap_or_default())
                .send()
                .await
                .map_err(err("UpdateHostedZoneComment"))?;
        }
        if diff.changed("vpc_ids").is_some() {
            let want = strs(desired, "vpc_ids");
            let have = strs(&actual.props, "vpc_ids");
            let vpc = |id: &str| Vpc::builder().vpc_id(id).vpc_region(VpcRegion::from(cx.region.as_str())).build();
            for v in want.iter().filter(|v| !have.contains(v)) {
                c.associate_vpc_with_hosted_zone().hosted_zone_id(&actual.id).vpc(vpc(v)).send().await.map_err(err("AssociateVPCWithHostedZone"))?;
            }
            for v in have.iter().filter(|v| !want.contains(v)) {
                c.disassociate_vpc_from_hosted_zone()
                    .hosted_zone_id(&actual.id)
                    .vpc(vpc(v))
                    .send()
                    .await
                    .map_err(err("DisassociateVPCFromHostedZone"))?;
            }
        }
        Ok(self.observe(&cx.region, &actual.id, strata_aws::desired_tags(desired)).await?.unwrap_or_else(|| actual.clone()))
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_hosted_zone().id(&actual.id).send().await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteHostedZone")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let add: Vec<Tag> = add.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        crate::client(&self.aws, &cx.region)
            .change_tags_for_resource()
            .resource_type(TagResourceType::Hostedzone)
            .resource_id(&actual.id)
            .set_add_tags(Some(add).filter(|a| !a.is_empty()))
            .set_remove_tag_keys(Some(remove.to_vec()).filter(|r| !r.is_empty()))
            .send()
            .await
            .map_err(err("ChangeTagsForResource"))?;
        Ok(())
    }
}

fn dns_name_problem(n: &str) -> Option<String> {
    let labels: Vec<&str> = n.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty() && l.len() <= 63 && (*l == "*" || l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    };
    if n.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) {
        return Some(format!("{n:?} is not a DNS name such as shop.example.com"));
    }
    None
}

pub(crate) struct RecordProvider {
    aws: Aws,
}

const RECORD_TYPES: &[&str] = &["A", "AAAA", "CNAME", "TXT", "MX", "NS", "CAA", "SRV"];

fn quote_txt(v: &str) -> String {
    if v.starts_with('"') { v.to_string() } else { format!("\"{}\"", v.replace('"', "\\\"")) }
}

/// The record set a desired record stands for.
fn record_set(desired: &Props) -> Result<ResourceRecordSet, ProviderError> {
    let rtype = str_of(desired, "type").unwrap_or_default();
    let mut b = ResourceRecordSet::builder().name(str_of(desired, "name").unwrap_or_default()).r#type(RrType::from(rtype.as_str()));
    if let Some(target) = str_of(desired, "alias_dns_name") {
        let alias = AliasTarget::builder()
            .dns_name(target)
            .hosted_zone_id(str_of(desired, "alias_zone_id").unwrap_or_default())
            .evaluate_target_health(desired.get("alias_evaluate_health").and_then(Value::as_bool).unwrap_or(false))
            .build()
            .map_err(|e| ProviderError::new(ErrorClass::Invalid, "build", e.to_string()))?;
        b = b.alias_target(alias);
    } else {
        b = b.ttl(desired.get("ttl").and_then(Value::as_int).unwrap_or(300));
        for v in strs(desired, "values") {
            let v = if rtype == "TXT" { quote_txt(&v) } else { v };
            b = b.resource_records(ResourceRecord::builder().value(v).build().map_err(|e| ProviderError::new(ErrorClass::Invalid, "build", e.to_string()))?);
        }
    }
    b.build().map_err(|e| ProviderError::new(ErrorClass::Invalid, "build", e.to_string()))
}

fn owner_set(stack: &str, logical: &str, rtype: &str, name: &str) -> Result<ResourceRecordSet, ProviderError> {
    ResourceRecordSet::builder()
        .name(owner_name(rtype, name))
        .r#type(RrType::Txt)
        .ttl(300)
        .resource_records(ResourceRecord::builder().value(owner_value(stack, logical)).build().map_err(|e| ProviderError::new(ErrorClass::Invalid, "build", e.to_string()))?)
        .build()
        .map_err(|e| ProviderError::new(ErrorClass::Invalid, "build", e.to_string()))
}

fn record_props(zone: &str, s: &ResourceRecordSet) -> Props {
    let rtype = s.r#type().as_str().to_string();
    let mut values: Vec<Value> = s
        .resource_records()
        .iter()
        .map(|r| if rtype == "TXT" { r.value().trim_matches('"').replace("\\\"", "\"") } else { r.value().to_string() })
        .map(Value::Str)
        .collect();
    values.sort();
    let alias = s.alias_target();
    Props::from([
        ("zone_id".into(), Value::str(zone)),
        ("name".into(), Value::str(normalize_name(s.name()))),
        ("type".into(), Value::str(&rtype)),
        ("ttl".into(), s.ttl().map(Value::Int).unwrap_or(Value::Null)),
        ("values".into(), Value::List(values)),
        ("alias_dns_name".into(), alias.map(|a| Value::str(normalize_name(a.dns_name()))).unwrap_or(Value::Null)),
        ("alias_zone_id".into(), alias.map(|a| Value::str(a.hosted_zone_id())).unwrap_or(Value::Null)),
        ("alias_evaluate_health".into(), alias.map(|a| Value::Bool(a.evaluate_target_health())).unwrap_or(Value::Null)),
    ])
}

impl RecordProvider {
    async fn record_sets(&self, region: &str, zone: &str) -> Result<Vec<ResourceRecordSet>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let mut out = Vec::new();
        let (mut name, mut rtype): (Option<String>, Option<RrType>) = (None, None);
        loop {
            let page = c
                .list_resource_record_sets()
                .hosted_zone_id(zone)
                .set_start_record_name(name.take())
                .set_start_record_type(rtype.take())
                .send()
                .await
                .map_err(err("ListResourceRecordSets"))?;
            out.extend(page.resource_record_sets().iter().cloned());
            if !page.is_truncated() {
                return Ok(out);
            }
            name = page.next_record_name().map(str::to_string);
            rtype = page.next_record_type().cloned();
        }
    }

    /// The stack's records in one zone, matched with their owner records.
    fn owned(region: &str, zone: &str, sets: &[ResourceRecordSet], stack: &str) -> Vec<Observed> {
        let mut out = Vec::new();
        for owner in sets.iter().filter(|s| s.r#type() == &RrType::Txt && normalize_name(s.name()).starts_with("_strata-")) {
            let Some((s, logical)) = owner.resource_records().first().and_then(|r| parse_owner(r.value())) else { continue };
            if s != stack {
                continue;
            }
            let owner_name = normalize_name(owner.name());
            let Some((prefix, name)) = owner_name.split_once('.') else { continue };
            let rtype = prefix.trim_start_matches("_strata-").to_ascii_uppercase();
            let Some(rec) = sets.iter().find(|r| normalize_name(r.name()) == name && r.r#type().as_str() == rtype) else { continue };
            let mut o = Observed::new(Record::KIND, format!("{zone}/{name}/{rtype}"), region);
            o.props = record_props(zone, rec);
            // Records carry no tags: the owner record stands in for the state tags.
            o.props.insert("tags".into(), Value::from_tags(&Tags::from([(tags::STACK.to_string(), s), (tags::RESOURCE.to_string(), logical)])));
            o.outputs = Props::from([("id".into(), Value::str(&o.id)), ("name".into(), Value::str(name))]);
            o.refs = vec![zone.to_string()];
            out.push(o);
        }
        out
    }

    async fn change(&self, cx: &OpContext, zone: &str, changes: Vec<Change>, op: &'static str) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let batch = ChangeBatch::builder().set_changes(Some(changes)).build().map_err(|e| ProviderError::new(ErrorClass::Invalid, "build", e.to_string()))?;
        let out = c.change_resource_record_sets().hosted_zone_id(zone).change_batch(batch).send().await.map_err(err(op))?;
        let Some(id) = out.change_info().map(|i| i.id().to_string()) else { return Ok(()) };
        // Wait until the change is live on Route 53's name servers.
        wait_until(&format!("DNS change {id} to be in sync"), cx.timeout, cx.poll, || async {
            let s = c.get_change().id(&id).send().await.map_err(err("GetChange"))?;
            Ok((s.change_info().map(|i| i.status()) == Some(&ChangeStatus::Insync)).then_some(()))
        })
        .await
    }
}

fn change(action: ChangeAction, set: ResourceRecordSet) -> Result<Change, ProviderError> {
    Change::builder().action(action).resource_record_set(set).build().map_err(|e| ProviderError::new(ErrorClass::Invalid, "build", e.to_string()))
}

#[async_trait]
impl Provider for RecordProvider {
    fn kind(&self) -> &'static str {
        Record::KIND
    }

    fn taggable(&self) -> bool {
        false
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["zone_id", "name", "type"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut problem = |f: &str, m: String| out.push(Diagnostic::field(&decl.name, f, m));
        if let Some(n) = decl.known("name").and_then(|v| v.as_str().map(str::to_string)) {
            if let Some(p) = dns_name_problem(&n) {
                problem("name", p);
            }
        }
        let rtype = decl.known("type").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        if !RECORD_TYPES.contains(&rtype.as_str()) {
            problem("type", format!("{rtype:?} is not one of {}", RECORD_TYPES.join(", ")));
        }
        let alias = !matches!(decl.inputs.get("alias_dns_name"), None | Some(Input::Known(Value::Null)));
        let values = match decl.inputs.get("values") {
            Some(Input::List(l)) => l.len(),
            _ => 0,
        };
        if !alias && values == 0 {
            problem("values", "a record needs at least one value (or an alias target)".into());
        }
        if rtype == "CNAME" && values > 1 {
            problem("values", "a CNAME record has exactly one value".into());
        }
        if let Some(t) = decl.known("ttl").and_then(|v| v.as_int()) {
            if !(0..=2_147_483_647).contains(&t) {
                problem("ttl", format!("{t} is outside 0-2147483647"));
            }
        }
        if rtype == "A" {
            for v in decl.known("values").and_then(|v| v.as_list().map(<[Value]>::to_vec)).unwrap_or_default() {
                if let Some(s) = v.as_str() {
                    if s.parse::<std::net::Ipv4Addr>().is_err() {
                        problem("values", format!("{s:?} is not an IPv4 address"));
                    }
                }
            }
        }
    }

    fn validate_all(&self, decls: &[&ResourceDecl], _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut seen = BTreeMap::new();
        for d in decls {
            let key = (
                d.inputs.get("zone_id").and_then(|z| z.source().map(|(id, _)| format!("{id:?}")).or_else(|| z.known().map(|v| v.to_string()))),
                d.known("name").map(|v| v.to_string()),
                d.known("type").map(|v| v.to_string()),
            );
            if let (Some(_), Some(n), Some(t)) = &key {
                if let Some(other) = seen.insert(key.clone(), d.name.clone()) {
                    out.push(Diagnostic::field(&d.name, "name", format!("{n} {t} is also declared by {other}")));
                }
            }
        }
    }

    fn normalize(&self, props: &mut Props) {
        let txt = props.get("type").and_then(Value::as_str) == Some("TXT");
        if let Some(Value::List(l)) = props.get_mut("values") {
            if txt {
                for v in l.iter_mut() {
                    if let Value::Str(s) = v {
                        *s = s.trim_matches('"').to_string();
                    }
                }
            }
            l.sort();
        }
        if let Some(Value::Str(n)) = props.get_mut("alias_dns_name") {
            *n = normalize_name(n);
        }
        // A name from another resource's output arrives as that service wrote it.
        if let Some(Value::Str(n)) = props.get_mut("name") {
            *n = normalize_name(n);
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        // Route 53 ignores alias case and stores `dualstack.` prefixes as given.
        want.retain(|k, v| !(k == "alias_evaluate_health" && *v == Value::Null));
        strata_engine::default_diff(&want, &actual.props, self.replace_fields())
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(30)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        // Records of this stack may live in any zone (another stack's too).
        let mut out = Vec::new();
        for id in shared_zone_ids(&self.aws, scope).await?.iter() {
            // Shared by every region of the pass (Route 53 is global).
            let sets = self
                .aws
                .shared_lists()
                .get(scope, format!("route53:ListResourceRecordSets:{id}"), || self.record_sets(&scope.region, id))
                .await;
            // A zone deleted since the list call has no records left.
            let Some(sets) = strata_aws::unless_gone(sets)? else { continue };
            out.extend(Self::owned(&scope.region, id, &sets, &scope.stack));
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let mut parts = id.splitn(3, '/');
        let (Some(zone), Some(_), Some(_)) = (parts.next(), parts.next(), parts.next()) else { return Ok(None) };
        let sets = match self.record_sets(region, zone).await {
            Ok(s) => s,
            Err(e) => return strata_aws::not_found_none(e),
        };
        let owners: Vec<Observed> = sets
            .iter()
            .filter_map(|s| s.resource_records().first().and_then(|r| parse_owner(r.value())))
            .flat_map(|(stack, _)| Self::owned(region, zone, &sets, &stack))
            .collect();
        Ok(owners.into_iter().find(|o| o.id == id))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let zone = str_of(desired, "zone_id").unwrap_or_default();
        let name = str_of(desired, "name").unwrap_or_default();
        let rtype = str_of(desired, "type").unwrap_or_default();
        // Never write over a record someone else made (not every Route 53
        // implementation refuses a CREATE of an existing record).
        let existing = crate::client(&self.aws, &cx.region)
            .list_resource_record_sets()
            .hosted_zone_id(&zone)
            .start_record_name(&name)
            .start_record_type(RrType::from(rtype.as_str()))
            .max_items(1)
            .send()
            .await
            .map_err(err("ListResourceRecordSets"))?;
        if existing.resource_record_sets().iter().any(|r| normalize_name(r.name()) == name && r.r#type().as_str() == rtype) {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                "ChangeResourceRecordSets",
                format!("{name} {rtype} already exists in zone {zone} and is not managed by this stack; remove it or pick another name"),
            )
            .with_code("RecordExists"));
        }
        let changes = vec![
            change(ChangeAction::Create, record_set(desired)?)?,
            change(ChangeAction::Create, owner_set(&cx.stack, &cx.name, &rtype, &name)?)?,
        ];
        match self.change(cx, &zone, changes, "ChangeResourceRecordSets").await {
            Err(e) if e.message.contains("already exists") => {
                return Err(ProviderError {
                    message: format!("{name} {rtype} already exists in zone {zone} and is not managed by this stack; remove it or pick another name ({})", e.message),
                    ..e
                })
            }
            other => other?,
        }
        let id = format!("{zone}/{name}/{rtype}");
        let mut o = Observed::new(Record::KIND, &id, &cx.region);
        o.props = desired.clone();
        o.outputs = Props::from([("id".into(), Value::str(&id)), ("name".into(), Value::str(&name))]);
        o.refs = vec![zone];
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, _diff: &Diff) -> Result<Observed, ProviderError> {
        let zone = str_of(desired, "zone_id").unwrap_or_default();
        self.change(cx, &zone, vec![change(ChangeAction::Upsert, record_set(desired)?)?], "ChangeResourceRecordSets").await?;
        let mut o = actual.clone();
        let tags = actual.props.get("tags").cloned();
        o.props = desired.clone();
        if let Some(t) = tags {
            o.props.insert("tags".into(), t);
        }
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let zone = str_of(&actual.props, "zone_id").unwrap_or_default();
        let name = str_of(&actual.props, "name").unwrap_or_default();
        let rtype = str_of(&actual.props, "type").unwrap_or_default();
        let logical = actual.logical_name().unwrap_or_else(|| cx.name.clone());
        let changes = vec![
            change(ChangeAction::Delete, record_set(&actual.props)?)?,
            change(ChangeAction::Delete, owner_set(&cx.stack, &logical, &rtype, &name)?)?,
        ];
        match self.change(cx, &zone, changes, "ChangeResourceRecordSets").await {
            Err(e) if e.message.contains("not found") || e.class == ErrorClass::NotFound => Ok(()),
            other => other,
        }
    }

    async fn set_tags(&self, _cx: &OpContext, _actual: &Observed, _add: &Tags, _remove: &[String]) -> Result<(), ProviderError> {
        // Records carry no tags (their owner record is written with them).
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_owners() {
        assert_eq!(normalize_name("Shop.Example.com."), "shop.example.com");
        assert_eq!(normalize_name("\\052.example.com."), "*.example.com");
        assert_eq!(parse_owner(&owner_value("miamo-prd", "records/db")), Some(("miamo-prd".into(), "records/db".into())));
        assert_eq!(owner_name("CNAME", "db.miamo.internal"), "_strata-cname.db.miamo.internal");
        assert!(dns_name_problem("miamo.com").is_none());
        assert!(dns_name_problem("localhost").is_some());
        assert!(dns_name_problem("bad name.com").is_some());
    }
}
