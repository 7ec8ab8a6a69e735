//! `aws:elbv2:Listener` and `aws:elbv2:ListenerRule`.
//!
//! Listeners and rules carry tags, but ELBv2 lists them only per parent:
//! discovery finds the stack's load balancers (by tag), lists their listeners,
//! then the listeners' rules, and keeps what is tagged for the stack. Rule
//! priorities are checked for collisions before any call.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{Certificate, ProtocolEnum, RulePriorityPair};
use strata_core::{Arg, Diagnostic, Input, Props, Resource, ResourceDecl, Stack, Tags, Value};
use strata_engine::{Diff, DiscoverScope, ErrorClass, Observed, OpContext, Provider, ProviderError};

use super::{action_from_sdk, action_to_sdk, condition_from_sdk, condition_to_sdk, sdk_tags, sync_tags, tags_of, Action};
use strata_aws::error::err;
use strata_aws::Aws;

/// The default TLS policy: TLS 1.3 and 1.2 only.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// A listener.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_elbv2::{Action, Listener};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// # let alb_arn = strata_core::Output::known("arn:aws:elasticloadbalancing:...".to_string());
/// # let cert_arn = strata_core::Output::known("arn:aws:acm:...".to_string());
/// stack.add("http", Listener::http(&alb_arn, 80, Action::redirect_to_https()));
/// stack.add("https", Listener::https(&alb_arn, 443, &cert_arn, Action::fixed_response(403, "text/plain", "Forbidden")));
/// ```
#[derive(Clone, Debug)]
pub struct Listener {
    lb: Input,
    protocol: &'static str,
    port: i64,
    certificate: Option<Input>,
    ssl_policy: Option<String>,
    default_action: Input,
    tags: BTreeMap<String, Input>,
}

impl Listener {
    pub fn http(load_balancer_arn: impl Into<Arg<String>>, port: u16, default_action: Action) -> Self {
        Listener {
            lb: load_balancer_arn.into().into_input(),
            protocol: "HTTP",
            port: i64::from(port),
            certificate: None,
            ssl_policy: None,
            default_action: default_action.into_input(),
            tags: BTreeMap::new(),
        }
    }
    pub fn https(
        load_balancer_arn: impl Into<Arg<String>>,
        port: u16,
        certificate_arn: impl Into<Arg<String>>,
        default_action: Action,
    ) -> Self {
        Listener {
            protocol: "HTTPS",
            certificate: Some(certificate_arn.into().into_input()),
            ssl_policy: Some(DEFAULT_SSL_POLICY.into()),
            ..Listener::http(load_balancer_arn, port, default_action)
        }
    }
    /// A TCP listener of a network load balancer.
    pub fn tcp(load_balancer_arn: impl Into<Arg<String>>, port: u16, default_action: Action) -> Self {
        Listener { protocol: "TCP", ..Listener::http(load_balancer_arn, port, default_action) }
    }
    /// A UDP listener of a network load balancer (OpenVPN, DNS, QUIC).
    pub fn udp(load_balancer_arn: impl Into<Arg<String>>, port: u16, default_action: Action) -> Self {
        Listener { protocol: "UDP", ..Listener::http(load_balancer_arn, port, default_action) }
    }
    /// A listener of a network load balancer taking TCP and UDP on one port.
    pub fn tcp_udp(load_balancer_arn: impl Into<Arg<String>>, port: u16, default_action: Action) -> Self {
        Listener { protocol: "TCP_UDP", ..Listener::http(load_balancer_arn, port, default_action) }
    }
    /// A TLS listener of a network load balancer: TLS ends here with the
    /// certificate, with the same default security policy as HTTPS.
    pub fn tls(load_balancer_arn: impl Into<Arg<String>>, port: u16, certificate_arn: impl Into<Arg<String>>, default_action: Action) -> Self {
        Listener { protocol: "TLS", ..Listener::https(load_balancer_arn, port, certificate_arn, default_action) }
    }
    /// An HTTPS listener whose certificate is set later with [`Listener::certificate`]
    /// (validation refuses it until then).
    pub fn https_without_certificate(load_balancer_arn: impl Into<Arg<String>>, port: u16, default_action: Action) -> Self {
        Listener { protocol: "HTTPS", ssl_policy: Some(DEFAULT_SSL_POLICY.into()), ..Listener::http(load_balancer_arn, port, default_action) }
    }
    pub fn certificate(mut self, arn: impl Into<Arg<String>>) -> Self {
        self.certificate = Some(arn.into().into_input());
        self
    }
    pub fn ssl_policy(mut self, policy: &str) -> Self {
        self.ssl_policy = Some(policy.into());
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`Listener`].
    ListenerHandle { arn: "arn", id: "id" }
);

