//! `aws:elasticache:CacheCluster`: a Memcached cluster of 1-40 nodes.
//!
//! Memcached keeps nothing at rest, so there is no encryption at rest to turn
//! on; encryption in transit is on by default (Memcached 1.6.12 and later).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticache::types::CacheCluster as SdkCluster;
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError};

use super::{node_type_problem, sdk_tags, tags_of, version_problem};
use strata_aws::error::err;
use strata_aws::naming::{derived_id, id_problem, CACHE_CLUSTER};
use strata_aws::props::{str_of, strs};
use strata_aws::Aws;

/// A Memcached cluster.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_elasticache::CacheCluster;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let memcached = stack.add("sessions", CacheCluster::memcached("1.6.22", "cache.t4g.small").nodes(2));
/// let _ = memcached.configuration_endpoint();
/// ```
#[derive(Clone, Debug)]
pub struct CacheCluster {
    id: Option<String>,
    engine_version: String,
    node_type: String,
    nodes: i64,
    transit_encryption: bool,
    subnet_group: Option<Input>,
    security_groups: Vec<Input>,
    maintenance_window: Option<String>,
    port: i64,
    tags: BTreeMap<String, Input>,
}

impl CacheCluster {
    pub fn memcached(version: &str, node_type: &str) -> Self {
        CacheCluster {
            id: None,
            engine_version: version.into(),
            node_type: node_type.into(),
            nodes: 1,
            transit_encryption: true,
            subnet_group: None,
            security_groups: Vec::new(),
            maintenance_window: None,
            port: 11211,
            tags: BTreeMap::new(),
        }
    }
    /// An explicit id (1-50 characters); default: derived from stack and logical name.
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.into());
        self
    }
    /// Number of nodes (1-40).
    pub fn nodes(mut self, n: i64) -> Self {
        self.nodes = n;
        self
    }
    pub fn transit_encryption(mut self, on: bool) -> Self {
        self.transit_encryption = on;
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
    /// Outputs of a [`CacheCluster`].
    CacheClusterHandle { cluster_id: "id", arn: "arn", configuration_endpoint: "configuration_endpoint" }
);

