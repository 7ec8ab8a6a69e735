//! CloudWatch: `aws:cloudwatch:MetricAlarm`, and [`defaults`], which adds
//! the alarms worth having for an instance, an ALB, an RDS instance, a Redis
//! group and an OpenSearch domain.
//!
//! `PutMetricAlarm` both creates and updates (by name); tags are set at
//! creation and changed with `TagResource`/`UntagResource`. Discovery: one
//! paginated `DescribeAlarms`, then the tags of each alarm (CloudWatch has no
//! tag filter).

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_cloudwatch, "cloudwatch");

pub mod defaults;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm as SdkAlarm, Statistic, Tag};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, Provider, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::props::{str_of, strs};
use strata_aws::Aws;

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(AlarmProvider { aws: aws.clone() }));
}

/// How a metric is compared with the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    GreaterThan,
    GreaterOrEqual,
    LessThan,
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
#[derive(Clone, Debug)]
pub struct MetricAlarm {
    name: Option<String>,
    description: String,
    namespace: String,
    metric: String,
    statistic: String,
    compare: Compare,
    threshold: f64,
    period: i64,
    evaluation_periods: i64,
    datapoints: Option<i64>,
    missing_data: String,
    dimensions: BTreeMap<String, Input>,
    alarm_actions: Vec<Input>,
    ok_actions: Vec<Input>,
    tags: BTreeMap<String, Input>,
}

impl MetricAlarm {
    /// `statistic` is `Average`, `Sum`, `Minimum`, `Maximum` or `SampleCount`.
    pub fn new(namespace: &str, metric: &str, statistic: &str, compare: Compare, threshold: f64) -> Self {
        MetricAlarm {
            name: None,
            description: String::new(),
            namespace: namespace.into(),
            metric: metric.into(),
            statistic: statistic.into(),
            compare,
            threshold,
            period: 300,
            evaluation_periods: 1,
            datapoints: None,
            missing_data: "missing".into(),
            dimensions: BTreeMap::new(),
            alarm_actions: Vec::new(),
            ok_actions: Vec::new(),
            tags: BTreeMap::new(),
        }
    }
    /// An explicit name; default `<stack>-<logical name>`.
    pub fn name(mut self, n: &str) -> Self {
        self.name = Some(n.into());
        self
    }
    pub fn description(mut self, d: &str) -> Self {
        self.description = d.into();
        self
    }
    pub fn dimension(mut self, name: &str, value: impl Into<Arg<String>>) -> Self {
        self.dimensions.insert(name.into(), value.into().into_input());
        self
    }
    /// Seconds per datapoint (10, 30, or a multiple of 60).
    pub fn period_seconds(mut self, s: i64) -> Self {
        self.period = s;
        self
    }
    /// Breach for this many periods (of which `datapoints` must breach).
    pub fn evaluation_periods(mut self, n: i64) -> Self {
        self.evaluation_periods = n;
        self
    }
    pub fn datapoints_to_alarm(mut self, n: i64) -> Self {
        self.datapoints = Some(n);
        self
    }
    /// `missing` (default), `notBreaching`, `breaching` or `ignore`.
    pub fn treat_missing_data(mut self, how: &str) -> Self {
        self.missing_data = how.into();
        self
    }
    pub fn alarm_action(mut self, arn: impl Into<Arg<String>>) -> Self {
        self.alarm_actions.push(arn.into().into_input());
        self
    }
    pub fn ok_action(mut self, arn: impl Into<Arg<String>>) -> Self {
        self.ok_actions.push(arn.into().into_input());
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`MetricAlarm`].
    MetricAlarmHandle { arn: "arn", alarm_name: "name" }
);

/// Thresholds are compared as numbers, kept as their shortest decimal text.
fn threshold_text(t: f64) -> String {
    format!("{t}")
}

