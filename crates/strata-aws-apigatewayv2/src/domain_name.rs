//! `aws:apigatewayv2:DomainName`: a custom domain for HTTP APIs (a regional
//! endpoint with an ACM certificate of the same region, TLS 1.2) and its API
//! mappings (which API's stage answers at which base path).
//!
//! Mappings carry no tags: they are a field of the domain, read with
//! `GetApiMappings` and brought in line by the domain's update (a changed
//! mapping is deleted, then created). The certificate changes in place
//! (`UpdateDomainName`); the name replaces the domain. Point a Route 53
//! alias at the `target_domain_name` and `hosted_zone_id` outputs.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_apigatewayv2::types::{ApiMapping, DomainName as Sdk, DomainNameConfiguration, EndpointType, SecurityPolicy};
use strata_aws::api_domain::{self, Mapping};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, tags_of, ApiTags};

strata_aws::kind_fields! {
    /// A custom domain of HTTP APIs.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_apigatewayv2::DomainName;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let api = stack.add(
    ///     "api-domain",
    ///     DomainName::new("api.shop.example.com", "arn:aws:acm:eu-central-1:111122223333:certificate/abc").mapping("a1b2c3", "$default", ""),
    /// );
    /// let _ = (api.target_domain_name(), api.hosted_zone_id());
    /// ```
    pub struct DomainName: "aws:apigatewayv2:DomainName";
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
    /// `domain`, served with the certificate `certificate_arn`.
    pub fn new(domain: &str, certificate_arn: impl Into<Arg<String>>) -> Self {
        Self::empty().domain(domain).certificate_arn(certificate_arn)
    }

    /// Serve `api`'s `stage` at base path `path` (`""` for the root).
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
    mappings: Vec<ApiMapping>,
    region: String,
}

fn arn(region: &str, name: &str) -> String {
    format!("arn:aws:apigateway:{region}::/domainnames/{name}")
}

fn key(m: &ApiMapping) -> Mapping {
    (m.api_id().unwrap_or_default().to_string(), m.stage().unwrap_or_default().to_string(), m.api_mapping_key().unwrap_or_default().to_string())
}

async fn mappings_of(aws: &Aws, region: &str, name: &str) -> Result<Vec<ApiMapping>, ProviderError> {
    let c = client(aws, region);
    let (mut out, mut token) = (Vec::new(), None);
    loop {
        let page = c.get_api_mappings().domain_name(name).set_next_token(token).send().await.map_err(err("GetApiMappings"))?;
        out.extend(page.items().iter().cloned());
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}

async fn sync_mappings(aws: &Aws, region: &str, name: &str, want: &[Value]) -> Result<(), ProviderError> {
    let c = client(aws, region);
    let have = mappings_of(aws, region, name).await?;
    let (delete, create) = api_domain::changes(&have, key, want);
    for m in delete {
        if let Some(id) = m.api_mapping_id() {
            strata_aws::unless_gone(c.delete_api_mapping().domain_name(name).api_mapping_id(id).send().await.map_err(err("DeleteApiMapping")))?;
        }
    }
    for (api, stage, path) in create {
        let call = c.create_api_mapping().domain_name(name).api_id(api).stage(stage).set_api_mapping_key((!path.is_empty()).then_some(path));
        call.send().await.map_err(err("CreateApiMapping"))?;
    }
    Ok(())
}

fn configuration(certificate: &str) -> DomainNameConfiguration {
    DomainNameConfiguration::builder().certificate_arn(certificate).endpoint_type(EndpointType::Regional).security_policy(SecurityPolicy::Tls12).build()
}

#[async_trait]
impl Kind for DomainNames {
    type Builder = DomainName;
    type Item = Item;
    type Tags = ApiTags;

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
        let config = d.domain_name_configurations().first();
        let mappings = api_domain::observed(item.mappings.iter().map(key));
        Seen {
            values: V {
                domain: d.domain_name().map(str::to_string),
                certificate_arn: config.and_then(DomainNameConfiguration::certificate_arn).map(str::to_string),
                mappings: Some(mappings),
                ..V::default()
            },
            outputs: DomainNameOutputs {
                target_domain_name: config.and_then(DomainNameConfiguration::api_gateway_domain_name).map(str::to_string),
                hosted_zone_id: config.and_then(DomainNameConfiguration::hosted_zone_id).map(str::to_string),
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
        let (mut out, mut token) = (Vec::new(), None);
        loop {
            let page = c.get_domain_names().set_next_token(token).send().await.map_err(err("GetDomainNames"))?;
            out.extend(page.items().iter().cloned().map(|domain| Item { domain, mappings: Vec::new(), region: scope.region.clone() }));
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = strata_aws::found(client(aws, region).get_domain_name().domain_name(id).send().await.map_err(err("GetDomainName")))?;
        Ok(out.map(|o| {
            let domain = Sdk::builder()
                .set_domain_name(o.domain_name().map(str::to_string))
                .set_domain_name_configurations(Some(o.domain_name_configurations().to_vec()))
                .set_tags(o.tags().cloned())
                .build();
            Item { domain, mappings: Vec::new(), region: region.to_string() }
        }))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, DomainName>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.domain.clone().ok_or_else(|| strata_aws::lacks("CreateDomainName", "domain", &cx.name))?;
        client(aws, &cx.region)
            .create_domain_name()
            .domain_name(&name)
            .domain_name_configurations(configuration(v.certificate_arn.as_deref().unwrap_or_default()))
            .set_tags(Some(crate::sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateDomainName"))?;
        sync_mappings(aws, &cx.region, &name, v.mappings.as_deref().unwrap_or_default()).await?;
        Ok(Created::Id(name))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, DomainName>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        if diff.changed(V::certificate_arn).is_some() {
            let call = client(aws, &cx.region).update_domain_name().domain_name(&actual.id).domain_name_configurations(configuration(v.certificate_arn.as_deref().unwrap_or_default()));
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
        api_domain::validate(decl, &[], out);
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(30),
            _ => Duration::from_secs(5),
        }
    }
}
