//! An independent inventory: every resource of every service the Miamo stacks
//! use that carries `strata:stack = <stack>` ([`tagged_with`]), or every one
//! whatever its tags ([`everything`]), read with raw SDK clients (not through
//! strata's providers), in both regions the stacks use. Route 53 records
//! cannot be tagged: they count when an owner record names the stack.
//! List calls must succeed; a per-item read that fails means the item was
//! deleted after the list (other tests run against the same emulator), so it
//! is skipped.

use std::collections::BTreeSet;

use aws_config::SdkConfig;

const STACK_TAG: &str = "strata:stack";
const REGIONS: [&str; 2] = ["eu-central-1", "us-east-1"];

/// Whether to list an item with these tags: all of them without a stack.
fn tagged<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>, stack: Option<&str>) -> bool {
    match stack {
        Some(stack) => tags.into_iter().any(|(k, v)| k == STACK_TAG && v == stack),
        None => true,
    }
}

async fn conf(url: &str, region: &str) -> SdkConfig {
    strata_aws_testkit::sdk_config(url, region).await
}

/// `kind id` of everything tagged with `stack`, sorted.
pub async fn tagged_with(url: &str, stack: &str) -> BTreeSet<String> {
    inventory(url, Some(stack)).await
}

/// `kind id` of every resource whatever its tags (the same keys as
/// [`tagged_with`]), except what AWS makes by itself with a VPC (its main
/// route table, default security group and network ACL) and zones' NS/SOA
/// records. Route 53 records are `record <zone> <name> <type>`, owner records
/// with their value.
pub async fn everything(url: &str) -> BTreeSet<String> {
    inventory(url, None).await
}

/// One part of the inventory: the items of one service (or a few that read
/// alike) in the home region.
type Part<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = BTreeSet<String>> + Send + 'a>>;

/// Each service is its own (boxed) future: one async function with every
/// service's calls in it needed a stack frame of about 900 KB in a debug
/// build, and with a test's own frame it overflowed the 2 MiB test thread.
async fn inventory(url: &str, stack: Option<&str>) -> BTreeSet<String> {
    let home = conf(url, REGIONS[0]).await;
    let mut out = BTreeSet::new();
    let parts: Vec<Part<'_>> = vec![
        Box::pin(ec2(&home, stack)),
        Box::pin(elbv2(&home, stack)),
        Box::pin(ecs(&home, stack)),
        Box::pin(eks(&home, stack)),
        Box::pin(dynamodb_lambda(&home, stack)),
        Box::pin(api_gateway(&home, stack)),
        Box::pin(cognito(&home, stack)),
        Box::pin(msk(&home, stack)),
        Box::pin(secrets(&home, stack)),
        Box::pin(rds(&home, stack)),
        Box::pin(elasticache(&home, stack)),
        Box::pin(opensearch(&home, stack)),
        Box::pin(route53(&home, stack)),
        Box::pin(sns(&home, stack)),
        Box::pin(cloudwatch(&home, stack)),
        Box::pin(backup(&home, stack)),
        Box::pin(cloudfront(&home, stack)),
        Box::pin(s3(&home, stack)),
    ];
    for part in parts {
        out.extend(part.await);
    }
    for region in REGIONS {
        out.extend(Box::pin(regional(url, region, stack)).await);
    }
    out
}

async fn ec2(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // EC2 (VPC, subnets, gateways, addresses, route tables, groups, instances).
    let ec2 = aws_sdk_ec2::Client::new(home);
    match stack {
        Some(stack) => out.extend(strata_aws_testkit::ec2_leftovers(&ec2, stack).await),
        None => out.extend(ec2_all(&ec2).await),
    }

    out
}

