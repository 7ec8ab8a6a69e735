#![warn(missing_docs)]
//! Secrets Manager for strata: `aws:secretsmanager:Secret`, on the resource
//! kernel ([`strata_aws::kernel`]).
//!
//! A secret's value is generated once (`GetRandomPassword`) or given by the
//! program, and is always an `Output<Secret<String>>`: plans, reports and logs
//! print `(secret)`. A generated value is never compared (it was generated
//! once); a given value is, and changes in place with `PutSecretValue`.
//! Discovery lists secrets with a tag-value filter and confirms the stack tag;
//! values are read with one `GetSecretValue` per secret (outputs need them).

mod secret;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_secretsmanager::types::Tag;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

pub use secret::{Secret, SecretHandle, SecretOutputs, SecretValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_secretsmanager, "secretsmanager");

/// Register the Secrets Manager kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, secret::Secrets)));
}

pub(crate) fn tags_from(list: &[Tag]) -> Tags {
    list.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

pub(crate) fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// Tags of secrets, by ARN: read with `DescribeSecret` (secrets carry them in
/// every answer), written with `TagResource` and `UntagResource`.
pub(crate) struct SecretsTags;

#[async_trait]
impl Tagging for SecretsTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let d = client(aws, region).describe_secret().secret_id(arn).send().await.map_err(err("DescribeSecret"))?;
        Ok(tags_from(d.tags()))
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            c.untag_resource().secret_id(arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            c.tag_resource().secret_id(arn).set_tags(Some(tag_list(add))).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
