//! "ReClothes" (`shared/design/seeds/001_7bcb9c20a907b914.txt`, summarised in
//! `shared/design/other-systems.md`, system 4): a micro-services marketplace,
//! each service in a VPC of its own, the VPCs joined by one transit gateway,
//! buyers and staff entering through two REST APIs. `examples/reclothes.rs`
//! holds the environments' settings (an [`Env`] each) and picks one; this
//! module turns an `Env` into a [`Stack`].
//!
//! # Who owns what
//!
//! * Each environment (`reclothes-dev`, `reclothes-prod`) is one stack and
//!   owns everything it uses: the five service VPCs with their subnets,
//!   gateways, route tables, network ACLs and security groups, the transit
//!   gateway and its route table, the VPN, both APIs with their VPC links,
//!   the web ACL, the zone, certificates, databases, caches, queues, topics,
//!   repositories, the static site, the trail and the alarms. Nothing is
//!   shared between environments.
//!
//! # Readings of the design (where it is vague)
//!
//! * Services: auth, cart (the shopping cart), customer, billing and
//!   donation, a /16 each (`10.1.0.0/16` ... `10.5.0.0/16`), two AZs, per AZ
//!   a public and a private subnet (the `Network` component's layout), one
//!   NAT gateway per VPC (prod: one per AZ) "for OS patching and payment
//!   calls".
//! * The transit gateway has no default association or propagation: one
//!   route table serves all five attachments (each in the VPC's private
//!   subnets) and holds a static route per VPC; each VPC's private route
//!   table sends each other VPC's CIDR to the gateway. No other path joins
//!   two VPCs (no peering, and public route tables reach only the internet).
//! * Network ACLs: public subnets admit HTTP/HTTPS from anywhere, everything
//!   from the other VPCs (10.0.0.0/8) and return traffic on ephemeral ports,
//!   and deny the blocked ranges first; private subnets admit the VPCs, the
//!   office (over the VPN) and return traffic from the NAT.
//! * Three security-group tiers per VPC: *public* (the service's network
//!   load balancer: HTTP from 10.0.0.0/8, which is where API Gateway's VPC
//!   link and the other services come from), *compute* (the Kubernetes
//!   workers: the service port from the public tier only) and *database*
//!   (PostgreSQL and Redis from the compute tier only).
//! * Kubernetes via kOps: the control plane is kOps' own and out of scope;
//!   the worker instances are declared (Ubuntu, in the private subnets, in
//!   the compute tier), one per VPC in dev and two in prod. Registering
//!   them with the load balancer's target group is kOps' (its node groups
//!   are auto-scaling groups), not declared here.
//! * The APIs: the external one (buyers and donors) routes `/<service>/...`
//!   of every service to the service's NLB through a VPC link, at
//!   `api.<env>.<domain>` (an ACM certificate, a base path mapping, a Route
//!   53 alias), behind a regional WAF web ACL (SQL injection, the common
//!   rule set with its cross-site scripting rules, known bad inputs, an IP
//!   block list, a rate limit per address). The internal one (staff) routes
//!   the management services (auth, customer, billing, donation), takes only
//!   signed requests (`AWS_IAM`) from the office's addresses (its resource
//!   policy); the design resolves its domain in the company's own DNS, so it
//!   has none here. Shield Standard protects every API without being
//!   declared; Shield Advanced is a subscription, not declared.
//! * The VPN: a VPN gateway on the auth VPC (where staff authenticate), a
//!   customer gateway at the office's address and a static-route VPN
//!   connection to the office network; the auth VPC's private route table
//!   sends the office network through the VPN gateway.
//! * Data: PostgreSQL for every domain with a database of its own (auth,
//!   cart, customer, billing; the design's admin and locker domains have no
//!   VPC in its list of five and are left out), Redis for the cart and for
//!   the system configuration (in the auth VPC), an SQS queue with a
//!   dead-letter queue for the cart's asynchronous writes, an SNS topic of
//!   order events with a queue for its slow tasks. DocumentDB holds the
//!   cart's product catalogue (a cluster in the cart VPC's private subnets,
//!   reached from the compute tier on 27017, its master password managed in
//!   Secrets Manager). Neither emulator implements DocumentDB: the program
//!   leaves it out when `AWS_ENDPOINT_URL` points at an emulator, and says so.
//! * ECR: a repository per service. S3 + CloudFront: the buyers' and staff's
//!   static files at `static.<env>.<domain>`. CloudTrail to a bucket.
//!   CloudWatch: alarms on each database and on the external API's 5XX
//!   errors, to an e-mail topic.