async fn elbv2(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // ELBv2.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(home);
    let mut arns: Vec<String> = Vec::new();
    let lbs = elb.describe_load_balancers().send().await.unwrap();
    arns.extend(lbs.load_balancers().iter().filter_map(|l| l.load_balancer_arn().map(str::to_string)));
    let tgs = elb.describe_target_groups().send().await.unwrap();
    arns.extend(tgs.target_groups().iter().filter_map(|t| t.target_group_arn().map(str::to_string)));
    for arn in arns {
        let Ok(t) = elb.describe_tags().resource_arns(&arn).send().await else { continue };
        if t.tag_descriptions().iter().any(|d| tagged(d.tags().iter().map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))), stack)) {
            out.insert(format!("elbv2 {arn}"));
        }
    }
    out
}

async fn ecs(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // ECS clusters, services and task definitions (moto keeps deleted
    // clusters and services listed as INACTIVE: gone).
    let ecs = aws_sdk_ecs::Client::new(home);
    let pairs = |t: &[aws_sdk_ecs::types::Tag]| t.iter().map(|t| (t.key().unwrap_or("").to_string(), t.value().unwrap_or("").to_string())).collect::<Vec<_>>();
    let clusters = ecs.list_clusters().send().await.unwrap().cluster_arns().to_vec();
    if !clusters.is_empty() {
        let described = ecs.describe_clusters().set_clusters(Some(clusters)).include(aws_sdk_ecs::types::ClusterField::Tags).send().await.unwrap();
        for c in described.clusters().iter().filter(|c| c.status() == Some("ACTIVE")) {
            let arn = c.cluster_arn().unwrap_or_default();
            if tagged(pairs(c.tags()).iter().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
                out.insert(format!("ecs-cluster {arn}"));
            }
            for svc in ecs.list_services().cluster(arn).send().await.unwrap().service_arns().chunks(10) {
                let d = ecs.describe_services().cluster(arn).set_services(Some(svc.to_vec())).include(aws_sdk_ecs::types::ServiceField::Tags).send().await.unwrap();
                for sv in d.services().iter().filter(|s| s.status() == Some("ACTIVE")) {
                    if tagged(pairs(sv.tags()).iter().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
                        out.insert(format!("ecs-service {}", sv.service_arn().unwrap_or_default()));
                    }
                }
            }
        }
    }
    for td in ecs.list_task_definitions().send().await.unwrap().task_definition_arns() {
        let d = ecs.describe_task_definition().task_definition(td).include(aws_sdk_ecs::types::TaskDefinitionField::Tags).send().await.unwrap();
        if tagged(pairs(d.tags()).iter().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
            out.insert(format!("ecs-task-definition {td}"));
        }
    }
    out
}

async fn eks(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // EKS clusters, node groups and Fargate profiles (their tags come with them).
    let eks = aws_sdk_eks::Client::new(home);
    let eks_tagged = |t: Option<&std::collections::HashMap<String, String>>| tagged(t.into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())), stack);
    for name in eks.list_clusters().send().await.unwrap().clusters() {
        let Ok(c) = eks.describe_cluster().name(name).send().await else { continue };
        if c.cluster().is_some_and(|c| eks_tagged(c.tags())) {
            out.insert(format!("eks-cluster {name}"));
        }
        for ng in eks.list_nodegroups().cluster_name(name).send().await.map(|o| o.nodegroups().to_vec()).unwrap_or_default() {
            let Ok(g) = eks.describe_nodegroup().cluster_name(name).nodegroup_name(&ng).send().await else { continue };
            if g.nodegroup().is_some_and(|g| eks_tagged(g.tags())) {
                out.insert(format!("eks-nodegroup {name}/{ng}"));
            }
        }
        for fp in eks.list_fargate_profiles().cluster_name(name).send().await.map(|o| o.fargate_profile_names().to_vec()).unwrap_or_default() {
            let Ok(p) = eks.describe_fargate_profile().cluster_name(name).fargate_profile_name(&fp).send().await else { continue };
            if p.fargate_profile().is_some_and(|p| eks_tagged(p.tags())) {
                out.insert(format!("eks-fargate-profile {name}/{fp}"));
            }
        }
        for ad in eks.list_addons().cluster_name(name).send().await.map(|o| o.addons().to_vec()).unwrap_or_default() {
            let Ok(a) = eks.describe_addon().cluster_name(name).addon_name(&ad).send().await else { continue };
            if a.addon().is_some_and(|a| eks_tagged(a.tags())) {
                out.insert(format!("eks-addon {name}/{ad}"));
            }
        }
    }
    out
}

