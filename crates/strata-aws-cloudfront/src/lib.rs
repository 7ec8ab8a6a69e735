//! CloudFront: `aws:cloudfront:Distribution`.
//!
//! - Origins: a custom origin (a load balancer, HTTPS only) with custom
//!   headers (a secret header the ALB checks: shown as `(secret)`), and S3
//!   origins behind an origin access control the distribution creates.
//! - The default behaviour forwards everything with caching off (AWS's managed
//!   `CachingDisabled` and `AllViewer` policies); ordered behaviours cache
//!   paths such as `/media/*` with `CachingOptimized`.
//! - Aliases with an ACM certificate (us-east-1), a CLOUDFRONT-scope web ACL,
//!   a price class, HTTP/2 and HTTP/3, IPv6.
//! - Created with its tags in one call (`CreateDistributionWithTags`) and a
//!   caller reference derived from stack, resource and desired state, so a
//!   retried create returns the same distribution. Found again by its tags.
//! - Delete is AWS's sequence: disable, wait until `Deployed`, delete with
//!   the latest ETag; then the origin access controls go.
//! - moto does not round-trip the price class or which origins are S3
//!   origins; those settings are compared through a hash kept in the
//!   `strata:config-hash` tag (a change made outside strata to them is not
//!   seen as drift; the other settings are compared field by field).

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_cloudfront, "cloudfront");

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomErrorResponse, CustomErrorResponses, CustomHeaders,
    CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, HttpVersion, Method, MinimumProtocolVersion, Origin, OriginAccessControlConfig,
    OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols, OriginCustomHeader,
    OriginProtocolPolicy, Origins, PriceClass, S3OriginConfig, SslProtocol, SslSupportMethod, OriginSslProtocols, Tag, Tags as CfTags,
    ViewerCertificate, ViewerProtocolPolicy,
};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::props::{str_of, strs};
use strata_aws::Aws;

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(DistributionProvider { aws: aws.clone() }));
}

/// The tag holding a hash of the settings emulators do not round-trip
/// (price class, which origins are S3 origins): compared through the tag.
pub const CONFIG_TAG: &str = strata_core::tags::CONFIG_HASH;

/// AWS managed policies.
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
pub const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";

/// A CloudFront distribution.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_cloudfront::Distribution;
/// use strata_aws_secretsmanager::Secret;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let header = stack.add("origin-header", Secret::generated(32));
/// let cdn = stack.add(
///     "cdn",
///     Distribution::new("alb", "shop-alb-123.eu-central-1.elb.amazonaws.com")
///         .origin_header("alb", "X-Origin-Verify", header.value())
///         .cached_path("/media/*", "alb")
///         .cached_path("/static/*", "alb"),
/// );
/// let _ = (cdn.domain_name(), cdn.distribution_id());
/// ```
#[derive(Clone, Debug)]
pub struct Distribution {
    comment: String,
    origins: Vec<(String, Input, bool, BTreeMap<String, Input>)>,
    default_origin: String,
    /// The default behaviour is a single-page app from S3: cached, with
    /// `index.html` at the root and for every path S3 does not have.
    spa: bool,
    cached: Vec<(String, String)>,
    aliases: Vec<String>,
    certificate: Option<Input>,
    web_acl: Option<Input>,
    price_class: String,
    enabled: bool,
    tags: BTreeMap<String, Input>,
}

