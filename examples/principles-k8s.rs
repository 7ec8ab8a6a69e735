//! The "design principles", Kubernetes variant
//! (`shared/design/seeds/004_a29abb12bf9061fb.txt`): one program, three
//! environments. `PRINCIPLES_ENV` picks one (`dev`, the default, `uat` or
//! `prod`); the front it shares with the serverless variant, who owns what
//! and how each vague point of the design was read:
//! `examples/principles/mod.rs` and `examples/principles/kubernetes.rs`.
//!
//! ```sh
//! cargo run --example principles-k8s -- plan
//! PRINCIPLES_ENV=prod cargo run --example principles-k8s -- apply --yes
//! ```

#[path = "principles/mod.rs"]
pub mod principles;

use principles::kubernetes::K8s;
use principles::Env;

/// The settings of `env` (`dev`, `uat` or `prod`).
pub fn settings(env: &str) -> Option<(Env, K8s)> {
    let base = |env: &'static str| Env {
        stack: format!("principles-k8s-{env}"),
        env,
        domain: "k8s.principles.example.com".to_string(),
        login_prefix: format!("principles-k8s-{env}-login"),
        mfa_required: false,
        protect: false,
        memory: 128,
        reserved_concurrency: None,
        throttle: (50, 20),
        log_days: 14,
        alarm_email: "ops@principles.example.com",
    };
    let small = |cidr: &'static str| K8s {
        cidr,
        azs: vec!['a', 'b'],
        nat_per_az: false,
        kubernetes_version: "1.30",
        admin_cidr: "203.0.113.0/24",
        node_types: vec!["t3.medium"],
        nodes: (1, 3, 2),
        redis_node: "cache.t4g.small",
        redis_replicas: 0,
        db_class: "db.t4g.medium",
        db_multi_az: false,
        db_storage_gb: 20,
        kafka_broker: "kafka.t3.small",
        kafka_brokers: 2,
        kafka_volume_gb: 100,
    };
    Some(match env {
        "dev" => (base("dev"), small("10.90.0.0/16")),
        "uat" => (Env { log_days: 30, ..base("uat") }, small("10.91.0.0/16")),
        "prod" => (
            Env { mfa_required: true, protect: true, throttle: (500, 200), log_days: 365, ..base("prod") },
            K8s {
                azs: vec!['a', 'b', 'c'],
                nat_per_az: true,
                node_types: vec!["m6i.large"],
                nodes: (3, 9, 3),
                redis_node: "cache.m6g.large",
                redis_replicas: 2,
                db_class: "db.m6g.large",
                db_multi_az: true,
                db_storage_gb: 100,
                kafka_broker: "kafka.m7g.large",
                kafka_brokers: 3,
                kafka_volume_gb: 500,
                ..small("10.92.0.0/16")
            },
        ),
        _ => return None,
    })
}

fn main() -> std::process::ExitCode {
    let env = std::env::var("PRINCIPLES_ENV").unwrap_or_else(|_| "dev".into());
    let Some((settings, k8s)) = settings(&env) else {
        eprintln!("error: PRINCIPLES_ENV={env:?} is not dev, uat or prod");
        return std::process::ExitCode::from(2);
    };
    strata::cli::run(principles::kubernetes::kubernetes(&settings, &k8s))
}
