//! `aws:eks:Addon`: an EKS add-on of a cluster (`vpc-cni`, `coredns`,
//! `kube-proxy`, ...), its version, the IAM role of its service account and
//! its configuration values.
//!
//! The version, the role and the configuration change in place
//! (`UpdateAddon`, waited for until the add-on is `ACTIVE` again); the
//! cluster and the add-on's name replace it. An add-on left without a
//! version takes the one EKS chooses for the cluster's Kubernetes version and
//! is not compared. Conflicts with fields someone changed in the cluster are
//! resolved by overwriting them (`resolveConflicts: OVERWRITE`): the program
//! is the truth. The id is `<cluster>/<add-on>`.
//!
//! The SDK calls are functions of an `aws_sdk_eks::Client`, so that tests can
//! check the requests' real shapes with `aws-smithy-mocks`.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{Addon as Sdk, AddonStatus, ResolveConflicts};
use aws_sdk_eks::Client;
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, ResourceDecl, Stack, Tags};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, cluster_names, name_taken, sdk_tags, split_id, tags_of, EksTags};

strata_aws::kind_fields! {
    /// An EKS add-on.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_eks::Addon;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let cni = stack.add(
    ///     "vpc-cni",
    ///     Addon::new("apps", "vpc-cni")
    ///         .version("v1.18.3-eksbuild.1")
    ///         .service_account_role("arn:aws:iam::111122223333:role/vpc-cni"),
    /// );
    /// let _ = (cni.arn(), cni.addon_version());
    /// ```
    pub struct Addon: "aws:eks:Addon";
    values AddonValues;
    handle AddonHandle / AddonOutputs { arn, addon_version };
    fields {
        /// The cluster (its name).
        cluster: str [replace required];
        /// The add-on's name (`vpc-cni`, `coredns`, `kube-proxy`, ...).
        addon: str [replace required];
        /// Its version (default: the one EKS chooses, not compared).
        version: str [update];
        /// The IAM role its service account assumes (IRSA). EKS takes no
        /// empty role: a role once set is changed, never removed in place.
        service_account_role: str [update];
        /// Its configuration values, as the JSON text EKS documents for the add-on.
        configuration: str [update];
    }
}

impl Addon {
    /// The add-on `addon` of `cluster`.
    pub fn new(cluster: impl Into<Arg<String>>, addon: &str) -> Self {
        Self::empty().cluster(cluster).addon(addon)
    }
}

type V = AddonValues;

/// The kind behind [`Addon`].
pub(crate) struct Addons;

/// The add-on, or `None` when the cluster has none of that name.
pub(crate) async fn describe_addon(c: &Client, cluster: &str, addon: &str) -> Result<Option<Sdk>, ProviderError> {
    let out = strata_aws::found(c.describe_addon().cluster_name(cluster).addon_name(addon).send().await.map_err(err("DescribeAddon")))?;
    Ok(out.and_then(|o| o.addon().cloned()))
}

/// `CreateAddon` for the desired values.
pub(crate) async fn create_addon(c: &Client, v: &V, token: &str) -> Result<Sdk, ProviderError> {
    let out = c
        .create_addon()
        .set_cluster_name(v.cluster.clone())
        .set_addon_name(v.addon.clone())
        .set_addon_version(v.version.clone())
        .set_service_account_role_arn(v.service_account_role.clone())
        .set_configuration_values(v.configuration.clone())
        .resolve_conflicts(ResolveConflicts::Overwrite)
        .client_request_token(token)
        .set_tags(Some(sdk_tags(&v.tags)))
        .send()
        .await
        .map_err(err("CreateAddon"))?;
    out.addon().cloned().ok_or_else(|| ProviderError::new(ErrorClass::Fatal, "CreateAddon", "the answer has no add-on"))
}

