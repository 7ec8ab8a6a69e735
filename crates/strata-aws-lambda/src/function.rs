//! `aws:lambda:Function`: a function with its code, runtime, handler,
//! memory, timeout, architecture, environment, role, VPC placement,
//! reserved concurrency, log group and environment key.
//!
//! The code comes from a zip file, from a directory strata zips
//! reproducibly (see [`crate::zip`]: the same files give the same bytes), or
//! from an S3 object. For a zip file or a directory the archive's SHA-256 is
//! the `code_sha256` field, computed when the program declares the function:
//! the plan shows it, compares it with the `CodeSha256` Lambda reports, and an
//! unchanged directory (even with new modification times) never shows a diff.
//! The S3 location is kept in the `strata:code-s3` state tag (Lambda does not
//! report where code came from), so a new key or version is a change too.
//!
//! Environment values read from AWS are treated as secrets (masked in every
//! plan, report and log) unless the program declares the same variable with a
//! plain value: a secret given to [`Function::secret_env`], or any secret
//! output given to [`Function::env`], is never printed.
//!
//! Code and configuration change in place (`UpdateFunctionCode`, then
//! `UpdateFunctionConfiguration`, each waited for until Lambda reports the
//! update done: a function takes one update at a time); only the name
//! replaces it. A role created a moment ago may not be assumable by Lambda
//! yet: the create is retried while Lambda says so, within the timeout.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Architecture, Environment, FunctionCode, FunctionConfiguration, LastUpdateStatus, LogFormat, LoggingConfig, Runtime, State, VpcConfig,
};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Input, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::zip::{read_zip, zip_dir, Archive};
use crate::{client, LambdaTags};

/// The state tag that keeps an S3 code location (`s3://bucket/key[#version]`).
pub const CODE_S3_TAG: &str = strata_core::tags::CODE_S3;

/// The largest archive `CreateFunction` takes directly (50 MB); larger code goes through S3.
pub const DIRECT_UPLOAD_MAX: i64 = 50 * 1024 * 1024;

strata_aws::kind_fields! {
    /// A Lambda function.
    ///
    /// ```no_run
    /// use strata_core::Stack;
    /// use strata_aws_lambda::Function;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let api = stack.add(
    ///     "orders-api",
    ///     Function::from_dir("lambdas/orders", "python3.12", "index.handler", "arn:aws:iam::111122223333:role/orders")
    ///         .memory(256)
    ///         .timeout(10)
    ///         .arm64()
    ///         .env("TABLE", "orders"),
    /// );
    /// let _ = (api.arn(), api.invoke_arn());
    /// ```
    pub struct Function: "aws:lambda:Function";
    values FunctionValues;
    handle FunctionHandle / FunctionOutputs { arn, function_name, invoke_arn };
    fields {
        /// The function's name (default: `<stack>-<logical name>`, 64 characters at most).
        name: str [replace];
        /// The IAM role the function runs as (its ARN).
        role: str [update required];
        /// The runtime (`python3.12`, `nodejs20.x`, `provided.al2023`, ...).
        runtime: str [update required];
        /// The handler, in the runtime's shape (`index.handler` for Python and Node.js).
        handler: str [update required];
        /// The code archive's SHA-256 (base64), for code from a zip file or a directory.
        code_sha256: str [update];
        /// Where the archive is read from (a zip file or a directory).
        code_path: str [update writeonly private];
        /// `zip` or `dir`.
        code_source: str [update writeonly private];
        /// The archive's size in bytes.
        code_size: int [update writeonly private];
        /// Why the code could not be read (reported before any call).
        code_problem: str [update writeonly private];
        /// Code in S3: `s3://bucket/key`, with `#version` for a versioned object.
        code_s3: str [update cleared];
        /// `x86_64` (the default) or `arm64`.
        architecture: str [update] = "x86_64";
        /// Memory in MB, 128 to 10,240 (default 128).
        memory: int [update] = 128;
        /// Timeout in seconds, 1 to 900 (default 3).
        timeout: int [update] = 3;
        /// A description.
        description: str [update] = "";
        /// Environment variables (name and value; values may be secrets).
        environment: list [update];
        /// The VPC subnets the function reaches (none: outside any VPC).
        subnets: strs [update] = Vec::<String>::new();
        /// The security groups of its network interfaces in the VPC.
        security_groups: strs [update] = Vec::<String>::new();
        /// Concurrent executions reserved for it (none by default: the account's pool).
        reserved_concurrency: int [update cleared];
        /// The CloudWatch Logs group it writes to (default: `/aws/lambda/<name>`).
        log_group: str [update cleared];
        /// The KMS key that encrypts the environment at rest (its ARN; default: Lambda's own key).
        kms_key_arn: str [update cleared];
        /// The SNS topics the function is subscribed to (their ARNs), each with the permission SNS needs.
        sns_topics: strs [update] = Vec::<String>::new();
    }
}

