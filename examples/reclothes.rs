//! "ReClothes", a micro-services marketplace (`shared/design/seeds/001_7bcb9c20a907b914.txt`):
//! one program, two environments. `RECLOTHES_ENV` picks one (`dev`, the
//! default, or `prod`); what each holds, who owns what and how each vague
//! point of the design was read: `examples/reclothes/mod.rs`.
//!
//! ```sh
//! cargo run --example reclothes -- plan
//! RECLOTHES_ENV=prod cargo run --example reclothes -- apply --yes
//! ```

#[path = "reclothes/mod.rs"]
pub mod reclothes;

use reclothes::{Catalogue, Env, Service};

/// The five services, each in its own VPC.
fn services() -> Vec<Service> {
    let svc = |name, cidr, db, cache, external, internal| Service { name, cidr, db, cache, external, internal };
    vec![
        svc("auth", "10.1.0.0/16", true, true, true, true),
        svc("cart", "10.2.0.0/16", true, true, true, false),
        svc("customer", "10.3.0.0/16", true, false, true, true),
        svc("billing", "10.4.0.0/16", true, false, true, true),
        svc("donation", "10.5.0.0/16", false, false, true, true),
    ]
}

/// The settings of `env` (`dev` or `prod`).
pub fn settings(env: &str) -> Option<Env> {
    let base = |env: &'static str| Env {
        stack: format!("reclothes-{env}"),
        env,
        domain: "reclothes.example.com",
        services: services(),
        account: "123456789012",
        office_cidr: "192.168.0.0/16",
        office_ip: "203.0.113.10",
        office_asn: 65010,
        blocked_cidrs: vec!["198.51.100.0/24"],
        workers: 1,
        worker_type: "t3.medium",
        db_class: "db.t4g.micro",
        db_version: "16.4",
        db_multi_az: false,
        db_protect: false,
        cache_node_type: "cache.t4g.micro",
        catalogue: Some(Catalogue { instance_class: "db.t4g.medium", instances: 1 }),
        nat_per_az: false,
        names: format!("rc-{env}"),
        log_days: 30,
        alarm_email: "ops@reclothes.example.com",
    };
    Some(match env {
        "dev" => base("dev"),
        "prod" => Env {
            workers: 2,
            worker_type: "m6i.large",
            db_class: "db.m6g.large",
            db_multi_az: true,
            db_protect: true,
            cache_node_type: "cache.m6g.large",
            catalogue: Some(Catalogue { instance_class: "db.r6g.large", instances: 2 }),
            nat_per_az: true,
            log_days: 90,
            ..base("prod")
        },
        _ => return None,
    })
}

fn main() -> std::process::ExitCode {
    let env = std::env::var("RECLOTHES_ENV").unwrap_or_else(|_| "dev".into());
    let Some(mut settings) = settings(&env) else {
        eprintln!("error: RECLOTHES_ENV={env:?} is not dev or prod");
        return std::process::ExitCode::from(2);
    };
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
        eprintln!("note: the DocumentDB catalogue is left out: AWS_ENDPOINT_URL names an emulator, and none implements DocumentDB");
        settings.catalogue = None;
    }
    strata::cli::run(reclothes::stack(&settings))
}
