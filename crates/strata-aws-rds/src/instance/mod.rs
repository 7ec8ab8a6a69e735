//! `aws:rds:DbInstance`: a MySQL or PostgreSQL instance, or a read replica.
//!
//! - The master password is managed by RDS in Secrets Manager
//!   (`ManageMasterUserPassword`) unless the program gives a [`Secret`] output;
//!   the password is never compared, printed or logged.
//! - Storage is encrypted by default; deletion protection refuses `destroy`
//!   with a message that says how to proceed (it is never switched off silently).
//! - A final snapshot is taken on delete unless the program opts out. The
//!   choice is kept in the `strata:final-snapshot` tag, because a delete of a
//!   resource no longer declared only has what the cloud holds.
//! - In-place changes go through `ModifyDBInstance`, at once with
//!   `apply_immediately(true)`, otherwise in the next maintenance window; values
//!   pending for the window count as applied, so the plan does not repeat them.
//!
//! [`Secret`]: strata_core::Secret

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError};

use super::sdk_tags;
use strata_aws::props::{str_of, strs, window_ok};
use strata_aws::error::err;
use strata_aws::naming::{derived_id, id_problem, RDS_INSTANCE};
use strata_aws::Aws;

/// The tag that records whether a delete takes a final snapshot.
pub const FINAL_SNAPSHOT_TAG: &str = strata_core::tags::FINAL_SNAPSHOT;

mod builder;

pub use builder::*;

pub(crate) struct InstanceProvider {
    pub(crate) aws: Aws,
}

/// Fields never compared: inputs of the create call only.
const NOT_COMPARED: &[&str] = &["master_password", "apply_immediately"];

/// Known engine versions: MySQL 8.0 and 8.4, PostgreSQL 13-17.
fn version_problem(engine: &str, version: &str) -> Option<String> {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let ok = match engine {
        "mysql" => {
            let minor = rest.first().copied().unwrap_or_default();
            major == "8" && (minor == "0" || minor == "4") && rest.len() <= 2 && rest.iter().all(|p| numeric(p))
        }
        "postgres" => {
            major.parse::<u32>().is_ok_and(|m| (13..=17).contains(&m)) && rest.len() <= 1 && rest.iter().all(|p| numeric(p))
        }
        _ => return Some(format!("unknown engine {engine:?}; strata manages mysql and postgres")),
    };
    if ok {
        None
    } else {
        let known = if engine == "mysql" { "8.0 or 8.4 (optionally with a patch, 8.0.39)" } else { "13 to 17 (optionally with a minor, 16.4)" };
        Some(format!("unknown {engine} version {version:?}; known: {known}"))
    }
}

/// Allowed storage in GiB by storage type.
fn storage_limits(storage_type: &str) -> Option<(i64, i64)> {
    match storage_type {
        "gp2" | "gp3" => Some((20, 65_536)),
        "io1" | "io2" => Some((100, 65_536)),
        "standard" => Some((5, 3_072)),
        _ => None,
    }
}

