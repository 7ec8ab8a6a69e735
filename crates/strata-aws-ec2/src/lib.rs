//! EC2: VPCs, subnets, gateways, routes, security groups, NACLs, the
//! `Network` component, instances, AMI lookups, Elastic IPs, key pairs, and
//! transit gateways with their VPC attachments and route tables, and
//! site-to-site VPN (customer gateways, VPN gateways, connections).
//!
//! Every resource is tagged in its create call (`TagSpecifications`) and found
//! again with one paginated `Describe*` per kind filtered by `tag:strata:stack`.

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_ec2, "ec2", |c, _p| c.retry_classifier(strata_aws::Ec2EventualConsistency));

mod common;
mod eip;
mod instance;
mod key_pair;
mod internet_gateway;
mod nat_gateway;
mod network;
mod network_acl;
mod prefix_list;
mod route_table;
mod security_group;
mod subnet;
mod transit_gateway;
mod vpc;
mod vpn;
pub mod regions;

use std::sync::Arc;

use strata_engine::Registry;

pub use eip::{ElasticIp, ElasticIpHandle, ElasticIpOutputs, ElasticIpValues};
pub use instance::{Ami, AmiHandle, Instance, InstanceHandle};
pub use internet_gateway::{InternetGateway, InternetGatewayHandle, InternetGatewayOutputs, InternetGatewayValues};
pub use key_pair::{KeyPair, KeyPairHandle, KeyPairOutputs, KeyPairValues};
pub use nat_gateway::{NatGateway, NatGatewayHandle, NatGatewayOutputs, NatGatewayValues};
pub use network::{NatStrategy, Network, NetworkRefs, SubnetSpec};
pub use prefix_list::{ManagedPrefixList, ManagedPrefixListHandle};
pub use network_acl::{AclEntry, NetworkAcl, NetworkAclHandle, NetworkAclOutputs, NetworkAclValues};
pub use route_table::{Route, RouteTable, RouteTableHandle, RouteTableOutputs, RouteTableValues};
pub use security_group::{
    Rule, SecurityGroup, SecurityGroupHandle, SecurityGroupOutputs, SecurityGroupRule, SecurityGroupRuleHandle, SecurityGroupValues,
};
pub use subnet::{Subnet, SubnetHandle, SubnetOutputs, SubnetValues};
pub use transit_gateway::{
    TransitGateway, TransitGatewayHandle, TransitGatewayOutputs, TransitGatewayRouteTable, TransitGatewayRouteTableHandle, TransitGatewayRouteTableOutputs,
    TransitGatewayRouteTableValues, TransitGatewayValues, TransitGatewayVpcAttachment, TransitGatewayVpcAttachmentHandle, TransitGatewayVpcAttachmentOutputs,
    TransitGatewayVpcAttachmentValues, BLACKHOLE,
};
pub use vpc::{Vpc, VpcHandle, VpcOutputs, VpcValues};
pub use vpn::{
    CustomerGateway, CustomerGatewayHandle, CustomerGatewayOutputs, CustomerGatewayValues, VpnConnection, VpnConnectionHandle, VpnConnectionOutputs,
    VpnConnectionValues, VpnGateway, VpnGatewayHandle, VpnGatewayOutputs, VpnGatewayValues,
};

/// Register every EC2 provider.
pub fn register(aws: &strata_aws::Aws, r: &mut Registry) {
    let a = || aws.clone();
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, vpc::Vpcs)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, subnet::Subnets)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, internet_gateway::InternetGateways)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, eip::ElasticIps)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, nat_gateway::NatGateways)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, route_table::RouteTables)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, security_group::SecurityGroups)));
    r.register(Arc::new(security_group::RuleProvider { aws: a() }));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, network_acl::NetworkAcls)));
    r.register(Arc::new(instance::InstanceProvider { aws: a() }));
    r.register(Arc::new(instance::AmiProvider { aws: a() }));
    r.register(Arc::new(prefix_list::PrefixListProvider { aws: a() }));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, key_pair::KeyPairs)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, transit_gateway::TransitGateways)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, transit_gateway::TransitGatewayVpcAttachments)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, transit_gateway::TransitGatewayRouteTables)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, vpn::CustomerGateways)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, vpn::VpnGateways)));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, vpn::VpnConnections)));
}

pub(crate) use strata_aws::handle;

#[cfg(test)]
mod timeout_tests {
    use strata_aws::ratelimit::RateLimiter;
    use strata_aws::{Aws, AwsSettings};
    use strata_aws::Timeouts;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn a_silent_endpoint_fails_the_call_after_the_read_timeout() {
        // Accepts connections, reads the request, never answers.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for conn in listener.incoming().flatten() {
                held.push(conn);
            }
        });
        let settings = AwsSettings {
            region: Some("eu-central-1".into()),
            endpoint_url: Some(format!("http://{addr}")),
            static_credentials: Some(("test".into(), "test".into())),
            rate_limiter: RateLimiter::new(|_, _| None),
            max_attempts: Some(1),
            timeouts: Some(Timeouts { read: Duration::from_millis(500), ..Timeouts::default() }),
            ..AwsSettings::default()
        };
        let aws = Aws::connect(settings).await.unwrap();
        let start = Instant::now();
        let r = crate::client(&aws, "eu-central-1").describe_vpcs().send().await;
        let elapsed = start.elapsed();
        let e = strata_aws::error::from_sdk("DescribeVpcs", r.unwrap_err());
        assert!(elapsed < Duration::from_secs(10), "the call hung for {elapsed:?}");
        assert_eq!(e.class, strata_engine::ErrorClass::Transient, "{e}");
    }
}