impl Function {
    fn with(role: impl Into<Arg<String>>, runtime: &str, handler: &str) -> Self {
        Self::empty().role(role).runtime(runtime).handler(handler)
    }

    fn code(self, source: &str, path: &Path, archive: Result<Archive, String>) -> Self {
        let f = self.code_source(source).code_path(path.display().to_string());
        match archive {
            Ok(a) => f.code_sha256(a.sha256).code_size(i64::try_from(a.bytes.len()).unwrap_or(i64::MAX)),
            Err(e) => f.code_problem(e),
        }
    }

    /// A function whose code is the zip file at `path`.
    pub fn from_zip(path: impl AsRef<Path>, runtime: &str, handler: &str, role: impl Into<Arg<String>>) -> Self {
        let path = path.as_ref();
        Self::with(role, runtime, handler).code("zip", path, read_zip(path))
    }

    /// A function whose code is every file under the directory `dir`,
    /// zipped reproducibly.
    pub fn from_dir(dir: impl AsRef<Path>, runtime: &str, handler: &str, role: impl Into<Arg<String>>) -> Self {
        let dir = dir.as_ref();
        Self::with(role, runtime, handler).code("dir", dir, zip_dir(dir))
    }

    /// A function whose code is the S3 object `key` in `bucket` (with
    /// [`Function::s3_version`] for a versioned object).
    pub fn from_s3(bucket: &str, key: &str, runtime: &str, handler: &str, role: impl Into<Arg<String>>) -> Self {
        Self::with(role, runtime, handler).code_s3(format!("s3://{bucket}/{key}"))
    }

    /// The version of the S3 object the code is (a new version is a change).
    pub fn s3_version(mut self, version: &str) -> Self {
        if let Some(Input::Known(Value::Str(s))) = self.inputs.get_mut(V::code_s3) {
            let base = s.split('#').next().unwrap_or_default().to_string();
            *s = format!("{base}#{version}");
        }
        self
    }

    /// Run on Graviton (`arm64`).
    pub fn arm64(self) -> Self {
        self.architecture("arm64")
    }

    /// Set an environment variable (a secret output given here stays secret).
    pub fn env(self, name: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.env_input(name.into(), value.into().into_input())
    }

    /// Set an environment variable whose value is a secret, whatever was
    /// passed: masked in every plan, report, log and error.
    pub fn secret_env(self, name: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.env_input(name.into(), value.into().into_input().into_secret())
    }

    fn env_input(self, name: String, value: Input) -> Self {
        self.push(V::environment, Input::Map(BTreeMap::from([("name".to_string(), Input::Known(Value::Str(name))), ("value".to_string(), value)])))
    }

    /// Reach the VPC through these subnets, with these security groups.
    pub fn vpc<S: Into<Arg<String>>, G: Into<Arg<String>>>(self, subnets: impl IntoIterator<Item = S>, groups: impl IntoIterator<Item = G>) -> Self {
        let f = subnets.into_iter().fold(self, |f, s| f.push(V::subnets, s.into().into_input()));
        groups.into_iter().fold(f, |f, g| f.push(V::security_groups, g.into().into_input()))
    }

    /// Subscribe the function to an SNS topic (its ARN or an output), with
    /// the permission that lets the topic invoke it.
    pub fn subscribe(self, topic_arn: impl Into<Arg<String>>) -> Self {
        self.push(V::sns_topics, topic_arn.into().into_input())
    }

    /// Write logs to this CloudWatch Logs group (its name or an output).
    pub fn logs_to(self, group: impl Into<Arg<String>>) -> Self {
        self.log_group(group)
    }
}

type V = FunctionValues;

/// The kind behind [`Function`].
pub(crate) struct Functions;

