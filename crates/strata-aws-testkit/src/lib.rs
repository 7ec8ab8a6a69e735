//! Fixtures for strata's integration tests: emulator endpoints, unique stack
//! names (so tests run in parallel against one emulator), and leftover checks.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_ec2::types::Filter;
use strata_aws::{Aws, AwsSettings};

/// An emulator the tests can run against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emulator {
    /// LocalStack community (EC2/VPC, Route53, ACM, S3, SNS, CloudWatch, ...).
    LocalStack,
    /// moto server (everything LocalStack has, plus RDS, ElastiCache, ELBv2, ...).
    Moto,
}

impl Emulator {
    /// The endpoint: `STRATA_LOCALSTACK_URL` / `STRATA_MOTO_URL`, or the default port.
    pub fn url(self) -> String {
        match self {
            Emulator::LocalStack => {
                std::env::var("STRATA_LOCALSTACK_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into())
            }
            Emulator::Moto => std::env::var("STRATA_MOTO_URL").unwrap_or_else(|_| "http://127.0.0.1:5000".into()),
        }
    }
}

/// Where whole-stack tests run: `AWS_ENDPOINT_URL` if set (a LocalStack Pro
/// user points it at LocalStack), else moto, which covers every service.
pub fn full_stack_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| Emulator::Moto.url())
}

/// A stack name unique to this test and process.
pub fn unique_stack(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() % 1_000_000).unwrap_or(0);
    format!("{prefix}-{}-{t}-{n}", std::process::id())
}

/// An [`Aws`] for an emulator, with static test credentials.
pub async fn aws(endpoint: &str, region: &str) -> Aws {
    let settings = AwsSettings {
        region: Some(region.to_string()),
        profile: None,
        endpoint_url: Some(endpoint.to_string()),
        static_credentials: Some(("test".into(), "test".into())),
        ..AwsSettings::default()
    };
    match Aws::connect(settings).await {
        Ok(aws) => aws,
        Err(e) => panic!("cannot configure AWS for {endpoint}: {e}"),
    }
}

/// SDK configuration for raw clients that verify independently (not counted by strata).
pub async fn sdk_config(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_ec2::config::Credentials::new("test", "test", None, None, "strata-testkit"))
        .load()
        .await
}

/// A raw EC2 client for independent verification.
pub async fn ec2_client(endpoint: &str, region: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&sdk_config(endpoint, region).await)
}

