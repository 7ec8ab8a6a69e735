//! Loading AWS configuration and building clients per service and region.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use crate::ratelimit::RateLimiter;

use crate::faults::{FaultInjector, FaultPlan, FaultStats};
use crate::record::{Exchange, ExchangeLog};
use crate::throttle::{RateLimitedClient, SendLog};

use crate::counter::ApiCallCounter;

/// How to reach AWS. Every field is optional: the standard chain fills the rest
/// (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`,
/// instance roles, SSO...).
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    /// The default region of the run.
    pub region: Option<String>,
    /// The AWS profile to load.
    pub profile: Option<String>,
    /// Send every call here (an emulator).
    pub endpoint_url: Option<String>,
    /// Access key id and secret, for emulators and tests.
    pub static_credentials: Option<(String, String)>,
    /// Client-side rate limits (default: AWS's published buckets).
    pub rate_limiter: RateLimiter,
    /// Most attempts per API call, the first included (default 8: the SDK's
    /// back-off with jitter, 1 s doubling up to 20 s, rides out throttling
    /// storms and eventual consistency).
    pub max_attempts: Option<u32>,
    /// Inject faults below the SDK (tests; see [`crate::faults`]).
    pub faults: Option<FaultPlan>,
    /// Test hook of the crash-consistency sweep: the process kills itself with
    /// SIGKILL as soon as this many mutating calls have completed.
    pub kill_after_mutating_calls: Option<u64>,
    /// Keep every HTTP exchange of the run in memory (benchmarks replay them;
    /// see [`crate::record`]). Recording changes nothing that is sent or
    /// answered (injected faults are recorded as answered).
    pub record_exchanges: bool,
    /// Time limits of every client (default: [`Timeouts::default`]), so that a
    /// stalled connection fails the call instead of hanging the run.
    pub timeouts: Option<Timeouts>,
}

/// Time limits of every SDK client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// To open a connection (TCP and TLS).
    pub connect: std::time::Duration,
    /// Between two reads of an answer: a silent connection fails after this.
    pub read: std::time::Duration,
    /// One attempt of a call, from sending to the whole answer.
    pub attempt: std::time::Duration,
    /// A whole call, every retry included.
    pub operation: std::time::Duration,
}

impl Default for Timeouts {
    /// Connect 10 s, read 60 s, attempt 90 s, call 10 min (eight attempts with
    /// the SDK's back-off fit).
    fn default() -> Self {
        use std::time::Duration;
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(60),
            attempt: Duration::from_secs(90),
            operation: Duration::from_secs(600),
        }
    }
}

impl Timeouts {
    fn config(&self) -> aws_smithy_types::timeout::TimeoutConfig {
        aws_smithy_types::timeout::TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .read_timeout(self.read)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// Attempts per call unless [`AwsSettings::max_attempts`] says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// Why AWS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("no AWS region: pass --region, set AWS_REGION, or set `region` in your AWS profile")]
    /// No region in the settings, the environment or the profile.
    NoRegion,
    #[error("no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run `aws sso login` (details: {0})")]
    /// No credentials could be found (the detail says where it looked).
    NoCredentials(String),
}

/// The SDK's default HTTPS client (hyper 1.x, rustls with aws-lc), built here
/// so that strata can wrap it with its rate limiter.
fn default_https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
        .build_https()
}

/// A connection to AWS for one run: configuration, clients per region, and the
/// API-call counter installed on every client.
#[derive(Clone)]
pub struct Aws {
    inner: Arc<Inner>,
}

struct Inner {
    base: SdkConfig,
    /// An endpoint URL is configured (an emulator).
    endpoint_set: bool,
    region: String,
    counter: Arc<ApiCallCounter>,
    limiter: RateLimiter,
    send_log: SendLog,
    faults: Option<Arc<FaultInjector>>,
    record: Option<ExchangeLog>,
    /// List answers shared within one discovery pass.
    shared: crate::shared_lists::SharedLists,
    /// Resource types whose tags the registered kinds read from the tagging API ([`crate::tagging_api`]).
    tagging_types: Mutex<std::collections::BTreeSet<&'static str>>,
    /// The HTTPS client every service client sends through (rate-limited).
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
    /// The clients of the service crates, by client type and region ([`Aws::client`]).
    clients: Mutex<HashMap<(std::any::TypeId, String), Box<dyn std::any::Any + Send + Sync>>>,
}

