//! The Kubernetes variant of the design principles: the shared front
//! ([`super::front`]), then the HTTP API -> VPC link -> internal network
//! load balancer -> EKS, with Redis, PostgreSQL and Kafka behind.
//!
//! # Readings of the design (where it is vague), besides the front's
//!
//! * "API Gateway -> VPC link -> NLB -> EKS": the HTTP API has one route,
//!   `ANY /{proxy+}`, checked by the same JWT authorizer as the serverless
//!   variant's routes and sent through a VPC link (in the nodes' subnets,
//!   with a security group of its own) to a TCP listener of an internal
//!   network load balancer, whose `ip` target group is where the cluster's
//!   ingress pods register (the AWS Load Balancer Controller does that from
//!   inside the cluster: strata declares the group, not its targets). Inside
//!   the VPC the link is private, so the listener is TCP on port 80;
//!   "TLS on untrusted links" is met at CloudFront and the API's domain.
//! * "EKS": one managed node group (on demand) in the private subnets, the
//!   control plane's endpoint private, and public only from the admins'
//!   CIDR; Kubernetes secrets encrypted with the environment's key; the
//!   control plane's API, audit and authenticator logs on; the cluster's
//!   OIDC provider for service-account roles; the three core add-ons.
//! * "Redis, Kafka and RDS behind": a Redis replication group (encrypted at
//!   rest with the key and in transit), PostgreSQL on RDS (encrypted with
//!   the key, its master password managed and rotated by RDS in Secrets
//!   Manager), and an MSK cluster (encrypted with the key, TLS only, IAM
//!   authentication, broker logs to an encrypted log group), all in the
//!   data subnets, each reachable only from the nodes' security group.
//! * "Network segmentation": three subnet tiers per AZ (public: the NAT;
//!   nodes; data) and a security group per tier: the VPC link reaches only
//!   the nodes' port, the nodes reach the data stores' ports, nothing else
//!   reaches the data stores.
//! * "Secrets in Secrets Manager with rotation": besides the database's
//!   password (rotated by RDS), the application's session-signing key is a
//!   generated secret rotated every 30 days by a rotation function of the
//!   stack's own (`examples/principles/lambdas/rotate`), which Secrets
//!   Manager alone may invoke, for that secret alone.
//! * HA and sizes: dev and UAT run two AZs, one NAT gateway, a small node
//!   group, Redis without a replica, a single-AZ database and two small
//!   brokers; prod runs three AZs with a NAT gateway each, a larger node
//!   group, Redis with two replicas and automatic failover, a Multi-AZ
//!   database with deletion protection, and three brokers.

use strata::aws::apigatewayv2::{Authorizer, HttpApi, Route, VpcLink};
use strata::aws::cloudwatch::{Compare, MetricAlarm};
use strata::aws::ec2::{NatStrategy, Network, Rule, SecurityGroup, Subnet, SubnetSpec};
use strata::aws::eks::{Addon, Cluster as EksCluster, NodeGroup};
use strata::aws::elasticache::{CacheSubnetGroup, ReplicationGroup};
use strata::aws::elbv2::{Action, Listener, LoadBalancer, TargetGroup};
use strata::aws::iam::{OpenIdConnectProvider, PolicyDocument, Role, Statement};
use strata::aws::lambda::{Function, Permission};
use strata::aws::msk::Cluster as KafkaCluster;
use strata::aws::rds::{DbInstance, DbSubnetGroup};
use strata::aws::secretsmanager::{Secret, SecretRotation};
use strata::prelude::*;

use super::{api_domain, front, function_role, logs, Env, REGION};

/// The port the ingress pods listen on, behind the load balancer.
pub const POD_PORT: u16 = 8080;
/// Kafka's port for IAM-authenticated TLS clients.
pub const KAFKA_IAM_PORT: u16 = 9098;

/// The rotation function's code, zipped reproducibly by strata.
pub const ROTATE_CODE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/principles/lambdas/rotate");

/// The Kubernetes variant's settings, besides the shared [`Env`].
#[derive(Clone, Debug)]
pub struct K8s {
    pub cidr: &'static str,
    /// The AZ letters (two, or three for prod).
    pub azs: Vec<char>,
    /// A NAT gateway in each AZ (otherwise one).
    pub nat_per_az: bool,
    pub kubernetes_version: &'static str,
    /// Who may reach the cluster's public API endpoint.
    pub admin_cidr: &'static str,
    pub node_types: Vec<&'static str>,
    /// (min, max, desired) nodes.
    pub nodes: (i64, i64, i64),
    pub redis_node: &'static str,
    /// Redis read replicas (with automatic failover when there is one).
    pub redis_replicas: i64,
    pub db_class: &'static str,
    pub db_multi_az: bool,
    pub db_storage_gb: i64,
    pub kafka_broker: &'static str,
    /// Brokers: a multiple of the AZs.
    pub kafka_brokers: i64,
    pub kafka_volume_gb: i64,
}

