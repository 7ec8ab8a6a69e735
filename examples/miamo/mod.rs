//! The Miamo shop (`shared/design/miamo.md`): a Magento B2C shop in Frankfurt,
//! three environments in one VPC. `examples/prod.rs`, `stage.rs` and `dev.rs`
//! hold only their settings (an [`Env`]) and a call to the runner; this module
//! turns an `Env` into a [`Stack`].
//!
//! # Who owns what
//!
//! * The **prod stack** (`miamo-prod`) owns the shared network: the VPC
//!   `10.0.0.0/16`, the internet gateway, the NAT gateway in `Public_PROD_B` with
//!   its Elastic IP. It also owns the things every environment shares: the
//!   public zone `miamo.com`, the private zone `miamo.internal`, the CloudFront
//!   web ACL with its IP blocklist and its S3 log bucket, the backup vault and
//!   plan, the alarm topic, and the bastion with its security group (which the
//!   other environments' groups admit SSH from).
//! * **Each environment stack** (`miamo-prod`, `miamo-stage`, `miamo-dev`) owns
//!   its subnets, **its own route tables** (public: default route to the shared
//!   internet gateway; private: default route to the shared NAT gateway), its
//!   security groups, instances, ALB, certificates, CloudFront distribution and
//!   its DNS records (inside prod's zones; records are owned per record, so a
//!   record of `dev` in `miamo.com` belongs to `dev`).
//! * `stage` and `dev` see prod's shared resources through stack references
//!   ([`LookupQuery::StackRef`]): read-only lookups, never changed or deleted.
//!   `destroy` of `dev` deletes only what carries `strata:stack = miamo-dev`.
//!   Deploy `prod` first; destroy `dev` and `stage` before `prod`.
//!
//! # Readings of the design (where it is vague or contradictory)
//!
//! * Route tables: the design puts them in the network part. Here each
//!   environment owns the route tables of its own subnets (an association is
//!   part of a strata route table), so adding or destroying an environment never
//!   edits a table of another stack. Every private table routes through prod's
//!   single NAT in AZ b; the second NAT in AZ c is left out ("an option").
//! * The two DEV private subnets share one ID in the source: they are two
//!   subnets, 10.0.8.0/24 (b) and 10.0.9.0/24 (c), as the CIDRs say.
//! * `magento-stg-1` says "private, AZ b": it is in `Private_STG_B`.
//! * WAF: one CLOUDFRONT web ACL, owned by prod and used by all three
//!   distributions ("shared with stage"; prod "has its own or shares the same").
//!   It blocks the operator's IP set, AWS's common, SQL-injection and
//!   known-bad-input rule groups, and more than 2,000 requests per 5 minutes
//!   from one IP; every request it sees is logged to an `aws-waf-logs-*` bucket
//!   in us-east-1 (the ACL's region).
//! * Certificates: CloudFront's in us-east-1 for the public names; the ALB's in
//!   eu-central-1 for the public names plus the origin name
//!   `origin-<env>.miamo.com` (an alias record to the ALB) that CloudFront
//!   connects to, so that the TLS name check holds for cached paths (origin
//!   name) and for the uncached default (viewer `Host` forwarded). Both are
//!   DNS-validated: the validation records go into `miamo.com`, one per name
//!   (ACM gives a name the same validation record in every certificate of an
//!   account), and the listener and the distribution wait for the certificates
//!   to be issued ([`CertificateValidation`]).
//! * Public records: `miamo.com` is an alias to the prod distribution (apex);
//!   `www.miamo.com` and `staging.miamo.com` are CNAMEs. The design lists no
//!   record for `devaws.miamo.com` although the dev distribution answers to it:
//!   it gets a CNAME like staging's.
//! * ALB "HTTPS only": only a 443 listener; its default answer is 403, and one
//!   rule forwards to Magento when the request carries the secret header
//!   `X-Origin-Verify` that only CloudFront sends (a 32-character secret kept in
//!   Secrets Manager, never printed). The ALB group admits 443 from anywhere:
//!   the header, not the address, is what recognises CloudFront.
//! * Data stores (prod only): RDS MySQL 8.0 on db.m6g.large, Multi-AZ across b
//!   and c, 100 GiB gp3 growing to 500 (the design gives no size); Redis 7.0 on
//!   cache.m6g.large with one replica and automatic failover; Elasticsearch 7.10
//!   on two m6g.large.search nodes (one per AZ) with 30 GB each. Encryption at
//!   rest on for all three; deletion protection on for RDS (the only one of the
//!   three that has it), with a final snapshot on delete.
//! * Security groups are default-deny: Magento takes port 80 from its ALB and
//!   SSH from the bastion; RDS 3306, Redis 6379 and OpenSearch 443 take only
//!   Magento and the bastion. The bastion takes SSH from `ssh_from` (a
//!   documentation range: put the operator's address there).
//! * Backup: "all resources except OpenSearch and Redis" is read as the
//!   database and every Magento and bastion instance, chosen by the tag
//!   `miamo:backup = true`, by one plan in prod (daily 7 days, weekly on Monday
//!   28 days, monthly on the 1st 90 days), whose selection runs as the prod
//!   stack's IAM role `shared/backup-role` (AWS Backup's managed policies for
//!   backups and restores). moto implements no backup selections:
//!   `scripts/moto_server.py` adds them, as AWS documents them.
//! * Alarms on every prod resource (both instances, the ALB, RDS, Redis,
//!   OpenSearch) go to an SNS topic with an e-mail subscription.
//! * Instance names are `Name` tags; every VM has the `env` tag (prod, stage,
//!   dev) and so does everything else, through the stack's default tags.

