//! `aws:ecs:TaskDefinition`: a task definition (Fargate or EC2) with its
//! containers, their images, ports, environment, secrets and logs, and the
//! execution and task roles.
//!
//! A task definition revision cannot change: every field replaces it. The
//! replacement registers a new revision in the same family first, the
//! services that use it move to the new revision, and only then is the old
//! revision deregistered and deleted (the engine's create-before-delete
//! order: a `DeleteOld` step after every dependent). The resource's id is the
//! revision's ARN (`family:revision`).
//!
//! Discovery lists the active revisions (100 a page) and describes, with
//! its tags, the latest revision of each family; in a family whose latest
//! revision is this stack's, the family's other active revisions too (the old
//! copy of a replacement that stopped before its delete), so nothing of the
//! stack is lost. A revision someone else registers into a strata family
//! becomes that family's latest: strata then no longer sees its own and
//! registers a new one, and says so as a create in the plan.
//!
//! Container secrets are references (the ARN of a Secrets Manager secret or
//! an SSM parameter), resolved by ECS when a task starts: a secret's value is
//! refused, and never printed; an environment variable holding a secret is
//! refused too (the environment is stored in the clear).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, CpuArchitecture, KeyValuePair, LogConfiguration, LogDriver, NetworkMode, PortMapping, RuntimePlatform,
    Secret as SdkSecret, Tag, TaskDefinition as Sdk, TaskDefinitionField, TaskDefinitionStatus, TransportProtocol,
};
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Life, Seen, Want, TAG_READS_AT_ONCE};
use strata_aws::Aws;
use strata_core::{tags, Arg, Diagnostic, Input, ResourceDecl, Stack, Tags, Value};
use strata_engine::{DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, ecs_name, name_problem, sdk_tags, tags_of, EcsTags};

strata_aws::kind_fields! {
    /// An ECS task definition.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ecs::{Container, TaskDefinition};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let web = stack.add(
    ///     "web",
    ///     TaskDefinition::fargate(512, 1024)
    ///         .execution_role("arn:aws:iam::111122223333:role/ecs-execution")
    ///         .container(
    ///             Container::new("web", "public.ecr.aws/nginx/nginx:1.27")
    ///                 .port(80)
    ///                 .env("MODE", "prod")
    ///                 .secret("DB_PASSWORD", "arn:aws:secretsmanager:eu-central-1:111122223333:secret:db-AbCdEf")
    ///                 .logs("/ecs/web", "web"),
    ///         ),
    /// );
    /// let _ = (web.arn(), web.family());
    /// ```
    pub struct TaskDefinition: "aws:ecs:TaskDefinition";
    values TaskDefinitionValues;
    handle TaskDefinitionHandle / TaskDefinitionOutputs { arn, family };
    fields {
        /// The family (default: `<stack>-<logical name>`); every revision of
        /// this resource is registered into it.
        family: str [replace];
        /// `FARGATE` (the default) or `EC2`.
        launch_type: str [replace] = "FARGATE";
        /// `awsvpc` (the default, and Fargate's only mode), `bridge`, `host` or `none`.
        network_mode: str [replace] = "awsvpc";
        /// Task CPU units (Fargate: 256, 512, 1024, 2048, 4096, 8192 or 16384).
        cpu: int [replace];
        /// Task memory in MiB (Fargate: one of the sizes its CPU allows).
        memory: int [replace];
        /// `X86_64` or `ARM64` (Graviton); unset: X86_64.
        cpu_architecture: str [replace cleared];
        /// The role ECS uses to pull images, read secrets and write logs.
        execution_role: str [replace cleared];
        /// The role the containers' code runs as.
        task_role: str [replace cleared];
        /// The containers (see [`Container`]).
        containers: list [replace];
    }
}

/// One container of a [`TaskDefinition`].
#[derive(Clone, Debug)]
#[must_use]
pub struct Container {
    m: BTreeMap<String, Input>,
}

const C_NAME: &str = "name";
const C_IMAGE: &str = "image";
const C_ESSENTIAL: &str = "essential";
const C_CPU: &str = "cpu";
const C_MEMORY: &str = "memory";
const C_PORTS: &str = "ports";
const C_ENV: &str = "environment";
const C_SECRETS: &str = "secrets";
const C_COMMAND: &str = "command";
const C_LOG_GROUP: &str = "log_group";
const C_LOG_PREFIX: &str = "log_prefix";