async fn dynamodb_lambda(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // DynamoDB tables, Lambda functions and event source mappings, HTTP APIs
    // and VPC links, Cognito user pools (their tags come with them or by ARN).
    let ddb = aws_sdk_dynamodb::Client::new(home);
    for name in ddb.list_tables().send().await.unwrap().table_names() {
        let Ok(t) = ddb.describe_table().table_name(name).send().await else { continue };
        let Some(arn) = t.table().and_then(|t| t.table_arn()) else { continue };
        let Ok(tags) = ddb.list_tags_of_resource().resource_arn(arn).send().await else { continue };
        if tagged(tags.tags().iter().map(|t| (t.key(), t.value())), stack) {
            out.insert(format!("dynamodb-table {name}"));
        }
    }
    let lambda = aws_sdk_lambda::Client::new(home);
    for f in lambda.list_functions().send().await.unwrap().functions() {
        let Some(name) = f.function_name() else { continue };
        let Ok(got) = lambda.get_function().function_name(name).send().await else { continue };
        if tagged(got.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
            out.insert(format!("lambda-function {name}"));
        }
    }
    for m in lambda.list_event_source_mappings().send().await.unwrap().event_source_mappings() {
        let Some(arn) = m.event_source_mapping_arn() else { continue };
        let Ok(t) = lambda.list_tags().resource(arn).send().await else { continue };
        if tagged(t.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
            out.insert(format!("lambda-event-source-mapping {}", m.uuid().unwrap_or_default()));
        }
    }
    out
}

async fn api_gateway(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let apigw = aws_sdk_apigatewayv2::Client::new(home);
    for a in apigw.get_apis().send().await.unwrap().items() {
        if tagged(a.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
            out.insert(format!("http-api {}", a.api_id().unwrap_or_default()));
        }
    }
    for l in apigw.get_vpc_links().send().await.unwrap().items() {
        if tagged(l.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
            out.insert(format!("vpc-link {}", l.vpc_link_id().unwrap_or_default()));
        }
    }
    let rest = aws_sdk_apigateway::Client::new(home);
    for a in rest.get_rest_apis().limit(500).send().await.unwrap().items() {
        if tagged(a.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
            out.insert(format!("rest-api {}", a.id().unwrap_or_default()));
        }
    }
    for l in rest.get_vpc_links().limit(500).send().await.unwrap().items() {
        if tagged(l.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
            out.insert(format!("rest-vpc-link {}", l.id().unwrap_or_default()));
        }
    }
    for d in rest.get_domain_names().limit(500).send().await.unwrap().items() {
        if tagged(d.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
            out.insert(format!("rest-domain {}", d.domain_name().unwrap_or_default()));
        }
    }
    out
}

async fn cognito(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let idp = aws_sdk_cognitoidentityprovider::Client::new(home);
    for p in idp.list_user_pools().max_results(60).send().await.unwrap().user_pools() {
        let Some(id) = p.id() else { continue };
        let Ok(d) = idp.describe_user_pool().user_pool_id(id).send().await else { continue };
        if tagged(d.user_pool().and_then(|p| p.user_pool_tags()).into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
            out.insert(format!("cognito-user-pool {id}"));
        }
    }
    out
}

async fn msk(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let msk = aws_sdk_kafka::Client::new(home);
    for c in msk.list_clusters().send().await.unwrap().cluster_info_list() {
        if c.state() != Some(&aws_sdk_kafka::types::ClusterState::Deleting) && tagged(c.tags().into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())), stack) {
            out.insert(format!("msk-cluster {}", c.cluster_arn().unwrap_or_default()));
        }
    }
    out
}

