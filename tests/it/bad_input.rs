//! The bad-input catalogue: malformed programs, one mistake each. Every one
//! must be refused with a specific error that names the resource and the field,
//! before any API call (the call counter must read zero), so that a typo changes
//! nothing. The endpoint is a closed port: a call would fail loudly anyway.

use strata::aws::acm::Certificate;
use strata::aws::docdb::{DocDbCluster, DocDbInstance};
use strata::aws::apigateway::{DomainName as RestDomain, Method as RestMethod, RestApi, VpcLink as RestVpcLink};
use strata::aws::apigatewayv2::{DomainName as ApiDomain, HttpApi, Route as ApiRoute};
use strata::aws::backup::{BackupRule, Plan, Vault};
use strata::aws::cloudfront::Distribution;
use strata::aws::cloudtrail::Trail;
use strata::aws::cognito::{UserPool, UserPoolClient};
use strata::aws::dynamodb::{GlobalIndex, Table};
use strata::aws::msk::Cluster as MskCluster;
use strata::aws::ecr::{LifecycleRule, Repository};
use strata::aws::ecs::{Container, Service, TaskDefinition};
use strata::aws::eks::{Addon, Cluster as EksCluster, FargateProfile, NodeGroup};
use strata::aws::ec2::{
    CustomerGateway, Instance, InternetGateway, Route, RouteTable, Rule, SecurityGroup, Subnet, TransitGateway, TransitGatewayRouteTable, TransitGatewayVpcAttachment, Vpc,
    VpnConnection,
};
use strata::aws::elasticache::{CacheCluster, CacheSubnetGroup, ReplicationGroup};
use strata::aws::elbv2::{Action, Listener, LoadBalancer, TargetGroup};
use strata::aws::iam::{InstanceProfile, ManagedPolicy, OpenIdConnectProvider, PolicyDocument, Role, Statement};
use strata::aws::kms::Key;
use strata::aws::lambda::{EventSourceMapping, Function, Permission};
use strata::aws::logs::LogGroup;
use strata::aws::opensearch::Domain;
use strata::aws::rds::{DbInstance, DbParameterGroup, DbSubnetGroup};
use strata::aws::route53::{HostedZone, Record};
use strata::aws::s3::{Bucket, BucketPolicy};
use strata::aws::secretsmanager::{Secret, SecretRotation};
use strata::aws::sqs::Queue;
use strata::aws::wafv2::{IpSet, WafScope, WebAcl};
use strata::engine::{CallCounter, Engine, EngineError};
use strata::prelude::*;

const REGION: &str = "eu-central-1";

/// One malformed program: what it gets wrong, how it is built, and the error
/// expected (resource, field, a phrase of the message).
struct Case {
    mistake: &'static str,
    build: fn(&mut Stack),
    resource: &'static str,
    field: Option<&'static str>,
    says: &'static str,
}

const fn case(mistake: &'static str, build: fn(&mut Stack), resource: &'static str, field: Option<&'static str>, says: &'static str) -> Case {
    Case { mistake, build, resource, field, says }
}

fn vpc(s: &mut Stack) -> Output<String> {
    s.add("vpc", Vpc::new("10.0.0.0/16")).id()
}

fn two_azs(s: &mut Stack) -> (Output<String>, Output<String>) {
    let v = vpc(s);
    let b = s.add("b", Subnet::new(v.clone(), "10.0.1.0/24", "eu-central-1b")).id();
    let c = s.add("c", Subnet::new(v, "10.0.2.0/24", "eu-central-1c")).id();
    (b, c)
}

fn one_az_groups(s: &mut Stack) -> (Output<String>, Output<String>) {
    let v = vpc(s);
    let b1 = s.add("b1", Subnet::new(v.clone(), "10.0.1.0/24", "eu-central-1b")).id();
    let b2 = s.add("b2", Subnet::new(v, "10.0.2.0/24", "eu-central-1b")).id();
    let db = s.add("db-subnets", DbSubnetGroup::new([b1.clone(), b2.clone()])).group_name();
    let cache = s.add("cache-subnets", CacheSubnetGroup::new([b1, b2])).group_name();
    (db, cache)
}

fn alb(s: &mut Stack) -> Output<String> {
    let (b, c) = two_azs(s);
    s.add("alb", LoadBalancer::internet_facing([b, c])).arn()
}

const EXEC_ROLE: &str = "arn:aws:iam::123456789012:role/ecs-execution";
const LAMBDA_ROLE: &str = "arn:aws:iam::123456789012:role/lambda";
const TD_ARN: &str = "arn:aws:ecs:eu-central-1:123456789012:task-definition/web:1";
const TG_ARN: &str = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/web/0123456789abcdef";

const ALB_ARN: &str = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/shop/0123456789abcdef";

