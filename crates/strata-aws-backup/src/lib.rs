//! AWS Backup: `aws:backup:Vault` (encrypted with a KMS key) and
//! `aws:backup:Plan` (rules with a schedule, retention, cold storage and
//! copies to another vault; selections by tag or by resource ARN).
//!
//! Selections carry no tags, so they are a property of their plan, named
//! `<plan>-<index>`; a plan lists its selections (`ListBackupSelections`,
//! `GetBackupSelection`) only when its `strata:selections` tag says it has
//! some. moto does not implement the selection calls; they are tested with
//! smithy mocks against the SDK's real request shapes.

/// AWS Backup's model writes `ListTags` as `GET /tags/{arn}/`, with a
/// trailing slash the SDK leaves out; moto reads the ARN from that layout
/// (and AWS takes both). Put the slash back before the request is signed.
///
/// Public so that raw Backup clients (tests' independent checks) can install it.
#[derive(Debug)]
pub struct BackupTagsPath;

impl aws_smithy_runtime_api::client::interceptors::Intercept for BackupTagsPath {
    fn name(&self) -> &'static str {
        "strata::BackupTagsPath"
    }
    fn modify_before_signing(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut<'_>,
        _rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let req = context.request_mut();
        let uri = req.uri().to_string();
        let (path, query) = uri.split_once('?').map(|(p, q)| (p.to_string(), format!("?{q}"))).unwrap_or((uri.clone(), String::new()));
        // Only ListTags (GET) has the slash; TagResource (POST) has none.
        if req.method() == "GET" && path.contains("/tags/") && !path.ends_with('/') {
            req.set_uri(format!("{path}/{query}"))?;
        }
        Ok(())
    }
}

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_backup, "backup", |c, _p| c.interceptor(crate::BackupTagsPath));

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, BackupSelection, Condition, ConditionType, CopyAction, Lifecycle};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::props::str_of;
use strata_aws::Aws;

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(VaultProvider { aws: aws.clone() }));
    r.register(Arc::new(PlanProvider { aws: aws.clone() }));
}

/// The tag that says a plan has selections to list.
pub const SELECTIONS_TAG: &str = strata_core::tags::SELECTIONS;

fn name_of(stack: &str, logical: &str) -> String {
    format!("{stack}-{logical}").chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).take(50).collect()
}

fn build<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, ProviderError> {
    r.map_err(|e| ProviderError::new(ErrorClass::Invalid, "build", e.to_string()))
}

async fn tags_of(c: &aws_sdk_backup::Client, arn: &str) -> Result<Tags, ProviderError> {
    let out = c.list_tags().resource_arn(arn).send().await.map_err(err("ListTags"))?;
    Ok(out.tags().cloned().unwrap_or_default().into_iter().collect())
}

async fn set_tags(c: &aws_sdk_backup::Client, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
    if !remove.is_empty() {
        c.untag_resource().resource_arn(arn).set_tag_key_list(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
    }
    if !add.is_empty() {
        let t: std::collections::HashMap<String, String> = add.clone().into_iter().collect();
        c.tag_resource().resource_arn(arn).set_tags(Some(t)).send().await.map_err(err("TagResource"))?;
    }
    Ok(())
}

fn hash_tags(t: &Tags) -> std::collections::HashMap<String, String> {
    t.clone().into_iter().collect()
}

// ---------------------------------------------------------------- vaults

/// A backup vault.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_backup::Vault;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vault = stack.add("vault", Vault::new());
/// let _ = (vault.vault_name(), vault.arn());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Vault {
    kms_key: Option<Input>,
    tags: BTreeMap<String, Input>,
}

impl Vault {
    pub fn new() -> Self {
        Vault::default()
    }
    /// Encrypt recovery points with this key (default: the AWS Backup key).
    pub fn kms_key(mut self, key_arn: impl Into<Arg<String>>) -> Self {
        self.kms_key = Some(key_arn.into().into_input());
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`Vault`].
    VaultHandle { vault_name: "name", arn: "arn" }
);

