//! `aws:eks:NodeGroup`: a managed node group of a cluster: on-demand or spot
//! capacity, instance types, scaling bounds, Kubernetes labels and taints,
//! the node role and the subnets.
//!
//! Scaling, labels and taints change in place (`UpdateNodegroupConfig`,
//! waited for until the group is `ACTIVE` again); the rest replaces the
//! group. The id is `<cluster>/<node group>`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, Nodegroup as Sdk, NodegroupScalingConfig, NodegroupStatus, Taint as SdkTaint, TaintEffect, UpdateLabelsPayload, UpdateTaintsPayload,
};
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Life, Seen, Values, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, cluster_names, name_problem, name_taken, salted_name, sdk_tags, split_id, tags_of, EksTags};

strata_aws::kind_fields! {
    /// An EKS managed node group.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_eks::{NodeGroup, Taint};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let group = stack.add(
    ///     "back-end-spot",
    ///     NodeGroup::new("apps", "arn:aws:iam::111122223333:role/eks-node", ["subnet-0a", "subnet-0b"], ["m6i.large", "m5.large"])
    ///         .spot()
    ///         .scaling(1, 6, 2)
    ///         .label("tier", "back-end")
    ///         .taint(Taint::no_schedule("capacity", "spot")),
    /// );
    /// let _ = (group.arn(), group.nodegroup_name());
    /// ```
    pub struct NodeGroup: "aws:eks:NodeGroup";
    values NodeGroupValues;
    handle NodeGroupHandle / NodeGroupOutputs { arn, nodegroup_name };
    fields {
        /// The cluster (its name).
        cluster: str [replace required];
        /// The group's name (default: derived from the stack, the logical name
        /// and the fields that replace the group, 63 characters at most).
        name: str [replace];
        /// The IAM role of the nodes.
        node_role: str [replace required];
        /// The subnets the nodes run in.
        subnets: strs [replace required];
        /// The instance types (spot: several, so that capacity is found).
        instance_types: strs [replace required];
        /// `ON_DEMAND` (the default) or `SPOT`.
        capacity_type: str [replace] = "ON_DEMAND";
        /// The AMI family (default: Amazon Linux 2023, x86-64).
        ami_type: str [replace] = "AL2023_x86_64_STANDARD";
        /// Root volume size in GiB.
        disk_size: int [replace] = 20;
        /// Fewest nodes.
        min_size: int [update] = 1;
        /// Most nodes.
        max_size: int [update] = 2;
        /// Nodes wanted now (between the two).
        desired_size: int [update] = 1;
        /// Kubernetes labels of the nodes.
        labels: map [update];
        /// Kubernetes taints of the nodes (see [`Taint`]).
        taints: list [update];
    }
}

/// A Kubernetes taint of a node group's nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    key: String,
    value: String,
    effect: &'static str,
}

impl Taint {
    /// Pods without the toleration are not scheduled here.
    pub fn no_schedule(key: impl Into<String>, value: impl Into<String>) -> Self {
        Taint { key: key.into(), value: value.into(), effect: "NO_SCHEDULE" }
    }
    /// Avoid scheduling pods without the toleration here.
    pub fn prefer_no_schedule(key: impl Into<String>, value: impl Into<String>) -> Self {
        Taint { key: key.into(), value: value.into(), effect: "PREFER_NO_SCHEDULE" }
    }
    /// Pods without the toleration are evicted.
    pub fn no_execute(key: impl Into<String>, value: impl Into<String>) -> Self {
        Taint { key: key.into(), value: value.into(), effect: "NO_EXECUTE" }
    }
    fn into_value(self) -> Value {
        taint_value(&self.key, &self.value, self.effect)
    }
}

fn taint_value(key: &str, value: &str, effect: &str) -> Value {
    Value::Map(BTreeMap::from([("key".to_string(), Value::str(key)), ("value".to_string(), Value::str(value)), ("effect".to_string(), Value::str(effect))]))
}

impl NodeGroup {
    /// An on-demand group of one node (at most two) of `cluster`.
    pub fn new<S: Into<Arg<String>>, T: Into<String>>(
        cluster: impl Into<Arg<String>>,
        node_role: impl Into<Arg<String>>,
        subnets: impl IntoIterator<Item = S>,
        instance_types: impl IntoIterator<Item = T>,
    ) -> Self {
        let g = Self::empty().cluster(cluster).node_role(node_role).instance_types(instance_types.into_iter().map(Into::into).collect::<Vec<String>>());
        subnets.into_iter().fold(g, |g, s| g.push(V::subnets, s.into().into_input()))
    }

