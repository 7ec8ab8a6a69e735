//! `aws:docdb:DbInstance`: one instance of a DocumentDB cluster (the
//! cluster holds the storage, the engine version, the network and the
//! credentials; an instance adds compute). The first instance is the
//! writer; `promotion_tier` orders the failover of the others.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_docdb::types::DbInstance as Sdk;
use aws_sdk_docdb::Client;
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::naming::{derived_id, RDS_INSTANCE};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, ResourceDecl, Stack};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, docdb_only, sdk_tags, DocDbTags, ENGINE};

strata_aws::kind_fields! {
    /// A DocumentDB instance.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_docdb::DocDbInstance;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let one = stack.add("docs-1", DocDbInstance::new("catalog-docs", "db.r6g.large").promotion_tier(1));
    /// let _ = (one.endpoint(), one.arn());
    /// ```
    pub struct DocDbInstance: "aws:docdb:DbInstance";
    values DocDbInstanceValues;
    handle DocDbInstanceHandle / DocDbInstanceOutputs { identifier, arn, endpoint };
    fields {
        /// An explicit identifier; default: derived from stack and logical name.
        identifier: str [replace];
        /// The cluster (its identifier).
        cluster: str [replace required];
        /// The instance class (`db.r6g.large`, `db.t4g.medium`).
        instance_class: str [update required];
        /// The Availability Zone (default: DocumentDB chooses).
        availability_zone: str [replace];
        /// Failover order, 0 (first) to 15.
        promotion_tier: int [update] = 1;
        /// Minor engine upgrades in the maintenance window.
        auto_minor_version_upgrade: bool [update] = true;
    }
}

impl DocDbInstance {
    /// An instance of class `instance_class` in `cluster`.
    pub fn new(cluster: impl Into<Arg<String>>, instance_class: &str) -> Self {
        Self::empty().cluster(cluster).instance_class(instance_class)
    }
}

type V = DocDbInstanceValues;

/// The kind behind [`DocDbInstance`].
pub(crate) struct Instances;

pub(crate) async fn create_instance(c: &Client, id: &str, v: &V) -> Result<Option<Sdk>, ProviderError> {
    let out = c
        .create_db_instance()
        .db_instance_identifier(id)
        .engine(ENGINE)
        .set_db_cluster_identifier(v.cluster.clone())
        .set_db_instance_class(v.instance_class.clone())
        .set_availability_zone(v.availability_zone.clone())
        .set_promotion_tier(v.promotion_tier.and_then(|t| i32::try_from(t).ok()))
        .set_auto_minor_version_upgrade(v.auto_minor_version_upgrade)
        .set_tags(Some(sdk_tags(&v.tags)))
        .send()
        .await
        .map_err(err("CreateDBInstance"))?;
    Ok(out.db_instance().filter(|d| d.db_instance_identifier().is_some()).cloned())
}

pub(crate) async fn list_instances(c: &Client) -> Result<Vec<Sdk>, ProviderError> {
    let pages = all_pages(c.describe_db_instances().filters(docdb_only()).into_paginator().send(), "DescribeDBInstances").await?;
    Ok(pages.iter().flat_map(|p| p.db_instances()).filter(|d| d.engine() == Some(ENGINE)).cloned().collect())
}

/// One `ModifyDBInstance` with the changed fields, applied at once.
pub(crate) async fn modify_instance(c: &Client, id: &str, v: &V, diff: &Diff) -> Result<(), ProviderError> {
    let changed = |f: &str| diff.changed(f).is_some();
    let mut req = c.modify_db_instance().db_instance_identifier(id).apply_immediately(true);
    if changed(V::instance_class) {
        req = req.set_db_instance_class(v.instance_class.clone());
    }
    if changed(V::promotion_tier) {
        req = req.set_promotion_tier(v.promotion_tier.and_then(|t| i32::try_from(t).ok()));
    }
    if changed(V::auto_minor_version_upgrade) {
        req = req.set_auto_minor_version_upgrade(v.auto_minor_version_upgrade);
    }
    req.send().await.map(|_| ()).map_err(err("ModifyDBInstance"))
}

/// Delete; the cluster keeps the data (and takes the final snapshot).
pub(crate) async fn delete_instance(c: &Client, id: &str) -> Result<(), ProviderError> {
    c.delete_db_instance().db_instance_identifier(id).send().await.map(|_| ()).map_err(err("DeleteDBInstance"))
}

