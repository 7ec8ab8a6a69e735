//! `aws:apigatewayv2:HttpApi`: an HTTP API with its CORS settings, routes
//! (each with its integration: a Lambda function, an HTTP endpoint, or a
//! private NLB listener through a VPC link), JWT authorizers (a Cognito user
//! pool) and one auto-deployed stage (throttling, access logs).
//!
//! Routes are keyed by their route key (`GET /orders`), authorizers by name;
//! an integration is known by what it targets (type, URI, method, VPC link),
//! so two routes to the same function share one. An update reads the API's
//! parts afresh and makes the fewest calls that bring them in line: new
//! integrations and authorizers first, then the routes, then the parts no
//! route uses any more are deleted. The stage deploys itself (`autoDeploy`):
//! a change of routes or integrations is live without a deployment step, and
//! the plan shows it as an update of `routes`.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_apigatewayv2::types::{
    AccessLogSettings, Api, AuthorizationType, Authorizer as SdkAuthorizer, AuthorizerType, ConnectionType, Cors, Integration, IntegrationType,
    JwtConfiguration, ProtocolType, Route as SdkRoute, RouteSettings, Stage,
};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use aws_sdk_apigatewayv2::Client;

use crate::{client, sts, tags_of, ApiTags};

/// The access-log format used when the program names none (JSON, one line).
pub const DEFAULT_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","integrationError":"$context.integrationErrorMessage"}"#;

strata_aws::kind_fields! {
    /// An HTTP API.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_apigatewayv2::{Authorizer, HttpApi, Route};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let api = stack.add(
    ///     "public-api",
    ///     HttpApi::new()
    ///         .cors_origins(vec!["https://shop.example.com".to_string()])
    ///         .authorizer(Authorizer::jwt("users", "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbC", ["client-id"]))
    ///         .route(Route::lambda("GET /orders", "arn:aws:lambda:eu-central-1:111122223333:function:orders").authorizer("users"))
    ///         .throttling(100, 50)
    ///         .access_logs("arn:aws:logs:eu-central-1:111122223333:log-group:api"),
    /// );
    /// let _ = (api.api_endpoint(), api.execution_arn());
    /// ```
    pub struct HttpApi: "aws:apigatewayv2:HttpApi";
    values HttpApiValues;
    handle HttpApiHandle / HttpApiOutputs { api_endpoint, execution_arn, invoke_url };
    fields {
        /// The API's name (default: `<stack>-<logical name>`).
        name: str [update];
        /// A description.
        description: str [update] = "";
        /// CORS: the origins allowed (none: no CORS).
        cors_origins: strs [update] = Vec::<String>::new();
        /// CORS: the methods allowed.
        cors_methods: strs [update] = Vec::<String>::new();
        /// CORS: the headers allowed.
        cors_headers: strs [update] = Vec::<String>::new();
        /// CORS: seconds a browser caches the preflight answer.
        cors_max_age: int [update cleared];
        /// Turn off the `execute-api` endpoint (callers must use a custom domain).
        disable_execute_api_endpoint: bool [update] = false;
        /// The routes (see [`Route`]).
        routes: list [update];
        /// The JWT authorizers (see [`Authorizer`]).
        authorizers: list [update];
        /// The stage's name (`$default`: served at the root).
        stage_name: str [update] = "$default";
        /// The stage's burst limit (requests).
        throttle_burst: int [update cleared];
        /// The stage's steady rate limit (requests a second).
        throttle_rate: int [update cleared];
        /// The log group access logs go to (its ARN; none: no access logs).
        access_log_arn: str [update cleared];
        /// The access-log line format.
        access_log_format: str [update] = DEFAULT_LOG_FORMAT;
    }
}

/// One route: its key (`GET /orders`, `ANY /{proxy+}` or `$default`), its
/// integration and, optionally, the JWT authorizer that guards it.
#[derive(Clone, Debug)]
pub struct Route {
    key: String,
    integration_type: &'static str,
    uri: Arg<String>,
    method: Option<String>,
    connection: Option<Arg<String>>,
    payload: &'static str,
    authorizer: Option<String>,
    scopes: Vec<String>,
}