impl std::fmt::Debug for Aws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aws").field("region", &self.inner.region).finish()
    }
}

impl Aws {
    /// Load the configuration. Makes no API call.
    pub async fn connect(settings: AwsSettings) -> Result<Aws, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1)))
            .timeout_config(settings.timeouts.unwrap_or_default().config());
        if let Some(p) = &settings.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &settings.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(u) = &settings.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        if let Some((id, secret)) = &settings.static_credentials {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                id.clone(),
                secret.clone(),
                None,
                None,
                "strata-static",
            ));
        }
        let base = loader.load().await;
        let region = base.region().map(|r| r.to_string()).ok_or(AwsError::NoRegion)?;
        if base.credentials_provider().is_none() {
            return Err(AwsError::NoCredentials("no credentials provider is configured".into()));
        }
        Ok(Aws {
            inner: Arc::new(Inner {
                endpoint_set: base.endpoint_url().is_some(),
                http: base.http_client().unwrap_or_else(default_https_client),
                base,
                region,
                counter: Arc::new(ApiCallCounter::new().kill_after_mutating_calls(settings.kill_after_mutating_calls)),
                limiter: settings.rate_limiter.clone(),
                send_log: SendLog::default(),
                faults: settings.faults.clone().map(|p| Arc::new(FaultInjector::new(p))),
                record: settings.record_exchanges.then(ExchangeLog::default),
                shared: Default::default(),
                tagging_types: Default::default(),
                clients: Mutex::default(),
            }),
        })
    }

    /// Resolve credentials now (locally: environment, profile, SSO cache, or
    /// instance metadata), so that a missing or expired credential is one
    /// clear error before planning starts.
    pub async fn check_credentials(&self) -> Result<(), AwsError> {
        use aws_credential_types::provider::ProvideCredentials;
        let Some(provider) = self.inner.base.credentials_provider() else {
            return Err(AwsError::NoCredentials("no credentials provider is configured".into()));
        };
        match provider.provide_credentials().await {
            Ok(c) => match c.expiry() {
                Some(t) if t <= std::time::SystemTime::now() => {
                    Err(AwsError::NoCredentials("the credentials have expired".into()))
                }
                _ => Ok(()),
            },
            Err(e) => Err(AwsError::NoCredentials(first_line(&e))),
        }
    }

    /// When each request was sent (after its rate-limit token), for tests and
    /// benchmarks of the client-side rate limiting.
    pub fn send_log(&self) -> Vec<(String, String, tokio::time::Instant)> {
        self.inner.send_log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Every HTTP exchange so far, in the order sent, when the run records them
    /// ([`AwsSettings::record_exchanges`]); empty otherwise.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.inner.record.as_ref().map(ExchangeLog::snapshot).unwrap_or_default()
    }

    /// The faults injected so far, when the run injects faults.
    pub fn fault_stats(&self) -> Option<FaultStats> {
        self.inner.faults.as_ref().map(|f| f.stats())
    }

    /// List answers shared within one discovery pass ([`crate::shared_lists`]).
    pub fn shared_lists(&self) -> &crate::shared_lists::SharedLists {
        &self.inner.shared
    }

    /// Ask the tagging API for the tags of resources of this type too ([`crate::tagging_api`]).
    pub fn read_tags_of_type(&self, resource_type: &'static str) {
        self.inner.tagging_types.lock().unwrap_or_else(|e| e.into_inner()).insert(resource_type);
    }

    /// The resource types registered with [`Aws::read_tags_of_type`].
    pub fn tagging_types(&self) -> Vec<&'static str> {
        self.inner.tagging_types.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect()
    }

    /// The default region of this run.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The counter of every API call made through this connection.
    pub fn counter(&self) -> Arc<ApiCallCounter> {
        self.inner.counter.clone()
    }

    /// The client of type `C` for a region, built once with `build` (a
    /// service crate's [`crate::sdk_client!`]): every client of a run shares
    /// the configuration, the call counter, the rate limiter, fault injection
    /// and recording.
    pub fn client<C>(&self, service: &'static str, region: &str, build: fn(ClientParts<'_>) -> C) -> C
    where
        C: Clone + Send + Sync + 'static,
    {
        let key = (std::any::TypeId::of::<C>(), region.to_string());
        let mut clients = self.inner.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(&key).and_then(|c| c.downcast_ref::<C>()) {
            return c.clone();
        }
        let c = build(ClientParts { aws: self, service, region });
        clients.insert(key, Box::new(c.clone()));
        c
    }
}

