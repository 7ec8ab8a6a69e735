//! The acceptance test of the whole library: the Miamo shop
//! (`shared/design/miamo.md`) as the `prod`, `stage` and `dev` stacks of
//! `examples/miamo`, on moto (the one emulator with every service they use).
//!
//! For each environment: apply; check every fact of the design's tables with
//! independent SDK describe calls (the tables below are copied from the design,
//! not from the examples' settings); re-apply with zero mutating calls. Then
//! `dev` is destroyed next to `prod` and `stage` and `prod` must be unchanged
//! (same inventory, empty plan); then `stage`; then `prod`, whose database
//! refuses the destroy plan until its deletion protection is turned off. Each destroy must leave
//! nothing tagged with the stack.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::Filter;
use strata::engine::{CallCounter, Engine};
use strata::{Report, Stack};
use strata_aws_testkit::{unique_stack, Emulator};

use crate::inventory::tagged_with;
use crate::{miamo_dev, miamo_prod, miamo_stage};

const REGION: &str = "eu-central-1";

/// The design's subnet table: name, environment, public, AZ, CIDR.
const SUBNETS: &[(&str, &str, bool, &str, &str)] = &[
    ("Private_PROD_A", "prod", false, "eu-central-1a", "10.0.1.0/24"),
    ("Private_PROD_B", "prod", false, "eu-central-1b", "10.0.2.0/24"),
    ("Private_PROD_C", "prod", false, "eu-central-1c", "10.0.3.0/24"),
    ("Public_PROD_B", "prod", true, "eu-central-1b", "10.0.11.0/24"),
    ("Public_PROD_C", "prod", true, "eu-central-1c", "10.0.12.0/24"),
    ("Private_STG_B", "stage", false, "eu-central-1b", "10.0.6.0/24"),
    ("Private_STG_C", "stage", false, "eu-central-1c", "10.0.7.0/24"),
    ("Public_STG_B", "stage", true, "eu-central-1b", "10.0.16.0/24"),
    ("Public_STG_C", "stage", true, "eu-central-1c", "10.0.17.0/24"),
    ("Private_DEV_B", "dev", false, "eu-central-1b", "10.0.8.0/24"),
    ("Private_DEV_C", "dev", false, "eu-central-1c", "10.0.9.0/24"),
    ("Public_DEV_B", "dev", true, "eu-central-1b", "10.0.18.0/24"),
    ("Public_DEV_C", "dev", true, "eu-central-1c", "10.0.19.0/24"),
];

/// The design's compute table: name, environment, AZ, type, root disk GB, subnet.
const VMS: &[(&str, &str, &str, &str, i32, &str)] = &[
    ("magento-dev-1", "dev", "eu-central-1b", "m5.large", 32, "Private_DEV_B"),
    ("magento-stg-1", "stage", "eu-central-1b", "m5.large", 64, "Private_STG_B"),
    ("magento-prd-1", "prod", "eu-central-1b", "m5.large", 32, "Private_PROD_B"),
    ("bastion-host-1", "prod", "eu-central-1b", "t3.medium", 20, "Public_PROD_B"),
];

/// Domains and ALB names per environment.
const EDGE: &[(&str, &[&str], &str)] = &[
    ("dev", &["devaws.miamo.com"], "miamo-dev-alb"),
    ("stage", &["staging.miamo.com"], "miamo-stg-alb"),
    ("prod", &["miamo.com", "www.miamo.com"], "magento-prd-alb"),
];

/// Facts checked, and the ones that did not hold.
#[derive(Default)]
struct Facts {
    checked: usize,
    wrong: Vec<String>,
}

impl Facts {
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, want: T, got: T) {
        self.checked += 1;
        if want != got {
            self.wrong.push(format!("{what}: want {want:?}, got {got:?}"));
        }
    }
    fn holds(&mut self, what: &str, ok: bool) {
        self.checked += 1;
        if !ok {
            self.wrong.push(what.to_string());
        }
    }
    fn assert_all(&self, env: &str) {
        assert!(self.wrong.is_empty(), "{env}: {} of {} facts wrong:\n  {}", self.wrong.len(), self.checked, self.wrong.join("\n  "));
        assert!(self.checked > 40, "{env}: only {} facts checked", self.checked);
    }
}

fn id(report: &Report, name: &str) -> String {
    report.outcome(name).and_then(|o| o.physical_id.clone()).unwrap_or_else(|| panic!("no physical id for {name}"))
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

fn tag<'a>(tags: &'a [aws_sdk_ec2::types::Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key() == Some(key)).and_then(|t| t.value())
}

/// The prod ids the other environments refer to.
struct ProdIds {
    vpc: String,
    igw: String,
    nat: String,
    public_zone: String,
    private_zone: String,
    web_acl: String,
    bastion_sg: String,
}