impl Route {
    /// A route to a Lambda function (its ARN), with the 2.0 event format.
    pub fn lambda(key: impl Into<String>, function_arn: impl Into<Arg<String>>) -> Self {
        Route { key: key.into(), integration_type: "AWS_PROXY", uri: function_arn.into(), method: None, connection: None, payload: "2.0", authorizer: None, scopes: Vec::new() }
    }

    /// A route proxied to an HTTP endpoint (`https://...`), any method.
    pub fn http(key: impl Into<String>, url: impl Into<Arg<String>>) -> Self {
        Route { key: key.into(), integration_type: "HTTP_PROXY", uri: url.into(), method: Some("ANY".into()), connection: None, payload: "1.0", authorizer: None, scopes: Vec::new() }
    }

    /// A route to a private network load balancer's listener (its ARN)
    /// through a VPC link (its id).
    pub fn private(key: impl Into<String>, vpc_link: impl Into<Arg<String>>, listener_arn: impl Into<Arg<String>>) -> Self {
        Route {
            key: key.into(),
            integration_type: "HTTP_PROXY",
            uri: listener_arn.into(),
            method: Some("ANY".into()),
            connection: Some(vpc_link.into()),
            payload: "1.0",
            authorizer: None,
            scopes: Vec::new(),
        }
    }

    /// Guard the route with the authorizer of this name.
    pub fn authorizer(mut self, name: impl Into<String>) -> Self {
        self.authorizer = Some(name.into());
        self
    }

    /// The OAuth scopes a token must hold (with an authorizer).
    pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    fn into_input(self) -> Input {
        let known = |v: Value| Input::Known(v);
        Input::Map(BTreeMap::from([
            ("route_key".to_string(), known(Value::Str(self.key))),
            ("integration_type".to_string(), known(Value::str(self.integration_type))),
            ("integration_uri".to_string(), self.uri.into_input()),
            ("integration_method".to_string(), known(self.method.map_or(Value::Null, Value::Str))),
            ("connection_id".to_string(), self.connection.map_or(known(Value::Null), Arg::into_input)),
            ("payload_format_version".to_string(), known(Value::str(self.payload))),
            ("authorizer".to_string(), known(self.authorizer.map_or(Value::Null, Value::Str))),
            ("scopes".to_string(), known(Value::List(self.scopes.into_iter().map(Value::Str).collect()))),
        ]))
    }
}

/// A JWT authorizer: the token's issuer (a Cognito user pool's
/// `https://cognito-idp.<region>.amazonaws.com/<pool id>`) and audiences
/// (the app clients' ids), read from the `Authorization` header.
#[derive(Clone, Debug)]
pub struct Authorizer {
    name: String,
    issuer: Arg<String>,
    audience: Vec<Arg<String>>,
}

impl Authorizer {
    /// A JWT authorizer named `name`.
    pub fn jwt<A: Into<Arg<String>>>(name: impl Into<String>, issuer: impl Into<Arg<String>>, audience: impl IntoIterator<Item = A>) -> Self {
        Authorizer { name: name.into(), issuer: issuer.into(), audience: audience.into_iter().map(Into::into).collect() }
    }

    fn into_input(self) -> Input {
        Input::Map(BTreeMap::from([
            ("name".to_string(), Input::Known(Value::Str(self.name))),
            ("issuer".to_string(), self.issuer.into_input()),
            ("audience".to_string(), Input::List(self.audience.into_iter().map(Arg::into_input).collect())),
            ("identity_source".to_string(), Input::Known(Value::str("$request.header.Authorization"))),
        ]))
    }
}

impl HttpApi {
    /// An HTTP API without routes, served by a `$default` stage that deploys itself.
    pub fn new() -> Self {
        Self::empty()
    }

    /// Add a route.
    pub fn route(self, route: Route) -> Self {
        self.push(V::routes, route.into_input())
    }

    /// Add a JWT authorizer.
    pub fn authorizer(self, authorizer: Authorizer) -> Self {
        self.push(V::authorizers, authorizer.into_input())
    }

    /// Limit the stage to `burst` requests at once and `rate` a second.
    pub fn throttling(self, burst: i64, rate: i64) -> Self {
        self.throttle_burst(burst).throttle_rate(rate)
    }

