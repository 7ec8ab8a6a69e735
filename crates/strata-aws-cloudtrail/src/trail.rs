//! `aws:cloudtrail:Trail`: a trail delivering to an S3 bucket (and, if set,
//! to a CloudWatch Logs group), multi-region with log file validation by
//! default, logging from the moment it exists.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudtrail::types::Trail as Sdk;
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::naming::{derived_id, IdRules};
use strata_aws::Aws;
use strata_core::{Diagnostic, Input, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, sdk_tags, tags_of, TrailTags};

strata_aws::kind_fields! {
    /// A CloudTrail trail. Its bucket needs the policy CloudTrail requires
    /// (see [`Trail::bucket_policy`]), in place before the trail is created.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_cloudtrail::Trail;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let trail = stack.add("audit", Trail::new("demo-audit-logs").s3_key_prefix("trail"));
    /// let _ = trail.arn();
    /// ```
    pub struct Trail: "aws:cloudtrail:Trail";
    values TrailValues;
    handle TrailHandle / TrailOutputs { arn, trail_name, home_region };
    fields {
        /// The trail's name (default: derived from the stack and the logical name).
        name: str [replace];
        /// The bucket the log files go to.
        s3_bucket_name: str [update required];
        /// The prefix of the log files' keys (default: none).
        s3_key_prefix: str [update cleared];
        /// Record the events of every region (default: on).
        multi_region: bool [update] = true;
        /// Record the events of global services such as IAM (default: on).
        include_global_service_events: bool [update] = true;
        /// Write digest files that prove the logs unchanged (default: on).
        log_file_validation: bool [update] = true;
        /// The ARN of the KMS key that encrypts the log files (default: SSE-S3).
        kms_key_id: str [update cleared];
        /// The ARN of the CloudWatch Logs group the events also go to.
        cloud_watch_logs_group_arn: str [update cleared];
        /// The ARN of the role CloudTrail assumes to write to that group.
        cloud_watch_logs_role_arn: str [update cleared];
        /// Whether the trail records (default: on).
        logging: bool [update] = true;
    }
}

impl Trail {
    /// A trail delivering to `bucket` (its name or a bucket's output).
    pub fn new(bucket: impl Into<strata_core::Arg<String>>) -> Self {
        Self::empty().s3_bucket_name(bucket)
    }

    /// Also deliver to a CloudWatch Logs group (its ARN), written by `role_arn`.
    pub fn cloud_watch_logs(self, group_arn: impl Into<strata_core::Arg<String>>, role_arn: impl Into<strata_core::Arg<String>>) -> Self {
        self.cloud_watch_logs_group_arn(group_arn).cloud_watch_logs_role_arn(role_arn)
    }

    /// The statements CloudTrail requires on its bucket (`bucket_arn`, with
    /// the log files under `prefix`, of `account`), as a bucket policy for
    /// [`strata_aws::policy`]: it may read the ACL and write the log files,
    /// owned by the bucket owner.
    pub fn bucket_policy(bucket_arn: &strata_core::Output<String>, prefix: Option<&str>, account: &str) -> strata_aws::policy::PolicyDocument {
        use strata_aws::policy::{PolicyDocument, Statement};
        let path = match prefix {
            Some(p) => format!("/{p}/AWSLogs/{account}/*"),
            None => format!("/AWSLogs/{account}/*"),
        };
        let objects = strata_core::format_output(&format!("{{}}{path}"), std::slice::from_ref(bucket_arn));
        PolicyDocument::new()
            .statement(
                Statement::allow()
                    .sid("AWSCloudTrailAclCheck")
                    .principal("Service", "cloudtrail.amazonaws.com")
                    .action("s3:GetBucketAcl")
                    .resource(bucket_arn.clone()),
            )
            .statement(
                Statement::allow()
                    .sid("AWSCloudTrailWrite")
                    .principal("Service", "cloudtrail.amazonaws.com")
                    .action("s3:PutObject")
                    .resource(objects)
                    .condition("StringEquals", "s3:x-amz-acl", ["bucket-owner-full-control"]),
            )
    }
}

type V = TrailValues;

/// The kind behind [`Trail`].
pub(crate) struct Trails;

/// A trail as read: its description, its tags when listed, and whether it logs.
pub(crate) struct Item {
    trail: Sdk,
    tags: Option<Tags>,
    logging: Option<bool>,
}

