//! The `Network` component, like the CDK's `Vpc` construct: from a CIDR, the
//! AZs and a subnet layout, it declares the VPC, public and private subnets, an
//! internet gateway, NAT gateways (none, one, or one per AZ) with their
//! Elastic IPs, and the route tables; on request, extra routes of the private
//! route tables (to a transit gateway) and a VPN gateway with the routes to
//! the networks behind it.

use strata_core::{Ref, Stack};

use super::{ElasticIp, InternetGateway, NatGateway, Route, RouteTable, Subnet, Vpc, VpnGateway};

/// How many NAT gateways serve the private subnets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NatStrategy {
    /// Private subnets have no route to the internet.
    None,
    /// One NAT gateway, in the first public subnet, for every private subnet.
    One,
    /// One NAT gateway per AZ that has a public subnet.
    PerAz,
}

/// An explicit subnet.
#[derive(Clone, Debug)]
pub struct SubnetSpec {
    pub name: String,
    pub cidr: String,
    pub az: String,
    pub public: bool,
}

impl SubnetSpec {
    pub fn public(name: &str, cidr: &str, az: &str) -> Self {
        SubnetSpec { name: name.into(), cidr: cidr.into(), az: az.into(), public: true }
    }
    pub fn private(name: &str, cidr: &str, az: &str) -> Self {
        SubnetSpec { name: name.into(), cidr: cidr.into(), az: az.into(), public: false }
    }
}

/// A network to declare.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_ec2::{NatStrategy, Network};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let net = Network::new("10.0.0.0/16")
///     .azs(["eu-central-1a", "eu-central-1b"])
///     .nat(NatStrategy::One)
///     .build(&mut stack, "net");
/// assert_eq!(net.public_subnets.len(), 2);
/// assert_eq!(net.private_subnets.len(), 2);
/// assert_eq!(net.vpc.name(), "net/vpc");
/// ```
#[derive(Clone, Debug)]
pub struct Network {
    cidr: String,
    azs: Vec<String>,
    nat: NatStrategy,
    subnets: Option<Vec<SubnetSpec>>,
    private_routes: Vec<Route>,
    vpn: Option<(i64, Vec<String>)>,
}

/// What [`Network::build`] declared.
#[derive(Clone, Debug)]
pub struct NetworkRefs {
    pub vpc: Ref<Vpc>,
    pub igw: Ref<InternetGateway>,
    pub public_subnets: Vec<Ref<Subnet>>,
    pub private_subnets: Vec<Ref<Subnet>>,
    pub nat_gateways: Vec<Ref<NatGateway>>,
    pub public_route_table: Ref<RouteTable>,
    pub private_route_tables: Vec<Ref<RouteTable>>,
    /// The VPN gateway, with [`Network::vpn_gateway`].
    pub vpn_gateway: Option<Ref<VpnGateway>>,
}

impl Network {
    pub fn new(cidr: &str) -> Self {
        Network { cidr: cidr.into(), azs: Vec::new(), nat: NatStrategy::One, subnets: None, private_routes: Vec::new(), vpn: None }
    }
    pub fn azs<I: IntoIterator<Item = S>, S: Into<String>>(mut self, azs: I) -> Self {
        self.azs = azs.into_iter().map(Into::into).collect();
        self
    }
    pub fn nat(mut self, nat: NatStrategy) -> Self {
        self.nat = nat;
        self
    }
    /// Explicit subnets instead of the default layout.
    pub fn subnets(mut self, subnets: Vec<SubnetSpec>) -> Self {
        self.subnets = Some(subnets);
        self
    }

    /// One more route in every private route table (to a transit gateway,
    /// say: the VPC's own routes to its NAT gateway stay).
    #[must_use]
    pub fn private_route(mut self, route: Route) -> Self {
        self.private_routes.push(route);
        self
    }

