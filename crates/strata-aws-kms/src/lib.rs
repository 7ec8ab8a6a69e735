//! KMS: `aws:kms:Key`, a symmetric customer-managed key with an alias, for
//! encryption at rest wherever a store accepts a key.
//!
//! Discovery lists aliases in one paginated `ListAliases` call, then confirms
//! ownership of each aliased customer key with `ListResourceTags` (KMS has no
//! tag filter). A key strata creates always gets its alias in the same create,
//! so a key without an alias is never ours to touch. Deleting schedules the key
//! for deletion after a waiting period (7-30 days; AWS does not delete keys at
//! once) and removes its alias first, so the alias name is free again.

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_kms, "kms");

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_kms::types::{KeyState, Tag};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, Provider, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::Aws;

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KeyProvider { aws: aws.clone() }));
}

/// A symmetric encryption key, rotated yearly by default.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_kms::Key;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let key = stack.add("data-key", Key::new("Data at rest").alias("alias/demo-data"));
/// let _ = (key.arn(), key.key_id());
/// ```
#[derive(Clone, Debug)]
pub struct Key {
    description: String,
    alias: Option<String>,
    rotation: bool,
    deletion_window_days: i64,
    tags: BTreeMap<String, Input>,
}

impl Key {
    pub fn new(description: &str) -> Self {
        Key { description: description.into(), alias: None, rotation: true, deletion_window_days: 30, tags: BTreeMap::new() }
    }
    /// The alias (`alias/...`); default `alias/<stack>/<logical name>`.
    pub fn alias(mut self, alias: &str) -> Self {
        self.alias = Some(alias.into());
        self
    }
    /// Yearly automatic rotation (default on).
    pub fn rotation(mut self, on: bool) -> Self {
        self.rotation = on;
        self
    }
    /// Days between `destroy` and the key's deletion (7-30, default 30).
    pub fn deletion_window_days(mut self, days: i64) -> Self {
        self.deletion_window_days = days;
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`Key`].
    KeyHandle { arn: "arn", key_id: "id", alias_name: "alias" }
);

impl Resource for Key {
    const KIND: &'static str = "aws:kms:Key";
    type Handle = KeyHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("description".to_string(), Input::from(self.description)),
            ("alias".to_string(), Input::from(self.alias)),
            ("rotation".to_string(), Input::from(self.rotation)),
            ("deletion_window_days".to_string(), Input::from(self.deletion_window_days)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct KeyProvider {
    aws: Aws,
}

/// `alias/<stack>/<logical>`, cleaned to the alias alphabet.
fn derived_alias(stack: &str, logical: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' }).collect()
    };
    format!("alias/{}/{}", clean(stack), clean(logical))
}

fn alias_problem(alias: &str) -> Option<String> {
    let Some(rest) = alias.strip_prefix("alias/") else {
        return Some(format!("{alias:?} must start with alias/"));
    };
    if rest.starts_with("aws/") {
        return Some(format!("{alias:?}: alias/aws/ is reserved for AWS-managed keys"));
    }
    if rest.is_empty() || alias.len() > 256 || !rest.chars().all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c)) {
        return Some(format!("{alias:?} must be alias/ and 1-250 letters, digits, /, _ or -"));
    }
    None
}

fn sdk_tags(props: &Props) -> Vec<Tag> {
    strata_aws::desired_tags(props)
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok())
        .collect()
}