struct Clients {
    ec2: aws_sdk_ec2::Client,
    acm: BTreeMap<String, aws_sdk_acm::Client>,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    sm: aws_sdk_secretsmanager::Client,
    cf: aws_sdk_cloudfront::Client,
    r53: aws_sdk_route53::Client,
    rds: aws_sdk_rds::Client,
    ec: aws_sdk_elasticache::Client,
    os: aws_sdk_opensearch::Client,
    waf_edge: aws_sdk_wafv2::Client,
    backup: aws_sdk_backup::Client,
    iam: aws_sdk_iam::Client,
    sns: aws_sdk_sns::Client,
    cw: aws_sdk_cloudwatch::Client,
}

/// Every record of a zone: (name without the trailing dot, type) -> values or alias target.
async fn records(r53: &aws_sdk_route53::Client, zone: &str) -> BTreeMap<(String, String), Vec<String>> {
    let sets = r53.list_resource_record_sets().hosted_zone_id(zone).send().await.unwrap();
    sets.resource_record_sets()
        .iter()
        .map(|r| {
            let values = match r.alias_target() {
                Some(a) => vec![a.dns_name().trim_end_matches('.').to_string()],
                None => r.resource_records().iter().map(|v| v.value().trim_end_matches('.').to_string()).collect(),
            };
            ((r.name().trim_end_matches('.').to_string(), r.r#type().as_str().to_string()), values)
        })
        .collect()
}

/// A group's ingress as (port, source group or CIDR) pairs.
async fn ingress_of(ec2: &aws_sdk_ec2::Client, group: &str) -> BTreeSet<(Option<i32>, String)> {
    let got = ec2.describe_security_groups().group_ids(group).send().await.unwrap();
    got.security_groups()[0]
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            let port = p.from_port();
            let mut from: Vec<String> = p.user_id_group_pairs().iter().filter_map(|g| g.group_id().map(str::to_string)).collect();
            from.extend(p.ip_ranges().iter().filter_map(|r| r.cidr_ip().map(str::to_string)));
            from.into_iter().map(move |s| (port, s))
        })
        .collect()
}

