//! The Miamo shop's `stage` environment (`shared/design/miamo.md`): its own
//! subnets, Magento, ALB and distribution; prod's network and shared services,
//! by stack reference (deploy `prod` first). See `examples/miamo/mod.rs`.
//!
//! ```sh
//! cargo run --example stage -- plan
//! cargo run --example stage -- apply --yes
//! cargo run --example stage -- outputs
//! ```

pub mod miamo;

use miamo::{subnet, vm, Env};

/// The `stage` environment, as the design describes it.
pub fn settings() -> Env {
    Env {
        stack: "miamo-stage".into(),
        env: "stage",
        short: "stg",
        shared_from: Some("miamo-prod".into()),
        subnets: vec![
            subnet("Private_STG_B", false, 'b', "10.0.6.0/24"),
            subnet("Private_STG_C", false, 'c', "10.0.7.0/24"),
            subnet("Public_STG_B", true, 'b', "10.0.16.0/24"),
            subnet("Public_STG_C", true, 'c', "10.0.17.0/24"),
        ],
        magento: vec![vm("magento-stg-1", "m5.large", 64, "Private_STG_B")],
        bastion: None,
        ssh_from: "203.0.113.0/24",
        alb_name: "miamo-stg-alb".into(),
        domains: vec!["staging.miamo.com"],
        data: None,
        alarm_email: None,
    }
}

fn main() -> std::process::ExitCode {
    strata::cli::run(miamo::stack(&settings()))
}
