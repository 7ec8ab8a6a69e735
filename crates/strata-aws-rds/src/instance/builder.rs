//! The `DbInstance` builder: engines, fields, and its inputs.

use super::*;

/// The engines strata manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbEngine {
    MySql,
    Postgres,
}

impl DbEngine {
    fn api_name(self) -> &'static str {
        match self {
            DbEngine::MySql => "mysql",
            DbEngine::Postgres => "postgres",
        }
    }
}

/// A DB instance.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::{Subnet, Vpc};
/// use strata_aws_rds::{DbInstance, DbSubnetGroup};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
/// let b = stack.add("data-b", Subnet::new(vpc.id(), "10.0.21.0/24", "eu-central-1b"));
/// let c = stack.add("data-c", Subnet::new(vpc.id(), "10.0.22.0/24", "eu-central-1c"));
/// let subnets = stack.add("db-subnets", DbSubnetGroup::new([b.id(), c.id()]));
/// let db = stack.add(
///     "db",
///     DbInstance::mysql("8.0", "db.m6g.large")
///         .storage_gb(100)
///         .max_storage_gb(500)
///         .multi_az(true)
///         .subnet_group(subnets.group_name())
///         .deletion_protection(true),
/// );
/// let replica = stack.add("db-replica", DbInstance::read_replica(db.identifier(), "db.m6g.large"));
/// let _ = (db.endpoint(), db.master_secret_arn(), replica.endpoint());
/// ```
#[derive(Clone, Debug)]
pub struct DbInstance {
    identifier: Option<String>,
    engine: Option<String>,
    engine_version: Option<String>,
    class: String,
    storage_gb: Option<i64>,
    storage_type: Option<String>,
    max_storage_gb: Option<i64>,
    multi_az: bool,
    encrypted: Option<bool>,
    kms_key: Option<Input>,
    deletion_protection: bool,
    backup_retention_days: Option<i64>,
    backup_window: Option<String>,
    maintenance_window: Option<String>,
    subnet_group: Option<Input>,
    security_groups: Vec<Input>,
    parameter_group: Option<Input>,
    master_username: Option<String>,
    master_password: Option<Input>,
    port: Option<i64>,
    publicly_accessible: bool,
    database_name: Option<String>,
    replicate_source: Option<Input>,
    final_snapshot: bool,
    apply_immediately: bool,
    tags: BTreeMap<String, Input>,
}

impl DbInstance {
    fn primary(engine: DbEngine, version: &str, class: &str) -> Self {
        DbInstance {
            identifier: None,
            engine: Some(engine.api_name().into()),
            engine_version: Some(version.into()),
            class: class.into(),
            storage_gb: Some(20),
            storage_type: Some("gp3".into()),
            max_storage_gb: None,
            multi_az: false,
            encrypted: Some(true),
            kms_key: None,
            deletion_protection: false,
            backup_retention_days: Some(7),
            backup_window: None,
            maintenance_window: None,
            subnet_group: None,
            security_groups: Vec::new(),
            parameter_group: None,
            master_username: Some(match engine {
                DbEngine::MySql => "admin".into(),
                DbEngine::Postgres => "postgres".into(),
            }),
            master_password: None,
            port: None,
            publicly_accessible: false,
            database_name: None,
            replicate_source: None,
            final_snapshot: true,
            apply_immediately: false,
            tags: BTreeMap::new(),
        }
    }
    /// MySQL (`version` such as `8.0` or `8.0.39`).
    pub fn mysql(version: &str, class: &str) -> Self {
        DbInstance::primary(DbEngine::MySql, version, class)
    }
    /// PostgreSQL (`version` such as `16` or `16.4`).
    pub fn postgres(version: &str, class: &str) -> Self {
        DbInstance::primary(DbEngine::Postgres, version, class)
    }
    /// A read replica of `source` (a DB instance identifier or ARN). Engine,
    /// version, storage and credentials come from the source.
    pub fn read_replica(source: impl Into<Arg<String>>, class: &str) -> Self {
        DbInstance {
            engine: None,
            engine_version: None,
            storage_gb: None,
            storage_type: None,
            encrypted: None,
            backup_retention_days: None,
            master_username: None,
            replicate_source: Some(source.into().into_input()),
            final_snapshot: false,
            ..DbInstance::primary(DbEngine::MySql, "", class)
        }
    }
    /// An explicit identifier; default: derived from stack and logical name.
    pub fn identifier(mut self, id: &str) -> Self {
        self.identifier = Some(id.into());
        self
    }
    pub fn storage_gb(mut self, gb: i64) -> Self {
        self.storage_gb = Some(gb);
        self
    }
    /// `gp3` (default), `gp2`, `io1`, `io2` or `standard`.
    pub fn storage_type(mut self, t: &str) -> Self {
        self.storage_type = Some(t.into());
        self
    }
    /// Storage autoscaling up to this size.
    pub fn max_storage_gb(mut self, gb: i64) -> Self {
        self.max_storage_gb = Some(gb);
        self
    }
    pub fn multi_az(mut self, on: bool) -> Self {
        self.multi_az = on;
        self
    }
    /// Opt out of encryption at rest (on by default; the plan warns).
    pub fn unencrypted(mut self) -> Self {
        self.encrypted = Some(false);
        self
    }
    /// Encrypt with this KMS key (id or ARN) instead of the AWS-managed key.
    pub fn kms_key(mut self, key: impl Into<Arg<String>>) -> Self {
        self.kms_key = Some(key.into().into_input());
        self
    }
    pub fn deletion_protection(mut self, on: bool) -> Self {
        self.deletion_protection = on;
        self
    }
    /// Days of automated backups (0-35; 0 turns them off).
    pub fn backup_retention_days(mut self, days: i64) -> Self {
        self.backup_retention_days = Some(days);
        self
    }
    /// Daily backup window, UTC `hh:mm-hh:mm`.
    pub fn backup_window(mut self, w: &str) -> Self {
        self.backup_window = Some(w.into());
        self
    }
    /// Weekly maintenance window, UTC `ddd:hh:mm-ddd:hh:mm`.
    pub fn maintenance_window(mut self, w: &str) -> Self {
        self.maintenance_window = Some(w.into());
        self
    }
    /// The DB subnet group's name (`DbSubnetGroupHandle::group_name`).
    pub fn subnet_group(mut self, name: impl Into<Arg<String>>) -> Self {
        self.subnet_group = Some(name.into().into_input());
        self
    }
    pub fn security_group(mut self, id: impl Into<Arg<String>>) -> Self {
        self.security_groups.push(id.into().into_input());
        self
    }
    pub fn parameter_group(mut self, name: impl Into<Arg<String>>) -> Self {
        self.parameter_group = Some(name.into().into_input());
        self
    }
    pub fn master_username(mut self, name: &str) -> Self {
        self.master_username = Some(name.into());
        self
    }
    /// Use this password (a secret output) instead of an RDS-managed one.
    /// The master password: always secret, whatever type it is given as (a
    /// plain string too), so that no plan, report, log or error prints it.
    pub fn master_password(mut self, password: impl Into<Input>) -> Self {
        self.master_password = Some(password.into().into_secret());
        self
    }
    pub fn port(mut self, port: i64) -> Self {
        self.port = Some(port);
        self
    }
    /// Reachable from the internet (off by default; the plan warns).
    pub fn publicly_accessible(mut self, on: bool) -> Self {
        self.publicly_accessible = on;
        self
    }
    /// The initial database to create.
    pub fn database_name(mut self, name: &str) -> Self {
        self.database_name = Some(name.into());
        self
    }
    /// Delete without a final snapshot (default: a final snapshot is taken).
    pub fn skip_final_snapshot(mut self) -> Self {
        self.final_snapshot = false;
        self
    }
    /// Apply in-place changes now rather than in the next maintenance window.
    pub fn apply_immediately(mut self, on: bool) -> Self {
        self.apply_immediately = on;
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`DbInstance`].
    DbInstanceHandle {
        identifier: "identifier",
        arn: "arn",
        endpoint: "address",
        port: "port",
        resource_id: "resource_id",
        master_secret_arn: "master_secret_arn",
    }
);

