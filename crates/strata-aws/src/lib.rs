//! AWS resources for strata: typed builders and the providers behind them, on
//! the official AWS SDK for Rust.
//!
//! One module per service, each behind a cargo feature (`ec2`, ...), so that a
//! program compiles only the SDKs it uses. [`Aws`] holds the configuration,
//! one client per service and region, and the [`ApiCallCounter`] interceptor
//! that counts every call.

mod config;
mod counter;
pub mod error;

#[cfg(feature = "ec2")]
pub mod ec2;

pub use config::{Aws, AwsError, AwsSettings};
pub use counter::{is_mutating, ApiCallCounter};