impl Distribution {
    /// A distribution whose default behaviour forwards everything, uncached,
    /// to a custom origin (`origin_id`, reached over HTTPS at `domain`).
    pub fn new(origin_id: &str, domain: impl Into<Arg<String>>) -> Self {
        Distribution {
            comment: "Managed by strata".into(),
            origins: vec![(origin_id.into(), domain.into().into_input(), false, BTreeMap::new())],
            default_origin: origin_id.into(),
            spa: false,
            cached: Vec::new(),
            aliases: Vec::new(),
            certificate: None,
            web_acl: None,
            price_class: "PriceClass_100".into(),
            enabled: true,
            tags: BTreeMap::new(),
        }
    }
    /// A distribution of a single-page app from an S3 bucket (its regional
    /// domain name, read through an origin access control): the default
    /// behaviour is cached, `/` serves `index.html`, and a path the bucket
    /// lacks (403 or 404 from S3) answers `index.html` with 200, so that the
    /// app's own router handles it.
    pub fn spa(origin_id: &str, bucket_regional_domain: impl Into<Arg<String>>) -> Self {
        let mut d = Self::new(origin_id, bucket_regional_domain);
        if let Some(o) = d.origins.first_mut() {
            o.2 = true;
        }
        d.spa = true;
        d
    }
    /// A header CloudFront adds to requests to `origin_id` (a secret output is
    /// printed as `(secret)`).
    /// A header CloudFront adds to every request to origin `origin_id`; the
    /// value is kept secret (origin headers prove that a request came through
    /// CloudFront).
    pub fn origin_header(mut self, origin_id: &str, name: &str, value: impl Into<Input>) -> Self {
        if let Some(o) = self.origins.iter_mut().find(|o| o.0 == origin_id) {
            o.3.insert(name.into(), value.into().into_secret());
        }
        self
    }
    /// An S3 origin (the bucket's regional domain name), read through an
    /// origin access control.
    pub fn s3_origin(mut self, origin_id: &str, bucket_regional_domain: impl Into<Arg<String>>) -> Self {
        self.origins.push((origin_id.into(), bucket_regional_domain.into().into_input(), true, BTreeMap::new()));
        self
    }
    /// Cache `path` (`/media/*`) from `origin_id`.
    pub fn cached_path(mut self, path: &str, origin_id: &str) -> Self {
        self.cached.push((path.into(), origin_id.into()));
        self
    }
    /// Serve these names (needs [`certificate`](Self::certificate)).
    pub fn alias(mut self, name: &str) -> Self {
        self.aliases.push(name.into());
        self
    }
    /// An ACM certificate ARN in us-east-1.
    pub fn certificate(mut self, arn: impl Into<Arg<String>>) -> Self {
        self.certificate = Some(arn.into().into_input());
        self
    }
    /// A CLOUDFRONT-scope WAF web ACL (its ARN).
    pub fn web_acl(mut self, arn: impl Into<Arg<String>>) -> Self {
        self.web_acl = Some(arn.into().into_input());
        self
    }
    /// `PriceClass_100` (default), `PriceClass_200` or `PriceClass_All`.
    pub fn price_class(mut self, p: &str) -> Self {
        self.price_class = p.into();
        self
    }
    pub fn comment(mut self, c: &str) -> Self {
        self.comment = c.into();
        self
    }
    pub fn enabled(mut self, on: bool) -> Self {
        self.enabled = on;
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`Distribution`].
    DistributionHandle { distribution_id: "id", arn: "arn", domain_name: "domain_name" }
);

