//! `aws:elasticache:CacheCluster`: a Memcached cluster of 1-40 nodes.
//!
//! Memcached keeps nothing at rest, so there is no encryption at rest to turn
//! on; encryption in transit is on by default (Memcached 1.6.12 and later).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticache::types::CacheCluster as Item;
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::naming::{derived_id, id_problem, CACHE_CLUSTER};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Output, Props, ResourceDecl, Stack, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use super::{node_type_problem, tag_list, version_problem, CacheTags};

strata_aws::kind_fields! {
    /// A Memcached cluster.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_elasticache::CacheCluster;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let memcached = stack.add("sessions", CacheCluster::memcached("1.6.22", "cache.t4g.small").nodes(2));
    /// let _ = memcached.configuration_endpoint();
    /// ```
    pub struct CacheCluster: "aws:elasticache:CacheCluster";
    values CacheClusterValues;
    handle CacheClusterHandle / CacheClusterOutputs { arn, configuration_endpoint };
    fields {
        /// An explicit id (1-50 characters); default: derived from stack and logical name.
        cluster_id: str [replace private];
        /// Always `memcached` (Redis is a [`crate::ReplicationGroup`]).
        engine: str [replace private] = "memcached";
        /// The Memcached version.
        engine_version: str [update];
        /// The node type (`cache.t4g.small`).
        node_type: str [replace];
        /// Number of nodes (1-40).
        nodes: int [update] = 1;
        /// Encryption in transit (Memcached 1.6.12 and later).
        transit_encryption: bool [replace] = true;
        /// The cache subnet group's name.
        subnet_group: str [replace];
        /// The security groups.
        security_group_ids: strs [update private];
        /// The weekly maintenance window (`sun:05:00-sun:06:00`).
        maintenance_window: str [update];
        /// The port.
        port: int [replace] = 11211;
    }
}

impl CacheCluster {
    /// A Memcached cluster of one node of this type.
    pub fn memcached(version: &str, node_type: &str) -> Self {
        Self::empty().engine_version(version).node_type(node_type)
    }
    /// An explicit id (1-50 characters); default: derived from stack and logical name.
    pub fn id(self, id: &str) -> Self {
        self.cluster_id(id)
    }
    /// Add a security group.
    pub fn security_group(self, id: impl Into<Arg<String>>) -> Self {
        self.push(V::security_group_ids, id.into().into_input())
    }
}

impl CacheClusterHandle {
    /// The cluster id (the `id` output).
    pub fn cluster_id(&self) -> Output<String> {
        self.id()
    }
}

type V = CacheClusterValues;

/// The kind behind [`CacheCluster`].
pub(crate) struct CacheClusters;

#[async_trait]
impl Kind for CacheClusters {
    type Builder = CacheCluster;
    type Item = Item;
    type Tags = CacheTags;

