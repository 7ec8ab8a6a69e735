//! `aws:apigateway:RestApi`: a REST API with its resources (paths), methods
//! and their integrations (an HTTP endpoint, a private network load
//! balancer through a [`crate::VpcLink`], or a mock), and one stage
//! (throttling, access logs, X-Ray tracing) serving its current deployment.
//!
//! Methods are keyed by path and HTTP method; the resources they need are
//! made and removed with them (the root `/` stays). AWS serves what was
//! *deployed*, not what is configured: a change of methods or integrations
//! is live only after a new deployment, and AWS does not make one by
//! itself. strata does: every deployment it makes is described
//! `strata <fingerprint>`, the fingerprint being a hash of the methods it
//! deployed; the observed `deployment` field is the fingerprint of the
//! deployment the stage serves, the declared one that of the declared
//! methods. So a plan that changes methods shows two lines, `methods` and
//! `deployment: "<old>" → "<new>"`, and a stage moved to another deployment
//! outside strata (a rollback in the console) shows as a `deployment`
//! change alone. The update brings the methods in line, makes the new
//! deployment, moves the stage to it, and deletes the deployments no stage
//! serves any more.
//!
//! Access logs need the account's CloudWatch role for API Gateway
//! (`UpdateAccount`, once per account and region): without it AWS refuses
//! the stage update with a message that says so.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_apigateway::types::{
    ConnectionType, Deployment, EndpointConfiguration, EndpointType, Integration, IntegrationType, Method as SdkMethod, MethodSetting, Op as PatchOp, PatchOperation,
    Resource, RestApi as Api, Stage,
};
use aws_sdk_apigateway::Client;
use sha2::{Digest, Sha256};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::policy::PolicyDocument;
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, sdk_tags, tags_of, RestTags};

/// The access-log format used when the program names none (JSON, one line).
pub const DEFAULT_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}"#;
/// API Gateway's own default burst limit of a stage (requests).
pub const DEFAULT_BURST: i64 = 5000;
/// API Gateway's own default steady rate of a stage (requests a second).
pub const DEFAULT_RATE: i64 = 10000;
/// What a deployment strata made says about itself.
const MARK: &str = "strata ";
/// The observed `deployment` of an API whose stage serves nothing strata made.
const NONE: &str = "none";

strata_aws::kind_fields! {
    /// A REST API.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_apigateway::{Method, RestApi};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let api = stack.add(
    ///     "shop-api",
    ///     RestApi::new("v1")
    ///         .method(Method::http("GET", "/orders", "https://orders.example.com/orders"))
    ///         .method(Method::private("ANY", "/cart/{proxy+}", "vl-0123", "http://cart.internal/{proxy}").iam())
    ///         .throttling(200, 100),
    /// );
    /// let _ = (api.invoke_url(), api.stage_arn());
    /// ```
    pub struct RestApi: "aws:apigateway:RestApi";
    values RestApiValues;
    handle RestApiHandle / RestApiOutputs { invoke_url, stage_arn, root_resource_id };
    fields {
        /// The API's name (default: `<stack>-<logical name>`).
        name: str [update];
        /// A description.
        description: str [update] = "";
        /// `REGIONAL` (the default) or `PRIVATE` (reachable only through VPC
        /// endpoints of `execute-api`). A change replaces the API.
        endpoint_type: str [replace] = "REGIONAL";
        /// The VPC endpoints a private API is bound to.
        vpc_endpoint_ids: strs [replace] = Vec::<String>::new();
        /// The resource policy (who may invoke; a private API needs one).
        policy: policy [update cleared];
        /// The methods (see [`Method`]).
        methods: list [update];
        /// Which methods the stage serves: a fingerprint, kept by strata.
        deployment: str [update private];
        /// The stage's name (in the URL: `https://<id>.execute-api.<region>.amazonaws.com/<stage>`).
        stage_name: str [update required];
        /// The stage's burst limit (requests; AWS's default 5000).
        throttle_burst: int [update] = DEFAULT_BURST;
        /// The stage's steady rate limit (requests a second; AWS's default 10000).
        throttle_rate: int [update] = DEFAULT_RATE;
        /// The log group access logs go to (its ARN; none: no access logs).
        access_log_arn: str [update cleared];
        /// The access-log line format (must hold `$context.requestId`).
        access_log_format: str [update] = DEFAULT_LOG_FORMAT;
        /// X-Ray tracing of the stage.
        tracing: bool [update] = false;
    }
}