impl Container {
    /// An essential container running `image` (an image reference or a
    /// repository's URL output with a tag), with no ports, environment,
    /// secrets, command or logs.
    pub fn new(name: impl Into<String>, image: impl Into<Arg<String>>) -> Self {
        let m = BTreeMap::from([
            (C_NAME.to_string(), Input::Known(Value::Str(name.into()))),
            (C_IMAGE.to_string(), image.into().into_input()),
            (C_ESSENTIAL.to_string(), Input::Known(Value::Bool(true))),
            (C_CPU.to_string(), Input::Known(Value::Int(0))),
            (C_MEMORY.to_string(), Input::Known(Value::Int(0))),
            (C_PORTS.to_string(), Input::List(Vec::new())),
            (C_ENV.to_string(), Input::Map(BTreeMap::new())),
            (C_SECRETS.to_string(), Input::Map(BTreeMap::new())),
            (C_COMMAND.to_string(), Input::List(Vec::new())),
            (C_LOG_GROUP.to_string(), Input::Known(Value::str(""))),
            (C_LOG_PREFIX.to_string(), Input::Known(Value::str(""))),
        ]);
        Container { m }
    }

    /// Expose a TCP port.
    pub fn port(self, port: u16) -> Self {
        self.port_with(port, "tcp")
    }

    /// Expose a UDP port.
    pub fn udp_port(self, port: u16) -> Self {
        self.port_with(port, "udp")
    }

    fn port_with(mut self, port: u16, protocol: &str) -> Self {
        let p = Value::Map(BTreeMap::from([("port".to_string(), Value::Int(i64::from(port))), ("protocol".to_string(), Value::str(protocol))]));
        if let Some(Input::List(l)) = self.m.get_mut(C_PORTS) {
            l.push(Input::Known(p));
        }
        self
    }

    /// Set an environment variable (stored in the clear: a secret belongs in
    /// [`Container::secret`], and one given here is refused).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        if let Some(Input::Map(m)) = self.m.get_mut(C_ENV) {
            m.insert(name.into(), value.into().into_input());
        }
        self
    }

    /// Set an environment variable from a secret, by reference: `from` is the
    /// ARN of a Secrets Manager secret (`secret.arn()`, or with
    /// `:json-key::` appended) or of an SSM parameter. ECS reads it when the
    /// task starts; the execution role must be allowed to.
    pub fn secret(mut self, name: impl Into<String>, from: impl Into<Arg<String>>) -> Self {
        if let Some(Input::Map(m)) = self.m.get_mut(C_SECRETS) {
            m.insert(name.into(), from.into().into_input());
        }
        self
    }

    /// Send the container's output to a CloudWatch Logs group (its name, or a
    /// `LogGroup`'s `group_name()`), in streams named `prefix/...`.
    pub fn logs(mut self, group: impl Into<Arg<String>>, prefix: impl Into<String>) -> Self {
        self.m.insert(C_LOG_GROUP.to_string(), group.into().into_input());
        self.m.insert(C_LOG_PREFIX.to_string(), Input::Known(Value::Str(prefix.into())));
        self
    }

    /// The command (instead of the image's).
    pub fn command<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        let l = args.into_iter().map(|a| Input::Known(Value::Str(a.into()))).collect();
        self.m.insert(C_COMMAND.to_string(), Input::List(l));
        self
    }

    /// CPU units reserved for this container (default: none of its own).
    pub fn cpu(mut self, units: i64) -> Self {
        self.m.insert(C_CPU.to_string(), Input::Known(Value::Int(units)));
        self
    }

    /// The container's hard memory limit in MiB (default: none of its own).
    pub fn memory(mut self, mib: i64) -> Self {
        self.m.insert(C_MEMORY.to_string(), Input::Known(Value::Int(mib)));
        self
    }

    /// Whether the task stops when this container stops (default: yes).
    pub fn essential(mut self, essential: bool) -> Self {
        self.m.insert(C_ESSENTIAL.to_string(), Input::Known(Value::Bool(essential)));
        self
    }
}

