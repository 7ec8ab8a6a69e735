//! Loading AWS configuration and building clients per service and region.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use crate::ratelimit::RateLimiter;
use strata_engine::Registry;

use crate::faults::{FaultInjector, FaultPlan, FaultStats};
use crate::record::{Exchange, ExchangeLog};
use crate::throttle::{Ec2EventualConsistency, RateLimitedClient, SendLog};

use crate::counter::ApiCallCounter;

/// How to reach AWS. Every field is optional: the standard chain fills the rest
/// (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`,
/// instance roles, SSO...).
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    pub region: Option<String>,
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
    NoRegion,
    #[error("no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run `aws sso login` (details: {0})")]
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

/// One client per service and region, built from the base config with the
/// region overridden and the call counter installed.
macro_rules! client {
    ($self:ident, $field:ident, $sdk:ident, $service:literal, $region:expr) => {
        client!($self, $field, $sdk, $service, $region, |c| c)
    };
    ($self:ident, $field:ident, $sdk:ident, $service:literal, $region:expr, $extra:expr) => {{
        let mut clients = $self.inner.$field.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry($region.to_string())
            .or_insert_with(|| {
                // Upload stall protection would count the wait for a rate-limit
                // token as a stalled upload and retry; requests are small, so it
                // is off (download protection stays on).
                let stall = aws_smithy_runtime_api::client::stalled_stream_protection::StalledStreamProtectionConfig::enabled()
                    .upload_enabled(false)
                    .build();
                let mut conf = $sdk::config::Builder::from(&$self.inner.base)
                    .region(Region::new($region.to_string()))
                    .stalled_stream_protection(stall)
                    .interceptor(CounterRef($self.inner.counter.clone()));
                conf = conf.http_client(RateLimitedClient {
                    inner: $self.inner.http.clone(),
                    limiter: $self.inner.limiter.clone(),
                    service: $service,
                    region: $region.to_string(),
                    log: $self.inner.send_log.clone(),
                    faults: $self.inner.faults.clone(),
                    record: $self.inner.record.clone(),
                });
                let extra: fn($sdk::config::Builder) -> $sdk::config::Builder = $extra;
                $sdk::Client::from_conf(extra(conf).build())
            })
            .clone()
    }};
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
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    endpoint_set: bool,
    region: String,
    counter: Arc<ApiCallCounter>,
    limiter: RateLimiter,
    send_log: SendLog,
    faults: Option<Arc<FaultInjector>>,
    record: Option<ExchangeLog>,
    /// List answers shared within one discovery pass.
    shared: crate::shared_lists::SharedLists,
    /// The HTTPS client every service client sends through (rate-limited).
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
    /// The clients of the service crates, by client type and region ([`Aws::client`]).
    clients: Mutex<HashMap<(std::any::TypeId, String), Box<dyn std::any::Any + Send + Sync>>>,
    #[cfg(feature = "ec2")]
    ec2: Mutex<HashMap<String, aws_sdk_ec2::Client>>,
    #[cfg(feature = "elbv2")]
    elbv2: Mutex<HashMap<String, aws_sdk_elasticloadbalancingv2::Client>>,
    #[cfg(feature = "secretsmanager")]
    secrets: Mutex<HashMap<String, aws_sdk_secretsmanager::Client>>,
    #[cfg(feature = "acm")]
    acm: Mutex<HashMap<String, aws_sdk_acm::Client>>,
    #[cfg(feature = "kms")]
    kms: Mutex<HashMap<String, aws_sdk_kms::Client>>,
    #[cfg(feature = "rds")]
    rds: Mutex<HashMap<String, aws_sdk_rds::Client>>,
    #[cfg(feature = "elasticache")]
    elasticache: Mutex<HashMap<String, aws_sdk_elasticache::Client>>,
    #[cfg(feature = "opensearch")]
    opensearch: Mutex<HashMap<String, aws_sdk_opensearch::Client>>,
    #[cfg(feature = "s3")]
    s3: Mutex<HashMap<String, aws_sdk_s3::Client>>,
    #[cfg(feature = "s3")]
    sts: Mutex<HashMap<String, aws_sdk_sts::Client>>,
    #[cfg(feature = "sns")]
    sns: Mutex<HashMap<String, aws_sdk_sns::Client>>,
    #[cfg(feature = "cloudwatch")]
    cloudwatch: Mutex<HashMap<String, aws_sdk_cloudwatch::Client>>,
    #[cfg(feature = "route53")]
    route53: Mutex<HashMap<String, aws_sdk_route53::Client>>,
    #[cfg(feature = "wafv2")]
    wafv2: Mutex<HashMap<String, aws_sdk_wafv2::Client>>,
    #[cfg(feature = "backup")]
    backup: Mutex<HashMap<String, aws_sdk_backup::Client>>,
    #[cfg(feature = "cloudfront")]
    cloudfront: Mutex<HashMap<String, aws_sdk_cloudfront::Client>>,
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
                clients: Mutex::default(),
                #[cfg(feature = "ec2")]
                ec2: Mutex::default(),
                #[cfg(feature = "elbv2")]
                elbv2: Mutex::default(),
                #[cfg(feature = "secretsmanager")]
                secrets: Mutex::default(),
                #[cfg(feature = "acm")]
                acm: Mutex::default(),
                #[cfg(feature = "kms")]
                kms: Mutex::default(),
                #[cfg(feature = "rds")]
                rds: Mutex::default(),
                #[cfg(feature = "elasticache")]
                elasticache: Mutex::default(),
                #[cfg(feature = "opensearch")]
                opensearch: Mutex::default(),
                #[cfg(feature = "s3")]
                s3: Mutex::default(),
                #[cfg(feature = "s3")]
                sts: Mutex::default(),
                #[cfg(feature = "sns")]
                sns: Mutex::default(),
                #[cfg(feature = "cloudwatch")]
                cloudwatch: Mutex::default(),
                #[cfg(feature = "route53")]
                route53: Mutex::default(),
                #[cfg(feature = "wafv2")]
                wafv2: Mutex::default(),
                #[cfg(feature = "backup")]
                backup: Mutex::default(),
                #[cfg(feature = "cloudfront")]
                cloudfront: Mutex::default(),
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
    pub(crate) fn shared_lists(&self) -> &crate::shared_lists::SharedLists {
        &self.inner.shared
    }

    /// The default region of this run.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The counter of every API call made through this connection.
    pub fn counter(&self) -> Arc<ApiCallCounter> {
        self.inner.counter.clone()
    }

    /// Every provider of the enabled services.
    pub fn registry(&self) -> Registry {
        let mut r = Registry::new();
        #[cfg(feature = "ec2")]
        crate::ec2::register(self, &mut r);
        #[cfg(feature = "elbv2")]
        crate::elbv2::register(self, &mut r);
        #[cfg(feature = "secretsmanager")]
        crate::secretsmanager::register(self, &mut r);
        #[cfg(feature = "acm")]
        crate::acm::register(self, &mut r);
        #[cfg(feature = "kms")]
        crate::kms::register(self, &mut r);
        #[cfg(feature = "rds")]
        crate::rds::register(self, &mut r);
        #[cfg(feature = "elasticache")]
        crate::elasticache::register(self, &mut r);
        #[cfg(feature = "opensearch")]
        crate::opensearch::register(self, &mut r);
        #[cfg(feature = "s3")]
        crate::s3::register(self, &mut r);
        #[cfg(feature = "sns")]
        crate::sns::register(self, &mut r);
        #[cfg(feature = "cloudwatch")]
        crate::cloudwatch::register(self, &mut r);
        #[cfg(feature = "route53")]
        crate::route53::register(self, &mut r);
        #[cfg(feature = "wafv2")]
        crate::wafv2::register(self, &mut r);
        #[cfg(feature = "backup")]
        crate::backup::register(self, &mut r);
        #[cfg(feature = "cloudfront")]
        crate::cloudfront::register(self, &mut r);
        r
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

    /// The EC2 client for a region (created once, with the counter installed).
    #[cfg(feature = "ec2")]
    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        client!(self, ec2, aws_sdk_ec2, "ec2", region, |c| c.retry_classifier(Ec2EventualConsistency))
    }

    /// The ELBv2 client for a region.
    #[cfg(feature = "elbv2")]
    pub fn elbv2(&self, region: &str) -> aws_sdk_elasticloadbalancingv2::Client {
        client!(self, elbv2, aws_sdk_elasticloadbalancingv2, "elbv2", region)
    }

    /// The ACM client for a region.
    #[cfg(feature = "acm")]
    pub fn acm(&self, region: &str) -> aws_sdk_acm::Client {
        client!(self, acm, aws_sdk_acm, "acm", region)
    }

    /// The Secrets Manager client for a region.
    #[cfg(feature = "secretsmanager")]
    pub fn secrets(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        client!(self, secrets, aws_sdk_secretsmanager, "secretsmanager", region)
    }

    /// The KMS client for a region.
    #[cfg(feature = "kms")]
    pub fn kms(&self, region: &str) -> aws_sdk_kms::Client {
        client!(self, kms, aws_sdk_kms, "kms", region)
    }

    /// The RDS client for a region.
    #[cfg(feature = "rds")]
    pub fn rds(&self, region: &str) -> aws_sdk_rds::Client {
        client!(self, rds, aws_sdk_rds, "rds", region)
    }

    /// The ElastiCache client for a region.
    #[cfg(feature = "elasticache")]
    pub fn elasticache(&self, region: &str) -> aws_sdk_elasticache::Client {
        client!(self, elasticache, aws_sdk_elasticache, "elasticache", region)
    }

    /// The OpenSearch client for a region.
    #[cfg(feature = "opensearch")]
    pub fn opensearch(&self, region: &str) -> aws_sdk_opensearch::Client {
        client!(self, opensearch, aws_sdk_opensearch, "opensearch", region)
    }

    /// The S3 client for a region.
    #[cfg(feature = "s3")]
    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        // Emulators answer on one host: path-style addressing there.
        if self.inner.endpoint_set {
            client!(self, s3, aws_sdk_s3, "s3", region, |c| c.force_path_style(true))
        } else {
            client!(self, s3, aws_sdk_s3, "s3", region)
        }
    }

    /// The STS client for a region (the account id of the lock bucket's name).
    #[cfg(feature = "s3")]
    pub fn sts(&self, region: &str) -> aws_sdk_sts::Client {
        client!(self, sts, aws_sdk_sts, "sts", region)
    }

    /// The SNS client for a region.
    #[cfg(feature = "sns")]
    pub fn sns(&self, region: &str) -> aws_sdk_sns::Client {
        client!(self, sns, aws_sdk_sns, "sns", region)
    }

    /// The CloudWatch client for a region.
    #[cfg(feature = "cloudwatch")]
    pub fn cloudwatch(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        client!(self, cloudwatch, aws_sdk_cloudwatch, "cloudwatch", region)
    }

    /// The Route 53 client for a region.
    #[cfg(feature = "route53")]
    pub fn route53(&self, region: &str) -> aws_sdk_route53::Client {
        client!(self, route53, aws_sdk_route53, "route53", region)
    }

    /// The WAFv2 client for a region.
    #[cfg(feature = "wafv2")]
    pub fn wafv2(&self, region: &str) -> aws_sdk_wafv2::Client {
        client!(self, wafv2, aws_sdk_wafv2, "wafv2", region)
    }

    /// The AWS Backup client for a region.
    #[cfg(feature = "backup")]
    pub fn backup(&self, region: &str) -> aws_sdk_backup::Client {
        client!(self, backup, aws_sdk_backup, "backup", region, |c| c.interceptor(BackupTagsPath))
    }

    /// The CloudFront client (CloudFront is global; `region` only picks the signing region).
    #[cfg(feature = "cloudfront")]
    pub fn cloudfront(&self, region: &str) -> aws_sdk_cloudfront::Client {
        client!(self, cloudfront, aws_sdk_cloudfront, "cloudfront", region)
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
        /// The service's client for a region (built once, shared by the run).
        $vis fn $name(aws: &$crate::Aws, region: &str) -> $sdk::Client {
            aws.client($service, region, |p| {
                $sdk::Client::from_conf(
                    $sdk::config::Builder::from(p.base())
                        .region(p.region())
                        .stalled_stream_protection(p.stalled_stream())
                        .interceptor(p.counter())
                        .http_client(p.http())
                        .build(),
                )
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

/// AWS Backup's model writes `ListTags` as `GET /tags/{arn}/`, with a
/// trailing slash the SDK leaves out; moto reads the ARN from that layout
/// (and AWS takes both). Put the slash back before the request is signed.
///
/// Public so that raw Backup clients (tests' independent checks) can install it.
#[cfg(feature = "backup")]
#[derive(Debug)]
pub struct BackupTagsPath;

#[cfg(feature = "backup")]
impl aws_smithy_runtime_api::client::interceptors::Intercept for BackupTagsPath {
    fn name(&self) -> &'static str {
        "strata::BackupTagsPath"
    }
    fn modify_before_signing(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut<'_>,
        _rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let req = context.request_mut();
        let uri = req.uri().to_string();
        let (path, query) = uri.split_once('?').map(|(p, q)| (p.to_string(), format!("?{q}"))).unwrap_or((uri.clone(), String::new()));
        // Only ListTags (GET) has the slash; TagResource (POST) has none.
        if req.method() == "GET" && path.contains("/tags/") && !path.ends_with('/') {
            req.set_uri(format!("{path}/{query}"))?;
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "ec2"))]
mod timeout_tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn a_silent_endpoint_fails_the_call_after_the_read_timeout() {
        // Accepts connections, reads the request, never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming().flatten() {
                held.push(conn);
            }
        });
        let settings = AwsSettings {
            region: Some("eu-central-1".into()),
            endpoint_url: Some(format!("http://{addr}")),
            static_credentials: Some(("test".into(), "test".into())),
            rate_limiter: RateLimiter::new(|_, _| None),
            max_attempts: Some(1),
            timeouts: Some(Timeouts { read: Duration::from_millis(500), ..Timeouts::default() }),
            ..AwsSettings::default()
        };
        let aws = Aws::connect(settings).await.unwrap();
        let start = Instant::now();
        let r = aws.ec2("eu-central-1").describe_vpcs().send().await;
        let elapsed = start.elapsed();
        let e = crate::error::from_sdk("DescribeVpcs", r.unwrap_err());
        assert!(elapsed < Duration::from_secs(10), "the call hung for {elapsed:?}");
        assert_eq!(e.class, strata_engine::ErrorClass::Transient, "{e}");
    }
}
