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

    /// One line a service: its cargo feature, its module here, its crate
    /// (re-exported as the module, registered by [`registry`]), its name.
    macro_rules! services {
        ($( $feature:literal $module:ident = $krate:ident, $name:literal; )*) => {
            $(
                #[doc = concat!($name, " (feature `", $feature, "`).")]
                #[cfg(feature = $feature)]
                pub mod $module {
                    pub use $krate::*;
                }
            )*

            /// Every provider of the enabled services.
            pub fn registry(aws: &Aws) -> crate::engine::Registry {
                #[allow(unused_mut)]
                let mut r = crate::engine::Registry::new();
                $(
                    #[cfg(feature = $feature)]
                    $krate::register(aws, &mut r);
                )*
                r
            }
        };
    }

    services! {
        "ec2" ec2 = strata_aws_ec2, "EC2 and VPC";
        "elbv2" elbv2 = strata_aws_elbv2, "Elastic Load Balancing v2";
        "acm" acm = strata_aws_acm, "ACM";
        "secretsmanager" secretsmanager = strata_aws_secretsmanager, "Secrets Manager";
        "kms" kms = strata_aws_kms, "KMS";
        "rds" rds = strata_aws_rds, "RDS";
        "elasticache" elasticache = strata_aws_elasticache, "ElastiCache";
        "opensearch" opensearch = strata_aws_opensearch, "OpenSearch Service";
        "s3" s3 = strata_aws_s3, "S3";
        "sns" sns = strata_aws_sns, "SNS";
        "cloudwatch" cloudwatch = strata_aws_cloudwatch, "CloudWatch";
        "route53" route53 = strata_aws_route53, "Route 53";
        "wafv2" wafv2 = strata_aws_wafv2, "WAFv2";
        "backup" backup = strata_aws_backup, "AWS Backup";
        "cloudfront" cloudfront = strata_aws_cloudfront, "CloudFront";
        "logs" logs = strata_aws_logs, "CloudWatch Logs";
        "iam" iam = strata_aws_iam, "IAM";
        "sqs" sqs = strata_aws_sqs, "SQS";
        "ecr" ecr = strata_aws_ecr, "ECR";
        "cloudtrail" cloudtrail = strata_aws_cloudtrail, "CloudTrail";
        "ecs" ecs = strata_aws_ecs, "ECS";
        "eks" eks = strata_aws_eks, "EKS";
        "dynamodb" dynamodb = strata_aws_dynamodb, "DynamoDB";
        "lambda" lambda = strata_aws_lambda, "Lambda";
        "apigatewayv2" apigatewayv2 = strata_aws_apigatewayv2, "API Gateway v2";
        "apigateway" apigateway = strata_aws_apigateway, "API Gateway (REST)";
        "cognito" cognito = strata_aws_cognito, "Cognito user pools";
        "msk" msk = strata_aws_msk, "MSK (Kafka) clusters";
        "docdb" docdb = strata_aws_docdb, "DocumentDB";
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