impl TaskDefinition {
    /// A Fargate task definition with this CPU (units) and memory (MiB), in
    /// `awsvpc` mode, with no containers yet.
    pub fn fargate(cpu: i64, memory: i64) -> Self {
        Self::empty().cpu(cpu).memory(memory)
    }

    /// A task definition for EC2 container instances in `network_mode`
    /// (`awsvpc`, `bridge`, `host` or `none`).
    pub fn ec2(network_mode: &str) -> Self {
        Self::empty().launch_type("EC2").network_mode(network_mode)
    }

    /// Add a container.
    pub fn container(self, c: Container) -> Self {
        self.push(V::containers, Input::Map(c.m))
    }
}

type V = TaskDefinitionValues;

/// The kind behind [`TaskDefinition`].
pub(crate) struct TaskDefinitions;

/// A revision as described, with its tags.
pub(crate) struct Item {
    td: Sdk,
    tags: Vec<Tag>,
}

/// Fargate's CPU units and the memory sizes (MiB) each allows.
fn fargate_memory(cpu: i64) -> Option<Vec<i64>> {
    let gib = |from: i64, to: i64, step: i64| (from..=to).step_by(step as usize).map(|g| g * 1024).collect::<Vec<i64>>();
    Some(match cpu {
        256 => vec![512, 1024, 2048],
        512 => gib(1, 4, 1),
        1024 => gib(2, 8, 1),
        2048 => gib(4, 16, 1),
        4096 => gib(8, 30, 1),
        8192 => gib(16, 60, 4),
        16384 => gib(32, 120, 8),
        _ => return None,
    })
}

async fn describe(aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
    let out = client(aws, region).describe_task_definition().task_definition(id).include(TaskDefinitionField::Tags).send().await;
    match out.map_err(err("DescribeTaskDefinition")) {
        Ok(o) => Ok(o.task_definition().cloned().map(|td| Item { td, tags: o.tags().to_vec() })),
        // An unknown family or revision is a ClientException, not a NotFound.
        Err(e) if e.class == ErrorClass::NotFound || e.message.contains("Unable to describe task definition") => Ok(None),
        Err(e) => Err(e),
    }
}

/// `family:revision` of a revision ARN (`...:task-definition/family:7`).
fn family_revision(arn: &str) -> Option<(&str, i64)> {
    let tail = arn.rsplit_once('/')?.1;
    let (family, rev) = tail.rsplit_once(':')?;
    Some((family, rev.parse().ok()?))
}

fn text(s: Option<&str>) -> Value {
    Value::str(s.unwrap_or_default())
}

fn container_value(c: &ContainerDefinition) -> Value {
    let ports = c
        .port_mappings()
        .iter()
        .map(|p| {
            Value::Map(BTreeMap::from([
                ("port".to_string(), Value::Int(i64::from(p.container_port().unwrap_or_default()))),
                ("protocol".to_string(), Value::str(p.protocol().map_or("tcp", |t| t.as_str()))),
            ]))
        })
        .collect();
    let pairs = |l: &[KeyValuePair]| Value::Map(l.iter().filter_map(|kv| Some((kv.name()?.to_string(), text(kv.value())))).collect());
    let secrets = Value::Map(c.secrets().iter().map(|s| (s.name().to_string(), Value::str(s.value_from()))).collect());
    let awslogs = c.log_configuration().filter(|l| l.log_driver() == &LogDriver::Awslogs);
    let opt = |k: &str| awslogs.and_then(|l| l.options()).and_then(|o| o.get(k)).map(String::as_str);
    Value::Map(BTreeMap::from([
        (C_NAME.to_string(), text(c.name())),
        (C_IMAGE.to_string(), text(c.image())),
        (C_ESSENTIAL.to_string(), Value::Bool(c.essential().unwrap_or(true))),
        (C_CPU.to_string(), Value::Int(i64::from(c.cpu()))),
        (C_MEMORY.to_string(), Value::Int(i64::from(c.memory().unwrap_or_default()))),
        (C_PORTS.to_string(), Value::List(ports)),
        (C_ENV.to_string(), pairs(c.environment())),
        (C_SECRETS.to_string(), secrets),
        (C_COMMAND.to_string(), Value::List(c.command().iter().map(|a| Value::str(a.as_str())).collect())),
        (C_LOG_GROUP.to_string(), text(opt("awslogs-group"))),
        (C_LOG_PREFIX.to_string(), text(opt("awslogs-stream-prefix"))),
    ]))
}

