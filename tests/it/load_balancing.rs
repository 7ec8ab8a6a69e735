//! The Miamo ALB pattern on moto (ELBv2 exists only there): an ALB that refuses
//! everything except requests carrying a secret header, the secret generated
//! once and kept in Secrets Manager, never printed.

use strata::aws::acm::Certificate;
use strata::aws::ec2::{Ami, Instance, Rule, SecurityGroup, Subnet, Vpc};
use strata::aws::elbv2::{Action, Condition, Listener, ListenerRule, LoadBalancer, TargetGroup};
use strata::aws::secretsmanager::Secret;
use strata::engine::{CallCounter, Engine, Status};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const REGION: &str = "eu-central-1";

struct Knobs {
    idle_timeout: i64,
    tg_port: u16,
}

fn alb_stack(name: &str, k: &Knobs) -> Stack {
    let mut s = Stack::new(name, REGION);
    let vpc = s.add("vpc", Vpc::new("10.40.0.0/16"));
    let b = s.add("public-b", Subnet::new(vpc.id(), "10.40.11.0/24", "eu-central-1b").public());
    let c = s.add("public-c", Subnet::new(vpc.id(), "10.40.12.0/24", "eu-central-1c").public());
    let alb_sg = s.add("alb-sg", SecurityGroup::new(vpc.id()).ingress(Rule::tcp(443).cidr("0.0.0.0/0")).ingress(Rule::tcp(80).cidr("0.0.0.0/0")));
    let web_sg = s.add("web-sg", SecurityGroup::new(vpc.id()).ingress(Rule::tcp(k.tg_port).group(alb_sg.id())));
    let ubuntu = s.lookup::<Ami>("ubuntu", Ami::newest("099720109477", "ubuntu/images/hvm-ssd/ubuntu-*"));
    let web = s.add("magento-1", Instance::new(ubuntu.id(), "m5.large", b.id()).security_group(web_sg.id()));
    let tg = s.add("magento-tg", TargetGroup::http(vpc.id(), k.tg_port).target(web.id()));
    let alb = s.add(
        "alb",
        LoadBalancer::internet_facing([b.id(), c.id()]).security_group(alb_sg.id()).idle_timeout_seconds(k.idle_timeout),
    );
    let header = s.add("origin-header", Secret::generated(32).recovery_window_days(0));
    let cert = s.add("alb-cert", Certificate::dns(["www.miamo.example"]));
    let cert_arn = cert.arn();
    s.add("http", Listener::http(alb.arn(), 80, Action::redirect_to_https()));
    let https = s.add("https", Listener::https(alb.arn(), 443, &cert_arn, Action::fixed_response(403, "text/plain", "Forbidden")));
    s.add(
        "from-cloudfront",
        ListenerRule::new(https.arn(), 10, Action::forward(tg.arn())).when(Condition::http_header("X-Origin-Verify", header.value())),
    );
    s.export("alb_dns", alb.dns_name());
    s.export("origin_header", header.value());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_header_alb_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("alb");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&conf);
    let sm = aws_sdk_secretsmanager::Client::new(&conf);

    let base = Knobs { idle_timeout: 60, tg_port: 80 };
    let stack = alb_stack(&name, &base);
    let plan = engine.plan(&stack).await.unwrap();
    let plan_text = plan.render_text();
    let report = engine.apply(&stack, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert_eq!(report.count(Status::Created), stack.resources().len() - 1, "all but the AMI lookup");

    // Independent verification.
    let secret_arn = format!("{name}/origin-header");
    let value = sm.get_secret_value().secret_id(&secret_arn).send().await.unwrap().secret_string().unwrap().to_string();
    assert_eq!(value.len(), 32);
    let lbs = elb.describe_load_balancers().send().await.unwrap();
    let lb = lbs.load_balancers().iter().find(|l| l.load_balancer_name() == Some(format!("{name}-alb").as_str()));
    let lb = lb.unwrap_or_else(|| panic!("no ALB named {name}-alb: {lbs:?}"));
    let lb_arn = lb.load_balancer_arn().unwrap();
    let listeners = elb.describe_listeners().load_balancer_arn(lb_arn).send().await.unwrap();
    assert_eq!(listeners.listeners().len(), 2);
    let https = listeners.listeners().iter().find(|l| l.port() == Some(443)).unwrap();
    let cert_arn = report.outcome("alb-cert").unwrap().physical_id.clone().unwrap();
    assert_eq!(https.certificates()[0].certificate_arn(), Some(cert_arn.as_str()));
    let default = &https.default_actions()[0];
    assert_eq!(default.fixed_response_config().and_then(|f| f.status_code()), Some("403"), "refuse by default");
    let rules = elb.describe_rules().listener_arn(https.listener_arn().unwrap()).send().await.unwrap();
    let rule = rules.rules().iter().find(|r| !r.is_default().unwrap_or(false)).unwrap();
    let cond = &rule.conditions()[0];
    let header_values = cond.http_header_config().map(|h| h.values().to_vec()).unwrap_or_else(|| cond.values().to_vec());
    assert_eq!(header_values, vec![value.clone()], "forward only with the secret header");
    let tg_arn = rule.actions()[0].target_group_arn().unwrap().to_string();
    let health = elb.describe_target_health().target_group_arn(&tg_arn).send().await.unwrap();
    assert_eq!(health.target_health_descriptions().len(), 1, "the instance is registered");

    // The secret is nowhere in what strata prints.
    let report_json = report.to_json().to_string();
    for (what, text) in [("plan", &plan_text), ("report", &strata::cli::render_report(&report)), ("json", &report_json)] {
        assert!(!text.contains(&value), "the secret leaked into the {what}");
    }
    assert_eq!(report.exports["origin_header"].to_string(), "(secret)");

    // Re-apply: nothing to do.
    let before = counter.snapshot();
    let plan = engine.plan(&stack).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(!plan.render_text().contains(&value));
    assert!(engine.apply(&stack, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0);

    // In place: the idle timeout.
    let longer = alb_stack(&name, &Knobs { idle_timeout: 120, ..base });
    let plan = engine.plan(&longer).await.unwrap();
    assert_eq!(plan.step("alb").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert!(engine.apply(&longer, plan).await.is_success());
    let attrs = elb.describe_load_balancer_attributes().load_balancer_arn(lb_arn).send().await.unwrap();
    assert!(attrs.attributes().iter().any(|a| a.key() == Some("idle_timeout.timeout_seconds") && a.value() == Some("120")));

    // Replacement: a new target-group port; the rule moves to the new group, the old one goes.
    let moved = alb_stack(&name, &Knobs { idle_timeout: 120, tg_port: 8080 });
    let plan = engine.plan(&moved).await.unwrap();
    assert_eq!(plan.step("magento-tg").unwrap().action, strata::Action::Replace, "{}", plan.render_text());
    let report = engine.apply(&moved, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let rules = elb.describe_rules().listener_arn(https.listener_arn().unwrap()).send().await.unwrap();
    let rule = rules.rules().iter().find(|r| !r.is_default().unwrap_or(false)).unwrap();
    let new_tg = rule.actions()[0].target_group_arn().unwrap().to_string();
    assert_ne!(new_tg, tg_arn);
    assert!(elb.describe_target_groups().target_group_arns(&tg_arn).send().await.is_err(), "the old group is deleted");
    assert!(!engine.plan(&moved).await.unwrap().has_changes());

    // Destroy: nothing of the stack is left.
    let plan = engine.plan_destroy(&moved).await.unwrap();
    let report = engine.apply(&moved, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let lbs = elb.describe_load_balancers().send().await.unwrap();
    assert!(lbs.load_balancers().iter().all(|l| l.load_balancer_arn() != Some(lb_arn)));
    assert!(elb.describe_target_groups().target_group_arns(&new_tg).send().await.is_err());
    let left = sm
        .list_secrets()
        .filters(
            aws_sdk_secretsmanager::types::Filter::builder()
                .key(aws_sdk_secretsmanager::types::FilterNameStringType::TagValue)
                .values(&name)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(left.secret_list().is_empty(), "secret deleted: {:?}", left.secret_list());
    let ec2 = strata_aws_testkit::ec2_client(&url, REGION).await;
    assert_eq!(strata_aws_testkit::ec2_leftovers(&ec2, &name).await, Vec::<String>::new());
}

/// Validation before any call.
/// AWS refuses to delete a load balancer with deletion protection on: the
/// destroy plan (and the plan that drops it from the program) is refused up
/// front, naming it and the opt-out, and changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_protected_load_balancer_refuses_the_destroy_plan_before_any_change_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("alb-protected");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = Engine::new(strata::aws::registry(&aws));
    let program = |protect: bool, with_alb: bool| {
        let mut s = Stack::new(&name, REGION);
        let vpc = s.add("vpc", Vpc::new("10.41.0.0/16"));
        let b = s.add("public-b", Subnet::new(vpc.id(), "10.41.11.0/24", "eu-central-1b").public());
        let c = s.add("public-c", Subnet::new(vpc.id(), "10.41.12.0/24", "eu-central-1c").public());
        if with_alb {
            s.add("alb", LoadBalancer::internet_facing([b.id(), c.id()]).deletion_protection(protect));
        }
        s
    };
    let protected = program(true, true);
    let report = engine.apply(&protected, engine.plan(&protected).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));

    let before = counter.snapshot();
    let refused = engine.plan_destroy(&protected).await.unwrap_err().to_string();
    assert!(refused.contains("alb") && refused.contains("deletion_protection(false)"), "{refused}");
    let dropped = engine.plan(&program(true, false)).await.unwrap_err().to_string();
    assert!(dropped.contains("alb") && dropped.contains("deletion protection on"), "{dropped}");
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "refused before any change");

    // The opt-out: protection off in place, then the destroy goes through.
    let open = program(false, true);
    assert!(engine.apply(&open, engine.plan(&open).await.unwrap()).await.is_success());
    let report = engine.apply(&open, engine.plan_destroy(&open).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let ec2 = strata_aws_testkit::ec2_client(&url, REGION).await;
    assert_eq!(strata_aws_testkit::ec2_leftovers(&ec2, &name).await, Vec::<String>::new());
}

#[tokio::test]
async fn listener_and_balancer_validation() {
    let aws = strata_aws_testkit::aws("http://127.0.0.1:9", REGION).await;
    let counter = aws.counter();
    let engine = Engine::new(strata::aws::registry(&aws));
    let mut s = Stack::new("v", REGION);
    let vpc = s.add("vpc", Vpc::new("10.0.0.0/16"));
    let other = s.add("other-vpc", Vpc::new("10.1.0.0/16"));
    let b = s.add("b", Subnet::new(vpc.id(), "10.0.1.0/24", "eu-central-1b"));
    let c = s.add("c", Subnet::new(vpc.id(), "10.0.2.0/24", "eu-central-1c"));
    let foreign_sg = s.add("foreign-sg", SecurityGroup::new(other.id()));
    let alb = s.add("alb", LoadBalancer::internet_facing([b.id(), c.id()]).security_group(foreign_sg.id()).name("shop-alb"));
    s.add("alb2", LoadBalancer::internet_facing([b.id(), c.id()]).name("shop-alb"));
    s.add("alb3", LoadBalancer::internet_facing([b.id(), c.id()]).name("this-name-is-far-too-long-for-an-elb"));
    s.add("https", Listener::https_without_certificate(alb.arn(), 443, Action::fixed_response(403, "text/plain", "no")));
    let http = s.add("http", Listener::http(alb.arn(), 80, Action::redirect_to_https()));
    s.add("r1", ListenerRule::new(http.arn(), 5, Action::redirect_to_https()).when(Condition::path_pattern(["/a"])));
    s.add("r2", ListenerRule::new(http.arn(), 5, Action::redirect_to_https()).when(Condition::path_pattern(["/b"])));
    let err = engine.plan(&s).await.unwrap_err().to_string();
    for expected in [
        "alb: field `security_group_ids`: a security group is in a different VPC",
        "alb2: field `name`: \"shop-alb\" is also the name of alb",
        "alb3: field `name`",
        "https: field `certificate_arn`: an HTTPS listener needs a certificate ARN",
        "r2: field `priority`: priority 5 is already used by r1",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert_eq!(counter.snapshot().total_calls(), 0);
}

/// A network load balancer on moto (LocalStack's community edition has no
/// ELBv2): TCP and UDP listeners forwarding to `ip` and TCP/UDP target
/// groups, cross-zone balancing on; read back through the SDK; re-planned
/// empty; cross-zone turned off in place; destroyed.
#[tokio::test(flavor = "multi_thread")]
async fn network_load_balancer_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("nlb");
    let aws = strata_aws_testkit::aws(&url, "eu-central-1").await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&strata_aws_testkit::sdk_config(&url, "eu-central-1").await);
    let stack = |cross_zone: bool| {
        let mut s = Stack::new(&name, "eu-central-1");
        let vpc = s.add("vpc", Vpc::new("10.61.0.0/16"));
        let a = s.add("a", Subnet::new(vpc.id(), "10.61.1.0/24", "eu-central-1a"));
        let b = s.add("b", Subnet::new(vpc.id(), "10.61.2.0/24", "eu-central-1b"));
        let nlb = s.add("nlb", LoadBalancer::internal([a.id(), b.id()]).network().cross_zone(cross_zone));
        let api = s.add("api-tg", TargetGroup::tcp(vpc.id(), 8080).ip_targets());
        let vpn = s.add("vpn-tg", TargetGroup::udp(vpc.id(), 1194));
        s.add("tcp", Listener::tcp(nlb.arn(), 80, Action::forward(api.arn())));
        s.add("udp", Listener::udp(nlb.arn(), 1194, Action::forward(vpn.arn())));
        s.export("nlb", nlb.arn());
        s
    };

    let s = stack(true);
    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let arn = report.exports["nlb"].as_str().unwrap().to_string();
    let lb = elb.describe_load_balancers().load_balancer_arns(&arn).send().await.unwrap().load_balancers()[0].clone();
    assert_eq!(lb.r#type().map(|t| t.as_str()), Some("network"));
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internal"));
    let cross_zone = |elb: aws_sdk_elasticloadbalancingv2::Client, arn: String| async move {
        let attrs = elb.describe_load_balancer_attributes().load_balancer_arn(&arn).send().await.unwrap();
        attrs.attributes().iter().find(|a| a.key() == Some("load_balancing.cross_zone.enabled")).and_then(|a| a.value()).map(str::to_string)
    };
    assert_eq!(cross_zone(elb.clone(), arn.clone()).await.as_deref(), Some("true"));
    let listeners = elb.describe_listeners().load_balancer_arn(&arn).send().await.unwrap();
    let mut protocols: Vec<String> = listeners.listeners().iter().filter_map(|l| l.protocol().map(|p| p.as_str().to_string())).collect();
    protocols.sort();
    assert_eq!(protocols, ["TCP", "UDP"]);
    for l in listeners.listeners() {
        let tg = l.default_actions()[0].target_group_arn().unwrap_or_default();
        let g = elb.describe_target_groups().target_group_arns(tg).send().await.unwrap().target_groups()[0].clone();
        assert_eq!(g.protocol(), l.protocol(), "the listener forwards to a group of its protocol");
        assert_eq!(g.health_check_protocol().map(|p| p.as_str()), Some("TCP"), "layer-4 groups are checked by TCP");
    }

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    let s2 = stack(false);
    let plan = engine.plan(&s2).await.unwrap();
    assert_eq!(plan.step("nlb").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    assert_eq!(cross_zone(elb.clone(), arn.clone()).await.as_deref(), Some("false"));
    assert!(!engine.plan(&s2).await.unwrap().has_changes());

    // Drift: someone turns cross-zone balancing back on.
    let on = aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute::builder().key("load_balancing.cross_zone.enabled").value("true").build();
    elb.modify_load_balancer_attributes().load_balancer_arn(&arn).attributes(on).send().await.unwrap();
    let plan = engine.plan(&s2).await.unwrap();
    assert!(plan.render_text().contains("cross_zone"), "{}", plan.render_text());
    assert!(engine.apply(&s2, plan).await.is_success());
    assert_eq!(cross_zone(elb.clone(), arn.clone()).await.as_deref(), Some("false"));

    let report = engine.apply(&s2, engine.plan_destroy(&s2).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(elb.describe_load_balancers().load_balancer_arns(&arn).send().await.is_err(), "the NLB is gone");
}
