//! ACM: `aws:acm:Certificate`, a DNS-validated certificate request.
//!
//! The validation records are outputs, so that a Route53 record can consume
//! them. Waiting for issuance is optional ([`Certificate::wait_for_issuance`]),
//! with a timeout message that says what is missing. CloudFront needs its
//! certificate in us-east-1: give the resource `ResourceOptions::region`.
//! ACM's list call cannot filter by tag and ACM has no batched tag read, so
//! discovery reads tags per certificate in the region. The Resource Groups
//! Tagging API would batch it, but LocalStack's does not return certificates:
//! a discovery that silently misses resources would create duplicates, so
//! correctness wins here until a reliable batched source exists.

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_acm, "acm");

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_acm::types::{CertificateStatus, Tag, ValidationMethod};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::Aws;

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(CertificateProvider { aws: aws.clone() }));
    r.register(Arc::new(ValidationProvider { aws: aws.clone() }));
}

/// The tag a [`CertificateValidation`] leaves on its certificate once issued:
/// its own logical name. It is the validation's state, and it is not part of
/// the certificate's tags as far as the certificate is concerned.
pub const VALIDATION_TAG: &str = strata_core::tags::VALIDATION;

/// A DNS-validated certificate.
///
/// ```
/// use strata_core::{ResourceOptions, Stack};
/// use strata_aws_acm::Certificate;
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let cert = stack.add_with(
///     "cdn-cert",
///     Certificate::dns(["www.miamo.com", "miamo.com"]),
///     ResourceOptions::new().region("us-east-1"),
/// );
/// let (_arn, _name, _value) = (cert.arn(), cert.validation_record_name(), cert.validation_record_value());
/// ```
#[derive(Clone, Debug)]
pub struct Certificate {
    domains: Vec<String>,
    wait: bool,
    tags: BTreeMap<String, Input>,
}

impl Certificate {
    /// The first domain is the certificate's name; the others are alternative names.
    pub fn dns<I: IntoIterator<Item = S>, S: Into<String>>(domains: I) -> Self {
        Certificate { domains: domains.into_iter().map(Into::into).collect(), wait: false, tags: BTreeMap::new() }
    }
    /// Wait until the certificate is issued (needs the DNS validation records in place).
    pub fn wait_for_issuance(mut self) -> Self {
        self.wait = true;
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

impl CertificateHandle {
    /// The name of the DNS validation record for `domain` (one of the
    /// certificate's names), for a Route 53 [`Record`](https://docs.rs/strata-aws-route53).
    pub fn validation_record_name_for(&self, domain: &str) -> strata_core::Output<String> {
        self.0.output(&format!("validation_record_name:{domain}"))
    }
    /// The value (a CNAME target) of the validation record for `domain`.
    pub fn validation_record_value_for(&self, domain: &str) -> strata_core::Output<String> {
        self.0.output(&format!("validation_record_value:{domain}"))
    }
}

strata_aws::handle!(
    /// Outputs of a [`Certificate`].
    CertificateHandle {
        arn: "arn",
        id: "id",
        status: "status",
        validation_record_name: "validation_record_name",
        validation_record_type: "validation_record_type",
        validation_record_value: "validation_record_value",
    }
);

impl Resource for Certificate {
    const KIND: &'static str = "aws:acm:Certificate";
    type Handle = CertificateHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let mut domains = self.domains.into_iter();
        let first = domains.next();
        let mut sans: Vec<String> = domains.collect();
        sans.sort();
        BTreeMap::from([
            ("domain_name".to_string(), Input::from(first)),
            ("subject_alternative_names".to_string(), Input::from(sans)),
            ("wait_for_issuance".to_string(), Input::from(self.wait)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct CertificateProvider {
    aws: Aws,
}

fn valid_domain(d: &str) -> bool {
    let d = d.strip_prefix("*.").unwrap_or(d);
    !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

impl CertificateProvider {
    async fn observe(&self, region: &str, arn: &str, tags: Tags) -> Result<Option<Observed>, ProviderError> {
        let d = match crate::client(&self.aws, region).describe_certificate().certificate_arn(arn).send().await {
            Ok(d) => d,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeCertificate", e)),
        };
        let Some(c) = d.certificate() else { return Ok(None) };
        let domain = c.domain_name().unwrap_or_default().to_string();
        let mut sans: Vec<Value> =
            c.subject_alternative_names().iter().filter(|s| **s != domain).map(|s| Value::str(s.as_str())).collect();
        sans.sort();
        let mut records = Vec::new();
        for v in c.domain_validation_options() {
            if let Some(r) = v.resource_record() {
                records.push(Value::Map(BTreeMap::from([
                    ("domain".to_string(), Value::str(v.domain_name())),
                    ("name".to_string(), Value::str(r.name())),
                    ("type".to_string(), Value::str(r.r#type().as_str())),
                    ("value".to_string(), Value::str(r.value())),
                ])));
            }
        }
        let first = records.first().and_then(Value::as_map).cloned().unwrap_or_default();
        let mut o = Observed::new(Certificate::KIND, arn, region);
        o.props = Props::from([
            ("domain_name".into(), Value::Str(domain)),
            ("subject_alternative_names".into(), Value::List(sans)),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        o.outputs = Props::from([
            ("arn".into(), Value::str(arn)),
            ("id".into(), Value::str(arn)),
            ("status".into(), Value::str(c.status().map(|s| s.as_str()).unwrap_or_default())),
            ("validation_records".into(), Value::List(records.clone())),
        ]);
        for (k, f) in [("validation_record_name", "name"), ("validation_record_type", "type"), ("validation_record_value", "value")] {
            o.outputs.insert(k.into(), first.get(f).cloned().unwrap_or(Value::str("")));
        }
        for r in records.iter().filter_map(Value::as_map) {
            let domain = r.get("domain").and_then(Value::as_str).unwrap_or_default().to_string();
            for f in ["name", "value"] {
                o.outputs.insert(format!("validation_record_{f}:{domain}"), r.get(f).cloned().unwrap_or(Value::str("")));
            }
        }
        o.outputs.insert("issued".into(), Value::Bool(c.status() == Some(&CertificateStatus::Issued)));
        Ok(Some(o))
    }

    async fn tags(&self, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let mut t = raw_tags(&self.aws, region, arn).await?;
        t.remove(VALIDATION_TAG);
        Ok(t)
    }
}

/// Every certificate of the region (one paginated call).
async fn certificate_arns(aws: &Aws, region: &str) -> Result<Vec<String>, ProviderError> {
    let pages = crate::client(aws, region).list_certificates().into_paginator().items().send();
    let list = strata_aws::error::all_pages(pages, "ListCertificates").await?;
    Ok(list.iter().filter_map(|c| c.certificate_arn().map(str::to_string)).collect())
}

/// The stack's certificates in the scope's region with every tag (the
/// validation's included): one list and a tag read per certificate, once per
/// discovery pass, shared by the certificate and validation kinds.
async fn stack_certificates(aws: &Aws, scope: &DiscoverScope) -> Result<Arc<Vec<(String, Tags)>>, ProviderError> {
    let key = format!("acm:stack-certificates:{}:{}", scope.region, scope.stack);
    aws.shared_lists()
        .get(scope, key, || async {
            let mut out = Vec::new();
            for arn in certificate_arns(aws, &scope.region).await? {
                // A certificate deleted between the list and this read is gone.
                let t = match raw_tags(aws, &scope.region, &arn).await {
                    Ok(t) => t,
                    Err(e) if e.class == ErrorClass::NotFound => continue,
                    Err(e) => return Err(e),
                };
                if t.get(tags::STACK) == Some(&scope.stack) {
                    out.push((arn, t));
                }
            }
            Ok(out)
        })
        .await
}

/// Every tag of a certificate, the validation's included.
async fn raw_tags(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
    let t = crate::client(aws, region).list_tags_for_certificate().certificate_arn(arn).send().await.map_err(err("ListTagsForCertificate"))?;
    Ok(t.tags().iter().map(|t| (t.key().to_string(), t.value().unwrap_or_default().to_string())).collect())
}

#[async_trait]
impl Provider for CertificateProvider {
    fn kind(&self) -> &'static str {
        Certificate::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["domain_name", "subject_alternative_names"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        match decl.known("domain_name") {
            Some(Value::Str(d)) if valid_domain(&d) => {}
            Some(Value::Str(d)) => out.push(Diagnostic::field(&decl.name, "domain_name", format!("{d:?} is not a domain name"))),
            _ => out.push(Diagnostic::field(&decl.name, "domain_name", "a certificate needs at least one domain")),
        }
        if let Some(Value::List(sans)) = decl.known("subject_alternative_names") {
            for s in sans.iter().filter_map(Value::as_str) {
                if !valid_domain(s) {
                    out.push(Diagnostic::field(&decl.name, "subject_alternative_names", format!("{s:?} is not a domain name")));
                }
            }
            if sans.len() > 99 {
                out.push(Diagnostic::field(&decl.name, "subject_alternative_names", "ACM allows at most 100 names"));
            }
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        want.remove("wait_for_issuance");
        strata_engine::default_diff(&want, &actual.props, self.replace_fields())
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(30)
    }

    fn default_timeout(&self, _op: Op) -> Duration {
        Duration::from_secs(45 * 60)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let mut out = Vec::new();
        for (arn, t) in stack_certificates(&self.aws, scope).await?.iter() {
            let mut t = t.clone();
            t.remove(VALIDATION_TAG);
            out.extend(self.observe(&scope.region, arn, t).await?);
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let t = match self.tags(region, id).await {
            Ok(t) => t,
            Err(e) => return strata_aws::not_found_none(e),
        };
        self.observe(region, id, t).await
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let domain = desired.get("domain_name").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let sans: Vec<String> = desired
            .get("subject_alternative_names")
            .and_then(Value::as_list)
            .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let tags: Vec<Tag> = strata_aws::desired_tags(desired)
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        // ACM's token: at most 32 word characters.
        let token: String = cx.idempotency_token.chars().filter(|c| c.is_ascii_alphanumeric()).take(32).collect();
        let mut all = vec![domain.clone()];
        all.extend(sans.iter().cloned());
        let out = c
            .request_certificate()
            .domain_name(&domain)
            .validation_method(ValidationMethod::Dns)
            .set_subject_alternative_names((!sans.is_empty()).then_some(all))
            .idempotency_token(token)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(err("RequestCertificate"))?;
        let arn = out.certificate_arn().ok_or_else(|| strata_aws::lacks("RequestCertificate", "CertificateArn", &cx.name))?.to_string();
        // The validation records appear a few seconds after the request.
        let what = format!("the DNS validation records of certificate {arn}");
        let mut o = wait_until(&what, Duration::from_secs(120).min(cx.timeout), cx.poll, || async {
            let o = self.observe(&cx.region, &arn, strata_aws::desired_tags(desired)).await?;
            Ok(o.filter(|o| o.outputs.get("validation_records").and_then(Value::as_list).is_some_and(|l| !l.is_empty())))
        })
        .await?;
        if desired.get("wait_for_issuance").and_then(Value::as_bool) == Some(true) {
            let what = format!(
                "certificate {arn} to be issued (create the DNS validation record {} -> {})",
                o.outputs.get("validation_record_name").map(ToString::to_string).unwrap_or_default(),
                o.outputs.get("validation_record_value").map(ToString::to_string).unwrap_or_default()
            );
            o = wait_until(&what, cx.timeout, cx.poll, || async {
                let d = c.describe_certificate().certificate_arn(&arn).send().await.map_err(err("DescribeCertificate"))?;
                match d.certificate().and_then(|c| c.status()) {
                    Some(CertificateStatus::Issued) => Ok(self.observe(&cx.region, &arn, strata_aws::desired_tags(desired)).await?),
                    Some(CertificateStatus::Failed | CertificateStatus::ValidationTimedOut) => Err(ProviderError::new(
                        ErrorClass::Fatal,
                        "RequestCertificate",
                        format!("certificate {arn} failed validation"),
                    )),
                    _ => Ok(None),
                }
            })
            .await?;
        }
        o.props = desired.clone();
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, _diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let want = strata_aws::desired_tags(desired);
        let have = actual.tags();
        let add: Vec<Tag> = want
            .iter()
            .filter(|(k, v)| have.get(*k) != Some(*v))
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        let remove: Vec<Tag> = have
            .iter()
            .filter(|(k, _)| !want.contains_key(*k) && !k.starts_with("aws:"))
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        if !add.is_empty() {
            c.add_tags_to_certificate().certificate_arn(&actual.id).set_tags(Some(add)).send().await.map_err(err("AddTagsToCertificate"))?;
        }
        if !remove.is_empty() {
            c.remove_tags_from_certificate()
                .certificate_arn(&actual.id)
                .set_tags(Some(remove))
                .send()
                .await
                .map_err(err("RemoveTagsFromCertificate"))?;
        }
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_certificate().certificate_arn(&actual.id).send().await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteCertificate")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let add: Vec<Tag> = add.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
        let have = actual.tags();
        let remove: Vec<Tag> = remove
            .iter()
            .filter_map(|k| Tag::builder().key(k).set_value(have.get(k).cloned()).build().ok())
            .collect();
        if !add.is_empty() {
            c.add_tags_to_certificate().certificate_arn(&actual.id).set_tags(Some(add)).send().await.map_err(err("AddTagsToCertificate"))?;
        }
        if !remove.is_empty() {
            c.remove_tags_from_certificate()
                .certificate_arn(&actual.id)
                .set_tags(Some(remove))
                .send()
                .await
                .map_err(err("RemoveTagsFromCertificate"))?;
        }
        Ok(())
    }
}

/// The wait for a DNS-validated [`Certificate`] to be issued, after its
/// validation records exist, like Terraform's `aws_acm_certificate_validation`.
/// Give what needs an issued certificate (an HTTPS listener, a CloudFront
/// distribution) this resource's `certificate_arn`, and each validation
/// [`Record`](https://docs.rs/strata-aws-route53)'s `fqdn` to [`CertificateValidation::record`],
/// so the order is: certificate, records, validation, users.
///
/// It creates nothing in the cloud: once the certificate is issued it writes its
/// logical name into the certificate's `strata:validation` tag, which is how the
/// next run finds it; delete removes the tag.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_acm::{Certificate, CertificateValidation};
/// use strata_aws_route53::{HostedZone, Record};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let zone = stack.add("zone", HostedZone::public("miamo.com"));
/// let cert = stack.add("cert", Certificate::dns(["www.miamo.com"]));
/// let record = stack.add("cert-dns", Record::cname(
///     zone.zone_id(),
///     cert.validation_record_name_for("www.miamo.com"),
///     cert.validation_record_value_for("www.miamo.com"),
/// ));
/// let issued = stack.add("cert-issued", CertificateValidation::new(cert.arn()).record(record.fqdn()));
/// let _arn_for_listeners = issued.certificate_arn();
/// ```
#[derive(Clone, Debug)]
pub struct CertificateValidation {
    certificate_arn: Input,
    records: Vec<Input>,
}

impl CertificateValidation {
    pub fn new(certificate_arn: impl Into<Arg<String>>) -> Self {
        CertificateValidation { certificate_arn: certificate_arn.into().into_input(), records: Vec::new() }
    }
    /// A validation record to wait for (its `fqdn` output).
    pub fn record(mut self, fqdn: impl Into<Arg<String>>) -> Self {
        self.records.push(fqdn.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`CertificateValidation`].
    CertificateValidationHandle { certificate_arn: "certificate_arn" }
);

impl Resource for CertificateValidation {
    const KIND: &'static str = "aws:acm:CertificateValidation";
    type Handle = CertificateValidationHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("certificate_arn".to_string(), self.certificate_arn),
            ("records".to_string(), Input::List(self.records)),
        ])
    }
}

pub(crate) struct ValidationProvider {
    aws: Aws,
}

impl ValidationProvider {
    /// The validation recorded on certificate `arn` (its tags), if any.
    fn observe(region: &str, arn: &str, tags: &Tags) -> Option<Observed> {
        let name = tags.get(VALIDATION_TAG)?;
        let stack = tags.get(tags::STACK)?;
        let mut o = Observed::new(CertificateValidation::KIND, arn, region);
        let state = Tags::from([(tags::STACK.to_string(), stack.clone()), (tags::RESOURCE.to_string(), name.clone())]);
        o.props = Props::from([("certificate_arn".into(), Value::str(arn)), ("tags".into(), Value::from_tags(&state))]);
        o.outputs = Props::from([("certificate_arn".into(), Value::str(arn)), ("id".into(), Value::str(arn))]);
        o.refs = vec![arn.to_string()];
        Some(o)
    }
}

#[async_trait]
impl Provider for ValidationProvider {
    fn kind(&self) -> &'static str {
        CertificateValidation::KIND
    }

    fn taggable(&self) -> bool {
        false
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["certificate_arn"]
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let want: Props = desired.iter().filter(|(k, _)| *k == "certificate_arn").map(|(k, v)| (k.clone(), v.clone())).collect();
        strata_engine::default_diff(&want, &actual.props, self.replace_fields())
    }

    fn estimate(&self, op: Op) -> Duration {
        match op {
            // DNS validation: usually minutes after the records exist.
            Op::Create => Duration::from_secs(5 * 60),
            _ => Duration::from_secs(1),
        }
    }

    fn default_timeout(&self, _op: Op) -> Duration {
        Duration::from_secs(75 * 60)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        Ok(stack_certificates(&self.aws, scope).await?.iter().filter_map(|(arn, t)| Self::observe(&scope.region, arn, t)).collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        match raw_tags(&self.aws, region, id).await {
            Ok(t) => Ok(Self::observe(region, id, &t)),
            Err(e) => strata_aws::not_found_none(e),
        }
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let arn = desired.get("certificate_arn").and_then(Value::as_str).unwrap_or_default().to_string();
        let what = format!("certificate {arn} to be issued (its DNS validation records must resolve)");
        wait_until(&what, cx.timeout, cx.poll, || async {
            let d = c.describe_certificate().certificate_arn(&arn).send().await.map_err(err("DescribeCertificate"))?;
            match d.certificate().and_then(|c| c.status()) {
                Some(CertificateStatus::Issued) => Ok(Some(())),
                Some(s @ (CertificateStatus::Failed | CertificateStatus::ValidationTimedOut | CertificateStatus::Revoked)) => {
                    Err(ProviderError::new(ErrorClass::Fatal, "DescribeCertificate", format!("certificate {arn} is {}", s.as_str())))
                }
                _ => Ok(None),
            }
        })
        .await?;
        let tag = Tag::builder()
            .key(VALIDATION_TAG)
            .value(&cx.name)
            .build()
            .map_err(|e| ProviderError::new(ErrorClass::Invalid, "AddTagsToCertificate", e.to_string()))?;
        c.add_tags_to_certificate().certificate_arn(&arn).tags(tag).send().await.map_err(err("AddTagsToCertificate"))?;
        let mut t = raw_tags(&self.aws, &cx.region, &arn).await?;
        // The tag may not be readable yet; the state is what was just written.
        t.insert(VALIDATION_TAG.into(), cx.name.clone());
        t.insert(tags::STACK.into(), cx.stack.clone());
        Self::observe(&cx.region, &arn, &t)
            .ok_or_else(|| ProviderError::new(ErrorClass::Fatal, "AddTagsToCertificate", format!("certificate {arn} lost its tags")))
    }

    async fn update(&self, _cx: &OpContext, actual: &Observed, _desired: &Props, _diff: &Diff) -> Result<Observed, ProviderError> {
        Ok(actual.clone())
    }

    /// Its state tags are not tags of its own (see the type's docs).
    async fn set_tags(&self, _cx: &OpContext, _actual: &Observed, _add: &Tags, _remove: &[String]) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let tag = Tag::builder()
            .key(VALIDATION_TAG)
            .set_value(actual.tags().get(tags::RESOURCE).cloned())
            .build()
            .map_err(|e| ProviderError::new(ErrorClass::Invalid, "RemoveTagsFromCertificate", e.to_string()))?;
        let r = crate::client(&self.aws, &cx.region).remove_tags_from_certificate().certificate_arn(&actual.id).tags(tag).send().await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("RemoveTagsFromCertificate")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert!(valid_domain("www.miamo.com"));
        assert!(valid_domain("*.miamo.com"));
        assert!(!valid_domain("miamo"));
        assert!(!valid_domain("bad_domain.com"));
    }
}
