//! S3: `aws:s3:Bucket`, private by default.
//!
//! Every bucket gets the public access block (all four flags), default
//! encryption (SSE-S3, or SSE-KMS with a key), and object ownership
//! `BucketOwnerEnforced` unless a log-delivery bucket needs ACLs
//! (`BucketOwnerPreferred`). A WAF log bucket is named `aws-waf-logs-*`.
//!
//! S3 has no tag filter and no batched configuration read: discovery lists
//! buckets in one call, reads each bucket's tags, and reads the five
//! configurations of the buckets it owns. A bucket is tagged right after it
//! is created; a bucket that exists under its derived name with no tags at all
//! (a run that stopped between the two calls) is taken over on the next
//! create instead of failing, so a crash cannot strand it.

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_s3, "s3", |c, p| c.force_path_style(p.endpoint_set()));
strata_aws::sdk_client!(pub(crate) fn sts_client = aws_sdk_sts, "sts");


mod bucket_policy;
mod lock;
pub use bucket_policy::{BucketPolicy, BucketPolicyHandle, BucketPolicyOutputs, BucketPolicyValues};
pub use lock::S3Locks;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration, ObjectIdentifier,
    ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging, Transition,
    TransitionStorageClass,
};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::naming::{derived_id, IdRules};
use strata_aws::props::str_of;
use strata_aws::Aws;

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(BucketProvider { aws: aws.clone() }));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, bucket_policy::BucketPolicies)));
}

/// A bucket's tags (none: an empty set).
async fn read_tags(aws: &Aws, region: &str, bucket: &str) -> Result<Tags, ProviderError> {
    match crate::client(aws, region).get_bucket_tagging().bucket(bucket).send().await.map_err(err("GetBucketTagging")) {
        Ok(t) => Ok(t.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()),
        Err(e) if absent(&e) => Ok(Tags::new()),
        Err(e) => Err(e),
    }
}

/// A bucket's tags, read once per discovery pass for the buckets' and the
/// bucket policies' discovery.
pub(crate) async fn listed_bucket_tags(aws: &Aws, scope: &DiscoverScope, bucket: &str) -> Result<Arc<Tags>, ProviderError> {
    let key = format!("s3:GetBucketTagging:{}:{bucket}", scope.region);
    aws.shared_lists().get(scope, key, || read_tags(aws, &scope.region, bucket)).await
}

/// Every bucket of the account: one `ListBuckets` per discovery pass, shared
/// by the buckets' and the bucket policies' discovery in every region.
pub(crate) async fn listed_buckets(aws: &Aws, scope: &DiscoverScope) -> Result<Arc<Vec<aws_sdk_s3::types::Bucket>>, ProviderError> {
    aws.shared_lists()
        .get(scope, "s3:ListBuckets".into(), || async {
            let list = crate::client(aws, &scope.region).list_buckets().send().await.map_err(err("ListBuckets"))?;
            Ok(list.buckets().to_vec())
        })
        .await
}

/// The tag that lets `destroy` empty a bucket before deleting it.
pub const FORCE_DESTROY_TAG: &str = strata_core::tags::FORCE_DESTROY;
const BUCKET: IdRules = IdRules { max_len: 63, min_len: 3, lowercase: true };
const WAF_PREFIX: &str = "aws-waf-logs-";

/// A lifecycle rule: expire, or move to a cheaper storage class, after some days.
#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    id: String,
    prefix: String,
    expire_days: Option<i64>,
    noncurrent_expire_days: Option<i64>,
    transition: Option<(i64, String)>,
}