/// The facts every environment shares: subnets, route tables, Magento, ALB,
/// CloudFront, DNS.
async fn verify_environment(c: &Clients, env: &str, tag_prefix: &str, report: &Report, prod: &ProdIds, f: &mut Facts) {
    // Subnets.
    let rows: Vec<_> = SUBNETS.iter().filter(|r| r.1 == env).collect();
    let subnet_id = |name: &str| id(report, &name.to_lowercase().replace('_', "-"));
    for (name, _, public, az, cidr) in &rows {
        let got = c.ec2.describe_subnets().subnet_ids(subnet_id(name)).send().await.unwrap();
        let s = &got.subnets()[0];
        f.eq(&format!("{name} CIDR"), Some(*cidr), s.cidr_block());
        f.eq(&format!("{name} AZ"), Some(*az), s.availability_zone());
        f.eq(&format!("{name} Name tag"), Some(*name), tag(s.tags(), "Name"));
        f.eq(&format!("{name} public"), Some(*public), s.map_public_ip_on_launch());
        f.eq(&format!("{name} VPC"), Some(prod.vpc.as_str()), s.vpc_id());
    }
    let ids_of = |public: bool| sorted(rows.iter().filter(|r| r.2 == public).map(|r| subnet_id(r.0)).collect::<Vec<_>>());

    // Route tables: this environment's, through prod's gateways.
    for (rt, public) in [("public-rt", true), ("private-rt", false)] {
        let got = c.ec2.describe_route_tables().route_table_ids(id(report, rt)).send().await.unwrap();
        let t = &got.route_tables()[0];
        let default = t.routes().iter().find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"));
        let target = default.and_then(|r| if public { r.gateway_id() } else { r.nat_gateway_id() });
        let want = if public { prod.igw.as_str() } else { prod.nat.as_str() };
        f.eq(&format!("{env} {rt} default route"), Some(want), target);
        let assoc = sorted(t.associations().iter().filter_map(|a| a.subnet_id().map(str::to_string)).collect());
        f.eq(&format!("{env} {rt} subnets"), ids_of(public), assoc);
    }

    // Magento (and the bastion): type, AZ, subnet, disk, image, tags, IMDSv2.
    let mut magento_ids = Vec::new();
    for (name, _, az, itype, gb, subnet) in VMS.iter().filter(|v| v.1 == env) {
        let iid = id(report, name);
        let got = c.ec2.describe_instances().instance_ids(&iid).send().await.unwrap();
        let i = &got.reservations()[0].instances()[0];
        f.eq(&format!("{name} type"), Some(*itype), i.instance_type().map(|t| t.as_str()));
        f.eq(&format!("{name} AZ"), Some(*az), i.placement().and_then(|p| p.availability_zone()));
        f.eq(&format!("{name} subnet"), Some(subnet_id(subnet)), i.subnet_id().map(str::to_string));
        f.eq(&format!("{name} env tag"), Some(env), tag(i.tags(), "env"));
        f.eq(&format!("{name} Name tag"), Some(*name), tag(i.tags(), "Name"));
        f.eq(
            &format!("{name} IMDSv2"),
            Some("required"),
            i.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str()),
        );
        let image = c.ec2.describe_images().image_ids(i.image_id().unwrap_or_default()).send().await.unwrap();
        let image_name = image.images().first().and_then(|im| im.name()).unwrap_or_default().to_string();
        f.holds(&format!("{name} runs Ubuntu 20.04 (image {image_name})"), image_name.contains("ubuntu-focal-20.04"));
        let vols = c
            .ec2
            .describe_volumes()
            .filters(Filter::builder().name("attachment.instance-id").values(&iid).build())
            .send()
            .await
            .unwrap();
        let root = vols.volumes().first();
        f.eq(&format!("{name} root disk GB"), Some(*gb), root.and_then(|v| v.size()));
        f.eq(&format!("{name} root disk encrypted"), Some(true), root.and_then(|v| v.encrypted()));
        if name.starts_with("magento") {
            magento_ids.push(iid);
        }
    }

    // The ALB: name, public subnets in b and c, HTTPS only, 403 without the secret header.
    let (_, domains, alb_name) = EDGE.iter().find(|e| e.0 == env).unwrap();
    let alb_name = format!("{tag_prefix}-{alb_name}");
    let lbs = c.elb.describe_load_balancers().names(&alb_name).send().await.unwrap();
    let lb = &lbs.load_balancers()[0];
    f.eq(&format!("{env} ALB scheme"), Some("internet-facing"), lb.scheme().map(|s| s.as_str()));
    let lb_subnets = sorted(lb.availability_zones().iter().filter_map(|z| z.subnet_id().map(str::to_string)).collect());
    f.eq(&format!("{env} ALB subnets"), ids_of(true), lb_subnets);
    let listeners = c.elb.describe_listeners().load_balancer_arn(lb.load_balancer_arn().unwrap()).send().await.unwrap();
    let ports: Vec<(Option<i32>, Option<&str>)> =
        listeners.listeners().iter().map(|l| (l.port(), l.protocol().map(|p| p.as_str()))).collect();
    f.eq(&format!("{env} ALB listeners"), vec![(Some(443), Some("HTTPS"))], ports);
    let https = &listeners.listeners()[0];
    f.eq(
        &format!("{env} ALB default answer"),
        Some("403"),
        https.default_actions().first().and_then(|a| a.fixed_response_config()).and_then(|r| r.status_code()),
    );
    let secret = c
        .sm
        .get_secret_value()
        .secret_id(format!("{}/origin-header", report.stack))
        .send()
        .await
        .unwrap()
        .secret_string()
        .unwrap()
        .to_string();
    f.eq(&format!("{env} origin secret length"), 32, secret.len());
    let rules = c.elb.describe_rules().listener_arn(https.listener_arn().unwrap()).send().await.unwrap();
    let rule = rules.rules().iter().find(|r| r.is_default() != Some(true));
    let header = rule.and_then(|r| r.conditions().first()).and_then(|c| c.http_header_config());
    f.eq(&format!("{env} ALB header name"), Some("X-Origin-Verify"), header.and_then(|h| h.http_header_name()));
    f.eq(&format!("{env} ALB header value"), vec![secret.clone()], header.map(|h| h.values().to_vec()).unwrap_or_default());
    let tg = rule.and_then(|r| r.actions().first()).and_then(|a| a.target_group_arn()).unwrap_or_default().to_string();
    let health = c.elb.describe_target_health().target_group_arn(&tg).send().await.unwrap();
    let targets = sorted(
        health.target_health_descriptions().iter().filter_map(|t| t.target().and_then(|t| t.id()).map(str::to_string)).collect(),
    );
    f.eq(&format!("{env} ALB targets"), sorted(magento_ids.clone()), targets);

    // CloudFront: aliases, certificate, origin, secret header, cached paths, WAF.
    use strata::aws::cloudfront::{ALL_VIEWER, CACHING_DISABLED, CACHING_OPTIMIZED};
    let cdn = id(report, "cdn");
    let cfg = c.cf.get_distribution_config().id(&cdn).send().await.unwrap();
    let cfg = cfg.distribution_config().unwrap();
    let aliases = sorted(cfg.aliases().map(|a| a.items().to_vec()).unwrap_or_default());
    f.eq(&format!("{env} CloudFront aliases"), domains.iter().map(|d| d.to_string()).collect::<Vec<_>>(), aliases);
    let cert = cfg.viewer_certificate().and_then(|v| v.acm_certificate_arn()).unwrap_or_default().to_string();
    f.eq(&format!("{env} CloudFront certificate"), id(report, "cdn-cert"), cert.clone());
    f.holds(&format!("{env} CloudFront certificate in us-east-1 ({cert})"), cert.contains(":us-east-1:"));
    let short = match env {
        "prod" => "prd",
        "stage" => "stg",
        _ => "dev",
    };
    let origin_name = format!("origin-{short}.miamo.com");
    let origin = &cfg.origins().unwrap().items()[0];
    f.eq(&format!("{env} CloudFront origin"), origin_name.as_str(), origin.domain_name());
    f.eq(
        &format!("{env} CloudFront origin HTTPS only"),
        Some(&aws_sdk_cloudfront::types::OriginProtocolPolicy::HttpsOnly),
        origin.custom_origin_config().map(|o| o.origin_protocol_policy()),
    );
    let h = origin.custom_headers().map(|h| h.items().to_vec()).unwrap_or_default();
    f.eq(
        &format!("{env} CloudFront secret header"),
        vec![("X-Origin-Verify".to_string(), secret.clone())],
        h.iter().map(|h| (h.header_name().to_string(), h.header_value().to_string())).collect(),
    );
    let default = cfg.default_cache_behavior().unwrap();
    f.eq(
        &format!("{env} uncached default forwards everything"),
        (Some(CACHING_DISABLED), Some(ALL_VIEWER)),
        (default.cache_policy_id(), default.origin_request_policy_id()),
    );
    let cached: Vec<(String, Option<String>)> = sorted(
        cfg.cache_behaviors()
            .unwrap()
            .items()
            .iter()
            .map(|b| (b.path_pattern().to_string(), b.cache_policy_id().map(str::to_string)))
            .collect(),
    );
    let want: Vec<(String, Option<String>)> =
        ["/media/*", "/pub/*", "/static/*"].iter().map(|p| (p.to_string(), Some(CACHING_OPTIMIZED.to_string()))).collect();
    f.eq(&format!("{env} cached paths"), want, cached);
    f.eq(&format!("{env} CloudFront web ACL (shared)"), Some(prod.web_acl.as_str()), cfg.web_acl_id());

    // Public names to the distribution; the origin name to the ALB.
    let cdn_domain = c.cf.get_distribution().id(&cdn).send().await.unwrap().distribution().unwrap().domain_name().to_string();
    let public = records(&c.r53, &prod.public_zone).await;
    for d in domains.iter() {
        let rtype = if d.matches('.').count() == 1 { "A" } else { "CNAME" };
        f.eq(&format!("{d} {rtype} record"), Some(&vec![cdn_domain.clone()]), public.get(&(d.to_string(), rtype.to_string())));
    }
    let alb_dns = lb.dns_name().unwrap_or_default().to_string();
    f.eq(&format!("{origin_name} alias to the ALB"), Some(&vec![alb_dns]), public.get(&(origin_name.clone(), "A".into())));

    // Certificates: issued through DNS validation records in the public zone.
    let acm = |region: &str| c.acm.get(region).cloned().unwrap_or_else(|| panic!("no ACM client for {region}"));
    let mut wanted: Vec<(String, String, String)> = domains.iter().map(|d| (d.to_string(), id(report, "cdn-cert"), "us-east-1".into())).collect();
    wanted.push((origin_name.clone(), id(report, "alb-cert"), REGION.into()));
    for (cert, region) in [(id(report, "cdn-cert"), "us-east-1"), (id(report, "alb-cert"), REGION)] {
        let d = acm(region).describe_certificate().certificate_arn(&cert).send().await.unwrap();
        f.eq(&format!("{env} {cert} status"), Some(&aws_sdk_acm::types::CertificateStatus::Issued), d.certificate().and_then(|c| c.status()));
    }
    for (domain, cert, region) in wanted {
        let d = acm(&region).describe_certificate().certificate_arn(&cert).send().await.unwrap();
        let rr = d
            .certificate()
            .map(|c| c.domain_validation_options().to_vec())
            .unwrap_or_default()
            .into_iter()
            .find(|o| o.domain_name() == domain)
            .and_then(|o| o.resource_record().cloned());
        let Some(rr) = rr else {
            f.holds(&format!("{domain}: ACM gives a validation record"), false);
            continue;
        };
        let key = (rr.name().trim_end_matches('.').to_string(), "CNAME".to_string());
        f.eq(&format!("{domain} validation record"), Some(&vec![rr.value().trim_end_matches('.').to_string()]), public.get(&key));
    }
    f.eq(
        &format!("{env} listener certificate"),
        vec![id(report, "alb-cert")],
        https.certificates().iter().filter_map(|c| c.certificate_arn().map(str::to_string)).collect::<Vec<_>>(),
    );

    // Private names of the instances.
    let private = records(&c.r53, &prod.private_zone).await;
    for (name, ..) in VMS.iter().filter(|v| v.1 == env) {
        let got = c.ec2.describe_instances().instance_ids(id(report, name)).send().await.unwrap();
        let ip = got.reservations()[0].instances()[0].private_ip_address().unwrap_or_default().to_string();
        f.eq(&format!("{name}.miamo.internal"), Some(&vec![ip]), private.get(&(format!("{name}.miamo.internal"), "A".into())));
    }

    // Magento's group: HTTP from its ALB, SSH from prod's bastion group, nothing else.
    let ingress = ingress_of(&c.ec2, &id(report, "web-sg")).await;
    let want: BTreeSet<(Option<i32>, String)> =
        [(Some(80), id(report, "alb-sg")), (Some(22), prod.bastion_sg.clone())].into_iter().collect();
    f.eq(&format!("{env} Magento ingress"), want, ingress);
}

