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
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::naming::{derived_id, id_problem, REPLICATION_GROUP};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, Output, Props, ResourceDecl, Stack, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use super::{node_type_problem, tag_list, version_problem, CacheTags};

strata_aws::kind_fields! {
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
    pub struct ReplicationGroup: "aws:elasticache:ReplicationGroup";
    values ReplicationGroupValues;
    handle ReplicationGroupHandle / ReplicationGroupOutputs { arn, primary_endpoint, reader_endpoint, port };
    fields {
        /// An explicit id (1-40 characters); default: derived from stack and logical name.
        group_id: str [replace private];
        /// The group's description.
        description: str [update] = "Managed by strata";
        /// `redis` (or `valkey`).
        engine: str [replace private] = "redis";
        /// The engine version (`7.0` matches any `7.0.x`).
        engine_version: str [update];
        /// The node type (`cache.m6g.large`).
        node_type: str [update];
        /// Read replicas (0-5).
        replicas: int [update] = 1;
        /// Automatic failover to a replica.
        automatic_failover: bool [update] = true;
        /// Replicas in other AZs than the primary.
        multi_az: bool [update] = true;
        /// Encryption at rest (see [`ReplicationGroup::unencrypted_at_rest`]).
        at_rest_encryption: bool [replace private] = true;
        /// Encryption in transit.
        transit_encryption: bool [replace] = true;
        /// The KMS key that encrypts at rest (default: AWS's own key).
        kms_key_id: str [replace private];
        /// The cache subnet group's name.
        subnet_group: str [replace];
        /// The security groups.
        security_group_ids: strs [update private];
        /// Days of daily snapshots (0-35).
        snapshot_retention: int [update private] = 1;
        /// The daily snapshot window (`03:00-04:00`).
        snapshot_window: str [update];
        /// The weekly maintenance window (`sun:05:00-sun:06:00`).
        maintenance_window: str [update];
        /// The port (1024-65535).
        port: int [replace] = 6379;
    }
}

impl ReplicationGroup {
    /// Redis `version` (`7.0`, `7.1`, `6.2`...) on `node_type`, with one
    /// replica, automatic failover and Multi-AZ.
    pub fn redis(version: &str, node_type: &str) -> Self {
        Self::empty().engine_version(version).node_type(node_type)
    }
    /// An explicit id (1-40 characters); default: derived from stack and logical name.
    pub fn id(self, id: &str) -> Self {
        self.group_id(id)
    }
    /// Opt out of encryption at rest (the plan warns).
    pub fn unencrypted_at_rest(self) -> Self {
        self.at_rest_encryption(false)
    }
    /// Encrypt at rest with this KMS key.
    pub fn kms_key(self, key: impl Into<Arg<String>>) -> Self {
        self.kms_key_id(key)
    }
    /// Add a security group.
    pub fn security_group(self, id: impl Into<Arg<String>>) -> Self {
        self.push(V::security_group_ids, id.into().into_input())
    }
    /// Days of daily snapshots (0-35).
    pub fn snapshot_retention_days(self, days: i64) -> Self {
        self.snapshot_retention(days)
    }
}

impl ReplicationGroupHandle {
    /// The group id (the `id` output).
    pub fn group_id(&self) -> Output<String> {
        self.id()
    }
}

type V = ReplicationGroupValues;

/// The kind behind [`ReplicationGroup`].
pub(crate) struct ReplicationGroups;

/// A group with its first member cluster, which holds the engine version,
/// subnet group and security groups (moto lists no members).
pub(crate) struct Item(SdkGroup, Option<CacheCluster>);

/// The SDK's `replication_group_available` acceptors (deleted), and the states no group leaves by itself.
fn available(g: &SdkGroup) -> Result<bool, ProviderError> {
    const FAILURE: [&str; 3] = ["deleted", "deleting", "create-failed"];
    let what = format!("replication group {}", g.replication_group_id().unwrap_or("?"));
    strata_aws::accept("DescribeReplicationGroups", &what, g.status(), &["available"], &FAILURE)
}

async fn describe(aws: &Aws, region: &str, id: &str) -> Result<Option<SdkGroup>, ProviderError> {
    let out = crate::client(aws, region).describe_replication_groups().replication_group_id(id).send().await;
    Ok(out.map_err(err("DescribeReplicationGroups"))?.replication_groups().first().cloned())
}