impl Lifecycle {
    pub fn new(id: &str) -> Self {
        Lifecycle { id: id.into(), ..Lifecycle::default() }
    }
    /// Only keys under this prefix.
    pub fn prefix(mut self, p: &str) -> Self {
        self.prefix = p.into();
        self
    }
    pub fn expire_after_days(mut self, d: i64) -> Self {
        self.expire_days = Some(d);
        self
    }
    pub fn expire_noncurrent_after_days(mut self, d: i64) -> Self {
        self.noncurrent_expire_days = Some(d);
        self
    }
    /// Move to `STANDARD_IA`, `GLACIER_IR`, `GLACIER`, ... after `days`.
    pub fn transition(mut self, days: i64, storage_class: &str) -> Self {
        self.transition = Some((days, storage_class.into()));
        self
    }
    fn to_value(&self) -> Value {
        let opt = |v: Option<i64>| v.map(Value::Int).unwrap_or(Value::Null);
        Value::Map(BTreeMap::from([
            ("id".to_string(), Value::str(&self.id)),
            ("prefix".to_string(), Value::str(&self.prefix)),
            ("expire_days".to_string(), opt(self.expire_days)),
            ("noncurrent_expire_days".to_string(), opt(self.noncurrent_expire_days)),
            ("transition_days".to_string(), opt(self.transition.as_ref().map(|t| t.0))),
            (
                "transition_class".to_string(),
                self.transition.as_ref().map(|t| Value::str(&t.1)).unwrap_or(Value::Null),
            ),
        ]))
    }
}

/// An S3 bucket.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_s3::{Bucket, Lifecycle};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let logs = stack.add("waf-logs", Bucket::waf_logs().lifecycle(Lifecycle::new("expire").expire_after_days(90)));
/// let media = stack.add("media", Bucket::new().versioning(true));
/// let _ = (logs.bucket_name(), media.arn(), media.regional_domain_name());
/// ```
#[derive(Clone, Debug)]
pub struct Bucket {
    name: Option<String>,
    waf_logs: bool,
    kms_key: Option<Input>,
    block_public: bool,
    versioning: bool,
    lifecycle: Vec<Lifecycle>,
    ownership: String,
    force_destroy: bool,
    tags: BTreeMap<String, Input>,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket::new()
    }
}

impl Bucket {
    pub fn new() -> Self {
        Bucket {
            name: None,
            waf_logs: false,
            kms_key: None,
            block_public: true,
            versioning: false,
            lifecycle: Vec::new(),
            ownership: "BucketOwnerEnforced".into(),
            force_destroy: false,
            tags: BTreeMap::new(),
        }
    }
    /// A bucket for WAF logs: its derived name starts with `aws-waf-logs-`.
    pub fn waf_logs() -> Self {
        Bucket { waf_logs: true, ..Bucket::new() }
    }
    /// An explicit (globally unique) name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }
    /// SSE-KMS with this key instead of SSE-S3.
    pub fn kms_key(mut self, key: impl Into<Arg<String>>) -> Self {
        self.kms_key = Some(key.into().into_input());
        self
    }
    /// Turn the public access block off (the plan warns).
    pub fn allow_public_access(mut self) -> Self {
        self.block_public = false;
        self
    }
    pub fn versioning(mut self, on: bool) -> Self {
        self.versioning = on;
        self
    }
    pub fn lifecycle(mut self, rule: Lifecycle) -> Self {
        self.lifecycle.push(rule);
        self
    }
    /// `BucketOwnerEnforced` (default, no ACLs), `BucketOwnerPreferred` (for
    /// log delivery that writes ACLs, such as CloudFront's) or `ObjectWriter`.
    pub fn object_ownership(mut self, o: &str) -> Self {
        self.ownership = o.into();
        self
    }
    /// Let `destroy` delete the objects (and versions) before the bucket.
    pub fn force_destroy(mut self, on: bool) -> Self {
        self.force_destroy = on;
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`Bucket`].
    BucketHandle { bucket_name: "name", arn: "arn", regional_domain_name: "regional_domain_name" }
);

impl Resource for Bucket {
    const KIND: &'static str = "aws:s3:Bucket";
    type Handle = BucketHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let mut tags = self.tags;
        tags.insert(FORCE_DESTROY_TAG.into(), Input::from(if self.force_destroy { "true" } else { "false" }));
        let kms = self.kms_key.is_some();
        BTreeMap::from([
            ("name".to_string(), Input::from(self.name)),
            ("waf_logs".to_string(), Input::from(self.waf_logs)),
            ("encryption".to_string(), Input::from(if kms { "aws:kms" } else { "AES256" })),
            ("kms_key_id".to_string(), self.kms_key.unwrap_or(Input::Known(Value::Null))),
            ("block_public".to_string(), Input::from(self.block_public)),
            ("versioning".to_string(), Input::from(self.versioning)),
            ("lifecycle".to_string(), Input::Known(Value::List(self.lifecycle.iter().map(Lifecycle::to_value).collect()))),
            ("object_ownership".to_string(), Input::from(self.ownership)),
            ("tags".to_string(), Input::Map(tags)),
        ])
    }
}

