//! Application load balancing (`aws-sdk-elasticloadbalancingv2`): load
//! balancers, target groups (with their instance targets), listeners and
//! listener rules.
//!
//! ELBv2 list calls cannot filter by tag: discovery lists each kind once
//! (paginated) and reads tags in batches of 20 ARNs with `DescribeTags`.
//! Listeners and rules are listed per parent (the API has no other form).
//! Load balancer and target group names are at most 32 characters: when the
//! program sets none, they are derived from stack and logical name (cut, plus
//! a short hash of the whole), the same on every run.

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_elasticloadbalancingv2, "elbv2");

mod listener;
mod load_balancer;
mod target_group;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_elasticloadbalancingv2::types::{
    Action as SdkAction, ActionTypeEnum, FixedResponseActionConfig, HostHeaderConditionConfig, HttpHeaderConditionConfig,
    PathPatternConditionConfig, RedirectActionConfig, RedirectActionStatusCodeEnum, RuleCondition, Tag,
};
use sha2::{Digest, Sha256};
use strata_core::{Arg, Input, Tags, Value};
use strata_engine::{ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::Aws;

pub use listener::{Condition, Listener, ListenerHandle, ListenerRule, ListenerRuleHandle};
pub use load_balancer::{LoadBalancer, LoadBalancerHandle};
pub use target_group::{HealthCheck, TargetGroup, TargetGroupHandle, TargetGroupOutputs, TargetGroupValues};

pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(load_balancer::LoadBalancerProvider { aws: aws.clone() }));
    r.register(Arc::new(strata_aws::kernel::KindProvider::new(aws, target_group::TargetGroups)));
    r.register(Arc::new(listener::ListenerProvider { aws: aws.clone() }));
    r.register(Arc::new(listener::RuleProvider { aws: aws.clone() }));
}

