//! EC2: VPCs, subnets, gateways, routes, security groups, NACLs, the
//! `Network` component, instances, AMI lookups, Elastic IPs and key pairs.
//!
//! Every resource is tagged in its create call (`TagSpecifications`) and found
//! again with one paginated `Describe*` per kind filtered by `tag:strata:stack`.

mod common;
mod eip;
mod instance;
mod key_pair;
mod internet_gateway;
mod nat_gateway;
mod network;
mod network_acl;
mod route_table;
mod security_group;
mod subnet;
mod vpc;

use std::sync::Arc;

use strata_core::LookupQuery;
use strata_engine::{DiscoverScope, Observed, Provider, ProviderError, Registry};

pub use eip::{ElasticIp, ElasticIpHandle};
pub use instance::{Ami, AmiHandle, Instance, InstanceHandle};
pub use internet_gateway::{InternetGateway, InternetGatewayHandle};
pub use key_pair::{KeyPair, KeyPairHandle};
pub use nat_gateway::{NatGateway, NatGatewayHandle};
pub use network::{NatStrategy, Network, NetworkRefs, SubnetSpec};
pub use network_acl::{AclEntry, NetworkAcl, NetworkAclHandle};
pub use route_table::{Route, RouteTable, RouteTableHandle};
pub use security_group::{Rule, SecurityGroup, SecurityGroupHandle, SecurityGroupRule, SecurityGroupRuleHandle};
pub use subnet::{Subnet, SubnetHandle};
pub use vpc::{Vpc, VpcHandle};

/// Register every EC2 provider.
pub(crate) fn register(aws: &crate::Aws, r: &mut Registry) {
    let a = || aws.clone();
    r.register(Arc::new(vpc::VpcProvider { aws: a() }));
    r.register(Arc::new(subnet::SubnetProvider { aws: a() }));
    r.register(Arc::new(internet_gateway::IgwProvider { aws: a() }));
    r.register(Arc::new(eip::EipProvider { aws: a() }));
    r.register(Arc::new(nat_gateway::NatProvider { aws: a() }));
    r.register(Arc::new(route_table::RouteTableProvider { aws: a() }));
    r.register(Arc::new(security_group::SecurityGroupProvider { aws: a() }));
    r.register(Arc::new(security_group::RuleProvider { aws: a() }));
    r.register(Arc::new(network_acl::NetworkAclProvider { aws: a() }));
    r.register(Arc::new(instance::InstanceProvider { aws: a() }));
    r.register(Arc::new(instance::AmiProvider { aws: a() }));
    r.register(Arc::new(key_pair::KeyPairProvider { aws: a() }));
}

/// The trait's default lookup (by id, by stack reference), callable from an override.
pub(crate) async fn default_lookup(
    p: &dyn Provider,
    region: &str,
    query: &LookupQuery,
) -> Result<Vec<Observed>, ProviderError> {
    match query {
        LookupQuery::ById(id) => Ok(p.read(region, id).await?.into_iter().collect()),
        LookupQuery::StackRef { stack, resource } => {
            let scope = DiscoverScope::new(stack.clone(), region);
            let found = p.discover(&scope).await?;
            Ok(found
                .into_iter()
                // Ownership is confirmed by tag, not trusted to the provider's filter.
                .filter(|o| o.stack().as_deref() == Some(stack.as_str()))
                .filter(|o| o.logical_name().as_deref() == Some(resource.as_str()))
                .collect())
        }
        LookupQuery::ByFilters(_) => Err(ProviderError::new(
            strata_engine::ErrorClass::Invalid,
            "lookup",
            format!("{} does not support lookups by filters", p.kind()),
        )),
    }
}

pub(crate) use crate::handle;
