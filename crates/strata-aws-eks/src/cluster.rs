//! `aws:eks:Cluster`: an EKS control plane with its Kubernetes version,
//! subnets and security groups, private and/or public endpoint (with the
//! CIDRs allowed to reach a public one), secrets encryption with a KMS key
//! and control-plane logs.
//!
//! The endpoint access and the logs change in place (`UpdateClusterConfig`,
//! one kind of change a call, each waited for: a cluster takes one update at
//! a time), the Kubernetes version by `UpdateClusterVersion` (one minor
//! version a step, as EKS allows); subnets, security groups, the role and
//! the encryption key replace the cluster. `CreateCluster` over an existing
//! name fails on AWS (`ResourceInUseException`); it is looked for first, so
//! that the error names the cluster.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{Cluster as Sdk, ClusterStatus, EncryptionConfig, LogSetup, LogType, Logging, Provider, VpcConfigRequest};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, cluster_names, name_problem, sdk_tags, tags_of, EksTags};

/// The control-plane log types EKS has.
pub const LOG_TYPES: [&str; 5] = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

strata_aws::kind_fields! {
    /// An EKS cluster.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_eks::Cluster;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let eks = stack.add(
    ///     "apps",
    ///     Cluster::new("1.30", "arn:aws:iam::111122223333:role/eks-cluster", ["subnet-0a", "subnet-0b"])
    ///         .public_endpoint(["203.0.113.0/24"])
    ///         .secrets_kms_key("arn:aws:kms:eu-central-1:111122223333:key/0123")
    ///         .log_types(["api", "audit"]),
    /// );
    /// let _ = (eks.arn(), eks.endpoint(), eks.oidc_issuer());
    /// ```
    pub struct Cluster: "aws:eks:Cluster";
    values ClusterValues;
    handle ClusterHandle / ClusterOutputs { arn, cluster_name, endpoint, oidc_issuer, certificate_authority, cluster_security_group_id };
    fields {
        /// The cluster's name (default: `<stack>-<logical name>-<hash of the fields that replace it>`, 100 characters at most).
        name: str [replace];
        /// The Kubernetes version (`1.30`); raised one minor version at a time.
        version: str [update required];
        /// The IAM role the control plane acts as.
        role_arn: str [replace required];
        /// The subnets of the control plane's network interfaces (two AZs at least).
        subnets: strs [replace required];
        /// Additional security groups of those interfaces.
        security_groups: strs [replace] = Vec::<String>::new();
        /// Reach the API server from inside the VPC (default: on).
        endpoint_private: bool [update] = true;
        /// Reach the API server from the internet (default: off).
        endpoint_public: bool [update] = false;
        /// With a public endpoint: the CIDRs allowed to reach it.
        public_cidrs: strs [update] = Vec::<String>::new();
        /// Encrypt Kubernetes secrets with this KMS key (its ARN).
        secrets_kms_key: str [replace cleared];
        /// The control-plane logs sent to CloudWatch Logs (see [`LOG_TYPES`]).
        log_types: strs [update] = Vec::<String>::new();
    }
}

impl Cluster {
    /// A cluster of Kubernetes `version` acting as `role_arn` in `subnets`,
    /// with a private endpoint only and no logs.
    pub fn new<S: Into<Arg<String>>>(version: &str, role_arn: impl Into<Arg<String>>, subnets: impl IntoIterator<Item = S>) -> Self {
        let c = Self::empty().version(version).role_arn(role_arn);
        subnets.into_iter().fold(c, |c, s| c.push(V::subnets, s.into().into_input()))
    }

    /// Add a security group to the control plane's interfaces.
    pub fn security_group(self, id: impl Into<Arg<String>>) -> Self {
        self.push(V::security_groups, id.into().into_input())
    }

    /// Open the API server to the internet, from these CIDRs only (give
    /// `0.0.0.0/0` to open it to everyone).
    pub fn public_endpoint<S: Into<String>>(self, cidrs: impl IntoIterator<Item = S>) -> Self {
        self.endpoint_public(true).public_cidrs(cidrs.into_iter().map(Into::into).collect::<Vec<String>>())
    }
}

type V = ClusterValues;

/// The kind behind [`Cluster`].
pub(crate) struct Clusters;

