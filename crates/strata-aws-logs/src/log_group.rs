//! `aws:logs:LogGroup`: a CloudWatch Logs log group, with its retention,
//! its KMS key and its class.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::{LogGroup as Item, LogGroupClass};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Diagnostic, ResourceDecl, Stack};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, LogsTags};

strata_aws::kind_fields! {
    /// A log group.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_logs::LogGroup;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let group = stack.add("app-logs", LogGroup::named("/demo/app").retention_days(30));
    /// let _ = group.arn();
    /// ```
    pub struct LogGroup: "aws:logs:LogGroup";
    values LogGroupValues;
    handle LogGroupHandle / LogGroupOutputs { arn, group_name };
    fields {
        /// The group's name (default: `/strata/<stack>/<logical name>`).
        name: str [replace];
        /// Days to keep events: one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150,
        /// 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
        /// (default: kept forever).
        retention_days: int [update];
        /// The ARN of the KMS key that encrypts the events (default: AWS's own keys).
        kms_key_id: str [update];
        /// `STANDARD` (the default) or `INFREQUENT_ACCESS`.
        class: str [replace];
    }
}

impl LogGroup {
    /// A log group with a name derived from the stack and the logical name.
    pub fn new() -> Self {
        Self::empty()
    }

    /// A log group with this name.
    pub fn named(name: impl Into<strata_core::Arg<String>>) -> Self {
        Self::empty().name(name)
    }
}

impl Default for LogGroup {
    fn default() -> Self {
        Self::new()
    }
}

/// The retention periods CloudWatch Logs accepts, in days.
const RETENTION_DAYS: [i64; 22] =
    [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/// The kind behind [`LogGroup`].
pub(crate) struct LogGroups;

type V = LogGroupValues;

fn derived_name(cx: &OpContext) -> String {
    format!("/strata/{}/{}", cx.stack, cx.name)
}

/// Every log group whose name starts with `prefix`.
async fn describe(aws: &Aws, region: &str, prefix: Option<&str>) -> Result<Vec<Item>, ProviderError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client(aws, region)
            .describe_log_groups()
            .set_log_group_name_prefix(prefix.map(str::to_string))
            .set_next_token(token)
            .send()
            .await
            .map_err(err("DescribeLogGroups"))?;
        out.extend(page.log_groups().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

#[async_trait]
impl Kind for LogGroups {
    type Builder = LogGroup;
    type Item = Item;
    type Tags = LogsTags;

    const IDENTITY: Option<&'static str> = Some(V::name);
    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(item: &Item) -> Option<&str> {
        item.log_group_name()
    }

    fn tag_target(item: &Item) -> Option<String> {
        // `arn` ends in `:*`; the tag calls take the ARN without it.
        item.log_group_arn().or_else(|| item.arn().map(|a| a.trim_end_matches(":*"))).map(str::to_string)
    }

    fn observe(item: &Item) -> Seen<LogGroup> {
        Seen {
            values: V {
                name: item.log_group_name().map(str::to_string),
                retention_days: item.retention_in_days().map(i64::from),
                kms_key_id: item.kms_key_id().map(str::to_string),
                // A group without a class predates classes: it is STANDARD.
                class: Some(item.log_group_class().map_or("STANDARD", LogGroupClass::as_str).to_string()),
                ..V::default()
            },
            outputs: LogGroupOutputs { group_name: item.log_group_name().map(str::to_string), ..LogGroupOutputs::default() },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // DescribeLogGroups has no tag filter: every group is listed, and the
        // kernel reads the tags of each (bounded) to keep the stack's.
        describe(aws, &scope.region, None).await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        Ok(describe(aws, region, Some(id)).await?.into_iter().find(|g| g.log_group_name() == Some(id)))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, LogGroup>) -> Result<Created<Item>, ProviderError> {
        let v = &want.values;
        let name = v.name.clone().unwrap_or_else(|| derived_name(want.cx));
        client(aws, &want.cx.region)
            .create_log_group()
            .log_group_name(&name)
            .set_kms_key_id(v.kms_key_id.clone())
            .set_log_group_class(v.class.as_deref().map(LogGroupClass::from))
            .set_tags(Some(v.tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(err("CreateLogGroup"))?;
        if let Some(days) = v.retention_days {
            put_retention(aws, &want.cx.region, &name, days).await?;
        }
        Ok(Created::Id(name))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, LogGroup>, diff: &Diff) -> Result<(), ProviderError> {
        let c = client(aws, &want.cx.region);
        let name = actual.id.as_str();
        if diff.changed(V::retention_days).is_some() {
            match want.values.retention_days {
                Some(days) => put_retention(aws, &want.cx.region, name, days).await?,
                None => {
                    c.delete_retention_policy().log_group_name(name).send().await.map_err(err("DeleteRetentionPolicy"))?;
                }
            }
        }
        if diff.changed(V::kms_key_id).is_some() {
            match &want.values.kms_key_id {
                Some(key) => {
                    c.associate_kms_key().log_group_name(name).kms_key_id(key).send().await.map_err(err("AssociateKmsKey"))?;
                }
                None => {
                    c.disassociate_kms_key().log_group_name(name).send().await.map_err(err("DisassociateKmsKey"))?;
                }
            }
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        client(aws, &cx.region)
            .delete_log_group()
            .log_group_name(&actual.id)
            .send()
            .await
            .map(|_| ())
            .map_err(err("DeleteLogGroup"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(name) = decl.known(V::name).and_then(|v| v.as_str().map(str::to_string)) {
            let ok_chars = name.chars().all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c));
            if name.is_empty() || name.len() > 512 || !ok_chars {
                out.push(Diagnostic::field(&decl.name, V::name, format!("{name:?} is not a log group name (1 to 512 of A-Z a-z 0-9 . _ - / #)")));
            } else if name.starts_with("aws/") {
                out.push(Diagnostic::field(&decl.name, V::name, format!("{name:?} starts with aws/, which AWS reserves for its services")));
            }
        }
        if let Some(days) = decl.known(V::retention_days).and_then(|v| v.as_int()) {
            if !RETENTION_DAYS.contains(&days) {
                out.push(Diagnostic::field(&decl.name, V::retention_days, format!("{days} is not a retention CloudWatch Logs accepts ({RETENTION_DAYS:?})")));
            }
        }
        if let Some(key) = decl.known(V::kms_key_id).and_then(|v| v.as_str().map(str::to_string)) {
            if !key.starts_with("arn:") {
                out.push(Diagnostic::field(&decl.name, V::kms_key_id, format!("{key:?} is not a KMS key ARN (log groups take the key's full ARN)")));
            }
        }
        if let Some(class) = decl.known(V::class).and_then(|v| v.as_str().map(str::to_string)) {
            if !["STANDARD", "INFREQUENT_ACCESS"].contains(&class.as_str()) {
                out.push(Diagnostic::field(&decl.name, V::class, format!("{class:?} is not a log group class (STANDARD or INFREQUENT_ACCESS)")));
            }
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(1)
    }
}

async fn put_retention(aws: &Aws, region: &str, name: &str, days: i64) -> Result<(), ProviderError> {
    let days = i32::try_from(days).map_err(|_| {
        ProviderError::new(strata_engine::ErrorClass::Invalid, "PutRetentionPolicy", format!("{days} days is out of range"))
    })?;
    client(aws, region)
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .map(|_| ())
        .map_err(err("PutRetentionPolicy"))
}
