//! "Innovate" (`shared/design/seeds/002_b2292a29a0780bdd.txt`, summarised in
//! `shared/design/other-systems.md`, system 2): a Flask API and a React SPA
//! on EKS with PostgreSQL, behind CloudFront. `examples/innovate.rs` holds
//! the three environments' settings (an [`Env`] each) and picks one; this
//! module turns an `Env` into a [`Stack`].
//!
//! # Who owns what
//!
//! * Each environment (`innovate-dev`, `innovate-staging`, `innovate-prod`)
//!   is one stack and owns everything it uses: its VPC (two AZs for dev and
//!   staging, three for prod), subnets, gateways and route tables, the three
//!   chained security groups, the EKS cluster with its node groups and OIDC
//!   provider, the database, its KMS key, backups, ECR repositories, trail,
//!   log bucket, zone, certificates, web ACL and distribution.
//! * The design's accounts (a development account for dev and staging, a
//!   production account, a shared-services account for logging, IAM roles,
//!   ECR and CI/CD) wait for multi-account support: until then each
//!   environment is a stack in one account, and what the design puts in
//!   shared services (the ECR repositories, the trail and its log bucket) is
//!   per environment.
//!
//! # Readings of the design (where it is vague)
//!
//! * Subnets: per AZ a public subnet (ALB, NAT), a private subnet for the EKS
//!   nodes and a separate private subnet for RDS, as the design says. One NAT
//!   gateway in dev and staging ("for cost savings"), one per AZ in prod.
//! * "The SG for the ALB only allows access from CloudFront": HTTPS from the
//!   AWS-managed prefix list `com.amazonaws.global.cloudfront.origin-facing`,
//!   looked up, not hard-coded. The pods' group admits only the ALB's group on
//!   the pods' port (8080); the database's only the pods' group on 5432. (The
//!   design's "OAC" for the ALB is CloudFront's origin access control, which
//!   exists for S3 and Lambda origins, not for load balancers: the prefix
//!   list is what restricts the ALB.) The ALB forwards to an `ip` target
//!   group, which the AWS Load Balancer Controller in the cluster fills with
//!   the front end's pods (the controller, HPA and Karpenter are Kubernetes
//!   objects, not AWS resources: out of scope).
//! * Node groups "for front end and backend ... (among OnDemand, spot,
//!   Fargate)": per tier an on-demand group (the floor) and a spot group
//!   (the burst, tainted `capacity=spot:NoSchedule` so that only pods that
//!   tolerate interruption land there), labelled `tier=front-end` or
//!   `tier=back-end`.
//! * The cluster's API server is private, and public only from the operators'
//!   CIDR (`admin_cidr`, a documentation range: put yours there); Kubernetes
//!   secrets are encrypted with the environment's KMS key; the API, audit and
//!   authenticator logs go to CloudWatch. An IAM OIDC provider for the
//!   cluster's issuer lets service accounts assume IAM roles. The cluster's
//!   networking add-ons (`vpc-cni`, `coredns`, `kube-proxy`) are EKS
//!   add-ons at the version EKS chooses for the Kubernetes version.
//! * PostgreSQL: Multi-AZ, encrypted with the customer key, 7 days of
//!   automated backups, the master password managed by RDS in Secrets
//!   Manager (which rotates it); deletion protection in prod. Read replicas
//!   are "consider": left out.
//! * AWS Backup: a vault encrypted with the same key; daily backups kept 35
//!   days and monthly ones kept a year ("long-term retention"); in prod each
//!   monthly backup is also copied to a vault in `dr_region` encrypted with a
//!   key of that region ("cross-region copy for DR"). The plan selects the
//!   database by ARN, as its own IAM role.
//! * ECR: one repository per image (`api`, `spa`), immutable tags, scanned on
//!   push, keeping the last 50 images.
//! * CloudTrail: a multi-region trail with log file validation to an S3 log
//!   bucket whose lifecycle moves logs to Glacier after 90 days and expires
//!   them after 365 (prod: 7 years).
//! * CloudFront in front of the ALB with a WAF web ACL (AWS's common and
//!   SQL-injection rule groups, a per-IP rate limit) and `/static/*` cached;
//!   `www.<env>.<domain>` points to it, and `origin.<env>.<domain>` to the
//!   ALB (the name its certificate is for).
//! * Cost allocation: every resource carries `project`, `env`, `cost-center`
//!   and `owner` (the stack's default tags).

#![allow(dead_code)]

