//! `aws:eks:FargateProfile`: which pods of a cluster run on Fargate (by
//! namespace and labels), as which pod execution role, in which private
//! subnets. A Fargate profile cannot change: every field replaces it. The id
//! is `<cluster>/<profile>`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{FargateProfile as Sdk, FargateProfileSelector, FargateProfileStatus};
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, ResourceDecl, Stack, Tags, Value};
use strata_engine::{DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, cluster_names, name_problem, name_taken, salted_name, sdk_tags, split_id, tags_of, EksTags};

strata_aws::kind_fields! {
    /// An EKS Fargate profile.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_eks::FargateProfile;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let p = stack.add(
    ///     "batch",
    ///     FargateProfile::new("apps", "arn:aws:iam::111122223333:role/eks-pods", ["subnet-0a", "subnet-0b"]).selector("batch", [("runs-on", "fargate")]),
    /// );
    /// let _ = p.arn();
    /// ```
    pub struct FargateProfile: "aws:eks:FargateProfile";
    values FargateProfileValues;
    handle FargateProfileHandle / FargateProfileOutputs { arn, profile_name };
    fields {
        /// The cluster (its name).
        cluster: str [replace required];
        /// The profile's name (default: derived from the stack, the logical
        /// name and its fields, 63 characters at most).
        name: str [replace];
        /// The role the pods' Fargate infrastructure acts as.
        pod_execution_role: str [replace required];
        /// The private subnets the pods run in.
        subnets: strs [replace required];
        /// The pods it takes: a namespace and, optionally, labels (up to five selectors).
        selectors: list [replace];
    }
}

impl FargateProfile {
    /// A profile of `cluster` with no selector yet.
    pub fn new<S: Into<Arg<String>>>(cluster: impl Into<Arg<String>>, pod_execution_role: impl Into<Arg<String>>, subnets: impl IntoIterator<Item = S>) -> Self {
        let p = Self::empty().cluster(cluster).pod_execution_role(pod_execution_role);
        subnets.into_iter().fold(p, |p, s| p.push(V::subnets, s.into().into_input()))
    }

    /// Take the pods of `namespace` that carry all of these labels (none: every pod of it).
    pub fn selector<K: Into<String>, L: Into<String>>(self, namespace: impl Into<String>, labels: impl IntoIterator<Item = (K, L)>) -> Self {
        let labels: BTreeMap<String, Value> = labels.into_iter().map(|(k, v)| (k.into(), Value::Str(v.into()))).collect();
        let m = BTreeMap::from([("namespace".to_string(), Value::Str(namespace.into())), ("labels".to_string(), Value::Map(labels))]);
        self.push(V::selectors, Input::Known(Value::Map(m)))
    }
}

type V = FargateProfileValues;

/// The kind behind [`FargateProfile`].
pub(crate) struct FargateProfiles;

async fn describe(aws: &Aws, region: &str, cluster: &str, name: &str) -> Result<Option<Sdk>, ProviderError> {
    let out = strata_aws::found(client(aws, region).describe_fargate_profile().cluster_name(cluster).fargate_profile_name(name).send().await.map_err(err("DescribeFargateProfile")))?;
    Ok(out.and_then(|o| o.fargate_profile().cloned()))
}

#[async_trait]
impl Kind for FargateProfiles {
    type Builder = FargateProfile;
    type Item = Sdk;
    type Tags = EksTags;

