//! API Gateway REST (v1) on moto: a regional API with a mock health check,
//! an HTTP proxy and a private integration to an internal NLB through a VPC
//! link; a stage with throttling and access logs behind a regional WAF web
//! ACL; a custom domain with a base path mapping. Read back through the SDK;
//! re-planned empty; drift (the stage moved to another deployment by hand)
//! shown as a `deployment` change and repaired; a change of methods shown as
//! `methods` and `deployment`, applied as a new deployment the stage moves
//! to; destroyed. moto's tag calls on APIs, VPC links and domains,
//! `UpdateVpcLink`, `UpdateDomainName` and an integration's `connectionId`
//! are emulator extensions (`scripts/moto_server.py`).

use strata::aws::apigateway::{DomainName, Method, RestApi, VpcLink};
use strata::aws::ec2::{Subnet, Vpc};
use strata::aws::elbv2::LoadBalancer;
use strata::aws::logs::LogGroup;
use strata::aws::wafv2::{WafRule, WafScope, WebAcl};
use strata::engine::CallCounter;
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const REGION: &str = "eu-central-1";
const CERT: &str = "arn:aws:acm:eu-central-1:123456789012:certificate/rest-api-test";

fn stack(name: &str, changed: bool) -> Stack {
    let mut s = Stack::new(name, REGION);
    let vpc = s.add("vpc", Vpc::new("10.70.0.0/16"));
    let a = s.add("a", Subnet::new(vpc.id(), "10.70.1.0/24", "eu-central-1a"));
    let b = s.add("b", Subnet::new(vpc.id(), "10.70.2.0/24", "eu-central-1b"));
    let nlb = s.add("cart-nlb", LoadBalancer::internal([a.id(), b.id()]).network());
    let link = s.add("to-cart", VpcLink::new(nlb.arn()).description(if changed { "cart (moved)" } else { "cart" }));
    let logs = s.add("api-logs", LogGroup::new().retention_days(30));
    let cart_url = format_output("http://{}/cart/{proxy}", &[nlb.dns_name()]);
    let mut api = RestApi::new("v1")
        .description("ReClothes buyers")
        .method(Method::mock("GET", "/health"))
        .method(Method::private("ANY", "/cart/{proxy+}", link.id(), cart_url).iam())
        .throttling(200, 100)
        .access_logs(logs.arn());
    api = if changed { api.method(Method::http("POST", "/orders", "https://orders.example.com/orders")) } else { api.method(Method::http("GET", "/catalog", "https://catalog.example.com/items")) };
    let api = s.add("buyers", api);
    s.add("edge-acl", WebAcl::new(WafScope::Regional).rule(WafRule::sql_injection()).rule(WafRule::common()).associate(api.stage_arn()));
    s.add("api-domain", DomainName::new("api.reclothes.example.com", CERT).mapping(api.id(), "v1", "shop"));
    s.export("api", api.id());
    s.export("stage_arn", api.stage_arn());
    s.export("link", link.id());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_api_with_private_integration_stage_waf_and_domain_lifecycle_on_moto_with_tag_and_update_calls_as_emulator_extensions() {
    use aws_sdk_apigateway::types::{ConnectionType, IntegrationType};
    let url = Emulator::Moto.url();
    let name = unique_stack("rest");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let (apigw, waf) = (aws_sdk_apigateway::Client::new(&conf), aws_sdk_wafv2::Client::new(&conf));

    let s = stack(&name, false);
    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id = report.exports["api"].as_str().unwrap().to_string();
    let link = report.exports["link"].as_str().unwrap().to_string();
    let stage_arn = report.exports["stage_arn"].as_str().unwrap().to_string();
    assert_eq!(stage_arn, format!("arn:aws:apigateway:{REGION}::/restapis/{id}/stages/v1"));

    let api = apigw.get_rest_api().rest_api_id(&id).send().await.unwrap();
    assert_eq!(api.tags().and_then(|t| t.get("strata:stack")), Some(&name));
    assert_eq!(api.endpoint_configuration().map(|e| e.types().iter().map(|t| t.as_str().to_string()).collect::<Vec<_>>()), Some(vec!["REGIONAL".to_string()]));
    let resources = apigw.get_resources().rest_api_id(&id).embed("methods").send().await.unwrap().items().to_vec();
    let mut paths: Vec<&str> = resources.iter().filter_map(|r| r.path()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["/", "/cart", "/cart/{proxy+}", "/catalog", "/health"], "each method's resources, and no others");
    let method = |path: &str, verb: &str| resources.iter().find(|r| r.path() == Some(path)).and_then(|r| r.resource_methods()).and_then(|m| m.get(verb)).cloned().unwrap();
    let cart = method("/cart/{proxy+}", "ANY");
    assert_eq!(cart.authorization_type(), Some("AWS_IAM"));
    let i = cart.method_integration().unwrap();
    assert_eq!(i.r#type(), Some(&IntegrationType::HttpProxy));
    assert_eq!(i.connection_type(), Some(&ConnectionType::VpcLink));
    assert_eq!(i.connection_id(), Some(link.as_str()), "the private integration goes through the link");
    assert!(i.uri().is_some_and(|u| u.starts_with("http://") && u.ends_with("/cart/{proxy}")), "{:?}", i.uri());
    assert_eq!(method("/health", "GET").method_integration().and_then(|i| i.r#type()), Some(&IntegrationType::Mock));
    let stages = apigw.get_stages().rest_api_id(&id).send().await.unwrap().item().to_vec();
    assert_eq!(stages.len(), 1);
    let stage = &stages[0];
    assert_eq!(stage.stage_name(), Some("v1"));
    let star = stage.method_settings().and_then(|m| m.get("*/*")).unwrap();
    assert_eq!((star.throttling_burst_limit(), star.throttling_rate_limit()), (200, 100.0));
    assert!(stage.access_log_settings().and_then(|l| l.destination_arn()).is_some_and(|d| d.contains(":log-group:") && !d.ends_with(":*")), "access logs on");
    let deployments = apigw.get_deployments().rest_api_id(&id).send().await.unwrap().items().to_vec();
    assert_eq!(deployments.len(), 1, "one deployment: {deployments:?}");
    assert_eq!(stage.deployment_id(), deployments[0].id(), "the stage serves it");
    let first_description = deployments[0].description().unwrap().to_string();
    assert!(first_description.starts_with("strata "), "{first_description}");
    let acl = waf.get_web_acl_for_resource().resource_arn(&stage_arn).send().await.unwrap();
    assert!(acl.web_acl().is_some(), "the web ACL guards the stage");
    let mappings = apigw.get_base_path_mappings().domain_name("api.reclothes.example.com").send().await.unwrap().items().to_vec();
    assert_eq!(mappings.len(), 1);
    assert_eq!((mappings[0].base_path(), mappings[0].rest_api_id(), mappings[0].stage()), (Some("shop"), Some(id.as_str()), Some("v1")));
    let l = apigw.get_vpc_link().vpc_link_id(&link).send().await.unwrap();
    assert_eq!(l.target_arns().len(), 1);
    assert_eq!(l.tags().and_then(|t| t.get("strata:stack")), Some(&name));

    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "a second run changes nothing");

    // Drift: someone rolls the stage onto a deployment of their own.
    let theirs = apigw.create_deployment().rest_api_id(&id).description("hotfix").send().await.unwrap().id().unwrap().to_string();
    let op = aws_sdk_apigateway::types::PatchOperation::builder().op(aws_sdk_apigateway::types::Op::Replace).path("/deploymentId").value(&theirs).build();
    apigw.update_stage().rest_api_id(&id).stage_name("v1").patch_operations(op).send().await.unwrap();
    let plan = engine.plan(&s).await.unwrap();
    let step = plan.step("buyers").unwrap();
    assert_eq!(step.action, strata::Action::Update, "{}", plan.render_text());
    let fields: Vec<&str> = step.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["deployment"], "only the served deployment differs: {}", plan.render_text());
    assert!(plan.render_text().contains("\"none\""), "a deployment strata did not make shows as none: {}", plan.render_text());
    let report = engine.apply(&s, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let stage = apigw.get_stage().rest_api_id(&id).stage_name("v1").send().await.unwrap();
    let served = apigw.get_deployment().rest_api_id(&id).deployment_id(stage.deployment_id().unwrap()).send().await.unwrap();
    assert_eq!(served.description(), Some(first_description.as_str()), "the stage serves the declared methods again");
    assert!(apigw.get_deployment().rest_api_id(&id).deployment_id(&theirs).send().await.is_err(), "the deployment no stage serves is deleted");
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());

    // A change of methods: /catalog gone, POST /orders new; the link renamed in place.
    let s2 = stack(&name, true);
    let plan = engine.plan(&s2).await.unwrap();
    let step = plan.step("buyers").unwrap();
    assert_eq!(step.action, strata::Action::Update, "{}", plan.render_text());
    let mut fields: Vec<&str> = step.changes.iter().map(|c| c.field.as_str()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["deployment", "methods"], "the plan says the API is redeployed: {}", plan.render_text());
    assert_eq!(plan.step("to-cart").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    let report = engine.apply(&s2, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let resources = apigw.get_resources().rest_api_id(&id).send().await.unwrap().items().to_vec();
    let mut paths: Vec<&str> = resources.iter().filter_map(|r| r.path()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["/", "/cart", "/cart/{proxy+}", "/health", "/orders"], "the unused resource is deleted");
    let deployments = apigw.get_deployments().rest_api_id(&id).send().await.unwrap().items().to_vec();
    assert_eq!(deployments.len(), 1, "the old deployment is deleted: {deployments:?}");
    assert_ne!(deployments[0].description(), Some(first_description.as_str()), "a new deployment");
    let stage = apigw.get_stage().rest_api_id(&id).stage_name("v1").send().await.unwrap();
    assert_eq!(stage.deployment_id(), deployments[0].id(), "the stage moved to it");
    assert_eq!(apigw.get_vpc_link().vpc_link_id(&link).send().await.unwrap().description(), Some("cart (moved)"));
    let plan = engine.plan(&s2).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());

    let report = engine.apply(&s2, engine.plan_destroy(&s2).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(apigw.get_rest_api().rest_api_id(&id).send().await.is_err(), "the API is deleted");
    let left = crate::inventory::tagged_with(&url, &name).await;
    assert!(left.is_empty(), "left after destroy: {left:#?}");
}