/// A function as `GetFunction` answers it.
#[derive(Clone)]
pub(crate) struct Item {
    pub(crate) config: FunctionConfiguration,
    pub(crate) tags: Tags,
    pub(crate) concurrency: Option<i32>,
    /// The topics it is subscribed to, once completed.
    pub(crate) topics: Option<Vec<String>>,
}

fn invalid(op: &str, msg: String) -> ProviderError {
    ProviderError::new(ErrorClass::Invalid, op, msg)
}

/// `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`.
pub(crate) fn invoke_arn(function_arn: &str) -> Option<String> {
    let mut parts = function_arn.split(':');
    let (partition, region) = (parts.nth(1)?, parts.nth(1)?);
    Some(format!("arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"))
}

pub(crate) async fn get_function(aws: &Aws, region: &str, name: &str) -> Result<Option<Item>, ProviderError> {
    let out = strata_aws::found(client(aws, region).get_function().function_name(name).send().await.map_err(err("GetFunction")))?;
    Ok(out.and_then(|o| {
        let config = o.configuration()?.clone();
        let tags = o.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
        Some(Item { config, tags, concurrency: o.concurrency().and_then(|c| c.reserved_concurrent_executions()), topics: None })
    }))
}

/// Every function of the region with its tags: `ListFunctions`, then one
/// `GetFunction` each (it carries the tags and the concurrency, so no tag
/// read is needed); once per discovery pass, shared with the permissions.
pub(crate) async fn listed_functions(aws: &Aws, scope: &DiscoverScope) -> Result<std::sync::Arc<Vec<Item>>, ProviderError> {
    let key = format!("lambda:GetFunction:{}", scope.region);
    aws.shared_lists()
        .get(scope, key, || async {
            let pages = client(aws, &scope.region).list_functions().into_paginator().items().send();
            let listed = pages.collect::<Result<Vec<_>, _>>().await.map_err(err("ListFunctions"))?;
            let mut out = Vec::new();
            for name in listed.iter().filter_map(FunctionConfiguration::function_name) {
                out.extend(get_function(aws, &scope.region, name).await?);
            }
            Ok(out)
        })
        .await
}

/// The archive the declaration names, read again (it must be the planned one).
fn archive(v: &V, resource: &str) -> Result<Archive, ProviderError> {
    let op = "UpdateFunctionCode";
    let path = v.code_path.as_deref().ok_or_else(|| invalid(op, format!("`{resource}`: the function has no code path")))?;
    let read = match v.code_source.as_deref() {
        Some("dir") => zip_dir(Path::new(path)),
        _ => read_zip(Path::new(path)),
    };
    let a = read.map_err(|e| invalid(op, format!("`{resource}` code: {e}")))?;
    if v.code_sha256.as_deref() != Some(a.sha256.as_str()) {
        return Err(invalid(op, format!("`{resource}`: the code at {path} changed since the plan (its SHA-256 is now {}): plan again", a.sha256)));
    }
    Ok(a)
}

/// `s3://bucket/key#version` as its parts.
fn s3_parts(location: &str) -> Option<(String, String, Option<String>)> {
    let rest = location.strip_prefix("s3://")?;
    let (path, version) = match rest.split_once('#') {
        Some((p, v)) => (p, Some(v.to_string())),
        None => (rest, None),
    };
    let (bucket, key) = path.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_string(), key.to_string(), version))
}

fn code_of(v: &V, resource: &str) -> Result<FunctionCode, ProviderError> {
    if let Some(loc) = &v.code_s3 {
        let (bucket, key, version) = s3_parts(loc).ok_or_else(|| invalid("CreateFunction", format!("`{resource}`: {loc:?} is not s3://bucket/key")))?;
        return Ok(FunctionCode::builder().s3_bucket(bucket).s3_key(key).set_s3_object_version(version).build());
    }
    Ok(FunctionCode::builder().zip_file(Blob::new(archive(v, resource)?.bytes)).build())
}

fn environment(v: &V) -> Environment {
    let vars: HashMap<String, String> = v
        .environment
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            let m = e.as_map()?;
            Some((m.get("name")?.as_str()?.to_string(), m.get("value")?.expose().as_str()?.to_string()))
        })
        .collect();
    Environment::builder().set_variables(Some(vars)).build()
}

