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

use strata_aws::kernel::KindProvider;
use strata_aws::Aws;
use strata_engine::Registry;

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

strata_aws::tag_adapter! {
    /// Tags of functions, by ARN (`ListTags`, `TagResource`, `UntagResource`).
    pub(crate) struct LambdaTags;
    client: client, id: resource,
    read: list_tags("ListTags") |out| strata_aws::tags_from_map(out.tags()),
    untag: untag_resource("UntagResource"),
    tag: tag_resource("TagResource") |add| strata_aws::tags_to_map(add),
}
