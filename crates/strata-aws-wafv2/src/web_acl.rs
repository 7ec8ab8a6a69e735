//! `aws:wafv2:WebAcl`: rules, logging and regional associations.

use super::*;


/// One rule of a web ACL.
#[derive(Clone, Debug)]
pub enum WafRule {
    /// Block requests from the addresses of an IP set.
    BlockIpSet { name: String, ip_set_arn: Input },
    /// An AWS managed rule group such as `AWSManagedRulesCommonRuleSet`.
    Managed { name: String, group: String },
    /// Block an address that sends more than `limit` requests in 5 minutes.
    RateLimit { name: String, limit: i64 },
}

impl WafRule {
    pub fn block_ip_set(name: &str, ip_set_arn: impl Into<Arg<String>>) -> Self {
        WafRule::BlockIpSet { name: name.into(), ip_set_arn: ip_set_arn.into().into_input() }
    }
    pub fn managed(group: &str) -> Self {
        WafRule::Managed { name: group.into(), group: group.into() }
    }
    /// AWS's common rule set (OWASP top-ten style).
    pub fn common() -> Self {
        WafRule::managed("AWSManagedRulesCommonRuleSet")
    }
    pub fn sql_injection() -> Self {
        WafRule::managed("AWSManagedRulesSQLiRuleSet")
    }
    pub fn known_bad_inputs() -> Self {
        WafRule::managed("AWSManagedRulesKnownBadInputsRuleSet")
    }
    pub fn rate_limit(name: &str, limit: i64) -> Self {
        WafRule::RateLimit { name: name.into(), limit }
    }
    fn input(self, priority: i64) -> Input {
        let (name, kind, extra): (String, &str, (String, Input)) = match self {
            WafRule::BlockIpSet { name, ip_set_arn } => (name, "ip_set_block", ("ip_set_arn".into(), ip_set_arn)),
            WafRule::Managed { name, group } => (name, "managed", ("group".into(), Input::from(group))),
            WafRule::RateLimit { name, limit } => (name, "rate_limit", ("limit".into(), Input::from(limit))),
        };
        Input::Map(BTreeMap::from([
            ("name".to_string(), Input::from(name)),
            ("priority".to_string(), Input::from(priority)),
            ("kind".to_string(), Input::from(kind)),
            extra,
        ]))
    }
}

/// A web ACL.
///
/// ```
/// use strata_core::{ResourceOptions, Stack};
/// use strata_aws_wafv2::{IpSet, WafRule, WafScope, WebAcl};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// let us = || ResourceOptions::new().region("us-east-1");
/// let blocked = stack.add_with("blocked", IpSet::new(WafScope::CloudFront, ["192.0.2.0/24"]), us());
/// let acl = stack.add_with(
///     "edge-acl",
///     WebAcl::new(WafScope::CloudFront)
///         .rule(WafRule::block_ip_set("blocked-ips", blocked.arn()))
///         .rule(WafRule::common())
///         .rule(WafRule::sql_injection())
///         .rule(WafRule::known_bad_inputs())
///         .rule(WafRule::rate_limit("per-ip", 2000)),
///     us(),
/// );
/// let _ = acl.arn();
/// ```
#[derive(Clone, Debug)]
pub struct WebAcl {
    scope: WafScope,
    default_block: bool,
    rules: Vec<WafRule>,
    log_bucket_arn: Option<Input>,
    associations: Vec<Input>,
    description: String,
    tags: BTreeMap<String, Input>,
}

