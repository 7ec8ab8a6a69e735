//! Helpers shared by the EC2 resources: tags, filters, props, CIDR checks.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use strata_core::{tags, Diagnostic, Input, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{DiscoverScope, Observed, ProviderError};

use strata_aws::error::err;

/// `tag:strata:stack = <stack>`: the one filter every discovery uses.
pub(crate) fn stack_filter(scope: &DiscoverScope) -> Filter {
    Filter::builder().name(format!("tag:{}", tags::STACK)).values(&scope.stack).build()
}

pub(crate) fn filters(list: &[(String, Vec<String>)]) -> Vec<Filter> {
    list.iter().map(|(k, v)| Filter::builder().name(k).set_values(Some(v.clone())).build()).collect()
}

/// Tags as one `TagSpecification` for a create call.
pub(crate) fn tags_spec(kind: ResourceType, tags: &Tags) -> TagSpecification {
    let mut b = TagSpecification::builder().resource_type(kind);
    for (k, v) in tags {
        b = b.tags(Tag::builder().key(k).value(v).build());
    }
    b.build()
}

/// The tags an EC2 answer carries.
pub(crate) fn tags_of_list(list: &[Tag]) -> Tags {
    list.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

/// EC2 tags by resource id, for the kinds on the resource kernel (their
/// describe answers carry the tags; `read` is for the others).
pub(crate) struct Ec2Tags;

#[async_trait::async_trait]
impl strata_aws::kernel::Tagging for Ec2Tags {
    async fn read(aws: &strata_aws::Aws, region: &str, id: &str) -> Result<Tags, ProviderError> {
        let out = crate::client(aws, region)
            .describe_tags()
            .filters(Filter::builder().name("resource-id").values(id).build())
            .send()
            .await
            .map_err(err("DescribeTags"))?;
        Ok(out.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect())
    }

    async fn write(aws: &strata_aws::Aws, region: &str, id: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        write_tags(&crate::client(aws, region), id, add, remove).await
    }
}

pub(crate) fn props_tags(props: &Props) -> Tags {
    props.get("tags").map(Value::as_tags).unwrap_or_default()
}

pub(crate) fn tags_value(list: &[Tag]) -> Value {
    Value::from_tags(&tags_of_list(list))
}

pub(crate) fn s(props: &Props, field: &str) -> Option<String> {
    props.get(field).and_then(|v| v.as_str().map(str::to_string))
}

pub(crate) fn b(props: &Props, field: &str) -> bool {
    props.get(field).and_then(Value::as_bool).unwrap_or(false)
}

pub(crate) fn missing(op: &str, field: &str) -> ProviderError {
    ProviderError::new(strata_engine::ErrorClass::Invalid, op, format!("missing required field {field}"))
}

pub(crate) fn str_list(props: &Props, field: &str) -> Vec<String> {
    props
        .get(field)
        .and_then(Value::as_list)
        .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Apply a tag change in place: add/overwrite what differs, delete what went.
pub(crate) async fn update_tags(
    client: &aws_sdk_ec2::Client,
    id: &str,
    actual: &Observed,
    desired: &Props,
) -> Result<(), ProviderError> {
    let (add, remove) = strata_aws::tag_changes(&actual.tags(), &props_tags(desired));
    write_tags(client, id, &add, &remove).await
}

/// Add (or overwrite) and remove tags on one EC2 resource.
pub(crate) async fn write_tags(client: &aws_sdk_ec2::Client, id: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
    let add = add.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
    let remove = remove.iter().map(|k| Tag::builder().key(k).build()).collect();
    set_tags(client, id, add, remove).await
}

pub(crate) async fn set_tags(
    client: &aws_sdk_ec2::Client,
    id: &str,
    add: Vec<Tag>,
    remove: Vec<Tag>,
) -> Result<(), ProviderError> {
    if !add.is_empty() {
        client.create_tags().resources(id).set_tags(Some(add)).send().await.map_err(err("CreateTags"))?;
    }
    if !remove.is_empty() {
        client.delete_tags().resources(id).set_tags(Some(remove)).send().await.map_err(err("DeleteTags"))?;
    }
    Ok(())
}

/// `set_tags` of the provider trait, for any EC2 resource id.
pub(crate) async fn provider_set_tags(
    client: &aws_sdk_ec2::Client,
    actual: &Observed,
    add: &Tags,
    remove: &[String],
) -> Result<(), ProviderError> {
    write_tags(client, &actual.id, add, remove).await
}

pub(crate) use strata_aws::{gone_ok, not_found_none};

pub(crate) fn observed(kind: &'static str, id: &str, region: &str, props: Props) -> Observed {
    let mut o = Observed::new(kind, id, region);
    o.outputs.insert("id".into(), Value::str(id));
    o.props = props;
    o
}

// ---------- validation helpers ----------

/// A parsed IPv4 CIDR.
pub(crate) fn parse_cidr(s: &str) -> Option<ipnet::Ipv4Net> {
    let net: ipnet::Ipv4Net = s.parse().ok()?;
    // Reject host bits set ("10.0.1.5/24"): AWS does.
    (net.trunc() == net).then_some(net)
}

/// Check a CIDR field: parses, network address, prefix within `min..=max`.
pub(crate) fn check_cidr(
    decl: &ResourceDecl,
    field: &str,
    min: u8,
    max: u8,
    out: &mut Vec<Diagnostic>,
) -> Option<ipnet::Ipv4Net> {
    let v = decl.known(field)?;
    let Some(text) = v.as_str() else {
        out.push(Diagnostic::field(&decl.name, field, "must be a string CIDR"));
        return None;
    };
    match parse_cidr(text) {
        None => {
            out.push(Diagnostic::field(
                &decl.name,
                field,
                format!("{text:?} is not an IPv4 CIDR with its network address (like 10.0.1.0/24)"),
            ));
            None
        }
        Some(net) if net.prefix_len() < min || net.prefix_len() > max => {
            out.push(Diagnostic::field(
                &decl.name,
                field,
                format!("{text} has prefix /{}; it must be between /{min} and /{max}", net.prefix_len()),
            ));
            None
        }
        Some(net) => Some(net),
    }
}

pub(crate) fn require(decl: &ResourceDecl, field: &str, out: &mut Vec<Diagnostic>) {
    match decl.inputs.get(field) {
        None | Some(Input::Known(Value::Null)) => out.push(Diagnostic::field(&decl.name, field, "is required")),
        _ => {}
    }
}

/// The declaration an input refers to directly (`vpc_id` -> the VPC).
pub(crate) fn referenced<'a>(stack: &'a Stack, decl: &ResourceDecl, field: &str) -> Option<&'a ResourceDecl> {
    let (id, _) = decl.inputs.get(field)?.source()?;
    stack.resource(id)
}

