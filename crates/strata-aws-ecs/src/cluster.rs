//! `aws:ecs:Cluster`: an ECS cluster with Container Insights and its
//! capacity providers.
//!
//! `CreateCluster` answers an existing cluster of the same name as if it had
//! made it: the create looks first and refuses, so nobody's cluster is taken
//! over. A deleted cluster stays listed as `INACTIVE` for a while; it is as
//! good as absent.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{Cluster as Sdk, ClusterField, ClusterSetting, ClusterSettingName};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::Aws;
use strata_core::{Diagnostic, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, clusters, ecs_name, name_problem, sdk_tags, tags_of, EcsTags};

strata_aws::kind_fields! {
    /// An ECS cluster.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ecs::Cluster;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let cluster = stack.add("apps", Cluster::new().capacity_provider("FARGATE").capacity_provider("FARGATE_SPOT"));
    /// let _ = (cluster.arn(), cluster.cluster_name());
    /// ```
    pub struct Cluster: "aws:ecs:Cluster";
    values ClusterValues;
    handle ClusterHandle / ClusterOutputs { arn, cluster_name };
    fields {
        /// The cluster's name (default: `<stack>-<logical name>`).
        name: str [replace];
        /// Container Insights: `enabled` (the default), `enhanced` or `disabled`.
        container_insights: str [update] = "enabled";
        /// The capacity providers tasks may run on (`FARGATE`, `FARGATE_SPOT`, or an Auto Scaling group's provider).
        capacity_providers: strs [update] = Vec::<String>::new();
    }
}

impl Cluster {
    /// A cluster with Container Insights on and no capacity providers.
    pub fn new() -> Self {
        Self::empty()
    }

    /// A cluster with this name.
    pub fn named(name: impl Into<strata_core::Arg<String>>) -> Self {
        Self::empty().name(name)
    }

    /// Let tasks run on this capacity provider (besides the others).
    pub fn capacity_provider(self, name: impl Into<strata_core::Arg<String>>) -> Self {
        self.push(V::capacity_providers, name.into().into_input())
    }
}

impl Default for Cluster {
    fn default() -> Self {
        Self::new()
    }
}

type V = ClusterValues;

/// The kind behind [`Cluster`].
pub(crate) struct Clusters;

/// The clusters named or ARN'd in `ids` (100 at most), with their tags and settings.
pub(crate) async fn describe(aws: &Aws, region: &str, ids: &[String]) -> Result<Vec<Sdk>, ProviderError> {
    let out = client(aws, region)
        .describe_clusters()
        .set_clusters(Some(ids.to_vec()))
        .include(ClusterField::Tags)
        .include(ClusterField::Settings)
        .send()
        .await
        .map_err(err("DescribeClusters"))?;
    Ok(out.clusters().to_vec())
}

fn insights(c: &Sdk) -> Option<String> {
    c.settings().iter().find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights)).and_then(|s| s.value()).map(str::to_string)
}

#[async_trait]
impl Kind for Clusters {
    type Builder = Cluster;
    type Item = Sdk;
    type Tags = EcsTags;

    const IDENTITY: Option<&'static str> = Some(V::name);
    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(item: &Sdk) -> Option<&str> {
        item.cluster_name()
    }

    fn tag_target(item: &Sdk) -> Option<String> {
        item.cluster_arn().map(str::to_string)
    }

    fn carried_tags(item: &Sdk) -> Option<Tags> {
        Some(tags_of(item.tags()))
    }

    fn life(item: &Sdk) -> Life {
        match item.status() {
            Some("INACTIVE") => Life::Gone,
            Some("DEPROVISIONING" | "FAILED") => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn observe(item: &Sdk) -> Seen<Cluster> {
        let mut providers = item.capacity_providers().to_vec();
        providers.sort();
        Seen {
            values: V {
                name: item.cluster_name().map(str::to_string),
                // A cluster created without the setting has it off.
                container_insights: Some(insights(item).unwrap_or_else(|| "disabled".into())),
                capacity_providers: Some(providers),
                ..V::default()
            },
            outputs: ClusterOutputs { arn: item.cluster_arn().map(str::to_string), cluster_name: item.cluster_name().map(str::to_string) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Sdk>, ProviderError> {
        Ok(clusters(aws, scope).await?.to_vec())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Sdk>, ProviderError> {
        Ok(describe(aws, region, &[id.to_string()]).await?.into_iter().find(|c| c.cluster_name() == Some(id)))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Cluster>) -> Result<Created<Sdk>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| ecs_name(cx));
        // CreateCluster answers an existing cluster as if it had made it.
        if let Some(theirs) = self.get(aws, &cx.region, &name).await?.filter(|c| Self::life(c) == Life::Live) {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                "CreateCluster",
                format!("a cluster named {name:?} already exists ({}) and is not this stack's", theirs.cluster_arn().unwrap_or_default()),
            ));
        }
        let setting = ClusterSetting::builder()
            .name(ClusterSettingName::ContainerInsights)
            .value(v.container_insights.as_deref().unwrap_or("enabled"))
            .build();
        let out = client(aws, &cx.region)
            .create_cluster()
            .cluster_name(&name)
            .settings(setting)
            .set_capacity_providers(v.capacity_providers.clone().filter(|p| !p.is_empty()))
            .set_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateCluster"))?;
        let cluster = out.cluster().cloned().ok_or_else(|| strata_aws::lacks("CreateCluster", "cluster", &cx.name))?;
        Ok(Created::Item(cluster))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Cluster>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, c) = (&want.values, client(aws, &want.cx.region));
        if diff.changed(V::container_insights).is_some() {
            let setting = ClusterSetting::builder()
                .name(ClusterSettingName::ContainerInsights)
                .value(v.container_insights.as_deref().unwrap_or("enabled"))
                .build();
            c.update_cluster().cluster(&actual.id).settings(setting).send().await.map_err(err("UpdateCluster"))?;
        }
        if diff.changed(V::capacity_providers).is_some() {
            c.put_cluster_capacity_providers()
                .cluster(&actual.id)
                .set_capacity_providers(Some(v.capacity_providers.clone().unwrap_or_default()))
                .set_default_capacity_provider_strategy(Some(Vec::new()))
                .send()
                .await
                .map_err(err("PutClusterCapacityProviders"))?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        client(aws, &cx.region).delete_cluster().cluster(&actual.id).send().await.map(|_| ()).map_err(err("DeleteCluster"))
    }

    fn normalize(props: &mut strata_core::Props) {
        if let Some(Value::List(l)) = props.get_mut(V::capacity_providers) {
            l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            l.dedup();
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(p) = decl.known(V::name).and_then(|v| v.as_str().and_then(name_problem)) {
            out.push(Diagnostic::field(&decl.name, V::name, p));
        }
        if let Some(ci) = decl.known(V::container_insights).and_then(|v| v.as_str().map(str::to_string)) {
            if !["enabled", "enhanced", "disabled"].contains(&ci.as_str()) {
                out.push(Diagnostic::field(&decl.name, V::container_insights, format!("{ci:?} is not enabled, enhanced or disabled")));
            }
        }
        if let Some(Value::List(l)) = decl.known(V::capacity_providers) {
            for p in l.iter().filter_map(Value::as_str).filter(|p| p.is_empty() || p.starts_with("arn:")) {
                out.push(Diagnostic::field(&decl.name, V::capacity_providers, format!("{p:?}: a capacity provider is named (FARGATE, FARGATE_SPOT or its name), not an ARN")));
            }
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(3)
    }
}
