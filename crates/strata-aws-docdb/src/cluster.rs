//! `aws:docdb:DbCluster`: a DocumentDB cluster (the storage and the
//! endpoints; its instances are [`crate::DocDbInstance`]s).
//!
//! - The master password is managed by DocumentDB in Secrets Manager
//!   (`ManageMasterUserPassword`): strata never sees, prints or compares it;
//!   the secret's ARN is an output.
//! - Storage is encrypted (default on; a change replaces the cluster), seven
//!   days of backups by default, deletion protection on by default: a plan
//!   that deletes or replaces a protected cluster is refused before any
//!   change, with what to do instead.
//! - The delete takes a final snapshot unless `final_snapshot(false)`; the
//!   choice is kept in the `strata:final-snapshot` tag, since a cluster whose
//!   declaration was removed has only what the cloud holds.
//! - Changes are applied at once (`ApplyImmediately`); a major engine version
//!   change is allowed explicitly (`AllowMajorVersionUpgrade`).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_docdb::types::{CloudwatchLogsExportConfiguration, DbCluster as Sdk};
use aws_sdk_docdb::Client;
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::naming::{derived_id, RDS_INSTANCE};
use strata_aws::Aws;
use strata_core::{tags, Arg, Diagnostic, Props, ResourceDecl, Stack, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, docdb_only, sdk_tags, DocDbTags, ENGINE};

/// The log types a cluster can export to CloudWatch Logs.
const LOG_TYPES: [&str; 2] = ["audit", "profiler"];

strata_aws::kind_fields! {
    /// A DocumentDB cluster.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_docdb::{DocDbCluster, DocDbInstance, DocDbSubnetGroup};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let subnets = stack.add("docs-subnets", DocDbSubnetGroup::new(["subnet-0a", "subnet-0b"]));
    /// let docs = stack.add(
    ///     "docs",
    ///     DocDbCluster::new(subnets.group_name(), "catalog").security_group_ids(["sg-0db"]).log_exports(["audit"]),
    /// );
    /// stack.add("docs-1", DocDbInstance::new(docs.identifier(), "db.r6g.large"));
    /// let _ = (docs.endpoint(), docs.reader_endpoint(), docs.master_user_secret_arn());
    /// ```
    pub struct DocDbCluster: "aws:docdb:DbCluster";
    values DocDbClusterValues;
    handle DocDbClusterHandle / DocDbClusterOutputs { identifier, arn, endpoint, reader_endpoint, port_number, resource_id, master_user_secret_arn };
    fields {
        /// An explicit identifier; default: derived from stack and logical name.
        identifier: str [replace];
        /// The engine version (`5.0.0`); a major change upgrades in place.
        engine_version: str [update] = "5.0.0";
        /// The subnet group (its name).
        subnet_group: str [replace required];
        /// The VPC security groups.
        security_group_ids: strs [update];
        /// The port the cluster listens on.
        port: int [update] = 27017;
        /// The master user's name; its password is managed in Secrets Manager.
        master_username: str [replace required];
        /// The KMS key of the master user's secret (default: Secrets Manager's key).
        secret_kms_key_id: str [replace];
        /// Storage encryption at rest.
        storage_encrypted: bool [replace] = true;
        /// The KMS key of the storage (default: DocumentDB's key).
        kms_key_id: str [replace];
        /// Days of automated backups, 1 to 35.
        backup_retention_days: int [update] = 7;
        /// The daily backup window, UTC (`03:00-04:00`).
        backup_window: str [update];
        /// The weekly maintenance window, UTC (`sun:05:00-sun:06:00`).
        maintenance_window: str [update];
        /// Refuse deletes (and plans that would delete it) while on.
        deletion_protection: bool [update] = true;
        /// Logs exported to CloudWatch Logs: `audit`, `profiler`.
        log_exports: strs [update] = Vec::<String>::new();
        /// Take a final snapshot when the cluster is deleted.
        final_snapshot: bool [update] = true;
    }
}

impl DocDbCluster {
    /// A cluster in the subnet group `subnet_group` whose master user is
    /// `master_username`.
    pub fn new(subnet_group: impl Into<Arg<String>>, master_username: &str) -> Self {
        Self::empty().subnet_group(subnet_group).master_username(master_username)
    }
}

type V = DocDbClusterValues;

/// The kind behind [`DocDbCluster`].
pub(crate) struct Clusters;

