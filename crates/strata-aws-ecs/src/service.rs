//! `aws:ecs:Service`: a service keeping a number of tasks of a task
//! definition running (Fargate or EC2), in `awsvpc` subnets with security
//! groups, behind load balancer target groups, deployed with a circuit
//! breaker that rolls a failed deployment back.
//!
//! Services live in a cluster: discovery lists the clusters once a pass
//! (shared with `aws:ecs:Cluster`), each cluster's services (100 a page),
//! and describes them ten at a time with their tags. The id is the service's
//! ARN (`...:service/<cluster>/<name>`), which names its cluster.
//!
//! A new task definition revision is rolled out by `UpdateService`: ECS
//! starts the new tasks, and the old revision is deregistered by the task
//! definition's replacement after this update (create-before-delete).
//! `CreateService` over an existing name is refused (the name is not this
//! stack's). Deleting forces the service down (`force`: no scale to zero
//! first) and waits until ECS reports it `INACTIVE`.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration, LaunchType, LoadBalancer, NetworkConfiguration, PropagateTags,
    Service as Sdk, ServiceField,
};
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, ResourceDecl, ResourceId, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, clusters, name_problem, sdk_tags, tags_of, EcsTags};

strata_aws::kind_fields! {
    /// An ECS service.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ecs::{Cluster, Container, Service, TaskDefinition};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let cluster = stack.add("apps", Cluster::new());
    /// let web = stack.add("web", TaskDefinition::fargate(256, 512).container(Container::new("web", "nginx:1.27").port(80)));
    /// let svc = stack.add(
    ///     "web-svc",
    ///     Service::fargate(cluster.arn(), web.arn(), ["subnet-0a1b2c3d"], ["sg-0a1b2c3d"])
    ///         .desired_count(2)
    ///         .load_balancer("arn:aws:elasticloadbalancing:eu-central-1:111122223333:targetgroup/web/0123456789abcdef", "web", 80)
    ///         .health_check_grace_period(30),
    /// );
    /// let _ = (svc.arn(), svc.service_name());
    /// ```
    pub struct Service: "aws:ecs:Service";
    values ServiceValues;
    handle ServiceHandle / ServiceOutputs { arn, service_name, cluster_arn };
    fields {
        /// The service's name, unique in its cluster (default: derived from the
        /// stack, the logical name and the launch type).
        name: str [replace];
        /// The cluster (its ARN or name).
        cluster: str [replace required];
        /// The task definition revision to run (its ARN).
        task_definition: str [update required];
        /// How many tasks to keep running.
        desired_count: int [update] = 1;
        /// `FARGATE` (the default) or `EC2`.
        launch_type: str [replace] = "FARGATE";
        /// The subnets of the tasks' network interfaces (`awsvpc`).
        subnets: strs [update] = Vec::<String>::new();
        /// The tasks' security groups (`awsvpc`).
        security_groups: strs [update] = Vec::<String>::new();
        /// Give each task a public IP (a task in a public subnet needs one to pull its image).
        assign_public_ip: bool [update] = false;
        /// Stop a deployment whose tasks keep failing (default: on).
        circuit_breaker: bool [update] = true;
        /// With the circuit breaker: roll a failed deployment back (default: on).
        rollback: bool [update] = true;
        /// Most tasks during a deployment, in percent of the desired count.
        maximum_percent: int [update] = 200;
        /// Fewest healthy tasks during a deployment, in percent of the desired count.
        minimum_healthy_percent: int [update] = 100;
        /// Target groups the tasks register with (see [`Service::load_balancer`]).
        load_balancers: list [update];
        /// Seconds a new task's failing load balancer health checks are ignored.
        health_check_grace_period: int [update] = 0;
        /// Copy the service's tags to its tasks: `SERVICE` (the default), `TASK_DEFINITION` or `NONE`.
        propagate_tags: str [update] = "SERVICE";
    }
}