/// `UpdateAddon` of what `diff` changed.
pub(crate) async fn update_addon(c: &Client, cluster: &str, addon: &str, v: &V, diff: &Diff) -> Result<(), ProviderError> {
    let mut req = c.update_addon().cluster_name(cluster).addon_name(addon).resolve_conflicts(ResolveConflicts::Overwrite);
    if diff.changed(V::version).is_some() {
        req = req.set_addon_version(v.version.clone());
    }
    if diff.changed(V::service_account_role).is_some() {
        req = req.set_service_account_role_arn(v.service_account_role.clone());
    }
    if diff.changed(V::configuration).is_some() {
        req = req.set_configuration_values(v.configuration.clone());
    }
    req.send().await.map(|_| ()).map_err(err("UpdateAddon"))
}

/// `DeleteAddon` (the add-on's Kubernetes objects go with it).
pub(crate) async fn delete_addon(c: &Client, cluster: &str, addon: &str) -> Result<(), ProviderError> {
    c.delete_addon().cluster_name(cluster).addon_name(addon).send().await.map(|_| ()).map_err(err("DeleteAddon"))
}

/// Every add-on of `cluster`, described.
pub(crate) async fn list_addons(c: &Client, cluster: &str) -> Result<Vec<Sdk>, ProviderError> {
    // None: the cluster went away since it was listed.
    let pages = strata_aws::found(all_pages(c.list_addons().cluster_name(cluster).max_results(100).into_paginator().send(), "ListAddons").await)?;
    let mut out = Vec::new();
    for name in pages.iter().flatten().flat_map(|p| p.addons()) {
        out.extend(describe_addon(c, cluster, name).await?);
    }
    Ok(out)
}

#[async_trait]
impl Kind for Addons {
    type Builder = Addon;
    type Item = Sdk;
    type Tags = EksTags;

    const WAIT_FOR_DELETE: bool = true;

    fn id(item: &Sdk) -> Option<&str> {
        item.addon_arn().and_then(|a| a.split_once(":addon/")).map(|(_, rest)| rest.rsplit_once('/').map_or(rest, |(id, _)| id))
    }

    fn tag_target(item: &Sdk) -> Option<String> {
        item.addon_arn().map(str::to_string)
    }

    fn carried_tags(item: &Sdk) -> Option<Tags> {
        Some(tags_of(item.tags()))
    }

