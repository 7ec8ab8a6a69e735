#![warn(missing_docs)]
//! AWS resources for strata: typed builders and the providers behind them, on
//! the official AWS SDK for Rust.
//!
//! The base of the AWS service crates (`strata-aws-ec2`, `strata-aws-rds`,
//! ...; the `strata` facade has one cargo feature per service, so that a
//! program compiles only the SDKs it uses). [`Aws`] holds the configuration
//! and builds each service crate's clients ([`sdk_client!`]) with the
//! [`ApiCallCounter`] interceptor, the rate limiter ([`ratelimit`]), fault
//! injection ([`faults`]) and recording ([`record`]); [`kernel`] is the
//! generic provider the kinds are written on; [`error`] maps SDK errors.

mod config;
mod counter;
pub mod api_domain;
pub mod kernel;
pub mod ratelimit;
pub mod faults;
pub mod record;
pub mod shared_lists;
pub mod tagging_api;
mod throttle;
pub mod error;

pub mod naming;
pub mod policy;
pub mod props;

pub use config::{Aws, AwsError, AwsSettings, ClientParts, Timeouts, DEFAULT_MAX_ATTEMPTS};
pub use throttle::{Ec2EventualConsistency, RateLimitedClient};

/// What the macros of this crate expand to, for the service crates.
#[doc(hidden)]
pub mod __private {
    pub use async_trait::async_trait;
    pub use strata_core::{Arg, Input, Output, Props, RefCore, Resource, Secret, Tags, Value};
    pub use strata_engine::ProviderError;
}
pub use counter::{is_mutating, ApiCallCounter};

use strata_core::{Props, Tags, Value};
use strata_engine::{ErrorClass, ProviderError};

/// The tag that ties a resource of a global service (Route 53 zones,
/// CloudFront distributions) to the stack region that manages it, so that only
/// that region's discovery reports it.
pub const REGION_TAG: &str = strata_core::tags::REGION;

/// The desired tags of a resource (state tags included).
pub fn desired_tags(props: &Props) -> Tags {
    props.get("tags").map(Value::as_tags).unwrap_or_default()
}

/// Tags as the services that answer a string map carry them (API Gateway,
/// EKS, MSK, ...), as strata's map; none is empty.
pub fn tags_from_map(t: Option<&std::collections::HashMap<String, String>>) -> Tags {
    t.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
}

/// strata's tags as a string map, the shape those services take.
pub fn tags_to_map(t: &Tags) -> std::collections::HashMap<String, String> {
    t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The tag calls that bring `have` to `want`: the tags to add or overwrite,
/// and the keys to remove (AWS's own `aws:*` tags are never removed).
pub fn tag_changes(have: &Tags, want: &Tags) -> (Tags, Vec<String>) {
    let add = want.iter().filter(|(k, v)| have.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let remove = have.keys().filter(|k| !want.contains_key(*k) && !k.starts_with("aws:")).cloned().collect();
    (add, remove)
}

/// The answer of a read, `None` when the service says it does not exist.
pub fn found<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    r.map(Some).or_else(not_found_none)
}

/// A read that found nothing: `NotFound` becomes `Ok(None)`.
pub fn not_found_none<T>(e: ProviderError) -> Result<Option<T>, ProviderError> {
    if e.class == ErrorClass::NotFound {
        Ok(None)
    } else {
        Err(e)
    }
}

/// A read of something listed a moment ago that has been deleted since:
/// `None`, so that discovery skips it instead of failing.
pub fn unless_gone<T>(r: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Deleting what is already gone succeeds.
pub fn gone_ok(r: Result<(), ProviderError>) -> Result<(), ProviderError> {
    match r {
        Err(e) if e.class == ErrorClass::NotFound => Ok(()),
        other => other,
    }
}

/// Declares a handle type whose methods return outputs.
#[macro_export]
macro_rules! handle {
    ($(#[$m:meta])* $name:ident { $($method:ident : $attr:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug)]
        pub struct $name($crate::__private::RefCore);
        impl From<$crate::__private::RefCore> for $name {
            fn from(c: $crate::__private::RefCore) -> Self {
                $name(c)
            }
        }
        impl $name {
            $(
                #[doc = concat!("The `", $attr, "` output.")]
                pub fn $method(&self) -> $crate::__private::Output<String> {
                    self.0.output($attr)
                }
            )*
        }
    };
}

/// A create (or its read-back) answered without the id or ARN the kind needs:
/// an error naming the resource and the missing field, never an empty id that
/// would flow into dependents.
pub fn lacks(operation: &str, field: &str, resource: &str) -> strata_engine::ProviderError {
    strata_engine::ProviderError::new(
        strata_engine::ErrorClass::Fatal,
        operation,
        format!("the {operation} answer for `{resource}` has no {field}"),
    )
}

/// A resource that AWS reports in a failed state while strata waits for it
/// (`what` names its kind, `why` is AWS's reason if it gave one): a fatal
/// error of `operation`, the call that started it.
pub fn failed(operation: &str, what: &str, id: Option<&str>, why: Option<&str>) -> strata_engine::ProviderError {
    let why = why.filter(|w| !w.is_empty()).unwrap_or("no reason given");
    strata_engine::ProviderError::new(strata_engine::ErrorClass::Fatal, operation, format!("{what} {} failed: {why}", id.unwrap_or("(no id)")))
}

/// One poll of a waiter, with the acceptors of the SDK's modelled waiter
/// (`db_instance_available`, `cache_cluster_available`, ...): `Ok(true)` in a
/// success state, `Ok(false)` while in progress, and in a failure state an
/// error naming it at once (`deleting`, `failed`, `incompatible-*`), instead of
/// polling until the timeout.
pub fn accept(
    operation: &str,
    what: &str,
    status: Option<&str>,
    success: &[&str],
    failure: &[&str],
) -> Result<bool, strata_engine::ProviderError> {
    match status {
        Some(s) if success.contains(&s) => Ok(true),
        Some(s) if failure.contains(&s) => Err(strata_engine::ProviderError::new(
            strata_engine::ErrorClass::Fatal,
            operation,
            format!("{what} is {s}, which it does not leave to become {}", success.join(" or ")),
        )
        .with_code(s)),
        _ => Ok(false),
    }
}

#[cfg(test)]
mod acceptor_tests {
    #[test]
    fn a_failure_state_fails_at_once_naming_it() {
        let ok = ["available"];
        let bad = ["deleting", "failed"];
        assert!(super::accept("DescribeDBInstances", "DB instance db-1", Some("available"), &ok, &bad).unwrap());
        assert!(!super::accept("DescribeDBInstances", "DB instance db-1", Some("creating"), &ok, &bad).unwrap());
        let e = super::accept("DescribeDBInstances", "DB instance db-1", Some("deleting"), &ok, &bad).unwrap_err();
        assert_eq!(e.code.as_deref(), Some("deleting"));
        assert!(e.to_string().contains("DB instance db-1 is deleting"), "{e}");
    }
}