impl InstanceProvider {
    fn observe(&self, region: &str, d: &aws_sdk_rds::types::DbInstance) -> Observed {
        let id = d.db_instance_identifier().unwrap_or_default();
        let tags = super::tags_from(d.tag_list());
        let pending = d.pending_modified_values();
        let mut sgs: Vec<Value> = d.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).map(Value::str).collect();
        sgs.sort();
        let s = |v: Option<&str>| v.map(Value::str).unwrap_or(Value::Null);
        let i = |v: Option<i32>| v.map(|n| Value::Int(n.into())).unwrap_or(Value::Null);
        let replica_of = d.read_replica_source_db_instance_identifier();
        let mut props = Props::from([
            ("identifier".into(), Value::str(id)),
            ("engine".into(), s(d.engine())),
            ("engine_version".into(), s(pending.and_then(|p| p.engine_version()).or(d.engine_version()))),
            ("instance_class".into(), s(pending.and_then(|p| p.db_instance_class()).or(d.db_instance_class()))),
            ("allocated_storage".into(), i(pending.and_then(|p| p.allocated_storage()).or(d.allocated_storage()))),
            ("storage_type".into(), s(pending.and_then(|p| p.storage_type()).or(d.storage_type()))),
            ("max_allocated_storage".into(), i(d.max_allocated_storage())),
            ("multi_az".into(), Value::Bool(pending.and_then(|p| p.multi_az()).or(d.multi_az()).unwrap_or(false))),
            ("storage_encrypted".into(), Value::Bool(d.storage_encrypted().unwrap_or(false))),
            ("kms_key_id".into(), s(d.kms_key_id())),
            ("deletion_protection".into(), Value::Bool(d.deletion_protection().unwrap_or(false))),
            ("backup_retention".into(), i(pending.and_then(|p| p.backup_retention_period()).or(d.backup_retention_period()))),
            ("backup_window".into(), s(d.preferred_backup_window())),
            ("maintenance_window".into(), s(d.preferred_maintenance_window())),
            ("subnet_group".into(), s(d.db_subnet_group().and_then(|g| g.db_subnet_group_name()))),
            ("security_group_ids".into(), Value::List(sgs)),
            ("parameter_group".into(), s(d.db_parameter_groups().first().and_then(|g| g.db_parameter_group_name()))),
            ("master_username".into(), s(d.master_username())),
            ("port".into(), i(pending.and_then(|p| p.port()).or(d.endpoint().and_then(|e| e.port())).or(d.db_instance_port()))),
            ("publicly_accessible".into(), Value::Bool(d.publicly_accessible().unwrap_or(false))),
            ("database_name".into(), s(d.db_name())),
            ("replicate_source".into(), s(replica_of)),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        if replica_of.is_none() {
            props.insert("manage_master_password".into(), Value::Bool(d.master_user_secret().is_some()));
        }
        let mut o = Observed::new(DbInstance::KIND, id, region);
        o.props = props;
        o.outputs = Props::from([
            ("id".into(), Value::str(id)),
            ("identifier".into(), Value::str(id)),
            ("arn".into(), s(d.db_instance_arn())),
            ("address".into(), s(d.endpoint().and_then(|e| e.address()))),
            ("port".into(), d.endpoint().and_then(|e| e.port()).map(|p| Value::Str(p.to_string())).unwrap_or(Value::Null)),
            ("resource_id".into(), s(d.dbi_resource_id())),
            ("master_secret_arn".into(), s(d.master_user_secret().and_then(|m| m.secret_arn()))),
        ]);
        o.refs = d
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id())
            .chain(d.db_subnet_group().and_then(|g| g.db_subnet_group_name()))
            .chain(d.db_parameter_groups().iter().filter_map(|g| g.db_parameter_group_name()))
            .chain(replica_of)
            .map(str::to_string)
            .collect();
        o
    }

    async fn describe(&self, region: &str, id: &str) -> Result<Option<aws_sdk_rds::types::DbInstance>, ProviderError> {
        match crate::client(&self.aws, region).describe_db_instances().db_instance_identifier(id).send().await {
            Ok(o) => Ok(o.db_instances().first().cloned()),
            Err(e) => strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeDBInstances", e)),
        }
    }

    /// Wait until the instance is `available`.
    async fn wait_available(&self, cx: &OpContext, id: &str) -> Result<aws_sdk_rds::types::DbInstance, ProviderError> {
        let what = format!("DB instance {id} to become available");
        wait_until(&what, cx.timeout, cx.poll, || async {
            let Some(d) = self.describe(&cx.region, id).await? else {
                return Err(ProviderError::new(ErrorClass::NotFoundYet, "DescribeDBInstances", format!("{id} not visible yet")));
            };
            // The SDK's `db_instance_available` acceptors, and the other states no instance leaves by itself.
            const FAILURE: [&str; 8] = [
                "deleted",
                "deleting",
                "failed",
                "incompatible-restore",
                "incompatible-parameters",
                "incompatible-network",
                "storage-full",
                "inaccessible-encryption-credentials",
            ];
            let done = strata_aws::accept("DescribeDBInstances", &format!("DB instance {id}"), d.db_instance_status(), &["available"], &FAILURE)?;
            Ok(done.then_some(d))
        })
        .await
    }
}