#![allow(dead_code)]

use strata::aws::acm::{Certificate, CertificateValidation};
use strata::aws::apigateway::{DomainName, Method, RestApi, VpcLink};
use strata::aws::cloudfront::Distribution;
use strata::aws::cloudtrail::Trail;
use strata::aws::cloudwatch::{defaults as alarms, Compare, MetricAlarm};
use strata::aws::ec2::{
    AclEntry, Ami, CustomerGateway, Instance, NatStrategy, Network, NetworkAcl, Route, Rule, SecurityGroup, TransitGateway, TransitGatewayRouteTable,
    TransitGatewayVpcAttachment, VpnConnection,
};
use strata::aws::ecr::{LifecycleRule, Repository};
use strata::aws::elasticache::{CacheSubnetGroup, ReplicationGroup};
use strata::aws::elbv2::{Action, Listener, LoadBalancer, TargetGroup};
use strata::aws::iam::{PolicyDocument, Statement};
use strata::aws::logs::LogGroup;
use strata::aws::docdb::{DocDbCluster, DocDbInstance, DocDbSubnetGroup};
use strata::aws::rds::{DbInstance, DbSubnetGroup};
use strata::aws::route53::{HostedZone, Record, CLOUDFRONT_ZONE_ID};
use strata::aws::s3::{Bucket, BucketPolicy};
use strata::aws::sns::Topic;
use strata::aws::sqs::Queue;
use strata::aws::wafv2::{IpSet, WafRule, WafScope, WebAcl};
use strata::prelude::*;

/// The region of every environment.
pub const REGION: &str = "eu-central-1";
/// CloudFront's certificates live here.
pub const EDGE_REGION: &str = "us-east-1";
/// The two AZs of every VPC.
pub const AZS: [&str; 2] = ["eu-central-1a", "eu-central-1b"];
/// The port the services listen on (on the workers).
pub const SERVICE_PORT: u16 = 8080;
/// The service whose VPC holds the VPN gateway.
pub const VPN_SERVICE: &str = "auth";
/// Where every VPC's CIDR lies (the other services, API Gateway's VPC links).
pub const ALL_VPCS: &str = "10.0.0.0/8";
/// The service whose VPC holds the product catalogue.
pub const CATALOGUE_SERVICE: &str = "cart";
/// The stage of both APIs.
pub const STAGE: &str = "v1";

/// One micro-service and its VPC.
#[derive(Clone, Debug)]
pub struct Service {
    /// Its name (`cart`), and the first segment of its API paths.
    pub name: &'static str,
    /// Its VPC's CIDR (a /16).
    pub cidr: &'static str,
    /// A PostgreSQL database of its own.
    pub db: bool,
    /// A Redis replication group in its VPC.
    pub cache: bool,
    /// Served by the external API (buyers, donors).
    pub external: bool,
    /// Served by the internal API (staff).
    pub internal: bool,
}

/// The cart's product catalogue on DocumentDB.
#[derive(Clone, Debug)]
pub struct Catalogue {
    /// The instances' class, and how many (the first writes, the others read
    /// and take over).
    pub instance_class: &'static str,
    pub instances: usize,
}

/// One environment's settings.
#[derive(Clone, Debug)]
pub struct Env {
    /// The stack name (`reclothes-prod`).
    pub stack: String,
    /// The `env` tag (`prod`).
    pub env: &'static str,
    /// The parent domain: the environment's zone is `<env>.<domain>`.
    pub domain: &'static str,
    pub services: Vec<Service>,
    /// The AWS account (CloudTrail's bucket policy names it).
    pub account: &'static str,
    /// The office network behind the VPN, its public address and BGP ASN.
    pub office_cidr: &'static str,
    pub office_ip: &'static str,
    pub office_asn: i64,
    /// Address ranges the web ACL and the public network ACLs refuse.
    pub blocked_cidrs: Vec<&'static str>,
    /// Kubernetes workers per VPC, and their instance type.
    pub workers: usize,
    pub worker_type: &'static str,
    pub db_class: &'static str,
    pub db_version: &'static str,
    pub db_multi_az: bool,
    pub db_protect: bool,
    pub cache_node_type: &'static str,
    /// The catalogue (none: not declared, as on an emulator).
    pub catalogue: Option<Catalogue>,
    /// A NAT gateway in each AZ (otherwise one per VPC).
    pub nat_per_az: bool,
    /// The prefix of account-wide unique names (load balancers, databases,
    /// caches, APIs).
    pub names: String,
    pub log_days: i64,
    pub alarm_email: &'static str,
}