fn logging(types: &[String]) -> Logging {
    let on: Vec<LogType> = types.iter().map(|t| LogType::from(t.as_str())).collect();
    let off: Vec<LogType> = LOG_TYPES.iter().filter(|t| !types.iter().any(|x| x == *t)).map(|t| LogType::from(*t)).collect();
    let mut setups = Vec::new();
    if !on.is_empty() {
        setups.push(LogSetup::builder().set_types(Some(on)).enabled(true).build());
    }
    if !off.is_empty() {
        setups.push(LogSetup::builder().set_types(Some(off)).enabled(false).build());
    }
    Logging::builder().set_cluster_logging(Some(setups)).build()
}

fn endpoint_access(v: &V) -> VpcConfigRequest {
    let public = v.endpoint_public == Some(true);
    VpcConfigRequest::builder()
        .endpoint_private_access(v.endpoint_private.unwrap_or(true))
        .endpoint_public_access(public)
        .set_public_access_cidrs(public.then(|| v.public_cidrs.clone().unwrap_or_default()))
        .build()
}

async fn describe(aws: &Aws, region: &str, name: &str) -> Result<Option<Sdk>, ProviderError> {
    let out = strata_aws::found(client(aws, region).describe_cluster().name(name).send().await.map_err(err("DescribeCluster")))?;
    Ok(out.and_then(|o| o.cluster().cloned()))
}

/// Wait until the cluster takes the next update (`ACTIVE` again).
async fn wait_active(aws: &Aws, cx: &OpContext, name: &str) -> Result<(), ProviderError> {
    let what = format!("EKS cluster {name} (`{}`) to finish its update", cx.name);
    wait_until(&what, cx.timeout, cx.poll, || async {
        Ok(describe(aws, &cx.region, name).await?.filter(|c| c.status() == Some(&ClusterStatus::Active)).map(|_| ()))
    })
    .await
}

/// The derived name, salted with the fields that replace the cluster: a
/// replacement is made before the old cluster is deleted, and two clusters
/// of a region cannot share a name.
fn derived_name(cx: &OpContext, v: &V) -> String {
    let salt = format!("{:?}/{:?}/{:?}/{:?}", v.role_arn, v.subnets, v.security_groups, v.secrets_kms_key);
    let rules = strata_aws::naming::IdRules { max_len: 100, min_len: 1, lowercase: false };
    strata_aws::naming::derived_id(rules, &cx.stack, &cx.name, &salt)
}