impl WebAcl {
    /// Allows by default; rules block.
    pub fn new(scope: WafScope) -> Self {
        WebAcl {
            scope,
            default_block: false,
            rules: Vec::new(),
            log_bucket_arn: None,
            associations: Vec::new(),
            description: "Managed by strata".into(),
            tags: BTreeMap::new(),
        }
    }
    /// Block what no rule allows.
    pub fn block_by_default(mut self) -> Self {
        self.default_block = true;
        self
    }
    /// Rules run in the order they are added.
    pub fn rule(mut self, r: WafRule) -> Self {
        self.rules.push(r);
        self
    }
    /// Log to this bucket (ARN of an `aws-waf-logs-*` bucket).
    pub fn log_to(mut self, bucket_arn: impl Into<Arg<String>>) -> Self {
        self.log_bucket_arn = Some(bucket_arn.into().into_input());
        self
    }
    /// Protect a regional resource (a load balancer ARN). REGIONAL scope only;
    /// CloudFront distributions name their ACL themselves.
    pub fn associate(mut self, resource_arn: impl Into<Arg<String>>) -> Self {
        self.associations.push(resource_arn.into().into_input());
        self
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
    /// Outputs of a [`WebAcl`].
    WebAclHandle { arn: "arn", acl_id: "acl_id", acl_name: "name" }
);

impl Resource for WebAcl {
    const KIND: &'static str = "aws:wafv2:WebAcl";
    type Handle = WebAclHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        let mut tags = self.tags;
        if !self.associations.is_empty() {
            tags.insert(ASSOCIATIONS_TAG.into(), Input::from("true"));
        }
        BTreeMap::from([
            ("scope".to_string(), Input::from(self.scope.api())),
            ("default_action".to_string(), Input::from(if self.default_block { "block" } else { "allow" })),
            ("rules".to_string(), Input::List(self.rules.into_iter().enumerate().map(|(i, r)| r.input(i as i64)).collect())),
            ("log_bucket_arn".to_string(), self.log_bucket_arn.unwrap_or(Input::Known(Value::Null))),
            ("associations".to_string(), Input::List(self.associations)),
            ("description".to_string(), Input::from(self.description)),
            ("tags".to_string(), Input::Map(tags)),
        ])
    }
}

pub(crate) struct WebAclProvider {
    pub(crate) aws: Aws,
}

fn visibility(metric: &str) -> Result<VisibilityConfig, ProviderError> {
    let metric: String = metric.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').take(255).collect();
    build(VisibilityConfig::builder().sampled_requests_enabled(true).cloud_watch_metrics_enabled(true).metric_name(metric).build())
}

fn sdk_rules(desired: &Props) -> Result<Vec<Rule>, ProviderError> {
    let mut out = Vec::new();
    for r in desired.get("rules").and_then(Value::as_list).unwrap_or_default() {
        let Some(m) = r.as_map() else { continue };
        let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let name = s("name");
        let priority = m.get("priority").and_then(Value::as_int).unwrap_or(0) as i32;
        let block = || RuleAction::builder().block(BlockAction::builder().build()).build();
        let mut b = Rule::builder().name(&name).priority(priority).visibility_config(visibility(&name)?);
        b = match s("kind").as_str() {
            "ip_set_block" => b
                .statement(Statement::builder().ip_set_reference_statement(build(IpSetReferenceStatement::builder().arn(s("ip_set_arn")).build())?).build())
                .action(block()),
            "managed" => b
                .statement(
                    Statement::builder()
                        .managed_rule_group_statement(build(ManagedRuleGroupStatement::builder().vendor_name("AWS").name(s("group")).build())?)
                        .build(),
                )
                .override_action(OverrideAction::builder().none(aws_sdk_wafv2::types::NoneAction::builder().build()).build()),
            _ => b
                .statement(
                    Statement::builder()
                        .rate_based_statement(build(
                            RateBasedStatement::builder()
                                .limit(m.get("limit").and_then(Value::as_int).unwrap_or(2000))
                                .aggregate_key_type(RateBasedStatementAggregateKeyType::Ip)
                                .build(),
                        )?)
                        .build(),
                )
                .action(block()),
        };
        out.push(build(b.build())?);
    }
    Ok(out)
}