/// One method: a path (`/orders/{id}`, `/{proxy+}`), an HTTP method (`GET`,
/// `ANY`, ...), who may call it, and its integration.
#[derive(Clone, Debug)]
pub struct Method {
    path: String,
    http_method: String,
    authorization: &'static str,
    api_key: bool,
    integration_type: &'static str,
    uri: Option<Arg<String>>,
    connection: Option<Arg<String>>,
}

impl Method {
    fn with(http_method: &str, path: &str, integration_type: &'static str, uri: Option<Arg<String>>, connection: Option<Arg<String>>) -> Self {
        Method { path: path.to_string(), http_method: http_method.to_ascii_uppercase(), authorization: "NONE", api_key: false, integration_type, uri, connection }
    }

    /// Proxy to an HTTP endpoint (`https://...`; `{proxy}` and other path
    /// parameters are passed on).
    pub fn http(http_method: &str, path: &str, url: impl Into<Arg<String>>) -> Self {
        Self::with(http_method, path, "HTTP_PROXY", Some(url.into()), None)
    }

    /// Proxy to a private network load balancer through a VPC link (its id):
    /// `url` is what the NLB is asked for (`http://<its DNS name>/...`).
    pub fn private(http_method: &str, path: &str, vpc_link: impl Into<Arg<String>>, url: impl Into<Arg<String>>) -> Self {
        Self::with(http_method, path, "HTTP_PROXY", Some(url.into()), Some(vpc_link.into()))
    }

    /// Answer `200` from API Gateway itself (health checks, placeholders).
    pub fn mock(http_method: &str, path: &str) -> Self {
        Self::with(http_method, path, "MOCK", None, None)
    }

    /// Callers must sign their requests (`AWS_IAM`).
    #[must_use]
    pub fn iam(mut self) -> Self {
        self.authorization = "AWS_IAM";
        self
    }

    /// Callers must send an API key.
    #[must_use]
    pub fn api_key_required(mut self) -> Self {
        self.api_key = true;
        self
    }

    fn into_input(self) -> Input {
        let known = Input::Known;
        let method = (self.integration_type != "MOCK").then(|| self.http_method.clone());
        Input::Map(BTreeMap::from([
            ("path".to_string(), known(Value::Str(self.path))),
            ("http_method".to_string(), known(Value::Str(self.http_method))),
            ("authorization".to_string(), known(Value::str(self.authorization))),
            ("api_key_required".to_string(), known(Value::Bool(self.api_key))),
            ("integration_type".to_string(), known(Value::str(self.integration_type))),
            ("uri".to_string(), self.uri.map_or(known(Value::Null), Arg::into_input)),
            ("integration_method".to_string(), known(method.map_or(Value::Null, Value::Str))),
            ("connection_id".to_string(), self.connection.map_or(known(Value::Null), Arg::into_input)),
        ]))
    }
}

impl RestApi {
    /// A regional REST API served by the stage `stage_name`.
    pub fn new(stage_name: &str) -> Self {
        Self::empty().stage_name(stage_name)
    }

    /// Add a method.
    pub fn method(self, method: Method) -> Self {
        self.push(V::methods, method.into_input())
    }

    /// Limit the stage to `burst` requests at once and `rate` a second.
    pub fn throttling(self, burst: i64, rate: i64) -> Self {
        self.throttle_burst(burst).throttle_rate(rate)
    }

    /// Write access logs to this log group (its ARN or an output).
    pub fn access_logs(self, log_group_arn: impl Into<Arg<String>>) -> Self {
        self.access_log_arn(log_group_arn)
    }

    /// Reachable only through these VPC endpoints of `execute-api`, and as
    /// `policy` allows.
    pub fn private<E: Into<Arg<String>>>(self, vpc_endpoints: impl IntoIterator<Item = E>, policy: PolicyDocument) -> Self {
        let api = vpc_endpoints.into_iter().fold(self.endpoint_type("PRIVATE"), |a, e| a.push(V::vpc_endpoint_ids, e.into().into_input()));
        api.policy(policy)
    }
}

