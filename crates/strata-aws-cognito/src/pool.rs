//! `aws:cognito:UserPool`: a user directory with its password policy,
//! sign-in attributes, MFA (TOTP), account recovery, deletion protection and
//! hosted-UI domain prefix.
//!
//! `UpdateUserPool` sets every setting it is not given back to its default,
//! so each update sends the whole declared configuration, tags included. MFA
//! other than `OFF` takes `SetUserPoolMfaConfig` (software tokens) first. The
//! domain is deleted before its pool (AWS refuses to delete a pool that has
//! one); a protected pool is not deleted, and the destroy says so.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, DeletionProtectionType, PasswordPolicyType, RecoveryOptionNameType, RecoveryOptionType,
    SoftwareTokenMfaConfigType, UserPoolMfaType, UserPoolPolicyType, UserPoolType, UsernameAttributeType, VerifiedAttributeType,
};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, describe, listed_pools, tags_of, PoolTags};

strata_aws::kind_fields! {
    /// A Cognito user pool.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_cognito::UserPool;
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let users = stack.add("users", UserPool::new().mfa("ON").domain_prefix("demo-shop-login").deletion_protection(true));
    /// let _ = (users.arn(), users.issuer());
    /// ```
    pub struct UserPool: "aws:cognito:UserPool";
    values UserPoolValues;
    handle UserPoolHandle / UserPoolOutputs { arn, issuer, provider_name };
    fields {
        /// The pool's name (default: `<stack>-<logical name>`).
        name: str [replace];
        /// What users sign in with besides a user name: `email` (the default) and/or `phone_number`.
        username_attributes: strs [replace] = vec!["email".to_string()];
        /// The attributes Cognito verifies by sending a code (default: `email`).
        auto_verified_attributes: strs [update] = vec!["email".to_string()];
        /// Shortest password (8 to 99; default 12).
        password_min_length: int [update] = 12;
        /// Passwords need a lowercase letter (default: yes).
        require_lowercase: bool [update] = true;
        /// Passwords need an uppercase letter (default: yes).
        require_uppercase: bool [update] = true;
        /// Passwords need a digit (default: yes).
        require_numbers: bool [update] = true;
        /// Passwords need a symbol (default: yes).
        require_symbols: bool [update] = true;
        /// Days a temporary password set by an administrator lasts (default 7).
        temporary_password_days: int [update] = 7;
        /// `OFF`, `OPTIONAL` (the default: users may add a TOTP app) or `ON` (every user needs one).
        mfa: str [update] = "OPTIONAL";
        /// How a user recovers the account: `verified_email` (the default), `verified_phone_number` or `admin_only`.
        account_recovery: str [update] = "verified_email";
        /// Refuse to delete the pool (default: off).
        deletion_protection: bool [update] = false;
        /// The hosted UI's domain prefix (`<prefix>.auth.<region>.amazoncognito.com`); none by default.
        domain_prefix: str [update cleared];
    }
}

impl UserPool {
    /// A pool signing in by e-mail, with a 12-character password policy,
    /// optional TOTP MFA and recovery by verified e-mail.
    pub fn new() -> Self {
        Self::empty()
    }
}

impl Default for UserPool {
    fn default() -> Self {
        Self::new()
    }
}

type V = UserPoolValues;

/// The kind behind [`UserPool`].
pub(crate) struct Pools;

fn invalid(op: &str, msg: String) -> ProviderError {
    ProviderError::new(ErrorClass::Invalid, op, msg)
}

fn policies(v: &V) -> UserPoolPolicyType {
    let int = |n: Option<i64>| n.and_then(|n| i32::try_from(n).ok());
    let p = PasswordPolicyType::builder()
        .set_minimum_length(int(v.password_min_length))
        .set_require_lowercase(v.require_lowercase)
        .set_require_uppercase(v.require_uppercase)
        .set_require_numbers(v.require_numbers)
        .set_require_symbols(v.require_symbols)
        .set_temporary_password_validity_days(int(v.temporary_password_days))
        .build();
    UserPoolPolicyType::builder().password_policy(p).build()
}

