//! `aws:lambda:Permission`: one statement of a function's resource policy,
//! letting a principal (a service such as `apigateway.amazonaws.com` or
//! `sns.amazonaws.com`, or an account) invoke the function, optionally only
//! from one source ARN or account.
//!
//! A statement carries no tags. With no state file it is known by its
//! statement id, `strata-<stack>-<logical name>-<hash>`, each part escaped to
//! letters and digits (`_XX` for any other byte), the hash over what the
//! statement grants: a changed grant is a new statement, added before the old
//! one is removed. Discovery reads the policy of each of the stack's
//! functions (their list, with their tags, is shared with the functions'
//! own discovery) and keeps the statements whose id names the stack; a
//! statement is only ever added to a function that carries the stack's tag.

use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use strata_aws::error::err;
use strata_aws::kernel::{owner_tags, tags_as_declared, Created, Kind, NoTags, Seen, Want};
use strata_aws::naming::{escape, unescape};
use strata_aws::Aws;
use strata_core::{tags, Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, function_name};
use crate::function::{get_function, listed_functions};

strata_aws::kind_fields! {
    /// Permission to invoke a function.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_lambda::Permission;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// stack.add(
    ///     "orders-from-api",
    ///     Permission::new("demo-orders", "apigateway.amazonaws.com")
    ///         .source_arn("arn:aws:execute-api:eu-central-1:111122223333:a1b2c3/*"),
    /// );
    /// ```
    pub struct Permission: "aws:lambda:Permission";
    values PermissionValues;
    handle PermissionHandle / PermissionOutputs { statement_id };
    fields {
        /// The function's name (one of the stack's functions).
        function: str [replace required];
        /// Who may invoke it: a service principal (`apigateway.amazonaws.com`) or an account id.
        principal: str [replace required];
        /// The action granted (default `lambda:InvokeFunction`).
        action: str [replace] = "lambda:InvokeFunction";
        /// Only calls on behalf of this resource (an API's execute-api ARN, a topic's ARN).
        source_arn: str [replace cleared];
        /// Only calls from resources of this account.
        source_account: str [replace cleared];
    }
}

impl Permission {
    /// Let `principal` invoke the function named `function`.
    pub fn new(function: impl Into<Arg<String>>, principal: impl Into<Arg<String>>) -> Self {
        Self::empty().function(function).principal(principal)
    }
}

type V = PermissionValues;

/// The kind behind [`Permission`].
pub(crate) struct Permissions;

/// A statement as read: the function, its id, what it grants and the stack
/// and logical name its id names.
pub(crate) struct Item {
    function: String,
    sid: String,
    principal: Option<String>,
    action: Option<String>,
    source_arn: Option<String>,
    source_account: Option<String>,
    owner: Option<(String, String)>,
}

const SID_PREFIX: &str = "strata-";
/// Lambda's limit on a statement id.
const SID_MAX: usize = 100;

/// The statement id without its hash: the longest part of a statement id.
fn sid_base(stack: &str, logical: &str) -> String {
    format!("{SID_PREFIX}{}-{}", escape(stack), escape(logical))
}

fn statement_id(stack: &str, logical: &str, v: &V) -> String {
    let grant = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        v.function.as_deref().unwrap_or_default(),
        v.principal.as_deref().unwrap_or_default(),
        v.action.as_deref().unwrap_or_default(),
        v.source_arn.as_deref().unwrap_or_default(),
        v.source_account.as_deref().unwrap_or_default()
    );
    let hash: String = Sha256::digest(grant.as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hash}", sid_base(stack, logical))
}

/// The stack and logical name a statement id names.
fn owner_of(sid: &str) -> Option<(String, String)> {
    let mut parts = sid.strip_prefix(SID_PREFIX)?.split('-');
    let (stack, logical, _hash) = (parts.next()?, parts.next()?, parts.next()?);
    parts.next().is_none().then_some(())?;
    Some((unescape(stack)?, unescape(logical)?))
}

