//! OpenSearch Service: `aws:opensearch:Domain`, in a VPC, encrypted at rest
//! and node to node, HTTPS only (all on by default).
//!
//! Discovery: one `ListDomainNames`, `DescribeDomains` five names at a time,
//! then `ListTags` per domain to confirm ownership (OpenSearch has no tag
//! filter). An engine version change is a replacement in this version (the
//! plan says so); in-place `UpgradeDomain` is not wired yet.

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_opensearch, "opensearch");

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_opensearch::types::{
    ClusterConfig, DomainEndpointOptions, DomainStatus, EbsOptions, EncryptionAtRestOptions, NodeToNodeEncryptionOptions, Tag,
    TlsSecurityPolicy, VolumeType, VpcOptions, ZoneAwarenessConfig,
};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::naming::{derived_id, id_problem, OPENSEARCH_DOMAIN};
use strata_aws::props::{str_of, strs};
use strata_aws::Aws;

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(DomainProvider { aws: aws.clone() }));
}

/// An OpenSearch (or Elasticsearch 7.10) domain.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::{Subnet, Vpc};
/// use strata_aws_opensearch::Domain;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
/// let b = stack.add("search-b", Subnet::new(vpc.id(), "10.0.41.0/24", "eu-central-1b"));
/// let c = stack.add("search-c", Subnet::new(vpc.id(), "10.0.42.0/24", "eu-central-1c"));
/// let es = stack.add(
///     "search",
///     Domain::new("Elasticsearch_7.10", "m6g.large.search").instances(2).ebs_gb(30).subnets([b.id(), c.id()]),
/// );
/// let _ = es.endpoint();
/// ```
#[derive(Clone, Debug)]
pub struct Domain {
    name: Option<String>,
    engine_version: String,
    instance_type: String,
    instances: i64,
    ebs_gb: i64,
    ebs_type: String,
    subnets: Vec<Input>,
    security_groups: Vec<Input>,
    encryption_at_rest: bool,
    kms_key: Option<Input>,
    node_to_node: bool,
    enforce_https: bool,
    access_policy: Option<String>,
    tags: BTreeMap<String, Input>,
}

impl Domain {
    /// `engine_version` is `OpenSearch_2.x` or `Elasticsearch_7.10` style.
    pub fn new(engine_version: &str, instance_type: &str) -> Self {
        Domain {
            name: None,
            engine_version: engine_version.into(),
            instance_type: instance_type.into(),
            instances: 1,
            ebs_gb: 10,
            ebs_type: "gp3".into(),
            subnets: Vec::new(),
            security_groups: Vec::new(),
            encryption_at_rest: true,
            kms_key: None,
            node_to_node: true,
            enforce_https: true,
            access_policy: None,
            tags: BTreeMap::new(),
        }
    }
    /// An explicit domain name (3-28 lowercase characters).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn instances(mut self, n: i64) -> Self {
        self.instances = n;
        self
    }
    /// EBS volume size per node.
    pub fn ebs_gb(mut self, gb: i64) -> Self {
        self.ebs_gb = gb;
        self
    }
    pub fn ebs_type(mut self, t: &str) -> Self {
        self.ebs_type = t.into();
        self
    }
    /// VPC subnets; with two or three, zone awareness spreads nodes over them.
    pub fn subnets<I: IntoIterator<Item = A>, A: Into<Arg<String>>>(mut self, ids: I) -> Self {
        self.subnets = ids.into_iter().map(|s| s.into().into_input()).collect();
        self
    }
    pub fn security_group(mut self, id: impl Into<Arg<String>>) -> Self {
        self.security_groups.push(id.into().into_input());
        self
    }
    /// Opt out of encryption at rest (the plan warns).
    pub fn unencrypted_at_rest(mut self) -> Self {
        self.encryption_at_rest = false;
        self
    }
    pub fn kms_key(mut self, key: impl Into<Arg<String>>) -> Self {
        self.kms_key = Some(key.into().into_input());
        self
    }
    pub fn node_to_node_encryption(mut self, on: bool) -> Self {
        self.node_to_node = on;
        self
    }
    pub fn enforce_https(mut self, on: bool) -> Self {
        self.enforce_https = on;
        self
    }
    /// A resource-based access policy (JSON).
    pub fn access_policy(mut self, json: &str) -> Self {
        self.access_policy = Some(json.into());
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`Domain`].
    DomainHandle { domain_name: "name", arn: "arn", endpoint: "endpoint" }
);