fn vpc(v: &V) -> VpcConfig {
    VpcConfig::builder().set_subnet_ids(Some(v.subnets.clone().unwrap_or_default())).set_security_group_ids(Some(v.security_groups.clone().unwrap_or_default())).build()
}

fn logging(v: &V) -> Option<LoggingConfig> {
    v.log_group.as_ref().map(|g| LoggingConfig::builder().log_format(LogFormat::Text).log_group(g).build())
}

/// Wait until the function has taken its last update (and is `Active`).
async fn wait_updated(aws: &Aws, cx: &OpContext, name: &str) -> Result<(), ProviderError> {
    let what = format!("Lambda function {name} (`{}`) to finish its update", cx.name);
    wait_until(&what, cx.timeout, cx.poll, || async {
        let Some(item) = get_function(aws, &cx.region, name).await? else { return Ok(None) };
        Ok(Functions::settled(&item)?.then_some(()))
    })
    .await
}

/// Lambda's answer while a role made a moment ago cannot be assumed yet.
fn role_not_ready(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("InvalidParameterValueException") && e.message.contains("cannot be assumed")
}

#[async_trait]
impl Kind for Functions {
    type Builder = Function;
    type Item = Item;
    type Tags = LambdaTags;

    const IDENTITY: Option<&'static str> = Some(V::name);
    const DERIVED: &'static [&'static str] = &[V::name];
    const TAG_FIELDS: &'static [(&'static str, &'static str)] = &[(CODE_S3_TAG, V::code_s3)];
    /// moto 5.2.5 keeps no logging configuration.
    const UNREPORTED: &'static [&'static str] = &[V::log_group];

    fn id(item: &Item) -> Option<&str> {
        item.config.function_name()
    }

    fn tag_target(item: &Item) -> Option<String> {
        item.config.function_arn().map(str::to_string)
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(item.tags.clone())
    }

    fn settled(item: &Item) -> Result<bool, ProviderError> {
        let c = &item.config;
        let name = c.function_name().unwrap_or_default();
        let reason = |r: Option<&str>| r.unwrap_or("no reason given").to_string();
        if c.state() == Some(&State::Failed) {
            return Err(ProviderError::new(ErrorClass::Fatal, "CreateFunction", format!("Lambda function {name} failed: {}", reason(c.state_reason()))));
        }
        if c.last_update_status() == Some(&LastUpdateStatus::Failed) {
            let why = reason(c.last_update_status_reason());
            return Err(ProviderError::new(ErrorClass::Fatal, "UpdateFunctionConfiguration", format!("Lambda function {name}: its last update failed: {why}")));
        }
        Ok(c.state().is_none_or(|s| *s == State::Active) && c.last_update_status() != Some(&LastUpdateStatus::InProgress))
    }

    fn observe(item: &Item) -> Seen<Function> {
        let c = &item.config;
        let vpc = c.vpc_config();
        let sorted = |l: &[String]| {
            let mut l = l.to_vec();
            l.sort();
            l
        };
        // Values read from AWS are secrets until the declaration says otherwise (`reconcile`).
        let mut env: Vec<Value> = c
            .environment()
            .and_then(|e| e.variables())
            .map(|vars| {
                vars.iter()
                    .map(|(k, v)| Value::Map(BTreeMap::from([("name".to_string(), Value::str(k)), ("value".to_string(), Value::Secret(Box::new(Value::str(v))))])))
                    .collect()
            })
            .unwrap_or_default();
        sort_env(&mut env);
        let arn = c.function_arn().map(str::to_string);
        Seen {
            values: V {
                name: c.function_name().map(str::to_string),
                role: c.role().map(str::to_string),
                runtime: c.runtime().map(|r| r.as_str().to_string()),
                handler: c.handler().map(str::to_string),
                code_sha256: c.code_sha256().map(str::to_string),
                architecture: Some(c.architectures().first().map_or("x86_64", Architecture::as_str).to_string()),
                memory: c.memory_size().map(i64::from),
                timeout: c.timeout().map(i64::from),
                description: Some(c.description().unwrap_or_default().to_string()),
                environment: Some(env),
                subnets: Some(vpc.map(|v| sorted(v.subnet_ids())).unwrap_or_default()),
                security_groups: Some(vpc.map(|v| sorted(v.security_group_ids())).unwrap_or_default()),
                reserved_concurrency: item.concurrency.map(i64::from),
                log_group: c.logging_config().and_then(LoggingConfig::log_group).map(str::to_string),
                kms_key_arn: c.kms_key_arn().filter(|k| !k.is_empty()).map(str::to_string),
                sns_topics: item.topics.clone(),
                ..V::default()
            },
            outputs: FunctionOutputs {
                invoke_arn: arn.as_deref().and_then(invoke_arn),
                arn,
                function_name: c.function_name().map(str::to_string),
            },
            refs: Vec::new(),
        }
    }

    async fn complete(&self, aws: &Aws, region: &str, mut item: Item) -> Result<Item, ProviderError> {
        if let (Some(name), Some(arn)) = (item.config.function_name(), item.config.function_arn()) {
            item.topics = Some(crate::topics::subscribed(aws, region, name, arn).await?);
        }
        Ok(item)
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        Ok(listed_functions(aws, scope).await?.iter().cloned().collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        get_function(aws, region, id).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Function>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| strata_aws::naming::dashed_name(&cx.stack, &cx.name, 64));
        let code = code_of(v, &cx.name)?;
        let c = client(aws, &cx.region);
        let call = c
            .create_function()
            .function_name(&name)
            .set_role(v.role.clone())
            .set_runtime(v.runtime.as_deref().map(Runtime::from))
            .set_handler(v.handler.clone())
            .code(code)
            .description(v.description.clone().unwrap_or_default())
            .set_timeout(v.timeout.and_then(|t| i32::try_from(t).ok()))
            .set_memory_size(v.memory.and_then(|m| i32::try_from(m).ok()))
            .environment(environment(v))
            .set_vpc_config((!v.subnets.as_deref().unwrap_or_default().is_empty()).then(|| vpc(v)))
            .architectures(Architecture::from(v.architecture.as_deref().unwrap_or("x86_64")))
            .set_kms_key_arn(v.kms_key_arn.clone())
            .set_logging_config(logging(v))
            .set_tags(Some(v.tags.iter().map(|(k, t)| (k.clone(), t.clone())).collect()));
        let what = format!("Lambda to accept the role of function {name} (`{}`)", cx.name);
        let created = wait_until(&what, cx.timeout, cx.poll, || {
            let call = call.clone();
            async move {
                match call.send().await.map_err(err("CreateFunction")) {
                    Ok(out) => Ok(Some(out)),
                    Err(e) if role_not_ready(&e) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        })
        .await?;
        let topics = v.sns_topics.as_deref().unwrap_or_default();
        if !topics.is_empty() {
            let arn = created.function_arn().ok_or_else(|| strata_aws::lacks("CreateFunction", "FunctionArn", &cx.name))?;
            crate::topics::sync(aws, &cx.region, &name, arn, topics).await?;
        }
        if let Some(n) = v.reserved_concurrency {
            wait_updated(aws, cx, &name).await?;
            let n = i32::try_from(n).map_err(|_| invalid("PutFunctionConcurrency", format!("`{}`: {n} is out of range", cx.name)))?;
            c.put_function_concurrency().function_name(&name).reserved_concurrent_executions(n).send().await.map_err(err("PutFunctionConcurrency"))?;
        }
        Ok(Created::Id(name))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Function>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let (c, name) = (client(aws, &cx.region), actual.id.as_str());
        let changed = |fields: &[&str]| fields.iter().any(|f| diff.changed(f).is_some());
        if changed(&[V::code_sha256, V::code_s3, V::architecture]) {
            let mut call = c.update_function_code().function_name(name).architectures(Architecture::from(v.architecture.as_deref().unwrap_or("x86_64")));
            let code = code_of(v, &cx.name)?;
            call = match code.zip_file() {
                Some(z) => call.zip_file(z.clone()),
                None => call.set_s3_bucket(code.s3_bucket().map(str::to_string)).set_s3_key(code.s3_key().map(str::to_string)).set_s3_object_version(code.s3_object_version().map(str::to_string)),
            };
            call.send().await.map_err(err("UpdateFunctionCode"))?;
            wait_updated(aws, cx, name).await?;
        }
        let config = [V::role, V::runtime, V::handler, V::memory, V::timeout, V::description, V::environment, V::subnets, V::security_groups, V::log_group, V::kms_key_arn];
        if changed(&config) {
            c.update_function_configuration()
                .function_name(name)
                .set_role(v.role.clone())
                .set_runtime(v.runtime.as_deref().map(Runtime::from))
                .set_handler(v.handler.clone())
                .set_memory_size(v.memory.and_then(|m| i32::try_from(m).ok()))
                .set_timeout(v.timeout.and_then(|t| i32::try_from(t).ok()))
                .description(v.description.clone().unwrap_or_default())
                .environment(environment(v))
                .vpc_config(vpc(v))
                // An empty key means Lambda's own key again.
                .kms_key_arn(v.kms_key_arn.clone().unwrap_or_default())
                .set_logging_config(logging(v))
                .send()
                .await
                .map_err(err("UpdateFunctionConfiguration"))?;
            wait_updated(aws, cx, name).await?;
        }
        if changed(&[V::sns_topics]) {
            let arn = actual.outputs.get("arn").and_then(Value::as_str).ok_or_else(|| strata_aws::lacks("GetFunction", "FunctionArn", &cx.name))?;
            crate::topics::sync(aws, &cx.region, name, arn, v.sns_topics.as_deref().unwrap_or_default()).await?;
        }
        if changed(&[V::reserved_concurrency]) {
            match v.reserved_concurrency {
                Some(n) => {
                    let n = i32::try_from(n).map_err(|_| invalid("PutFunctionConcurrency", format!("`{}`: {n} is out of range", cx.name)))?;
                    c.put_function_concurrency().function_name(name).reserved_concurrent_executions(n).send().await.map_err(err("PutFunctionConcurrency"))?;
                }
                None => {
                    c.delete_function_concurrency().function_name(name).send().await.map_err(err("DeleteFunctionConcurrency"))?;
                }
            }
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        // SNS keeps a deleted function's subscriptions: they go first.
        if let Some(arn) = actual.outputs.get("arn").and_then(Value::as_str) {
            crate::topics::sync(aws, &cx.region, &actual.id, arn, &[]).await?;
        }
        client(aws, &cx.region).delete_function().function_name(&actual.id).send().await.map(|_| ()).map_err(err("DeleteFunction"))
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut(V::environment) {
            sort_env(l);
        }
        for f in [V::subnets, V::security_groups, V::sns_topics] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                l.dedup();
            }
        }
    }

    fn reconcile(want: &Props, have: &mut Props) {
        // An environment value declared in the clear is compared and shown in
        // the clear; every other value read from AWS stays masked.
        let plain: BTreeMap<String, Value> = want
            .get(V::environment)
            .and_then(Value::as_list)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| {
                let m = e.as_map()?;
                let v = m.get("value")?;
                (!v.is_secret()).then(|| Some((m.get("name")?.as_str()?.to_string(), v.clone())))?
            })
            .collect();
        if let Some(Value::List(l)) = have.get_mut(V::environment) {
            for e in l.iter_mut() {
                if let Value::Map(m) = e {
                    let name = m.get("name").and_then(Value::as_str).map(str::to_string);
                    if let (Some(n), Some(v)) = (name, m.get_mut("value")) {
                        if plain.contains_key(&n) {
                            *v = v.expose();
                        }
                    }
                }
            }
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        crate::checks::function(decl, out);
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(5),
            _ => Duration::from_secs(3),
        }
    }
}

fn sort_env(l: &mut [Value]) {
    l.sort_by(|a, b| {
        let n = |v: &Value| v.as_map().and_then(|m| m.get("name")).and_then(Value::as_str).map(str::to_string);
        n(a).cmp(&n(b))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoke_arns_are_api_gateway_paths() {
        assert_eq!(
            invoke_arn("arn:aws:lambda:eu-central-1:123456789012:function:orders").as_deref(),
            Some("arn:aws:apigateway:eu-central-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-central-1:123456789012:function:orders/invocations")
        );
        assert_eq!(invoke_arn("nonsense"), None);
    }

    #[test]
    fn s3_locations_split_into_bucket_key_and_version() {
        assert_eq!(s3_parts("s3://b/k/x.zip#v1"), Some(("b".into(), "k/x.zip".into(), Some("v1".into()))));
        assert_eq!(s3_parts("s3://b/k.zip"), Some(("b".into(), "k.zip".into(), None)));
        assert_eq!(s3_parts("s3://b/"), None);
        assert_eq!(s3_parts("b/k"), None);
    }
}