impl Service {
    /// A Fargate service running one task of `task_definition` in `cluster`,
    /// in these subnets with these security groups, without public IPs.
    pub fn fargate<S: Into<Arg<String>>, G: Into<Arg<String>>>(
        cluster: impl Into<Arg<String>>,
        task_definition: impl Into<Arg<String>>,
        subnets: impl IntoIterator<Item = S>,
        security_groups: impl IntoIterator<Item = G>,
    ) -> Self {
        let s = Self::empty().cluster(cluster).task_definition(task_definition);
        let s = subnets.into_iter().fold(s, |s, x| s.push(V::subnets, x.into().into_input()));
        security_groups.into_iter().fold(s, |s, x| s.push(V::security_groups, x.into().into_input()))
    }

    /// Register the tasks' `container` port `port` with a target group (an
    /// `ip` target group for `awsvpc` tasks).
    pub fn load_balancer(self, target_group_arn: impl Into<Arg<String>>, container: impl Into<String>, port: u16) -> Self {
        let m = BTreeMap::from([
            ("target_group_arn".to_string(), target_group_arn.into().into_input()),
            ("container_name".to_string(), Input::Known(Value::Str(container.into()))),
            ("container_port".to_string(), Input::Known(Value::Int(i64::from(port)))),
        ]);
        self.push(V::load_balancers, Input::Map(m))
    }
}

type V = ServiceValues;

/// The kind behind [`Service`].
pub(crate) struct Services;

/// The cluster and service names of a service ARN.
fn cluster_and_name(arn: &str) -> Option<(&str, &str)> {
    let tail = arn.split_once(":service/")?.1;
    tail.split_once('/')
}

async fn describe(aws: &Aws, region: &str, cluster: &str, services: &[String]) -> Result<Vec<Sdk>, ProviderError> {
    let out = client(aws, region)
        .describe_services()
        .cluster(cluster)
        .set_services(Some(services.to_vec()))
        .include(ServiceField::Tags)
        .send()
        .await
        .map_err(err("DescribeServices"))?;
    Ok(out.services().to_vec())
}

fn load_balancer_value(lb: &LoadBalancer) -> Value {
    Value::Map(BTreeMap::from([
        ("target_group_arn".to_string(), Value::str(lb.target_group_arn().unwrap_or_default())),
        ("container_name".to_string(), Value::str(lb.container_name().unwrap_or_default())),
        ("container_port".to_string(), Value::Int(i64::from(lb.container_port().unwrap_or_default()))),
    ]))
}

fn load_balancers(v: &V) -> Vec<LoadBalancer> {
    let s = |m: &BTreeMap<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    v.load_balancers
        .iter()
        .flatten()
        .filter_map(Value::as_map)
        .map(|m| {
            LoadBalancer::builder()
                .set_target_group_arn(s(m, "target_group_arn"))
                .set_container_name(s(m, "container_name"))
                .set_container_port(m.get("container_port").and_then(Value::as_int).and_then(|n| i32::try_from(n).ok()))
                .build()
        })
        .collect()
}

fn network(v: &V) -> Result<NetworkConfiguration, ProviderError> {
    let ip = if v.assign_public_ip == Some(true) { AssignPublicIp::Enabled } else { AssignPublicIp::Disabled };
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(v.subnets.clone())
        .set_security_groups(v.security_groups.clone())
        .assign_public_ip(ip)
        .build()
        .map_err(|e| ProviderError::new(ErrorClass::Invalid, "CreateService", e.to_string()))?;
    Ok(NetworkConfiguration::builder().awsvpc_configuration(vpc).build())
}

fn deployment(v: &V) -> DeploymentConfiguration {
    let breaker = DeploymentCircuitBreaker::builder().enable(v.circuit_breaker.unwrap_or(true)).rollback(v.rollback.unwrap_or(true)).build();
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(breaker)
        .maximum_percent(v.maximum_percent.and_then(|n| i32::try_from(n).ok()).unwrap_or(200))
        .minimum_healthy_percent(v.minimum_healthy_percent.and_then(|n| i32::try_from(n).ok()).unwrap_or(100))
        .build()
}