impl Env {
    /// A copy whose account-wide unique names carry `tag` (tests use this).
    pub fn isolated(mut self, tag: &str) -> Env {
        self.stack = format!("{tag}-{}", self.stack);
        self.names = format!("{tag}-{}", self.names);
        self
    }

    /// The environment's public zone.
    pub fn zone(&self) -> String {
        format!("{}.{}", self.env, self.domain)
    }

    /// An account-wide unique name for `what` of the environment, `max`
    /// characters at most.
    fn unique(&self, what: &str, max: usize) -> String {
        format!("{}-{what}", self.names).chars().take(max).collect()
    }
}

/// What one service's part of the stack exposes to the rest.
struct Deployed {
    service: Service,
    attachment: Output<String>,
    link: Output<String>,
    nlb_dns: Output<String>,
    vpn_gateway: Option<Output<String>>,
}

/// The network ACL of the public subnets.
fn public_acl(env: &Env, vpc: Output<String>, subnets: &[Output<String>]) -> NetworkAcl {
    let mut acl = NetworkAcl::new(vpc);
    for (i, cidr) in env.blocked_cidrs.iter().enumerate() {
        acl = acl.entry(AclEntry::deny_in(50 + i64::try_from(i).unwrap_or(0), cidr));
    }
    acl = acl
        .entry(AclEntry::allow_in(100, "0.0.0.0/0", 80, 80))
        .entry(AclEntry::allow_in(110, "0.0.0.0/0", 443, 443))
        .entry(AclEntry::allow_in(120, ALL_VPCS, 0, 0).protocol("all"))
        .entry(AclEntry::allow_in(130, "0.0.0.0/0", 1024, 65535))
        .entry(AclEntry::allow_out(100, "0.0.0.0/0", 0, 0).protocol("all"));
    subnets.iter().fold(acl, |a, s| a.associate(s.clone()))
}

/// The network ACL of the private subnets.
fn private_acl(env: &Env, vpc: Output<String>, subnets: &[Output<String>]) -> NetworkAcl {
    let acl = NetworkAcl::new(vpc)
        .entry(AclEntry::allow_in(100, ALL_VPCS, 0, 0).protocol("all"))
        .entry(AclEntry::allow_in(110, env.office_cidr, 0, 0).protocol("all"))
        .entry(AclEntry::allow_in(120, "0.0.0.0/0", 1024, 65535))
        .entry(AclEntry::allow_out(100, "0.0.0.0/0", 0, 0).protocol("all"));
    subnets.iter().fold(acl, |a, s| a.associate(s.clone()))
}