    /// Write access logs to this log group (its ARN or an output).
    pub fn access_logs(self, log_group_arn: impl Into<Arg<String>>) -> Self {
        self.access_log_arn(log_group_arn)
    }
}

impl Default for HttpApi {
    fn default() -> Self {
        Self::new()
    }
}

type V = HttpApiValues;

/// The kind behind [`HttpApi`].
pub(crate) struct HttpApis;

/// An API as listed, with its parts once completed.
pub(crate) struct Item {
    api: Api,
    routes: Vec<SdkRoute>,
    integrations: Vec<Integration>,
    authorizers: Vec<SdkAuthorizer>,
    stages: Vec<Stage>,
    account: Option<String>,
    region: String,
}

fn invalid(op: &str, msg: String) -> ProviderError {
    ProviderError::new(ErrorClass::Invalid, op, msg)
}

/// The account the connection acts in (`GetCallerIdentity`).
async fn account(aws: &Aws, region: &str) -> Result<Option<String>, ProviderError> {
    let who = sts(aws, region).get_caller_identity().send().await.map_err(err("GetCallerIdentity"))?;
    Ok(who.account().map(str::to_string))
}

fn api_arn(region: &str, id: &str) -> String {
    format!("arn:aws:apigateway:{region}::/apis/{id}")
}

/// A log group's ARN as API Gateway takes it (without the `:*` CloudWatch adds).
fn log_arn(arn: &str) -> String {
    arn.strip_suffix(":*").unwrap_or(arn).to_string()
}

macro_rules! all_items {
    ($call:expr, $op:literal) => {{
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = $call.set_next_token(token.clone()).send().await.map_err(err($op))?;
            out.extend(page.items().iter().cloned());
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        out
    }};
}

/// One integration's identity: what it targets.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Target {
    integration_type: String,
    uri: String,
    method: Option<String>,
    connection_id: Option<String>,
    payload: String,
}

impl Target {
    fn of_route(m: &BTreeMap<String, Value>) -> Option<Target> {
        let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Target {
            integration_type: s("integration_type")?,
            uri: s("integration_uri")?,
            method: s("integration_method"),
            connection_id: s("connection_id"),
            payload: s("payload_format_version").unwrap_or_else(|| "1.0".into()),
        })
    }

    fn of_sdk(i: &Integration) -> Option<Target> {
        Some(Target {
            integration_type: i.integration_type()?.as_str().to_string(),
            uri: i.integration_uri()?.to_string(),
            method: i.integration_method().map(str::to_string).filter(|_| i.integration_type() != Some(&IntegrationType::AwsProxy)),
            connection_id: i.connection_id().map(str::to_string).filter(|_| i.connection_type() == Some(&ConnectionType::VpcLink)),
            payload: i.payload_format_version().unwrap_or("1.0").to_string(),
        })
    }

    fn fields(&self, m: &mut BTreeMap<String, Value>) {
        m.insert("integration_type".into(), Value::Str(self.integration_type.clone()));
        m.insert("integration_uri".into(), Value::Str(self.uri.clone()));
        m.insert("integration_method".into(), self.method.clone().map_or(Value::Null, Value::Str));
        m.insert("connection_id".into(), self.connection_id.clone().map_or(Value::Null, Value::Str));
        m.insert("payload_format_version".into(), Value::Str(self.payload.clone()));
    }
}

/// A declared route's parts.
struct WantRoute {
    key: String,
    target: Target,
    authorizer: Option<String>,
    scopes: Vec<String>,
}

fn want_routes(v: &V) -> Vec<WantRoute> {
    v.routes
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            let m = r.as_map()?;
            Some(WantRoute {
                key: m.get("route_key")?.as_str()?.to_string(),
                target: Target::of_route(m)?,
                authorizer: m.get("authorizer").and_then(Value::as_str).map(str::to_string),
                scopes: m.get("scopes").and_then(Value::as_list).unwrap_or_default().iter().filter_map(Value::as_str).map(str::to_string).collect(),
            })
        })
        .collect()
}

/// A declared authorizer's parts.
struct WantAuthorizer {
    name: String,
    issuer: String,
    audience: Vec<String>,
    identity_source: String,
}

