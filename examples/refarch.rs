//! The "Reference architecture" on ECS (`shared/design/seeds/003_1c7690ae7f64d56e.txt`):
//! one program, three environments. `REFARCH_ENV` picks one (`dev`, the
//! default, `stage` or `prod`); what each holds, who owns what and how each
//! vague point of the design was read: `examples/refarch/mod.rs`.
//!
//! ```sh
//! cargo run --example refarch -- plan
//! REFARCH_ENV=prod cargo run --example refarch -- apply --yes
//! REFARCH_ENV=prod cargo run --example refarch -- outputs
//! ```

#[path = "refarch/mod.rs"]
pub mod refarch;

use refarch::{App, Env};

/// The applications: a front end and two backends at paths of the internal ALB.
fn apps(count: i64, cpu: i64, memory: i64) -> Vec<App> {
    let app = |name, port, path| App { name, image: "public.ecr.aws/nginx/nginx:1.27", port, cpu, memory, count, path };
    vec![app("web", 80, None), app("orders", 8080, Some("/orders")), app("accounts", 8080, Some("/accounts"))]
}

/// The settings of `env` (`dev`, `stage` or `prod`).
pub fn settings(env: &str) -> Option<Env> {
    let base = |env: &'static str, cidr: &'static str| Env {
        stack: format!("refarch-{env}"),
        env,
        cidr,
        domain: "refarch.example.com",
        apps: apps(1, 256, 512),
        db_class: "db.t4g.medium",
        db_version: "16.4",
        db_storage_gb: 20,
        db_multi_az: false,
        db_replica: false,
        db_backup_days: 7,
        db_protect: false,
        db_identifier: format!("refarch-{env}"),
        cache_node_type: "cache.t4g.micro",
        cache_nodes: 1,
        cache_id: format!("refarch-{env}"),
        public_alb: format!("refarch-{env}-public"),
        internal_alb: format!("refarch-{env}-internal"),
        nat_per_az: false,
        vpn_instance_type: "t3.micro",
        log_days: 30,
        alarm_email: "ops@refarch.example.com",
    };
    Some(match env {
        "dev" => base("dev", "10.10.0.0/16"),
        "stage" => Env { db_multi_az: true, db_replica: true, cache_nodes: 2, ..base("stage", "10.20.0.0/16") },
        "prod" => Env {
            apps: apps(2, 512, 1024),
            db_class: "db.m6g.large",
            db_storage_gb: 100,
            db_multi_az: true,
            db_replica: true,
            db_backup_days: 30,
            db_protect: true,
            cache_node_type: "cache.m6g.large",
            cache_nodes: 2,
            nat_per_az: true,
            vpn_instance_type: "t3.small",
            log_days: 90,
            ..base("prod", "10.30.0.0/16")
        },
        _ => return None,
    })
}

fn main() -> std::process::ExitCode {
    let env = std::env::var("REFARCH_ENV").unwrap_or_else(|_| "dev".into());
    let Some(settings) = settings(&env) else {
        eprintln!("error: REFARCH_ENV={env:?} is not dev, stage or prod");
        return std::process::ExitCode::from(2);
    };
    strata::cli::run(refarch::stack(&settings))
}