impl Resource for Listener {
    const KIND: &'static str = "aws:elbv2:Listener";
    type Handle = ListenerHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("load_balancer_arn".to_string(), self.lb),
            ("protocol".to_string(), Input::from(self.protocol)),
            ("port".to_string(), Input::from(self.port)),
            ("certificate_arn".to_string(), self.certificate.unwrap_or(Input::Known(Value::Null))),
            ("ssl_policy".to_string(), Input::from(self.ssl_policy)),
            ("default_action".to_string(), self.default_action),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

/// A rule condition.
///
/// ```
/// use strata_aws_elbv2::Condition;
/// # let secret = strata_core::Output::known("x".to_string()).secret();
/// let from_cloudfront = Condition::http_header("X-Origin-Verify", secret);
/// let media = Condition::path_pattern(["/media/*"]);
/// # let _ = (from_cloudfront, media);
/// ```
#[derive(Clone, Debug)]
pub struct Condition(Input);

impl Condition {
    /// The header must have this value (a secret value stays secret).
    /// Requests carrying header `name` with `value`. The value is kept secret
    /// (it is usually a shared secret, such as CloudFront's origin header).
    pub fn http_header(name: &str, value: impl Into<Input>) -> Condition {
        Condition(Input::Map(BTreeMap::from([
            ("field".to_string(), Input::from("http-header")),
            ("name".to_string(), Input::from(name)),
            ("values".to_string(), Input::List(vec![value.into().into_secret()])),
        ])))
    }
    pub fn path_pattern<I: IntoIterator<Item = S>, S: Into<String>>(patterns: I) -> Condition {
        Condition::list("path-pattern", patterns)
    }
    pub fn host_header<I: IntoIterator<Item = S>, S: Into<String>>(hosts: I) -> Condition {
        Condition::list("host-header", hosts)
    }
    fn list<I: IntoIterator<Item = S>, S: Into<String>>(field: &str, values: I) -> Condition {
        let values = values.into_iter().map(|v| Input::from(v.into())).collect();
        Condition(Input::Map(BTreeMap::from([
            ("field".to_string(), Input::from(field)),
            ("values".to_string(), Input::List(values)),
        ])))
    }
}

/// A listener rule: conditions, a priority, and an action.
///
/// ```
/// use strata_core::Stack;
/// use strata_aws_elbv2::{Action, Condition, ListenerRule};
/// let mut stack = Stack::new("demo", "eu-central-1");
/// # let listener = strata_core::Output::known("arn:listener".to_string());
/// # let tg = strata_core::Output::known("arn:tg".to_string());
/// # let secret = strata_core::Output::known("s".to_string()).secret();
/// stack.add("from-cloudfront", ListenerRule::new(&listener, 10, Action::forward(&tg))
///     .when(Condition::http_header("X-Origin-Verify", &secret)));
/// ```
#[derive(Clone, Debug)]
pub struct ListenerRule {
    listener: Input,
    priority: i64,
    conditions: Vec<Input>,
    action: Input,
    tags: BTreeMap<String, Input>,
}

impl ListenerRule {
    pub fn new(listener_arn: impl Into<Arg<String>>, priority: i64, action: Action) -> Self {
        ListenerRule {
            listener: listener_arn.into().into_input(),
            priority,
            conditions: Vec::new(),
            action: action.into_input(),
            tags: BTreeMap::new(),
        }
    }
    pub fn when(mut self, c: Condition) -> Self {
        self.conditions.push(c.0);
        self
    }
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<Arg<String>>) -> Self {
        self.tags.insert(key.into(), value.into().into_input());
        self
    }
}

