//! `aws:ec2:KeyPair`: an imported SSH public key. AWS does not return the key
//! material, so its SHA-256 is kept in the `strata:public-key-sha256` tag and
//! compared instead; a different key replaces the pair.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use sha2::{Digest, Sha256};
use strata_core::{Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, OpContext, Provider, ProviderError};

use super::common::*;
use strata_aws::error::err;
use strata_aws::Aws;

const KEY_TAG: &str = strata_core::tags::PUBLIC_KEY_SHA256;

/// An imported key pair.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::KeyPair;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let key = stack.add("ops", KeyPair::import("ops-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0x ops@example"));
/// let _ = key.key_name();
/// ```
#[derive(Clone, Debug)]
pub struct KeyPair {
    name: Input,
    public_key: String,
    tags: BTreeMap<String, Input>,
}

impl KeyPair {
    pub fn import(name: impl Into<Arg<String>>, public_key: impl Into<String>) -> Self {
        KeyPair { name: name.into().into_input(), public_key: public_key.into(), tags: BTreeMap::new() }
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

super::handle!(
    /// Outputs of a [`KeyPair`].
    KeyPairHandle { id: "id", key_name: "key_name" }
);

fn sha256(s: &str) -> String {
    Sha256::digest(s.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl Resource for KeyPair {
    const KIND: &'static str = "aws:ec2:KeyPair";
    type Handle = KeyPairHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("key_name".to_string(), self.name),
            ("public_key_sha256".to_string(), Input::from(sha256(&self.public_key))),
            ("public_key".to_string(), Input::from(self.public_key)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct KeyPairProvider {
    pub(crate) aws: Aws,
}

fn observe(region: &str, k: &aws_sdk_ec2::types::KeyPairInfo) -> Observed {
    let id = k.key_pair_id().unwrap_or_default();
    let mut tags = tags_value(k.tags()).as_tags();
    let sha = tags.remove(KEY_TAG);
    let props = Props::from([
        ("key_name".into(), Value::str(k.key_name().unwrap_or_default())),
        ("public_key_sha256".into(), sha.map(Value::Str).unwrap_or(Value::Null)),
        ("tags".into(), Value::from_tags(&tags)),
    ]);
    let mut o = observed(KeyPair::KIND, id, region, props);
    o.outputs.insert("key_name".into(), Value::str(k.key_name().unwrap_or_default()));
    o
}

#[async_trait]
impl Provider for KeyPairProvider {
    fn kind(&self) -> &'static str {
        KeyPair::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["key_name", "public_key_sha256"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        require(decl, "key_name", out);
        if let Some(k) = decl.known("public_key").and_then(|v| v.as_str().map(str::to_string)) {
            let ok = ["ssh-rsa ", "ssh-ed25519 ", "ecdsa-sha2-nistp256 ", "ecdsa-sha2-nistp384 ", "ecdsa-sha2-nistp521 "]
                .iter()
                .any(|p| k.starts_with(p));
            if !ok {
                out.push(Diagnostic::field(&decl.name, "public_key", "is not an OpenSSH public key (ssh-rsa, ssh-ed25519 or ecdsa-sha2-*)"));
            }
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        want.remove("public_key");
        strata_engine::default_diff(&want, &actual.props, self.replace_fields())
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        // DescribeKeyPairs is not paginated.
        let out = crate::client(&self.aws, &scope.region)
            .describe_key_pairs()
            .filters(stack_filter(scope))
            .send()
            .await
            .map_err(err("DescribeKeyPairs"))?;
        Ok(out.key_pairs().iter().map(|k| observe(&scope.region, k)).collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match crate::client(&self.aws, region).describe_key_pairs().key_pair_ids(id).send().await {
            Ok(o) => Ok(o.key_pairs().first().map(|k| observe(region, k))),
            Err(e) => not_found_none(strata_aws::error::from_sdk("DescribeKeyPairs", e)),
        }
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let name = s(desired, "key_name").ok_or_else(|| missing("ImportKeyPair", "key_name"))?;
        let key = s(desired, "public_key").ok_or_else(|| missing("ImportKeyPair", "public_key"))?;
        let mut spec = TagSpecification::builder().resource_type(ResourceType::KeyPair);
        let mut tags = props_tags(desired);
        tags.insert(KEY_TAG.into(), sha256(&key));
        for (k, v) in &tags {
            spec = spec.tags(Tag::builder().key(k).value(v).build());
        }
        let out = crate::client(&self.aws, &cx.region)
            .import_key_pair()
            .key_name(&name)
            .public_key_material(Blob::new(key.trim().as_bytes()))
            .tag_specifications(spec.build())
            .send()
            .await
            .map_err(err("ImportKeyPair"))?;
        let id = out.key_pair_id().ok_or_else(|| strata_aws::lacks("ImportKeyPair", "KeyPairId", &cx.name))?;
        let mut o = observed(KeyPair::KIND, id, &cx.region, desired.clone());
        o.outputs.insert("key_name".into(), Value::Str(name));
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, _diff: &Diff) -> Result<Observed, ProviderError> {
        let mut want = desired.clone();
        let mut t = props_tags(desired);
        if let Some(sha) = s(desired, "public_key_sha256") {
            t.insert(KEY_TAG.into(), sha);
        }
        want.insert("tags".into(), Value::from_tags(&t));
        let mut have = actual.clone();
        let mut ht = actual.tags();
        if let Some(sha) = s(&actual.props, "public_key_sha256") {
            ht.insert(KEY_TAG.into(), sha);
        }
        have.props.insert("tags".into(), Value::from_tags(&ht));
        update_tags(&crate::client(&self.aws, &cx.region), &actual.id, &have, &want).await?;
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // By name: emulators ignore KeyPairId on delete.
        let name = s(&actual.props, "key_name").unwrap_or_default();
        let r = crate::client(&self.aws, &cx.region).delete_key_pair().key_name(name).send().await;
        gone_ok(r.map(|_| ()).map_err(err("DeleteKeyPair")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        provider_set_tags(&crate::client(&self.aws, &cx.region), actual, add, remove).await
    }
}