async fn secrets(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Secrets Manager (secrets scheduled for deletion are gone).
    let sm = aws_sdk_secretsmanager::Client::new(home);
    for s in sm.list_secrets().send().await.unwrap().secret_list() {
        // `rds!…` secrets are RDS's own (a managed master password), deleted with the database.
        let rds_managed = s.name().is_some_and(|n| n.starts_with("rds!"));
        if s.deleted_date().is_none() && !rds_managed && tagged(s.tags().iter().map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))), stack) {
            out.insert(format!("secret {}", s.name().unwrap_or("")));
        }
    }
    out
}

async fn rds(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // RDS instances and subnet groups.
    let rds = aws_sdk_rds::Client::new(home);
    for db in rds.describe_db_instances().send().await.unwrap().db_instances() {
        if db.db_instance_status() != Some("deleting")
            && tagged(db.tag_list().iter().map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))), stack)
        {
            out.insert(format!("rds-instance {}", db.db_instance_identifier().unwrap_or("")));
        }
    }
    for g in rds.describe_db_subnet_groups().send().await.unwrap().db_subnet_groups() {
        let arn = g.db_subnet_group_arn().unwrap_or_default();
        let Ok(t) = rds.list_tags_for_resource().resource_name(arn).send().await else { continue };
        if tagged(t.tag_list().iter().map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))), stack) {
            out.insert(format!("rds-subnet-group {}", g.db_subnet_group_name().unwrap_or("")));
        }
    }
    out
}

async fn elasticache(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // ElastiCache replication groups (moto leaves deleted ones `deleting`) and subnet groups.
    let ec = aws_sdk_elasticache::Client::new(home);
    let mut ec_arns: Vec<(String, String)> = Vec::new();
    for g in ec.describe_replication_groups().send().await.unwrap().replication_groups() {
        if g.status() != Some("deleting") {
            ec_arns.push(("replication-group".into(), g.arn().unwrap_or_default().to_string()));
        }
    }
    for g in ec.describe_cache_subnet_groups().send().await.unwrap().cache_subnet_groups() {
        ec_arns.push(("cache-subnet-group".into(), g.arn().unwrap_or_default().to_string()));
    }
    for (kind, arn) in ec_arns {
        let Ok(t) = ec.list_tags_for_resource().resource_name(&arn).send().await else { continue };
        if tagged(t.tag_list().iter().map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))), stack) {
            out.insert(format!("{kind} {arn}"));
        }
    }
    out
}

async fn opensearch(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // OpenSearch.
    let os = aws_sdk_opensearch::Client::new(home);
    for d in os.list_domain_names().send().await.unwrap().domain_names() {
        let name = d.domain_name().unwrap_or_default();
        let Ok(got) = os.describe_domain().domain_name(name).send().await else { continue };
        let Some(status) = got.domain_status() else { continue };
        if status.deleted() == Some(true) {
            continue;
        }
        let Ok(t) = os.list_tags().arn(status.arn()).send().await else { continue };
        if tagged(t.tag_list().iter().map(|t| (t.key(), t.value())), stack) {
            out.insert(format!("opensearch {name}"));
        }
    }
    out
}

async fn route53(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Route 53: zones by tag, records by owner record.
    let r53 = aws_sdk_route53::Client::new(home);
    let owner = format!("\"strata-owner={}/", stack.unwrap_or_default());
    for z in r53.list_hosted_zones().send().await.unwrap().hosted_zones() {
        let id = z.id().trim_start_matches("/hostedzone/").to_string();
        let Ok(t) = r53
            .list_tags_for_resource()
            .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
            .resource_id(&id)
            .send()
            .await
        else {
            continue;
        };
        if t.resource_tag_set().is_some_and(|s| tagged(s.tags().iter().map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))), stack)) {
            out.insert(format!("hosted-zone {id} {}", z.name()));
        }
        let Ok(sets) = r53.list_resource_record_sets().hosted_zone_id(&id).send().await else { continue };
        for r in sets.resource_record_sets() {
            use aws_sdk_route53::types::RrType;
            if stack.is_none() {
                if !matches!(r.r#type(), RrType::Ns | RrType::Soa) {
                    let values: Vec<&str> = r.resource_records().iter().map(|v| v.value()).collect();
                    let owner = if r.name().starts_with("_strata-") { values.join(" ") } else { String::new() };
                    out.insert(format!("record {id} {} {} {owner}", r.name(), r.r#type().as_str()).trim_end().to_string());
                }
            } else if r.resource_records().iter().any(|v| v.value().starts_with(&owner)) {
                out.insert(format!("record-owner {id} {}", r.name()));
            }
        }
    }
    out
}

