//! `aws:s3:BucketPolicy`: the resource policy of one of the stack's buckets,
//! typed with [`PolicyDocument`] (what CloudTrail, ALB and WAF logs and
//! CloudFront origin access control need).
//!
//! A bucket policy carries no tags. With no state file, it is known by its
//! document's `Id`, which strata sets to `strata:<stack>:<logical name>`:
//! discovery reads the policy of each of the stack's buckets in the region
//! (one `GetBucketPolicy` each; the bucket list and the buckets' tags are
//! shared with the buckets' own discovery) and keeps those whose `Id` names
//! the stack. A policy is only ever put on a bucket that carries the stack's
//! tag: someone else's bucket is refused before anything is written.

use std::time::Duration;

use async_trait::async_trait;
use strata_aws::error::err;
use strata_aws::kernel::{owner_tags, tags_as_declared, Created, Kind, NoTags, Seen, Want};
use strata_aws::policy::{self, PolicyDocument};
use strata_aws::Aws;
use strata_core::{tags, Props, Tags, Value};
use strata_engine::{DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

strata_aws::kind_fields! {
    /// The policy of a bucket.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_s3::{Bucket, BucketPolicy};
    /// use strata_aws::policy::{PolicyDocument, Statement};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let logs = stack.add("trail-logs", Bucket::new());
    /// stack.add("trail-logs-policy", BucketPolicy::new(logs.bucket_name(), PolicyDocument::new().statement(
    ///     Statement::allow()
    ///         .principal("Service", "cloudtrail.amazonaws.com")
    ///         .action("s3:GetBucketAcl")
    ///         .resource(logs.arn()),
    /// )));
    /// ```
    pub struct BucketPolicy: "aws:s3:BucketPolicy";
    values BucketPolicyValues;
    handle BucketPolicyHandle / BucketPolicyOutputs { bucket };
    fields {
        /// The bucket's name (one of the stack's buckets).
        bucket: str [replace required];
        /// The policy (every statement names its principals).
        policy: policy [update required];
    }
}

impl BucketPolicy {
    /// The policy `document` on `bucket`.
    pub fn new(bucket: impl Into<strata_core::Arg<String>>, document: PolicyDocument) -> Self {
        Self::empty().bucket(bucket).policy(document)
    }

    /// The policy that lets one CloudFront distribution (its ARN) read the
    /// objects of `bucket` (its name and ARN) through an origin access
    /// control, and nobody else.
    pub fn cloudfront_reads(bucket: impl Into<strata_core::Arg<String>>, bucket_arn: strata_core::Output<String>, distribution_arn: impl Into<strata_core::Arg<String>>) -> Self {
        let read = strata_aws::policy::Statement::allow()
            .sid("CloudFrontReads")
            .principal("Service", "cloudfront.amazonaws.com")
            .action("s3:GetObject")
            .resource(bucket_arn.map(|a| format!("{a}/*")))
            .condition("StringEquals", "AWS:SourceArn", [distribution_arn]);
        Self::new(bucket, PolicyDocument::new().statement(read))
    }
}

type V = BucketPolicyValues;

/// The kind behind [`BucketPolicy`].
pub(crate) struct BucketPolicies;

/// A bucket's policy as read: the bucket, the document without its `Id`,
/// and the stack and logical name the `Id` names.
pub(crate) struct Item {
    bucket: String,
    document: Value,
    owner: Option<(String, String)>,
}

const ID_PREFIX: &str = "strata:";

fn policy_id(stack: &str, logical: &str) -> String {
    format!("{ID_PREFIX}{stack}:{logical}")
}

fn item(bucket: &str, text: &str) -> Item {
    let mut document = policy::parse(text).unwrap_or_else(|_| Value::str(text));
    let mut owner = None;
    if let Value::Map(m) = &mut document {
        if let Some(id) = m.get("Id").and_then(Value::as_str).and_then(|i| i.strip_prefix(ID_PREFIX)).map(str::to_string) {
            owner = id.split_once(':').map(|(s, l)| (s.to_string(), l.to_string()));
            m.remove("Id");
        }
    }
    Item { bucket: bucket.to_string(), document, owner }
}

/// The policy of `bucket`, if it has one.
async fn read(aws: &Aws, region: &str, bucket: &str) -> Result<Option<Item>, ProviderError> {
    match crate::client(aws, region).get_bucket_policy().bucket(bucket).send().await.map_err(err("GetBucketPolicy")) {
        Ok(out) => Ok(out.policy().map(|p| item(bucket, p))),
        Err(e) if matches!(e.code.as_deref(), Some("NoSuchBucketPolicy")) => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl Kind for BucketPolicies {
    type Builder = BucketPolicy;
    type Item = Item;
    type Tags = NoTags;

    const TRUST_POLICIES: &'static [&'static str] = &[V::policy];

    fn id(item: &Item) -> Option<&str> {
        Some(&item.bucket)
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(owner_tags(item.owner.as_ref()))
    }

    fn observe(item: &Item) -> Seen<BucketPolicy> {
        Seen {
            values: V { bucket: Some(item.bucket.clone()), policy: Some(item.document.clone()), ..V::default() },
            outputs: BucketPolicyOutputs { bucket: Some(item.bucket.clone()) },
            refs: vec![item.bucket.clone()],
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let buckets = crate::listed_buckets(aws, scope).await?;
        let mut out = Vec::new();
        for b in buckets.iter() {
            let Some(name) = b.name() else { continue };
            if b.bucket_region().is_some_and(|r| r != scope.region) {
                continue;
            }
            // Only the stack's own buckets hold its policies: their tags are
            // read once per pass, shared with the buckets' discovery.
            let skip = |e: &ProviderError| matches!(e.code.as_deref(), Some("PermanentRedirect" | "AuthorizationHeaderMalformed" | "NoSuchBucket"));
            match crate::listed_bucket_tags(aws, scope, name).await {
                Ok(t) if t.get(tags::STACK) == Some(&scope.stack) => {}
                Ok(_) => continue,
                // A bucket in another region answers with a redirect; one being deleted, not found.
                Err(e) if skip(&e) => continue,
                Err(e) => return Err(e),
            }
            match read(aws, &scope.region, name).await {
                Ok(Some(i)) => out.push(i),
                Ok(None) => {}
                Err(e) if skip(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        read(aws, region, id).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, BucketPolicy>) -> Result<Created<Item>, ProviderError> {
        let cx = want.cx;
        let bucket = want.values.bucket.clone().ok_or_else(|| strata_aws::lacks("PutBucketPolicy", "bucket", &cx.name))?;
        // Only the stack's own buckets get a policy from it.
        let t = crate::client(aws, &cx.region).get_bucket_tagging().bucket(&bucket).send().await.map_err(err("GetBucketTagging"));
        let owner = match t {
            Ok(t) => t.tag_set().iter().find(|t| t.key() == tags::STACK).map(|t| t.value().to_string()),
            Err(e) if e.code.as_deref() == Some("NoSuchTagSet") => None,
            Err(e) => return Err(e),
        };
        if owner.as_deref() != Some(cx.stack.as_str()) {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                "PutBucketPolicy",
                format!("bucket {bucket:?} is not this stack's (it lacks the strata:stack tag): strata puts policies only on its own buckets"),
            ));
        }
        put(aws, cx, &bucket, want.values.policy.as_ref()).await?;
        Ok(Created::Id(bucket))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, BucketPolicy>, _diff: &strata_engine::Diff) -> Result<(), ProviderError> {
        put(aws, want.cx, &actual.id, want.values.policy.as_ref()).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        match crate::client(aws, &cx.region).delete_bucket_policy().bucket(&actual.id).send().await.map_err(err("DeleteBucketPolicy")) {
            Err(e) if matches!(e.code.as_deref(), Some("NoSuchBucketPolicy" | "NoSuchBucket")) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    fn reconcile(want: &Props, have: &mut Props) {
        tags_as_declared(want, have);
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(1)
    }
}

async fn put(aws: &Aws, cx: &OpContext, bucket: &str, document: Option<&Value>) -> Result<(), ProviderError> {
    let Some(Value::Map(m)) = document else {
        return Err(ProviderError::new(ErrorClass::Invalid, "PutBucketPolicy", format!("`{}`: `policy` is not a policy document", cx.name)));
    };
    let mut m = m.clone();
    m.insert("Id".into(), Value::str(policy_id(&cx.stack, &cx.name)));
    let text = policy::render(&Value::Map(m)).map_err(|e| ProviderError::new(ErrorClass::Invalid, "PutBucketPolicy", format!("`policy`: {e}")))?;
    crate::client(aws, &cx.region).put_bucket_policy().bucket(bucket).policy(text).send().await.map(|_| ()).map_err(err("PutBucketPolicy"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_names_the_owner_and_is_not_part_of_the_document() {
        let text = r#"{"Version":"2012-10-17","Id":"strata:shop:logs-policy","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::logs"}]}"#;
        let i = item("logs", text);
        assert_eq!(i.owner, Some(("shop".to_string(), "logs-policy".to_string())));
        assert!(i.document.as_map().is_some_and(|m| !m.contains_key("Id")));
        let theirs = item("logs", r#"{"Version":"2012-10-17","Statement":[]}"#);
        assert_eq!(theirs.owner, None);
        assert_eq!(BucketPolicies::carried_tags(&theirs), Some(Tags::new()));
    }
}
