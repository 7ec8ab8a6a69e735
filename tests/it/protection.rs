//! WAFv2 and AWS Backup on moto (LocalStack community has neither): apply,
//! independent verification, re-apply as a no-op, in-place changes through
//! lock tokens, destroy leaving nothing. Regional associations and backup
//! selections, which moto does not implement, are tested with smithy mocks in
//! the AWS crate.

use strata::aws::backup::{BackupRule, Plan, Vault};
use strata::aws::kms::Key;
use strata::aws::s3::Bucket;
use strata::aws::wafv2::{IpSet, WafRule, WafScope, WebAcl};
use strata::engine::{CallCounter, Engine};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const REGION: &str = "eu-central-1";

fn waf_stack(name: &str, blocked: &[&str], rate: i64) -> Stack {
    let mut s = Stack::new(name, REGION);
    let logs = s.add("waf-logs", Bucket::waf_logs().force_destroy(true));
    let ips = s.add("blocked", IpSet::new(WafScope::Regional, blocked.iter().copied()));
    s.add(
        "shop-acl",
        WebAcl::new(WafScope::Regional)
            .rule(WafRule::block_ip_set("blocked-ips", ips.arn()))
            .rule(WafRule::common())
            .rule(WafRule::sql_injection())
            .rule(WafRule::known_bad_inputs())
            .rule(WafRule::rate_limit("per-ip", rate))
            .log_to(logs.arn()),
    );
    let us = || ResourceOptions::new().region("us-east-1");
    s.add_with("edge-acl", WebAcl::new(WafScope::CloudFront).rule(WafRule::common()), us());
    s
}

fn engine_for(aws: &strata::aws::Aws) -> Engine {
    crate::support::fast_engine(aws)
}