strata_aws::handle!(
    /// Outputs of a [`ListenerRule`].
    ListenerRuleHandle { arn: "arn", id: "id" }
);

impl Resource for ListenerRule {
    const KIND: &'static str = "aws:elbv2:ListenerRule";
    type Handle = ListenerRuleHandle;
    fn into_inputs(self) -> BTreeMap<String, Input> {
        BTreeMap::from([
            ("listener_arn".to_string(), self.listener),
            ("priority".to_string(), Input::from(self.priority)),
            ("conditions".to_string(), Input::List(self.conditions)),
            ("actions".to_string(), Input::List(vec![self.action])),
            ("tags".to_string(), Input::Map(self.tags)),
        ])
    }
}

/// The stack's load balancer ARNs (found by tag).
/// ARNs of the stack's load balancers in the scope's region.
async fn stack_load_balancers(aws: &Aws, scope: &DiscoverScope) -> Result<Vec<String>, ProviderError> {
    let ours = super::stack_load_balancers(aws, scope).await?;
    Ok(ours.iter().filter_map(|(l, _)| l.load_balancer_arn().map(str::to_string)).collect())
}

fn observe_listener(region: &str, l: &aws_sdk_elasticloadbalancingv2::types::Listener, tags: Tags) -> Observed {
    let arn = l.listener_arn().unwrap_or_default();
    let cert = l.certificates().first().and_then(|c| c.certificate_arn()).map(Value::str).unwrap_or(Value::Null);
    let props = Props::from([
        ("load_balancer_arn".into(), Value::str(l.load_balancer_arn().unwrap_or_default())),
        ("protocol".into(), Value::str(l.protocol().map(|p| p.as_str()).unwrap_or_default())),
        ("port".into(), Value::Int(i64::from(l.port().unwrap_or(0)))),
        ("certificate_arn".into(), cert),
        // moto reports a policy on plain HTTP listeners too; it means nothing there.
        (
            "ssl_policy".into(),
            l.ssl_policy()
                .filter(|p| !p.is_empty() && matches!(l.protocol(), Some(&ProtocolEnum::Https | &ProtocolEnum::Tls)))
                .map(Value::str)
                .unwrap_or(Value::Null),
        ),
        ("default_action".into(), l.default_actions().first().map(action_from_sdk).unwrap_or(Value::Null)),
        ("tags".into(), Value::from_tags(&tags)),
    ]);
    let mut o = Observed::new(Listener::KIND, arn, region);
    o.props = props;
    o.outputs = Props::from([("arn".into(), Value::str(arn)), ("id".into(), Value::str(arn))]);
    o.refs.extend(l.load_balancer_arn().map(str::to_string));
    if let Some(tg) = o.props.get("default_action").and_then(Value::as_map).and_then(|m| m.get("target_group_arn")) {
        o.refs.extend(tg.as_str().map(str::to_string));
    }
    o
}

pub(crate) struct ListenerProvider {
    pub(crate) aws: Aws,
}

fn s(props: &Props, k: &str) -> Option<String> {
    props.get(k).and_then(|v| v.as_str().map(str::to_string))
}

