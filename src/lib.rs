//! # strata
//!
//! Provision AWS infrastructure from ordinary Rust programs. A program declares a
//! [`Stack`] with typed builders; resources reference each other through typed
//! [`Output`]s, which form a dependency graph; the engine plans and then creates,
//! updates or deletes resources through the official AWS SDK for Rust, in
//! dependency order with bounded parallelism.
//!
//! There is no state file: every resource carries state tags (`strata:stack`,
//! `strata:resource`) set when it is created, and the next run finds it by them.
//!
//! ```no_run
//! use strata::prelude::*;
//! use strata::aws::ec2::{Network, NatStrategy};
//!
//! fn main() -> std::process::ExitCode {
//!     let mut stack = Stack::new("demo", "eu-central-1");
//!     stack.default_tag("env", "demo");
//!     let net = Network::new("10.0.0.0/16")
//!         .azs(["eu-central-1a", "eu-central-1b"])
//!         .nat(NatStrategy::One)
//!         .build(&mut stack, "net");
//!     stack.export("vpc_id", net.vpc.id());
//!     strata::cli::run(stack)
//! }
//! ```
//!
//! Crates: `strata-core` (the model), `strata-engine` (graph, plan, reconciler),
//! `strata-aws` (builders and providers, one cargo feature per service). This
//! facade re-exports their public API and adds the command-line runner, [`cli`].

pub mod cli;
pub mod host;

pub use strata_core::*;
pub use strata_engine as engine;
pub use strata_engine::{Action, Engine, EngineConfig, EngineError, Plan, Report, Status};

/// AWS resources, by service.
pub mod aws {
    pub use strata_aws::*;

    /// CloudWatch Logs (feature `logs`).
    #[cfg(feature = "logs")]
    pub mod logs {
        pub use strata_aws_logs::*;
    }

    /// Every provider of the enabled services: those of `strata-aws` and
    /// those of the service crates (one line per service crate here).
    pub fn registry(aws: &Aws) -> crate::engine::Registry {
        #[allow(unused_mut)]
        let mut r = aws.registry();
        #[cfg(feature = "logs")]
        strata_aws_logs::register(aws, &mut r);
        r
    }
}

/// What a stack program usually needs.
pub mod prelude {
    pub use strata_core::{
        format_output, LookupQuery, Output, Ref, ResourceOptions, Secret, Stack,
    };
}

/// The README's example must compile.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
