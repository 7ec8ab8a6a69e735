//! The "design principles", serverless variant
//! (`shared/design/seeds/004_a29abb12bf9061fb.txt`): one program, three
//! environments. `PRINCIPLES_ENV` picks one (`dev`, the default, `uat` or
//! `prod`); what each holds, who owns what and how each vague point of the
//! design was read: `examples/principles/mod.rs`.
//!
//! ```sh
//! cargo run --example principles-serverless -- plan
//! PRINCIPLES_ENV=prod cargo run --example principles-serverless -- apply --yes
//! ```

#[path = "principles/mod.rs"]
pub mod principles;

use principles::Env;

/// The settings of `env` (`dev`, `uat` or `prod`).
pub fn settings(env: &str) -> Option<Env> {
    let base = |env: &'static str| Env {
        stack: format!("principles-{env}"),
        env,
        domain: "principles.example.com".to_string(),
        login_prefix: format!("principles-{env}-login"),
        mfa_required: false,
        protect: false,
        memory: 256,
        reserved_concurrency: None,
        throttle: (50, 20),
        log_days: 14,
        alarm_email: "ops@principles.example.com",
    };
    Some(match env {
        "dev" => base("dev"),
        "uat" => Env { log_days: 30, ..base("uat") },
        "prod" => Env { mfa_required: true, protect: true, memory: 1024, reserved_concurrency: Some(100), throttle: (500, 200), log_days: 365, ..base("prod") },
        _ => return None,
    })
}

fn main() -> std::process::ExitCode {
    let env = std::env::var("PRINCIPLES_ENV").unwrap_or_else(|_| "dev".into());
    let Some(settings) = settings(&env) else {
        eprintln!("error: PRINCIPLES_ENV={env:?} is not dev, uat or prod");
        return std::process::ExitCode::from(2);
    };
    strata::cli::run(principles::serverless(&settings))
}