impl KeyProvider {
    async fn tags_of(&self, region: &str, key_id: &str) -> Result<Tags, ProviderError> {
        let pages = crate::client(&self.aws, region)
            .list_resource_tags()
            .key_id(key_id)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("ListResourceTags"))?;
        Ok(pages.iter().flat_map(|p| p.tags().iter()).map(|t| (t.tag_key().to_string(), t.tag_value().to_string())).collect())
    }

    /// The key as it is, or `None` if it is gone or pending deletion.
    async fn observe(&self, region: &str, key_id: &str, aliases: Vec<String>, tags: Tags) -> Result<Option<Observed>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let d = match c.describe_key().key_id(key_id).send().await {
            Ok(d) => d,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeKey", e)),
        };
        let Some(meta) = d.key_metadata() else { return Ok(None) };
        if matches!(meta.key_state(), Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)) {
            return Ok(None);
        }
        let rotation = c
            .get_key_rotation_status()
            .key_id(key_id)
            .send()
            .await
            .map_err(err("GetKeyRotationStatus"))?
            .key_rotation_enabled();
        let arn = meta.arn().unwrap_or_default();
        let alias = aliases.first().cloned();
        let mut o = Observed::new(Key::KIND, meta.key_id(), region);
        o.props = Props::from([
            ("description".into(), Value::str(meta.description().unwrap_or_default())),
            ("alias".into(), alias.clone().map(Value::Str).unwrap_or(Value::Null)),
            ("rotation".into(), Value::Bool(rotation)),
            ("tags".into(), Value::from_tags(&tags)),
            ("aliases".into(), Value::List(aliases.into_iter().map(Value::Str).collect())),
        ]);
        o.outputs = Props::from([
            ("id".into(), Value::str(meta.key_id())),
            ("arn".into(), Value::str(arn)),
            ("alias".into(), alias.map(Value::Str).unwrap_or(Value::Null)),
        ]);
        Ok(Some(o))
    }

    /// Aliases by target key id (customer aliases only).
    async fn aliases(&self, region: &str, key_id: Option<&str>) -> Result<BTreeMap<String, Vec<String>>, ProviderError> {
        let pages = crate::client(&self.aws, region)
            .list_aliases()
            .set_key_id(key_id.map(str::to_string))
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("ListAliases"))?;
        let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for a in pages.iter().flat_map(|p| p.aliases().iter()) {
            let (Some(name), Some(target)) = (a.alias_name(), a.target_key_id()) else { continue };
            if name.starts_with("alias/aws/") {
                continue;
            }
            by_key.entry(target.to_string()).or_default().push(name.to_string());
        }
        Ok(by_key)
    }
}