    /// A VPN gateway (AWS side ASN `asn`) attached to the VPC, and in every
    /// private route table a route through it to each of `remote_cidrs`
    /// (the networks at the other end of the VPN).
    #[must_use]
    pub fn vpn_gateway<S: Into<String>>(mut self, asn: i64, remote_cidrs: impl IntoIterator<Item = S>) -> Self {
        self.vpn = Some((asn, remote_cidrs.into_iter().map(Into::into).collect()));
        self
    }

    /// The default layout: per AZ, a public and a private subnet, each a
    /// sixteenth of the VPC (a /20 of a /16), publics first.
    fn layout(&self) -> Vec<SubnetSpec> {
        let carve = |i: usize| -> String {
            self.cidr
                .parse::<ipnet::Ipv4Net>()
                .ok()
                .and_then(|net| net.subnets(net.prefix_len().saturating_add(4).min(28)).ok())
                .and_then(|mut it| it.nth(i))
                .map(|n| n.to_string())
                .unwrap_or_else(|| format!("(cannot carve subnet {i} from {})", self.cidr))
        };
        let n = self.azs.len();
        let mut out = Vec::new();
        for (i, az) in self.azs.iter().enumerate() {
            let suffix = az.chars().last().map(String::from).unwrap_or_else(|| i.to_string());
            out.push(SubnetSpec::public(&format!("public-{suffix}"), &carve(i), az));
        }
        for (i, az) in self.azs.iter().enumerate() {
            let suffix = az.chars().last().map(String::from).unwrap_or_else(|| i.to_string());
            out.push(SubnetSpec::private(&format!("private-{suffix}"), &carve(n + i), az));
        }
        out
    }

