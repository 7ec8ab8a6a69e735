//! `aws:cognito:UserPoolClient`: an app client of a user pool: its OAuth
//! flows, scopes, callback and logout URLs, auth flows, token lifetimes and
//! whether it has a secret.
//!
//! A client carries no tags. It is known by its name,
//! `<stack>.<logical name>` (each part escaped to letters and digits,
//! any other byte as `_XX`), read only from the stack's own pools (their
//! list is shared with the pools' discovery: one `ListUserPoolClients` and a
//! `DescribeUserPoolClient` per client of each), and made only in a pool
//! that carries the stack's tag. `UpdateUserPoolClient` sets what it is not
//! given back to its default, so each update sends the whole declaration.
//! Whether a client has a secret cannot change: it replaces the client.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::{
    ExplicitAuthFlowsType, OAuthFlowType, PreventUserExistenceErrorTypes, TimeUnitsType, TokenValidityUnitsType, UserPoolClientType,
};
use strata_aws::error::err;
use strata_aws::kernel::{owner_tags, tags_as_declared, Created, Kind, NoTags, Seen, Want};
use strata_aws::naming::{escape, unescape};
use strata_aws::Aws;
use strata_core::{tags, Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, describe, listed_pools, pool_id, tags_of};

strata_aws::kind_fields! {
    /// An app client of a user pool.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_cognito::{UserPool, UserPoolClient};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let users = stack.add("users", UserPool::new());
    /// let web = stack.add("web", UserPoolClient::browser(users.id(), ["https://shop.example.com/callback"]));
    /// let _ = web.client_id();
    /// ```
    pub struct UserPoolClient: "aws:cognito:UserPoolClient";
    values UserPoolClientValues;
    handle UserPoolClientHandle / UserPoolClientOutputs { client_id, client_name };
    fields {
        /// The pool's id (one of the stack's pools).
        pool: str [replace required];
        /// The client has a secret (a server-side app); a browser app cannot keep one.
        generate_secret: bool [replace] = false;
        /// Made for a browser (a single-page app): refused with a secret.
        browser_app: bool [replace private] = false;
        /// The OAuth flows allowed: `code`, `implicit`, `client_credentials`.
        oauth_flows: strs [update] = Vec::<String>::new();
        /// The OAuth scopes allowed (`openid`, `email`, `profile`, ...).
        oauth_scopes: strs [update] = Vec::<String>::new();
        /// Where the hosted UI may send users back to after sign-in.
        callback_urls: strs [update] = Vec::<String>::new();
        /// Where it may send them after sign-out.
        logout_urls: strs [update] = Vec::<String>::new();
        /// The identity providers (default: `COGNITO`, the pool's own users).
        identity_providers: strs [update] = vec!["COGNITO".to_string()];
        /// The authentication flows (default: SRP and refresh tokens).
        auth_flows: strs [update] = vec!["ALLOW_REFRESH_TOKEN_AUTH".to_string(), "ALLOW_USER_SRP_AUTH".to_string()];
        /// Access and ID token lifetime, minutes (5 to 1,440; default 60).
        token_minutes: int [update] = 60;
        /// Refresh token lifetime, days (1 to 3,650; default 30).
        refresh_token_days: int [update] = 30;
    }
}

impl UserPoolClient {
    /// A client for a single-page app: no secret, the authorization-code
    /// flow (with PKCE) and the `openid`, `email` and `profile` scopes,
    /// returning to `callback_urls`.
    pub fn browser<U: Into<String>>(pool: impl Into<Arg<String>>, callback_urls: impl IntoIterator<Item = U>) -> Self {
        Self::empty()
            .pool(pool)
            .browser_app(true)
            .oauth_flows(vec!["code".to_string()])
            .oauth_scopes(vec!["email".to_string(), "openid".to_string(), "profile".to_string()])
            .callback_urls(callback_urls.into_iter().map(Into::into).collect::<Vec<String>>())
    }

    /// A client for a server-side app, with a secret.
    pub fn server(pool: impl Into<Arg<String>>) -> Self {
        Self::empty().pool(pool).generate_secret(true)
    }
}

