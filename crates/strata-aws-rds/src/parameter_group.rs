//! `aws:rds:DbParameterGroup`: engine parameters for DB instances.
//!
//! Only the parameters the program sets are compared (`DescribeDBParameters`,
//! source `user`, read for the stack's own groups); one the program stops
//! setting is reset to the engine default.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, DbParameterGroup as Group, Parameter};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Values, Want};
use strata_aws::naming::{derived_id, id_problem, RDS_GROUP};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, ResourceDecl, Stack};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

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
    handle DbParameterGroupHandle / DbParameterGroupOutputs { group_name, arn };
    fields {
        /// An explicit name; default: derived from stack, logical name and family.
        name: str [replace];
        /// The engine family (RDS cannot change it).
        family: str [replace required];
        /// The group's description (RDS cannot change it).
        description: str [replace] = "Managed by strata";
        /// The parameters, name to value.
        parameters: map [update];
        /// The parameters applied at the instance's next reboot, not at once
        /// (not compared: RDS does not report how a value was applied).
        on_reboot: strs [update writeonly private] = Vec::<String>::new();
    }
}

/// `ModifyDBParameterGroup` and `ResetDBParameterGroup` take at most 20 parameters a call.
const PER_CALL: usize = 20;

impl DbParameterGroup {
    /// A parameter group of this family, with no parameters set.
    pub fn new(family: &str) -> Self {
        Self::empty().family(family)
    }

    /// A dynamic parameter, applied at once.
    pub fn parameter(self, name: &str, value: impl Into<Arg<String>>) -> Self {
        self.put(V::parameters, name, value.into().into_input())
    }

    /// A static parameter, applied at the instance's next reboot.
    pub fn parameter_on_reboot(self, name: &str, value: impl Into<Arg<String>>) -> Self {
        self.push(V::on_reboot, Input::from(name)).parameter(name, value)
    }
}

type V = DbParameterGroupValues;

const FAMILIES: &[&str] = &["mysql", "postgres", "mariadb"];

/// The kind behind [`DbParameterGroup`].
pub(crate) struct Groups;

/// A group as read, and the parameters set on it (read by [`Kind::complete`]).
pub(crate) struct Item(Group, BTreeMap<String, String>);

/// Bring the parameters from `have` to `want`: reset the ones no longer set to
/// the engine default, then set the others as `on_reboot` says.
async fn sync(aws: &Aws, region: &str, name: &str, have: &BTreeMap<String, String>, want: &V) -> Result<(), ProviderError> {
    let (set, on_reboot) = (want.parameters.clone().unwrap_or_default(), want.on_reboot.clone().unwrap_or_default());
    let at = |k: &String| if on_reboot.contains(k) { ApplyMethod::PendingReboot } else { ApplyMethod::Immediate };
    let param = |k: &String, method| Parameter::builder().parameter_name(k).apply_method(method);
    let gone: Vec<Parameter> = have.keys().filter(|k| !set.contains_key(*k)).map(|k| param(k, ApplyMethod::PendingReboot).build()).collect();
    let new: Vec<Parameter> = set.iter().map(|(k, v)| param(k, at(k)).parameter_value(v).build()).collect();
    let c = crate::client(aws, region);
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

#[async_trait]
impl Kind for Groups {
    type Builder = DbParameterGroup;
    type Item = Item;
    type Tags = RdsTags;

    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(g: &Item) -> Option<&str> {
        g.0.db_parameter_group_name()
    }

    fn tag_target(g: &Item) -> Option<String> {
        g.0.db_parameter_group_arn().map(str::to_string)
    }

    fn observe(Item(g, params): &Item) -> Seen<DbParameterGroup> {
        let name = g.db_parameter_group_name().map(str::to_string);
        let (family, description) = (g.db_parameter_group_family().map(str::to_string), g.description().map(str::to_string));
        let values = V { name: name.clone(), family, description, parameters: Some(params.clone()), ..V::default() };
        Seen { values, outputs: DbParameterGroupOutputs { group_name: name, arn: g.db_parameter_group_arn().map(str::to_string) }, refs: Vec::new() }
    }

    async fn complete(&self, aws: &Aws, region: &str, Item(g, _): Item) -> Result<Item, ProviderError> {
        let req = crate::client(aws, region).describe_db_parameters().set_db_parameter_group_name(g.db_parameter_group_name.clone());
        let params = req.source("user").into_paginator().items().send().collect::<Result<Vec<_>, _>>().await.map_err(err("DescribeDBParameters"))?;
        let params = params.iter().filter_map(|p| Some((p.parameter_name()?.to_string(), p.parameter_value().unwrap_or_default().to_string())));
        Ok(Item(g, params.collect()))
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let groups = crate::client(aws, &scope.region).describe_db_parameter_groups().into_paginator().items().send();
        let groups = groups.collect::<Result<Vec<_>, _>>().await.map_err(err("DescribeDBParameterGroups"))?;
        // AWS's `default.*` groups are never a stack's: no tag read for them.
        let own = groups.into_iter().filter(|g| g.db_parameter_group_name().is_some_and(|n| !n.starts_with("default.")));
        Ok(own.map(|g| Item(g, BTreeMap::new())).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let req = crate::client(aws, region).describe_db_parameter_groups().db_parameter_group_name(id);
        let out = req.send().await.map_err(err("DescribeDBParameterGroups"))?;
        Ok(out.db_parameter_groups().first().map(|g| Item(g.clone(), BTreeMap::new())))
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
        sync(aws, &cx.region, &name, &BTreeMap::new(), v).await?;
        Ok(match out.db_parameter_group {
            Some(g) if g.db_parameter_group_name().is_some() => Created::Item(Item(g, BTreeMap::new())),
            _ => Created::Id(name),
        })
    }

    /// Only the parameters change in place.
    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, DbParameterGroup>, _diff: &Diff) -> Result<(), ProviderError> {
        let have = V::from_props(&actual.props).parameters.unwrap_or_default();
        sync(aws, &want.cx.region, &actual.id, &have, &want.values).await
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

    fn default_timeout(op: Op) -> Duration {
        // A delete waits (retrying "in use") until the instances using it are gone.
        Duration::from_secs(if op == Op::Delete { 40 * 60 } else { 5 * 60 })
    }
}