fn rule_value(r: &Rule) -> Value {
    let st = r.statement();
    let mut m = BTreeMap::from([("name".to_string(), Value::str(r.name())), ("priority".to_string(), Value::Int(r.priority().into()))]);
    if let Some(ip) = st.and_then(|s| s.ip_set_reference_statement()) {
        m.insert("kind".into(), Value::str("ip_set_block"));
        m.insert("ip_set_arn".into(), Value::str(ip.arn()));
    } else if let Some(g) = st.and_then(|s| s.managed_rule_group_statement()) {
        m.insert("kind".into(), Value::str("managed"));
        m.insert("group".into(), Value::str(g.name()));
    } else if let Some(rb) = st.and_then(|s| s.rate_based_statement()) {
        m.insert("kind".into(), Value::str("rate_limit"));
        m.insert("limit".into(), Value::Int(rb.limit()));
    }
    Value::Map(m)
}

fn default_action(desired: &Props) -> DefaultAction {
    if str_of(desired, "default_action").as_deref() == Some("block") {
        DefaultAction::builder().block(BlockAction::builder().build()).build()
    } else {
        DefaultAction::builder().allow(AllowAction::builder().build()).build()
    }
}

impl WebAclProvider {
    async fn observe(&self, region: &str, scope: Scope, arn: &str, tags: Tags) -> Result<Option<Observed>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let (name, id) = name_and_id(arn);
        let out = match c.get_web_acl().name(&name).id(&id).scope(scope.clone()).send().await {
            Ok(o) => o,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("GetWebACL", e)),
        };
        let Some(acl) = out.web_acl() else { return Ok(None) };
        let log = match c.get_logging_configuration().resource_arn(arn).send().await.map_err(err("GetLoggingConfiguration")) {
            Ok(l) => l.logging_configuration().and_then(|l| l.log_destination_configs().first().cloned()).map(Value::Str).unwrap_or(Value::Null),
            Err(e) if e.class == ErrorClass::NotFound || e.code.as_deref() == Some("WAFNonexistentItemException") => Value::Null,
            Err(e) => return Err(e),
        };
        let mut associations = Vec::new();
        if tags.get(ASSOCIATIONS_TAG).map(String::as_str) == Some("true") && scope == Scope::Regional {
            associations = associated(&c, arn).await?;
        }
        let default = if acl.default_action().is_some_and(|d| d.block().is_some()) { "block" } else { "allow" };
        let mut rules: Vec<&Rule> = acl.rules().iter().collect();
        rules.sort_by_key(|r| r.priority());
        let mut o = Observed::new(WebAcl::KIND, arn, region);
        o.props = Props::from([
            ("scope".into(), Value::str(scope.as_str())),
            ("default_action".into(), Value::str(default)),
            ("rules".into(), Value::List(rules.into_iter().map(rule_value).collect())),
            ("log_bucket_arn".into(), log),
            ("associations".into(), Value::List(associations)),
            ("description".into(), Value::str(acl.description().unwrap_or_default())),
            ("tags".into(), Value::from_tags(&tags)),
        ]);
        o.outputs = Props::from([
            ("id".into(), Value::str(arn)),
            ("arn".into(), Value::str(arn)),
            ("acl_id".into(), Value::str(&id)),
            ("name".into(), Value::str(&name)),
        ]);
        o.refs = strs(&o.props, "associations");
        Ok(Some(o))
    }

    async fn put_logging(&self, region: &str, arn: &str, desired: &Props) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, region);
        match str_of(desired, "log_bucket_arn") {
            Some(bucket) => {
                let cfg = build(LoggingConfiguration::builder().resource_arn(arn).log_destination_configs(bucket).build())?;
                c.put_logging_configuration().logging_configuration(cfg).send().await.map_err(err("PutLoggingConfiguration"))?;
            }
            None => {
                let r = c.delete_logging_configuration().resource_arn(arn).send().await.map_err(err("DeleteLoggingConfiguration"));
                strata_aws::gone_ok(r.map(|_| ()))?;
            }
        }
        Ok(())
    }

    async fn associate(&self, region: &str, arn: &str, want: &[String], have: &[String]) -> Result<(), ProviderError> {
        associate(&crate::client(&self.aws, region), arn, want, have).await
    }
}

