//! The "design principles" (`shared/design/seeds/004_a29abb12bf9061fb.txt`,
//! summarised in `shared/design/other-systems.md`, system 5): an AWS
//! consultancy's default architectures, one account per environment (dev,
//! UAT, prod), non-production without HA and with smaller sizes.
//! `examples/principles-serverless.rs` holds the three environments'
//! settings (an [`Env`] each) and picks one, and
//! `examples/principles-k8s.rs` those of the Kubernetes variant (an `Env`
//! and a [`kubernetes::K8s`] each); this module turns them into a [`Stack`]:
//! the front every variant shares ([`front`]), the serverless variant behind
//! it ([`serverless`]) and the Kubernetes variant ([`kubernetes::kubernetes`],
//! whose readings are in its own module).
//!
//! # Who owns what
//!
//! * Each environment (`principles-dev`, `-uat`, `-prod`; the Kubernetes
//!   variant's `principles-k8s-dev`, ...) is one stack and
//!   owns everything it uses: its KMS key, its zone `<env>.<domain>`, the
//!   certificate and CloudFront distribution of the single-page app and its
//!   bucket, the Cognito user pool and the app's client, the HTTP API, the
//!   functions with their roles and log groups, the table, the topics and
//!   the alarms. Nothing is shared, so any environment can be destroyed on
//!   its own.
//! * "One account per environment under an organization" waits for
//!   multi-account support: until then each environment is a stack in one
//!   account.
//!
//! # Readings of the design (where it is vague)
//!
//! * "Route53 -> CloudFront (SPA) -> API Gateway (+ Cognito)": CloudFront
//!   serves the single-page app from a private S3 bucket (origin access
//!   control; `index.html` for every path the bucket lacks, so the app's
//!   router handles deep links) at `www.<env>.<domain>`; the app signs users
//!   in with the Cognito hosted UI (authorization code with PKCE, a client
//!   without a secret) and calls the HTTP API with the user's token; the API
//!   admits only the app's origin (CORS) and every route checks the token
//!   (a JWT authorizer whose issuer is the pool and whose audience is the
//!   app's client). The API answers at `api.<env>.<domain>` (a regional
//!   custom domain with its own DNS-validated certificate, mapped to the
//!   API's stage at the root); its default `execute-api` endpoint is turned
//!   off, so the domain is the only way in.
//! * "API Gateway -> Lambda / ECS Fargate, SNS events, DynamoDB, S3": Lambda
//!   only (the containers are the Kubernetes variant's). The orders function
//!   answers the API's routes and writes the orders table; a placed order is
//!   published to the `order-events` topic, to which the events function is
//!   subscribed. The table is keyed by customer and order, with an index by
//!   status, a stream, TTL and point-in-time recovery.
//! * "Encryption at rest everywhere, KMS keys managed centrally": one
//!   customer-managed key per environment (rotated yearly) encrypts the
//!   table, the topics, the functions' environment and the log groups; the
//!   SPA bucket uses S3's own encryption (CloudFront reads it through OAC,
//!   which a customer key would need a key policy for). "TLS on untrusted
//!   links": CloudFront redirects HTTP to HTTPS and the API is HTTPS only.
//! * "Least privilege": a role per function; the orders function may read
//!   and write that table, publish to that topic and use that key, and
//!   nothing else; the events function only writes its logs.
//! * "Central logs": a log group per function and one for the API's access
//!   logs, encrypted, kept 14 days (UAT 30, prod 365).
//! * "Secrets in Secrets Manager with rotation": the serverless variant
//!   holds no secret (the app's client has none; users' passwords are
//!   Cognito's); the Kubernetes variant's session-signing key is rotated by
//!   a function of its own (`SecretRotation`, see [`kubernetes`]).
//! * HA and sizes: prod requires MFA, protects the table and the pool from
//!   deletion, gives the functions more memory and reserved concurrency, and
//!   throttles the API higher; dev and UAT make MFA optional.

