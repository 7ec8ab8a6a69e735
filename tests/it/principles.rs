//! The "design principles" example, serverless variant
//! (`examples/principles-serverless`), on moto: the `dev` environment is
//! applied; the design's facts are checked with independent SDK calls (the
//! expectations are the design's, not read from the example's settings); a
//! re-apply makes no mutating call; destroy leaves nothing tagged with the
//! stack. `prod`'s settings are planned (they must validate, hold every kind
//! `dev` has, and protect the data).

use std::collections::BTreeSet;

use strata::engine::Engine;
use strata_aws_testkit::{unique_stack, Emulator};

use crate::principles_serverless_example::{principles, settings};

const REGION: &str = "eu-central-1";

fn tag() -> String {
    let t = unique_stack("ps").replace('-', "");
    format!("t{}", &t[t.len().saturating_sub(8)..])
}

#[tokio::test(flavor = "multi_thread")]
async fn principles_serverless_dev_on_moto() {
    let url = Emulator::Moto.url();
    let env = settings("dev").expect("dev settings").isolated(&tag());
    let s = principles::serverless(&env);
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let (cf, s3, idp, apigw) = (
        aws_sdk_cloudfront::Client::new(&conf),
        aws_sdk_s3::Client::new(&conf),
        aws_sdk_cognitoidentityprovider::Client::new(&conf),
        aws_sdk_apigatewayv2::Client::new(&conf),
    );
    let (lambda, ddb, sns, iam, logs) = (
        aws_sdk_lambda::Client::new(&conf),
        aws_sdk_dynamodb::Client::new(&conf),
        aws_sdk_sns::Client::new(&conf),
        aws_sdk_iam::Client::new(&conf),
        aws_sdk_cloudwatchlogs::Client::new(&conf),
    );

    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id = |name: &str| report.outcome(name).and_then(|o| o.physical_id.clone()).unwrap_or_else(|| panic!("{name} has an id"));
    let mut problems: Vec<String> = Vec::new();
    let mut holds = |what: &str, ok: bool| {
        if !ok {
            problems.push(what.to_string());
        }
    };
    let www = format!("www.dev.{}", env.domain);

    // CloudFront serves the single-page app from a private bucket, over HTTPS.
    let dists = cf.list_distributions().send().await.unwrap();
    let dist = dists.distribution_list().and_then(|l| l.items().iter().find(|d| d.id() == id("cdn")).cloned()).expect("the distribution");
    holds("the distribution serves www", dist.aliases().is_some_and(|a| a.items() == [www.clone()]));
    let config = cf.get_distribution_config().id(dist.id()).send().await.unwrap().distribution_config().cloned().unwrap();
    let default = config.default_cache_behavior().unwrap();
    let origin = config.origins().unwrap().items().iter().find(|o| o.id() == default.target_origin_id()).cloned().unwrap();
    holds("the app's default behaviour reads S3 through an origin access control", origin.domain_name().contains(".s3.") && !origin.origin_access_control_id().unwrap_or_default().is_empty());
    holds("HTTP is redirected to HTTPS", default.viewer_protocol_policy().as_str() == "redirect-to-https");
    holds("the root serves index.html", config.default_root_object() == Some("index.html"));
    let errors = config.custom_error_responses().map(|e| e.items().to_vec()).unwrap_or_default();
    holds("deep links (S3's 403/404) answer index.html", [403, 404].iter().all(|c| errors.iter().any(|e| e.error_code() == *c && e.response_page_path() == Some("/index.html"))));
    let bucket = id("spa");
    let policy = s3.get_bucket_policy().bucket(&bucket).send().await.unwrap().policy().unwrap_or_default().to_string();
    holds("only this distribution may read the bucket", policy.contains("cloudfront.amazonaws.com") && policy.contains(dist.arn()));

    // Users sign in through Cognito; the app's client keeps no secret.
    let pool_id = id("users");
    let client_id = id("spa-client");
    let client = idp.describe_user_pool_client().user_pool_id(&pool_id).client_id(&client_id).send().await.unwrap().user_pool_client().cloned().unwrap();
    holds("the app's client has no secret", client.client_secret().is_none());
    holds("the app uses the authorization-code flow", client.allowed_o_auth_flows().iter().map(|f| f.as_str()).collect::<Vec<_>>() == ["code"]);
    holds("sign-in returns to the app", client.callback_urls() == [format!("https://{www}/callback")]);
    let pool = idp.describe_user_pool().user_pool_id(&pool_id).send().await.unwrap().user_pool().cloned().unwrap();
    holds("MFA is offered (dev: optional)", pool.mfa_configuration().map(|m| m.as_str()) == Some("OPTIONAL"));

    // The API admits only the app's origin, and every route checks the user's token.
    let api_id = id("api");
    let api = apigw.get_api().api_id(&api_id).send().await.unwrap();
    holds("CORS admits the app's origin only", api.cors_configuration().map(|c| c.allow_origins().to_vec()) == Some(vec![format!("https://{www}")]));
    let authorizers = apigw.get_authorizers().api_id(&api_id).send().await.unwrap().items().to_vec();
    let issuer = format!("https://cognito-idp.{REGION}.amazonaws.com/{pool_id}");
    let jwt = authorizers.first().and_then(|a| a.jwt_configuration()).cloned();
    holds("the authorizer trusts the pool, for the app's client", authorizers.len() == 1 && jwt.as_ref().and_then(|j| j.issuer()) == Some(issuer.as_str()) && jwt.as_ref().map(|j| j.audience().to_vec()) == Some(vec![client_id.clone()]));
    let routes = apigw.get_routes().api_id(&api_id).send().await.unwrap().items().to_vec();
    holds("three routes", routes.len() == 3);
    holds("every route needs a token", routes.iter().all(|r| r.authorization_type().map(|a| a.as_str()) == Some("JWT")));
    holds("the default execute-api endpoint is off", api.disable_execute_api_endpoint() == Some(true));
    let api_name = format!("api.dev.{}", env.domain);
    let mappings = apigw.get_api_mappings().domain_name(&api_name).send().await.unwrap().items().to_vec();
    holds("the custom domain serves the API's stage at the root", mappings.len() == 1 && mappings[0].api_id() == Some(api_id.as_str()) && mappings[0].api_mapping_key().unwrap_or_default().is_empty());
    let r53 = aws_sdk_route53::Client::new(&conf);
    let records = r53.list_resource_record_sets().hosted_zone_id(id("zone")).send().await.unwrap().resource_record_sets().to_vec();
    let target = apigw.get_domain_name().domain_name(&api_name).send().await.unwrap().domain_name_configurations().first().and_then(|c| c.api_gateway_domain_name().map(str::to_string)).unwrap_or_default();
    holds("api.<zone> is an alias of the custom domain", records.iter().any(|r| r.name().trim_end_matches('.') == api_name && r.alias_target().is_some_and(|a| a.dns_name().trim_end_matches('.') == target)));
    let stages = apigw.get_stages().api_id(&api_id).send().await.unwrap().items().to_vec();
    holds("the stage deploys itself and logs every request", stages.len() == 1 && stages[0].auto_deploy() == Some(true) && stages[0].access_log_settings().and_then(|l| l.destination_arn()).is_some());

    // The orders function: the table and the topic, encrypted with the key.
    let kms = aws_sdk_kms::Client::new(&conf);
    let key = kms.describe_key().key_id(id("data-key")).send().await.unwrap();
    let key_arn = key.key_metadata().map(|m| m.arn().unwrap_or_default().to_string()).expect("the key's ARN");
    let orders = lambda.get_function_configuration().function_name(id("orders")).send().await.unwrap();
    let vars = orders.environment().and_then(|e| e.variables()).cloned().unwrap_or_default();
    let table = id("orders-table");
    holds("the orders function is told its table", vars.get("TABLE") == Some(&table));
    holds("its environment is encrypted with the key", orders.kms_key_arn() == Some(key_arn.as_str()));
    let invoke = lambda.get_policy().function_name(id("orders")).send().await.unwrap().policy().unwrap_or_default().to_string();
    holds("only this API may invoke it", invoke.contains("apigateway.amazonaws.com") && invoke.contains(&format!(":{api_id}/*/*")));
    // Least privilege: the role may touch that table, that topic and that key, nothing else.
    let role_name = orders.role().and_then(|r| r.rsplit('/').next()).unwrap().to_string();
    let names = iam.list_role_policies().role_name(&role_name).send().await.unwrap().policy_names().to_vec();
    let doc = iam.get_role_policy().role_name(&role_name).policy_name(&names[0]).send().await.unwrap().policy_document().to_string();
    let doc: serde_json::Value = serde_json::from_str(&urlencoding_decode(&doc)).unwrap();
    let resources: BTreeSet<String> = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|st| match &st["Resource"] {
            serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<_>>(),
            v => v.as_str().map(str::to_string).into_iter().collect(),
        })
        .collect();
    holds(&format!("the orders role names only its own resources (got {resources:?})"), resources.iter().all(|r| !r.contains('*') || r.ends_with("/index/*")));
    let t = ddb.describe_table().table_name(&table).send().await.unwrap().table().cloned().unwrap();
    holds("the table is encrypted with the key", t.sse_description().and_then(|s| s.kms_master_key_arn()) == Some(key_arn.as_str()));
    holds("the table streams its changes", t.stream_specification().is_some_and(|s| s.stream_enabled()));
    let pitr = ddb.describe_continuous_backups().table_name(&table).send().await.unwrap();
    let pitr = pitr.continuous_backups_description().and_then(|d| d.point_in_time_recovery_description()).and_then(|p| p.point_in_time_recovery_status()).map(|s| s.as_str().to_string());
    holds("the table has point-in-time recovery", pitr.as_deref() == Some("ENABLED"));

    // Events: the events function is subscribed to the encrypted topic.
    let topic = id("order-events");
    let attrs = sns.get_topic_attributes().topic_arn(&topic).send().await.unwrap().attributes().cloned().unwrap_or_default();
    holds("the events topic is encrypted with the key", attrs.get("KmsMasterKeyId") == Some(&key_arn));
    let subs = sns.list_subscriptions_by_topic().topic_arn(&topic).send().await.unwrap().subscriptions().to_vec();
    let events_fn = lambda.get_function_configuration().function_name(id("order-events-fn")).send().await.unwrap();
    holds("the events function is subscribed", subs.iter().any(|s| s.protocol() == Some("lambda") && s.endpoint() == events_fn.function_arn()));

    // Central logs: every group encrypted and kept for a bounded time.
    for g in ["logs/orders", "logs/order-events", "logs/api"] {
        let name = id(g);
        let got = logs.describe_log_groups().log_group_name_prefix(&name).send().await.unwrap();
        let group = got.log_groups().iter().find(|l| l.log_group_name() == Some(name.as_str())).cloned();
        holds(&format!("{g} is encrypted and kept 14 days"), group.is_some_and(|l| l.kms_key_id() == Some(key_arn.as_str()) && l.retention_in_days() == Some(14)));
    }

    crate::support::facts_hold_then_noop_then_destroy(&problems, &engine, counter.as_ref(), &s, &url).await;
}