/// Bring a regional web ACL's associations from `have` to `want`.
pub(crate) async fn associate(c: &aws_sdk_wafv2::Client, arn: &str, want: &[String], have: &[String]) -> Result<(), ProviderError> {
    for r in want.iter().filter(|r| !have.contains(r)) {
        c.associate_web_acl().web_acl_arn(arn).resource_arn(r).send().await.map_err(err("AssociateWebACL"))?;
    }
    for r in have.iter().filter(|r| !want.contains(r)) {
        let out = c.disassociate_web_acl().resource_arn(r).send().await.map_err(err("DisassociateWebACL"));
        strata_aws::gone_ok(out.map(|_| ()))?;
    }
    Ok(())
}

/// The load balancers a regional web ACL protects.
pub(crate) async fn associated(c: &aws_sdk_wafv2::Client, arn: &str) -> Result<Vec<Value>, ProviderError> {
    // The answer holds one resource type: load balancers, then API stages.
    let mut out: Vec<Value> = Vec::new();
    for t in [ResourceType::ApplicationLoadBalancer, ResourceType::ApiGateway] {
        let r = c.list_resources_for_web_acl().web_acl_arn(arn).resource_type(t).send().await.map_err(err("ListResourcesForWebACL"))?;
        out.extend(r.resource_arns().iter().map(Value::str));
    }
    out.sort();
    Ok(out)
}

