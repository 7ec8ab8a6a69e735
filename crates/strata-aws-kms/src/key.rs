//! `aws:kms:Key`: a symmetric customer-managed key with its alias.
//!
//! Discovery lists aliases in one paginated `ListAliases` call, then confirms
//! ownership of each aliased customer key with `ListResourceTags` (KMS has no
//! tag filter). A key strata creates always gets its alias in the same create,
//! so a key without an alias is never ours to touch. Deleting schedules the key
//! for deletion after a waiting period (7-30 days; AWS does not delete keys at
//! once) and removes its aliases first, so the alias names are free again.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_kms::types::{KeyMetadata, KeyState};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Tagging, Want};
use strata_aws::Aws;
use strata_core::{tags, Arg, Diagnostic, Output, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, OpContext, ProviderError};

use crate::{client, sdk_tags, KmsTags};

strata_aws::kind_fields! {
    /// A symmetric encryption key, rotated yearly by default.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_kms::Key;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let key = stack.add("data-key", Key::new("Data at rest").alias("alias/demo-data"));
    /// let _ = (key.arn(), key.key_id(), key.alias());
    /// ```
    pub struct Key: "aws:kms:Key";
    values KeyValues;
    handle KeyHandle / KeyOutputs { arn, alias };
    fields {
        /// What the key is for.
        description: str [update];
        /// The alias (`alias/...`); default `alias/<stack>/<logical name>`.
        alias: str [update];
        /// Yearly automatic rotation (default on).
        rotation: bool [update] = true;
        /// Days between `destroy` and the key's deletion (7-30, default 30).
        deletion_window_days: int [update];
    }
}

impl Key {
    /// A key with this description.
    pub fn new(description: impl Into<Arg<String>>) -> Self {
        Self::empty().description(description)
    }
}

impl KeyHandle {
    /// The key id (the `id` output).
    pub fn key_id(&self) -> Output<String> {
        self.id()
    }
}

type V = KeyValues;

/// The kind behind [`Key`].
pub(crate) struct Keys;

/// A key as read: its metadata, aliases, rotation and, when listed, its tags.
pub(crate) struct Item {
    meta: KeyMetadata,
    aliases: Vec<String>,
    rotation: bool,
    tags: Option<Tags>,
}

/// The deletion window of a destroy when the key's state tag has none (a key
/// declared without one): AWS's default.
const DELETION_WINDOW_DAYS: i64 = 30;

