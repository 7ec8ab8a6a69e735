//! `aws:wafv2:IpSet`: a set of IPv4 CIDRs. Its physical id is its ARN.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_wafv2::types::{IpAddressVersion, IpSet as SdkIpSet, Scope};
use strata_aws::error::err;
use strata_aws::kernel::{Created, Kind, Seen, Want};
use strata_aws::Aws;
use strata_core::{Arg, Diagnostic, Props, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, Op, OpContext, ProviderError};

use crate::{client, name_and_id, name_of, owned_arns, scope_problem, sdk_tags, with_fresh_lock_token, WafScope, WafTags};

strata_aws::kind_fields! {
    /// A set of IPv4 CIDRs.
    ///
    /// ```
    /// use strata_core::Stack;
    /// use strata_aws_wafv2::{IpSet, WafScope};
    /// let mut stack = Stack::new("demo", "eu-central-1");
    /// let blocked = stack.add("blocked", IpSet::new(WafScope::Regional, ["192.0.2.0/24"]));
    /// let _ = blocked.arn();
    /// ```
    pub struct IpSet: "aws:wafv2:IpSet";
    values IpSetValues;
    handle IpSetHandle / IpSetOutputs { arn, set_id, ip_set_name };
    fields {
        /// `REGIONAL` or `CLOUDFRONT` (set by [`IpSet::new`]).
        scope: str [replace];
        /// The IPv4 CIDRs (a set: order and duplicates do not matter).
        addresses: strs [update];
        /// The set's description.
        description: str [update] = "Managed by strata";
    }
}

impl IpSet {
    /// A set of these CIDRs in `scope`.
    pub fn new<I: IntoIterator<Item = A>, A: Into<Arg<String>>>(scope: WafScope, cidrs: I) -> Self {
        Self::empty().scope(scope.api()).addresses(cidrs)
    }
}

type V = IpSetValues;

/// The kind behind [`IpSet`].
pub(crate) struct IpSets;

/// An IP set as `GetIPSet` answers it: with the lock token its update and
/// delete need, and its tags when discovery read them.
pub(crate) struct Set {
    set: SdkIpSet,
    lock_token: Option<String>,
    tags: Option<Tags>,
}

/// The scope of a WAF object, from its ARN (`...:global/...` is CLOUDFRONT).
fn arn_scope(arn: &str) -> Scope {
    if arn.contains(":global/") { Scope::Cloudfront } else { Scope::Regional }
}

async fn get_set(aws: &Aws, region: &str, arn: &str) -> Result<Option<Set>, ProviderError> {
    let (name, id) = name_and_id(arn);
    let out = client(aws, region).get_ip_set().name(name).id(id).scope(arn_scope(arn)).send().await.map_err(err("GetIPSet"))?;
    Ok(out.ip_set().map(|s| Set { set: s.clone(), lock_token: out.lock_token().map(str::to_string), tags: None }))
}

/// The set as read now, with the lock token its update or delete sends.
async fn fresh(aws: &Aws, cx: &OpContext, arn: &str) -> Result<(SdkIpSet, String), ProviderError> {
    let set = get_set(aws, &cx.region, arn).await?;
    set.and_then(|s| Some((s.set, s.lock_token?))).ok_or_else(|| strata_aws::lacks("GetIPSet", "LockToken", &cx.name))
}

#[async_trait]
impl Kind for IpSets {
    type Builder = IpSet;
    type Item = Set;
    type Tags = WafTags;

    fn id(s: &Set) -> Option<&str> {
        Some(s.set.arn())
    }

    fn carried_tags(s: &Set) -> Option<Tags> {
        s.tags.clone()
    }

    fn observe(s: &Set) -> Seen<IpSet> {
        let set = &s.set;
        Seen {
            values: V {
                scope: Some(arn_scope(set.arn()).as_str().to_string()),
                addresses: Some(set.addresses().to_vec()),
                description: Some(set.description().unwrap_or_default().to_string()),
                ..V::default()
            },
            outputs: IpSetOutputs { arn: Some(set.arn().into()), set_id: Some(set.id().into()), ip_set_name: Some(set.name().into()) },
            refs: Vec::new(),
        }
    }