type V = UserPoolClientValues;

/// The kind behind [`UserPoolClient`].
pub(crate) struct Clients;

/// A client as read, with the stack and logical name its name gives.
pub(crate) struct Item {
    client: UserPoolClientType,
    owner: Option<(String, String)>,
}

pub(crate) fn client_name(stack: &str, logical: &str) -> String {
    format!("{}.{}", escape(stack), escape(logical))
}

fn owner_of(name: &str) -> Option<(String, String)> {
    let (stack, logical) = name.split_once('.')?;
    Some((unescape(stack)?, unescape(logical)?))
}

fn item(client: UserPoolClientType) -> Item {
    let owner = client.client_name().and_then(owner_of);
    Item { client, owner }
}

fn invalid(op: &str, msg: String) -> ProviderError {
    ProviderError::new(ErrorClass::Invalid, op, msg)
}

fn units() -> TokenValidityUnitsType {
    TokenValidityUnitsType::builder().access_token(TimeUnitsType::Minutes).id_token(TimeUnitsType::Minutes).refresh_token(TimeUnitsType::Days).build()
}

async fn clients_of(aws: &Aws, region: &str, pool: &str) -> Result<Vec<Item>, ProviderError> {
    let c = client(aws, region);
    let listed = c.list_user_pool_clients().user_pool_id(pool).max_results(60).into_paginator().items().send();
    let listed = listed.collect::<Result<Vec<_>, _>>().await.map_err(err("ListUserPoolClients"))?;
    let mut out = Vec::new();
    // Only strata's names (`<stack>.<logical>`) are described.
    for id in listed.iter().filter(|d| d.client_name().and_then(owner_of).is_some()).filter_map(|d| d.client_id()) {
        let got = strata_aws::found(c.describe_user_pool_client().user_pool_id(pool).client_id(id).send().await.map_err(err("DescribeUserPoolClient")))?;
        out.extend(got.and_then(|o| o.user_pool_client().cloned()).map(item));
    }
    Ok(out)
}

fn list_of(l: &[impl AsRef<str>]) -> Vec<String> {
    let mut v: Vec<String> = l.iter().map(|s| s.as_ref().to_string()).collect();
    v.sort();
    v
}

#[async_trait]
impl Kind for Clients {
    type Builder = UserPoolClient;
    type Item = Item;
    type Tags = NoTags;

    fn id(item: &Item) -> Option<&str> {
        item.client.client_id()
    }

    fn carried_tags(item: &Item) -> Option<Tags> {
        Some(owner_tags(item.owner.as_ref()))
    }