const CASES: &[Case] = &[
    // CIDRs and overlaps.
    case("VPC CIDR with a /33", |s| drop(s.add("vpc", Vpc::new("10.0.0.0/33"))), "vpc", Some("cidr_block"), "10.0.0.0/33"),
    case("VPC larger than /16", |s| drop(s.add("vpc", Vpc::new("10.0.0.0/8"))), "vpc", Some("cidr_block"), "/16"),
    case("VPC CIDR that is not an address", |s| drop(s.add("vpc", Vpc::new("10.0.0.300/16"))), "vpc", Some("cidr_block"), "10.0.0.300/16"),
    case(
        "subnet outside its VPC",
        |s| {
            let v = vpc(s);
            s.add("sub", Subnet::new(v, "10.1.0.0/24", "eu-central-1a"));
        },
        "sub",
        Some("cidr_block"),
        "10.0.0.0/16",
    ),
    case(
        "subnets that overlap",
        |s| {
            let v = vpc(s);
            s.add("a", Subnet::new(v.clone(), "10.0.1.0/24", "eu-central-1a"));
            s.add("b", Subnet::new(v, "10.0.1.128/25", "eu-central-1b"));
        },
        "b",
        Some("cidr_block"),
        "overlap",
    ),
    case(
        "security group rule with a bad CIDR",
        |s| {
            let v = vpc(s);
            s.add("sg", SecurityGroup::new(v).ingress(Rule::tcp(443).cidr("0.0.0.0/40")));
        },
        "sg",
        Some("ingress"),
        "0.0.0.0/40",
    ),
    case(
        "route to a bad destination",
        |s| {
            let v = vpc(s);
            let igw = s.add("igw", InternetGateway::new().vpc_id(v.clone())).id();
            s.add("rt", RouteTable::new(v).route(Route::to_gateway("everywhere", igw)));
        },
        "rt",
        Some("routes"),
        "everywhere",
    ),
    case("IP set with a bad CIDR", |s| drop(s.add("ips", IpSet::new(WafScope::Regional, ["10.0.0.0/33"]))), "ips", Some("addresses"), "10.0.0.0/33"),
    // Availability zones.
    case(
        "subnet in another region's AZ",
        |s| {
            let v = vpc(s);
            s.add("sub", Subnet::new(v, "10.0.1.0/24", "eu-west-1a"));
        },
        "sub",
        Some("availability_zone"),
        "eu-west-1a",
    ),
    case(
        "Multi-AZ database on one AZ",
        |s| {
            let (db, _) = one_az_groups(s);
            s.add("db", DbInstance::mysql("8.0", "db.m6g.large").multi_az(true).subnet_group(db));
        },
        "db",
        Some("subnet_group"),
        "two AZs",
    ),
    case(
        "Redis failover on one AZ",
        |s| {
            let (_, cache) = one_az_groups(s);
            s.add("redis", ReplicationGroup::redis("7.0", "cache.m6g.large").subnet_group(cache));
        },
        "redis",
        Some("subnet_group"),
        "two AZs",
    ),
    case(
        "OpenSearch nodes spread unevenly",
        |s| {
            let (b, c) = two_azs(s);
            s.add("es", Domain::new("OpenSearch_2.13", "m6g.large.search").instances(3).subnets([b, c]));
        },
        "es",
        Some("instances"),
        "cannot spread evenly",
    ),
    // Names: lengths and characters.
    case("logical name with a space", |s| drop(s.add("web sg", Vpc::new("10.0.0.0/16"))), "web sg", Some("name"), "letters, digits"),
    case("logical name of 201 characters", |s| drop(s.add("x".repeat(201), Vpc::new("10.0.0.0/16"))), "xxxxxxxxxx", Some("name"), "1-200"),
    case("stack name with a space", |s| s.set_name("my shop"), "stack", Some("name"), "my shop"),
    case(
        "ALB name longer than 32",
        |s| {
            let (b, c) = two_azs(s);
            s.add("alb", LoadBalancer::internet_facing([b, c]).name("magento-production-load-balancer-1"));
        },
        "alb",
        Some("name"),
        "32",
    ),
    case(
        "security group named sg-*",
        |s| {
            let v = vpc(s);
            s.add("sg", SecurityGroup::new(v).name("sg-web"));
        },
        "sg",
        Some("group_name"),
        "sg-",
    ),
    case("bucket name in capitals", |s| drop(s.add("bucket", Bucket::new().name("Miamo_Media"))), "bucket", Some("name"), "Miamo_Media"),
    case("RDS identifier starting with a digit", |s| drop(s.add("db", DbInstance::mysql("8.0", "db.m6g.large").identifier("1shop"))), "db", Some("identifier"), "1shop"),
    case("OpenSearch name of two letters", |s| drop(s.add("es", Domain::new("OpenSearch_2.13", "m6g.large.search").name("es"))), "es", Some("name"), "\"es\""),
    case("reserved KMS alias", |s| drop(s.add("key", Key::new("k").alias("alias/aws/mine"))), "key", Some("alias"), "alias/aws/"),
    case("state tag set by hand", |s| drop(s.add("vpc", Vpc::new("10.0.0.0/16").tag("strata:stack", "other"))), "vpc", Some("tags"), "reserved"),
    case("certificate for a bad domain", |s| drop(s.add("cert", Certificate::dns(["shop_example.com"]))), "cert", Some("domain_name"), "shop_example.com"),
    // Duplicates.
    case(
        "two resources with one name",
        |s| {
            s.add("vpc", Vpc::new("10.0.0.0/16"));
            s.add("vpc", Vpc::new("10.1.0.0/16"));
        },
        "vpc",
        Some("name"),
        "declared 2 times",
    ),
    case(
        "one DNS record declared twice",
        |s| {
            let z = s.add("zone", HostedZone::public("miamo.com")).zone_id();
            s.add("r1", Record::a(z.clone(), "www.miamo.com", ["203.0.113.1"]));
            s.add("r2", Record::a(z, "www.miamo.com", ["203.0.113.2"]));
        },
        "r2",
        Some("name"),
        "also declared by r1",
    ),
    // Cycles.
    case(
        "two resources that depend on each other",
        |s| {
            let a = s.add("a", Vpc::new("10.0.0.0/16"));
            let b = s.add_with("b", Vpc::new("10.1.0.0/16"), ResourceOptions::new().depends_on(&a));
            if let Some(o) = s.options_mut(a.id_in_stack()) {
                *o = ResourceOptions::new().depends_on(&b);
            }
        },
        "a",
        None,
        "dependency cycle between a, b",
    ),
    // Missing required fields.
    case(
        "DNS record without a value",
        |s| {
            let z = s.add("zone", HostedZone::public("miamo.com")).zone_id();
            s.add("rec", Record::new(z, "www.miamo.com", "A", Vec::<String>::new()));
        },
        "rec",
        Some("values"),
        "at least one value",
    ),
    case("certificate without a domain", |s| drop(s.add("cert", Certificate::dns(Vec::<String>::new()))), "cert", Some("domain_name"), "at least one domain"),
    case(
        "backup plan without a rule",
        |s| {
            let v = s.add("vault", Vault::new()).vault_name();
            s.add("plan", Plan::new(v));
        },
        "plan",
        Some("rules"),
        "rule",
    ),
    // Ports.
    case(
        "security group port range past 65535",
        |s| {
            let v = vpc(s);
            s.add("sg", SecurityGroup::new(v).ingress(Rule::tcp_range(1000, 70000).cidr("10.0.0.0/16")));
        },
        "sg",
        Some("ingress"),
        "70000",
    ),
    case(
        "target group on port 0",
        |s| {
            let v = vpc(s);
            s.add("tg", TargetGroup::http(v, 0));
        },
        "tg",
        Some("port"),
        "0",
    ),
    case(
        "listener on port 0",
        |s| {
            let a = alb(s);
            s.add("listener", Listener::http(a, 0, Action::fixed_response(404, "text/plain", "no")));
        },
        "listener",
        Some("port"),
        "0",
    ),
    case("database on port 99999", |s| drop(s.add("db", DbInstance::mysql("8.0", "db.m6g.large").port(99_999))), "db", Some("port"), "99999"),
    // Engines and versions.
    case("MySQL 5.7", |s| drop(s.add("db", DbInstance::mysql("5.7", "db.m6g.large"))), "db", Some("engine_version"), "5.7"),
    case("PostgreSQL 9.6", |s| drop(s.add("db", DbInstance::postgres("9.6", "db.m6g.large"))), "db", Some("engine_version"), "9.6"),
    case("Redis 5.0.6", |s| drop(s.add("redis", ReplicationGroup::redis("5.0.6", "cache.m6g.large"))), "redis", Some("engine_version"), "5.0.6"),
    case("OpenSearch 9.1", |s| drop(s.add("es", Domain::new("OpenSearch_9.1", "m6g.large.search"))), "es", Some("engine_version"), "OpenSearch_9.1"),
    case("parameter group for Oracle", |s| drop(s.add("params", DbParameterGroup::new("oracle19"))), "params", Some("family"), "oracle19"),
    case("Memcached with no nodes", |s| drop(s.add("mc", CacheCluster::memcached("1.6.22", "cache.t4g.small").nodes(0))), "mc", Some("nodes"), "0 is outside 1-40"),
    // Retention ranges.
    case("database backups kept 40 days", |s| drop(s.add("db", DbInstance::mysql("8.0", "db.m6g.large").backup_retention_days(40))), "db", Some("backup_retention"), "40 days is outside 0-35"),
    case("secret recovery window of 40 days", |s| drop(s.add("secret", Secret::generated(32).recovery_window_days(40))), "secret", Some("recovery_window_days"), "40"),
    case("KMS deletion window of 3 days", |s| drop(s.add("key", Key::new("k").deletion_window_days(3))), "key", Some("deletion_window_days"), "3"),
    case(
        "cold storage less than 90 days before deletion",
        |s| {
            let v = s.add("vault", Vault::new()).vault_name();
            s.add("plan", Plan::new(v).rule(BackupRule::new("cold", "cron(0 3 * * ? *)", 30).cold_storage_after_days(10)));
        },
        "plan",
        Some("rules"),
        "90",
    ),
    // HTTPS without a certificate; CloudFront alias without one.
    case(
        "HTTPS listener without a certificate",
        |s| {
            let a = alb(s);
            s.add("https", Listener::https_without_certificate(a, 443, Action::fixed_response(403, "text/plain", "no")));
        },
        "https",
        Some("certificate_arn"),
        "certificate",
    ),
    case(
        "CloudFront alias without a certificate",
        |s| drop(s.add("cdn", Distribution::new("alb", "shop-alb.eu-central-1.elb.amazonaws.com").alias("www.miamo.com"))),
        "cdn",
        Some("certificate_arn"),
        "certificate",
    ),
    case(
        "CloudFront certificate outside us-east-1",
        |s| {
            let cert = s.add("cert", Certificate::dns(["www.miamo.com"])).arn();
            s.add("cdn", Distribution::new("alb", "shop-alb.example.com").alias("www.miamo.com").certificate(cert));
        },
        "cdn",
        Some("certificate_arn"),
        "us-east-1",
    ),
    // WAF scopes.
    case(
        "CLOUDFRONT web ACL associated with an ALB",
        |s| drop(s.add_with("acl", WebAcl::new(WafScope::CloudFront).associate(ALB_ARN), ResourceOptions::new().region("us-east-1"))),
        "acl",
        Some("associations"),
        "regional resource",
    ),
    case(
        "REGIONAL web ACL on a distribution",
        |s| {
            let acl = s.add("acl", WebAcl::new(WafScope::Regional)).arn();
            s.add("cdn", Distribution::new("alb", "shop-alb.example.com").web_acl(acl));
        },
        "cdn",
        Some("web_acl_arn"),
        "REGIONAL",
    ),
    case("CLOUDFRONT web ACL outside us-east-1", |s| drop(s.add("acl", WebAcl::new(WafScope::CloudFront))), "acl", Some("scope"), "us-east-1"),
    // Backup schedules.
    case(
        "backup schedule that does not parse",
        |s| {
            let v = s.add("vault", Vault::new()).vault_name();
            s.add("plan", Plan::new(v).rule(BackupRule::new("daily", "every day at 3", 7)));
        },
        "plan",
        Some("rules"),
        "every day at 3",
    ),
    case(
        "backup schedule with a 61st minute",
        |s| {
            let v = s.add("vault", Vault::new()).vault_name();
            s.add("plan", Plan::new(v).rule(BackupRule::new("daily", "cron(61 3 * * ? *)", 7)));
        },
        "plan",
        Some("rules"),
        "61",
    ),
    // References to another stack's resources.
    case(
        "subnet in another stack's VPC",
        |s| {
            let mut other = Stack::new("other", REGION);
            let v = other.add("vpc", Vpc::new("10.9.0.0/16")).id();
            s.add("sub", Subnet::new(v, "10.9.1.0/24", "eu-central-1a"));
        },
        "sub",
        Some("vpc_id"),
        "another stack",
    ),
    case(
        "a stack's first resource reading another stack's first resource",
        |s| {
            let mut other = Stack::new("other", REGION);
            let v = other.add("vpc", Vpc::new("10.9.0.0/16")).id();
            s.add("vpc", Vpc::new("10.0.0.0/16"));
            s.add("sg", SecurityGroup::new(v));
        },
        "sg",
        Some("vpc_id"),
        "another stack",
    ),
    case(
        "depends_on a resource of another stack",
        |s| {
            let mut other = Stack::new("other", REGION);
            let v = other.add("vpc", Vpc::new("10.9.0.0/16"));
            s.add_with("vpc", Vpc::new("10.0.0.0/16"), ResourceOptions::new().depends_on(&v));
        },
        "vpc",
        Some("depends_on"),
        "another stack",
    ),
    // Other values.
    case(
        "A record with a host name",
        |s| {
            let z = s.add("zone", HostedZone::public("miamo.com")).zone_id();
            s.add("rec", Record::a(z, "www.miamo.com", ["shop.example.com"]));
        },
        "rec",
        Some("values"),
        "IPv4",
    ),
    case(
        "instance with a 0 GB disk",
        |s| {
            let (b, _) = two_azs(s);
            s.add("vm", Instance::new("ami-0123456789abcdef0", "m5.large", b).root_volume_gb(0));
        },
        "vm",
        Some("root_volume_size"),
        "0 GB is outside",
    ),
    // CloudWatch Logs (the resource kernel's first kind).
    case("log group name with a space", |s| { s.add("logs", LogGroup::named("has space")); }, "logs", Some("name"), "is not a log group name"),
    case("log group name in AWS's namespace", |s| { s.add("logs", LogGroup::named("aws/lambda/x")); }, "logs", Some("name"), "reserves"),
    case("log retention of 31 days", |s| { s.add("logs", LogGroup::new().retention_days(31)); }, "logs", Some("retention_days"), "not a retention"),
    case("log group KMS key by alias", |s| { s.add("logs", LogGroup::new().kms_key_id("alias/logs")); }, "logs", Some("kms_key_id"), "not a KMS key ARN"),
    case("log group class misspelt", |s| { s.add("logs", LogGroup::new().class("COLD")); }, "logs", Some("class"), "not a log group class"),
    case("role trust policy without statements", |s| { s.add("role", Role::new(PolicyDocument::new())); }, "role", Some("assume_role_policy"), "has no statements"),
    case("role trust policy naming nobody", |s| { s.add("role", Role::new(PolicyDocument::new().statement(Statement::allow().action("sts:AssumeRole")))); }, "role", Some("assume_role_policy"), "names no principal"),
    case("principal type misspelt", |s| { s.add("role", Role::new(PolicyDocument::new().statement(Statement::allow().action("sts:AssumeRole").principal("Services", "ec2.amazonaws.com")))); }, "role", Some("assume_role_policy"), "is not one of"),
    case("policy action without its service", |s| { s.add("role", Role::new(PolicyDocument::assumed_by("ec2.amazonaws.com")).inline_policy("read", PolicyDocument::new().statement(Statement::allow().action("GetObject").resource("*")))); }, "role", Some("inline_policies.read"), "not `service:Action` shaped"),
    case("inline policy naming a principal", |s| { s.add("role", Role::new(PolicyDocument::assumed_by("ec2.amazonaws.com")).inline_policy("read", PolicyDocument::assumed_by("ec2.amazonaws.com"))); }, "role", Some("inline_policies.read"), "cannot have"),
    case("role session of 100 seconds", |s| { s.add("role", Role::new(PolicyDocument::assumed_by("ec2.amazonaws.com")).max_session_duration(100)); }, "role", Some("max_session_duration"), "outside 3600 to 43200"),
    case("role name with a space", |s| { s.add("role", Role::new(PolicyDocument::assumed_by("ec2.amazonaws.com")).name("web role")); }, "role", Some("name"), "is not an IAM name"),
    case("role path without slashes", |s| { s.add("role", Role::new(PolicyDocument::assumed_by("ec2.amazonaws.com")).path("service-role")); }, "role", Some("path"), "is not an IAM path"),
    case("attached policy that is a role ARN", |s| { s.add("role", Role::new(PolicyDocument::assumed_by("ec2.amazonaws.com")).attach("arn:aws:iam::123456789012:role/x")); }, "role", Some("managed_policy_arns"), "not the ARN of a managed policy"),
    case("instance profile given a role ARN", |s| { s.add("profile", InstanceProfile::new("arn:aws:iam::123456789012:role/web")); }, "profile", Some("role"), "the role's name, not its ARN"),
    case("managed policy with a principal", |s| { s.add("policy", ManagedPolicy::new(PolicyDocument::assumed_by("ec2.amazonaws.com"))); }, "policy", Some("document"), "cannot have"),
    case("OIDC issuer over plain HTTP", |s| { s.add("oidc", OpenIdConnectProvider::new("http://issuer.example.com")); }, "oidc", Some("url"), "is not an issuer URL"),
    case("OIDC thumbprint too short", |s| { s.add("oidc", OpenIdConnectProvider::new("https://issuer.example.com").thumbprint("9e99a48a")); }, "oidc", Some("thumbprints"), "is not a SHA-1 thumbprint"),
    // ECR.
    case("repository name in capitals", |s| { s.add("repo", Repository::named("Web")); }, "repo", Some("name"), "is not a repository name"),
    case("tag mutability misspelt", |s| { s.add("repo", Repository::new().image_tag_mutability("LOCKED")); }, "repo", Some("image_tag_mutability"), "neither MUTABLE nor IMMUTABLE"),
    case("repository KMS key without KMS encryption", |s| { s.add("repo", Repository::new().kms_key("arn:aws:kms:eu-central-1:123456789012:key/x")); }, "repo", Some("kms_key"), "only with encryption_type KMS"),
    case("lifecycle rule keeping 0 images", |s| { s.add("repo", Repository::new().lifecycle_rule(LifecycleRule::keep_last(0))); }, "repo", Some("lifecycle_rules"), "keeps or expires nothing"),
    case("lifecycle rule over every image before another", |s| { s.add("repo", Repository::new().lifecycle_rule(LifecycleRule::keep_last(5)).lifecycle_rule(LifecycleRule::expire_untagged_after_days(1))); }, "repo", Some("lifecycle_rules"), "must be the last rule"),
    case("lifecycle rule on tagged images without a prefix", |s| { s.add("repo", Repository::new().lifecycle_rule(LifecycleRule::keep_last_tagged(Vec::<String>::new(), 5))); }, "repo", Some("lifecycle_rules"), "names no tag prefix"),
    case("repository policy naming nobody", |s| { s.add("repo", Repository::new().policy(PolicyDocument::new().statement(Statement::allow().action("ecr:BatchGetImage")))); }, "repo", Some("policy"), "names no principal"),
    // CloudTrail and bucket policies.
    case("trail name with a space", |s| { s.add("trail", Trail::new("logs").name("audit trail")); }, "trail", Some("name"), "is not a trail name"),
    case("multi-region trail without global events", |s| { s.add("trail", Trail::new("logs").include_global_service_events(false)); }, "trail", Some("include_global_service_events"), "must include global service events"),
    case("trail log group without its role", |s| { s.add("trail", Trail::new("logs").cloud_watch_logs_group_arn("arn:aws:logs:eu-central-1:123456789012:log-group:trail")); }, "trail", Some("cloud_watch_logs_role_arn"), "needs both"),
    case("trail log delivery role that is a user", |s| { s.add("trail", Trail::new("logs").cloud_watch_logs("arn:aws:logs:eu-central-1:123456789012:log-group:trail", "arn:aws:iam::123456789012:user/x")); }, "trail", Some("cloud_watch_logs_role_arn"), "is not an IAM role ARN"),
    case("trail KMS key by alias", |s| { s.add("trail", Trail::new("logs").kms_key_id("alias/trail")); }, "trail", Some("kms_key_id"), "not a KMS key ARN"),
    case("trail key prefix with a trailing slash", |s| { s.add("trail", Trail::new("logs").s3_key_prefix("audit/")); }, "trail", Some("s3_key_prefix"), "is not a key prefix"),
    case("bucket policy naming nobody", |s| { s.add("bp", BucketPolicy::new("logs", PolicyDocument::new().statement(Statement::allow().action("s3:GetObject").resource("arn:aws:s3:::logs/*")))); }, "bp", Some("policy"), "names no principal"),
    case("bucket policy without statements", |s| { s.add("bp", BucketPolicy::new("logs", PolicyDocument::new())); }, "bp", Some("policy"), "has no statements"),
    // SQS.
    case("queue name with a dot", |s| { s.add("q", Queue::named("orders.v2")); }, "q", Some("name"), "is not a queue name"),
    case("FIFO queue name without .fifo", |s| { s.add("q", Queue::new_fifo().name("orders")); }, "q", Some("name"), "must end in .fifo"),
    case("standard queue named .fifo", |s| { s.add("q", Queue::named("orders.fifo")); }, "q", Some("name"), "only a FIFO queue"),
    case("visibility timeout over 12 hours", |s| { s.add("q", Queue::new().visibility_timeout_seconds(43_201)); }, "q", Some("visibility_timeout_seconds"), "out of range"),
    case("retention under a minute", |s| { s.add("q", Queue::new().message_retention_seconds(59)); }, "q", Some("message_retention_seconds"), "out of range"),
    case("long polling of 30 seconds", |s| { s.add("q", Queue::new().receive_wait_time_seconds(30)); }, "q", Some("receive_wait_time_seconds"), "out of range"),
    case("redrive after 0 receives", |s| { s.add("q", Queue::new().dead_letter_queue("arn:aws:sqs:eu-central-1:123456789012:dlq", 0)); }, "q", Some("max_receive_count"), "out of range"),
    case("dead-letter queue given by URL", |s| { s.add("q", Queue::new().dead_letter_queue("https://sqs.eu-central-1.amazonaws.com/123456789012/dlq", 5)); }, "q", Some("dead_letter_queue_arn"), "is not a queue ARN"),
    case("FIFO queue with a standard dead-letter queue", |s| { s.add("q", Queue::new_fifo().dead_letter_queue("arn:aws:sqs:eu-central-1:123456789012:dlq", 5)); }, "q", Some("dead_letter_queue_arn"), "a FIFO queue's dead-letter queue"),
    case("content deduplication on a standard queue", |s| { s.add("q", Queue::new().content_based_deduplication(true)); }, "q", Some("content_based_deduplication"), "FIFO queues only"),
    case("SSE-SQS and a KMS key at once", |s| { s.add("q", Queue::new().kms_key("alias/orders").sqs_managed_sse(true)); }, "q", Some("sqs_managed_sse"), "one kind of encryption"),
    case("queue subscribed to a queue ARN", |s| { s.add("q", Queue::new().subscribe("arn:aws:sqs:eu-central-1:123456789012:other")); }, "q", Some("sns_topic_arns"), "is not an SNS topic ARN"),
    case("queue policy naming nobody", |s| { s.add("q", Queue::new().policy(PolicyDocument::new().statement(Statement::allow().action("sqs:SendMessage").resource("*")))); }, "q", Some("policy"), "names no principal"),
    // ECS task definitions and services.
    case("Fargate task with 256 CPU and 4 GiB", |s| drop(s.add("web", TaskDefinition::fargate(256, 4096).container(Container::new("web", "nginx")))), "web", Some("memory"), "Fargate has no 256 CPU / 4096 MiB task"),
    case("Fargate task with 300 CPU units", |s| drop(s.add("web", TaskDefinition::fargate(300, 1024).container(Container::new("web", "nginx")))), "web", Some("cpu"), "not a Fargate size"),
    case("Fargate task in bridge mode", |s| drop(s.add("web", TaskDefinition::fargate(256, 512).network_mode("bridge").container(Container::new("web", "nginx")))), "web", Some("network_mode"), "awsvpc mode only"),
    case("task definition without containers", |s| drop(s.add("web", TaskDefinition::fargate(256, 512))), "web", Some("containers"), "at least one container"),
    case("task definition secret that is a plain string", |s| drop(s.add("web", TaskDefinition::fargate(256, 512).execution_role(EXEC_ROLE).container(Container::new("web", "nginx").secret("DB_PASSWORD", "hunter2")))), "web", Some("containers"), "secret DB_PASSWORD: not an ARN of Secrets Manager or SSM"),
    case(
        "task definition secret that is the secret's value",
        |s| {
            let db = s.add("db", Secret::generated(24));
            s.add("web", TaskDefinition::fargate(256, 512).execution_role(EXEC_ROLE).container(Container::new("web", "nginx").secret("DB_PASSWORD", db.value().map(|v| v.expose().clone()))));
        },
        "web",
        Some("containers"),
        "a secret value, not a reference",
    ),
    case(
        "environment variable holding a secret",
        |s| {
            let db = s.add("db", Secret::generated(24));
            s.add("web", TaskDefinition::fargate(256, 512).container(Container::new("web", "nginx").env("DB_PASSWORD", db.value().map(|v| v.expose().clone()))));
        },
        "web",
        Some("containers"),
        "holds a secret",
    ),
    case("container secrets without an execution role", |s| drop(s.add("web", TaskDefinition::fargate(256, 512).container(Container::new("web", "nginx").secret("DB", "arn:aws:secretsmanager:eu-central-1:123456789012:secret:db-AbCdEf")))), "web", Some("execution_role"), "need an execution role"),
    case("two containers with one name", |s| drop(s.add("web", TaskDefinition::fargate(256, 512).container(Container::new("web", "nginx")).container(Container::new("web", "envoy")))), "web", Some("containers"), "two containers have this name"),
    case(
        "service in a public subnet without a public IP",
        |s| {
            let v = vpc(s);
            let igw = s.add("igw", InternetGateway::new().vpc_id(v.clone()));
            let public = s.add("public-a", Subnet::new(v.clone(), "10.0.1.0/24", "eu-central-1a")).id();
            s.add("public-rt", RouteTable::new(v.clone()).route(Route::to_gateway("0.0.0.0/0", igw.id())).associate(public.clone()));
            let sg = s.add("tasks", SecurityGroup::new(v)).id();
            s.add("svc", Service::fargate("apps", TD_ARN, [public], [sg]));
        },
        "svc",
        Some("assign_public_ip"),
        "subnet `public-a` is public",
    ),
    case("Fargate service without subnets", |s| drop(s.add("svc", Service::fargate("apps", TD_ARN, Vec::<String>::new(), ["sg-0123"]))), "svc", Some("subnets"), "needs the subnets"),
    case(
        "EC2 service of a Fargate task definition",
        |s| {
            let td = s.add("web", TaskDefinition::fargate(256, 512).container(Container::new("web", "nginx")));
            s.add("svc", Service::fargate("apps", td.arn(), ["subnet-0123"], ["sg-0123"]).launch_type("EC2"));
        },
        "svc",
        Some("launch_type"),
        "is for FARGATE, and this service launches on EC2",
    ),
    case("service grace period without a load balancer", |s| drop(s.add("svc", Service::fargate("apps", TD_ARN, ["subnet-0123"], ["sg-0123"]).health_check_grace_period(60))), "svc", Some("health_check_grace_period"), "needs a load balancer"),
    case(
        "service load balancer on a port the container does not expose",
        |s| {
            let td = s.add("web", TaskDefinition::fargate(256, 512).container(Container::new("web", "nginx").port(80)));
            s.add("svc", Service::fargate("apps", td.arn(), ["subnet-0123"], ["sg-0123"]).load_balancer(TG_ARN, "web", 8080));
        },
        "svc",
        Some("load_balancers"),
        "no container \"web\" exposing port 8080",
    ),
    // Network load balancers.
    case(
        "network load balancer listener answering itself",
        |s| {
            let (b, c) = two_azs(s);
            let nlb = s.add("nlb", LoadBalancer::internal([b, c]).network());
            s.add("tcp", Listener::tcp(nlb.arn(), 80, Action::fixed_response(403, "text/plain", "no")));
        },
        "tcp",
        Some("default_action"),
        "can only forward to a target group",
    ),
    case(
        "TCP listener on an application load balancer",
        |s| {
            let lb = alb(s);
            s.add("tcp", Listener::tcp(lb, 80, Action::forward(TG_ARN)));
        },
        "tcp",
        Some("protocol"),
        "takes HTTP or HTTPS listeners, not TCP",
    ),
    case(
        "HTTP listener on a network load balancer",
        |s| {
            let (b, c) = two_azs(s);
            let nlb = s.add("nlb", LoadBalancer::internal([b, c]).network());
            s.add("web", Listener::http(nlb.arn(), 80, Action::forward(TG_ARN)));
        },
        "web",
        Some("protocol"),
        "takes TCP, UDP, TCP_UDP or TLS listeners, not HTTP",
    ),
    case("network load balancer idle timeout", |s| { let (b, c) = two_azs(s); s.add("nlb", LoadBalancer::internal([b, c]).network().idle_timeout_seconds(120)); }, "nlb", Some("idle_timeout"), "has no idle timeout"),
    case("application load balancer without cross-zone balancing", |s| { let (b, c) = two_azs(s); s.add("alb", LoadBalancer::internal([b, c]).cross_zone(false)); }, "alb", Some("cross_zone"), "always balances across zones"),
    // EKS clusters, node groups and Fargate profiles.
    case("node group with min above max", |s| drop(s.add("ng", NodeGroup::new("apps", EXEC_ROLE, ["subnet-0a"], ["m5.large"]).scaling(4, 2, 2))), "ng", Some("min_size"), "the minimum (4) is above the maximum (2)"),
    case("node group wanting more than its max", |s| drop(s.add("ng", NodeGroup::new("apps", EXEC_ROLE, ["subnet-0a"], ["m5.large"]).scaling(1, 3, 5))), "ng", Some("desired_size"), "outside the group's bounds 1 to 3"),
    case("node group capacity type", |s| drop(s.add("ng", NodeGroup::new("apps", EXEC_ROLE, ["subnet-0a"], ["m5.large"]).capacity_type("RESERVED"))), "ng", Some("capacity_type"), "not ON_DEMAND or SPOT"),
    case(
        "EKS cluster in one AZ",
        |s| {
            let (b1, b2) = {
                let v = vpc(s);
                (s.add("b1", Subnet::new(v.clone(), "10.0.1.0/24", "eu-central-1b")).id(), s.add("b2", Subnet::new(v, "10.0.2.0/24", "eu-central-1b")).id())
            };
            s.add("eks", EksCluster::new("1.30", EXEC_ROLE, [b1, b2]));
        },
        "eks",
        Some("subnets"),
        "needs two AZs",
    ),
    case("EKS public endpoint without CIDRs", |s| drop(s.add("eks", EksCluster::new("1.30", EXEC_ROLE, ["subnet-0a", "subnet-0b"]).endpoint_public(true))), "eks", Some("public_cidrs"), "names the CIDRs allowed"),
    case("EKS cluster without any endpoint", |s| drop(s.add("eks", EksCluster::new("1.30", EXEC_ROLE, ["subnet-0a", "subnet-0b"]).endpoint_private(false))), "eks", Some("endpoint_public"), "needs a private or a public endpoint"),
    case("EKS log type misspelt", |s| drop(s.add("eks", EksCluster::new("1.30", EXEC_ROLE, ["subnet-0a", "subnet-0b"]).log_types(["api", "audits"]))), "eks", Some("log_types"), "\"audits\" is not a log type"),
    case("EKS version that is not MAJOR.MINOR", |s| drop(s.add("eks", EksCluster::new("latest", EXEC_ROLE, ["subnet-0a", "subnet-0b"]))), "eks", Some("version"), "not a Kubernetes version"),
    case("EKS add-on configuration that is not JSON", |s| drop(s.add("cni", Addon::new("apps", "vpc-cni").configuration("ENABLE_PREFIX_DELEGATION=true"))), "cni", Some("configuration"), "a JSON object"),
    case("Lambda handler that is not the runtime's shape", |s| drop(s.add("fn", Function::from_s3("code", "f.zip", "python3.12", "index", LAMBDA_ROLE))), "fn", Some("handler"), "is not a python3.12 handler"),
    case("Lambda memory below 128 MB", |s| drop(s.add("fn", Function::from_s3("code", "f.zip", "python3.12", "index.handler", LAMBDA_ROLE).memory(64))), "fn", Some("memory"), "128 to 10,240 MB"),
    case("Lambda memory above 10,240 MB", |s| drop(s.add("fn", Function::from_s3("code", "f.zip", "nodejs20.x", "index.handler", LAMBDA_ROLE).memory(20_000))), "fn", Some("memory"), "128 to 10,240 MB"),
    case("Lambda timeout above 15 minutes", |s| drop(s.add("fn", Function::from_s3("code", "f.zip", "nodejs20.x", "index.handler", LAMBDA_ROLE).timeout(901))), "fn", Some("timeout"), "1 to 900 seconds"),
    case("Lambda runtime that does not exist", |s| drop(s.add("fn", Function::from_s3("code", "f.zip", "cobol85", "index.handler", LAMBDA_ROLE))), "fn", Some("runtime"), "is not a Lambda runtime"),
    case("Lambda code directory that does not exist", |s| drop(s.add("fn", Function::from_dir("/nonexistent/strata/fn", "python3.12", "index.handler", LAMBDA_ROLE))), "fn", Some("code"), "cannot read"),
    case("Lambda variable Lambda sets itself", |s| drop(s.add("fn", Function::from_s3("code", "f.zip", "python3.12", "index.handler", LAMBDA_ROLE).env("AWS_REGION", "eu-west-1"))), "fn", Some("environment"), "set by Lambda itself"),
    case("Lambda in subnets without security groups", |s| drop(s.add("fn", Function::from_s3("code", "f.zip", "python3.12", "index.handler", LAMBDA_ROLE).vpc(["subnet-0a"], Vec::<String>::new()))), "fn", Some("security_groups"), "needs both"),
    case("Lambda fed 50 SQS messages without a batching window", |s| drop(s.add("esm", EventSourceMapping::new("orders", "arn:aws:sqs:eu-central-1:123456789012:jobs").batch_size(50))), "esm", Some("batch_size"), "batching window of at least 1 second"),
    case("Lambda fed by a stream without a starting position", |s| drop(s.add("esm", EventSourceMapping::new("orders", "arn:aws:dynamodb:eu-central-1:123456789012:table/t/stream/2026-01-01T00:00:00.000"))), "esm", Some("starting_position"), "needs a starting position"),
    case("Lambda fed by something that is not a queue or stream", |s| drop(s.add("esm", EventSourceMapping::new("orders", "arn:aws:sns:eu-central-1:123456789012:events"))), "esm", Some("event_source_arn"), "neither an SQS queue"),
    case("Lambda permission for anyone without a source", |s| drop(s.add("perm", Permission::new("orders", "*"))), "perm", Some("principal"), "lets anyone invoke"),
    case("HTTP API route key that is not METHOD /path", |s| drop(s.add("api", HttpApi::new().route(ApiRoute::lambda("/orders", "arn:aws:lambda:eu-central-1:123456789012:function:orders")))), "api", Some("routes"), "is not a route key"),
    case("HTTP API route with an unknown method", |s| drop(s.add("api", HttpApi::new().route(ApiRoute::http("FETCH /orders", "https://example.com")))), "api", Some("routes"), "is not a method"),
    case("HTTP API route naming an undeclared authorizer", |s| drop(s.add("api", HttpApi::new().route(ApiRoute::lambda("GET /orders", "arn:aws:lambda:eu-central-1:123456789012:function:orders").authorizer("users")))), "api", Some("routes"), "which is not declared"),
    case("HTTP API Lambda route to something that is not a function", |s| drop(s.add("api", HttpApi::new().route(ApiRoute::lambda("GET /orders", "orders")))), "api", Some("routes"), "is not a Lambda function's ARN"),
    case("REST API stage pointing at no deployment (no methods)", |s| drop(s.add("api", RestApi::new("v1"))), "api", Some("methods"), "point at no deployment"),
    case("REST API method path without a leading /", |s| drop(s.add("api", RestApi::new("v1").method(RestMethod::mock("GET", "orders")))), "api", Some("methods"), "a path starts with /"),
    case("REST API greedy parameter before the end", |s| drop(s.add("api", RestApi::new("v1").method(RestMethod::mock("GET", "/{proxy+}/x")))), "api", Some("methods"), "must be the last segment"),
    case("REST API method declared twice", |s| drop(s.add("api", RestApi::new("v1").method(RestMethod::mock("GET", "/a")).method(RestMethod::mock("get", "/a")))), "api", Some("methods"), "declared twice"),
    case("REST API method with an unknown verb", |s| drop(s.add("api", RestApi::new("v1").method(RestMethod::mock("FETCH", "/a")))), "api", Some("methods"), "is not an HTTP method"),
    case("REST API HTTP integration to something that is not a URL", |s| drop(s.add("api", RestApi::new("v1").method(RestMethod::http("GET", "/a", "orders.internal")))), "api", Some("methods"), "is not an http:// or https:// URL"),
    case("REST API private endpoint without a resource policy", |s| drop(s.add("api", RestApi::new("v1").endpoint_type("PRIVATE").method(RestMethod::mock("GET", "/a")))), "api", Some("policy"), "needs a resource policy"),
    case("REST API stage name with a space", |s| drop(s.add("api", RestApi::new("v 1").method(RestMethod::mock("GET", "/a")))), "api", Some("stage_name"), "is not a stage name"),
    case("REST API access-log format without the request id", |s| drop(s.add("api", RestApi::new("v1").method(RestMethod::mock("GET", "/a")).access_logs("arn:aws:logs:eu-central-1:123456789012:log-group:api").access_log_format("$context.status"))), "api", Some("access_log_format"), "$context.requestId"),
    case("REST API VPC link to an application load balancer", |s| drop(s.add("link", RestVpcLink::new(ALB_ARN))), "link", Some("targets"), "is not a network load balancer"),
    case("REST API domain mapped twice at one base path", |s| drop(s.add("d", RestDomain::new("api.example.com", "arn:aws:acm:eu-central-1:123456789012:certificate/abc").mapping("a1", "v1", "shop").mapping("b2", "v1", "shop"))), "d", Some("mappings"), "two mappings at the base path"),
    case("HTTP API CORS origin that is not an origin", |s| drop(s.add("api", HttpApi::new().cors_origins(vec!["shop.example.com".to_string()]))), "api", Some("cors_origins"), "is not an origin"),
    case("Cognito browser client with a secret", |s| drop(s.add("web", UserPoolClient::browser("eu-central-1_Pool", ["https://shop.example.com/cb"]).generate_secret(true))), "web", Some("generate_secret"), "a browser app cannot keep a client secret"),
    case("Cognito client-credentials flow without a secret", |s| drop(s.add("m2m", UserPoolClient::browser("eu-central-1_Pool", ["https://shop.example.com/cb"]).oauth_flows(vec!["client_credentials".to_string()]))), "m2m", Some("oauth_flows"), "needs a client secret"),
    case("Cognito password shorter than 8", |s| drop(s.add("users", UserPool::new().password_min_length(6))), "users", Some("password_min_length"), "8 to 99"),
    case("Cognito callback over plain http", |s| drop(s.add("web", UserPoolClient::browser("eu-central-1_Pool", ["http://shop.example.com/cb"]))), "web", Some("callback_urls"), "https:// URLs"),
    case("API domain with a certificate that is not ACM's", |s| drop(s.add("d", ApiDomain::new("api.shop.example.com", "arn:aws:iam::123456789012:server-certificate/x"))), "d", Some("certificate_arn"), "is not an ACM certificate's ARN"),
    case("API mapping base path with a slash", |s| drop(s.add("d", ApiDomain::new("api.shop.example.com", "arn:aws:acm:eu-central-1:123456789012:certificate/x").mapping("a1", "$default", "/v1"))), "d", Some("mappings"), "no leading or trailing /"),
    case("DynamoDB index on an undeclared attribute", |s| drop(s.add("t", Table::new("pk", "S").global_index(GlobalIndex::new("by-email", "email")))), "t", Some("global_indexes"), "\"email\", which is not declared"),
    case("DynamoDB attribute no index uses", |s| drop(s.add("t", Table::new("pk", "S").attribute("email", "S"))), "t", Some("attributes"), "no index is keyed on it"),
    case("DynamoDB key type that is not S, N or B", |s| drop(s.add("t", Table::new("pk", "BOOL"))), "t", Some("hash_key_type"), "S, N or B"),
    case("DynamoDB capacity on an on-demand table", |s| drop(s.add("t", Table::new("pk", "S").read_capacity(5))), "t", Some("read_capacity"), "for PROVISIONED tables"),
    case("DynamoDB provisioned table without capacity", |s| drop(s.add("t", Table::new("pk", "S").billing_mode("PROVISIONED"))), "t", Some("read_capacity"), "needs read and write capacity"),
    case("DynamoDB stream view type misspelt", |s| drop(s.add("t", Table::new("pk", "S").stream("NEW_IMAGES"))), "t", Some("stream_view_type"), "not a stream view type"),
    case("EKS add-on role that is not a role", |s| drop(s.add("cni", Addon::new("apps", "vpc-cni").service_account_role("vpc-cni"))), "cni", Some("service_account_role"), "not an IAM role ARN"),
    case("Secret rotated every 0 days", |s| drop(s.add("r", SecretRotation::new("arn:aws:secretsmanager:eu-central-1:123456789012:secret:db-AbCdEf", "arn:aws:lambda:eu-central-1:123456789012:function:rotate", 0))), "r", Some("days"), "outside 1-1000"),
    case("Secret rotated by something that is not a function", |s| drop(s.add("r", SecretRotation::new("arn:aws:secretsmanager:eu-central-1:123456789012:secret:db-AbCdEf", "rotate-db", 30))), "r", Some("function"), "not a Lambda function ARN"),
    case("Transit gateway with a public ASN", |s| drop(s.add("hub", TransitGateway::new().amazon_side_asn(16509))), "hub", Some("amazon_side_asn"), "not a private ASN"),
    case("Transit gateway route to a CIDR with host bits", |s| drop(s.add("rt", TransitGatewayRouteTable::new("tgw-0a").blackhole("10.1.2.3/16"))), "rt", Some("routes"), "not an IPv4 CIDR"),
    case("Transit gateway attachment with two subnets in one AZ", |s| {
        let vpc = s.add("vpc", Vpc::new("10.0.0.0/16"));
        let a = s.add("a", Subnet::new(vpc.id(), "10.0.1.0/24", "eu-central-1a"));
        let b = s.add("b", Subnet::new(vpc.id(), "10.0.2.0/24", "eu-central-1a"));
        s.add("att", TransitGatewayVpcAttachment::new("tgw-0a", vpc.id(), [a.id(), b.id()]));
    }, "att", Some("subnet_ids"), "one subnet per AZ"),
    case("Customer gateway at a private address", |s| drop(s.add("office", CustomerGateway::new(65010, "10.1.1.1"))), "office", Some("ip_address"), "not a public address"),
    case("VPN connection to two gateways", |s| drop(s.add("vpn", VpnConnection::to_vpn_gateway("cgw-0a", "vgw-0a").transit_gateway_id("tgw-0a"))), "vpn", Some("transit_gateway_id"), "not both"),
    case("VPN pre-shared key too short", |s| drop(s.add("vpn", VpnConnection::to_vpn_gateway("cgw-0a", "vgw-0a").tunnel1_psk("short"))), "vpn", Some("tunnel1_psk"), "8-64 of letters"),
    case("MSK brokers that do not spread over the subnets", |s| drop(s.add("k", MskCluster::new("3.6.0", 3, "kafka.m5.large", ["subnet-0a", "subnet-0b"]))), "k", Some("brokers"), "take a multiple of 2"),
    case("MSK cluster in one subnet", |s| drop(s.add("k", MskCluster::new("3.6.0", 1, "kafka.m5.large", ["subnet-0a"]))), "k", Some("subnets"), "two or three subnets"),
    case("MSK broker type without the kafka. prefix", |s| drop(s.add("k", MskCluster::new("3.6.0", 2, "m5.large", ["subnet-0a", "subnet-0b"]))), "k", Some("instance_type"), "not an MSK broker type"),
    case("DocumentDB backups kept 0 days", |s| drop(s.add("docs", DocDbCluster::new("docs-subnets", "catalog").backup_retention_days(0))), "docs", Some("backup_retention_days"), "1 to 35 days"),
    case("DocumentDB master user named admin", |s| drop(s.add("docs", DocDbCluster::new("docs-subnets", "admin"))), "docs", Some("master_username"), "not a reserved word"),
    case("DocumentDB log export that does not exist", |s| drop(s.add("docs", DocDbCluster::new("docs-subnets", "catalog").log_exports(["slowquery"]))), "docs", Some("log_exports"), "`audit` and `profiler`"),
    case("DocumentDB engine version that does not exist", |s| drop(s.add("docs", DocDbCluster::new("docs-subnets", "catalog").engine_version("6.0"))), "docs", Some("engine_version"), "is not a DocumentDB engine version"),
    case("DocumentDB storage key given as an alias", |s| drop(s.add("docs", DocDbCluster::new("docs-subnets", "catalog").kms_key_id("alias/docs"))), "docs", Some("kms_key_id"), "is not a KMS key ARN"),
    case("DocumentDB maintenance window without days", |s| drop(s.add("docs", DocDbCluster::new("docs-subnets", "catalog").maintenance_window("05:00-06:00"))), "docs", Some("maintenance_window"), "is not a window like"),
    case("DocumentDB instance class without db.", |s| drop(s.add("docs-1", DocDbInstance::new("docs", "r6g.large"))), "docs-1", Some("instance_class"), "is not an instance class"),
    case("DocumentDB promotion tier 16", |s| drop(s.add("docs-1", DocDbInstance::new("docs", "db.r6g.large").promotion_tier(16))), "docs-1", Some("promotion_tier"), "0 to 15"),
    case("MSK IAM authentication over plaintext", |s| drop(s.add("k", MskCluster::new("3.6.0", 2, "kafka.m5.large", ["subnet-0a", "subnet-0b"]).iam_auth(true).client_broker("PLAINTEXT"))), "k", Some("iam_auth"), "needs TLS"),
    case("Fargate profile without a selector", |s| drop(s.add("fp", FargateProfile::new("apps", EXEC_ROLE, ["subnet-0a"]))), "fp", Some("selectors"), "1 to 5"),
];