/// The SDK's container from its value in props.
fn container_def(v: &Value, region: &str) -> ContainerDefinition {
    let empty = BTreeMap::new();
    let m = v.as_map().unwrap_or(&empty);
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let i = |k: &str| m.get(k).and_then(Value::as_int).unwrap_or_default();
    let entries = |k: &str| -> Vec<(String, String)> {
        m.get(k).and_then(Value::as_map).map(|e| e.iter().filter_map(|(n, v)| Some((n.clone(), v.expose().as_str()?.to_string()))).collect()).unwrap_or_default()
    };
    let ports: Vec<PortMapping> = m
        .get(C_PORTS)
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .map(|p| {
            let port = p.get("port").and_then(Value::as_int).and_then(|n| i32::try_from(n).ok());
            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("tcp");
            PortMapping::builder().set_container_port(port).protocol(TransportProtocol::from(proto)).build()
        })
        .collect();
    let log = s(C_LOG_GROUP).filter(|g| !g.is_empty()).map(|group| {
        let mut opts = std::collections::HashMap::from([("awslogs-group".to_string(), group), ("awslogs-region".to_string(), region.to_string())]);
        if let Some(p) = s(C_LOG_PREFIX).filter(|p| !p.is_empty()) {
            opts.insert("awslogs-stream-prefix".to_string(), p);
        }
        LogConfiguration::builder().log_driver(LogDriver::Awslogs).set_options(Some(opts)).build()
    });
    let command: Vec<String> = m.get(C_COMMAND).and_then(Value::as_list).unwrap_or_default().iter().filter_map(|a| a.as_str().map(str::to_string)).collect();
    ContainerDefinition::builder()
        .set_name(s(C_NAME))
        .set_image(s(C_IMAGE))
        .essential(m.get(C_ESSENTIAL).and_then(Value::as_bool).unwrap_or(true))
        .cpu(i32::try_from(i(C_CPU)).unwrap_or_default())
        .set_memory(i32::try_from(i(C_MEMORY)).ok().filter(|n| *n > 0))
        .set_port_mappings(Some(ports))
        .set_environment(Some(entries(C_ENV).into_iter().map(|(n, v)| KeyValuePair::builder().name(n).value(v).build()).collect()))
        .set_secrets(Some(entries(C_SECRETS).into_iter().filter_map(|(n, v)| SdkSecret::builder().name(n).value_from(v).build().ok()).collect()))
        .set_command((!command.is_empty()).then_some(command))
        .set_log_configuration(log.and_then(|l| l.ok()))
        .build()
}

fn int_text(s: Option<&str>) -> Option<i64> {
    s.and_then(|t| t.parse().ok())
}

#[async_trait]
impl Kind for TaskDefinitions {
    type Builder = TaskDefinition;
    type Item = Item;
    type Tags = EcsTags;

