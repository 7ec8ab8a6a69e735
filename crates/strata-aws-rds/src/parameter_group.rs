//! `aws:rds:DbParameterGroup`: engine parameters for DB instances.
//!
//! Only the parameters the program sets are compared (read with
//! `DescribeDBParameters`, source `user`); a parameter the program stops
//! setting is reset to the engine default.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, Parameter};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, Provider, ProviderError};

use super::{sdk_tags, tags_of};
use strata_aws::props::{str_of, strs};
use strata_aws::error::err;
use strata_aws::naming::{derived_id, id_problem, RDS_GROUP};
use strata_aws::Aws;

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
#[derive(Clone, Debug)]
pub struct DbParameterGroup {
    name: Option<String>,
    family: String,
    description: String,
    parameters: BTreeMap<String, Input>,
    on_reboot: Vec<String>,
    tags: BTreeMap<String, Input>,
}

impl DbParameterGroup {
    pub fn new(family: &str) -> Self {
        DbParameterGroup {
            name: None,
            family: family.into(),
            description: "Managed by strata".into(),
            parameters: BTreeMap::new(),
            on_reboot: Vec::new(),
            tags: BTreeMap::new(),
        }
    }
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    pub fn description(mut self, d: &str) -> Self {
        self.description = d.into();
        self
    }
    /// A dynamic parameter, applied at once.
    pub fn parameter(mut self, name: &str, value: impl Into<Arg<String>>) -> Self {
        self.parameters.insert(name.into(), value.into().into_input());
        self
    }
    /// A static parameter, applied at the instance's next reboot.
    pub fn parameter_on_reboot(mut self, name: &str, value: impl Into<Arg<String>>) -> Self {
        self.on_reboot.push(name.into());
        self.parameter(name, value)
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`DbParameterGroup`].
    DbParameterGroupHandle { group_name: "name", arn: "arn" }
);

impl Resource for DbParameterGroup {
    const KIND: &'static str = "aws:rds:DbParameterGroup";
    type Handle = DbParameterGroupHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("name".to_string(), Input::from(self.name)),
            ("family".to_string(), Input::from(self.family)),
            ("description".to_string(), Input::from(self.description)),
            ("parameters".to_string(), Input::Map(self.parameters)),
            ("on_reboot".to_string(), Input::List(self.on_reboot.into_iter().map(Input::from).collect())),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct ParameterGroupProvider {
    pub(crate) aws: Aws,
}

const FAMILIES: &[&str] = &["mysql", "postgres", "mariadb"];

fn parameters(desired: &Props) -> Vec<Parameter> {
    let on_reboot = strs(desired, "on_reboot");
    desired
        .get("parameters")
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let method = if on_reboot.contains(k) { ApplyMethod::PendingReboot } else { ApplyMethod::Immediate };
                    Parameter::builder()
                        .parameter_name(k)
                        .parameter_value(v.expose().as_str().unwrap_or_default())
                        .apply_method(method)
                        .build()
                })
                .collect()
        })
        .unwrap_or_default()
}