    async fn list(&self, aws: &Aws, scope: &DiscoverScope) -> Result<Vec<Set>, ProviderError> {
        // Tags first (per set, as WAF has no tag filter), the full set only for the stack's own.
        let c = client(aws, &scope.region);
        let owned = owned_arns(&c, scope, |s, marker| {
            let c = c.clone();
            async move {
                let page = c.list_ip_sets().scope(s).set_next_marker(marker).send().await.map_err(err("ListIPSets"))?;
                let arns = page.ip_sets().iter().filter_map(|i| i.arn().map(str::to_string)).collect();
                Ok((arns, page.next_marker().map(str::to_string)))
            }
        })
        .await?;
        let mut out = Vec::new();
        for (_, arn, tags) in owned {
            // Deleted since it was listed: skipped.
            if let Some(set) = strata_aws::unless_gone(get_set(aws, &scope.region, &arn).await)?.flatten() {
                out.push(Set { tags: Some(tags), ..set });
            }
        }
        Ok(out)
    }

    async fn get(&self, aws: &Aws, region: &str, id: &str) -> Result<Option<Set>, ProviderError> {
        get_set(aws, region, id).await
    }

    async fn create(&self, aws: &Aws, want: &Want<'_, IpSet>) -> Result<Created<Set>, ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        let out = client(aws, &cx.region)
            .create_ip_set()
            .name(name_of(&cx.stack, &cx.name))
            .scope(Scope::from(v.scope.as_deref().unwrap_or("REGIONAL")))
            .ip_address_version(IpAddressVersion::Ipv4)
            .set_addresses(v.addresses.clone())
            .set_description(v.description.clone())
            .set_tags(Some(sdk_tags(&v.tags)))
            .send()
            .await
            .map_err(err("CreateIPSet"))?;
        let arn = out.summary().and_then(|s| s.arn()).ok_or_else(|| strata_aws::lacks("CreateIPSet", "Summary.ARN", &cx.name))?;
        Ok(Created::Id(arn.to_string()))
    }

    async fn update(&self, aws: &Aws, actual: &Observed, want: &Want<'_, IpSet>, _diff: &Diff) -> Result<(), ProviderError> {
        let (v, cx) = (&want.values, want.cx);
        with_fresh_lock_token(|| async {
            let (s, token) = fresh(aws, cx, &actual.id).await?;
            let req = client(aws, &cx.region).update_ip_set().name(s.name()).id(s.id()).scope(arn_scope(s.arn())).lock_token(token);
            req.set_addresses(v.addresses.clone()).set_description(v.description.clone()).send().await.map(|_| ()).map_err(err("UpdateIPSet"))
        })
        .await
    }

    async fn delete(&self, aws: &Aws, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let (s, token) = fresh(aws, cx, &actual.id).await?;
        let r = client(aws, &cx.region).delete_ip_set().name(s.name()).id(s.id()).scope(arn_scope(s.arn())).lock_token(token).send().await;
        match r.map_err(err("DeleteIPSet")) {
            // Still referenced by a web ACL being updated: retried by the engine.
            Err(e) if e.code.as_deref() == Some("WAFAssociatedItemException") => Err(ProviderError { class: ErrorClass::DependencyViolation, ..e }),
            other => other.map(|_| ()),
        }
    }

    fn validate(decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        scope_problem(decl, stack, out);
        for a in decl.known(V::addresses).and_then(|v| v.as_list().map(<[Value]>::to_vec)).unwrap_or_default() {
            let a = a.as_str().unwrap_or_default().to_string();
            let ok = a.split_once('/').is_some_and(|(ip, len)| ip.parse::<std::net::Ipv4Addr>().is_ok() && len.parse::<u8>().is_ok_and(|l| l <= 32));
            if !ok {
                out.push(Diagnostic::field(&decl.name, V::addresses, format!("{a:?} is not an IPv4 CIDR such as 192.0.2.0/24")));
            }
        }
    }

    fn normalize(props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut(V::addresses) {
            l.sort();
            l.dedup();
        }
    }

    fn estimate(_op: Op) -> Duration {
        Duration::from_secs(10)
    }
}