/// Wait between two changes of one update.
async fn wait_available(aws: &Aws, cx: &OpContext, id: &str) -> Result<(), ProviderError> {
    let what = format!("replication group {id} (`{}`) to become available", cx.name);
    wait_until(&what, cx.timeout, cx.poll, || async {
        Ok(match describe(aws, &cx.region, id).await? {
            Some(g) if available(&g)? => Some(()),
            _ => None,
        })
    })
    .await
}

#[async_trait]
impl Kind for ReplicationGroups {
    type Builder = ReplicationGroup;
    type Item = Item;
    type Tags = CacheTags;

    const DERIVED: &'static [&'static str] = &[V::group_id];
    // From the member clusters, or not always reported.
    const UNREPORTED: &'static [&'static str] =
        &[V::engine_version, V::subnet_group, V::security_group_ids, V::kms_key_id, V::maintenance_window, V::port, V::snapshot_window];

    fn id(i: &Item) -> Option<&str> {
        i.0.replication_group_id()
    }

    fn tag_target(i: &Item) -> Option<String> {
        i.0.arn().map(str::to_string)
    }

    fn life(i: &Item) -> Life {
        if matches!(i.0.status(), Some("deleting" | "deleted")) { Life::Leaving } else { Life::Live }
    }

    fn settled(i: &Item) -> Result<bool, ProviderError> {
        available(&i.0)
    }

    fn observe(Item(g, member): &Item) -> Seen<ReplicationGroup> {
        let text = |v: Option<&str>| v.map(str::to_string);
        let node_group = g.node_groups().first();
        let primary = node_group.and_then(|n| n.primary_endpoint());
        let mut values = V {
            group_id: text(g.replication_group_id()),
            description: text(g.description()),
            engine: Some(g.engine().unwrap_or("redis").to_string()),
            node_type: text(g.cache_node_type()),
            replicas: Some((g.member_clusters().len() as i64 - 1).max(0)),
            automatic_failover: Some(matches!(g.automatic_failover().map(|a| a.as_str()), Some("enabled" | "enabling"))),
            multi_az: Some(matches!(g.multi_az().map(|a| a.as_str()), Some("enabled"))),
            at_rest_encryption: Some(g.at_rest_encryption_enabled().unwrap_or(false)),
            transit_encryption: Some(g.transit_encryption_enabled().unwrap_or(false)),
            kms_key_id: text(g.kms_key_id()),
            snapshot_retention: g.snapshot_retention_limit().map(i64::from),
            snapshot_window: text(g.snapshot_window()),
            port: primary.and_then(|p| p.port()).map(i64::from),
            ..V::default()
        };
        let mut refs = Vec::new();
        if let Some(m) = member {
            let mut sgs: Vec<String> = m.security_groups().iter().filter_map(|g| g.security_group_id()).map(str::to_string).collect();
            sgs.sort();
            refs.extend(sgs.iter().cloned().chain(text(m.cache_subnet_group_name())));
            values.engine_version = text(m.engine_version());
            values.subnet_group = text(m.cache_subnet_group_name());
            values.security_group_ids = Some(sgs);
            values.maintenance_window = text(m.preferred_maintenance_window());
        }
        let outputs = ReplicationGroupOutputs {
            arn: text(g.arn()),
            primary_endpoint: text(primary.and_then(|p| p.address())),
            reader_endpoint: text(node_group.and_then(|n| n.reader_endpoint()).and_then(|p| p.address())),
            port: primary.and_then(|p| p.port()).map(|p| p.to_string()),
        };
        Seen { values, outputs, refs }
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let known_str = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        let known_int = |f: &str| decl.known(f).and_then(|v| v.as_int());
        let known_bool = |f: &str| decl.known(f).and_then(|v| v.as_bool());
        let mut problem = |f: &str, msg: String| out.push(Diagnostic::field(&decl.name, f, msg));
        if let Some(p) = known_str(V::group_id).and_then(|id| id_problem(REPLICATION_GROUP, &id)) {
            problem(V::group_id, p);
        }
        if let Some(p) = known_str(V::engine).zip(known_str(V::engine_version)).and_then(|(e, v)| version_problem(&e, &v)) {
            problem(V::engine_version, p);
        }
        if let Some(p) = known_str(V::node_type).and_then(|t| node_type_problem(&t)) {
            problem(V::node_type, p);
        }
        let replicas = known_int(V::replicas).unwrap_or(0);
        if !(0..=5).contains(&replicas) {
            problem(V::replicas, format!("{replicas} is outside 0-5"));
        }
        if known_bool(V::automatic_failover) == Some(true) && replicas == 0 {
            problem(V::automatic_failover, "automatic failover needs at least one replica".into());
        }
        if known_bool(V::multi_az) == Some(true) && known_bool(V::automatic_failover) == Some(false) {
            problem(V::multi_az, "Multi-AZ needs automatic failover".into());
        }
        if let Some(d) = known_int(V::snapshot_retention).filter(|d| !(0..=35).contains(d)) {
            problem(V::snapshot_retention, format!("{d} days is outside 0-35"));
        }
        if let Some(p) = known_int(V::port).filter(|p| !(1024..=65535).contains(p)) {
            problem(V::port, format!("{p} is outside 1024-65535"));
        }
        if known_bool(V::at_rest_encryption) == Some(false) && !matches!(decl.inputs.get(V::kms_key_id), None | Some(Input::Known(Value::Null))) {
            problem(V::kms_key_id, "a KMS key is set but encryption at rest is off".into());
        }
        if let Some(g @ Input::Output(_)) = decl.inputs.get(V::subnet_group) {
            let azs = strata_aws::props::subnet_group_azs(stack, g);
            if known_bool(V::multi_az) == Some(true) && azs.is_some_and(|azs| azs.len() < 2) {
                problem(V::subnet_group, "Multi-AZ needs a subnet group with subnets in two AZs".into());
            }
        }
    }

    fn validate_all(decls: &[&ResourceDecl], _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut seen = BTreeMap::new();
        for d in decls {
            if let Some(n) = d.known(V::group_id).and_then(|v| v.as_str().map(str::to_ascii_lowercase)) {
                if let Some(other) = seen.insert(n.clone(), d.name.clone()) {
                    out.push(Diagnostic::field(&d.name, V::group_id, format!("{n:?} is also the id of {other}")));
                }
            }
        }
    }

    fn warnings(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if decl.known(V::at_rest_encryption).and_then(|v| v.as_bool()) == Some(false) {
            out.push(Diagnostic::field(&decl.name, V::at_rest_encryption, "encryption at rest is turned off"));
        }
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut(V::security_group_ids) {
            l.sort();
        }
        if let Some(Value::Str(id)) = props.get_mut(V::group_id) {
            *id = id.to_ascii_lowercase();
        }
    }

    fn reconcile(want: &Props, have: &mut Props) {
        // `7.0` asks for any `7.0.x`.
        let (Some(w), Some(h)) = (want.get(V::engine_version).and_then(Value::as_str), have.get(V::engine_version).and_then(Value::as_str)) else { return };
        if h.starts_with(&format!("{w}.")) {
            have.insert(V::engine_version.into(), Value::str(w));
        }
    }

    fn estimate(op: Op) -> Duration {
        Duration::from_secs(if op == Op::Create { 10 * 60 } else { 6 * 60 })
    }

    fn default_timeout(op: Op) -> Duration {
        Duration::from_secs(if op == Op::Delete { 40 * 60 } else { 60 * 60 })
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let pages = crate::client(aws, &scope.region).describe_replication_groups().into_paginator().items().send();
        let groups = strata_aws::error::all_pages(pages, "DescribeReplicationGroups").await?;
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        // One call for the member clusters of every group (shared with the cache cluster kind).
        let clusters = super::all_cache_clusters(aws, scope).await?;
        let member = |g: &SdkGroup| clusters.iter().find(|m| m.replication_group_id().is_some() && m.replication_group_id() == g.replication_group_id()).cloned();
        Ok(groups.into_iter().map(|g| Item(g.clone(), member(&g))).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let Some(g) = describe(aws, region, id).await? else { return Ok(None) };
        let Some(first) = g.member_clusters().first() else { return Ok(Some(Item(g, None))) };
        let out = crate::client(aws, region).describe_cache_clusters().cache_cluster_id(first).send().await;
        let member = strata_aws::unless_gone(out.map_err(err("DescribeCacheClusters")))?.and_then(|o| o.cache_clusters().first().cloned());
        Ok(Some(Item(g, member)))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, ReplicationGroup>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let salt = format!("{}/{}", v.engine.as_deref().unwrap_or_default(), v.kms_key_id.as_deref().unwrap_or_default());
        let id = v.group_id.clone().unwrap_or_else(|| derived_id(REPLICATION_GROUP, &cx.stack, &cx.name, &salt));
        let int = |n: Option<i64>| n.and_then(|n| i32::try_from(n).ok());
        crate::client(aws, &cx.region)
            .create_replication_group()
            .replication_group_id(&id)
            .set_replication_group_description(v.description.clone())
            .set_engine(v.engine.clone())
            .set_engine_version(v.engine_version.clone())
            .set_cache_node_type(v.node_type.clone())
            .num_node_groups(1)
            .set_replicas_per_node_group(int(v.replicas))
            .set_automatic_failover_enabled(v.automatic_failover)
            .set_multi_az_enabled(v.multi_az)
            .set_at_rest_encryption_enabled(v.at_rest_encryption)
            .set_transit_encryption_enabled(v.transit_encryption)
            .set_kms_key_id(v.kms_key_id.clone())
            .set_cache_subnet_group_name(v.subnet_group.clone())
            .set_security_group_ids(v.security_group_ids.clone())
            .set_snapshot_retention_limit(int(v.snapshot_retention))
            .set_snapshot_window(v.snapshot_window.clone())
            .set_preferred_maintenance_window(v.maintenance_window.clone())
            .set_port(int(v.port))
            .set_tags(Some(tag_list(&v.tags)))
            .send()
            .await
            .map_err(err("CreateReplicationGroup"))?;
        // Creating: the kernel waits until it is available.
        Ok(Created::Id(id))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, ReplicationGroup>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let c = crate::client(aws, &cx.region);
        let changed = |f: &str| diff.changed(f).is_some();
        let int = |n: Option<i64>| n.and_then(|n| i32::try_from(n).ok());
        if changed(V::replicas) {
            let (new, have) = (int(v.replicas).unwrap_or(0), actual.props.get(V::replicas).and_then(Value::as_int).unwrap_or(0));
            if i64::from(new) > have {
                let r = c.increase_replica_count().replication_group_id(&actual.id).new_replica_count(new).apply_immediately(true).send().await;
                r.map_err(err("IncreaseReplicaCount"))?;
            } else {
                let r = c.decrease_replica_count().replication_group_id(&actual.id).new_replica_count(new).apply_immediately(true).send().await;
                r.map_err(err("DecreaseReplicaCount"))?;
            }
            wait_available(aws, cx, &actual.id).await?;
        }
        let mut req = c.modify_replication_group().replication_group_id(&actual.id).apply_immediately(true);
        let mut any = false;
        macro_rules! set {
            ($field:expr, $setter:ident, $value:expr) => {
                if changed($field) {
                    req = req.$setter($value);
                    any = true;
                }
            };
        }
        set!(V::description, set_replication_group_description, v.description.clone());
        set!(V::engine_version, set_engine_version, v.engine_version.clone());
        set!(V::node_type, set_cache_node_type, v.node_type.clone());
        if changed(V::automatic_failover) || changed(V::multi_az) {
            req = req.set_automatic_failover_enabled(v.automatic_failover).set_multi_az_enabled(v.multi_az);
            any = true;
        }
        set!(V::security_group_ids, set_security_group_ids, Some(v.security_group_ids.clone().unwrap_or_default()));
        set!(V::snapshot_retention, set_snapshot_retention_limit, int(v.snapshot_retention));
        set!(V::snapshot_window, set_snapshot_window, v.snapshot_window.clone());
        set!(V::maintenance_window, set_preferred_maintenance_window, v.maintenance_window.clone());
        if any {
            req.send().await.map_err(err("ModifyReplicationGroup"))?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(aws, &cx.region).delete_replication_group().replication_group_id(&actual.id).send().await;
        match r.map(|_| ()).map_err(err("DeleteReplicationGroup")) {
            // Already deleting.
            Err(e) if e.code.as_deref() == Some("InvalidReplicationGroupState") => Ok(()),
            other => other,
        }
    }
}
