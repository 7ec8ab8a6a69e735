//! Counts every AWS API call with an SDK interceptor: per service and
//! operation, with retries, throttles and errors.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use strata_engine::{CallCount, CallCounter, CallStats};

/// Error codes that mean "slow down".
pub(crate) const THROTTLING_CODES: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
    "BandwidthLimitExceeded",
    "EC2ThrottledException",
];

/// The prefixes of AWS operations that only read.
pub const READ_PREFIXES: [&str; 5] = ["Describe", "List", "Get", "Head", "Search"];

/// Whether an operation changes something (by AWS's naming convention:
/// `Describe*`, `List*`, `Get*`, `Head*` and `Search*` only read).
pub fn is_mutating(operation: &str) -> bool {
    !READ_PREFIXES.iter().any(|p| operation.starts_with(p))
}

/// Attempts made so far for the operation in flight (stored in its config bag).
#[derive(Debug, Clone, Copy, Default)]
struct Attempts(u32);

impl Storable for Attempts {
    type Storer = StoreReplace<Self>;
}

/// The interceptor and the counts; install one per run on every client.
#[derive(Debug, Default)]
pub struct ApiCallCounter {
    rows: Mutex<BTreeMap<(String, String), CallCount>>,
    /// Every call in the order it was made: `(service, operation)`.
    sequence: Mutex<Vec<(String, String)>>,
    /// Mutating calls completed (success or not).
    mutating_done: AtomicU64,
    /// Crash-sweep hook: SIGKILL this process after this many mutating calls.
    kill_after: Option<u64>,
}

impl ApiCallCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Arm the crash-consistency sweep's hook (see `AwsSettings`).
    pub fn kill_after_mutating_calls(mut self, k: Option<u64>) -> Self {
        self.kill_after = k;
        self
    }

    /// Every call so far, in order, as `(service, operation)`: tests prove
    /// call sequences with it (disable, wait, delete).
    pub fn sequence(&self) -> Vec<(String, String)> {
        self.sequence.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn with_row(&self, cfg: &ConfigBag, f: impl FnOnce(&mut CallCount)) {
        let (service, operation) = match cfg.load::<Metadata>() {
            Some(m) => (m.service().to_string(), m.name().to_string()),
            None => ("unknown".to_string(), "unknown".to_string()),
        };
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        let mutating = is_mutating(&operation);
        let row = rows.entry((service, operation)).or_insert(CallCount { mutating, ..CallCount::default() });
        f(row);
    }
}

impl CallCounter for ApiCallCounter {
    fn snapshot(&self) -> CallStats {
        CallStats { rows: self.rows.lock().unwrap_or_else(|e| e.into_inner()).clone() }
    }
}

/// Is this HTTP response a throttling answer?
fn throttled(status: u16, body: &[u8]) -> bool {
    if status == 429 {
        return true;
    }
    if status < 400 {
        return false;
    }
    let text = String::from_utf8_lossy(body);
    THROTTLING_CODES.iter().any(|c| text.contains(c))
}

impl Intercept for ApiCallCounter {
    fn name(&self) -> &'static str {
        "strata::ApiCallCounter"
    }

    // Client interceptors run `read_before_execution` before the operation's
    // metadata is in the config bag: count here instead.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.with_row(cfg, |r| r.calls += 1);
        if let Some(m) = cfg.load::<Metadata>() {
            self.sequence.lock().unwrap_or_else(|e| e.into_inner()).push((m.service().to_string(), m.name().to_string()));
        }
        cfg.interceptor_state().store_put(Attempts(0));
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let n = cfg.load::<Attempts>().copied().unwrap_or_default().0 + 1;
        cfg.interceptor_state().store_put(Attempts(n));
        if n > 1 {
            self.with_row(cfg, |r| r.retries += 1);
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(resp) = context.response() {
            let status = resp.status().as_u16();
            let body = resp.body().bytes().unwrap_or_default();
            if throttled(status, body) {
                self.with_row(cfg, |r| r.throttles += 1);
            }
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if matches!(context.output_or_error(), Some(Err(_))) {
            self.with_row(cfg, |r| r.errors += 1);
        }
        if let (Some(k), Some(m)) = (self.kill_after, cfg.load::<Metadata>()) {
            if is_mutating(m.name()) && self.mutating_done.fetch_add(1, Ordering::SeqCst) + 1 == k {
                kill_this_process(k, m.name());
            }
        }
        Ok(())
    }
}

/// SIGKILL ourselves, as a crash would: no destructor, no flush, no lock
/// release. (`unsafe` is forbidden here, so through the shell's `kill`.)
fn kill_this_process(k: u64, operation: &str) {
    eprintln!("strata: crash test: killing this process after mutating call {k} ({operation})");
    let pid = std::process::id();
    let _ = std::process::Command::new("sh").arg("-c").arg(format!("kill -9 {pid}")).status();
    std::process::abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutating_by_name() {
        assert!(is_mutating("CreateVpc"));
        assert!(is_mutating("AuthorizeSecurityGroupIngress"));
        assert!(!is_mutating("DescribeVpcs"));
        assert!(!is_mutating("ListTagsForResource"));
    }

    #[test]
    fn throttling_answers() {
        assert!(throttled(429, b""));
        assert!(throttled(503, b"<Code>RequestLimitExceeded</Code>"));
        assert!(throttled(400, b"{\"__type\":\"ThrottlingException\"}"));
        assert!(!throttled(400, b"<Code>InvalidParameterValue</Code>"));
        assert!(!throttled(200, b"Throttling"));
    }
}