#[async_trait]
impl Kind for Instances {
    type Builder = DocDbInstance;
    type Item = Sdk;
    type Tags = DocDbTags;

    const DERIVED: &'static [&'static str] = &[V::identifier, V::availability_zone];
    const WAIT_FOR_DELETE: bool = true;
    const IDENTITY: Option<&'static str> = Some(V::identifier);

    fn id(d: &Sdk) -> Option<&str> {
        d.db_instance_identifier()
    }

    fn tag_target(d: &Sdk) -> Option<String> {
        d.db_instance_arn().map(str::to_string)
    }

    fn life(d: &Sdk) -> Life {
        match d.db_instance_status() {
            Some("deleting") => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(d: &Sdk) -> Result<bool, ProviderError> {
        match d.db_instance_status() {
            Some("available") => Ok(true),
            Some(s @ ("failed" | "incompatible-parameters" | "incompatible-network" | "inaccessible-encryption-credentials" | "storage-full")) => {
                Err(strata_aws::failed("CreateDBInstance", "DocumentDB instance", d.db_instance_identifier(), Some(s)))
            }
            _ => Ok(false),
        }
    }

    fn observe(d: &Sdk) -> Seen<DocDbInstance> {
        Seen {
            values: V {
                identifier: d.db_instance_identifier().map(str::to_string),
                cluster: d.db_cluster_identifier().map(str::to_string),
                instance_class: d.db_instance_class().map(str::to_string),
                availability_zone: d.availability_zone().map(str::to_string),
                promotion_tier: d.promotion_tier().map(i64::from),
                auto_minor_version_upgrade: d.auto_minor_version_upgrade(),
                ..V::default()
            },
            outputs: DocDbInstanceOutputs {
                identifier: d.db_instance_identifier().map(str::to_string),
                arn: d.db_instance_arn().map(str::to_string),
                endpoint: d.endpoint().and_then(|e| e.address()).map(str::to_string),
            },
            refs: d.db_cluster_identifier().map(str::to_string).into_iter().collect(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Sdk>, ProviderError> {
        list_instances(&client(aws, &scope.region)).await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Sdk>, ProviderError> {
        let out = strata_aws::found(client(aws, region).describe_db_instances().db_instance_identifier(id).send().await.map_err(err("DescribeDBInstances")))?;
        Ok(out.and_then(|o| o.db_instances().iter().find(|d| d.engine() == Some(ENGINE)).cloned()))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, DocDbInstance>) -> Result<Created<Sdk>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let id = v.identifier.clone().unwrap_or_else(|| derived_id(RDS_INSTANCE, &cx.stack, &cx.name, v.cluster.as_deref().unwrap_or_default()));
        Ok(match create_instance(&client(aws, &cx.region), &id, v).await? {
            Some(d) => Created::Item(d),
            None => Created::Id(id),
        })
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, DocDbInstance>, diff: &Diff) -> Result<(), ProviderError> {
        modify_instance(&client(aws, &want.cx.region), &actual.id, &want.values, diff).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        delete_instance(&client(aws, &cx.region), &actual.id).await
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        if let Some(id) = decl.known(V::identifier).and_then(|v| v.as_str().map(str::to_string)) {
            if let Some(problem) = strata_aws::naming::id_problem(RDS_INSTANCE, &id) {
                out.push(Diagnostic::field(r, V::identifier, problem));
            }
        }
        if let Some(class) = decl.known(V::instance_class).and_then(|v| v.as_str().map(str::to_string)) {
            let ok = class.strip_prefix("db.").is_some_and(|rest| rest.split('.').count() == 2 && rest.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric())));
            if !ok {
                out.push(Diagnostic::field(r, V::instance_class, format!("{class:?} is not an instance class like \"db.r6g.large\"")));
            }
        }
        if let Some(tier) = decl.known(V::promotion_tier).and_then(|v| v.as_int()).filter(|t| !(0..=15).contains(t)) {
            out.push(Diagnostic::field(r, V::promotion_tier, format!("{tier}: a promotion tier is 0 to 15")));
        }
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(8 * 60),
            Op::Delete => Duration::from_secs(6 * 60),
            _ => Duration::from_secs(10 * 60),
        }
    }

    fn default_timeout(_op: Op) -> Duration {
        Duration::from_secs(60 * 60)
    }
}