fn want_authorizers(v: &V) -> Vec<WantAuthorizer> {
    v.authorizers
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter_map(|a| {
            let m = a.as_map()?;
            let mut audience: Vec<String> = m.get("audience").and_then(Value::as_list).unwrap_or_default().iter().filter_map(Value::as_str).map(str::to_string).collect();
            audience.sort();
            Some(WantAuthorizer {
                name: m.get("name")?.as_str()?.to_string(),
                issuer: m.get("issuer")?.as_str()?.to_string(),
                audience,
                identity_source: m.get("identity_source").and_then(Value::as_str).unwrap_or("$request.header.Authorization").to_string(),
            })
        })
        .collect()
}

fn cors(v: &V) -> Option<Cors> {
    let origins = v.cors_origins.clone().unwrap_or_default();
    if origins.is_empty() {
        return None;
    }
    let b = Cors::builder().set_allow_origins(Some(origins)).set_allow_methods(v.cors_methods.clone()).set_allow_headers(v.cors_headers.clone());
    Some(b.set_max_age(v.cors_max_age.and_then(|m| i32::try_from(m).ok())).build())
}

fn route_settings(v: &V) -> RouteSettings {
    let b = RouteSettings::builder().set_throttling_burst_limit(v.throttle_burst.and_then(|b| i32::try_from(b).ok()));
    #[allow(clippy::cast_precision_loss)]
    b.set_throttling_rate_limit(v.throttle_rate.map(|r| r as f64)).build()
}

fn access_logs(v: &V) -> Option<AccessLogSettings> {
    v.access_log_arn.as_ref().map(|a| AccessLogSettings::builder().destination_arn(log_arn(a)).format(v.access_log_format.clone().unwrap_or_else(|| DEFAULT_LOG_FORMAT.into())).build())
}

async fn read_parts(c: &Client, item: &mut Item) -> Result<(), ProviderError> {
    let Some(id) = item.api.api_id().map(str::to_string) else { return Ok(()) };
    item.routes = all_items!(c.get_routes().api_id(&id), "GetRoutes");
    item.integrations = all_items!(c.get_integrations().api_id(&id), "GetIntegrations");
    item.authorizers = all_items!(c.get_authorizers().api_id(&id), "GetAuthorizers");
    item.stages = all_items!(c.get_stages().api_id(&id), "GetStages");
    Ok(())
}

async fn apis(aws: &Aws, region: &str) -> Result<Vec<Api>, ProviderError> {
    let c = client(aws, region);
    Ok(all_items!(c.get_apis(), "GetApis"))
}

fn item(api: Api, region: &str) -> Item {
    Item { api, routes: Vec::new(), integrations: Vec::new(), authorizers: Vec::new(), stages: Vec::new(), account: None, region: region.to_string() }
}