/// The grace period to send: only with load balancers (AWS refuses it without).
fn grace(v: &V) -> Option<i32> {
    let n = v.health_check_grace_period.and_then(|n| i32::try_from(n).ok())?;
    (!v.load_balancers.as_deref().unwrap_or_default().is_empty()).then_some(n)
}

#[async_trait]
impl Kind for Services {
    type Builder = Service;
    type Item = Sdk;
    type Tags = EcsTags;

    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(item: &Sdk) -> Option<&str> {
        item.service_arn()
    }

    fn tag_target(item: &Sdk) -> Option<String> {
        item.service_arn().map(str::to_string)
    }

    fn carried_tags(item: &Sdk) -> Option<Tags> {
        Some(tags_of(item.tags()))
    }

    fn life(item: &Sdk) -> Life {
        match item.status() {
            Some("INACTIVE") => Life::Gone,
            Some("DRAINING") => Life::Leaving,
            _ => Life::Live,
        }
    }

    const WAIT_FOR_DELETE: bool = true;

    fn observe(item: &Sdk) -> Seen<Service> {
        let vpc = item.network_configuration().and_then(|n| n.awsvpc_configuration());
        let sorted = |l: &[String]| {
            let mut l = l.to_vec();
            l.sort();
            l
        };
        let dc = item.deployment_configuration();
        let breaker = dc.and_then(|d| d.deployment_circuit_breaker());
        let lbs: Vec<Value> = item.load_balancers().iter().map(load_balancer_value).collect();
        Seen {
            values: V {
                name: item.service_name().map(str::to_string),
                cluster: item.cluster_arn().map(str::to_string),
                task_definition: item.task_definition().map(str::to_string),
                desired_count: Some(i64::from(item.desired_count())),
                launch_type: item.launch_type().map(|l| l.as_str().to_string()),
                subnets: Some(vpc.map(|v| sorted(v.subnets())).unwrap_or_default()),
                security_groups: Some(vpc.map(|v| sorted(v.security_groups())).unwrap_or_default()),
                assign_public_ip: Some(vpc.and_then(|v| v.assign_public_ip()) == Some(&AssignPublicIp::Enabled)),
                circuit_breaker: Some(breaker.is_some_and(|b| b.enable())),
                rollback: Some(breaker.is_some_and(|b| b.rollback())),
                maximum_percent: Some(i64::from(dc.and_then(|d| d.maximum_percent()).unwrap_or(200))),
                minimum_healthy_percent: Some(i64::from(dc.and_then(|d| d.minimum_healthy_percent()).unwrap_or(100))),
                health_check_grace_period: Some(i64::from(item.health_check_grace_period_seconds().unwrap_or_default())),
                load_balancers: Some(lbs),
                propagate_tags: Some(item.propagate_tags().map_or("NONE", |p| p.as_str()).to_string()),
                ..V::default()
            },
            outputs: ServiceOutputs {
                arn: item.service_arn().map(str::to_string),
                service_name: item.service_name().map(str::to_string),
                cluster_arn: item.cluster_arn().map(str::to_string),
            },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Sdk>, ProviderError> {
        let c = client(aws, &scope.region);
        let mut out = Vec::new();
        // Not the inactive (deleted) clusters a list still answers.
        let live = clusters(aws, scope).await?;
        for cluster in live.iter().filter(|c| c.status() == Some("ACTIVE")).filter_map(|c| c.cluster_arn()) {
            let pages = all_pages(c.list_services().cluster(cluster).max_results(100).into_paginator().send(), "ListServices").await?;
            let arns: Vec<String> = pages.iter().flat_map(|p| p.service_arns()).cloned().collect();
            for chunk in arns.chunks(10) {
                out.extend(describe(aws, &scope.region, cluster, chunk).await?);
            }
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Sdk>, ProviderError> {
        let (cluster, _) = cluster_and_name(id)
            .ok_or_else(|| ProviderError::new(ErrorClass::Invalid, "DescribeServices", format!("{id:?} is not a service ARN that names its cluster")))?;
        match describe(aws, region, cluster, &[id.to_string()]).await {
            Ok(found) => Ok(found.into_iter().find(|s| s.service_arn() == Some(id))),
            // The cluster is gone, and the service with it.
            Err(e) if e.code.as_deref() == Some("ClusterNotFoundException") => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Service>) -> Result<Created<Sdk>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        // A replacement is created before the old copy is deleted, in the same
        // cluster when only the launch type changed: the derived name carries it.
        let rules = strata_aws::naming::IdRules { max_len: 255, min_len: 1, lowercase: false };
        let name = v.name.clone().unwrap_or_else(|| strata_aws::naming::derived_id(rules, &cx.stack, &cx.name, v.launch_type.as_deref().unwrap_or("FARGATE")));
        let cluster = v.cluster.clone().ok_or_else(|| strata_aws::lacks("CreateService", "cluster", &cx.name))?;
        let theirs = describe(aws, &cx.region, &cluster, std::slice::from_ref(&name)).await?;
        if let Some(t) = theirs.iter().find(|s| Self::life(s) != Life::Gone) {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                "CreateService",
                format!("a service named {name:?} already exists in the cluster ({}) and is not this stack's", t.service_arn().unwrap_or_default()),
            ));
        }
        let fargate = v.launch_type.as_deref().unwrap_or("FARGATE") == "FARGATE";
        let out = client(aws, &cx.region)
            .create_service()
            .cluster(&cluster)
            .service_name(&name)
            .set_task_definition(v.task_definition.clone())
            .desired_count(v.desired_count.and_then(|n| i32::try_from(n).ok()).unwrap_or(1))
            .launch_type(LaunchType::from(v.launch_type.as_deref().unwrap_or("FARGATE")))
            .set_network_configuration(if fargate || !v.subnets.as_deref().unwrap_or_default().is_empty() { Some(network(v)?) } else { None })
            .deployment_configuration(deployment(v))
            .set_load_balancers(Some(load_balancers(v)))
            .set_health_check_grace_period_seconds(grace(v))
            .propagate_tags(PropagateTags::from(v.propagate_tags.as_deref().unwrap_or("SERVICE")))
            .set_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateService"))?;
        let svc = out.service().cloned().ok_or_else(|| strata_aws::lacks("CreateService", "service", &cx.name))?;
        Ok(Created::Item(svc))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Service>, diff: &Diff) -> Result<(), ProviderError> {
        let v = &want.values;
        let (cluster, _) = cluster_and_name(&actual.id).ok_or_else(|| strata_aws::lacks("UpdateService", "cluster", &want.cx.name))?;
        let mut req = client(aws, &want.cx.region).update_service().cluster(cluster).service(&actual.id);
        if diff.changed(V::task_definition).is_some() {
            req = req.set_task_definition(v.task_definition.clone());
        }
        if diff.changed(V::desired_count).is_some() {
            req = req.set_desired_count(v.desired_count.and_then(|n| i32::try_from(n).ok()));
        }
        if [V::subnets, V::security_groups, V::assign_public_ip].iter().any(|f| diff.changed(f).is_some()) {
            req = req.network_configuration(network(v)?);
        }
        if [V::circuit_breaker, V::rollback, V::maximum_percent, V::minimum_healthy_percent].iter().any(|f| diff.changed(f).is_some()) {
            req = req.deployment_configuration(deployment(v));
        }
        if diff.changed(V::load_balancers).is_some() {
            req = req.set_load_balancers(Some(load_balancers(v)));
        }
        if diff.changed(V::health_check_grace_period).is_some() || diff.changed(V::load_balancers).is_some() {
            req = req.set_health_check_grace_period_seconds(grace(v));
        }
        if diff.changed(V::propagate_tags).is_some() {
            req = req.propagate_tags(PropagateTags::from(v.propagate_tags.as_deref().unwrap_or("SERVICE")));
        }
        req.send().await.map(|_| ()).map_err(err("UpdateService"))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let (cluster, _) = cluster_and_name(&actual.id).ok_or_else(|| strata_aws::lacks("DeleteService", "cluster", &cx.name))?;
        client(aws, &cx.region).delete_service().cluster(cluster).service(&actual.id).force(true).send().await.map(|_| ()).map_err(err("DeleteService"))
    }

    fn normalize(props: &mut strata_core::Props) {
        for f in [V::subnets, V::security_groups] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                l.dedup();
            }
        }
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let known_str = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        if let Some(p) = known_str(V::name).and_then(|n| name_problem(&n)) {
            out.push(Diagnostic::field(r, V::name, p));
        }
        let launch = known_str(V::launch_type).unwrap_or_else(|| "FARGATE".into());
        if !["FARGATE", "EC2"].contains(&launch.as_str()) {
            out.push(Diagnostic::field(r, V::launch_type, format!("{launch:?} is not FARGATE or EC2")));
        }
        if let Some(n) = decl.known(V::desired_count).and_then(|v| v.as_int()).filter(|n| *n < 0) {
            out.push(Diagnostic::field(r, V::desired_count, format!("{n} tasks: the desired count is 0 or more")));
        }
        let subnets = match decl.inputs.get(V::subnets) {
            Some(Input::List(l)) => l.as_slice(),
            _ => &[],
        };
        if launch == "FARGATE" && subnets.is_empty() {
            out.push(Diagnostic::field(r, V::subnets, "a Fargate service needs the subnets its tasks run in"));
        }
        let public_ip = decl.known(V::assign_public_ip).and_then(|v| v.as_bool()).unwrap_or(false);
        if !public_ip {
            for s in subnets.iter().filter_map(Input::source).filter_map(|(id, _)| stack.resource(id)) {
                if is_public_subnet(stack, s) {
                    out.push(Diagnostic::field(
                        r,
                        V::assign_public_ip,
                        format!("subnet `{}` is public (its route table sends 0.0.0.0/0 to an internet gateway, or it maps public IPs): a task there without a public IP cannot reach its image registry; set assign_public_ip(true) or use private subnets with a NAT gateway", s.name),
                    ));
                }
            }
        }
        let (min, max) = (decl.known(V::minimum_healthy_percent).and_then(|v| v.as_int()), decl.known(V::maximum_percent).and_then(|v| v.as_int()));
        if let Some(m) = min.filter(|m| !(0..=100).contains(m)) {
            out.push(Diagnostic::field(r, V::minimum_healthy_percent, format!("{m}% is not 0 to 100")));
        }
        if let (Some(lo), Some(hi)) = (min, max) {
            if hi < 100 || hi <= lo {
                out.push(Diagnostic::field(r, V::maximum_percent, format!("{hi}% must be at least 100 and above the minimum healthy {lo}%")));
            }
        }
        let lbs = match decl.inputs.get(V::load_balancers) {
            Some(Input::List(l)) => l.len(),
            _ => 0,
        };
        if let Some(g) = decl.known(V::health_check_grace_period).and_then(|v| v.as_int()) {
            if !(0..=2_147_483_647).contains(&g) {
                out.push(Diagnostic::field(r, V::health_check_grace_period, format!("{g} seconds is not 0 to 2147483647")));
            } else if g > 0 && lbs == 0 {
                out.push(Diagnostic::field(r, V::health_check_grace_period, "a health check grace period needs a load balancer (ECS refuses one without)"));
            }
        }
        if let Some(p) = known_str(V::propagate_tags).filter(|p| !["SERVICE", "TASK_DEFINITION", "NONE"].contains(&p.as_str())) {
            out.push(Diagnostic::field(r, V::propagate_tags, format!("{p:?} is not SERVICE, TASK_DEFINITION or NONE")));
        }
        if decl.known(V::rollback).and_then(|v| v.as_bool()) == Some(true) && decl.known(V::circuit_breaker).and_then(|v| v.as_bool()) == Some(false) {
            out.push(Diagnostic::field(r, V::rollback, "rollback needs the circuit breaker (it rolls back what the breaker stops)"));
        }
        check_load_balancers(decl, stack, out);
        let td = decl.inputs.get(V::task_definition).and_then(Input::source).and_then(|(id, _)| stack.resource(id));
        if let Some(td_launch) = td.and_then(|t| t.known("launch_type")).and_then(|v| v.as_str().map(str::to_string)) {
            if td_launch != launch {
                out.push(Diagnostic::field(r, V::launch_type, format!("the task definition `{}` is for {td_launch}, and this service launches on {launch}", td.map(|t| t.name.as_str()).unwrap_or_default())));
            }
        }
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Delete => Duration::from_secs(60),
            _ => Duration::from_secs(5),
        }
    }

    fn default_timeout(op: Op) -> Duration {
        match op {
            Op::Delete => Duration::from_secs(20 * 60),
            _ => Duration::from_secs(10 * 60),
        }
    }
}