fn items_of(function: &str, policy: &str) -> Vec<Item> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy) else { return Vec::new() };
    let statements = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(s @ serde_json::Value::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    };
    statements
        .into_iter()
        .filter_map(|s| {
            let sid = s.get("Sid")?.as_str()?.to_string();
            let owner = owner_of(&sid);
            owner.as_ref()?;
            let principal = match s.get("Principal") {
                Some(serde_json::Value::String(p)) => Some(p.clone()),
                Some(p) => p.get("Service").or_else(|| p.get("AWS")).and_then(|v| v.as_str()).map(|p| {
                    // An account is answered as its root ARN.
                    p.strip_prefix("arn:aws:iam::").and_then(|r| r.strip_suffix(":root")).unwrap_or(p).to_string()
                }),
                None => None,
            };
            let cond = |op: &str, key: &str| s.get("Condition").and_then(|c| c.get(op)).and_then(|c| c.get(key)).and_then(|v| v.as_str()).map(str::to_string);
            Some(Item {
                function: function.to_string(),
                principal,
                action: s.get("Action").and_then(|a| a.as_str()).map(str::to_string),
                source_arn: cond("ArnLike", "AWS:SourceArn"),
                source_account: cond("StringEquals", "AWS:SourceAccount"),
                sid,
                owner,
            })
        })
        .collect()
}

/// The strata statements of `function`'s policy (none without a policy).
async fn statements(aws: &Aws, region: &str, function: &str) -> Result<Vec<Item>, ProviderError> {
    let out = strata_aws::found(client(aws, region).get_policy().function_name(function).send().await.map_err(err("GetPolicy")))?;
    Ok(out.and_then(|o| o.policy().map(|p| items_of(function, p))).unwrap_or_default())
}

#[async_trait]
impl Kind for Permissions {
    type Builder = Permission;
    type Item = Item;
    type Tags = NoTags;

    fn id(item: &Item) -> Option<&str> {
        Some(&item.sid)
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(owner_tags(item.owner.as_ref()))
    }