#[tokio::test]
async fn bad_input_catalogue_is_refused_before_any_api_call() {
    let aws = strata_aws_testkit::aws("http://127.0.0.1:9", REGION).await;
    let counter = aws.counter();
    let engine = Engine::new(strata::aws::registry(&aws));
    let mut wrong = Vec::new();
    for c in CASES {
        let mut s = Stack::new("catalogue", REGION);
        (c.build)(&mut s);
        let before = counter.snapshot().total_calls();
        let found = match engine.plan(&s).await {
            Err(EngineError::Invalid(strata::Invalid(d))) => d,
            Err(other) => {
                wrong.push(format!("{}: refused, but not as invalid input: {other}", c.mistake));
                continue;
            }
            Ok(_) => {
                wrong.push(format!("{}: accepted", c.mistake));
                continue;
            }
        };
        let calls = counter.snapshot().total_calls() - before;
        if calls != 0 {
            wrong.push(format!("{}: {calls} API calls before the refusal", c.mistake));
        }
        let hit = found.iter().any(|d| {
            d.resource.starts_with(c.resource) && d.field.as_deref() == c.field && d.message.contains(c.says)
        });
        if !hit {
            let got: Vec<String> = found.iter().map(ToString::to_string).collect();
            wrong.push(format!(
                "{}: want {}{} saying {:?}; got {got:?}",
                c.mistake,
                c.resource,
                c.field.map(|f| format!(" field `{f}`")).unwrap_or_default(),
                c.says
            ));
        }
    }
    assert!(CASES.len() >= 40, "the catalogue has {} programs", CASES.len());
    assert!(wrong.is_empty(), "{} of {} malformed programs were not refused as expected:\n  {}", wrong.len(), CASES.len(), wrong.join("\n  "));
}

