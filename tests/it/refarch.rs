//! The "Reference architecture" example (`examples/refarch`) on moto: the
//! `stage` environment (Multi-AZ Postgres with a read replica, two Memcached
//! nodes) is applied; the design's facts are checked with independent SDK
//! calls (the expectations below are the design's, not read from the
//! example's settings); a re-apply makes no mutating call; destroy leaves
//! nothing tagged with the stack. `prod`'s settings are planned (they must
//! validate and hold every resource kind `stage` has, and more).

use std::collections::BTreeSet;

use strata::engine::Engine;
use strata_aws_testkit::{unique_stack, Emulator};

use crate::refarch_example::{refarch, settings};

const REGION: &str = "eu-central-1";

#[tokio::test(flavor = "multi_thread")]
async fn refarch_stage_on_moto() {
    let url = Emulator::Moto.url();
    let tag = unique_stack("ra").replace('-', "");
    let tag = format!("t{}", &tag[tag.len().saturating_sub(8)..]);
    let env = settings("stage").expect("stage settings").isolated(&tag);
    let s = refarch::stack(&env);
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let (ec2, elb, ecs, rds) = (
        aws_sdk_ec2::Client::new(&conf),
        aws_sdk_elasticloadbalancingv2::Client::new(&conf),
        aws_sdk_ecs::Client::new(&conf),
        aws_sdk_rds::Client::new(&conf),
    );
    let (ec, cf, s3) = (aws_sdk_elasticache::Client::new(&conf), aws_sdk_cloudfront::Client::new(&conf), aws_sdk_s3::Client::new(&conf));

    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let mut problems: Vec<String> = Vec::new();
    let mut holds = |what: &str, ok: bool| {
        if !ok {
            problems.push(what.to_string());
        }
    };

    // One VPC; a public and a private subnet in each of two AZs.
    let by_stack = aws_sdk_ec2::types::Filter::builder().name("tag:strata:stack").values(&env.stack).build();
    let subnets = ec2.describe_subnets().filters(by_stack.clone()).send().await.unwrap().subnets().to_vec();
    let (public, private): (Vec<_>, Vec<_>) = subnets.iter().partition(|s| s.map_public_ip_on_launch() == Some(true));
    let azs = |l: &[&aws_sdk_ec2::types::Subnet]| l.iter().filter_map(|s| s.availability_zone().map(str::to_string)).collect::<BTreeSet<_>>();
    holds("two public subnets in two AZs", public.len() == 2 && azs(&public).len() == 2);
    holds("two private subnets in two AZs", private.len() == 2 && azs(&private).len() == 2);
    let private_ids: BTreeSet<String> = private.iter().filter_map(|s| s.subnet_id().map(str::to_string)).collect();
    let public_ids: BTreeSet<String> = public.iter().filter_map(|s| s.subnet_id().map(str::to_string)).collect();

    // A public ALB in the public subnets, an internal one in the private ones.
    let lbs = elb.describe_load_balancers().names(&env.public_alb).names(&env.internal_alb).send().await.unwrap();
    let lb = |name: &str| lbs.load_balancers().iter().find(|l| l.load_balancer_name() == Some(name)).cloned();
    let (pub_lb, int_lb) = (lb(&env.public_alb).expect("the public ALB"), lb(&env.internal_alb).expect("the internal ALB"));
    let lb_subnets = |l: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer| l.availability_zones().iter().filter_map(|z| z.subnet_id().map(str::to_string)).collect::<BTreeSet<_>>();
    holds("the public ALB is internet-facing in the public subnets", pub_lb.scheme().map(|s| s.as_str()) == Some("internet-facing") && lb_subnets(&pub_lb) == public_ids);
    holds("the internal ALB is internal, in the private subnets", int_lb.scheme().map(|s| s.as_str()) == Some("internal") && lb_subnets(&int_lb) == private_ids);
    // The internal ALB routes each backend by its path to an `ip` target group.
    let listeners = elb.describe_listeners().load_balancer_arn(int_lb.load_balancer_arn().unwrap()).send().await.unwrap();
    let listener = listeners.listeners().first().and_then(|l| l.listener_arn()).expect("an internal listener").to_string();
    let rules = elb.describe_rules().listener_arn(&listener).send().await.unwrap();
    let mut paths = BTreeSet::new();
    for r in rules.rules().iter().filter(|r| r.is_default() != Some(true)) {
        for c in r.conditions() {
            paths.extend(c.path_pattern_config().map(|p| p.values().to_vec()).unwrap_or_else(|| c.values().to_vec()));
        }
        let tg = r.actions().first().and_then(|a| a.target_group_arn()).unwrap_or_default();
        let groups = elb.describe_target_groups().target_group_arns(tg).send().await.unwrap();
        holds("a backend's target group has ip targets", groups.target_groups().first().and_then(|g| g.target_type()).map(|t| t.as_str()) == Some("ip"));
    }
    holds(&format!("the internal ALB routes /orders/* and /accounts/* (got {paths:?})"), paths == BTreeSet::from(["/orders/*".to_string(), "/accounts/*".to_string()]));

    // An ECS cluster with three Fargate services in the private subnets,
    // without public IPs, with the circuit breaker and rollback.
    let cluster = report.exports["cluster"].as_str().unwrap().to_string();
    let arns = ecs.list_services().cluster(&cluster).send().await.unwrap().service_arns().to_vec();
    let services = ecs.describe_services().cluster(&cluster).set_services(Some(arns)).send().await.unwrap().services().to_vec();
    let live: Vec<_> = services.iter().filter(|s| s.status() == Some("ACTIVE")).collect();
    holds(&format!("three services run (got {})", live.len()), live.len() == 3);
    for svc in &live {
        let name = svc.service_name().unwrap_or_default();
        let vpc = svc.network_configuration().and_then(|n| n.awsvpc_configuration());
        let subnets: BTreeSet<String> = vpc.map(|v| v.subnets().iter().cloned().collect()).unwrap_or_default();
        holds(&format!("{name} is Fargate"), svc.launch_type().map(|l| l.as_str()) == Some("FARGATE"));
        holds(&format!("{name} runs in the private subnets"), subnets == private_ids);
        holds(&format!("{name} has no public IPs"), vpc.and_then(|v| v.assign_public_ip()).map(|a| a.as_str()) == Some("DISABLED"));
        let breaker = svc.deployment_configuration().and_then(|d| d.deployment_circuit_breaker());
        holds(&format!("{name} rolls a failed deployment back"), breaker.is_some_and(|b| b.enable() && b.rollback()));
        holds(&format!("{name} is behind a target group"), svc.load_balancers().len() == 1);
        let td = ecs.describe_task_definition().task_definition(svc.task_definition().unwrap_or_default()).send().await.unwrap();
        let c = &td.task_definition().unwrap().container_definitions()[0];
        let logs = c.log_configuration().map(|l| l.log_driver().as_str().to_string());
        holds(&format!("{name} logs to CloudWatch Logs"), logs.as_deref() == Some("awslogs"));
        if name.contains("orders") || name.contains("accounts") {
            let secret = c.secrets().iter().find(|s| s.name() == "DB_PASSWORD").map(|s| s.value_from().to_string()).unwrap_or_default();
            holds(&format!("{name} reads the database password from Secrets Manager by reference ({secret})"), secret.starts_with("arn:aws:secretsmanager:"));
            holds(&format!("{name}'s environment holds no password"), c.environment().iter().all(|e| !e.name().unwrap_or_default().contains("PASSWORD")));
        }
    }

    // Postgres with failover, backups and a read replica.
    let db = rds.describe_db_instances().db_instance_identifier(&env.db_identifier).send().await.unwrap();
    let db = db.db_instances().first().cloned().expect("the database");
    holds("the database is Postgres", db.engine() == Some("postgres"));
    holds("the database fails over (Multi-AZ)", db.multi_az() == Some(true));
    holds("the database keeps automated backups", db.backup_retention_period().unwrap_or_default() >= 7);
    holds("the database is encrypted", db.storage_encrypted() == Some(true));
    holds("the database is not public", db.publicly_accessible() != Some(true));
    holds("the database has a read replica", !db.read_replica_db_instance_identifiers().is_empty());

    // Memcached.
    let cache = ec.describe_cache_clusters().cache_cluster_id(&env.cache_id).send().await.unwrap();
    let cache = cache.cache_clusters().first().cloned().expect("the cache");
    holds("the cache is Memcached", cache.engine() == Some("memcached"));
    holds("the cache has two nodes", cache.num_cache_nodes() == Some(2));

    // One public OpenVPN server with an Elastic IP, admitting UDP 1194 only.
    let reservations = ec2.describe_instances().filters(by_stack.clone()).send().await.unwrap();
    let instances: Vec<_> = reservations.reservations().iter().flat_map(|r| r.instances()).filter(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated")).collect();
    holds(&format!("one instance (the VPN), got {}", instances.len()), instances.len() == 1);
    if let Some(vpn) = instances.first() {
        holds("the VPN server is in a public subnet", vpn.subnet_id().is_some_and(|s| public_ids.contains(s)));
        let addrs = ec2.describe_addresses().filters(by_stack.clone()).send().await.unwrap();
        holds("the VPN server has an Elastic IP", addrs.addresses().iter().any(|a| a.instance_id() == vpn.instance_id()));
        let sg = vpn.security_groups().first().and_then(|g| g.group_id()).unwrap_or_default();
        let groups = ec2.describe_security_groups().group_ids(sg).send().await.unwrap();
        let perms = groups.security_groups().first().map(|g| g.ip_permissions().to_vec()).unwrap_or_default();
        holds("the VPN admits UDP 1194 and nothing else", perms.len() == 1 && perms[0].ip_protocol() == Some("udp") && perms[0].from_port() == Some(1194));
    }

    // Static content from S3 through CloudFront, readable only by it.
    let domain = report.exports["cloudfront_domain"].as_str().unwrap().to_string();
    let dists = cf.list_distributions().send().await.unwrap();
    let dist = dists.distribution_list().and_then(|l| l.items().iter().find(|d| d.domain_name() == domain).cloned()).expect("the distribution");
    let config = cf.get_distribution_config().id(dist.id()).send().await.unwrap();
    let origins = config.distribution_config().and_then(|c| c.origins()).map(|o| o.items().to_vec()).unwrap_or_default();
    let s3_origin = origins.into_iter().find(|o| o.domain_name().contains(".s3."));
    holds("CloudFront reads S3 through an origin access control", s3_origin.is_some_and(|o| !o.origin_access_control_id().unwrap_or_default().is_empty()));
    let buckets = s3.list_buckets().send().await.unwrap();
    let mut bucket_policies = Vec::new();
    for b in buckets.buckets() {
        let name = b.name().unwrap_or_default();
        let Ok(t) = s3.get_bucket_tagging().bucket(name).send().await else { continue };
        if t.tag_set().iter().any(|t| t.key() == "strata:stack" && t.value() == env.stack) {
            bucket_policies.push(s3.get_bucket_policy().bucket(name).send().await.ok().and_then(|p| p.policy().map(str::to_string)).unwrap_or_default());
        }
    }
    holds("the static bucket's policy lets CloudFront read, for this distribution", bucket_policies.iter().any(|p| p.contains("cloudfront.amazonaws.com") && p.contains(dist.arn())));

    crate::support::facts_hold_then_noop_then_destroy(&problems, &engine, counter.as_ref(), &s, &url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refarch_prod_plans_on_moto() {
    let url = Emulator::Moto.url();
    let tag = unique_stack("rp").replace('-', "");
    let tag = format!("t{}", &tag[tag.len().saturating_sub(8)..]);
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let kinds = |s: &strata::Stack| s.resources().iter().map(|r| r.kind).collect::<BTreeSet<_>>();
    let stage = refarch::stack(&settings("stage").expect("stage").isolated(&tag));
    let prod = refarch::stack(&settings("prod").expect("prod").isolated(&tag));
    crate::support::plans_every_resource_as_a_create(&engine, &prod).await;
    assert!(kinds(&stage).is_subset(&kinds(&prod)));
    // Prod: a NAT gateway per AZ, and a database that refuses deletion.
    let nats = prod.resources().iter().filter(|r| r.kind == "aws:ec2:NatGateway").count();
    assert_eq!(nats, 2);
    let db = prod.resources().iter().find(|r| r.name == "db").expect("the database");
    assert_eq!(db.known("deletion_protection").and_then(|v| v.as_bool()), Some(true));
    assert!(settings("qa").is_none(), "an unknown environment is refused");
}