#![allow(dead_code)]

pub mod kubernetes;

use strata::aws::acm::{Certificate, CertificateValidation};
use strata::aws::apigatewayv2::{Authorizer, DomainName, HttpApi, Route};
use strata::aws::cloudfront::Distribution;
use strata::aws::cloudwatch::{Compare, MetricAlarm};
use strata::aws::cognito::{UserPool, UserPoolClient};
use strata::aws::dynamodb::{GlobalIndex, Table};
use strata::aws::iam::{PolicyDocument, Role, Statement};
use strata::aws::kms::Key;
use strata::aws::lambda::{Function, Permission};
use strata::aws::logs::LogGroup;
use strata::aws::route53::{HostedZone, Record, CLOUDFRONT_ZONE_ID};
use strata::aws::s3::{Bucket, BucketPolicy};
use strata::aws::sns::Topic;
use strata::prelude::*;

/// The region of every environment.
pub const REGION: &str = "eu-central-1";
/// CloudFront's certificates live here.
pub const EDGE_REGION: &str = "us-east-1";

/// The functions' code, zipped reproducibly by strata.
pub const ORDERS_CODE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/principles/lambdas/orders");
pub const EVENTS_CODE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/principles/lambdas/events");

/// One environment's settings.
#[derive(Clone, Debug)]
pub struct Env {
    /// The stack name (`principles-prod`).
    pub stack: String,
    /// The `env` tag and the names' environment part (`prod`).
    pub env: &'static str,
    /// The parent domain: the environment's zone is `<env>.<domain>`.
    pub domain: String,
    /// The hosted UI's domain prefix (unique in the region).
    pub login_prefix: String,
    /// Every user needs a TOTP app (otherwise optional).
    pub mfa_required: bool,
    /// The table and the user pool refuse deletion.
    pub protect: bool,
    /// The functions' memory (MB).
    pub memory: i64,
    /// Concurrent executions reserved for the orders function (none: the account's pool).
    pub reserved_concurrency: Option<i64>,
    /// The API's burst and steady rate limits.
    pub throttle: (i64, i64),
    pub log_days: i64,
    pub alarm_email: &'static str,
}

impl Env {
    /// A copy whose region-wide unique names carry `tag` (tests use this).
    pub fn isolated(mut self, tag: &str) -> Env {
        self.stack = format!("{tag}-{}", self.stack);
        self.login_prefix = format!("{tag}-{}", self.login_prefix).to_ascii_lowercase();
        // CloudFront names are unique account-wide too.
        self.domain = format!("{tag}.{}", self.domain);
        self
    }

    /// The environment's public zone.
    pub fn zone(&self) -> String {
        format!("{}.{}", self.env, self.domain)
    }

    /// The single-page app's name.
    pub fn www(&self) -> String {
        format!("www.{}", self.zone())
    }
}

/// What the front gives the variant behind it.
pub struct Front {
    pub zone: Ref<HostedZone>,
    pub key: Ref<Key>,
    pub pool: Ref<UserPool>,
    pub client: Ref<UserPoolClient>,
    pub alerts: Ref<Topic>,
}

