//! The stack lock on S3: one object per stack, `locks/<stack>.json`, written
//! with `If-None-Match: *`, so that of two runs starting at once exactly one
//! creates it. The bucket is `STRATA_LOCK_BUCKET` if set, else
//! `strata-locks-<account>-<region>`, created private and encrypted on first
//! use (like CDK's bootstrap bucket). It holds the lock records and each
//! stack's discovery index, `index/<stack>.json` (a hint of which kinds
//! hold anything of the stack, in which region: see
//! `strata_engine::index`; losing it costs calls, never resources).

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use strata_engine::index::{IndexStore, StackIndex};
use strata_engine::lock::{LockBackend, LockInfo};
use strata_engine::{ErrorClass, ProviderError};

use strata_aws::error::{err, from_sdk};
use strata_aws::Aws;

/// Stack locks in an S3 bucket.
#[derive(Clone)]
pub struct S3Locks {
    aws: Aws,
    region: String,
    bucket: String,
    /// The account that must own the bucket (`ExpectedBucketOwner` on every
    /// call): the caller's own for the derived name, so that a bucket of that
    /// name made first by another account is refused, never written to.
    /// `None` for a bucket named by `STRATA_LOCK_BUCKET` (it may be shared).
    owner: Option<String>,
}

impl std::fmt::Debug for S3Locks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S3Locks(s3://{}/locks/)", self.bucket)
    }
}

fn key(stack: &str) -> String {
    format!("locks/{stack}.json")
}

/// Writes of the lock that meet a lock released before it could be read.
const ACQUIRE_ATTEMPTS: usize = 5;

fn index_key(stack: &str) -> String {
    format!("index/{stack}.json")
}

impl S3Locks {
    /// The lock store of the account and region, its bucket created if missing.
    pub async fn open(aws: &Aws, region: &str) -> Result<S3Locks, ProviderError> {
        let locks = Self::open_existing(aws, region).await?;
        locks.ensure_bucket().await?;
        Ok(locks)
    }

    /// The lock store of the account and region, without creating anything
    /// (a plan reads the discovery index through it; a missing bucket reads
    /// as no index).
    pub async fn open_existing(aws: &Aws, region: &str) -> Result<S3Locks, ProviderError> {
        let (bucket, owner) = match std::env::var("STRATA_LOCK_BUCKET") {
            Ok(b) if !b.is_empty() => (b, None),
            _ => {
                let who = crate::sts_client(aws, region).get_caller_identity().send().await.map_err(err("GetCallerIdentity"))?;
                let account = who.account().ok_or_else(|| strata_aws::lacks("GetCallerIdentity", "account", "the caller"))?;
                (format!("strata-locks-{account}-{region}"), Some(account.to_string()))
            }
        };
        Ok(S3Locks { aws: aws.clone(), region: region.to_string(), bucket, owner })
    }

    /// Where the locks are.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn ensure_bucket(&self) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &self.region);
        match c.head_bucket().bucket(&self.bucket).set_expected_bucket_owner(self.owner.clone()).send().await {
            Ok(_) => return Ok(()),
            Err(e) => {
                let e = from_sdk("HeadBucket", e);
                if e.class != ErrorClass::NotFound && e.code.as_deref() != Some("NotFound") {
                    return Err(e);
                }
            }
        }
        let mut create = c.create_bucket().bucket(&self.bucket);
        if self.region != "us-east-1" {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        if let Err(e) = create.send().await {
            let e = from_sdk("CreateBucket", e);
            // Another run created it first; another account's bucket of this name is refused.
            if !matches!(e.code.as_deref(), Some("BucketAlreadyOwnedByYou")) {
                return Err(e);
            }
        }
        let block = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        c.put_public_access_block()
            .bucket(&self.bucket)
            .set_expected_bucket_owner(self.owner.clone())
            .public_access_block_configuration(block)
            .send()
            .await
            .map_err(err("PutPublicAccessBlock"))?;
        Ok(())
    }