/// IAM answers policy documents URL-encoded.
fn urlencoding_decode(s: &str) -> String {
    let (mut out, bytes, mut i) = (Vec::new(), s.as_bytes(), 0);
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() + 1 && s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()).is_some() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn principles_serverless_prod_plans_on_moto() {
    let url = Emulator::Moto.url();
    let tag = tag();
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let kinds = |s: &strata::Stack| s.resources().iter().map(|r| r.kind).collect::<BTreeSet<_>>();
    let dev = principles::serverless(&settings("dev").expect("dev").isolated(&tag));
    let prod = principles::serverless(&settings("prod").expect("prod").isolated(&tag));
    let plan = engine.plan(&prod).await.unwrap();
    assert_eq!(plan.steps.iter().filter(|s| s.action == strata::Action::Create).count(), prod.resources().iter().filter(|r| !r.is_lookup()).count(), "{}", plan.render_text());
    assert!(kinds(&dev).is_subset(&kinds(&prod)));
    // Prod: MFA required, the table and the pool protected, capacity reserved.
    let known = |name: &str, field: &str| prod.resources().iter().find(|r| r.name == name).and_then(|r| r.known(field));
    assert_eq!(known("users", "mfa").and_then(|v| v.as_str().map(str::to_string)).as_deref(), Some("ON"));
    assert_eq!(known("users", "deletion_protection").and_then(|v| v.as_bool()), Some(true));
    assert_eq!(known("orders-table", "deletion_protection").and_then(|v| v.as_bool()), Some(true));
    assert!(known("orders", "reserved_concurrency").and_then(|v| v.as_int()).is_some());
    assert!(settings("staging").is_none(), "an unknown environment is refused");
}