pub(crate) struct BucketProvider {
    aws: Aws,
}

fn name_problem(n: &str) -> Option<String> {
    let ok_chars = n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    let ends = n.starts_with(|c: char| c.is_ascii_alphanumeric()) && n.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !(3..=63).contains(&n.len()) || !ok_chars || !ends || n.contains("..") {
        return Some(format!("{n:?} must be 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit"));
    }
    None
}

fn derived_name(stack: &str, logical: &str, waf: bool) -> String {
    if waf {
        let rules = IdRules { max_len: 63 - WAF_PREFIX.len(), ..BUCKET };
        format!("{WAF_PREFIX}{}", derived_id(rules, stack, logical, ""))
    } else {
        derived_id(BUCKET, stack, logical, "")
    }
}

fn lifecycle_of(v: &Value) -> Option<LifecycleRule> {
    let m = v.as_map()?;
    let get_i = |k: &str| m.get(k).and_then(Value::as_int).and_then(|n| i32::try_from(n).ok());
    let get_s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let mut r = LifecycleRule::builder()
        .id(get_s("id").unwrap_or_default())
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix(get_s("prefix").unwrap_or_default()).build());
    if let Some(d) = get_i("expire_days") {
        r = r.expiration(LifecycleExpiration::builder().days(d).build());
    }
    if let Some(d) = get_i("noncurrent_expire_days") {
        r = r.noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(d).build());
    }
    if let (Some(d), Some(c)) = (get_i("transition_days"), get_s("transition_class")) {
        r = r.transitions(Transition::builder().days(d).storage_class(TransitionStorageClass::from(c.as_str())).build());
    }
    r.build().ok()
}

fn lifecycle_value(r: &LifecycleRule) -> Value {
    let opt = |v: Option<i32>| v.map(|n| Value::Int(n.into())).unwrap_or(Value::Null);
    let t = r.transitions().first();
    Value::Map(BTreeMap::from([
        ("id".to_string(), Value::str(r.id().unwrap_or_default())),
        ("prefix".to_string(), Value::str(r.filter().and_then(|f| f.prefix()).unwrap_or_default())),
        ("expire_days".to_string(), opt(r.expiration().and_then(|e| e.days()))),
        ("noncurrent_expire_days".to_string(), opt(r.noncurrent_version_expiration().and_then(|e| e.noncurrent_days()))),
        ("transition_days".to_string(), opt(t.and_then(|t| t.days()))),
        ("transition_class".to_string(), t.and_then(|t| t.storage_class()).map(|c| Value::str(c.as_str())).unwrap_or(Value::Null)),
    ]))
}

/// A code that means "nothing configured", which reads treat as defaults.
fn absent(e: &ProviderError) -> bool {
    matches!(
        e.code.as_deref(),
        Some(
            "NoSuchTagSet"
                | "NoSuchLifecycleConfiguration"
                | "ServerSideEncryptionConfigurationNotFoundError"
                | "NoSuchPublicAccessBlockConfiguration"
                | "OwnershipControlsNotFoundError"
        )
    )
}

impl BucketProvider {
    async fn tags_of(&self, region: &str, bucket: &str) -> Result<Tags, ProviderError> {
        read_tags(&self.aws, region, bucket).await
    }