/// One service's VPC and everything in it.
fn service(s: &mut Stack, env: &Env, svc: &Service, tgw: &Output<String>, ubuntu: &Output<String>, topic: &Output<String>) -> Deployed {
    let nat = if env.nat_per_az { NatStrategy::PerAz } else { NatStrategy::One };
    let mut net = Network::new(svc.cidr).azs(AZS).nat(nat);
    for other in env.services.iter().filter(|o| o.name != svc.name) {
        net = net.private_route(Route::to_transit_gateway(other.cidr, tgw.clone()));
    }
    if svc.name == VPN_SERVICE {
        net = net.vpn_gateway(64620, [env.office_cidr]);
    }
    let net = net.build(s, "net");
    let vpc = net.vpc.id();
    let publics: Vec<Output<String>> = net.public_subnets.iter().map(|x| x.id()).collect();
    let privates: Vec<Output<String>> = net.private_subnets.iter().map(|x| x.id()).collect();
    s.add("public-acl", public_acl(env, vpc.clone(), &publics));
    s.add("private-acl", private_acl(env, vpc.clone(), &privates));

    // Three tiers.
    let public_sg = s.add(
        "public-sg",
        SecurityGroup::new(vpc.clone())
            .description(format!("{}: public tier (its load balancer): HTTP from the VPCs and the VPC link", svc.name))
            .ingress(Rule::tcp(80).cidr(ALL_VPCS))
            .egress(Rule::tcp(SERVICE_PORT).cidr(svc.cidr)),
    );
    let compute_sg = s.add(
        "compute-sg",
        SecurityGroup::new(vpc.clone())
            .description(format!("{}: compute tier (Kubernetes workers): the service port from the public tier", svc.name))
            .ingress(Rule::tcp(SERVICE_PORT).group(public_sg.id()))
            .allow_all_egress(),
    );
    let mut db_sg = SecurityGroup::new(vpc.clone()).description(format!("{}: database tier: from the compute tier only", svc.name));
    if svc.db {
        db_sg = db_sg.ingress(Rule::tcp(5432).group(compute_sg.id()));
    }
    if svc.cache {
        db_sg = db_sg.ingress(Rule::tcp(6379).group(compute_sg.id()));
    }
    let catalogue = env.catalogue.as_ref().filter(|_| svc.name == CATALOGUE_SERVICE);
    if catalogue.is_some() {
        db_sg = db_sg.ingress(Rule::tcp(27017).group(compute_sg.id()));
    }
    let db_sg = s.add("db-sg", db_sg);

    // The service's entry: an internal NLB in the public tier.
    let nlb = s.add("nlb", LoadBalancer::internal(publics.clone()).network().cross_zone(true).name(&env.unique(svc.name, 32)).security_group(public_sg.id()));
    let workers = s.add("workers-tg", TargetGroup::tcp(vpc.clone(), SERVICE_PORT));
    s.add("http", Listener::tcp(nlb.arn(), 80, Action::forward(workers.arn())));
    for i in 0..env.workers {
        let subnet = privates[i % privates.len()].clone();
        s.add(
            format!("worker-{i}"),
            Instance::new(ubuntu.clone(), env.worker_type, subnet)
                .security_group(compute_sg.id())
                .tag("Name", format!("{}-{}-worker-{i}", env.names, svc.name))
                .tag("kubernetes.io/role/node", "1"),
        );
    }
    s.add("ecr", Repository::new().image_tag_mutability("IMMUTABLE").lifecycle_rule(LifecycleRule::keep_last(30)));

    // Data.
    if svc.db {
        let subnets = s.add("db-subnets", DbSubnetGroup::new(privates.clone()).description(format!("ReClothes {} database", svc.name)));
        let mut db = DbInstance::postgres(env.db_version, env.db_class)
            .identifier(&env.unique(svc.name, 63))
            .storage_gb(20)
            .storage_type("gp3")
            .max_storage_gb(100)
            .multi_az(env.db_multi_az)
            .backup_retention_days(7)
            .subnet_group(subnets.group_name())
            .security_group(db_sg.id())
            .deletion_protection(env.db_protect);
        if !env.db_protect {
            db = db.skip_final_snapshot();
        }
        let db = s.add("db", db);
        alarms::rds(s, "alarms/db", &db.identifier(), 200, topic);
    }
    if svc.cache {
        let subnets = s.add("cache-subnets", CacheSubnetGroup::new(privates.clone()).description(format!("ReClothes {} cache", svc.name)));
        let replicas = i64::from(env.db_multi_az);
        s.add(
            "cache",
            ReplicationGroup::redis("7.1", env.cache_node_type)
                .id(&env.unique(svc.name, 40))
                .description(format!("ReClothes {}", if svc.name == "cart" { "shopping carts" } else { "system configuration" }))
                .replicas(replicas)
                .automatic_failover(env.db_multi_az)
                .multi_az(env.db_multi_az)
                .subnet_group(subnets.group_name())
                .security_group(db_sg.id()),
        );
    }

    if let Some(c) = catalogue {
        let subnets = s.add("catalogue-subnets", DocDbSubnetGroup::new(privates.clone()).description("ReClothes product catalogue"));
        let cluster = s.add(
            "catalogue",
            DocDbCluster::new(subnets.group_name(), "catalogue")
                .identifier(env.unique("catalogue", 63))
                .security_group_ids([db_sg.id()])
                .backup_retention_days(7)
                .log_exports(["audit"])
                .deletion_protection(env.db_protect)
                .final_snapshot(env.db_protect),
        );
        for i in 0..c.instances {
            s.add(format!("catalogue-{i}"), DocDbInstance::new(cluster.identifier(), c.instance_class).identifier(env.unique(&format!("catalogue-{i}"), 63)));
        }
    }

    let link = s.add("vpc-link", VpcLink::new(nlb.arn()).description(format!("API Gateway to {}", svc.name)));
    let attachment = s.add("tgw-attachment", TransitGatewayVpcAttachment::new(tgw.clone(), vpc, privates));
    Deployed { service: svc.clone(), attachment: attachment.id(), link: link.id(), nlb_dns: nlb.dns_name(), vpn_gateway: net.vpn_gateway.map(|g| g.id()) }
}