#[tokio::test(flavor = "multi_thread")]
async fn waf_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("waf");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = engine_for(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let waf = aws_sdk_wafv2::Client::new(&conf);
    let waf_us = aws_sdk_wafv2::Client::from_conf(aws_sdk_wafv2::config::Builder::from(&conf).region(aws_config::Region::new("us-east-1")).build());

    let stack = waf_stack(&name, &["192.0.2.0/24"], 2000);
    let report = engine.apply(&stack, engine.plan(&stack).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let arn = |n: &str| report.outcome(n).unwrap().physical_id.clone().unwrap();
    let parts = |a: &str| {
        let mut p = a.rsplit('/');
        let id = p.next().unwrap().to_string();
        (p.next().unwrap().to_string(), id)
    };

    let (set_name, set_id) = parts(&arn("blocked"));
    let set = waf.get_ip_set().name(&set_name).id(&set_id).scope(aws_sdk_wafv2::types::Scope::Regional).send().await.unwrap();
    assert_eq!(set.ip_set().unwrap().addresses(), ["192.0.2.0/24"]);
    let (acl_name, acl_id) = parts(&arn("shop-acl"));
    let acl = waf.get_web_acl().name(&acl_name).id(&acl_id).scope(aws_sdk_wafv2::types::Scope::Regional).send().await.unwrap();
    let rules = acl.web_acl().unwrap().rules();
    assert_eq!(rules.len(), 5);
    let managed: Vec<&str> = rules.iter().filter_map(|r| r.statement()?.managed_rule_group_statement().map(|m| m.name())).collect();
    assert_eq!(managed, ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]);
    let rate = rules.iter().find_map(|r| r.statement()?.rate_based_statement().map(|r| r.limit())).unwrap();
    assert_eq!(rate, 2000);
    let log = waf.get_logging_configuration().resource_arn(arn("shop-acl")).send().await.unwrap();
    let dest = log.logging_configuration().unwrap().log_destination_configs()[0].clone();
    assert!(dest.starts_with("arn:aws:s3:::aws-waf-logs-"), "{dest}");
    let edge = arn("edge-acl");
    assert!(edge.contains(":global/webacl/"), "CLOUDFRONT scope in us-east-1: {edge}");
    let (edge_name, edge_id) = parts(&edge);
    assert!(waf_us.get_web_acl().name(&edge_name).id(&edge_id).scope(aws_sdk_wafv2::types::Scope::Cloudfront).send().await.is_ok());

    // Re-apply: no mutating call.
    let before = counter.snapshot();
    let plan = engine.plan(&stack).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&stack, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0);

    // In place through lock tokens: one more blocked range, a lower rate limit.
    let changed = waf_stack(&name, &["192.0.2.0/24", "198.51.100.0/24"], 1000);
    let plan = engine.plan(&changed).await.unwrap();
    for n in ["blocked", "shop-acl"] {
        assert_eq!(plan.step(n).unwrap().action, strata::Action::Update, "{n}: {}", plan.render_text());
    }
    let report = engine.apply(&changed, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let set = waf.get_ip_set().name(&set_name).id(&set_id).scope(aws_sdk_wafv2::types::Scope::Regional).send().await.unwrap();
    let mut addrs = set.ip_set().unwrap().addresses().to_vec();
    addrs.sort();
    assert_eq!(addrs, ["192.0.2.0/24", "198.51.100.0/24"]);
    let acl = waf.get_web_acl().name(&acl_name).id(&acl_id).scope(aws_sdk_wafv2::types::Scope::Regional).send().await.unwrap();
    let rate = acl.web_acl().unwrap().rules().iter().find_map(|r| r.statement()?.rate_based_statement().map(|r| r.limit())).unwrap();
    assert_eq!(rate, 1000);
    assert!(!engine.plan(&changed).await.unwrap().has_changes());

    // Destroy.
    let report = engine.apply(&changed, engine.plan_destroy(&changed).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let acls = waf.list_web_acls().scope(aws_sdk_wafv2::types::Scope::Regional).send().await.unwrap();
    assert!(acls.web_acls().iter().all(|a| a.name() != Some(acl_name.as_str())));
    let sets = waf.list_ip_sets().scope(aws_sdk_wafv2::types::Scope::Regional).send().await.unwrap();
    assert!(sets.ip_sets().iter().all(|s| s.name() != Some(set_name.as_str())));
    let acls = waf_us.list_web_acls().scope(aws_sdk_wafv2::types::Scope::Cloudfront).send().await.unwrap();
    assert!(acls.web_acls().iter().all(|a| a.name() != Some(edge_name.as_str())));
}

fn backup_stack(name: &str, env: &str) -> Stack {
    let mut s = Stack::new(name, REGION);
    let key = s.add("backup-key", Key::new("backups"));
    let vault = s.add("vault", Vault::new().kms_key(key.arn()).tag("env", env));
    let dr = s.add("dr-vault", Vault::new());
    s.add(
        "plan",
        Plan::miamo_policy(vault.vault_name()).rule(BackupRule::new("yearly", "cron(0 4 1 1 ? *)", 365).copy_to(dr.arn(), 365)).tag("env", env),
    );
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("backup");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = engine_for(&aws);
    let backup = aws_sdk_backup::Client::new(&strata_aws_testkit::sdk_config(&url, REGION).await);

    let stack = backup_stack(&name, "prod");
    let report = engine.apply(&stack, engine.plan(&stack).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id = |n: &str| report.outcome(n).unwrap().physical_id.clone().unwrap();
    let vault = backup.describe_backup_vault().backup_vault_name(id("vault")).send().await.unwrap();
    assert!(vault.encryption_key_arn().unwrap().contains(":key/"), "encrypted with the stack's key");
    let plan = backup.get_backup_plan().backup_plan_id(id("plan")).send().await.unwrap();
    let rules = plan.backup_plan().unwrap().rules();
    let got: Vec<(&str, Option<&str>, Option<i64>)> =
        rules.iter().map(|r| (r.rule_name(), r.schedule_expression(), r.lifecycle().and_then(|l| l.delete_after_days()))).collect();
    assert_eq!(
        got,
        [
            ("daily", Some("cron(0 3 * * ? *)"), Some(7)),
            ("weekly", Some("cron(0 3 ? * MON *)"), Some(28)),
            ("monthly", Some("cron(0 3 1 * ? *)"), Some(90)),
            ("yearly", Some("cron(0 4 1 1 ? *)"), Some(365)),
        ]
    );
    assert!(rules[3].copy_actions()[0].destination_backup_vault_arn().contains(&id("dr-vault")));

    let before = counter.snapshot();
    let plan = engine.plan(&stack).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&stack, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0);

    // In place: tags (moto has no UpdateBackupPlan; rule changes are covered
    // by the plan's unit of work, not by this emulator).
    let retagged = backup_stack(&name, "production");
    let plan = engine.plan(&retagged).await.unwrap();
    assert_eq!(plan.step("vault").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&retagged, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    // The SDK sends ListTags without the model's trailing slash, which moto
    // needs; ask moto directly.
    let arn = vault.backup_vault_arn().unwrap();
    let body = crate::support::http_get(&url, "backup", &format!("/tags/{arn}/"));
    let tags: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(tags["Tags"]["env"], "production", "{body}");
    assert!(!engine.plan(&retagged).await.unwrap().has_changes());

    let report = engine.apply(&retagged, engine.plan_destroy(&retagged).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    // AWS keeps a deleted plan readable with its deletion date; the list leaves it out.
    let plans = backup.list_backup_plans().send().await.unwrap();
    assert!(plans.backup_plans_list().iter().all(|p| p.backup_plan_id() != Some(id("plan").as_str())), "plan deleted");
    let vaults = backup.list_backup_vaults().send().await.unwrap();
    assert!(vaults.backup_vault_list().iter().all(|v| !v.backup_vault_name().unwrap_or_default().starts_with(&name)));
}

/// Bad WAF and Backup input: specific errors, no API call.
#[tokio::test]
async fn waf_and_backup_validation() {
    let aws = strata_aws_testkit::aws("http://127.0.0.1:9", REGION).await;
    let counter = aws.counter();
    let engine = Engine::new(strata::aws::registry(&aws));
    let mut s = Stack::new("v", REGION);
    let plain = s.add("plain-bucket", Bucket::new());
    s.add("edge-here", WebAcl::new(WafScope::CloudFront));
    s.add_with(
        "edge-assoc",
        WebAcl::new(WafScope::CloudFront).associate("arn:aws:elasticloadbalancing:eu-central-1:1:loadbalancer/app/a/b"),
        ResourceOptions::new().region("us-east-1"),
    );
    s.add("logs", WebAcl::new(WafScope::Regional).log_to(plain.arn()).rule(WafRule::rate_limit("r", 5)));
    s.add("ips", IpSet::new(WafScope::Regional, ["10.0.0.0/33"]));
    let vault = s.add("vault", Vault::new());
    s.add("plan", Plan::new(vault.vault_name()).rule(BackupRule::new("bad", "every day at 3", 7)));
    s.add("cold", Plan::new(vault.vault_name()).rule(BackupRule::new("cold", "cron(0 3 * * ? *)", 30).cold_storage_after_days(10)));
    let regional = s.add("regional-acl", WebAcl::new(WafScope::Regional));
    s.add(
        "cdn",
        strata::aws::cloudfront::Distribution::new("alb", "x.example.com")
            .alias("shop.example.com")
            .web_acl(regional.arn())
            .cached_path("/media/*", "nowhere"),
    );
    let err = engine.plan(&s).await.unwrap_err().to_string();
    for expected in [
        "edge-here: field `scope`: CLOUDFRONT scope lives in us-east-1",
        "edge-assoc: field `associations`: a CLOUDFRONT web ACL cannot be associated",
        "logs: field `log_bucket_arn`: WAF logs go to a bucket named aws-waf-logs-*",
        "logs: field `rules`: rule \"r\": rate limit 5 is outside",
        "ips: field `addresses`: \"10.0.0.0/33\" is not an IPv4 CIDR",
        "plan: field `rules`: rule \"bad\": \"every day at 3\" is not an AWS cron expression",
        "cold: field `rules`: rule \"cold\": recovery points stay in cold storage at least 90 days",
        "cdn: field `certificate_arn`: aliases need an ACM certificate",
        "cdn: field `web_acl_arn`: regional-acl is a REGIONAL web ACL",
        "cdn: field `cached_paths`: /media/*: no origin named \"nowhere\"",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert_eq!(counter.snapshot().total_calls(), 0);
}

fn cdn_stack(name: &str, comment: &str) -> Stack {
    use strata::aws::cloudfront::Distribution;
    use strata::aws::secretsmanager::Secret;
    let mut s = Stack::new(name, REGION);
    let us = || ResourceOptions::new().region("us-east-1");
    let header = s.add("origin-header", Secret::generated(32).recovery_window_days(0));
    let media = s.add("media", Bucket::new());
    let acl = s.add_with("edge-acl", WebAcl::new(WafScope::CloudFront).rule(WafRule::common()).rule(WafRule::rate_limit("per-ip", 2000)), us());
    let cdn = s.add(
        "cdn",
        Distribution::new("alb", "shop-alb-123.eu-central-1.elb.amazonaws.com")
            .origin_header("alb", "X-Origin-Verify", header.value())
            .s3_origin("media", media.regional_domain_name())
            .cached_path("/media/*", "media")
            .cached_path("/static/*", "alb")
            .cached_path("/pub/*", "alb")
            .web_acl(acl.arn())
            .comment(comment),
    );
    s.export("cdn_domain", cdn.domain_name());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudfront_lifecycle_on_moto() {
    use strata::aws::cloudfront::{ALL_VIEWER, CACHING_DISABLED, CACHING_OPTIMIZED};
    let url = Emulator::Moto.url();
    let name = unique_stack("cdn");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = engine_for(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let cf = aws_sdk_cloudfront::Client::new(&conf);
    let sm = aws_sdk_secretsmanager::Client::new(&conf);

    let stack = cdn_stack(&name, "Miamo shop");
    let plan = engine.plan(&stack).await.unwrap();
    let plan_text = plan.render_text();
    let report = engine.apply(&stack, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id = report.outcome("cdn").unwrap().physical_id.clone().unwrap();
    let acl_arn = report.outcome("edge-acl").unwrap().physical_id.clone().unwrap();
    let secret = sm.get_secret_value().secret_id(format!("{name}/origin-header")).send().await.unwrap().secret_string().unwrap().to_string();

    let cfg = cf.get_distribution_config().id(&id).send().await.unwrap();
    let cfg = cfg.distribution_config().unwrap();
    let origins = cfg.origins().unwrap().items();
    let alb = origins.iter().find(|o| o.id() == "alb").unwrap();
    assert_eq!(alb.custom_origin_config().unwrap().origin_protocol_policy(), &aws_sdk_cloudfront::types::OriginProtocolPolicy::HttpsOnly);
    let header = &alb.custom_headers().unwrap().items()[0];
    assert_eq!((header.header_name(), header.header_value()), ("X-Origin-Verify", secret.as_str()));
    assert!(origins.iter().any(|o| o.id() == "media" && o.domain_name().contains(".s3.")));
    // moto keeps neither the S3 origin settings nor the access-control id on the
    // origin; the access control itself exists under its derived name.
    let oacs = cf.list_origin_access_controls().send().await.unwrap();
    let oac = oacs.origin_access_control_list().unwrap().items().iter().find(|o| o.name() == format!("{name}-cdn-oac-media")).expect("origin access control").id().to_string();
    let default = cfg.default_cache_behavior().unwrap();
    assert_eq!((default.cache_policy_id(), default.origin_request_policy_id()), (Some(CACHING_DISABLED), Some(ALL_VIEWER)));
    let mut cached: Vec<(&str, Option<&str>)> =
        cfg.cache_behaviors().unwrap().items().iter().map(|b| (b.path_pattern(), b.cache_policy_id())).collect();
    cached.sort();
    assert_eq!(cached, [("/media/*", Some(CACHING_OPTIMIZED)), ("/pub/*", Some(CACHING_OPTIMIZED)), ("/static/*", Some(CACHING_OPTIMIZED))]);
    assert_eq!(cfg.web_acl_id(), Some(acl_arn.as_str()));
    // (moto answers http2 and PriceClass_All whatever was sent: not checked here.)
    for (what, text) in [("plan", plan_text), ("report", strata::cli::render_report(&report)), ("json", report.to_json().to_string())] {
        assert!(!text.contains(&secret), "the origin header leaked into the {what}");
    }

    let before = counter.snapshot();
    let plan = engine.plan(&stack).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(!plan.render_text().contains(&secret));
    assert!(engine.apply(&stack, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0);

    let changed = cdn_stack(&name, "Miamo shop (prod)");
    let plan = engine.plan(&changed).await.unwrap();
    assert_eq!(plan.step("cdn").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&changed, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let cfg = cf.get_distribution_config().id(&id).send().await.unwrap();
    assert_eq!(cfg.distribution_config().unwrap().comment(), "Miamo shop (prod)");
    assert!(!engine.plan(&changed).await.unwrap().has_changes());

    // Destroy: disable, wait until Deployed, delete with the ETag; proven by the calls made.
    let start = aws.counter().sequence().len();
    let report = engine.apply(&changed, engine.plan_destroy(&changed).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let calls: Vec<String> =
        aws.counter().sequence()[start..].iter().filter(|(s, _)| s.eq_ignore_ascii_case("cloudfront")).map(|(_, op)| op.clone()).collect();
    let pos = |op: &str| calls.iter().position(|c| c == op).unwrap_or_else(|| panic!("no {op} in {calls:?}"));
    let disable = pos("UpdateDistribution");
    let delete = pos("DeleteDistribution");
    assert!(disable < delete, "{calls:?}");
    assert!(calls[disable..delete].iter().filter(|c| *c == "GetDistribution").count() >= 2, "waited for Deployed, then read the ETag: {calls:?}");
    assert!(cf.get_distribution().id(&id).send().await.is_err(), "deleted");
    assert!(cf.get_origin_access_control().id(&oac).send().await.is_err(), "origin access control deleted");
}
