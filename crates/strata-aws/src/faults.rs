//! Fault injection at the HTTP boundary, for testing how runs survive a bad
//! day on AWS: throttling, 5xx answers, slow answers, and the eventual
//! consistency of EC2 (an id just created is `NotFound` for a moment).
//!
//! Off unless asked for ([`AwsSettings::faults`](crate::AwsSettings), or
//! `STRATA_INJECT_FAULTS` in the runner). The injector sits inside the
//! rate-limited HTTP client, below the SDK: the SDK sees each fault exactly as
//! it would see AWS's own answer (status, headers and the error body of the
//! service's protocol), and its retry strategy, strata's classifiers and the
//! call counter react as they would in the cloud.
//!
//! A throttle or a 5xx is answered **instead of** sending the request (AWS did
//! not process it); a slow answer is sent after a delay; a `NotFound` is given
//! only to an EC2 request that names an id created a moment ago by this run,
//! until one such request has gone through (then AWS is consistent).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// What to inject, and how often.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPlan {
    /// Probability that a request meets a fault (0.0 to 1.0).
    pub rate: f64,
    /// Seed of the random choices (the order of concurrent requests still varies).
    pub seed: u64,
    /// Longest delay of a slow answer.
    pub slow: Duration,
    /// Which faults may be chosen (default: all).
    pub kinds: Vec<FaultKind>,
}

/// One kind of injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    /// The service's throttling error (`RequestLimitExceeded`, `Throttling`, ...).
    Throttle,
    /// HTTP 429 with the service's throttling code.
    TooManyRequests,
    /// HTTP 500 `InternalError` or 503 `ServiceUnavailable`.
    ServerError,
    /// The answer arrives late (up to [`FaultPlan::slow`]).
    Slow,
    /// EC2 eventual consistency: `Invalid…ID.NotFound` for an id just created.
    NotFoundAfterCreate,
    /// `ExpiredToken` for every request picked (credentials that expired mid-run).
    ExpiredToken,
}

impl FaultKind {
    const ALL: [FaultKind; 5] =
        [FaultKind::Throttle, FaultKind::TooManyRequests, FaultKind::ServerError, FaultKind::Slow, FaultKind::NotFoundAfterCreate];

    fn parse(s: &str) -> Option<FaultKind> {
        Some(match s {
            "throttle" => FaultKind::Throttle,
            "429" => FaultKind::TooManyRequests,
            "5xx" => FaultKind::ServerError,
            "slow" => FaultKind::Slow,
            "not-found" => FaultKind::NotFoundAfterCreate,
            "expired-token" => FaultKind::ExpiredToken,
            _ => return None,
        })
    }

    fn label(self) -> &'static str {
        match self {
            FaultKind::Throttle => "throttle",
            FaultKind::TooManyRequests => "429",
            FaultKind::ServerError => "5xx",
            FaultKind::Slow => "slow",
            FaultKind::NotFoundAfterCreate => "not-found",
            FaultKind::ExpiredToken => "expired-token",
        }
    }
}

impl FaultPlan {
    /// Every kind but `expired-token`, at `rate`. (A request that names an
    /// EC2 id created a moment ago meets `not-found` at `rate` on its own.)
    pub fn new(rate: f64) -> FaultPlan {
        FaultPlan { rate, seed: 1, slow: Duration::from_millis(500), kinds: FaultKind::ALL.to_vec() }
    }

    /// Parse `0.3` or `rate=0.3,seed=7,slow_ms=200,kinds=throttle+5xx`.
    pub fn parse(spec: &str) -> Result<FaultPlan, String> {
        let mut plan = FaultPlan::new(0.0);
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or(("rate", part));
            let bad = || format!("fault plan `{spec}`: bad value `{value}` for `{key}`");
            match key {
                "rate" => plan.rate = value.parse().map_err(|_| bad())?,
                "seed" => plan.seed = value.parse().map_err(|_| bad())?,
                "slow_ms" => plan.slow = Duration::from_millis(value.parse().map_err(|_| bad())?),
                "kinds" => {
                    plan.kinds = value.split('+').map(|k| FaultKind::parse(k).ok_or_else(bad)).collect::<Result<_, _>>()?
                }
                _ => return Err(format!("fault plan `{spec}`: unknown key `{key}` (rate, seed, slow_ms, kinds)")),
            }
        }
        if !(0.0..=1.0).contains(&plan.rate) || plan.kinds.is_empty() {
            return Err(format!("fault plan `{spec}`: the rate must be within 0..=1 and at least one kind given"));
        }
        Ok(plan)
    }
}

