//! The Miamo shop's `prod` environment (`shared/design/miamo.md`), owner of the
//! shared network and services. What the stack holds, who owns what and how each
//! vague point of the design was read: `examples/miamo/mod.rs`.
//!
//! ```sh
//! cargo run --example prod -- plan
//! cargo run --example prod -- apply --yes
//! cargo run --example prod -- outputs
//! ```

pub mod miamo;

use miamo::{subnet, vm, DataStores, Env};

/// The `prod` environment, as the design describes it.
pub fn settings() -> Env {
    Env {
        stack: "miamo-prod".into(),
        env: "prod",
        short: "prd",
        shared_from: None,
        subnets: vec![
            subnet("Private_PROD_A", false, 'a', "10.0.1.0/24"),
            subnet("Private_PROD_B", false, 'b', "10.0.2.0/24"),
            subnet("Private_PROD_C", false, 'c', "10.0.3.0/24"),
            subnet("Public_PROD_B", true, 'b', "10.0.11.0/24"),
            subnet("Public_PROD_C", true, 'c', "10.0.12.0/24"),
        ],
        magento: vec![vm("magento-prd-1", "m5.large", 32, "Private_PROD_B")],
        bastion: Some(vm("bastion-host-1", "t3.medium", 20, "Public_PROD_B")),
        ssh_from: "203.0.113.0/24",
        alb_name: "magento-prd-alb".into(),
        domains: vec!["www.miamo.com", "miamo.com"],
        data: Some(DataStores {
            db_identifier: "magento-prd".into(),
            db_class: "db.m6g.large",
            db_engine_version: "8.0",
            db_storage_gb: 100,
            redis_id: "magento-prd".into(),
            redis_node_type: "cache.m6g.large",
            redis_version: "7.0",
            search_domain: "magento-prd-es".into(),
            search_engine: "Elasticsearch_7.10",
            search_instance_type: "m6g.large.search",
            search_nodes: 2,
            search_gb: 30,
            protect: true,
        }),
        alarm_email: Some("ops@miamo.com"),
    }
}

fn main() -> std::process::ExitCode {
    strata::cli::run(miamo::stack(&settings()))
}
