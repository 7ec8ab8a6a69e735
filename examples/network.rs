//! The demo stack: a two-AZ network like the CDK's `Vpc` construct (VPC, public
//! and private subnets, internet gateway, one NAT gateway, route tables) plus a
//! web security group.
//!
//! ```sh
//! cargo run --example network -- plan
//! cargo run --example network -- apply --yes
//! cargo run --example network -- graph --format dot | dot -Tsvg > network.svg
//! ```

use strata::aws::ec2::{NatStrategy, Network, Rule, SecurityGroup};
use strata::prelude::*;

fn main() -> std::process::ExitCode {
    let mut stack = Stack::new("strata-demo", "eu-central-1");
    stack.default_tag("env", "demo");

    let net = Network::new("10.0.0.0/16")
        .azs(["eu-central-1a", "eu-central-1b"])
        .nat(NatStrategy::One)
        .build(&mut stack, "net");

    let web = stack.add(
        "web-sg",
        SecurityGroup::new(net.vpc.id())
            .description("web tier: HTTPS from inside the VPC")
            .ingress(Rule::tcp(443).cidr("10.0.0.0/16")),
    );

    stack.export("vpc_id", net.vpc.id());
    stack.export("web_sg_id", web.id());
    strata::cli::run(stack)
}