#![allow(dead_code)]

use strata::aws::acm::{Certificate, CertificateValidation};
use strata::aws::backup::{Plan, Vault};
use strata::aws::cloudfront::Distribution;
use strata::aws::cloudwatch::defaults as alarms;
use strata::aws::ec2::{
    Ami, ElasticIp, Instance, InternetGateway, NatGateway, Route, RouteTable, Rule, SecurityGroup, Subnet, Vpc,
};
use strata::aws::elasticache::{CacheSubnetGroup, ReplicationGroup};
use strata::aws::elbv2::{Action, Condition, Listener, ListenerRule, LoadBalancer, TargetGroup};
use strata::aws::iam::{PolicyDocument, Role};
use strata::aws::opensearch::Domain;
use strata::aws::rds::{DbInstance, DbSubnetGroup};
use strata::aws::route53::{HostedZone, Record, CLOUDFRONT_ZONE_ID};
use strata::aws::s3::{Bucket, Lifecycle};
use strata::aws::secretsmanager::Secret;
use strata::aws::sns::Topic;
use strata::aws::wafv2::{IpSet, WafRule, WafScope, WebAcl};
use strata::prelude::*;

/// The region of the whole shop.
pub const REGION: &str = "eu-central-1";
/// CloudFront's certificates and web ACLs live here.
pub const EDGE_REGION: &str = "us-east-1";
/// The VPC all three environments share.
pub const VPC_CIDR: &str = "10.0.0.0/16";
/// The public zone and the private zone.
pub const PUBLIC_ZONE: &str = "miamo.com";
pub const PRIVATE_ZONE: &str = "miamo.internal";
/// The header that tells the ALB a request came through CloudFront.
pub const ORIGIN_HEADER: &str = "X-Origin-Verify";
/// The tag the backup plan selects by.
pub const BACKUP_TAG: (&str, &str) = ("miamo:backup", "true");
/// The AWS-managed policies of the role AWS Backup assumes.
pub const BACKUP_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup";
/// See [`BACKUP_POLICY`].
pub const RESTORE_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores";

/// A subnet of the design's table.
#[derive(Clone, Debug)]
pub struct SubnetRow {
    /// The design's name, also the `Name` tag (`Private_PROD_A`).
    pub name: &'static str,
    pub public: bool,
    pub az: &'static str,
    pub cidr: &'static str,
}

/// A VM of the design's table.
#[derive(Clone, Debug)]
pub struct Vm {
    /// The design's name, also the `Name` tag.
    pub name: &'static str,
    pub instance_type: &'static str,
    pub root_gb: i64,
    /// The design name of its subnet.
    pub subnet: &'static str,
}

/// Prod's data stores.
#[derive(Clone, Debug)]
pub struct DataStores {
    /// RDS identifier and ElastiCache replication group id (`magento-prd`).
    pub db_identifier: String,
    pub db_class: &'static str,
    pub db_engine_version: &'static str,
    pub db_storage_gb: i64,
    pub redis_id: String,
    pub redis_node_type: &'static str,
    pub redis_version: &'static str,
    pub search_domain: String,
    pub search_engine: &'static str,
    pub search_instance_type: &'static str,
    pub search_nodes: i64,
    pub search_gb: i64,
    /// RDS deletion protection and a final snapshot on delete.
    pub protect: bool,
}