/// Every EC2 object still tagged `strata:stack = stack` (NAT gateways in
/// `deleted` state excepted), as `kind id` strings.
pub async fn ec2_leftovers(client: &aws_sdk_ec2::Client, stack: &str) -> Vec<String> {
    let f = || Filter::builder().name("tag:strata:stack").values(stack).build();
    let mut out = Vec::new();
    macro_rules! collect {
        ($call:expr, $items:ident, $id:ident, $kind:literal) => {
            match $call.send().await {
                Ok(o) => out.extend(o.$items().iter().map(|x| format!("{} {}", $kind, x.$id().unwrap_or_default()))),
                Err(e) => out.push(format!("{} (describe failed: {e:?})", $kind)),
            }
        };
    }
    collect!(client.describe_vpcs().filters(f()), vpcs, vpc_id, "vpc");
    collect!(client.describe_subnets().filters(f()), subnets, subnet_id, "subnet");
    collect!(client.describe_internet_gateways().filters(f()), internet_gateways, internet_gateway_id, "igw");
    collect!(client.describe_addresses().filters(f()), addresses, allocation_id, "eip");
    collect!(client.describe_route_tables().filters(f()), route_tables, route_table_id, "route-table");
    collect!(client.describe_security_groups().filters(f()), security_groups, group_id, "security-group");
    collect!(client.describe_network_acls().filters(f()), network_acls, network_acl_id, "network-acl");
    collect!(client.describe_key_pairs().filters(f()), key_pairs, key_pair_id, "key-pair");
    // Transit gateways and their parts (moto ignores tag filters on the
    // attachments and route tables: the tags are checked here).
    let ours = |tags: &[aws_sdk_ec2::types::Tag]| tags.iter().any(|t| t.key() == Some("strata:stack") && t.value() == Some(stack));
    match client.describe_transit_gateways().filters(f()).send().await {
        Ok(o) => out.extend(o.transit_gateways().iter().filter(|g| ours(g.tags()) && !matches!(g.state().map(|s| s.as_str()), Some("deleted" | "deleting"))).map(|g| format!("transit-gateway {}", g.transit_gateway_id().unwrap_or_default()))),
        Err(e) => out.push(format!("transit-gateway (describe failed: {e:?})")),
    }
    match client.describe_transit_gateway_vpc_attachments().filters(f()).send().await {
        Ok(o) => out.extend(o.transit_gateway_vpc_attachments().iter().filter(|a| ours(a.tags()) && !matches!(a.state().map(|s| s.as_str()), Some("deleted" | "deleting"))).map(|a| format!("tgw-attachment {}", a.transit_gateway_attachment_id().unwrap_or_default()))),
        Err(e) => out.push(format!("tgw-attachment (describe failed: {e:?})")),
    }
    // Site-to-site VPN (moto ignores tag filters on customer gateways).
    let live = |s: Option<&str>| !matches!(s, Some("deleted" | "deleting"));
    match client.describe_customer_gateways().filters(f()).send().await {
        Ok(o) => out.extend(o.customer_gateways().iter().filter(|g| ours(g.tags()) && live(g.state())).map(|g| format!("customer-gateway {}", g.customer_gateway_id().unwrap_or_default()))),
        Err(e) => out.push(format!("customer-gateway (describe failed: {e:?})")),
    }
    match client.describe_vpn_gateways().filters(f()).send().await {
        Ok(o) => out.extend(o.vpn_gateways().iter().filter(|g| ours(g.tags()) && live(g.state().map(|s| s.as_str()))).map(|g| format!("vpn-gateway {}", g.vpn_gateway_id().unwrap_or_default()))),
        Err(e) => out.push(format!("vpn-gateway (describe failed: {e:?})")),
    }
    match client.describe_vpn_connections().filters(f()).send().await {
        Ok(o) => out.extend(o.vpn_connections().iter().filter(|c| ours(c.tags()) && live(c.state().map(|s| s.as_str()))).map(|c| format!("vpn-connection {}", c.vpn_connection_id().unwrap_or_default()))),
        Err(e) => out.push(format!("vpn-connection (describe failed: {e:?})")),
    }
    match client.describe_transit_gateway_route_tables().filters(f()).send().await {
        Ok(o) => out.extend(o.transit_gateway_route_tables().iter().filter(|t| ours(t.tags()) && !matches!(t.state().map(|s| s.as_str()), Some("deleted" | "deleting"))).map(|t| format!("tgw-route-table {}", t.transit_gateway_route_table_id().unwrap_or_default()))),
        Err(e) => out.push(format!("tgw-route-table (describe failed: {e:?})")),
    }
    match client
        .describe_instances()
        .filters(f())
        .filters(Filter::builder().name("instance-state-name").values("pending").values("running").values("stopping").values("stopped").build())
        .send()
        .await
    {
        Ok(o) => out.extend(
            o.reservations().iter().flat_map(|r| r.instances()).map(|i| format!("instance {}", i.instance_id().unwrap_or_default())),
        ),
        Err(e) => out.push(format!("instance (describe failed: {e:?})")),
    }
    // Emulators ignore tag filters on DescribeNatGateways: check the tags here.
    match client.describe_nat_gateways().filter(f()).send().await {
        Ok(o) => out.extend(
            o.nat_gateways()
                .iter()
                .filter(|n| n.tags().iter().any(|t| t.key() == Some("strata:stack") && t.value() == Some(stack)))
                .filter(|n| {
                    !matches!(
                        n.state(),
                        Some(aws_sdk_ec2::types::NatGatewayState::Deleted | aws_sdk_ec2::types::NatGatewayState::Deleting)
                    )
                })
                .map(|n| format!("nat {}", n.nat_gateway_id().unwrap_or_default())),
        ),
        Err(e) => out.push(format!("nat (describe failed: {e:?})")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names_are_unique_and_legal() {
        let a = unique_stack("net");
        let b = unique_stack("net");
        assert_ne!(a, b);
        assert!(a.len() <= 64 && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "{a}");
    }
}

/// A moto server of one's own (the one `scripts/emulators.sh` installed, on
/// another port), for runs that reset it or kill clients mid-call without
/// disturbing other tests. Stopped on drop.
#[derive(Debug)]
pub struct PrivateMoto {
    child: std::process::Child,
    pub url: String,
    port: u16,
}

impl PrivateMoto {
    /// Start moto on `127.0.0.1:port` and wait until it answers. `root` is the
    /// workspace root (where `.emulators/` and `scripts/` are).
    /// `acm_validation_wait_s`: seconds until moto issues a DNS-validated
    /// certificate (it checks no records), standing in for DNS validation.
    pub fn start(root: &std::path::Path, port: u16, acm_validation_wait_s: u32) -> Result<PrivateMoto, String> {
        use std::process::Command;
        use std::time::{Duration, Instant};
        let python = root.join(".emulators/moto/bin/python");
        if !python.exists() {
            return Err("moto is not installed: run `scripts/emulators.sh up` (or `just emulators`) first".into());
        }
        let log_path = std::env::temp_dir().join(format!("strata-private-moto-{port}.log"));
        let log = std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let err_log = log.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(python)
            .arg(root.join("scripts/moto_server.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_AMIS_PATH", root.join(".emulators/moto-amis.json"))
            .env("MOTO_ACM_VALIDATION_WAIT", acm_validation_wait_s.to_string())
            // As scripts/emulators.sh starts moto: AWS-managed IAM policies exist (Miamo's backup role attaches two).
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(log)
            .stderr(err_log)
            .spawn()
            .map_err(|e| format!("cannot start moto: {e}"))?;
        let moto = PrivateMoto { child, url: format!("http://127.0.0.1:{port}"), port };
        let deadline = Instant::now() + Duration::from_secs(90);
        while !http_ok(moto.port, "GET", "/moto-api/") {
            if Instant::now() > deadline {
                return Err(format!("the private moto on port {port} did not start (log: {})", log_path.display()));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        Ok(moto)
    }

    /// Forget every resource (`POST /moto-api/reset`).
    pub fn reset(&self) -> Result<(), String> {
        if http_ok(self.port, "POST", "/moto-api/reset") {
            Ok(())
        } else {
            Err(format!("reset of the moto at {} failed", self.url))
        }
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A bare HTTP/1.0 request to `127.0.0.1:port` (no curl needed: the README's
/// prerequisites are Rust, Python and just); true on a 2xx answer within 10 s.
fn http_ok(port: u16, method: &str, path: &str) -> bool {
    use std::io::{Read, Write};
    use std::time::Duration;
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)) else {
        return false;
    };
    let timeout = Some(Duration::from_secs(10));
    if s.set_read_timeout(timeout).is_err() || s.set_write_timeout(timeout).is_err() {
        return false;
    }
    if write!(s, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && head[9] == b'2'
}
