#![warn(missing_docs)]
//! API Gateway (REST, v1) for strata: `aws:apigateway:RestApi`,
//! `aws:apigateway:VpcLink` and `aws:apigateway:DomainName`, written on the
//! resource kernel ([`strata_aws::kernel`]).
//!
//! A REST API owns its resources (paths), methods, integrations, deployments
//! and its stage: none of them carries tags of its own (only the API, stages,
//! VPC links and domains are taggable, and moto tags only stages), so with no
//! state file they could not be found as resources of their own. They are
//! fields of the API, found through it (the tagged parent), read with one
//! `GetResources` (methods and integrations embedded), `GetStages` and
//! `GetDeployments`, and brought in line by the API's update. A VPC link is
//! a kind of its own (several APIs may share one), and so is a custom domain,
//! whose base path mappings are its field.

/// Every item of a paginated `Get*` call (`position` tokens, 500 a page).
macro_rules! all_items {
    ($call:expr, $op:literal) => {{
        let mut out = Vec::new();
        let mut position: Option<String> = None;
        loop {
            let page = $call.limit(500).set_position(position.clone()).send().await.map_err(strata_aws::error::err($op))?;
            out.extend(page.items().iter().cloned());
            position = page.position().map(str::to_string);
            if position.is_none() {
                break;
            }
        }
        out
    }};
}

mod checks;
mod domain_name;
mod rest_api;
mod vpc_link;

use std::sync::Arc;

use strata_aws::kernel::KindProvider;
use strata_aws::Aws;
use strata_engine::Registry;

pub use domain_name::{DomainName, DomainNameHandle, DomainNameOutputs, DomainNameValues};
pub use rest_api::{Method, RestApi, RestApiHandle, RestApiOutputs, RestApiValues};
pub use vpc_link::{VpcLink, VpcLinkHandle, VpcLinkOutputs, VpcLinkValues};

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_apigateway, "apigateway");

/// Register the API Gateway (REST) kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, rest_api::RestApis)));
    r.register(Arc::new(KindProvider::new(aws, vpc_link::VpcLinks)));
    r.register(Arc::new(KindProvider::new(aws, domain_name::DomainNames)));
}

pub(crate) use strata_aws::{tags_from_map as tags_of, tags_to_map as sdk_tags};

strata_aws::tag_adapter! {
    /// Tags of REST APIs, VPC links and domains, by ARN (`GetTags`,
    /// `TagResource`, `UntagResource`).
    pub(crate) struct RestTags;
    client: client, id: resource_arn,
    read: get_tags("GetTags") |out| tags_of(out.tags()),
    untag: untag_resource("UntagResource"),
    tag: tag_resource("TagResource") |add| sdk_tags(add),
}