/// A deterministic ELB name of at most 32 characters from stack and logical
/// name: letters, digits and hyphens, no leading or trailing hyphen.
pub fn derived_name(stack: &str, logical: &str) -> String {
    let full = format!("{stack}-{logical}");
    let clean: String = full.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let clean = clean.trim_matches('-').to_string();
    if clean.len() <= 32 && !clean.starts_with("internal-") {
        return clean;
    }
    let hash: String = Sha256::digest(full.as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect();
    let head: String = clean.chars().take(32 - 1 - hash.len()).collect();
    format!("{}-{hash}", head.trim_end_matches('-'))
}

/// A derived name that also depends on the fields that force replacement
/// (`salt`), so that a create-before-delete replacement gets a new name while
/// the old resource still holds the old one. Stable across runs.
pub fn derived_name_salted(stack: &str, logical: &str, salt: &str) -> String {
    let full = format!("{stack}-{logical}");
    let clean: String = full.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let hash: String =
        Sha256::digest(format!("{full}\u{0}{salt}").as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect();
    let head: String = clean.trim_matches('-').chars().take(32 - 1 - hash.len()).collect();
    format!("{}-{hash}", head.trim_end_matches('-'))
}

/// Why an explicit ELB name is not allowed, if it is not.
pub(crate) fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > 32 {
        return Some(format!("{name:?} must be 1-32 characters"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || name.starts_with('-') || name.ends_with('-') {
        return Some(format!("{name:?} may hold only letters, digits and inner hyphens"));
    }
    if name.starts_with("internal-") {
        return Some(format!("{name:?} must not start with internal-"));
    }
    None
}

/// Tags of many ARNs, 20 per `DescribeTags` call.
pub(crate) async fn tags_of(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    arns: &[String],
) -> Result<BTreeMap<String, Tags>, ProviderError> {
    let mut out = BTreeMap::new();
    for chunk in arns.chunks(20) {
        let r = client.describe_tags().set_resource_arns(Some(chunk.to_vec())).send().await.map_err(err("DescribeTags"))?;
        for d in r.tag_descriptions() {
            let tags: Tags = d
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
                .collect();
            out.insert(d.resource_arn().unwrap_or_default().to_string(), tags);
        }
    }
    Ok(out)
}

/// The items tagged for `stack`, with their tags: reads tags 20 ARNs at a
/// time and keeps what carries `strata:stack = stack`.
pub(crate) async fn tagged_for_stack<'a, T>(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    items: &'a [T],
    arn: impl Fn(&T) -> Option<&str>,
    stack: &str,
) -> Result<Vec<(&'a T, Tags)>, ProviderError> {
    let arns: Vec<String> = items.iter().filter_map(|i| arn(i).map(str::to_string)).collect();
    let mut tags = tags_of(client, &arns).await?;
    Ok(items
        .iter()
        .filter_map(|i| {
            let t = tags.remove(arn(i)?)?;
            (t.get(strata_core::tags::STACK).map(String::as_str) == Some(stack)).then_some((i, t))
        })
        .collect())
}

/// The stack's load balancers in the scope's region, with their tags: one
/// `DescribeLoadBalancers` and one `DescribeTags` per discovery pass, shared
/// by the load balancer, listener and listener-rule kinds.
pub(crate) async fn stack_load_balancers(
    aws: &Aws,
    scope: &strata_engine::DiscoverScope,
) -> Result<Arc<Vec<(aws_sdk_elasticloadbalancingv2::types::LoadBalancer, Tags)>>, ProviderError> {
    let key = format!("elbv2:stack-load-balancers:{}:{}", scope.region, scope.stack);
    aws.shared_lists()
        .get(scope, key, || async {
            let c = crate::client(aws, &scope.region);
            let pages = c.describe_load_balancers().into_paginator().items().send();
            let all = strata_aws::error::all_pages(pages, "DescribeLoadBalancers").await?;
            let ours = tagged_for_stack(&c, &all, |l| l.load_balancer_arn(), &scope.stack).await?;
            Ok(ours.into_iter().map(|(lb, t)| (lb.clone(), t)).collect())
        })
        .await
}

/// The listeners of one load balancer (once per discovery pass: the listener
/// and listener-rule kinds both need them).
pub(crate) async fn listeners_of(
    aws: &Aws,
    scope: &strata_engine::DiscoverScope,
    lb: &str,
) -> Result<Arc<Vec<aws_sdk_elasticloadbalancingv2::types::Listener>>, ProviderError> {
    let key = format!("elbv2:DescribeListeners:{}:{lb}", scope.region);
    aws.shared_lists()
        .get(scope, key, || async {
            let pages = crate::client(aws, &scope.region).describe_listeners().load_balancer_arn(lb).into_paginator().items().send();
            strata_aws::error::all_pages(pages, "DescribeListeners").await
        })
        .await
}

pub(crate) fn sdk_tags(props: &strata_core::Props) -> Vec<Tag> {
    tag_list(&strata_aws::desired_tags(props))
}

pub(crate) fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// ELBv2 tags by ARN, for the kinds on the resource kernel (their discovery
/// reads tags 20 ARNs a call and carries them).
pub(crate) struct Elbv2Tags;

#[async_trait::async_trait]
impl strata_aws::kernel::Tagging for Elbv2Tags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        let mut found = tags_of(&crate::client(aws, region), &[arn.to_string()]).await?;
        found.remove(arn).ok_or_else(|| ProviderError::new(strata_engine::ErrorClass::NotFound, "DescribeTags", format!("{arn} has no tags answer")))
    }
    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        let c = crate::client(aws, region);
        if !add.is_empty() {
            c.add_tags().resource_arns(arn).set_tags(Some(tag_list(add))).send().await.map_err(err("AddTags"))?;
        }
        if !remove.is_empty() {
            c.remove_tags().resource_arns(arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("RemoveTags"))?;
        }
        Ok(())
    }
}

/// Add and remove tags so that `arn` carries `want`.
pub(crate) async fn sync_tags(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    arn: &str,
    have: &Tags,
    want: &Tags,
) -> Result<(), ProviderError> {
    let (add, remove) = strata_aws::tag_changes(have, want);
    let add: Vec<Tag> = add.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
    if !add.is_empty() {
        client.add_tags().resource_arns(arn).set_tags(Some(add)).send().await.map_err(err("AddTags"))?;
    }
    if !remove.is_empty() {
        client.remove_tags().resource_arns(arn).set_tag_keys(Some(remove)).send().await.map_err(err("RemoveTags"))?;
    }
    Ok(())
}

/// The provider trait's `set_tags` for any ELBv2 resource.
pub(crate) async fn set_tags(
    aws: &Aws,
    cx: &strata_engine::OpContext,
    actual: &strata_engine::Observed,
    add: &Tags,
    remove: &[String],
) -> Result<(), ProviderError> {
    let mut want = actual.tags();
    want.extend(add.clone());
    want.retain(|k, _| !remove.contains(k));
    sync_tags(&crate::client(aws, &cx.region), &actual.id, &actual.tags(), &want).await
}

