#![warn(missing_docs)]
//! KMS for strata: `aws:kms:Key`, a symmetric customer-managed key with an
//! alias, for encryption at rest wherever a store accepts a key.
//!
//! Written on the resource kernel ([`strata_aws::kernel`]): the crate holds
//! the client, the tag adapter and the kind.

mod key;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_kms::types::Tag;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

pub use key::{Key, KeyHandle, KeyOutputs, KeyValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_kms, "kms");

/// Register the KMS kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, key::Keys)));
}

/// Tags in KMS's form.
pub(crate) fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter().filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok()).collect()
}

/// Tags of KMS keys, by key id or ARN (`ListResourceTags`, `TagResource`,
/// `UntagResource`).
pub(crate) struct KmsTags;

#[async_trait]
impl Tagging for KmsTags {
    async fn read(aws: &Aws, region: &str, key: &str) -> Result<Tags, ProviderError> {
        let tags = client(aws, region).list_resource_tags().key_id(key).into_paginator().items().send();
        let tags = tags.collect::<Result<Vec<_>, _>>().await.map_err(err("ListResourceTags"))?;
        Ok(tags.into_iter().map(|t| (t.tag_key().to_string(), t.tag_value().to_string())).collect())
    }

    async fn write(aws: &Aws, region: &str, key: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            c.untag_resource().key_id(key).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            c.tag_resource().key_id(key).set_tags(Some(sdk_tags(add))).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
