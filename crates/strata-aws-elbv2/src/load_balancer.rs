//! `aws:elbv2:LoadBalancer`: an application or network load balancer. Create
//! waits until `active`. Deletion protection, the idle timeout (application),
//! cross-zone balancing (network; an application load balancer always
//! balances across zones) and access logs are attributes, read with
//! `DescribeLoadBalancerAttributes` (no batched form). The type and the scheme
//! replace the load balancer.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum,
};
use strata_core::{Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError};

use super::{derived_name, name_problem, sdk_tags, sync_tags, tags_of};
use strata_aws::error::err;
use strata_aws::Aws;

/// An application load balancer, or with [`LoadBalancer::network`] a network
/// load balancer.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::{SecurityGroup, Subnet, Vpc};
/// use strata_aws_elbv2::LoadBalancer;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
/// let b = stack.add("public-b", Subnet::new(vpc.id(), "10.0.11.0/24", "eu-central-1b").public());
/// let c = stack.add("public-c", Subnet::new(vpc.id(), "10.0.12.0/24", "eu-central-1c").public());
/// let sg = stack.add("alb-sg", SecurityGroup::new(vpc.id()));
/// let alb = stack.add("alb", LoadBalancer::internet_facing([b.id(), c.id()]).security_group(sg.id()).name("magento-prd-alb"));
/// let _ = (alb.dns_name(), alb.arn());
/// ```
#[derive(Clone, Debug)]
pub struct LoadBalancer {
    name: Option<String>,
    internal: bool,
    network: bool,
    cross_zone: bool,
    subnets: Vec<Input>,
    security_groups: Vec<Input>,
    deletion_protection: bool,
    idle_timeout: i64,
    access_logs: Option<(Input, String)>,
    tags: BTreeMap<String, Input>,
}

impl LoadBalancer {
    pub fn internet_facing<I: IntoIterator<Item = A>, A: Into<Arg<String>>>(subnets: I) -> Self {
        LoadBalancer {
            name: None,
            internal: false,
            network: false,
            cross_zone: true,
            subnets: subnets.into_iter().map(|s| s.into().into_input()).collect(),
            security_groups: Vec::new(),
            deletion_protection: false,
            idle_timeout: 60,
            access_logs: None,
            tags: BTreeMap::new(),
        }
    }
    pub fn internal<I: IntoIterator<Item = A>, A: Into<Arg<String>>>(subnets: I) -> Self {
        LoadBalancer { internal: true, ..LoadBalancer::internet_facing(subnets) }
    }
    /// A network load balancer (TCP, UDP and TLS listeners; one AZ is enough),
    /// not balancing across zones unless [`LoadBalancer::cross_zone`] says so.
    pub fn network(mut self) -> Self {
        self.network = true;
        self.cross_zone = false;
        self
    }
    /// Network load balancers: balance across zones (each node sends to the
    /// targets of every AZ; AWS charges the inter-AZ traffic).
    pub fn cross_zone(mut self, on: bool) -> Self {
        self.cross_zone = on;
        self
    }
    /// An explicit name (at most 32 characters); default: derived from stack and logical name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn security_group(mut self, id: impl Into<Arg<String>>) -> Self {
        self.security_groups.push(id.into().into_input());
        self
    }
    pub fn deletion_protection(mut self, on: bool) -> Self {
        self.deletion_protection = on;
        self
    }
    pub fn idle_timeout_seconds(mut self, s: i64) -> Self {
        self.idle_timeout = s;
        self
    }
    /// Access logs to an S3 bucket, under a prefix.
    pub fn access_logs(mut self, bucket: impl Into<Arg<String>>, prefix: &str) -> Self {
        self.access_logs = Some((bucket.into().into_input(), prefix.into()));
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`LoadBalancer`].
    LoadBalancerHandle { arn: "arn", id: "id", dns_name: "dns_name", zone_id: "zone_id", lb_name: "name" }
);

