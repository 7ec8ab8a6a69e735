//! `aws:wafv2:IpSet`: a set of IPv4 CIDRs.

use super::*;


/// A set of IPv4 CIDRs.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_wafv2::{IpSet, WafScope};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let blocked = stack.add("blocked", IpSet::new(WafScope::Regional, ["192.0.2.0/24"]));
/// let _ = blocked.arn();
/// ```
#[derive(Clone, Debug)]
pub struct IpSet {
    scope: WafScope,
    addresses: Vec<String>,
    description: String,
    tags: BTreeMap<String, Input>,
}

impl IpSet {
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(scope: WafScope, cidrs: I) -> Self {
        IpSet { scope, addresses: cidrs.into_iter().map(Into::into).collect(), description: "Managed by strata".into(), tags: BTreeMap::new() }
    }
    pub fn description(mut self, d: &str) -> Self {
        self.description = d.into();
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of an [`IpSet`].
    IpSetHandle { arn: "arn", set_id: "set_id", set_name: "name" }
);

impl Resource for IpSet {
    const KIND: &'static str = "aws:wafv2:IpSet";
    type Handle = IpSetHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let mut a = self.addresses;
        a.sort();
        a.dedup();
        BTreeMap::from([
            ("scope".to_string(), Input::from(self.scope.api())),
            ("addresses".to_string(), Input::Known(Value::List(a.into_iter().map(Value::Str).collect()))),
            ("description".to_string(), Input::from(self.description)),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

pub(crate) struct IpSetProvider {
    pub(crate) aws: Aws,
}

impl IpSetProvider {
    async fn observe(&self, region: &str, scope: Scope, arn: &str, tags: Tags) -> Result<Option<Observed>, ProviderError> {
        let (name, id) = name_and_id(arn);
        let out = match crate::client(&self.aws, region).get_ip_set().name(&name).id(&id).scope(scope.clone()).send().await {
            Ok(o) => o,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("GetIPSet", e)),
        };
        let Some(set) = out.ip_set() else { return Ok(None) };
        let mut addrs: Vec<Value> = set.addresses().iter().map(Value::str).collect();
        addrs.sort();
        let mut o = Observed::new(IpSet::KIND, arn, region);
        o.props = Props::from([
            ("scope".into(), Value::str(scope.as_str())),
            ("addresses".into(), Value::List(addrs)),
            ("description".into(), Value::str(set.description().unwrap_or_default())),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        o.outputs = Props::from([
            ("id".into(), Value::str(arn)),
            ("arn".into(), Value::str(arn)),
            ("set_id".into(), Value::str(&id)),
            ("name".into(), Value::str(&name)),
        ]);
        Ok(Some(o))
    }
}

#[async_trait]
impl Provider for IpSetProvider {
    fn kind(&self) -> &'static str {
        IpSet::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["scope"]
    }

    fn validate(&self, decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        scope_problem(decl, stack, out);
        for a in decl.known("addresses").and_then(|v| v.as_list().map(<[Value]>::to_vec)).unwrap_or_default() {
            let a = a.as_str().unwrap_or_default().to_string();
            let ok = a.split_once('/').is_some_and(|(ip, len)| ip.parse::<std::net::Ipv4Addr>().is_ok() && len.parse::<u8>().is_ok_and(|l| l <= 32));
            if !ok {
                out.push(Diagnostic::field(&decl.name, "addresses", format!("{a:?} is not an IPv4 CIDR such as 192.0.2.0/24")));
            }
        }
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(10)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let c = crate::client(&self.aws, &scope.region);
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
        for (s, arn, t) in owned {
            out.extend(self.observe(&scope.region, s, &arn, t).await?);
        }
        Ok(out)
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let scope = if id.contains(":global/") { Scope::Cloudfront } else { Scope::Regional };
        let t = match tags_of(&crate::client(&self.aws, region), id).await {
            Ok(t) => t,
            Err(e) => return strata_aws::not_found_none(e),
        };
        self.observe(region, scope, id, t).await
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let out = crate::client(&self.aws, &cx.region)
            .create_ip_set()
            .name(name_of(&cx.stack, &cx.name))
            .scope(scope_of(desired))
            .ip_address_version(IpAddressVersion::Ipv4)
            .set_addresses(Some(strs(desired, "addresses")))
            .description(str_of(desired, "description").unwrap_or_default())
            .set_tags(Some(sdk_tags(&strata_aws::desired_tags(desired))))
            .send()
            .await
            .map_err(err("CreateIPSet"))?;
        let summary = out.summary().ok_or_else(|| ProviderError::new(ErrorClass::Fatal, "CreateIPSet", "no summary in the response"))?;
        let arn = summary.arn().ok_or_else(|| strata_aws::lacks("CreateIPSet", "Summary.ARN", &cx.name))?.to_string();
        let mut o = Observed::new(IpSet::KIND, &arn, &cx.region);
        o.props = desired.clone();
        o.outputs = Props::from([
            ("id".into(), Value::str(&arn)),
            ("arn".into(), Value::str(&arn)),
            ("set_id".into(), Value::str(summary.id().ok_or_else(|| strata_aws::lacks("CreateIPSet", "Summary.Id", &cx.name))?)),
            ("name".into(), Value::str(summary.name().unwrap_or_default())),
        ]);
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            let want = strata_aws::desired_tags(desired);
            let remove: Vec<String> = actual.tags().keys().filter(|k| !want.contains_key(*k)).cloned().collect();
            set_tags(&c, &actual.id, &want, &remove).await?;
        }
        if diff.changed("addresses").is_some() || diff.changed("description").is_some() {
            let (name, id) = name_and_id(&actual.id);
            with_fresh_lock_token(|| async {
                let token = c.get_ip_set().name(&name).id(&id).scope(scope_of(desired)).send().await.map_err(err("GetIPSet"))?.lock_token().unwrap_or_default().to_string();
                c.update_ip_set()
                    .name(&name)
                    .id(&id)
                    .scope(scope_of(desired))
                    .set_addresses(Some(strs(desired, "addresses")))
                    .description(str_of(desired, "description").unwrap_or_default())
                    .lock_token(token)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(err("UpdateIPSet"))
            })
            .await?;
        }
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let (name, id) = name_and_id(&actual.id);
        let scope = scope_of(&actual.props);
        let token = match c.get_ip_set().name(&name).id(&id).scope(scope.clone()).send().await.map_err(err("GetIPSet")) {
            Ok(o) => o.lock_token().unwrap_or_default().to_string(),
            Err(e) => return strata_aws::gone_ok(Err(e)),
        };
        let r = c.delete_ip_set().name(&name).id(&id).scope(scope).lock_token(token).send().await.map_err(err("DeleteIPSet"));
        match r {
            // Still referenced by a web ACL being updated: retried by the engine.
            Err(e) if e.code.as_deref() == Some("WAFAssociatedItemException") => Err(ProviderError { class: ErrorClass::DependencyViolation, ..e }),
            other => strata_aws::gone_ok(other.map(|_| ())),
        }
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        set_tags(&crate::client(&self.aws, &cx.region), &actual.id, add, remove).await
    }
}
