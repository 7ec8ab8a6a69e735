//! Client-side rate limiting: token buckets shaped like AWS's own.
//!
//! AWS throttles per account, region and action family with token buckets
//! (`shared/design/aws-timings.md`): EC2 mutating calls burst 50 and refill 5
//! per second, for example. A large apply that ignores them spends its time in
//! throttling errors and back-off; one that waits for a token before each call
//! stays inside them. The buckets here are keyed by `(service, family, region)`
//! and are shared by every client of a run ([`crate::RateLimitedClient`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use strata_engine::ratelimit::TokenBucket;

/// The limits for one action family.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit {
    /// Tokens at most (the calls that may go at once).
    pub burst: u32,
    /// Tokens added per second.
    pub per_second: f64,
}

/// Which family an operation belongs to, and its limit. `None` means unlimited.
pub type Classifier = fn(service: &str, operation: &str) -> Option<(&'static str, Limit)>;

/// Published AWS limits (see `shared/design/aws-timings.md`).
pub fn aws_limits(service: &str, operation: &str) -> Option<(&'static str, Limit)> {
    let read = !crate::counter::is_mutating(operation);
    let l = |burst, per_second| Limit { burst, per_second };
    match service.to_ascii_lowercase().as_str() {
        "ec2" => Some(match operation {
            "CreateNatGateway" => ("CreateNatGateway", l(10, 1.0)),
            "RunInstances" => ("RunInstances", l(5, 2.0)),
            "CreateTags" | "DeleteTags" => ("CreateTags", l(100, 10.0)),
            _ if read => ("describe", l(100, 20.0)),
            _ => ("mutating", l(50, 5.0)),
        }),
        "elastic load balancing v2" | "elasticloadbalancingv2" | "elbv2" if read => {
            Some(("describe", l(40, 10.0)))
        }
        // DocumentDB runs on RDS's control plane and is throttled alike.
        "rds" | "docdb" => Some(("all", l(300, 12.0))),
        "wafv2" if !read => Some(("mutating", l(1, 1.0))),
        _ => None,
    }
}

type BucketKey = (String, &'static str, String);
type Buckets = Arc<Mutex<HashMap<BucketKey, Arc<TokenBucket>>>>;

/// Buckets by `(service, family, region)`, created on first use.
#[derive(Clone)]
pub struct RateLimiter {
    classify: Classifier,
    buckets: Buckets,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateLimiter")
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new(aws_limits)
    }
}

impl RateLimiter {
    /// Buckets shaped by `classify` (for tests: `RateLimiter::new(|_, _| None)` limits nothing).
    pub fn new(classify: Classifier) -> Self {
        RateLimiter { classify, buckets: Arc::default() }
    }

    /// The bucket for a call, if its family is limited.
    pub fn bucket(&self, service: &str, operation: &str, region: &str) -> Option<Arc<TokenBucket>> {
        let (family, limit) = (self.classify)(service, operation)?;
        let key = (service.to_ascii_lowercase(), family, region.to_string());
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        Some(b.entry(key).or_insert_with(|| Arc::new(TokenBucket::new(limit.burst, limit.per_second))).clone())
    }

    /// Wait until the call may be sent.
    pub async fn acquire(&self, service: &str, operation: &str, region: &str) {
        if let Some(bucket) = self.bucket(service, operation, region) {
            bucket.acquire().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn burst_then_refill_rate() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        for _ in 0..60 {
            limiter.acquire("EC2", "CreateSubnet", "eu-central-1").await;
        }
        // 50 at once, then 10 more at 5/s: two seconds.
        let took = start.elapsed().as_secs_f64();
        assert!((1.99..2.2).contains(&took), "{took}");
        // Reads and other regions have their own buckets.
        let t = Instant::now();
        limiter.acquire("EC2", "DescribeVpcs", "eu-central-1").await;
        limiter.acquire("EC2", "CreateSubnet", "us-east-1").await;
        assert_eq!(t.elapsed(), Duration::ZERO);
    }
}