impl Resource for Vault {
    const KIND: &'static str = "aws:backup:Vault";
    type Handle = VaultHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("kms_key_arn".to_string(), self.kms_key.unwrap_or(Input::Known(Value::Null))),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct VaultProvider {
    aws: Aws,
}

fn vault_observed(region: &str, name: &str, arn: &str, key: Option<&str>, tags: Tags) -> Observed {
    let mut o = Observed::new(Vault::KIND, name, region);
    o.props = Props::from([
        ("kms_key_arn".into(), key.map(Value::str).unwrap_or(Value::Null)),
        ("tags".into(), Value::from_tags(&tags)),
    ]);
    o.outputs = Props::from([("id".into(), Value::str(name)), ("name".into(), Value::str(name)), ("arn".into(), Value::str(arn))]);
    o
}

#[async_trait]
impl Provider for VaultProvider {
    fn kind(&self) -> &'static str {
        Vault::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["kms_key_arn"]
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        if want.get("kms_key_arn") == Some(&Value::Null) {
            want.remove("kms_key_arn");
        }
        strata_engine::default_diff(&want, &actual.props, self.replace_fields())
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(10)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let c = crate::client(&self.aws, &scope.region);
        let pages = c.list_backup_vaults().into_paginator().items().send();
        let vaults = strata_aws::error::all_pages(pages, "ListBackupVaults").await?;
        let mut out = Vec::new();
        for v in &vaults {
            let (Some(name), Some(arn)) = (v.backup_vault_name(), v.backup_vault_arn()) else { continue };
            if name == "Default" || name.starts_with("aws/") {
                continue;
            }
            let t = tags_of(&c, arn).await?;
            if t.get(tags::STACK) == Some(&scope.stack) {
                out.push(vault_observed(&scope.region, name, arn, v.encryption_key_arn(), t));
            }
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let v = match c.describe_backup_vault().backup_vault_name(id).send().await {
            Ok(v) => v,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeBackupVault", e)),
        };
        let arn = v.backup_vault_arn().unwrap_or_default().to_string();
        let t = tags_of(&c, &arn).await?;
        Ok(Some(vault_observed(region, id, &arn, v.encryption_key_arn(), t)))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let name = name_of(&cx.stack, &cx.name);
        let out = crate::client(&self.aws, &cx.region)
            .create_backup_vault()
            .backup_vault_name(&name)
            .set_encryption_key_arn(str_of(desired, "kms_key_arn"))
            .set_backup_vault_tags(Some(hash_tags(&strata_aws::desired_tags(desired))))
            .creator_request_id(&cx.idempotency_token)
            .send()
            .await
            .map_err(err("CreateBackupVault"))?;
        let mut o = vault_observed(&cx.region, &name, out.backup_vault_arn().ok_or_else(|| strata_aws::lacks("CreateBackupVault", "BackupVaultArn", &cx.name))?, None, strata_aws::desired_tags(desired));
        o.props = desired.clone();
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, _diff: &Diff) -> Result<Observed, ProviderError> {
        let want = strata_aws::desired_tags(desired);
        let remove: Vec<String> = actual.tags().keys().filter(|k| !want.contains_key(*k)).cloned().collect();
        self.set_tags(cx, actual, &want, &remove).await?;
        let mut o = actual.clone();
        o.props.insert("tags".into(), Value::from_tags(&want));
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_backup_vault().backup_vault_name(&actual.id).send().await.map_err(err("DeleteBackupVault"));
        match r {
            Err(e) if e.code.as_deref() == Some("InvalidRequestException") && e.message.contains("recovery points") => Err(ProviderError {
                message: format!("vault {} still holds recovery points; delete them (or keep the vault with retain_on_delete) first", actual.id),
                ..e
            }),
            other => strata_aws::gone_ok(other.map(|_| ())),
        }
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let arn = actual.outputs.get("arn").and_then(Value::as_str).unwrap_or_default().to_string();
        set_tags(&crate::client(&self.aws, &cx.region), &arn, add, remove).await
    }
}

// ---------------------------------------------------------------- plans

/// One backup rule: when, how long to keep, and where to copy.
#[derive(Clone, Debug)]
pub struct BackupRule {
    name: String,
    schedule: String,
    delete_after_days: i64,
    cold_after_days: Option<i64>,
    copy_to: Option<(Input, i64)>,
}

impl BackupRule {
    /// `schedule` is an AWS cron expression: `cron(0 3 * * ? *)`.
    pub fn new(name: &str, schedule: &str, delete_after_days: i64) -> Self {
        BackupRule { name: name.into(), schedule: schedule.into(), delete_after_days, cold_after_days: None, copy_to: None }
    }
    pub fn cold_storage_after_days(mut self, d: i64) -> Self {
        self.cold_after_days = Some(d);
        self
    }
    /// Copy each recovery point to another vault (ARN), kept `days`.
    pub fn copy_to(mut self, vault_arn: impl Into<Arg<String>>, days: i64) -> Self {
        self.copy_to = Some((vault_arn.into().into_input(), days));
        self
    }
    fn input(self) -> Input {
        let (copy, copy_days) = match self.copy_to {
            Some((v, d)) => (v, Input::from(d)),
            None => (Input::Known(Value::Null), Input::Known(Value::Null)),
        };
        Input::Map(BTreeMap::from([
            ("name".to_string(), Input::from(self.name)),
            ("schedule".to_string(), Input::from(self.schedule)),
            ("delete_after_days".to_string(), Input::from(self.delete_after_days)),
            ("cold_after_days".to_string(), Input::from(self.cold_after_days)),
            ("copy_to".to_string(), copy),
            ("copy_delete_after_days".to_string(), copy_days),
        ]))
    }
}

/// A backup plan.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_backup::{Plan, Vault};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let vault = stack.add("vault", Vault::new());
/// let plan = stack.add(
///     "plan",
///     Plan::miamo_policy(vault.vault_name()).select_by_tag("backup", "true", "arn:aws:iam::123456789012:role/backup"),
/// );
/// let _ = plan.plan_id();
/// ```
#[derive(Clone, Debug)]
pub struct Plan {
    vault: Input,
    rules: Vec<BackupRule>,
    selections: Vec<Input>,
    tags: BTreeMap<String, Input>,
}

impl Plan {
    /// Rules back up into `vault` (its name).
    pub fn new(vault: impl Into<Arg<String>>) -> Self {
        Plan { vault: vault.into().into_input(), rules: Vec::new(), selections: Vec::new(), tags: BTreeMap::new() }
    }
    /// The Miamo policy: daily backups kept 7 days, weekly on Monday kept 4
    /// weeks, monthly on the 1st kept 3 months (at 03:00 UTC).
    pub fn miamo_policy(vault: impl Into<Arg<String>>) -> Self {
        Plan::new(vault)
            .rule(BackupRule::new("daily", "cron(0 3 * * ? *)", 7))
            .rule(BackupRule::new("weekly", "cron(0 3 ? * MON *)", 28))
            .rule(BackupRule::new("monthly", "cron(0 3 1 * ? *)", 90))
    }
    pub fn rule(mut self, r: BackupRule) -> Self {
        self.rules.push(r);
        self
    }
    /// Back up every resource tagged `key=value`, as `role_arn`.
    pub fn select_by_tag(mut self, key: &str, value: &str, role_arn: impl Into<Arg<String>>) -> Self {
        self.selections.push(Input::Map(BTreeMap::from([
            ("role".to_string(), role_arn.into().into_input()),
            ("tag_key".to_string(), Input::from(key)),
            ("tag_value".to_string(), Input::from(value)),
            ("resources".to_string(), Input::List(Vec::new())),
        ])));
        self
    }
    /// Back up these resources (ARNs), as `role_arn`.
    pub fn select_resources<I: IntoIterator<Item = A>, A: Into<Arg<String>>>(mut self, arns: I, role_arn: impl Into<Arg<String>>) -> Self {
        self.selections.push(Input::Map(BTreeMap::from([
            ("role".to_string(), role_arn.into().into_input()),
            ("tag_key".to_string(), Input::Known(Value::Null)),
            ("tag_value".to_string(), Input::Known(Value::Null)),
            ("resources".to_string(), Input::List(arns.into_iter().map(|a| a.into().into_input()).collect())),
        ])));
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`Plan`].
    PlanHandle { plan_id: "id", arn: "arn" }
);

impl Resource for Plan {
    const KIND: &'static str = "aws:backup:Plan";
    type Handle = PlanHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let mut tags = self.tags;
        if !self.selections.is_empty() {
            tags.insert(SELECTIONS_TAG.into(), Input::from("true"));
        }
        BTreeMap::from([
            ("vault".to_string(), self.vault),
            ("rules".to_string(), Input::List(self.rules.into_iter().map(BackupRule::input).collect())),
            ("selections".to_string(), Input::List(self.selections)),
            ("tags".to_string(), Input::Map(tags)),
        ])
    }
}