/// The Kubernetes variant (`examples/principles-k8s`), `dev` on moto: the
/// design's facts checked with independent SDK calls, a re-apply that makes
/// no mutating call, a destroy that leaves nothing tagged with the stack.
#[tokio::test(flavor = "multi_thread")]
async fn principles_k8s_dev_on_moto() {
    use crate::principles_k8s_example::{principles as p, settings as k8s_settings};
    let url = Emulator::Moto.url();
    let (env, k) = k8s_settings("dev").expect("dev settings");
    let env = env.isolated(&tag());
    let s = p::kubernetes::kubernetes(&env, &k);
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let (apigw, elb, eks, ec2) = (
        aws_sdk_apigatewayv2::Client::new(&conf),
        aws_sdk_elasticloadbalancingv2::Client::new(&conf),
        aws_sdk_eks::Client::new(&conf),
        aws_sdk_ec2::Client::new(&conf),
    );
    let (cache, rds, msk, sm, lambda, kms) = (
        aws_sdk_elasticache::Client::new(&conf),
        aws_sdk_rds::Client::new(&conf),
        aws_sdk_kafka::Client::new(&conf),
        aws_sdk_secretsmanager::Client::new(&conf),
        aws_sdk_lambda::Client::new(&conf),
        aws_sdk_kms::Client::new(&conf),
    );

    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id = |name: &str| report.outcome(name).and_then(|o| o.physical_id.clone()).unwrap_or_else(|| panic!("{name} has an id"));
    let mut problems: Vec<String> = Vec::new();
    let mut holds = |what: &str, ok: bool| {
        if !ok {
            problems.push(what.to_string());
        }
    };
    let key_arn = kms.describe_key().key_id(id("data-key")).send().await.unwrap().key_metadata().and_then(|m| m.arn().map(str::to_string)).expect("the key's ARN");

    // API Gateway -> VPC link -> NLB: the one route is checked and private.
    let api_id = id("api");
    let routes = apigw.get_routes().api_id(&api_id).send().await.unwrap().items().to_vec();
    holds("one proxy route, and it needs a token", routes.len() == 1 && routes[0].route_key() == Some("ANY /{proxy+}") && routes[0].authorization_type().map(|a| a.as_str()) == Some("JWT"));
    let integrations = apigw.get_integrations().api_id(&api_id).send().await.unwrap().items().to_vec();
    let listener = id("nlb-tcp");
    holds(
        "the route goes through the VPC link to the load balancer's listener",
        integrations.len() == 1
            && integrations[0].connection_type().map(|c| c.as_str()) == Some("VPC_LINK")
            && integrations[0].connection_id() == Some(id("vpc-link").as_str())
            && integrations[0].integration_uri() == Some(listener.as_str()),
    );
    holds("the default execute-api endpoint is off", apigw.get_api().api_id(&api_id).send().await.unwrap().disable_execute_api_endpoint() == Some(true));
    let lbs = elb.describe_load_balancers().load_balancer_arns(id("nlb")).send().await.unwrap().load_balancers().to_vec();
    holds("the load balancer is an internal NLB", lbs.len() == 1 && lbs[0].r#type().map(|t| t.as_str()) == Some("network") && lbs[0].scheme().map(|t| t.as_str()) == Some("internal"));
    let tgs = elb.describe_target_groups().target_group_arns(id("ingress-pods")).send().await.unwrap().target_groups().to_vec();
    holds("the pods register by IP", tgs.first().and_then(|t| t.target_type()).map(|t| t.as_str()) == Some("ip"));

    // EKS: private subnets, secrets encrypted, the admins' CIDR only.
    let cluster = eks.describe_cluster().name(id("eks")).send().await.unwrap().cluster().cloned().expect("the cluster");
    let vpc_cfg = cluster.resources_vpc_config().cloned().unwrap();
    holds("the API server is reachable from the admins' CIDR only", vpc_cfg.endpoint_private_access() && vpc_cfg.public_access_cidrs() == ["203.0.113.0/24".to_string()]);
    holds("Kubernetes secrets are encrypted with the key", cluster.encryption_config().iter().any(|e| e.provider().and_then(|p| p.key_arn()) == Some(key_arn.as_str())));
    let subnets = ec2.describe_subnets().set_subnet_ids(Some(vpc_cfg.subnet_ids().to_vec())).send().await.unwrap().subnets().to_vec();
    holds("the cluster's subnets are private", !subnets.is_empty() && subnets.iter().all(|s| s.map_public_ip_on_launch() != Some(true)));

    // The data stores: encrypted with the key, reachable from the nodes only.
    let data_sg = id("data-sg");
    let nodes_sg = id("nodes-sg");
    let groups = ec2.describe_security_groups().group_ids(&data_sg).send().await.unwrap().security_groups().to_vec();
    let sources: BTreeSet<String> = groups.iter().flat_map(|g| g.ip_permissions()).flat_map(|p| p.user_id_group_pairs().iter().filter_map(|u| u.group_id().map(str::to_string))).collect();
    let cidrs = groups.iter().flat_map(|g| g.ip_permissions()).map(|p| p.ip_ranges().len()).sum::<usize>();
    holds("the data stores admit the nodes' group only", sources == BTreeSet::from([nodes_sg.clone()]) && cidrs == 0);
    let rg = cache.describe_replication_groups().replication_group_id(id("redis")).send().await.unwrap().replication_groups().first().cloned().expect("the Redis group");
    holds("Redis is encrypted at rest with the key and in transit", rg.at_rest_encryption_enabled() == Some(true) && rg.transit_encryption_enabled() == Some(true) && rg.kms_key_id() == Some(key_arn.as_str()));
    let db = rds.describe_db_instances().db_instance_identifier(id("db")).send().await.unwrap().db_instances().first().cloned().expect("the database");
    holds("PostgreSQL is encrypted with the key and not public", db.storage_encrypted() == Some(true) && db.kms_key_id() == Some(key_arn.as_str()) && db.publicly_accessible() != Some(true));
    holds("its master password is in Secrets Manager", db.master_user_secret().and_then(|s| s.secret_arn()).is_some());
    let kafka = msk.describe_cluster().cluster_arn(id("kafka")).send().await.unwrap().cluster_info().cloned().expect("the Kafka cluster");
    let enc = kafka.encryption_info().cloned().unwrap();
    holds("Kafka is encrypted with the key, TLS only", enc.encryption_at_rest().and_then(|e| e.data_volume_kms_key_id()) == Some(key_arn.as_str()) && enc.encryption_in_transit().and_then(|t| t.client_broker()).map(|c| c.as_str()) == Some("TLS"));
    holds("Kafka clients authenticate with IAM", kafka.client_authentication().and_then(|a| a.sasl()).and_then(|s| s.iam()).and_then(|i| i.enabled()) == Some(true));
    holds("the brokers log to their group", kafka.logging_info().and_then(|l| l.broker_logs()).and_then(|b| b.cloud_watch_logs()).and_then(|c| c.log_group()) == Some(id("logs/kafka").as_str()));
    holds("two brokers, one per AZ", kafka.number_of_broker_nodes() == Some(2) && kafka.broker_node_group_info().map(|n| n.client_subnets().len()) == Some(2));

    // The session key is rotated by the stack's function, which Secrets Manager alone may invoke.
    let secret = sm.describe_secret().secret_id(id("session-key")).send().await.unwrap();
    let rotator = lambda.get_function_configuration().function_name(id("rotate-session-key")).send().await.unwrap();
    holds("the session key rotates every 30 days", secret.rotation_enabled() == Some(true) && secret.rotation_rules().and_then(|r| r.automatically_after_days()) == Some(30));
    holds("by the stack's rotation function", secret.rotation_lambda_arn().is_some() && secret.rotation_lambda_arn() == rotator.function_arn());
    holds("the secret is encrypted with the key", secret.kms_key_id() == Some(key_arn.as_str()));
    let policy = lambda.get_policy().function_name(id("rotate-session-key")).send().await.unwrap().policy().unwrap_or_default().to_string();
    holds("only Secrets Manager, for that secret, may invoke it", policy.contains("secretsmanager.amazonaws.com") && secret.arn().is_some_and(|a| policy.contains(a)));

    crate::support::facts_hold_then_noop_then_destroy(&problems, &engine, counter.as_ref(), &s, &url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn principles_k8s_prod_plans_on_moto() {
    use crate::principles_k8s_example::{principles as p, settings as k8s_settings};
    let url = Emulator::Moto.url();
    let tag = tag();
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let kinds = |s: &strata::Stack| s.resources().iter().map(|r| r.kind).collect::<BTreeSet<_>>();
    let (dev, dk) = k8s_settings("dev").expect("dev");
    let (prod, pk) = k8s_settings("prod").expect("prod");
    let dev = p::kubernetes::kubernetes(&dev.isolated(&tag), &dk);
    let prod = p::kubernetes::kubernetes(&prod.isolated(&tag), &pk);
    let plan = engine.plan(&prod).await.unwrap();
    assert_eq!(plan.steps.iter().filter(|s| s.action == strata::Action::Create).count(), prod.resources().iter().filter(|r| !r.is_lookup()).count(), "{}", plan.render_text());
    assert!(kinds(&dev).is_subset(&kinds(&prod)));
    // Prod: HA data stores, protected, three brokers over three AZs.
    let known = |name: &str, field: &str| prod.resources().iter().find(|r| r.name == name).and_then(|r| r.known(field));
    assert_eq!(known("db", "multi_az").and_then(|v| v.as_bool()), Some(true));
    assert_eq!(known("db", "deletion_protection").and_then(|v| v.as_bool()), Some(true));
    assert_eq!(known("redis", "automatic_failover").and_then(|v| v.as_bool()), Some(true));
    assert_eq!(known("kafka", "brokers").and_then(|v| v.as_int()), Some(3));
    assert!(k8s_settings("staging").is_none(), "an unknown environment is refused");
}