/// One environment's settings: everything the design says about it.
#[derive(Clone, Debug)]
pub struct Env {
    /// The stack name (`miamo-prod`).
    pub stack: String,
    /// The `env` tag (`prod`, `stage`, `dev`).
    pub env: &'static str,
    /// The design's short form in names (`prd`, `stg`, `dev`).
    pub short: &'static str,
    /// `None`: this stack owns the shared network and services (prod).
    /// `Some(stack)`: they belong to that stack, referenced read-only.
    pub shared_from: Option<String>,
    pub subnets: Vec<SubnetRow>,
    pub magento: Vec<Vm>,
    pub bastion: Option<Vm>,
    /// Where SSH to the bastion may come from.
    pub ssh_from: &'static str,
    /// The ALB's name (`magento-prd-alb`).
    pub alb_name: String,
    /// The public names of the distribution; the first is the main one.
    pub domains: Vec<&'static str>,
    pub data: Option<DataStores>,
    /// Where alarms go (prod only: the e-mail subscription of the topic).
    pub alarm_email: Option<&'static str>,
}

/// A subnet row: design name, public or not, AZ letter, CIDR.
pub fn subnet(name: &'static str, public: bool, az: char, cidr: &'static str) -> SubnetRow {
    let az = match az {
        'a' => "eu-central-1a",
        'b' => "eu-central-1b",
        _ => "eu-central-1c",
    };
    SubnetRow { name, public, az, cidr }
}

/// A VM row: design name, type, root disk GB, design name of its subnet.
pub fn vm(name: &'static str, instance_type: &'static str, root_gb: i64, subnet: &'static str) -> Vm {
    Vm { name, instance_type, root_gb, subnet }
}

impl Env {
    /// A copy whose account-wide unique names (stack, ALB, database, cache,
    /// search domain) carry `tag`, so that copies can live side by side in one
    /// account (tests use this).
    pub fn isolated(mut self, tag: &str) -> Env {
        self.stack = format!("{tag}-{}", self.stack);
        self.shared_from = self.shared_from.map(|s| format!("{tag}-{s}"));
        self.alb_name = format!("{tag}-{}", self.alb_name);
        if let Some(d) = &mut self.data {
            d.db_identifier = format!("{tag}-{}", d.db_identifier);
            d.redis_id = format!("{tag}-{}", d.redis_id);
            // OpenSearch domain names have at most 28 characters.
            d.search_domain = format!("{tag}-es").chars().take(28).collect();
        }
        self
    }

    /// The ALB's origin name that CloudFront connects to.
    pub fn origin_domain(&self) -> String {
        format!("origin-{}.{PUBLIC_ZONE}", self.short)
    }

    fn subnet_logical(row: &SubnetRow) -> String {
        row.name.to_lowercase().replace('_', "-")
    }
}

/// What the prod stack shares, as seen by the stack being built (declared
/// here, or looked up in prod).
struct Shared {
    igw: Output<String>,
    nat: Output<String>,
    public_zone: Output<String>,
    name_servers: Output<String>,
    private_zone: Output<String>,
    web_acl: Output<String>,
    bastion_sg: Output<String>,
}

/// Logical names of prod's shared resources (stack references use them).
mod shared_names {
    pub const VPC: &str = "shared/vpc";
    pub const IGW: &str = "shared/igw";
    pub const NAT: &str = "shared/nat";
    pub const PUBLIC_ZONE: &str = "shared/public-zone";
    pub const PRIVATE_ZONE: &str = "shared/private-zone";
    pub const WEB_ACL: &str = "shared/web-acl";
    pub const BASTION_SG: &str = "bastion-sg";
}

