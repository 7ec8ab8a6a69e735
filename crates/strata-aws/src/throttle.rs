//! Client-side rate limiting: an HTTP client wrapper that waits for a token
//! from AWS-shaped buckets ([`strata_engine::ratelimit`]) before each request
//! (every attempt, retries included, as AWS counts them). The operation is read
//! from the request: the `Action=` of query-protocol services (EC2, ELBv2) or
//! the `X-Amz-Target` header of JSON services.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use std::sync::{Arc, Mutex};

use strata_engine::ratelimit::RateLimiter;

/// When each request left, after its token: `(service, operation, time)`.
pub type SendLog = Arc<Mutex<Vec<(String, String, tokio::time::Instant)>>>;

/// Wraps the SDK's HTTP client for one service and region.
#[derive(Debug, Clone)]
pub(crate) struct RateLimitedClient {
    pub(crate) inner: SharedHttpClient,
    pub(crate) limiter: RateLimiter,
    pub(crate) service: &'static str,
    pub(crate) region: String,
    pub(crate) log: SendLog,
}

impl HttpClient for RateLimitedClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(RateLimitedConnector {
            inner: self.inner.http_connector(settings, components),
            limiter: self.limiter.clone(),
            service: self.service,
            region: self.region.clone(),
            log: self.log.clone(),
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
        let (log, service) = (self.log.clone(), self.service);
        HttpConnectorFuture::new(async move {
            if let Some(b) = bucket {
                b.acquire().await;
            }
            if let Ok(mut l) = log.lock() {
                l.push((service.to_string(), op, tokio::time::Instant::now()));
            }
            inner.call(request).await
        })
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
}
