//! The "Reference architecture" (`shared/design/seeds/003_1c7690ae7f64d56e.txt`,
//! summarised in `shared/design/other-systems.md`, system 3): a web
//! application on ECS, one VPC per environment, almost everything private.
//! `examples/refarch.rs` holds the three environments' settings (an [`Env`]
//! each) and picks one; this module turns an `Env` into a [`Stack`].
//!
//! # Who owns what
//!
//! * Each environment (`refarch-dev`, `refarch-stage`, `refarch-prod`) is one
//!   stack and owns everything it uses: its VPC and subnets, gateways, route
//!   tables, security groups, both load balancers, the ECS cluster, its task
//!   definitions and services, the database and its replica, the cache, the
//!   OpenVPN server, its public zone `<env>.<domain>` and private zone
//!   `<env>.refarch.internal`, its certificates, static bucket, CloudFront
//!   distribution, log groups, alarm topic and alarms. Nothing is shared
//!   between stacks, so any environment can be destroyed on its own.
//! * The design's separate accounts (dev, stage, prod, security,
//!   shared-services) wait for multi-account support: until then each
//!   environment is a stack in one account, and the OpenVPN server that the
//!   design puts in shared-services is one per environment (each VPC is
//!   reached through its own).
//!
//! # Readings of the design (where it is vague)
//!
//! * Subnets: two AZs; per AZ a public subnet (the public ALB, the NAT
//!   gateway, the OpenVPN server: the design's only public things) and a
//!   private one (tasks, internal ALB, database, cache). Prod has a NAT
//!   gateway per AZ, dev and stage one.
//! * "The apps": one front end (`web`, behind the public ALB) and two backend
//!   services (`orders`, `accounts`), each a Fargate service with its own task
//!   definition, log group and `ip` target group. "Every backend service
//!   registers with the [internal] load balancer at a particular path": the
//!   internal ALB forwards `/orders/*` and `/accounts/*`, and answers 404 to
//!   anything else; the services find it at `api.<env>.refarch.internal`
//!   (the `API_URL` variable). Images are settings (public placeholders).
//! * Public entry: `www.<env>.<domain>` is CloudFront; `/static/*` comes from
//!   the S3 bucket through an origin access control (the bucket policy lets
//!   only this distribution read), everything else from the public ALB at
//!   `app.<env>.<domain>` over HTTPS. The public ALB answers HTTP with a
//!   redirect to HTTPS.
//! * Postgres "including automatic failover, backups, and replicas":
//!   Multi-AZ (stage and prod), 7 days of automated backups (prod: 30), one
//!   read replica (stage and prod), encrypted, its master password managed by
//!   RDS in Secrets Manager and handed to the backends as an ECS secret (by
//!   reference: the value is never in the task definition). Deletion
//!   protection in prod.
//! * Memcached "including automatic failover, backups, and replicas":
//!   Memcached has none of the three; it is read as one node per AZ (prod:
//!   two per AZ is not possible either: a node count, spread over the AZs).
//! * OpenVPN: an Ubuntu instance in a public subnet with an Elastic IP,
//!   admitting UDP 1194 from anywhere and nothing else; its clients reach
//!   the private subnets (the database admits it on 5432). OpenVPN itself is
//!   installed by the instance's user data; its configuration and client
//!   certificates are out of scope.
//! * Lambda examples: left out until the serverless issue has landed.
//! * CloudWatch: a log group per service (30 days; prod 90); alarms on the
//!   public ALB, the database and each service's CPU, to an SNS topic with an
//!   e-mail subscription.

#![allow(dead_code)]

use strata::aws::acm::{Certificate, CertificateValidation};
use strata::aws::cloudfront::Distribution;
use strata::aws::cloudwatch::{defaults as alarms, Compare, MetricAlarm};
use strata::aws::ec2::{Ami, ElasticIp, Instance, NatStrategy, Network, Rule, SecurityGroup};
use strata::aws::ecs::{Cluster, Container, Service, TaskDefinition};
use strata::aws::elasticache::{CacheCluster, CacheSubnetGroup};
use strata::aws::elbv2::{Action, Condition, Listener, ListenerRule, LoadBalancer, TargetGroup};
use strata::aws::iam::{PolicyDocument, Role, Statement};
use strata::aws::logs::LogGroup;
use strata::aws::rds::{DbInstance, DbSubnetGroup};
use strata::aws::route53::{HostedZone, Record, CLOUDFRONT_ZONE_ID};
use strata::aws::s3::{Bucket, BucketPolicy};
use strata::aws::sns::Topic;
use strata::prelude::*;