fn recovery(v: &V) -> Result<AccountRecoverySettingType, ProviderError> {
    let option = |name: RecoveryOptionNameType, priority: i32| RecoveryOptionType::builder().name(name).priority(priority).build();
    let mechanisms = match v.account_recovery.as_deref().unwrap_or("verified_email") {
        "admin_only" => vec![option(RecoveryOptionNameType::AdminOnly, 1)],
        "verified_phone_number" => vec![option(RecoveryOptionNameType::VerifiedPhoneNumber, 1), option(RecoveryOptionNameType::VerifiedEmail, 2)],
        _ => vec![option(RecoveryOptionNameType::VerifiedEmail, 1)],
    };
    let mechanisms = mechanisms.into_iter().collect::<Result<Vec<_>, _>>().map_err(|e| invalid("CreateUserPool", e.to_string()))?;
    Ok(AccountRecoverySettingType::builder().set_recovery_mechanisms(Some(mechanisms)).build())
}

fn protection(v: &V) -> DeletionProtectionType {
    if v.deletion_protection == Some(true) {
        DeletionProtectionType::Active
    } else {
        DeletionProtectionType::Inactive
    }
}

fn verified(v: &V) -> Vec<VerifiedAttributeType> {
    v.auto_verified_attributes.as_deref().unwrap_or_default().iter().map(|a| VerifiedAttributeType::from(a.as_str())).collect()
}

fn sdk_tags(tags: &Tags) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Turn TOTP MFA on (or off) and set the pool's MFA mode.
async fn set_mfa(aws: &Aws, region: &str, id: &str, mode: &str) -> Result<(), ProviderError> {
    let totp = SoftwareTokenMfaConfigType::builder().enabled(mode != "OFF").build();
    let call = client(aws, region).set_user_pool_mfa_config().user_pool_id(id).software_token_mfa_configuration(totp).mfa_configuration(UserPoolMfaType::from(mode));
    call.send().await.map(|_| ()).map_err(err("SetUserPoolMfaConfig"))
}

async fn delete_domain(aws: &Aws, region: &str, id: &str, domain: &str) -> Result<(), ProviderError> {
    let r = client(aws, region).delete_user_pool_domain().user_pool_id(id).domain(domain).send().await.map(|_| ()).map_err(err("DeleteUserPoolDomain"));
    strata_aws::unless_gone(r).map(|_| ())
}

#[async_trait]
impl Kind for Pools {
    type Builder = UserPool;
    type Item = UserPoolType;
    type Tags = PoolTags;