/// Trail names: 3 to 128 of letters, digits, `.`, `_` and `-`.
const TRAIL_NAME: IdRules = IdRules { max_len: 128, min_len: 3, lowercase: false };

/// CloudTrail takes a log group's ARN with its `:*`; strata's outputs leave it out.
fn with_star(arn: &str) -> String {
    if arn.ends_with(":*") {
        arn.to_string()
    } else {
        format!("{arn}:*")
    }
}

fn some(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

/// The trails homed in `region`, with their tags (one `ListTags` per 20).
async fn describe(aws: &Aws, region: &str, name: Option<&str>) -> Result<Vec<Item>, ProviderError> {
    let out = client(aws, region)
        .describe_trails()
        .set_trail_name_list(name.map(|n| vec![n.to_string()]))
        .include_shadow_trails(false)
        .send()
        .await
        .map_err(err("DescribeTrails"))?;
    let trails: Vec<Sdk> = out
        .trail_list()
        .iter()
        .filter(|t| t.home_region().is_none_or(|r| r == region) && name.is_none_or(|n| t.name() == Some(n)))
        .cloned()
        .collect();
    let arns: Vec<String> = trails.iter().filter_map(|t| t.trail_arn().map(str::to_string)).collect();
    let mut tags = Vec::new();
    for chunk in arns.chunks(20) {
        tags.extend(tags_of(aws, region, chunk).await?);
    }
    Ok(trails
        .into_iter()
        .map(|trail| {
            let t = tags.iter().find(|(arn, _)| Some(arn.as_str()) == trail.trail_arn()).map(|(_, t)| t.clone());
            Item { trail, tags: Some(t.unwrap_or_default()), logging: None }
        })
        .collect())
}

#[async_trait]
impl Kind for Trails {
    type Builder = Trail;
    type Item = Item;
    type Tags = TrailTags;

    const IDENTITY: Option<&'static str> = Some(V::name);
    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(item: &Item) -> Option<&str> {
        item.trail.name()
    }

    fn tag_target(item: &Item) -> Option<String> {
        item.trail.trail_arn().map(str::to_string)
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        item.tags.clone()
    }

    fn observe(item: &Item) -> Seen<Trail> {
        let t = &item.trail;
        Seen {
            values: V {
                name: t.name().map(str::to_string),
                s3_bucket_name: t.s3_bucket_name().map(str::to_string),
                s3_key_prefix: some(t.s3_key_prefix()),
                multi_region: t.is_multi_region_trail(),
                include_global_service_events: t.include_global_service_events(),
                log_file_validation: t.log_file_validation_enabled(),
                kms_key_id: some(t.kms_key_id()),
                cloud_watch_logs_group_arn: some(t.cloud_watch_logs_log_group_arn()).map(|a| a.trim_end_matches(":*").to_string()),
                cloud_watch_logs_role_arn: some(t.cloud_watch_logs_role_arn()),
                logging: item.logging,
                ..V::default()
            },
            outputs: TrailOutputs {
                arn: t.trail_arn().map(str::to_string),
                trail_name: t.name().map(str::to_string),
                home_region: t.home_region().map(str::to_string),
            },
            refs: Vec::new(),
        }
    }

    async fn complete(&self, aws: &Aws, region: &str, mut item: Item) -> Result<Item, ProviderError> {
        if let Some(name) = item.trail.name() {
            let status = client(aws, region).get_trail_status().name(name).send().await.map_err(err("GetTrailStatus"))?;
            item.logging = status.is_logging();
        }
        Ok(item)
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        describe(aws, &scope.region, None).await
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        Ok(describe(aws, region, Some(id)).await?.into_iter().next())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Trail>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| derived_id(TRAIL_NAME, &cx.stack, &cx.name, ""));
        let c = client(aws, &cx.region);
        c.create_trail()
            .name(&name)
            .set_s3_bucket_name(v.s3_bucket_name.clone())
            .set_s3_key_prefix(v.s3_key_prefix.clone())
            .is_multi_region_trail(v.multi_region != Some(false))
            .include_global_service_events(v.include_global_service_events != Some(false))
            .enable_log_file_validation(v.log_file_validation != Some(false))
            .set_kms_key_id(v.kms_key_id.clone())
            .set_cloud_watch_logs_log_group_arn(v.cloud_watch_logs_group_arn.as_deref().map(with_star))
            .set_cloud_watch_logs_role_arn(v.cloud_watch_logs_role_arn.clone())
            .set_tags_list(Some(sdk_tags(&v.tags)?))
            .send()
            .await
            .map_err(err("CreateTrail"))?;
        // A new trail does not log until it is started.
        if v.logging != Some(false) {
            c.start_logging().name(&name).send().await.map_err(err("StartLogging"))?;
        }
        Ok(Created::Id(name))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Trail>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, name) = (&want.values, actual.id.as_str());
        let c = client(aws, &want.cx.region);
        if diff.changes.iter().any(|ch| ch.field != V::logging) {
            // Cleared fields are sent empty, which removes them.
            let cleared = |x: &Option<String>| Some(x.clone().unwrap_or_default());
            c.update_trail()
                .name(name)
                .set_s3_bucket_name(v.s3_bucket_name.clone())
                .set_s3_key_prefix(cleared(&v.s3_key_prefix))
                .is_multi_region_trail(v.multi_region != Some(false))
                .include_global_service_events(v.include_global_service_events != Some(false))
                .enable_log_file_validation(v.log_file_validation != Some(false))
                .set_kms_key_id(cleared(&v.kms_key_id))
                .set_cloud_watch_logs_log_group_arn(Some(v.cloud_watch_logs_group_arn.as_deref().map(with_star).unwrap_or_default()))
                .set_cloud_watch_logs_role_arn(cleared(&v.cloud_watch_logs_role_arn))
                .send()
                .await
                .map_err(err("UpdateTrail"))?;
        }
        if diff.changed(V::logging).is_some() {
            if v.logging == Some(false) {
                c.stop_logging().name(name).send().await.map_err(err("StopLogging"))?;
            } else {
                c.start_logging().name(name).send().await.map_err(err("StartLogging"))?;
            }
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        client(aws, &cx.region).delete_trail().name(&actual.id).send().await.map(|_| ()).map_err(err("DeleteTrail"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let text = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        let has = |f: &str| decl.inputs.get(f).is_some_and(|i| !matches!(i, Input::Known(Value::Null)));
        if let Some(name) = text(V::name) {
            let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
            let chars = name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            let doubled = ["._", "_.", ".-", "-.", "_-", "-_", ".."].iter().any(|p| name.contains(p));
            if !(3..=128).contains(&name.len()) || !chars || doubled || !edge(name.chars().next()) || !edge(name.chars().last()) {
                out.push(Diagnostic::field(&decl.name, V::name, format!("{name:?} is not a trail name (3 to 128 of A-Z a-z 0-9 . _ -, starting and ending with a letter or digit)")));
            }
        }
        let flag = |f: &str| decl.known(f).and_then(|v| v.as_bool());
        if flag(V::multi_region) != Some(false) && flag(V::include_global_service_events) == Some(false) {
            out.push(Diagnostic::field(&decl.name, V::include_global_service_events, "a multi-region trail must include global service events (or set multi_region(false))"));
        }
        if has(V::cloud_watch_logs_group_arn) != has(V::cloud_watch_logs_role_arn) {
            out.push(Diagnostic::field(&decl.name, V::cloud_watch_logs_role_arn, "CloudWatch Logs delivery needs both the group's ARN and the role's (use cloud_watch_logs)"));
        }
        if let Some(arn) = text(V::cloud_watch_logs_group_arn) {
            if !arn.starts_with("arn:") || !arn.contains(":log-group:") {
                out.push(Diagnostic::field(&decl.name, V::cloud_watch_logs_group_arn, format!("{arn:?} is not a log group ARN")));
            }
        }
        if let Some(arn) = text(V::cloud_watch_logs_role_arn) {
            if !arn.starts_with("arn:") || !arn.contains(":role/") {
                out.push(Diagnostic::field(&decl.name, V::cloud_watch_logs_role_arn, format!("{arn:?} is not an IAM role ARN")));
            }
        }
        if let Some(key) = text(V::kms_key_id) {
            if !key.starts_with("arn:") || !key.contains(":kms:") {
                out.push(Diagnostic::field(&decl.name, V::kms_key_id, format!("{key:?} is not a KMS key ARN (CloudTrail answers the key's full ARN)")));
            }
        }
        if let Some(p) = text(V::s3_key_prefix) {
            if p.starts_with('/') || p.ends_with('/') || p.len() > 200 {
                out.push(Diagnostic::field(&decl.name, V::s3_key_prefix, format!("{p:?} is not a key prefix (no leading or trailing `/`, 200 at most)")));
            }
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(2)
    }
}