#[async_trait]
impl Provider for ListenerProvider {
    fn kind(&self) -> &'static str {
        Listener::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["load_balancer_arn"]
    }

    fn validate(&self, decl: &ResourceDecl, stack: &Stack, out: &mut Vec<Diagnostic>) {
        let protocol = decl.known("protocol").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let has_cert = !matches!(decl.inputs.get("certificate_arn"), None | Some(Input::Known(Value::Null)));
        if (protocol == "HTTPS" || protocol == "TLS") && !has_cert {
            out.push(Diagnostic::field(&decl.name, "certificate_arn", format!("an {protocol} listener needs a certificate ARN")));
        }
        // A network load balancer's listeners only forward.
        let layer4 = ["TCP", "UDP", "TCP_UDP", "TLS"].contains(&protocol.as_str());
        let action = decl.inputs.get("default_action").map(Input::partial);
        let kind = action.as_ref().and_then(Value::as_map).and_then(|m| m.get("type")).and_then(Value::as_str).map(str::to_string);
        if let Some(k) = kind.filter(|k| layer4 && k != "forward") {
            out.push(Diagnostic::field(&decl.name, "default_action", format!("a {protocol} listener can only forward to a target group, not answer with {k}")));
        }
        // ... and the load balancer's type decides the protocols.
        let lb = decl.inputs.get("load_balancer_arn").and_then(Input::source).and_then(|(id, _)| stack.resource(id));
        if let Some(lb_type) = lb.and_then(|d| d.known("type")).and_then(|v| v.as_str().map(str::to_string)) {
            if lb_type == "network" && !layer4 {
                out.push(Diagnostic::field(&decl.name, "protocol", format!("a network load balancer takes TCP, UDP, TCP_UDP or TLS listeners, not {protocol}")));
            } else if lb_type == "application" && layer4 {
                out.push(Diagnostic::field(&decl.name, "protocol", format!("an application load balancer takes HTTP or HTTPS listeners, not {protocol}")));
            }
        }
        if let Some(p) = decl.known("port").and_then(|v| v.as_int()) {
            if !(1..=65535).contains(&p) {
                out.push(Diagnostic::field(&decl.name, "port", format!("{p} is outside 1-65535")));
            }
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let c = crate::client(&self.aws, &scope.region);
        let mut found = Vec::new();
        for lb in stack_load_balancers(&self.aws, scope).await? {
            found.extend(super::listeners_of(&self.aws, scope, &lb).await?.iter().cloned());
        }
        let ours = super::tagged_for_stack(&c, &found, |l| l.listener_arn(), &scope.stack).await?;
        Ok(ours.into_iter().map(|(l, t)| observe_listener(&scope.region, l, t)).collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let out = match c.describe_listeners().listener_arns(id).send().await {
            Ok(o) => o,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeListeners", e)),
        };
        let Some(l) = out.listeners().first() else { return Ok(None) };
        let tags = tags_of(&c, &[id.to_string()]).await?.remove(id).unwrap_or_default();
        Ok(Some(observe_listener(region, l, tags)))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let action = desired.get("default_action").and_then(action_to_sdk).ok_or_else(|| {
            ProviderError::new(ErrorClass::Invalid, "CreateListener", "the default action is incomplete")
        })?;
        let out = c
            .create_listener()
            .load_balancer_arn(s(desired, "load_balancer_arn").unwrap_or_default())
            .protocol(ProtocolEnum::from(s(desired, "protocol").unwrap_or_default().as_str()))
            .port(i32::try_from(desired.get("port").and_then(Value::as_int).unwrap_or(80)).unwrap_or(80))
            .set_ssl_policy(s(desired, "ssl_policy"))
            .set_certificates(s(desired, "certificate_arn").map(|a| vec![Certificate::builder().certificate_arn(a).build()]))
            .default_actions(action)
            .set_tags(Some(sdk_tags(desired)))
            .send()
            .await
            .map_err(err("CreateListener"))?;
        let Some(l) = out.listeners().first() else {
            return Err(ProviderError::new(ErrorClass::Fatal, "CreateListener", "no listener in the response"));
        };
        let mut o = observe_listener(&cx.region, l, strata_aws::desired_tags(desired));
        o.props = desired.clone();
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            sync_tags(&c, &actual.id, &actual.tags(), &strata_aws::desired_tags(desired)).await?;
        }
        if diff.changes.iter().any(|ch| ch.field != "tags") {
            c.modify_listener()
                .listener_arn(&actual.id)
                .protocol(ProtocolEnum::from(s(desired, "protocol").unwrap_or_default().as_str()))
                .port(i32::try_from(desired.get("port").and_then(Value::as_int).unwrap_or(80)).unwrap_or(80))
                .set_ssl_policy(s(desired, "ssl_policy"))
                .set_certificates(s(desired, "certificate_arn").map(|a| vec![Certificate::builder().certificate_arn(a).build()]))
                .set_default_actions(desired.get("default_action").and_then(action_to_sdk).map(|a| vec![a]))
                .send()
                .await
                .map_err(err("ModifyListener"))?;
        }
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_listener().listener_arn(&actual.id).send().await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteListener")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        super::set_tags(&self.aws, cx, actual, add, remove).await
    }
}

