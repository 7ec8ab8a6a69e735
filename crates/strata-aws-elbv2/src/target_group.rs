//! `aws:elbv2:TargetGroup`: a target group with its health check and its
//! instance targets (registrations are a property of the tagged group: they
//! cannot carry tags). Targets are read with `DescribeTargetHealth` per group
//! of the stack.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{Matcher, ProtocolEnum, TargetDescription, TargetGroup as SdkGroup, TargetTypeEnum};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, OpContext, ProviderError};

use super::{derived_name_salted, name_problem, tags_of, Elbv2Tags};

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

strata_aws::kind_fields! {
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
    pub struct TargetGroup: "aws:elbv2:TargetGroup";
    values TargetGroupValues;
    handle TargetGroupHandle / TargetGroupOutputs { arn, tg_name };
    fields {
        /// An explicit name (1-32 characters); default: derived from stack, logical name and what replaces.
        name: str [replace];
        /// `HTTP` or `HTTPS`.
        protocol: str [replace private];
        /// The targets' port.
        port: int [replace private];
        /// The VPC.
        vpc_id: str [replace required private];
        /// `instance` (the default: EC2 instances, registered by strata) or
        /// `ip` (addresses, such as Fargate tasks' registered by ECS).
        target_type: str [replace private] = "instance";
        /// The health check's path.
        health_check_path: str [update private];
        /// The HTTP codes that mean healthy (`200`, `200-299`).
        health_check_matcher: str [update private];
        /// Seconds between checks (5-300).
        health_check_interval: int [update private];
        /// Checks in a row that make a target healthy.
        healthy_threshold: int [update private];
        /// Checks in a row that make a target unhealthy.
        unhealthy_threshold: int [update private];
        /// The registered instances.
        targets: strs [update private];
    }
}

impl TargetGroup {
    /// An HTTP target group on `port`.
    pub fn http(vpc_id: impl Into<Arg<String>>, port: u16) -> Self {
        let g = Self::empty().protocol("HTTP").port(i64::from(port)).vpc_id(vpc_id).targets(Vec::<String>::new());
        g.health_check(HealthCheck::default())
    }
    /// An HTTPS target group on `port`.
    pub fn https(vpc_id: impl Into<Arg<String>>, port: u16) -> Self {
        Self::http(vpc_id, port).protocol("HTTPS")
    }
    /// A TCP target group on `port` (for a network load balancer), checked by
    /// TCP connections.
    pub fn tcp(vpc_id: impl Into<Arg<String>>, port: u16) -> Self {
        Self::layer4("TCP", vpc_id, port)
    }
    /// A UDP target group on `port` (a network load balancer's), checked by
    /// TCP connections to the same port (UDP itself cannot be checked).
    pub fn udp(vpc_id: impl Into<Arg<String>>, port: u16) -> Self {
        Self::layer4("UDP", vpc_id, port)
    }
    /// A TLS target group on `port`: the network load balancer talks TLS to the
    /// targets.
    pub fn tls(vpc_id: impl Into<Arg<String>>, port: u16) -> Self {
        Self::layer4("TLS", vpc_id, port)
    }
    fn layer4(protocol: &str, vpc_id: impl Into<Arg<String>>, port: u16) -> Self {
        let h = HealthCheck::default();
        Self::empty()
            .protocol(protocol)
            .port(i64::from(port))
            .vpc_id(vpc_id)
            .targets(Vec::<String>::new())
            .health_check_interval(h.interval_seconds)
            .healthy_threshold(h.healthy_threshold)
            .unhealthy_threshold(h.unhealthy_threshold)
    }
    /// The health check.
    pub fn health_check(self, h: HealthCheck) -> Self {
        self.health_check_path(h.path)
            .health_check_matcher(h.matcher)
            .health_check_interval(h.interval_seconds)
            .healthy_threshold(h.healthy_threshold)
            .unhealthy_threshold(h.unhealthy_threshold)
    }
    /// Targets are IP addresses, registered by someone else (an ECS
    /// service's tasks in `awsvpc` mode): strata neither registers nor
    /// deregisters any, and a registered target is not drift.
    pub fn ip_targets(mut self) -> Self {
        self.inputs.remove(V::targets);
        self.target_type("ip")
    }
    /// Register an instance.
    pub fn target(self, instance_id: impl Into<Arg<String>>) -> Self {
        self.push(V::targets, instance_id.into().into_input())
    }
}

type V = TargetGroupValues;

/// The kind behind [`TargetGroup`].
pub(crate) struct TargetGroups;