impl K8s {
    fn az(&self, letter: char) -> String {
        format!("{REGION}{letter}")
    }

    /// The `i`-th /20 of the VPC.
    fn subnet_cidr(&self, i: usize) -> String {
        let p: Vec<&str> = self.cidr.split('.').take(2).collect();
        format!("{}.{}.{}.0/20", p[0], p.get(1).copied().unwrap_or("0"), i * 16)
    }
}

/// The Kubernetes variant: the front, then the API through a VPC link to
/// the cluster's load balancer, and the data stores behind the cluster.
pub fn kubernetes(env: &Env, k: &K8s) -> Stack {
    let mut s = Stack::new(env.stack.as_str(), REGION);
    s.default_tag("env", env.env);
    s.default_tag("system", "design-principles");
    s.default_tag("variant", "kubernetes");
    let f = front(&mut s, env);

    // Network: per AZ a public, a nodes and a data subnet.
    let mut specs = Vec::new();
    for (tier, public) in [("public", true), ("nodes", false), ("data", false)] {
        for letter in &k.azs {
            let (name, cidr, az) = (format!("{tier}-{letter}"), k.subnet_cidr(specs.len()), k.az(*letter));
            specs.push(if public { SubnetSpec::public(&name, &cidr, &az) } else { SubnetSpec::private(&name, &cidr, &az) });
        }
    }
    let nat = if k.nat_per_az { NatStrategy::PerAz } else { NatStrategy::One };
    let net = Network::new(k.cidr).nat(nat).subnets(specs).build(&mut s, "net");
    let vpc = net.vpc.clone();
    let n = k.azs.len();
    let ids = |l: &[Ref<Subnet>]| l.iter().map(|x| x.id()).collect::<Vec<Output<String>>>();
    let (nodes, data) = (ids(&net.private_subnets[..n]), ids(&net.private_subnets[n..]));

    // A security group per tier.
    let link_sg = s.add("vpc-link-sg", SecurityGroup::new(vpc.id()).description("API Gateway VPC link: to the pods' port only").egress(Rule::tcp(80).cidr(k.cidr)).egress(Rule::tcp(POD_PORT).cidr(k.cidr)));
    let nodes_sg = s.add("nodes-sg", SecurityGroup::new(vpc.id()).description("EKS nodes: the pods' port from inside the VPC (the load balancer)").ingress(Rule::tcp(POD_PORT).cidr(k.cidr)).allow_all_egress());
    let data_sg = s.add(
        "data-sg",
        SecurityGroup::new(vpc.id())
            .description("Redis, PostgreSQL, Kafka: from the nodes only")
            .ingress(Rule::tcp(6379).group(nodes_sg.id()))
            .ingress(Rule::tcp(5432).group(nodes_sg.id()))
            .ingress(Rule::tcp(KAFKA_IAM_PORT).group(nodes_sg.id())),
    );

    // EKS: the cluster, its nodes, its OIDC provider and add-ons.
    let cluster_role = s.add("eks-cluster-role", Role::new(PolicyDocument::assumed_by("eks.amazonaws.com")).description("EKS control plane").attach("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"));
    let node_role = s.add(
        "eks-node-role",
        Role::new(PolicyDocument::assumed_by("ec2.amazonaws.com"))
            .description("EKS nodes")
            .attach("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy")
            .attach("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy")
            .attach("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"),
    );
    let cluster = s.add(
        "eks",
        EksCluster::new(k.kubernetes_version, cluster_role.arn(), nodes.clone())
            .security_group(nodes_sg.id())
            .public_endpoint([k.admin_cidr])
            .secrets_kms_key(f.key.arn())
            .log_types(["api", "audit", "authenticator"]),
    );
    s.add("eks-oidc", OpenIdConnectProvider::new(cluster.oidc_issuer()).client_id("sts.amazonaws.com"));
    for addon in ["vpc-cni", "coredns", "kube-proxy"] {
        s.add(format!("addons/{addon}"), Addon::new(cluster.cluster_name(), addon));
    }
    let (lo, hi, want) = k.nodes;
    s.add("apps-nodes", NodeGroup::new(cluster.cluster_name(), node_role.arn(), nodes.clone(), k.node_types.clone()).scaling(lo, hi, want).label("tier", "apps"));

    // The internal load balancer in front of the ingress pods.
    let nlb = s.add("nlb", LoadBalancer::internal(nodes.clone()).network().cross_zone(true));
    let pods = s.add("ingress-pods", TargetGroup::tcp(vpc.id(), POD_PORT).ip_targets());
    let listener = s.add("nlb-tcp", Listener::tcp(nlb.arn(), 80, Action::forward(pods.arn())));

    // The API: one proxy route through the VPC link, checked by the authorizer.
    let link = s.add("vpc-link", VpcLink::new(nodes.clone(), [link_sg.id()]));
    let api_logs = logs(&mut s, env, "api", &f.key);
    let api = s.add(
        "api",
        HttpApi::new()
            .description(format!("Orders API on EKS, {}", env.env))
            .cors_origins(vec![format!("https://{}", env.www())])
            .cors_methods(vec!["GET".to_string(), "POST".to_string()])
            .cors_headers(vec!["authorization".to_string(), "content-type".to_string()])
            .cors_max_age(3600)
            .authorizer(Authorizer::jwt("users", f.pool.issuer(), [f.client.client_id()]))
            .route(Route::private("ANY /{proxy+}", link.id(), listener.arn()).authorizer("users"))
            .throttling(env.throttle.0, env.throttle.1)
            .access_logs(api_logs.arn())
            .disable_execute_api_endpoint(true),
    );
    let api_name = api_domain(&mut s, env, &f.zone, &api);

    // The data stores, in the data subnets, reachable from the nodes only.
    let cache_subnets = s.add("cache-subnets", CacheSubnetGroup::new(data.clone()));
    let ha = k.redis_replicas > 0;
    s.add(
        "redis",
        ReplicationGroup::redis("7.1", k.redis_node)
            .replicas(k.redis_replicas)
            .automatic_failover(ha)
            .multi_az(ha)
            .kms_key(f.key.arn())
            .subnet_group(cache_subnets.group_name())
            .security_group(data_sg.id())
            .snapshot_retention_days(if env.protect { 7 } else { 1 }),
    );
    let db_subnets = s.add("db-subnets", DbSubnetGroup::new(data.clone()).description("Design principles databases"));
    let mut db = DbInstance::postgres("16.4", k.db_class)
        .storage_gb(k.db_storage_gb)
        .storage_type("gp3")
        .multi_az(k.db_multi_az)
        .kms_key(f.key.arn())
        .backup_retention_days(if env.protect { 14 } else { 1 })
        .subnet_group(db_subnets.group_name())
        .security_group(data_sg.id())
        .deletion_protection(env.protect);
    if !env.protect {
        db = db.skip_final_snapshot();
    }
    let db = s.add("db", db);
    let kafka_logs = logs(&mut s, env, "kafka", &f.key);
    let kafka = s.add(
        "kafka",
        KafkaCluster::new("3.6.0", k.kafka_brokers, k.kafka_broker, data.clone())
            .security_group(data_sg.id())
            .volume_gb(k.kafka_volume_gb)
            .kms_key(f.key.arn())
            .iam_auth(true)
            .log_group(kafka_logs.group_name()),
    );

    // The session-signing key, rotated every 30 days by the stack's own function.
    let session_key = s.add("session-key", Secret::generated(48).description("Session-signing key of the orders application").kms_key_id(f.key.arn()).recovery_window_days(if env.protect { 30 } else { 0 }));
    let rotate_logs = logs(&mut s, env, "rotate-session-key", &f.key);
    let rotate_role = function_role(
        &mut s,
        "rotate-session-key",
        &rotate_logs,
        vec![
            Statement::allow()
                .actions(["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"])
                .resource(session_key.arn()),
            Statement::allow().actions(["kms:Decrypt", "kms:GenerateDataKey"]).resource(f.key.arn()),
        ],
    );
    let rotate = s.add(
        "rotate-session-key",
        Function::from_dir(ROTATE_CODE, "python3.12", "index.handler", rotate_role.arn()).memory(128).timeout(30).arm64().kms_key_arn(f.key.arn()).logs_to(rotate_logs.group_name()),
    );
    let may_rotate = s.add("rotate-from-secrets-manager", Permission::new(rotate.function_name(), "secretsmanager.amazonaws.com").source_arn(session_key.arn()));
    s.add_with("session-key-rotation", SecretRotation::new(session_key.arn(), rotate.arn(), 30), ResourceOptions::new().depends_on(&may_rotate));

    // Alarms: server errors behind the API page the team.
    s.add(
        "alarms/api-5xx",
        MetricAlarm::new("AWS/ApiGateway", "5xx", "Sum", Compare::GreaterThan, 10.0).dimension("ApiId", api.id()).period_seconds(300).alarm_action(f.alerts.arn()),
    );

    s.export("app_url", Output::known(format!("https://{}", env.www())));
    s.export("api_url", Output::known(format!("https://{api_name}")));
    s.export("user_pool", f.pool.id());
    s.export("app_client", f.client.client_id());
    s.export("cluster", cluster.cluster_name());
    s.export("cluster_endpoint", cluster.endpoint());
    s.export("db_endpoint", db.endpoint());
    s.export("kafka", kafka.arn());
    s
}