/// What a service client is built from (see [`Aws::client`] and
/// [`crate::sdk_client!`]).
pub struct ClientParts<'a> {
    aws: &'a Aws,
    service: &'static str,
    region: &'a str,
}

impl ClientParts<'_> {
    /// The loaded configuration (credentials, retries, timeouts, endpoint).
    pub fn base(&self) -> &SdkConfig {
        &self.aws.inner.base
    }
    /// An endpoint URL is configured (an emulator answers on one host, so
    /// S3 takes path-style addressing there).
    pub fn endpoint_set(&self) -> bool {
        self.aws.inner.endpoint_set
    }
    /// The client's region.
    pub fn region(&self) -> Region {
        Region::new(self.region.to_string())
    }
    /// Upload stall protection off: it would count the wait for a rate-limit
    /// token as a stalled upload and retry (requests are small); download
    /// protection stays on.
    pub fn stalled_stream(&self) -> aws_smithy_runtime_api::client::stalled_stream_protection::StalledStreamProtectionConfig {
        aws_smithy_runtime_api::client::stalled_stream_protection::StalledStreamProtectionConfig::enabled()
            .upload_enabled(false)
            .build()
    }
    /// The call counter, as an interceptor.
    pub fn counter(&self) -> impl aws_smithy_runtime_api::client::interceptors::Intercept + 'static {
        CounterRef(self.aws.inner.counter.clone())
    }
    /// The rate-limited HTTP client (fault injection and recording included).
    pub fn http(&self) -> RateLimitedClient {
        RateLimitedClient {
            inner: self.aws.inner.http.clone(),
            limiter: self.aws.inner.limiter.clone(),
            service: self.service,
            region: self.region.to_string(),
            log: self.aws.inner.send_log.clone(),
            faults: self.aws.inner.faults.clone(),
            record: self.aws.inner.record.clone(),
        }
    }
}

/// Defines `fn $name(aws: &Aws, region: &str) -> $sdk::Client`: the service
/// crate's client, built once per region through [`Aws::client`].
///
/// `$service` is the lower-case service name the rate limiter, the fault
/// injector and the call counts use (`"logs"`).
#[macro_export]
macro_rules! sdk_client {
    ($vis:vis fn $name:ident = $sdk:ident, $service:literal) => {
        $crate::sdk_client!($vis fn $name = $sdk, $service, |c, _p| c);
    };
    ($vis:vis fn $name:ident = $sdk:ident, $service:literal, |$c:ident, $p:ident| $extra:expr) => {
        /// The service's client for a region (built once, shared by the run).
        $vis fn $name(aws: &$crate::Aws, region: &str) -> $sdk::Client {
            aws.client($service, region, |p| {
                let $c = $sdk::config::Builder::from(p.base())
                    .region(p.region())
                    .stalled_stream_protection(p.stalled_stream())
                    .interceptor(p.counter())
                    .http_client(p.http());
                let $p = &p;
                $sdk::Client::from_conf($extra.build())
            })
        }
    };
}

fn first_line(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    msg.lines().next().unwrap_or_default().chars().take(300).collect()
}

/// The counter, shared by every client as an interceptor.
#[derive(Debug, Clone)]
struct CounterRef(Arc<ApiCallCounter>);

impl aws_smithy_runtime_api::client::interceptors::Intercept for CounterRef {
    fn name(&self) -> &'static str {
        "strata::ApiCallCounter"
    }
    fn read_before_serialization(
        &self,
        c: &aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef<'_>,
        rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.read_before_serialization(c, rc, cfg)
    }
    fn read_before_attempt(
        &self,
        c: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.read_before_attempt(c, rc, cfg)
    }
    fn read_after_attempt(
        &self,
        c: &aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef<'_>,
        rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.read_after_attempt(c, rc, cfg)
    }
    fn read_after_execution(
        &self,
        c: &aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef<'_>,
        rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.read_after_execution(c, rc, cfg)
    }
}