/// Bring the API's routes, integrations, authorizers and stage in line with `v`.
async fn sync(c: &Client, id: &str, v: &V, resource: &str) -> Result<(), ProviderError> {
    let mut have = item(Api::builder().api_id(id).build(), "");
    read_parts(c, &mut have).await?;

    // Authorizers by name: created or changed first (routes refer to them).
    let mut authorizer_ids: BTreeMap<String, String> = BTreeMap::new();
    for a in want_authorizers(v) {
        let jwt = JwtConfiguration::builder().set_audience(Some(a.audience.clone())).issuer(&a.issuer).build();
        match have.authorizers.iter().find(|h| h.name() == Some(a.name.as_str())) {
            Some(h) => {
                let hid = h.authorizer_id().ok_or_else(|| strata_aws::lacks("GetAuthorizers", "authorizerId", resource))?.to_string();
                let mut aud: Vec<String> = h.jwt_configuration().map(|j| j.audience().to_vec()).unwrap_or_default();
                aud.sort();
                let same = h.jwt_configuration().and_then(JwtConfiguration::issuer) == Some(a.issuer.as_str()) && aud == a.audience && h.identity_source() == [a.identity_source.clone()];
                if !same {
                    let u = c.update_authorizer().api_id(id).authorizer_id(&hid).jwt_configuration(jwt).identity_source(&a.identity_source);
                    u.send().await.map_err(err("UpdateAuthorizer"))?;
                }
                authorizer_ids.insert(a.name.clone(), hid);
            }
            None => {
                let out = c
                    .create_authorizer()
                    .api_id(id)
                    .name(&a.name)
                    .authorizer_type(AuthorizerType::Jwt)
                    .identity_source(&a.identity_source)
                    .jwt_configuration(jwt)
                    .send()
                    .await
                    .map_err(err("CreateAuthorizer"))?;
                let aid = out.authorizer_id().ok_or_else(|| strata_aws::lacks("CreateAuthorizer", "authorizerId", resource))?;
                authorizer_ids.insert(a.name.clone(), aid.to_string());
            }
        }
    }

    // Integrations by target: reused when one already targets the same thing.
    let routes = want_routes(v);
    let mut integration_ids: BTreeMap<Target, String> = BTreeMap::new();
    for h in &have.integrations {
        if let (Some(t), Some(hid)) = (Target::of_sdk(h), h.integration_id()) {
            integration_ids.entry(t).or_insert_with(|| hid.to_string());
        }
    }
    for r in &routes {
        if integration_ids.contains_key(&r.target) {
            continue;
        }
        let t = &r.target;
        let out = c
            .create_integration()
            .api_id(id)
            .integration_type(IntegrationType::from(t.integration_type.as_str()))
            .integration_uri(&t.uri)
            .set_integration_method(t.method.clone())
            .connection_type(if t.connection_id.is_some() { ConnectionType::VpcLink } else { ConnectionType::Internet })
            .set_connection_id(t.connection_id.clone())
            .payload_format_version(&t.payload)
            .send()
            .await
            .map_err(err("CreateIntegration"))?;
        let iid = out.integration_id().ok_or_else(|| strata_aws::lacks("CreateIntegration", "integrationId", resource))?;
        integration_ids.insert(t.clone(), iid.to_string());
    }

    // Routes by key.
    for r in &routes {
        let target = format!("integrations/{}", integration_ids.get(&r.target).ok_or_else(|| strata_aws::lacks("CreateIntegration", "integrationId", resource))?);
        let auth_id = match &r.authorizer {
            Some(a) => Some(authorizer_ids.get(a).cloned().ok_or_else(|| invalid("CreateRoute", format!("`{resource}`: route {:?} names the authorizer {a:?}, which is not declared", r.key)))?),
            None => None,
        };
        let auth_type = if auth_id.is_some() { AuthorizationType::Jwt } else { AuthorizationType::None };
        match have.routes.iter().find(|h| h.route_key() == Some(r.key.as_str())) {
            Some(h) => {
                let same = h.target() == Some(target.as_str())
                    && h.authorizer_id().map(str::to_string) == auth_id
                    && h.authorization_type().unwrap_or(&AuthorizationType::None) == &auth_type
                    && (auth_type != AuthorizationType::Jwt || h.authorization_scopes() == r.scopes.as_slice());
                if !same {
                    let rid = h.route_id().ok_or_else(|| strata_aws::lacks("GetRoutes", "routeId", resource))?;
                    c.update_route()
                        .api_id(id)
                        .route_id(rid)
                        .target(&target)
                        .authorization_type(auth_type)
                        .set_authorizer_id(auth_id.clone())
                        .set_authorization_scopes(Some(r.scopes.clone()))
                        .send()
                        .await
                        .map_err(err("UpdateRoute"))?;
                }
            }
            None => {
                c.create_route()
                    .api_id(id)
                    .route_key(&r.key)
                    .target(&target)
                    .authorization_type(auth_type)
                    .set_authorizer_id(auth_id.clone())
                    .set_authorization_scopes((!r.scopes.is_empty()).then(|| r.scopes.clone()))
                    .send()
                    .await
                    .map_err(err("CreateRoute"))?;
            }
        }
    }

    // What no declaration uses any more goes last.
    for h in have.routes.iter().filter(|h| !routes.iter().any(|r| h.route_key() == Some(r.key.as_str()))) {
        if let Some(rid) = h.route_id() {
            strata_aws::unless_gone(c.delete_route().api_id(id).route_id(rid).send().await.map_err(err("DeleteRoute")))?;
        }
    }
    let used: Vec<&String> = routes.iter().filter_map(|r| integration_ids.get(&r.target)).collect();
    for h in &have.integrations {
        if let Some(iid) = h.integration_id().filter(|i| !used.iter().any(|u| u.as_str() == *i)) {
            strata_aws::unless_gone(c.delete_integration().api_id(id).integration_id(iid).send().await.map_err(err("DeleteIntegration")))?;
        }
    }
    let names: Vec<String> = want_authorizers(v).into_iter().map(|a| a.name).collect();
    for h in have.authorizers.iter().filter(|h| !h.name().is_some_and(|n| names.iter().any(|w| w == n))) {
        if let Some(aid) = h.authorizer_id() {
            strata_aws::unless_gone(c.delete_authorizer().api_id(id).authorizer_id(aid).send().await.map_err(err("DeleteAuthorizer")))?;
        }
    }

    // The stage.
    let stage = v.stage_name.clone().unwrap_or_else(|| "$default".into());
    match have.stages.iter().find(|s| s.stage_name() == Some(stage.as_str())) {
        None => {
            c.create_stage()
                .api_id(id)
                .stage_name(&stage)
                .auto_deploy(true)
                .default_route_settings(route_settings(v))
                .set_access_log_settings(access_logs(v))
                .send()
                .await
                .map_err(err("CreateStage"))?;
        }
        Some(s) => {
            if stage_differs(s, v) {
                c.update_stage()
                    .api_id(id)
                    .stage_name(&stage)
                    .auto_deploy(true)
                    .default_route_settings(route_settings(v))
                    // No settings means none: an empty destination turns access logs off.
                    .access_log_settings(access_logs(v).unwrap_or_else(|| AccessLogSettings::builder().build()))
                    .send()
                    .await
                    .map_err(err("UpdateStage"))?;
            }
        }
    }
    for s in have.stages.iter().filter(|s| s.stage_name() != Some(stage.as_str())) {
        if let Some(n) = s.stage_name() {
            strata_aws::unless_gone(c.delete_stage().api_id(id).stage_name(n).send().await.map_err(err("DeleteStage")))?;
        }
    }
    Ok(())
}

