//! `aws:cloudwatch:MetricAlarm`: an alarm on one metric. Its physical id is
//! its name.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm as Item, Statistic};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Tagging, Want};
use strata_aws::Aws;
use strata_core::{tags, Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, tag_list, CloudWatchTags};

/// How a metric is compared with the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// Above the threshold.
    GreaterThan,
    /// At or above the threshold.
    GreaterOrEqual,
    /// Below the threshold.
    LessThan,
    /// At or below the threshold.
    LessOrEqual,
}

impl Compare {
    fn api(self) -> &'static str {
        match self {
            Compare::GreaterThan => "GreaterThanThreshold",
            Compare::GreaterOrEqual => "GreaterThanOrEqualToThreshold",
            Compare::LessThan => "LessThanThreshold",
            Compare::LessOrEqual => "LessThanOrEqualToThreshold",
        }
    }
}

strata_aws::kind_fields! {
    /// An alarm on one metric.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_cloudwatch::{Compare, MetricAlarm};
    /// use strata_aws_sns::Topic;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let topic = stack.add("alerts", Topic::new().email_subscription("ops@example.com"));
    /// stack.add(
    ///     "db-storage",
    ///     MetricAlarm::new("AWS/RDS", "FreeStorageSpace", "Minimum", Compare::LessThan, 10.0 * 1024.0 * 1024.0 * 1024.0)
    ///         .dimension("DBInstanceIdentifier", "magento-prd")
    ///         .alarm_action(topic.arn()),
    /// );
    /// ```
    pub struct MetricAlarm: "aws:cloudwatch:MetricAlarm";
    values MetricAlarmValues;
    handle MetricAlarmHandle / MetricAlarmOutputs { arn, alarm_name };
    fields {
        /// An explicit name; default `<stack>-<logical name>`.
        name: str [replace];
        /// The alarm's description.
        description: str [update] = "";
        /// The metric's namespace (`AWS/EC2`).
        namespace: str [update];
        /// The metric's name.
        metric: str [update];
        /// `Average`, `Sum`, `Minimum`, `Maximum` or `SampleCount`.
        statistic: str [update];
        /// The comparison with the threshold, as the API names it (see [`Compare`]).
        comparison: str [update];
        /// The threshold, as its shortest decimal text (compared as numbers are).
        threshold: str [update];
        /// Seconds per datapoint (10, 30, or a multiple of 60).
        period: int [update] = 300;
        /// Breach for this many periods (of which `datapoints_to_alarm` must breach).
        evaluation_periods: int [update] = 1;
        /// How many of the evaluation periods must breach (default: all).
        datapoints_to_alarm: int [update];
        /// `missing` (default), `notBreaching`, `breaching` or `ignore`.
        treat_missing_data: str [update] = "missing";
        /// The metric's dimensions, name to value.
        dimensions: map [update];
        /// Where a breach is sent (topic ARNs).
        alarm_actions: strs [update] = Vec::<String>::new();
        /// Where the return to OK is sent.
        ok_actions: strs [update] = Vec::<String>::new();
    }
}

impl MetricAlarm {
    /// `statistic` is `Average`, `Sum`, `Minimum`, `Maximum` or `SampleCount`.
    pub fn new(namespace: &str, metric: &str, statistic: &str, compare: Compare, threshold: f64) -> Self {
        Self::empty().namespace(namespace).metric(metric).statistic(statistic).comparison(compare.api()).threshold(threshold_text(threshold))
    }

    /// A dimension of the metric.
    pub fn dimension(self, name: &str, value: impl Into<Arg<String>>) -> Self {
        self.put(V::dimensions, name, value.into().into_input())
    }

    /// Seconds per datapoint (10, 30, or a multiple of 60).
    pub fn period_seconds(self, s: i64) -> Self {
        self.period(s)
    }

    /// Send a breach to this topic.
    pub fn alarm_action(self, arn: impl Into<Arg<String>>) -> Self {
        self.push(V::alarm_actions, arn.into().into_input())
    }

    /// Send the return to OK to this topic.
    pub fn ok_action(self, arn: impl Into<Arg<String>>) -> Self {
        self.push(V::ok_actions, arn.into().into_input())
    }
}

type V = MetricAlarmValues;

/// The kind behind [`MetricAlarm`].
pub(crate) struct Alarms;

/// Thresholds are compared as numbers, kept as their shortest decimal text.
fn threshold_text(t: f64) -> String {
    format!("{t}")
}

fn derived_name(cx: &OpContext) -> String {
    format!("{}-{}", cx.stack, cx.name).chars().take(255).collect()
}

/// `PutMetricAlarm`: a create (with its tags) or a whole update, by name.
async fn put(aws: &Aws, region: &str, name: &str, v: &V, tags: Option<&Tags>) -> Result<(), ProviderError> {
    let int = |n: Option<i64>| n.and_then(|n| i32::try_from(n).ok());
    client(aws, region)
        .put_metric_alarm()
        .alarm_name(name)
        .set_alarm_description(v.description.clone())
        .set_namespace(v.namespace.clone())
        .set_metric_name(v.metric.clone())
        .set_statistic(v.statistic.as_deref().map(Statistic::from))
        .set_comparison_operator(v.comparison.as_deref().map(ComparisonOperator::from))
        .set_threshold(v.threshold.as_deref().and_then(|t| t.parse().ok()))
        .set_period(int(v.period))
        .set_evaluation_periods(int(v.evaluation_periods))
        .set_datapoints_to_alarm(int(v.datapoints_to_alarm))
        .set_treat_missing_data(v.treat_missing_data.clone())
        .set_dimensions(Some(v.dimensions.iter().flatten().map(|(k, d)| Dimension::builder().name(k).value(d).build()).collect()))
        .set_alarm_actions(v.alarm_actions.clone())
        .set_ok_actions(v.ok_actions.clone())
        .set_tags(tags.map(tag_list))
        .send()
        .await
        .map(|_| ())
        .map_err(err("PutMetricAlarm"))
}