    const DERIVED: &'static [&'static str] = &[V::family];

    fn id(item: &Item) -> Option<&str> {
        item.td.task_definition_arn()
    }

    fn tag_target(item: &Item) -> Option<String> {
        item.td.task_definition_arn().map(str::to_string)
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(tags_of(&item.tags))
    }

    fn life(item: &Item) -> Life {
        match item.td.status() {
            Some(TaskDefinitionStatus::Active) => Life::Live,
            _ => Life::Gone,
        }
    }

    fn observe(item: &Item) -> Seen<TaskDefinition> {
        let td = &item.td;
        let launch = td.requires_compatibilities().iter().find(|c| **c != Compatibility::External).map_or("EC2", |c| c.as_str());
        Seen {
            values: V {
                family: td.family().map(str::to_string),
                launch_type: Some(launch.to_string()),
                network_mode: Some(td.network_mode().map_or("bridge", |m| m.as_str()).to_string()),
                cpu: int_text(td.cpu()),
                memory: int_text(td.memory()),
                cpu_architecture: td.runtime_platform().and_then(|p| p.cpu_architecture()).map(|a| a.as_str().to_string()),
                execution_role: td.execution_role_arn().map(str::to_string),
                task_role: td.task_role_arn().map(str::to_string),
                containers: Some(td.container_definitions().iter().map(container_value).collect()),
                ..V::default()
            },
            outputs: TaskDefinitionOutputs { arn: td.task_definition_arn().map(str::to_string), family: td.family().map(str::to_string) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        let c = client(aws, &scope.region);
        let pages = all_pages(c.list_task_definitions().status(TaskDefinitionStatus::Active).max_results(100).into_paginator().send(), "ListTaskDefinitions").await?;
        let mut families: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
        for arn in pages.iter().flat_map(|p| p.task_definition_arns()) {
            if let Some((family, rev)) = family_revision(arn) {
                families.entry(family.to_string()).or_default().push((rev, arn.clone()));
            }
        }
        for revs in families.values_mut() {
            revs.sort();
        }
        let read = |arn: String| async move { describe(aws, &scope.region, &arn).await };
        // The latest revision of every family.
        let latest: Vec<String> = families.values().filter_map(|r| r.last().map(|(_, a)| a.clone())).collect();
        let found: Vec<Option<Item>> = stream::iter(latest.into_iter().map(read)).buffer_unordered(TAG_READS_AT_ONCE).try_collect().await?;
        let mut out: Vec<Item> = found.into_iter().flatten().collect();
        // In the stack's own families, the other active revisions too.
        let ours: BTreeSet<String> = out.iter().filter(|i| tags_of(&i.tags).get(tags::STACK) == Some(&scope.stack)).filter_map(|i| i.td.family().map(str::to_string)).collect();
        let older: Vec<String> = ours.iter().flat_map(|f| families[f].iter().rev().skip(1).map(|(_, a)| a.clone())).collect();
        let found: Vec<Option<Item>> = stream::iter(older.into_iter().map(read)).buffer_unordered(TAG_READS_AT_ONCE).try_collect().await?;
        out.extend(found.into_iter().flatten());
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        describe(aws, region, id).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, TaskDefinition>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let family = v.family.clone().unwrap_or_else(|| ecs_name(cx));
        // A family is shared by its revisions: register into one only if its
        // latest revision is this resource's (a replacement) or it has none.
        if let Some(theirs) = describe(aws, &cx.region, &family).await?.filter(|i| Self::life(i) == Life::Live) {
            let t = tags_of(&theirs.tags);
            if t.get(tags::STACK) != v.tags.get(tags::STACK) || t.get(tags::RESOURCE) != v.tags.get(tags::RESOURCE) {
                return Err(ProviderError::new(
                    ErrorClass::Invalid,
                    "RegisterTaskDefinition",
                    format!("the task definition family {family:?} is in use ({}) and is not this resource's", theirs.td.task_definition_arn().unwrap_or_default()),
                ));
            }
        }
        let containers: Vec<ContainerDefinition> = v.containers.iter().flatten().map(|c| container_def(c, &cx.region)).collect();
        let platform = v.cpu_architecture.as_deref().map(|a| RuntimePlatform::builder().cpu_architecture(CpuArchitecture::from(a)).build());
        let out = client(aws, &cx.region)
            .register_task_definition()
            .family(&family)
            .requires_compatibilities(Compatibility::from(v.launch_type.as_deref().unwrap_or("FARGATE")))
            .network_mode(NetworkMode::from(v.network_mode.as_deref().unwrap_or("awsvpc")))
            .set_cpu(v.cpu.map(|n| n.to_string()))
            .set_memory(v.memory.map(|n| n.to_string()))
            .set_runtime_platform(platform)
            .set_execution_role_arn(v.execution_role.clone())
            .set_task_role_arn(v.task_role.clone())
            .set_container_definitions(Some(containers))
            .set_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("RegisterTaskDefinition"))?;
        let td = out.task_definition().cloned().ok_or_else(|| strata_aws::lacks("RegisterTaskDefinition", "taskDefinition", &cx.name))?;
        Ok(Created::Item(Item { td, tags: out.tags().to_vec() }))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = client(aws, &cx.region);
        c.deregister_task_definition().task_definition(&actual.id).send().await.map_err(err("DeregisterTaskDefinition"))?;
        // An inactive revision stays listed (and tagged) for ever unless deleted.
        c.delete_task_definitions().task_definitions(&actual.id).send().await.map(|_| ()).map_err(err("DeleteTaskDefinitions"))
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let known_str = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        if let Some(p) = known_str(V::family).and_then(|f| name_problem(&f)) {
            out.push(Diagnostic::field(r, V::family, p));
        }
        let launch = known_str(V::launch_type).unwrap_or_else(|| "FARGATE".into());
        let mode = known_str(V::network_mode).unwrap_or_else(|| "awsvpc".into());
        if !["FARGATE", "EC2"].contains(&launch.as_str()) {
            out.push(Diagnostic::field(r, V::launch_type, format!("{launch:?} is not FARGATE or EC2")));
        }
        if !["awsvpc", "bridge", "host", "none"].contains(&mode.as_str()) {
            out.push(Diagnostic::field(r, V::network_mode, format!("{mode:?} is not awsvpc, bridge, host or none")));
        } else if launch == "FARGATE" && mode != "awsvpc" {
            out.push(Diagnostic::field(r, V::network_mode, format!("Fargate tasks run in awsvpc mode only, not {mode:?}")));
        }
        if let Some(a) = known_str(V::cpu_architecture).filter(|a| a != "X86_64" && a != "ARM64") {
            out.push(Diagnostic::field(r, V::cpu_architecture, format!("{a:?} is not X86_64 or ARM64")));
        }
        let (cpu, memory) = (decl.known(V::cpu).and_then(|v| v.as_int()), decl.known(V::memory).and_then(|v| v.as_int()));
        if launch == "FARGATE" {
            match (cpu, memory) {
                (None, _) | (_, None) => out.push(Diagnostic::field(r, V::cpu, "a Fargate task definition needs its task CPU and memory")),
                (Some(c), Some(m)) => match fargate_memory(c) {
                    None => out.push(Diagnostic::field(r, V::cpu, format!("{c} CPU units is not a Fargate size (256, 512, 1024, 2048, 4096, 8192, 16384)"))),
                    Some(allowed) if !allowed.contains(&m) => {
                        let (lo, hi) = (allowed.first().copied().unwrap_or_default(), allowed.last().copied().unwrap_or_default());
                        let step = allowed.get(1).map_or(0, |s| s - lo);
                        let sizes = if allowed.windows(2).all(|w| w[1] - w[0] == step) {
                            format!("{lo} to {hi} MiB in steps of {step}")
                        } else {
                            format!("one of {allowed:?} MiB")
                        };
                        out.push(Diagnostic::field(r, V::memory, format!("Fargate has no {c} CPU / {m} MiB task: with {c} CPU units the memory is {sizes}")));
                    }
                    Some(_) => {}
                },
            }
        }
        let containers = match decl.inputs.get(V::containers) {
            Some(Input::List(l)) if !l.is_empty() => l,
            _ => {
                out.push(Diagnostic::field(r, V::containers, "a task definition needs at least one container"));
                return;
            }
        };
        let mut names = BTreeSet::new();
        let mut needs_execution_role = false;
        let mut any_essential = false;
        for c in containers {
            let Input::Map(m) = c else { continue };
            let name = m.get(C_NAME).and_then(Input::known).and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let at = |what: &str| format!("container {name:?}: {what}");
            if name.is_empty() || name.len() > 255 || !name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') {
                out.push(Diagnostic::field(r, V::containers, at("a container name is 1 to 255 of A-Z a-z 0-9 - _")));
            } else if !names.insert(name.clone()) {
                out.push(Diagnostic::field(r, V::containers, at("two containers have this name")));
            }
            if m.get(C_IMAGE).and_then(Input::known).is_some_and(|v| v.as_str().is_none_or(str::is_empty)) {
                out.push(Diagnostic::field(r, V::containers, at("the image is empty")));
            }
            any_essential |= m.get(C_ESSENTIAL).and_then(Input::known).and_then(|v| v.as_bool()).unwrap_or(true);
            let mem = m.get(C_MEMORY).and_then(Input::known).and_then(|v| v.as_int()).unwrap_or_default();
            if launch == "EC2" && memory.is_none() && mem <= 0 {
                out.push(Diagnostic::field(r, V::containers, at("on EC2 without a task memory every container needs its own memory limit")));
            }
            if let (Some(task), true) = (memory, mem > 0) {
                if mem > task {
                    out.push(Diagnostic::field(r, V::containers, at(&format!("its memory ({mem} MiB) is more than the task's ({task} MiB)"))));
                }
            }
            if let Some(Value::List(ports)) = m.get(C_PORTS).and_then(Input::known) {
                for p in ports.iter().filter_map(Value::as_map) {
                    if p.get("port").and_then(Value::as_int).is_none_or(|n| !(1..=65535).contains(&n)) {
                        out.push(Diagnostic::field(r, V::containers, at("a port is 1 to 65535")));
                    }
                }
            }
            if let Some(Input::Map(env)) = m.get(C_ENV) {
                for (k, v) in env {
                    if v.is_secret() {
                        out.push(Diagnostic::field(
                            r,
                            V::containers,
                            at(&format!("environment variable {k} holds a secret, which a task definition would store in the clear: pass its ARN with .secret({k:?}, secret.arn())")),
                        ));
                    }
                }
            }
            if let Some(Input::Map(secrets)) = m.get(C_SECRETS) {
                needs_execution_role |= !secrets.is_empty();
                for (k, v) in secrets {
                    if let Some(p) = secret_reference_problem(v, stack) {
                        out.push(Diagnostic::field(r, V::containers, at(&format!("secret {k}: {p}"))));
                    }
                }
            }
            needs_execution_role |= !matches!(m.get(C_LOG_GROUP).and_then(Input::known), Some(Value::Str(g)) if g.is_empty());
        }
        if !any_essential {
            out.push(Diagnostic::field(r, V::containers, "at least one container must be essential"));
        }
        if needs_execution_role && decl.inputs.get(V::execution_role).is_none_or(|i| matches!(i, Input::Known(Value::Null))) {
            out.push(Diagnostic::field(r, V::execution_role, "containers that read secrets or write to CloudWatch Logs need an execution role"));
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(2)
    }
}