/// What a listener or rule does with a request.
///
/// ```
/// use strata_aws_elbv2::Action;
/// let deny = Action::fixed_response(403, "text/plain", "Forbidden");
/// let to_https = Action::redirect_to_https();
/// # let _ = (deny, to_https);
/// ```
#[derive(Clone, Debug)]
pub struct Action(Input);

impl Action {
    /// Forward to a target group.
    pub fn forward(target_group_arn: impl Into<Arg<String>>) -> Action {
        Action(Input::Map(BTreeMap::from([
            ("type".to_string(), Input::from("forward")),
            ("target_group_arn".to_string(), target_group_arn.into().into_input()),
        ])))
    }
    /// Answer directly.
    pub fn fixed_response(status_code: u16, content_type: &str, body: &str) -> Action {
        Action(Input::Known(Value::Map(BTreeMap::from([
            ("type".to_string(), Value::str("fixed-response")),
            ("status_code".to_string(), Value::Str(status_code.to_string())),
            ("content_type".to_string(), Value::str(content_type)),
            ("message_body".to_string(), Value::str(body)),
        ]))))
    }
    /// A permanent redirect to HTTPS on port 443.
    pub fn redirect_to_https() -> Action {
        Action(Input::Known(Value::Map(BTreeMap::from([
            ("type".to_string(), Value::str("redirect")),
            ("protocol".to_string(), Value::str("HTTPS")),
            ("port".to_string(), Value::str("443")),
            ("status_code".to_string(), Value::str("HTTP_301")),
        ]))))
    }
    pub(crate) fn into_input(self) -> Input {
        self.0
    }
}

fn ms(m: &BTreeMap<String, Value>, k: &str) -> Option<String> {
    m.get(k).and_then(|v| v.as_str().map(str::to_string))
}

pub(crate) fn action_to_sdk(v: &Value) -> Option<SdkAction> {
    let m = v.as_map()?;
    let b = SdkAction::builder();
    let a = match ms(m, "type")?.as_str() {
        "forward" => b.r#type(ActionTypeEnum::Forward).target_group_arn(ms(m, "target_group_arn")?),
        "fixed-response" => b.r#type(ActionTypeEnum::FixedResponse).fixed_response_config(
            FixedResponseActionConfig::builder()
                .status_code(ms(m, "status_code")?)
                .set_content_type(ms(m, "content_type"))
                .set_message_body(ms(m, "message_body"))
                .build(),
        ),
        "redirect" => b.r#type(ActionTypeEnum::Redirect).redirect_config(
            RedirectActionConfig::builder()
                .set_protocol(ms(m, "protocol"))
                .set_port(ms(m, "port"))
                .status_code(RedirectActionStatusCodeEnum::from(ms(m, "status_code")?.as_str()))
                .build(),
        ),
        _ => return None,
    };
    Some(a.build())
}

pub(crate) fn action_from_sdk(a: &SdkAction) -> Value {
    let mut m = BTreeMap::new();
    match a.r#type() {
        Some(ActionTypeEnum::Forward) => {
            m.insert("type".into(), Value::str("forward"));
            let tg = a.target_group_arn().map(str::to_string).or_else(|| {
                a.forward_config()
                    .and_then(|f| f.target_groups().first())
                    .and_then(|t| t.target_group_arn())
                    .map(str::to_string)
            });
            m.insert("target_group_arn".into(), Value::Str(tg.unwrap_or_default()));
        }
        Some(ActionTypeEnum::FixedResponse) => {
            let c = a.fixed_response_config();
            m.insert("type".into(), Value::str("fixed-response"));
            m.insert("status_code".into(), Value::str(c.and_then(|c| c.status_code()).unwrap_or_default()));
            m.insert("content_type".into(), Value::str(c.and_then(|c| c.content_type()).unwrap_or_default()));
            m.insert("message_body".into(), Value::str(c.and_then(|c| c.message_body()).unwrap_or_default()));
        }
        Some(ActionTypeEnum::Redirect) => {
            let c = a.redirect_config();
            m.insert("type".into(), Value::str("redirect"));
            m.insert("protocol".into(), Value::str(c.and_then(|c| c.protocol()).unwrap_or_default()));
            m.insert("port".into(), Value::str(c.and_then(|c| c.port()).unwrap_or_default()));
            m.insert("status_code".into(), Value::str(c.and_then(|c| c.status_code()).map(|s| s.as_str()).unwrap_or_default()));
        }
        other => {
            m.insert("type".into(), Value::Str(other.map(|t| t.as_str().to_string()).unwrap_or_default()));
        }
    }
    Value::Map(m)
}

