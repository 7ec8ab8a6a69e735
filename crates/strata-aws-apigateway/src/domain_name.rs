//! `aws:apigateway:DomainName`: a custom domain for REST APIs (a regional
//! endpoint with an ACM certificate of the same region, TLS 1.2) and its
//! base path mappings (which API's stage answers at which base path).
//!
//! Mappings carry no tags: they are a field of the domain, read with
//! `GetBasePathMappings` and brought in line by the domain's update (a
//! changed mapping is deleted, then created). The certificate changes in
//! place (`UpdateDomainName`); the name replaces the domain. Point a
//! Route 53 alias at the `target_domain_name` and `hosted_zone_id` outputs.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_apigateway::types::{BasePathMapping, DomainName as Sdk, EndpointConfiguration, EndpointType, Op as PatchOp, PatchOperation, SecurityPolicy};
use strata_aws::api_domain::{self, Mapping};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, sdk_tags, tags_of, RestTags};

/// The base path API Gateway uses for "the root" of a domain.
const ROOT: &str = "(none)";

strata_aws::kind_fields! {
    /// A custom domain of REST APIs.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_apigateway::DomainName;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let api = stack.add(
    ///     "api-domain",
    ///     DomainName::new("api.shop.example.com", "arn:aws:acm:eu-central-1:111122223333:certificate/abc").mapping("a1b2c3", "v1", "orders"),
    /// );
    /// let _ = (api.target_domain_name(), api.hosted_zone_id());
    /// ```
    pub struct DomainName: "aws:apigateway:DomainName";
    values DomainNameValues;
    handle DomainNameHandle / DomainNameOutputs { target_domain_name, hosted_zone_id };
    fields {
        /// The domain (`api.shop.example.com`).
        domain: str [replace required];
        /// The ACM certificate for it, in the API's region (its ARN).
        certificate_arn: str [update required];
        /// Which API's stage answers at which base path (see [`DomainName::mapping`]).
        mappings: list [update];
    }
}

impl DomainName {
    /// `domain`, served with the regional certificate `certificate_arn`.
    pub fn new(domain: &str, certificate_arn: impl Into<Arg<String>>) -> Self {
        Self::empty().domain(domain).certificate_arn(certificate_arn)
    }

    /// Serve `api`'s (its id) `stage` at base path `path` (`""` for the root).
    pub fn mapping(self, api: impl Into<Arg<String>>, stage: &str, path: &str) -> Self {
        self.push(V::mappings, api_domain::mapping_input(api.into(), stage, path))
    }
}

type V = DomainNameValues;

/// The kind behind [`DomainName`].
pub(crate) struct DomainNames;

/// A domain as listed, with its mappings once completed.
pub(crate) struct Item {
    domain: Sdk,
    mappings: Vec<BasePathMapping>,
    region: String,
}

fn arn(region: &str, name: &str) -> String {
    format!("arn:aws:apigateway:{region}::/domainnames/{name}")
}

fn sdk_parts(m: &BasePathMapping) -> Mapping {
    let path = m.base_path().filter(|p| *p != ROOT).unwrap_or_default();
    (m.rest_api_id().unwrap_or_default().to_string(), m.stage().unwrap_or_default().to_string(), path.to_string())
}

async fn mappings_of(aws: &Aws, region: &str, name: &str) -> Result<Vec<BasePathMapping>, ProviderError> {
    let c = client(aws, region);
    Ok(all_items!(c.get_base_path_mappings().domain_name(name), "GetBasePathMappings"))
}

async fn sync_mappings(aws: &Aws, region: &str, name: &str, want: &[Value]) -> Result<(), ProviderError> {
    let c = client(aws, region);
    let have = mappings_of(aws, region, name).await?;
    let (delete, create) = api_domain::changes(&have, sdk_parts, want);
    for m in delete {
        let path = m.base_path().unwrap_or(ROOT);
        strata_aws::unless_gone(c.delete_base_path_mapping().domain_name(name).base_path(path).send().await.map_err(err("DeleteBasePathMapping")))?;
    }
    for (api, stage, path) in create {
        let call = c.create_base_path_mapping().domain_name(name).rest_api_id(api).stage(stage).set_base_path((!path.is_empty()).then_some(path));
        call.send().await.map_err(err("CreateBasePathMapping"))?;
    }
    Ok(())
}

