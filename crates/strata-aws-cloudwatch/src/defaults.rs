//! The alarms worth having, added in one call per watched resource. Each
//! function adds its alarms under a component named after `name` (so the
//! logical names are `<name>/cpu` and so on) and sends breaches to `topic`.
//!
//! Thresholds are common starting points, not tuned values: CPU above 80%
//! for 15 minutes, any failed status check, ALB 5xx above 10 per 5 minutes,
//! any unhealthy target, RDS free storage under 10 GiB or connections above
//! `max_connections * 0.8`, Redis engine CPU above 80% or any eviction, and an
//! OpenSearch cluster that turns red or blocks writes.

use strata_core::{Arg, Output, Ref, Stack};

use super::{Compare, MetricAlarm};

fn alarm(ns: &str, metric: &str, stat: &str, cmp: Compare, threshold: f64, periods: i64, topic: &Output<String>) -> MetricAlarm {
    MetricAlarm::new(ns, metric, stat, cmp, threshold)
        .evaluation_periods(periods)
        .alarm_action(topic.clone())
        .ok_action(topic.clone())
}

/// EC2 instance: CPU and status checks.
pub fn instance(stack: &mut Stack, name: &str, instance_id: impl Into<Arg<String>>, topic: &Output<String>) -> Vec<Ref<MetricAlarm>> {
    let id: Arg<String> = instance_id.into();
    stack.component(name, |s| {
        vec![
            s.add("cpu", alarm("AWS/EC2", "CPUUtilization", "Average", Compare::GreaterThan, 80.0, 3, topic).dimension("InstanceId", id.clone())),
            s.add(
                "status-check",
                alarm("AWS/EC2", "StatusCheckFailed", "Maximum", Compare::GreaterOrEqual, 1.0, 2, topic)
                    .period_seconds(60)
                    .dimension("InstanceId", id),
            ),
        ]
    })
}

/// Application load balancer: 5xx from the ALB and unhealthy targets.
/// `lb_arn` and `tg_arn` are ARNs; CloudWatch wants their suffixes.
pub fn alb(stack: &mut Stack, name: &str, lb_arn: &Output<String>, tg_arn: &Output<String>, topic: &Output<String>) -> Vec<Ref<MetricAlarm>> {
    let lb = lb_arn.map(|a| a.split_once(":loadbalancer/").map(|x| x.1.to_string()).unwrap_or(a));
    let tg = tg_arn.map(|a| a.rsplit_once(':').map(|x| x.1.to_string()).unwrap_or(a));
    stack.component(name, |s| {
        vec![
            s.add(
                "5xx",
                alarm("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", Compare::GreaterThan, 10.0, 1, topic)
                    .treat_missing_data("notBreaching")
                    .dimension("LoadBalancer", lb.clone()),
            ),
            s.add(
                "unhealthy-hosts",
                alarm("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", Compare::GreaterOrEqual, 1.0, 2, topic)
                    .period_seconds(60)
                    .dimension("LoadBalancer", lb)
                    .dimension("TargetGroup", tg),
            ),
        ]
    })
}

/// RDS instance: free storage, connections and CPU.
pub fn rds(stack: &mut Stack, name: &str, identifier: &Output<String>, max_connections: i64, topic: &Output<String>) -> Vec<Ref<MetricAlarm>> {
    stack.component(name, |s| {
        let dim = |a: MetricAlarm| a.dimension("DBInstanceIdentifier", identifier.clone());
        vec![
            s.add("free-storage", dim(alarm("AWS/RDS", "FreeStorageSpace", "Minimum", Compare::LessThan, 10.0 * 1024.0 * 1024.0 * 1024.0, 1, topic))),
            s.add(
                "connections",
                dim(alarm("AWS/RDS", "DatabaseConnections", "Maximum", Compare::GreaterThan, (max_connections as f64 * 0.8).floor(), 2, topic)),
            ),
            s.add("cpu", dim(alarm("AWS/RDS", "CPUUtilization", "Average", Compare::GreaterThan, 80.0, 3, topic))),
        ]
    })
}

/// Redis replication group: engine CPU and evictions, on the primary node
/// (`<group>-001`).
pub fn redis(stack: &mut Stack, name: &str, group_id: &Output<String>, topic: &Output<String>) -> Vec<Ref<MetricAlarm>> {
    let primary = group_id.map(|g| format!("{g}-001"));
    stack.component(name, |s| {
        vec![
            s.add(
                "engine-cpu",
                alarm("AWS/ElastiCache", "EngineCPUUtilization", "Average", Compare::GreaterThan, 80.0, 3, topic)
                    .dimension("CacheClusterId", primary.clone()),
            ),
            s.add(
                "evictions",
                alarm("AWS/ElastiCache", "Evictions", "Sum", Compare::GreaterThan, 0.0, 1, topic)
                    .treat_missing_data("notBreaching")
                    .dimension("CacheClusterId", primary),
            ),
        ]
    })
}

/// OpenSearch domain: red cluster status and blocked writes. The metrics
/// carry the account id (`ClientId`), read from the domain's ARN.
pub fn opensearch(stack: &mut Stack, name: &str, domain_arn: &Output<String>, topic: &Output<String>) -> Vec<Ref<MetricAlarm>> {
    let account = domain_arn.map(|a| a.split(':').nth(4).unwrap_or_default().to_string());
    let domain = domain_arn.map(|a| a.rsplit('/').next().unwrap_or_default().to_string());
    stack.component(name, |s| {
        let dims = |a: MetricAlarm| a.dimension("DomainName", domain.clone()).dimension("ClientId", account.clone());
        vec![
            s.add("cluster-red", dims(alarm("AWS/ES", "ClusterStatus.red", "Maximum", Compare::GreaterOrEqual, 1.0, 1, topic).period_seconds(60))),
            s.add(
                "writes-blocked",
                dims(alarm("AWS/ES", "ClusterIndexWritesBlocked", "Maximum", Compare::GreaterOrEqual, 1.0, 1, topic).period_seconds(300)),
            ),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_helper_adds_its_alarms_under_a_component() {
        let mut s = Stack::new("demo", "eu-central-1");
        let topic = Output::known("arn:aws:sns:eu-central-1:123456789012:alerts".to_string());
        let arn = |x: &str| Output::known(x.to_string());
        let n = instance(&mut s, "web", "i-123", &topic).len()
            + alb(&mut s, "alb", &arn("arn:aws:elasticloadbalancing:eu-central-1:1:loadbalancer/app/a/b"), &arn("arn:aws:elasticloadbalancing:eu-central-1:1:targetgroup/t/c"), &topic).len()
            + rds(&mut s, "db", &arn("magento-prd"), 500, &topic).len()
            + redis(&mut s, "redis", &arn("magento-prd"), &topic).len()
            + opensearch(&mut s, "es", &arn("arn:aws:es:eu-central-1:123456789012:domain/magento"), &topic).len();
        assert_eq!(n, 11);
        assert_eq!(s.resources().len(), 11);
        assert!(s.resources().iter().any(|r| r.name == "db/free-storage"), "{:?}", s.resources().iter().map(|r| &r.name).collect::<Vec<_>>());
    }
}