    /// The JSON object at `key`, `None` when it (or the bucket) does not exist.
    async fn read_json<T: serde::de::DeserializeOwned>(&self, key: &str, what: &str) -> Result<Option<T>, ProviderError> {
        let c = crate::client(&self.aws, &self.region);
        let got = match c.get_object().bucket(&self.bucket).key(key).set_expected_bucket_owner(self.owner.clone()).send().await {
            Ok(o) => o,
            Err(e) => {
                let e = from_sdk("GetObject", e);
                let absent = e.class == ErrorClass::NotFound || matches!(e.code.as_deref(), Some("NoSuchKey" | "NoSuchBucket"));
                return if absent { Ok(None) } else { Err(e) };
            }
        };
        let body = got
            .body
            .collect()
            .await
            .map_err(|e| ProviderError::new(ErrorClass::Transient, "GetObject", e.to_string()))?
            .into_bytes();
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| ProviderError::new(ErrorClass::Fatal, "GetObject", format!("s3://{}/{key} is not {what}: {e}", self.bucket)))
    }

    async fn holder(&self, stack: &str) -> Result<Option<LockInfo>, ProviderError> {
        self.read_json(&key(stack), "a lock record").await
    }
}

#[async_trait]
impl LockBackend for S3Locks {
    async fn try_acquire(&self, stack: &str, info: &LockInfo) -> Result<Option<LockInfo>, ProviderError> {
        let body = serde_json::to_vec(info).map_err(|e| ProviderError::new(ErrorClass::Fatal, "PutObject", e.to_string()))?;
        // A lock released between our write and our read is tried again, a few times.
        for _ in 0..ACQUIRE_ATTEMPTS {
            let put = crate::client(&self.aws, &self.region)
                .put_object()
                .bucket(&self.bucket)
                .key(key(stack))
                .if_none_match("*")
                .set_expected_bucket_owner(self.owner.clone())
                .content_type("application/json")
                .body(ByteStream::from(body.clone()))
                .send()
                .await;
            let e = match put {
                Ok(_) => return Ok(None),
                Err(e) => from_sdk("PutObject", e),
            };
            // 412: the object exists (someone holds the lock); 409: a
            // concurrent conditional write is in progress.
            if !matches!(e.code.as_deref(), Some("PreconditionFailed" | "ConditionalRequestConflict")) {
                return Err(e);
            }
            if let Some(h) = self.holder(stack).await? {
                return Ok(Some(h));
            }
        }
        Err(ProviderError::new(
            ErrorClass::Transient,
            "PutObject",
            format!("the lock of stack `{stack}` changed hands {ACQUIRE_ATTEMPTS} times while strata tried to take it; try again"),
        ))
    }

    async fn release(&self, stack: &str, info: &LockInfo) -> Result<(), ProviderError> {
        if self.holder(stack).await?.is_some_and(|h| h.id == info.id) {
            self.force_unlock(stack).await?;
        }
        Ok(())
    }

    async fn force_unlock(&self, stack: &str) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &self.region)
            .delete_object()
            .bucket(&self.bucket)
            .key(key(stack))
            .set_expected_bucket_owner(self.owner.clone())
            .send()
            .await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteObject")))
    }
}

#[async_trait]
impl IndexStore for S3Locks {
    async fn read_index(&self, stack: &str) -> Result<Option<StackIndex>, ProviderError> {
        self.read_json(&index_key(stack), "a discovery index").await
    }

    async fn write_index(&self, stack: &str, index: &StackIndex) -> Result<(), ProviderError> {
        let body = serde_json::to_vec(index).map_err(|e| ProviderError::new(ErrorClass::Fatal, "PutObject", e.to_string()))?;
        crate::client(&self.aws, &self.region)
            .put_object()
            .bucket(&self.bucket)
            .key(index_key(stack))
            .set_expected_bucket_owner(self.owner.clone())
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(err("PutObject"))?;
        Ok(())
    }
}
