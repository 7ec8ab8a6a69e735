//! Client-side rate limiting: an HTTP client wrapper that waits for a token
//! from AWS-shaped buckets ([`crate::ratelimit`]) before each request
//! (every attempt, retries included, as AWS counts them). The operation is read
//! from the request: the `Action=` of query-protocol services (EC2, ELBv2) or
//! the `X-Amz-Target` header of JSON services.
//!
//! The same wrapper injects faults when a run asks for them ([`crate::faults`]),
//! and marks EC2's eventual-consistency answers (an id that a mutating call
//! names is `NotFound` because it was created a moment ago) so that
//! [`Ec2EventualConsistency`] lets the SDK retry them.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction, RetryClassifierPriority};
use aws_smithy_types::body::SdkBody;
use std::sync::{Arc, Mutex};

use crate::ratelimit::RateLimiter;

use crate::faults::{Decision, FaultInjector, Wire};
use crate::record::ExchangeLog;

/// Set on an EC2 answer that is an eventual-consistency `NotFound`.
const EVENTUAL_CONSISTENCY_HEADER: &str = "x-strata-eventual-consistency";

/// When each request left, after its token: `(service, operation, time)`.
pub type SendLog = Arc<Mutex<Vec<(String, String, tokio::time::Instant)>>>;

/// Wraps the SDK's HTTP client for one service and region: rate limits,
/// fault injection, recording.
#[derive(Debug, Clone)]
pub struct RateLimitedClient {
    pub(crate) inner: SharedHttpClient,
    pub(crate) limiter: RateLimiter,
    pub(crate) service: &'static str,
    pub(crate) region: String,
    pub(crate) log: SendLog,
    pub(crate) faults: Option<Arc<FaultInjector>>,
    pub(crate) record: Option<ExchangeLog>,
}

impl HttpClient for RateLimitedClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(RateLimitedConnector {
            inner: self.inner.http_connector(settings, components),
            limiter: self.limiter.clone(),
            service: self.service,
            region: self.region.clone(),
            log: self.log.clone(),
            faults: self.faults.clone(),
            record: self.record.clone(),
        })
    }
}

#[derive(Debug)]
struct RateLimitedConnector {
    inner: SharedHttpConnector,
    limiter: RateLimiter,
    service: &'static str,
    region: String,
    log: SendLog,
    faults: Option<Arc<FaultInjector>>,
    record: Option<ExchangeLog>,
}

/// EC2 mutating operations that may name an object created a moment ago, for
/// which `NotFound` means "not visible yet" (AWS's documented eventual
/// consistency) rather than "gone". Deletions and detachments are left out:
/// there `NotFound` means the object is gone.
pub(crate) fn may_see_eventual_consistency(operation: &str) -> bool {
    crate::counter::is_mutating(operation)
        && !["Delete", "Release", "Terminate", "Disassociate", "Detach", "Deregister", "Disable", "Unassign"]
            .iter()
            .any(|p| operation.starts_with(p))
}

/// An EC2 error body saying that an object id is unknown (not that a rule or
/// route is absent: `InvalidPermission.NotFound` is an answer, not a delay).
fn is_not_found_answer(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    text.split("<Code>")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .any(|code| code.ends_with("ID.NotFound") || code == "InvalidGroup.NotFound" || code == "NatGatewayNotFound")
}

/// The API operation of a request, if it can be told.
pub(crate) fn operation_of(request: &HttpRequest) -> Option<String> {
    if let Some(target) = request.headers().get("x-amz-target") {
        return target.rsplit('.').next().map(str::to_string);
    }
    let from_query = |q: &str| q.split('&').find_map(|kv| kv.strip_prefix("Action=").map(str::to_string));
    request
        .uri()
        .split_once('?')
        .and_then(|(_, q)| from_query(q))
        .or_else(|| request.body().bytes().and_then(|b| std::str::from_utf8(b).ok()).and_then(from_query))
}