    /// The bucket's configuration, read in five calls (S3 has no batched read).
    async fn observe(&self, region: &str, name: &str, tags: Tags) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, region);
        let or_absent = |r: Result<Value, ProviderError>, default: Value| match r {
            Err(e) if absent(&e) => Ok(default),
            other => other,
        };
        let enc = c.get_bucket_encryption().bucket(name).send().await.map_err(err("GetBucketEncryption")).map(|o| {
            let d = o
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default());
            Value::List(vec![
                d.map(|d| Value::str(d.sse_algorithm().as_str())).unwrap_or(Value::Null),
                d.and_then(|d| d.kms_master_key_id()).map(Value::str).unwrap_or(Value::Null),
            ])
        });
        let enc = or_absent(enc, Value::List(vec![Value::Null, Value::Null]))?;
        let block = c.get_public_access_block().bucket(name).send().await.map_err(err("GetPublicAccessBlock")).map(|o| {
            let p = o.public_access_block_configuration();
            Value::Bool(p.is_some_and(|p| {
                p.block_public_acls() == Some(true)
                    && p.ignore_public_acls() == Some(true)
                    && p.block_public_policy() == Some(true)
                    && p.restrict_public_buckets() == Some(true)
            }))
        });
        let block = or_absent(block, Value::Bool(false))?;
        let versioning = versioning_status(&c, name).await?;
        let lifecycle = c.get_bucket_lifecycle_configuration().bucket(name).send().await.map_err(err("GetBucketLifecycleConfiguration"));
        let lifecycle = or_absent(lifecycle.map(|o| Value::List(o.rules().iter().map(lifecycle_value).collect())), Value::List(vec![]))?;
        let ownership = c.get_bucket_ownership_controls().bucket(name).send().await.map_err(err("GetBucketOwnershipControls")).map(|o| {
            o.ownership_controls()
                .and_then(|c| c.rules().first())
                .map(|r| Value::str(r.object_ownership().as_str()))
                .unwrap_or(Value::Null)
        });
        let ownership = or_absent(ownership, Value::Null)?;
        let (algo, key) = match enc.as_list() {
            Some([a, k]) => (a.clone(), k.clone()),
            _ => (Value::Null, Value::Null),
        };
        let mut o = Observed::new(Bucket::KIND, name, region);
        o.props = Props::from([
            ("name".into(), Value::str(name)),
            ("waf_logs".into(), Value::Bool(name.starts_with(WAF_PREFIX))),
            ("encryption".into(), algo),
            ("kms_key_id".into(), key),
            ("block_public".into(), block),
            ("versioning".into(), Value::Bool(versioning.as_deref() == Some("Enabled"))),
            ("lifecycle".into(), lifecycle),
            ("object_ownership".into(), ownership),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        o.outputs = outputs(name, region);
        Ok(o)
    }

    async fn configure(&self, region: &str, name: &str, desired: &Props, diff: Option<&Diff>) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, region);
        let changed = |f: &str| diff.is_none_or(|d| d.changed(f).is_some());
        if changed("object_ownership") {
            let o = ObjectOwnership::from(str_of(desired, "object_ownership").unwrap_or_else(|| "BucketOwnerEnforced".into()).as_str());
            let rule = OwnershipControlsRule::builder().object_ownership(o).build().map_err(build_err)?;
            let controls = OwnershipControls::builder().rules(rule).build().map_err(build_err)?;
            c.put_bucket_ownership_controls().bucket(name).ownership_controls(controls).send().await.map_err(err("PutBucketOwnershipControls"))?;
        }
        if changed("block_public") {
            let on = desired.get("block_public").and_then(Value::as_bool).unwrap_or(true);
            let cfg = PublicAccessBlockConfiguration::builder()
                .block_public_acls(on)
                .ignore_public_acls(on)
                .block_public_policy(on)
                .restrict_public_buckets(on)
                .build();
            c.put_public_access_block().bucket(name).public_access_block_configuration(cfg).send().await.map_err(err("PutPublicAccessBlock"))?;
        }
        if changed("encryption") || changed("kms_key_id") {
            let key = str_of(desired, "kms_key_id");
            let algo = if key.is_some() { ServerSideEncryption::AwsKms } else { ServerSideEncryption::Aes256 };
            let by_default = ServerSideEncryptionByDefault::builder().sse_algorithm(algo).set_kms_master_key_id(key).build().map_err(build_err)?;
            let cfg = ServerSideEncryptionConfiguration::builder()
                .rules(ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(by_default).bucket_key_enabled(true).build())
                .build()
                .map_err(build_err)?;
            c.put_bucket_encryption().bucket(name).server_side_encryption_configuration(cfg).send().await.map_err(err("PutBucketEncryption"))?;
        }
        let versioning = desired.get("versioning").and_then(Value::as_bool).unwrap_or(false);
        // A new bucket is unversioned; only turning it on (or off, later) is a call.
        if (diff.is_none() && versioning) || (diff.is_some() && changed("versioning")) {
            let status = if versioning { BucketVersioningStatus::Enabled } else { BucketVersioningStatus::Suspended };
            c.put_bucket_versioning()
                .bucket(name)
                .versioning_configuration(aws_sdk_s3::types::VersioningConfiguration::builder().status(status).build())
                .send()
                .await
                .map_err(err("PutBucketVersioning"))?;
        }
        let rules: Vec<LifecycleRule> = desired.get("lifecycle").and_then(Value::as_list).unwrap_or_default().iter().filter_map(lifecycle_of).collect();
        if (diff.is_none() && !rules.is_empty()) || (diff.is_some() && changed("lifecycle")) {
            if rules.is_empty() {
                c.delete_bucket_lifecycle().bucket(name).send().await.map_err(err("DeleteBucketLifecycle"))?;
            } else {
                let cfg = BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build().map_err(build_err)?;
                c.put_bucket_lifecycle_configuration().bucket(name).lifecycle_configuration(cfg).send().await.map_err(err("PutBucketLifecycleConfiguration"))?;
            }
        }
        Ok(())
    }

    /// The bucket's region (`GetBucketLocation`: none means us-east-1, `EU` eu-west-1).
    async fn region_of(&self, region: &str, name: &str) -> Result<String, ProviderError> {
        let out = crate::client(&self.aws, region).get_bucket_location().bucket(name).send().await.map_err(err("GetBucketLocation"))?;
        Ok(match out.location_constraint().map(|l| l.as_str()) {
            None | Some("") => "us-east-1".to_string(),
            Some("EU") => "eu-west-1".to_string(),
            Some(r) => r.to_string(),
        })
    }

    async fn put_tags(&self, region: &str, name: &str, tags: &Tags) -> Result<(), ProviderError> {
        let set: Vec<Tag> = tags.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
        let tagging = Tagging::builder().set_tag_set(Some(set)).build().map_err(build_err)?;
        crate::client(&self.aws, region).put_bucket_tagging().bucket(name).tagging(tagging).send().await.map_err(err("PutBucketTagging"))?;
        Ok(())
    }

    /// Delete every object and version (for `force_destroy`).
    async fn empty(&self, region: &str, name: &str) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, region);
        loop {
            let page = c.list_object_versions().bucket(name).send().await.map_err(err("ListObjectVersions"))?;
            let mut ids: Vec<ObjectIdentifier> = Vec::new();
            for v in page.versions() {
                ids.extend(ObjectIdentifier::builder().set_key(v.key().map(str::to_string)).set_version_id(v.version_id().map(str::to_string)).build().ok());
            }
            for m in page.delete_markers() {
                ids.extend(ObjectIdentifier::builder().set_key(m.key().map(str::to_string)).set_version_id(m.version_id().map(str::to_string)).build().ok());
            }
            if ids.is_empty() {
                return Ok(());
            }
            for chunk in ids.chunks(1000) {
                let del = Delete::builder().set_objects(Some(chunk.to_vec())).quiet(true).build().map_err(build_err)?;
                c.delete_objects().bucket(name).delete(del).send().await.map_err(err("DeleteObjects"))?;
            }
        }
    }
}