/// The region of every environment.
pub const REGION: &str = "eu-central-1";
/// CloudFront's certificates live here.
pub const EDGE_REGION: &str = "us-east-1";
/// The AWS-managed policy of the role ECS uses to start tasks.
pub const EXECUTION_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// One containerised service.
#[derive(Clone, Debug)]
pub struct App {
    /// Its name (`web`, `orders`).
    pub name: &'static str,
    pub image: &'static str,
    /// The container's port.
    pub port: u16,
    /// Fargate CPU units and memory (MiB).
    pub cpu: i64,
    pub memory: i64,
    /// Tasks to keep running.
    pub count: i64,
    /// `None`: the front end (public ALB); `Some("/orders")`: a backend at this
    /// path of the internal ALB.
    pub path: Option<&'static str>,
}

/// One environment's settings.
#[derive(Clone, Debug)]
pub struct Env {
    /// The stack name (`refarch-prod`).
    pub stack: String,
    /// The `env` tag and the names' environment part (`prod`).
    pub env: &'static str,
    /// The VPC's CIDR (a /16); subnets are /20s of it (`Network`'s layout).
    pub cidr: &'static str,
    /// The parent domain: the environment's zone is `<env>.<domain>`.
    pub domain: &'static str,
    pub apps: Vec<App>,
    pub db_class: &'static str,
    pub db_version: &'static str,
    pub db_storage_gb: i64,
    pub db_multi_az: bool,
    pub db_replica: bool,
    pub db_backup_days: i64,
    pub db_protect: bool,
    /// The RDS identifier (account-wide unique).
    pub db_identifier: String,
    pub cache_node_type: &'static str,
    pub cache_nodes: i64,
    /// The Memcached cluster id (account-wide unique, 1-50 characters).
    pub cache_id: String,
    /// Load balancer names (account-wide unique, 32 characters at most).
    pub public_alb: String,
    pub internal_alb: String,
    /// A NAT gateway in each AZ (otherwise one).
    pub nat_per_az: bool,
    pub vpn_instance_type: &'static str,
    pub log_days: i64,
    pub alarm_email: &'static str,
}

/// The two AZs of every environment.
pub const AZS: [&str; 2] = ["eu-central-1a", "eu-central-1b"];

impl Env {
    /// A copy whose account-wide unique names carry `tag` (tests use this).
    pub fn isolated(mut self, tag: &str) -> Env {
        self.stack = format!("{tag}-{}", self.stack);
        self.db_identifier = format!("{tag}-{}", self.db_identifier);
        self.cache_id = format!("{tag}-{}", self.cache_id).chars().take(50).collect();
        self.public_alb = format!("{tag}-{}", self.public_alb).chars().take(32).collect();
        self.internal_alb = format!("{tag}-{}", self.internal_alb).chars().take(32).collect();
        self
    }

    /// The environment's public zone.
    pub fn zone(&self) -> String {
        format!("{}.{}", self.env, self.domain)
    }

    /// The environment's private zone.
    pub fn private_zone(&self) -> String {
        format!("{}.refarch.internal", self.env)
    }
}

/// The OpenVPN server's first boot: install OpenVPN (its configuration and
/// the clients' certificates are the operators').
const VPN_USER_DATA: &str = "#!/bin/bash\nset -euo pipefail\napt-get update\napt-get install -y openvpn easy-rsa\n";