use strata::aws::acm::{Certificate, CertificateValidation};
use strata::aws::backup::{BackupRule, Plan, Vault};
use strata::aws::cloudfront::Distribution;
use strata::aws::cloudtrail::Trail;
use strata::aws::ec2::{ManagedPrefixList, NatStrategy, Network, Rule, SecurityGroup, Subnet, SubnetSpec};
use strata::aws::ecr::{LifecycleRule, Repository};
use strata::aws::eks::{Addon, Cluster, NodeGroup, Taint};
use strata::aws::elbv2::{Action, Listener, LoadBalancer, TargetGroup};
use strata::aws::iam::{OpenIdConnectProvider, PolicyDocument, Role};
use strata::aws::kms::Key;
use strata::aws::rds::{DbInstance, DbSubnetGroup};
use strata::aws::route53::{HostedZone, Record, CLOUDFRONT_ZONE_ID};
use strata::aws::s3::{Bucket, BucketPolicy, Lifecycle};
use strata::aws::wafv2::{WafRule, WafScope, WebAcl};
use strata::prelude::*;

/// The region of every environment.
pub const REGION: &str = "eu-central-1";
/// CloudFront's certificates and web ACLs live here.
pub const EDGE_REGION: &str = "us-east-1";
/// The pods' port, behind the ALB.
pub const POD_PORT: u16 = 8080;

/// One tier's node groups.
#[derive(Clone, Debug)]
pub struct Tier {
    /// `front-end` or `back-end`.
    pub name: &'static str,
    pub on_demand_types: Vec<&'static str>,
    /// (min, max, desired) of the on-demand group.
    pub on_demand: (i64, i64, i64),
    /// Several types, so that spot capacity is found.
    pub spot_types: Vec<&'static str>,
    pub spot: (i64, i64, i64),
}

/// One environment's settings.
#[derive(Clone, Debug)]
pub struct Env {
    /// The stack name (`innovate-prod`).
    pub stack: String,
    /// The `env` tag and the names' environment part.
    pub env: &'static str,
    pub cidr: &'static str,
    /// The AZ letters (two, or three for prod).
    pub azs: Vec<char>,
    /// A NAT gateway in each AZ (otherwise one).
    pub nat_per_az: bool,
    /// The parent domain: the environment's zone is `<env>.<domain>`.
    pub domain: &'static str,
    pub kubernetes_version: &'static str,
    /// Who may reach the cluster's public API endpoint.
    pub admin_cidr: &'static str,
    pub tiers: Vec<Tier>,
    pub db_class: &'static str,
    pub db_version: &'static str,
    pub db_storage_gb: i64,
    pub db_protect: bool,
    /// The RDS identifier (account-wide unique).
    pub db_identifier: String,
    /// The ALB's name (account-wide unique, 32 characters at most).
    pub alb_name: String,
    /// Where monthly backups are copied (prod), if anywhere.
    pub dr_region: Option<&'static str>,
    /// Days the trail's logs are kept.
    pub log_days: i64,
    pub cost_center: &'static str,
    /// The AWS account the environment runs in (the trail's bucket policy
    /// names it; the default is the emulators' account).
    pub account: &'static str,
}

impl Env {
    /// A copy whose account-wide unique names carry `tag` (tests use this).
    pub fn isolated(mut self, tag: &str) -> Env {
        self.stack = format!("{tag}-{}", self.stack);
        self.db_identifier = format!("{tag}-{}", self.db_identifier);
        self.alb_name = format!("{tag}-{}", self.alb_name).chars().take(32).collect();
        self
    }

    /// The environment's public zone.
    pub fn zone(&self) -> String {
        format!("{}.{}", self.env, self.domain)
    }

    fn az(&self, letter: char) -> String {
        format!("{REGION}{letter}")
    }

    /// The `i`-th /20 of the VPC.
    fn subnet_cidr(&self, i: usize) -> String {
        let p: Vec<&str> = self.cidr.split('.').take(2).collect();
        format!("{}.{}.{}.0/20", p[0], p.get(1).copied().unwrap_or("0"), i * 16)
    }
}