/// The bucket's versioning status. moto names the response's root element
/// `GetBucketVersioningResponse` where S3 says `VersioningConfiguration`, which
/// the SDK refuses to parse; the status is then read from the raw body.
async fn versioning_status(c: &aws_sdk_s3::Client, bucket: &str) -> Result<Option<String>, ProviderError> {
    use aws_sdk_s3::error::SdkError;
    match c.get_bucket_versioning().bucket(bucket).send().await {
        Ok(v) => Ok(v.status().map(|s| s.as_str().to_string())),
        Err(SdkError::ServiceError(e)) if e.err().meta().code().is_none() => {
            let body = String::from_utf8_lossy(e.raw().body().bytes().unwrap_or_default()).to_string();
            Ok(body.split_once("<Status>").and_then(|(_, rest)| rest.split_once("</Status>")).map(|(s, _)| s.to_string()))
        }
        Err(e) => Err(strata_aws::error::from_sdk("GetBucketVersioning", e)),
    }
}

fn build_err(e: aws_sdk_s3::error::BuildError) -> ProviderError {
    ProviderError::new(ErrorClass::Invalid, "build", e.to_string())
}

fn outputs(name: &str, region: &str) -> Props {
    Props::from([
        ("id".into(), Value::str(name)),
        ("name".into(), Value::str(name)),
        ("arn".into(), Value::Str(format!("arn:aws:s3:::{name}"))),
        ("regional_domain_name".into(), Value::Str(format!("{name}.s3.{region}.amazonaws.com"))),
    ])
}