/// AZ names are the region plus one letter: `eu-central-1a`.
pub(crate) fn check_az(decl: &ResourceDecl, stack: &Stack, field: &str, out: &mut Vec<Diagnostic>) {
    let Some(az) = decl.known(field).and_then(|v| v.as_str().map(str::to_string)) else { return };
    let region = stack.region_of(decl);
    let ok = az.strip_prefix(region.as_str()).is_some_and(|rest| {
        rest.len() == 1 && rest.chars().all(|c| c.is_ascii_lowercase())
    });
    if !ok {
        out.push(Diagnostic::field(
            &decl.name,
            field,
            format!("{az:?} is not an availability zone of {region} (expected {region}a, {region}b, ...)"),
        ));
    }
}

/// A string-keyed map for rule-like list entries.
pub(crate) fn entry(pairs: &[(&str, Value)]) -> Value {
    Value::Map(pairs.iter().filter(|(_, v)| *v != Value::Null).map(|(k, v)| (k.to_string(), v.clone())).collect())
}

pub(crate) fn map_str(m: &BTreeMap<String, Value>, k: &str) -> Option<String> {
    m.get(k).and_then(|v| v.as_str().map(str::to_string))
}

pub(crate) fn map_int(m: &BTreeMap<String, Value>, k: &str) -> Option<i64> {
    m.get(k).and_then(Value::as_int)
}

/// Sort a list field so that order never causes a diff.
pub(crate) fn sort_list(props: &mut Props, field: &str) {
    if let Some(Value::List(l)) = props.get_mut(field) {
        l.sort();
        l.dedup();
    }
}