fn int(props: &Props, k: &str) -> Option<i32> {
    props.get(k).and_then(Value::as_int).and_then(|n| i32::try_from(n).ok())
}

fn boolean(props: &Props, k: &str) -> Option<bool> {
    props.get(k).and_then(Value::as_bool)
}

#[async_trait]
impl Provider for InstanceProvider {
    fn kind(&self) -> &'static str {
        DbInstance::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &[
            "identifier",
            "engine",
            "master_username",
            "storage_encrypted",
            "kms_key_id",
            "replicate_source",
            "database_name",
            "subnet_group",
        ]
    }

    fn validate(&self, decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let known_str = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        let known_int = |f: &str| decl.known(f).and_then(|v| v.as_int());
        let mut problem = |f: &str, msg: String| out.push(Diagnostic::field(&decl.name, f, msg));
        let replica = !matches!(decl.inputs.get("replicate_source"), None | Some(Input::Known(Value::Null)));
        if let Some(id) = known_str("identifier") {
            if let Some(p) = id_problem(RDS_INSTANCE, &id) {
                problem("identifier", p);
            }
        }
        match (known_str("engine"), known_str("engine_version")) {
            (Some(e), Some(v)) => {
                if let Some(p) = version_problem(&e, &v) {
                    problem(if p.starts_with("unknown engine ") { "engine" } else { "engine_version" }, p);
                }
            }
            (None, _) if !replica => problem("engine", "an engine is required".into()),
            _ => {}
        }
        match known_str("instance_class") {
            Some(c) if c.starts_with("db.") && c.split('.').count() == 3 => {}
            Some(c) => problem("instance_class", format!("{c:?} is not an instance class such as db.m6g.large")),
            None => {}
        }
        let storage_type = known_str("storage_type").unwrap_or_else(|| "gp3".into());
        match storage_limits(&storage_type) {
            None => problem("storage_type", format!("{storage_type:?} is not gp2, gp3, io1, io2 or standard")),
            Some((min, max)) => {
                if let Some(gb) = known_int("allocated_storage") {
                    if !(min..=max).contains(&gb) {
                        problem("allocated_storage", format!("{gb} GiB is outside {min}-{max} GiB for {storage_type} storage"));
                    }
                    if let Some(top) = known_int("max_allocated_storage") {
                        if top <= gb || top > max {
                            problem(
                                "max_allocated_storage",
                                format!("{top} GiB must be above the allocated {gb} GiB and at most {max} GiB"),
                            );
                        }
                    }
                }
            }
        }
        if let Some(days) = known_int("backup_retention") {
            if !(0..=35).contains(&days) {
                problem("backup_retention", format!("{days} days is outside 0-35"));
            }
        }
        if let Some(w) = known_str("backup_window") {
            if !window_ok(&w, false) {
                problem("backup_window", format!("{w:?} is not a UTC window hh:mm-hh:mm"));
            }
        }
        if let Some(w) = known_str("maintenance_window") {
            if !window_ok(&w, true) {
                problem("maintenance_window", format!("{w:?} is not a UTC window ddd:hh:mm-ddd:hh:mm"));
            }
        }
        if let Some(p) = known_int("port") {
            if !(1150..=65535).contains(&p) {
                problem("port", format!("{p} is outside 1150-65535"));
            }
        }
        if let Some(u) = known_str("master_username") {
            let max = if known_str("engine").as_deref() == Some("postgres") { 63 } else { 16 };
            if u.is_empty()
                || u.len() > max
                || !u.starts_with(|c: char| c.is_ascii_alphabetic())
                || !u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                || u == "rdsadmin"
            {
                problem("master_username", format!("{u:?} must be 1-{max} letters, digits or _, starting with a letter (not rdsadmin)"));
            }
        }
        if decl.known("storage_encrypted").and_then(|v| v.as_bool()) == Some(false)
            && !matches!(decl.inputs.get("kms_key_id"), None | Some(Input::Known(Value::Null)))
        {
            problem("kms_key_id", "a KMS key is set but storage encryption is off".into());
        }
        // Multi-AZ needs a subnet group across two AZs.
        let multi_az = decl.known("multi_az").and_then(|v| v.as_bool()) == Some(true);
        match decl.inputs.get("subnet_group") {
            Some(g @ Input::Output(_)) => {
                if let Some(azs) = strata_aws::props::subnet_group_azs(stack, g) {
                    if multi_az && azs.len() < 2 {
                        problem(
                            "subnet_group",
                            format!("Multi-AZ needs subnets in two AZs; the subnet group has only {}", azs.into_iter().collect::<Vec<_>>().join(", ")),
                        );
                    }
                }
            }
            None | Some(Input::Known(Value::Null)) if multi_az && !replica => {
                problem("subnet_group", "Multi-AZ needs a subnet group with subnets in two AZs".into());
            }
            _ => {}
        }
        // A replica's source must keep automated backups.
        if let Some(Input::Output(src)) = decl.inputs.get("replicate_source") {
            if let Some(s) = src.source().and_then(|(id, _)| stack.resource(id)) {
                if s.known("backup_retention").and_then(|v| v.as_int()) == Some(0) {
                    problem("replicate_source", format!("the source {} has backups off (retention 0); read replicas need them", s.name));
                }
            }
        }
    }

    fn validate_all(&self, decls: &[&ResourceDecl], _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut seen = BTreeMap::new();
        for d in decls {
            if let Some(n) = d.known("identifier").and_then(|v| v.as_str().map(str::to_ascii_lowercase)) {
                if let Some(other) = seen.insert(n.clone(), d.name.clone()) {
                    out.push(Diagnostic::field(&d.name, "identifier", format!("{n:?} is also the identifier of {other}")));
                }
            }
        }
    }

    fn warnings(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if decl.known("publicly_accessible").and_then(|v| v.as_bool()) == Some(true) {
            out.push(Diagnostic::field(&decl.name, "publicly_accessible", "the database is reachable from the internet"));
        }
        if decl.known("storage_encrypted").and_then(|v| v.as_bool()) == Some(false) {
            out.push(Diagnostic::field(&decl.name, "storage_encrypted", "encryption at rest is turned off"));
        }
    }

    fn normalize(&self, props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut("security_group_ids") {
            l.sort();
        }
        if let Some(Value::Str(id)) = props.get_mut("identifier") {
            *id = id.to_ascii_lowercase();
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        // Unset fields take the engine's or the source's defaults, except that
        // a primary without a storage ceiling has autoscaling off.
        let replica = desired.get("replicate_source").is_some_and(|v| *v != Value::Null);
        want.retain(|k, v| {
            let autoscaling_off = k == "max_allocated_storage" && !replica;
            !NOT_COMPARED.contains(&k.as_str()) && (*v != Value::Null || autoscaling_off)
        });
        let mut have = actual.props.clone();
        // "8.0" asks for the newest 8.0.x: an instance on 8.0.39 matches.
        if let (Some(w), Some(h)) = (want.get("engine_version").and_then(Value::as_str), have.get("engine_version").and_then(Value::as_str)) {
            if h.starts_with(&format!("{w}.")) {
                have.insert("engine_version".into(), Value::str(w));
            }
        }
        // A KMS key may be named by id, ARN or alias; AWS reports the ARN.
        if let (Some(w), Some(h)) = (want.get("kms_key_id").and_then(Value::as_str), have.get("kms_key_id").and_then(Value::as_str)) {
            if h.ends_with(&format!("/{w}")) {
                have.insert("kms_key_id".into(), Value::str(w));
            }
        }
        strata_engine::diff_with_derived(&want, &have, self.replace_fields(), &["identifier"])
    }

    fn update_warning(&self, diff: &Diff) -> Option<String> {
        ["instance_class", "multi_az", "allocated_storage", "storage_type", "engine_version"]
            .iter()
            .any(|f| diff.changed(f).is_some())
            .then(|| "changes the instance class, storage, engine version or Multi-AZ: may restart or degrade the database".to_string())
    }

    fn estimate_for(&self, op: Op, props: &Props) -> Duration {
        let multi_az = boolean(props, "multi_az") == Some(true);
        match op {
            Op::Create if multi_az => Duration::from_secs(18 * 60),
            Op::Create => Duration::from_secs(8 * 60),
            Op::Update => Duration::from_secs(5 * 60),
            Op::Delete => Duration::from_secs(8 * 60),
        }
    }

    fn default_timeout(&self, op: Op) -> Duration {
        match op {
            Op::Update => Duration::from_secs(80 * 60),
            _ => Duration::from_secs(40 * 60),
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let pages = crate::client(&self.aws, &scope.region).describe_db_instances().into_paginator().items().send();
        let all = strata_aws::error::all_pages(pages, "DescribeDBInstances").await?;
        Ok(all
            .iter()
            .filter(|d| d.db_instance_status() != Some("deleting"))
            // DocumentDB and Neptune instances are listed here too: not this kind's.
            .filter(|d| matches!(d.engine(), Some("mysql" | "postgres")))
            .filter(|d| super::tags_from(d.tag_list()).get(tags::STACK) == Some(&scope.stack))
            .map(|d| self.observe(&scope.region, d))
            .collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        Ok(self.describe(region, id).await?.filter(|d| d.db_instance_status() != Some("deleting")).map(|d| self.observe(region, &d)))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let salt = format!(
            "{}/{}/{}",
            str_of(desired, "engine").unwrap_or_default(),
            str_of(desired, "kms_key_id").unwrap_or_default(),
            str_of(desired, "replicate_source").unwrap_or_default()
        );
        let id = str_of(desired, "identifier").unwrap_or_else(|| derived_id(RDS_INSTANCE, &cx.stack, &cx.name, &salt));
        let sgs = Some(strs(desired, "security_group_ids")).filter(|l| !l.is_empty());
        if let Some(source) = str_of(desired, "replicate_source") {
            c.create_db_instance_read_replica()
                .db_instance_identifier(&id)
                .source_db_instance_identifier(source)
                .db_instance_class(str_of(desired, "instance_class").unwrap_or_default())
                .multi_az(boolean(desired, "multi_az").unwrap_or(false))
                .deletion_protection(boolean(desired, "deletion_protection").unwrap_or(false))
                .publicly_accessible(boolean(desired, "publicly_accessible").unwrap_or(false))
                .set_vpc_security_group_ids(sgs)
                .set_db_parameter_group_name(str_of(desired, "parameter_group"))
                .set_kms_key_id(str_of(desired, "kms_key_id"))
                .set_port(int(desired, "port"))
                .set_max_allocated_storage(int(desired, "max_allocated_storage"))
                .set_storage_type(str_of(desired, "storage_type"))
                .copy_tags_to_snapshot(true)
                .set_tags(Some(sdk_tags(desired)))
                .send()
                .await
                .map_err(err("CreateDBInstanceReadReplica"))?;
        } else {
            let password = desired.get("master_password").map(Value::expose).and_then(|v| v.as_str().map(str::to_string));
            c.create_db_instance()
                .db_instance_identifier(&id)
                .engine(str_of(desired, "engine").unwrap_or_default())
                .engine_version(str_of(desired, "engine_version").unwrap_or_default())
                .db_instance_class(str_of(desired, "instance_class").unwrap_or_default())
                .set_allocated_storage(int(desired, "allocated_storage"))
                .set_storage_type(str_of(desired, "storage_type"))
                .set_max_allocated_storage(int(desired, "max_allocated_storage"))
                .multi_az(boolean(desired, "multi_az").unwrap_or(false))
                .storage_encrypted(boolean(desired, "storage_encrypted").unwrap_or(true))
                .set_kms_key_id(str_of(desired, "kms_key_id"))
                .deletion_protection(boolean(desired, "deletion_protection").unwrap_or(false))
                .set_backup_retention_period(int(desired, "backup_retention"))
                .set_preferred_backup_window(str_of(desired, "backup_window"))
                .set_preferred_maintenance_window(str_of(desired, "maintenance_window"))
                .set_db_subnet_group_name(str_of(desired, "subnet_group"))
                .set_vpc_security_group_ids(sgs)
                .set_db_parameter_group_name(str_of(desired, "parameter_group"))
                .set_master_username(str_of(desired, "master_username"))
                .set_manage_master_user_password(password.is_none().then_some(true))
                .set_master_user_password(password)
                .set_port(int(desired, "port"))
                .publicly_accessible(boolean(desired, "publicly_accessible").unwrap_or(false))
                .set_db_name(str_of(desired, "database_name"))
                .copy_tags_to_snapshot(true)
                .set_tags(Some(sdk_tags(desired)))
                .send()
                .await
                .map_err(err("CreateDBInstance"))?;
        }
        let d = self.wait_available(cx, &id).await?;
        Ok(self.observe(&cx.region, &d))
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        if diff.changed("tags").is_some() {
            super::sync_tags(&self.aws, cx, actual, desired).await?;
        }
        let changed = |f: &str| diff.changed(f).is_some();
        let modify_fields = [
            "engine_version",
            "instance_class",
            "allocated_storage",
            "storage_type",
            "max_allocated_storage",
            "multi_az",
            "deletion_protection",
            "backup_retention",
            "backup_window",
            "maintenance_window",
            "security_group_ids",
            "parameter_group",
            "manage_master_password",
            "port",
            "publicly_accessible",
        ];
        if !modify_fields.iter().any(|f| changed(f)) {
            let mut o = actual.clone();
            o.props.insert("tags".into(), Value::from_tags(&strata_aws::desired_tags(desired)));
            return Ok(o);
        }
        let now = boolean(desired, "apply_immediately").unwrap_or(false);
        let mut req = crate::client(&self.aws, &cx.region).modify_db_instance().db_instance_identifier(&actual.id).apply_immediately(now);
        if changed("engine_version") {
            let want = str_of(desired, "engine_version").unwrap_or_default();
            let have = actual.props.get("engine_version").and_then(Value::as_str).unwrap_or_default();
            let major = |v: &str| v.split('.').next().unwrap_or_default().to_string();
            req = req.engine_version(&want).allow_major_version_upgrade(major(&want) != major(have));
        }
        if changed("instance_class") {
            req = req.set_db_instance_class(str_of(desired, "instance_class"));
        }
        if changed("allocated_storage") {
            req = req.set_allocated_storage(int(desired, "allocated_storage"));
        }
        if changed("storage_type") {
            req = req.set_storage_type(str_of(desired, "storage_type"));
        }
        if changed("max_allocated_storage") {
            // Zero turns storage autoscaling off.
            req = req.max_allocated_storage(int(desired, "max_allocated_storage").unwrap_or(0));
        }
        if changed("multi_az") {
            req = req.set_multi_az(boolean(desired, "multi_az"));
        }
        if changed("deletion_protection") {
            req = req.set_deletion_protection(boolean(desired, "deletion_protection"));
        }
        if changed("backup_retention") {
            req = req.set_backup_retention_period(int(desired, "backup_retention"));
        }
        if changed("backup_window") {
            req = req.set_preferred_backup_window(str_of(desired, "backup_window"));
        }
        if changed("maintenance_window") {
            req = req.set_preferred_maintenance_window(str_of(desired, "maintenance_window"));
        }
        if changed("security_group_ids") {
            req = req.set_vpc_security_group_ids(Some(strs(desired, "security_group_ids")));
        }
        if changed("parameter_group") {
            req = req.set_db_parameter_group_name(str_of(desired, "parameter_group"));
        }
        if changed("port") {
            req = req.set_db_port_number(int(desired, "port"));
        }
        if changed("publicly_accessible") {
            req = req.set_publicly_accessible(boolean(desired, "publicly_accessible"));
        }
        if changed("manage_master_password") {
            let manage = boolean(desired, "manage_master_password").unwrap_or(true);
            req = req.manage_master_user_password(manage);
            if !manage {
                let password = desired.get("master_password").map(Value::expose).and_then(|v| v.as_str().map(str::to_string));
                req = req.set_master_user_password(password);
            }
        }
        req.send().await.map_err(err("ModifyDBInstance"))?;
        let d = if now {
            self.wait_available(cx, &actual.id).await?
        } else {
            self.describe(&cx.region, &actual.id).await?.ok_or_else(|| {
                ProviderError::new(ErrorClass::NotFound, "DescribeDBInstances", format!("{} vanished during the update", actual.id))
            })?
        };
        Ok(self.observe(&cx.region, &d))
    }

    fn delete_refusal(&self, actual: &Observed) -> Option<String> {
        (boolean(&actual.props, "deletion_protection") == Some(true)).then(|| {
            format!("{} has deletion protection on; set deletion_protection(false) and apply, then destroy or remove it", actual.id)
        })
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        if boolean(&actual.props, "deletion_protection") == Some(true) {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                "DeleteDBInstance",
                format!(
                    "{} has deletion protection on; set deletion_protection(false) and apply, then destroy or remove it",
                    actual.id
                ),
            )
            .with_code("DeletionProtected"));
        }
        let replica = actual.props.get("replicate_source").is_some_and(|v| *v != Value::Null);
        let take_snapshot = !replica && actual.tags().get(FINAL_SNAPSHOT_TAG).map(String::as_str) != Some("skip");
        let mut req = crate::client(&self.aws, &cx.region).delete_db_instance().db_instance_identifier(&actual.id);
        req = if take_snapshot {
            let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
            let base: String = actual.id.chars().take(40).collect();
            req.skip_final_snapshot(false).final_db_snapshot_identifier(format!("{}-final-{stamp}", base.trim_end_matches('-')))
        } else {
            req.skip_final_snapshot(true)
        };
        match req.send().await.map(|_| ()).map_err(err("DeleteDBInstance")) {
            Ok(()) => {}
            // Already being deleted: wait for it below.
            Err(e) if e.code.as_deref() == Some("InvalidDBInstanceState") => {}
            other => return strata_aws::gone_ok(other),
        }
        let what = format!("DB instance {} to be deleted", actual.id);
        wait_until(&what, cx.timeout, cx.poll, || async {
            Ok(match self.describe(&cx.region, &actual.id).await? {
                None => Some(()),
                Some(_) => None,
            })
        })
        .await
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        super::set_tags(&self.aws, cx, actual, add, remove).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_versions() {
        assert_eq!(version_problem("mysql", "8.0"), None);
        assert_eq!(version_problem("mysql", "8.0.39"), None);
        assert_eq!(version_problem("postgres", "16.4"), None);
        assert!(version_problem("mysql", "5.7").is_some());
        assert!(version_problem("postgres", "9.6").is_some());
        assert!(version_problem("oracle", "19").unwrap().starts_with("unknown engine"));
    }

    #[test]
    fn windows() {
        assert!(window_ok("02:00-03:00", false));
        assert!(window_ok("sun:04:00-sun:05:00", true));
        assert!(!window_ok("2:00-3:00", false));
        assert!(!window_ok("sun:04:00-sun:05:00", false));
        assert!(!window_ok("xyz:04:00-sun:05:00", true));
    }
}