/// What the injector decided for one request.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Send it.
    Pass,
    /// Send it after this delay.
    Delay(Duration),
    /// Do not send it; answer this instead.
    Answer(Box<HttpResponse>),
}

/// The injector shared by every client of a run.
#[derive(Debug)]
pub(crate) struct FaultInjector {
    plan: FaultPlan,
    rng: Mutex<fastrand::Rng>,
    /// EC2 ids created by this run that no request has reached yet.
    fresh: Mutex<Vec<String>>,
    injected: Mutex<BTreeMap<&'static str, u64>>,
    requests: AtomicU64,
}

impl FaultInjector {
    pub(crate) fn new(plan: FaultPlan) -> FaultInjector {
        FaultInjector {
            rng: Mutex::new(fastrand::Rng::with_seed(plan.seed)),
            plan,
            fresh: Mutex::default(),
            injected: Mutex::default(),
            requests: AtomicU64::new(0),
        }
    }

    /// Requests seen, and faults injected per kind.
    pub(crate) fn stats(&self) -> FaultStats {
        FaultStats {
            requests: self.requests.load(Ordering::Relaxed),
            injected: self.injected.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    fn roll(&self) -> Option<FaultKind> {
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        if rng.f64() >= self.plan.rate.clamp(0.0, 1.0) {
            return None;
        }
        // `not-found` is drawn on its own, for requests naming a fresh id.
        let kinds: Vec<FaultKind> = self.plan.kinds.iter().copied().filter(|k| *k != FaultKind::NotFoundAfterCreate).collect();
        if kinds.is_empty() {
            return None;
        }
        Some(kinds[rng.usize(0..kinds.len())])
    }

    fn count(&self, kind: FaultKind) {
        *self.injected.lock().unwrap_or_else(|e| e.into_inner()).entry(kind.label()).or_default() += 1;
    }

    /// Decide the fate of one request of `service` (strata's short name) and `operation`.
    pub(crate) fn decide(&self, service: &str, wire: Wire, operation: &str, body: Option<&[u8]>) -> Decision {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let fresh_id = if service == "ec2" && self.plan.kinds.contains(&FaultKind::NotFoundAfterCreate) {
            body.and_then(|b| self.names_fresh_id(b))
        } else {
            None
        };
        // A request naming an id created a moment ago meets eventual
        // consistency at the fault rate; once one gets through, AWS is consistent.
        if let Some(id) = fresh_id {
            let hit = self.rng.lock().unwrap_or_else(|e| e.into_inner()).f64() < self.plan.rate.clamp(0.0, 1.0);
            if hit {
                if let Some(answer) = error_answer(wire, 400, &not_found_code(&id), &format!("The ID '{id}' does not exist")) {
                    tracing::debug!(service, operation, fault = "not-found", "injected fault");
                    self.count(FaultKind::NotFoundAfterCreate);
                    return Decision::Answer(Box::new(answer));
                }
            }
            self.settle(&id);
        }
        let Some(kind) = self.roll() else {
            return Decision::Pass;
        };
        let answer = match kind {
            FaultKind::Slow => {
                let ms = self.rng.lock().unwrap_or_else(|e| e.into_inner()).u64(1..=self.plan.slow.as_millis().max(1) as u64);
                self.count(kind);
                return Decision::Delay(Duration::from_millis(ms));
            }
            FaultKind::NotFoundAfterCreate => return Decision::Pass, // never rolled (above)
            FaultKind::Throttle => {
                let (status, code) = wire.throttle();
                error_answer(wire, status, code, "Rate exceeded")
            }
            FaultKind::TooManyRequests => error_answer(wire, 429, wire.throttle().1, "Too Many Requests"),
            FaultKind::ServerError => {
                let unavailable = self.rng.lock().unwrap_or_else(|e| e.into_inner()).bool();
                if unavailable {
                    error_answer(wire, 503, "ServiceUnavailable", "Service is unavailable, try again later")
                } else {
                    error_answer(wire, 500, wire.internal_code(), "We encountered an internal error. Please try again.")
                }
            }
            FaultKind::ExpiredToken => error_answer(wire, 400, "ExpiredToken", "The security token included in the request is expired"),
        };
        let Some(answer) = answer else { return Decision::Pass };
        tracing::debug!(service, operation, fault = kind.label(), "injected fault");
        self.count(kind);
        Decision::Answer(Box::new(answer))
    }

    /// Whether a response body should be scanned for new ids.
    pub(crate) fn watches(&self, service: &str, operation: &str) -> bool {
        service == "ec2"
            && self.plan.kinds.contains(&FaultKind::NotFoundAfterCreate)
            && ["Create", "Run", "Allocate"].iter().any(|p| operation.starts_with(p))
    }

    /// Remember the id of what a create answer made (not the ids of the
    /// parents it names, such as a subnet's VPC).
    pub(crate) fn created(&self, operation: &str, body: &[u8]) {
        let Some(prefix) = made_by(operation) else { return };
        let ids: Vec<String> = ec2_ids(&String::from_utf8_lossy(body)).into_iter().filter(|id| id.starts_with(prefix)).collect();
        if !ids.is_empty() {
            self.fresh.lock().unwrap_or_else(|e| e.into_inner()).extend(ids);
        }
    }

    fn names_fresh_id(&self, body: &[u8]) -> Option<String> {
        let text = String::from_utf8_lossy(body);
        let fresh = self.fresh.lock().unwrap_or_else(|e| e.into_inner());
        // `=id&` or `=id` at the end: a whole parameter value.
        fresh.iter().find(|id| text.split('&').any(|kv| kv.split_once('=').is_some_and(|(_, v)| v == id.as_str()))).cloned()
    }

    fn settle(&self, id: &str) {
        self.fresh.lock().unwrap_or_else(|e| e.into_inner()).retain(|f| f != id);
    }
}

/// Faults injected in a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Requests that went through the injector (every attempt).
    pub requests: u64,
    /// Faults injected, per kind.
    pub injected: BTreeMap<String, u64>,
}

impl FaultStats {
    /// Every fault injected, of every kind.
    pub fn total(&self) -> u64 {
        self.injected.values().sum()
    }
}

impl std::fmt::Display for FaultStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.injected.iter().map(|(k, v)| format!("{v} {k}")).collect();
        write!(f, "{} faults injected in {} requests ({})", self.total(), self.requests, parts.join(", "))
    }
}