impl Resource for Distribution {
    const KIND: &'static str = "aws:cloudfront:Distribution";
    type Handle = DistributionHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let origins = self
            .origins
            .into_iter()
            .map(|(id, domain, s3, headers)| {
                Input::Map(BTreeMap::from([
                    ("id".to_string(), Input::from(id)),
                    ("domain".to_string(), domain),
                    ("s3".to_string(), Input::from(s3)),
                    ("headers".to_string(), Input::Map(headers)),
                ]))
            })
            .collect();
        let cached = self
            .cached
            .into_iter()
            .map(|(p, o)| Input::Map(BTreeMap::from([("path".to_string(), Input::from(p)), ("origin".to_string(), Input::from(o))])))
            .collect();
        let mut aliases = self.aliases;
        aliases.sort();
        BTreeMap::from([
            ("comment".to_string(), Input::from(self.comment)),
            ("origins".to_string(), Input::List(origins)),
            ("default_origin".to_string(), Input::from(self.default_origin)),
            ("spa".to_string(), Input::from(self.spa)),
            ("cached_paths".to_string(), Input::List(cached)),
            ("aliases".to_string(), Input::Known(Value::List(aliases.into_iter().map(Value::Str).collect()))),
            ("certificate_arn".to_string(), self.certificate.unwrap_or(Input::Known(Value::Null))),
            ("web_acl_arn".to_string(), self.web_acl.unwrap_or(Input::Known(Value::Null))),
            ("price_class".to_string(), Input::from(self.price_class)),
            ("enabled".to_string(), Input::from(self.enabled)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct DistributionProvider {
    aws: Aws,
}

/// The origin access control of one S3 origin: `<stack>-<logical>-oac-<origin>`.
fn oac_name(stack: &str, logical: &str, origin: &str) -> String {
    let clean = |s: &str| -> String { s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect() };
    format!("{}-{}-oac-{}", clean(stack), clean(logical), clean(origin)).chars().take(64).collect()
}

/// Hash of the settings compared through [`CONFIG_TAG`].
fn config_hash(desired: &Props) -> String {
    use sha2::{Digest, Sha256};
    let s3: Vec<String> = desired
        .get("origins")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .map(|m| format!("{}={}", m.get("id").and_then(Value::as_str).unwrap_or_default(), m.get("s3").and_then(Value::as_bool).unwrap_or(false)))
        .collect();
    let text = format!("{}|{}", str_of(desired, "price_class").unwrap_or_default(), s3.join(","));
    Sha256::digest(text.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Props without the settings compared through the hash tag.
fn without_lossy(props: &Props) -> Props {
    let mut p = props.clone();
    p.remove("price_class");
    if let Some(Value::List(origins)) = p.get_mut("origins") {
        for o in origins.iter_mut() {
            if let Value::Map(m) = o {
                m.remove("s3");
            }
        }
    }
    p
}

fn build<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, ProviderError> {
    r.map_err(|e| ProviderError::new(ErrorClass::Invalid, "build", e.to_string()))
}

fn all_methods() -> Result<AllowedMethods, ProviderError> {
    let methods = [Method::Get, Method::Head, Method::Options, Method::Put, Method::Post, Method::Patch, Method::Delete];
    let cached = build(CachedMethods::builder().quantity(2).items(Method::Get).items(Method::Head).build())?;
    build(AllowedMethods::builder().quantity(7).set_items(Some(methods.to_vec())).cached_methods(cached).build())
}

fn get_head() -> Result<AllowedMethods, ProviderError> {
    let cached = build(CachedMethods::builder().quantity(2).items(Method::Get).items(Method::Head).build())?;
    build(AllowedMethods::builder().quantity(2).items(Method::Get).items(Method::Head).cached_methods(cached).build())
}

/// The `DistributionConfig` for the desired properties. `oacs` maps S3
/// origin ids to their origin access control ids.
fn config(caller_ref: &str, desired: &Props, oacs: &BTreeMap<String, String>) -> Result<DistributionConfig, ProviderError> {
    let mut origins = Vec::new();
    for o in desired.get("origins").and_then(Value::as_list).unwrap_or_default() {
        let m = o.as_map().cloned().unwrap_or_default();
        let id = m.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        let domain = m.get("domain").and_then(Value::as_str).unwrap_or_default().to_string();
        let headers: Vec<OriginCustomHeader> = m
            .get("headers")
            .and_then(Value::as_map)
            .map(|h| {
                h.iter()
                    .filter_map(|(k, v)| OriginCustomHeader::builder().header_name(k).header_value(v.expose().as_str().unwrap_or_default()).build().ok())
                    .collect()
            })
            .unwrap_or_default();
        let mut b = Origin::builder().id(&id).domain_name(domain);
        if !headers.is_empty() {
            b = b.custom_headers(build(CustomHeaders::builder().quantity(headers.len() as i32).set_items(Some(headers)).build())?);
        }
        if m.get("s3").and_then(Value::as_bool) == Some(true) {
            b = b.s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build());
            b = b.set_origin_access_control_id(oacs.get(&id).cloned());
        } else {
            let tls = build(OriginSslProtocols::builder().quantity(1).items(SslProtocol::TlSv12).build())?;
            b = b.custom_origin_config(build(
                CustomOriginConfig::builder()
                    .http_port(80)
                    .https_port(443)
                    .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                    .origin_ssl_protocols(tls)
                    .build(),
            )?);
        }
        origins.push(build(b.build())?);
    }
    let spa = desired.get("spa").and_then(Value::as_bool) == Some(true);
    let default = DefaultCacheBehavior::builder()
        .target_origin_id(str_of(desired, "default_origin").unwrap_or_default())
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .compress(true);
    let default = if spa {
        default.allowed_methods(get_head()?).cache_policy_id(CACHING_OPTIMIZED)
    } else {
        default.allowed_methods(all_methods()?).cache_policy_id(CACHING_DISABLED).origin_request_policy_id(ALL_VIEWER)
    };
    let default = build(default.build())?;
    // A single-page app's paths are its router's: S3's 403 and 404 answer index.html.
    let errors: Vec<CustomErrorResponse> = if spa {
        [403, 404]
            .into_iter()
            .map(|code| build(CustomErrorResponse::builder().error_code(code).response_code("200").response_page_path("/index.html").error_caching_min_ttl(10).build()))
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let mut behaviors = Vec::new();
    for c in desired.get("cached_paths").and_then(Value::as_list).unwrap_or_default() {
        let m = c.as_map().cloned().unwrap_or_default();
        behaviors.push(build(
            CacheBehavior::builder()
                .path_pattern(m.get("path").and_then(Value::as_str).unwrap_or_default())
                .target_origin_id(m.get("origin").and_then(Value::as_str).unwrap_or_default())
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .allowed_methods(get_head()?)
                .cache_policy_id(CACHING_OPTIMIZED)
                .compress(true)
                .build(),
        )?);
    }
    let aliases = strs(desired, "aliases");
    let cert = match str_of(desired, "certificate_arn") {
        Some(arn) => ViewerCertificate::builder()
            .acm_certificate_arn(arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
            .build(),
        None => ViewerCertificate::builder().cloud_front_default_certificate(true).build(),
    };
    build(
        DistributionConfig::builder()
            .caller_reference(caller_ref)
            .comment(str_of(desired, "comment").unwrap_or_default())
            .enabled(desired.get("enabled").and_then(Value::as_bool).unwrap_or(true))
            .origins(build(Origins::builder().quantity(origins.len() as i32).set_items(Some(origins)).build())?)
            .default_cache_behavior(default)
            .default_root_object(if spa { "index.html" } else { "" })
            .custom_error_responses(build(CustomErrorResponses::builder().quantity(errors.len() as i32).set_items((!errors.is_empty()).then_some(errors)).build())?)
            .cache_behaviors(build(CacheBehaviors::builder().quantity(behaviors.len() as i32).set_items(Some(behaviors)).build())?)
            .aliases(build(Aliases::builder().quantity(aliases.len() as i32).set_items(Some(aliases)).build())?)
            .viewer_certificate(cert)
            .set_web_acl_id(str_of(desired, "web_acl_arn"))
            .price_class(PriceClass::from(str_of(desired, "price_class").unwrap_or_else(|| "PriceClass_100".into()).as_str()))
            .http_version(HttpVersion::Http2and3)
            .is_ipv6_enabled(true)
            .build(),
    )
}

/// Whether a configuration serves a single-page app as [`Distribution::spa`]
/// makes it: a cached default behaviour, `index.html` at the root and for
/// S3's 403 and 404.
fn spa_of(c: &DistributionConfig) -> bool {
    let cached = c.default_cache_behavior().and_then(|d| d.cache_policy_id()) == Some(CACHING_OPTIMIZED);
    let errors = c.custom_error_responses().map(|e| e.items()).unwrap_or_default();
    let falls_back = |code: i32| errors.iter().any(|e| e.error_code() == code && e.response_page_path() == Some("/index.html") && e.response_code() == Some("200"));
    cached && c.default_root_object() == Some("index.html") && falls_back(403) && falls_back(404)
}

/// The desired-shaped properties of a distribution's configuration.
fn props_of(c: &DistributionConfig, tags: &Tags) -> Props {
    let origins: Vec<Value> = c
        .origins()
        .map(|o| o.items())
        .unwrap_or_default()
        .iter()
        .map(|o| {
            let headers: BTreeMap<String, Value> = o
                .custom_headers()
                .map(|h| h.items().iter().map(|h| (h.header_name().to_string(), Value::Secret(Box::new(Value::str(h.header_value()))))).collect())
                .unwrap_or_default();
            Value::Map(BTreeMap::from([
                ("id".to_string(), Value::str(o.id())),
                ("domain".to_string(), Value::str(o.domain_name())),
                ("s3".to_string(), Value::Bool(o.s3_origin_config().is_some())),
                ("headers".to_string(), Value::Map(headers)),
            ]))
        })
        .collect();
    let cached: Vec<Value> = c
        .cache_behaviors()
        .map(|b| b.items())
        .unwrap_or_default()
        .iter()
        .map(|b| {
            Value::Map(BTreeMap::from([
                ("path".to_string(), Value::str(b.path_pattern())),
                ("origin".to_string(), Value::str(b.target_origin_id())),
            ]))
        })
        .collect();
    let mut aliases: Vec<Value> = c.aliases().map(|a| a.items()).unwrap_or_default().iter().map(Value::str).collect();
    aliases.sort();
    let cert = c.viewer_certificate().and_then(|v| v.acm_certificate_arn()).filter(|a| !a.is_empty()).map(Value::str).unwrap_or(Value::Null);
    Props::from([
        ("comment".into(), Value::str(c.comment())),
        ("origins".into(), Value::List(origins)),
        ("default_origin".into(), Value::str(c.default_cache_behavior().map(|d| d.target_origin_id()).unwrap_or_default())),
        ("spa".into(), Value::Bool(spa_of(c))),
        ("cached_paths".into(), Value::List(cached)),
        ("aliases".into(), Value::List(aliases)),
        ("certificate_arn".into(), cert),
        ("web_acl_arn".into(), c.web_acl_id().filter(|w| !w.is_empty()).map(Value::str).unwrap_or(Value::Null)),
        ("price_class".into(), Value::str(c.price_class().map(|p| p.as_str()).unwrap_or("PriceClass_All"))),
        ("enabled".into(), Value::Bool(c.enabled())),
        ("tags".into(), Value::from_tags(tags)),
    ])
}

impl DistributionProvider {
    async fn tags_of(&self, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let out = crate::client(&self.aws, region).list_tags_for_resource().resource(arn).send().await.map_err(err("ListTagsForResource"));
    // Deleted since it was listed: no tags, so not this stack's.
    let Some(out) = strata_aws::unless_gone(out)? else { return Ok(Tags::new()) };
        Ok(out.tags().map(|t| t.items()).unwrap_or_default().iter().map(|t| (t.key().to_string(), t.value().unwrap_or_default().to_string())).collect())
    }

    async fn observe(&self, region: &str, id: &str, tags: Tags) -> Result<Option<Observed>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let out = match c.get_distribution().id(id).send().await {
            Ok(o) => o,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("GetDistribution", e)),
        };
        let Some(d) = out.distribution() else { return Ok(None) };
        let Some(cfg) = d.distribution_config() else { return Ok(None) };
        let mut o = Observed::new(Distribution::KIND, d.id(), region);
        o.props = props_of(cfg, &tags);
        o.outputs = Props::from([
            ("id".into(), Value::str(d.id())),
            ("arn".into(), Value::str(d.arn())),
            ("domain_name".into(), Value::str(d.domain_name())),
        ]);
        Ok(Some(o))
    }

    async fn wait_deployed(&self, cx: &OpContext, id: &str) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        wait_until(&format!("distribution {id} to be Deployed"), cx.timeout, cx.poll, || async {
            let d = c.get_distribution().id(id).send().await.map_err(err("GetDistribution"))?;
            Ok((d.distribution().map(|d| d.status()) == Some("Deployed")).then_some(()))
        })
        .await
    }

    /// Origin access controls for the S3 origins, created (or found by name).
    async fn ensure_oacs(&self, cx: &OpContext, desired: &Props) -> Result<BTreeMap<String, String>, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let mut out = BTreeMap::new();
        for o in desired.get("origins").and_then(Value::as_list).unwrap_or_default() {
            let m = o.as_map().cloned().unwrap_or_default();
            if m.get("s3").and_then(Value::as_bool) != Some(true) {
                continue;
            }
            let origin = m.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            let name = oac_name(&cx.stack, &cx.name, &origin);
            let cfg = build(
                OriginAccessControlConfig::builder()
                    .name(&name)
                    .description("Managed by strata")
                    .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
                    .signing_behavior(OriginAccessControlSigningBehaviors::Always)
                    .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
                    .build(),
            )?;
            let id = match c.create_origin_access_control().origin_access_control_config(cfg).send().await.map_err(err("CreateOriginAccessControl")) {
                Ok(r) => r.origin_access_control().map(|o| o.id().to_string()).unwrap_or_default(),
                // From a run that stopped after creating it: reuse it.
                Err(e) if e.code.as_deref() == Some("OriginAccessControlAlreadyExists") => {
                    let list = c.list_origin_access_controls().send().await.map_err(err("ListOriginAccessControls"))?;
                    list.origin_access_control_list()
                        .map(|l| l.items())
                        .unwrap_or_default()
                        .iter()
                        .find(|o| o.name() == name)
                        .map(|o| o.id().to_string())
                        .ok_or(e)?
                }
                Err(e) => return Err(e),
            };
            out.insert(origin, id);
        }
        Ok(out)
    }
}

#[async_trait]
impl Provider for DistributionProvider {
    fn kind(&self) -> &'static str {
        Distribution::KIND
    }

    fn validate(&self, decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut problem = |f: &str, m: String| out.push(Diagnostic::field(&decl.name, f, m));
        let aliases = decl.known("aliases").and_then(|v| v.as_list().map(<[Value]>::to_vec)).unwrap_or_default();
        let has_cert = !matches!(decl.inputs.get("certificate_arn"), None | Some(Input::Known(Value::Null)));
        if !aliases.is_empty() && !has_cert {
            problem("certificate_arn", "aliases need an ACM certificate (in us-east-1) that covers them".into());
        }
        // The certificate must be in us-east-1.
        if let Some(Input::Output(o)) = decl.inputs.get("certificate_arn") {
            if let Some(cert) = o.source().and_then(|(id, _)| stack.resource(id)) {
                let region = stack.region_of(cert);
                if region != "us-east-1" {
                    problem("certificate_arn", format!("CloudFront needs its certificate in us-east-1; {} is in {region}", cert.name));
                }
            }
        }
        if let Some(Input::Output(o)) = decl.inputs.get("web_acl_arn") {
            if let Some(acl) = o.source().and_then(|(id, _)| stack.resource(id)) {
                // A looked-up ACL (another stack's) shows its scope only by its region.
                let scope = if acl.is_lookup() {
                    (stack.region_of(acl) == "us-east-1").then(|| "CLOUDFRONT".to_string())
                } else {
                    acl.known("scope").and_then(|v| v.as_str().map(str::to_string))
                };
                if scope.as_deref() != Some("CLOUDFRONT") {
                    problem("web_acl_arn", format!("{} is a REGIONAL web ACL; a distribution needs WafScope::CloudFront", acl.name));
                }
            }
        }
        let origins: Vec<String> = match decl.inputs.get("origins") {
            Some(Input::List(l)) => l
                .iter()
                .filter_map(|o| match o {
                    Input::Map(m) => m.get("id").and_then(Input::known).and_then(|v| v.as_str().map(str::to_string)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        if let Some(Input::List(cached)) = decl.inputs.get("cached_paths") {
            for c in cached {
                let Input::Map(m) = c else { continue };
                let get = |k: &str| m.get(k).and_then(Input::known).and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                if !origins.contains(&get("origin")) {
                    problem("cached_paths", format!("{}: no origin named {:?}", get("path"), get("origin")));
                }
                if !get("path").starts_with('/') {
                    problem("cached_paths", format!("{:?} must start with /", get("path")));
                }
            }
        }
        if let Some(p) = decl.known("price_class").and_then(|v| v.as_str().map(str::to_string)) {
            if !["PriceClass_100", "PriceClass_200", "PriceClass_All"].contains(&p.as_str()) {
                problem("price_class", format!("{p:?} is not PriceClass_100, PriceClass_200 or PriceClass_All"));
            }
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = without_lossy(desired);
        let mut have = without_lossy(&actual.props);
        // The region and hash tags are strata's own bookkeeping.
        let hash = match have.get_mut("tags") {
            Some(Value::Map(t)) => {
                t.remove(strata_aws::REGION_TAG);
                t.remove(CONFIG_TAG)
            }
            _ => None,
        };
        want.insert("settings_hash".into(), Value::Str(config_hash(desired)));
        have.insert("settings_hash".into(), hash.unwrap_or(Value::Null));
        for f in ["certificate_arn", "web_acl_arn"] {
            if want.get(f) == Some(&Value::Null) && actual.props.get(f) == Some(&Value::Null) {
                want.remove(f);
            }
        }
        strata_engine::default_diff(&want, &have, &[])
    }

    fn estimate(&self, op: Op) -> Duration {
        match op {
            Op::Delete => Duration::from_secs(8 * 60),
            _ => Duration::from_secs(4 * 60),
        }
    }

    fn default_timeout(&self, _op: Op) -> Duration {
        Duration::from_secs(90 * 60)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        // CloudFront is global: one list (and tag read per distribution) per
        // discovery pass, shared by every region of the stack.
        let key = format!("cloudfront:stack-distributions:{}", scope.stack);
        let ours = self
            .aws
            .shared_lists()
            .get(scope, key, || async {
                let c = crate::client(&self.aws, &scope.region);
                let mut ours = Vec::new();
                let mut marker: Option<String> = None;
                loop {
                    let page = c.list_distributions().set_marker(marker.take()).send().await.map_err(err("ListDistributions"))?;
                    let Some(list) = page.distribution_list() else { break };
                    for d in list.items() {
                        let t = self.tags_of(&scope.region, d.arn()).await?;
                        if t.get(tags::STACK) == Some(&scope.stack) {
                            ours.push((d.id().to_string(), t));
                        }
                    }
                    match list.next_marker() {
                        Some(m) if list.is_truncated() => marker = Some(m.to_string()),
                        _ => break,
                    }
                }
                Ok(ours)
            })
            .await?;
        let mut out = Vec::new();
        for (id, t) in ours.iter() {
            // The stack region that made it reports it.
            if t.get(strata_aws::REGION_TAG).is_none_or(|r| *r == scope.region) {
                out.extend(self.observe(&scope.region, id, t.clone()).await?);
            }
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let arn = match c.get_distribution().id(id).send().await {
            Ok(d) => d.distribution().map(|d| d.arn().to_string()).unwrap_or_default(),
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("GetDistribution", e)),
        };
        let t = self.tags_of(region, &arn).await?;
        self.observe(region, id, t).await
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let oacs = self.ensure_oacs(cx, desired).await?;
        let caller_ref = format!("strata-{}", cx.idempotency_token);
        let mut t = strata_aws::desired_tags(desired);
        t.insert(strata_aws::REGION_TAG.into(), cx.region.clone());
        t.insert(CONFIG_TAG.into(), config_hash(desired));
        let tags = CfTags::builder().set_items(Some(t.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect())).build();
        let with_tags = aws_sdk_cloudfront::types::DistributionConfigWithTags::builder().distribution_config(config(&caller_ref, desired, &oacs)?).tags(tags).build();
        let out = c.create_distribution_with_tags().distribution_config_with_tags(with_tags).send().await.map_err(err("CreateDistributionWithTags"))?;
        let id = out.distribution().map(|d| d.id().to_string()).ok_or_else(|| strata_aws::lacks("CreateDistributionWithTags", "Distribution.Id", &cx.name))?;
        self.wait_deployed(cx, &id).await?;
        self.observe(&cx.region, &id, strata_aws::desired_tags(desired))
            .await?
            .ok_or_else(|| ProviderError::new(ErrorClass::NotFoundYet, "GetDistribution", format!("{id} not visible yet")))
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() || diff.changed("settings_hash").is_some() {
            let mut want = strata_aws::desired_tags(desired);
            want.insert(CONFIG_TAG.into(), config_hash(desired));
            let remove: Vec<String> =
                actual.tags().keys().filter(|k| !want.contains_key(*k) && k.as_str() != strata_aws::REGION_TAG).cloned().collect();
            self.set_tags(cx, actual, &want, &remove).await?;
        }
        if diff.changes.iter().any(|ch| ch.field != "tags") {
            let current = c.get_distribution_config().id(&actual.id).send().await.map_err(err("GetDistributionConfig"))?;
            let caller_ref = current.distribution_config().map(|d| d.caller_reference().to_string()).unwrap_or_default();
            let oacs = self.ensure_oacs(cx, desired).await?;
            c.update_distribution()
                .id(&actual.id)
                .if_match(current.e_tag().unwrap_or_default())
                .distribution_config(config(&caller_ref, desired, &oacs)?)
                .send()
                .await
                .map_err(err("UpdateDistribution"))?;
            self.wait_deployed(cx, &actual.id).await?;
        }
        Ok(self.observe(&cx.region, &actual.id, strata_aws::desired_tags(desired)).await?.unwrap_or_else(|| actual.clone()))
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let current = match c.get_distribution_config().id(&actual.id).send().await.map_err(err("GetDistributionConfig")) {
            Ok(o) => o,
            Err(e) => return strata_aws::gone_ok(Err(e)),
        };
        let Some(cfg) = current.distribution_config() else { return Ok(()) };
        // 1. Disable.
        if cfg.enabled() {
            let mut disabled = cfg.clone();
            disabled.enabled = false;
            c.update_distribution()
                .id(&actual.id)
                .if_match(current.e_tag().unwrap_or_default())
                .distribution_config(disabled)
                .send()
                .await
                .map_err(err("UpdateDistribution"))?;
        }
        // 2. Wait until the disabled configuration is deployed everywhere.
        self.wait_deployed(cx, &actual.id).await?;
        // 3. Delete with the ETag of that configuration.
        let latest = c.get_distribution().id(&actual.id).send().await.map_err(err("GetDistribution"))?;
        let r = c.delete_distribution().id(&actual.id).if_match(latest.e_tag().unwrap_or_default()).send().await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteDistribution")))?;
        // 4. Its origin access controls, found by their names.
        let prefix = oac_name(&cx.stack, &cx.name, "");
        let list = c.list_origin_access_controls().send().await.map_err(err("ListOriginAccessControls"))?;
        let ours: Vec<String> = list
            .origin_access_control_list()
            .map(|l| l.items())
            .unwrap_or_default()
            .iter()
            .filter(|o| o.name().starts_with(&prefix))
            .map(|o| o.id().to_string())
            .collect();
        for oac in ours {
            let Ok(got) = c.get_origin_access_control().id(&oac).send().await else { continue };
            let r = c.delete_origin_access_control().id(&oac).if_match(got.e_tag().unwrap_or_default()).send().await;
            strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteOriginAccessControl")))?;
        }
        Ok(())
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let arn = actual.outputs.get("arn").and_then(Value::as_str).unwrap_or_default().to_string();
        if !remove.is_empty() {
            let keys = aws_sdk_cloudfront::types::TagKeys::builder().set_items(Some(remove.to_vec())).build();
            c.untag_resource().resource(&arn).tag_keys(keys).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            let tags = CfTags::builder().set_items(Some(add.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect())).build();
            c.tag_resource().resource(&arn).tags(tags).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