#[async_trait]
impl Provider for WebAclProvider {
    fn kind(&self) -> &'static str {
        WebAcl::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["scope"]
    }

    fn validate(&self, decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        scope_problem(decl, stack, out);
        let scope = decl.known("scope").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        if scope == "CLOUDFRONT" && matches!(decl.inputs.get("associations"), Some(Input::List(l)) if !l.is_empty()) {
            out.push(Diagnostic::field(
                &decl.name,
                "associations",
                "a CLOUDFRONT web ACL cannot be associated with a regional resource; the distribution names it (web_acl)",
            ));
        }
        if let Some(Input::List(rules)) = decl.inputs.get("rules") {
            let mut names = std::collections::BTreeSet::new();
            for r in rules {
                let Input::Map(m) = r else { continue };
                let name = m.get("name").and_then(Input::known).and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                if let Some(p) = name_problem(&name) {
                    out.push(Diagnostic::field(&decl.name, "rules", format!("rule name {p}")));
                }
                if !names.insert(name.clone()) {
                    out.push(Diagnostic::field(&decl.name, "rules", format!("rule {name:?} appears twice")));
                }
                if let Some(l) = m.get("limit").and_then(Input::known).and_then(|v| v.as_int()) {
                    if !(10..=2_000_000_000).contains(&l) {
                        out.push(Diagnostic::field(&decl.name, "rules", format!("rule {name:?}: rate limit {l} is outside 10-2000000000")));
                    }
                }
            }
        }
        // The log bucket's name must start with aws-waf-logs-.
        if let Some(Input::Output(o)) = decl.inputs.get("log_bucket_arn") {
            if let Some(b) = o.source().and_then(|(id, _)| stack.resource(id)) {
                let waf = b.known("waf_logs").and_then(|v| v.as_bool()) == Some(true);
                let named = b.known("name").and_then(|v| v.as_str().map(|n| n.starts_with("aws-waf-logs-")));
                if !waf && named != Some(true) {
                    out.push(Diagnostic::field(&decl.name, "log_bucket_arn", format!("WAF logs go to a bucket named aws-waf-logs-*; declare {} with Bucket::waf_logs()", b.name)));
                }
            }
        }
    }

    fn normalize(&self, props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut("associations") {
            l.sort();
        }
    }

    fn estimate(&self, _op: Op) -> Duration {
        Duration::from_secs(15)
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let c = crate::client(&self.aws, &scope.region);
        let owned = owned_arns(&c, scope, |s, marker| {
            let c = c.clone();
            async move {
                let page = c.list_web_acls().scope(s).set_next_marker(marker).send().await.map_err(err("ListWebACLs"))?;
                let arns = page.web_acls().iter().filter_map(|i| i.arn().map(str::to_string)).collect();
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
        let name = name_of(&cx.stack, &cx.name);
        let out = crate::client(&self.aws, &cx.region)
            .create_web_acl()
            .name(&name)
            .scope(scope_of(desired))
            .default_action(default_action(desired))
            .set_rules(Some(sdk_rules(desired)?))
            .visibility_config(visibility(&name)?)
            .description(str_of(desired, "description").unwrap_or_default())
            .set_tags(Some(sdk_tags(&strata_aws::desired_tags(desired))))
            .send()
            .await
            .map_err(err("CreateWebACL"))?;
        let summary = out.summary().ok_or_else(|| ProviderError::new(ErrorClass::Fatal, "CreateWebACL", "no summary in the response"))?;
        let arn = summary.arn().ok_or_else(|| strata_aws::lacks("CreateWebACL", "Summary.ARN", &cx.name))?.to_string();
        if desired.get("log_bucket_arn").is_some_and(|v| *v != Value::Null) {
            self.put_logging(&cx.region, &arn, desired).await?;
        }
        self.associate(&cx.region, &arn, &strs(desired, "associations"), &[]).await?;
        let mut o = Observed::new(WebAcl::KIND, &arn, &cx.region);
        o.props = desired.clone();
        o.outputs = Props::from([
            ("id".into(), Value::str(&arn)),
            ("arn".into(), Value::str(&arn)),
            ("acl_id".into(), Value::str(summary.id().ok_or_else(|| strata_aws::lacks("CreateWebACL", "Summary.Id", &cx.name))?)),
            ("name".into(), Value::str(&name)),
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
        if ["rules", "default_action", "description"].iter().any(|f| diff.changed(f).is_some()) {
            let (name, id) = name_and_id(&actual.id);
            // Someone else may update it between our read and write: read again.
            with_fresh_lock_token(|| async {
                let got = c.get_web_acl().name(&name).id(&id).scope(scope_of(desired)).send().await.map_err(err("GetWebACL"))?;
                let token = got.lock_token().unwrap_or_default().to_string();
                c.update_web_acl()
                    .name(&name)
                    .id(&id)
                    .scope(scope_of(desired))
                    .default_action(default_action(desired))
                    .set_rules(Some(sdk_rules(desired)?))
                    .visibility_config(visibility(&name)?)
                    .description(str_of(desired, "description").unwrap_or_default())
                    .lock_token(token)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(err("UpdateWebACL"))
            })
            .await?;
        }
        if diff.changed("log_bucket_arn").is_some() {
            self.put_logging(&cx.region, &actual.id, desired).await?;
        }
        if diff.changed("associations").is_some() {
            self.associate(&cx.region, &actual.id, &strs(desired, "associations"), &strs(&actual.props, "associations")).await?;
        }
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        self.associate(&cx.region, &actual.id, &[], &strs(&actual.props, "associations")).await?;
        if actual.props.get("log_bucket_arn").is_some_and(|v| *v != Value::Null) {
            let r = c.delete_logging_configuration().resource_arn(&actual.id).send().await.map_err(err("DeleteLoggingConfiguration"));
            strata_aws::gone_ok(r.map(|_| ()))?;
        }
        let (name, id) = name_and_id(&actual.id);
        let scope = scope_of(&actual.props);
        let token = match c.get_web_acl().name(&name).id(&id).scope(scope.clone()).send().await.map_err(err("GetWebACL")) {
            Ok(o) => o.lock_token().unwrap_or_default().to_string(),
            Err(e) => return strata_aws::gone_ok(Err(e)),
        };
        let r = c.delete_web_acl().name(&name).id(&id).scope(scope).lock_token(token).send().await.map_err(err("DeleteWebACL"));
        match r {
            // Still attached to a distribution being updated: retried by the engine.
            Err(e) if e.code.as_deref() == Some("WAFAssociatedItemException") => Err(ProviderError { class: ErrorClass::DependencyViolation, ..e }),
            other => strata_aws::gone_ok(other.map(|_| ())),
        }
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        set_tags(&crate::client(&self.aws, &cx.region), &actual.id, add, remove).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_wafv2::operation::associate_web_acl::AssociateWebAclOutput;
    use aws_sdk_wafv2::operation::disassociate_web_acl::DisassociateWebAclOutput;
    use aws_sdk_wafv2::operation::list_resources_for_web_acl::ListResourcesForWebAclOutput;
    use aws_sdk_wafv2::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    /// The regional association, on the SDK's real request shapes (one list
    /// per resource type; moto lacks `ListResourcesForWebACL`, which
    /// `scripts/moto_server.py` adds for the whole-stack tests).
    #[tokio::test]
    async fn web_acl_association_of_load_balancers_and_api_stages_with_smithy_mocks_on_the_real_request_shapes() {
        let acl = "arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/shop/1";
        let (old, new) = ("arn:aws:elasticloadbalancing:eu-central-1:1:loadbalancer/app/old/1", "arn:aws:elasticloadbalancing:eu-central-1:1:loadbalancer/app/new/2");
        let list = mock!(Client::list_resources_for_web_acl)
            .match_requests(move |r| r.web_acl_arn() == Some(acl) && r.resource_type() == Some(&ResourceType::ApplicationLoadBalancer))
            .then_output(move || ListResourcesForWebAclOutput::builder().resource_arns(old).build());
        let stage = "arn:aws:apigateway:eu-central-1::/restapis/a1b2/stages/v1";
        let list_stages = mock!(Client::list_resources_for_web_acl)
            .match_requests(move |r| r.web_acl_arn() == Some(acl) && r.resource_type() == Some(&ResourceType::ApiGateway))
            .then_output(move || ListResourcesForWebAclOutput::builder().resource_arns(stage).build());
        let add = mock!(Client::associate_web_acl)
            .match_requests(move |r| r.web_acl_arn() == Some(acl) && r.resource_arn() == Some(new))
            .then_output(|| AssociateWebAclOutput::builder().build());
        let remove = mock!(Client::disassociate_web_acl)
            .match_requests(move |r| r.resource_arn() == Some(old))
            .then_output(|| DisassociateWebAclOutput::builder().build());
        let c = mock_client!(aws_sdk_wafv2, RuleMode::MatchAny, [&list, &list_stages, &add, &remove]);
        let have: Vec<String> = associated(&c, acl).await.unwrap().iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        assert_eq!(have, vec![stage.to_string(), old.to_string()], "load balancers and API stages");
        associate(&c, acl, &[new.to_string(), stage.to_string()], &have).await.unwrap();
        assert_eq!((list.num_calls(), list_stages.num_calls(), add.num_calls(), remove.num_calls()), (1, 1, 1, 1));
    }

    #[test]
    fn arns_and_rules_round_trip() {
        let (n, id) = name_and_id("arn:aws:wafv2:us-east-1:123456789012:global/webacl/miamo-edge/a1b2");
        assert_eq!((n.as_str(), id.as_str()), ("miamo-edge", "a1b2"));
        let mut props = Props::new();
        props.insert(
            "rules".into(),
            Value::List(vec![
                Value::Map(BTreeMap::from([
                    ("name".to_string(), Value::str("common")),
                    ("priority".to_string(), Value::Int(0)),
                    ("kind".to_string(), Value::str("managed")),
                    ("group".to_string(), Value::str("AWSManagedRulesCommonRuleSet")),
                ])),
                Value::Map(BTreeMap::from([
                    ("name".to_string(), Value::str("per-ip")),
                    ("priority".to_string(), Value::Int(1)),
                    ("kind".to_string(), Value::str("rate_limit")),
                    ("limit".to_string(), Value::Int(2000)),
                ])),
            ]),
        );
        let rules = sdk_rules(&props).unwrap();
        let back: Vec<Value> = rules.iter().map(rule_value).collect();
        assert_eq!(Some(&Value::List(back)), props.get("rules"));
    }
}