/// EC2 resource ids in an XML answer: `>vpc-0a1b2c<`.
fn ec2_ids(xml: &str) -> Vec<String> {
    const PREFIXES: [&str; 9] = ["vpc-", "subnet-", "sg-", "igw-", "rtb-", "nat-", "eipalloc-", "i-", "acl-"];
    let mut out = Vec::new();
    for piece in xml.split('>').skip(1) {
        let Some(value) = piece.split('<').next() else { continue };
        let is_id = PREFIXES.iter().any(|p| {
            value.strip_prefix(p).is_some_and(|rest| rest.len() >= 8 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
        });
        if is_id && !out.iter().any(|o| o == value) {
            out.push(value.to_string());
        }
    }
    out
}

/// The id prefix of what an EC2 create operation makes.
fn made_by(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "CreateVpc" => "vpc-",
        "CreateSubnet" => "subnet-",
        "CreateSecurityGroup" => "sg-",
        "CreateInternetGateway" => "igw-",
        "CreateRouteTable" => "rtb-",
        "CreateNatGateway" => "nat-",
        "AllocateAddress" => "eipalloc-",
        "RunInstances" => "i-",
        "CreateNetworkAcl" => "acl-",
        _ => return None,
    })
}

/// The code EC2 gives for an id it does not know yet.
fn not_found_code(id: &str) -> String {
    let kind = id.split('-').next().unwrap_or_default();
    match kind {
        "vpc" => "InvalidVpcID.NotFound",
        "subnet" => "InvalidSubnetID.NotFound",
        "sg" => "InvalidGroup.NotFound",
        "igw" => "InvalidInternetGatewayID.NotFound",
        "rtb" => "InvalidRouteTableID.NotFound",
        "nat" => "NatGatewayNotFound",
        "eipalloc" => "InvalidAllocationID.NotFound",
        "i" => "InvalidInstanceID.NotFound",
        _ => "InvalidNetworkAclID.NotFound",
    }
    .to_string()
}

