//! "Innovate" on EKS (`shared/design/seeds/002_b2292a29a0780bdd.txt`): one
//! program, three environments. `INNOVATE_ENV` picks one (`dev`, the default,
//! `staging` or `prod`); what each holds, who owns what and how each vague
//! point of the design was read: `examples/innovate/mod.rs`.
//!
//! ```sh
//! cargo run --example innovate -- plan
//! INNOVATE_ENV=prod cargo run --example innovate -- apply --yes
//! ```

#[path = "innovate/mod.rs"]
pub mod innovate;

use innovate::{Env, Tier};

fn tier(name: &'static str, on_demand: (i64, i64, i64), spot: (i64, i64, i64), large: bool) -> Tier {
    let (od, sp) = if large { (vec!["m6i.large"], vec!["m6i.large", "m5.large", "m5a.large"]) } else { (vec!["t3.medium"], vec!["t3.medium", "t3a.medium"]) };
    Tier { name, on_demand_types: od, on_demand, spot_types: sp, spot }
}

/// The settings of `env` (`dev`, `staging` or `prod`).
pub fn settings(env: &str) -> Option<Env> {
    let base = |env: &'static str, cidr: &'static str| Env {
        stack: format!("innovate-{env}"),
        env,
        cidr,
        azs: vec!['a', 'b'],
        nat_per_az: false,
        domain: "innovate.example.com",
        kubernetes_version: "1.30",
        admin_cidr: "203.0.113.0/24",
        tiers: vec![tier("front-end", (1, 2, 1), (0, 2, 0), false), tier("back-end", (1, 2, 1), (0, 2, 0), false)],
        db_class: "db.t4g.medium",
        db_version: "16.4",
        db_storage_gb: 20,
        db_protect: false,
        db_identifier: format!("innovate-{env}"),
        alb_name: format!("innovate-{env}"),
        dr_region: None,
        log_days: 365,
        cost_center: "innovate-dev",
        account: "123456789012",
    };
    Some(match env {
        "dev" => base("dev", "10.60.0.0/16"),
        "staging" => base("staging", "10.70.0.0/16"),
        "prod" => Env {
            azs: vec!['a', 'b', 'c'],
            nat_per_az: true,
            tiers: vec![tier("front-end", (2, 6, 2), (0, 10, 2), true), tier("back-end", (2, 6, 2), (0, 10, 2), true)],
            db_class: "db.m6g.large",
            db_storage_gb: 100,
            db_protect: true,
            dr_region: Some("eu-west-1"),
            log_days: 7 * 365,
            cost_center: "innovate-prod",
            ..base("prod", "10.80.0.0/16")
        },
        _ => return None,
    })
}

fn main() -> std::process::ExitCode {
    let env = std::env::var("INNOVATE_ENV").unwrap_or_else(|_| "dev".into());
    let Some(settings) = settings(&env) else {
        eprintln!("error: INNOVATE_ENV={env:?} is not dev, staging or prod");
        return std::process::ExitCode::from(2);
    };
    strata::cli::run(innovate::stack(&settings))
}
