//! ECR repositories on moto (LocalStack's community edition has no ECR):
//! created with tag immutability, scanning, typed lifecycle rules, a
//! cross-account pull policy and tags; read back through the SDK; re-planned
//! empty (ECR's form of the policies is not a diff); changed in place; drift
//! in the lifecycle policy shown and repaired; a new name replaces; a
//! repository holding an image is deleted only with `force_destroy`.

use aws_sdk_ecr::types::ImageTagMutability;
use strata::aws::ecr::{LifecycleRule, Repository};
use strata::engine::CallCounter;
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const PULLER: &str = "111122223333";

#[derive(Clone)]
struct Want {
    name: String,
    immutable: bool,
    scan: bool,
    rules: Vec<LifecycleRule>,
    shared: bool,
    force: bool,
}

fn stack(stack: &str, w: &Want) -> Stack {
    let mut s = Stack::new(stack, "eu-central-1");
    let mut r = Repository::named(&w.name)
        .image_tag_mutability(if w.immutable { "IMMUTABLE" } else { "MUTABLE" })
        .scan_on_push(w.scan)
        .force_destroy(w.force)
        .tag("team", "web");
    for rule in &w.rules {
        r = r.lifecycle_rule(rule.clone());
    }
    if w.shared {
        r = r.policy(Repository::pulls_from([PULLER]));
    }
    let r = s.add("images", r);
    s.add("cache", Repository::new());
    s.export("url", r.url());
    s.export("arn", r.arn());
    s
}

async fn describe(ecr: &aws_sdk_ecr::Client, name: &str) -> Option<aws_sdk_ecr::types::Repository> {
    ecr.describe_repositories().repository_names(name).send().await.ok()?.repositories().first().cloned()
}

async fn lifecycle(ecr: &aws_sdk_ecr::Client, name: &str) -> Option<String> {
    ecr.get_lifecycle_policy().repository_name(name).send().await.ok()?.lifecycle_policy_text().map(str::to_string)
}

async fn policy(ecr: &aws_sdk_ecr::Client, name: &str) -> Option<String> {
    ecr.get_repository_policy().repository_name(name).send().await.ok()?.policy_text().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread")]
async fn repository_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("ecr");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let ecr = aws_sdk_ecr::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let base = Want {
        name: format!("{name}/web"),
        immutable: true,
        scan: true,
        rules: vec![LifecycleRule::expire_untagged_after_days(14), LifecycleRule::keep_last(30)],
        shared: true,
        force: false,
    };

    let s = stack(&name, &base);
    let plan = engine.plan(&s).await.unwrap();
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let r = describe(&ecr, &base.name).await.expect("the repository exists");
    assert_eq!(r.image_tag_mutability(), Some(&ImageTagMutability::Immutable));
    assert_eq!(r.image_scanning_configuration().map(|c| c.scan_on_push()), Some(true));
    assert_eq!(report.exports["url"].as_str(), r.repository_uri());
    let text = lifecycle(&ecr, &base.name).await.expect("a lifecycle policy");
    assert!(text.contains("sinceImagePushed") && text.contains("imageCountMoreThan"), "{text}");
    let p = policy(&ecr, &base.name).await.expect("a repository policy");
    assert!(p.contains(PULLER) && p.contains("ecr:BatchGetImage"), "{p}");
    let arn = r.repository_arn().unwrap();
    let tags = ecr.list_tags_for_resource().resource_arn(arn).send().await.unwrap();
    let tag = |k: &str| tags.tags().iter().find(|t| t.key() == k).map(|t| t.value().to_string());
    assert_eq!(tag("strata:stack"), Some(name.clone()));
    assert_eq!(tag("team").as_deref(), Some("web"));
    assert!(describe(&ecr, &report.outcome("cache").unwrap().physical_id.clone().unwrap()).await.is_some());

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // In place: mutability, scanning, one rule less, no policy, force_destroy on.
    let changed = Want { immutable: false, scan: false, rules: vec![LifecycleRule::keep_last(10)], shared: false, force: true, ..base.clone() };
    let s2 = stack(&name, &changed);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("images").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let r = describe(&ecr, &base.name).await.unwrap();
    assert_eq!(r.image_tag_mutability(), Some(&ImageTagMutability::Mutable));
    assert_eq!(r.image_scanning_configuration().map(|c| c.scan_on_push()), Some(false));
    assert!(!lifecycle(&ecr, &base.name).await.unwrap().contains("sinceImagePushed"));
    assert!(policy(&ecr, &base.name).await.is_none(), "the policy is removed");
    assert!(!engine.plan(&s2).await.unwrap().has_changes());

    // Drift: someone replaces the lifecycle policy.
    let theirs = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#;
    ecr.put_lifecycle_policy().repository_name(&base.name).lifecycle_policy_text(theirs).send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("images").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert!(plan.render_text().contains("lifecycle_rules"), "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    assert!(lifecycle(&ecr, &base.name).await.unwrap().contains("\"countNumber\":10"));

    // A new name replaces the repository (it holds an image: force_destroy is on).
    let manifest = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#;
    ecr.put_image().repository_name(&base.name).image_manifest(manifest).image_tag("v1").send().await.unwrap();
    let renamed = Want { name: format!("{name}/web-v2"), ..changed.clone() };
    let s3 = stack(&name, &renamed);
    let plan = engine.plan(&s3).await.unwrap();
    assert_eq!(plan.step("images").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = engine.apply(&s3, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(describe(&ecr, &base.name).await.is_none(), "the old repository is deleted with its image");

    // Without force_destroy, a repository holding an image is not deleted.
    let kept = Want { force: false, ..renamed.clone() };
    let s4 = stack(&name, &kept);
    let plan = engine.plan(&s4).await.unwrap();
    assert!(engine.apply(&s4, plan).await.is_success());
    ecr.put_image().repository_name(&renamed.name).image_manifest(manifest).image_tag("v1").send().await.unwrap();
    let plan = engine.plan_destroy(&s4).await.unwrap();
    let report = engine.apply(&s4, plan).await;
    assert!(!report.is_success(), "a repository with images is kept: {}", strata::cli::render_report(&report));
    assert!(describe(&ecr, &renamed.name).await.is_some());

    let s5 = stack(&name, &Want { force: true, ..renamed.clone() });
    let plan = engine.plan(&s5).await.unwrap();
    assert!(engine.apply(&s5, plan).await.is_success());
    let plan = engine.plan_destroy(&s5).await.unwrap();
    let report = engine.apply(&s5, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(describe(&ecr, &renamed.name).await.is_none());
}
