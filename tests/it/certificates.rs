//! ACM certificates in another region than the stack's (us-east-1, as
//! CloudFront needs), on both emulators.

use strata::aws::acm::Certificate;
use strata::engine::{CallCounter, Status};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

fn cert_stack(name: &str, domains: &[&str], team: &str) -> Stack {
    let mut s = Stack::new(name, "eu-central-1");
    let cert = s.add_with(
        "cdn-cert",
        Certificate::dns(domains.iter().copied()).tag("team", team),
        ResourceOptions::new().region("us-east-1"),
    );
    s.export("validation_name", cert.validation_record_name());
    s.export("validation_value", cert.validation_record_value());
    s
}

async fn certificate_lifecycle(emulator: Emulator) {
    let url = emulator.url();
    let name = unique_stack("cert");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let acm = aws_sdk_acm::Client::new(&strata_aws_testkit::sdk_config(&url, "us-east-1").await);
    let domain = format!("www.{name}.example.com");
    let apex = format!("{name}.example.com");

    let base = cert_stack(&name, &[&domain, &apex], "web");
    let plan = engine.plan(&base).await.unwrap();
    let report = engine.apply(&base, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let arn = report.outcome("cdn-cert").unwrap().physical_id.clone().unwrap();
    assert!(arn.starts_with("arn:aws:acm:us-east-1:"), "{arn}");
    let d = acm.describe_certificate().certificate_arn(&arn).send().await.unwrap();
    let c = d.certificate().unwrap();
    assert_eq!(c.domain_name(), Some(domain.as_str()));
    assert!(c.subject_alternative_names().contains(&apex));
    let tags = acm.list_tags_for_certificate().certificate_arn(&arn).send().await.unwrap();
    assert!(tags.tags().iter().any(|t| t.key() == "strata:stack" && t.value() == Some(name.as_str())));
    let vname = report.exports["validation_name"].as_str().unwrap_or_default().to_string();
    assert!(vname.contains(&name), "a validation record for the domain: {vname:?}");

    let before = counter.snapshot();
    let plan = engine.plan(&base).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&base, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0);

    let retagged = cert_stack(&name, &[&domain, &apex], "edge");
    let report = {
        let plan = engine.plan(&retagged).await.unwrap();
        assert_eq!(plan.step("cdn-cert").unwrap().action, strata::Action::Update);
        engine.apply(&retagged, plan).await
    };
    assert_eq!(report.count(Status::Updated), 1);
    let tags = acm.list_tags_for_certificate().certificate_arn(&arn).send().await.unwrap();
    assert!(tags.tags().iter().any(|t| t.key() == "team" && t.value() == Some("edge")));

    let extra = format!("shop.{name}.example.com");
    let wider = cert_stack(&name, &[&domain, &apex, &extra], "edge");
    let plan = engine.plan(&wider).await.unwrap();
    assert_eq!(plan.step("cdn-cert").unwrap().action, strata::Action::Replace);
    let report = engine.apply(&wider, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let new_arn = report.outcome("cdn-cert").unwrap().physical_id.clone().unwrap();
    assert_ne!(new_arn, arn);
    assert!(acm.describe_certificate().certificate_arn(&arn).send().await.is_err(), "the old certificate is deleted");

    let plan = engine.plan_destroy(&wider).await.unwrap();
    assert!(engine.apply(&wider, plan).await.is_success());
    assert!(acm.describe_certificate().certificate_arn(&new_arn).send().await.is_err());
}

mod localstack {
    #[tokio::test(flavor = "multi_thread")]
    async fn certificate_lifecycle() {
        super::certificate_lifecycle(strata_aws_testkit::Emulator::LocalStack).await
    }
}

mod moto {
    #[tokio::test(flavor = "multi_thread")]
    async fn certificate_lifecycle() {
        super::certificate_lifecycle(strata_aws_testkit::Emulator::Moto).await
    }
}