pub(crate) struct PlanProvider {
    aws: Aws,
}

/// Whether an AWS Backup schedule parses: `cron(min hour dom month dow year)`
/// with `?` in exactly one of day-of-month and day-of-week, or `rate(...)`.
pub fn schedule_problem(s: &str) -> Option<String> {
    let bad = || Some(format!("{s:?} is not an AWS cron expression such as cron(0 3 * * ? *)"));
    let Some(body) = s.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) else { return bad() };
    let f: Vec<&str> = body.split_whitespace().collect();
    if f.len() != 6 {
        return bad();
    }
    let field_ok = |v: &str, lo: u32, hi: u32, names: &[&str]| {
        v == "*"
            || v.split(',').all(|part| {
                let (range, step) = part.split_once('/').unwrap_or((part, "1"));
                let num = |x: &str| x.parse::<u32>().ok().filter(|n| (lo..=hi).contains(n)).or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(x)).map(|i| i as u32 + lo));
                step.parse::<u32>().is_ok_and(|s| s > 0)
                    && (range == "*" || range.split_once('-').map_or(num(range).is_some(), |(a, b)| num(a).is_some() && num(b).is_some()))
            })
    };
    let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    let days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let dom_q = f[2] == "?";
    let dow_q = f[4] == "?";
    let ok = field_ok(f[0], 0, 59, &[])
        && field_ok(f[1], 0, 23, &[])
        && (dom_q || field_ok(f[2], 1, 31, &[]) || f[2] == "L")
        && field_ok(f[3], 1, 12, &months)
        && (dow_q || field_ok(f[4], 1, 7, &days))
        && field_ok(f[5], 1970, 2199, &[])
        && (dom_q != dow_q);
    if ok {
        None
    } else {
        bad()
    }
}