    fn observe(item: &Item) -> Seen<Permission> {
        Seen {
            values: V {
                function: Some(item.function.clone()),
                principal: item.principal.clone(),
                action: item.action.clone(),
                source_arn: item.source_arn.clone(),
                source_account: item.source_account.clone(),
                ..V::default()
            },
            outputs: PermissionOutputs { statement_id: Some(item.sid.clone()) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let mut out = Vec::new();
        for f in listed_functions(aws, scope).await?.iter().filter(|f| f.tags.get(tags::STACK) == Some(&scope.stack)) {
            let Some(name) = f.config.function_name() else { continue };
            out.extend(statements(aws, &scope.region, name).await?);
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        // The id alone does not name the function: the stack's functions are
        // read (a get is rare: after a create, and before a retried one).
        let Some((stack, _)) = owner_of(id) else { return Ok(None) };
        let scope = DiscoverScope::new(stack, region);
        Ok(self.list(aws, &scope).await?.into_iter().find(|i| i.sid == id))
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, Permission>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let function = function_name(v.function.as_deref().unwrap_or_default()).to_string();
        let theirs = get_function(aws, &cx.region, &function).await?;
        if theirs.as_ref().is_none_or(|f| f.tags.get(tags::STACK) != Some(&cx.stack)) {
            return Err(ProviderError::new(
                ErrorClass::Invalid,
                "AddPermission",
                format!("`{}`: the function {function:?} is not this stack's (strata adds permissions only to its own functions)", cx.name),
            ));
        }
        let sid = statement_id(&cx.stack, &cx.name, v);
        client(aws, &cx.region)
            .add_permission()
            .function_name(&function)
            .statement_id(&sid)
            .set_action(v.action.clone())
            .set_principal(v.principal.clone())
            .set_source_arn(v.source_arn.clone())
            .set_source_account(v.source_account.clone())
            .send()
            .await
            .map_err(err("AddPermission"))?;
        Ok(Created::Item(Item {
            function,
            principal: v.principal.clone(),
            action: v.action.clone(),
            source_arn: v.source_arn.clone(),
            source_account: v.source_account.clone(),
            owner: owner_of(&sid),
            sid,
        }))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let function = actual.props.get(V::function).and_then(Value::as_str).ok_or_else(|| strata_aws::lacks("RemovePermission", "function", &cx.name))?;
        let call = client(aws, &cx.region).remove_permission().function_name(function).statement_id(&actual.id);
        call.send().await.map(|_| ()).map_err(err("RemovePermission"))
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::Str(f)) = props.get_mut(V::function) {
            *f = function_name(f).to_string();
        }
    }

    fn reconcile(want: &Props, have: &mut Props) {
        tags_as_declared(want, have);
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let base = sid_base(stack.name(), r);
        if base.len() + 9 > SID_MAX {
            out.push(Diagnostic::field(
                r,
                V::function,
                format!("the statement id this permission needs is {} characters (Lambda allows {SID_MAX}): shorten the logical name", base.len() + 9),
            ));
        }
        if let Some(p) = decl.known(V::principal).and_then(|v| v.as_str().map(str::to_string)) {
            let account = p.len() == 12 && p.chars().all(|c| c.is_ascii_digit());
            if !(account || p.ends_with(".amazonaws.com") || p.starts_with("arn:") || p == "*") {
                out.push(Diagnostic::field(r, V::principal, format!("{p:?} is neither a service principal (such as apigateway.amazonaws.com) nor an account id")));
            }
            if p == "*" && decl.known(V::source_arn).is_none_or(|v| v == Value::Null) {
                out.push(Diagnostic::field(r, V::principal, "\"*\" without a source ARN lets anyone invoke the function"));
            }
        }
        if let Some(a) = decl.known(V::action).and_then(|v| v.as_str().map(str::to_string)).filter(|a| !a.starts_with("lambda:")) {
            out.push(Diagnostic::field(r, V::action, format!("{a:?} is not a Lambda action (lambda:InvokeFunction, lambda:InvokeFunctionUrl, ...)")));
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_id_names_its_stack_and_logical_name() {
        let v = V { function: Some("f".into()), principal: Some("sns.amazonaws.com".into()), ..V::default() };
        let sid = statement_id("shop-prod", "api/invoke orders", &v);
        assert!(sid.len() <= SID_MAX && sid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{sid}");
        assert_eq!(owner_of(&sid), Some(("shop-prod".to_string(), "api/invoke orders".to_string())));
        let other = V { source_arn: Some("arn:aws:sns:eu-central-1:1:t".into()), ..v };
        assert_ne!(statement_id("shop-prod", "api/invoke orders", &other), sid, "a new grant is a new statement");
        assert_eq!(owner_of("AllowApiGateway"), None);
        assert_eq!(owner_of("strata-a-b"), None);
    }

    #[test]
    fn statements_read_back_with_their_conditions() {
        let policy = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"strata-s-api-0a0b0c0d","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction",
             "Resource":"arn:aws:lambda:eu-central-1:1:function:f","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:eu-central-1:1:x/*"}}},
            {"Sid":"theirs","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"lambda:InvokeFunction"}]}"#;
        let items = items_of("f", policy);
        assert_eq!(items.len(), 1, "only strata's statements");
        assert_eq!(items[0].principal.as_deref(), Some("apigateway.amazonaws.com"));
        assert_eq!(items[0].source_arn.as_deref(), Some("arn:aws:execute-api:eu-central-1:1:x/*"));
        assert_eq!(items[0].owner, Some(("s".into(), "api".into())));
        assert_eq!(function_name("arn:aws:lambda:eu-central-1:1:function:orders:live"), "orders");
    }
}
