//! `aws:ecr:Repository`: a private image repository with its scanning, tag
//! mutability, encryption, lifecycle rules and repository policy.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecr::types::{EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability, Repository as Repo};
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::naming::{derived_id, IdRules};
use strata_aws::policy::{self, PolicyDocument, Statement};
use strata_aws::Aws;
use strata_core::{tags, Diagnostic, Input, ResourceDecl, Stack, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, sdk_tags, EcrTags};

strata_aws::kind_fields! {
    /// An ECR repository.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ecr::{LifecycleRule, Repository};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let repo = stack.add(
    ///     "web-images",
    ///     Repository::new()
    ///         .image_tag_mutability("IMMUTABLE")
    ///         .lifecycle_rule(LifecycleRule::expire_untagged_after_days(14))
    ///         .lifecycle_rule(LifecycleRule::keep_last(30))
    ///         .policy(Repository::pulls_from(["111122223333"])),
    /// );
    /// let _ = (repo.arn(), repo.url());
    /// ```
    pub struct Repository: "aws:ecr:Repository";
    values RepositoryValues;
    handle RepositoryHandle / RepositoryOutputs { arn, url, repository_name, registry_id };
    fields {
        /// The repository's name (default: derived from the stack and the logical name).
        name: str [replace];
        /// `MUTABLE` (the default) or `IMMUTABLE` (a pushed tag cannot be moved).
        image_tag_mutability: str [update] = "MUTABLE";
        /// Scan every pushed image for vulnerabilities (default: on).
        scan_on_push: bool [update] = true;
        /// `AES256` (the default, S3-managed keys) or `KMS`.
        encryption_type: str [replace] = "AES256";
        /// With `KMS`: the key (default: AWS's `aws/ecr` key).
        kms_key: str [replace];
        /// The lifecycle rules, in priority order (see [`LifecycleRule`]).
        lifecycle_rules: list [update];
        /// The repository policy (who else may pull or push).
        policy: policy [update cleared];
        /// Delete the repository with its images on destroy (default: a
        /// repository that holds images is not deleted).
        force_destroy: bool [update] = false;
    }
}

/// One lifecycle rule: which images it selects and when they expire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleRule {
    tag_status: &'static str,
    tag_prefixes: Vec<String>,
    count_type: &'static str,
    count: i64,
}

impl LifecycleRule {
    /// Keep the `n` most recent images (tagged or not); expire the rest.
    /// A rule over every image must be the last rule.
    pub fn keep_last(n: i64) -> Self {
        LifecycleRule { tag_status: "any", tag_prefixes: Vec::new(), count_type: "imageCountMoreThan", count: n }
    }

    /// Keep the `n` most recent images with a tag starting with one of `prefixes`.
    pub fn keep_last_tagged<P: Into<String>>(prefixes: impl IntoIterator<Item = P>, n: i64) -> Self {
        LifecycleRule { tag_status: "tagged", tag_prefixes: prefixes.into_iter().map(Into::into).collect(), count_type: "imageCountMoreThan", count: n }
    }

    /// Expire untagged images `days` days after they were pushed.
    pub fn expire_untagged_after_days(days: i64) -> Self {
        LifecycleRule { tag_status: "untagged", tag_prefixes: Vec::new(), count_type: "sinceImagePushed", count: days }
    }

    fn into_value(self) -> Value {
        Value::Map(BTreeMap::from([
            ("tag_status".to_string(), Value::str(self.tag_status)),
            ("tag_prefixes".to_string(), Value::List(self.tag_prefixes.into_iter().map(Value::Str).collect())),
            ("count_type".to_string(), Value::str(self.count_type)),
            ("count".to_string(), Value::Int(self.count)),
        ]))
    }
}

impl Repository {
    /// A repository with a derived name: tags mutable, scanned on push, AES256.
    pub fn new() -> Self {
        Self::empty()
    }

    /// A repository with this name.
    pub fn named(name: impl Into<strata_core::Arg<String>>) -> Self {
        Self::empty().name(name)
    }

