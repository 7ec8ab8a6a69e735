//! `aws:lambda:EventSourceMapping`: a function fed by an SQS queue or a
//! DynamoDB stream (Lambda polls the source and invokes the function with
//! batches of records).
//!
//! A mapping is tagged (by its ARN) and found by `ListEventSourceMappings`;
//! its source (and a stream's starting position) replace it, everything else
//! changes in place with `UpdateEventSourceMapping`. Lambda refuses a second
//! mapping of the same source to the same function
//! (`ResourceConflictException`), so a lost create answer cannot leave two.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_lambda::types::{EventSourceMappingConfiguration as Sdk, EventSourcePosition, FunctionResponseType, ScalingConfig};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Life, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Props, ResourceDecl, Stack, Value};
use strata_engine::{Diff, DiscoverScope, Observed, Op, OpContext, ProviderError};

use crate::{client, function_name, LambdaTags};

strata_aws::kind_fields! {
    /// A function fed by a queue or a stream.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_lambda::EventSourceMapping;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// stack.add(
    ///     "orders-from-queue",
    ///     EventSourceMapping::new("demo-orders", "arn:aws:sqs:eu-central-1:111122223333:orders")
    ///         .batch_size(50)
    ///         .batching_window(5)
    ///         .report_batch_item_failures(true),
    /// );
    /// ```
    pub struct EventSourceMapping: "aws:lambda:EventSourceMapping";
    values EventSourceMappingValues;
    handle EventSourceMappingHandle / EventSourceMappingOutputs { arn, uuid };
    fields {
        /// The function's name (or ARN).
        function: str [update required];
        /// The queue's or stream's ARN.
        event_source_arn: str [replace required];
        /// Records a batch (default: 10 for SQS, 100 for a stream).
        batch_size: int [update];
        /// Seconds to gather a batch (0 to 300).
        maximum_batching_window: int [update] = 0;
        /// Poll the source (default: on).
        enabled: bool [update] = true;
        /// The function reports the failed items of a batch (`ReportBatchItemFailures`).
        report_batch_item_failures: bool [update] = false;
        /// For SQS: the most concurrent invocations the source drives (2 to 1,000).
        maximum_concurrency: int [update cleared];
        /// For a stream: `LATEST` or `TRIM_HORIZON`.
        starting_position: str [replace];
    }
}

impl EventSourceMapping {
    /// Feed the function named `function` from the queue or stream `source_arn`.
    pub fn new(function: impl Into<Arg<String>>, source_arn: impl Into<Arg<String>>) -> Self {
        Self::empty().function(function).event_source_arn(source_arn)
    }

    /// Seconds to gather a batch before invoking (0 to 300).
    pub fn batching_window(self, seconds: i64) -> Self {
        self.maximum_batching_window(seconds)
    }
}

type V = EventSourceMappingValues;

/// The kind behind [`EventSourceMapping`].
pub(crate) struct EventSourceMappings;

fn is_stream(arn: &str) -> bool {
    arn.starts_with("arn:") && (arn.contains(":dynamodb:") || arn.contains(":kinesis:"))
}

#[async_trait]
impl Kind for EventSourceMappings {
    type Builder = EventSourceMapping;
    type Item = Sdk;
    type Tags = LambdaTags;