type V = RestApiValues;

/// The kind behind [`RestApi`].
pub(crate) struct RestApis;

/// An API as listed, with its parts once completed.
pub(crate) struct Item {
    api: Api,
    resources: Vec<Resource>,
    stages: Vec<Stage>,
    deployments: Vec<Deployment>,
    /// The parts are read (a read by id reads them at once).
    read: bool,
    region: String,
}

fn item(api: Api, region: &str) -> Item {
    Item { api, resources: Vec::new(), stages: Vec::new(), deployments: Vec::new(), read: false, region: region.to_string() }
}

fn api_arn(region: &str, id: &str) -> String {
    format!("arn:aws:apigateway:{region}::/restapis/{id}")
}

/// A log group's ARN as API Gateway takes it (without the `:*` CloudWatch adds).
fn log_arn(arn: &str) -> String {
    arn.strip_suffix(":*").unwrap_or(arn).to_string()
}

fn patch(path: &str, value: impl Into<String>) -> PatchOperation {
    PatchOperation::builder().op(PatchOp::Replace).path(path).value(value).build()
}

/// One method's parts, as declared or as read.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Parts {
    path: String,
    http_method: String,
    authorization: String,
    api_key: bool,
    integration_type: String,
    uri: Option<String>,
    integration_method: Option<String>,
    connection_id: Option<String>,
}

