//! `aws:msk:Cluster`: a provisioned MSK (Kafka) cluster: its Kafka version,
//! brokers (count, instance type, EBS volume) in two or three subnets with
//! security groups, encryption at rest (AWS's key or a customer key) and in
//! transit, IAM client authentication, and broker logs to a log group.
//!
//! The broker count, instance type, volume size, Kafka version and
//! monitoring (logs, enhanced monitoring) change in place, each with its own
//! call that names the cluster's current version, one at a time (MSK takes
//! one operation at a time): the cluster is read for its current version
//! before each and waited for (`ACTIVE`) after each. A volume never shrinks
//! (MSK cannot): a smaller size is refused before any call. Subnets,
//! security groups, encryption and authentication replace the cluster; a
//! derived name is salted with them, so the replacement, created before the
//! old cluster is deleted, never collides with it.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_kafka::types::{
    BrokerEbsVolumeInfo, BrokerLogs, BrokerNodeGroupInfo, ClientAuthentication, ClientBroker, CloudWatchLogs, ClusterInfo as Sdk, ClusterState, EbsStorageInfo,
    EncryptionAtRest, EncryptionInTransit, EncryptionInfo, EnhancedMonitoring, Iam, LoggingInfo, Sasl, StorageInfo, Unauthenticated,
};
use strata_aws::error::{all_pages, err};
use strata_aws::kernel::{Created, Kind, Life, Seen, Values, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{wait_until, Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, sdk_tags, tags_of, MskTags};

/// How clients reach the brokers: TLS only, TLS and plaintext, or plaintext only.
pub const CLIENT_BROKER: [&str; 3] = ["TLS", "TLS_PLAINTEXT", "PLAINTEXT"];
/// MSK's enhanced monitoring levels.
pub const MONITORING_LEVELS: [&str; 4] = ["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"];

strata_aws::kind_fields! {
    /// A provisioned MSK cluster.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_msk::Cluster;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let kafka = stack.add(
    ///     "events",
    ///     Cluster::new("3.6.0", 2, "kafka.t3.small", ["subnet-0a", "subnet-0b"])
    ///         .security_group("sg-0123")
    ///         .kms_key("arn:aws:kms:eu-central-1:111122223333:key/0123")
    ///         .iam_auth(true)
    ///         .log_group("/msk/events"),
    /// );
    /// let _ = (kafka.arn(), kafka.cluster_name());
    /// ```
    pub struct Cluster: "aws:msk:Cluster";
    values ClusterValues;
    handle ClusterHandle / ClusterOutputs { arn, cluster_name, zookeeper };
    fields {
        /// The cluster's name (default: derived from the stack and logical
        /// name, salted with the fields that replace it; 64 characters at most).
        name: str [replace];
        /// The Apache Kafka version (`3.6.0`).
        kafka_version: str [update required];
        /// The number of brokers: a multiple of the number of subnets.
        brokers: int [update required];
        /// The brokers' instance type (`kafka.m7g.large`).
        instance_type: str [update required];
        /// The subnets of the brokers, in two or three AZs.
        subnets: strs [replace required];
        /// The brokers' security groups (default: the VPC's default group).
        security_groups: strs [replace] = Vec::<String>::new();
        /// Each broker's EBS volume (GiB, 1-16384); it only ever grows.
        volume_gb: int [update] = 100;
        /// Encrypt the data volumes with this KMS key (its ARN; default: AWS's key for MSK).
        kms_key: str [replace cleared];
        /// How clients reach the brokers (see [`CLIENT_BROKER`]; default `TLS`).
        client_broker: str [replace] = "TLS";
        /// Encrypt the traffic between brokers (default: on).
        in_cluster_tls: bool [replace] = true;
        /// Clients authenticate with IAM (SASL/IAM) instead of connecting unauthenticated.
        iam_auth: bool [replace] = false;
        /// Send the broker logs to this CloudWatch Logs group (its name).
        log_group: str [update cleared];
        /// The enhanced monitoring level (see [`MONITORING_LEVELS`]; default `DEFAULT`).
        monitoring: str [update] = "DEFAULT";
    }
}

impl Cluster {
    /// A cluster of Kafka `version` with `brokers` brokers of `instance_type`
    /// in `subnets`.
    pub fn new<S: Into<Arg<String>>>(version: &str, brokers: i64, instance_type: &str, subnets: impl IntoIterator<Item = S>) -> Self {
        let c = Self::empty().kafka_version(version).brokers(brokers).instance_type(instance_type);
        subnets.into_iter().fold(c, |c, s| c.push(V::subnets, s.into().into_input()))
    }

    /// Add a security group to the brokers.
    pub fn security_group(self, id: impl Into<Arg<String>>) -> Self {
        self.push(V::security_groups, id.into().into_input())
    }
}

type V = ClusterValues;

/// The kind behind [`Cluster`].
pub(crate) struct Clusters;

async fn describe(aws: &Aws, region: &str, arn: &str) -> Result<Option<Sdk>, ProviderError> {
    let out = strata_aws::found(client(aws, region).describe_cluster().cluster_arn(arn).send().await.map_err(err("DescribeCluster")))?;
    Ok(out.and_then(|o| o.cluster_info().cloned()))
}

/// The cluster's current version, which every change names (MSK refuses a stale one).
async fn current_version(aws: &Aws, region: &str, arn: &str, op: &str) -> Result<String, ProviderError> {
    let c = describe(aws, region, arn).await?.ok_or_else(|| ProviderError::new(ErrorClass::NotFound, op, format!("the MSK cluster {arn} is gone")))?;
    c.current_version().map(str::to_string).ok_or_else(|| ProviderError::new(ErrorClass::Fatal, op, format!("AWS answered the MSK cluster {arn} without its current version")))
}

/// Wait until the cluster takes the next operation (`ACTIVE` again).
async fn wait_active(aws: &Aws, cx: &OpContext, arn: &str) -> Result<(), ProviderError> {
    let what = format!("MSK cluster {arn} (`{}`) to finish its update", cx.name);
    wait_until(&what, cx.timeout, cx.poll, || async {
        Ok(describe(aws, &cx.region, arn).await?.filter(|c| c.state() == Some(&ClusterState::Active)).map(|_| ()))
    })
    .await
}

fn logging(group: Option<&str>) -> LoggingInfo {
    let cw = CloudWatchLogs::builder().enabled(group.is_some()).set_log_group(group.map(str::to_string)).build();
    LoggingInfo::builder().broker_logs(BrokerLogs::builder().cloud_watch_logs(cw).build()).build()
}

fn int32(op: &str, field: &str, n: Option<i64>) -> Result<i32, ProviderError> {
    n.and_then(|n| i32::try_from(n).ok()).ok_or_else(|| ProviderError::new(ErrorClass::Invalid, op, format!("`{field}` is not a number MSK takes")))
}

/// The derived name: 64 characters at most, salted with what replaces the cluster.
fn derived_name(cx: &OpContext, v: &V) -> String {
    let salt = format!("{:?}/{:?}/{:?}/{:?}/{:?}/{:?}", v.subnets, v.security_groups, v.kms_key, v.client_broker, v.in_cluster_tls, v.iam_auth);
    let rules = strata_aws::naming::IdRules { max_len: 64, min_len: 1, lowercase: false };
    strata_aws::naming::derived_id(rules, &cx.stack, &cx.name, &salt)
}

fn sorted(l: &[String]) -> Vec<String> {
    let mut l = l.to_vec();
    l.sort();
    l
}

#[async_trait]
impl Kind for Clusters {
    type Builder = Cluster;
    type Item = Sdk;
    type Tags = MskTags;

    const DERIVED: &'static [&'static str] = &[V::name];
    const WAIT_FOR_DELETE: bool = true;

    fn id(item: &Sdk) -> Option<&str> {
        item.cluster_arn()
    }

    fn carried_tags(item: &Sdk) -> Option<Tags> {
        Some(tags_of(item.tags()))
    }

    fn life(item: &Sdk) -> Life {
        match item.state() {
            Some(ClusterState::Deleting) => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(item: &Sdk) -> Result<bool, ProviderError> {
        match item.state() {
            Some(ClusterState::Active) => Ok(true),
            Some(ClusterState::Failed) => Err(strata_aws::failed("CreateCluster", "MSK cluster", item.cluster_name(), item.state_info().and_then(|s| s.message()))),
            _ => Ok(false),
        }
    }

    fn observe(item: &Sdk) -> Seen<Cluster> {
        let nodes = item.broker_node_group_info();
        let transit = item.encryption_info().and_then(|e| e.encryption_in_transit());
        let cw = item.logging_info().and_then(|l| l.broker_logs()).and_then(|b| b.cloud_watch_logs()).filter(|c| c.enabled() == Some(true));
        Seen {
            values: V {
                name: item.cluster_name().map(str::to_string),
                kafka_version: item.current_broker_software_info().and_then(|s| s.kafka_version()).map(str::to_string),
                brokers: item.number_of_broker_nodes().map(i64::from),
                instance_type: nodes.and_then(|n| n.instance_type()).map(str::to_string),
                subnets: Some(nodes.map(|n| sorted(n.client_subnets())).unwrap_or_default()),
                security_groups: Some(nodes.map(|n| sorted(n.security_groups())).unwrap_or_default()),
                volume_gb: nodes.and_then(|n| n.storage_info()).and_then(|s| s.ebs_storage_info()).and_then(|e| e.volume_size()).map(i64::from),
                kms_key: item.encryption_info().and_then(|e| e.encryption_at_rest()).and_then(|r| r.data_volume_kms_key_id()).map(str::to_string),
                client_broker: Some(transit.and_then(|t| t.client_broker()).map_or("TLS", |c| c.as_str()).to_string()),
                in_cluster_tls: Some(transit.and_then(|t| t.in_cluster()).unwrap_or(true)),
                iam_auth: Some(item.client_authentication().and_then(|a| a.sasl()).and_then(|s| s.iam()).and_then(|i| i.enabled()) == Some(true)),
                log_group: cw.and_then(|c| c.log_group()).map(str::to_string),
                monitoring: Some(item.enhanced_monitoring().map_or("DEFAULT", |m| m.as_str()).to_string()),
                ..V::default()
            },
            outputs: ClusterOutputs {
                arn: item.cluster_arn().map(str::to_string),
                cluster_name: item.cluster_name().map(str::to_string),
                zookeeper: item.zookeeper_connect_string_tls().or(item.zookeeper_connect_string()).map(str::to_string),
            },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Sdk>, ProviderError> {
        // Each listed cluster comes whole, its tags with it.
        let pages = all_pages(client(aws, &scope.region).list_clusters().max_results(100).into_paginator().send(), "ListClusters").await?;
        Ok(pages.iter().flat_map(|p| p.cluster_info_list()).cloned().collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Sdk>, ProviderError> {
        describe(aws, region, id).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Cluster>) -> Result<Created<Sdk>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| derived_name(cx, v));
        let c = client(aws, &cx.region);
        // A name is unique in the region: a cluster of that name is someone
        // else's (or this stack's lost one), so say so before creating.
        let listed = all_pages(c.list_clusters().cluster_name_filter(&name).into_paginator().send(), "ListClusters").await?;
        if let Some(theirs) = listed.iter().flat_map(|p| p.cluster_info_list()).find(|i| i.cluster_name() == Some(name.as_str())) {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                "CreateCluster",
                format!("an MSK cluster named {name:?} already exists ({}) and is not this stack's", theirs.cluster_arn().unwrap_or_default()),
            ));
        }
        let volume = EbsStorageInfo::builder().volume_size(int32("CreateCluster", V::volume_gb, v.volume_gb.or(Some(100)))?).build();
        let nodes = BrokerNodeGroupInfo::builder()
            .set_client_subnets(v.subnets.clone())
            .set_security_groups(v.security_groups.clone().filter(|l| !l.is_empty()))
            .set_instance_type(v.instance_type.clone())
            .storage_info(StorageInfo::builder().ebs_storage_info(volume).build())
            .build();
        let transit = EncryptionInTransit::builder()
            .client_broker(ClientBroker::from(v.client_broker.as_deref().unwrap_or("TLS")))
            .in_cluster(v.in_cluster_tls.unwrap_or(true))
            .build();
        let at_rest = v.kms_key.as_ref().map(|k| EncryptionAtRest::builder().data_volume_kms_key_id(k).build());
        let encryption = EncryptionInfo::builder().set_encryption_at_rest(at_rest).encryption_in_transit(transit).build();
        let iam = v.iam_auth == Some(true);
        let auth = ClientAuthentication::builder()
            .sasl(Sasl::builder().iam(Iam::builder().enabled(iam).build()).build())
            .unauthenticated(Unauthenticated::builder().enabled(!iam).build())
            .build();
        let out = c
            .create_cluster()
            .cluster_name(&name)
            .set_kafka_version(v.kafka_version.clone())
            .number_of_broker_nodes(int32("CreateCluster", V::brokers, v.brokers)?)
            .broker_node_group_info(nodes)
            .encryption_info(encryption)
            .client_authentication(auth)
            .enhanced_monitoring(EnhancedMonitoring::from(v.monitoring.as_deref().unwrap_or("DEFAULT")))
            .logging_info(logging(v.log_group.as_deref()))
            .set_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateCluster"))?;
        let arn = out.cluster_arn().ok_or_else(|| strata_aws::lacks("CreateCluster", "clusterArn", &cx.name))?;
        Ok(Created::Id(arn.to_string()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, Cluster>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let (c, arn, region) = (client(aws, &cx.region), actual.id.as_str(), cx.region.as_str());
        let have = V::from_props(&actual.props);
        if diff.changed(V::volume_gb).is_some() {
            if let (Some(from), Some(to)) = (have.volume_gb, v.volume_gb) {
                if to < from {
                    return Err(ProviderError::new(ErrorClass::Invalid, "UpdateBrokerStorage", format!("`{}`: MSK cannot shrink a broker volume ({from} GiB to {to} GiB)", cx.name)));
                }
            }
        }
        // One operation at a time, each on the version the last one left.
        if diff.changed(V::kafka_version).is_some() {
            let version = current_version(aws, region, arn, "UpdateClusterKafkaVersion").await?;
            let req = c.update_cluster_kafka_version().cluster_arn(arn).current_version(version).set_target_kafka_version(v.kafka_version.clone());
            req.send().await.map_err(err("UpdateClusterKafkaVersion"))?;
            wait_active(aws, cx, arn).await?;
        }
        if diff.changed(V::instance_type).is_some() {
            let version = current_version(aws, region, arn, "UpdateBrokerType").await?;
            let req = c.update_broker_type().cluster_arn(arn).current_version(version).set_target_instance_type(v.instance_type.clone());
            req.send().await.map_err(err("UpdateBrokerType"))?;
            wait_active(aws, cx, arn).await?;
        }
        if diff.changed(V::volume_gb).is_some() {
            let version = current_version(aws, region, arn, "UpdateBrokerStorage").await?;
            let size = int32("UpdateBrokerStorage", V::volume_gb, v.volume_gb)?;
            let target = BrokerEbsVolumeInfo::builder().kafka_broker_node_id("All").volume_size_gb(size).build();
            c.update_broker_storage().cluster_arn(arn).current_version(version).target_broker_ebs_volume_info(target).send().await.map_err(err("UpdateBrokerStorage"))?;
            wait_active(aws, cx, arn).await?;
        }
        if diff.changed(V::brokers).is_some() {
            let version = current_version(aws, region, arn, "UpdateBrokerCount").await?;
            let n = int32("UpdateBrokerCount", V::brokers, v.brokers)?;
            c.update_broker_count().cluster_arn(arn).current_version(version).target_number_of_broker_nodes(n).send().await.map_err(err("UpdateBrokerCount"))?;
            wait_active(aws, cx, arn).await?;
        }
        if diff.changed(V::log_group).is_some() || diff.changed(V::monitoring).is_some() {
            let version = current_version(aws, region, arn, "UpdateMonitoring").await?;
            let req = c
                .update_monitoring()
                .cluster_arn(arn)
                .current_version(version)
                .enhanced_monitoring(EnhancedMonitoring::from(v.monitoring.as_deref().unwrap_or("DEFAULT")))
                .logging_info(logging(v.log_group.as_deref()));
            req.send().await.map_err(err("UpdateMonitoring"))?;
            wait_active(aws, cx, arn).await?;
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        client(aws, &cx.region).delete_cluster().cluster_arn(&actual.id).send().await.map(|_| ()).map_err(err("DeleteCluster"))
    }

    fn normalize(props: &mut Props) {
        for f in [V::subnets, V::security_groups] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                l.dedup();
            }
        }
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let known_str = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        let known_int = |f: &str| decl.known(f).and_then(|v| v.as_int());
        if let Some(n) = known_str(V::name) {
            let ok = !n.is_empty() && n.len() <= 64 && n.starts_with(|c: char| c.is_ascii_alphabetic()) && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                out.push(Diagnostic::field(r, V::name, format!("{n:?} is not an MSK cluster name (1 to 64 of A-Z a-z 0-9 -, starting with a letter)")));
            }
        }
        if let Some(ver) = known_str(V::kafka_version) {
            let parts: Vec<&str> = ver.split('.').collect();
            if parts.len() < 2 || parts.iter().any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit())) {
                out.push(Diagnostic::field(r, V::kafka_version, format!("{ver:?} is not a Kafka version (such as 3.6.0)")));
            }
        }
        if let Some(t) = known_str(V::instance_type).filter(|t| !t.starts_with("kafka.") || t.len() <= "kafka.".len()) {
            out.push(Diagnostic::field(r, V::instance_type, format!("{t:?} is not an MSK broker type (kafka.<family>.<size>, such as kafka.m7g.large)")));
        }
        let subnets = match decl.inputs.get(V::subnets) {
            Some(strata_core::Input::List(l)) => l.clone(),
            _ => Vec::new(),
        };
        if !(2..=3).contains(&subnets.len()) {
            out.push(Diagnostic::field(r, V::subnets, format!("an MSK cluster takes two or three subnets, not {}", subnets.len())));
        } else if let Some(azs) = strata_aws::props::subnet_azs(stack, &subnets) {
            if azs.len() != subnets.len() {
                out.push(Diagnostic::field(r, V::subnets, "the subnets must be in different AZs (MSK spreads the brokers over them)"));
            }
        }
        if let Some(n) = known_int(V::brokers) {
            if n < 1 {
                out.push(Diagnostic::field(r, V::brokers, format!("{n}: a cluster needs brokers")));
            } else if (2..=3).contains(&subnets.len()) && n % subnets.len() as i64 != 0 {
                out.push(Diagnostic::field(r, V::brokers, format!("{n} brokers do not spread evenly over {} subnets: take a multiple of {}", subnets.len(), subnets.len())));
            }
        }
        if let Some(g) = known_int(V::volume_gb).filter(|g| !(1..=16384).contains(g)) {
            out.push(Diagnostic::field(r, V::volume_gb, format!("{g} GiB is outside 1-16384")));
        }
        if let Some(cb) = known_str(V::client_broker).filter(|cb| !CLIENT_BROKER.contains(&cb.as_str())) {
            out.push(Diagnostic::field(r, V::client_broker, format!("{cb:?} is not one of {}", CLIENT_BROKER.join(", "))));
        }
        if let Some(m) = known_str(V::monitoring).filter(|m| !MONITORING_LEVELS.contains(&m.as_str())) {
            out.push(Diagnostic::field(r, V::monitoring, format!("{m:?} is not one of {}", MONITORING_LEVELS.join(", "))));
        }
        if let Some(k) = known_str(V::kms_key).filter(|k| !k.starts_with("arn:")) {
            out.push(Diagnostic::field(r, V::kms_key, format!("{k:?}: MSK takes the key's ARN")));
        }
        if decl.known(V::iam_auth).and_then(|v| v.as_bool()) == Some(true) && known_str(V::client_broker).as_deref() == Some("PLAINTEXT") {
            out.push(Diagnostic::field(r, V::iam_auth, "IAM authentication needs TLS between clients and brokers (client_broker TLS or TLS_PLAINTEXT)"));
        }
    }

    fn estimate(op: Op) -> Duration {
        match op {
            Op::Create => Duration::from_secs(25 * 60),
            Op::Delete => Duration::from_secs(10 * 60),
            _ => Duration::from_secs(20 * 60),
        }
    }

    fn default_timeout(op: Op) -> Duration {
        match op {
            Op::Create | Op::Update => Duration::from_secs(120 * 60),
            _ => Duration::from_secs(60 * 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_names_differ_per_replacement_and_fit_msk() {
        let cx = OpContext {
            stack: "principles-prod-with-a-rather-long-stack-name".into(),
            name: "events-cluster-with-a-long-logical-name".into(),
            region: "eu-central-1".into(),
            timeout: Duration::from_secs(1),
            poll: strata_engine::PollPolicy::default(),
            idempotency_token: String::new(),
        };
        let a = V { subnets: Some(vec!["subnet-a".into(), "subnet-b".into()]), ..V::default() };
        let b = V { subnets: Some(vec!["subnet-a".into(), "subnet-c".into()]), ..V::default() };
        let (na, nb) = (derived_name(&cx, &a), derived_name(&cx, &b));
        assert_ne!(na, nb);
        for n in [na, nb] {
            assert!(n.len() <= 64 && n.starts_with(|c: char| c.is_ascii_alphabetic()), "{n}");
            assert!(n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "{n}");
        }
    }
}
