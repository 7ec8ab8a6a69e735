//! Recording of every HTTP exchange of a run (request and answer, in the order
//! the requests were sent), for benchmarks: `strata-bench` replays a recorded
//! apply one call after another to compare strata with a straight-line program
//! that makes the same calls. Off unless [`crate::AwsSettings::record_exchanges`]
//! is set; the records hold request bodies, so they may hold secrets and are
//! never logged.

use std::sync::{Arc, Mutex};

/// One request and its answer.
#[derive(Clone, Debug, Default)]
pub struct Exchange {
    /// Service (as the rate limiter names it: `ec2`, `rds`...) and operation.
    pub service: String,
    /// The operation (`CreateVpc`).
    pub operation: String,
    /// The client's region.
    pub region: String,
    /// The HTTP method.
    pub method: String,
    /// The request URI.
    pub uri: String,
    /// Request headers, signature included.
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Vec<u8>,
    /// Status and body of the answer (0 and empty when the request failed in
    /// transport, or while it is in flight).
    pub status: u16,
    /// The answer's body.
    pub response: Vec<u8>,
    /// When the request left, in seconds since the recording began, and how
    /// long the call took.
    pub started_s: f64,
    /// How long the call took, in seconds.
    pub seconds: f64,
}

/// The exchanges of one run, in the order the requests were sent.
#[derive(Clone, Debug)]
pub(crate) struct ExchangeLog(Arc<Mutex<Vec<Exchange>>>, std::time::Instant);

impl Default for ExchangeLog {
    fn default() -> Self {
        ExchangeLog(Arc::default(), std::time::Instant::now())
    }
}

impl ExchangeLog {
    /// Note a request about to be sent; returns its index.
    pub(crate) fn sent(&self, service: &str, region: &str, operation: &str, request: &aws_smithy_runtime_api::client::orchestrator::HttpRequest) -> usize {
        let exchange = Exchange {
            service: service.to_string(),
            operation: operation.to_string(),
            region: region.to_string(),
            method: request.method().to_string(),
            uri: request.uri().to_string(),
            headers: request.headers().iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: request.body().bytes().map(<[u8]>::to_vec).unwrap_or_default(),
            started_s: self.1.elapsed().as_secs_f64(),
            ..Exchange::default()
        };
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        log.push(exchange);
        log.len() - 1
    }

    /// Note the answer to request `index`.
    pub(crate) fn answered(&self, index: usize, status: u16, response: Vec<u8>, seconds: f64) {
        let mut log = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = log.get_mut(index) {
            e.status = status;
            e.response = response;
            e.seconds = seconds;
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<Exchange> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