pub(crate) fn condition_to_sdk(v: &Value) -> Option<RuleCondition> {
    let m = v.as_map()?;
    let values: Vec<String> =
        m.get("values")?.expose().as_list()?.iter().filter_map(|x| x.as_str().map(str::to_string)).collect();
    let field = ms(m, "field")?;
    let b = RuleCondition::builder().field(&field);
    Some(match field.as_str() {
        "http-header" => b
            .http_header_config(
                HttpHeaderConditionConfig::builder()
                    .http_header_name(ms(m, "name")?)
                    .set_values(Some(values))
                    .build(),
            )
            .build(),
        "path-pattern" => b.path_pattern_config(PathPatternConditionConfig::builder().set_values(Some(values)).build()).build(),
        "host-header" => b.host_header_config(HostHeaderConditionConfig::builder().set_values(Some(values)).build()).build(),
        _ => return None,
    })
}

pub(crate) fn condition_from_sdk(c: &RuleCondition) -> Value {
    let field = c.field().unwrap_or_default().to_string();
    let mut m = BTreeMap::from([("field".to_string(), Value::Str(field.clone()))]);
    let strs = |v: &[String]| Value::List(v.iter().map(|s| Value::Str(s.clone())).collect());
    match field.as_str() {
        "http-header" => {
            let h = c.http_header_config();
            m.insert("name".into(), Value::str(h.and_then(|h| h.http_header_name()).unwrap_or_default()));
            // Header values are often shared secrets: never print them.
            let vals = h.map(|h| h.values().to_vec()).unwrap_or_else(|| c.values().to_vec());
            m.insert("values".into(), Value::Secret(Box::new(strs(&vals))));
        }
        "path-pattern" => {
            let vals = c.path_pattern_config().map(|p| p.values().to_vec()).unwrap_or_else(|| c.values().to_vec());
            m.insert("values".into(), strs(&vals));
        }
        "host-header" => {
            let vals = c.host_header_config().map(|p| p.values().to_vec()).unwrap_or_else(|| c.values().to_vec());
            m.insert("values".into(), strs(&vals));
        }
        _ => {
            m.insert("values".into(), strs(c.values()));
        }
    }
    Value::Map(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_32_characters_and_stay_stable() {
        assert_eq!(derived_name("shop-prod", "alb"), "shop-prod-alb");
        let long = derived_name("magento-production-frankfurt", "net/public-application-lb");
        assert!(long.len() <= 32, "{long}");
        assert_eq!(long, derived_name("magento-production-frankfurt", "net/public-application-lb"));
        assert_ne!(long, derived_name("magento-production-frankfurt", "net/public-application-lb2"));
        assert!(name_problem(&long).is_none());
        let a = derived_name_salted("shop", "tg", "HTTP/80");
        assert_eq!(a, derived_name_salted("shop", "tg", "HTTP/80"));
        assert_ne!(a, derived_name_salted("shop", "tg", "HTTP/8080"));
        assert!(a.len() <= 32 && name_problem(&a).is_none(), "{a}");
        assert!(name_problem("internal-x").is_some());
        assert!(name_problem(&"a".repeat(33)).is_some());
    }

    #[test]
    fn actions_and_conditions_round_trip() {
        for a in [Action::fixed_response(403, "text/plain", "Forbidden"), Action::redirect_to_https()] {
            let v = a.into_input().known().unwrap();
            assert_eq!(action_from_sdk(&action_to_sdk(&v).unwrap()), v);
        }
        let c = Value::Map(BTreeMap::from([
            ("field".to_string(), Value::str("http-header")),
            ("name".to_string(), Value::str("X-Origin-Verify")),
            ("values".to_string(), Value::Secret(Box::new(Value::List(vec![Value::str("s3cr3t")])))),
        ]));
        let back = condition_from_sdk(&condition_to_sdk(&c).unwrap());
        assert_eq!(back.expose(), c.expose());
        assert!(!back.to_string().contains("s3cr3t"));
    }
}