async fn sns(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // SNS, CloudWatch, Backup, CloudFront (home region).
    let sns = aws_sdk_sns::Client::new(home);
    for t in sns.list_topics().send().await.unwrap().topics() {
        let arn = t.topic_arn().unwrap_or_default();
        let Ok(tags) = sns.list_tags_for_resource().resource_arn(arn).send().await else { continue };
        if tagged(tags.tags().iter().map(|t| (t.key(), t.value())), stack) {
            out.insert(format!("sns-topic {arn}"));
        }
    }
    out
}

async fn cloudwatch(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let cw = aws_sdk_cloudwatch::Client::new(home);
    for a in cw.describe_alarms().max_records(100).send().await.unwrap().metric_alarms() {
        let arn = a.alarm_arn().unwrap_or_default();
        let Ok(tags) = cw.list_tags_for_resource().resource_arn(arn).send().await else { continue };
        if tagged(tags.tags().iter().map(|t| (t.key().unwrap_or(""), t.value().unwrap_or(""))), stack) {
            out.insert(format!("alarm {}", a.alarm_name().unwrap_or("")));
        }
    }
    out
}

async fn backup(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // (moto reads ListTags only with the model's trailing slash, which the SDK drops.)
    let backup = aws_sdk_backup::Client::from_conf(
        aws_sdk_backup::config::Builder::from(home).interceptor(strata::aws::backup::BackupTagsPath).build(),
    );
    let mut backup_arns: Vec<(String, String)> = Vec::new();
    for v in backup.list_backup_vaults().send().await.unwrap().backup_vault_list() {
        backup_arns.push(("backup-vault".into(), v.backup_vault_arn().unwrap_or_default().to_string()));
    }
    for p in backup.list_backup_plans().send().await.unwrap().backup_plans_list() {
        if p.deletion_date().is_none() {
            backup_arns.push(("backup-plan".into(), p.backup_plan_arn().unwrap_or_default().to_string()));
        }
    }
    for (kind, arn) in backup_arns {
        let Ok(tags) = backup.list_tags().resource_arn(&arn).send().await else { continue };
        if tags.tags().is_some_and(|m| tagged(m.iter().map(|(k, v)| (k.as_str(), v.as_str())), stack)) {
            out.insert(format!("{kind} {arn}"));
        }
    }
    out
}

async fn cloudfront(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let cf = aws_sdk_cloudfront::Client::new(home);
    let list = cf.list_distributions().send().await.unwrap();
    for d in list.distribution_list().map(|l| l.items()).unwrap_or_default() {
        let Ok(tags) = cf.list_tags_for_resource().resource(d.arn()).send().await else { continue };
        if tags.tags().is_some_and(|t| tagged(t.items().iter().map(|t| (t.key(), t.value().unwrap_or(""))), stack)) {
            out.insert(format!("cloudfront {}", d.id()));
        }
    }
    out
}

async fn s3(home: &SdkConfig, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // S3 (every bucket, whatever its region).
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(home).force_path_style(true).build());
    for b in s3.list_buckets().send().await.unwrap().buckets() {
        let name = b.name().unwrap_or_default();
        match s3.get_bucket_tagging().bucket(name).send().await {
            Ok(t) if tagged(t.tag_set().iter().map(|t| (t.key(), t.value())), stack) => {
                out.insert(format!("s3 {name}"));
            }
            Err(_) if stack.is_none() => {
                out.insert(format!("s3 {name}"));
            }
            _ => {}
        }
    }
    out
}

