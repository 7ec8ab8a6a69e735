//! `aws:elbv2:TargetGroup`: a target group with its health check and its
//! instance targets (registrations are a property of the tagged group: they
//! cannot carry tags). Targets are read with `DescribeTargetHealth` per group.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{Matcher, ProtocolEnum, TargetDescription, TargetTypeEnum};
use strata_core::{Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, OpContext, Provider, ProviderError};

use super::{derived_name_salted, name_problem, sdk_tags, sync_tags, tags_of};
use strata_aws::error::err;
use strata_aws::Aws;

/// Health check settings.
#[derive(Clone, Debug)]
pub struct HealthCheck {
    pub path: String,
    pub matcher: String,
    pub interval_seconds: i64,
    pub healthy_threshold: i64,
    pub unhealthy_threshold: i64,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck { path: "/".into(), matcher: "200".into(), interval_seconds: 30, healthy_threshold: 5, unhealthy_threshold: 2 }
    }
}

/// A target group of instances.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::Vpc;
/// use strata_aws_elbv2::{HealthCheck, TargetGroup};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
/// let tg = stack.add("magento", TargetGroup::http(vpc.id(), 80)
///     .health_check(HealthCheck { path: "/health_check.php".into(), ..HealthCheck::default() }));
/// let _ = tg.arn();
/// ```
#[derive(Clone, Debug)]
pub struct TargetGroup {
    name: Option<String>,
    protocol: String,
    port: i64,
    vpc_id: Input,
    health: HealthCheck,
    targets: Vec<Input>,
    tags: BTreeMap<String, Input>,
}

impl TargetGroup {
    /// An HTTP target group on `port`.
    pub fn http(vpc_id: impl Into<Arg<String>>, port: u16) -> Self {
        TargetGroup {
            name: None,
            protocol: "HTTP".into(),
            port: i64::from(port),
            vpc_id: vpc_id.into().into_input(),
            health: HealthCheck::default(),
            targets: Vec::new(),
            tags: BTreeMap::new(),
        }
    }
    /// An HTTPS target group on `port`.
    pub fn https(vpc_id: impl Into<Arg<String>>, port: u16) -> Self {
        TargetGroup { protocol: "HTTPS".into(), ..TargetGroup::http(vpc_id, port) }
    }
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn health_check(mut self, h: HealthCheck) -> Self {
        self.health = h;
        self
    }
    /// Register an instance.
    pub fn target(mut self, instance_id: impl Into<Arg<String>>) -> Self {
        self.targets.push(instance_id.into().into_input());
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`TargetGroup`].
    TargetGroupHandle { arn: "arn", id: "id", tg_name: "name" }
);