/// Build the environment's stack.
pub fn stack(env: &Env) -> Stack {
    let mut s = Stack::new(env.stack.as_str(), REGION);
    s.default_tag("env", env.env);
    s.default_tag("project", "miamo");

    // Subnets first: prod's NAT lives in one of its public subnets.
    let vpc_id = match &env.shared_from {
        Some(from) => {
            let query = LookupQuery::StackRef { stack: from.clone(), resource: shared_names::VPC.into() };
            s.lookup::<Vpc>("prod/vpc", query).id()
        }
        None => s.add(shared_names::VPC, Vpc::new(VPC_CIDR).tag("Name", "miamo")).id(),
    };
    let subnets: Vec<(SubnetRow, Output<String>)> = env
        .subnets
        .iter()
        .map(|row| {
            let mut sub = Subnet::new(vpc_id.clone(), row.cidr, row.az).tag("Name", row.name);
            if row.public {
                sub = sub.public();
            }
            (row.clone(), s.add(Env::subnet_logical(row), sub).id())
        })
        .collect();
    let subnet_id = |name: &str| -> Output<String> {
        subnets.iter().find(|(r, _)| r.name == name).map(|(_, id)| id.clone()).unwrap_or_else(|| {
            // A typo in the settings: a dangling reference that validation reports.
            Output::known(format!("(no subnet named {name})"))
        })
    };
    let in_az = |public: bool, az: &str| -> Vec<Output<String>> {
        subnets.iter().filter(|(r, _)| r.public == public && r.az.ends_with(az)).map(|(_, id)| id.clone()).collect()
    };
    let publics: Vec<Output<String>> = subnets.iter().filter(|(r, _)| r.public).map(|(_, id)| id.clone()).collect();
    let privates: Vec<Output<String>> = subnets.iter().filter(|(r, _)| !r.public).map(|(_, id)| id.clone()).collect();

    let shared = match &env.shared_from {
        None => declare_shared(&mut s, env, vpc_id.clone(), &subnet_id("Public_PROD_B")),
        Some(from) => look_up_shared(&mut s, from),
    };

    // Route tables of this environment's subnets.
    let mut public_rt = RouteTable::new(vpc_id.clone()).route(Route::to_gateway("0.0.0.0/0", shared.igw.clone()));
    for id in &publics {
        public_rt = public_rt.associate(id.clone());
    }
    s.add("public-rt", public_rt.tag("Name", format!("Public_{}", env.short.to_uppercase())));
    let mut private_rt = RouteTable::new(vpc_id.clone()).route(Route::to_nat_gateway("0.0.0.0/0", shared.nat.clone()));
    for id in &privates {
        private_rt = private_rt.associate(id.clone());
    }
    s.add("private-rt", private_rt.tag("Name", format!("Private_{}", env.short.to_uppercase())));

    // Security groups: default-deny, open only what each tier needs.
    let alb_sg = s.add(
        "alb-sg",
        SecurityGroup::new(vpc_id.clone())
            .description("ALB: HTTPS from CloudFront (recognised by the secret header)")
            .ingress(Rule::tcp(443).cidr("0.0.0.0/0"))
            .egress(Rule::tcp(80).cidr(VPC_CIDR)),
    );
    let web_sg = s.add(
        "web-sg",
        SecurityGroup::new(vpc_id.clone())
            .description("Magento: HTTP from its ALB, SSH from the bastion")
            .ingress(Rule::tcp(80).group(alb_sg.id()))
            .ingress(Rule::tcp(22).group(shared.bastion_sg.clone()))
            .allow_all_egress(),
    );

    // Magento (and prod's bastion).
    let ubuntu = s.lookup::<Ami>("ubuntu-20.04", Ami::ubuntu_2004());
    let backup_tag = |i: Instance| i.tag(BACKUP_TAG.0, BACKUP_TAG.1);
    let mut magento = Vec::new();
    for m in &env.magento {
        let inst = s.add(
            m.name,
            backup_tag(
                Instance::new(ubuntu.id(), m.instance_type, subnet_id(m.subnet))
                    .root_volume_gb(m.root_gb)
                    .security_group(web_sg.id())
                    .tag("Name", m.name)
                    .tag("env", env.env),
            ),
        );
        s.add(
            format!("dns/{}", m.name),
            Record::a(shared.private_zone.clone(), format!("{}.{PRIVATE_ZONE}", m.name), [inst.private_ip()]).ttl(300),
        );
        magento.push(inst);
    }
    let mut bastion_ip = None;
    let mut watched_instances: Vec<(String, Output<String>)> =
        magento.iter().map(|i| (i.name().to_string(), i.id())).collect();
    if let Some(b) = &env.bastion {
        let inst = s.add(
            b.name,
            backup_tag(
                Instance::new(ubuntu.id(), b.instance_type, subnet_id(b.subnet))
                    .root_volume_gb(b.root_gb)
                    .security_group(shared.bastion_sg.clone())
                    .tag("Name", b.name)
                    .tag("env", env.env),
            ),
        );
        let eip = s.add(format!("{}-eip", b.name), ElasticIp::new().instance(inst.id()).tag("Name", b.name));
        s.add(
            format!("dns/{}", b.name),
            Record::a(shared.private_zone.clone(), format!("{}.{PRIVATE_ZONE}", b.name), [inst.private_ip()]).ttl(300),
        );
        watched_instances.push((b.name.to_string(), inst.id()));
        bastion_ip = Some(eip.public_ip());
    }

    // The ALB: HTTPS only, forwards only what carries CloudFront's secret header.
    let mut tg = TargetGroup::http(vpc_id.clone(), 80);
    for m in &magento {
        tg = tg.target(m.id());
    }
    let tg = s.add("magento-tg", tg);
    let alb = s.add(
        "alb",
        LoadBalancer::internet_facing([in_az(true, "b"), in_az(true, "c")].concat())
            .name(&env.alb_name)
            .security_group(alb_sg.id()),
    );
    let origin = env.origin_domain();
    let alb_names: Vec<String> = std::iter::once(origin.clone()).chain(env.domains.iter().map(|d| d.to_string())).collect();
    let alb_cert = s.add("alb-cert", Certificate::dns(alb_names));
    let edge = || ResourceOptions::new().region(EDGE_REGION);
    let cdn_cert = s.add_with("cdn-cert", Certificate::dns(env.domains.iter().copied()), edge());

    // DNS validation: one record per name (ACM gives a name the same record in
    // every certificate of the account), then wait for both to be issued.
    let mut validation = Vec::new();
    for d in &env.domains {
        let (name, value) = (cdn_cert.validation_record_name_for(d), cdn_cert.validation_record_value_for(d));
        validation.push(s.add(format!("dns/validation/{d}"), Record::cname(shared.public_zone.clone(), name, value).ttl(300)).fqdn());
    }
    let (name, value) = (alb_cert.validation_record_name_for(&origin), alb_cert.validation_record_value_for(&origin));
    let origin_validation = s.add(format!("dns/validation/{origin}"), Record::cname(shared.public_zone.clone(), name, value).ttl(300));
    let mut alb_issued = CertificateValidation::new(alb_cert.arn()).record(origin_validation.fqdn());
    let mut cdn_issued = CertificateValidation::new(cdn_cert.arn());
    for fqdn in &validation {
        alb_issued = alb_issued.record(fqdn.clone());
        cdn_issued = cdn_issued.record(fqdn.clone());
    }
    let alb_issued = s.add("alb-cert-issued", alb_issued);
    let cdn_issued = s.add_with("cdn-cert-issued", cdn_issued, edge());

    let header = s.add("origin-header", Secret::generated(32).description("CloudFront -> ALB origin header"));
    let https = s.add(
        "https",
        Listener::https(alb.arn(), 443, alb_issued.certificate_arn(), Action::fixed_response(403, "text/plain", "Forbidden")),
    );
    s.add(
        "from-cloudfront",
        ListenerRule::new(https.arn(), 10, Action::forward(tg.arn())).when(Condition::http_header(ORIGIN_HEADER, header.value())),
    );
    s.add("dns/origin", Record::alias(shared.public_zone.clone(), &origin, alb.dns_name(), alb.zone_id()));

    // CloudFront in front, with the shared web ACL.
    let mut cdn = Distribution::new("alb", origin.as_str())
        .origin_header("alb", ORIGIN_HEADER, header.value())
        .cached_path("/media/*", "alb")
        .cached_path("/static/*", "alb")
        .cached_path("/pub/*", "alb")
        .certificate(cdn_issued.certificate_arn())
        .web_acl(shared.web_acl.clone())
        .comment(&format!("Miamo {}", env.env));
    for d in &env.domains {
        cdn = cdn.alias(d);
    }
    let cdn = s.add("cdn", cdn);
    for d in &env.domains {
        let record = if d.matches('.').count() == 1 {
            // The apex cannot be a CNAME.
            Record::alias(shared.public_zone.clone(), *d, cdn.domain_name(), CLOUDFRONT_ZONE_ID)
        } else {
            Record::cname(shared.public_zone.clone(), *d, cdn.domain_name()).ttl(300)
        };
        s.add(format!("dns/{d}"), record);
    }

    // Prod: data stores, alarms.
    let mut exports_data = None;
    if let Some(data) = &env.data {
        let store_sg = |s: &mut Stack, name: &str, what: &str, port: u16| {
            s.add(
                name,
                SecurityGroup::new(vpc_id.clone())
                    .description(format!("{what}: Magento and the bastion only"))
                    .ingress(Rule::tcp(port).group(web_sg.id()))
                    .ingress(Rule::tcp(port).group(shared.bastion_sg.clone())),
            )
        };
        let data_subnets = [in_az(false, "b"), in_az(false, "c")].concat();
        let db_sg = store_sg(&mut s, "db-sg", "MySQL", 3306);
        let redis_sg = store_sg(&mut s, "redis-sg", "Redis", 6379);
        let search_sg = store_sg(&mut s, "search-sg", "OpenSearch", 443);
        let db_subnets = s.add("db-subnets", DbSubnetGroup::new(data_subnets.clone()).description("Miamo private b + c"));
        let mut db = DbInstance::mysql(data.db_engine_version, data.db_class)
            .identifier(&data.db_identifier)
            .storage_gb(data.db_storage_gb)
            .storage_type("gp3")
            .max_storage_gb(data.db_storage_gb * 5)
            .multi_az(true)
            .backup_retention_days(7)
            .subnet_group(db_subnets.group_name())
            .security_group(db_sg.id())
            .deletion_protection(data.protect)
            .tag(BACKUP_TAG.0, BACKUP_TAG.1);
        if !data.protect {
            db = db.skip_final_snapshot();
        }
        let db = s.add("db", db);
        let cache_subnets = s.add("cache-subnets", CacheSubnetGroup::new(data_subnets.clone()).description("Miamo private b + c"));
        let redis = s.add(
            "redis",
            ReplicationGroup::redis(data.redis_version, data.redis_node_type)
                .id(&data.redis_id)
                .description("Magento cache and sessions")
                .replicas(1)
                .subnet_group(cache_subnets.group_name())
                .security_group(redis_sg.id()),
        );
        let search = s.add(
            "search",
            Domain::new(data.search_engine, data.search_instance_type)
                .name(&data.search_domain)
                .instances(data.search_nodes)
                .ebs_gb(data.search_gb)
                .subnets(data_subnets)
                .security_group(search_sg.id()),
        );
        for (name, target) in [("db", db.endpoint()), ("redis", redis.primary_endpoint()), ("search", search.endpoint())] {
            s.add(format!("dns/{name}"), Record::cname(shared.private_zone.clone(), format!("{name}.{PRIVATE_ZONE}"), target).ttl(300));
        }
        exports_data = Some((db.endpoint(), redis.primary_endpoint(), search.endpoint(), db.identifier(), redis.group_id(), search.arn()));
    }
    if let Some(email) = env.alarm_email {
        let topic = s.add("alerts", Topic::new().display_name("Miamo alarms").email_subscription(email));
        let topic_arn = topic.arn();
        s.component("alarms", |s| {
            for (name, id) in &watched_instances {
                alarms::instance(s, name, id.clone(), &topic_arn);
            }
            alarms::alb(s, "alb", &alb.arn(), &tg.arn(), &topic_arn);
            if let Some((_, _, _, db_id, redis_id, search_arn)) = &exports_data {
                alarms::rds(s, "db", db_id, 600, &topic_arn);
                alarms::redis(s, "redis", redis_id, &topic_arn);
                alarms::opensearch(s, "search", search_arn, &topic_arn);
            }
        });
    }

    // Outputs.
    s.export("cloudfront_domain", cdn.domain_name());
    s.export("alb_dns_name", alb.dns_name());
    if let Some(ip) = bastion_ip {
        s.export("bastion_public_ip", ip);
    }
    if let Some((db, redis, search, ..)) = exports_data {
        s.export("rds_endpoint", db);
        s.export("redis_endpoint", redis);
        s.export("opensearch_endpoint", search);
    }
    s.export("name_servers", shared.name_servers);
    s
}