fn stage_differs(s: &Stage, v: &V) -> bool {
    let rs = s.default_route_settings();
    #[allow(clippy::cast_possible_truncation)]
    let rate = rs.and_then(RouteSettings::throttling_rate_limit).map(|r| r as i64);
    let logs = s.access_log_settings().and_then(AccessLogSettings::destination_arn).map(log_arn);
    s.auto_deploy() != Some(true)
        || rs.and_then(RouteSettings::throttling_burst_limit).map(i64::from) != v.throttle_burst
        || rate != v.throttle_rate
        || logs != v.access_log_arn.as_deref().map(log_arn)
        || (logs.is_some() && s.access_log_settings().and_then(AccessLogSettings::format) != v.access_log_format.as_deref())
}

#[async_trait]
impl Kind for HttpApis {
    type Builder = HttpApi;
    type Item = Item;
    type Tags = ApiTags;

    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(item: &Item) -> Option<&str> {
        item.api.api_id()
    }

    fn tag_target(item: &Item) -> Option<String> {
        item.api.api_id().map(|id| api_arn(&item.region, id))
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(tags_of(item.api.tags()))
    }

    fn observe(item: &Item) -> Seen<HttpApi> {
        let a = &item.api;
        let cors = a.cors_configuration();
        let list = |l: &[String]| Some(l.to_vec());
        let by_id: BTreeMap<&str, &Integration> = item.integrations.iter().filter_map(|i| Some((i.integration_id()?, i))).collect();
        let auth_names: BTreeMap<&str, &str> = item.authorizers.iter().filter_map(|x| Some((x.authorizer_id()?, x.name()?))).collect();
        let routes: Vec<Value> = item
            .routes
            .iter()
            .filter_map(|r| {
                let mut m = BTreeMap::new();
                m.insert("route_key".to_string(), Value::str(r.route_key()?));
                let target = r.target().and_then(|t| t.strip_prefix("integrations/")).and_then(|i| by_id.get(i)).and_then(|i| Target::of_sdk(i));
                match target {
                    Some(t) => t.fields(&mut m),
                    // A route to nothing strata can read shows as a change.
                    None => {
                        m.insert("integration_uri".into(), r.target().map_or(Value::Null, Value::str));
                    }
                }
                let jwt = r.authorization_type() == Some(&AuthorizationType::Jwt);
                let auth = r.authorizer_id().filter(|_| jwt).map(|id| auth_names.get(id).map_or_else(|| Value::str(id), |n| Value::str(*n)));
                m.insert("authorizer".into(), auth.unwrap_or(Value::Null));
                // Scopes count only with an authorizer (what a route without one keeps is inert).
                let scopes = if jwt { r.authorization_scopes().iter().map(Value::str).collect() } else { Vec::new() };
                m.insert("scopes".into(), Value::List(scopes));
                Some(Value::Map(m))
            })
            .collect();
        let authorizers: Vec<Value> = item
            .authorizers
            .iter()
            .filter_map(|x| {
                let jwt = x.jwt_configuration();
                Some(Value::Map(BTreeMap::from([
                    ("name".to_string(), Value::str(x.name()?)),
                    ("issuer".to_string(), jwt.and_then(JwtConfiguration::issuer).map_or(Value::Null, Value::str)),
                    ("audience".to_string(), Value::List(jwt.map(|j| j.audience()).unwrap_or_default().iter().map(Value::str).collect())),
                    ("identity_source".to_string(), x.identity_source().first().map_or(Value::Null, Value::str)),
                ])))
            })
            .collect();
        // The stage strata keeps: `$default` if there is one, else the first.
        let stage = item.stages.iter().find(|s| s.stage_name() == Some("$default")).or_else(|| item.stages.first());
        let rs = stage.and_then(Stage::default_route_settings);
        let logs = stage.and_then(Stage::access_log_settings).filter(|l| l.destination_arn().is_some_and(|d| !d.is_empty()));
        let endpoint = a.api_endpoint().map(str::to_string);
        let stage_name = stage.and_then(Stage::stage_name).map(str::to_string);
        #[allow(clippy::cast_possible_truncation)]
        let rate = rs.and_then(RouteSettings::throttling_rate_limit).map(|r| r as i64);
        Seen {
            values: V {
                name: a.name().map(str::to_string),
                description: Some(a.description().unwrap_or_default().to_string()),
                cors_origins: list(cors.map(Cors::allow_origins).unwrap_or_default()),
                cors_methods: list(cors.map(Cors::allow_methods).unwrap_or_default()),
                cors_headers: list(cors.map(Cors::allow_headers).unwrap_or_default()),
                cors_max_age: cors.and_then(Cors::max_age).map(i64::from),
                disable_execute_api_endpoint: Some(a.disable_execute_api_endpoint().unwrap_or(false)),
                routes: Some(routes),
                authorizers: Some(authorizers),
                throttle_burst: rs.and_then(RouteSettings::throttling_burst_limit).map(i64::from),
                throttle_rate: rate,
                access_log_arn: logs.and_then(AccessLogSettings::destination_arn).map(log_arn),
                access_log_format: Some(logs.and_then(AccessLogSettings::format).unwrap_or(DEFAULT_LOG_FORMAT).to_string()),
                stage_name: stage_name.clone(),
                ..V::default()
            },
            outputs: HttpApiOutputs {
                invoke_url: endpoint.as_ref().map(|e| match stage_name.as_deref() {
                    None | Some("$default") => e.clone(),
                    Some(s) => format!("{e}/{s}"),
                }),
                api_endpoint: endpoint,
                execution_arn: match (&item.account, a.api_id()) {
                    (Some(acct), Some(id)) => Some(format!("arn:aws:execute-api:{}:{acct}:{id}", item.region)),
                    _ => None,
                },
            },
            refs: Vec::new(),
        }
    }