impl ParameterGroupProvider {
    async fn observe(&self, region: &str, g: &aws_sdk_rds::types::DbParameterGroup, tags: Tags) -> Result<Observed, ProviderError> {
        let name = g.db_parameter_group_name().unwrap_or_default();
        let params = crate::client(&self.aws, region)
            .describe_db_parameters()
            .db_parameter_group_name(name)
            .source("user")
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeDBParameters"))?;
        let map = params
            .iter()
            .filter_map(|p| Some((p.parameter_name()?.to_string(), Value::str(p.parameter_value().unwrap_or_default()))))
            .collect();
        let mut o = Observed::new(DbParameterGroup::KIND, name, region);
        o.props = Props::from([
            ("name".into(), Value::str(name)),
            ("family".into(), Value::str(g.db_parameter_group_family().unwrap_or_default())),
            ("description".into(), Value::str(g.description().unwrap_or_default())),
            ("parameters".into(), Value::Map(map)),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        o.outputs = Props::from([
            ("id".into(), Value::str(name)),
            ("name".into(), Value::str(name)),
            ("arn".into(), Value::str(g.db_parameter_group_arn().unwrap_or_default())),
        ]);
        Ok(o)
    }

    async fn modify(&self, region: &str, name: &str, desired: &Props) -> Result<(), ProviderError> {
        let all = parameters(desired);
        // ModifyDBParameterGroup takes at most 20 parameters per call.
        for chunk in all.chunks(20) {
            crate::client(&self.aws, region)
                .modify_db_parameter_group()
                .db_parameter_group_name(name)
                .set_parameters(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(err("ModifyDBParameterGroup"))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for ParameterGroupProvider {
    fn kind(&self) -> &'static str {
        DbParameterGroup::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        // RDS cannot change a parameter group's family or description.
        &["name", "family", "description"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(n) = decl.known("name").and_then(|v| v.as_str().map(str::to_string)) {
            if let Some(p) = id_problem(RDS_GROUP, &n) {
                out.push(Diagnostic::field(&decl.name, "name", p));
            }
        }
        if let Some(f) = decl.known("family").and_then(|v| v.as_str().map(str::to_string)) {
            let ok = FAMILIES.iter().any(|e| f.strip_prefix(e).is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.')));
            if !ok {
                out.push(Diagnostic::field(&decl.name, "family", format!("{f:?} is not a parameter group family such as mysql8.0 or postgres16")));
            }
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        want.remove("on_reboot");
        strata_engine::diff_with_derived(&want, &actual.props, self.replace_fields(), &["name"])
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(3)
    }

    fn default_timeout(&self, op: Op) -> Duration {
        match op {
            Op::Delete => Duration::from_secs(40 * 60),
            _ => Duration::from_secs(5 * 60),
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let groups = crate::client(&self.aws, &scope.region)
            .describe_db_parameter_groups()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeDBParameterGroups"))?;
        let mut out = Vec::new();
        for g in &groups {
            if g.db_parameter_group_name().is_none_or(|n| n.starts_with("default.")) {
                continue;
            }
            let t = tags_of(&self.aws, &scope.region, g.db_parameter_group_arn().unwrap_or_default()).await?;
            if t.get(tags::STACK) == Some(&scope.stack) {
                out.push(self.observe(&scope.region, g, t).await?);
            }
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let r = crate::client(&self.aws, region).describe_db_parameter_groups().db_parameter_group_name(id).send().await;
        let out = match r {
            Ok(o) => o,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeDBParameterGroups", e)),
        };
        let Some(g) = out.db_parameter_groups().first() else { return Ok(None) };
        let t = tags_of(&self.aws, region, g.db_parameter_group_arn().unwrap_or_default()).await?;
        Ok(Some(self.observe(region, g, t).await?))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let family = str_of(desired, "family").unwrap_or_default();
        let name = str_of(desired, "name").unwrap_or_else(|| derived_id(RDS_GROUP, &cx.stack, &cx.name, &family));
        let out = crate::client(&self.aws, &cx.region)
            .create_db_parameter_group()
            .db_parameter_group_name(&name)
            .db_parameter_group_family(&family)
            .description(str_of(desired, "description").unwrap_or_default())
            .set_tags(Some(sdk_tags(desired)))
            .send()
            .await
            .map_err(err("CreateDBParameterGroup"))?;
        self.modify(&cx.region, &name, desired).await?;
        let arn = out.db_parameter_group().and_then(|g| g.db_parameter_group_arn()).ok_or_else(|| strata_aws::lacks("CreateDBParameterGroup", "DBParameterGroupArn", &cx.name))?.to_string();
        let mut o = Observed::new(DbParameterGroup::KIND, &name, &cx.region);
        o.props = desired.clone();
        o.props.insert("name".into(), Value::Str(name.clone()));
        o.outputs = Props::from([
            ("id".into(), Value::Str(name.clone())),
            ("name".into(), Value::Str(name)),
            ("arn".into(), Value::Str(arn)),
        ]);
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        if diff.changed("tags").is_some() {
            super::sync_tags(&self.aws, cx, actual, desired).await?;
        }
        if diff.changed("parameters").is_some() {
            let want = desired.get("parameters").and_then(Value::as_map).cloned().unwrap_or_default();
            let gone: Vec<Parameter> = actual
                .props
                .get("parameters")
                .and_then(Value::as_map)
                .map(|m| m.keys().filter(|k| !want.contains_key(*k)).cloned().collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .map(|k| Parameter::builder().parameter_name(k).apply_method(ApplyMethod::PendingReboot).build())
                .collect();
            for chunk in gone.chunks(20) {
                crate::client(&self.aws, &cx.region)
                    .reset_db_parameter_group()
                    .db_parameter_group_name(&actual.id)
                    .set_parameters(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(err("ResetDBParameterGroup"))?;
            }
            self.modify(&cx.region, &actual.id, desired).await?;
        }
        let mut o = actual.clone();
        o.props = desired.clone();
        o.props.insert("name".into(), Value::str(&actual.id));
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_db_parameter_group().db_parameter_group_name(&actual.id).send().await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteDBParameterGroup")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        super::set_tags(&self.aws, cx, actual, add, remove).await
    }
}
