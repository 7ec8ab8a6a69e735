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

use async_trait::async_trait;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

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

/// Tags of REST APIs, VPC links and domains, by ARN (`GetTags`,
/// `TagResource`, `UntagResource`).
pub(crate) struct RestTags;

#[async_trait]
impl Tagging for RestTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let out = client(aws, region).get_tags().resource_arn(arn).send().await.map_err(err("GetTags"))?;
        Ok(tags_of(out.tags()))
    }

    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = client(aws, region);
        if !remove.is_empty() {
            c.untag_resource().resource_arn(arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            c.tag_resource().resource_arn(arn).set_tags(Some(sdk_tags(add))).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
