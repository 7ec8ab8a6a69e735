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

use async_trait::async_trait;
use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::Aws;
use strata_core::Tags;
use strata_engine::{ProviderError, Registry};

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

/// Tags of APIs and VPC links, by ARN (`GetTags`, `TagResource`, `UntagResource`).
pub(crate) struct ApiTags;

#[async_trait]
impl Tagging for ApiTags {
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