    const DERIVED: &'static [&'static str] = &[V::name];

    fn id(item: &UserPoolType) -> Option<&str> {
        item.id()
    }

    fn tag_target(item: &UserPoolType) -> Option<String> {
        item.arn().map(str::to_string)
    }

    fn carried_tags(item: &UserPoolType) -> Option<Tags> {
        Some(tags_of(item))
    }

    fn observe(p: &UserPoolType) -> Seen<UserPool> {
        let pw = p.policies().and_then(UserPoolPolicyType::password_policy);
        let mut username: Vec<String> = p.username_attributes().iter().map(|a| a.as_str().to_string()).collect();
        username.sort();
        let mut verified: Vec<String> = p.auto_verified_attributes().iter().map(|a| a.as_str().to_string()).collect();
        verified.sort();
        let mut mechanisms: Vec<&RecoveryOptionType> = p.account_recovery_setting().map(|a| a.recovery_mechanisms().iter().collect()).unwrap_or_default();
        mechanisms.sort_by_key(|m| m.priority());
        let recovery = match mechanisms.first().map(|m| m.name()) {
            Some(RecoveryOptionNameType::AdminOnly) => "admin_only",
            Some(RecoveryOptionNameType::VerifiedPhoneNumber) => "verified_phone_number",
            _ => "verified_email",
        };
        let region = p.id().and_then(|id| id.split_once('_')).map(|(r, _)| r.to_string());
        let provider = match (&region, p.id()) {
            (Some(r), Some(id)) => Some(format!("cognito-idp.{r}.amazonaws.com/{id}")),
            _ => None,
        };
        Seen {
            values: V {
                name: p.name().map(str::to_string),
                username_attributes: Some(username),
                auto_verified_attributes: Some(verified),
                password_min_length: pw.and_then(PasswordPolicyType::minimum_length).map(i64::from),
                require_lowercase: pw.map(PasswordPolicyType::require_lowercase),
                require_uppercase: pw.map(PasswordPolicyType::require_uppercase),
                require_numbers: pw.map(PasswordPolicyType::require_numbers),
                require_symbols: pw.map(PasswordPolicyType::require_symbols),
                temporary_password_days: pw.map(|p| i64::from(p.temporary_password_validity_days())),
                mfa: Some(p.mfa_configuration().map_or("OFF", UserPoolMfaType::as_str).to_string()),
                account_recovery: Some(recovery.to_string()),
                deletion_protection: Some(p.deletion_protection() == Some(&DeletionProtectionType::Active)),
                domain_prefix: p.domain().filter(|d| !d.is_empty()).map(str::to_string),
                ..V::default()
            },
            outputs: UserPoolOutputs { arn: p.arn().map(str::to_string), issuer: provider.as_ref().map(|p| format!("https://{p}")), provider_name: provider },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<UserPoolType>, ProviderError> {
        Ok(listed_pools(aws, scope).await?.iter().cloned().collect())
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<UserPoolType>, ProviderError> {
        describe(aws, region, id).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, UserPool>) -> Result<Created<UserPoolType>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let name = v.name.clone().unwrap_or_else(|| strata_aws::naming::dashed_name(&cx.stack, &cx.name, 128));
        let c = client(aws, &cx.region);
        let out = c
            .create_user_pool()
            .pool_name(&name)
            .policies(policies(v))
            .set_username_attributes(Some(v.username_attributes.as_deref().unwrap_or_default().iter().map(|a| UsernameAttributeType::from(a.as_str())).collect()))
            .set_auto_verified_attributes(Some(verified(v)))
            .mfa_configuration(UserPoolMfaType::Off)
            .account_recovery_setting(recovery(v)?)
            .deletion_protection(protection(v))
            .set_user_pool_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateUserPool"))?;
        let id = out.user_pool().and_then(UserPoolType::id).ok_or_else(|| strata_aws::lacks("CreateUserPool", "Id", &cx.name))?.to_string();
        let mode = v.mfa.as_deref().unwrap_or("OFF");
        if mode != "OFF" {
            set_mfa(aws, &cx.region, &id, mode).await?;
        }
        if let Some(d) = &v.domain_prefix {
            c.create_user_pool_domain().user_pool_id(&id).domain(d).send().await.map_err(err("CreateUserPoolDomain"))?;
        }
        Ok(Created::Id(id))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, UserPool>, diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let (c, id) = (client(aws, &cx.region), actual.id.as_str());
        if diff.changed(V::mfa).is_some() {
            set_mfa(aws, &cx.region, id, v.mfa.as_deref().unwrap_or("OFF")).await?;
        }
        let settings = [
            V::auto_verified_attributes,
            V::password_min_length,
            V::require_lowercase,
            V::require_uppercase,
            V::require_numbers,
            V::require_symbols,
            V::temporary_password_days,
            V::mfa,
            V::account_recovery,
            V::deletion_protection,
        ];
        if settings.iter().any(|f| diff.changed(f).is_some()) {
            // The whole configuration: what UpdateUserPool is not given goes back to its default.
            c.update_user_pool()
                .user_pool_id(id)
                .policies(policies(v))
                .set_auto_verified_attributes(Some(verified(v)))
                .mfa_configuration(UserPoolMfaType::from(v.mfa.as_deref().unwrap_or("OFF")))
                .account_recovery_setting(recovery(v)?)
                .deletion_protection(protection(v))
                .set_user_pool_tags(Some(sdk_tags(&v.tags)))
                .send()
                .await
                .map_err(err("UpdateUserPool"))?;
        }
        if diff.changed(V::domain_prefix).is_some() {
            if let Some(old) = actual.props.get(V::domain_prefix).and_then(Value::as_str) {
                delete_domain(aws, &cx.region, id, old).await?;
            }
            if let Some(new) = &v.domain_prefix {
                c.create_user_pool_domain().user_pool_id(id).domain(new).send().await.map_err(err("CreateUserPoolDomain"))?;
            }
        }
        Ok(())
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        if actual.props.get(V::deletion_protection).and_then(Value::as_bool) == Some(true) {
            return Err(invalid(
                "DeleteUserPool",
                format!("user pool {} (`{}`) has deletion protection on: turn it off (.deletion_protection(false)) and apply before it can be deleted", actual.id, cx.name),
            ));
        }
        if let Some(d) = actual.props.get(V::domain_prefix).and_then(Value::as_str) {
            delete_domain(aws, &cx.region, &actual.id, d).await?;
        }
        client(aws, &cx.region).delete_user_pool().user_pool_id(&actual.id).send().await.map(|_| ()).map_err(err("DeleteUserPool"))
    }

    fn normalize(props: &mut Props) {
        for f in [V::username_attributes, V::auto_verified_attributes] {
            if let Some(Value::List(l)) = props.get_mut(f) {
                l.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                l.dedup();
            }
        }
    }

    fn validate(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        let r = &decl.name;
        let known = |f: &str| decl.known(f).and_then(|v| v.as_str().map(str::to_string));
        let int = |f: &str| decl.known(f).and_then(|v| v.as_int());
        if let Some(n) = int(V::password_min_length).filter(|n| !(8..=99).contains(n)) {
            out.push(Diagnostic::field(r, V::password_min_length, format!("{n}: Cognito takes 8 to 99 characters")));
        }
        if let Some(n) = int(V::temporary_password_days).filter(|n| !(0..=365).contains(n)) {
            out.push(Diagnostic::field(r, V::temporary_password_days, format!("{n}: 0 to 365 days")));
        }
        if let Some(m) = known(V::mfa).filter(|m| !["OFF", "OPTIONAL", "ON"].contains(&m.as_str())) {
            out.push(Diagnostic::field(r, V::mfa, format!("{m:?} is not OFF, OPTIONAL or ON")));
        }
        if let Some(a) = known(V::account_recovery).filter(|a| !["verified_email", "verified_phone_number", "admin_only"].contains(&a.as_str())) {
            out.push(Diagnostic::field(r, V::account_recovery, format!("{a:?} is not verified_email, verified_phone_number or admin_only")));
        }
        for f in [V::username_attributes, V::auto_verified_attributes] {
            if let Some(Value::List(l)) = decl.known(f) {
                for a in l.iter().filter_map(Value::as_str).filter(|a| *a != "email" && *a != "phone_number") {
                    out.push(Diagnostic::field(r, f, format!("{a:?} is neither email nor phone_number")));
                }
            }
        }
        if let Some(d) = known(V::domain_prefix) {
            let ok = (1..=63).contains(&d.len())
                && d.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !d.starts_with('-')
                && !d.ends_with('-')
                && !d.contains("aws")
                && !d.contains("amazon")
                && !d.contains("cognito");
            if !ok {
                out.push(Diagnostic::field(r, V::domain_prefix, format!("{d:?} is not a domain prefix (1 to 63 of a-z 0-9 -, not starting or ending with -, without aws, amazon or cognito)")));
            }
        }
    }

    fn warnings(decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if decl.known(V::mfa).and_then(|v| v.as_str().map(str::to_string)).as_deref() == Some("OFF") {
            out.push(Diagnostic::field(&decl.name, V::mfa, "MFA is off: a stolen password is enough to sign in"));
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(2)
    }
}