    /// Spot capacity.
    pub fn spot(self) -> Self {
        self.capacity_type("SPOT")
    }

    /// At least `min`, at most `max`, `desired` now.
    pub fn scaling(self, min: i64, max: i64, desired: i64) -> Self {
        self.min_size(min).max_size(max).desired_size(desired)
    }

    /// A Kubernetes label of the nodes.
    pub fn label(self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.put(V::labels, key, value.into().into_input())
    }

    /// A Kubernetes taint of the nodes.
    pub fn taint(self, t: Taint) -> Self {
        self.push(V::taints, Input::Known(t.into_value()))
    }
}

type V = NodeGroupValues;

/// The kind behind [`NodeGroup`].
pub(crate) struct NodeGroups;

async fn describe(aws: &Aws, region: &str, cluster: &str, name: &str) -> Result<Option<Sdk>, ProviderError> {
    let out = strata_aws::found(client(aws, region).describe_nodegroup().cluster_name(cluster).nodegroup_name(name).send().await.map_err(err("DescribeNodegroup")))?;
    Ok(out.and_then(|o| o.nodegroup().cloned()))
}

fn sdk_taints(l: &[Value]) -> Vec<SdkTaint> {
    l.iter()
        .filter_map(Value::as_map)
        .map(|m| {
            let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
            SdkTaint::builder().set_key(s("key")).set_value(s("value")).set_effect(s("effect").map(|e| TaintEffect::from(e.as_str()))).build()
        })
        .collect()
}

fn scaling(v: &V) -> NodegroupScalingConfig {
    let n = |x: Option<i64>| x.and_then(|n| i32::try_from(n).ok());
    NodegroupScalingConfig::builder().set_min_size(n(v.min_size)).set_max_size(n(v.max_size)).set_desired_size(n(v.desired_size)).build()
}

async fn wait_active(aws: &Aws, cx: &OpContext, cluster: &str, name: &str) -> Result<(), ProviderError> {
    let what = format!("EKS node group {cluster}/{name} (`{}`) to finish its update", cx.name);
    wait_until(&what, cx.timeout, cx.poll, || async {
        Ok(describe(aws, &cx.region, cluster, name).await?.filter(|g| g.status() == Some(&NodegroupStatus::Active)).map(|_| ()))
    })
    .await
}

#[async_trait]
impl Kind for NodeGroups {
    type Builder = NodeGroup;
    type Item = Sdk;
    type Tags = EksTags;

