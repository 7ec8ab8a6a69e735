//! The S3 lock store on moto: every request on the derived lock bucket names
//! the account that must own it (`ExpectedBucketOwner`), so a bucket of that
//! name made first by another account is refused by S3, never written to.
//! (moto accepts the header without checking it: this test checks that it is
//! sent, on the wire.)

use strata::aws::s3::S3Locks;
use strata::aws::{Aws, AwsSettings};
use strata::engine::index::{IndexStore, StackIndex};
use strata::engine::lock::{LockBackend, LockInfo};
use strata_aws_testkit::unique_stack;

use crate::support::PrivateMoto;

#[tokio::test(flavor = "multi_thread")]
async fn every_lock_store_request_names_the_expected_bucket_owner_on_moto() {
    let moto = PrivateMoto::start();
    let settings = AwsSettings {
        region: Some("eu-central-1".into()),
        endpoint_url: Some(moto.url.clone()),
        static_credentials: Some(("test".into(), "test".into())),
        record_exchanges: true,
        ..AwsSettings::default()
    };
    let aws = Aws::connect(settings).await.unwrap();
    let name = unique_stack("owner");
    let locks = S3Locks::open(&aws, "eu-central-1").await.unwrap();
    let info = LockInfo::new("apply", &strata::host::LocalHost);
    assert!(locks.try_acquire(&name, &info).await.unwrap().is_none(), "the lock is free");
    let other = LockInfo::new("apply", &strata::host::LocalHost);
    assert_eq!(locks.try_acquire(&name, &other).await.unwrap().map(|h| h.id), Some(info.id.clone()), "held by the first");
    locks.write_index(&name, &StackIndex::new()).await.unwrap();
    assert_eq!(locks.read_index(&name).await.unwrap(), Some(StackIndex::new()));
    locks.release(&name, &info).await.unwrap();

    let s3: Vec<_> = aws.exchanges().into_iter().filter(|x| x.service == "s3").collect();
    // CreateBucket (`PUT /<bucket>`, no query) has no such header; everything else on the bucket must carry it.
    let bucket = format!("/{}", locks.bucket());
    let is_create = |x: &strata::aws::record::Exchange| x.method == "PUT" && x.uri.split('?').next().is_some_and(|p| p.trim_end_matches('/').ends_with(&bucket)) && !x.uri.contains('?');
    assert_eq!(s3.iter().filter(|x| is_create(x)).count(), 1, "{:#?}", s3.iter().map(|x| (&x.method, &x.uri)).collect::<Vec<_>>());
    assert!(s3.len() >= 8, "head, create, block, put, put (held), get, put index, get index, get, delete: {}", s3.len());
    for x in s3.iter().filter(|x| !is_create(x)) {
        let owner = x.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("x-amz-expected-bucket-owner")).map(|(_, v)| v.as_str());
        assert_eq!(owner, Some("123456789012"), "{} {} without the expected owner", x.method, x.uri);
    }
}