/// A secret given where a reference belongs is refused without its value
/// appearing anywhere in the error.
#[tokio::test]
async fn a_task_definition_secret_given_by_value_is_not_printed() {
    let aws = strata_aws_testkit::aws("http://127.0.0.1:9", REGION).await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let mut s = Stack::new("catalogue", REGION);
    s.add("web", TaskDefinition::fargate(256, 512).execution_role(EXEC_ROLE).container(Container::new("web", "nginx").secret("DB_PASSWORD", "hunter2-Zq9")));
    let Err(err) = engine.plan(&s).await else { panic!("a secret given by value is accepted") };
    let text = format!("{err} {err:?}");
    assert!(text.contains("DB_PASSWORD"), "{text}");
    assert!(!text.contains("hunter2-Zq9"), "the value leaked: {text}");
}

/// A malformed VPN pre-shared key is refused without the key appearing
/// anywhere in the error.
#[tokio::test]
async fn a_bad_vpn_pre_shared_key_is_not_printed() {
    let aws = strata_aws_testkit::aws("http://127.0.0.1:9", REGION).await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let mut s = Stack::new("catalogue", REGION);
    s.add("vpn", VpnConnection::to_vpn_gateway("cgw-0a", "vgw-0a").tunnel2_psk("0secret-with-dash"));
    let Err(err) = engine.plan(&s).await else { panic!("a malformed key is accepted") };
    let text = format!("{err} {err:?}");
    assert!(text.contains("tunnel2_psk"), "{text}");
    assert!(!text.contains("0secret-with-dash"), "the key leaked: {text}");
}