/// Per region: ACM and WAF.
async fn regional(url: &str, region: &str, stack: Option<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let c = conf(url, region).await;
    let acm = aws_sdk_acm::Client::new(&c);
    for cert in acm.list_certificates().send().await.unwrap().certificate_summary_list() {
        let arn = cert.certificate_arn().unwrap_or_default();
        let Ok(t) = acm.list_tags_for_certificate().certificate_arn(arn).send().await else { continue };
        if tagged(t.tags().iter().map(|t| (t.key(), t.value().unwrap_or(""))), stack) {
            out.insert(format!("acm {arn}"));
        }
    }
    let waf = aws_sdk_wafv2::Client::new(&c);
    let scope = if region == "us-east-1" { aws_sdk_wafv2::types::Scope::Cloudfront } else { aws_sdk_wafv2::types::Scope::Regional };
    let mut waf_arns: Vec<String> = Vec::new();
    let sets = waf.list_ip_sets().scope(scope.clone()).send().await.unwrap();
    waf_arns.extend(sets.ip_sets().iter().filter_map(|s| s.arn().map(str::to_string)));
    let acls = waf.list_web_acls().scope(scope).send().await.unwrap();
    waf_arns.extend(acls.web_acls().iter().filter_map(|s| s.arn().map(str::to_string)));
    for arn in waf_arns {
        let Ok(t) = waf.list_tags_for_resource().resource_arn(&arn).send().await else { continue };
        let tags = t.tag_info_for_resource().map(|i| i.tag_list().to_vec()).unwrap_or_default();
        if tagged(tags.iter().map(|t| (t.key(), t.value())), stack) {
            out.insert(format!("waf {arn}"));
        }
    }
    out
}

/// Every EC2 object of the kinds strata manages, tagged or not (keys as in
/// `ec2_leftovers`), without the defaults AWS creates with each VPC.
async fn ec2_all(ec2: &aws_sdk_ec2::Client) -> BTreeSet<String> {
    use aws_sdk_ec2::types::{Filter, NatGatewayState};
    let mut out = BTreeSet::new();
    for v in ec2.describe_vpcs().send().await.unwrap().vpcs() {
        out.insert(format!("vpc {}", v.vpc_id().unwrap_or_default()));
    }
    for x in ec2.describe_subnets().send().await.unwrap().subnets() {
        out.insert(format!("subnet {}", x.subnet_id().unwrap_or_default()));
    }
    for x in ec2.describe_internet_gateways().send().await.unwrap().internet_gateways() {
        out.insert(format!("igw {}", x.internet_gateway_id().unwrap_or_default()));
    }
    for x in ec2.describe_addresses().send().await.unwrap().addresses() {
        out.insert(format!("eip {}", x.allocation_id().unwrap_or_default()));
    }
    for x in ec2.describe_route_tables().send().await.unwrap().route_tables() {
        if !x.associations().iter().any(|a| a.main() == Some(true)) {
            out.insert(format!("route-table {}", x.route_table_id().unwrap_or_default()));
        }
    }
    for x in ec2.describe_security_groups().send().await.unwrap().security_groups() {
        if x.group_name() != Some("default") {
            out.insert(format!("security-group {}", x.group_id().unwrap_or_default()));
        }
    }
    for x in ec2.describe_network_acls().send().await.unwrap().network_acls() {
        if x.is_default() != Some(true) {
            out.insert(format!("network-acl {}", x.network_acl_id().unwrap_or_default()));
        }
    }
    for x in ec2.describe_key_pairs().send().await.unwrap().key_pairs() {
        out.insert(format!("key-pair {}", x.key_pair_id().unwrap_or_default()));
    }
    let live = Filter::builder().name("instance-state-name").values("pending").values("running").values("stopping").values("stopped").build();
    for r in ec2.describe_instances().filters(live).send().await.unwrap().reservations() {
        for i in r.instances() {
            out.insert(format!("instance {}", i.instance_id().unwrap_or_default()));
        }
    }
    for n in ec2.describe_nat_gateways().send().await.unwrap().nat_gateways() {
        if !matches!(n.state(), Some(NatGatewayState::Deleted | NatGatewayState::Deleting)) {
            out.insert(format!("nat {}", n.nat_gateway_id().unwrap_or_default()));
        }
    }
    out
}