/// Build the environment's stack.
pub fn stack(env: &Env) -> Stack {
    let mut s = Stack::new(env.stack.as_str(), REGION);
    s.default_tag("env", env.env);
    s.default_tag("project", "refarch");

    // Network: a public and a private subnet in each AZ (the `Network`
    // component's default layout), one NAT or one per AZ.
    let nat = if env.nat_per_az { NatStrategy::PerAz } else { NatStrategy::One };
    let net = Network::new(env.cidr).azs(AZS).nat(nat).build(&mut s, "net");
    let vpc = net.vpc.clone();
    let publics: Vec<Output<String>> = net.public_subnets.iter().map(|x| x.id()).collect();
    let privates: Vec<Output<String>> = net.private_subnets.iter().map(|x| x.id()).collect();

    // Security groups, tier by tier.
    let public_alb_sg = s.add(
        "public-alb-sg",
        SecurityGroup::new(vpc.id()).description("Public ALB: HTTP and HTTPS from anywhere").ingress(Rule::tcp(80).cidr("0.0.0.0/0")).ingress(Rule::tcp(443).cidr("0.0.0.0/0")).allow_all_egress(),
    );
    let web_sg = s.add("web-sg", SecurityGroup::new(vpc.id()).description("Front-end tasks: from the public ALB").allow_all_egress());
    let backend_sg = s.add("backend-sg", SecurityGroup::new(vpc.id()).description("Backend tasks: from the internal ALB").allow_all_egress());
    let internal_alb_sg = s.add(
        "internal-alb-sg",
        SecurityGroup::new(vpc.id())
            .description("Internal ALB: HTTP from the services")
            .ingress(Rule::tcp(80).group(web_sg.id()))
            .ingress(Rule::tcp(80).group(backend_sg.id()))
            .allow_all_egress(),
    );
    let vpn_sg = s.add("vpn-sg", SecurityGroup::new(vpc.id()).description("OpenVPN: UDP 1194 from anywhere, the only way in").ingress(Rule::udp(1194).cidr("0.0.0.0/0")).allow_all_egress());
    let db_sg = s.add(
        "db-sg",
        SecurityGroup::new(vpc.id()).description("Postgres: the backends and the VPN").ingress(Rule::tcp(5432).group(backend_sg.id())).ingress(Rule::tcp(5432).group(vpn_sg.id())),
    );
    let cache_sg = s.add("cache-sg", SecurityGroup::new(vpc.id()).description("Memcached: the backends").ingress(Rule::tcp(11211).group(backend_sg.id())));

    // DNS and certificates.
    let zone = s.add("zone", HostedZone::public(&env.zone()).comment(&format!("Reference architecture, {}", env.env)));
    let internal = s.add("internal-zone", HostedZone::private(&env.private_zone(), vpc.id()).comment("Service discovery"));
    let (app_name, www_name) = (format!("app.{}", env.zone()), format!("www.{}", env.zone()));
    let edge = || ResourceOptions::new().region(EDGE_REGION);
    let alb_cert = s.add("alb-cert", Certificate::dns([app_name.clone()]));
    let cdn_cert = s.add_with("cdn-cert", Certificate::dns([www_name.clone()]), edge());
    let alb_rec = s.add("dns/validation/app", Record::cname(zone.zone_id(), alb_cert.validation_record_name_for(&app_name), alb_cert.validation_record_value_for(&app_name)).ttl(300));
    let cdn_rec = s.add("dns/validation/www", Record::cname(zone.zone_id(), cdn_cert.validation_record_name_for(&www_name), cdn_cert.validation_record_value_for(&www_name)).ttl(300));
    let alb_issued = s.add("alb-cert-issued", CertificateValidation::new(alb_cert.arn()).record(alb_rec.fqdn()));
    let cdn_issued = s.add_with("cdn-cert-issued", CertificateValidation::new(cdn_cert.arn()).record(cdn_rec.fqdn()), edge());

    // Load balancers: public in front of the web app, internal by path.
    let public_alb = s.add("public-alb", LoadBalancer::internet_facing(publics.clone()).name(&env.public_alb).security_group(public_alb_sg.id()));
    let internal_alb = s.add("internal-alb", LoadBalancer::internal(privates.clone()).name(&env.internal_alb).security_group(internal_alb_sg.id()));
    s.add("http", Listener::http(public_alb.arn(), 80, Action::redirect_to_https()));
    let api = s.add("api", Listener::http(internal_alb.arn(), 80, Action::fixed_response(404, "text/plain", "No such service")));
    let api_url = format!("http://api.{}", env.private_zone());
    s.add("dns/app", Record::alias(zone.zone_id(), &app_name, public_alb.dns_name(), public_alb.zone_id()));
    s.add("dns/api", Record::alias(internal.zone_id(), format!("api.{}", env.private_zone()), internal_alb.dns_name(), internal_alb.zone_id()));

    // Data stores.
    let db_subnets = s.add("db-subnets", DbSubnetGroup::new(privates.clone()).description("Private subnets"));
    let mut db = DbInstance::postgres(env.db_version, env.db_class)
        .identifier(&env.db_identifier)
        .storage_gb(env.db_storage_gb)
        .storage_type("gp3")
        .max_storage_gb(env.db_storage_gb * 5)
        .multi_az(env.db_multi_az)
        .backup_retention_days(env.db_backup_days)
        .subnet_group(db_subnets.group_name())
        .security_group(db_sg.id())
        .deletion_protection(env.db_protect);
    if !env.db_protect {
        db = db.skip_final_snapshot();
    }
    let db = s.add("db", db);
    let replica = env.db_replica.then(|| s.add("db-replica", DbInstance::read_replica(db.identifier(), env.db_class).identifier(&format!("{}-ro", env.db_identifier))));
    let cache_subnets = s.add("cache-subnets", CacheSubnetGroup::new(privates.clone()).description("Private subnets"));
    let cache = s.add(
        "cache",
        CacheCluster::memcached("1.6.22", env.cache_node_type).id(&env.cache_id).nodes(env.cache_nodes).subnet_group(cache_subnets.group_name()).security_group(cache_sg.id()),
    );
    s.add("dns/db", Record::cname(internal.zone_id(), format!("db.{}", env.private_zone()), db.endpoint()).ttl(60));
    if let Some(r) = &replica {
        s.add("dns/db-ro", Record::cname(internal.zone_id(), format!("db-ro.{}", env.private_zone()), r.endpoint()).ttl(60));
    }
    s.add("dns/cache", Record::cname(internal.zone_id(), format!("cache.{}", env.private_zone()), cache.configuration_endpoint()).ttl(60));

    // ECS: one cluster, a Fargate service per app.
    let cluster = s.add("cluster", Cluster::new().capacity_provider("FARGATE").capacity_provider("FARGATE_SPOT"));
    let db_password = db.master_secret_arn().map(|arn| format!("{arn}:password::"));
    let execution = s.add(
        "task-execution",
        Role::new(PolicyDocument::assumed_by("ecs-tasks.amazonaws.com"))
            .description("ECS: pull images, write logs, read the database password")
            .attach(EXECUTION_POLICY)
            .inline_policy("db-password", PolicyDocument::new().statement(Statement::allow().action("secretsmanager:GetSecretValue").resource(db.master_secret_arn()))),
    );
    let https = s.add("https", Listener::https(public_alb.arn(), 443, alb_issued.certificate_arn(), Action::fixed_response(404, "text/plain", "Not found")));
    let topic = s.add("alerts", Topic::new().display_name(format!("refarch {} alarms", env.env)).email_subscription(env.alarm_email));
    let topic_arn = topic.arn();
    let mut web_tg = None;
    for (n, app) in env.apps.iter().enumerate() {
        let logs = s.add(format!("{}-logs", app.name), LogGroup::new().retention_days(env.log_days));
        let tg = s.add(format!("{}-tg", app.name), TargetGroup::http(vpc.id(), app.port).ip_targets());
        let mut container = Container::new(app.name, app.image).port(app.port).env("ENV", env.env).env("API_URL", api_url.as_str()).logs(logs.group_name(), app.name);
        let group = match app.path {
            None => {
                s.add(format!("{}-route", app.name), ListenerRule::new(https.arn(), 100, Action::forward(tg.arn())).when(Condition::path_pattern(["/*"])));
                web_tg = Some(tg.arn());
                web_sg.id()
            }
            Some(path) => {
                container = container
                    .env("DB_HOST", format!("db.{}", env.private_zone()))
                    .env("CACHE_HOST", format!("cache.{}", env.private_zone()))
                    .secret("DB_PASSWORD", db_password.clone());
                let priority = 10 + i64::try_from(n).unwrap_or_default();
                s.add(format!("{}-route", app.name), ListenerRule::new(api.arn(), priority, Action::forward(tg.arn())).when(Condition::path_pattern([format!("{path}/*")])));
                backend_sg.id()
            }
        };
        let td = s.add(app.name, TaskDefinition::fargate(app.cpu, app.memory).execution_role(execution.arn()).container(container));
        let svc = s.add(
            format!("{}-svc", app.name),
            Service::fargate(cluster.arn(), td.arn(), privates.clone(), [group])
                .desired_count(app.count)
                .load_balancer(tg.arn(), app.name, app.port)
                .health_check_grace_period(60),
        );
        s.add(
            format!("alarms/{}-cpu", app.name),
            MetricAlarm::new("AWS/ECS", "CPUUtilization", "Average", Compare::GreaterThan, 80.0)
                .dimension("ClusterName", cluster.cluster_name())
                .dimension("ServiceName", svc.service_name())
                .period_seconds(300)
                .alarm_action(topic_arn.clone()),
        );
    }
    // The front end's port, admitted from the public ALB; the backends', from
    // the internal one (a rule per tier and port: two backends on one port
    // share it).
    let mut admitted = std::collections::BTreeSet::new();
    for app in &env.apps {
        let (tier, sg, from) = if app.path.is_none() { ("web", &web_sg, &public_alb_sg) } else { ("backend", &backend_sg, &internal_alb_sg) };
        if admitted.insert((tier, app.port)) {
            s.add(format!("{tier}-ingress-{}", app.port), strata::aws::ec2::SecurityGroupRule::ingress(sg.id(), Rule::tcp(app.port).group(from.id())));
        }
    }

    // Static content: S3 behind CloudFront, readable only by the distribution.
    let bucket = s.add("static", Bucket::new().force_destroy(!env.db_protect));
    let cdn = s.add(
        "cdn",
        Distribution::new("app", app_name.as_str())
            .s3_origin("static", bucket.regional_domain_name())
            .cached_path("/static/*", "static")
            .alias(&www_name)
            .certificate(cdn_issued.certificate_arn())
            .comment(&format!("refarch {}", env.env)),
    );
    s.add("static-policy", BucketPolicy::cloudfront_reads(bucket.bucket_name(), bucket.arn(), cdn.arn()));
    s.add("dns/www", Record::alias(zone.zone_id(), &www_name, cdn.domain_name(), CLOUDFRONT_ZONE_ID));

    // The OpenVPN server: the only way into the private subnets.
    let ubuntu = s.lookup::<Ami>("ubuntu-20.04", Ami::ubuntu_2004());
    let vpn = s.add(
        "vpn",
        Instance::new(ubuntu.id(), env.vpn_instance_type, publics[0].clone()).security_group(vpn_sg.id()).user_data(VPN_USER_DATA).tag("Name", format!("openvpn-{}", env.env)),
    );
    let vpn_ip = s.add("vpn-eip", ElasticIp::new().instance(vpn.id()).tag("Name", format!("openvpn-{}", env.env)));
    s.add("dns/vpn", Record::a(zone.zone_id(), format!("vpn.{}", env.zone()), [vpn_ip.public_ip()]).ttl(300));

    // Alarms.
    if let Some(tg) = &web_tg {
        s.component("alarms", |s| {
            alarms::alb(s, "public-alb", &public_alb.arn(), tg, &topic_arn);
            alarms::rds(s, "db", &db.identifier(), 400, &topic_arn);
        });
    }

    s.export("www", Output::known(www_name));
    s.export("cloudfront_domain", cdn.domain_name());
    s.export("public_alb_dns_name", public_alb.dns_name());
    s.export("internal_alb_dns_name", internal_alb.dns_name());
    s.export("cluster", cluster.cluster_name());
    s.export("db_endpoint", db.endpoint());
    if let Some(r) = replica {
        s.export("db_replica_endpoint", r.endpoint());
    }
    s.export("cache_endpoint", cache.configuration_endpoint());
    s.export("vpn_public_ip", vpn_ip.public_ip());
    s.export("name_servers", zone.name_servers());
    s
}