    const DERIVED: &'static [&'static str] = &[V::name];
    const WAIT_FOR_DELETE: bool = true;

    fn id(item: &Sdk) -> Option<&str> {
        // `<cluster>/<name>` is not a field of the item: the ARN carries both.
        item.nodegroup_arn().and_then(|a| a.split_once(":nodegroup/")).map(|(_, rest)| rest.rsplit_once('/').map_or(rest, |(id, _)| id))
    }

    fn tag_target(item: &Sdk) -> Option<String> {
        item.nodegroup_arn().map(str::to_string)
    }

    fn carried_tags(item: &Sdk) -> Option<Tags> {
        Some(tags_of(item.tags()))
    }

    fn life(item: &Sdk) -> Life {
        match item.status() {
            Some(NodegroupStatus::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(item: &Sdk) -> Result<bool, ProviderError> {
        match item.status() {
            Some(NodegroupStatus::Active) => Ok(true),
            Some(NodegroupStatus::CreateFailed | NodegroupStatus::Degraded) => {
                let why: Vec<&str> = item.health().map(|h| h.issues()).unwrap_or_default().iter().filter_map(|i| i.message()).collect();
                Err(strata_aws::failed("CreateNodegroup", "node group", item.nodegroup_name(), Some(&why.join("; "))))
            }
            _ => Ok(false),
        }
    }

    fn observe(item: &Sdk) -> Seen<NodeGroup> {
        let sorted = |l: &[String]| {
            let mut l = l.to_vec();
            l.sort();
            l
        };
        let sc = item.scaling_config();
        let labels: BTreeMap<String, String> = item.labels().map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
        let mut taints: Vec<Value> = item.taints().iter().map(|t| taint_value(t.key().unwrap_or_default(), t.value().unwrap_or_default(), t.effect().map_or("", |e| e.as_str()))).collect();
        taints.sort_by_key(|t| format!("{t:?}"));
        Seen {
            values: V {
                cluster: item.cluster_name().map(str::to_string),
                name: item.nodegroup_name().map(str::to_string),
                node_role: item.node_role().map(str::to_string),
                subnets: Some(sorted(item.subnets())),
                instance_types: Some(item.instance_types().to_vec()),
                capacity_type: Some(item.capacity_type().map_or("ON_DEMAND", |c| c.as_str()).to_string()),
                ami_type: item.ami_type().map(|a| a.as_str().to_string()),
                disk_size: item.disk_size().map(i64::from),
                min_size: sc.and_then(|s| s.min_size()).map(i64::from),
                max_size: sc.and_then(|s| s.max_size()).map(i64::from),
                desired_size: sc.and_then(|s| s.desired_size()).map(i64::from),
                labels: Some(labels),
                taints: Some(taints),
                ..V::default()
            },
            outputs: NodeGroupOutputs { arn: item.nodegroup_arn().map(str::to_string), nodegroup_name: item.nodegroup_name().map(str::to_string) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Sdk>, ProviderError> {
        let c = client(aws, &scope.region);
        let mut out = Vec::new();
        for cluster in cluster_names(aws, scope).await?.iter() {
            // None: the cluster went away since it was listed.
            let pages = strata_aws::found(all_pages(c.list_nodegroups().cluster_name(cluster).max_results(100).into_paginator().send(), "ListNodegroups").await)?;
            for name in pages.iter().flatten().flat_map(|p| p.nodegroups()) {
                out.extend(describe(aws, &scope.region, cluster, name).await?);
            }
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Sdk>, ProviderError> {
        let (cluster, name) = split_id(id).ok_or_else(|| ProviderError::new(ErrorClass::Invalid, "DescribeNodegroup", format!("{id:?} is not <cluster>/<node group>")))?;
        describe(aws, region, cluster, name).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, NodeGroup>) -> Result<Created<Sdk>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let cluster = v.cluster.clone().ok_or_else(|| strata_aws::lacks("CreateNodegroup", "cluster", &cx.name))?;
        let salt = format!(
            "{:?}/{:?}/{:?}/{:?}/{:?}/{:?}",
            v.node_role, v.subnets, v.instance_types, v.capacity_type, v.ami_type, v.disk_size
        );
        let name = v.name.clone().unwrap_or_else(|| salted_name(cx, &salt));
        if let Some(theirs) = describe(aws, &cx.region, &cluster, &name).await? {
            let arn = theirs.nodegroup_arn().unwrap_or_default();
            return Err(name_taken("CreateNodegroup", "node group", &cluster, &name, arn, &tags_of(theirs.tags()), &v.tags));
        }
        let labels: Option<HashMap<String, String>> = v.labels.as_ref().map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        let out = client(aws, &cx.region)
            .create_nodegroup()
            .cluster_name(&cluster)
            .nodegroup_name(&name)
            .set_node_role(v.node_role.clone())
            .set_subnets(v.subnets.clone())
            .set_instance_types(v.instance_types.clone())
            .capacity_type(CapacityTypes::from(v.capacity_type.as_deref().unwrap_or("ON_DEMAND")))
            .ami_type(AmiTypes::from(v.ami_type.as_deref().unwrap_or("AL2023_x86_64_STANDARD")))
            .set_disk_size(v.disk_size.and_then(|n| i32::try_from(n).ok()))
            .scaling_config(scaling(v))
            .set_labels(labels.filter(|l| !l.is_empty()))
            .set_taints(v.taints.as_deref().map(sdk_taints).filter(|t| !t.is_empty()))
            .client_request_token(&cx.idempotency_token)
            .set_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateNodegroup"))?;
        let group = out.nodegroup().cloned().ok_or_else(|| strata_aws::lacks("CreateNodegroup", "nodegroup", &cx.name))?;
        Ok(Created::Item(group))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, NodeGroup>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let (cluster, name) = split_id(&actual.id).ok_or_else(|| strata_aws::lacks("UpdateNodegroupConfig", "cluster", &cx.name))?;
        let have = V::from_props(&actual.props);
        let mut req = client(aws, &cx.region).update_nodegroup_config().cluster_name(cluster).nodegroup_name(name);
        if [V::min_size, V::max_size, V::desired_size].iter().any(|f| diff.changed(f).is_some()) {
            req = req.scaling_config(scaling(v));
        }
        if diff.changed(V::labels).is_some() {
            let (old, new) = (have.labels.clone().unwrap_or_default(), v.labels.clone().unwrap_or_default());
            let add: HashMap<String, String> = new.iter().filter(|(k, x)| old.get(*k) != Some(x)).map(|(k, x)| (k.clone(), x.clone())).collect();
            let remove: Vec<String> = old.keys().filter(|k| !new.contains_key(*k)).cloned().collect();
            let payload = UpdateLabelsPayload::builder().set_add_or_update_labels((!add.is_empty()).then_some(add)).set_remove_labels((!remove.is_empty()).then_some(remove)).build();
            req = req.labels(payload);
        }
        if diff.changed(V::taints).is_some() {
            let (old, new) = (have.taints.clone().unwrap_or_default(), v.taints.clone().unwrap_or_default());
            let add: Vec<Value> = new.iter().filter(|t| !old.contains(t)).cloned().collect();
            let remove: Vec<Value> = old.iter().filter(|t| !new.contains(t)).cloned().collect();
            let payload = UpdateTaintsPayload::builder()
                .set_add_or_update_taints((!add.is_empty()).then(|| sdk_taints(&add)))
                .set_remove_taints((!remove.is_empty()).then(|| sdk_taints(&remove)))
                .build();
            req = req.taints(payload);
        }
        req.send().await.map_err(err("UpdateNodegroupConfig"))?;
        wait_active(aws, cx, cluster, name).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let (cluster, name) = split_id(&actual.id).ok_or_else(|| strata_aws::lacks("DeleteNodegroup", "cluster", &cx.name))?;
        client(aws, &cx.region).delete_nodegroup().cluster_name(cluster).nodegroup_name(name).send().await.map(|_| ()).map_err(err("DeleteNodegroup"))
    }

    fn normalize(props: &mut strata_core::Props) {
        if let Some(Value::List(l)) = props.get_mut(V::subnets) {
            l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            l.dedup();
        }
        if let Some(Value::List(l)) = props.get_mut(V::taints) {
            l.sort_by_key(|t| format!("{t:?}"));
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let int = |f: &str| decl.known(f).and_then(|v| v.as_int());
        if let Some(p) = decl.known(V::name).and_then(|v| v.as_str().and_then(|n| name_problem(n, 63))) {
            out.push(Diagnostic::field(r, V::name, p));
        }
        let (min, max, desired) = (int(V::min_size).unwrap_or(1), int(V::max_size).unwrap_or(2), int(V::desired_size).unwrap_or(1));
        if min < 0 {
            out.push(Diagnostic::field(r, V::min_size, format!("{min} nodes: the minimum is 0 or more")));
        }
        if max < 1 {
            out.push(Diagnostic::field(r, V::max_size, format!("{max} nodes: the maximum is 1 or more")));
        }
        if min > max {
            out.push(Diagnostic::field(r, V::min_size, format!("the minimum ({min}) is above the maximum ({max})")));
        } else if !(min..=max).contains(&desired) {
            out.push(Diagnostic::field(r, V::desired_size, format!("{desired} nodes is outside the group's bounds {min} to {max}")));
        }
        let capacity = decl.known(V::capacity_type).and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| "ON_DEMAND".into());
        if capacity != "ON_DEMAND" && capacity != "SPOT" {
            out.push(Diagnostic::field(r, V::capacity_type, format!("{capacity:?} is not ON_DEMAND or SPOT")));
        }
        let types = match decl.known(V::instance_types) {
            Some(Value::List(l)) => l.len(),
            _ => 1,
        };
        if types == 0 {
            out.push(Diagnostic::field(r, V::instance_types, "a node group needs at least one instance type"));
        }
        if let Some(d) = int(V::disk_size).filter(|d| *d < 4) {
            out.push(Diagnostic::field(r, V::disk_size, format!("{d} GiB is too small a root volume")));
        }
        match decl.inputs.get(V::subnets) {
            Some(Input::List(l)) if !l.is_empty() => {}
            _ => out.push(Diagnostic::field(r, V::subnets, "a node group needs the subnets its nodes run in")),
        }
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Create | Op::Delete => Duration::from_secs(5 * 60),
            _ => Duration::from_secs(3 * 60),
        }
    }

    fn default_timeout(_op: Op) -> Duration {
        Duration::from_secs(30 * 60)
    }
}
