//! The "Innovate" example (`examples/innovate`) on moto: the `staging`
//! environment is applied; the design's facts are checked with independent
//! SDK calls (the expectations are the design's, not read from the example's
//! settings); a re-apply makes no mutating call; destroy leaves nothing
//! tagged with the stack. `prod`'s settings are planned: three AZs, a NAT
//! per AZ, and the cross-region backup copy.

use std::collections::BTreeSet;

use strata::engine::Engine;
use strata_aws_testkit::{unique_stack, Emulator};

use crate::innovate_example::{innovate, settings};

const REGION: &str = "eu-central-1";
const CLOUDFRONT_LIST: &str = "com.amazonaws.global.cloudfront.origin-facing";

#[tokio::test(flavor = "multi_thread")]
async fn innovate_staging_on_moto() {
    let url = Emulator::Moto.url();
    let tag = unique_stack("in").replace('-', "");
    let tag = format!("t{}", &tag[tag.len().saturating_sub(8)..]);
    let env = settings("staging").expect("staging settings").isolated(&tag);
    let s = innovate::stack(&env);
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = crate::support::fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let (ec2, eks, rds, iam) = (aws_sdk_ec2::Client::new(&conf), aws_sdk_eks::Client::new(&conf), aws_sdk_rds::Client::new(&conf), aws_sdk_iam::Client::new(&conf));
    let (backup, ecr, ct, cf) = (aws_sdk_backup::Client::new(&conf), aws_sdk_ecr::Client::new(&conf), aws_sdk_cloudtrail::Client::new(&conf), aws_sdk_cloudfront::Client::new(&conf));
    let s3 = aws_sdk_s3::Client::new(&conf);

    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let mut problems: Vec<String> = Vec::new();
    let mut holds = |what: &str, ok: bool| {
        if !ok {
            problems.push(what.to_string());
        }
    };
    let by_stack = aws_sdk_ec2::types::Filter::builder().name("tag:strata:stack").values(&env.stack).build();
    // A subnet's logical name (`net/nodes-a`), from its state tag.
    let name_of = |t: &[aws_sdk_ec2::types::Tag]| t.iter().find(|t| t.key() == Some("strata:resource")).and_then(|t| t.value()).unwrap_or_default().trim_start_matches("net/").to_string();

    // Per AZ (two) a public subnet, a nodes subnet and a database subnet.
    let subnets = ec2.describe_subnets().filters(by_stack.clone()).send().await.unwrap().subnets().to_vec();
    let ids = |prefix: &str| subnets.iter().filter(|s| name_of(s.tags()).starts_with(prefix)).filter_map(|s| s.subnet_id().map(str::to_string)).collect::<BTreeSet<_>>();
    let azs = |prefix: &str| subnets.iter().filter(|s| name_of(s.tags()).starts_with(prefix)).filter_map(|s| s.availability_zone().map(str::to_string)).collect::<BTreeSet<_>>();
    for tier in ["public-", "nodes-", "data-"] {
        holds(&format!("a {tier} subnet in each of two AZs"), ids(tier).len() == 2 && azs(tier).len() == 2);
    }
    holds("only the public subnets map public IPs", subnets.iter().all(|s| (s.map_public_ip_on_launch() == Some(true)) == name_of(s.tags()).starts_with("public-")));
    let (nodes, data) = (ids("nodes-"), ids("data-"));

    // Three chained security groups: CloudFront -> ALB -> pods -> database.
    let lists = ec2.describe_managed_prefix_lists().send().await.unwrap();
    let cloudfront = lists.prefix_lists().iter().find(|p| p.prefix_list_name() == Some(CLOUDFRONT_LIST)).and_then(|p| p.prefix_list_id()).unwrap_or_default().to_string();
    let groups = ec2.describe_security_groups().filters(by_stack.clone()).send().await.unwrap().security_groups().to_vec();
    let group = |desc: &str| groups.iter().find(|g| g.description().is_some_and(|d| d.starts_with(desc))).cloned();
    let (alb, pods, db_sg) = (group("ALB").expect("the ALB's group"), group("Pods").expect("the pods' group"), group("PostgreSQL").expect("the database's group"));
    let sources = |g: &aws_sdk_ec2::types::SecurityGroup| {
        g.ip_permissions()
            .iter()
            .flat_map(|p| {
                let port = p.from_port().unwrap_or_default();
                let cidrs = p.ip_ranges().iter().map(move |r| format!("{port} cidr {}", r.cidr_ip().unwrap_or_default()));
                let groups = p.user_id_group_pairs().iter().map(move |u| format!("{port} group {}", u.group_id().unwrap_or_default()));
                let lists = p.prefix_list_ids().iter().map(move |l| format!("{port} list {}", l.prefix_list_id().unwrap_or_default()));
                cidrs.chain(groups).chain(lists).collect::<Vec<_>>()
            })
            .collect::<BTreeSet<String>>()
    };
    holds(&format!("the ALB admits only CloudFront's prefix list on 443 ({:?})", sources(&alb)), !cloudfront.is_empty() && sources(&alb) == BTreeSet::from([format!("443 list {cloudfront}")]));
    holds(&format!("the pods admit only the ALB ({:?})", sources(&pods)), sources(&pods) == BTreeSet::from([format!("8080 group {}", alb.group_id().unwrap_or_default())]));
    holds(&format!("the database admits only the pods on 5432 ({:?})", sources(&db_sg)), sources(&db_sg) == BTreeSet::from([format!("5432 group {}", pods.group_id().unwrap_or_default())]));

    // EKS: the cluster in the nodes subnets, secrets encrypted, API private
    // and public only from the operators; per tier an on-demand and a spot group.
    let cluster = report.exports["cluster"].as_str().unwrap().to_string();
    let c = eks.describe_cluster().name(&cluster).send().await.unwrap().cluster().cloned().expect("the cluster");
    let vpc = c.resources_vpc_config().unwrap();
    holds("the cluster's interfaces are in the nodes subnets", vpc.subnet_ids().iter().cloned().collect::<BTreeSet<_>>() == nodes);
    holds("the cluster's API is private, and public from one CIDR only", vpc.endpoint_private_access() && vpc.public_access_cidrs().len() == 1 && vpc.public_access_cidrs()[0] != "0.0.0.0/0");
    let key = c.encryption_config().first().and_then(|e| e.provider()).and_then(|p| p.key_arn()).unwrap_or_default().to_string();
    holds("Kubernetes secrets are encrypted with a customer key", key.starts_with("arn:aws:kms:"));
    let groups = eks.list_nodegroups().cluster_name(&cluster).send().await.unwrap().nodegroups().to_vec();
    let mut seen = BTreeSet::new();
    for g in &groups {
        let g = eks.describe_nodegroup().cluster_name(&cluster).nodegroup_name(g).send().await.unwrap().nodegroup().cloned().unwrap();
        let tier = g.labels().and_then(|l| l.get("tier")).cloned().unwrap_or_default();
        let capacity = g.capacity_type().map(|c| c.as_str().to_string()).unwrap_or_default();
        holds(&format!("node group {tier}/{capacity} runs in the nodes subnets"), g.subnets().iter().cloned().collect::<BTreeSet<_>>() == nodes);
        if capacity == "SPOT" {
            holds(&format!("the {tier} spot group is tainted"), !g.taints().is_empty());
        }
        seen.insert(format!("{tier}/{capacity}"));
    }
    let want: BTreeSet<String> = ["front-end/ON_DEMAND", "front-end/SPOT", "back-end/ON_DEMAND", "back-end/SPOT"].iter().map(|s| s.to_string()).collect();
    holds(&format!("front-end and back-end node groups, on-demand and spot ({seen:?})"), seen == want);
    let addons: BTreeSet<String> = eks.list_addons().cluster_name(&cluster).send().await.unwrap().addons().iter().cloned().collect();
    holds(&format!("the networking add-ons are managed ({addons:?})"), addons == BTreeSet::from(["vpc-cni".to_string(), "coredns".to_string(), "kube-proxy".to_string()]));
    let issuer = c.identity().and_then(|i| i.oidc()).and_then(|o| o.issuer()).unwrap_or_default().trim_start_matches("https://").to_string();
    let providers = iam.list_open_id_connect_providers().send().await.unwrap();
    holds("an IAM OIDC provider trusts the cluster's issuer", providers.open_id_connect_provider_list().iter().any(|p| p.arn().is_some_and(|a| a.ends_with(&issuer))));

    // PostgreSQL: Multi-AZ, encrypted with the customer key, password in Secrets Manager.
    let db = rds.describe_db_instances().db_instance_identifier(&env.db_identifier).send().await.unwrap().db_instances().first().cloned().expect("the database");
    holds("the database is PostgreSQL", db.engine() == Some("postgres"));
    holds("the database is Multi-AZ", db.multi_az() == Some(true));
    holds("the database is encrypted with the customer key", db.storage_encrypted() == Some(true) && db.kms_key_id().is_some_and(|k| key.ends_with(k.rsplit('/').next().unwrap_or(k))));
    holds("the database's password is in Secrets Manager", db.master_user_secret().is_some());
    let db_subnets: BTreeSet<String> = db.db_subnet_group().map(|g| g.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect()).unwrap_or_default();
    holds("the database is in its own subnets", db_subnets == data);

    // AWS Backup: an encrypted vault, long-term retention, the database selected.
    let plans = backup.list_backup_plans().send().await.unwrap().backup_plans_list().to_vec();
    let mut long_term = false;
    let mut selects_db = false;
    for p in &plans {
        let id = p.backup_plan_id().unwrap_or_default();
        let Ok(plan) = backup.get_backup_plan().backup_plan_id(id).send().await else { continue };
        let rules = plan.backup_plan().map(|b| b.rules().to_vec()).unwrap_or_default();
        let vault = rules.first().map(|r| r.target_backup_vault_name().to_string()).unwrap_or_default();
        let Ok(v) = backup.describe_backup_vault().backup_vault_name(&vault).send().await else { continue };
        if v.encryption_key_arn().is_none_or(|k| k != key) {
            continue;
        }
        long_term |= rules.iter().any(|r| r.lifecycle().and_then(|l| l.delete_after_days()).unwrap_or_default() >= 365);
        let sels = backup.list_backup_selections().backup_plan_id(id).send().await.unwrap();
        for sel in sels.backup_selections_list() {
            let got = backup.get_backup_selection().backup_plan_id(id).selection_id(sel.selection_id().unwrap_or_default()).send().await.unwrap();
            selects_db |= got.backup_selection().is_some_and(|b| b.resources().iter().any(|r| Some(r.as_str()) == db.db_instance_arn()));
        }
    }
    holds("backups are kept a year in a vault encrypted with the customer key", long_term);
    holds("the backup plan selects the database", selects_db);

    // ECR: two repositories, immutable tags, scanned on push.
    let repos = ecr.describe_repositories().send().await.unwrap().repositories().to_vec();
    let mut ours = 0;
    for r in &repos {
        let tags = ecr.list_tags_for_resource().resource_arn(r.repository_arn().unwrap_or_default()).send().await.unwrap();
        if tags.tags().iter().any(|t| t.key() == "strata:stack" && t.value() == env.stack) {
            ours += 1;
            holds("images are immutable", r.image_tag_mutability().map(|m| m.as_str()) == Some("IMMUTABLE"));
            holds("images are scanned on push", r.image_scanning_configuration().is_some_and(|c| c.scan_on_push()));
        }
    }
    holds(&format!("two ECR repositories (got {ours})"), ours == 2);

    // CloudTrail to a log bucket with lifecycle rules.
    let trails = ct.describe_trails().send().await.unwrap().trail_list().to_vec();
    let mut trail_ok = false;
    for t in &trails {
        let Some(bucket) = t.s3_bucket_name() else { continue };
        let Ok(tags) = s3.get_bucket_tagging().bucket(bucket).send().await else { continue };
        if !tags.tag_set().iter().any(|t| t.key() == "strata:stack" && t.value() == env.stack) {
            continue;
        }
        let rules = s3.get_bucket_lifecycle_configuration().bucket(bucket).send().await.map(|l| l.rules().to_vec()).unwrap_or_default();
        let archived = rules.iter().any(|r| !r.transitions().is_empty() && r.expiration().is_some());
        trail_ok = t.is_multi_region_trail() == Some(true) && t.log_file_validation_enabled() == Some(true) && archived;
    }
    holds("a multi-region trail with validation, to a log bucket that archives and expires", trail_ok);

    // CloudFront in front, with a WAF web ACL.
    let domain = report.exports["cloudfront_domain"].as_str().unwrap().to_string();
    let dists = cf.list_distributions().send().await.unwrap();
    let dist = dists.distribution_list().and_then(|l| l.items().iter().find(|d| d.domain_name() == domain).cloned()).expect("the distribution");
    holds("CloudFront has a WAF web ACL", !dist.web_acl_id().is_empty());

    // Cost allocation: the tags on what the bill shows.
    let vpcs = ec2.describe_vpcs().filters(by_stack.clone()).send().await.unwrap().vpcs().to_vec();
    let cost = |keys: Vec<String>| ["project", "env", "cost-center", "owner"].iter().all(|k| keys.iter().any(|x| x == k));
    holds("the VPC carries the cost-allocation tags", vpcs.first().is_some_and(|v| cost(v.tags().iter().filter_map(|t| t.key().map(str::to_string)).collect())));
    holds("the cluster carries the cost-allocation tags", cost(c.tags().map(|t| t.keys().cloned().collect()).unwrap_or_default()));
    holds("the database carries the cost-allocation tags", cost(db.tag_list().iter().filter_map(|t| t.key().map(str::to_string)).collect()));

    crate::support::facts_hold_then_noop_then_destroy(&problems, &engine, counter.as_ref(), &s, &url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn innovate_prod_plans_on_moto() {
    let url = Emulator::Moto.url();
    let tag = unique_stack("ip").replace('-', "");
    let tag = format!("t{}", &tag[tag.len().saturating_sub(8)..]);
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = Engine::new(strata::aws::registry(&aws));
    let prod = innovate::stack(&settings("prod").expect("prod").isolated(&tag));
    let plan = engine.plan(&prod).await.unwrap();
    assert_eq!(plan.steps.iter().filter(|s| s.action == strata::Action::Create).count(), prod.resources().iter().filter(|r| !r.is_lookup()).count(), "{}", plan.render_text());
    let count = |kind: &str| prod.resources().iter().filter(|r| r.kind == kind).count();
    assert_eq!(count("aws:ec2:Subnet"), 9, "three subnets in each of three AZs");
    assert_eq!(count("aws:ec2:NatGateway"), 3, "a NAT per AZ");
    let dr = prod.resources().iter().find(|r| r.name == "dr-vault").expect("a DR vault");
    assert_eq!(dr.options.region.as_deref(), Some("eu-west-1"));
    assert!(settings("qa").is_none());
}