impl HttpConnector for RateLimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let op = operation_of(&request).unwrap_or_default();
        let bucket = self.limiter.bucket(self.service, &op, &self.region);
        let inner = self.inner.clone();
        let (log, service, region) = (self.log.clone(), self.service, self.region.clone());
        let faults = self.faults.clone();
        let record = self.record.clone();
        HttpConnectorFuture::new(async move {
            if let Some(b) = bucket {
                b.acquire().await;
            }
            if let Ok(mut l) = log.lock() {
                l.push((service.to_string(), op.clone(), tokio::time::Instant::now()));
            }
            let recorded = record.as_ref().map(|r| (r.sent(service, &region, &op, &request), std::time::Instant::now()));
            let response = match faults.as_ref().map(|f| f.decide(service, Wire::of(service, &request), &op, request.body().bytes())) {
                Some(Decision::Answer(fabricated)) => *fabricated,
                Some(Decision::Delay(d)) => {
                    tokio::time::sleep(d).await;
                    inner.call(request).await?
                }
                Some(Decision::Pass) | None => inner.call(request).await?,
            };
            let watch = faults.as_ref().filter(|f| f.watches(service, &op) && response.status().is_success());
            let eventual = service == "ec2" && response.status().as_u16() == 400 && may_see_eventual_consistency(&op);
            if watch.is_none() && !eventual && recorded.is_none() {
                return Ok(response);
            }
            let (mut response, body) = buffered(response).await?;
            if let (Some(r), Some((index, started))) = (&record, recorded) {
                r.answered(index, response.status().as_u16(), body.clone(), started.elapsed().as_secs_f64());
            }
            if let Some(f) = watch {
                f.created(&op, &body);
            }
            if eventual && is_not_found_answer(&body) {
                response.headers_mut().insert(EVENTUAL_CONSISTENCY_HEADER, "1");
            }
            Ok(response)
        })
    }
}

/// Read a (small) answer's body into memory, keeping status and headers.
async fn buffered(response: HttpResponse) -> Result<(HttpResponse, Vec<u8>), ConnectorError> {
    if let Some(bytes) = response.body().bytes() {
        let body = bytes.to_vec();
        return Ok((response, body));
    }
    let status = response.status();
    let headers = response.headers().clone();
    let collected = aws_smithy_types::byte_stream::ByteStream::new(response.into_body())
        .collect()
        .await
        .map_err(|e| ConnectorError::io(e.into()))?
        .into_bytes()
        .to_vec();
    let mut out = HttpResponse::new(status, SdkBody::from(collected.clone()));
    *out.headers_mut() = headers;
    Ok((out, collected))
}

/// Lets the SDK retry EC2's eventual-consistency `NotFound` answers (marked by
/// the connector, which knows the operation) with its usual back-off.
#[derive(Debug)]
pub struct Ec2EventualConsistency;

impl ClassifyRetry for Ec2EventualConsistency {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.response() {
            Some(r) if r.headers().contains_key(EVENTUAL_CONSISTENCY_HEADER) => RetryAction::transient_error(),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "strata::Ec2EventualConsistency"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::body::SdkBody;

    #[test]
    fn operations_from_body_query_and_target() {
        let mut r = HttpRequest::new(SdkBody::from("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16"));
        assert_eq!(operation_of(&r).as_deref(), Some("CreateVpc"));
        r.headers_mut().insert("x-amz-target", "secretsmanager.CreateSecret");
        assert_eq!(operation_of(&r).as_deref(), Some("CreateSecret"));
    }

    #[test]
    fn eventual_consistency_is_for_calls_that_name_new_objects() {
        assert!(may_see_eventual_consistency("CreateTags"));
        assert!(may_see_eventual_consistency("AuthorizeSecurityGroupIngress"));
        assert!(may_see_eventual_consistency("CreateSubnet"));
        assert!(!may_see_eventual_consistency("DeleteSubnet"));
        assert!(!may_see_eventual_consistency("DisassociateRouteTable"));
        // Removing the default egress rule of a group just made.
        assert!(may_see_eventual_consistency("RevokeSecurityGroupEgress"));
        assert!(!is_not_found_answer(b"<Code>InvalidPermission.NotFound</Code>"));
        assert!(!may_see_eventual_consistency("DescribeVpcs"));
        assert!(is_not_found_answer(b"<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code></Error></Errors></Response>"));
        assert!(is_not_found_answer(b"<Code>NatGatewayNotFound</Code>"));
        assert!(!is_not_found_answer(b"<Code>InvalidParameterValue</Code><Message>NotFound</Message>"));
    }
}