impl Resource for CacheCluster {
    const KIND: &'static str = "aws:elasticache:CacheCluster";
    type Handle = CacheClusterHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let null = || Input::Known(Value::Null);
        BTreeMap::from([
            ("cluster_id".to_string(), Input::from(self.id)),
            ("engine".to_string(), Input::from("memcached")),
            ("engine_version".to_string(), Input::from(self.engine_version)),
            ("node_type".to_string(), Input::from(self.node_type)),
            ("nodes".to_string(), Input::from(self.nodes)),
            ("transit_encryption".to_string(), Input::from(self.transit_encryption)),
            ("subnet_group".to_string(), self.subnet_group.unwrap_or_else(null)),
            (
                "security_group_ids".to_string(),
                if self.security_groups.is_empty() { null() } else { Input::List(self.security_groups) },
            ),
            ("maintenance_window".to_string(), Input::from(self.maintenance_window)),
            ("port".to_string(), Input::from(self.port)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct CacheClusterProvider {
    pub(crate) aws: Aws,
}

/// Fields AWS may leave out of a describe (moto does).
const MAY_BE_UNREPORTED: &[&str] = &["transit_encryption", "security_group_ids", "maintenance_window", "port"];

fn observe(region: &str, c: &SdkCluster, tags: Tags) -> Observed {
    let id = c.cache_cluster_id().unwrap_or_default();
    let s = |v: Option<&str>| v.map(Value::str).unwrap_or(Value::Null);
    let mut sgs: Vec<Value> = c.security_groups().iter().filter_map(|g| g.security_group_id()).map(Value::str).collect();
    sgs.sort();
    let endpoint = c.configuration_endpoint();
    let mut o = Observed::new(CacheCluster::KIND, id, region);
    o.refs = sgs.iter().filter_map(|v| v.as_str().map(str::to_string)).chain(c.cache_subnet_group_name().map(str::to_string)).collect();
    o.props = Props::from([
        ("cluster_id".into(), Value::str(id)),
        ("engine".into(), s(c.engine())),
        ("engine_version".into(), s(c.engine_version())),
        ("node_type".into(), s(c.cache_node_type())),
        ("nodes".into(), c.num_cache_nodes().map(|n| Value::Int(n.into())).unwrap_or(Value::Null)),
        ("transit_encryption".into(), c.transit_encryption_enabled().map(Value::Bool).unwrap_or(Value::Null)),
        ("subnet_group".into(), s(c.cache_subnet_group_name())),
        ("security_group_ids".into(), if sgs.is_empty() { Value::Null } else { Value::List(sgs) }),
        ("maintenance_window".into(), s(c.preferred_maintenance_window())),
        ("port".into(), endpoint.and_then(|e| e.port()).map(|p| Value::Int(p.into())).unwrap_or(Value::Null)),
        ("tags".into(), Value::from_tags(&tags)),
    ]);
    o.outputs = Props::from([
        ("id".into(), Value::str(id)),
        ("arn".into(), s(c.arn())),
        ("configuration_endpoint".into(), s(endpoint.and_then(|e| e.address()))),
    ]);
    o
}

impl CacheClusterProvider {
    /// The cluster, unless it is being deleted (then it is as good as gone).
    async fn describe(&self, region: &str, id: &str) -> Result<Option<SdkCluster>, ProviderError> {
        Ok(self.describe_any(region, id).await?.filter(|c| c.cache_cluster_status() != Some("deleting")))
    }

    /// The cluster in whatever state it is.
    async fn describe_any(&self, region: &str, id: &str) -> Result<Option<SdkCluster>, ProviderError> {
        match crate::client(&self.aws, region).describe_cache_clusters().cache_cluster_id(id).send().await {
            Ok(o) => Ok(o.cache_clusters().first().cloned()),
            Err(e) => strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeCacheClusters", e)),
        }
    }

    async fn wait_available(&self, cx: &OpContext, id: &str) -> Result<SdkCluster, ProviderError> {
        let what = format!("cache cluster {id} to become available");
        wait_until(&what, cx.timeout, cx.poll, || async {
            // In any state (`describe` hides clusters being deleted): a deleting cluster fails the wait at once.
            let Some(c) = self.describe_any(&cx.region, id).await? else {
                return Err(ProviderError::new(ErrorClass::NotFoundYet, "DescribeCacheClusters", format!("{id} not visible yet")));
            };
            // The SDK's `cache_cluster_available` acceptors.
            const FAILURE: [&str; 4] = ["deleted", "deleting", "incompatible-network", "restore-failed"];
            let done = strata_aws::accept("DescribeCacheClusters", &format!("cache cluster {id}"), c.cache_cluster_status(), &["available"], &FAILURE)?;
            Ok(done.then_some(c))
        })
        .await
    }
}

#[async_trait]
impl Provider for CacheClusterProvider {
    fn kind(&self) -> &'static str {
        CacheCluster::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["cluster_id", "engine", "node_type", "transit_encryption", "subnet_group", "port"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let known_str = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        let mut problem = |f: &str, msg: String| out.push(Diagnostic::field(&decl.name, f, msg));
        if let Some(id) = known_str("cluster_id") {
            if let Some(p) = id_problem(CACHE_CLUSTER, &id) {
                problem("cluster_id", p);
            }
        }
        let version = known_str("engine_version").unwrap_or_default();
        if let Some(p) = version_problem("memcached", &version) {
            problem("engine_version", p);
        } else if decl.known("transit_encryption").and_then(|v| v.as_bool()) == Some(true)
            && ["1.6.6"].iter().any(|old| version.starts_with(old))
        {
            problem("transit_encryption", format!("Memcached {version} has no encryption in transit (1.6.12 and later)"));
        }
        if let Some(p) = known_str("node_type").and_then(|t| node_type_problem(&t)) {
            problem("node_type", p);
        }
        if let Some(n) = decl.known("nodes").and_then(|v| v.as_int()) {
            if !(1..=40).contains(&n) {
                problem("nodes", format!("{n} is outside 1-40"));
            }
        }
    }

    fn normalize(&self, props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut("security_group_ids") {
            l.sort();
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let want = super::comparable(desired, actual, MAY_BE_UNREPORTED, "cluster_id");
        strata_engine::diff_with_derived(&want, &actual.props, self.replace_fields(), &["cluster_id"])
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(6 * 60)
    }

    fn default_timeout(&self, _op: Op) -> Duration {
        Duration::from_secs(40 * 60)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let all = super::all_cache_clusters(&self.aws, scope).await?;
        let mut out = Vec::new();
        // Members of replication groups belong to the group; Redis clusters are not ours here.
        for c in all.iter().filter(|c| {
            c.replication_group_id().is_none() && c.engine() == Some("memcached") && c.cache_cluster_status() != Some("deleting")
        }) {
            let t = tags_of(&self.aws, &scope.region, c.arn().unwrap_or_default()).await?;
            if t.get(tags::STACK) == Some(&scope.stack) {
                out.push(observe(&scope.region, c, t));
            }
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let Some(c) = self.describe(region, id).await? else { return Ok(None) };
        let t = tags_of(&self.aws, region, c.arn().unwrap_or_default()).await?;
        Ok(Some(observe(region, &c, t)))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let salt = format!("{}/{}", str_of(desired, "node_type").unwrap_or_default(), str_of(desired, "subnet_group").unwrap_or_default());
        let id = str_of(desired, "cluster_id").unwrap_or_else(|| derived_id(CACHE_CLUSTER, &cx.stack, &cx.name, &salt));
        let int = |k: &str| desired.get(k).and_then(Value::as_int).and_then(|n| i32::try_from(n).ok());
        crate::client(&self.aws, &cx.region)
            .create_cache_cluster()
            .cache_cluster_id(&id)
            .engine("memcached")
            .set_engine_version(str_of(desired, "engine_version"))
            .set_cache_node_type(str_of(desired, "node_type"))
            .set_num_cache_nodes(int("nodes"))
            .set_transit_encryption_enabled(desired.get("transit_encryption").and_then(Value::as_bool))
            .set_cache_subnet_group_name(str_of(desired, "subnet_group"))
            .set_security_group_ids(Some(strs(desired, "security_group_ids")).filter(|l| !l.is_empty()))
            .set_preferred_maintenance_window(str_of(desired, "maintenance_window"))
            .set_port(int("port"))
            .set_tags(Some(sdk_tags(desired)))
            .send()
            .await
            .map_err(err("CreateCacheCluster"))?;
        let c = self.wait_available(cx, &id).await?;
        Ok(observe(&cx.region, &c, strata_aws::desired_tags(desired)))
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        if diff.changed("tags").is_some() {
            super::sync_tags(&self.aws, cx, actual, desired).await?;
        }
        let changed = |f: &str| diff.changed(f).is_some();
        if ["nodes", "engine_version", "security_group_ids", "maintenance_window"].iter().any(|f| changed(f)) {
            let want = desired.get("nodes").and_then(Value::as_int).unwrap_or(1);
            let have = actual.props.get("nodes").and_then(Value::as_int).unwrap_or(want);
            let mut req = crate::client(&self.aws, &cx.region).modify_cache_cluster().cache_cluster_id(&actual.id).apply_immediately(true);
            if changed("nodes") {
                req = req.num_cache_nodes(i32::try_from(want).unwrap_or(1));
                // Removing nodes names them: the highest-numbered go first.
                if want < have {
                    for n in (want + 1)..=have {
                        req = req.cache_node_ids_to_remove(format!("{n:04}"));
                    }
                }
            }
            if changed("engine_version") {
                req = req.set_engine_version(str_of(desired, "engine_version"));
            }
            if changed("security_group_ids") {
                req = req.set_security_group_ids(Some(strs(desired, "security_group_ids")));
            }
            if changed("maintenance_window") {
                req = req.set_preferred_maintenance_window(str_of(desired, "maintenance_window"));
            }
            req.send().await.map_err(err("ModifyCacheCluster"))?;
        }
        let c = self.wait_available(cx, &actual.id).await?;
        Ok(observe(&cx.region, &c, strata_aws::desired_tags(desired)))
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_cache_cluster().cache_cluster_id(&actual.id).send().await;
        match r.map(|_| ()).map_err(err("DeleteCacheCluster")) {
            Err(e) if e.code.as_deref() == Some("InvalidCacheClusterState") => Ok(()),
            other => strata_aws::gone_ok(other),
        }
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        super::set_tags(&self.aws, cx, actual, add, remove).await
    }
}