    /// Encrypt with a KMS key (its ARN or an output).
    pub fn kms(self, key: impl Into<strata_core::Arg<String>>) -> Self {
        self.encryption_type("KMS").kms_key(key)
    }

    /// Add a lifecycle rule (after the others: the first has the highest priority).
    pub fn lifecycle_rule(self, rule: LifecycleRule) -> Self {
        self.push(V::lifecycle_rules, Input::Known(rule.into_value()))
    }

    /// A repository policy that lets these accounts (their ids or ARNs) pull.
    pub fn pulls_from<A: Into<strata_core::Arg<String>>>(accounts: impl IntoIterator<Item = A>) -> PolicyDocument {
        let mut s = Statement::allow()
            .sid("CrossAccountPull")
            .actions(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]);
        for a in accounts {
            s = s.principal("AWS", a);
        }
        PolicyDocument::new().statement(s)
    }
}

impl Default for Repository {
    fn default() -> Self {
        Self::new()
    }
}

type V = RepositoryValues;

/// The kind behind [`Repository`].
pub(crate) struct Repositories;

/// A repository as read, with its lifecycle policy and its repository
/// policy once completed.
pub(crate) struct Item {
    repo: Repo,
    lifecycle: Option<String>,
    policy: Option<String>,
}

/// Repository names: lowercase, 2 to 256.
const REPOSITORY_NAME: IdRules = IdRules { max_len: 256, min_len: 2, lowercase: true };

fn invalid(op: &str, msg: String) -> ProviderError {
    ProviderError::new(ErrorClass::Invalid, op, msg)
}

/// The lifecycle policy text of the rules, in order ("" for none).
fn lifecycle_text(rules: &[Value]) -> String {
    if rules.is_empty() {
        return String::new();
    }
    let rules: Vec<serde_json::Value> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let get = |k: &str| r.as_map().and_then(|m| m.get(k));
            let status = get("tag_status").and_then(Value::as_str).unwrap_or("any");
            let count_type = get("count_type").and_then(Value::as_str).unwrap_or("imageCountMoreThan");
            let count = get("count").and_then(Value::as_int).unwrap_or(1);
            let prefixes: Vec<&str> = get("tag_prefixes").and_then(Value::as_list).unwrap_or_default().iter().filter_map(Value::as_str).collect();
            let mut selection = serde_json::json!({ "tagStatus": status, "countType": count_type, "countNumber": count });
            if count_type == "sinceImagePushed" {
                selection["countUnit"] = "days".into();
            }
            if !prefixes.is_empty() {
                selection["tagPrefixList"] = prefixes.into();
            }
            let description = match (status, count_type) {
                (_, "sinceImagePushed") => format!("expire {status} images after {count} days"),
                ("any", _) => format!("keep the last {count} images"),
                _ => format!("keep the last {count} {status} images"),
            };
            serde_json::json!({ "rulePriority": i + 1, "description": description, "selection": selection, "action": { "type": "expire" } })
        })
        .collect();
    serde_json::json!({ "rules": rules }).to_string()
}

/// The rules of a lifecycle policy as AWS answered it, in priority order.
fn parse_lifecycle(text: Option<&str>) -> Vec<Value> {
    let Some(j) = text.and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok()) else { return Vec::new() };
    let mut rules: Vec<&serde_json::Value> = j.get("rules").and_then(|r| r.as_array()).map(|a| a.iter().collect()).unwrap_or_default();
    rules.sort_by_key(|r| r.get("rulePriority").and_then(serde_json::Value::as_i64).unwrap_or(i64::MAX));
    rules
        .into_iter()
        .map(|r| {
            let sel = r.get("selection").cloned().unwrap_or_default();
            let s = |k: &str| sel.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            let prefixes = sel.get("tagPrefixList").and_then(|v| v.as_array()).map(|a| a.iter().filter_map(|p| p.as_str()).map(Value::str).collect()).unwrap_or_default();
            let mut m = BTreeMap::from([
                ("tag_status".to_string(), Value::Str(s("tagStatus"))),
                ("tag_prefixes".to_string(), Value::List(prefixes)),
                ("count_type".to_string(), Value::Str(s("countType"))),
                ("count".to_string(), sel.get("countNumber").and_then(serde_json::Value::as_i64).map_or(Value::Null, Value::Int)),
            ]);
            // A rule strata cannot write (another action, tag patterns) shows as a change.
            if r.get("action").and_then(|a| a.get("type")).and_then(|t| t.as_str()) != Some("expire") || sel.get("tagPatternList").is_some() {
                m.insert("unsupported".into(), Value::str(r.to_string()));
            }
            Value::Map(m)
        })
        .collect()
}