#[async_trait]
impl Kind for DomainNames {
    type Builder = DomainName;
    type Item = Item;
    type Tags = RestTags;

    const IDENTITY: Option<&'static str> = Some(V::domain);

    fn id(item: &Item) -> Option<&str> {
        item.domain.domain_name()
    }

    fn tag_target(item: &Item) -> Option<String> {
        item.domain.domain_name().map(|n| arn(&item.region, n))
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(tags_of(item.domain.tags()))
    }

    fn observe(item: &Item) -> Seen<DomainName> {
        let d = &item.domain;
        let mappings = api_domain::observed(item.mappings.iter().map(sdk_parts));
        Seen {
            values: V {
                domain: d.domain_name().map(str::to_string),
                certificate_arn: d.regional_certificate_arn().map(str::to_string),
                mappings: Some(mappings),
                ..V::default()
            },
            outputs: DomainNameOutputs {
                target_domain_name: d.regional_domain_name().map(str::to_string),
                hosted_zone_id: d.regional_hosted_zone_id().map(str::to_string),
            },
            refs: Vec::new(),
        }
    }

    async fn complete(&self, aws: &Aws, region: &str, mut item: Item) -> Result<Item, ProviderError> {
        if let Some(name) = item.domain.domain_name().map(str::to_string) {
            item.mappings = mappings_of(aws, region, &name).await?;
        }
        Ok(item)
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // GetDomainNames answers every domain with its tags.
        let c = client(aws, &scope.region);
        let domains: Vec<Sdk> = all_items!(c.get_domain_names(), "GetDomainNames");
        Ok(domains.into_iter().map(|domain| Item { domain, mappings: Vec::new(), region: scope.region.clone() }).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = strata_aws::found(client(aws, region).get_domain_name().domain_name(id).send().await.map_err(err("GetDomainName")))?;
        Ok(out.map(|o| {
            let domain = Sdk::builder()
                .set_domain_name(o.domain_name().map(str::to_string))
                .set_regional_certificate_arn(o.regional_certificate_arn().map(str::to_string))
                .set_regional_domain_name(o.regional_domain_name().map(str::to_string))
                .set_regional_hosted_zone_id(o.regional_hosted_zone_id().map(str::to_string))
                .set_tags(o.tags().cloned())
                .build();
            Item { domain, mappings: Vec::new(), region: region.to_string() }
        }))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, DomainName>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.domain.clone().ok_or_else(|| strata_aws::lacks("CreateDomainName", "domain", &cx.name))?;
        let certificate = v.certificate_arn.clone().ok_or_else(|| strata_aws::lacks("CreateDomainName", "certificate_arn", &cx.name))?;
        client(aws, &cx.region)
            .create_domain_name()
            .domain_name(&name)
            .regional_certificate_arn(certificate)
            .endpoint_configuration(EndpointConfiguration::builder().types(EndpointType::Regional).build())
            .security_policy(SecurityPolicy::Tls12)
            .set_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateDomainName"))?;
        sync_mappings(aws, &cx.region, &name, v.mappings.as_deref().unwrap_or_default()).await?;
        Ok(Created::Id(name))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, DomainName>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        if let (Some(_), Some(certificate)) = (diff.changed(V::certificate_arn), &v.certificate_arn) {
            let op = PatchOperation::builder().op(PatchOp::Replace).path("/regionalCertificateArn").value(certificate).build();
            let call = client(aws, &cx.region).update_domain_name().domain_name(&actual.id).patch_operations(op);
            call.send().await.map_err(err("UpdateDomainName"))?;
        }
        if diff.changed(V::mappings).is_some() {
            sync_mappings(aws, &cx.region, &actual.id, v.mappings.as_deref().unwrap_or_default()).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // The mappings go with the domain.
        client(aws, &cx.region).delete_domain_name().domain_name(&actual.id).send().await.map(|_| ()).map_err(err("DeleteDomainName"))
    }

    fn normalize(props: &mut Props) {
        api_domain::normalize(props);
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        api_domain::validate(decl, &[ROOT], out);
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(30),
            _ => Duration::from_secs(5),
        }
    }
}
