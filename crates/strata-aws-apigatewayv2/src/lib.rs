#![warn(missing_docs)]
//! API Gateway v2 for strata: `aws:apigatewayv2:HttpApi` and
//! `aws:apigatewayv2:VpcLink`, written on the resource kernel
//! ([`strata_aws::kernel`]).
//!
//! An HTTP API owns its routes, integrations, JWT authorizers and its stage:
//! routes, integrations and authorizers carry no tags, so with no state file
//! they could not be found as resources of their own; they are fields of the
//! API, read with one `GetRoutes`, `GetIntegrations`, `GetAuthorizers` and
//! `GetStages` each, and brought in line by the API's update. A VPC link is
//! tagged and a kind of its own (several APIs may share one), and so is a
//! custom domain, whose API mappings are its field.

mod checks;
mod domain_name;
mod http_api;
mod vpc_link;

use std::sync::Arc;

use strata_aws::kernel::KindProvider;
use strata_aws::Aws;
use strata_engine::Registry;

pub use domain_name::{DomainName, DomainNameHandle, DomainNameOutputs, DomainNameValues};
pub use http_api::{Authorizer, HttpApi, HttpApiHandle, HttpApiOutputs, HttpApiValues, Route};
pub use vpc_link::{VpcLink, VpcLinkHandle, VpcLinkOutputs, VpcLinkValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_apigatewayv2, "apigatewayv2");
strata_aws::sdk_client!(pub(crate) fn sts = aws_sdk_sts, "sts");

/// Register the API Gateway v2 kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, http_api::HttpApis)));
    r.register(Arc::new(KindProvider::new(aws, vpc_link::VpcLinks)));
    r.register(Arc::new(KindProvider::new(aws, domain_name::DomainNames)));
}

pub(crate) use strata_aws::{tags_from_map as tags_of, tags_to_map as sdk_tags};

strata_aws::tag_adapter! {
    /// Tags of APIs and VPC links, by ARN (`GetTags`, `TagResource`, `UntagResource`).
    pub(crate) struct ApiTags;
    client: client, id: resource_arn,
    read: get_tags("GetTags") |out| tags_of(out.tags()),
    untag: untag_resource("UntagResource"),
    tag: tag_resource("TagResource") |add| sdk_tags(add),
}