/// The text of a sub-resource read (`None` when the service says there is
/// none: that `NotFound` is about the policy, not the repository).
fn absent_is_none<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.code.as_deref().is_some_and(|c| c.ends_with("PolicyNotFoundException")) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn describe(aws: &Aws, region: &str, names: Option<Vec<String>>) -> Result<Vec<Repo>, ProviderError> {
    let listing = names.is_none();
    let mut call = client(aws, region).describe_repositories().set_repository_names(names);
    if listing {
        call = call.max_results(1000);
    }
    let pages = all_pages(call.into_paginator().send(), "DescribeRepositories").await?;
    Ok(pages.iter().flat_map(|p| p.repositories()).cloned().collect())
}

async fn put_lifecycle(aws: &Aws, region: &str, name: &str, rules: &[Value]) -> Result<(), ProviderError> {
    let c = client(aws, region);
    let text = lifecycle_text(rules);
    if text.is_empty() {
        let r = c.delete_lifecycle_policy().repository_name(name).send().await.map(|_| ()).map_err(err("DeleteLifecyclePolicy"));
        return absent_is_none(r).map(|_| ());
    }
    c.put_lifecycle_policy().repository_name(name).lifecycle_policy_text(text).send().await.map(|_| ()).map_err(err("PutLifecyclePolicy"))
}

async fn put_policy(aws: &Aws, region: &str, name: &str, doc: Option<&Value>) -> Result<(), ProviderError> {
    let c = client(aws, region);
    match doc {
        Some(d) => {
            let text = policy::render(d).map_err(|e| invalid("SetRepositoryPolicy", format!("`policy`: {e}")))?;
            c.set_repository_policy().repository_name(name).policy_text(text).send().await.map(|_| ()).map_err(err("SetRepositoryPolicy"))
        }
        None => {
            let r = c.delete_repository_policy().repository_name(name).send().await.map(|_| ()).map_err(err("DeleteRepositoryPolicy"));
            absent_is_none(r).map(|_| ())
        }
    }
}

#[async_trait]
impl Kind for Repositories {
    type Builder = Repository;
    type Item = Item;
    type Tags = EcrTags;