impl Resource for MetricAlarm {
    const KIND: &'static str = "aws:cloudwatch:MetricAlarm";
    type Handle = MetricAlarmHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("name".to_string(), Input::from(self.name)),
            ("description".to_string(), Input::from(self.description)),
            ("namespace".to_string(), Input::from(self.namespace)),
            ("metric".to_string(), Input::from(self.metric)),
            ("statistic".to_string(), Input::from(self.statistic)),
            ("comparison".to_string(), Input::from(self.compare.api())),
            ("threshold".to_string(), Input::from(threshold_text(self.threshold))),
            ("period".to_string(), Input::from(self.period)),
            ("evaluation_periods".to_string(), Input::from(self.evaluation_periods)),
            ("datapoints_to_alarm".to_string(), Input::from(self.datapoints.unwrap_or(self.evaluation_periods))),
            ("treat_missing_data".to_string(), Input::from(self.missing_data)),
            ("dimensions".to_string(), Input::Map(self.dimensions)),
            ("alarm_actions".to_string(), Input::List(self.alarm_actions)),
            ("ok_actions".to_string(), Input::List(self.ok_actions)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct AlarmProvider {
    aws: Aws,
}

fn derived_name(stack: &str, logical: &str) -> String {
    format!("{stack}-{logical}").chars().take(255).collect()
}

fn sorted(mut v: Vec<Value>) -> Value {
    v.sort();
    Value::List(v)
}

fn observe(region: &str, a: &SdkAlarm, tags: Tags) -> Observed {
    let name = a.alarm_name().unwrap_or_default();
    let arn = a.alarm_arn().unwrap_or_default();
    let dims = a.dimensions().iter().filter_map(|d| Some((d.name()?.to_string(), Value::str(d.value()?)))).collect();
    let list = |l: &[String]| sorted(l.iter().map(Value::str).collect());
    let int = |v: Option<i32>| v.map(|n| Value::Int(n.into())).unwrap_or(Value::Null);
    let mut o = Observed::new(MetricAlarm::KIND, name, region);
    o.props = Props::from([
        ("name".into(), Value::str(name)),
        ("description".into(), Value::str(a.alarm_description().unwrap_or_default())),
        ("namespace".into(), Value::str(a.namespace().unwrap_or_default())),
        ("metric".into(), Value::str(a.metric_name().unwrap_or_default())),
        ("statistic".into(), Value::str(a.statistic().map(|s| s.as_str()).unwrap_or_default())),
        ("comparison".into(), Value::str(a.comparison_operator().map(|c| c.as_str()).unwrap_or_default())),
        ("threshold".into(), a.threshold().map(|t| Value::Str(threshold_text(t))).unwrap_or(Value::Null)),
        ("period".into(), int(a.period())),
        ("evaluation_periods".into(), int(a.evaluation_periods())),
        ("datapoints_to_alarm".into(), int(a.datapoints_to_alarm().or(a.evaluation_periods()))),
        ("treat_missing_data".into(), Value::str(a.treat_missing_data().unwrap_or("missing"))),
        ("dimensions".into(), Value::Map(dims)),
        ("alarm_actions".into(), list(a.alarm_actions())),
        ("ok_actions".into(), list(a.ok_actions())),
        ("tags".into(), Value::from_tags(&tags)),
    ]);
    o.outputs = Props::from([("id".into(), Value::str(name)), ("arn".into(), Value::str(arn)), ("name".into(), Value::str(name))]);
    o
}

impl AlarmProvider {
    async fn tags_of(&self, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let out = crate::client(&self.aws, region).list_tags_for_resource().resource_arn(arn).send().await.map_err(err("ListTagsForResource"));
    // Deleted since it was listed: no tags, so not this stack's.
    let Some(out) = strata_aws::unless_gone(out)? else { return Ok(Tags::new()) };
        Ok(out.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string()))).collect())
    }

    async fn put(&self, region: &str, name: &str, desired: &Props, with_tags: bool) -> Result<(), ProviderError> {
        let dims: Vec<Dimension> = desired
            .get("dimensions")
            .and_then(Value::as_map)
            .map(|m| m.iter().map(|(k, v)| Dimension::builder().name(k).value(v.as_str().unwrap_or_default()).build()).collect())
            .unwrap_or_default();
        let int = |k: &str| desired.get(k).and_then(Value::as_int).and_then(|n| i32::try_from(n).ok());
        let threshold = str_of(desired, "threshold").and_then(|t| t.parse::<f64>().ok());
        let tags: Vec<Tag> =
            strata_aws::desired_tags(desired).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        crate::client(&self.aws, region)
            .put_metric_alarm()
            .alarm_name(name)
            .alarm_description(str_of(desired, "description").unwrap_or_default())
            .set_namespace(str_of(desired, "namespace"))
            .set_metric_name(str_of(desired, "metric"))
            .set_statistic(str_of(desired, "statistic").map(|s| Statistic::from(s.as_str())))
            .set_comparison_operator(str_of(desired, "comparison").map(|s| ComparisonOperator::from(s.as_str())))
            .set_threshold(threshold)
            .set_period(int("period"))
            .set_evaluation_periods(int("evaluation_periods"))
            .set_datapoints_to_alarm(int("datapoints_to_alarm"))
            .set_treat_missing_data(str_of(desired, "treat_missing_data"))
            .set_dimensions(Some(dims))
            .set_alarm_actions(Some(strs(desired, "alarm_actions")))
            .set_ok_actions(Some(strs(desired, "ok_actions")))
            .set_tags(with_tags.then_some(tags))
            .send()
            .await
            .map_err(err("PutMetricAlarm"))?;
        Ok(())
    }

    async fn describe(&self, region: &str, name: &str) -> Result<Option<SdkAlarm>, ProviderError> {
        let out = crate::client(&self.aws, region).describe_alarms().alarm_names(name).send().await.map_err(err("DescribeAlarms"))?;
        Ok(out.metric_alarms().first().cloned())
    }
}