/// `1.30` as (1, 30).
fn minor(version: &str) -> Option<(u32, u32)> {
    let (a, b) = version.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

#[async_trait]
impl Kind for Clusters {
    type Builder = Cluster;
    type Item = Sdk;
    type Tags = EksTags;

    const IDENTITY: Option<&'static str> = Some(V::name);
    const DERIVED: &'static [&'static str] = &[V::name];
    const WAIT_FOR_DELETE: bool = true;

    fn id(item: &Sdk) -> Option<&str> {
        item.name()
    }

    fn tag_target(item: &Sdk) -> Option<String> {
        item.arn().map(str::to_string)
    }

    fn carried_tags(item: &Sdk) -> Option<Tags> {
        Some(tags_of(item.tags()))
    }

    fn life(item: &Sdk) -> Life {
        match item.status() {
            Some(ClusterStatus::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(item: &Sdk) -> Result<bool, ProviderError> {
        match item.status() {
            Some(ClusterStatus::Active) => Ok(true),
            Some(ClusterStatus::Failed) => Err(strata_aws::failed("CreateCluster", "EKS cluster", item.name(), None)),
            _ => Ok(false),
        }
    }

    fn observe(item: &Sdk) -> Seen<Cluster> {
        let vpc = item.resources_vpc_config();
        let sorted = |l: &[String]| {
            let mut l = l.to_vec();
            l.sort();
            l
        };
        let public = vpc.is_some_and(|v| v.endpoint_public_access());
        let mut logs: Vec<String> = item
            .logging()
            .map(|l| l.cluster_logging())
            .unwrap_or_default()
            .iter()
            .filter(|s| s.enabled() == Some(true))
            .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
            .collect();
        logs.sort();
        let key = item.encryption_config().iter().find_map(|e| e.provider().and_then(|p| p.key_arn()).map(str::to_string));
        Seen {
            values: V {
                name: item.name().map(str::to_string),
                version: item.version().map(str::to_string),
                role_arn: item.role_arn().map(str::to_string),
                subnets: Some(vpc.map(|v| sorted(v.subnet_ids())).unwrap_or_default()),
                security_groups: Some(vpc.map(|v| sorted(v.security_group_ids())).unwrap_or_default()),
                endpoint_private: Some(vpc.is_some_and(|v| v.endpoint_private_access())),
                endpoint_public: Some(public),
                // A private-only endpoint answers 0.0.0.0/0 too: only a public one's count.
                public_cidrs: Some(if public { sorted(vpc.map(|v| v.public_access_cidrs()).unwrap_or_default()) } else { Vec::new() }),
                secrets_kms_key: key,
                log_types: Some(logs),
                ..V::default()
            },
            outputs: ClusterOutputs {
                arn: item.arn().map(str::to_string),
                cluster_name: item.name().map(str::to_string),
                endpoint: item.endpoint().map(str::to_string),
                oidc_issuer: item.identity().and_then(|i| i.oidc()).and_then(|o| o.issuer()).map(str::to_string),
                certificate_authority: item.certificate_authority().and_then(|c| c.data()).map(str::to_string),
                cluster_security_group_id: vpc.and_then(|v| v.cluster_security_group_id()).map(str::to_string),
            },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Sdk>, ProviderError> {
        let mut out = Vec::new();
        for name in cluster_names(aws, scope).await?.iter() {
            out.extend(describe(aws, &scope.region, name).await?);
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Sdk>, ProviderError> {
        describe(aws, region, id).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Cluster>) -> Result<Created<Sdk>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| derived_name(cx, v));
        if let Some(theirs) = describe(aws, &cx.region, &name).await? {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                "CreateCluster",
                format!("an EKS cluster named {name:?} already exists ({}) and is not this stack's", theirs.arn().unwrap_or_default()),
            ));
        }
        let vpc = VpcConfigRequest::builder()
            .set_subnet_ids(v.subnets.clone())
            .set_security_group_ids(v.security_groups.clone().filter(|l| !l.is_empty()))
            .endpoint_private_access(v.endpoint_private.unwrap_or(true))
            .endpoint_public_access(v.endpoint_public == Some(true))
            .set_public_access_cidrs((v.endpoint_public == Some(true)).then(|| v.public_cidrs.clone().unwrap_or_default()))
            .build();
        // `resources` is deprecated (EKS now encrypts all API data with the
        // key) but still what the API and the emulators expect.
        #[allow(deprecated)]
        let encryption = v.secrets_kms_key.as_ref().map(|k| EncryptionConfig::builder().resources("secrets").provider(Provider::builder().key_arn(k).build()).build());
        let out = client(aws, &cx.region)
            .create_cluster()
            .name(&name)
            .set_version(v.version.clone())
            .set_role_arn(v.role_arn.clone())
            .resources_vpc_config(vpc)
            .logging(logging(v.log_types.as_deref().unwrap_or_default()))
            .set_encryption_config(encryption.map(|e| vec![e]))
            .client_request_token(&cx.idempotency_token)
            .set_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateCluster"))?;
        let cluster = out.cluster().cloned().ok_or_else(|| strata_aws::lacks("CreateCluster", "cluster", &cx.name))?;
        Ok(Created::Item(cluster))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Cluster>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let c = client(aws, &cx.region);
        let name = actual.id.as_str();
        if diff.changed(V::version).is_some() {
            // One minor version a step, as EKS allows.
            let have = actual.props.get(V::version).and_then(Value::as_str).and_then(minor);
            let target = v.version.as_deref().and_then(minor);
            let (Some(mut at), Some(to)) = (have, target) else {
                return Err(ProviderError::new(ErrorClass::Invalid, "UpdateClusterVersion", "the cluster's version is not MAJOR.MINOR"));
            };
            while at < to {
                at.1 += 1;
                let step = format!("{}.{}", at.0, at.1);
                c.update_cluster_version().name(name).version(&step).send().await.map_err(err("UpdateClusterVersion"))?;
                wait_active(aws, cx, name).await?;
            }
        }
        if [V::endpoint_private, V::endpoint_public, V::public_cidrs].iter().any(|f| diff.changed(f).is_some()) {
            c.update_cluster_config().name(name).resources_vpc_config(endpoint_access(v)).send().await.map_err(err("UpdateClusterConfig"))?;
            wait_active(aws, cx, name).await?;
        }
        if diff.changed(V::log_types).is_some() {
            c.update_cluster_config().name(name).logging(logging(v.log_types.as_deref().unwrap_or_default())).send().await.map_err(err("UpdateClusterConfig"))?;
            wait_active(aws, cx, name).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        client(aws, &cx.region).delete_cluster().name(&actual.id).send().await.map(|_| ()).map_err(err("DeleteCluster"))
    }

    fn normalize(props: &mut strata_core::Props) {
        for f in [V::subnets, V::security_groups, V::public_cidrs, V::log_types] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                l.dedup();
            }
        }
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let known_str = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        if let Some(p) = known_str(V::name).and_then(|n| name_problem(&n, 100)) {
            out.push(Diagnostic::field(r, V::name, p));
        }
        if let Some(ver) = known_str(V::version).filter(|ver| minor(ver).is_none()) {
            out.push(Diagnostic::field(r, V::version, format!("{ver:?} is not a Kubernetes version (MAJOR.MINOR, such as 1.30)")));
        }
        let subnets = match decl.inputs.get(V::subnets) {
            Some(strata_core::Input::List(l)) => l.clone(),
            _ => Vec::new(),
        };
        if subnets.len() < 2 {
            out.push(Diagnostic::field(r, V::subnets, "an EKS cluster needs subnets in at least two AZs"));
        } else if let Some(azs) = strata_aws::props::subnet_azs(stack, &subnets) {
            if azs.len() < 2 {
                out.push(Diagnostic::field(r, V::subnets, format!("the subnets are all in {}: an EKS cluster needs two AZs", azs.iter().next().map(String::as_str).unwrap_or("one AZ"))));
            }
        }
        let private = decl.known(V::endpoint_private).and_then(|v| v.as_bool()).unwrap_or(true);
        let public = decl.known(V::endpoint_public).and_then(|v| v.as_bool()).unwrap_or(false);
        if !private && !public {
            out.push(Diagnostic::field(r, V::endpoint_public, "the API server needs a private or a public endpoint (or both)"));
        }
        let cidrs = match decl.known(V::public_cidrs) {
            Some(Value::List(l)) => l.iter().filter_map(|c| c.as_str().map(str::to_string)).collect::<Vec<String>>(),
            _ => Vec::new(),
        };
        if public && cidrs.is_empty() {
            out.push(Diagnostic::field(r, V::public_cidrs, "a public endpoint names the CIDRs allowed to reach it (0.0.0.0/0 for everyone)"));
        }
        if !public && !cidrs.is_empty() {
            out.push(Diagnostic::field(r, V::public_cidrs, "CIDRs are for a public endpoint, and this one is private"));
        }
        for c in &cidrs {
            let ok = c.split_once('/').is_some_and(|(ip, len)| ip.parse::<std::net::Ipv4Addr>().is_ok() && len.parse::<u8>().is_ok_and(|n| n <= 32));
            if !ok {
                out.push(Diagnostic::field(r, V::public_cidrs, format!("{c:?} is not a CIDR block")));
            }
        }
        if let Some(Value::List(l)) = decl.known(V::log_types) {
            for t in l.iter().filter_map(Value::as_str).filter(|t| !LOG_TYPES.contains(t)) {
                out.push(Diagnostic::field(r, V::log_types, format!("{t:?} is not a log type ({})", LOG_TYPES.join(", "))));
            }
        }
        if let Some(k) = known_str(V::secrets_kms_key).filter(|k| !k.starts_with("arn:")) {
            out.push(Diagnostic::field(r, V::secrets_kms_key, format!("{k:?}: EKS takes the key's ARN")));
        }
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(12 * 60),
            Op::Delete => Duration::from_secs(8 * 60),
            _ => Duration::from_secs(5 * 60),
        }
    }

    fn default_timeout(op: Op) -> Duration {
        match op {
            Op::Create | Op::Update => Duration::from_secs(40 * 60),
            _ => Duration::from_secs(30 * 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replacement_gets_another_derived_name() {
        let cx = OpContext {
            stack: "innovate-prod".into(),
            name: "eks".into(),
            region: "eu-central-1".into(),
            timeout: Duration::from_secs(1),
            poll: strata_engine::PollPolicy::default(),
            idempotency_token: String::new(),
        };
        let a = V { subnets: Some(vec!["subnet-a".into(), "subnet-b".into()]), ..V::default() };
        let b = V { subnets: Some(vec!["subnet-a".into(), "subnet-c".into()]), ..V::default() };
        assert_ne!(derived_name(&cx, &a), derived_name(&cx, &b));
        assert_eq!(derived_name(&cx, &a), derived_name(&cx, &a.clone()), "stable");
        assert!(derived_name(&cx, &a).starts_with("innovate-prod-eks-") && name_problem(&derived_name(&cx, &a), 100).is_none());
    }
}