/// Prod only: the shared network, WAF, data stores, backups, alarms, zones, bastion.
async fn verify_prod(c: &Clients, report: &Report, prod: &ProdIds, f: &mut Facts) {
    let vpc = c.ec2.describe_vpcs().vpc_ids(&prod.vpc).send().await.unwrap();
    f.eq("VPC CIDR", Some("10.0.0.0/16"), vpc.vpcs()[0].cidr_block());
    let nat = c.ec2.describe_nat_gateways().nat_gateway_ids(&prod.nat).send().await.unwrap();
    let nat = &nat.nat_gateways()[0];
    f.eq("NAT in Public_PROD_B", Some(id(report, "public-prod-b")), nat.subnet_id().map(str::to_string));
    f.holds("NAT has an Elastic IP", nat.nat_gateway_addresses().iter().any(|a| a.allocation_id().is_some()));

    // The bastion's own Elastic IP.
    let bastion = id(report, "bastion-host-1");
    let eips = c
        .ec2
        .describe_addresses()
        .filters(Filter::builder().name("instance-id").values(&bastion).build())
        .send()
        .await
        .unwrap();
    let ip = eips.addresses().first().and_then(|a| a.public_ip()).map(str::to_string);
    f.holds("bastion has an Elastic IP", ip.is_some());
    f.eq("bastion_public_ip output", ip.clone(), report.exports.get("bastion_public_ip").and_then(|v| v.as_str().map(str::to_string)));
    let bsg = c.ec2.describe_security_groups().group_ids(&prod.bastion_sg).send().await.unwrap();
    let ssh: Vec<(Option<i32>, Vec<String>)> = bsg.security_groups()[0]
        .ip_permissions()
        .iter()
        .map(|p| (p.from_port(), p.ip_ranges().iter().filter_map(|r| r.cidr_ip().map(str::to_string)).collect()))
        .collect();
    f.eq("bastion takes SSH from the operator only", vec![(Some(22), vec!["203.0.113.0/24".to_string()])], ssh);

    // The private zone is associated with the VPC.
    let zone = c.r53.get_hosted_zone().id(&prod.private_zone).send().await.unwrap();
    f.eq("private zone name", Some("miamo.internal."), zone.hosted_zone().map(|z| z.name()));
    f.eq(
        "private zone VPC",
        vec![prod.vpc.clone()],
        zone.vpcs().iter().filter_map(|v| v.vpc_id().map(str::to_string)).collect::<Vec<_>>(),
    );
    let public = c.r53.get_hosted_zone().id(&prod.public_zone).send().await.unwrap();
    f.eq("public zone name", Some("miamo.com."), public.hosted_zone().map(|z| z.name()));
    let ns: Vec<String> = public.delegation_set().map(|d| d.name_servers().to_vec()).unwrap_or_default();
    f.eq("name_servers output", Some(ns.join(",")), report.exports.get("name_servers").and_then(|v| v.as_str().map(str::to_string)));

    // The shared WAF: CLOUDFRONT scope, blocklist + managed rules + rate limit, logged to S3.
    let arn = &prod.web_acl;
    let parts: Vec<&str> = arn.rsplit('/').collect();
    let (acl_id, acl_name) = (parts[0], parts[1]);
    let acl = c
        .waf_edge
        .get_web_acl()
        .scope(aws_sdk_wafv2::types::Scope::Cloudfront)
        .id(acl_id)
        .name(acl_name)
        .send()
        .await
        .unwrap();
    let rules = acl.web_acl().map(|a| a.rules().to_vec()).unwrap_or_default();
    let mut kinds: Vec<String> = rules
        .iter()
        .filter_map(|r| r.statement())
        .map(|s| {
            if s.ip_set_reference_statement().is_some() {
                "ip-set".to_string()
            } else if let Some(m) = s.managed_rule_group_statement() {
                m.name().to_string()
            } else if s.rate_based_statement().is_some() {
                "rate".to_string()
            } else {
                "other".to_string()
            }
        })
        .collect();
    kinds.sort();
    f.eq(
        "WAF rules",
        vec!["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet", "ip-set", "rate"],
        kinds.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let logging = c.waf_edge.get_logging_configuration().resource_arn(arn).send().await.unwrap();
    let dest = logging.logging_configuration().map(|l| l.log_destination_configs().to_vec()).unwrap_or_default();
    let bucket = id(report, "shared/waf-logs");
    f.eq("WAF logs to its bucket", vec![format!("arn:aws:s3:::{bucket}")], dest);
    f.holds(&format!("WAF log bucket name {bucket}"), bucket.starts_with("aws-waf-logs-"));

    // Data stores: engines, versions, classes, subnets b + c, encryption, protection.
    let private_bc = sorted(vec![id(report, "private-prod-b"), id(report, "private-prod-c")]);
    let db = c.rds.describe_db_instances().db_instance_identifier(id(report, "db")).send().await.unwrap();
    let db = &db.db_instances()[0];
    f.eq("RDS engine", Some("mysql"), db.engine());
    f.holds("RDS MySQL 8.0", db.engine_version().is_some_and(|v| v.starts_with("8.0")));
    f.eq("RDS class", Some("db.m6g.large"), db.db_instance_class());
    f.eq("RDS Multi-AZ", Some(true), db.multi_az());
    f.eq("RDS encrypted", Some(true), db.storage_encrypted());
    f.eq("RDS deletion protection", Some(true), db.deletion_protection());
    let db_subnets =
        sorted(db.db_subnet_group().map(|g| g.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect()).unwrap_or_default());
    f.eq("RDS subnets", private_bc.clone(), db_subnets);
    let db_sgs: Vec<String> = db.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id().map(str::to_string)).collect();
    f.eq("RDS security group", vec![id(report, "db-sg")], db_sgs);
    let endpoint = db.endpoint().and_then(|e| e.address()).unwrap_or_default().to_string();

    let rg = c.ec.describe_replication_groups().replication_group_id(id(report, "redis")).send().await.unwrap();
    let rg = &rg.replication_groups()[0];
    f.eq("Redis node type", Some("cache.m6g.large"), rg.cache_node_type());
    f.eq("Redis encrypted at rest", Some(true), rg.at_rest_encryption_enabled());
    f.eq("Redis nodes (primary + replica)", 2, rg.member_clusters().len());
    f.eq("Redis engine", Some("redis"), rg.engine());
    f.eq("Redis Multi-AZ", Some(&aws_sdk_elasticache::types::MultiAzStatus::Enabled), rg.multi_az());
    // moto reports neither the member clusters nor the RG's subnet group; AWS
    // (or LocalStack Pro) does, and then the version and subnets are checked too.
    if let Ok(member) = c.ec.describe_cache_clusters().cache_cluster_id(&rg.member_clusters()[0]).send().await {
        let member = &member.cache_clusters()[0];
        f.holds("Redis 7.0", member.engine_version().is_some_and(|v| v.starts_with("7.0")));
        let name = member.cache_subnet_group_name().unwrap_or_default();
        let groups = c.ec.describe_cache_subnet_groups().cache_subnet_group_name(name).send().await.unwrap();
        let cache_subnets = sorted(
            groups.cache_subnet_groups()[0].subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect(),
        );
        f.eq("Redis subnets", private_bc.clone(), cache_subnets);
    }
    let groups = c.ec.describe_cache_subnet_groups().cache_subnet_group_name(id(report, "cache-subnets")).send().await.unwrap();
    let cache_subnets = sorted(
        groups.cache_subnet_groups()[0].subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect(),
    );
    f.eq("cache subnet group: private b + c", private_bc.clone(), cache_subnets);
    let redis_endpoint = rg
        .node_groups()
        .first()
        .and_then(|n| n.primary_endpoint())
        .and_then(|e| e.address())
        .unwrap_or_default()
        .to_string();

    let domain = c.os.describe_domain().domain_name(id(report, "search")).send().await.unwrap();
    let d = domain.domain_status().unwrap();
    f.eq("OpenSearch engine", Some("Elasticsearch_7.10"), d.engine_version());
    let cluster = d.cluster_config().unwrap();
    f.eq("OpenSearch type", Some("m6g.large.search"), cluster.instance_type().map(|t| t.as_str()));
    f.eq("OpenSearch nodes", Some(2), cluster.instance_count());
    f.eq("OpenSearch disk GB", Some(30), d.ebs_options().and_then(|e| e.volume_size()));
    f.eq("OpenSearch encrypted", Some(true), d.encryption_at_rest_options().and_then(|e| e.enabled()));
    let os_subnets = sorted(d.vpc_options().map(|v| v.subnet_ids().to_vec()).unwrap_or_default());
    f.eq("OpenSearch subnets", private_bc, os_subnets);
    // A VPC domain answers on its `vpc` endpoint.
    let vpc_endpoint = d.endpoints().and_then(|e| e.get("vpc")).map(String::as_str);
    let search_endpoint = d.endpoint().or(vpc_endpoint).unwrap_or_default().to_string();

    // Each store admits only Magento and the bastion, on its port.
    for (sg, port) in [("db-sg", 3306), ("redis-sg", 6379), ("search-sg", 443)] {
        let from = ingress_of(&c.ec2, &id(report, sg)).await;
        let want: BTreeSet<(Option<i32>, String)> =
            [(Some(port), id(report, "web-sg")), (Some(port), prod.bastion_sg.clone())].into_iter().collect();
        f.eq(&format!("{sg} ingress"), want, from);
    }

    // Internal names of the stores, and the outputs.
    let private = records(&c.r53, &prod.private_zone).await;
    for (name, target) in [("db", &endpoint), ("redis", &redis_endpoint), ("search", &search_endpoint)] {
        f.eq(&format!("{name}.miamo.internal"), Some(&vec![target.clone()]), private.get(&(format!("{name}.miamo.internal"), "CNAME".into())));
    }
    for (output, want) in [("rds_endpoint", &endpoint), ("redis_endpoint", &redis_endpoint), ("opensearch_endpoint", &search_endpoint)] {
        f.eq(output, Some(want.clone()), report.exports.get(output).and_then(|v| v.as_str().map(str::to_string)));
    }

    // Backups: daily 7 days, weekly on Monday 4 weeks, monthly on the 1st 3 months.
    let plan = c.backup.get_backup_plan().backup_plan_id(id(report, "shared/backup-plan")).send().await.unwrap();
    let rules: Vec<(String, String, Option<i64>)> = sorted(
        plan.backup_plan()
            .map(|p| p.rules().to_vec())
            .unwrap_or_default()
            .iter()
            .map(|r| {
                (
                    r.rule_name().to_string(),
                    r.schedule_expression().unwrap_or_default().to_string(),
                    r.lifecycle().and_then(|l| l.delete_after_days()),
                )
            })
            .collect(),
    );
    let names_days: Vec<(&str, Option<i64>)> = rules.iter().map(|r| (r.0.as_str(), r.2)).collect();
    f.eq("backup rules", vec![("daily", Some(7)), ("monthly", Some(90)), ("weekly", Some(28))], names_days);
    f.holds(&format!("weekly on Monday: {rules:?}"), rules.iter().any(|r| r.0 == "weekly" && r.1.contains("MON")));
    f.holds(&format!("monthly on the 1st: {rules:?}"), rules.iter().any(|r| r.0 == "monthly" && r.1.contains(" 1 * ? *")));

    // The plan's one selection: everything tagged miamo:backup=true, as the
    // stack's own backup role (moto's selections: scripts/moto_server.py).
    let plan_id = id(report, "shared/backup-plan");
    let listed = c.backup.list_backup_selections().backup_plan_id(&plan_id).send().await.unwrap();
    f.eq("backup selections", 1usize, listed.backup_selections_list().len());
    let role_name = id(report, "shared/backup-role");
    let role = c.iam.get_role().role_name(&role_name).send().await.unwrap();
    let role = role.role().unwrap();
    if let Some(sel) = listed.backup_selections_list().first() {
        let got = c.backup.get_backup_selection().backup_plan_id(&plan_id).selection_id(sel.selection_id().unwrap()).send().await.unwrap();
        let sel = got.backup_selection().unwrap();
        f.eq("the selection's role", role.arn(), sel.iam_role_arn());
        let by_tag: Vec<(String, String)> =
            sel.list_of_tags().iter().map(|t| (t.condition_key().to_string(), t.condition_value().to_string())).collect();
        f.eq("the selection's tags", vec![("miamo:backup".to_string(), "true".to_string())], by_tag);
    }
    let trust = strata::aws::policy::parse(role.assume_role_policy_document().unwrap()).unwrap();
    f.holds(&format!("AWS Backup assumes the role: {trust:?}"), format!("{trust:?}").contains("backup.amazonaws.com"));
    let attached = c.iam.list_attached_role_policies().role_name(&role_name).send().await.unwrap();
    let mut arns: Vec<&str> = attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect();
    arns.sort();
    f.eq("the backup role's policies", vec![miamo_prod::miamo::BACKUP_POLICY, miamo_prod::miamo::RESTORE_POLICY], arns);

    // Alarms on every prod resource, to an e-mail topic.
    let topic = id(report, "alerts");
    let subs = c.sns.list_subscriptions_by_topic().topic_arn(&topic).send().await.unwrap();
    f.eq(
        "alarm topic e-mail subscription",
        vec![("email".to_string(), "ops@miamo.com".to_string())],
        subs.subscriptions().iter().map(|s| (s.protocol().unwrap_or("").to_string(), s.endpoint().unwrap_or("").to_string())).collect(),
    );
    let alarms = c.cw.describe_alarms().max_records(100).send().await.unwrap();
    let watched: BTreeSet<String> = alarms
        .metric_alarms()
        .iter()
        .filter(|a| a.alarm_actions().iter().any(|t| t == &topic))
        .flat_map(|a| a.dimensions().iter().filter_map(|d| d.value().map(str::to_string)).collect::<Vec<_>>())
        .collect();
    for (what, dimension) in [
        ("magento-prd-1", id(report, "magento-prd-1")),
        ("bastion-host-1", bastion),
        ("RDS", id(report, "db")),
        ("Redis", id(report, "redis")),
        ("OpenSearch", id(report, "search")),
    ] {
        f.holds(&format!("{what} has alarms to the topic ({dimension} in {watched:?})"), watched.contains(&dimension));
    }
    f.holds("the ALB has alarms", watched.iter().any(|d| d.starts_with("app/")));
}