    const DERIVED: &'static [&'static str] = &[V::cluster_id];
    // moto leaves these out of its answers.
    const UNREPORTED: &'static [&'static str] = &[V::transit_encryption, V::security_group_ids, V::maintenance_window, V::port];

    fn id(c: &Item) -> Option<&str> {
        c.cache_cluster_id()
    }

    fn tag_target(c: &Item) -> Option<String> {
        c.arn().map(str::to_string)
    }

    fn life(c: &Item) -> Life {
        match c.cache_cluster_status() {
            Some("deleting" | "deleted") => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(c: &Item) -> Result<bool, ProviderError> {
        // The SDK's `cache_cluster_available` acceptors.
        const FAILURE: [&str; 4] = ["deleted", "deleting", "incompatible-network", "restore-failed"];
        let what = format!("cache cluster {}", c.cache_cluster_id().unwrap_or("?"));
        strata_aws::accept("DescribeCacheClusters", &what, c.cache_cluster_status(), &["available"], &FAILURE)
    }

    fn observe(c: &Item) -> Seen<CacheCluster> {
        let text = |v: Option<&str>| v.map(str::to_string);
        let mut sgs: Vec<String> = c.security_groups().iter().filter_map(|g| g.security_group_id()).map(str::to_string).collect();
        sgs.sort();
        let endpoint = c.configuration_endpoint();
        let refs = sgs.iter().cloned().chain(text(c.cache_subnet_group_name())).collect();
        let values = V {
            cluster_id: text(c.cache_cluster_id()),
            engine: text(c.engine()),
            engine_version: text(c.engine_version()),
            node_type: text(c.cache_node_type()),
            nodes: c.num_cache_nodes().map(i64::from),
            transit_encryption: c.transit_encryption_enabled(),
            subnet_group: text(c.cache_subnet_group_name()),
            security_group_ids: Some(sgs).filter(|l| !l.is_empty()),
            maintenance_window: text(c.preferred_maintenance_window()),
            port: endpoint.and_then(|e| e.port()).map(i64::from),
            ..V::default()
        };
        let outputs = CacheClusterOutputs { arn: text(c.arn()), configuration_endpoint: text(endpoint.and_then(|e| e.address())) };
        Seen { values, outputs, refs }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let known_str = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        let mut problem = |f: &str, msg: String| out.push(Diagnostic::field(&decl.name, f, msg));
        if let Some(p) = known_str(V::cluster_id).and_then(|id| id_problem(CACHE_CLUSTER, &id)) {
            problem(V::cluster_id, p);
        }
        let version = known_str(V::engine_version).unwrap_or_default();
        if let Some(p) = version_problem("memcached", &version) {
            problem(V::engine_version, p);
        } else if decl.known(V::transit_encryption).and_then(|v| v.as_bool()) == Some(true) && version.starts_with("1.6.6") {
            problem(V::transit_encryption, format!("Memcached {version} has no encryption in transit (1.6.12 and later)"));
        }
        if let Some(p) = known_str(V::node_type).and_then(|t| node_type_problem(&t)) {
            problem(V::node_type, p);
        }
        if let Some(n) = decl.known(V::nodes).and_then(|v| v.as_int()).filter(|n| !(1..=40).contains(n)) {
            problem(V::nodes, format!("{n} is outside 1-40"));
        }
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut(V::security_group_ids) {
            l.sort();
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(6 * 60)
    }

    fn default_timeout(_op: Op) -> Duration {
        Duration::from_secs(40 * 60)
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let all = super::all_cache_clusters(aws, scope).await?;
        // Members of replication groups belong to the group; Redis clusters are not ours here.
        Ok(all.iter().filter(|c| c.replication_group_id().is_none() && c.engine() == Some("memcached")).cloned().collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = crate::client(aws, region).describe_cache_clusters().cache_cluster_id(id).send().await.map_err(err("DescribeCacheClusters"))?;
        Ok(out.cache_clusters().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, CacheCluster>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let salt = format!("{}/{}", v.node_type.as_deref().unwrap_or_default(), v.subnet_group.as_deref().unwrap_or_default());
        let id = v.cluster_id.clone().unwrap_or_else(|| derived_id(CACHE_CLUSTER, &cx.stack, &cx.name, &salt));
        let int = |n: Option<i64>| n.and_then(|n| i32::try_from(n).ok());
        crate::client(aws, &cx.region)
            .create_cache_cluster()
            .cache_cluster_id(&id)
            .set_engine(v.engine.clone())
            .set_engine_version(v.engine_version.clone())
            .set_cache_node_type(v.node_type.clone())
            .set_num_cache_nodes(int(v.nodes))
            .set_transit_encryption_enabled(v.transit_encryption)
            .set_cache_subnet_group_name(v.subnet_group.clone())
            .set_security_group_ids(v.security_group_ids.clone())
            .set_preferred_maintenance_window(v.maintenance_window.clone())
            .set_port(int(v.port))
            .set_tags(Some(tag_list(&v.tags)))
            .send()
            .await
            .map_err(err("CreateCacheCluster"))?;
        // Creating: the kernel waits until it is available.
        Ok(Created::Id(id))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, CacheCluster>, diff: &Diff) -> Result<(), ProviderError> {
        let v = &want.values;
        let mut req = crate::client(aws, &want.cx.region).modify_cache_cluster().cache_cluster_id(&actual.id).apply_immediately(true);
        if diff.changed(V::nodes).is_some() {
            let want_n = v.nodes.unwrap_or(1);
            let have = actual.props.get(V::nodes).and_then(Value::as_int).unwrap_or(want_n);
            req = req.set_num_cache_nodes(i32::try_from(want_n).ok());
            // Removing nodes names them: the highest-numbered go first.
            for n in (want_n + 1)..=have {
                req = req.cache_node_ids_to_remove(format!("{n:04}"));
            }
        }
        if diff.changed(V::engine_version).is_some() {
            req = req.set_engine_version(v.engine_version.clone());
        }
        if diff.changed(V::security_group_ids).is_some() {
            req = req.set_security_group_ids(Some(v.security_group_ids.clone().unwrap_or_default()));
        }
        if diff.changed(V::maintenance_window).is_some() {
            req = req.set_preferred_maintenance_window(v.maintenance_window.clone());
        }
        req.send().await.map(|_| ()).map_err(err("ModifyCacheCluster"))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(aws, &cx.region).delete_cache_cluster().cache_cluster_id(&actual.id).send().await;
        match r.map(|_| ()).map_err(err("DeleteCacheCluster")) {
            // Already being deleted.
            Err(e) if e.code.as_deref() == Some("InvalidCacheClusterState") => Ok(()),
            other => other,
        }
    }
}