    /// Declare everything under `prefix/` in `stack`.
    pub fn build(self, stack: &mut Stack, prefix: &str) -> NetworkRefs {
        let specs = self.subnets.clone().unwrap_or_else(|| self.layout());
        stack.component(prefix, |s| {
            let vpc = s.add("vpc", Vpc::new(self.cidr.as_str()));
            let igw = s.add("igw", InternetGateway::new().vpc_id(vpc.id()));
            let mut public = Vec::new();
            let mut private = Vec::new();
            for spec in &specs {
                let mut sub = Subnet::new(vpc.id(), spec.cidr.as_str(), spec.az.as_str());
                if spec.public {
                    sub = sub.public();
                    public.push((spec.az.clone(), s.add(spec.name.as_str(), sub)));
                } else {
                    private.push((spec.az.clone(), s.add(spec.name.as_str(), sub)));
                }
            }
            let mut public_rt = RouteTable::new(vpc.id()).route(Route::to_gateway("0.0.0.0/0", igw.id()));
            for (_, sub) in &public {
                public_rt = public_rt.associate(sub.id());
            }
            let public_route_table = s.add("public-rt", public_rt);

            let vpn_gateway = self.vpn.as_ref().map(|(asn, _)| s.add("vgw", VpnGateway::new().amazon_side_asn(*asn).vpc_id(vpc.id())));
            let mut extra = self.private_routes.clone();
            if let (Some(vgw), Some((_, cidrs))) = (&vpn_gateway, &self.vpn) {
                extra.extend(cidrs.iter().map(|c| Route::to_gateway(c, vgw.id())));
            }
            let private_rt = || extra.iter().cloned().fold(RouteTable::new(vpc.id()), RouteTable::route);

            // NAT gateways, by the AZ they serve.
            let mut nats: Vec<(String, Ref<NatGateway>)> = Vec::new();
            let nat_azs: Vec<&(String, Ref<Subnet>)> = match self.nat {
                NatStrategy::None => Vec::new(),
                NatStrategy::One => public.iter().take(1).collect(),
                NatStrategy::PerAz => public.iter().collect(),
            };
            for (az, sub) in nat_azs {
                let suffix = az.chars().last().map(String::from).unwrap_or_default();
                let eip = s.add(format!("nat-eip-{suffix}"), ElasticIp::new());
                let nat = s.add(format!("nat-{suffix}"), NatGateway::new(sub.id(), eip.allocation_id()));
                nats.push((az.clone(), nat));
            }
            let mut private_route_tables = Vec::new();
            if self.nat == NatStrategy::PerAz && !nats.is_empty() {
                for (az, nat) in &nats {
                    let suffix = az.chars().last().map(String::from).unwrap_or_default();
                    let mut rt = private_rt().route(Route::to_nat_gateway("0.0.0.0/0", nat.id()));
                    let mut any = false;
                    for (_, sub) in private.iter().filter(|(a, _)| a == az) {
                        rt = rt.associate(sub.id());
                        any = true;
                    }
                    if any {
                        private_route_tables.push(s.add(format!("private-rt-{suffix}"), rt));
                    }
                }
                // Private subnets in AZs without a NAT use the first one.
                let orphans: Vec<&Ref<Subnet>> =
                    private.iter().filter(|(a, _)| !nats.iter().any(|(n, _)| n == a)).map(|(_, r)| r).collect();
                if let (false, Some((_, first))) = (orphans.is_empty(), nats.first()) {
                    let mut rt = private_rt().route(Route::to_nat_gateway("0.0.0.0/0", first.id()));
                    for sub in orphans {
                        rt = rt.associate(sub.id());
                    }
                    private_route_tables.push(s.add("private-rt", rt));
                }
            } else if !private.is_empty() {
                let mut rt = private_rt();
                if let Some((_, nat)) = nats.first() {
                    rt = rt.route(Route::to_nat_gateway("0.0.0.0/0", nat.id()));
                }
                for (_, sub) in &private {
                    rt = rt.associate(sub.id());
                }
                private_route_tables.push(s.add("private-rt", rt));
            }
            NetworkRefs {
                vpc,
                igw,
                public_subnets: public.into_iter().map(|(_, r)| r).collect(),
                private_subnets: private.into_iter().map(|(_, r)| r).collect(),
                nat_gateways: nats.into_iter().map(|(_, r)| r).collect(),
                public_route_table,
                private_route_tables,
                vpn_gateway,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(stack: &Stack) -> Vec<String> {
        let mut v: Vec<String> = stack.resources().iter().map(|d| d.name.clone()).collect();
        v.sort();
        v
    }

    #[test]
    fn default_layout_carves_and_places_nats() {
        let mut s = Stack::new("t", "eu-central-1");
        let net = Network::new("10.0.0.0/16").azs(["eu-central-1a", "eu-central-1b"]).nat(NatStrategy::PerAz).build(&mut s, "net");
        assert_eq!(net.nat_gateways.len(), 2);
        assert_eq!(net.private_route_tables.len(), 2);
        let cidrs: Vec<String> = s
            .resources()
            .iter()
            .filter(|d| d.kind == "aws:ec2:Subnet")
            .filter_map(|d| d.known("cidr_block").and_then(|v| v.as_str().map(str::to_string)))
            .collect();
        assert_eq!(cidrs, ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20", "10.0.48.0/20"]);
        assert!(names(&s).contains(&"net/nat-b".to_string()));

        let mut one = Stack::new("t", "eu-central-1");
        let net = Network::new("10.1.0.0/16").azs(["eu-central-1a", "eu-central-1b"]).nat(NatStrategy::One).build(&mut one, "n");
        assert_eq!(net.nat_gateways.len(), 1);
        assert_eq!(net.private_route_tables.len(), 1);
    }

    #[test]
    fn explicit_subnets() {
        let mut s = Stack::new("t", "eu-central-1");
        let net = Network::new("10.0.0.0/16")
            .subnets(vec![
                SubnetSpec::public("Public_PROD_B", "10.0.11.0/24", "eu-central-1b"),
                SubnetSpec::private("Private_PROD_B", "10.0.2.0/24", "eu-central-1b"),
            ])
            .nat(NatStrategy::None)
            .build(&mut s, "net");
        assert!(net.nat_gateways.is_empty());
        assert_eq!(net.public_subnets[0].name(), "net/Public_PROD_B");
    }
}