fn plan_input(name: &str, desired: &Props) -> Result<BackupPlanInput, ProviderError> {
    let vault = str_of(desired, "vault").unwrap_or_default();
    let mut b = BackupPlanInput::builder().backup_plan_name(name);
    for r in desired.get("rules").and_then(Value::as_list).unwrap_or_default() {
        let Some(m) = r.as_map() else { continue };
        let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        let i = |k: &str| m.get(k).and_then(Value::as_int);
        let mut rule = BackupRuleInput::builder()
            .rule_name(s("name").unwrap_or_default())
            .target_backup_vault_name(&vault)
            .set_schedule_expression(s("schedule"))
            .lifecycle(Lifecycle::builder().set_delete_after_days(i("delete_after_days")).set_move_to_cold_storage_after_days(i("cold_after_days")).build());
        if let Some(copy) = s("copy_to") {
            rule = rule.copy_actions(
                build(
                    CopyAction::builder()
                        .destination_backup_vault_arn(copy)
                        .lifecycle(Lifecycle::builder().set_delete_after_days(i("copy_delete_after_days")).build())
                        .build(),
                )?,
            );
        }
        b = b.rules(build(rule.build())?);
    }
    build(b.build())
}

fn selection_input(name: &str, sel: &Value) -> Result<BackupSelection, ProviderError> {
    let m = sel.as_map().cloned().unwrap_or_default();
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let resources: Vec<String> = m.get("resources").and_then(Value::as_list).unwrap_or_default().iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
    let role = s("role").ok_or_else(|| strata_aws::lacks("CreateBackupSelection", "IAM role ARN", name))?;
    let mut b = BackupSelection::builder().selection_name(name).iam_role_arn(role);
    if let (Some(k), Some(v)) = (s("tag_key"), s("tag_value")) {
        b = b.list_of_tags(build(Condition::builder().condition_type(ConditionType::Stringequals).condition_key(k).condition_value(v).build())?);
    }
    if !resources.is_empty() {
        b = b.set_resources(Some(resources));
    }
    build(b.build())
}

fn selection_value(s: &BackupSelection) -> Value {
    let tag = s.list_of_tags().first();
    let mut resources: Vec<Value> = s.resources().iter().map(Value::str).collect();
    resources.sort();
    Value::Map(BTreeMap::from([
        ("role".to_string(), Value::str(s.iam_role_arn())),
        ("tag_key".to_string(), tag.map(|t| Value::str(t.condition_key())).unwrap_or(Value::Null)),
        ("tag_value".to_string(), tag.map(|t| Value::str(t.condition_value())).unwrap_or(Value::Null)),
        ("resources".to_string(), Value::List(resources)),
    ]))
}