fn sorted(mut l: Vec<String>) -> Vec<String> {
    l.sort();
    l.dedup();
    l
}

pub(crate) async fn create_cluster(c: &Client, id: &str, v: &V) -> Result<Option<Sdk>, ProviderError> {
    let out = c
        .create_db_cluster()
        .db_cluster_identifier(id)
        .engine(ENGINE)
        .set_engine_version(v.engine_version.clone())
        .set_db_subnet_group_name(v.subnet_group.clone())
        .set_vpc_security_group_ids(v.security_group_ids.clone().filter(|l| !l.is_empty()))
        .set_port(v.port.and_then(|p| i32::try_from(p).ok()))
        .set_master_username(v.master_username.clone())
        .manage_master_user_password(true)
        .set_master_user_secret_kms_key_id(v.secret_kms_key_id.clone())
        .set_storage_encrypted(v.storage_encrypted)
        .set_kms_key_id(v.kms_key_id.clone())
        .set_backup_retention_period(v.backup_retention_days.and_then(|d| i32::try_from(d).ok()))
        .set_preferred_backup_window(v.backup_window.clone())
        .set_preferred_maintenance_window(v.maintenance_window.clone())
        .set_deletion_protection(v.deletion_protection)
        .set_enable_cloudwatch_logs_exports(v.log_exports.clone().filter(|l| !l.is_empty()))
        .set_tags(Some(sdk_tags(&v.tags)))
        .send()
        .await
        .map_err(err("CreateDBCluster"))?;
    Ok(out.db_cluster().filter(|d| d.db_cluster_identifier().is_some()).cloned())
}

pub(crate) async fn list_clusters(c: &Client) -> Result<Vec<Sdk>, ProviderError> {
    let pages = all_pages(c.describe_db_clusters().filters(docdb_only()).into_paginator().send(), "DescribeDBClusters").await?;
    Ok(pages.iter().flat_map(|p| p.db_clusters()).filter(|d| d.engine() == Some(ENGINE)).cloned().collect())
}

pub(crate) async fn describe_cluster(c: &Client, id: &str) -> Result<Option<Sdk>, ProviderError> {
    let out = strata_aws::found(c.describe_db_clusters().db_cluster_identifier(id).send().await.map_err(err("DescribeDBClusters")))?;
    Ok(out.and_then(|o| o.db_clusters().iter().find(|d| d.engine() == Some(ENGINE)).cloned()))
}

