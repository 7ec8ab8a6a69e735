//! strata's integration tests: one test binary (every extra binary links all
//! the SDKs again), one module per area. They run against real emulators over
//! HTTP; `just test` starts them.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// Each Miamo example (below) declares the component module it shares with the
// other two, so the test binary holds one copy per example, as they are built.
#![allow(clippy::duplicate_mod)]

mod api_calls;
mod bad_input;
mod batch_tags;
mod certificates;
mod cloudtrail;
mod cli;
mod compute;
mod crash_sweep;
mod data_stores;
mod deletion_windows;
mod discovery_index;
mod drift;
mod ecr;
mod ecs;
mod eks;
mod faults;
mod innovate;
// The Innovate example itself (settings and component), for innovate.
#[allow(dead_code)]
#[path = "../../examples/innovate.rs"]
mod innovate_example;
mod inventory;
mod load_balancing;
mod iam;
mod lock_store;
mod logs;
mod msk;
// The Miamo examples themselves (settings and component), for miamo_stacks.
#[allow(dead_code)]
#[path = "../../examples/dev.rs"]
mod miamo_dev;
#[allow(dead_code)]
#[path = "../../examples/prod.rs"]
mod miamo_prod;
#[allow(dead_code)]
#[path = "../../examples/stage.rs"]
mod miamo_stage;
mod miamo_stacks;
mod network;
mod operations;
mod parameters;
// The design-principles examples themselves (settings and module), for principles.
#[allow(dead_code)]
#[path = "../../examples/principles-k8s.rs"]
mod principles_k8s_example;
#[allow(dead_code)]
#[path = "../../examples/principles-serverless.rs"]
mod principles_serverless_example;
mod principles;
mod protection;
mod rate_limits;
mod reclothes;
// The ReClothes example itself (settings and module), for reclothes.
#[allow(dead_code)]
#[path = "../../examples/reclothes.rs"]
mod reclothes_example;
// The reference-architecture example itself (settings and component), for refarch.
#[allow(dead_code)]
#[path = "../../examples/refarch.rs"]
mod refarch_example;
mod rest_api;
mod refarch;
mod secure_defaults;
mod serverless;
mod sqs;
mod support;
mod tidy;
mod transit_gateway;