    const WAIT_FOR_DELETE: bool = true;
    /// Lambda picks the batch size when none is given.
    const DERIVED: &'static [&'static str] = &[V::batch_size];

    fn id(item: &Sdk) -> Option<&str> {
        item.uuid()
    }

    fn tag_target(item: &Sdk) -> Option<String> {
        item.event_source_mapping_arn().map(str::to_string)
    }

    fn life(item: &Sdk) -> Life {
        match item.state() {
            Some("Deleting") => Life::Leaving,
            _ => Life::Live,
        }
    }

    fn settled(item: &Sdk) -> Result<bool, ProviderError> {
        Ok(matches!(item.state(), Some("Enabled" | "Disabled") | None))
    }

    fn observe(item: &Sdk) -> Seen<EventSourceMapping> {
        Seen {
            values: V {
                function: item.function_arn().map(|f| function_name(f).to_string()),
                event_source_arn: item.event_source_arn().map(str::to_string),
                batch_size: item.batch_size().map(i64::from),
                maximum_batching_window: Some(item.maximum_batching_window_in_seconds().map_or(0, i64::from)),
                enabled: Some(!matches!(item.state(), Some("Disabled" | "Disabling"))),
                report_batch_item_failures: Some(item.function_response_types().contains(&FunctionResponseType::ReportBatchItemFailures)),
                maximum_concurrency: item.scaling_config().and_then(ScalingConfig::maximum_concurrency).map(i64::from),
                starting_position: item.starting_position().map(|p| p.as_str().to_string()),
                ..V::default()
            },
            outputs: EventSourceMappingOutputs { arn: item.event_source_mapping_arn().map(str::to_string), uuid: item.uuid().map(str::to_string) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Sdk>, ProviderError> {
        // No tag filter: the kernel reads the tags of each (bounded).
        let pages = client(aws, &scope.region).list_event_source_mappings().into_paginator().items().send();
        pages.collect::<Result<Vec<_>, _>>().await.map_err(err("ListEventSourceMappings"))
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Sdk>, ProviderError> {
        let out = strata_aws::found(client(aws, region).get_event_source_mapping().uuid(id).send().await.map_err(err("GetEventSourceMapping")))?;
        Ok(out.map(|o| {
            Sdk::builder()
                .set_uuid(o.uuid().map(str::to_string))
                .set_event_source_mapping_arn(o.event_source_mapping_arn().map(str::to_string))
                .set_function_arn(o.function_arn().map(str::to_string))
                .set_event_source_arn(o.event_source_arn().map(str::to_string))
                .set_batch_size(o.batch_size())
                .set_maximum_batching_window_in_seconds(o.maximum_batching_window_in_seconds())
                .set_state(o.state().map(str::to_string))
                .set_function_response_types(Some(o.function_response_types().to_vec()))
                .set_scaling_config(o.scaling_config().cloned())
                .set_starting_position(o.starting_position().cloned())
                .build()
        }))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, EventSourceMapping>) -> Result<Created<Sdk>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let out = client(aws, &cx.region)
            .create_event_source_mapping()
            .set_function_name(v.function.clone())
            .set_event_source_arn(v.event_source_arn.clone())
            .set_batch_size(v.batch_size.and_then(|b| i32::try_from(b).ok()))
            .set_maximum_batching_window_in_seconds(v.maximum_batching_window.and_then(|b| i32::try_from(b).ok()).filter(|b| *b > 0))
            .enabled(v.enabled != Some(false))
            .set_function_response_types((v.report_batch_item_failures == Some(true)).then(|| vec![FunctionResponseType::ReportBatchItemFailures]))
            .set_scaling_config(v.maximum_concurrency.and_then(|m| i32::try_from(m).ok()).map(|m| ScalingConfig::builder().maximum_concurrency(m).build()))
            .set_starting_position(v.starting_position.as_deref().map(EventSourcePosition::from))
            .set_tags(Some(v.tags.iter().map(|(k, t)| (k.clone(), t.clone())).collect()))
            .send()
            .await
            .map_err(err("CreateEventSourceMapping"))?;
        let uuid = out.uuid().ok_or_else(|| strata_aws::lacks("CreateEventSourceMapping", "UUID", &cx.name))?;
        Ok(Created::Id(uuid.to_string()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, EventSourceMapping>, _diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let types = if v.report_batch_item_failures == Some(true) { vec![FunctionResponseType::ReportBatchItemFailures] } else { Vec::new() };
        // Lambda's floor of 2 stands for "no limit" once one was set.
        let scaling = v.maximum_concurrency.and_then(|m| i32::try_from(m).ok()).map(|m| ScalingConfig::builder().maximum_concurrency(m).build());
        let had_scaling = actual.props.get(V::maximum_concurrency).is_some_and(|v| *v != Value::Null);
        client(aws, &cx.region)
            .update_event_source_mapping()
            .uuid(&actual.id)
            .set_function_name(v.function.clone())
            .set_batch_size(v.batch_size.and_then(|b| i32::try_from(b).ok()))
            .set_maximum_batching_window_in_seconds(v.maximum_batching_window.and_then(|b| i32::try_from(b).ok()))
            .enabled(v.enabled != Some(false))
            .set_function_response_types(Some(types))
            .set_scaling_config(scaling.or_else(|| had_scaling.then(|| ScalingConfig::builder().build())))
            .send()
            .await
            .map_err(err("UpdateEventSourceMapping"))?;
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        client(aws, &cx.region).delete_event_source_mapping().uuid(&actual.id).send().await.map(|_| ()).map_err(err("DeleteEventSourceMapping"))
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::Str(f)) = props.get_mut(V::function) {
            *f = function_name(f).to_string();
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let int = |f: &str| decl.known(f).and_then(|v| v.as_int());
        let source = decl.known(V::event_source_arn).and_then(|v| v.as_str().map(str::to_string));
        let stream = source.as_deref().map(is_stream);
        if let Some(s) = &source {
            if !s.starts_with("arn:") || !(s.contains(":sqs:") || is_stream(s)) {
                out.push(Diagnostic::field(r, V::event_source_arn, format!("{s:?} is neither an SQS queue's ARN nor a DynamoDB or Kinesis stream's")));
            }
        }
        let fifo = source.as_deref().is_some_and(|s| s.contains(":sqs:") && s.ends_with(".fifo"));
        let window = int(V::maximum_batching_window).unwrap_or(0);
        if !(0..=300).contains(&window) {
            out.push(Diagnostic::field(r, V::maximum_batching_window, format!("{window} s: 0 to 300 seconds")));
        }
        if let Some(b) = int(V::batch_size) {
            let max = match (stream, fifo) {
                (Some(true), _) => 10_000,
                (_, true) => 10,
                _ => 10_000,
            };
            if !(1..=max).contains(&b) {
                out.push(Diagnostic::field(r, V::batch_size, format!("{b} records: this source takes 1 to {max}")));
            } else if stream == Some(false) && !fifo && b > 10 && window < 1 {
                out.push(Diagnostic::field(r, V::batch_size, format!("a batch of {b} SQS messages needs a batching window of at least 1 second (batching_window)")));
            }
        }
        match (stream, decl.known(V::starting_position).and_then(|v| v.as_str().map(str::to_string))) {
            (Some(true), None) => out.push(Diagnostic::field(r, V::starting_position, "a stream needs a starting position (LATEST or TRIM_HORIZON)")),
            (Some(false), Some(_)) => out.push(Diagnostic::field(r, V::starting_position, "a queue has no starting position")),
            (_, Some(p)) if p != "LATEST" && p != "TRIM_HORIZON" => out.push(Diagnostic::field(r, V::starting_position, format!("{p:?} is neither LATEST nor TRIM_HORIZON"))),
            _ => {}
        }
        if let Some(m) = int(V::maximum_concurrency) {
            if stream == Some(true) {
                out.push(Diagnostic::field(r, V::maximum_concurrency, "maximum concurrency is for SQS sources"));
            } else if !(2..=1000).contains(&m) {
                out.push(Diagnostic::field(r, V::maximum_concurrency, format!("{m}: 2 to 1,000")));
            }
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(2)
    }
}