/// Why a container secret's `valueFrom` is not a reference to a secret (the
/// value itself is never part of the answer).
fn secret_reference_problem(v: &Input, stack: &Stack) -> Option<String> {
    const HOW: &str = "pass the ARN of a Secrets Manager secret (secret.arn()) or of an SSM parameter; the value given is not shown";
    if v.is_secret() {
        return Some(format!("this is a secret value, not a reference to one: {HOW}"));
    }
    if let Some((id, attr)) = v.source() {
        let is_secret_kind = stack.resource(id).is_some_and(|d| d.kind == "aws:secretsmanager:Secret");
        if is_secret_kind && attr != "arn" {
            return Some(format!("this is the secret's {attr}, not its ARN: {HOW}"));
        }
        return None;
    }
    match v.known() {
        Some(Value::Str(s)) if s.starts_with("arn:") && (s.contains(":secretsmanager:") || s.contains(":ssm:")) => None,
        Some(_) => Some(format!("not an ARN of Secrets Manager or SSM: {HOW}")),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_pairs_follow_the_documented_table() {
        assert_eq!(fargate_memory(256), Some(vec![512, 1024, 2048]));
        assert_eq!(fargate_memory(512).map(|m| (m[0], m[m.len() - 1], m.len())), Some((1024, 4096, 4)));
        assert_eq!(fargate_memory(4096).map(|m| (m[0], m[m.len() - 1], m.len())), Some((8192, 30720, 23)));
        assert_eq!(fargate_memory(8192).map(|m| (m[0], m[m.len() - 1], m.len())), Some((16384, 61440, 12)));
        assert_eq!(fargate_memory(16384).map(|m| (m[0], m[m.len() - 1], m.len())), Some((32768, 122880, 12)));
        assert_eq!(fargate_memory(300), None);
    }

    #[test]
    fn revision_arns_split_into_family_and_revision() {
        assert_eq!(family_revision("arn:aws:ecs:eu-central-1:1:task-definition/web-app:12"), Some(("web-app", 12)));
        assert_eq!(family_revision("web-app"), None);
    }

    #[test]
    fn a_container_reads_back_as_declared() {
        let c = Container::new("web", "nginx:1").port(80).udp_port(1194).env("A", "1").secret("S", "arn:aws:secretsmanager:r:1:secret:x").logs("/ecs/web", "web").command(["run"]);
        let declared = Input::Map(c.m).known().expect("known");
        assert_eq!(container_value(&container_def(&declared, "eu-central-1")), declared);
    }
}