impl Resource for LoadBalancer {
    const KIND: &'static str = "aws:elbv2:LoadBalancer";
    type Handle = LoadBalancerHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let (bucket, prefix) = match self.access_logs {
            Some((b, p)) => (b, Input::from(p)),
            None => (Input::Known(Value::Null), Input::Known(Value::Null)),
        };
        BTreeMap::from([
            ("name".to_string(), Input::from(self.name)),
            ("scheme".to_string(), Input::from(if self.internal { "internal" } else { "internet-facing" })),
            ("type".to_string(), Input::from(if self.network { "network" } else { "application" })),
            ("cross_zone".to_string(), Input::from(self.cross_zone)),
            ("subnet_ids".to_string(), Input::List(self.subnets)),
            ("security_group_ids".to_string(), Input::List(self.security_groups)),
            ("deletion_protection".to_string(), Input::from(self.deletion_protection)),
            ("idle_timeout".to_string(), Input::from(self.idle_timeout)),
            ("access_logs_bucket".to_string(), bucket),
            ("access_logs_prefix".to_string(), prefix),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct LoadBalancerProvider {
    pub(crate) aws: Aws,
}

fn sorted(mut v: Vec<Value>) -> Value {
    v.sort();
    Value::List(v)
}

impl LoadBalancerProvider {
    async fn attributes(&self, region: &str, arn: &str) -> Result<BTreeMap<String, String>, ProviderError> {
        let out = crate::client(&self.aws, region)
            .describe_load_balancer_attributes()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(err("DescribeLoadBalancerAttributes"))?;
        Ok(out
            .attributes()
            .iter()
            .filter_map(|a| Some((a.key()?.to_string(), a.value().unwrap_or_default().to_string())))
            .collect())
    }

    async fn observe(
        &self,
        region: &str,
        lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer,
        tags: Tags,
    ) -> Result<Observed, ProviderError> {
        let arn = lb.load_balancer_arn().unwrap_or_default();
        let attrs = self.attributes(region, arn).await?;
        let attr = |k: &str| attrs.get(k).cloned();
        let logs_on = attr("access_logs.s3.enabled").as_deref() == Some("true");
        let subnets = lb.availability_zones().iter().filter_map(|z| z.subnet_id()).map(Value::str).collect();
        let sgs = lb.security_groups().iter().map(Value::str).collect();
        let network = lb.r#type() == Some(&LoadBalancerTypeEnum::Network);
        // An application load balancer always balances across zones, and a
        // network one has no idle timeout attribute: each reads as its default.
        let cross_zone = !network || attr("load_balancing.cross_zone.enabled").as_deref() == Some("true");
        let idle = if network { Some(60) } else { attr("idle_timeout.timeout_seconds").and_then(|s| s.parse().ok()) };
        let props = Props::from([
            ("name".into(), Value::str(lb.load_balancer_name().unwrap_or_default())),
            ("scheme".into(), Value::str(lb.scheme().map(|s| s.as_str()).unwrap_or("internet-facing"))),
            ("type".into(), Value::str(if network { "network" } else { "application" })),
            ("cross_zone".into(), Value::Bool(cross_zone)),
            ("subnet_ids".into(), sorted(subnets)),
            ("security_group_ids".into(), sorted(sgs)),
            ("deletion_protection".into(), Value::Bool(attr("deletion_protection.enabled").as_deref() == Some("true"))),
            ("idle_timeout".into(), Value::Int(idle.unwrap_or(60))),
            (
                "access_logs_bucket".into(),
                attr("access_logs.s3.bucket").filter(|b| logs_on && !b.is_empty()).map(Value::Str).unwrap_or(Value::Null),
            ),
            (
                "access_logs_prefix".into(),
                attr("access_logs.s3.prefix").filter(|_| logs_on).map(Value::Str).unwrap_or(Value::Null),
            ),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        let mut o = Observed::new(LoadBalancer::KIND, arn, region);
        o.props = props;
        o.outputs = Props::from([
            ("arn".into(), Value::str(arn)),
            ("id".into(), Value::str(arn)),
            ("dns_name".into(), Value::str(lb.dns_name().unwrap_or_default())),
            ("zone_id".into(), Value::str(lb.canonical_hosted_zone_id().unwrap_or_default())),
            ("name".into(), Value::str(lb.load_balancer_name().unwrap_or_default())),
        ]);
        o.refs = lb
            .availability_zones()
            .iter()
            .filter_map(|z| z.subnet_id())
            .chain(lb.security_groups().iter().map(String::as_str))
            .map(str::to_string)
            .collect();
        Ok(o)
    }

    async fn set_attributes(&self, region: &str, arn: &str, desired: &Props) -> Result<(), ProviderError> {
        let get = |k: &str| desired.get(k).cloned().unwrap_or(Value::Null);
        let bucket = get("access_logs_bucket");
        let mut attrs = vec![
            ("deletion_protection.enabled", get("deletion_protection").as_bool().unwrap_or(false).to_string()),
            ("access_logs.s3.enabled", (bucket != Value::Null).to_string()),
        ];
        if get("type").as_str() == Some("network") {
            attrs.push(("load_balancing.cross_zone.enabled", get("cross_zone").as_bool().unwrap_or(false).to_string()));
        } else {
            attrs.push(("idle_timeout.timeout_seconds", get("idle_timeout").as_int().unwrap_or(60).to_string()));
        }
        if let Some(b) = bucket.as_str() {
            attrs.push(("access_logs.s3.bucket", b.to_string()));
            attrs.push(("access_logs.s3.prefix", get("access_logs_prefix").as_str().unwrap_or_default().to_string()));
        }
        let attrs = attrs.into_iter().map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v).build()).collect();
        crate::client(&self.aws, region)
            .modify_load_balancer_attributes()
            .load_balancer_arn(arn)
            .set_attributes(Some(attrs))
            .send()
            .await
            .map_err(err("ModifyLoadBalancerAttributes"))?;
        Ok(())
    }
}

fn strs(props: &Props, k: &str) -> Vec<String> {
    props
        .get(k)
        .and_then(Value::as_list)
        .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

#[async_trait]
impl Provider for LoadBalancerProvider {
    fn kind(&self) -> &'static str {
        LoadBalancer::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["name", "scheme", "type"]
    }

    fn validate(&self, decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(n) = decl.known("name").and_then(|v| v.as_str().map(str::to_string)) {
            if let Some(p) = name_problem(&n) {
                out.push(Diagnostic::field(&decl.name, "name", p));
            }
        }
        let subnets = match decl.inputs.get("subnet_ids") {
            Some(Input::List(l)) => l.clone(),
            _ => Vec::new(),
        };
        let network = decl.known("type").and_then(|v| v.as_str().map(str::to_string)).as_deref() == Some("network");
        if !network && subnets.len() < 2 {
            out.push(Diagnostic::field(&decl.name, "subnet_ids", "an application load balancer needs subnets in at least two AZs"));
        }
        if network && subnets.is_empty() {
            out.push(Diagnostic::field(&decl.name, "subnet_ids", "a network load balancer needs at least one subnet"));
        }
        if let Some(t) = decl.known("idle_timeout").and_then(|v| v.as_int()) {
            if !(1..=4000).contains(&t) {
                out.push(Diagnostic::field(&decl.name, "idle_timeout", format!("{t} s is outside 1-4000")));
            } else if network && t != 60 {
                out.push(Diagnostic::field(&decl.name, "idle_timeout", "a network load balancer has no idle timeout to set (TCP flows time out after 350 s)"));
            }
        }
        if !network && decl.known("cross_zone").and_then(|v| v.as_bool()) == Some(false) {
            out.push(Diagnostic::field(&decl.name, "cross_zone", "an application load balancer always balances across zones"));
        }
        // Subnets and security groups must be in one VPC.
        let vpc_of = |i: &Input, field: &str| {
            let (id, _) = i.source()?;
            let d = stack.resource(id)?;
            d.inputs.get(field).and_then(|v| v.source()).map(|(vpc, _)| vpc)
        };
        let subnet_vpcs: Vec<_> = subnets.iter().filter_map(|s| vpc_of(s, "vpc_id")).collect();
        if let Some(Input::List(sgs)) = decl.inputs.get("security_group_ids") {
            for sg in sgs {
                if let (Some(v), Some(first)) = (vpc_of(sg, "vpc_id"), subnet_vpcs.first()) {
                    if v != *first {
                        out.push(Diagnostic::field(
                            &decl.name,
                            "security_group_ids",
                            "a security group is in a different VPC from the load balancer's subnets",
                        ));
                    }
                }
            }
        }
        if subnet_vpcs.windows(2).any(|w| w[0] != w[1]) {
            out.push(Diagnostic::field(&decl.name, "subnet_ids", "the subnets are in different VPCs"));
        }
    }

    fn validate_all(&self, decls: &[&ResourceDecl], _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut seen = BTreeMap::new();
        for d in decls {
            if let Some(n) = d.known("name").and_then(|v| v.as_str().map(str::to_string)) {
                if let Some(other) = seen.insert(n.clone(), d.name.clone()) {
                    out.push(Diagnostic::field(&d.name, "name", format!("{n:?} is also the name of {other}; names must be unique")));
                }
            }
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
        strata_engine::diff_with_derived(desired, &actual.props, self.replace_fields(), &["name"])
    }

    fn estimate(&self, op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(120),
            _ => Duration::from_secs(20),
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let mut out = Vec::new();
        for (lb, t) in super::stack_load_balancers(&self.aws, scope).await?.iter() {
            out.push(self.observe(&scope.region, lb, t.clone()).await?);
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let r = c.describe_load_balancers().load_balancer_arns(id).send().await;
        let out = match r {
            Ok(o) => o,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeLoadBalancers", e)),
        };
        let Some(lb) = out.load_balancers().first() else { return Ok(None) };
        let tags = tags_of(&c, &[id.to_string()]).await?.remove(id).unwrap_or_default();
        Ok(Some(self.observe(region, lb, tags).await?))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let name = desired
            .get("name")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| derived_name(&cx.stack, &cx.name));
        let scheme = if desired.get("scheme").and_then(Value::as_str) == Some("internal") {
            LoadBalancerSchemeEnum::Internal
        } else {
            LoadBalancerSchemeEnum::InternetFacing
        };
        let network = desired.get("type").and_then(Value::as_str) == Some("network");
        let groups = Some(strs(desired, "security_group_ids")).filter(|g| !network || !g.is_empty());
        let out = c
            .create_load_balancer()
            .name(&name)
            .r#type(if network { LoadBalancerTypeEnum::Network } else { LoadBalancerTypeEnum::Application })
            .scheme(scheme)
            .set_subnets(Some(strs(desired, "subnet_ids")))
            .set_security_groups(groups)
            .set_tags(Some(sdk_tags(desired)))
            .send()
            .await
            .map_err(err("CreateLoadBalancer"))?;
        let arn = out.load_balancers().first().and_then(|l| l.load_balancer_arn()).ok_or_else(|| strata_aws::lacks("CreateLoadBalancer", "LoadBalancerArn", &cx.name))?.to_string();
        let what = format!("load balancer {name} to become active");
        let lb = wait_until(&what, cx.timeout, cx.poll, || async {
            let r = c.describe_load_balancers().load_balancer_arns(&arn).send().await.map_err(err("DescribeLoadBalancers"))?;
            let Some(lb) = r.load_balancers().first() else {
                return Err(ProviderError::new(ErrorClass::NotFoundYet, "DescribeLoadBalancers", format!("{arn} not visible yet")));
            };
            Ok(match lb.state().and_then(|s| s.code()) {
                Some(LoadBalancerStateEnum::Active) => Some(lb.clone()),
                Some(LoadBalancerStateEnum::Failed) => {
                    return Err(ProviderError::new(ErrorClass::Fatal, "CreateLoadBalancer", format!("{name} failed to provision")))
                }
                _ => None,
            })
        })
        .await?;
        self.set_attributes(&cx.region, &arn, desired).await?;
        let mut o = self.observe(&cx.region, &lb, strata_aws::desired_tags(desired)).await?;
        o.props = desired.clone();
        o.props.insert("name".into(), Value::Str(name));
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            sync_tags(&c, &actual.id, &actual.tags(), &strata_aws::desired_tags(desired)).await?;
        }
        if diff.changed("subnet_ids").is_some() {
            c.set_subnets()
                .load_balancer_arn(&actual.id)
                .set_subnets(Some(strs(desired, "subnet_ids")))
                .send()
                .await
                .map_err(err("SetSubnets"))?;
        }
        if diff.changed("security_group_ids").is_some() {
            c.set_security_groups()
                .load_balancer_arn(&actual.id)
                .set_security_groups(Some(strs(desired, "security_group_ids")))
                .send()
                .await
                .map_err(err("SetSecurityGroups"))?;
        }
        if ["deletion_protection", "idle_timeout", "cross_zone", "access_logs_bucket", "access_logs_prefix"]
            .iter()
            .any(|f| diff.changed(f).is_some())
        {
            self.set_attributes(&cx.region, &actual.id, desired).await?;
        }
        let mut o = actual.clone();
        let name = actual.props.get("name").cloned();
        o.props = desired.clone();
        if let Some(n) = name {
            o.props.insert("name".into(), n);
        }
        Ok(o)
    }

    /// AWS refuses to delete a load balancer with deletion protection: the
    /// plan says so up front, before any change, instead of a destroy that
    /// stops halfway.
    fn delete_refusal(&self, actual: &Observed) -> Option<String> {
        (actual.props.get("deletion_protection").and_then(Value::as_bool) == Some(true)).then(|| {
            format!("{} has deletion protection on; set deletion_protection(false) and apply, then destroy or remove it", actual.id)
        })
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        if actual.props.get("deletion_protection").and_then(Value::as_bool) == Some(true) {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                "DeleteLoadBalancer",
                format!(
                    "{} has deletion protection on; set deletion_protection(false) and apply, then delete it",
                    actual.id
                ),
            )
            .with_code("DeletionProtected"));
        }
        let r = crate::client(&self.aws, &cx.region).delete_load_balancer().load_balancer_arn(&actual.id).send().await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteLoadBalancer")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        super::set_tags(&self.aws, cx, actual, add, remove).await
    }
}