/// Create the plan's selections `plan-<index>`; returns their ids.
pub(crate) async fn create_selections(c: &aws_sdk_backup::Client, plan_id: &str, plan_name: &str, selections: &[Value]) -> Result<Vec<String>, ProviderError> {
    let mut ids = Vec::new();
    for (i, sel) in selections.iter().enumerate() {
        let name: String = format!("{plan_name}-{i}").chars().rev().take(50).collect::<Vec<_>>().into_iter().rev().collect();
        let out = c
            .create_backup_selection()
            .backup_plan_id(plan_id)
            .backup_selection(selection_input(&name, sel)?)
            .send()
            .await
            .map_err(err("CreateBackupSelection"))?;
        ids.push(out.selection_id().ok_or_else(|| strata_aws::lacks("CreateBackupSelection", "SelectionId", plan_name))?.to_string());
    }
    Ok(ids)
}

/// Delete every selection of a plan.
pub(crate) async fn delete_selections(c: &aws_sdk_backup::Client, plan_id: &str) -> Result<(), ProviderError> {
    let list = c.list_backup_selections().backup_plan_id(plan_id).send().await.map_err(err("ListBackupSelections"))?;
    for s in list.backup_selections_list() {
        if let Some(id) = s.selection_id() {
            let r = c.delete_backup_selection().backup_plan_id(plan_id).selection_id(id).send().await.map_err(err("DeleteBackupSelection"));
            strata_aws::gone_ok(r.map(|_| ()))?;
        }
    }
    Ok(())
}

impl PlanProvider {
    async fn observe(&self, region: &str, id: &str, tags: Tags) -> Result<Option<Observed>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let out = match c.get_backup_plan().backup_plan_id(id).send().await {
            Ok(o) => o,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("GetBackupPlan", e)),
        };
        // A deleted plan stays readable, with its deletion date.
        if out.deletion_date().is_some() {
            return Ok(None);
        }
        let Some(plan) = out.backup_plan() else { return Ok(None) };
        let vault = plan.rules().first().map(|r| r.target_backup_vault_name().to_string()).unwrap_or_default();
        let rules: Vec<Value> = plan
            .rules()
            .iter()
            .map(|r| {
                let lc = r.lifecycle();
                let copy = r.copy_actions().first();
                let int = |v: Option<i64>| v.map(Value::Int).unwrap_or(Value::Null);
                Value::Map(BTreeMap::from([
                    ("name".to_string(), Value::str(r.rule_name())),
                    ("schedule".to_string(), r.schedule_expression().map(Value::str).unwrap_or(Value::Null)),
                    ("delete_after_days".to_string(), int(lc.and_then(|l| l.delete_after_days()))),
                    ("cold_after_days".to_string(), int(lc.and_then(|l| l.move_to_cold_storage_after_days()))),
                    ("copy_to".to_string(), copy.map(|c| Value::str(c.destination_backup_vault_arn())).unwrap_or(Value::Null)),
                    ("copy_delete_after_days".to_string(), int(copy.and_then(|c| c.lifecycle()).and_then(|l| l.delete_after_days()))),
                ]))
            })
            .collect();
        let mut selections = Vec::new();
        if tags.get(SELECTIONS_TAG).map(String::as_str) == Some("true") {
            let list = c.list_backup_selections().backup_plan_id(id).send().await.map_err(err("ListBackupSelections"))?;
            let mut named: Vec<(String, String)> =
                list.backup_selections_list().iter().filter_map(|s| Some((s.selection_name()?.to_string(), s.selection_id()?.to_string()))).collect();
            named.sort();
            for (_, sid) in named {
                let s = c.get_backup_selection().backup_plan_id(id).selection_id(&sid).send().await.map_err(err("GetBackupSelection"))?;
                if let Some(sel) = s.backup_selection() {
                    selections.push(selection_value(sel));
                }
            }
        }
        let mut o = Observed::new(Plan::KIND, id, region);
        o.props = Props::from([
            ("vault".into(), Value::Str(vault)),
            ("rules".into(), Value::List(rules)),
            ("selections".into(), Value::List(selections)),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        o.outputs = Props::from([
            ("id".into(), Value::str(id)),
            ("arn".into(), out.backup_plan_arn().map(Value::str).unwrap_or(Value::Null)),
            ("name".into(), Value::str(plan.backup_plan_name())),
        ]);
        Ok(Some(o))
    }
}

