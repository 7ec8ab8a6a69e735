//! `aws:elasticache:ReplicationGroup`: Redis (or Valkey) with cluster mode
//! off: one primary and 0-5 replicas, automatic failover and Multi-AZ,
//! encryption at rest and in transit (both on by default).
//!
//! The engine version, subnet group and security groups live on the member
//! clusters: discovery reads them with one `DescribeCacheClusters` for all
//! groups. Fields AWS does not report (moto lists no member clusters) are not
//! compared.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticache::types::{CacheCluster, ReplicationGroup as SdkGroup};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError};

use super::{node_type_problem, sdk_tags, tags_of, version_problem};
use strata_aws::error::err;
use strata_aws::naming::{derived_id, id_problem, REPLICATION_GROUP};
use strata_aws::props::{str_of, strs};
use strata_aws::Aws;

/// A Redis replication group (cluster mode off).
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::{Subnet, Vpc};
/// use strata_aws_elasticache::{CacheSubnetGroup, ReplicationGroup};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
/// let b = stack.add("cache-b", Subnet::new(vpc.id(), "10.0.31.0/24", "eu-central-1b"));
/// let c = stack.add("cache-c", Subnet::new(vpc.id(), "10.0.32.0/24", "eu-central-1c"));
/// let subnets = stack.add("cache-subnets", CacheSubnetGroup::new([b.id(), c.id()]));
/// let redis = stack.add(
///     "redis",
///     ReplicationGroup::redis("7.0", "cache.m6g.large").replicas(1).subnet_group(subnets.group_name()),
/// );
/// let _ = (redis.primary_endpoint(), redis.reader_endpoint());
/// ```
#[derive(Clone, Debug)]
pub struct ReplicationGroup {
    id: Option<String>,
    description: String,
    engine: String,
    engine_version: String,
    node_type: String,
    replicas: i64,
    automatic_failover: bool,
    multi_az: bool,
    at_rest_encryption: bool,
    transit_encryption: bool,
    kms_key: Option<Input>,
    subnet_group: Option<Input>,
    security_groups: Vec<Input>,
    snapshot_retention_days: i64,
    snapshot_window: Option<String>,
    maintenance_window: Option<String>,
    port: i64,
    tags: BTreeMap<String, Input>,
}

impl ReplicationGroup {
    /// Redis `version` (`7.0`, `7.1`, `6.2`...) on `node_type`, with one
    /// replica, automatic failover and Multi-AZ.
    pub fn redis(version: &str, node_type: &str) -> Self {
        ReplicationGroup {
            id: None,
            description: "Managed by strata".into(),
            engine: "redis".into(),
            engine_version: version.into(),
            node_type: node_type.into(),
            replicas: 1,
            automatic_failover: true,
            multi_az: true,
            at_rest_encryption: true,
            transit_encryption: true,
            kms_key: None,
            subnet_group: None,
            security_groups: Vec::new(),
            snapshot_retention_days: 1,
            snapshot_window: None,
            maintenance_window: None,
            port: 6379,
            tags: BTreeMap::new(),
        }
    }
    /// An explicit id (1-40 characters); default: derived from stack and logical name.
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.into());
        self
    }
    pub fn description(mut self, d: &str) -> Self {
        self.description = d.into();
        self
    }
    /// Read replicas (0-5).
    pub fn replicas(mut self, n: i64) -> Self {
        self.replicas = n;
        self
    }
    pub fn automatic_failover(mut self, on: bool) -> Self {
        self.automatic_failover = on;
        self
    }
    pub fn multi_az(mut self, on: bool) -> Self {
        self.multi_az = on;
        self
    }
    /// Opt out of encryption at rest (the plan warns).
    pub fn unencrypted_at_rest(mut self) -> Self {
        self.at_rest_encryption = false;
        self
    }
    pub fn transit_encryption(mut self, on: bool) -> Self {
        self.transit_encryption = on;
        self
    }
    pub fn kms_key(mut self, key: impl Into<Arg<String>>) -> Self {
        self.kms_key = Some(key.into().into_input());
        self
    }
    pub fn subnet_group(mut self, name: impl Into<Arg<String>>) -> Self {
        self.subnet_group = Some(name.into().into_input());
        self
    }
    pub fn security_group(mut self, id: impl Into<Arg<String>>) -> Self {
        self.security_groups.push(id.into().into_input());
        self
    }
    /// Days of daily snapshots (0-35).
    pub fn snapshot_retention_days(mut self, days: i64) -> Self {
        self.snapshot_retention_days = days;
        self
    }
    pub fn snapshot_window(mut self, w: &str) -> Self {
        self.snapshot_window = Some(w.into());
        self
    }
    pub fn maintenance_window(mut self, w: &str) -> Self {
        self.maintenance_window = Some(w.into());
        self
    }
    pub fn port(mut self, port: i64) -> Self {
        self.port = port;
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`ReplicationGroup`].
    ReplicationGroupHandle { group_id: "id", arn: "arn", primary_endpoint: "primary_endpoint", reader_endpoint: "reader_endpoint", port: "port" }
);