/// One `ModifyDBCluster` with every changed in-place field, applied at once.
pub(crate) async fn modify_cluster(c: &Client, id: &str, v: &V, diff: &Diff) -> Result<(), ProviderError> {
    let changed = |f: &str| diff.changed(f).is_some();
    let mut req = c.modify_db_cluster().db_cluster_identifier(id).apply_immediately(true);
    let mut any = false;
    if changed(V::engine_version) {
        req = req.set_engine_version(v.engine_version.clone()).allow_major_version_upgrade(true);
        any = true;
    }
    if changed(V::security_group_ids) {
        req = req.set_vpc_security_group_ids(v.security_group_ids.clone());
        any = true;
    }
    if changed(V::port) {
        req = req.set_port(v.port.and_then(|p| i32::try_from(p).ok()));
        any = true;
    }
    if changed(V::backup_retention_days) {
        req = req.set_backup_retention_period(v.backup_retention_days.and_then(|d| i32::try_from(d).ok()));
        any = true;
    }
    if changed(V::backup_window) {
        req = req.set_preferred_backup_window(v.backup_window.clone());
        any = true;
    }
    if changed(V::maintenance_window) {
        req = req.set_preferred_maintenance_window(v.maintenance_window.clone());
        any = true;
    }
    if changed(V::deletion_protection) {
        req = req.set_deletion_protection(v.deletion_protection);
        any = true;
    }
    if let Some(change) = diff.changed(V::log_exports) {
        let names = |x: Option<&Value>| -> Vec<String> { x.and_then(Value::as_list).map(|l| l.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default() };
        let (old, new) = (names(change.old.as_ref()), names(change.new.as_ref()));
        let enable: Vec<String> = new.iter().filter(|n| !old.contains(n)).cloned().collect();
        let disable: Vec<String> = old.iter().filter(|o| !new.contains(o)).cloned().collect();
        let config = CloudwatchLogsExportConfiguration::builder().set_enable_log_types(Some(enable)).set_disable_log_types(Some(disable)).build();
        req = req.cloudwatch_logs_export_configuration(config);
        any = true;
    }
    // (`final_snapshot` is a state tag the kernel keeps.)
    if any {
        req.send().await.map_err(err("ModifyDBCluster"))?;
    }
    Ok(())
}

/// Delete, with a final snapshot named after the cluster and the time unless `snapshot` is off.
pub(crate) async fn delete_cluster(c: &Client, id: &str, snapshot: bool, now_secs: u64) -> Result<(), ProviderError> {
    let req = c.delete_db_cluster().db_cluster_identifier(id);
    let req = if snapshot {
        let base: String = id.chars().take(40).collect();
        req.skip_final_snapshot(false).final_db_snapshot_identifier(format!("{}-final-{now_secs}", base.trim_end_matches('-')))
    } else {
        req.skip_final_snapshot(true)
    };
    req.send().await.map(|_| ()).map_err(err("DeleteDBCluster"))
}

#[async_trait]
impl Kind for Clusters {
    type Builder = DocDbCluster;
    type Item = Sdk;
    type Tags = DocDbTags;

    const DERIVED: &'static [&'static str] = &[V::identifier];
    const WAIT_FOR_DELETE: bool = true;
    const TAG_FIELDS: &'static [(&'static str, &'static str)] = &[(tags::FINAL_SNAPSHOT, V::final_snapshot)];
    const IDENTITY: Option<&'static str> = Some(V::identifier);

    fn id(d: &Sdk) -> Option<&str> {
        d.db_cluster_identifier()
    }

    fn tag_target(d: &Sdk) -> Option<String> {
        d.db_cluster_arn().map(str::to_string)
    }

    fn life(d: &Sdk) -> Life {
        match d.status() {
            Some("deleting") => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(d: &Sdk) -> Result<bool, ProviderError> {
        match d.status() {
            Some("available") => Ok(true),
            Some(s @ ("failed" | "inaccessible-encryption-credentials" | "incompatible-network")) => Err(strata_aws::failed("CreateDBCluster", "DocumentDB cluster", d.db_cluster_identifier(), Some(s))),
            _ => Ok(false),
        }
    }

    fn observe(d: &Sdk) -> Seen<DocDbCluster> {
        let sgs: Vec<String> = d.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).map(str::to_string).collect();
        let int = |n: Option<i32>| n.map(i64::from);
        Seen {
            values: V {
                identifier: d.db_cluster_identifier().map(str::to_string),
                engine_version: d.engine_version().map(str::to_string),
                subnet_group: d.db_subnet_group().map(str::to_string),
                security_group_ids: Some(sorted(sgs.clone())),
                port: int(d.port()),
                master_username: d.master_username().map(str::to_string),
                storage_encrypted: d.storage_encrypted(),
                kms_key_id: d.kms_key_id().map(str::to_string),
                secret_kms_key_id: d.master_user_secret().and_then(|s| s.kms_key_id()).map(str::to_string),
                backup_retention_days: int(d.backup_retention_period()),
                backup_window: d.preferred_backup_window().map(str::to_string),
                maintenance_window: d.preferred_maintenance_window().map(str::to_string),
                deletion_protection: d.deletion_protection(),
                log_exports: Some(sorted(d.enabled_cloudwatch_logs_exports().to_vec())),
                ..V::default()
            },
            outputs: DocDbClusterOutputs {
                identifier: d.db_cluster_identifier().map(str::to_string),
                arn: d.db_cluster_arn().map(str::to_string),
                endpoint: d.endpoint().map(str::to_string),
                reader_endpoint: d.reader_endpoint().map(str::to_string),
                port_number: d.port().map(|p| p.to_string()),
                resource_id: d.db_cluster_resource_id().map(str::to_string),
                master_user_secret_arn: d.master_user_secret().and_then(|s| s.secret_arn()).map(str::to_string),
            },
            refs: sgs,
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Sdk>, ProviderError> {
        list_clusters(&client(aws, &scope.region)).await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Sdk>, ProviderError> {
        describe_cluster(&client(aws, region), id).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, DocDbCluster>) -> Result<Created<Sdk>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let id = v.identifier.clone().unwrap_or_else(|| derived_id(RDS_INSTANCE, &cx.stack, &cx.name, v.kms_key_id.as_deref().unwrap_or_default()));
        Ok(match create_cluster(&client(aws, &cx.region), &id, v).await? {
            Some(d) => Created::Item(d),
            None => Created::Id(id),
        })
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, DocDbCluster>, diff: &Diff) -> Result<(), ProviderError> {
        modify_cluster(&client(aws, &want.cx.region), &actual.id, &want.values, diff).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let snapshot = actual.props.get(V::final_snapshot).and_then(Value::as_bool) != Some(false);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        delete_cluster(&client(aws, &cx.region), &actual.id, snapshot, now).await
    }

    fn delete_refusal(actual: &Observed) -> Option<String> {
        (actual.props.get(V::deletion_protection).and_then(Value::as_bool) == Some(true))
            .then(|| format!("DocumentDB cluster {} has deletion protection on; set deletion_protection(false) and apply, then destroy or remove it", actual.id))
    }

    fn normalize(props: &mut Props) {
        for f in [V::security_group_ids, V::log_exports] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                l.dedup();
            }
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let int = |f: &str| decl.known(f).and_then(|v| v.as_int());
        let text = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        if let Some(id) = text(V::identifier) {
            if let Some(problem) = strata_aws::naming::id_problem(RDS_INSTANCE, &id) {
                out.push(Diagnostic::field(r, V::identifier, problem));
            }
        }
        if let Some(days) = int(V::backup_retention_days).filter(|d| !(1..=35).contains(d)) {
            out.push(Diagnostic::field(r, V::backup_retention_days, format!("{days} days: DocumentDB keeps backups 1 to 35 days")));
        }
        if let Some(port) = int(V::port).filter(|p| !(1150..=65535).contains(p)) {
            out.push(Diagnostic::field(r, V::port, format!("{port}: a DocumentDB port is 1150 to 65535")));
        }
        if let Some(user) = text(V::master_username) {
            let ok = (1..=63).contains(&user.len()) && user.starts_with(|c: char| c.is_ascii_alphabetic()) && user.chars().all(|c| c.is_ascii_alphanumeric());
            if !ok || user == "admin" {
                out.push(Diagnostic::field(r, V::master_username, format!("{user:?}: 1 to 63 letters and digits, starting with a letter, and not a reserved word (admin)")));
            }
        }
        if let Some(v) = text(V::engine_version).filter(|v| !["3.6.0", "4.0.0", "5.0.0", "8.0.0"].contains(&v.as_str())) {
            out.push(Diagnostic::field(r, V::engine_version, format!("{v:?} is not a DocumentDB engine version (3.6.0, 4.0.0, 5.0.0, 8.0.0)")));
        }
        if let Some(Value::List(l)) = decl.known(V::log_exports) {
            for t in l.iter().filter_map(Value::as_str).filter(|t| !LOG_TYPES.contains(t)) {
                out.push(Diagnostic::field(r, V::log_exports, format!("{t:?}: DocumentDB exports `audit` and `profiler` logs")));
            }
        }
        // AWS answers key ARNs: an alias or a bare key id would read back as a change every plan.
        for f in [V::kms_key_id, V::secret_kms_key_id] {
            if let Some(k) = text(f).filter(|k| !(k.starts_with("arn:") && k.contains(":kms:") && k.contains(":key/"))) {
                out.push(Diagnostic::field(r, f, format!("{k:?} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)")));
            }
        }
        if decl.known(V::storage_encrypted).and_then(|v| v.as_bool()) == Some(false) && decl.inputs.contains_key(V::kms_key_id) {
            out.push(Diagnostic::field(r, V::kms_key_id, "a KMS key needs storage_encrypted(true)".to_string()));
        }
        for (f, day) in [(V::backup_window, false), (V::maintenance_window, true)] {
            if let Some(w) = text(f).filter(|w| !strata_aws::props::window_ok(w, day)) {
                let example = if day { "sun:05:00-sun:06:00" } else { "03:00-04:00" };
                out.push(Diagnostic::field(r, f, format!("{w:?} is not a window like {example:?} (UTC)")));
            }
        }
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(10 * 60),
            Op::Delete => Duration::from_secs(8 * 60),
            _ => Duration::from_secs(2 * 60),
        }
    }

    fn default_timeout(op: Op) -> Duration {
        match op {
            Op::Create | Op::Update => Duration::from_secs(60 * 60),
            _ => Duration::from_secs(45 * 60),
        }
    }
}
