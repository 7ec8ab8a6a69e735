//! The data tier on moto (RDS, ElastiCache and OpenSearch exist only there):
//! KMS key, RDS MySQL Multi-AZ with a read replica, Redis, Memcached and an
//! OpenSearch domain, each checked through independent SDK describe calls.

use std::sync::{Arc, Mutex};

use strata::aws::ec2::{SecurityGroup, Subnet, Vpc};
use strata::aws::elasticache::{CacheCluster, CacheSubnetGroup, ReplicationGroup};
use strata::aws::kms::Key;
use strata::aws::opensearch::Domain;
use strata::aws::rds::{DbInstance, DbParameterGroup, DbSubnetGroup};
use strata::aws::secretsmanager::Secret;
use strata::engine::{CallCounter, Engine};
use strata::prelude::*;
use strata_aws_testkit::{unique_stack, Emulator};

const REGION: &str = "eu-central-1";

#[derive(Clone, Copy)]
struct Knobs {
    storage_gb: i64,
    backup_days: i64,
    redis_snapshots: i64,
    search_gb: i64,
    memcached_type: &'static str,
}

const BASE: Knobs =
    Knobs { storage_gb: 20, backup_days: 7, redis_snapshots: 1, search_gb: 30, memcached_type: "cache.t4g.small" };

