//! The Miamo shop's `dev` environment (`shared/design/miamo.md`): like `stage`,
//! with a smaller disk (deploy `prod` first). See `examples/miamo/mod.rs`.
//!
//! ```sh
//! cargo run --example dev -- plan
//! cargo run --example dev -- apply --yes
//! cargo run --example dev -- outputs
//! ```

pub mod miamo;

use miamo::{subnet, vm, Env};

/// The `dev` environment, as the design describes it.
pub fn settings() -> Env {
    Env {
        stack: "miamo-dev".into(),
        env: "dev",
        short: "dev",
        shared_from: Some("miamo-prod".into()),
        subnets: vec![
            subnet("Private_DEV_B", false, 'b', "10.0.8.0/24"),
            subnet("Private_DEV_C", false, 'c', "10.0.9.0/24"),
            subnet("Public_DEV_B", true, 'b', "10.0.18.0/24"),
            subnet("Public_DEV_C", true, 'c', "10.0.19.0/24"),
        ],
        magento: vec![vm("magento-dev-1", "m5.large", 32, "Private_DEV_B")],
        bastion: None,
        ssh_from: "203.0.113.0/24",
        alb_name: "miamo-dev-alb".into(),
        domains: vec!["devaws.miamo.com"],
        data: None,
        alarm_email: None,
    }
}

fn main() -> std::process::ExitCode {
    strata::cli::run(miamo::stack(&settings()))
}
