//! strata's resource model: the [`Stack`] a program fills with typed builders,
//! typed [`Output`]s that link resources, and [`ResourceOptions`].
//!
//! This crate does no I/O and knows nothing of AWS: the engine
//! (`strata-engine`) plans and applies stacks, and the AWS crate (`strata-aws`)
//! provides the builders and the providers behind them.

mod diagnostic;
mod output;
mod stack;
mod value;

pub use diagnostic::{Diagnostic, Invalid};
pub use output::{all, format_output, Arg, ErasedOutput, Input, Output, OutputValue, Resolver, Secret};
pub use stack::{
    tags, AsResourceId, LookupQuery, Mode, Ref, RefCore, Resource, ResourceDecl, ResourceId, ResourceOptions,
    Stack, Timeouts,
};
pub use value::{Props, Tags, Value};