fn data_stack(name: &str, k: Knobs) -> Stack {
    let mut s = Stack::new(name, REGION);
    let vpc = s.add("vpc", Vpc::new("10.20.0.0/16"));
    let b = s.add("data-b", Subnet::new(vpc.id(), "10.20.21.0/24", "eu-central-1b"));
    let c = s.add("data-c", Subnet::new(vpc.id(), "10.20.22.0/24", "eu-central-1c"));
    let sg = s.add("data-sg", SecurityGroup::new(vpc.id()).description("data stores"));
    let key = s.add("data-key", Key::new("data at rest"));
    let password = s.add("db-password", Secret::generated(24).recovery_window_days(0));
    let db_subnets = s.add("db-subnets", DbSubnetGroup::new([b.id(), c.id()]));
    let params = s.add("db-params", DbParameterGroup::new("mysql8.0").parameter("max_connections", "500"));
    let db = s.add(
        "db",
        DbInstance::mysql("8.0", "db.m6g.large")
            .storage_gb(k.storage_gb)
            .max_storage_gb(200)
            .multi_az(true)
            .kms_key(key.arn())
            .backup_retention_days(k.backup_days)
            .backup_window("02:00-03:00")
            .subnet_group(db_subnets.group_name())
            .security_group(sg.id())
            .parameter_group(params.group_name())
            .master_password(password.value())
            .skip_final_snapshot()
            .apply_immediately(true),
    );
    let replica = s.add("db-replica", DbInstance::read_replica(db.identifier(), "db.m6g.large").security_group(sg.id()));
    let redis = s.add(
        "redis",
        ReplicationGroup::redis("7.0", "cache.m6g.large")
            .replicas(1)
            .kms_key(key.arn())
            .security_group(sg.id())
            .snapshot_retention_days(k.redis_snapshots),
    );
    let memcached = s.add(
        "memcached",
        CacheCluster::memcached("1.6.22", k.memcached_type).nodes(2).security_group(sg.id()),
    );
    let search = s.add(
        "search",
        Domain::new("Elasticsearch_7.10", "m6g.large.search")
            .instances(2)
            .ebs_gb(k.search_gb)
            .subnets([b.id(), c.id()])
            .security_group(sg.id())
            .access_policy(r#"{"Version":"2012-10-17","Statement":[]}"#),
    );
    s.export("db_endpoint", db.endpoint());
    s.export("replica_endpoint", replica.endpoint());
    s.export("redis_endpoint", redis.primary_endpoint());
    s.export("memcached_id", memcached.cluster_id());
    s.export("search_endpoint", search.endpoint());
    s.export("db_password", password.value());
    s
}

/// Everything `tracing` writes while the guard lives (one thread: the test
/// runs on a current-thread runtime, so every task of the engine logs here).
fn capture_logs() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Arc::new(Mutex::new(Vec::new()));
    let writer = Buf(buf.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (buf, tracing::subscriber::set_default(subscriber))
}

fn fast_engine(aws: &strata::aws::Aws) -> Engine {
    crate::support::fast_engine(aws)
}

#[tokio::test(flavor = "current_thread")]
async fn data_stores_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("data");
    let (logs, _guard) = capture_logs();
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = fast_engine(&aws);
    let conf = strata_aws_testkit::sdk_config(&url, REGION).await;
    let rds = aws_sdk_rds::Client::new(&conf);
    let ec = aws_sdk_elasticache::Client::new(&conf);
    let os = aws_sdk_opensearch::Client::new(&conf);
    let kms = aws_sdk_kms::Client::new(&conf);
    let sm = aws_sdk_secretsmanager::Client::new(&conf);

    let stack = data_stack(&name, BASE);
    let plan = engine.plan(&stack).await.unwrap();
    let plan_text = plan.render_text();
    let report = engine.apply(&stack, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id_of = |r: &strata::Report, n: &str| r.outcome(n).unwrap().physical_id.clone().unwrap();

    // Independent verification, service by service.
    let key_id = id_of(&report, "data-key");
    let key = kms.describe_key().key_id(&key_id).send().await.unwrap();
    let key_arn = key.key_metadata().unwrap().arn().unwrap().to_string();
    assert!(kms.get_key_rotation_status().key_id(&key_id).send().await.unwrap().key_rotation_enabled());
    let aliases = kms.list_aliases().key_id(&key_id).send().await.unwrap();
    assert_eq!(aliases.aliases()[0].alias_name(), Some(format!("alias/{name}/data-key").as_str()));

    let db_id = id_of(&report, "db");
    assert!(db_id.starts_with(&format!("{name}-db-")), "derived identifier {db_id}");
    let db = rds.describe_db_instances().db_instance_identifier(&db_id).send().await.unwrap().db_instances()[0].clone();
    assert_eq!(db.engine(), Some("mysql"));
    assert!(db.engine_version().unwrap().starts_with("8.0"));
    assert_eq!(db.db_instance_class(), Some("db.m6g.large"));
    assert_eq!(db.multi_az(), Some(true));
    assert_eq!(db.storage_encrypted(), Some(true));
    assert_eq!(db.kms_key_id(), Some(key_arn.as_str()));
    assert_eq!(db.allocated_storage(), Some(20));
    assert_eq!(db.max_allocated_storage(), Some(200));
    assert_eq!(db.backup_retention_period(), Some(7));
    assert_eq!(db.preferred_backup_window(), Some("02:00-03:00"));
    assert_eq!(db.publicly_accessible(), Some(false));
    assert!(db.master_user_secret().is_none(), "the password comes from the stack's secret");
    assert_eq!(db.db_parameter_groups()[0].db_parameter_group_name(), Some(id_of(&report, "db-params").as_str()));
    let params = rds
        .describe_db_parameters()
        .db_parameter_group_name(id_of(&report, "db-params"))
        .source("user")
        .send()
        .await
        .unwrap();
    assert!(params.parameters().iter().any(|p| p.parameter_name() == Some("max_connections") && p.parameter_value() == Some("500")));
    let replica_id = id_of(&report, "db-replica");
    let replica = rds.describe_db_instances().db_instance_identifier(&replica_id).send().await.unwrap().db_instances()[0].clone();
    assert_eq!(replica.read_replica_source_db_instance_identifier(), Some(db_id.as_str()));

    let redis_id = id_of(&report, "redis");
    let rg = ec.describe_replication_groups().replication_group_id(&redis_id).send().await.unwrap().replication_groups()[0].clone();
    assert_eq!(rg.member_clusters().len(), 2, "primary and one replica");
    assert_eq!(rg.automatic_failover().map(|a| a.as_str()), Some("enabled"));
    assert_eq!(rg.multi_az().map(|a| a.as_str()), Some("enabled"));
    assert_eq!(rg.at_rest_encryption_enabled(), Some(true));
    assert_eq!(rg.transit_encryption_enabled(), Some(true));
    assert_eq!(rg.snapshot_retention_limit(), Some(1));
    let memcached_id = id_of(&report, "memcached");
    let mc = ec.describe_cache_clusters().cache_cluster_id(&memcached_id).send().await.unwrap().cache_clusters()[0].clone();
    assert_eq!(mc.engine(), Some("memcached"));
    assert_eq!(mc.num_cache_nodes(), Some(2));
    assert_eq!(mc.cache_node_type(), Some("cache.t4g.small"));

    let domain_name = id_of(&report, "search");
    assert!(domain_name.len() <= 28, "{domain_name}");
    let d = os.describe_domain().domain_name(&domain_name).send().await.unwrap().domain_status().unwrap().clone();
    assert_eq!(d.engine_version(), Some("Elasticsearch_7.10"));
    assert_eq!(d.cluster_config().unwrap().instance_count(), Some(2));
    assert_eq!(d.cluster_config().unwrap().zone_awareness_enabled(), Some(true));
    assert_eq!(d.ebs_options().unwrap().volume_size(), Some(30));
    assert_eq!(d.encryption_at_rest_options().unwrap().enabled(), Some(true));
    assert_eq!(d.node_to_node_encryption_options().unwrap().enabled(), Some(true));
    assert_eq!(d.domain_endpoint_options().unwrap().enforce_https(), Some(true));
    assert_eq!(d.vpc_options().unwrap().subnet_ids().len(), 2);

    // The generated password is nowhere in what strata prints or logs.
    let password = sm.get_secret_value().secret_id(format!("{name}/db-password")).send().await.unwrap();
    let password = password.secret_string().unwrap().to_string();
    assert_eq!(password.len(), 24);
    let report_text = strata::cli::render_report(&report);
    let report_json = report.to_json().to_string();
    assert_eq!(report.exports["db_password"].to_string(), "(secret)");

    // Re-apply: nothing to do, no mutating call.
    let before = counter.snapshot();
    let plan = engine.plan(&stack).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    let again_text = plan.render_text();
    assert!(engine.apply(&stack, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0, "{:?}", counter.snapshot().since(&before));

    // In place: storage, backup retention, Redis snapshots, search volume.
    let grown = data_stack(&name, Knobs { storage_gb: 30, backup_days: 10, redis_snapshots: 3, search_gb: 40, ..BASE });
    let plan = engine.plan(&grown).await.unwrap();
    for n in ["db", "redis", "search"] {
        assert_eq!(plan.step(n).unwrap().action, strata::Action::Update, "{n}: {}", plan.render_text());
    }
    let update_text = plan.render_text();
    let report = engine.apply(&grown, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let db = rds.describe_db_instances().db_instance_identifier(&db_id).send().await.unwrap().db_instances()[0].clone();
    assert_eq!((db.allocated_storage(), db.backup_retention_period()), (Some(30), Some(10)));
    let rg = ec.describe_replication_groups().replication_group_id(&redis_id).send().await.unwrap().replication_groups()[0].clone();
    assert_eq!(rg.snapshot_retention_limit(), Some(3));
    let d = os.describe_domain().domain_name(&domain_name).send().await.unwrap().domain_status().unwrap().clone();
    assert_eq!(d.ebs_options().unwrap().volume_size(), Some(40));
    assert!(!engine.plan(&grown).await.unwrap().has_changes());

    // Replacement: Memcached cannot change its node type in place.
    let moved = data_stack(&name, Knobs { memcached_type: "cache.m6g.large", ..Knobs { storage_gb: 30, backup_days: 10, redis_snapshots: 3, search_gb: 40, ..BASE } });
    let plan = engine.plan(&moved).await.unwrap();
    let step = plan.step("memcached").unwrap();
    assert_eq!(step.action, strata::Action::Replace, "{}", plan.render_text());
    assert!(plan.render_text().contains("node_type"), "{}", plan.render_text());
    let report = engine.apply(&moved, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let new_memcached = id_of(&report, "memcached");
    assert_ne!(new_memcached, memcached_id);
    let all = ec.describe_cache_clusters().send().await.unwrap();
    let live = |id: &str| all.cache_clusters().iter().any(|c| c.cache_cluster_id() == Some(id) && c.cache_cluster_status() != Some("deleting"));
    assert!(live(&new_memcached) && !live(&memcached_id), "the old cluster is deleted");
    assert!(!engine.plan(&moved).await.unwrap().has_changes());

    // Destroy: nothing of the stack is left.
    let plan = engine.plan_destroy(&moved).await.unwrap();
    let destroy_text = plan.render_text();
    let report = engine.apply(&moved, plan).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let dbs = rds.describe_db_instances().send().await.unwrap();
    assert!(dbs.db_instances().iter().all(|d| d.db_instance_identifier() != Some(&db_id) && d.db_instance_identifier() != Some(&replica_id)));
    let groups = rds.describe_db_subnet_groups().send().await.unwrap();
    assert!(groups.db_subnet_groups().iter().all(|g| !g.db_subnet_group_name().unwrap_or_default().starts_with(&name)));
    let rgs = ec.describe_replication_groups().send().await.unwrap();
    assert!(rgs.replication_groups().iter().all(|g| g.replication_group_id() != Some(&redis_id) || g.status() == Some("deleting")));
    let names = os.list_domain_names().send().await.unwrap();
    assert!(names.domain_names().iter().all(|n| n.domain_name() != Some(&domain_name)));
    let state = kms.describe_key().key_id(&key_id).send().await.unwrap().key_metadata().unwrap().key_state().cloned();
    assert_eq!(state, Some(aws_sdk_kms::types::KeyState::PendingDeletion));
    assert!(kms.list_aliases().key_id(&key_id).send().await.unwrap().aliases().is_empty(), "alias removed");
    let ec2 = strata_aws_testkit::ec2_client(&url, REGION).await;
    assert_eq!(strata_aws_testkit::ec2_leftovers(&ec2, &name).await, Vec::<String>::new());

    drop(_guard);
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    // The capture is scoped to this thread; which callsites reach it depends on
    // tracing's interest cache across the test binary, so only ask for lines.
    assert!(!logs.is_empty(), "the log capture holds the run's lines");
    for (what, text) in [
        ("plan", &plan_text),
        ("second plan", &again_text),
        ("update plan", &update_text),
        ("destroy plan", &destroy_text),
        ("report", &report_text),
        ("json report", &report_json),
        ("logs", &logs),
    ] {
        assert!(!text.contains(&password), "the generated password leaked into the {what}");
    }
}

/// Cache subnet groups on moto: create, verify, no-op, destroy. moto 5.2.5 does
/// not implement `DeleteCacheSubnetGroup`; the moto that `scripts/emulators.sh`
/// starts adds it (`scripts/moto_server.py`). The AWS crate also tests the
/// request with smithy mocks
/// (`delete_cache_subnet_group_with_smithy_mocks_because_moto_lacks_it`).
#[tokio::test(flavor = "multi_thread")]
async fn cache_subnet_group_lifecycle_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("cachenet");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let counter = aws.counter();
    let engine = fast_engine(&aws);
    let ec = aws_sdk_elasticache::Client::new(&strata_aws_testkit::sdk_config(&url, REGION).await);
    let mut s = Stack::new(&name, REGION);
    let vpc = s.add("vpc", Vpc::new("10.22.0.0/16"));
    let b = s.add("b", Subnet::new(vpc.id(), "10.22.1.0/24", "eu-central-1b"));
    let c = s.add("c", Subnet::new(vpc.id(), "10.22.2.0/24", "eu-central-1c"));
    let g = s.add("cache-subnets", CacheSubnetGroup::new([b.id(), c.id()]).description("caches"));
    s.add("redis", ReplicationGroup::redis("7.1", "cache.t4g.small").subnet_group(g.group_name()));
    let report = engine.apply(&s, engine.plan(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let group = report.outcome("cache-subnets").unwrap().physical_id.clone().unwrap();
    let subnet_ids: Vec<String> = ["b", "c"].iter().map(|n| report.outcome(n).unwrap().physical_id.clone().unwrap()).collect();
    let got = ec.describe_cache_subnet_groups().cache_subnet_group_name(&group).send().await.unwrap();
    let got = &got.cache_subnet_groups()[0];
    assert_eq!(got.cache_subnet_group_description(), Some("caches"));
    let mut have: Vec<String> = got.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect();
    have.sort();
    let mut want = subnet_ids.clone();
    want.sort();
    assert_eq!(have, want);
    let redis = report.outcome("redis").unwrap().physical_id.clone().unwrap();
    let rg = ec.describe_replication_groups().replication_group_id(&redis).send().await.unwrap();
    assert_eq!(rg.replication_groups()[0].status(), Some("available"));
    let before = counter.snapshot();
    let plan = engine.plan(&s).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.render_text());
    assert!(engine.apply(&s, plan).await.is_success());
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0);

    // Destroy: the replication group first, then its subnet group.
    let report = engine.apply(&s, engine.plan_destroy(&s).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(ec.describe_cache_subnet_groups().cache_subnet_group_name(&group).send().await.is_err(), "subnet group deleted");
}

/// A deletion-protected database refuses `destroy` and says how to proceed;
/// without protection, the delete takes a final snapshot (the default).
#[tokio::test(flavor = "multi_thread")]
async fn protected_database_and_final_snapshot_on_moto() {
    let url = Emulator::Moto.url();
    let name = unique_stack("protected");
    let aws = strata_aws_testkit::aws(&url, REGION).await;
    let engine = fast_engine(&aws);
    let counter = aws.counter();
    let rds = aws_sdk_rds::Client::new(&strata_aws_testkit::sdk_config(&url, REGION).await);
    let stack = |protect: bool| {
        let mut s = Stack::new(&name, REGION);
        let vpc = s.add("vpc", Vpc::new("10.21.0.0/16"));
        let b = s.add("b", Subnet::new(vpc.id(), "10.21.1.0/24", "eu-central-1b"));
        let c = s.add("c", Subnet::new(vpc.id(), "10.21.2.0/24", "eu-central-1c"));
        let g = s.add("subnets", DbSubnetGroup::new([b.id(), c.id()]));
        s.add("pg", DbInstance::postgres("16", "db.t4g.micro").subnet_group(g.group_name()).deletion_protection(protect));
        s
    };
    let report = engine.apply(&stack(true), engine.plan(&stack(true)).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    let id = report.outcome("pg").unwrap().physical_id.clone().unwrap();
    let db = rds.describe_db_instances().db_instance_identifier(&id).send().await.unwrap().db_instances()[0].clone();
    assert_eq!(db.deletion_protection(), Some(true));
    assert!(db.master_user_secret().is_some(), "RDS manages the master password by default");
    assert_eq!(db.storage_encrypted(), Some(true), "encrypted by default");

    // The destroy plan is refused before anything changes (nothing else of
    // the stack is deleted either), and says how to proceed.
    let before = counter.snapshot();
    let Err(refused) = engine.plan_destroy(&stack(true)).await else { panic!("a protected database refuses the destroy plan") };
    let text = refused.to_string();
    assert!(text.contains("deletion protection") && text.contains("deletion_protection(false)"), "{text}");
    assert_eq!(counter.snapshot().since(&before).mutating_calls(), 0);
    assert!(rds.describe_db_instances().db_instance_identifier(&id).send().await.is_ok(), "still there");

    // Turn protection off in place, then destroy: a final snapshot is kept.
    let plan = engine.plan(&stack(false)).await.unwrap();
    assert_eq!(plan.step("pg").unwrap().action, strata::Action::Update, "{}", plan.render_text());
    assert!(engine.apply(&stack(false), plan).await.is_success());
    let report = engine.apply(&stack(false), engine.plan_destroy(&stack(false)).await.unwrap()).await;
    assert!(report.is_success(), "{}", strata::cli::render_report(&report));
    assert!(rds.describe_db_instances().db_instance_identifier(&id).send().await.is_err(), "deleted");
    let snaps = rds.describe_db_snapshots().db_instance_identifier(&id).send().await.unwrap();
    let finals: Vec<_> = snaps
        .db_snapshots()
        .iter()
        .filter_map(|s| s.db_snapshot_identifier())
        .filter(|s| s.starts_with(&format!("{id}-final-")))
        .map(str::to_string)
        .collect();
    assert_eq!(finals.len(), 1, "{snaps:?}");
    rds.delete_db_snapshot().db_snapshot_identifier(&finals[0]).send().await.unwrap();
}

/// Bad data-store input: specific errors naming resource and field, no API call.
#[tokio::test]
async fn data_store_validation() {
    let aws = strata_aws_testkit::aws("http://127.0.0.1:9", REGION).await;
    let counter = aws.counter();
    let engine = Engine::new(strata::aws::registry(&aws));
    let mut s = Stack::new("v", REGION);
    let vpc = s.add("vpc", Vpc::new("10.0.0.0/16"));
    let b1 = s.add("b1", Subnet::new(vpc.id(), "10.0.1.0/24", "eu-central-1b"));
    let b2 = s.add("b2", Subnet::new(vpc.id(), "10.0.2.0/24", "eu-central-1b"));
    let one_az = s.add("one-az", DbSubnetGroup::new([b1.id(), b2.id()]));
    let cache_one_az = s.add("cache-one-az", CacheSubnetGroup::new([b1.id(), b2.id()]));
    s.add("old-mysql", DbInstance::mysql("5.7", "db.m6g.large"));
    s.add("old-pg", DbInstance::postgres("9.6", "db.m6g.large"));
    s.add("tiny", DbInstance::mysql("8.0", "db.m6g.large").storage_gb(5));
    s.add("huge", DbInstance::mysql("8.0", "db.m6g.large").storage_gb(70_000));
    s.add("forever", DbInstance::mysql("8.0", "db.m6g.large").backup_retention_days(40));
    s.add("ha", DbInstance::mysql("8.0", "db.m6g.large").multi_az(true).subnet_group(one_az.group_name()));
    s.add("badwin", DbInstance::mysql("8.0", "db.m6g.large").backup_window("2am"));
    s.add("redis", ReplicationGroup::redis("7.0", "cache.m6g.large").replicas(0).multi_az(false));
    s.add("redis-az", ReplicationGroup::redis("7.0", "cache.m6g.large").subnet_group(cache_one_az.group_name()));
    s.add("redis-old", ReplicationGroup::redis("5.0.6", "cache.m6g.large"));
    s.add("mc", CacheCluster::memcached("1.6.22", "cache.t4g.small").nodes(0));
    s.add("es", Domain::new("OpenSearch_9.1", "m6g.large.search").name("es"));
    s.add("es-uneven", Domain::new("OpenSearch_2.13", "m6g.large.search").instances(3).subnets([b1.id(), b2.id()]));
    s.add("key", Key::new("k").alias("alias/aws/mine"));
    s.add("params", DbParameterGroup::new("oracle19"));
    let err = engine.plan(&s).await.unwrap_err().to_string();
    for expected in [
        "one-az: field `subnet_ids`: the subnets are all in eu-central-1b",
        "cache-one-az: field `subnet_ids`: the subnets are all in eu-central-1b",
        "old-mysql: field `engine_version`: unknown mysql version \"5.7\"",
        "old-pg: field `engine_version`: unknown postgres version \"9.6\"",
        "tiny: field `allocated_storage`: 5 GiB is outside 20-65536 GiB",
        "huge: field `allocated_storage`: 70000 GiB is outside 20-65536 GiB",
        "forever: field `backup_retention`: 40 days is outside 0-35",
        "ha: field `subnet_group`: Multi-AZ needs subnets in two AZs",
        "badwin: field `backup_window`",
        "redis: field `automatic_failover`: automatic failover needs at least one replica",
        "redis-az: field `subnet_group`: Multi-AZ needs a subnet group with subnets in two AZs",
        "redis-old: field `engine_version`: unknown redis version \"5.0.6\"",
        "mc: field `nodes`: 0 is outside 1-40",
        "es: field `engine_version`",
        "es: field `name`: \"es\" must be 3-28 characters",
        "es-uneven: field `instances`: 3 instances cannot spread evenly over 2 AZs",
        "key: field `alias`",
        "params: field `family`",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert_eq!(counter.snapshot().total_calls(), 0);
}