async fn apply_and_noop(engine: &Engine, counter: &strata::aws::ApiCallCounter, s: &Stack) -> Report {
    let report = engine.apply(s, engine.plan(s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let before = counter.snapshot();
    let plan = engine.plan(s).await.unwrap();
    assert!(!plan.has_changes(), "{}: the second plan has changes:\n{}", s.name(), plan.render_text());
    let again = engine.apply(s, plan).await;
    assert!(again.is_success(), "{}", strata::cli::render_report(&again));
    let spent = counter.snapshot().since(&before);
    assert_eq!(spent.mutating_calls(), 0, "{}: re-apply made mutating calls: {spent:?}", s.name());
    report
}

async fn destroy(engine: &Engine, s: &Stack) -> Report {
    engine.apply(s, engine.plan_destroy(s).await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn miamo_prod_stage_and_dev_on_moto() {
    let url = Emulator::Moto.url();
    let tag = unique_stack("mi").replace('-', "");
    let tag = &tag[tag.len().saturating_sub(10)..];
    let tag = format!("t{tag}");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let edge = strata_aws_testkit::sdk_config(&url, "us-east-1").await;
    let c = Clients {
        ec2: aws_sdk_ec2::Client::new(&conf),
        acm: BTreeMap::from([
            (REGION.to_string(), aws_sdk_acm::Client::new(&conf)),
            ("us-east-1".to_string(), aws_sdk_acm::Client::new(&edge)),
        ]),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(&conf),
        sm: aws_sdk_secretsmanager::Client::new(&conf),
        cf: aws_sdk_cloudfront::Client::new(&conf),
        r53: aws_sdk_route53::Client::new(&conf),
        rds: aws_sdk_rds::Client::new(&conf),
        ec: aws_sdk_elasticache::Client::new(&conf),
        os: aws_sdk_opensearch::Client::new(&conf),
        waf_edge: aws_sdk_wafv2::Client::new(&edge),
        backup: aws_sdk_backup::Client::new(&conf),
        iam: aws_sdk_iam::Client::new(&conf),
        sns: aws_sdk_sns::Client::new(&conf),
        cw: aws_sdk_cloudwatch::Client::new(&conf),
    };

    // prod. (Each example brings its own copy of the component, so the
    // environments are handled here as stack name + stack.)
    let prod_settings = |protect: bool| {
        let mut env = miamo_prod::settings().isolated(&tag);
        if let Some(d) = &mut env.data {
            assert!(d.protect, "the example protects its database");
            d.protect = protect;
        }
        (env.stack.clone(), miamo_prod::miamo::stack(&env))
    };
    let (prod_name, prod_stack) = prod_settings(true);
    let prod_report = apply_and_noop(&engine, &counter, &prod_stack).await;
    let ids = ProdIds {
        vpc: id(&prod_report, "shared/vpc"),
        igw: id(&prod_report, "shared/igw"),
        nat: id(&prod_report, "shared/nat"),
        public_zone: id(&prod_report, "shared/public-zone"),
        private_zone: id(&prod_report, "shared/private-zone"),
        web_acl: id(&prod_report, "shared/web-acl"),
        bastion_sg: id(&prod_report, "bastion-sg"),
    };
    let mut facts = Facts::default();
    verify_environment(&c, "prod", &tag, &prod_report, &ids, &mut facts).await;
    verify_prod(&c, &prod_report, &ids, &mut facts).await;
    facts.assert_all("prod");
    let prod_inventory = tagged_with(&url, &prod_name).await;
    assert!(prod_inventory.len() > 50, "{prod_inventory:#?}");

    // stage and dev, next to prod.
    let stage = miamo_stage::settings().isolated(&tag);
    let dev = miamo_dev::settings().isolated(&tag);
    let mut others = Vec::new();
    for (env, name, s) in [
        (stage.env, stage.stack.clone(), miamo_stage::miamo::stack(&stage)),
        (dev.env, dev.stack.clone(), miamo_dev::miamo::stack(&dev)),
    ] {
        let report = apply_and_noop(&engine, &counter, &s).await;
        let mut facts = Facts::default();
        verify_environment(&c, env, &tag, &report, &ids, &mut facts).await;
        facts.assert_all(env);
        assert!(!tagged_with(&url, &name).await.is_empty());
        others.push((name, s));
    }

    // Destroying dev (then stage) leaves prod exactly as it was.
    for (name, s) in others.iter().rev() {
        let report = destroy(&engine, s).await;
        assert!(report.is_success(), "{}", strata::cli::render_report(&report));
        let left = tagged_with(&url, name).await;
        assert!(left.is_empty(), "{name} left behind: {left:#?}");
        assert_eq!(tagged_with(&url, &prod_name).await, prod_inventory, "destroying {name} changed prod");
        let plan = engine.plan(&prod_stack).await.unwrap();
        assert!(!plan.has_changes(), "after destroying {name}, prod's plan has changes:\n{}", plan.render_text());
    }

    // prod: the protected database refuses the destroy plan, before anything
    // changes; turned off in place, the destroy goes through.
    let before = counter.snapshot();
    let Err(refused) = engine.plan_destroy(&prod_stack).await else { panic!("the protected database refuses the destroy") };
    assert!(refused.to_string().contains("deletion_protection(false)"), "{refused}");
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0);
    let (_, unprotected) = prod_settings(false);
    let plan = engine.plan(&unprotected).await.unwrap();
    let changed: Vec<(&str, strata::Action)> =
        plan.steps.iter().filter(|s| s.action != strata::Action::NoOp).map(|s| (s.name.as_str(), s.action)).collect();
    assert_eq!(changed, vec![("db", strata::Action::Update)], "{}", plan.render_text());
    let report = engine.apply(&unprotected, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let report = destroy(&engine, &unprotected).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let left = tagged_with(&url, &prod_name).await;
    assert!(left.is_empty(), "prod left behind: {left:#?}");
}