/// Build the environment's stack.
pub fn stack(env: &Env) -> Stack {
    let mut s = Stack::new(env.stack.as_str(), REGION);
    s.default_tag("project", "innovate");
    s.default_tag("env", env.env);
    s.default_tag("cost-center", env.cost_center);
    s.default_tag("owner", "platform-team");
    let edge = || ResourceOptions::new().region(EDGE_REGION);

    let key = s.add("data-key", Key::new(format!("Innovate {}: database, backups, Kubernetes secrets, logs", env.env)));

    // Network: per AZ a public, a nodes and a database subnet, declared by
    // the `Network` component (one NAT, or one per AZ).
    let mut specs = Vec::new();
    for (tier, public) in [("public", true), ("nodes", false), ("data", false)] {
        for letter in &env.azs {
            let (name, cidr, az) = (format!("{tier}-{letter}"), env.subnet_cidr(specs.len()), env.az(*letter));
            specs.push(if public { SubnetSpec::public(&name, &cidr, &az) } else { SubnetSpec::private(&name, &cidr, &az) });
        }
    }
    let nat = if env.nat_per_az { NatStrategy::PerAz } else { NatStrategy::One };
    let net = Network::new(env.cidr).nat(nat).subnets(specs).build(&mut s, "net");
    let vpc = net.vpc.clone();
    let n = env.azs.len();
    let ids = |l: &[Ref<Subnet>]| l.iter().map(|x| x.id()).collect::<Vec<Output<String>>>();
    let public = ids(&net.public_subnets);
    let (nodes, data) = (ids(&net.private_subnets[..n]), ids(&net.private_subnets[n..]));

    // Three chained security groups.
    let cloudfront = s.lookup::<ManagedPrefixList>("cloudfront-origin-facing", ManagedPrefixList::cloudfront_origin_facing());
    let alb_sg = s.add(
        "alb-sg",
        SecurityGroup::new(vpc.id()).description("ALB: HTTPS from CloudFront only").ingress(Rule::tcp(443).prefix_list(cloudfront.id())).egress(Rule::tcp(POD_PORT).cidr(env.cidr)),
    );
    let pods_sg = s.add("pods-sg", SecurityGroup::new(vpc.id()).description("Pods: from the ALB only").ingress(Rule::tcp(POD_PORT).group(alb_sg.id())).allow_all_egress());
    let db_sg = s.add("db-sg", SecurityGroup::new(vpc.id()).description("PostgreSQL: from the pods only").ingress(Rule::tcp(5432).group(pods_sg.id())));

    // EKS: the cluster, its node groups and its OIDC provider.
    let cluster_role = s.add(
        "eks-cluster-role",
        Role::new(PolicyDocument::assumed_by("eks.amazonaws.com")).description("EKS control plane").attach("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"),
    );
    let node_role = s.add(
        "eks-node-role",
        Role::new(PolicyDocument::assumed_by("ec2.amazonaws.com"))
            .description("EKS nodes")
            .attach("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy")
            .attach("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy")
            .attach("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"),
    );
    let cluster = s.add(
        "eks",
        Cluster::new(env.kubernetes_version, cluster_role.arn(), nodes.clone())
            .security_group(pods_sg.id())
            .public_endpoint([env.admin_cidr])
            .secrets_kms_key(key.arn())
            .log_types(["api", "audit", "authenticator"]),
    );
    s.add("eks-oidc", OpenIdConnectProvider::new(cluster.oidc_issuer()).client_id("sts.amazonaws.com"));
    for addon in ["vpc-cni", "coredns", "kube-proxy"] {
        s.add(format!("addons/{addon}"), Addon::new(cluster.cluster_name(), addon));
    }
    for tier in &env.tiers {
        let (lo, hi, want) = tier.on_demand;
        s.add(
            format!("{}-on-demand", tier.name),
            NodeGroup::new(cluster.cluster_name(), node_role.arn(), nodes.clone(), tier.on_demand_types.clone()).scaling(lo, hi, want).label("tier", tier.name),
        );
        let (lo, hi, want) = tier.spot;
        s.add(
            format!("{}-spot", tier.name),
            NodeGroup::new(cluster.cluster_name(), node_role.arn(), nodes.clone(), tier.spot_types.clone())
                .spot()
                .scaling(lo, hi, want)
                .label("tier", tier.name)
                .taint(Taint::no_schedule("capacity", "spot")),
        );
    }

    // The database.
    let db_subnets = s.add("db-subnets", DbSubnetGroup::new(data.clone()).description("Innovate database subnets"));
    let mut db = DbInstance::postgres(env.db_version, env.db_class)
        .identifier(&env.db_identifier)
        .storage_gb(env.db_storage_gb)
        .storage_type("gp3")
        .max_storage_gb(env.db_storage_gb * 5)
        .multi_az(true)
        .kms_key(key.arn())
        .backup_retention_days(7)
        .subnet_group(db_subnets.group_name())
        .security_group(db_sg.id())
        .deletion_protection(env.db_protect);
    if !env.db_protect {
        db = db.skip_final_snapshot();
    }
    let db = s.add("db", db);

    // AWS Backup: encrypted, long-term, copied to the DR region in prod.
    let vault = s.add("backup-vault", Vault::new().kms_key(key.arn()));
    let mut monthly = BackupRule::new("monthly", "cron(0 3 1 * ? *)", 365);
    if let Some(dr) = env.dr_region {
        let dr_key = s.add_with("dr-key", Key::new(format!("Innovate {}: disaster-recovery backups", env.env)), ResourceOptions::new().region(dr));
        let dr_vault = s.add_with("dr-vault", Vault::new().kms_key(dr_key.arn()), ResourceOptions::new().region(dr));
        monthly = monthly.copy_to(dr_vault.arn(), 365);
    }
    let backup_role = s.add(
        "backup-role",
        Role::new(PolicyDocument::assumed_by("backup.amazonaws.com"))
            .path("/service-role/")
            .description("AWS Backup backs up and restores the database")
            .attach("arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup")
            .attach("arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"),
    );
    s.add(
        "backup-plan",
        Plan::new(vault.vault_name()).rule(BackupRule::new("daily", "cron(0 2 * * ? *)", 35)).rule(monthly).select_resources([db.arn()], backup_role.arn()),
    );

    // ECR, one repository per image.
    for image in ["api", "spa"] {
        s.add(format!("ecr/{image}"), Repository::new().image_tag_mutability("IMMUTABLE").lifecycle_rule(LifecycleRule::keep_last(50)));
    }

    // CloudTrail to a log bucket with lifecycle rules.
    let logs = s.add(
        "trail-logs",
        Bucket::new().force_destroy(!env.db_protect).lifecycle(Lifecycle::new("archive").transition(90, "GLACIER").expire_after_days(env.log_days)),
    );
    let logs_arn = logs.arn();
    let policy = s.add("trail-logs-policy", BucketPolicy::new(logs.bucket_name(), Trail::bucket_policy(&logs_arn, Some("trail"), env.account)));
    s.add("trail", Trail::new(policy.bucket()).s3_key_prefix("trail"));

    // The ALB, behind CloudFront.
    let zone = s.add("zone", HostedZone::public(&env.zone()).comment(&format!("Innovate {}", env.env)));
    let (origin, www) = (format!("origin.{}", env.zone()), format!("www.{}", env.zone()));
    let alb_cert = s.add("alb-cert", Certificate::dns([origin.clone()]));
    let cdn_cert = s.add_with("cdn-cert", Certificate::dns([www.clone()]), edge());
    let alb_rec = s.add("dns/validation/origin", Record::cname(zone.zone_id(), alb_cert.validation_record_name_for(&origin), alb_cert.validation_record_value_for(&origin)).ttl(300));
    let cdn_rec = s.add("dns/validation/www", Record::cname(zone.zone_id(), cdn_cert.validation_record_name_for(&www), cdn_cert.validation_record_value_for(&www)).ttl(300));
    let alb_issued = s.add("alb-cert-issued", CertificateValidation::new(alb_cert.arn()).record(alb_rec.fqdn()));
    let cdn_issued = s.add_with("cdn-cert-issued", CertificateValidation::new(cdn_cert.arn()).record(cdn_rec.fqdn()), edge());
    let alb = s.add("alb", LoadBalancer::internet_facing(public.clone()).name(&env.alb_name).security_group(alb_sg.id()));
    let pods = s.add("front-end-pods", TargetGroup::http(vpc.id(), POD_PORT).ip_targets());
    s.add("https", Listener::https(alb.arn(), 443, alb_issued.certificate_arn(), Action::forward(pods.arn())));
    s.add("dns/origin", Record::alias(zone.zone_id(), &origin, alb.dns_name(), alb.zone_id()));
    let acl = s.add_with(
        "web-acl",
        WebAcl::new(WafScope::CloudFront)
            .description(&format!("Innovate {}", env.env))
            .rule(WafRule::common())
            .rule(WafRule::sql_injection())
            .rule(WafRule::rate_limit("per-ip", 2000)),
        edge(),
    );
    let cdn = s.add(
        "cdn",
        Distribution::new("alb", origin.as_str()).cached_path("/static/*", "alb").alias(&www).certificate(cdn_issued.certificate_arn()).web_acl(acl.arn()).comment(&format!("Innovate {}", env.env)),
    );
    s.add("dns/www", Record::alias(zone.zone_id(), &www, cdn.domain_name(), CLOUDFRONT_ZONE_ID));

    s.export("www", Output::known(www));
    s.export("cloudfront_domain", cdn.domain_name());
    s.export("alb_dns_name", alb.dns_name());
    s.export("cluster", cluster.cluster_name());
    s.export("cluster_endpoint", cluster.endpoint());
    s.export("oidc_issuer", cluster.oidc_issuer());
    s.export("db_endpoint", db.endpoint());
    s.export("db_secret", db.master_secret_arn());
    s.export("name_servers", zone.name_servers());
    s
}
