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
//! `strata-aws` (the AWS base: configuration, clients, the resource kernel) and
//! one crate per AWS service (`strata-aws-ec2`, ...), each behind a cargo
//! feature of this facade. It re-exports their public API as `strata::aws::*`
//! and adds the command-line runner, [`cli`].

pub mod cli;
pub mod host;

pub use strata_core::*;
pub use strata_engine as engine;
pub use strata_engine::{Action, Engine, EngineConfig, EngineError, Plan, Report, Status};

/// AWS resources, by service.
pub mod aws {
    pub use strata_aws::*;

    /// EC2 and VPC (feature `ec2`).
    #[cfg(feature = "ec2")]
    pub mod ec2 {
        pub use strata_aws_ec2::*;
    }

    /// Elastic Load Balancing v2 (feature `elbv2`).
    #[cfg(feature = "elbv2")]
    pub mod elbv2 {
        pub use strata_aws_elbv2::*;
    }

    /// ACM (feature `acm`).
    #[cfg(feature = "acm")]
    pub mod acm {
        pub use strata_aws_acm::*;
    }

    /// Secrets Manager (feature `secretsmanager`).
    #[cfg(feature = "secretsmanager")]
    pub mod secretsmanager {
        pub use strata_aws_secretsmanager::*;
    }

    /// KMS (feature `kms`).
    #[cfg(feature = "kms")]
    pub mod kms {
        pub use strata_aws_kms::*;
    }

    /// RDS (feature `rds`).
    #[cfg(feature = "rds")]
    pub mod rds {
        pub use strata_aws_rds::*;
    }

    /// ElastiCache (feature `elasticache`).
    #[cfg(feature = "elasticache")]
    pub mod elasticache {
        pub use strata_aws_elasticache::*;
    }

    /// OpenSearch Service (feature `opensearch`).
    #[cfg(feature = "opensearch")]
    pub mod opensearch {
        pub use strata_aws_opensearch::*;
    }

    /// S3 (feature `s3`).
    #[cfg(feature = "s3")]
    pub mod s3 {
        pub use strata_aws_s3::*;
    }

    /// SNS (feature `sns`).
    #[cfg(feature = "sns")]
    pub mod sns {
        pub use strata_aws_sns::*;
    }

    /// CloudWatch (feature `cloudwatch`).
    #[cfg(feature = "cloudwatch")]
    pub mod cloudwatch {
        pub use strata_aws_cloudwatch::*;
    }

    /// Route 53 (feature `route53`).
    #[cfg(feature = "route53")]
    pub mod route53 {
        pub use strata_aws_route53::*;
    }

    /// WAFv2 (feature `wafv2`).
    #[cfg(feature = "wafv2")]
    pub mod wafv2 {
        pub use strata_aws_wafv2::*;
    }

    /// AWS Backup (feature `backup`).
    #[cfg(feature = "backup")]
    pub mod backup {
        pub use strata_aws_backup::*;
    }

    /// CloudFront (feature `cloudfront`).
    #[cfg(feature = "cloudfront")]
    pub mod cloudfront {
        pub use strata_aws_cloudfront::*;
    }

    /// CloudWatch Logs (feature `logs`).
    #[cfg(feature = "logs")]
    pub mod logs {
        pub use strata_aws_logs::*;
    }

    /// Every provider of the enabled services (one line per service crate).
    pub fn registry(aws: &Aws) -> crate::engine::Registry {
        #[allow(unused_mut)]
        let mut r = crate::engine::Registry::new();
        #[cfg(feature = "ec2")]
        strata_aws_ec2::register(aws, &mut r);
        #[cfg(feature = "elbv2")]
        strata_aws_elbv2::register(aws, &mut r);
        #[cfg(feature = "acm")]
        strata_aws_acm::register(aws, &mut r);
        #[cfg(feature = "secretsmanager")]
        strata_aws_secretsmanager::register(aws, &mut r);
        #[cfg(feature = "kms")]
        strata_aws_kms::register(aws, &mut r);
        #[cfg(feature = "rds")]
        strata_aws_rds::register(aws, &mut r);
        #[cfg(feature = "elasticache")]
        strata_aws_elasticache::register(aws, &mut r);
        #[cfg(feature = "opensearch")]
        strata_aws_opensearch::register(aws, &mut r);
        #[cfg(feature = "s3")]
        strata_aws_s3::register(aws, &mut r);
        #[cfg(feature = "sns")]
        strata_aws_sns::register(aws, &mut r);
        #[cfg(feature = "cloudwatch")]
        strata_aws_cloudwatch::register(aws, &mut r);
        #[cfg(feature = "route53")]
        strata_aws_route53::register(aws, &mut r);
        #[cfg(feature = "wafv2")]
        strata_aws_wafv2::register(aws, &mut r);
        #[cfg(feature = "backup")]
        strata_aws_backup::register(aws, &mut r);
        #[cfg(feature = "cloudfront")]
        strata_aws_cloudfront::register(aws, &mut r);
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