#[async_trait]
impl Provider for AlarmProvider {
    fn kind(&self) -> &'static str {
        MetricAlarm::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["name"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let mut problem = |f: &str, m: String| out.push(Diagnostic::field(&decl.name, f, m));
        if let Some(s) = decl.known("statistic").and_then(|v| v.as_str().map(str::to_string)) {
            if !["Average", "Sum", "Minimum", "Maximum", "SampleCount"].contains(&s.as_str()) {
                problem("statistic", format!("{s:?} is not Average, Sum, Minimum, Maximum or SampleCount"));
            }
        }
        if let Some(p) = decl.known("period").and_then(|v| v.as_int()) {
            if !(p == 10 || p == 30 || (p >= 60 && p % 60 == 0)) {
                problem("period", format!("{p} s must be 10, 30 or a multiple of 60"));
            }
        }
        let periods = decl.known("evaluation_periods").and_then(|v| v.as_int()).unwrap_or(1);
        if periods < 1 {
            problem("evaluation_periods", format!("{periods} must be at least 1"));
        }
        if let Some(d) = decl.known("datapoints_to_alarm").and_then(|v| v.as_int()) {
            if d < 1 || d > periods {
                problem("datapoints_to_alarm", format!("{d} must be 1-{periods} (the evaluation periods)"));
            }
        }
        if let Some(m) = decl.known("treat_missing_data").and_then(|v| v.as_str().map(str::to_string)) {
            if !["missing", "notBreaching", "breaching", "ignore"].contains(&m.as_str()) {
                problem("treat_missing_data", format!("{m:?} is not missing, notBreaching, breaching or ignore"));
            }
        }
        if decl.known("threshold").and_then(|v| v.as_str().and_then(|t| t.parse::<f64>().ok())).is_some_and(|t| !t.is_finite()) {
            problem("threshold", "must be a finite number".into());
        }
    }

    fn normalize(&self, props: &mut Props) {
        for f in ["alarm_actions", "ok_actions"] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort();
            }
        }
    }

    fn diff(&self, desired: &Props, actual: &Observed) -> Diff {
        strata_engine::diff_with_derived(desired, &actual.props, self.replace_fields(), &["name"])
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(1)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let pages = crate::client(&self.aws, &scope.region)
            .describe_alarms()
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(err("DescribeAlarms"))?;
        let mut out = Vec::new();
        for a in pages.iter().flat_map(|p| p.metric_alarms().iter()) {
            let t = self.tags_of(&scope.region, a.alarm_arn().unwrap_or_default()).await?;
            if t.get(tags::STACK) == Some(&scope.stack) {
                out.push(observe(&scope.region, a, t));
            }
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let Some(a) = self.describe(region, id).await? else { return Ok(None) };
        let t = self.tags_of(region, a.alarm_arn().unwrap_or_default()).await?;
        Ok(Some(observe(region, &a, t)))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let name = str_of(desired, "name").unwrap_or_else(|| derived_name(&cx.stack, &cx.name));
        self.put(&cx.region, &name, desired, true).await?;
        let arn = self.describe(&cx.region, &name).await?.and_then(|a| a.alarm_arn().map(str::to_string)).ok_or_else(|| strata_aws::lacks("DescribeAlarms", "AlarmArn", &cx.name))?;
        // The state tags are what finds the alarm again: make sure they took
        // (LocalStack 4.9 drops the tags of PutMetricAlarm).
        let want = strata_aws::desired_tags(desired);
        if self.tags_of(&cx.region, &arn).await?.get(tags::STACK) != want.get(tags::STACK) {
            let t: Vec<Tag> = want.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
            crate::client(&self.aws, &cx.region).tag_resource().resource_arn(&arn).set_tags(Some(t)).send().await.map_err(err("TagResource"))?;
        }
        let mut o = Observed::new(MetricAlarm::KIND, &name, &cx.region);
        o.props = desired.clone();
        o.props.insert("name".into(), Value::str(&name));
        o.outputs = Props::from([("id".into(), Value::str(&name)), ("arn".into(), Value::str(&arn)), ("name".into(), Value::str(&name))]);
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        if diff.changed("tags").is_some() {
            let want = strata_aws::desired_tags(desired);
            let remove: Vec<String> = actual.tags().keys().filter(|k| !want.contains_key(*k)).cloned().collect();
            self.set_tags(cx, actual, &want, &remove).await?;
        }
        if diff.changes.iter().any(|c| c.field != "tags") {
            self.put(&cx.region, &actual.id, desired, false).await?;
        }
        let mut o = actual.clone();
        o.props = desired.clone();
        o.props.insert("name".into(), Value::str(&actual.id));
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_alarms().alarm_names(&actual.id).send().await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteAlarms")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let arn = actual.outputs.get("arn").and_then(Value::as_str).unwrap_or_default().to_string();
        if !remove.is_empty() {
            c.untag_resource().resource_arn(&arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
        }
        if !add.is_empty() {
            let t = add.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
            c.tag_resource().resource_arn(&arn).set_tags(Some(t)).send().await.map_err(err("TagResource"))?;
        }
        Ok(())
    }
}