/// The load balancers name a container and port of the task definition, when
/// it is declared in the stack.
fn check_load_balancers(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
    let Some(Input::List(lbs)) = decl.inputs.get(V::load_balancers) else { return };
    let td = decl.inputs.get(V::task_definition).and_then(Input::source).and_then(|(id, _)| stack.resource(id));
    let Some(Input::List(containers)) = td.and_then(|t| t.inputs.get("containers")) else { return };
    let ports: Vec<(String, i64)> = containers
        .iter()
        .filter_map(|c| c.known())
        .filter_map(|c| {
            let m = c.as_map()?.clone();
            let name = m.get("name")?.as_str()?.to_string();
            let ports: Vec<i64> = m.get("ports")?.as_list()?.iter().filter_map(|p| p.as_map()?.get("port")?.as_int()).collect();
            Some(ports.into_iter().map(move |p| (name.clone(), p)))
        })
        .flatten()
        .collect();
    for lb in lbs.iter().filter_map(Input::known) {
        let Some(m) = lb.as_map() else { continue };
        let (c, p) = (m.get("container_name").and_then(Value::as_str).unwrap_or_default(), m.get("container_port").and_then(Value::as_int).unwrap_or_default());
        if !ports.iter().any(|(n, q)| n == c && *q == p) {
            out.push(Diagnostic::field(&decl.name, V::load_balancers, format!("the task definition has no container {c:?} exposing port {p}")));
        }
    }
}