/// Prod declares what all environments share.
fn declare_shared(s: &mut Stack, env: &Env, vpc: Output<String>, nat_subnet: &Output<String>) -> Shared {
    let igw = s.add(shared_names::IGW, InternetGateway::new().vpc_id(vpc.clone()).tag("Name", "miamo"));
    let nat_eip = s.add("shared/nat-eip", ElasticIp::new().tag("Name", "miamo-nat"));
    let nat = s.add(shared_names::NAT, NatGateway::new(nat_subnet.clone(), nat_eip.allocation_id()).tag("Name", "miamo-nat-b"));
    let public_zone = s.add(shared_names::PUBLIC_ZONE, HostedZone::public(PUBLIC_ZONE).comment("Miamo public names"));
    let private_zone =
        s.add(shared_names::PRIVATE_ZONE, HostedZone::private(PRIVATE_ZONE, vpc.clone()).comment("Miamo internal names"));

    // The CloudFront web ACL all three distributions use, logged to S3.
    let edge = || ResourceOptions::new().region(EDGE_REGION);
    let logs = s.add_with(
        "shared/waf-logs",
        Bucket::waf_logs().lifecycle(Lifecycle::new("expire").expire_after_days(90)),
        edge(),
    );
    let blocklist =
        s.add_with("shared/ip-blocklist", IpSet::new(WafScope::CloudFront, Vec::<String>::new()).description("Operator's blocklist"), edge());
    let acl = s.add_with(
        shared_names::WEB_ACL,
        WebAcl::new(WafScope::CloudFront)
            .description("Miamo: shared by prod, stage and dev")
            .rule(WafRule::block_ip_set("blocklist", blocklist.arn()))
            .rule(WafRule::common())
            .rule(WafRule::sql_injection())
            .rule(WafRule::known_bad_inputs())
            .rule(WafRule::rate_limit("per-ip", 2000))
            .log_to(logs.arn()),
        edge(),
    );

    // Backups of everything tagged for them.
    let vault = s.add("shared/backup-vault", Vault::new());
    // AWS Backup assumes this role to take the backups (AWS's managed policy
    // for it) and to restore them.
    let backup_role = s.add(
        "shared/backup-role",
        Role::new(PolicyDocument::assumed_by("backup.amazonaws.com"))
            .path("/service-role/")
            .description("Miamo: AWS Backup takes and restores the backups of resources tagged miamo:backup=true")
            .attach(BACKUP_POLICY)
            .attach(RESTORE_POLICY),
    );
    let plan = Plan::miamo_policy(vault.vault_name()).select_by_tag(BACKUP_TAG.0, BACKUP_TAG.1, backup_role.arn());
    s.add("shared/backup-plan", plan);

    // The bastion's group: the only way in. Other stacks refer to it.
    let bastion_sg = s.add(
        shared_names::BASTION_SG,
        SecurityGroup::new(vpc.clone())
            .description("Bastion: SSH from the operator")
            .ingress(Rule::tcp(22).cidr(env.ssh_from))
            .allow_all_egress(),
    );
    Shared {
        igw: igw.id(),
        nat: nat.id(),
        public_zone: public_zone.zone_id(),
        name_servers: public_zone.name_servers(),
        private_zone: private_zone.zone_id(),
        web_acl: acl.arn(),
        bastion_sg: bastion_sg.id(),
    }
}

/// Stage and dev refer to prod's shared resources (read-only).
fn look_up_shared(s: &mut Stack, from: &str) -> Shared {
    let r = |name: &str| LookupQuery::StackRef { stack: from.into(), resource: name.into() };
    let igw = s.lookup::<InternetGateway>("prod/igw", r(shared_names::IGW));
    let nat = s.lookup::<NatGateway>("prod/nat", r(shared_names::NAT));
    let public_zone = s.lookup::<HostedZone>("prod/public-zone", r(shared_names::PUBLIC_ZONE));
    let private_zone = s.lookup::<HostedZone>("prod/private-zone", r(shared_names::PRIVATE_ZONE));
    let acl = s.lookup_in::<WebAcl>("prod/web-acl", EDGE_REGION, r(shared_names::WEB_ACL));
    let bastion_sg = s.lookup::<SecurityGroup>("prod/bastion-sg", r(shared_names::BASTION_SG));
    Shared {
        igw: igw.id(),
        nat: nat.id(),
        public_zone: public_zone.zone_id(),
        name_servers: public_zone.name_servers(),
        private_zone: private_zone.zone_id(),
        web_acl: acl.arn(),
        bastion_sg: bastion_sg.id(),
    }
}
