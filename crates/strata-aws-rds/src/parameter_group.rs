//! `aws:rds:DbParameterGroup`: engine parameters for DB instances.
//!
//! The group is a kernel kind; its parameters, a map the kernel's fields do not
//! declare, are a child collection handled around the kernel's provider. Only
//! the parameters the program sets are compared (`DescribeDBParameters`, source
//! `user`); one the program stops setting is reset to the engine default.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, DbParameterGroup as Item, Parameter};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, KindProvider, Seen, Want};
use strata_aws::naming::{derived_id, id_problem, RDS_GROUP};
use strata_aws::props::strs;
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, Output, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, Provider, ProviderError};

use crate::RdsTags;

strata_aws::kind_fields! {
    /// A DB parameter group of one engine family (`mysql8.0`, `postgres16`, ...).
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_rds::DbParameterGroup;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let params = stack.add(
    ///     "mysql-params",
    ///     DbParameterGroup::new("mysql8.0").parameter("max_connections", "500").parameter_on_reboot("innodb_log_file_size", "536870912"),
    /// );
    /// let _ = params.group_name();
    /// ```
    pub struct DbParameterGroup: "aws:rds:DbParameterGroup";
    values DbParameterGroupValues;
    handle DbParameterGroupHandle / DbParameterGroupOutputs { name, arn };
    fields {
        /// An explicit name; default: derived from stack, logical name and family.
        name: str [replace];
        /// The engine family (RDS cannot change it).
        family: str [replace required];
        /// The group's description (RDS cannot change it).
        description: str [replace] = "Managed by strata";
        /// The parameters applied at the instance's next reboot, not at once
        /// (not compared: RDS does not report how a value was applied).
        on_reboot: strs [update];
    }
}

/// The parameters, name to value: a map, which the kernel's fields do not declare.
const PARAMETERS: &str = "parameters";

/// `ModifyDBParameterGroup` and `ResetDBParameterGroup` take at most 20 parameters a call.
const PER_CALL: usize = 20;

impl DbParameterGroup {
    /// A parameter group of this family, with no parameters set.
    pub fn new(family: &str) -> Self {
        let mut g = Self::empty().family(family).on_reboot(Vec::<String>::new());
        g.inputs.insert(PARAMETERS.into(), Input::Map(Default::default()));
        g
    }

    /// A dynamic parameter, applied at once.
    pub fn parameter(mut self, name: &str, value: impl Into<Arg<String>>) -> Self {
        if let Some(Input::Map(m)) = self.inputs.get_mut(PARAMETERS) {
            m.insert(name.into(), value.into().into_input());
        }
        self
    }

    /// A static parameter, applied at the instance's next reboot.
    pub fn parameter_on_reboot(mut self, name: &str, value: impl Into<Arg<String>>) -> Self {
        if let Some(Input::List(l)) = self.inputs.get_mut(V::on_reboot) {
            l.push(Input::from(name));
        }
        self.parameter(name, value)
    }
}

impl DbParameterGroupHandle {
    /// The `name` output: the group's name, for [`crate::DbInstance::parameter_group`].
    pub fn group_name(&self) -> Output<String> {
        self.name()
    }
}

type V = DbParameterGroupValues;

const FAMILIES: &[&str] = &["mysql", "postgres", "mariadb"];

/// The kind behind [`DbParameterGroup`], the group without its parameters.
pub(crate) struct Groups;

#[async_trait]
impl Kind for Groups {
    type Builder = DbParameterGroup;
    type Item = Item;
    type Tags = RdsTags;

    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(g: &Item) -> Option<&str> {
        g.db_parameter_group_name()
    }

    fn tag_target(g: &Item) -> Option<String> {
        g.db_parameter_group_arn().map(str::to_string)
    }

    fn observe(g: &Item) -> Seen<DbParameterGroup> {
        Seen {
            values: V {
                name: g.db_parameter_group_name().map(str::to_string),
                family: g.db_parameter_group_family().map(str::to_string),
                description: g.description().map(str::to_string),
                ..V::default()
            },
            outputs: DbParameterGroupOutputs { name: g.db_parameter_group_name().map(str::to_string), arn: g.db_parameter_group_arn().map(str::to_string) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let groups = crate::client(aws, &scope.region)
            .describe_db_parameter_groups()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeDBParameterGroups"))?;
        // AWS's `default.*` groups are never a stack's: no tag read for them.
        Ok(groups.into_iter().filter(|g| g.db_parameter_group_name().is_some_and(|n| !n.starts_with("default."))).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = crate::client(aws, region)
            .describe_db_parameter_groups()
            .db_parameter_group_name(id)
            .send()
            .await
            .map_err(err("DescribeDBParameterGroups"))?;
        Ok(out.db_parameter_groups().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, DbParameterGroup>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| derived_id(RDS_GROUP, &cx.stack, &cx.name, v.family.as_deref().unwrap_or_default()));
        let out = crate::client(aws, &cx.region)
            .create_db_parameter_group()
            .db_parameter_group_name(&name)
            .set_db_parameter_group_family(v.family.clone())
            .set_description(v.description.clone())
            .set_tags(Some(crate::tag_list(&v.tags)))
            .send()
            .await
            .map_err(err("CreateDBParameterGroup"))?;
        Ok(match out.db_parameter_group() {
            Some(g) if g.db_parameter_group_name().is_some() => Created::Item(g.clone()),
            _ => Created::Id(name),
        })
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(aws, &cx.region).delete_db_parameter_group().db_parameter_group_name(&actual.id).send().await;
        r.map(|_| ()).map_err(err("DeleteDBParameterGroup"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(n) = decl.known(V::name).and_then(|v| v.as_str().map(str::to_string)) {
            if let Some(p) = id_problem(RDS_GROUP, &n) {
                out.push(Diagnostic::field(&decl.name, V::name, p));
            }
        }
        if let Some(f) = decl.known(V::family).and_then(|v| v.as_str().map(str::to_string)) {
            let ok = FAMILIES.iter().any(|e| f.strip_prefix(e).is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.')));
            if !ok {
                out.push(Diagnostic::field(&decl.name, V::family, format!("{f:?} is not a parameter group family such as mysql8.0 or postgres16")));
            }
        }
    }
}

/// The kernel's provider of [`Groups`], with the `parameters` map read after
/// the group (for the stack's own groups only), written after its create and
/// synced by its update; `on_reboot` is not compared.
pub(crate) struct ParameterGroups {
    groups: KindProvider<Groups>,
    aws: Aws,
}

fn parameters(props: &Props) -> BTreeMap<String, Value> {
    props.get(PARAMETERS).and_then(Value::as_map).cloned().unwrap_or_default()
}

impl ParameterGroups {
    pub(crate) fn new(aws: &Aws) -> Self {
        ParameterGroups { groups: KindProvider::new(aws, Groups), aws: aws.clone() }
    }

    /// The group with the parameters the program may have set (source `user`).
    async fn with_parameters(&self, mut o: Observed) -> Result<Observed, ProviderError> {
        let params = crate::client(&self.aws, &o.region)
            .describe_db_parameters()
            .db_parameter_group_name(&o.id)
            .source("user")
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeDBParameters"))?;
        let map = params.iter().filter_map(|p| Some((p.parameter_name()?.to_string(), Value::str(p.parameter_value().unwrap_or_default()))));
        o.props.insert(PARAMETERS.into(), Value::Map(map.collect()));
        Ok(o)
    }

    /// Bring the parameters from `have` to `want`: reset the ones no longer
    /// set to the engine default, then set the others as `on_reboot` says.
    async fn sync(&self, cx: &OpContext, name: &str, have: &Props, want: &Props) -> Result<(), ProviderError> {
        let (set, on_reboot) = (parameters(want), strs(want, V::on_reboot));
        let at = |k: &String| if on_reboot.contains(k) { ApplyMethod::PendingReboot } else { ApplyMethod::Immediate };
        let param = |k: &String, method| Parameter::builder().parameter_name(k).apply_method(method);
        let gone: Vec<Parameter> = parameters(have).keys().filter(|k| !set.contains_key(*k)).map(|k| param(k, ApplyMethod::PendingReboot).build()).collect();
        let new: Vec<Parameter> = set.iter().map(|(k, v)| param(k, at(k)).parameter_value(v.expose().as_str().unwrap_or_default()).build()).collect();
        let c = crate::client(&self.aws, &cx.region);
        for chunk in gone.chunks(PER_CALL) {
            let req = c.reset_db_parameter_group().db_parameter_group_name(name).set_parameters(Some(chunk.to_vec()));
            req.send().await.map_err(err("ResetDBParameterGroup"))?;
        }
        for chunk in new.chunks(PER_CALL) {
            let req = c.modify_db_parameter_group().db_parameter_group_name(name).set_parameters(Some(chunk.to_vec()));
            req.send().await.map_err(err("ModifyDBParameterGroup"))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for ParameterGroups {
    fn kind(&self) -> &'static str { self.groups.kind() }
    fn replace_fields(&self) -> &'static [&'static str] { self.groups.replace_fields() }
    fn validate(&self, decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) { self.groups.validate(decl, stack, out) }
    fn estimate(&self, op: Op) -> Duration { self.groups.estimate(op) }
    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> { self.groups.delete(cx, actual).await }
    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        self.groups.set_tags(cx, actual, add, remove).await
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        want.remove(V::on_reboot);
        self.groups.diff(&want, actual)
    }

    fn default_timeout(&self, op: Op) -> Duration {
        // A delete waits (retrying "in use") until the instances using it are gone.
        Duration::from_secs(if op == Op::Delete { 40 * 60 } else { 5 * 60 })
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let mut out = Vec::new();
        for o in self.groups.discover(scope).await? {
            out.push(self.with_parameters(o).await?);
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match self.groups.read(region, id).await? {
            Some(o) => self.with_parameters(o).await.map(Some),
            None => Ok(None),
        }
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let o = self.groups.create(cx, desired).await?;
        self.sync(cx, &o.id, &Props::new(), desired).await?;
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let group = Diff { changes: diff.changes.iter().filter(|c| c.field != PARAMETERS).cloned().collect() };
        let o = self.groups.update(cx, actual, desired, &group).await?;
        if diff.changed(PARAMETERS).is_some() {
            self.sync(cx, &actual.id, &actual.props, desired).await?;
        }
        Ok(o)
    }
}
