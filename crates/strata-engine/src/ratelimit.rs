//! A token bucket: the one rate-limiting primitive the engine knows. What is
//! limited, and how (AWS's buckets per service, action family and region),
//! is the provider crate's business (`strata_aws::ratelimit`); the in-memory
//! cloud of the engine's tests draws from a bucket too.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket: `burst` tokens at most, refilled at `per_second`.
#[derive(Debug)]
pub struct TokenBucket {
    burst: f64,
    per_second: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub fn new(burst: u32, per_second: f64) -> Self {
        TokenBucket {
            burst: f64::from(burst.max(1)),
            per_second: per_second.max(0.001),
            state: Mutex::new((f64::from(burst.max(1)), Instant::now())),
        }
    }

    /// Take a token if one is there; otherwise how long until one is.
    pub fn try_take(&self) -> Result<(), Duration> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let refill = now.duration_since(s.1).as_secs_f64() * self.per_second;
        s.0 = (s.0 + refill).min(self.burst);
        s.1 = now;
        if s.0 >= 1.0 {
            s.0 -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - s.0) / self.per_second))
        }
    }

    /// Wait for a token.
    pub async fn acquire(&self) {
        while let Err(wait) = self.try_take() {
            tokio::time::sleep(wait).await;
        }
    }
}