#[async_trait]
impl Provider for BucketProvider {
    fn kind(&self) -> &'static str {
        Bucket::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["name", "waf_logs"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let waf = decl.known("waf_logs").and_then(|v| v.as_bool()) == Some(true);
        if let Some(n) = decl.known("name").and_then(|v| v.as_str().map(str::to_string)) {
            if let Some(p) = name_problem(&n) {
                out.push(Diagnostic::field(&decl.name, "name", p));
            } else if waf && !n.starts_with(WAF_PREFIX) {
                out.push(Diagnostic::field(&decl.name, "name", format!("{n:?}: a WAF log bucket's name must start with {WAF_PREFIX}")));
            }
        }
        if let Some(Value::List(rules)) = decl.known("lifecycle") {
            for r in rules {
                let m = r.as_map().cloned().unwrap_or_default();
                let id = m.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
                for f in ["expire_days", "noncurrent_expire_days", "transition_days"] {
                    if let Some(d) = m.get(f).and_then(Value::as_int) {
                        if d < 1 {
                            out.push(Diagnostic::field(&decl.name, "lifecycle", format!("rule {id:?}: {f} must be at least 1")));
                        }
                    }
                }
                if ["expire_days", "noncurrent_expire_days", "transition_days"].iter().all(|f| m.get(*f).is_none_or(|v| *v == Value::Null)) {
                    out.push(Diagnostic::field(&decl.name, "lifecycle", format!("rule {id:?} neither expires nor moves anything")));
                }
            }
        }
        if let Some(o) = decl.known("object_ownership").and_then(|v| v.as_str().map(str::to_string)) {
            if !["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"].contains(&o.as_str()) {
                out.push(Diagnostic::field(&decl.name, "object_ownership", format!("{o:?} is not BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter")));
            }
        }
    }

    fn validate_all(&self, decls: &[&ResourceDecl], _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut seen = BTreeMap::new();
        for d in decls {
            if let Some(n) = d.known("name").and_then(|v| v.as_str().map(str::to_string)) {
                if let Some(other) = seen.insert(n.clone(), d.name.clone()) {
                    out.push(Diagnostic::field(&d.name, "name", format!("{n:?} is also the name of {other}")));
                }
            }
        }
    }