    fn life(item: &Sdk) -> Life {
        match item.status() {
            Some(AddonStatus::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(item: &Sdk) -> Result<bool, ProviderError> {
        match item.status() {
            Some(AddonStatus::Active) => Ok(true),
            Some(AddonStatus::CreateFailed | AddonStatus::Degraded) => {
                let why: Vec<String> = item.health().map(|h| h.issues()).unwrap_or_default().iter().filter_map(|i| i.message().map(str::to_string)).collect();
                Err(ProviderError::new(ErrorClass::Fatal, "CreateAddon", format!("add-on {} failed: {}", item.addon_name().unwrap_or_default(), why.join("; "))))
            }
            _ => Ok(false),
        }
    }

    fn observe(item: &Sdk) -> Seen<Addon> {
        Seen {
            values: V {
                cluster: item.cluster_name().map(str::to_string),
                addon: item.addon_name().map(str::to_string),
                version: item.addon_version().map(str::to_string),
                service_account_role: item.service_account_role_arn().map(str::to_string).filter(|r| !r.is_empty()),
                configuration: item.configuration_values().map(str::to_string).filter(|c| !c.is_empty()),
                ..V::default()
            },
            outputs: AddonOutputs { arn: item.addon_arn().map(str::to_string), addon_version: item.addon_version().map(str::to_string) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Sdk>, ProviderError> {
        let c = client(aws, &scope.region);
        let mut out = Vec::new();
        for cluster in cluster_names(aws, scope).await?.iter() {
            out.extend(list_addons(&c, cluster).await?);
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Sdk>, ProviderError> {
        let (cluster, addon) = split_id(id).ok_or_else(|| ProviderError::new(ErrorClass::Invalid, "DescribeAddon", format!("{id:?} is not <cluster>/<add-on>")))?;
        describe_addon(&client(aws, region), cluster, addon).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Addon>) -> Result<Created<Sdk>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let c = client(aws, &cx.region);
        let (cluster, addon) = (v.cluster.clone().unwrap_or_default(), v.addon.clone().unwrap_or_default());
        if let Some(theirs) = describe_addon(&c, &cluster, &addon).await? {
            return Err(name_taken("CreateAddon", "add-on", &cluster, &addon, theirs.addon_arn().unwrap_or_default(), &tags_of(theirs.tags()), &v.tags));
        }
        create_addon(&c, v, &cx.idempotency_token).await.map(Created::Item)
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Addon>, diff: &Diff) -> Result<(), ProviderError> {
        let cx = want.cx;
        let (cluster, addon) = split_id(&actual.id).ok_or_else(|| strata_aws::lacks("UpdateAddon", "cluster", &cx.name))?;
        let c = client(aws, &cx.region);
        update_addon(&c, cluster, addon, &want.values, diff).await?;
        let what = format!("EKS add-on {cluster}/{addon} (`{}`) to finish its update", cx.name);
        wait_until(&what, cx.timeout, cx.poll, || async { Ok(describe_addon(&c, cluster, addon).await?.filter(|a| a.status() == Some(&AddonStatus::Active)).map(|_| ())) }).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let (cluster, addon) = split_id(&actual.id).ok_or_else(|| strata_aws::lacks("DeleteAddon", "cluster", &cx.name))?;
        delete_addon(&client(aws, &cx.region), cluster, addon).await
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let known = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        if let Some(a) = known(V::addon) {
            let ok = !a.is_empty() && a.len() <= 100 && a.starts_with(|c: char| c.is_ascii_lowercase()) && a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !ok {
                out.push(Diagnostic::field(r, V::addon, format!("{a:?} is not an add-on name (vpc-cni, coredns, kube-proxy, ...)")));
            }
        }
        if let Some(c) = known(V::configuration) {
            if !serde_json::from_str::<serde_json::Value>(&c).is_ok_and(|v| v.is_object()) {
                out.push(Diagnostic::field(r, V::configuration, "the configuration values are a JSON object"));
            }
        }
        if let Some(role) = known(V::service_account_role).filter(|r| !r.starts_with("arn:") || !r.contains(":role/")) {
            out.push(Diagnostic::field(r, V::service_account_role, format!("{role:?} is not an IAM role ARN")));
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(90)
    }

    fn default_timeout(_op: Op) -> Duration {
        Duration::from_secs(20 * 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_eks::operation::create_addon::CreateAddonOutput;
    use aws_sdk_eks::operation::delete_addon::DeleteAddonOutput;
    use aws_sdk_eks::operation::describe_addon::DescribeAddonOutput;
    use aws_sdk_eks::operation::list_addons::ListAddonsOutput;
    use aws_sdk_eks::operation::update_addon::UpdateAddonOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use strata_engine::FieldChange;

    const ROLE: &str = "arn:aws:iam::123456789012:role/vpc-cni";
    const OTHER_ROLE: &str = "arn:aws:iam::123456789012:role/vpc-cni-v2";

    fn addon(version: &str, role: Option<&str>) -> Sdk {
        Sdk::builder()
            .addon_name("vpc-cni")
            .cluster_name("apps")
            .status(AddonStatus::Active)
            .addon_version(version)
            .addon_arn("arn:aws:eks:eu-central-1:123456789012:addon/apps/vpc-cni/0ec8e1f6-1111-2222-3333-444455556666")
            .set_service_account_role_arn(role.map(str::to_string))
            .tags("strata:stack", "demo")
            .build()
    }

    /// moto 5.2.5 has no EKS add-on calls: the requests are checked against
    /// the SDK's real shapes instead.
    #[tokio::test]
    async fn addon_create_read_update_delete_with_smithy_mocks_because_moto_has_no_addons() {
        let create = mock!(Client::create_addon)
            .match_requests(|r| {
                r.cluster_name() == Some("apps")
                    && r.addon_name() == Some("vpc-cni")
                    && r.addon_version() == Some("v1.18.3-eksbuild.1")
                    && r.service_account_role_arn() == Some(ROLE)
                    && r.resolve_conflicts() == Some(&ResolveConflicts::Overwrite)
                    && r.client_request_token() == Some("token-1")
                    && r.tags().is_some_and(|t| t.get("strata:stack").map(String::as_str) == Some("demo"))
            })
            .then_output(|| CreateAddonOutput::builder().addon(addon("v1.18.3-eksbuild.1", Some(ROLE))).build());
        let list = mock!(Client::list_addons).match_requests(|r| r.cluster_name() == Some("apps")).then_output(|| ListAddonsOutput::builder().addons("vpc-cni").build());
        let describe = mock!(Client::describe_addon)
            .match_requests(|r| r.cluster_name() == Some("apps") && r.addon_name() == Some("vpc-cni"))
            .then_output(|| DescribeAddonOutput::builder().addon(addon("v1.18.3-eksbuild.1", Some(ROLE))).build());
        let update = mock!(Client::update_addon)
            .match_requests(|r| {
                r.cluster_name() == Some("apps") && r.addon_name() == Some("vpc-cni") && r.addon_version() == Some("v1.19.0-eksbuild.1") && r.service_account_role_arn() == Some(OTHER_ROLE) && r.configuration_values().is_none() && r.resolve_conflicts() == Some(&ResolveConflicts::Overwrite)
            })
            .then_output(|| UpdateAddonOutput::builder().build());
        let delete = mock!(Client::delete_addon).match_requests(|r| r.cluster_name() == Some("apps") && r.addon_name() == Some("vpc-cni")).then_output(|| DeleteAddonOutput::builder().build());
        let c = mock_client!(aws_sdk_eks, RuleMode::MatchAny, [&create, &list, &describe, &update, &delete]);

        let mut want = V { cluster: Some("apps".into()), addon: Some("vpc-cni".into()), version: Some("v1.18.3-eksbuild.1".into()), service_account_role: Some(ROLE.into()), ..V::default() };
        want.tags.insert("strata:stack".into(), "demo".into());
        let made = create_addon(&c, &want, "token-1").await.unwrap();
        assert_eq!(Addons::id(&made), Some("apps/vpc-cni"));

        // Read back: the listed add-on is observed as declared.
        let found = list_addons(&c, "apps").await.unwrap();
        assert_eq!(found.len(), 1);
        let seen = Addons::observe(&found[0]).values;
        assert_eq!((seen.version.as_deref(), seen.service_account_role.as_deref()), (Some("v1.18.3-eksbuild.1"), Some(ROLE)));
        assert_eq!(tags_of(found[0].tags()).get("strata:stack").map(String::as_str), Some("demo"));

        // A new version and another role: one UpdateAddon with both, nothing else.
        let next = V { version: Some("v1.19.0-eksbuild.1".into()), service_account_role: Some(OTHER_ROLE.into()), ..want.clone() };
        let diff = Diff {
            changes: vec![
                FieldChange { field: V::version.into(), old: Some(strata_core::Value::str("v1.18.3-eksbuild.1")), new: Some(strata_core::Value::str("v1.19.0-eksbuild.1")), forces_replacement: false },
                FieldChange { field: V::service_account_role.into(), old: Some(strata_core::Value::str(ROLE)), new: Some(strata_core::Value::str(OTHER_ROLE)), forces_replacement: false },
            ],
        };
        update_addon(&c, "apps", "vpc-cni", &next, &diff).await.unwrap();
        delete_addon(&c, "apps", "vpc-cni").await.unwrap();
        assert_eq!((create.num_calls(), list.num_calls(), describe.num_calls(), update.num_calls(), delete.num_calls()), (1, 1, 1, 1, 1));
    }

    #[test]
    fn addon_ids_come_from_the_arn() {
        assert_eq!(Addons::id(&addon("v1", None)), Some("apps/vpc-cni"));
    }
}