    const DERIVED: &'static [&'static str] = &[V::name];
    const WAIT_FOR_DELETE: bool = true;

    fn id(item: &Sdk) -> Option<&str> {
        item.fargate_profile_arn().and_then(|a| a.split_once(":fargateprofile/")).map(|(_, rest)| rest.rsplit_once('/').map_or(rest, |(id, _)| id))
    }

    fn tag_target(item: &Sdk) -> Option<String> {
        item.fargate_profile_arn().map(str::to_string)
    }

    fn carried_tags(item: &Sdk) -> Option<Tags> {
        Some(tags_of(item.tags()))
    }

    fn life(item: &Sdk) -> Life {
        match item.status() {
            Some(FargateProfileStatus::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(item: &Sdk) -> Result<bool, ProviderError> {
        match item.status() {
            Some(FargateProfileStatus::Active) => Ok(true),
            Some(FargateProfileStatus::CreateFailed) => {
                let why: Vec<&str> = item.health().map(|h| h.issues()).unwrap_or_default().iter().filter_map(|i| i.message()).collect();
                Err(strata_aws::failed("CreateFargateProfile", "Fargate profile", item.fargate_profile_name(), Some(&why.join("; "))))
            }
            _ => Ok(false),
        }
    }

    fn observe(item: &Sdk) -> Seen<FargateProfile> {
        let mut subnets = item.subnets().to_vec();
        subnets.sort();
        let selectors = item
            .selectors()
            .iter()
            .map(|s| {
                let labels: BTreeMap<String, Value> = s.labels().map(|l| l.iter().map(|(k, v)| (k.clone(), Value::str(v))).collect()).unwrap_or_default();
                Value::Map(BTreeMap::from([("namespace".to_string(), Value::str(s.namespace().unwrap_or_default())), ("labels".to_string(), Value::Map(labels))]))
            })
            .collect();
        Seen {
            values: V {
                cluster: item.cluster_name().map(str::to_string),
                name: item.fargate_profile_name().map(str::to_string),
                pod_execution_role: item.pod_execution_role_arn().map(str::to_string),
                subnets: Some(subnets),
                selectors: Some(selectors),
                ..V::default()
            },
            outputs: FargateProfileOutputs { arn: item.fargate_profile_arn().map(str::to_string), profile_name: item.fargate_profile_name().map(str::to_string) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Sdk>, ProviderError> {
        let c = client(aws, &scope.region);
        let mut out = Vec::new();
        for cluster in cluster_names(aws, scope).await?.iter() {
            // None: the cluster went away since it was listed.
            let pages = strata_aws::found(all_pages(c.list_fargate_profiles().cluster_name(cluster).max_results(100).into_paginator().send(), "ListFargateProfiles").await)?;
            for name in pages.iter().flatten().flat_map(|p| p.fargate_profile_names()) {
                out.extend(describe(aws, &scope.region, cluster, name).await?);
            }
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Sdk>, ProviderError> {
        let (cluster, name) = split_id(id).ok_or_else(|| ProviderError::new(ErrorClass::Invalid, "DescribeFargateProfile", format!("{id:?} is not <cluster>/<profile>")))?;
        describe(aws, region, cluster, name).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, FargateProfile>) -> Result<Created<Sdk>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let cluster = v.cluster.clone().ok_or_else(|| strata_aws::lacks("CreateFargateProfile", "cluster", &cx.name))?;
        let salt = format!("{:?}/{:?}/{:?}", v.pod_execution_role, v.subnets, v.selectors);
        let name = v.name.clone().unwrap_or_else(|| salted_name(cx, &salt));
        if let Some(theirs) = describe(aws, &cx.region, &cluster, &name).await? {
            let arn = theirs.fargate_profile_arn().unwrap_or_default();
            return Err(name_taken("CreateFargateProfile", "Fargate profile", &cluster, &name, arn, &tags_of(theirs.tags()), &v.tags));
        }
        let selectors: Vec<FargateProfileSelector> = v
            .selectors
            .iter()
            .flatten()
            .filter_map(Value::as_map)
            .map(|m| {
                let labels: HashMap<String, String> = m.get("labels").and_then(Value::as_map).map(|l| l.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect()).unwrap_or_default();
                FargateProfileSelector::builder()
                    .set_namespace(m.get("namespace").and_then(Value::as_str).map(str::to_string))
                    .set_labels((!labels.is_empty()).then_some(labels))
                    .build()
            })
            .collect();
        let out = client(aws, &cx.region)
            .create_fargate_profile()
            .cluster_name(&cluster)
            .fargate_profile_name(&name)
            .set_pod_execution_role_arn(v.pod_execution_role.clone())
            .set_subnets(v.subnets.clone())
            .set_selectors(Some(selectors))
            .client_request_token(&cx.idempotency_token)
            .set_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateFargateProfile"))?;
        let p = out.fargate_profile().cloned().ok_or_else(|| strata_aws::lacks("CreateFargateProfile", "fargateProfile", &cx.name))?;
        Ok(Created::Item(p))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let (cluster, name) = split_id(&actual.id).ok_or_else(|| strata_aws::lacks("DeleteFargateProfile", "cluster", &cx.name))?;
        client(aws, &cx.region).delete_fargate_profile().cluster_name(cluster).fargate_profile_name(name).send().await.map(|_| ()).map_err(err("DeleteFargateProfile"))
    }

    fn normalize(props: &mut strata_core::Props) {
        if let Some(Value::List(l)) = props.get_mut(V::subnets) {
            l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            l.dedup();
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        if let Some(p) = decl.known(V::name).and_then(|v| v.as_str().and_then(|n| name_problem(n, 63))) {
            out.push(Diagnostic::field(r, V::name, p));
        }
        let n = match decl.inputs.get(V::selectors) {
            Some(Input::List(l)) => l.len(),
            _ => 0,
        };
        if !(1..=5).contains(&n) {
            out.push(Diagnostic::field(r, V::selectors, format!("{n} selectors: a Fargate profile has 1 to 5")));
        }
        if let Some(Value::List(l)) = decl.known(V::selectors) {
            for m in l.iter().filter_map(Value::as_map) {
                if m.get("namespace").and_then(Value::as_str).is_none_or(str::is_empty) {
                    out.push(Diagnostic::field(r, V::selectors, "a selector names its namespace"));
                }
            }
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(4 * 60)
    }

    fn default_timeout(_op: Op) -> Duration {
        Duration::from_secs(20 * 60)
    }
}
