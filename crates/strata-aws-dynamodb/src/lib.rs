#![warn(missing_docs)]
//! DynamoDB for strata: `aws:dynamodb:Table`, written on the resource kernel
//! ([`strata_aws::kernel`]).
//!
//! A table owns its global secondary indexes, its stream, its TTL and its
//! point-in-time recovery setting: none of them carries tags of its own.

mod table;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::Tag;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ErrorClass, ProviderError, Registry};

pub use table::{GlobalIndex, Table, TableHandle, TableOutputs, TableValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_dynamodb, "dynamodb");

/// Register the DynamoDB kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, table::Tables)));
}

/// Tags in DynamoDB's shape.
pub(crate) fn sdk_tags(tags: &Tags) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::new(ErrorClass::Invalid, "TagResource", format!("tag {k:?}: {e}")))
        })
        .collect()
}

/// Tags of tables, by ARN (`ListTagsOfResource`, `TagResource`,
/// `UntagResource`).
pub(crate) struct DynamoTags;

#[async_trait]
impl Tagging for DynamoTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let c = client(aws, region);
        let (mut tags, mut token) = (Tags::new(), None);
        loop {
            let out = c.list_tags_of_resource().resource_arn(arn).set_next_token(token).send().await.map_err(err("ListTagsOfResource"))?;
            tags.extend(out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())));
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(tags);
            }
        }
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            c.untag_resource().resource_arn(arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            c.tag_resource().resource_arn(arn).set_tags(Some(sdk_tags(add)?)).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