/// A group with its tags (read 20 at a time in discovery) and its registered targets.
pub(crate) struct Item {
    group: SdkGroup,
    tags: Option<Tags>,
    targets: Vec<String>,
}

fn descriptions(ids: &[&String]) -> Option<Vec<TargetDescription>> {
    Some(ids.iter().map(|t| TargetDescription::builder().id(*t).build()).collect())
}

async fn sync_targets(aws: &Aws, region: &str, arn: &str, have: &[String], want: &[String]) -> Result<(), ProviderError> {
    let c = crate::client(aws, region);
    let add: Vec<&String> = want.iter().filter(|t| !have.contains(t)).collect();
    let remove: Vec<&String> = have.iter().filter(|t| !want.contains(t)).collect();
    if !add.is_empty() {
        c.register_targets().target_group_arn(arn).set_targets(descriptions(&add)).send().await.map_err(err("RegisterTargets"))?;
    }
    if !remove.is_empty() {
        c.deregister_targets().target_group_arn(arn).set_targets(descriptions(&remove)).send().await.map_err(err("DeregisterTargets"))?;
    }
    Ok(())
}

fn int(v: Option<i64>) -> Option<i32> {
    v.and_then(|n| i32::try_from(n).ok())
}

#[async_trait]
impl Kind for TargetGroups {
    type Builder = TargetGroup;
    type Item = Item;
    type Tags = Elbv2Tags;

    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(i: &Item) -> Option<&str> {
        i.group.target_group_arn()
    }

    fn carried_tags(i: &Item) -> Option<Tags> {
        i.tags.clone()
    }

