//! S3, SNS, CloudWatch and Route 53 on both emulators: apply, independent
//! verification, re-apply as a no-op, in-place changes, destroy leaving nothing.

use strata::aws::cloudwatch::{Compare, MetricAlarm};
use strata::aws::ec2::Vpc;
use strata::aws::route53::{HostedZone, Record, CLOUDFRONT_ZONE_ID};
use strata::aws::s3::{Bucket, Lifecycle};
use strata::aws::sns::Topic;
use strata::engine::{CallCounter, Engine};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const REGION: &str = "eu-central-1";

#[derive(Clone, Copy)]
struct Knobs {
    expire_days: i64,
    display_name: &'static str,
    threshold: f64,
    ttl: i64,
    www: &'static str,
}

const BASE: Knobs = Knobs { expire_days: 30, display_name: "Alerts", threshold: 80.0, ttl: 300, www: "203.0.113.10" };

fn ops_stack(name: &str, k: Knobs, api: bool) -> Stack {
    let mut s = Stack::new(name, REGION);
    let vpc = s.add("vpc", Vpc::new("10.30.0.0/16"));
    s.add(
        "media",
        Bucket::new().versioning(true).lifecycle(Lifecycle::new("old-versions").expire_noncurrent_after_days(k.expire_days)),
    );
    let logs = s.add("waf-logs", Bucket::waf_logs().force_destroy(true).lifecycle(Lifecycle::new("expire").expire_after_days(90)));
    let topic = s.add("alerts", Topic::new().display_name(k.display_name).email_subscription("ops@example.com"));
    s.add(
        "cpu",
        MetricAlarm::new("Miamo/Test", "CPUUtilization", "Average", Compare::GreaterThan, k.threshold)
            .dimension("InstanceId", "i-0123456789abcdef0")
            .evaluation_periods(3)
            .alarm_action(topic.arn()),
    );
    let public = s.add("public", HostedZone::public(&format!("{name}.example.com")));
    let internal = s.add("internal", HostedZone::private(&format!("{name}.internal"), vpc.id()));
    s.add("www", Record::a(public.zone_id(), format!("www.{name}.example.com"), [k.www]).ttl(k.ttl));
    s.add("cdn", Record::alias(public.zone_id(), format!("cdn.{name}.example.com"), "d111111abcdef8.cloudfront.net", CLOUDFRONT_ZONE_ID));
    s.add("verify", Record::txt(public.zone_id(), format!("{name}.example.com"), "v=spf1 -all"));
    s.add("db", Record::cname(internal.zone_id(), format!("db.{name}.internal"), "db.example.rds.amazonaws.com"));
    if api {
        s.add("api", Record::a(public.zone_id(), format!("api.{name}.example.com"), ["203.0.113.30"]));
    }
    s.export("logs_bucket", logs.bucket_name());
    s.export("name_servers", public.name_servers());
    s
}

fn s3_client(conf: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(conf).force_path_style(true).build())
}