#[async_trait]
impl Kind for Alarms {
    type Builder = MetricAlarm;
    type Item = Item;
    type Tags = CloudWatchTags;

    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(a: &Item) -> Option<&str> {
        a.alarm_name()
    }

    fn tag_target(a: &Item) -> Option<String> {
        a.alarm_arn().map(str::to_string)
    }

    fn observe(a: &Item) -> Seen<MetricAlarm> {
        let text = |s: Option<&str>| Some(s.unwrap_or_default().to_string());
        let (name, int) = (a.alarm_name().map(str::to_string), |n: Option<i32>| n.map(i64::from));
        let values = V {
            name: name.clone(),
            description: text(a.alarm_description()),
            namespace: text(a.namespace()),
            metric: text(a.metric_name()),
            statistic: text(a.statistic().map(Statistic::as_str)),
            comparison: text(a.comparison_operator().map(ComparisonOperator::as_str)),
            threshold: a.threshold().map(threshold_text),
            period: int(a.period()),
            evaluation_periods: int(a.evaluation_periods()),
            datapoints_to_alarm: int(a.datapoints_to_alarm().or(a.evaluation_periods())),
            treat_missing_data: text(a.treat_missing_data().or(Some("missing"))),
            dimensions: Some(a.dimensions().iter().filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string()))).collect()),
            alarm_actions: Some(a.alarm_actions().to_vec()),
            ok_actions: Some(a.ok_actions().to_vec()),
            ..V::default()
        };
        Seen { values, outputs: MetricAlarmOutputs { arn: a.alarm_arn().map(str::to_string), alarm_name: name }, refs: Vec::new() }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        // DescribeAlarms has no tag filter: the kernel reads the tags of each (bounded).
        let pages = client(aws, &scope.region).describe_alarms().into_paginator().send();
        let pages = pages.collect::<Result<Vec<_>, _>>().await.map_err(err("DescribeAlarms"))?;
        Ok(pages.into_iter().flat_map(|p| p.metric_alarms.unwrap_or_default()).collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        let out = client(aws, region).describe_alarms().alarm_names(id).send().await.map_err(err("DescribeAlarms"))?;
        Ok(out.metric_alarms().first().cloned())
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, MetricAlarm>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| derived_name(cx));
        put(aws, &cx.region, &name, v, Some(&v.tags)).await?;
        let alarm = self.get(aws, &cx.region, &name).await?;
        let Some(arn) = alarm.as_ref().and_then(Item::alarm_arn) else {
            return Err(strata_aws::lacks("DescribeAlarms", "AlarmArn", &cx.name));
        };
        // The state tags are what finds the alarm again: make sure they took
        // (LocalStack 4.9 drops the tags of PutMetricAlarm).
        if CloudWatchTags::read(aws, &cx.region, arn).await?.get(tags::STACK) != v.tags.get(tags::STACK) {
            CloudWatchTags::write(aws, &cx.region, arn, &v.tags, &[]).await?;
        }
        Ok(alarm.map_or(Created::Id(name), Created::Item))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, MetricAlarm>, _diff: &Diff) -> Result<(), ProviderError> {
        put(aws, &want.cx.region, &actual.id, &want.values, None).await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = client(aws, &cx.region).delete_alarms().alarm_names(&actual.id).send().await;
        r.map(|_| ()).map_err(err("DeleteAlarms"))
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut problem = |f: &str, m: String| out.push(Diagnostic::field(&decl.name, f, m));
        let int = |f: &str| decl.known(f).and_then(|v| v.as_int());
        let text = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        if let Some(s) = text(V::statistic).filter(|s| !["Average", "Sum", "Minimum", "Maximum", "SampleCount"].contains(&s.as_str())) {
            problem(V::statistic, format!("{s:?} is not Average, Sum, Minimum, Maximum or SampleCount"));
        }
        if let Some(p) = int(V::period).filter(|p| !(*p == 10 || *p == 30 || (*p >= 60 && p % 60 == 0))) {
            problem(V::period, format!("{p} s must be 10, 30 or a multiple of 60"));
        }
        let periods = int(V::evaluation_periods).unwrap_or(1);
        if periods < 1 {
            problem(V::evaluation_periods, format!("{periods} must be at least 1"));
        }
        // Unset, it is the evaluation periods.
        let d = int(V::datapoints_to_alarm).unwrap_or(periods);
        if d < 1 || d > periods {
            problem(V::datapoints_to_alarm, format!("{d} must be 1-{periods} (the evaluation periods)"));
        }
        if let Some(m) = text(V::treat_missing_data).filter(|m| !["missing", "notBreaching", "breaching", "ignore"].contains(&m.as_str())) {
            problem(V::treat_missing_data, format!("{m:?} is not missing, notBreaching, breaching or ignore"));
        }
        if text(V::threshold).and_then(|t| t.parse::<f64>().ok()).is_some_and(|t| !t.is_finite()) {
            problem(V::threshold, "must be a finite number".into());
        }
    }

    fn normalize(props: &mut Props) {
        for f in [V::alarm_actions, V::ok_actions] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort();
            }
        }
        if let (None, Some(n)) = (props.get(V::datapoints_to_alarm), props.get(V::evaluation_periods).cloned()) {
            props.insert(V::datapoints_to_alarm.into(), n);
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(1)
    }
}