impl Parts {
    fn of_value(v: &Value) -> Option<Parts> {
        let m = v.as_map()?;
        let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Parts {
            path: s("path")?,
            http_method: s("http_method")?,
            authorization: s("authorization").unwrap_or_else(|| "NONE".into()),
            api_key: m.get("api_key_required").and_then(Value::as_bool).unwrap_or(false),
            integration_type: s("integration_type")?,
            uri: s("uri"),
            integration_method: s("integration_method"),
            connection_id: s("connection_id"),
        })
    }

    fn of_sdk(path: &str, m: &SdkMethod) -> Parts {
        let i = m.method_integration();
        let vpc = i.and_then(Integration::connection_type) == Some(&ConnectionType::VpcLink);
        Parts {
            path: path.to_string(),
            http_method: m.http_method().unwrap_or_default().to_string(),
            authorization: m.authorization_type().unwrap_or("NONE").to_string(),
            api_key: m.api_key_required().unwrap_or(false),
            integration_type: i.and_then(Integration::r#type).map_or_else(|| "NONE".to_string(), |t| t.as_str().to_string()),
            uri: i.and_then(Integration::uri).filter(|u| !u.is_empty()).map(str::to_string),
            integration_method: i.and_then(Integration::http_method).filter(|_| i.and_then(Integration::r#type) != Some(&IntegrationType::Mock)).map(str::to_string),
            connection_id: i.and_then(Integration::connection_id).filter(|_| vpc).map(str::to_string),
        }
    }

    fn value(&self) -> Value {
        let opt = |o: &Option<String>| o.clone().map_or(Value::Null, Value::Str);
        Value::Map(BTreeMap::from([
            ("path".to_string(), Value::Str(self.path.clone())),
            ("http_method".to_string(), Value::Str(self.http_method.clone())),
            ("authorization".to_string(), Value::Str(self.authorization.clone())),
            ("api_key_required".to_string(), Value::Bool(self.api_key)),
            ("integration_type".to_string(), Value::Str(self.integration_type.clone())),
            ("uri".to_string(), opt(&self.uri)),
            ("integration_method".to_string(), opt(&self.integration_method)),
            ("connection_id".to_string(), opt(&self.connection_id)),
        ]))
    }

    fn same_method(&self, o: &Parts) -> bool {
        self.authorization == o.authorization && self.api_key == o.api_key
    }
}

fn method_key(v: &Value) -> (Option<String>, Option<String>) {
    let m = v.as_map();
    let s = |k: &str| m.and_then(|m| m.get(k)).and_then(Value::as_str).map(str::to_string);
    (s("path"), s("http_method"))
}

/// The fingerprint of a set of methods: what a deployment of them is known by.
fn fingerprint(methods: &[Value]) -> String {
    let mut sorted = methods.to_vec();
    sorted.sort_by_key(method_key);
    let text: Vec<String> = sorted.iter().map(ToString::to_string).collect();
    Sha256::digest(text.join("\n").as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The paths a method at `path` needs, outermost first (`/a`, `/a/b`).
pub(crate) fn prefixes(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        at.push('/');
        at.push_str(seg);
        out.push(at.clone());
    }
    out
}

async fn resources_of(c: &Client, id: &str) -> Result<Vec<Resource>, ProviderError> {
    Ok(all_items!(c.get_resources().rest_api_id(id).embed("methods"), "GetResources"))
}

async fn deployments_of(c: &Client, id: &str) -> Result<Vec<Deployment>, ProviderError> {
    Ok(all_items!(c.get_deployments().rest_api_id(id), "GetDeployments"))
}

async fn stages_of(c: &Client, id: &str) -> Result<Vec<Stage>, ProviderError> {
    Ok(c.get_stages().rest_api_id(id).send().await.map_err(err("GetStages"))?.item().to_vec())
}

async fn put(c: &Client, id: &str, resource_id: &str, p: &Parts, with_method: bool) -> Result<(), ProviderError> {
    if with_method {
        let call = c.put_method().rest_api_id(id).resource_id(resource_id).http_method(&p.http_method).authorization_type(&p.authorization);
        call.api_key_required(p.api_key).send().await.map_err(err("PutMethod"))?;
    }
    let mock = p.integration_type == "MOCK";
    let mut call = c
        .put_integration()
        .rest_api_id(id)
        .resource_id(resource_id)
        .http_method(&p.http_method)
        .r#type(IntegrationType::from(p.integration_type.as_str()))
        .set_uri(p.uri.clone())
        .set_integration_http_method(p.integration_method.clone())
        .set_connection_id(p.connection_id.clone());
    if !mock {
        call = call.connection_type(if p.connection_id.is_some() { ConnectionType::VpcLink } else { ConnectionType::Internet });
    }
    if mock {
        call = call.request_templates("application/json", r#"{"statusCode": 200}"#);
    }
    call.send().await.map_err(err("PutIntegration"))?;
    Ok(())
}

/// Bring the API's methods (and the resources they need) in line with `v`.
async fn sync_methods(c: &Client, id: &str, v: &V, resource: &str) -> Result<(), ProviderError> {
    let have = resources_of(c, id).await?;
    let mut ids: BTreeMap<String, String> = have.iter().filter_map(|r| Some((r.path()?.to_string(), r.id()?.to_string()))).collect();
    let want: Vec<Parts> = v.methods.as_deref().unwrap_or_default().iter().filter_map(Parts::of_value).collect();
    let root = ids.get("/").cloned().ok_or_else(|| strata_aws::lacks("GetResources", "the root resource", resource))?;
    for p in &want {
        let mut parent = root.clone();
        for at in prefixes(&p.path) {
            let next = match ids.get(&at) {
                Some(rid) => rid.clone(),
                None => {
                    let part = at.rsplit('/').next().unwrap_or_default();
                    let out = c.create_resource().rest_api_id(id).parent_id(&parent).path_part(part).send().await.map_err(err("CreateResource"))?;
                    let rid = out.id().ok_or_else(|| strata_aws::lacks("CreateResource", "id", resource))?.to_string();
                    ids.insert(at.clone(), rid.clone());
                    rid
                }
            };
            parent = next;
        }
    }
    let had: BTreeMap<(String, String), Parts> = have
        .iter()
        .flat_map(|r| {
            let path = r.path().unwrap_or_default().to_string();
            r.resource_methods().into_iter().flatten().map(move |(k, m)| ((path.clone(), k.clone()), Parts::of_sdk(&path, m)))
        })
        .collect();
    for p in &want {
        let rid = ids.get(if p.path.is_empty() { "/" } else { p.path.as_str() }).unwrap_or(&root);
        match had.get(&(p.path.clone(), p.http_method.clone())) {
            None => put(c, id, rid, p, true).await?,
            Some(h) if !h.same_method(p) => {
                strata_aws::unless_gone(c.delete_method().rest_api_id(id).resource_id(rid).http_method(&p.http_method).send().await.map_err(err("DeleteMethod")))?;
                put(c, id, rid, p, true).await?;
            }
            Some(h) if h != p => put(c, id, rid, p, false).await?,
            Some(_) => {}
        }
    }
    for ((path, method), _) in had.iter().filter(|((path, method), _)| !want.iter().any(|p| &p.path == path && &p.http_method == method)) {
        if let Some(rid) = ids.get(path) {
            strata_aws::unless_gone(c.delete_method().rest_api_id(id).resource_id(rid).http_method(method).send().await.map_err(err("DeleteMethod")))?;
        }
    }
    // Resources no method needs: the outermost of each such branch (its children go with it).
    let needed: BTreeSet<String> = want.iter().flat_map(|p| prefixes(&p.path)).collect();
    for (path, rid) in &ids {
        let parent_kept = path.rsplit_once('/').is_none_or(|(parent, _)| parent.is_empty() || needed.contains(parent));
        if path != "/" && !needed.contains(path) && parent_kept {
            strata_aws::unless_gone(c.delete_resource().rest_api_id(id).resource_id(rid).send().await.map_err(err("DeleteResource")))?;
        }
    }
    Ok(())
}

fn star(s: &Stage) -> Option<&MethodSetting> {
    s.method_settings().and_then(|m| m.get("*/*"))
}

/// The stage settings that differ from `v`, as patch operations.
fn stage_patches(s: Option<&Stage>, v: &V) -> Vec<PatchOperation> {
    let mut ops = Vec::new();
    let set = s.and_then(star);
    let burst = v.throttle_burst.unwrap_or(DEFAULT_BURST);
    let rate = v.throttle_rate.unwrap_or(DEFAULT_RATE);
    if set.map(|m| i64::from(m.throttling_burst_limit())) != Some(burst) {
        ops.push(patch("/*/*/throttling/burstLimit", burst.to_string()));
    }
    #[allow(clippy::cast_possible_truncation)]
    if set.map(|m| m.throttling_rate_limit() as i64) != Some(rate) {
        ops.push(patch("/*/*/throttling/rateLimit", rate.to_string()));
    }
    let logs = s.and_then(Stage::access_log_settings).and_then(|l| Some((l.destination_arn().filter(|d| !d.is_empty())?, l.format().unwrap_or_default())));
    let format = v.access_log_format.clone().unwrap_or_else(|| DEFAULT_LOG_FORMAT.into());
    match (&v.access_log_arn, logs) {
        (Some(want), have) if have.map(|(d, f)| (log_arn(d), f.to_string())) != Some((log_arn(want), format.clone())) => {
            ops.push(patch("/accessLogSettings/destinationArn", log_arn(want)));
            ops.push(patch("/accessLogSettings/format", format));
        }
        (None, Some(_)) => ops.push(PatchOperation::builder().op(PatchOp::Remove).path("/accessLogSettings").build()),
        _ => {}
    }
    let tracing = v.tracing.unwrap_or(false);
    if s.map(Stage::tracing_enabled) != Some(tracing) {
        ops.push(patch("/tracingEnabled", tracing.to_string()));
    }
    ops
}

/// Deploy the API's current methods, and point the stage at the deployment.
async fn deploy(c: &Client, id: &str, v: &V, redeploy: bool, resource: &str) -> Result<(), ProviderError> {
    let stage = v.stage_name.clone().ok_or_else(|| strata_aws::lacks("CreateStage", "stage_name", resource))?;
    let stages = stages_of(c, id).await?;
    let current = stages.iter().find(|s| s.stage_name() == Some(stage.as_str()));
    let mut ops = Vec::new();
    let mut fresh = None;
    if redeploy || current.is_none() {
        let description = format!("{MARK}{}", fingerprint(v.methods.as_deref().unwrap_or_default()));
        let out = c.create_deployment().rest_api_id(id).description(description).send().await.map_err(err("CreateDeployment"))?;
        let did = out.id().ok_or_else(|| strata_aws::lacks("CreateDeployment", "id", resource))?.to_string();
        if current.is_some() {
            ops.push(patch("/deploymentId", did.clone()));
        }
        fresh = Some(did);
    }
    if current.is_none() {
        let did = fresh.clone().ok_or_else(|| strata_aws::lacks("CreateDeployment", "id", resource))?;
        let call = c.create_stage().rest_api_id(id).stage_name(&stage).deployment_id(did).tracing_enabled(v.tracing.unwrap_or(false));
        call.set_tags(Some(sdk_tags(&v.tags))).send().await.map_err(err("CreateStage"))?;
    }
    let after = if current.is_none() { stages_of(c, id).await?.into_iter().find(|s| s.stage_name() == Some(stage.as_str())) } else { current.cloned() };
    ops.extend(stage_patches(after.as_ref(), v));
    if !ops.is_empty() {
        c.update_stage().rest_api_id(id).stage_name(&stage).set_patch_operations(Some(ops)).send().await.map_err(err("UpdateStage"))?;
    }
    // Other stages are not declared; deployments no stage serves are history.
    for s in stages.iter().filter(|s| s.stage_name() != Some(stage.as_str())) {
        if let Some(n) = s.stage_name() {
            strata_aws::unless_gone(c.delete_stage().rest_api_id(id).stage_name(n).send().await.map_err(err("DeleteStage")))?;
        }
    }
    if let Some(keep) = fresh {
        for d in deployments_of(c, id).await?.iter().filter(|d| d.id().is_some_and(|d| d != keep)) {
            if let Some(did) = d.id() {
                strata_aws::unless_gone(c.delete_deployment().rest_api_id(id).deployment_id(did).send().await.map_err(err("DeleteDeployment")))?;
            }
        }
    }
    Ok(())
}

/// The API's resources, stages and deployments, read.
async fn parts(aws: &Aws, region: &str, mut item: Item) -> Result<Item, ProviderError> {
    let Some(id) = item.api.id().map(str::to_string).filter(|_| !item.read) else { return Ok(item) };
    let c = client(aws, region);
    item.read = true;
    item.resources = resources_of(&c, &id).await?;
    item.stages = stages_of(&c, &id).await?;
    item.deployments = deployments_of(&c, &id).await?;
    Ok(item)
}

fn endpoint(v: &V) -> EndpointConfiguration {
    let t = EndpointType::from(v.endpoint_type.as_deref().unwrap_or("REGIONAL"));
    let ids = v.vpc_endpoint_ids.clone().filter(|l| !l.is_empty());
    EndpointConfiguration::builder().types(t).set_vpc_endpoint_ids(ids).build()
}

fn policy_text(v: &V, op: &str, resource: &str) -> Result<Option<String>, ProviderError> {
    let Some(p) = v.policy.as_ref().filter(|p| !matches!(p, Value::Null)) else { return Ok(None) };
    let text = strata_aws::policy::render(p).map_err(|e| ProviderError::new(strata_engine::ErrorClass::Invalid, op, format!("`{resource}`: `policy`: {e}")))?;
    Ok(Some(text))
}

#[async_trait]
impl Kind for RestApis {
    type Builder = RestApi;
    type Item = Item;
    type Tags = RestTags;

    const DERIVED: &'static [&'static str] = &[V::name];
    // A resource policy: each statement names who it admits.
    const TRUST_POLICIES: &'static [&'static str] = &[V::policy];

    fn id(item: &Item) -> Option<&str> {
        item.api.id()
    }

    fn tag_target(item: &Item) -> Option<String> {
        item.api.id().map(|id| api_arn(&item.region, id))
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(tags_of(item.api.tags()))
    }

    fn observe(item: &Item) -> Seen<RestApi> {
        let a = &item.api;
        let mut methods: Vec<Value> = item
            .resources
            .iter()
            .flat_map(|r| {
                let path = r.path().unwrap_or_default();
                r.resource_methods().into_iter().flatten().map(move |(_, m)| Parts::of_sdk(path, m).value())
            })
            .collect();
        methods.sort_by_key(method_key);
        // The stage strata keeps: the one that is there (strata keeps one).
        let stage = item.stages.first();
        let served = stage.and_then(Stage::deployment_id).and_then(|d| item.deployments.iter().find(|x| x.id() == Some(d)));
        let deployment = served.and_then(Deployment::description).and_then(|d| d.strip_prefix(MARK)).map_or_else(|| NONE.to_string(), str::to_string);
        let set = stage.and_then(star);
        let logs = stage.and_then(Stage::access_log_settings).filter(|l| l.destination_arn().is_some_and(|d| !d.is_empty()));
        let ec = a.endpoint_configuration();
        // AWS answers the policy JSON-escaped.
        let policy = a.policy().filter(|p| !p.is_empty()).map(|p| {
            let p = p.replace("\\\"", "\"");
            strata_aws::policy::parse(&p).unwrap_or(Value::Str(p))
        });
        let stage_name = stage.and_then(Stage::stage_name).map(str::to_string);
        #[allow(clippy::cast_possible_truncation)]
        let rate = set.map_or(DEFAULT_RATE, |m| m.throttling_rate_limit() as i64);
        let (id, region) = (a.id(), &item.region);
        Seen {
            values: V {
                name: a.name().map(str::to_string),
                description: Some(a.description().unwrap_or_default().to_string()),
                endpoint_type: ec.and_then(|e| e.types().first()).map(|t| t.as_str().to_string()),
                vpc_endpoint_ids: Some(ec.map(|e| e.vpc_endpoint_ids().to_vec()).unwrap_or_default()),
                policy,
                methods: Some(methods),
                deployment: Some(deployment),
                stage_name: stage_name.clone(),
                throttle_burst: Some(set.map_or(DEFAULT_BURST, |m| i64::from(m.throttling_burst_limit()))),
                throttle_rate: Some(rate),
                access_log_arn: logs.and_then(|l| l.destination_arn()).map(log_arn),
                access_log_format: Some(logs.and_then(|l| l.format()).unwrap_or(DEFAULT_LOG_FORMAT).to_string()),
                tracing: Some(stage.is_some_and(Stage::tracing_enabled)),
                ..V::default()
            },
            outputs: RestApiOutputs {
                invoke_url: id.zip(stage_name.as_deref()).map(|(id, s)| format!("https://{id}.execute-api.{region}.amazonaws.com/{s}")),
                stage_arn: id.zip(stage_name.as_deref()).map(|(id, s)| format!("{}/stages/{s}", api_arn(region, id))),
                root_resource_id: a.root_resource_id().map(str::to_string),
            },
            refs: Vec::new(),
        }
    }

    async fn complete(&self, aws: &Aws, region: &str, item: Item) -> Result<Item, ProviderError> {
        parts(aws, region, item).await
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // GetRestApis answers every API with its tags.
        let c = client(aws, &scope.region);
        let apis: Vec<Api> = all_items!(c.get_rest_apis(), "GetRestApis");
        Ok(apis.into_iter().map(|a| item(a, &scope.region)).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = strata_aws::found(client(aws, region).get_rest_api().rest_api_id(id).send().await.map_err(err("GetRestApi")))?;
        let out = out.map(|o| {
            let api = Api::builder()
                .set_id(o.id().map(str::to_string))
                .set_name(o.name().map(str::to_string))
                .set_description(o.description().map(str::to_string))
                .set_endpoint_configuration(o.endpoint_configuration().cloned())
                .set_policy(o.policy().map(str::to_string))
                .set_root_resource_id(o.root_resource_id().map(str::to_string))
                .set_tags(o.tags().cloned())
                .build();
            item(api, region)
        });
        // A read by id (after a create or an update) has the parts too: the
        // outputs (the stage's ARN) come from them.
        match out {
            Some(i) => Ok(Some(parts(aws, region, i).await?)),
            None => Ok(None),
        }
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, RestApi>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| strata_aws::naming::dashed_name(&cx.stack, &cx.name, 128));
        let c = client(aws, &cx.region);
        let out = c
            .create_rest_api()
            .name(&name)
            .description(v.description.clone().unwrap_or_default())
            .endpoint_configuration(endpoint(v))
            .set_policy(policy_text(v, "CreateRestApi", &cx.name)?)
            .set_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateRestApi"))?;
        let id = out.id().ok_or_else(|| strata_aws::lacks("CreateRestApi", "id", &cx.name))?.to_string();
        sync_methods(&c, &id, v, &cx.name).await?;
        deploy(&c, &id, v, true, &cx.name).await?;
        Ok(Created::Id(id))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, RestApi>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let c = client(aws, &cx.region);
        let mut ops = Vec::new();
        if let (Some(_), Some(name)) = (diff.changed(V::name), &v.name) {
            ops.push(patch("/name", name));
        }
        if diff.changed(V::description).is_some() {
            ops.push(patch("/description", v.description.clone().unwrap_or_default()));
        }
        if diff.changed(V::policy).is_some() {
            ops.push(patch("/policy", policy_text(v, "UpdateRestApi", &cx.name)?.unwrap_or_default()));
        }
        if !ops.is_empty() {
            c.update_rest_api().rest_api_id(&actual.id).set_patch_operations(Some(ops)).send().await.map_err(err("UpdateRestApi"))?;
        }
        let methods = diff.changed(V::methods).is_some();
        if methods {
            sync_methods(&c, &actual.id, v, &cx.name).await?;
        }
        // A new policy is served only after a deployment too.
        let redeploy = methods || diff.changed(V::deployment).is_some() || diff.changed(V::policy).is_some();
        let stage = [V::stage_name, V::throttle_burst, V::throttle_rate, V::access_log_arn, V::access_log_format, V::tracing];
        if redeploy || stage.iter().any(|f| diff.changed(f).is_some()) {
            deploy(&c, &actual.id, v, redeploy, &cx.name).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // Stages, deployments, resources and methods go with the API.
        client(aws, &cx.region).delete_rest_api().rest_api_id(&actual.id).send().await.map(|_| ()).map_err(err("DeleteRestApi"))
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut(V::methods) {
            l.sort_by_key(method_key);
        }
        if let Some(Value::List(l)) = props.get_mut(V::vpc_endpoint_ids) {
            l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            l.dedup();
        }
        if let Some(Value::Str(a)) = props.get_mut(V::access_log_arn) {
            *a = log_arn(a);
        }
        // Declared: the fingerprint of the declared methods (observed: of the served ones).
        if !props.contains_key(V::deployment) {
            let methods = props.get(V::methods).and_then(Value::as_list).unwrap_or_default();
            let fp = if methods.iter().any(Value::has_unknown) { Value::Unknown } else { Value::Str(fingerprint(methods)) };
            props.insert(V::deployment.to_string(), fp);
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        crate::checks::rest_api(decl, out);
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(5)
    }
}

/// The API Gateway wire form of a stage's settings, for the tests.
#[cfg(test)]
pub(crate) fn patches_for_tests(v: &V) -> std::collections::HashMap<String, Option<String>> {
    stage_patches(None, v).into_iter().map(|p| (p.path().unwrap_or_default().to_string(), p.value().map(str::to_string))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_follows_the_methods_not_their_order() {
        let a = Parts { path: "/a".into(), http_method: "GET".into(), authorization: "NONE".into(), api_key: false, integration_type: "MOCK".into(), uri: None, integration_method: None, connection_id: None };
        let b = Parts { path: "/b".into(), ..a.clone() };
        assert_eq!(fingerprint(&[a.value(), b.value()]), fingerprint(&[b.value(), a.value()]));
        let c = Parts { uri: Some("https://x".into()), integration_type: "HTTP_PROXY".into(), ..b.clone() };
        assert_ne!(fingerprint(&[a.value(), b.value()]), fingerprint(&[a.value(), c.value()]));
        // A method read back is the method declared.
        let declared = Method::http("get", "/b", "https://x").into_input();
        let Input::Map(m) = declared else { panic!("a map") };
        let v = Value::Map(m.into_iter().map(|(k, i)| (k, match i { Input::Known(v) => v, _ => Value::Null })).collect());
        assert_eq!(Parts::of_value(&v), Some(Parts { integration_method: Some("GET".into()), ..c }));
    }

    #[test]
    fn a_new_stage_gets_every_setting() {
        let v = V { throttle_burst: Some(20), throttle_rate: Some(10), access_log_arn: Some("arn:aws:logs:eu-central-1:1:log-group:g:*".into()), ..V::default() };
        let p = patches_for_tests(&v);
        assert_eq!(p.get("/*/*/throttling/burstLimit"), Some(&Some("20".to_string())));
        assert_eq!(p.get("/accessLogSettings/destinationArn"), Some(&Some("arn:aws:logs:eu-central-1:1:log-group:g".to_string())));
        assert_eq!(p.get("/tracingEnabled"), Some(&Some("false".to_string())));
    }
}