/// A REST API routing `/<service>` and `/<service>/...` of each of `served`.
fn api(name: &str, description: &str, served: &[&Deployed], iam: bool) -> RestApi {
    let mut api = RestApi::new(STAGE).name(name).description(description).method(Method::mock("GET", "/health")).tracing(true);
    for d in served {
        let n = d.service.name;
        let root = Method::private("ANY", &format!("/{n}"), d.link.clone(), format_output("http://{}/", std::slice::from_ref(&d.nlb_dns)));
        let rest = Method::private("ANY", &format!("/{n}/{{proxy+}}"), d.link.clone(), format_output("http://{}/{proxy}", std::slice::from_ref(&d.nlb_dns)));
        let (root, rest) = if iam { (root.iam(), rest.iam()) } else { (root, rest) };
        api = api.method(root).method(rest);
    }
    api
}

/// Build the environment's stack.
pub fn stack(env: &Env) -> Stack {
    let mut s = Stack::new(env.stack.as_str(), REGION);
    s.default_tag("project", "reclothes");
    s.default_tag("env", env.env);
    let edge = || ResourceOptions::new().region(EDGE_REGION);

    let topic = s.add("alerts", Topic::new().display_name(format!("ReClothes {} alarms", env.env)).email_subscription(env.alarm_email));
    let tgw = s.add("tgw", TransitGateway::new().description(format!("ReClothes {}: joins the service VPCs", env.env)).amazon_side_asn(64600));
    let ubuntu = s.lookup::<Ami>("ubuntu-20.04", Ami::ubuntu_2004());
    let deployed: Vec<Deployed> = env.services.iter().map(|svc| s.component(svc.name, |s| service(s, env, svc, &tgw.id(), &ubuntu.id(), &topic.arn()))).collect();

    // One transit-gateway route table: every VPC, a static route each.
    let mut routes = TransitGatewayRouteTable::new(tgw.id());
    for d in &deployed {
        routes = routes.associate(d.attachment.clone()).route(d.service.cidr, d.attachment.clone());
    }
    s.add("tgw-routes", routes);

    // The staff's VPN.
    let office = s.add("office", CustomerGateway::new(env.office_asn, env.office_ip).tag("Name", "ReClothes office"));
    let vpn = deployed.iter().find_map(|d| d.vpn_gateway.clone()).map(|vgw| s.add("office-vpn", VpnConnection::to_vpn_gateway(office.id(), vgw).static_route(env.office_cidr)));

    // The APIs.
    let logs = s.add("api-logs", LogGroup::new().retention_days(env.log_days));
    let external_name = env.unique("external", 128);
    let external: Vec<&Deployed> = deployed.iter().filter(|d| d.service.external).collect();
    let external = s.add("external-api", api(&external_name, "ReClothes buyers and donors", &external, false).throttling(2000, 1000).access_logs(logs.arn()));
    let internal: Vec<&Deployed> = deployed.iter().filter(|d| d.service.internal).collect();
    let office_only = PolicyDocument::new().statement(
        Statement::allow().any_principal().action("execute-api:Invoke").resource("execute-api:/*").condition("IpAddress", "aws:SourceIp", [env.office_cidr, &format!("{}/32", env.office_ip)]),
    );
    let internal = s.add("internal-api", api(&env.unique("internal", 128), "ReClothes staff", &internal, true).policy(office_only).throttling(200, 100).access_logs(logs.arn()));
    let blocked = s.add("blocked", IpSet::new(WafScope::Regional, env.blocked_cidrs.clone()));
    s.add(
        "external-acl",
        WebAcl::new(WafScope::Regional)
            .description(&format!("ReClothes {} external API", env.env))
            .rule(WafRule::block_ip_set("blocked", blocked.arn()))
            .rule(WafRule::sql_injection())
            .rule(WafRule::common())
            .rule(WafRule::known_bad_inputs())
            .rule(WafRule::rate_limit("per-ip", 2000))
            .associate(external.stage_arn()),
    );
    s.add(
        "alarms/external-5xx",
        MetricAlarm::new("AWS/ApiGateway", "5XXError", "Sum", Compare::GreaterThan, 10.0)
            .dimension("ApiName", Output::known(external_name.clone()))
            .dimension("Stage", Output::known(STAGE.to_string()))
            .period_seconds(300)
            .alarm_action(topic.arn()),
    );

    // The external API's domain.
    let zone = s.add("zone", HostedZone::public(&env.zone()).comment(&format!("ReClothes {}", env.env)));
    let (api_name, static_name) = (format!("api.{}", env.zone()), format!("static.{}", env.zone()));
    let api_cert = s.add("api-cert", Certificate::dns([api_name.clone()]));
    let api_rec = s.add("dns/validation/api", Record::cname(zone.zone_id(), api_cert.validation_record_name_for(&api_name), api_cert.validation_record_value_for(&api_name)).ttl(300));
    let api_issued = s.add("api-cert-issued", CertificateValidation::new(api_cert.arn()).record(api_rec.fqdn()));
    let domain = s.add("api-domain", DomainName::new(&api_name, api_issued.certificate_arn()).mapping(external.id(), STAGE, ""));
    s.add("dns/api", Record::alias(zone.zone_id(), &api_name, domain.target_domain_name(), domain.hosted_zone_id()));

    // Messaging: the cart's asynchronous writes, order events.
    let dlq = s.add("cart-writes-dlq", Queue::new());
    s.add("cart-writes", Queue::new().dead_letter_queue(dlq.arn(), 5));
    let orders = s.add("order-events", Topic::new().display_name("ReClothes order events"));
    s.add("order-tasks", Queue::new().subscribe(orders.arn()));

    // Static files behind CloudFront.
    let bucket = s.add("static", Bucket::new().force_destroy(!env.db_protect));
    let cdn_cert = s.add_with("cdn-cert", Certificate::dns([static_name.clone()]), edge());
    let cdn_rec = s.add("dns/validation/static", Record::cname(zone.zone_id(), cdn_cert.validation_record_name_for(&static_name), cdn_cert.validation_record_value_for(&static_name)).ttl(300));
    let cdn_issued = s.add_with("cdn-cert-issued", CertificateValidation::new(cdn_cert.arn()).record(cdn_rec.fqdn()), edge());
    let cdn = s.add("cdn", Distribution::spa("static", bucket.regional_domain_name()).alias(&static_name).certificate(cdn_issued.certificate_arn()).comment(&format!("ReClothes {}", env.env)));
    s.add("static-policy", BucketPolicy::cloudfront_reads(bucket.bucket_name(), bucket.arn(), cdn.arn()));
    s.add("dns/static", Record::alias(zone.zone_id(), &static_name, cdn.domain_name(), CLOUDFRONT_ZONE_ID));

    // CloudTrail.
    let trail_logs = s.add("trail-logs", Bucket::new().force_destroy(!env.db_protect));
    let trail_arn = trail_logs.arn();
    let policy = s.add("trail-logs-policy", BucketPolicy::new(trail_logs.bucket_name(), Trail::bucket_policy(&trail_arn, Some("trail"), env.account)));
    s.add("trail", Trail::new(policy.bucket()).s3_key_prefix("trail"));

    s.export("api_url", external.invoke_url());
    s.export("api_domain", Output::known(api_name));
    s.export("internal_api_url", internal.invoke_url());
    s.export("transit_gateway", tgw.id());
    if let Some(vpn) = vpn {
        s.export("vpn_tunnel1", vpn.tunnel1_address());
        s.export("vpn_tunnel2", vpn.tunnel2_address());
    }
    s.export("static_domain", cdn.domain_name());
    s.export("name_servers", zone.name_servers());
    s
}