/// `alias/<stack>/<logical>`, cleaned to the alias alphabet.
fn derived_alias(stack: &str, logical: &str) -> String {
    let clean = |s: &str| -> String { s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' }).collect() };
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

/// Customer aliases by target key id (of one key, or all).
async fn aliases(aws: &Aws, region: &str, key: Option<&str>) -> Result<BTreeMap<String, Vec<String>>, ProviderError> {
    let all = client(aws, region).list_aliases().set_key_id(key.map(str::to_string)).into_paginator().items().send();
    let all = all.collect::<Result<Vec<_>, _>>().await.map_err(err("ListAliases"))?;
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in &all {
        if let (Some(name), Some(target)) = (a.alias_name().filter(|n| !n.starts_with("alias/aws/")), a.target_key_id()) {
            by_key.entry(target.to_string()).or_default().push(name.to_string());
        }
    }
    Ok(by_key)
}

async fn aliases_of(aws: &Aws, region: &str, key: &str) -> Result<Vec<String>, ProviderError> {
    Ok(aliases(aws, region, Some(key)).await?.into_values().flatten().collect())
}

/// The key, or `None` if it is gone or pending deletion.
async fn key(aws: &Aws, region: &str, id: &str, aliases: Vec<String>, tags: Option<Tags>) -> Result<Option<Item>, ProviderError> {
    let c = client(aws, region);
    let d = strata_aws::unless_gone(c.describe_key().key_id(id).send().await.map_err(err("DescribeKey")))?;
    let Some(meta) = d.and_then(|d| d.key_metadata().cloned()) else { return Ok(None) };
    if matches!(meta.key_state(), Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)) {
        return Ok(None);
    }
    let rotation = c.get_key_rotation_status().key_id(id).send().await.map_err(err("GetKeyRotationStatus"))?.key_rotation_enabled();
    Ok(Some(Item { meta, aliases, rotation, tags }))
}

async fn delete_alias(aws: &Aws, region: &str, alias: &str) -> Result<(), ProviderError> {
    let r = client(aws, region).delete_alias().alias_name(alias).send().await;
    strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteAlias")))
}

async fn set_rotation(aws: &Aws, region: &str, id: &str, on: bool) -> Result<(), ProviderError> {
    let c = client(aws, region);
    match on {
        true => c.enable_key_rotation().key_id(id).send().await.map(|_| ()).map_err(err("EnableKeyRotation")),
        false => c.disable_key_rotation().key_id(id).send().await.map(|_| ()).map_err(err("DisableKeyRotation")),
    }
}

#[async_trait]
impl Kind for Keys {
    type Builder = Key;
    type Item = Item;
    type Tags = KmsTags;

    const DERIVED: &'static [&'static str] = &[V::alias];
    // AWS does not report the window a destroy will use: kept in a state tag.
    const TAG_FIELDS: &'static [(&'static str, &'static str)] = &[(tags::DELETION_WINDOW_DAYS, V::deletion_window_days)];

    fn id(k: &Item) -> Option<&str> {
        Some(k.meta.key_id())
    }

    fn carried_tags(k: &Item) -> Option<Tags> {
        k.tags.clone()
    }

    fn observe(k: &Item) -> Seen<Key> {
        let alias = k.aliases.first().cloned();
        Seen {
            values: V {
                description: Some(k.meta.description().unwrap_or("").to_string()),
                alias: alias.clone(),
                rotation: Some(k.rotation),
                ..V::default()
            },
            outputs: KeyOutputs { arn: k.meta.arn().map(str::to_string), alias },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // Only the stack's keys are read in full (carrying the tags just read).
        let mut out = Vec::new();
        for (id, aliases) in aliases(aws, &scope.region, None).await? {
            let tags = match KmsTags::read(aws, &scope.region, &id).await {
                Ok(t) if t.get(tags::STACK) == Some(&scope.stack) => t,
                // Keys of other accounts' aliases, or keys we may not read: not ours.
                Err(e) if !matches!(e.class, ErrorClass::NotFound | ErrorClass::Auth) => return Err(e),
                _ => continue,
            };
            out.extend(key(aws, &scope.region, &id, aliases, Some(tags)).await?);
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        key(aws, region, id, aliases_of(aws, region, id).await?, None).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Key>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let alias = v.alias.clone().unwrap_or_else(|| derived_alias(&cx.stack, &cx.name));
        let c = client(aws, &cx.region);
        let out = c.create_key().set_description(v.description.clone()).set_tags(Some(sdk_tags(&v.tags))).send().await.map_err(err("CreateKey"))?;
        let meta = out.key_metadata().filter(|m| m.arn().is_some()).ok_or_else(|| strata_aws::lacks("CreateKey", "Arn", &cx.name))?;
        c.create_alias().alias_name(&alias).target_key_id(meta.key_id()).send().await.map_err(err("CreateAlias"))?;
        let rotation = v.rotation.unwrap_or(true);
        if rotation {
            set_rotation(aws, &cx.region, meta.key_id(), true).await?;
        }
        // The answer plus the alias and the rotation just set: no read-back.
        Ok(Created::Item(Item { meta: meta.clone(), aliases: vec![alias], rotation, tags: None }))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Key>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, region, id, c) = (&want.values, &want.cx.region, actual.id.as_str(), client(aws, &want.cx.region));
        if diff.changed(V::description).is_some() {
            let d = v.description.as_deref().unwrap_or("");
            c.update_key_description().key_id(id).description(d).send().await.map_err(err("UpdateKeyDescription"))?;
        }
        if diff.changed(V::rotation).is_some() {
            set_rotation(aws, region, id, v.rotation.unwrap_or(true)).await?;
        }
        if let (Some(_), Some(new)) = (diff.changed(V::alias), &v.alias) {
            // Add the new alias before removing the old one: the key is never
            // unfindable. It may be an alias of the key already (a second one).
            if !aliases_of(aws, region, id).await?.contains(new) {
                c.create_alias().alias_name(new).target_key_id(id).send().await.map_err(err("CreateAlias"))?;
            }
            if let Some(old) = actual.props.get(V::alias).and_then(Value::as_str).filter(|old| old != new) {
                delete_alias(aws, region, old).await?;
            }
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        for a in aliases_of(aws, &cx.region, &actual.id).await? {
            delete_alias(aws, &cx.region, &a).await?;
        }
        let days = actual.props.get(V::deletion_window_days).and_then(Value::as_int).unwrap_or(DELETION_WINDOW_DAYS);
        let days = i32::try_from(days).map_err(|_| ProviderError::new(ErrorClass::Invalid, "ScheduleKeyDeletion", format!("{days} days is out of range")))?;
        let r = client(aws, &cx.region).schedule_key_deletion().key_id(&actual.id).pending_window_in_days(days);
        match r.send().await.map(|_| ()).map_err(err("ScheduleKeyDeletion")) {
            // Already pending deletion: done.
            Err(e) if e.code.as_deref() == Some("KMSInvalidStateException") => Ok(()),
            other => other,
        }
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let alias_of = |d: &ResourceDecl| d.known(V::alias).and_then(|v| v.as_str().map(str::to_string));
        if let Some(a) = alias_of(decl) {
            if let Some(p) = alias_problem(&a) {
                out.push(Diagnostic::field(&decl.name, V::alias, p));
            }
            // Two keys of the stack with one alias: named on the later one.
            let earlier = stack.resources().iter().take_while(|d| d.id != decl.id);
            if let Some(other) = earlier.filter(|d| d.kind == decl.kind && !d.is_lookup() && alias_of(d).as_ref() == Some(&a)).last() {
                out.push(Diagnostic::field(&decl.name, V::alias, format!("{a:?} is also the alias of {}", other.name)));
            }
        }
        if let Some(d) = decl.known(V::deletion_window_days).and_then(|v| v.as_int()) {
            if !(7..=30).contains(&d) {
                out.push(Diagnostic::field(&decl.name, V::deletion_window_days, format!("{d} is outside 7-30")));
            }
        }
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