    fn observe(i: &Item) -> Seen<TargetGroup> {
        let (g, text) = (&i.group, |v: Option<&str>| v.map(str::to_string));
        let mut targets = i.targets.clone();
        targets.sort();
        let values = V {
            name: text(g.target_group_name()),
            protocol: text(g.protocol().map(|p| p.as_str())),
            port: g.port().map(i64::from),
            vpc_id: text(g.vpc_id()),
            target_type: Some(g.target_type().map_or("instance", |t| t.as_str()).to_string()),
            health_check_path: Some(g.health_check_path().unwrap_or("/").to_string()),
            health_check_matcher: Some(g.matcher().and_then(|m| m.http_code()).unwrap_or("200").to_string()),
            health_check_interval: Some(i64::from(g.health_check_interval_seconds().unwrap_or(30))),
            healthy_threshold: Some(i64::from(g.healthy_threshold_count().unwrap_or(5))),
            unhealthy_threshold: Some(i64::from(g.unhealthy_threshold_count().unwrap_or(2))),
            targets: Some(targets.clone()),
            ..V::default()
        };
        let refs = text(g.vpc_id()).into_iter().chain(targets).collect();
        Seen { values, outputs: TargetGroupOutputs { arn: text(g.target_group_arn()), tg_name: text(g.target_group_name()) }, refs }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(p) = decl.known(V::name).and_then(|v| v.as_str().and_then(name_problem)) {
            out.push(Diagnostic::field(&decl.name, V::name, p));
        }
        if let Some(p) = decl.known(V::port).and_then(|v| v.as_int()).filter(|p| !(1..=65535).contains(p)) {
            out.push(Diagnostic::field(&decl.name, V::port, format!("{p} is outside 1-65535")));
        }
        if let Some(i) = decl.known(V::health_check_interval).and_then(|v| v.as_int()).filter(|i| !(5..=300).contains(i)) {
            out.push(Diagnostic::field(&decl.name, V::health_check_interval, format!("{i} s is outside 5-300")));
        }
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut(V::targets) {
            l.sort();
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let c = crate::client(aws, &scope.region);
        let all = c.describe_target_groups().into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
        let all = all.map_err(err("DescribeTargetGroups"))?;
        // Tags 20 groups a call; the kernel then reads the targets of the stack's own.
        let owned = super::tagged_for_stack(&c, &all, |t| t.target_group_arn(), &scope.stack).await?;
        Ok(owned.into_iter().map(|(g, t)| Item { group: g.clone(), tags: Some(t), targets: Vec::new() }).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let c = crate::client(aws, region);
        let out = c.describe_target_groups().target_group_arns(id).send().await.map_err(err("DescribeTargetGroups"))?;
        let Some(group) = out.target_groups().first().cloned() else { return Ok(None) };
        let tags = tags_of(&c, &[id.to_string()]).await?.remove(id).unwrap_or_default();
        Ok(Some(Item { group, tags: Some(tags), targets: Vec::new() }))
    }

    async fn complete(&self, aws: &Aws, region: &str, mut item: Item) -> Result<Item, ProviderError> {
        let arn = item.group.target_group_arn().ok_or_else(|| ProviderError::new(ErrorClass::Fatal, "DescribeTargetGroups", "a target group without its ARN"))?;
        let health = crate::client(aws, region).describe_target_health().target_group_arn(arn).send().await.map_err(err("DescribeTargetHealth"))?;
        item.targets = health.target_health_descriptions().iter().filter_map(|d| d.target().and_then(|t| t.id()).map(str::to_string)).collect();
        Ok(item)
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, TargetGroup>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        // Replacement creates the new group before deleting the old: a
        // name that depends on the replace-forcing fields cannot collide.
        // (As the props render: strings quoted.)
        let mut salt = format!("{:?}/{}/{:?}", v.protocol.as_deref().unwrap_or_default(), v.port.unwrap_or_default(), v.vpc_id.as_deref().unwrap_or_default());
        let target_type = v.target_type.as_deref().unwrap_or("instance");
        if target_type != "instance" {
            salt.push_str(&format!("/{target_type:?}"));
        }
        let name = v.name.clone().unwrap_or_else(|| derived_name_salted(&cx.stack, &cx.name, &salt));
        let protocol = v.protocol.as_deref().map(ProtocolEnum::from);
        // Layer-4 groups are checked by TCP connections, with no path or codes.
        let layer4 = matches!(v.protocol.as_deref(), Some("TCP" | "UDP" | "TCP_UDP" | "TLS"));
        let check = if layer4 { Some(ProtocolEnum::Tcp) } else { protocol.clone() };
        let matcher = v.health_check_matcher.clone().filter(|_| !layer4).map(|m| Matcher::builder().http_code(m).build());
        let out = crate::client(aws, &cx.region)
            .create_target_group()
            .name(&name)
            .set_protocol(protocol.clone())
            .set_port(int(v.port))
            .set_vpc_id(v.vpc_id.clone())
            .target_type(TargetTypeEnum::from(target_type))
            .set_health_check_protocol(check)
            .set_health_check_path(v.health_check_path.clone().filter(|_| !layer4))
            .set_matcher(matcher)
            .set_health_check_interval_seconds(int(v.health_check_interval))
            .set_healthy_threshold_count(int(v.healthy_threshold))
            .set_unhealthy_threshold_count(int(v.unhealthy_threshold))
            .set_tags(Some(super::tag_list(&v.tags)))
            .send()
            .await
            .map_err(err("CreateTargetGroup"))?;
        let group = out.target_groups().first().ok_or_else(|| strata_aws::lacks("CreateTargetGroup", "TargetGroups", &cx.name))?;
        let arn = group.target_group_arn().ok_or_else(|| strata_aws::lacks("CreateTargetGroup", "TargetGroupArn", &cx.name))?;
        let targets = v.targets.clone().unwrap_or_default();
        sync_targets(aws, &cx.region, arn, &[], &targets).await?;
        Ok(Created::Item(Item { group: group.clone(), tags: None, targets }))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, TargetGroup>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        if diff.changes.iter().any(|ch| ch.field.starts_with("health") || ch.field.ends_with("threshold")) {
            crate::client(aws, &cx.region)
                .modify_target_group()
                .target_group_arn(&actual.id)
                .set_health_check_path(v.health_check_path.clone())
                .set_matcher(v.health_check_matcher.clone().map(|m| Matcher::builder().http_code(m).build()))
                .set_health_check_interval_seconds(int(v.health_check_interval))
                .set_healthy_threshold_count(int(v.healthy_threshold))
                .set_unhealthy_threshold_count(int(v.unhealthy_threshold))
                .send()
                .await
                .map_err(err("ModifyTargetGroup"))?;
        }
        if diff.changed(V::targets).is_some() {
            let have = strata_aws::props::strs(&actual.props, V::targets);
            sync_targets(aws, &cx.region, &actual.id, &have, v.targets.as_deref().unwrap_or_default()).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(aws, &cx.region).delete_target_group().target_group_arn(&actual.id).send().await;
        match r.map(|_| ()).map_err(err("DeleteTargetGroup")) {
            // Still used by a listener being deleted: wait like a dependency.
            Err(mut e) if e.code.as_deref() == Some("ResourceInUse") => {
                e.class = ErrorClass::DependencyViolation;
                Err(e)
            }
            other => other,
        }
    }
}