/// The front every variant shares: the key, the zone, the single-page app
/// on CloudFront, the user pool and the app's client, the alarm topic.
pub fn front(s: &mut Stack, env: &Env) -> Front {
    let key = s.add("data-key", Key::new(format!("{}: data at rest", env.stack)));
    let zone = s.add("zone", HostedZone::public(&env.zone()).comment(&format!("Design principles, {}", env.env)));

    // The single-page app: a private bucket behind CloudFront.
    let www = env.www();
    let edge = || ResourceOptions::new().region(EDGE_REGION);
    let cert = s.add_with("spa-cert", Certificate::dns([www.clone()]), edge());
    let rec = s.add("dns/validation/www", Record::cname(zone.zone_id(), cert.validation_record_name_for(&www), cert.validation_record_value_for(&www)).ttl(300));
    let issued = s.add_with("spa-cert-issued", CertificateValidation::new(cert.arn()).record(rec.fqdn()), edge());
    let bucket = s.add("spa", Bucket::new().versioning(true).force_destroy(!env.protect));
    let cdn = s.add(
        "cdn",
        Distribution::spa("spa", bucket.regional_domain_name()).alias(&www).certificate(issued.certificate_arn()).comment(&format!("principles {}", env.env)),
    );
    s.add("spa-policy", BucketPolicy::cloudfront_reads(bucket.bucket_name(), bucket.arn(), cdn.arn()));
    s.add("dns/www", Record::alias(zone.zone_id(), &www, cdn.domain_name(), CLOUDFRONT_ZONE_ID));

    // Users: the pool and the app's client (no secret: a browser keeps none).
    let pool = s.add(
        "users",
        UserPool::new().mfa(if env.mfa_required { "ON" } else { "OPTIONAL" }).deletion_protection(env.protect).domain_prefix(env.login_prefix.as_str()),
    );
    let client = s.add(
        "spa-client",
        UserPoolClient::browser(pool.id(), [format!("https://{www}/callback")]).logout_urls(vec![format!("https://{www}/")]),
    );
    let alerts = s.add("alerts", Topic::new().kms_key(key.arn()).email_subscription(env.alarm_email));
    Front { zone, key, pool, client, alerts }
}

/// The API's custom domain `api.<zone>`, the only way in: its certificate
/// (DNS-validated), the domain mapped to the API's stage at the root, and
/// its alias record. Answers the domain name.
pub fn api_domain(s: &mut Stack, env: &Env, zone: &Ref<HostedZone>, api: &Ref<HttpApi>) -> String {
    let api_name = format!("api.{}", env.zone());
    let api_cert = s.add("api-cert", Certificate::dns([api_name.clone()]));
    let api_rec = s.add("dns/validation/api", Record::cname(zone.zone_id(), api_cert.validation_record_name_for(&api_name), api_cert.validation_record_value_for(&api_name)).ttl(300));
    let api_issued = s.add("api-cert-issued", CertificateValidation::new(api_cert.arn()).record(api_rec.fqdn()));
    let domain = s.add("api-domain", DomainName::new(&api_name, api_issued.certificate_arn()).mapping(api.id(), "$default", ""));
    s.add("dns/api", Record::alias(zone.zone_id(), &api_name, domain.target_domain_name(), domain.hosted_zone_id()));
    api_name
}

/// An encrypted log group for a function or the API.
fn logs(s: &mut Stack, env: &Env, name: &str, key: &Ref<Key>) -> Ref<LogGroup> {
    s.add(format!("logs/{name}"), LogGroup::new().retention_days(env.log_days).kms_key_id(key.arn()))
}

/// A role Lambda assumes, writing to its log group and, with `extra`, more.
fn function_role(s: &mut Stack, name: &str, group: &Ref<LogGroup>, extra: Vec<Statement>) -> Ref<Role> {
    let mut doc = PolicyDocument::new().statement(Statement::allow().actions(["logs:CreateLogStream", "logs:PutLogEvents"]).resource(group.arn()));
    for st in extra {
        doc = doc.statement(st);
    }
    s.add(format!("{name}-role"), Role::new(PolicyDocument::assumed_by("lambda.amazonaws.com")).inline_policy("least-privilege", doc))
}