    fn warnings(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if decl.known("block_public").and_then(|v| v.as_bool()) == Some(false) {
            out.push(Diagnostic::field(&decl.name, "block_public", "the public access block is off"));
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        let mut want = desired.clone();
        let mut have = actual.props.clone();
        if let (Some(w), Some(h)) = (want.get("kms_key_id").and_then(Value::as_str), have.get("kms_key_id").and_then(Value::as_str)) {
            if h.ends_with(&format!("/{w}")) || w.ends_with(&format!("/{h}")) {
                have.insert("kms_key_id".into(), Value::str(w));
            }
        }
        if want.get("kms_key_id") == Some(&Value::Null) {
            want.remove("kms_key_id");
        }
        strata_engine::diff_with_derived(&want, &have, self.replace_fields(), &["name"])
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(3)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        // Buckets are listed globally: one list per discovery pass, shared by
        // every region of the stack.
        let buckets = listed_buckets(&self.aws, scope).await?;
        let mut out = Vec::new();
        for b in buckets.iter() {
            let Some(name) = b.name() else { continue };
            // Buckets of other regions belong to that region's discovery.
            if b.bucket_region().is_some_and(|r| r != scope.region) {
                continue;
            }
            let t = match listed_bucket_tags(&self.aws, scope, name).await {
                Ok(t) => Tags::clone(&t),
                // A bucket in another region answers with a redirect; one being deleted, not found.
                Err(e) if matches!(e.code.as_deref(), Some("PermanentRedirect" | "AuthorizationHeaderMalformed" | "NoSuchBucket")) => continue,
                Err(e) => return Err(e),
            };
            if t.get(tags::STACK) != Some(&scope.stack) {
                continue;
            }
            // Without a region in the listing, ask (only for the stack's buckets).
            if b.bucket_region().is_none() && self.region_of(&scope.region, name).await? != scope.region {
                continue;
            }
            out.push(self.observe(&scope.region, name, t).await?);
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let t = match self.tags_of(region, id).await {
            Ok(t) => t,
            Err(e) if e.code.as_deref() == Some("NoSuchBucket") => return Ok(None),
            Err(e) => return strata_aws::not_found_none(e),
        };
        Ok(Some(self.observe(region, id, t).await?))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let waf = desired.get("waf_logs").and_then(Value::as_bool).unwrap_or(false);
        let name = str_of(desired, "name").unwrap_or_else(|| derived_name(&cx.stack, &cx.name, waf));
        let c = crate::client(&self.aws, &cx.region);
        let mut req = c.create_bucket().bucket(&name);
        if cx.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(cx.region.as_str())).build(),
            );
        }
        match req.send().await.map_err(err("CreateBucket")) {
            Ok(_) => {}
            // Ours from a run that stopped before tagging it: take it over.
            Err(e) if e.code.as_deref() == Some("BucketAlreadyOwnedByYou") && self.tags_of(&cx.region, &name).await?.is_empty() => {}
            Err(e) => return Err(e),
        }
        self.put_tags(&cx.region, &name, &strata_aws::desired_tags(desired)).await?;
        self.configure(&cx.region, &name, desired, None).await?;
        let mut o = Observed::new(Bucket::KIND, &name, &cx.region);
        o.props = desired.clone();
        o.props.insert("name".into(), Value::str(&name));
        o.outputs = outputs(&name, &cx.region);
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        if diff.changed("tags").is_some() {
            self.put_tags(&cx.region, &actual.id, &strata_aws::desired_tags(desired)).await?;
        }
        self.configure(&cx.region, &actual.id, desired, Some(diff)).await?;
        let mut o = actual.clone();
        o.props = desired.clone();
        o.props.insert("name".into(), Value::str(&actual.id));
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        if actual.tags().get(FORCE_DESTROY_TAG).map(String::as_str) == Some("true") {
            match self.empty(&cx.region, &actual.id).await {
                Err(e) if e.code.as_deref() == Some("NoSuchBucket") => return Ok(()),
                other => other?,
            }
        }
        let r = crate::client(&self.aws, &cx.region).delete_bucket().bucket(&actual.id).send().await.map_err(err("DeleteBucket"));
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.code.as_deref() == Some("NoSuchBucket") => Ok(()),
            Err(e) if e.code.as_deref() == Some("BucketNotEmpty") => Err(ProviderError {
                message: format!("bucket {} is not empty; empty it, or set force_destroy(true) and apply, then delete it", actual.id),
                ..e
            }),
            Err(e) => Err(e),
        }
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        // S3 replaces the whole tag set.
        let mut t = actual.tags();
        t.retain(|k, _| !remove.contains(k));
        t.extend(add.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.put_tags(&cx.region, &actual.id, &t).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        let waf = derived_name("miamo-prd", "waf-logs", true);
        assert!(waf.starts_with("aws-waf-logs-miamo-prd-waf-logs-"), "{waf}");
        assert!(waf.len() <= 63);
        assert_eq!(name_problem(&waf), None);
        assert_eq!(name_problem(&derived_name("Miamo_PRD", "Media", false)), None);
        assert!(name_problem("Upper").is_some());
        assert!(name_problem("ab").is_some());
        assert!(name_problem("a..b").is_some());
    }
}
