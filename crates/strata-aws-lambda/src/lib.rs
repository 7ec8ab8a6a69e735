#![warn(missing_docs)]
//! Lambda for strata: `aws:lambda:Function`, `aws:lambda:Permission` and
//! `aws:lambda:EventSourceMapping`,
//! written on the resource kernel ([`strata_aws::kernel`]).
//!
//! A function's code is a zip file, a directory zipped reproducibly, or an
//! S3 object; its SHA-256 is in the plan. A permission (who may invoke a
//! function) is a statement of the function's resource policy: it carries no
//! tags, so it is known by its statement id, which names the stack and the
//! logical name, and it is only ever added to a function of the stack.

mod checks;
mod event_source;
mod function;
mod permission;
mod topics;
mod zip;

use std::sync::Arc;

use async_trait::async_trait;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

pub use event_source::{EventSourceMapping, EventSourceMappingHandle, EventSourceMappingOutputs, EventSourceMappingValues};
pub use function::{Function, FunctionHandle, FunctionOutputs, FunctionValues, CODE_S3_TAG, DIRECT_UPLOAD_MAX};
pub use permission::{Permission, PermissionHandle, PermissionOutputs, PermissionValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_lambda, "lambda");
strata_aws::sdk_client!(pub(crate) fn sns = aws_sdk_sns, "sns");

/// Register the Lambda kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, function::Functions)));
    r.register(Arc::new(KindProvider::new(aws, permission::Permissions)));
    r.register(Arc::new(KindProvider::new(aws, event_source::EventSourceMappings)));
}

/// A function name from a name or an ARN (`...:function:NAME[:qualifier]`).
pub(crate) fn function_name(s: &str) -> &str {
    match s.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
        None => s,
    }
}

/// Tags of functions, by ARN (`ListTags`, `TagResource`, `UntagResource`).
pub(crate) struct LambdaTags;

#[async_trait]
impl Tagging for LambdaTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let out = client(aws, region).list_tags().resource(arn).send().await.map_err(err("ListTags"))?;
        Ok(out.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default())
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            c.untag_resource().resource(arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            c.tag_resource().resource(arn).set_tags(Some(add.iter().map(|(k, v)| (k.clone(), v.clone())).collect())).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
