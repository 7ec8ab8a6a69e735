//! WAFv2: `aws:wafv2:IpSet` and `aws:wafv2:WebAcl` (IP-set block rules, AWS
//! managed rule groups, rate-based rules; logging to an `aws-waf-logs-*`
//! bucket; regional association with load balancers and API Gateway stages).
//!
//! Scope `CLOUDFRONT` objects live in us-east-1 (declare them with
//! `ResourceOptions::region("us-east-1")`); `REGIONAL` ones in their region.
//! Every update sends the lock token of a fresh read and, when another writer
//! got in first (`WAFOptimisticLockException`), reads again and retries.
//!
//! Discovery lists IP sets and web ACLs per scope and reads each one's tags.
//! The logging configuration is read per owned ACL. Associations are listed
//! (`ListResourcesForWebACL`, once per resource type: load balancers and API
//! stages) only for ACLs whose `strata:associations` tag says they have
//! some, which saves those calls for every other ACL.

strata_aws::sdk_client!(pub(crate) fn client = aws_sdk_wafv2, "wafv2");

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_wafv2::types::{
    AllowAction, BlockAction, DefaultAction, IpSetReferenceStatement, LoggingConfiguration,
    ManagedRuleGroupStatement, OverrideAction, RateBasedStatement, RateBasedStatementAggregateKeyType, ResourceType, Rule,
    RuleAction, Scope, Statement, Tag, VisibilityConfig,
};
use strata_core::{tags, Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, Provider, ProviderError, Registry};

use strata_aws::error::err;
use strata_aws::kernel::{KindProvider, Tagging};
use strata_aws::props::{str_of, strs};
use strata_aws::Aws;

/// Register the WAFv2 kinds.
pub fn register(aws: &Aws, r: &mut Registry) {
    r.register(Arc::new(KindProvider::new(aws, ip_set::IpSets)));
    r.register(Arc::new(web_acl::WebAclProvider { aws: aws.clone() }));
}

/// The tag that says a web ACL has regional associations to list.
pub const ASSOCIATIONS_TAG: &str = strata_core::tags::ASSOCIATIONS;

/// Where a WAF object applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WafScope {
    /// CloudFront distributions (the object lives in us-east-1).
    CloudFront,
    /// Regional resources: load balancers, API stages.
    Regional,
}

impl WafScope {
    fn api(self) -> &'static str {
        match self {
            WafScope::CloudFront => "CLOUDFRONT",
            WafScope::Regional => "REGIONAL",
        }
    }
}

fn scope_of(props: &Props) -> Scope {
    Scope::from(str_of(props, "scope").unwrap_or_else(|| "REGIONAL".into()).as_str())
}

fn name_of(stack: &str, logical: &str) -> String {
    format!("{stack}-{logical}").chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).take(128).collect()
}

fn name_problem(n: &str) -> Option<String> {
    (n.is_empty() || n.len() > 128 || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .then(|| format!("{n:?} must be 1-128 letters, digits, - or _"))
}

/// `(name, id)` from a WAF ARN (`.../regional/ipset/<name>/<id>`).
fn name_and_id(arn: &str) -> (String, String) {
    let mut parts = arn.rsplit('/');
    let id = parts.next().unwrap_or_default().to_string();
    let name = parts.next().unwrap_or_default().to_string();
    (name, id)
}

fn scope_problem(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
    if decl.known("scope").and_then(|v| v.as_str().map(str::to_string)).as_deref() == Some("CLOUDFRONT") {
        let region = stack.region_of(decl);
        if region != "us-east-1" {
            out.push(Diagnostic::field(
                &decl.name,
                "scope",
                format!("CLOUDFRONT scope lives in us-east-1, not {region}; add ResourceOptions::new().region(\"us-east-1\")"),
            ));
        }
    }
}

async fn tags_of(c: &aws_sdk_wafv2::Client, arn: &str) -> Result<Tags, ProviderError> {
    let out = c.list_tags_for_resource().resource_arn(arn).send().await.map_err(err("ListTagsForResource"));
    // Deleted since it was listed: no tags, so not this stack's.
    let Some(out) = strata_aws::unless_gone(out)? else { return Ok(Tags::new()) };
    Ok(out
        .tag_info_for_resource()
        .map(|i| i.tag_list().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
        .unwrap_or_default())
}

fn sdk_tags(t: &Tags) -> Vec<Tag> {
    t.iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

async fn set_tags(c: &aws_sdk_wafv2::Client, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
    if !remove.is_empty() {
        c.untag_resource().resource_arn(arn).set_tag_keys(Some(remove.to_vec())).send().await.map_err(err("UntagResource"))?;
    }
    if !add.is_empty() {
        c.tag_resource().resource_arn(arn).set_tags(Some(sdk_tags(add))).send().await.map_err(err("TagResource"))?;
    }
    Ok(())
}

/// WAFv2 tags by ARN, for the kinds on the resource kernel (the web ACL's
/// own calls share its helpers).
pub(crate) struct WafTags;

#[async_trait]
impl Tagging for WafTags {
    async fn read(aws: &Aws, region: &str, arn: &str) -> Result<Tags, ProviderError> {
        tags_of(&client(aws, region), arn).await
    }
    async fn write(aws: &Aws, region: &str, arn: &str, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        set_tags(&client(aws, region), arn, add, remove).await
    }
}

fn build<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, ProviderError> {
    r.map_err(|e| ProviderError::new(ErrorClass::Invalid, "build", e.to_string()))
}

fn is_lock_conflict(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("WAFOptimisticLockException")
}

/// Run a read-token-then-write `update`, again (up to five times) when another
/// writer changed the object in between (`WAFOptimisticLockException`).
async fn with_fresh_lock_token<F, Fut>(mut update: F) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), ProviderError>>,
{
    let mut attempt = 0;
    loop {
        match update().await {
            Err(e) if is_lock_conflict(&e) && attempt < 5 => attempt += 1,
            other => return other,
        }
    }
}

/// The ARNs, scopes and tags of the stack's objects of one kind: `page` lists
/// one page of a scope after a marker; CLOUDFRONT scope only from us-east-1.
async fn owned_arns<F, Fut>(c: &aws_sdk_wafv2::Client, scope: &DiscoverScope, mut page: F) -> Result<Vec<(Scope, String, Tags)>, ProviderError>
where
    F: FnMut(Scope, Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<String>, Option<String>), ProviderError>>,
{
    let mut out = Vec::new();
    for s in scopes(&scope.region) {
        let mut marker = None;
        loop {
            let (arns, next) = page(s.clone(), marker.take()).await?;
            let last = arns.is_empty();
            for arn in arns {
                let t = tags_of(c, &arn).await?;
                if t.get(tags::STACK) == Some(&scope.stack) {
                    out.push((s.clone(), arn, t));
                }
            }
            match next {
                Some(m) if !last => marker = Some(m),
                _ => break,
            }
        }
    }
    Ok(out)
}

/// The scopes a region's discovery looks at: CloudFront objects only from us-east-1.
fn scopes(region: &str) -> Vec<Scope> {
    if region == "us-east-1" {
        vec![Scope::Regional, Scope::Cloudfront]
    } else {
        vec![Scope::Regional]
    }
}

mod ip_set;
mod web_acl;

pub use ip_set::{IpSet, IpSetHandle, IpSetOutputs, IpSetValues};
pub use web_acl::*;