/// The serverless variant: the front, then the HTTP API, the functions, the
/// table and the events.
pub fn serverless(env: &Env) -> Stack {
    let mut s = Stack::new(env.stack.as_str(), REGION);
    s.default_tag("env", env.env);
    s.default_tag("system", "design-principles");
    let f = front(&mut s, env);

    let table = s.add(
        "orders-table",
        Table::new("customer_id", "S")
            .sort_key("order_id", "S")
            .attribute("status", "S")
            .global_index(GlobalIndex::new("by-status", "status").sort_key("order_id").keys_only())
            .stream("NEW_AND_OLD_IMAGES")
            .ttl_attribute("expires_at")
            .kms_key(f.key.arn())
            .deletion_protection(env.protect),
    );
    let events = s.add("order-events", Topic::new().kms_key(f.key.arn()));

    // The orders function: the API's routes.
    let orders_logs = logs(&mut s, env, "orders", &f.key);
    let table_arn = table.arn();
    let data = vec![
        Statement::allow()
            .actions(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"])
            .resource(table_arn.clone())
            .resource(table_arn.map(|a| format!("{a}/index/*"))),
        Statement::allow().action("sns:Publish").resource(events.arn()),
        Statement::allow().actions(["kms:Decrypt", "kms:GenerateDataKey"]).resource(f.key.arn()),
    ];
    let orders_role = function_role(&mut s, "orders", &orders_logs, data);
    let mut orders = Function::from_dir(ORDERS_CODE, "python3.12", "index.handler", orders_role.arn())
        .memory(env.memory)
        .timeout(10)
        .arm64()
        .env("TABLE", table.table_name())
        .env("EVENTS", events.arn())
        .kms_key_arn(f.key.arn())
        .logs_to(orders_logs.group_name());
    if let Some(n) = env.reserved_concurrency {
        orders = orders.reserved_concurrency(n);
    }
    let orders = s.add("orders", orders);

    // The events function: subscribed to the order events.
    let events_logs = logs(&mut s, env, "order-events", &f.key);
    let events_role = function_role(&mut s, "order-events", &events_logs, vec![Statement::allow().action("kms:Decrypt").resource(f.key.arn())]);
    let events_fn = s.add(
        "order-events-fn",
        Function::from_dir(EVENTS_CODE, "python3.12", "index.handler", events_role.arn())
            .memory(env.memory)
            .arm64()
            .kms_key_arn(f.key.arn())
            .logs_to(events_logs.group_name())
            .subscribe(events.arn()),
    );

    // The API: every route checks the user's token.
    let api_logs = logs(&mut s, env, "api", &f.key);
    let origin = format!("https://{}", env.www());
    let route = |key: &str| Route::lambda(key, orders.arn()).authorizer("users");
    let api = s.add(
        "api",
        HttpApi::new()
            .description(format!("Orders API, {}", env.env))
            .cors_origins(vec![origin])
            .cors_methods(vec!["GET".to_string(), "POST".to_string()])
            .cors_headers(vec!["authorization".to_string(), "content-type".to_string()])
            .cors_max_age(3600)
            .authorizer(Authorizer::jwt("users", f.pool.issuer(), [f.client.client_id()]))
            .route(route("GET /orders"))
            .route(route("GET /orders/{id}"))
            .route(route("POST /orders"))
            .throttling(env.throttle.0, env.throttle.1)
            .access_logs(api_logs.arn())
            .disable_execute_api_endpoint(true),
    );
    let api_name = api_domain(&mut s, env, &f.zone, &api);
    s.add("orders-from-api", Permission::new(orders.function_name(), "apigateway.amazonaws.com").source_arn(format_output("{}/*/*", &[api.execution_arn()])));

    // Alarms: any function error pages the team.
    for (name, function) in [("orders", orders.function_name()), ("order-events", events_fn.function_name())] {
        s.add(
            format!("alarms/{name}-errors"),
            MetricAlarm::new("AWS/Lambda", "Errors", "Sum", Compare::GreaterThan, 0.0).dimension("FunctionName", function).period_seconds(300).alarm_action(f.alerts.arn()),
        );
    }

    s.export("app_url", Output::known(format!("https://{}", env.www())));
    s.export("api_url", Output::known(format!("https://{api_name}")));
    s.export("user_pool", f.pool.id());
    s.export("app_client", f.client.client_id());
    s.export("table", table.table_name());
    s
}