impl Resource for TargetGroup {
    const KIND: &'static str = "aws:elbv2:TargetGroup";
    type Handle = TargetGroupHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("name".to_string(), Input::from(self.name)),
            ("protocol".to_string(), Input::from(self.protocol)),
            ("port".to_string(), Input::from(self.port)),
            ("vpc_id".to_string(), self.vpc_id),
            ("health_check_path".to_string(), Input::from(self.health.path)),
            ("health_check_matcher".to_string(), Input::from(self.health.matcher)),
            ("health_check_interval".to_string(), Input::from(self.health.interval_seconds)),
            ("healthy_threshold".to_string(), Input::from(self.health.healthy_threshold)),
            ("unhealthy_threshold".to_string(), Input::from(self.health.unhealthy_threshold)),
            ("targets".to_string(), Input::List(self.targets)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct TargetGroupProvider {
    pub(crate) aws: Aws,
}

fn strs(props: &Props, k: &str) -> Vec<String> {
    props
        .get(k)
        .and_then(Value::as_list)
        .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn int(props: &Props, k: &str, default: i64) -> i32 {
    i32::try_from(props.get(k).and_then(Value::as_int).unwrap_or(default)).unwrap_or(0)
}

impl TargetGroupProvider {
    async fn observe(
        &self,
        region: &str,
        tg: &aws_sdk_elasticloadbalancingv2::types::TargetGroup,
        tags: Tags,
    ) -> Result<Observed, ProviderError> {
        let arn = tg.target_group_arn().unwrap_or_default();
        let health = crate::client(&self.aws, region)
            .describe_target_health()
            .target_group_arn(arn)
            .send()
            .await
            .map_err(err("DescribeTargetHealth"))?;
        let mut targets: Vec<Value> = health
            .target_health_descriptions()
            .iter()
            .filter_map(|d| d.target().and_then(|t| t.id()).map(Value::str))
            .collect();
        targets.sort();
        let props = Props::from([
            ("name".into(), Value::str(tg.target_group_name().unwrap_or_default())),
            ("protocol".into(), Value::str(tg.protocol().map(|p| p.as_str()).unwrap_or_default())),
            ("port".into(), Value::Int(i64::from(tg.port().unwrap_or(0)))),
            ("vpc_id".into(), Value::str(tg.vpc_id().unwrap_or_default())),
            ("health_check_path".into(), Value::str(tg.health_check_path().unwrap_or("/"))),
            ("health_check_matcher".into(), Value::str(tg.matcher().and_then(|m| m.http_code()).unwrap_or("200"))),
            ("health_check_interval".into(), Value::Int(i64::from(tg.health_check_interval_seconds().unwrap_or(30)))),
            ("healthy_threshold".into(), Value::Int(i64::from(tg.healthy_threshold_count().unwrap_or(5)))),
            ("unhealthy_threshold".into(), Value::Int(i64::from(tg.unhealthy_threshold_count().unwrap_or(2)))),
            ("targets".into(), Value::List(targets)),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        let mut o = Observed::new(TargetGroup::KIND, arn, region);
        o.props = props;
        o.outputs = Props::from([
            ("arn".into(), Value::str(arn)),
            ("id".into(), Value::str(arn)),
            ("name".into(), Value::str(tg.target_group_name().unwrap_or_default())),
        ]);
        o.refs.extend(tg.vpc_id().map(str::to_string));
        o.refs.extend(strs(&o.props, "targets"));
        Ok(o)
    }

    async fn sync_targets(&self, region: &str, arn: &str, have: &[String], want: &[String]) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, region);
        let add: Vec<TargetDescription> = want
            .iter()
            .filter(|t| !have.contains(t))
            .map(|t| TargetDescription::builder().id(t).build())
            .collect();
        let remove: Vec<TargetDescription> = have
            .iter()
            .filter(|t| !want.contains(t))
            .map(|t| TargetDescription::builder().id(t).build())
            .collect();
        if !add.is_empty() {
            c.register_targets().target_group_arn(arn).set_targets(Some(add)).send().await.map_err(err("RegisterTargets"))?;
        }
        if !remove.is_empty() {
            c.deregister_targets()
                .target_group_arn(arn)
                .set_targets(Some(remove))
                .send()
                .await
                .map_err(err("DeregisterTargets"))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for TargetGroupProvider {
    fn kind(&self) -> &'static str {
        TargetGroup::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["name", "protocol", "port", "vpc_id"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(n) = decl.known("name").and_then(|v| v.as_str().map(str::to_string)) {
            if let Some(p) = name_problem(&n) {
                out.push(Diagnostic::field(&decl.name, "name", p));
            }
        }
        if let Some(p) = decl.known("port").and_then(|v| v.as_int()) {
            if !(1..=65535).contains(&p) {
                out.push(Diagnostic::field(&decl.name, "port", format!("{p} is outside 1-65535")));
            }
        }
        if let Some(i) = decl.known("health_check_interval").and_then(|v| v.as_int()) {
            if !(5..=300).contains(&i) {
                out.push(Diagnostic::field(&decl.name, "health_check_interval", format!("{i} s is outside 5-300")));
            }
        }
    }

    fn normalize(&self, props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut("targets") {
            l.sort();
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        strata_engine::diff_with_derived(desired, &actual.props, self.replace_fields(), &["name"])
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let c = crate::client(&self.aws, &scope.region);
        let all = c
            .describe_target_groups()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeTargetGroups"))?;
        let mut out = Vec::new();
        for (tg, t) in super::tagged_for_stack(&c, &all, |t| t.target_group_arn(), &scope.stack).await? {
            out.push(self.observe(&scope.region, tg, t).await?);
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let out = match c.describe_target_groups().target_group_arns(id).send().await {
            Ok(o) => o,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeTargetGroups", e)),
        };
        let Some(tg) = out.target_groups().first() else { return Ok(None) };
        let tags = tags_of(&c, &[id.to_string()]).await?.remove(id).unwrap_or_default();
        Ok(Some(self.observe(region, tg, tags).await?))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let name = desired
            .get("name")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| {
                // Replacement creates the new group before deleting the old: a
                // name that depends on the replace-forcing fields cannot collide.
                let salt = format!(
                    "{}/{}/{}",
                    desired.get("protocol").map(ToString::to_string).unwrap_or_default(),
                    desired.get("port").map(ToString::to_string).unwrap_or_default(),
                    desired.get("vpc_id").map(ToString::to_string).unwrap_or_default()
                );
                derived_name_salted(&cx.stack, &cx.name, &salt)
            });
        let protocol = ProtocolEnum::from(desired.get("protocol").and_then(Value::as_str).unwrap_or("HTTP"));
        let out = c
            .create_target_group()
            .name(&name)
            .protocol(protocol.clone())
            .port(int(desired, "port", 80))
            .vpc_id(desired.get("vpc_id").and_then(Value::as_str).unwrap_or_default())
            .target_type(TargetTypeEnum::Instance)
            .health_check_protocol(protocol)
            .health_check_path(desired.get("health_check_path").and_then(Value::as_str).unwrap_or("/"))
            .matcher(Matcher::builder().http_code(desired.get("health_check_matcher").and_then(Value::as_str).unwrap_or("200")).build())
            .health_check_interval_seconds(int(desired, "health_check_interval", 30))
            .healthy_threshold_count(int(desired, "healthy_threshold", 5))
            .unhealthy_threshold_count(int(desired, "unhealthy_threshold", 2))
            .set_tags(Some(sdk_tags(desired)))
            .send()
            .await
            .map_err(err("CreateTargetGroup"))?;
        let Some(tg) = out.target_groups().first() else {
            return Err(ProviderError::new(strata_engine::ErrorClass::Fatal, "CreateTargetGroup", "no target group in the response"));
        };
        let arn = tg.target_group_arn().ok_or_else(|| strata_aws::lacks("CreateTargetGroup", "TargetGroupArn", &cx.name))?.to_string();
        self.sync_targets(&cx.region, &arn, &[], &strs(desired, "targets")).await?;
        let mut o = self.observe(&cx.region, tg, strata_aws::desired_tags(desired)).await?;
        o.props = desired.clone();
        o.props.insert("name".into(), Value::Str(name));
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            sync_tags(&c, &actual.id, &actual.tags(), &strata_aws::desired_tags(desired)).await?;
        }
        if diff.changes.iter().any(|ch| ch.field.starts_with("health") || ch.field.ends_with("threshold")) {
            c.modify_target_group()
                .target_group_arn(&actual.id)
                .health_check_path(desired.get("health_check_path").and_then(Value::as_str).unwrap_or("/"))
                .matcher(Matcher::builder().http_code(desired.get("health_check_matcher").and_then(Value::as_str).unwrap_or("200")).build())
                .health_check_interval_seconds(int(desired, "health_check_interval", 30))
                .healthy_threshold_count(int(desired, "healthy_threshold", 5))
                .unhealthy_threshold_count(int(desired, "unhealthy_threshold", 2))
                .send()
                .await
                .map_err(err("ModifyTargetGroup"))?;
        }
        if diff.changed("targets").is_some() {
            self.sync_targets(&cx.region, &actual.id, &strs(&actual.props, "targets"), &strs(desired, "targets")).await?;
        }
        let mut o = actual.clone();
        let name = actual.props.get("name").cloned();
        o.props = desired.clone();
        if let Some(n) = name {
            o.props.insert("name".into(), n);
        }
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_target_group().target_group_arn(&actual.id).send().await;
        match r.map(|_| ()).map_err(err("DeleteTargetGroup")) {
            // Still used by a listener being deleted: wait like a dependency.
            Err(mut e) if e.code.as_deref() == Some("ResourceInUse") => {
                e.class = strata_engine::ErrorClass::DependencyViolation;
                Err(e)
            }
            other => strata_aws::gone_ok(other),
        }
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        super::set_tags(&self.aws, cx, actual, add, remove).await
    }
}
