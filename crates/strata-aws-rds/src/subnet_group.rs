//! `aws:rds:DbSubnetGroup`: the subnets a DB instance may live in.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::DbSubnetGroup as Item;
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::naming::{derived_id, RDS_GROUP};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::RdsTags;

strata_aws::kind_fields! {
    /// A DB subnet group. Multi-AZ instances need subnets in at least two AZs.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::{Subnet, Vpc};
    /// use strata_aws_rds::DbSubnetGroup;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
    /// let b = stack.add("data-b", Subnet::new(vpc.id(), "10.0.21.0/24", "eu-central-1b"));
    /// let c = stack.add("data-c", Subnet::new(vpc.id(), "10.0.22.0/24", "eu-central-1c"));
    /// let group = stack.add("db-subnets", DbSubnetGroup::new([b.id(), c.id()]));
    /// let _ = group.group_name();
    /// ```
    pub struct DbSubnetGroup: "aws:rds:DbSubnetGroup";
    values DbSubnetGroupValues;
    handle DbSubnetGroupHandle / DbSubnetGroupOutputs { group_name, arn, vpc_id };
    fields {
        /// An explicit name; default: derived from stack and logical name.
        name: str [replace];
        /// The group's description.
        description: str [update] = "Managed by strata";
        /// The subnets, in at least two AZs.
        subnet_ids: strs [update required];
    }
}

impl DbSubnetGroup {
    /// A subnet group of these subnets.
    pub fn new<I: IntoIterator<Item = A>, A: Into<Arg<String>>>(subnets: I) -> Self {
        Self::empty().subnet_ids(subnets)
    }
}

type V = DbSubnetGroupValues;

/// The kind behind [`DbSubnetGroup`].
pub(crate) struct SubnetGroups;

#[async_trait]
impl Kind for SubnetGroups {
    type Builder = DbSubnetGroup;
    type Item = Item;
    type Tags = RdsTags;

    const DERIVED: &'static [&'static str] = &[V::name];

    /// DocumentDB's groups are RDS groups too: those are the DocumentDB kind's.
    fn claims(tags: &Tags) -> bool {
        !tags.contains_key(strata_core::tags::ENGINE)
    }

    fn id(g: &Item) -> Option<&str> {
        g.db_subnet_group_name()
    }

    fn tag_target(g: &Item) -> Option<String> {
        g.db_subnet_group_arn().map(str::to_string)
    }

    fn observe(g: &Item) -> Seen<DbSubnetGroup> {
        let subnets: Vec<String> = g.subnets().iter().filter_map(|s| s.subnet_identifier()).map(str::to_string).collect();
        Seen {
            values: V {
                name: g.db_subnet_group_name().map(str::to_string),
                description: g.db_subnet_group_description().map(str::to_string),
                subnet_ids: Some(subnets.clone()),
                ..V::default()
            },
            outputs: DbSubnetGroupOutputs {
                group_name: g.db_subnet_group_name().map(str::to_string),
                arn: g.db_subnet_group_arn().map(str::to_string),
                vpc_id: g.vpc_id().map(str::to_string),
            },
            refs: subnets,
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let pages = crate::client(aws, &scope.region).describe_db_subnet_groups().into_paginator().items().send();
        let groups = strata_aws::error::all_pages(pages, "DescribeDBSubnetGroups").await?;
        // AWS's `default*` groups are never a stack's: no tag read for them.
        Ok(groups.into_iter().filter(|g| g.db_subnet_group_name().is_some_and(|n| !n.starts_with("default"))).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = crate::client(aws, region)
            .describe_db_subnet_groups()
            .db_subnet_group_name(id)
            .send()
            .await
            .map_err(err("DescribeDBSubnetGroups"))?;
        Ok(out.db_subnet_groups().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, DbSubnetGroup>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| derived_id(RDS_GROUP, &cx.stack, &cx.name, ""));
        let out = crate::client(aws, &cx.region)
            .create_db_subnet_group()
            .db_subnet_group_name(&name)
            .db_subnet_group_description(v.description.clone().unwrap_or_default())
            .set_subnet_ids(v.subnet_ids.clone())
            .set_tags(Some(crate::tag_list(&v.tags)))
            .send()
            .await
            .map_err(err("CreateDBSubnetGroup"))?;
        Ok(match out.db_subnet_group() {
            Some(g) if g.db_subnet_group_name().is_some() => Created::Item(g.clone()),
            _ => Created::Id(name),
        })
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, DbSubnetGroup>, _diff: &Diff) -> Result<(), ProviderError> {
        crate::client(aws, &want.cx.region)
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
        // Still used by an instance being deleted: classified as a dependency
        // violation, which the engine retries until the delete timeout.
        crate::client(aws, &cx.region)
            .delete_db_subnet_group()
            .db_subnet_group_name(&actual.id)
            .send()
            .await
            .map(|_| ())
            .map_err(err("DeleteDBSubnetGroup"))
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        strata_aws::props::validate_subnet_group(decl, stack, RDS_GROUP, "RDS", out);
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut(V::subnet_ids) {
            l.sort();
        }
    }

    fn default_timeout(op: Op) -> Duration {
        // A delete waits (retrying "in use") until the instances in it are gone.
        match op {
            Op::Delete => Duration::from_secs(40 * 60),
            _ => Duration::from_secs(5 * 60),
        }
    }
}