impl Resource for Domain {
    const KIND: &'static str = "aws:opensearch:Domain";
    type Handle = DomainHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let null = || Input::Known(Value::Null);
        let list = |l: Vec<Input>| if l.is_empty() { null() } else { Input::List(l) };
        BTreeMap::from([
            ("name".to_string(), Input::from(self.name)),
            ("engine_version".to_string(), Input::from(self.engine_version)),
            ("instance_type".to_string(), Input::from(self.instance_type)),
            ("instances".to_string(), Input::from(self.instances)),
            ("ebs_gb".to_string(), Input::from(self.ebs_gb)),
            ("ebs_type".to_string(), Input::from(self.ebs_type)),
            ("subnet_ids".to_string(), list(self.subnets)),
            ("security_group_ids".to_string(), list(self.security_groups)),
            ("encryption_at_rest".to_string(), Input::from(self.encryption_at_rest)),
            ("kms_key_id".to_string(), self.kms_key.unwrap_or_else(null)),
            ("node_to_node_encryption".to_string(), Input::from(self.node_to_node)),
            ("enforce_https".to_string(), Input::from(self.enforce_https)),
            ("access_policy".to_string(), Input::from(self.access_policy)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct DomainProvider {
    aws: Aws,
}

fn version_problem(v: &str) -> Option<String> {
    let ok = match v.split_once('_') {
        Some(("OpenSearch", n)) => matches!(n.split_once('.'), Some(("1", m)) if m.parse::<u32>().is_ok_and(|m| m <= 3))
            || matches!(n.split_once('.'), Some(("2", m)) if m.parse::<u32>().is_ok_and(|m| (3..=30).contains(&m))),
        Some(("Elasticsearch", n)) => ["6.8", "7.1", "7.4", "7.7", "7.8", "7.9", "7.10"].contains(&n),
        _ => false,
    };
    (!ok).then(|| format!("{v:?} is not a known engine version such as OpenSearch_2.13 or Elasticsearch_7.10"))
}

fn sorted(mut v: Vec<Value>) -> Value {
    v.sort();
    Value::List(v)
}

fn observe(region: &str, d: &DomainStatus, tags: Tags) -> Observed {
    let name = d.domain_name();
    let s = |v: Option<&str>| v.map(Value::str).unwrap_or(Value::Null);
    let cluster = d.cluster_config();
    let ebs = d.ebs_options();
    let vpc = d.vpc_options();
    let subnets: Vec<Value> = vpc.map(|v| v.subnet_ids().iter().map(Value::str).collect()).unwrap_or_default();
    let sgs: Vec<Value> = vpc.map(|v| v.security_group_ids().iter().map(Value::str).collect()).unwrap_or_default();
    let endpoint = d.endpoints().and_then(|e| e.get("vpc").cloned()).or_else(|| d.endpoint().map(str::to_string));
    let mut o = Observed::new(Domain::KIND, name, region);
    o.refs = subnets.iter().chain(sgs.iter()).filter_map(|v| v.as_str().map(str::to_string)).collect();
    o.props = Props::from([
        ("name".into(), Value::str(name)),
        ("engine_version".into(), s(d.engine_version())),
        ("instance_type".into(), s(cluster.and_then(|c| c.instance_type()).map(|t| t.as_str()))),
        ("instances".into(), cluster.and_then(|c| c.instance_count()).map(|n| Value::Int(n.into())).unwrap_or(Value::Null)),
        ("ebs_gb".into(), ebs.and_then(|e| e.volume_size()).map(|n| Value::Int(n.into())).unwrap_or(Value::Null)),
        ("ebs_type".into(), s(ebs.and_then(|e| e.volume_type()).map(|t| t.as_str()))),
        ("subnet_ids".into(), if subnets.is_empty() { Value::Null } else { sorted(subnets) }),
        ("security_group_ids".into(), if sgs.is_empty() { Value::Null } else { sorted(sgs) }),
        ("encryption_at_rest".into(), Value::Bool(d.encryption_at_rest_options().and_then(|e| e.enabled()).unwrap_or(false))),
        ("kms_key_id".into(), s(d.encryption_at_rest_options().and_then(|e| e.kms_key_id()))),
        (
            "node_to_node_encryption".into(),
            Value::Bool(d.node_to_node_encryption_options().and_then(|e| e.enabled()).unwrap_or(false)),
        ),
        ("enforce_https".into(), Value::Bool(d.domain_endpoint_options().and_then(|e| e.enforce_https()).unwrap_or(false))),
        ("access_policy".into(), s(d.access_policies().filter(|p| !p.is_empty()))),
        ("tags".into(), Value::from_tags(&tags)),
    ]);
    o.outputs = Props::from([
        ("id".into(), Value::str(name)),
        ("name".into(), Value::str(name)),
        ("arn".into(), Value::str(d.arn())),
        ("endpoint".into(), endpoint.map(Value::Str).unwrap_or(Value::Null)),
    ]);
    o
}

fn json_eq(a: &str, b: &str) -> bool {
    match (serde_json::from_str::<serde_json::Value>(a), serde_json::from_str::<serde_json::Value>(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

impl DomainProvider {
    async fn tags_of(&self, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let out = crate::client(&self.aws, region).list_tags().arn(arn).send().await.map_err(err("ListTags"))?;
        Ok(out.tag_list().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
    }

    async fn describe(&self, region: &str, name: &str) -> Result<Option<DomainStatus>, ProviderError> {
        match crate::client(&self.aws, region).describe_domain().domain_name(name).send().await {
            Ok(o) => Ok(o.domain_status().cloned().filter(|d| d.deleted() != Some(true))),
            Err(e) => strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeDomain", e)),
        }
    }

    async fn wait_ready(&self, cx: &OpContext, name: &str) -> Result<DomainStatus, ProviderError> {
        let what = format!("OpenSearch domain {name} to finish processing");
        wait_until(&what, cx.timeout, cx.poll, || async {
            let Some(d) = self.describe(&cx.region, name).await? else {
                return Err(ProviderError::new(ErrorClass::NotFoundYet, "DescribeDomain", format!("{name} not visible yet")));
            };
            let has_endpoint = d.endpoint().is_some() || d.endpoints().is_some_and(|e| !e.is_empty());
            Ok((d.processing() != Some(true) && d.created() != Some(false) && has_endpoint).then_some(d))
        })
        .await
    }

    fn cluster_config(desired: &Props) -> ClusterConfig {
        let count = desired.get("instances").and_then(Value::as_int).unwrap_or(1) as i32;
        let azs = strs(desired, "subnet_ids").len().clamp(1, 3) as i32;
        let mut c = ClusterConfig::builder()
            .set_instance_type(str_of(desired, "instance_type").map(|t| t.as_str().into()))
            .instance_count(count);
        if azs >= 2 {
            c = c.zone_awareness_enabled(true).zone_awareness_config(ZoneAwarenessConfig::builder().availability_zone_count(azs).build());
        }
        c.build()
    }

    fn ebs(desired: &Props) -> EbsOptions {
        EbsOptions::builder()
            .ebs_enabled(true)
            .volume_type(VolumeType::from(str_of(desired, "ebs_type").unwrap_or_else(|| "gp3".into()).as_str()))
            .set_volume_size(desired.get("ebs_gb").and_then(Value::as_int).map(|n| n as i32))
            .build()
    }

    fn endpoint_options(desired: &Props) -> DomainEndpointOptions {
        DomainEndpointOptions::builder()
            .enforce_https(desired.get("enforce_https").and_then(Value::as_bool).unwrap_or(true))
            .tls_security_policy(TlsSecurityPolicy::PolicyMinTls12201907)
            .build()
    }

    fn vpc(desired: &Props) -> Option<VpcOptions> {
        let subnets = strs(desired, "subnet_ids");
        (!subnets.is_empty()).then(|| {
            VpcOptions::builder()
                .set_subnet_ids(Some(subnets))
                .set_security_group_ids(Some(strs(desired, "security_group_ids")).filter(|l| !l.is_empty()))
                .build()
        })
    }
}

#[async_trait]
impl Provider for DomainProvider {
    fn kind(&self) -> &'static str {
        Domain::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["name", "engine_version", "encryption_at_rest", "kms_key_id", "node_to_node_encryption"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let known_str = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        let known_int = |f: &str| decl.known(f).and_then(|v| v.as_int());
        let mut problem = |f: &str, msg: String| out.push(Diagnostic::field(&decl.name, f, msg));
        if let Some(n) = known_str("name") {
            if let Some(p) = id_problem(OPENSEARCH_DOMAIN, &n) {
                problem("name", p);
            }
        }
        if let Some(p) = known_str("engine_version").and_then(|v| version_problem(&v)) {
            problem("engine_version", p);
        }
        if let Some(t) = known_str("instance_type") {
            if !t.ends_with(".search") || t.split('.').count() != 3 {
                problem("instance_type", format!("{t:?} is not an instance type such as m6g.large.search"));
            }
        }
        let count = known_int("instances").unwrap_or(1);
        if !(1..=80).contains(&count) {
            problem("instances", format!("{count} is outside 1-80"));
        }
        let azs = match decl.inputs.get("subnet_ids") {
            Some(Input::List(l)) => l.len() as i64,
            _ => 0,
        };
        if azs > 3 {
            problem("subnet_ids", format!("{azs} subnets; a domain spans at most 3 AZs"));
        } else if azs >= 2 && count % azs != 0 {
            problem("instances", format!("{count} instances cannot spread evenly over {azs} AZs"));
        }
        if let Some(gb) = known_int("ebs_gb") {
            if !(10..=16_384).contains(&gb) {
                problem("ebs_gb", format!("{gb} GiB is outside 10-16384"));
            }
        }
        if let Some(p) = known_str("access_policy") {
            if serde_json::from_str::<serde_json::Value>(&p).map(|v| !v.is_object()).unwrap_or(true) {
                problem("access_policy", "is not a JSON policy object".into());
            }
        }
        if decl.known("encryption_at_rest").and_then(|v| v.as_bool()) == Some(false)
            && !matches!(decl.inputs.get("kms_key_id"), None | Some(Input::Known(Value::Null)))
        {
            problem("kms_key_id", "a KMS key is set but encryption at rest is off".into());
        }
    }

    fn validate_all(&self, decls: &[&ResourceDecl], _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut seen = BTreeMap::new();
        for d in decls {
            if let Some(n) = d.known("name").and_then(|v| v.as_str().map(str::to_string)) {
                if let Some(other) = seen.insert(n.clone(), d.name.clone()) {
                    out.push(Diagnostic::field(&d.name, "name", format!("{n:?} is also the name of {other}")));
                }
            }
        }
    }

    fn warnings(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if decl.known("encryption_at_rest").and_then(|v| v.as_bool()) == Some(false) {
            out.push(Diagnostic::field(&decl.name, "encryption_at_rest", "encryption at rest is turned off"));
        }
        if matches!(decl.inputs.get("subnet_ids"), None | Some(Input::Known(Value::Null))) {
            out.push(Diagnostic::field(&decl.name, "subnet_ids", "the domain has a public endpoint (no VPC subnets)"));
        }
    }

    fn normalize(&self, props: &mut Props) {
        for f in ["subnet_ids", "security_group_ids"] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort();
            }
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        want.retain(|k, v| !(*v == Value::Null && k != "name" && k != "access_policy"));
        let mut have = actual.props.clone();
        if let (Some(w), Some(h)) = (want.get("access_policy").and_then(Value::as_str), have.get("access_policy").and_then(Value::as_str)) {
            if json_eq(w, h) {
                have.insert("access_policy".into(), Value::str(w));
            }
        }
        if let (Some(w), Some(h)) = (want.get("kms_key_id").and_then(Value::as_str), have.get("kms_key_id").and_then(Value::as_str)) {
            if h.ends_with(&format!("/{w}")) || w.ends_with(&format!("/{h}")) {
                have.insert("kms_key_id".into(), Value::str(w));
            }
        }
        strata_engine::diff_with_derived(&want, &have, self.replace_fields(), &["name"])
    }

    fn estimate(&self, op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(25 * 60),
            _ => Duration::from_secs(15 * 60),
        }
    }

    fn default_timeout(&self, op: Op) -> Duration {
        match op {
            Op::Delete => Duration::from_secs(60 * 60),
            _ => Duration::from_secs(90 * 60),
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let c = crate::client(&self.aws, &scope.region);
        let names: Vec<String> = c
            .list_domain_names()
            .send()
            .await
            .map_err(err("ListDomainNames"))?
            .domain_names()
            .iter()
            .filter_map(|d| d.domain_name().map(str::to_string))
            .collect();
        let mut out = Vec::new();
        for chunk in names.chunks(5) {
            let ds = c.describe_domains().set_domain_names(Some(chunk.to_vec())).send().await.map_err(err("DescribeDomains"))?;
            for d in ds.domain_status_list().iter().filter(|d| d.deleted() != Some(true)) {
                let t = self.tags_of(&scope.region, d.arn()).await?;
                if t.get(tags::STACK) == Some(&scope.stack) {
                    out.push(observe(&scope.region, d, t));
                }
            }
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let Some(d) = self.describe(region, id).await? else { return Ok(None) };
        let t = self.tags_of(region, d.arn()).await?;
        Ok(Some(observe(region, &d, t)))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let salt = format!("{}/{}", str_of(desired, "engine_version").unwrap_or_default(), str_of(desired, "kms_key_id").unwrap_or_default());
        let name = str_of(desired, "name").unwrap_or_else(|| derived_id(OPENSEARCH_DOMAIN, &cx.stack, &cx.name, &salt));
        let tags: Vec<Tag> = strata_aws::desired_tags(desired).into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
        crate::client(&self.aws, &cx.region)
            .create_domain()
            .domain_name(&name)
            .set_engine_version(str_of(desired, "engine_version"))
            .cluster_config(Self::cluster_config(desired))
            .ebs_options(Self::ebs(desired))
            .set_vpc_options(Self::vpc(desired))
            .encryption_at_rest_options(
                EncryptionAtRestOptions::builder()
                    .enabled(desired.get("encryption_at_rest").and_then(Value::as_bool).unwrap_or(true))
                    .set_kms_key_id(str_of(desired, "kms_key_id"))
                    .build(),
            )
            .node_to_node_encryption_options(
                NodeToNodeEncryptionOptions::builder()
                    .enabled(desired.get("node_to_node_encryption").and_then(Value::as_bool).unwrap_or(true))
                    .build(),
            )
            .domain_endpoint_options(Self::endpoint_options(desired))
            .set_access_policies(str_of(desired, "access_policy"))
            .set_tag_list(Some(tags))
            .send()
            .await
            .map_err(err("CreateDomain"))?;
        let d = self.wait_ready(cx, &name).await?;
        Ok(observe(&cx.region, &d, strata_aws::desired_tags(desired)))
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let changed = |f: &str| diff.changed(f).is_some();
        if changed("tags") {
            let want = strata_aws::desired_tags(desired);
            let remove: Vec<String> = actual.tags().keys().filter(|k| !want.contains_key(*k)).cloned().collect();
            self.set_tags(cx, actual, &want, &remove).await?;
        }
        if ["instance_type", "instances", "ebs_gb", "ebs_type", "subnet_ids", "security_group_ids", "enforce_https", "access_policy"]
            .iter()
            .any(|f| changed(f))
        {
            let mut req = c.update_domain_config().domain_name(&actual.id);
            if changed("instance_type") || changed("instances") || changed("subnet_ids") {
                req = req.cluster_config(Self::cluster_config(desired));
            }
            if changed("ebs_gb") || changed("ebs_type") {
                req = req.ebs_options(Self::ebs(desired));
            }
            if changed("subnet_ids") || changed("security_group_ids") {
                req = req.set_vpc_options(Self::vpc(desired));
            }
            if changed("enforce_https") {
                req = req.domain_endpoint_options(Self::endpoint_options(desired));
            }
            if changed("access_policy") {
                req = req.access_policies(str_of(desired, "access_policy").unwrap_or_default());
            }
            req.send().await.map_err(err("UpdateDomainConfig"))?;
        }
        let d = self.wait_ready(cx, &actual.id).await?;
        Ok(observe(&cx.region, &d, strata_aws::desired_tags(desired)))
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_domain().domain_name(&actual.id).send().await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteDomain")))?;
        let what = format!("OpenSearch domain {} to be deleted", actual.id);
        wait_until(&what, cx.timeout, cx.poll, || async { Ok(self.describe(&cx.region, &actual.id).await?.is_none().then_some(())) }).await
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let arn = actual.outputs.get("arn").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        if !remove.is_empty() {
            c.remove_tags().arn(&arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("RemoveTags"))?;
        }
        if !add.is_empty() {
            let t = add.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
            c.add_tags().arn(&arn).set_tag_list(Some(t)).send().await.map_err(err("AddTags"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_versions_and_policies() {
        assert_eq!(version_problem("Elasticsearch_7.10"), None);
        assert_eq!(version_problem("OpenSearch_2.13"), None);
        assert!(version_problem("OpenSearch_3.0").is_some());
        assert!(version_problem("7.10").is_some());
        assert!(json_eq(r#"{"a":1,"b":[1,2]}"#, r#"{ "b": [1,2], "a": 1 }"#));
        assert!(!json_eq(r#"{"a":1}"#, r#"{"a":2}"#));
    }
}