/// The error wire format of one request's protocol, read from the request
/// itself, so a new service needs no entry here: AWS JSON carries
/// `X-Amz-Target`, the query protocols a form body, and what is left is REST
/// (JSON unless the service is one of the few REST-XML ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wire {
    /// EC2's query protocol (`<Response><Errors>`).
    Ec2Query,
    /// The AWS query protocol (IAM, RDS, ELBv2, SNS, ...): `<ErrorResponse>`.
    Query,
    /// S3's REST-XML: a bare `<Error>`.
    S3Xml,
    /// REST-XML of Route 53 and CloudFront: `<ErrorResponse>`.
    RestXml,
    /// REST-JSON: the code travels in `x-amzn-errortype`.
    RestJson,
    /// AWS JSON 1.0 or 1.1 (`__type` in the body).
    Json(&'static str),
}

/// The services whose REST protocol speaks XML (every other REST service speaks JSON).
const REST_XML: [&str; 2] = ["route53", "cloudfront"];

impl Wire {
    /// The wire of this request to `service`.
    pub(crate) fn of(service: &str, request: &HttpRequest) -> Wire {
        let headers = request.headers();
        Wire::detect(service, headers.get("x-amz-target").is_some(), headers.get("content-type"))
    }

    /// The wire of a request to `service` with these headers.
    pub(crate) fn detect(service: &str, has_target: bool, content_type: Option<&str>) -> Wire {
        let content_type = content_type.unwrap_or_default();
        if has_target {
            return Wire::Json(if content_type.contains("1.0") { "application/x-amz-json-1.0" } else { "application/x-amz-json-1.1" });
        }
        if content_type.starts_with("application/x-www-form-urlencoded") {
            return if service == "ec2" { Wire::Ec2Query } else { Wire::Query };
        }
        match service {
            "s3" => Wire::S3Xml,
            s if REST_XML.contains(&s) => Wire::RestXml,
            _ => Wire::RestJson,
        }
    }

    /// The throttling answer of the protocol: status and code.
    fn throttle(self) -> (u16, &'static str) {
        match self {
            Wire::Ec2Query => (503, "RequestLimitExceeded"),
            Wire::S3Xml => (503, "SlowDown"),
            Wire::Query | Wire::RestXml => (400, "Throttling"),
            Wire::RestJson => (429, "TooManyRequestsException"),
            Wire::Json(_) => (400, "ThrottlingException"),
        }
    }

    fn internal_code(self) -> &'static str {
        match self {
            Wire::Ec2Query | Wire::S3Xml => "InternalError",
            _ => "InternalFailure",
        }
    }
}