#[async_trait]
impl Provider for KeyProvider {
    fn kind(&self) -> &'static str {
        Key::KIND
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(a) = decl.known("alias").and_then(|v| v.as_str().map(str::to_string)) {
            if let Some(p) = alias_problem(&a) {
                out.push(Diagnostic::field(&decl.name, "alias", p));
            }
        }
        if let Some(d) = decl.known("deletion_window_days").and_then(|v| v.as_int()) {
            if !(7..=30).contains(&d) {
                out.push(Diagnostic::field(&decl.name, "deletion_window_days", format!("{d} is outside 7-30")));
            }
        }
    }

    fn validate_all(&self, decls: &[&ResourceDecl], _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut seen = BTreeMap::new();
        for d in decls {
            if let Some(a) = d.known("alias").and_then(|v| v.as_str().map(str::to_string)) {
                if let Some(other) = seen.insert(a.clone(), d.name.clone()) {
                    out.push(Diagnostic::field(&d.name, "alias", format!("{a:?} is also the alias of {other}")));
                }
            }
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        want.remove("deletion_window_days");
        let mut have = actual.props.clone();
        // The key is found by any of its aliases; the desired one just has to be among them.
        let desired_alias = want.get("alias").and_then(Value::as_str).map(str::to_string);
        let aliases: Vec<String> = have
            .get("aliases")
            .and_then(Value::as_list)
            .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        match desired_alias {
            Some(a) if aliases.contains(&a) => {
                have.insert("alias".into(), Value::Str(a));
            }
            None => {
                want.remove("alias");
            }
            _ => {}
        }
        strata_engine::default_diff(&want, &have, self.replace_fields())
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(3)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let mut out = Vec::new();
        for (key_id, aliases) in self.aliases(&scope.region, None).await? {
            let t = match self.tags_of(&scope.region, &key_id).await {
                Ok(t) => t,
                // Keys of other accounts' aliases, or keys we may not read: not ours.
                Err(e) if matches!(e.class, strata_engine::ErrorClass::NotFound | strata_engine::ErrorClass::Auth) => continue,
                Err(e) => return Err(e),
            };
            if t.get(tags::STACK) != Some(&scope.stack) {
                continue;
            }
            if let Some(o) = self.observe(&scope.region, &key_id, aliases, t).await? {
                out.push(o);
            }
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let aliases = match self.aliases(region, Some(id)).await {
            Ok(a) => a.into_values().flatten().collect(),
            Err(e) => return strata_aws::not_found_none(e),
        };
        let t = match self.tags_of(region, id).await {
            Ok(t) => t,
            Err(e) => return strata_aws::not_found_none(e),
        };
        self.observe(region, id, aliases, t).await
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let alias = desired
            .get("alias")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| derived_alias(&cx.stack, &cx.name));
        let out = c
            .create_key()
            .description(desired.get("description").and_then(Value::as_str).unwrap_or_default())
            .set_tags(Some(sdk_tags(desired)))
            .send()
            .await
            .map_err(err("CreateKey"))?;
        let key_id = out.key_metadata().map(|m| m.key_id().to_string()).ok_or_else(|| strata_aws::lacks("CreateKey", "KeyId", &cx.name))?;
        c.create_alias().alias_name(&alias).target_key_id(&key_id).send().await.map_err(err("CreateAlias"))?;
        if desired.get("rotation").and_then(Value::as_bool).unwrap_or(true) {
            c.enable_key_rotation().key_id(&key_id).send().await.map_err(err("EnableKeyRotation"))?;
        }
        let arn = out.key_metadata().and_then(|m| m.arn()).ok_or_else(|| strata_aws::lacks("CreateKey", "Arn", &cx.name))?.to_string();
        let mut o = Observed::new(Key::KIND, &key_id, &cx.region);
        o.props = desired.clone();
        o.props.insert("alias".into(), Value::Str(alias.clone()));
        o.props.insert("aliases".into(), Value::List(vec![Value::Str(alias.clone())]));
        o.outputs = Props::from([
            ("id".into(), Value::Str(key_id)),
            ("arn".into(), Value::Str(arn)),
            ("alias".into(), Value::Str(alias)),
        ]);
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let mut o = actual.clone();
        if diff.changed("tags").is_some() {
            let want = strata_aws::desired_tags(desired);
            let remove: Vec<String> = actual.tags().keys().filter(|k| !want.contains_key(*k)).cloned().collect();
            self.set_tags(cx, actual, &want, &remove).await?;
            o.props.insert("tags".into(), Value::from_tags(&want));
        }
        if diff.changed("description").is_some() {
            let d = desired.get("description").and_then(Value::as_str).unwrap_or_default();
            c.update_key_description().key_id(&actual.id).description(d).send().await.map_err(err("UpdateKeyDescription"))?;
            o.props.insert("description".into(), Value::str(d));
        }
        if diff.changed("rotation").is_some() {
            if desired.get("rotation").and_then(Value::as_bool).unwrap_or(true) {
                c.enable_key_rotation().key_id(&actual.id).send().await.map_err(err("EnableKeyRotation"))?;
            } else {
                c.disable_key_rotation().key_id(&actual.id).send().await.map_err(err("DisableKeyRotation"))?;
            }
            o.props.insert("rotation".into(), desired.get("rotation").cloned().unwrap_or(Value::Bool(true)));
        }
        if let Some(new) = diff.changed("alias").and(desired.get("alias").and_then(Value::as_str)) {
            // Add the new alias before removing the old one: the key is never unfindable.
            c.create_alias().alias_name(new).target_key_id(&actual.id).send().await.map_err(err("CreateAlias"))?;
            if let Some(old) = actual.props.get("alias").and_then(Value::as_str) {
                strata_aws::gone_ok(c.delete_alias().alias_name(old).send().await.map(|_| ()).map_err(err("DeleteAlias")))?;
            }
            o.props.insert("alias".into(), Value::str(new));
            o.props.insert("aliases".into(), Value::List(vec![Value::str(new)]));
            o.outputs.insert("alias".into(), Value::str(new));
        }
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let aliases: Vec<String> = actual
            .props
            .get("aliases")
            .and_then(Value::as_list)
            .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        for a in aliases {
            strata_aws::gone_ok(c.delete_alias().alias_name(&a).send().await.map(|_| ()).map_err(err("DeleteAlias")))?;
        }
        let days = actual.props.get("deletion_window_days").and_then(Value::as_int).unwrap_or(30) as i32;
        let r = c.schedule_key_deletion().key_id(&actual.id).pending_window_in_days(days).send().await;
        match r.map(|_| ()).map_err(err("ScheduleKeyDeletion")) {
            // Already pending deletion: done.
            Err(e) if e.code.as_deref() == Some("KMSInvalidStateException") => Ok(()),
            other => strata_aws::gone_ok(other),
        }
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if !remove.is_empty() {
            c.untag_resource().key_id(&actual.id).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            let t = add.iter().filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok()).collect();
            c.tag_resource().key_id(&actual.id).set_tags(Some(t)).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_derived_and_checked() {
        assert_eq!(derived_alias("miamo-prd", "data key"), "alias/miamo-prd/data-key");
        assert_eq!(alias_problem(&derived_alias("miamo-prd", "data key")), None);
        assert!(alias_problem("data").is_some());
        assert!(alias_problem("alias/aws/rds").is_some());
        assert!(alias_problem("alias/a b").is_some());
    }
}
