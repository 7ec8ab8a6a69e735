//! `aws:ec2:KeyPair`: an imported SSH public key. AWS does not return the key
//! material, so its SHA-256 is kept in the `strata:public-key-sha256` tag and
//! compared instead; a different key replaces the pair.

use async_trait::async_trait;
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{KeyPairInfo as Item, ResourceType};
use sha2::{Digest, Sha256};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, ResourceDecl, Stack, Tags};
use strata_engine::{DiscoverScope, Observed, OpContext, ProviderError};

use super::common::{stack_filter, tags_of_list, tags_spec, Ec2Tags};

strata_aws::kind_fields! {
    /// An imported key pair.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::KeyPair;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let key = stack.add("ops", KeyPair::import("ops-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0x ops@example"));
    /// let _ = key.key_name();
    /// ```
    pub struct KeyPair: "aws:ec2:KeyPair";
    values KeyPairValues;
    handle KeyPairHandle / KeyPairOutputs { key_name };
    fields {
        /// The pair's name.
        key_name: str [replace required];
        /// The OpenSSH public key.
        public_key: str [writeonly required private];
        /// The key's SHA-256 (hex), what is compared.
        public_key_sha256: str [replace private];
    }
}

impl KeyPair {
    /// Import this OpenSSH public key under this name.
    pub fn import(name: impl Into<Arg<String>>, public_key: impl Into<String>) -> Self {
        let key = public_key.into();
        let sha: String = Sha256::digest(key.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        Self::empty().key_name(name).public_key_sha256(sha).public_key(key)
    }
}

type V = KeyPairValues;

/// The kind behind [`KeyPair`].
pub(crate) struct KeyPairs;

#[async_trait]
impl Kind for KeyPairs {
    type Builder = KeyPair;
    type Item = Item;
    type Tags = Ec2Tags;

    const TAG_FIELDS: &'static [(&'static str, &'static str)] = &[(strata_core::tags::PUBLIC_KEY_SHA256, V::public_key_sha256)];

    fn id(k: &Item) -> Option<&str> {
        k.key_pair_id()
    }

    fn carried_tags(k: &Item) -> Option<Tags> {
        Some(tags_of_list(k.tags()))
    }

    fn observe(k: &Item) -> Seen<KeyPair> {
        let name = k.key_name().map(str::to_string);
        Seen { values: V { key_name: name.clone(), ..V::default() }, outputs: KeyPairOutputs { key_name: name }, refs: Vec::new() }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let Some(key) = decl.known(V::public_key).and_then(|v| v.as_str().map(str::to_string)) else { return };
        if !["ssh-rsa ", "ssh-ed25519 ", "ecdsa-sha2-nistp256 ", "ecdsa-sha2-nistp384 ", "ecdsa-sha2-nistp521 "].iter().any(|p| key.starts_with(p)) {
            out.push(Diagnostic::field(&decl.name, V::public_key, "is not an OpenSSH public key (ssh-rsa, ssh-ed25519 or ecdsa-sha2-*)"));
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // DescribeKeyPairs is not paginated.
        let out = crate::client(aws, &scope.region).describe_key_pairs().filters(stack_filter(scope)).send().await;
        Ok(out.map_err(err("DescribeKeyPairs"))?.key_pairs().to_vec())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = crate::client(aws, region).describe_key_pairs().key_pair_ids(id).send().await.map_err(err("DescribeKeyPairs"))?;
        Ok(out.key_pairs().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, KeyPair>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let lacks = |f| strata_aws::lacks("ImportKeyPair", f, &cx.name);
        let name = v.key_name.as_deref().ok_or_else(|| lacks(V::key_name))?;
        let key = v.public_key.as_deref().ok_or_else(|| lacks(V::public_key))?;
        let out = crate::client(aws, &cx.region)
            .import_key_pair()
            .key_name(name)
            .public_key_material(Blob::new(key.trim().as_bytes()))
            .tag_specifications(tags_spec(ResourceType::KeyPair, &v.tags))
            .send()
            .await
            .map_err(err("ImportKeyPair"))?;
        let id = out.key_pair_id().ok_or_else(|| lacks("KeyPairId"))?;
        // The answer is the item: no read-back call.
        Ok(Created::Item(Item::builder().key_pair_id(id).key_name(name).build()))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // By name: emulators ignore KeyPairId on delete.
        let name = actual.props.get(V::key_name).and_then(|v| v.as_str()).ok_or_else(|| strata_aws::lacks("DeleteKeyPair", V::key_name, &cx.name))?;
        crate::client(aws, &cx.region).delete_key_pair().key_name(name).send().await.map(|_| ()).map_err(err("DeleteKeyPair"))
    }
}
