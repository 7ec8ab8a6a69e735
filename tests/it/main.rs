//! strata's integration tests: one test binary (every extra binary links all
//! the SDKs again), one module per area. They run against real emulators over
//! HTTP; `just test` starts them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_calls;
mod certificates;
mod cli;
mod compute;
mod data_stores;
mod load_balancing;
mod network;
mod operations;
mod protection;
mod rate_limits;
mod support;