    fn observe(item: &Item) -> Seen<UserPoolClient> {
        let c = &item.client;
        Seen {
            values: V {
                pool: c.user_pool_id().map(str::to_string),
                generate_secret: Some(c.client_secret().is_some()),
                oauth_flows: Some(list_of(&c.allowed_o_auth_flows().iter().map(OAuthFlowType::as_str).collect::<Vec<_>>())),
                oauth_scopes: Some(list_of(c.allowed_o_auth_scopes())),
                callback_urls: Some(list_of(c.callback_urls())),
                logout_urls: Some(list_of(c.logout_urls())),
                identity_providers: Some(list_of(c.supported_identity_providers())),
                auth_flows: Some(list_of(&c.explicit_auth_flows().iter().map(ExplicitAuthFlowsType::as_str).collect::<Vec<_>>())),
                token_minutes: c.access_token_validity().map(i64::from),
                refresh_token_days: Some(i64::from(c.refresh_token_validity())),
                ..V::default()
            },
            outputs: UserPoolClientOutputs { client_id: c.client_id().map(str::to_string), client_name: c.client_name().map(str::to_string) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Item>, ProviderError> {
        let mut out = Vec::new();
        for p in listed_pools(aws, scope).await?.iter().filter(|p| tags_of(p).get(tags::STACK) == Some(&scope.stack)) {
            if let Some(id) = p.id() {
                out.extend(clients_of(aws, &scope.region, id).await?);
            }
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Item>, ProviderError> {
        // A client id alone does not name its pool: the region's pools are
        // read (a get is rare: after a create, and before a retried one).
        let scope = DiscoverScope::new(String::new(), region);
        for p in listed_pools(aws, &scope).await?.iter() {
            let Some(pool) = p.id() else { continue };
            let got = client(aws, region).describe_user_pool_client().user_pool_id(pool).client_id(id).send().await.map_err(err("DescribeUserPoolClient"));
            if let Some(found) = strata_aws::found(got)?.and_then(|o| o.user_pool_client().cloned()) {
                return Ok(Some(item(found)));
            }
        }
        Ok(None)
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, UserPoolClient>) -> Result<Created<Item>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let pool = pool_id(v.pool.as_deref().unwrap_or_default()).to_string();
        let theirs = describe(aws, &cx.region, &pool).await?;
        if theirs.as_ref().is_none_or(|p| tags_of(p).get(tags::STACK) != Some(&cx.stack)) {
            return Err(invalid("CreateUserPoolClient", format!("`{}`: the user pool {pool:?} is not this stack's (strata adds clients only to its own pools)", cx.name)));
        }
        let flows: Vec<OAuthFlowType> = v.oauth_flows.as_deref().unwrap_or_default().iter().map(|f| OAuthFlowType::from(f.as_str())).collect();
        let minutes = v.token_minutes.and_then(|m| i32::try_from(m).ok());
        let out = client(aws, &cx.region)
            .create_user_pool_client()
            .user_pool_id(&pool)
            .client_name(client_name(&cx.stack, &cx.name))
            .generate_secret(v.generate_secret == Some(true))
            .allowed_o_auth_flows_user_pool_client(!flows.is_empty())
            .set_allowed_o_auth_flows((!flows.is_empty()).then_some(flows))
            .set_allowed_o_auth_scopes(v.oauth_scopes.clone().filter(|s| !s.is_empty()))
            .set_callback_urls(v.callback_urls.clone().filter(|s| !s.is_empty()))
            .set_logout_urls(v.logout_urls.clone().filter(|s| !s.is_empty()))
            .set_supported_identity_providers(v.identity_providers.clone())
            .set_explicit_auth_flows(Some(v.auth_flows.as_deref().unwrap_or_default().iter().map(|f| ExplicitAuthFlowsType::from(f.as_str())).collect()))
            .set_access_token_validity(minutes)
            .set_id_token_validity(minutes)
            .set_refresh_token_validity(v.refresh_token_days.and_then(|d| i32::try_from(d).ok()))
            .token_validity_units(units())
            .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
            .send()
            .await
            .map_err(err("CreateUserPoolClient"))?;
        let made = out.user_pool_client().cloned().ok_or_else(|| strata_aws::lacks("CreateUserPoolClient", "UserPoolClient", &cx.name))?;
        Ok(Created::Item(item(made)))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, UserPoolClient>, _diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let pool = actual.props.get(V::pool).and_then(Value::as_str).ok_or_else(|| strata_aws::lacks("DescribeUserPoolClient", "UserPoolId", &cx.name))?;
        let flows: Vec<OAuthFlowType> = v.oauth_flows.as_deref().unwrap_or_default().iter().map(|f| OAuthFlowType::from(f.as_str())).collect();
        let minutes = v.token_minutes.and_then(|m| i32::try_from(m).ok());
        // The whole declaration: what UpdateUserPoolClient is not given goes back to its default.
        client(aws, &cx.region)
            .update_user_pool_client()
            .user_pool_id(pool)
            .client_id(&actual.id)
            .client_name(client_name(&cx.stack, &cx.name))
            .allowed_o_auth_flows_user_pool_client(!flows.is_empty())
            .set_allowed_o_auth_flows(Some(flows))
            .set_allowed_o_auth_scopes(v.oauth_scopes.clone())
            .set_callback_urls(v.callback_urls.clone())
            .set_logout_urls(v.logout_urls.clone())
            .set_supported_identity_providers(v.identity_providers.clone())
            .set_explicit_auth_flows(Some(v.auth_flows.as_deref().unwrap_or_default().iter().map(|f| ExplicitAuthFlowsType::from(f.as_str())).collect()))
            .set_access_token_validity(minutes)
            .set_id_token_validity(minutes)
            .set_refresh_token_validity(v.refresh_token_days.and_then(|d| i32::try_from(d).ok()))
            .token_validity_units(units())
            .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
            .send()
            .await
            .map(|_| ())
            .map_err(err("UpdateUserPoolClient"))
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let pool = actual.props.get(V::pool).and_then(Value::as_str).ok_or_else(|| strata_aws::lacks("DescribeUserPoolClient", "UserPoolId", &cx.name))?;
        client(aws, &cx.region).delete_user_pool_client().user_pool_id(pool).client_id(&actual.id).send().await.map(|_| ()).map_err(err("DeleteUserPoolClient"))
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::Str(p)) = props.get_mut(V::pool) {
            *p = pool_id(p).to_string();
        }
        for f in [V::oauth_flows, V::oauth_scopes, V::callback_urls, V::logout_urls, V::identity_providers, V::auth_flows] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                l.dedup();
            }
        }
    }

    fn reconcile(want: &Props, have: &mut Props) {
        tags_as_declared(want, have);
        // Whether it was made for a browser is not reported: as declared.
        if let Some(b) = want.get(V::browser_app) {
            have.insert(V::browser_app.into(), b.clone());
        }
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let flag = |f: &str| decl.known(f).and_then(|v| v.as_bool()) == Some(true);
        let strs = |f: &str| match decl.known(f) {
            Some(Value::List(l)) => l.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        if flag(V::browser_app) && flag(V::generate_secret) {
            out.push(Diagnostic::field(r, V::generate_secret, "a browser app cannot keep a client secret (anyone can read it from the page): use UserPoolClient::server for a secret"));
        }
        let name = client_name(stack.name(), r);
        if name.len() > 128 {
            out.push(Diagnostic::field(r, V::pool, format!("the client's name would be {} characters (Cognito allows 128): shorten the logical name", name.len())));
        }
        let flows = strs(V::oauth_flows);
        for f in flows.iter().filter(|f| !["code", "implicit", "client_credentials"].contains(&f.as_str())) {
            out.push(Diagnostic::field(r, V::oauth_flows, format!("{f:?} is not an OAuth flow (code, implicit, client_credentials)")));
        }
        if flows.iter().any(|f| f == "client_credentials") && !flag(V::generate_secret) {
            out.push(Diagnostic::field(r, V::oauth_flows, "the client_credentials flow needs a client secret (UserPoolClient::server)"));
        }
        let callbacks = strs(V::callback_urls);
        if flows.iter().any(|f| f == "code" || f == "implicit") && callbacks.is_empty() {
            out.push(Diagnostic::field(r, V::callback_urls, "the code and implicit flows need at least one callback URL"));
        }
        for u in callbacks.iter().chain(strs(V::logout_urls).iter()) {
            let local = u.starts_with("http://localhost");
            if !(u.starts_with("https://") || local) {
                out.push(Diagnostic::field(r, V::callback_urls, format!("{u:?}: Cognito takes https:// URLs (http:// only for localhost)")));
            }
        }
        if let Some(m) = decl.known(V::token_minutes).and_then(|v| v.as_int()).filter(|m| !(5..=1440).contains(m)) {
            out.push(Diagnostic::field(r, V::token_minutes, format!("{m} minutes: 5 to 1,440")));
        }
        if let Some(d) = decl.known(V::refresh_token_days).and_then(|v| v.as_int()).filter(|d| !(1..=3650).contains(d)) {
            out.push(Diagnostic::field(r, V::refresh_token_days, format!("{d} days: 1 to 3,650")));
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
    fn a_client_name_gives_back_its_stack_and_logical_name() {
        let n = client_name("shop-prod", "auth/web.spa");
        assert!(n.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)), "{n}");
        assert_eq!(owner_of(&n), Some(("shop-prod".into(), "auth/web.spa".into())));
        assert_eq!(owner_of("MyAppClient"), None);
    }
}