impl Resource for ReplicationGroup {
    const KIND: &'static str = "aws:elasticache:ReplicationGroup";
    type Handle = ReplicationGroupHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let null = || Input::Known(Value::Null);
        BTreeMap::from([
            ("group_id".to_string(), Input::from(self.id)),
            ("description".to_string(), Input::from(self.description)),
            ("engine".to_string(), Input::from(self.engine)),
            ("engine_version".to_string(), Input::from(self.engine_version)),
            ("node_type".to_string(), Input::from(self.node_type)),
            ("replicas".to_string(), Input::from(self.replicas)),
            ("automatic_failover".to_string(), Input::from(self.automatic_failover)),
            ("multi_az".to_string(), Input::from(self.multi_az)),
            ("at_rest_encryption".to_string(), Input::from(self.at_rest_encryption)),
            ("transit_encryption".to_string(), Input::from(self.transit_encryption)),
            ("kms_key_id".to_string(), self.kms_key.unwrap_or_else(null)),
            ("subnet_group".to_string(), self.subnet_group.unwrap_or_else(null)),
            (
                "security_group_ids".to_string(),
                if self.security_groups.is_empty() { null() } else { Input::List(self.security_groups) },
            ),
            ("snapshot_retention".to_string(), Input::from(self.snapshot_retention_days)),
            ("snapshot_window".to_string(), Input::from(self.snapshot_window)),
            ("maintenance_window".to_string(), Input::from(self.maintenance_window)),
            ("port".to_string(), Input::from(self.port)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct ReplicationGroupProvider {
    pub(crate) aws: Aws,
}

/// Fields that come from member clusters or are not always reported.
const MAY_BE_UNREPORTED: &[&str] =
    &["engine_version", "subnet_group", "security_group_ids", "kms_key_id", "maintenance_window", "port", "snapshot_window"];

fn observe(region: &str, g: &SdkGroup, member: Option<&CacheCluster>, tags: Tags) -> Observed {
    let id = g.replication_group_id().unwrap_or_default();
    let s = |v: Option<&str>| v.map(Value::str).unwrap_or(Value::Null);
    let node_group = g.node_groups().first();
    let primary = node_group.and_then(|n| n.primary_endpoint());
    let members = g.member_clusters().len() as i64;
    let mut props = Props::from([
        ("group_id".into(), Value::str(id)),
        ("description".into(), s(g.description())),
        ("engine".into(), Value::str(g.engine().unwrap_or("redis"))),
        ("node_type".into(), s(g.cache_node_type())),
        ("replicas".into(), Value::Int((members - 1).max(0))),
        (
            "automatic_failover".into(),
            Value::Bool(matches!(g.automatic_failover().map(|a| a.as_str()), Some("enabled" | "enabling"))),
        ),
        ("multi_az".into(), Value::Bool(matches!(g.multi_az().map(|a| a.as_str()), Some("enabled")))),
        ("at_rest_encryption".into(), Value::Bool(g.at_rest_encryption_enabled().unwrap_or(false))),
        ("transit_encryption".into(), Value::Bool(g.transit_encryption_enabled().unwrap_or(false))),
        ("kms_key_id".into(), s(g.kms_key_id())),
        ("snapshot_retention".into(), g.snapshot_retention_limit().map(|n| Value::Int(n.into())).unwrap_or(Value::Null)),
        ("snapshot_window".into(), s(g.snapshot_window())),
        ("port".into(), primary.and_then(|p| p.port()).map(|p| Value::Int(p.into())).unwrap_or(Value::Null)),
        ("tags".into(), Value::from_tags(&tags)),
    ]);
    let mut refs = Vec::new();
    if let Some(m) = member {
        let mut sgs: Vec<Value> = m.security_groups().iter().filter_map(|g| g.security_group_id()).map(Value::str).collect();
        sgs.sort();
        refs.extend(sgs.iter().filter_map(|v| v.as_str().map(str::to_string)));
        refs.extend(m.cache_subnet_group_name().map(str::to_string));
        props.insert("engine_version".into(), s(m.engine_version()));
        props.insert("subnet_group".into(), s(m.cache_subnet_group_name()));
        props.insert("security_group_ids".into(), Value::List(sgs));
        props.insert("maintenance_window".into(), s(m.preferred_maintenance_window()));
    }
    let mut o = Observed::new(ReplicationGroup::KIND, id, region);
    o.props = props;
    o.refs = refs;
    o.outputs = Props::from([
        ("id".into(), Value::str(id)),
        ("arn".into(), s(g.arn())),
        ("primary_endpoint".into(), s(primary.and_then(|p| p.address()))),
        ("reader_endpoint".into(), s(node_group.and_then(|n| n.reader_endpoint()).and_then(|p| p.address()))),
        ("port".into(), primary.and_then(|p| p.port()).map(|p| Value::Str(p.to_string())).unwrap_or(Value::Null)),
    ]);
    o
}

impl ReplicationGroupProvider {
    /// The group, unless it is being deleted (then it is as good as gone).
    async fn describe(&self, region: &str, id: &str) -> Result<Option<SdkGroup>, ProviderError> {
        Ok(self.describe_any(region, id).await?.filter(|g| g.status() != Some("deleting")))
    }

    /// The group in whatever state it is.
    async fn describe_any(&self, region: &str, id: &str) -> Result<Option<SdkGroup>, ProviderError> {
        match crate::client(&self.aws, region).describe_replication_groups().replication_group_id(id).send().await {
            Ok(o) => Ok(o.replication_groups().first().cloned()),
            Err(e) => strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeReplicationGroups", e)),
        }
    }

    /// The first member cluster of a group, if AWS lists it.
    async fn member(&self, region: &str, g: &SdkGroup) -> Result<Option<CacheCluster>, ProviderError> {
        let Some(first) = g.member_clusters().first() else { return Ok(None) };
        match crate::client(&self.aws, region).describe_cache_clusters().cache_cluster_id(first).send().await {
            Ok(o) => Ok(o.cache_clusters().first().cloned()),
            Err(e) => strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeCacheClusters", e)),
        }
    }

    async fn wait_available(&self, cx: &OpContext, id: &str) -> Result<SdkGroup, ProviderError> {
        let what = format!("replication group {id} to become available");
        wait_until(&what, cx.timeout, cx.poll, || async {
            // In any state (`describe` hides groups being deleted): a deleting group fails the wait at once.
            let Some(g) = self.describe_any(&cx.region, id).await? else {
                return Err(ProviderError::new(ErrorClass::NotFoundYet, "DescribeReplicationGroups", format!("{id} not visible yet")));
            };
            // The SDK's `replication_group_available` acceptors (deleted), and the states no group leaves by itself.
            const FAILURE: [&str; 3] = ["deleted", "deleting", "create-failed"];
            let done = strata_aws::accept("DescribeReplicationGroups", &format!("replication group {id}"), g.status(), &["available"], &FAILURE)?;
            Ok(done.then_some(g))
        })
        .await
    }
}

#[async_trait]
impl Provider for ReplicationGroupProvider {
    fn kind(&self) -> &'static str {
        ReplicationGroup::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["group_id", "engine", "at_rest_encryption", "transit_encryption", "kms_key_id", "subnet_group", "port"]
    }

    fn validate(&self, decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let known_str = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        let known_int = |f: &str| decl.known(f).and_then(|v| v.as_int());
        let known_bool = |f: &str| decl.known(f).and_then(|v| v.as_bool());
        let mut problem = |f: &str, msg: String| out.push(Diagnostic::field(&decl.name, f, msg));
        if let Some(id) = known_str("group_id") {
            if let Some(p) = id_problem(REPLICATION_GROUP, &id) {
                problem("group_id", p);
            }
        }
        if let (Some(e), Some(v)) = (known_str("engine"), known_str("engine_version")) {
            if let Some(p) = version_problem(&e, &v) {
                problem("engine_version", p);
            }
        }
        if let Some(p) = known_str("node_type").and_then(|t| node_type_problem(&t)) {
            problem("node_type", p);
        }
        let replicas = known_int("replicas").unwrap_or(0);
        if !(0..=5).contains(&replicas) {
            problem("replicas", format!("{replicas} is outside 0-5"));
        }
        if known_bool("automatic_failover") == Some(true) && replicas == 0 {
            problem("automatic_failover", "automatic failover needs at least one replica".into());
        }
        if known_bool("multi_az") == Some(true) && known_bool("automatic_failover") == Some(false) {
            problem("multi_az", "Multi-AZ needs automatic failover".into());
        }
        if let Some(d) = known_int("snapshot_retention") {
            if !(0..=35).contains(&d) {
                problem("snapshot_retention", format!("{d} days is outside 0-35"));
            }
        }
        if let Some(p) = known_int("port") {
            if !(1024..=65535).contains(&p) {
                problem("port", format!("{p} is outside 1024-65535"));
            }
        }
        if known_bool("at_rest_encryption") == Some(false) && !matches!(decl.inputs.get("kms_key_id"), None | Some(Input::Known(Value::Null))) {
            problem("kms_key_id", "a KMS key is set but encryption at rest is off".into());
        }
        if let Some(g @ Input::Output(_)) = decl.inputs.get("subnet_group") {
            if let Some(azs) = strata_aws::props::subnet_group_azs(stack, g) {
                if known_bool("multi_az") == Some(true) && azs.len() < 2 {
                    problem("subnet_group", "Multi-AZ needs a subnet group with subnets in two AZs".into());
                }
            }
        }
    }

    fn validate_all(&self, decls: &[&ResourceDecl], _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut seen = BTreeMap::new();
        for d in decls {
            if let Some(n) = d.known("group_id").and_then(|v| v.as_str().map(str::to_ascii_lowercase)) {
                if let Some(other) = seen.insert(n.clone(), d.name.clone()) {
                    out.push(Diagnostic::field(&d.name, "group_id", format!("{n:?} is also the id of {other}")));
                }
            }
        }
    }

    fn warnings(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if decl.known("at_rest_encryption").and_then(|v| v.as_bool()) == Some(false) {
            out.push(Diagnostic::field(&decl.name, "at_rest_encryption", "encryption at rest is turned off"));
        }
    }

    fn normalize(&self, props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut("security_group_ids") {
            l.sort();
        }
        if let Some(Value::Str(id)) = props.get_mut("group_id") {
            *id = id.to_ascii_lowercase();
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let want = super::comparable(desired, actual, MAY_BE_UNREPORTED, "group_id");
        let mut have = actual.props.clone();
        if let (Some(w), Some(h)) = (want.get("engine_version").and_then(Value::as_str), have.get("engine_version").and_then(Value::as_str)) {
            if h.starts_with(&format!("{w}.")) {
                have.insert("engine_version".into(), Value::str(w));
            }
        }
        strata_engine::diff_with_derived(&want, &have, self.replace_fields(), &["group_id"])
    }

    fn estimate(&self, op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(10 * 60),
            _ => Duration::from_secs(6 * 60),
        }
    }

    fn default_timeout(&self, op: Op) -> Duration {
        match op {
            Op::Create | Op::Update => Duration::from_secs(60 * 60),
            Op::Delete => Duration::from_secs(40 * 60),
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let c = crate::client(&self.aws, &scope.region);
        let groups = c
            .describe_replication_groups()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeReplicationGroups"))?;
        let mut owned = Vec::new();
        for g in groups.iter().filter(|g| g.status() != Some("deleting")) {
            let t = tags_of(&self.aws, &scope.region, g.arn().unwrap_or_default()).await?;
            if t.get(tags::STACK) == Some(&scope.stack) {
                owned.push((g, t));
            }
        }
        if owned.is_empty() {
            return Ok(Vec::new());
        }
        // One call for the member clusters of every group.
        let clusters = super::all_cache_clusters(&self.aws, scope).await?;
        Ok(owned
            .into_iter()
            .map(|(g, t)| {
                let member = clusters.iter().find(|m| m.replication_group_id().is_some() && m.replication_group_id() == g.replication_group_id());
                observe(&scope.region, g, member, t)
            })
            .collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let Some(g) = self.describe(region, id).await? else { return Ok(None) };
        let t = tags_of(&self.aws, region, g.arn().unwrap_or_default()).await?;
        let member = self.member(region, &g).await?;
        Ok(Some(observe(region, &g, member.as_ref(), t)))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let salt = format!("{}/{}", str_of(desired, "engine").unwrap_or_default(), str_of(desired, "kms_key_id").unwrap_or_default());
        let id = str_of(desired, "group_id").unwrap_or_else(|| derived_id(REPLICATION_GROUP, &cx.stack, &cx.name, &salt));
        let int = |k: &str| desired.get(k).and_then(Value::as_int).and_then(|n| i32::try_from(n).ok());
        let boolean = |k: &str| desired.get(k).and_then(Value::as_bool);
        crate::client(&self.aws, &cx.region)
            .create_replication_group()
            .replication_group_id(&id)
            .replication_group_description(str_of(desired, "description").unwrap_or_default())
            .set_engine(str_of(desired, "engine"))
            .set_engine_version(str_of(desired, "engine_version"))
            .set_cache_node_type(str_of(desired, "node_type"))
            .num_node_groups(1)
            .set_replicas_per_node_group(int("replicas"))
            .set_automatic_failover_enabled(boolean("automatic_failover"))
            .set_multi_az_enabled(boolean("multi_az"))
            .set_at_rest_encryption_enabled(boolean("at_rest_encryption"))
            .set_transit_encryption_enabled(boolean("transit_encryption"))
            .set_kms_key_id(str_of(desired, "kms_key_id"))
            .set_cache_subnet_group_name(str_of(desired, "subnet_group"))
            .set_security_group_ids(Some(strs(desired, "security_group_ids")).filter(|l| !l.is_empty()))
            .set_snapshot_retention_limit(int("snapshot_retention"))
            .set_snapshot_window(str_of(desired, "snapshot_window"))
            .set_preferred_maintenance_window(str_of(desired, "maintenance_window"))
            .set_port(int("port"))
            .set_tags(Some(sdk_tags(desired)))
            .send()
            .await
            .map_err(err("CreateReplicationGroup"))?;
        let g = self.wait_available(cx, &id).await?;
        let member = self.member(&cx.region, &g).await?;
        Ok(observe(&cx.region, &g, member.as_ref(), strata_aws::desired_tags(desired)))
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            super::sync_tags(&self.aws, cx, actual, desired).await?;
        }
        let changed = |f: &str| diff.changed(f).is_some();
        let int = |k: &str| desired.get(k).and_then(Value::as_int).and_then(|n| i32::try_from(n).ok());
        let boolean = |k: &str| desired.get(k).and_then(Value::as_bool);
        if changed("replicas") {
            let want = int("replicas").unwrap_or(0);
            let have = actual.props.get("replicas").and_then(Value::as_int).unwrap_or(0);
            if i64::from(want) > have {
                c.increase_replica_count()
                    .replication_group_id(&actual.id)
                    .new_replica_count(want)
                    .apply_immediately(true)
                    .send()
                    .await
                    .map_err(err("IncreaseReplicaCount"))?;
            } else {
                c.decrease_replica_count()
                    .replication_group_id(&actual.id)
                    .new_replica_count(want)
                    .apply_immediately(true)
                    .send()
                    .await
                    .map_err(err("DecreaseReplicaCount"))?;
            }
            self.wait_available(cx, &actual.id).await?;
        }
        let fields = [
            "description",
            "engine_version",
            "node_type",
            "automatic_failover",
            "multi_az",
            "security_group_ids",
            "snapshot_retention",
            "snapshot_window",
            "maintenance_window",
        ];
        if fields.iter().any(|f| changed(f)) {
            let mut req = c.modify_replication_group().replication_group_id(&actual.id).apply_immediately(true);
            if changed("description") {
                req = req.set_replication_group_description(str_of(desired, "description"));
            }
            if changed("engine_version") {
                req = req.set_engine_version(str_of(desired, "engine_version"));
            }
            if changed("node_type") {
                req = req.set_cache_node_type(str_of(desired, "node_type"));
            }
            if changed("automatic_failover") || changed("multi_az") {
                req = req.set_automatic_failover_enabled(boolean("automatic_failover")).set_multi_az_enabled(boolean("multi_az"));
            }
            if changed("security_group_ids") {
                req = req.set_security_group_ids(Some(strs(desired, "security_group_ids")));
            }
            if changed("snapshot_retention") {
                req = req.set_snapshot_retention_limit(int("snapshot_retention"));
            }
            if changed("snapshot_window") {
                req = req.set_snapshot_window(str_of(desired, "snapshot_window"));
            }
            if changed("maintenance_window") {
                req = req.set_preferred_maintenance_window(str_of(desired, "maintenance_window"));
            }
            req.send().await.map_err(err("ModifyReplicationGroup"))?;
        }
        let g = self.wait_available(cx, &actual.id).await?;
        let member = self.member(&cx.region, &g).await?;
        Ok(observe(&cx.region, &g, member.as_ref(), strata_aws::desired_tags(desired)))
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_replication_group().replication_group_id(&actual.id).send().await;
        match r.map(|_| ()).map_err(err("DeleteReplicationGroup")) {
            // Already deleting.
            Err(e) if e.code.as_deref() == Some("InvalidReplicationGroupState") => Ok(()),
            other => strata_aws::gone_ok(other),
        }
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        super::set_tags(&self.aws, cx, actual, add, remove).await
    }
}