fn opt<T: Into<Value>>(v: Option<T>) -> Input {
    v.map(|v| Input::Known(v.into())).unwrap_or(Input::Known(Value::Null))
}

impl Resource for DbInstance {
    const KIND: &'static str = "aws:rds:DbInstance";
    type Handle = DbInstanceHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let replica = self.replicate_source.is_some();
        let mut tags = self.tags;
        tags.insert(FINAL_SNAPSHOT_TAG.into(), Input::from(if self.final_snapshot { "take" } else { "skip" }));
        let manage = if replica { Value::Null } else { Value::Bool(self.master_password.is_none()) };
        BTreeMap::from([
            ("identifier".to_string(), opt(self.identifier)),
            ("engine".to_string(), opt(self.engine)),
            ("engine_version".to_string(), opt(self.engine_version)),
            ("instance_class".to_string(), Input::from(self.class)),
            ("allocated_storage".to_string(), opt(self.storage_gb)),
            ("storage_type".to_string(), opt(self.storage_type)),
            ("max_allocated_storage".to_string(), opt(self.max_storage_gb)),
            ("multi_az".to_string(), Input::from(self.multi_az)),
            ("storage_encrypted".to_string(), opt(self.encrypted)),
            ("kms_key_id".to_string(), self.kms_key.unwrap_or(Input::Known(Value::Null))),
            ("deletion_protection".to_string(), Input::from(self.deletion_protection)),
            ("backup_retention".to_string(), opt(self.backup_retention_days)),
            ("backup_window".to_string(), opt(self.backup_window)),
            ("maintenance_window".to_string(), opt(self.maintenance_window)),
            ("subnet_group".to_string(), self.subnet_group.unwrap_or(Input::Known(Value::Null))),
            (
                "security_group_ids".to_string(),
                if self.security_groups.is_empty() { Input::Known(Value::Null) } else { Input::List(self.security_groups) },
            ),
            ("parameter_group".to_string(), self.parameter_group.unwrap_or(Input::Known(Value::Null))),
            ("master_username".to_string(), opt(self.master_username)),
            ("master_password".to_string(), self.master_password.unwrap_or(Input::Known(Value::Null))),
            ("manage_master_password".to_string(), Input::Known(manage)),
            ("port".to_string(), opt(self.port)),
            ("publicly_accessible".to_string(), Input::from(self.publicly_accessible)),
            ("database_name".to_string(), opt(self.database_name)),
            ("replicate_source".to_string(), self.replicate_source.unwrap_or(Input::Known(Value::Null))),
            ("apply_immediately".to_string(), Input::from(self.apply_immediately)),
            ("tags".to_string(), Input::Map(tags)),
        ])
    }
}
