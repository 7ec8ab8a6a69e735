//! `aws:docdb:DbSubnetGroup`: the subnets a DocumentDB cluster's instances
//! may live in (an RDS DB subnet group, marked `strata:engine = docdb`).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_docdb::types::DbSubnetGroup as Item;
use aws_sdk_docdb::Client;
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::naming::{derived_id, RDS_GROUP};
use strata_aws::Aws;
use strata_core::{tags, Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, sdk_tags, DocDbTags, ENGINE};

strata_aws::kind_fields! {
    /// A DocumentDB subnet group: subnets in at least two AZs.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_docdb::DocDbSubnetGroup;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let group = stack.add("docs-subnets", DocDbSubnetGroup::new(["subnet-0a", "subnet-0b"]));
    /// let _ = group.group_name();
    /// ```
    pub struct DocDbSubnetGroup: "aws:docdb:DbSubnetGroup";
    values DocDbSubnetGroupValues;
    handle DocDbSubnetGroupHandle / DocDbSubnetGroupOutputs { group_name, arn, vpc_id };
    fields {
        /// An explicit name; default: derived from stack and logical name.
        name: str [replace];
        /// The group's description.
        description: str [update] = "Managed by strata";
        /// The subnets, in at least two AZs.
        subnet_ids: strs [update required];
        /// The engine the group is for, kept in the `strata:engine` tag.
        engine: str [replace private];
    }
}

impl DocDbSubnetGroup {
    /// A subnet group of these subnets.
    pub fn new<I: IntoIterator<Item = A>, A: Into<Arg<String>>>(subnets: I) -> Self {
        Self::empty().subnet_ids(subnets)
    }
}

type V = DocDbSubnetGroupValues;

/// The kind behind [`DocDbSubnetGroup`].
pub(crate) struct SubnetGroups;

/// Create; `v.tags` holds the `strata:engine` tag, which the kernel adds
/// from the `engine` field ([`Kind::TAG_FIELDS`]) that `normalize` sets.
pub(crate) async fn create_group(c: &Client, name: &str, v: &V) -> Result<Option<Item>, ProviderError> {
    let out = c
        .create_db_subnet_group()
        .db_subnet_group_name(name)
        .db_subnet_group_description(v.description.clone().unwrap_or_default())
        .set_subnet_ids(v.subnet_ids.clone())
        .set_tags(Some(sdk_tags(&v.tags)))
        .send()
        .await
        .map_err(err("CreateDBSubnetGroup"))?;
    Ok(out.db_subnet_group().filter(|g| g.db_subnet_group_name().is_some()).cloned())
}

pub(crate) async fn list_groups(c: &Client) -> Result<Vec<Item>, ProviderError> {
    let pages = all_pages(c.describe_db_subnet_groups().into_paginator().send(), "DescribeDBSubnetGroups").await?;
    // AWS's `default*` groups are never a stack's: no tag read for them.
    Ok(pages.iter().flat_map(|p| p.db_subnet_groups()).filter(|g| g.db_subnet_group_name().is_some_and(|n| !n.starts_with("default"))).cloned().collect())
}

#[async_trait]
impl Kind for SubnetGroups {
    type Builder = DocDbSubnetGroup;
    type Item = Item;
    type Tags = DocDbTags;

    const DERIVED: &'static [&'static str] = &[V::name];
    const TAG_FIELDS: &'static [(&'static str, &'static str)] = &[(tags::ENGINE, V::engine)];

    fn claims(t: &Tags) -> bool {
        t.get(tags::ENGINE).map(String::as_str) == Some(ENGINE)
    }

    fn id(g: &Item) -> Option<&str> {
        g.db_subnet_group_name()
    }

    fn tag_target(g: &Item) -> Option<String> {
        g.db_subnet_group_arn().map(str::to_string)
    }

    fn observe(g: &Item) -> Seen<DocDbSubnetGroup> {
        let subnets: Vec<String> = g.subnets().iter().filter_map(|s| s.subnet_identifier()).map(str::to_string).collect();
        Seen {
            values: V {
                name: g.db_subnet_group_name().map(str::to_string),
                description: g.db_subnet_group_description().map(str::to_string),
                subnet_ids: Some(subnets.clone()),
                ..V::default()
            },
            outputs: DocDbSubnetGroupOutputs {
                group_name: g.db_subnet_group_name().map(str::to_string),
                arn: g.db_subnet_group_arn().map(str::to_string),
                vpc_id: g.vpc_id().map(str::to_string),
            },
            refs: subnets,
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        list_groups(&client(aws, &scope.region)).await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = client(aws, region).describe_db_subnet_groups().db_subnet_group_name(id).send().await.map_err(err("DescribeDBSubnetGroups"))?;
        Ok(out.db_subnet_groups().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, DocDbSubnetGroup>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| derived_id(RDS_GROUP, &cx.stack, &cx.name, ""));
        Ok(match create_group(&client(aws, &cx.region), &name, v).await? {
            Some(g) => Created::Item(g),
            None => Created::Id(name),
        })
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, DocDbSubnetGroup>, _diff: &Diff) -> Result<(), ProviderError> {
        client(aws, &want.cx.region)
            .modify_db_subnet_group()
            .db_subnet_group_name(&actual.id)
            .db_subnet_group_description(want.values.description.clone().unwrap_or_default())
            .set_subnet_ids(want.values.subnet_ids.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(err("ModifyDBSubnetGroup"))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // Still used by a cluster being deleted: a dependency violation, retried.
        client(aws, &cx.region).delete_db_subnet_group().db_subnet_group_name(&actual.id).send().await.map(|_| ()).map_err(err("DeleteDBSubnetGroup"))
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        strata_aws::props::validate_subnet_group(decl, stack, RDS_GROUP, "DocumentDB", out);
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut(V::subnet_ids) {
            l.sort();
        }
        // Declared and observed alike: the group is DocumentDB's.
        props.insert(V::engine.to_string(), Value::str(ENGINE));
    }

    fn default_timeout(op: Op) -> Duration {
        match op {
            Op::Delete => Duration::from_secs(40 * 60),
            _ => Duration::from_secs(5 * 60),
        }
    }
}