/// An error answer in the wire format of the request's protocol.
fn error_answer(wire: Wire, status: u16, code: &str, message: &str) -> Option<HttpResponse> {
    let request_id = format!("strata-fault-{:08x}", fastrand::u32(..));
    let (body, content_type, header_code) = match wire {
        Wire::Ec2Query => (
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"),
            "text/xml",
            false,
        ),
        Wire::S3Xml => (
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"),
            "application/xml",
            false,
        ),
        Wire::Query | Wire::RestXml => (
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"),
            "text/xml",
            false,
        ),
        Wire::RestJson => (format!("{{\"message\":\"{message}\"}}"), "application/json", true),
        Wire::Json(content_type) => (format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}"), content_type, true),
    };
    let status = StatusCode::try_from(status).ok()?;
    let mut response = HttpResponse::new(status, SdkBody::from(body));
    response.headers_mut().insert("content-type", content_type);
    response.headers_mut().insert("x-amzn-requestid", request_id.clone());
    response.headers_mut().insert("x-amz-request-id", request_id);
    if header_code {
        response.headers_mut().insert("x-amzn-errortype", code.to_string());
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_parse_and_bad_ones_are_refused() {
        assert_eq!(FaultPlan::parse("0.3").map(|p| p.rate), Ok(0.3));
        let p = FaultPlan::parse("rate=0.5,seed=9,slow_ms=20,kinds=throttle+5xx").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.seed, p.slow, p.kinds), (9, Duration::from_millis(20), vec![FaultKind::Throttle, FaultKind::ServerError]));
        assert!(FaultPlan::parse("rate=2").is_err());
        assert!(FaultPlan::parse("kinds=lightning").is_err());
        assert!(FaultPlan::parse("speed=1").is_err());
    }

    #[test]
    fn ids_are_found_in_create_answers() {
        let xml = "<CreateVpcResponse><vpc><vpcId>vpc-0123456789abcdef0</vpcId><state>pending</state><ownerId>123456789012</ownerId></vpc></CreateVpcResponse>";
        assert_eq!(ec2_ids(xml), vec!["vpc-0123456789abcdef0".to_string()]);
        assert!(ec2_ids("<x>i-short</x><y>vpc-zzzzzzzzzz</y>").is_empty());
    }

    #[test]
    fn a_fresh_id_is_not_found_until_a_request_gets_through() {
        let inj = FaultInjector::new(FaultPlan { rate: 1.0, kinds: vec![FaultKind::NotFoundAfterCreate], ..FaultPlan::new(1.0) });
        inj.created("CreateVpc", b"<vpcId>vpc-0123456789abcdef0</vpcId>");
        // A subnet's answer names its VPC: only the subnet is new.
        inj.created("CreateSubnet", b"<subnetId>subnet-0123456789abcdef1</subnetId><vpcId>vpc-0123456789abcdef9</vpcId>");
        assert_eq!(*inj.fresh.lock().unwrap_or_else(|e| e.into_inner()), vec!["vpc-0123456789abcdef0", "subnet-0123456789abcdef1"]);
        let body = b"Action=CreateSubnet&VpcId=vpc-0123456789abcdef0&CidrBlock=10.0.1.0%2F24";
        match inj.decide("ec2", Wire::Ec2Query, "CreateSubnet", Some(body)) {
            Decision::Answer(r) => {
                assert_eq!(r.status().as_u16(), 400);
                let text = String::from_utf8_lossy(r.body().bytes().unwrap_or_default()).to_string();
                assert!(text.contains("<Code>InvalidVpcID.NotFound</Code>"), "{text}");
            }
            other => panic!("expected a NotFound answer, got {other:?}"),
        }
        // Requests that name no fresh id are never given NotFound.
        assert!(matches!(inj.decide("ec2", Wire::Ec2Query, "DescribeVpcs", Some(b"Action=DescribeVpcs")), Decision::Pass));
        inj.settle("vpc-0123456789abcdef0");
        assert!(matches!(inj.decide("ec2", Wire::Ec2Query, "CreateSubnet", Some(body)), Decision::Pass));
        assert_eq!(inj.stats().injected.get("not-found"), Some(&1));
    }

    #[test]
    fn answers_speak_each_protocol() {
        let form = Some("application/x-www-form-urlencoded; charset=utf-8");
        assert_eq!(Wire::detect("iam", false, form), Wire::Query);
        assert_eq!(Wire::detect("ec2", false, form), Wire::Ec2Query);
        assert_eq!(Wire::detect("sqs", true, Some("application/x-amz-json-1.0")), Wire::Json("application/x-amz-json-1.0"));
        assert_eq!(Wire::detect("kms", true, Some("application/x-amz-json-1.1")), Wire::Json("application/x-amz-json-1.1"));
        assert_eq!(Wire::detect("s3", false, None), Wire::S3Xml);
        assert_eq!(Wire::detect("route53", false, Some("application/xml")), Wire::RestXml);
        assert_eq!(Wire::detect("backup", false, Some("application/json")), Wire::RestJson);
        let answer = |wire, code| error_answer(wire, 400, code, "Rate exceeded").unwrap_or_else(|| panic!("no answer"));
        let json = answer(Wire::Json("application/x-amz-json-1.1"), "ThrottlingException");
        assert_eq!(json.headers().get("x-amzn-errortype"), Some("ThrottlingException"));
        let query = answer(Wire::Query, "Throttling");
        assert!(String::from_utf8_lossy(query.body().bytes().unwrap_or_default()).contains("<ErrorResponse>"));
        assert_eq!(Wire::Ec2Query.throttle(), (503, "RequestLimitExceeded"));
    }
}
