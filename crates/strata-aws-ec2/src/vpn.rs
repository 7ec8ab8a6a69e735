//! Site-to-site VPN: `aws:ec2:CustomerGateway` (the on-premises device),
//! `aws:ec2:VpnGateway` (the AWS side of a VPC, attached through its
//! `vpc_id` field) and `aws:ec2:VpnConnection` (between a customer gateway
//! and a VPN gateway or a transit gateway, with static routes or BGP).
//!
//! A connection's tunnel pre-shared keys, when the program gives them, are
//! secrets: sent on create, never read back, printed or compared (AWS
//! answers them in `DescribeVpnConnections`; strata drops them unread). A
//! changed key is not seen: replace the connection to change one. Static
//! routes (for a VPN gateway with `static_routes_only`) change in place.
//! Discovery never trusts a `tag:` filter here (moto ignores it on customer
//! gateways): the kernel keeps only items whose own tags name the stack.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    CustomerGateway as Cgw, GatewayType, ResourceType, VpnConnection as Conn, VpnConnectionOptionsSpecification, VpnGateway as Vgw, VpnState,
    VpnTunnelOptionsSpecification,
};
use strata_aws::error::{err, from_sdk};
use strata_aws::kernel::{Created, Kind, Life, Seen, Values, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use super::common::{parse_cidr, sort_list, stack_filter, tags_of_list, tags_spec, Ec2Tags};
use super::transit_gateway::private_asn_problem;

fn gone(state: Option<&str>) -> bool {
    matches!(state, Some("deleted"))
}

fn leaving(state: Option<&str>) -> bool {
    matches!(state, Some("deleting"))
}

// ------------------------------------------------------- customer gateway

strata_aws::kind_fields! {
    /// The on-premises end of a site-to-site VPN.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::CustomerGateway;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let office = stack.add("office", CustomerGateway::new(65010, "203.0.113.10"));
    /// let _ = office.id();
    /// ```
    pub struct CustomerGateway: "aws:ec2:CustomerGateway";
    values CustomerGatewayValues;
    handle CustomerGatewayHandle / CustomerGatewayOutputs {};
    fields {
        /// The device's BGP ASN (1-4294967294).
        bgp_asn: int [replace required];
        /// The device's public IPv4 address.
        ip_address: str [replace required];
    }
}

impl CustomerGateway {
    /// A device with BGP ASN `asn` at the public address `ip`.
    pub fn new(asn: i64, ip: &str) -> Self {
        Self::empty().bgp_asn(asn).ip_address(ip)
    }
}

type C = CustomerGatewayValues;

/// The kind behind [`CustomerGateway`].
pub(crate) struct CustomerGateways;

#[async_trait]
impl Kind for CustomerGateways {
    type Builder = CustomerGateway;
    type Item = Cgw;
    type Tags = Ec2Tags;

    fn id(g: &Cgw) -> Option<&str> {
        g.customer_gateway_id()
    }

    fn carried_tags(g: &Cgw) -> Option<Tags> {
        Some(tags_of_list(g.tags()))
    }

    fn life(g: &Cgw) -> Life {
        match g.state() {
            s if gone(s) => Life::Gone,
            s if leaving(s) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn observe(g: &Cgw) -> Seen<CustomerGateway> {
        Seen {
            values: C {
                bgp_asn: g.bgp_asn_extended().or(g.bgp_asn()).and_then(|a| a.parse().ok()),
                ip_address: g.ip_address().map(str::to_string),
                ..C::default()
            },
            outputs: CustomerGatewayOutputs {},
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Cgw>, ProviderError> {
        let out = crate::client(aws, &scope.region).describe_customer_gateways().filters(stack_filter(scope)).send().await.map_err(err("DescribeCustomerGateways"))?;
        Ok(out.customer_gateways().to_vec())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Cgw>, ProviderError> {
        match crate::client(aws, region).describe_customer_gateways().customer_gateway_ids(id).send().await {
            Ok(out) => Ok(out.customer_gateways().first().cloned()),
            Err(e) => strata_aws::not_found_none(from_sdk("DescribeCustomerGateways", e)),
        }
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, CustomerGateway>) -> Result<Created<Cgw>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let out = crate::client(aws, &cx.region)
            .create_customer_gateway()
            .r#type(GatewayType::Ipsec1)
            // `BgpAsn` takes up to 2147483647, `BgpAsnExtended` the rest.
            .set_bgp_asn(v.bgp_asn.and_then(|a| i32::try_from(a).ok()))
            .set_bgp_asn_extended(v.bgp_asn.filter(|a| i32::try_from(*a).is_err()))
            .set_ip_address(v.ip_address.clone())
            .tag_specifications(tags_spec(ResourceType::CustomerGateway, &v.tags))
            .send()
            .await
            .map_err(err("CreateCustomerGateway"))?;
        let g = out.customer_gateway().cloned().ok_or_else(|| strata_aws::lacks("CreateCustomerGateway", "CustomerGateway", &cx.name))?;
        Ok(Created::Item(g))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let req = crate::client(aws, &cx.region).delete_customer_gateway().customer_gateway_id(&actual.id);
        req.send().await.map(|_| ()).map_err(err("DeleteCustomerGateway"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(asn) = decl.known(C::bgp_asn).and_then(|v| v.as_int()).filter(|a| !(1..=4_294_967_294).contains(a)) {
            out.push(Diagnostic::field(&decl.name, C::bgp_asn, format!("{asn} is not a BGP ASN (1-4294967294)")));
        }
        if let Some(ip) = decl.known(C::ip_address).and_then(|v| v.as_str().map(str::to_string)) {
            match ip.parse::<std::net::Ipv4Addr>() {
                Err(_) => out.push(Diagnostic::field(&decl.name, C::ip_address, format!("{ip:?} is not an IPv4 address"))),
                Ok(a) if a.is_private() || a.is_loopback() || a.is_unspecified() => {
                    out.push(Diagnostic::field(&decl.name, C::ip_address, format!("{ip} is not a public address: the device must be reachable from the internet")))
                }
                Ok(_) => {}
            }
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(2)
    }
}

// ------------------------------------------------------------ VPN gateway

strata_aws::kind_fields! {
    /// The AWS end of a site-to-site VPN for one VPC (a virtual private gateway).
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::{VpnGateway, Vpc};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let vpc = stack.add("vpc", Vpc::new("10.0.0.0/16"));
    /// let vgw = stack.add("vgw", VpnGateway::new().vpc_id(vpc.id()));
    /// let _ = vgw.id();
    /// ```
    pub struct VpnGateway: "aws:ec2:VpnGateway";
    values VpnGatewayValues;
    handle VpnGatewayHandle / VpnGatewayOutputs {};
    fields {
        /// The BGP ASN of the AWS side (default: AWS's, 64512).
        amazon_side_asn: int [replace] = 64512;
        /// The VPC to attach to (moved in place: detach, attach).
        vpc_id: str [update cleared];
    }
}

impl VpnGateway {
    /// A gateway, attached to nothing until [`VpnGateway::vpc_id`].
    pub fn new() -> Self {
        Self::empty()
    }
}

impl Default for VpnGateway {
    fn default() -> Self {
        Self::new()
    }
}

type G = VpnGatewayValues;

/// The kind behind [`VpnGateway`].
pub(crate) struct VpnGateways;

async fn attach_vgw(aws: &Aws, region: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
    crate::client(aws, region).attach_vpn_gateway().vpn_gateway_id(id).vpc_id(vpc).send().await.map(|_| ()).map_err(err("AttachVpnGateway"))
}

async fn detach_vgw(aws: &Aws, region: &str, id: &str, vpc: &str) -> Result<(), ProviderError> {
    match crate::client(aws, region).detach_vpn_gateway().vpn_gateway_id(id).vpc_id(vpc).send().await {
        Ok(_) => Ok(()),
        Err(e) => match from_sdk("DetachVpnGateway", e) {
            e if e.class == ErrorClass::NotFound || e.code.as_deref() == Some("InvalidVpnGatewayAttachment.NotFound") => Ok(()),
            e => Err(e),
        },
    }
}

#[async_trait]
impl Kind for VpnGateways {
    type Builder = VpnGateway;
    type Item = Vgw;
    type Tags = Ec2Tags;

    fn id(g: &Vgw) -> Option<&str> {
        g.vpn_gateway_id()
    }

    fn carried_tags(g: &Vgw) -> Option<Tags> {
        Some(tags_of_list(g.tags()))
    }

    fn life(g: &Vgw) -> Life {
        match g.state() {
            Some(VpnState::Deleted) => Life::Gone,
            Some(VpnState::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn observe(g: &Vgw) -> Seen<VpnGateway> {
        let vpc = g.vpc_attachments().iter().find(|a| matches!(a.state().map(|s| s.as_str()), Some("attached" | "attaching"))).and_then(|a| a.vpc_id()).map(str::to_string);
        Seen { values: G { amazon_side_asn: g.amazon_side_asn(), vpc_id: vpc.clone(), ..G::default() }, outputs: VpnGatewayOutputs {}, refs: vpc.into_iter().collect() }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Vgw>, ProviderError> {
        let out = crate::client(aws, &scope.region).describe_vpn_gateways().filters(stack_filter(scope)).send().await.map_err(err("DescribeVpnGateways"))?;
        Ok(out.vpn_gateways().to_vec())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Vgw>, ProviderError> {
        match crate::client(aws, region).describe_vpn_gateways().vpn_gateway_ids(id).send().await {
            Ok(out) => Ok(out.vpn_gateways().first().cloned()),
            Err(e) => strata_aws::not_found_none(from_sdk("DescribeVpnGateways", e)),
        }
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, VpnGateway>) -> Result<Created<Vgw>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let out = crate::client(aws, &cx.region)
            .create_vpn_gateway()
            .r#type(GatewayType::Ipsec1)
            .set_amazon_side_asn(v.amazon_side_asn)
            .tag_specifications(tags_spec(ResourceType::VpnGateway, &v.tags))
            .send()
            .await
            .map_err(err("CreateVpnGateway"))?;
        let g = out.vpn_gateway().ok_or_else(|| strata_aws::lacks("CreateVpnGateway", "VpnGateway", &cx.name))?;
        let id = g.vpn_gateway_id().ok_or_else(|| strata_aws::lacks("CreateVpnGateway", "VpnGatewayId", &cx.name))?.to_string();
        if let Some(vpc) = &v.vpc_id {
            attach_vgw(aws, &cx.region, &id, vpc).await?;
        }
        Ok(Created::Id(id))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, VpnGateway>, _diff: &Diff) -> Result<(), ProviderError> {
        let region = &want.cx.region;
        if let Some(old) = actual.props.get(G::vpc_id).and_then(|v| v.as_str()) {
            detach_vgw(aws, region, &actual.id, old).await?;
        }
        match &want.values.vpc_id {
            Some(new) => attach_vgw(aws, region, &actual.id, new).await,
            None => Ok(()),
        }
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        if let Some(vpc) = actual.props.get(G::vpc_id).and_then(|v| v.as_str()) {
            detach_vgw(aws, &cx.region, &actual.id, vpc).await?;
        }
        let req = crate::client(aws, &cx.region).delete_vpn_gateway().vpn_gateway_id(&actual.id);
        req.send().await.map(|_| ()).map_err(err("DeleteVpnGateway"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(p) = decl.known(G::amazon_side_asn).and_then(|v| v.as_int()).and_then(private_asn_problem) {
            out.push(Diagnostic::field(&decl.name, G::amazon_side_asn, p));
        }
    }

    fn estimate(op: Op) -> Duration {
        Duration::from_secs(match op {
            Op::Create => 20,
            _ => 10,
        })
    }
}

// --------------------------------------------------------- VPN connection

strata_aws::kind_fields! {
    /// A site-to-site VPN connection: two IPsec tunnels between a customer
    /// gateway and a VPN gateway or a transit gateway.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_ec2::{CustomerGateway, VpnConnection, VpnGateway};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let office = stack.add("office", CustomerGateway::new(65010, "203.0.113.10"));
    /// let vgw = stack.add("vgw", VpnGateway::new());
    /// stack.add("office-vpn", VpnConnection::to_vpn_gateway(office.id(), vgw.id()).static_route("192.168.0.0/16"));
    /// ```
    pub struct VpnConnection: "aws:ec2:VpnConnection";
    values VpnConnectionValues;
    handle VpnConnectionHandle / VpnConnectionOutputs { tunnel1_address, tunnel2_address };
    fields {
        /// The customer gateway.
        customer_gateway_id: str [replace required];
        /// The VPN gateway (or give a transit gateway).
        vpn_gateway_id: str [replace cleared];
        /// The transit gateway (or give a VPN gateway).
        transit_gateway_id: str [replace cleared];
        /// Static routes instead of BGP.
        static_routes_only: bool [replace] = false;
        /// The on-premises CIDRs routed through the tunnels (static routing, VPN gateway).
        routes: strs [update] = Vec::<String>::new();
        /// The first tunnel's pre-shared key (default: AWS makes one).
        tunnel1_psk: secret [replace writeonly];
        /// The second tunnel's pre-shared key (default: AWS makes one).
        tunnel2_psk: secret [replace writeonly];
    }
}

impl VpnConnection {
    /// A connection from `customer_gateway_id` to a VPN gateway.
    pub fn to_vpn_gateway(customer_gateway_id: impl Into<Arg<String>>, vpn_gateway_id: impl Into<Arg<String>>) -> Self {
        Self::empty().customer_gateway_id(customer_gateway_id).vpn_gateway_id(vpn_gateway_id)
    }

    /// A connection from `customer_gateway_id` to a transit gateway (BGP, or
    /// static routes in the transit gateway's route table).
    pub fn to_transit_gateway(customer_gateway_id: impl Into<Arg<String>>, transit_gateway_id: impl Into<Arg<String>>) -> Self {
        Self::empty().customer_gateway_id(customer_gateway_id).transit_gateway_id(transit_gateway_id)
    }

    /// Route an on-premises CIDR through the tunnels (turns on static routing).
    pub fn static_route(self, cidr: &str) -> Self {
        self.static_routes_only(true).push(N::routes, Arg::from(cidr.to_string()).into_input())
    }
}

type N = VpnConnectionValues;

/// The kind behind [`VpnConnection`].
pub(crate) struct VpnConnections;

#[async_trait]
impl Kind for VpnConnections {
    type Builder = VpnConnection;
    type Item = Conn;
    type Tags = Ec2Tags;

    const WAIT_FOR_DELETE: bool = true;

    fn id(c: &Conn) -> Option<&str> {
        c.vpn_connection_id()
    }

    fn carried_tags(c: &Conn) -> Option<Tags> {
        Some(tags_of_list(c.tags()))
    }

    fn life(c: &Conn) -> Life {
        match c.state() {
            Some(VpnState::Deleted) => Life::Gone,
            Some(VpnState::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(c: &Conn) -> Result<bool, ProviderError> {
        Ok(c.state() == Some(&VpnState::Available))
    }

    fn observe(c: &Conn) -> Seen<VpnConnection> {
        let mut routes: Vec<String> =
            c.routes().iter().filter(|r| !matches!(r.state(), Some(VpnState::Deleted | VpnState::Deleting))).filter_map(|r| r.destination_cidr_block().map(str::to_string)).collect();
        routes.sort();
        let tunnel = |i: usize| c.options().and_then(|o| o.tunnel_options().get(i)).and_then(|t| t.outside_ip_address()).map(str::to_string);
        Seen {
            values: N {
                customer_gateway_id: c.customer_gateway_id().map(str::to_string),
                vpn_gateway_id: c.vpn_gateway_id().map(str::to_string),
                transit_gateway_id: c.transit_gateway_id().map(str::to_string),
                static_routes_only: Some(c.options().and_then(|o| o.static_routes_only()) == Some(true)),
                routes: Some(routes),
                // The tunnels' keys are never read back (AWS answers them: dropped here).
                ..N::default()
            },
            outputs: VpnConnectionOutputs { tunnel1_address: tunnel(0), tunnel2_address: tunnel(1) },
            refs: c.customer_gateway_id().into_iter().chain(c.vpn_gateway_id()).chain(c.transit_gateway_id()).map(str::to_string).collect(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Conn>, ProviderError> {
        let out = crate::client(aws, &scope.region).describe_vpn_connections().filters(stack_filter(scope)).send().await.map_err(err("DescribeVpnConnections"))?;
        Ok(out.vpn_connections().to_vec())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Conn>, ProviderError> {
        match crate::client(aws, region).describe_vpn_connections().vpn_connection_ids(id).send().await {
            Ok(out) => Ok(out.vpn_connections().first().cloned()),
            Err(e) => strata_aws::not_found_none(from_sdk("DescribeVpnConnections", e)),
        }
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, VpnConnection>) -> Result<Created<Conn>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let tunnel = |psk: &Option<strata_core::Secret<String>>| VpnTunnelOptionsSpecification::builder().set_pre_shared_key(psk.as_ref().map(|k| k.expose().clone())).build();
        let options = VpnConnectionOptionsSpecification::builder()
            .static_routes_only(v.static_routes_only == Some(true))
            .tunnel_options(tunnel(&v.tunnel1_psk))
            .tunnel_options(tunnel(&v.tunnel2_psk))
            .build();
        let c = crate::client(aws, &cx.region);
        let out = c
            .create_vpn_connection()
            .r#type("ipsec.1")
            .set_customer_gateway_id(v.customer_gateway_id.clone())
            .set_vpn_gateway_id(v.vpn_gateway_id.clone())
            .set_transit_gateway_id(v.transit_gateway_id.clone())
            .options(options)
            .tag_specifications(tags_spec(ResourceType::VpnConnection, &v.tags))
            .send()
            .await
            .map_err(err("CreateVpnConnection"))?;
        let conn = out.vpn_connection().ok_or_else(|| strata_aws::lacks("CreateVpnConnection", "VpnConnection", &cx.name))?;
        let id = conn.vpn_connection_id().ok_or_else(|| strata_aws::lacks("CreateVpnConnection", "VpnConnectionId", &cx.name))?.to_string();
        for cidr in v.routes.iter().flatten() {
            c.create_vpn_connection_route().vpn_connection_id(&id).destination_cidr_block(cidr).send().await.map_err(err("CreateVpnConnectionRoute"))?;
        }
        Ok(Created::Id(id))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, VpnConnection>, _diff: &Diff) -> Result<(), ProviderError> {
        let c = crate::client(aws, &want.cx.region);
        let have = N::from_props(&actual.props).routes.unwrap_or_default();
        let new = want.values.routes.clone().unwrap_or_default();
        for cidr in new.iter().filter(|r| !have.contains(r)) {
            c.create_vpn_connection_route().vpn_connection_id(&actual.id).destination_cidr_block(cidr).send().await.map_err(err("CreateVpnConnectionRoute"))?;
        }
        for cidr in have.iter().filter(|r| !new.contains(r)) {
            let req = c.delete_vpn_connection_route().vpn_connection_id(&actual.id).destination_cidr_block(cidr);
            strata_aws::gone_ok(req.send().await.map(|_| ()).map_err(err("DeleteVpnConnectionRoute")))?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let req = crate::client(aws, &cx.region).delete_vpn_connection().vpn_connection_id(&actual.id);
        req.send().await.map(|_| ()).map_err(err("DeleteVpnConnection"))
    }

    fn normalize(props: &mut Props) {
        sort_list(props, N::routes);
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let set = |f: &str| decl.inputs.get(f).is_some_and(|i| !matches!(i, strata_core::Input::Known(Value::Null)));
        match (set(N::vpn_gateway_id), set(N::transit_gateway_id)) {
            (true, true) => out.push(Diagnostic::field(r, N::transit_gateway_id, "a connection ends at a VPN gateway or a transit gateway, not both")),
            (false, false) => out.push(Diagnostic::field(r, N::vpn_gateway_id, "a connection needs a VPN gateway or a transit gateway")),
            _ => {}
        }
        let routes: Vec<String> = match decl.known(N::routes) {
            Some(Value::List(l)) => l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        };
        for cidr in routes.iter().filter(|c| parse_cidr(c).is_none()) {
            out.push(Diagnostic::field(r, N::routes, format!("{cidr:?} is not an IPv4 CIDR with its network address")));
        }
        if !routes.is_empty() && set(N::transit_gateway_id) {
            out.push(Diagnostic::field(r, N::routes, "a transit gateway's VPN routes live in its route table (TransitGatewayRouteTable::route), not on the connection"));
        }
        for f in [N::tunnel1_psk, N::tunnel2_psk] {
            if let Some(k) = decl.known(f).and_then(|v| v.expose().as_str().map(str::to_string)) {
                let ok = (8..=64).contains(&k.len()) && !k.starts_with('0') && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                if !ok {
                    // The value is a secret: the message never shows it.
                    out.push(Diagnostic::field(r, f, "a pre-shared key is 8-64 of letters, digits, '_' and '.', not starting with 0"));
                }
            }
        }
    }

    fn estimate(op: Op) -> Duration {
        Duration::from_secs(match op {
            Op::Create => 300,
            Op::Delete => 120,
            Op::Update => 5,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_to_lives() {
        assert!(gone(Some("deleted")) && !gone(Some("available")));
        assert!(leaving(Some("deleting")) && !leaving(None));
    }
}