pub(crate) struct RuleProvider {
    pub(crate) aws: Aws,
}

fn observe_rule(region: &str, listener: &str, r: &aws_sdk_elasticloadbalancingv2::types::Rule, tags: Tags) -> Observed {
    let arn = r.rule_arn().unwrap_or_default();
    let mut conditions: Vec<Value> = r.conditions().iter().map(condition_from_sdk).collect();
    conditions.sort();
    let props = Props::from([
        ("listener_arn".into(), Value::str(listener)),
        ("priority".into(), Value::Int(r.priority().and_then(|p| p.parse().ok()).unwrap_or(0))),
        ("conditions".into(), Value::List(conditions)),
        ("actions".into(), Value::List(r.actions().iter().map(action_from_sdk).collect())),
        ("tags".into(), Value::from_tags(&tags)),
    ]);
    let mut o = Observed::new(ListenerRule::KIND, arn, region);
    o.props = props;
    o.outputs = Props::from([("arn".into(), Value::str(arn)), ("id".into(), Value::str(arn))]);
    o.refs.push(listener.to_string());
    for a in r.actions() {
        o.refs.extend(a.target_group_arn().map(str::to_string));
    }
    o
}

fn conditions(props: &Props) -> Vec<aws_sdk_elasticloadbalancingv2::types::RuleCondition> {
    props.get("conditions").and_then(Value::as_list).map(|l| l.iter().filter_map(condition_to_sdk).collect()).unwrap_or_default()
}

fn actions(props: &Props) -> Vec<aws_sdk_elasticloadbalancingv2::types::Action> {
    props.get("actions").and_then(Value::as_list).map(|l| l.iter().filter_map(action_to_sdk).collect()).unwrap_or_default()
}