    const IDENTITY: Option<&'static str> = Some(V::name);
    const DERIVED: &'static [&'static str] = &[V::name];
    const TRUST_POLICIES: &'static [&'static str] = &[V::policy];
    const TAG_FIELDS: &'static [(&'static str, &'static str)] = &[(tags::FORCE_DESTROY, V::force_destroy)];

    fn id(item: &Item) -> Option<&str> {
        item.repo.repository_name()
    }

    fn tag_target(item: &Item) -> Option<String> {
        item.repo.repository_arn().map(str::to_string)
    }

    fn observe(item: &Item) -> Seen<Repository> {
        let r = &item.repo;
        let enc = r.encryption_configuration();
        Seen {
            values: V {
                name: r.repository_name().map(str::to_string),
                image_tag_mutability: r.image_tag_mutability().map(|m| m.as_str().to_string()),
                scan_on_push: r.image_scanning_configuration().map(ImageScanningConfiguration::scan_on_push),
                encryption_type: Some(enc.map_or("AES256", |e| e.encryption_type().as_str()).to_string()),
                kms_key: enc.and_then(EncryptionConfiguration::kms_key).map(str::to_string),
                lifecycle_rules: Some(parse_lifecycle(item.lifecycle.as_deref())),
                // A policy strata cannot read shows as a change to the declared one.
                policy: item.policy.as_deref().map(|p| policy::parse(p).unwrap_or_else(|_| Value::str(p))),
                ..V::default()
            },
            outputs: RepositoryOutputs {
                arn: r.repository_arn().map(str::to_string),
                url: r.repository_uri().map(str::to_string),
                repository_name: r.repository_name().map(str::to_string),
                registry_id: r.registry_id().map(str::to_string),
            },
            refs: Vec::new(),
        }
    }

    async fn complete(&self, aws: &Aws, region: &str, mut item: Item) -> Result<Item, ProviderError> {
        let Some(name) = item.repo.repository_name().map(str::to_string) else { return Ok(item) };
        let c = client(aws, region);
        let lifecycle = c.get_lifecycle_policy().repository_name(&name).send().await.map_err(err("GetLifecyclePolicy"));
        item.lifecycle = absent_is_none(lifecycle)?.and_then(|o| o.lifecycle_policy_text().map(str::to_string));
        let policy = c.get_repository_policy().repository_name(&name).send().await.map_err(err("GetRepositoryPolicy"));
        item.policy = absent_is_none(policy)?.and_then(|o| o.policy_text().map(str::to_string));
        Ok(item)
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // DescribeRepositories has no tag filter (nor does the tagging API
        // cover ECR): the kernel reads the tags of each (bounded).
        Ok(describe(aws, &scope.region, None).await?.into_iter().map(|repo| Item { repo, lifecycle: None, policy: None }).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        // The kernel completes it (the policies) when it reads it.
        Ok(describe(aws, region, Some(vec![id.to_string()])).await?.into_iter().next().map(|repo| Item { repo, lifecycle: None, policy: None }))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Repository>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| derived_id(REPOSITORY_NAME, &cx.stack, &cx.name, v.encryption_type.as_deref().unwrap_or("AES256")));
        let encryption = EncryptionConfiguration::builder()
            .encryption_type(EncryptionType::from(v.encryption_type.as_deref().unwrap_or("AES256")))
            .set_kms_key(v.kms_key.clone())
            .build()
            .map_err(|e| invalid("CreateRepository", format!("`encryption_type`: {e}")))?;
        let out = client(aws, &cx.region)
            .create_repository()
            .repository_name(&name)
            .image_tag_mutability(ImageTagMutability::from(v.image_tag_mutability.as_deref().unwrap_or("MUTABLE")))
            .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(v.scan_on_push != Some(false)).build())
            .encryption_configuration(encryption)
            .set_tags(Some(sdk_tags(&v.tags)?))
            .send()
            .await
            .map_err(err("CreateRepository"))?;
        let rules = v.lifecycle_rules.clone().unwrap_or_default();
        if !rules.is_empty() {
            put_lifecycle(aws, &cx.region, &name, &rules).await?;
        }
        if v.policy.is_some() {
            put_policy(aws, &cx.region, &name, v.policy.as_ref()).await?;
        }
        let repo = out.repository().cloned().ok_or_else(|| strata_aws::lacks("CreateRepository", "repository", &cx.name))?;
        Ok(Created::Item(Item { repo, lifecycle: None, policy: None }))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Repository>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, region, name) = (&want.values, &want.cx.region, actual.id.as_str());
        let c = client(aws, region);
        if diff.changed(V::image_tag_mutability).is_some() {
            c.put_image_tag_mutability()
                .repository_name(name)
                .image_tag_mutability(ImageTagMutability::from(v.image_tag_mutability.as_deref().unwrap_or("MUTABLE")))
                .send()
                .await
                .map_err(err("PutImageTagMutability"))?;
        }
        if diff.changed(V::scan_on_push).is_some() {
            c.put_image_scanning_configuration()
                .repository_name(name)
                .image_scanning_configuration(ImageScanningConfiguration::builder().scan_on_push(v.scan_on_push != Some(false)).build())
                .send()
                .await
                .map_err(err("PutImageScanningConfiguration"))?;
        }
        if diff.changed(V::lifecycle_rules).is_some() {
            put_lifecycle(aws, region, name, v.lifecycle_rules.as_deref().unwrap_or_default()).await?;
        }
        if diff.changed(V::policy).is_some() {
            put_policy(aws, region, name, v.policy.as_ref()).await?;
        }
        // `force_destroy` lives in a state tag the kernel writes.
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let force = actual.props.get(V::force_destroy).and_then(Value::as_bool) == Some(true);
        client(aws, &cx.region)
            .delete_repository()
            .repository_name(&actual.id)
            .force(force)
            .send()
            .await
            .map(|_| ())
            .map_err(err("DeleteRepository"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let field = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        if let Some(name) = field(V::name) {
            let part_ok = |p: &str| {
                !p.is_empty()
                    && p.split(['.', '_', '-']).all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
            };
            if name.len() < 2 || name.len() > 256 || !name.split('/').all(part_ok) {
                out.push(Diagnostic::field(&decl.name, V::name, format!("{name:?} is not a repository name (2 to 256 lowercase letters and digits, parts joined by . _ - and /)")));
            }
        }
        if let Some(m) = field(V::image_tag_mutability) {
            if !["MUTABLE", "IMMUTABLE"].contains(&m.as_str()) {
                out.push(Diagnostic::field(&decl.name, V::image_tag_mutability, format!("{m:?} is neither MUTABLE nor IMMUTABLE")));
            }
        }
        let enc = field(V::encryption_type);
        if let Some(e) = &enc {
            if !["AES256", "KMS"].contains(&e.as_str()) {
                out.push(Diagnostic::field(&decl.name, V::encryption_type, format!("{e:?} is neither AES256 nor KMS")));
            }
        }
        let has_key = decl.inputs.get(V::kms_key).is_some_and(|i| !matches!(i, Input::Known(Value::Null)));
        if has_key && enc.as_deref() != Some("KMS") {
            out.push(Diagnostic::field(&decl.name, V::kms_key, "applies only with encryption_type KMS (use kms(key))"));
        }
        let rules = decl.known(V::lifecycle_rules);
        let rules = rules.as_ref().and_then(Value::as_list).unwrap_or_default();
        for (i, r) in rules.iter().enumerate() {
            let n = i + 1;
            let get = |k: &str| r.as_map().and_then(|m| m.get(k));
            let count = get("count").and_then(Value::as_int).unwrap_or(0);
            if count < 1 {
                out.push(Diagnostic::field(&decl.name, V::lifecycle_rules, format!("rule {n}: a count of {count} keeps or expires nothing (1 or more)")));
            }
            let status = get("tag_status").and_then(Value::as_str);
            if status == Some("any") && n != rules.len() {
                out.push(Diagnostic::field(&decl.name, V::lifecycle_rules, format!("rule {n} selects every image: it must be the last rule (ECR gives it the lowest priority)")));
            }
            let no_prefix = get("tag_prefixes").and_then(Value::as_list).is_none_or(<[Value]>::is_empty);
            if status == Some("tagged") && no_prefix {
                out.push(Diagnostic::field(&decl.name, V::lifecycle_rules, format!("rule {n} selects tagged images but names no tag prefix")));
            }
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_rules_read_back_as_written() {
        let rules = vec![
            LifecycleRule::expire_untagged_after_days(14).into_value(),
            LifecycleRule::keep_last_tagged(["v", "release-"], 20).into_value(),
            LifecycleRule::keep_last(50).into_value(),
        ];
        let text = lifecycle_text(&rules);
        assert!(text.contains("\"countUnit\":\"days\"") && text.contains("\"rulePriority\":3"), "{text}");
        assert_eq!(parse_lifecycle(Some(&text)), rules);
        assert_eq!(lifecycle_text(&[]), "");
        assert!(parse_lifecycle(None).is_empty());
    }

    #[test]
    fn a_rule_strata_cannot_write_is_a_change() {
        let theirs = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5},"action":{"type":"transition"}}]}"#;
        assert_ne!(parse_lifecycle(Some(theirs)), vec![LifecycleRule::keep_last(5).into_value()]);
    }
}