#[async_trait]
impl Provider for PlanProvider {
    fn kind(&self) -> &'static str {
        Plan::KIND
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let Some(Input::List(rules)) = decl.inputs.get("rules") else { return };
        if rules.is_empty() {
            out.push(Diagnostic::field(&decl.name, "rules", "a backup plan needs at least one rule"));
        }
        for r in rules {
            let Input::Map(m) = r else { continue };
            let name = m.get("name").and_then(Input::known).and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            if let Some(s) = m.get("schedule").and_then(Input::known).and_then(|v| v.as_str().map(str::to_string)) {
                if let Some(p) = schedule_problem(&s) {
                    out.push(Diagnostic::field(&decl.name, "rules", format!("rule {name:?}: {p}")));
                }
            }
            let days = |k: &str| m.get(k).and_then(Input::known).and_then(|v| v.as_int());
            if let Some(d) = days("delete_after_days") {
                if d < 1 {
                    out.push(Diagnostic::field(&decl.name, "rules", format!("rule {name:?}: delete_after_days {d} must be at least 1")));
                }
                if let Some(cold) = days("cold_after_days") {
                    if d < cold + 90 {
                        out.push(Diagnostic::field(
                            &decl.name,
                            "rules",
                            format!("rule {name:?}: recovery points stay in cold storage at least 90 days; delete_after_days must be at least {}", cold + 90),
                        ));
                    }
                }
            }
        }
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(10)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let c = crate::client(&self.aws, &scope.region);
        let pages = c.list_backup_plans().into_paginator().items().send();
        let plans = strata_aws::error::all_pages(pages, "ListBackupPlans").await?;
        let mut out = Vec::new();
        for p in &plans {
            let (Some(id), Some(arn)) = (p.backup_plan_id(), p.backup_plan_arn()) else { continue };
            let t = tags_of(&c, arn).await?;
            if t.get(tags::STACK) == Some(&scope.stack) {
                out.extend(self.observe(&scope.region, id, t).await?);
            }
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let arn = match c.get_backup_plan().backup_plan_id(id).send().await {
            Ok(o) => o.backup_plan_arn().unwrap_or_default().to_string(),
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("GetBackupPlan", e)),
        };
        let t = tags_of(&c, &arn).await?;
        self.observe(region, id, t).await
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let name = name_of(&cx.stack, &cx.name);
        let out = c
            .create_backup_plan()
            .backup_plan(plan_input(&name, desired)?)
            .set_backup_plan_tags(Some(hash_tags(&strata_aws::desired_tags(desired))))
            .creator_request_id(&cx.idempotency_token)
            .send()
            .await
            .map_err(err("CreateBackupPlan"))?;
        let id = out.backup_plan_id().ok_or_else(|| strata_aws::lacks("CreateBackupPlan", "BackupPlanId", &cx.name))?.to_string();
        let selections = desired.get("selections").and_then(Value::as_list).unwrap_or_default().to_vec();
        create_selections(&c, &id, &name, &selections).await?;
        let mut o = Observed::new(Plan::KIND, &id, &cx.region);
        o.props = desired.clone();
        o.outputs = Props::from([
            ("id".into(), Value::str(&id)),
            ("arn".into(), out.backup_plan_arn().map(Value::str).unwrap_or(Value::Null)),
            ("name".into(), Value::str(&name)),
        ]);
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            let want = strata_aws::desired_tags(desired);
            let remove: Vec<String> = actual.tags().keys().filter(|k| !want.contains_key(*k)).cloned().collect();
            self.set_tags(cx, actual, &want, &remove).await?;
        }
        let name = actual.outputs.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
        if diff.changed("rules").is_some() || diff.changed("vault").is_some() {
            c.update_backup_plan()
                .backup_plan_id(&actual.id)
                .backup_plan(plan_input(&name, desired)?)
                .send()
                .await
                .map_err(err("UpdateBackupPlan"))?;
        }
        if diff.changed("selections").is_some() {
            if actual.props.get("selections").and_then(Value::as_list).is_some_and(|l| !l.is_empty()) {
                delete_selections(&c, &actual.id).await?;
            }
            let selections = desired.get("selections").and_then(Value::as_list).unwrap_or_default().to_vec();
            create_selections(&c, &actual.id, &name, &selections).await?;
        }
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if actual.props.get("selections").and_then(Value::as_list).is_some_and(|l| !l.is_empty()) {
            delete_selections(&c, &actual.id).await?;
        }
        let r = c.delete_backup_plan().backup_plan_id(&actual.id).send().await.map_err(err("DeleteBackupPlan"));
        strata_aws::gone_ok(r.map(|_| ()))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let arn = actual.outputs.get("arn").and_then(Value::as_str).unwrap_or_default().to_string();
        set_tags(&crate::client(&self.aws, &cx.region), &arn, add, remove).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_backup::operation::create_backup_selection::CreateBackupSelectionOutput;
    use aws_sdk_backup::operation::delete_backup_selection::DeleteBackupSelectionOutput;
    use aws_sdk_backup::operation::list_backup_selections::ListBackupSelectionsOutput;
    use aws_sdk_backup::types::BackupSelectionsListMember;
    use aws_sdk_backup::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    /// moto does not implement `CreateBackupSelection` (HTTP 500): selections
    /// are tested against the SDK's real request shapes.
    #[tokio::test]
    async fn backup_selections_with_smithy_mocks_because_moto_lacks_create_backup_selection() {
        let role = "arn:aws:iam::123456789012:role/backup";
        let by_tag = mock!(Client::create_backup_selection)
            .match_requests(move |r| {
                let s = r.backup_selection();
                r.backup_plan_id() == Some("plan-1")
                    && s.is_some_and(|s| {
                        s.selection_name() == "miamo-prd-plan-0"
                            && s.iam_role_arn() == role
                            && s.list_of_tags().first().is_some_and(|t| t.condition_key() == "backup" && t.condition_value() == "true")
                    })
            })
            .then_output(|| CreateBackupSelectionOutput::builder().selection_id("sel-0").build());
        let by_arn = mock!(Client::create_backup_selection)
            .match_requests(|r| r.backup_selection().is_some_and(|s| s.selection_name() == "miamo-prd-plan-1" && s.resources() == ["arn:aws:rds:eu-central-1:1:db:shop"]))
            .then_output(|| CreateBackupSelectionOutput::builder().selection_id("sel-1").build());
        let list = mock!(Client::list_backup_selections).match_requests(|r| r.backup_plan_id() == Some("plan-1")).then_output(|| {
            ListBackupSelectionsOutput::builder()
                .backup_selections_list(BackupSelectionsListMember::builder().selection_id("sel-0").selection_name("miamo-prd-plan-0").build())
                .backup_selections_list(BackupSelectionsListMember::builder().selection_id("sel-1").selection_name("miamo-prd-plan-1").build())
                .build()
        });
        let delete = mock!(Client::delete_backup_selection)
            .match_requests(|r| r.backup_plan_id() == Some("plan-1") && r.selection_id().is_some_and(|s| s.starts_with("sel-")))
            .then_output(|| DeleteBackupSelectionOutput::builder().build());
        let c = mock_client!(aws_sdk_backup, RuleMode::MatchAny, [&by_tag, &by_arn, &list, &delete]);
        let plan = Plan::new("vault")
            .select_by_tag("backup", "true", role)
            .select_resources(["arn:aws:rds:eu-central-1:1:db:shop"], role)
            .into_inputs();
        let Some(Input::List(sels)) = plan.get("selections") else { panic!("selections") };
        let values: Vec<Value> = sels.iter().map(|i| i.known().unwrap()).collect();
        let ids = create_selections(&c, "plan-1", "miamo-prd-plan", &values).await.unwrap();
        assert_eq!(ids, ["sel-0", "sel-1"]);
        delete_selections(&c, "plan-1").await.unwrap();
        assert_eq!((by_tag.num_calls(), by_arn.num_calls(), list.num_calls(), delete.num_calls()), (1, 1, 1, 2));
    }

    #[test]
    fn schedules() {
        assert_eq!(schedule_problem("cron(0 3 * * ? *)"), None);
        assert_eq!(schedule_problem("cron(0 3 ? * MON *)"), None);
        assert_eq!(schedule_problem("cron(0 3 1 * ? *)"), None);
        assert_eq!(schedule_problem("cron(0/15 1-5 ? JAN-MAR MON,FRI *)"), None);
        assert!(schedule_problem("cron(0 3 * * * *)").is_some(), "? in neither day field");
        assert!(schedule_problem("cron(0 25 * * ? *)").is_some());
        assert!(schedule_problem("daily at 3").is_some());
        assert!(schedule_problem("cron(0 3 * * ?)").is_some());
    }
}