/// A subnet declared public: it maps public IPs on launch, or a route table
/// of the stack associates it and routes 0.0.0.0/0 to an internet gateway.
fn is_public_subnet(stack: &Stack, subnet: &ResourceDecl) -> bool {
    if subnet.known("map_public_ip_on_launch").and_then(|v| v.as_bool()) == Some(true) {
        return true;
    }
    let refers = |i: &Input, to: ResourceId| i.source().is_some_and(|(id, _)| id == to);
    let is_igw = |i: &Input| i.source().and_then(|(id, _)| stack.resource(id)).is_some_and(|d| d.kind == "aws:ec2:InternetGateway");
    stack.resources().iter().filter(|d| d.kind == "aws:ec2:RouteTable").any(|t| {
        let associated = matches!(t.inputs.get("subnet_ids"), Some(Input::List(l)) if l.iter().any(|i| refers(i, subnet.id)));
        let default_route = matches!(t.inputs.get("routes"), Some(Input::List(l)) if l.iter().any(|route| match route {
            Input::Map(m) => m.get("destination").and_then(Input::known).and_then(|d| d.as_str().map(str::to_string)).as_deref() == Some("0.0.0.0/0")
                && m.values().any(is_igw),
            _ => false,
        }));
        associated && default_route
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_arns_name_their_cluster() {
        assert_eq!(cluster_and_name("arn:aws:ecs:eu-central-1:1:service/apps/web"), Some(("apps", "web")));
        assert_eq!(cluster_and_name("arn:aws:ecs:eu-central-1:1:service/web"), None);
    }
}
