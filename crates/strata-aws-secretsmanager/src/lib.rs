#![warn(missing_docs)]
//! Secrets Manager for strata: `aws:secretsmanager:Secret` and
//! `aws:secretsmanager:SecretRotation`, on the resource kernel
//! ([`strata_aws::kernel`]).
//!
//! A secret's value is generated once (`GetRandomPassword`) or given by the
//! program, and is always an `Output<Secret<String>>`: plans, reports and logs
//! print `(secret)`. A generated value is never compared (it was generated
//! once); a given value is, and changes in place with `PutSecretValue`.
//! Discovery lists secrets with a tag-value filter and confirms the stack tag;
//! values are read with one `GetSecretValue` per secret (outputs need them).
//! The list is shared with the rotations' discovery (see [`SecretRotation`]).

mod rotation;
mod secret;

use std::sync::Arc;

use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, SecretListEntry, Tag};
use strata_aws::error::err;
use strata_aws::kernel::KindProvider;
use strata_aws::Aws;
use strata_core::{tags, Tags};
use strata_engine::{DiscoverScope, ProviderError, Registry};

pub use rotation::{SecretRotation, SecretRotationHandle, SecretRotationOutputs, SecretRotationValues};
pub use secret::{Secret, SecretHandle, SecretOutputs, SecretValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_secretsmanager, "secretsmanager");

/// Register the Secrets Manager kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, secret::Secrets)));
    r.register(Arc::new(KindProvider::new(aws, rotation::Rotations)));
}

/// The tag on a rotated secret that names its rotation's logical name: the
/// rotation's, which the secret's own kind neither reports nor removes.
pub(crate) const ROTATION_TAG: &str = tags::ROTATION;

/// A secret's tags, without the one its rotation owns.
pub(crate) fn tags_from(list: &[Tag]) -> Tags {
    list.iter().filter(|t| t.key() != Some(ROTATION_TAG)).filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

/// The region's secrets tagged with the stack's name (the filters match key
/// and value separately: callers confirm the stack tag), listed once a
/// discovery pass for the secrets and the rotations.
pub(crate) async fn stack_secrets(aws: &Aws, scope: &DiscoverScope) -> Result<Arc<Vec<SecretListEntry>>, ProviderError> {
    let key = format!("secretsmanager:ListSecrets:{}:{}", scope.region, scope.stack);
    aws.shared_lists()
        .get(scope, key, || async {
            let filter = |key, value: &str| Filter::builder().key(key).values(value).build();
            let list = client(aws, &scope.region).list_secrets().filters(filter(FilterNameStringType::TagKey, tags::STACK));
            let list = list.filters(filter(FilterNameStringType::TagValue, &scope.stack)).into_paginator().send();
            let pages = list.collect::<Result<Vec<_>, _>>().await.map_err(err("ListSecrets"))?;
            Ok(pages.into_iter().flat_map(|p| p.secret_list.unwrap_or_default()).collect::<Vec<_>>())
        })
        .await
}

pub(crate) fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

strata_aws::tag_adapter! {
    /// Tags of secrets, by ARN: read with `DescribeSecret` (secrets carry them in
    /// every answer), written with `TagResource` and `UntagResource`.
    pub(crate) struct SecretsTags;
    client: client, id: secret_id,
    read: describe_secret("DescribeSecret") |out| tags_from(out.tags()),
    untag: untag_resource("UntagResource"),
    tag: tag_resource("TagResource") |add| tag_list(add),
}