#[async_trait]
impl Provider for RuleProvider {
    fn kind(&self) -> &'static str {
        ListenerRule::KIND
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        &["listener_arn"]
    }

    fn validate(&self, decl: &ResourceDecl, _stack: &Stack, out: &mut Vec<Diagnostic>) {
        if let Some(p) = decl.known("priority").and_then(|v| v.as_int()) {
            if !(1..=50000).contains(&p) {
                out.push(Diagnostic::field(&decl.name, "priority", format!("{p} is outside 1-50000")));
            }
        }
        if matches!(decl.inputs.get("conditions"), Some(Input::List(l)) if l.is_empty()) {
            out.push(Diagnostic::field(&decl.name, "conditions", "a rule needs at least one condition"));
        }
    }

    fn validate_all(&self, decls: &[&ResourceDecl], _stack: &Stack, out: &mut Vec<Diagnostic>) {
        // Two rules of one listener with one priority: AWS would refuse the second.
        let mut seen: BTreeMap<(String, i64), &str> = BTreeMap::new();
        for d in decls {
            let listener = match d.inputs.get("listener_arn") {
                Some(i) => match i.source() {
                    Some((id, _)) => format!("#{}", id.0),
                    None => i.known().map(|v| v.to_string()).unwrap_or_default(),
                },
                None => continue,
            };
            let Some(p) = d.known("priority").and_then(|v| v.as_int()) else { continue };
            if let Some(other) = seen.insert((listener, p), &d.name) {
                out.push(Diagnostic::field(&d.name, "priority", format!("priority {p} is already used by {other} on the same listener")));
            }
        }
    }

    fn normalize(&self, props: &mut Props) {
        if let Some(Value::List(l)) = props.get_mut("conditions") {
            l.sort();
        }
    }

    async fn discover(&self, scope: &DiscoverScope) -> Result<Vec<Observed>, ProviderError> {
        let c = crate::client(&self.aws, &scope.region);
        let mut found = Vec::new();
        for lb in stack_load_balancers(&self.aws, scope).await? {
            for l in super::listeners_of(&self.aws, scope, &lb).await?.iter() {
                let Some(larn) = l.listener_arn() else { continue };
                let rules = c.describe_rules().listener_arn(larn).send().await.map_err(err("DescribeRules"))?;
                for r in rules.rules() {
                    if !r.is_default().unwrap_or(false) {
                        found.push((larn.to_string(), r.clone()));
                    }
                }
            }
        }
        let ours = super::tagged_for_stack(&c, &found, |(_, r)| r.rule_arn(), &scope.stack).await?;
        Ok(ours.into_iter().map(|((l, r), t)| observe_rule(&scope.region, l, r, t)).collect())
    }

    async fn read(&self, region: &str, id: &str) -> Result<Option<Observed>, ProviderError> {
        let c = crate::client(&self.aws, region);
        let out = match c.describe_rules().rule_arns(id).send().await {
            Ok(o) => o,
            Err(e) => return strata_aws::not_found_none(strata_aws::error::from_sdk("DescribeRules", e)),
        };
        let Some(r) = out.rules().first() else { return Ok(None) };
        // The listener ARN is the rule ARN's prefix: .../listener-rule/app/x/y/z/rule -> .../listener/app/x/y/z
        let listener = id.replacen(":listener-rule/", ":listener/", 1);
        let listener = listener.rsplit_once('/').map(|(l, _)| l.to_string()).unwrap_or_default();
        let tags = tags_of(&c, &[id.to_string()]).await?.remove(id).unwrap_or_default();
        Ok(Some(observe_rule(region, &listener, r, tags)))
    }

    async fn create(&self, cx: &OpContext, desired: &Props) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        let listener = s(desired, "listener_arn").unwrap_or_default();
        let out = c
            .create_rule()
            .listener_arn(&listener)
            .priority(i32::try_from(desired.get("priority").and_then(Value::as_int).unwrap_or(1)).unwrap_or(1))
            .set_conditions(Some(conditions(desired)))
            .set_actions(Some(actions(desired)))
            .set_tags(Some(sdk_tags(desired)))
            .send()
            .await
            .map_err(err("CreateRule"))?;
        let Some(r) = out.rules().first() else {
            return Err(ProviderError::new(ErrorClass::Fatal, "CreateRule", "no rule in the response"));
        };
        let mut o = observe_rule(&cx.region, &listener, r, strata_aws::desired_tags(desired));
        o.props = desired.clone();
        Ok(o)
    }

    async fn update(&self, cx: &OpContext, actual: &Observed, desired: &Props, diff: &Diff) -> Result<Observed, ProviderError> {
        let c = crate::client(&self.aws, &cx.region);
        if diff.changed("tags").is_some() {
            sync_tags(&c, &actual.id, &actual.tags(), &strata_aws::desired_tags(desired)).await?;
        }
        if diff.changed("priority").is_some() {
            let p = i32::try_from(desired.get("priority").and_then(Value::as_int).unwrap_or(1)).unwrap_or(1);
            c.set_rule_priorities()
                .rule_priorities(RulePriorityPair::builder().rule_arn(&actual.id).priority(p).build())
                .send()
                .await
                .map_err(err("SetRulePriorities"))?;
        }
        if diff.changed("conditions").is_some() || diff.changed("actions").is_some() {
            c.modify_rule()
                .rule_arn(&actual.id)
                .set_conditions(Some(conditions(desired)))
                .set_actions(Some(actions(desired)))
                .send()
                .await
                .map_err(err("ModifyRule"))?;
        }
        let mut o = actual.clone();
        o.props = desired.clone();
        Ok(o)
    }

    async fn delete(&self, cx: &OpContext, actual: &Observed) -> Result<(), ProviderError> {
        let r = crate::client(&self.aws, &cx.region).delete_rule().rule_arn(&actual.id).send().await;
        strata_aws::gone_ok(r.map(|_| ()).map_err(err("DeleteRule")))
    }

    async fn set_tags(&self, cx: &OpContext, actual: &Observed, add: &Tags, remove: &[String]) -> Result<(), ProviderError> {
        super::set_tags(&self.aws, cx, actual, add, remove).await
    }
}