async fn lifecycle(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("ops");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let s3 = s3_client(&conf);
    let sns = aws_sdk_sns::Client::new(&conf);
    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    let r53 = aws_sdk_route53::Client::new(&conf);

    let stack = ops_stack(&name, BASE, false);
    let report = engine.apply(&stack, engine.plan(&stack).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id = |r: &strata::Report, n: &str| r.outcome(n).unwrap().physical_id.clone().unwrap();

    // S3.
    let media = id(&report, "media");
    let logs = id(&report, "waf-logs");
    assert!(logs.starts_with("aws-waf-logs-"), "{logs}");
    // moto's answer has a root element the SDK refuses; read the raw body then.
    let status = match s3.get_bucket_versioning().bucket(&media).send().await {
        Ok(v) => v.status().map(|s| s.as_str().to_string()),
        Err(aws_sdk_s3::error::SdkError::ServiceError(e)) => {
            let body = String::from_utf8_lossy(e.raw().body().bytes().unwrap()).to_string();
            body.contains("<Status>Enabled</Status>").then(|| "Enabled".to_string())
        }
        Err(e) => panic!("{e:?}"),
    };
    assert_eq!(status.as_deref(), Some("Enabled"));
    let enc = s3.get_bucket_encryption().bucket(&media).send().await.unwrap();
    let algo = enc.server_side_encryption_configuration().unwrap().rules()[0].apply_server_side_encryption_by_default().unwrap().sse_algorithm().clone();
    assert_eq!(algo, aws_sdk_s3::types::ServerSideEncryption::Aes256);
    let pab = s3.get_public_access_block().bucket(&media).send().await.unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (pab.block_public_acls(), pab.ignore_public_acls(), pab.block_public_policy(), pab.restrict_public_buckets()),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let lc = s3.get_bucket_lifecycle_configuration().bucket(&media).send().await.unwrap();
    assert_eq!(lc.rules()[0].noncurrent_version_expiration().and_then(|e| e.noncurrent_days()), Some(30));
    let tags = s3.get_bucket_tagging().bucket(&media).send().await.unwrap();
    assert!(tags.tag_set().iter().any(|t| t.key() == "strata:stack" && t.value() == name));
    // An object in the log bucket: destroy must empty it (force_destroy).
    s3.put_object().bucket(&logs).key("AWSLogs/1.log").body(b"x".to_vec().into()).send().await.unwrap();

    // SNS.
    let topic = id(&report, "alerts");
    let attrs = sns.get_topic_attributes().topic_arn(&topic).send().await.unwrap();
    let attrs = attrs.attributes().unwrap();
    assert_eq!(attrs.get("DisplayName").map(String::as_str), Some("Alerts"));
    assert_eq!(attrs.get("KmsMasterKeyId").map(String::as_str), Some("alias/aws/sns"), "encrypted at rest");
    let subs = sns.list_subscriptions_by_topic().topic_arn(&topic).send().await.unwrap();
    assert_eq!(subs.subscriptions().iter().filter_map(|s| s.endpoint()).collect::<Vec<_>>(), vec!["ops@example.com"]);

    // CloudWatch.
    let alarm = id(&report, "cpu");
    let a = cw.describe_alarms().alarm_names(&alarm).send().await.unwrap().metric_alarms()[0].clone();
    assert_eq!((a.threshold(), a.evaluation_periods(), a.metric_name()), (Some(80.0), Some(3), Some("CPUUtilization")));
    assert_eq!(a.alarm_actions(), std::slice::from_ref(&topic));

    // Route 53.
    let public = id(&report, "public");
    let zone = r53.get_hosted_zone().id(&public).send().await.unwrap();
    assert_eq!(zone.hosted_zone().unwrap().name(), format!("{name}.example.com."));
    let internal = id(&report, "internal");
    let izone = r53.get_hosted_zone().id(&internal).send().await.unwrap();
    assert!(izone.hosted_zone().unwrap().config().unwrap().private_zone());
    assert_eq!(izone.vpcs().len(), 1);
    let sets = r53.list_resource_record_sets().hosted_zone_id(&public).send().await.unwrap();
    let find = |n: &str, t: &str| {
        sets.resource_record_sets().iter().find(|s| s.name().trim_end_matches('.') == n && s.r#type().as_str() == t).cloned()
    };
    let www = find(&format!("www.{name}.example.com"), "A").expect("www A record");
    assert_eq!((www.ttl(), www.resource_records()[0].value()), (Some(300), "203.0.113.10"));
    let cdn = find(&format!("cdn.{name}.example.com"), "A").expect("alias record");
    assert_eq!(cdn.alias_target().unwrap().hosted_zone_id(), CLOUDFRONT_ZONE_ID);
    assert!(find(&format!("{name}.example.com"), "TXT").is_some());
    let owner = find(&format!("_strata-a.www.{name}.example.com"), "TXT").expect("owner record");
    assert!(owner.resource_records()[0].value().contains(&format!("{name}/www")));

    // Re-apply: nothing to do, no mutating call.
    let before = counter.snapshot();
    let plan = engine.plan(&stack).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&stack, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0);

    // In place: lifecycle days, topic display name, alarm threshold, record TTL and value.
    let knobs = Knobs { expire_days: 60, display_name: "Miamo alerts", threshold: 90.5, ttl: 60, www: "203.0.113.20" };
    let changed = ops_stack(&name, knobs, false);
    let plan = engine.plan(&changed).await.unwrap();
    for n in ["media", "alerts", "cpu", "www"] {
        assert_eq!(plan.step(n).unwrap().action, strata::Action::Update, "{n}: {}", plan.render_text());
    }
    let report = engine.apply(&changed, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let lc = s3.get_bucket_lifecycle_configuration().bucket(&media).send().await.unwrap();
    assert_eq!(lc.rules()[0].noncurrent_version_expiration().and_then(|e| e.noncurrent_days()), Some(60));
    let attrs = sns.get_topic_attributes().topic_arn(&topic).send().await.unwrap();
    assert_eq!(attrs.attributes().unwrap().get("DisplayName").map(String::as_str), Some("Miamo alerts"));
    let a = cw.describe_alarms().alarm_names(&alarm).send().await.unwrap().metric_alarms()[0].clone();
    assert_eq!(a.threshold(), Some(90.5));
    let sets = r53.list_resource_record_sets().hosted_zone_id(&public).send().await.unwrap();
    let www = sets.resource_record_sets().iter().find(|s| s.name().starts_with("www.") && s.r#type().as_str() == "A").unwrap();
    assert_eq!((www.ttl(), www.resource_records()[0].value()), (Some(60), "203.0.113.20"));
    assert!(!engine.plan(&changed).await.unwrap().has_changes());

    // A record made outside strata is never overwritten.
    let foreign = format!("api.{name}.example.com");
    r53.change_resource_record_sets()
        .hosted_zone_id(&public)
        .change_batch(
            aws_sdk_route53::types::ChangeBatch::builder()
                .changes(
                    aws_sdk_route53::types::Change::builder()
                        .action(aws_sdk_route53::types::ChangeAction::Create)
                        .resource_record_set(
                            aws_sdk_route53::types::ResourceRecordSet::builder()
                                .name(&foreign)
                                .r#type(aws_sdk_route53::types::RrType::A)
                                .ttl(60)
                                .resource_records(aws_sdk_route53::types::ResourceRecord::builder().value("198.51.100.1").build().unwrap())
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let clash = ops_stack(&name, knobs, true);
    let report = engine.apply(&clash, engine.plan(&clash).await.unwrap()).await;
    assert!(!report.is_success());
    let text = strata::cli::render_report(&report);
    assert!(text.contains("not managed by this stack"), "{text}");
    let sets = r53.list_resource_record_sets().hosted_zone_id(&public).send().await.unwrap();
    let api = sets.resource_record_sets().iter().find(|s| s.name().starts_with("api.")).unwrap();
    assert_eq!(api.resource_records()[0].value(), "198.51.100.1", "the foreign record is untouched");
    // Remove it so the zone can be deleted.
    r53.change_resource_record_sets()
        .hosted_zone_id(&public)
        .change_batch(
            aws_sdk_route53::types::ChangeBatch::builder()
                .changes(
                    aws_sdk_route53::types::Change::builder()
                        .action(aws_sdk_route53::types::ChangeAction::Delete)
                        .resource_record_set(api.clone())
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    // Destroy: nothing of the stack is left.
    let report = engine.apply(&changed, engine.plan_destroy(&changed).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().iter().all(|b| b.name() != Some(&media) && b.name() != Some(&logs)), "buckets deleted");
    let topics = sns.list_topics().send().await.unwrap();
    assert!(topics.topics().iter().all(|t| t.topic_arn() != Some(&topic)));
    assert!(cw.describe_alarms().alarm_names(&alarm).send().await.unwrap().metric_alarms().is_empty());
    let zones = r53.list_hosted_zones().send().await.unwrap();
    assert!(zones.hosted_zones().iter().all(|z| !z.name().contains(&name)), "zones deleted");
    let ec2 = strata_aws_testkit::ec2_client(&url, REGION).await;
    assert_eq!(strata_aws_testkit::ec2_leftovers(&ec2, &name).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn operations_lifecycle_on_localstack() {
    lifecycle(Emulator::LocalStack).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn operations_lifecycle_on_moto() {
    lifecycle(Emulator::Moto).await;
}

/// Bad input for these services: specific errors, no API call.
#[tokio::test]
async fn operations_validation() {
    let aws = strata_aws_testkit::aws("http://127.0.0.1:9", REGION).await;
    let counter = aws.counter();
    let engine = Engine::new(strata::aws::registry(&aws));
    let mut s = Stack::new("v", REGION);
    s.add("bad-bucket", Bucket::new().name("Bad_Bucket"));
    s.add("waf-bucket", Bucket::waf_logs().name("my-waf-logs"));
    s.add("empty-rule", Bucket::new().lifecycle(Lifecycle::new("nothing")));
    s.add("topic", Topic::new().email_subscription("not-an-address"));
    s.add("alarm", MetricAlarm::new("X", "Y", "Median", Compare::LessThan, 1.0).period_seconds(45).evaluation_periods(2).datapoints_to_alarm(3));
    let zone = s.add("zone", HostedZone::public("localhost"));
    s.add("rec", Record::a(zone.zone_id(), "www.example.com", ["not-an-ip"]));
    s.add("cname", Record::new(zone.zone_id(), "x.example.com", "CNAME", ["a.example.com", "b.example.com"]));
    s.add("rtype", Record::new(zone.zone_id(), "y.example.com", "SPF", ["x"]));
    let err = engine.plan(&s).await.unwrap_err().to_string();
    for expected in [
        "bad-bucket: field `name`",
        "waf-bucket: field `name`: \"my-waf-logs\": a WAF log bucket's name must start with aws-waf-logs-",
        "empty-rule: field `lifecycle`: rule \"nothing\" neither expires nor moves anything",
        "topic: field `email_subscriptions`: \"not-an-address\" is not an e-mail address",
        "alarm: field `statistic`",
        "alarm: field `period`: 45 s must be 10, 30 or a multiple of 60",
        "alarm: field `datapoints_to_alarm`: 3 must be 1-2",
        "zone: field `name`: \"localhost\" is not a DNS name",
        "rec: field `values`: \"not-an-ip\" is not an IPv4 address",
        "cname: field `values`: a CNAME record has exactly one value",
        "rtype: field `type`",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert_eq!(counter.snapshot().total_calls(), 0);
}
