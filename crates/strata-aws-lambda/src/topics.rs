//! A function's SNS subscriptions, a field of the function: subscriptions
//! carry no tags, so they cannot be resources of their own.
//!
//! Each subscribed topic has two parts: a statement in the function's
//! resource policy that lets the topic invoke it (statement id
//! `StrataSns<hash of the topic ARN>`, told apart from the program's own
//! [`crate::Permission`]s, whose ids start `strata-`), and the subscription
//! itself. A topic counts as subscribed only when both are there; reading them
//! is one `GetPolicy`, then one `ListSubscriptionsByTopic` per topic the
//! policy names.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};
use strata_aws::error::err;
use strata_aws::Aws;
use strata_engine::ProviderError;

use crate::{client, sns};

const SID_PREFIX: &str = "StrataSns";

fn sid(topic: &str) -> String {
    let hash: String = Sha256::digest(topic.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{SID_PREFIX}{hash}")
}

/// The region in a topic's ARN (`arn:aws:sns:<region>:...`).
fn region_of<'a>(topic: &'a str, default: &'a str) -> &'a str {
    topic.split(':').nth(3).filter(|r| !r.is_empty()).unwrap_or(default)
}

/// The topics the function's policy lets invoke it through strata's statements.
async fn permitted(aws: &Aws, region: &str, function: &str) -> Result<BTreeSet<String>, ProviderError> {
    let out = strata_aws::found(client(aws, region).get_policy().function_name(function).send().await.map_err(err("GetPolicy")))?;
    let Some(text) = out.as_ref().and_then(|o| o.policy()) else { return Ok(BTreeSet::new()) };
    let doc: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let statements = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(s @ serde_json::Value::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    };
    Ok(statements
        .iter()
        .filter(|s| s.get("Sid").and_then(|v| v.as_str()).is_some_and(|v| v.starts_with(SID_PREFIX)))
        .filter_map(|s| s.get("Condition")?.get("ArnLike")?.get("AWS:SourceArn")?.as_str().map(str::to_string))
        .collect())
}

/// The ARNs of `function_arn`'s subscriptions to `topic`.
async fn subscriptions(aws: &Aws, region: &str, topic: &str, function_arn: &str) -> Result<Vec<String>, ProviderError> {
    let c = sns(aws, region_of(topic, region));
    let subs = c.list_subscriptions_by_topic().topic_arn(topic).into_paginator().items().send();
    let subs = match subs.collect::<Result<Vec<_>, _>>().await.map_err(err("ListSubscriptionsByTopic")) {
        Ok(s) => s,
        // A deleted topic holds no subscription.
        Err(e) if e.class == strata_engine::ErrorClass::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(subs
        .into_iter()
        .filter(|s| s.protocol() == Some("lambda") && s.endpoint() == Some(function_arn))
        .filter_map(|s| s.subscription_arn().filter(|a| a.starts_with("arn:")).map(str::to_string))
        .collect())
}

/// The topics the function is subscribed to (permission and subscription), sorted.
pub(crate) async fn subscribed(aws: &Aws, region: &str, function: &str, function_arn: &str) -> Result<Vec<String>, ProviderError> {
    let mut out = Vec::new();
    for topic in permitted(aws, region, function).await? {
        if !subscriptions(aws, region, &topic, function_arn).await?.is_empty() {
            out.push(topic);
        }
    }
    Ok(out)
}

/// Bring the function's subscriptions to exactly `want`.
pub(crate) async fn sync(aws: &Aws, region: &str, function: &str, function_arn: &str, want: &[String]) -> Result<(), ProviderError> {
    let have = permitted(aws, region, function).await?;
    let lambda = client(aws, region);
    for topic in want {
        if !have.contains(topic) {
            let add = lambda
                .add_permission()
                .function_name(function)
                .statement_id(sid(topic))
                .action("lambda:InvokeFunction")
                .principal("sns.amazonaws.com")
                .source_arn(topic)
                .send()
                .await
                .map_err(err("AddPermission"));
            match add {
                Ok(_) => {}
                // Already there (a statement added by a run that died before subscribing).
                Err(e) if e.code.as_deref() == Some("ResourceConflictException") => {}
                Err(e) => return Err(e),
            }
        }
        // Subscribe is idempotent: an existing subscription is answered again.
        let c = sns(aws, region_of(topic, region));
        c.subscribe().topic_arn(topic).protocol("lambda").endpoint(function_arn).send().await.map_err(err("Subscribe"))?;
    }
    for topic in have.iter().filter(|t| !want.contains(t)) {
        let c = sns(aws, region_of(topic, region));
        for sub in subscriptions(aws, region, topic, function_arn).await? {
            strata_aws::unless_gone(c.unsubscribe().subscription_arn(sub).send().await.map_err(err("Unsubscribe")))?;
        }
        let remove = lambda.remove_permission().function_name(function).statement_id(sid(topic)).send().await.map_err(err("RemovePermission"));
        strata_aws::unless_gone(remove)?;
    }
    Ok(())
}