    async fn complete(&self, aws: &Aws, region: &str, mut item: Item) -> Result<Item, ProviderError> {
        read_parts(&client(aws, region), &mut item).await?;
        if item.account.is_none() {
            item.account = account(aws, region).await?;
        }
        Ok(item)
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // GetApis answers every API with its tags: one call (a page) for all.
        Ok(apis(aws, &scope.region).await?.into_iter().filter(|a| a.protocol_type() == Some(&ProtocolType::Http)).map(|a| item(a, &scope.region)).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = strata_aws::found(client(aws, region).get_api().api_id(id).send().await.map_err(err("GetApi")))?;
        let out = out.map(|o| {
            let api = Api::builder()
                .set_api_id(o.api_id().map(str::to_string))
                .set_name(o.name().map(str::to_string))
                .set_api_endpoint(o.api_endpoint().map(str::to_string))
                .set_description(o.description().map(str::to_string))
                .set_cors_configuration(o.cors_configuration().cloned())
                .set_disable_execute_api_endpoint(o.disable_execute_api_endpoint())
                .set_protocol_type(o.protocol_type().cloned())
                .set_tags(o.tags().cloned())
                .set_route_selection_expression(o.route_selection_expression().map(str::to_string))
                .build();
            api
        });
        let Some(api) = out else { return Ok(None) };
        // The execution ARN names the account: read here, so that the item a
        // create or an update is read back as has it too.
        Ok(Some(Item { account: account(aws, region).await?, ..item(api, region) }))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, HttpApi>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| strata_aws::naming::dashed_name(&cx.stack, &cx.name, 128));
        let out = client(aws, &cx.region)
            .create_api()
            .name(&name)
            .protocol_type(ProtocolType::Http)
            .description(v.description.clone().unwrap_or_default())
            .set_cors_configuration(cors(v))
            .disable_execute_api_endpoint(v.disable_execute_api_endpoint == Some(true))
            .set_tags(Some(crate::sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateApi"))?;
        let id = out.api_id().ok_or_else(|| strata_aws::lacks("CreateApi", "apiId", &cx.name))?.to_string();
        sync(&client(aws, &cx.region), &id, v, &cx.name).await?;
        Ok(Created::Id(id))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, HttpApi>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let api = [V::name, V::description, V::cors_origins, V::cors_methods, V::cors_headers, V::cors_max_age, V::disable_execute_api_endpoint];
        if api.iter().any(|f| diff.changed(f).is_some()) {
            let c = client(aws, &cx.region);
            let mut call = c.update_api().api_id(&actual.id).set_name(v.name.clone()).description(v.description.clone().unwrap_or_default());
            call = call.disable_execute_api_endpoint(v.disable_execute_api_endpoint == Some(true));
            match cors(v) {
                Some(cors) => call.cors_configuration(cors).send().await.map(|_| ()).map_err(err("UpdateApi"))?,
                None => {
                    call.send().await.map_err(err("UpdateApi"))?;
                    let had = actual.props.get(V::cors_origins).and_then(Value::as_list).is_some_and(|l| !l.is_empty());
                    if had {
                        c.delete_cors_configuration().api_id(&actual.id).send().await.map_err(err("DeleteCorsConfiguration"))?;
                    }
                }
            }
        }
        let parts = [V::routes, V::authorizers, V::stage_name, V::throttle_burst, V::throttle_rate, V::access_log_arn, V::access_log_format];
        if parts.iter().any(|f| diff.changed(f).is_some()) {
            sync(&client(aws, &cx.region), &actual.id, v, &cx.name).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        client(aws, &cx.region).delete_api().api_id(&actual.id).send().await.map(|_| ()).map_err(err("DeleteApi"))
    }

    fn normalize(props: &mut Props) {
        for f in [V::cors_origins, V::cors_methods, V::cors_headers] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                l.dedup();
            }
        }
        let key = |k: &'static str| move |v: &Value| v.as_map().and_then(|m| m.get(k)).and_then(Value::as_str).map(str::to_string);
        if let Some(Value::List(l)) = props.get_mut(V::routes) {
            l.sort_by_key(key("route_key"));
        }
        if let Some(Value::List(l)) = props.get_mut(V::authorizers) {
            for a in l.iter_mut() {
                if let Value::Map(m) = a {
                    if let Some(Value::List(aud)) = m.get_mut("audience") {
                        aud.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                    }
                }
            }
            l.sort_by_key(key("name"));
        }
        if let Some(Value::Str(a)) = props.get_mut(V::access_log_arn) {
            *a = log_arn(a);
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        crate::checks::http_api(decl, out);
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(3)
    }
}

#[cfg(test)]
#[path = "http_api_tests.rs"]
mod tests;
