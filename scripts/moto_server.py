"""moto server with the calls moto 5.2.5 lacks that strata's stacks make.

moto 5.2.5 answers `DeleteCacheSubnetGroup` with HTTP 500 ("has not been
implemented"), so no stack with a cache subnet group could ever be destroyed on
it. This launcher adds the call, as AWS behaves: the group goes away, a missing
group is `CacheSubnetGroupNotFoundFault`, and a group a live cluster or
replication group still uses is `CacheSubnetGroupInUse` (groups moto leaves in
`deleting` do not count: moto never finishes deleting them). Everything else
is moto unchanged.

CloudWatch Logs: moto 5.2.5 has no `AssociateKmsKey` or `DisassociateKmsKey`
(a log group's KMS key changed in place). They are added as AWS documents
them: the group's `kmsKeyId` is set or cleared, a missing group is
`ResourceNotFoundException`, and both answer an empty body.

RDS: moto 5.2.5 answers `ResetDBParameterGroup` with HTTP 500 ("has not been
implemented"), so a parameter removed from a program could never be reset. It
is added as AWS documents it: the named parameters (or, with
`ResetAllParameters`, every one) go back to the engine default, a missing group
is `DBParameterGroupNotFound`, a reset without parameters and without
`ResetAllParameters` is `InvalidParameterCombination`, and the answer is the
group's name. moto models no engine defaults, only the parameters set on the
group: a reset parameter leaves the group's `DescribeDBParameters`.

AWS Backup: moto 5.2.5 has no backup selections (`CreateBackupSelection`
answers HTTP 500), so no backup plan could ever be given resources. This
launcher is an emulator extension that adds `CreateBackupSelection`,
`GetBackupSelection`, `ListBackupSelections` and `DeleteBackupSelection` as AWS
documents them. A selection keeps its `BackupSelection` as given, with the
lists it was not given (`Resources`, `NotResources`, `ListOfTags` and the four
`Conditions` lists) answered empty, as AWS answers them; moto never runs
backups, so a selection only records which resources it names. A missing (or
deleted) plan or selection is `ResourceNotFoundException`; a missing
`SelectionName` or `IamRoleArn` is `MissingParameterValueException`; a name
that is not 1 to 50 of `a-zA-Z0-9-_.`, a role that is not an IAM role ARN, a
`ListOfTags` condition that is not `STRINGEQUALS` or a `MaxResults` outside 1
to 1000 is `InvalidParameterValueException`. A `CreatorRequestId` already used
for the plan answers the selection it made (idempotency). The list answers
selections in creation order, paginated by `MaxResults` and an opaque
`NextToken`. `DeleteBackupPlan` of a plan that still has selections is
`InvalidRequestException` ("Related backup plan selections must be deleted
prior to backup plan deletion"), as on AWS.

ECR: the AWS SDKs leave `scanOnPush: false` (its default) out of
`PutImageScanningConfiguration`, and moto 5.2.5 takes the empty
`imageScanningConfiguration` left as "no change", so scanning could never be
turned off. This launcher fixes that as AWS behaves: a configuration without
`scanOnPush` turns scanning off.

IAM: moto 5.2.5 has no `AddClientIDToOpenIDConnectProvider` or
`RemoveClientIDFromOpenIDConnectProvider` (an OIDC provider's audiences
changed in place). This launcher is an emulator extension that adds both as
AWS documents them: the client id is added (once) or removed, removing one
the provider lacks is not an error (AWS: "idempotent"), a missing provider
is `NoSuchEntity`, and both answer an empty body.

ECS: moto 5.2.5's `CreateService` drops `deploymentConfiguration` (the
deployment circuit breaker, maximum and minimum healthy percent) and
`healthCheckGracePeriodSeconds`, which `UpdateService` keeps, so a service
would never read back as created. This launcher keeps both at create, as AWS
does: `DescribeServices` answers them as given.

ElastiCache: moto 5.2.5 gives a Memcached cache cluster no
`ConfigurationEndpoint`, which AWS gives every Memcached cluster (the one
name clients use to discover the nodes), so nothing could refer to it. This
launcher adds it at create, in AWS's shape:
`<cluster id>.<6 characters>.cfg.<region>.cache.amazonaws.com` on the
cluster's port.

CloudFront: moto 5.2.5 drops an origin's `OriginAccessControlId`, so a
distribution reads back as if its S3 origin had no origin access control
(and one could never be checked). This launcher keeps it as given, answered
as AWS answers it ("" for none).

EKS: moto 5.2.5's `UpdateClusterConfig` replaces a cluster's whole
`resourcesVpcConfig` with the fields given (an endpoint-access change would
drop its subnets and security groups), and moto has no
`UpdateClusterVersion`. This launcher merges the given fields into the
configuration, as AWS does, and adds `UpdateClusterVersion` as AWS documents
it: the cluster takes the version (AWS allows one minor version a step and
answers `InvalidParameterException` otherwise; a missing cluster is
`ResourceNotFoundException`), and the answer is a `VersionUpdate` update that
has `Successful` at once (moto's clusters are `ACTIVE` at once too). moto
also gives every cluster of a process the same OIDC issuer and API endpoint,
where AWS gives each cluster its own (an IAM OIDC provider per cluster for
service-account roles needs that): each cluster gets its own, in AWS's
shape (`https://oidc.eks.<region>.amazonaws.com/id/<32 hex digits>`).

EKS add-ons: moto 5.2.5 has none (no `CreateAddon`, `DescribeAddon`,
`ListAddons`, `UpdateAddon` or `DeleteAddon`), so no stack with a cluster
could even be planned (strata lists every cluster's add-ons). This launcher
is an emulator extension that adds the five as AWS documents them: an
add-on of a missing cluster, or a missing add-on, is
`ResourceNotFoundException`; a second add-on of one name is
`ResourceInUseException`; an add-on is `ACTIVE` at once (like moto's
clusters), with the version given or `v1.0.0-eksbuild.1`, its service
account role, configuration values and tags; `UpdateAddon` changes what it
is given and answers an update
that has `Successful`; `DeleteAddon` removes it at once; tags of add-on ARNs
go through `TagResource`, `UntagResource` and `ListTagsForResource`. The
strata tests of add-ons' request shapes use aws-smithy-mocks.

API Gateway v2: moto 5.2.5 has no `GetAuthorizers` (the list of an HTTP
API's authorizers; `GetAuthorizer` of one is there), so an API's JWT
authorizers could never be read back. This launcher is an emulator extension
that adds it as AWS documents it: the API's authorizers in `items`, in
creation order, and a missing API is `NotFoundException`. (moto also has no
`UpdateStage`: strata's stage updates are tested with aws-smithy-mocks.)
moto also keeps a custom domain's `domainNameConfigurations` as given,
without what AWS adds to each (the `apiGatewayDomainName` a DNS alias points
at, its `hostedZoneId`, `domainNameStatus` `AVAILABLE`), so no record could
point at one: this launcher adds them at create, in AWS's shape
(`d-<10 characters>.execute-api.<region>.amazonaws.com`, the region's
API Gateway zone), and adds `UpdateDomainName` as AWS documents it (the
configurations are replaced and filled the same way; a missing domain is
`NotFoundException`).

Cognito: moto 5.2.5 keeps a user pool's `UserPoolTags` as given at create
(answered by `DescribeUserPool`) but has no `TagResource`, `UntagResource`
or `ListTagsForResource`, so a pool's tags could never change. This launcher
is an emulator extension that adds the three for user pool ARNs as AWS
documents them: they change (and answer) the pool's `UserPoolTags`, a
missing pool is `ResourceNotFoundException`, and the first two answer an
empty body. moto also answers `DescribeUserPool` with the `MfaConfiguration`
the pool was created (or last updated) with, not the one
`SetUserPoolMfaConfig` set, where AWS answers the pool's MFA mode: this
launcher keeps the two in step, as AWS does. And moto's `UpdateUserPool`
drops the settings a pool is created with that cannot change
(`UsernameAttributes`, `AliasAttributes`, `UsernameConfiguration`, `Schema`),
which AWS keeps: this launcher keeps them.

MSK (Kafka): moto 5.2.5 leaves a new cluster `CREATING` forever (AWS
finishes one in 15 to 40 minutes), writes its `creationTime` without a zone
(no SDK parses it; AWS answers UTC, fixed here), answers `DescribeCluster` of a missing
(or deleted) cluster with HTTP 500, answers `ListClusters` with five fields
of each cluster where AWS answers its whole `ClusterInfo` (tags included),
and has none of the calls that change a provisioned cluster in place. This
launcher finishes creation as AWS does, at the first read after the create
(`ACTIVE`); makes a missing cluster `NotFoundException` (HTTP 404); answers
`ListClusters` in AWS's shape (each cluster's whole `ClusterInfo`, filtered
by `clusterNameFilter` as a name prefix); and is an emulator extension that
adds `UpdateBrokerCount`, `UpdateBrokerType`, `UpdateBrokerStorage`,
`UpdateClusterKafkaVersion` and `UpdateMonitoring` as AWS documents them:
each takes the cluster's `currentVersion` (another one is
`BadRequestException`, as AWS answers a stale version), changes what it is
given, gives the cluster a new `currentVersion`, leaves it `UPDATING` until
the next read (then `ACTIVE`), and answers the cluster's ARN and an operation
ARN. `DeleteCluster` with a stale `currentVersion` is `BadRequestException`
too. A second cluster of one name is `ConflictException`, as on AWS.

Transit Gateway: moto 5.2.5 reads the tags of `CreateTransitGatewayVpcAttachment`
from a `TagSpecification` of resource type `transit-gateway-route-table`,
where AWS (and every SDK) sends `transit-gateway-attachment`, so an
attachment's tags were dropped; it associates every new attachment with the
gateway's default route table even when the gateway's
`DefaultRouteTableAssociation` is `disable` (AWS then associates none); and
it has no `ReplaceTransitGatewayRoute`. This launcher reads the attachment's
tags as AWS does, associates a new attachment with the default route table
only when the gateway says `enable`, and is an emulator extension that adds
`ReplaceTransitGatewayRoute` as AWS documents it: the static route to the
CIDR takes the new attachment (or becomes a blackhole), and a route the
table lacks is `InvalidRoute.NotFound`. (moto also ignores `tag:` filters on
attachments and route tables: strata confirms ownership by each item's own
tags, as it must on AWS too.)

Site-to-site VPN: moto 5.2.5 drops a VPN connection's `Options` (static
routing, the tunnels) and has no `CreateVpnConnectionRoute` or
`DeleteVpnConnectionRoute`, so a connection's routing could never be read
back or changed. This launcher keeps the options as AWS answers them
(`StaticRoutesOnly` as given; two tunnels, each with an outside address
(in 198.51.100.0/24, a documentation range) and the pre-shared key given,
or a random one as AWS makes) and is an
emulator extension that adds the two route calls as AWS documents them: the
connection's `Routes` gain (or lose) the CIDR with `Source` `static` and
`State` `available`, and a route the connection lacks is
`InvalidRoute.NotFound`.

Lambda: nothing strata does invokes a function, but Secrets Manager's
`RotateSecret` runs the rotation function's `testSecret` step (AWS invokes
it; moto invokes it through Docker, which this machine lacks). This launcher
sets moto's documented `lambda.use_docker` to false at start, so that moto
answers an invocation without running it.

API Gateway (REST, v1): moto 5.2.5's `TagResource` and `UntagResource` act on
stage ARNs only, it has no `GetTags`, `UpdateVpcLink` or `UpdateDomainName`,
and `PutIntegration` drops `connectionId` (the VPC link of a private
integration). This launcher is an emulator extension that adds them as AWS
documents them: the three tag calls act on the ARNs of REST APIs
(`arn:aws:apigateway:<region>::/restapis/<id>`), their stages, VPC links and
domain names (a missing one is `NotFoundException`, another ARN is
`BadRequestException`); `UpdateVpcLink` replaces `/name` and `/description`;
`UpdateDomainName` replaces `/regionalCertificateArn`, `/certificateArn` and
`/securityPolicy` (any other patch path is `BadRequestException`); an
integration keeps its `connectionId` and answers it in `GetIntegration`,
`GetMethod` and `GetResources`. moto also answers `GetBasePathMappings` of a
domain without mappings with HTTP 500 (a `KeyError`); here it answers an
empty list, as AWS does.

WAFv2: moto 5.2.5 records associations (`AssociateWebACL`) but has no
`ListResourcesForWebACL`. This launcher is an emulator extension that adds it
as AWS documents it: the ARNs associated with the ACL, of the one
`ResourceType` asked for (default `APPLICATION_LOAD_BALANCER`; `API_GATEWAY`
for REST API stages, and the other types by their ARN's service), and a
missing ACL is `WAFNonexistentItemException`.

Run it like moto_server: python moto_server.py -H HOST -p PORT
"""
import sys

from moto.core.responses import EmptyResult
from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException
from moto.elasticache.models import ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse


class CacheSubnetGroupInUse(ElastiCacheException):
    code = "CacheSubnetGroupInUse"

    def __init__(self, name: str):
        super().__init__(f"Cache subnet group {name} is currently in use by a cache cluster.")


def _delete_cache_subnet_group(self, cache_subnet_group_name):
    if cache_subnet_group_name not in self.cache_subnet_groups:
        raise CacheSubnetGroupNotFound(cache_subnet_group_name)
    users = [c for c in self.cache_clusters.values() if getattr(c, "cache_subnet_group_name", None) == cache_subnet_group_name and getattr(c, "cache_cluster_status", "") != "deleting"]
    users += [g for g in self.replication_groups.values() if getattr(g, "cache_subnet_group_name", None) == cache_subnet_group_name and getattr(g, "status", "") != "deleting"]
    if users:
        raise CacheSubnetGroupInUse(cache_subnet_group_name)
    group = self.cache_subnet_groups.pop(cache_subnet_group_name)
    self.tagging_service.delete_all_tags_for_resource(group.arn)


def _delete_cache_subnet_group_response(self):
    self.elasticache_backend.delete_cache_subnet_group(self._get_param("CacheSubnetGroupName"))
    return EmptyResult()


ElastiCacheBackend.delete_cache_subnet_group = _delete_cache_subnet_group

_moto_create_cache_cluster = ElastiCacheBackend.create_cache_cluster


def _create_cache_cluster(self, *args, **kwargs):
    cluster = _moto_create_cache_cluster(self, *args, **kwargs)
    if getattr(cluster, "engine", "") == "memcached" and not getattr(cluster, "configuration_endpoint", None):
        cluster.configuration_endpoint = {
            "address": f"{cluster.cache_cluster_id}.a1b2c3.cfg.{self.region_name}.cache.amazonaws.com",
            "port": cluster.port,
        }
    return cluster


ElastiCacheBackend.create_cache_cluster = _create_cache_cluster
ElastiCacheResponse.delete_cache_subnet_group = _delete_cache_subnet_group_response


def _log_group(backend, name):
    from moto.logs.exceptions import ResourceNotFoundException

    if name not in backend.groups:
        raise ResourceNotFoundException("The specified log group does not exist.")
    return backend.groups[name]


def _associate_kms_key(self):
    _log_group(self.logs_backend, self._get_param("logGroupName")).kms_key_id = self._get_param("kmsKeyId")
    return ""


def _disassociate_kms_key(self):
    _log_group(self.logs_backend, self._get_param("logGroupName")).kms_key_id = None
    return ""


from moto.logs.responses import LogsResponse  # noqa: E402

LogsResponse.associate_kms_key = _associate_kms_key
LogsResponse.disassociate_kms_key = _disassociate_kms_key


def _reset_db_parameter_group(self):
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import DBParameterGroupNotFoundError, RDSClientError

    name = self.params.get("DBParameterGroupName")
    group = self.backend.db_parameter_groups.get(name)
    if group is None:
        raise DBParameterGroupNotFoundError(name)
    names = [p.get("ParameterName") for p in self.params.get("Parameters", []) or []]
    if str(self.params.get("ResetAllParameters", "")).lower() == "true":
        group.parameters.clear()
    elif names:
        for n in names:
            group.parameters.pop(n, None)
    else:
        raise RDSClientError("InvalidParameterCombination", "Parameters or ResetAllParameters must be given.")
    return ActionResult({"DBParameterGroupName": group.name})


from moto.rds.responses import RDSResponse  # noqa: E402

RDSResponse.reset_db_parameter_group = _reset_db_parameter_group


def _backup_selections(backend, plan_id):
    """The live plan's selections (selection id -> record), in creation order."""
    from moto.backup.exceptions import ResourceNotFoundException

    plan = backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise ResourceNotFoundException(msg=f"Failed reading Backup plan with provided version (plan {plan_id} not found)")
    return backend.__dict__.setdefault("strata_backup_selections", {}).setdefault(plan_id, {})


def _backup_selection(backend, plan_id, selection_id):
    from moto.backup.exceptions import ResourceNotFoundException

    selection = _backup_selections(backend, plan_id).get(selection_id)
    if selection is None:
        raise ResourceNotFoundException(msg=f"Backup selection {selection_id} not found in backup plan {plan_id}")
    return selection


def _backup_uri_param(response, name, index):
    # The service router fills uri_match; the path is the fallback.
    from urllib.parse import unquote

    value = (getattr(response, "uri_match", None) or {}).get(name)
    return unquote(value) if value else unquote(response.path.rstrip("/").split("/")[index])


def _create_backup_selection(self):
    import json
    import re
    from copy import deepcopy

    from moto.backup.exceptions import BackupClientError, InvalidParameterValueException
    from moto.core.utils import unix_time
    from moto.moto_api._internal import mock_random

    plan_id = _backup_uri_param(self, "backupPlanId", 3)
    params = json.loads(self.body) if self.body else {}
    selections = _backup_selections(self.backup_backend, plan_id)
    given = params.get("BackupSelection")
    for field in ("SelectionName", "IamRoleArn"):
        if not isinstance(given, dict) or not given.get(field):
            raise BackupClientError("MissingParameterValueException", f"BackupSelection.{field} is required")
    name, role = given["SelectionName"], given["IamRoleArn"]
    if not re.fullmatch(r"[a-zA-Z0-9\-_.]{1,50}", name):
        raise InvalidParameterValueException(msg=f"Invalid SelectionName {name!r}: it must contain 1 to 50 alphanumeric or '-_.' characters")
    if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:role/.+", role):
        raise InvalidParameterValueException(msg=f"Invalid IamRoleArn {role!r}: it must be an IAM role ARN")
    for condition in given.get("ListOfTags") or []:
        if condition.get("ConditionType") != "STRINGEQUALS" or not condition.get("ConditionKey"):
            raise InvalidParameterValueException(msg="ListOfTags supports only STRINGEQUALS conditions with a ConditionKey")
    creator_request_id = params.get("CreatorRequestId")
    if creator_request_id:
        for selection in selections.values():
            if selection["CreatorRequestId"] == creator_request_id:
                return json.dumps({k: selection[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})
    document = deepcopy(given)
    for field in ("Resources", "NotResources", "ListOfTags"):
        document[field] = document.get(field) or []
    conditions = document.get("Conditions") or {}
    document["Conditions"] = {k: conditions.get(k) or [] for k in ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike")}
    selection = {
        "BackupSelection": document,
        "SelectionId": str(mock_random.uuid4()),
        "BackupPlanId": plan_id,
        "CreationDate": unix_time(),
        "CreatorRequestId": creator_request_id,
    }
    selections[selection["SelectionId"]] = selection
    return json.dumps({k: selection[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})


def _get_backup_selection(self):
    import json

    selection = _backup_selection(self.backup_backend, _backup_uri_param(self, "backupPlanId", 3), _backup_uri_param(self, "selectionId", 5))
    return json.dumps({k: v for k, v in selection.items() if v is not None})


def _list_backup_selections(self):
    import json
    from urllib.parse import parse_qs

    from moto.backup.exceptions import InvalidParameterValueException

    selections = list(_backup_selections(self.backup_backend, _backup_uri_param(self, "backupPlanId", 3)).values())
    query = parse_qs(self.parsed_url.query)
    max_results = (query.get("maxResults") or ["1000"])[0]
    if not max_results.isdigit() or not 1 <= int(max_results) <= 1000:
        raise InvalidParameterValueException(msg=f"Invalid MaxResults {max_results}: it must be from 1 to 1000")
    start = 0
    token = (query.get("nextToken") or [None])[0]
    if token:
        ids = [s["SelectionId"] for s in selections]
        if token not in ids:
            raise InvalidParameterValueException(msg="Invalid NextToken")
        start = ids.index(token)
    page = selections[start : start + int(max_results)]
    answer = {
        "BackupSelectionsList": [
            {
                k: v
                for k, v in {
                    "SelectionId": s["SelectionId"],
                    "SelectionName": s["BackupSelection"]["SelectionName"],
                    "BackupPlanId": s["BackupPlanId"],
                    "CreationDate": s["CreationDate"],
                    "CreatorRequestId": s["CreatorRequestId"],
                    "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
                }.items()
                if v is not None
            }
            for s in page
        ]
    }
    if start + int(max_results) < len(selections):
        answer["NextToken"] = selections[start + int(max_results)]["SelectionId"]
    return json.dumps(answer)


def _delete_backup_selection(self):
    plan_id, selection_id = _backup_uri_param(self, "backupPlanId", 3), _backup_uri_param(self, "selectionId", 5)
    _backup_selection(self.backup_backend, plan_id, selection_id)
    del _backup_selections(self.backup_backend, plan_id)[selection_id]
    return ""


from moto.backup.models import BackupBackend  # noqa: E402
from moto.backup.responses import BackupResponse  # noqa: E402

_moto_delete_backup_plan = BackupBackend.delete_backup_plan


def _delete_backup_plan(self, backup_plan_id):
    from moto.backup.exceptions import InvalidRequestException

    plan = self.plans.get(backup_plan_id)
    if plan is not None and plan.deletion_date is None and self.__dict__.get("strata_backup_selections", {}).get(backup_plan_id):
        raise InvalidRequestException(msg="Related backup plan selections must be deleted prior to backup plan deletion")
    return _moto_delete_backup_plan(self, backup_plan_id)


BackupBackend.delete_backup_plan = _delete_backup_plan
BackupResponse.create_backup_selection = _create_backup_selection
BackupResponse.get_backup_selection = _get_backup_selection
BackupResponse.list_backup_selections = _list_backup_selections
BackupResponse.delete_backup_selection = _delete_backup_selection


from moto.ecr.responses import ECRResponse

_moto_put_image_scanning_configuration = ECRResponse.put_image_scanning_configuration


def _put_image_scanning_configuration(self):
    # `scanOnPush` left out (false, its default, is not serialized) is false.
    config = self._get_param("imageScanningConfiguration")
    if isinstance(config, dict) and "scanOnPush" not in config:
        self.ecr_backend.put_image_scanning_configuration(
            registry_id=self._get_param("registryId"),
            repository_name=self._get_param("repositoryName"),
            image_scan_config={"scanOnPush": False},
        )
    return _moto_put_image_scanning_configuration(self)


ECRResponse.put_image_scanning_configuration = _put_image_scanning_configuration


from moto.iam.responses import IamResponse


def _add_client_id_to_open_id_connect_provider(self):
    provider = self.backend.get_open_id_connect_provider(self._get_param("OpenIDConnectProviderArn"))
    client_id = self._get_param("ClientID")
    if client_id not in provider.client_id_list:
        provider.client_id_list.append(client_id)
    return EmptyResult()


def _remove_client_id_from_open_id_connect_provider(self):
    provider = self.backend.get_open_id_connect_provider(self._get_param("OpenIDConnectProviderArn"))
    client_id = self._get_param("ClientID")
    provider.client_id_list = [c for c in provider.client_id_list if c != client_id]
    return EmptyResult()


IamResponse.add_client_id_to_open_id_connect_provider = _add_client_id_to_open_id_connect_provider
IamResponse.remove_client_id_from_open_id_connect_provider = _remove_client_id_from_open_id_connect_provider


from moto.ecs.responses import EC2ContainerServiceResponse

_moto_create_service = EC2ContainerServiceResponse.create_service


def _create_service(self):
    result = _moto_create_service(self)
    cluster = self._get_param("cluster", "default")
    service = self.ecs_backend._get_service(cluster, self._get_param("serviceName"))
    deployment = self._get_param("deploymentConfiguration")
    if deployment is not None:
        service.deployment_configuration = deployment
    grace = self._get_param("healthCheckGracePeriodSeconds")
    if grace is not None:
        service.health_check_grace_period_seconds = grace
    return result


EC2ContainerServiceResponse.create_service = _create_service


from moto.cloudfront.models import Origin as CloudFrontOrigin

_moto_origin_init = CloudFrontOrigin.__init__


def _origin_init(self, origin):
    _moto_origin_init(self, origin)
    self.origin_access_control_id = origin.get("OriginAccessControlId") or ""


CloudFrontOrigin.__init__ = _origin_init


import json as _json
import uuid as _uuid

from moto.eks import urls as _eks_urls
from moto.eks.exceptions import InvalidParameterException as _EksInvalidParameter
from moto.eks.exceptions import ResourceNotFoundException as _EksNotFound
from moto.eks.models import EKSBackend
from moto.eks.responses import EKSResponse

_moto_update_cluster_config = EKSBackend.update_cluster_config


def _update_cluster_config(self, name, resources_vpc_config, *args, **kwargs):
    cluster = self.clusters.get(name)
    if cluster is not None and resources_vpc_config:
        merged = dict(cluster.resources_vpc_config or {})
        merged.update(resources_vpc_config)
        resources_vpc_config = merged
    return _moto_update_cluster_config(self, name, resources_vpc_config, *args, **kwargs)


def _minor(version):
    major, _, minor = str(version).partition(".")
    return int(major), int(minor)


def _update_cluster_version(self):
    name = self._get_param("name")
    version = self._get_param("version")
    cluster = self.eks_backend.clusters.get(name)
    if cluster is None:
        raise _EksNotFound(clusterName=name, nodegroupName=None, fargateProfileName=None, addonName=None, message=f"No cluster found for name: {name}.")
    (have_major, have_minor), (want_major, want_minor) = _minor(cluster.version), _minor(version)
    if want_major != have_major or want_minor != have_minor + 1:
        raise _EksInvalidParameter(clusterName=name, nodegroupName=None, fargateProfileName=None, addonName=None, message=f"Unsupported Kubernetes minor version update from {cluster.version} to {version}")
    cluster.version = version
    update = {"id": str(_uuid.uuid4()), "status": "Successful", "type": "VersionUpdate", "params": [{"type": "Version", "value": version}], "errors": []}
    return 200, {}, _json.dumps({"update": update})


from moto.eks.models import Cluster as _EksCluster

_moto_eks_cluster_init = _EksCluster.__init__


def _eks_cluster_init(self, *args, **kwargs):
    _moto_eks_cluster_init(self, *args, **kwargs)
    # moto's own issuer names the region: https://oidc.eks.<region>.amazonaws.com/id/...
    region = self.identity["oidc"]["issuer"].split("oidc.eks.", 1)[1].split(".amazonaws.com", 1)[0]
    unique = _uuid.uuid4().hex.upper()
    self.identity = {"oidc": {"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{unique}"}}
    self.endpoint = f"https://{unique}.gr7.{region}.eks.amazonaws.com"


_EksCluster.__init__ = _eks_cluster_init
EKSBackend.update_cluster_config = _update_cluster_config
EKSResponse.update_cluster_version = _update_cluster_version
_eks_urls.url_paths["{0}/clusters/(?P<name>[^/]+)/updates$"] = _eks_urls.response.dispatch


import time as _time

_ADDONS = {}  # (account, region, cluster, addon) -> dict


def _addon_key(self, cluster, addon):
    return (self.current_account, self.region, cluster, addon)


def _addon_cluster(self, cluster):
    if cluster not in self.eks_backend.clusters:
        raise _EksNotFound(clusterName=cluster, nodegroupName=None, fargateProfileName=None, addonName=None, message=f"No cluster found for name: {cluster}.")


def _addon_missing(cluster, addon):
    return _EksNotFound(clusterName=cluster, nodegroupName=None, fargateProfileName=None, addonName=addon, message=f"No addon: {addon} found in cluster: {cluster}")


def _create_addon(self):
    from moto.eks.exceptions import ResourceInUseException
    cluster = self._get_param("name")
    _addon_cluster(self, cluster)
    name = self._get_param("addonName")
    key = _addon_key(self, cluster, name)
    if key in _ADDONS:
        raise ResourceInUseException(clusterName=cluster, nodegroupName=None, fargateProfileName=None, addonName=name, message=f"Addon already exists: {name}")
    now = _time.time()
    addon = {
        "addonName": name,
        "clusterName": cluster,
        "status": "ACTIVE",
        "addonVersion": self._get_param("addonVersion") or "v1.0.0-eksbuild.1",
        "health": {"issues": []},
        "addonArn": f"arn:aws:eks:{self.region}:{self.current_account}:addon/{cluster}/{name}/{_uuid.uuid4()}",
        "createdAt": now,
        "modifiedAt": now,
        "tags": self._get_param("tags") or {},
    }
    for field in ("serviceAccountRoleArn", "configurationValues"):
        if self._get_param(field):
            addon[field] = self._get_param(field)
    _ADDONS[key] = addon
    return 200, {}, _json.dumps({"addon": addon})


def _describe_addon(self):
    cluster, name = self._get_param("name"), self._get_param("addonName")
    _addon_cluster(self, cluster)
    addon = _ADDONS.get(_addon_key(self, cluster, name))
    if addon is None:
        raise _addon_missing(cluster, name)
    return 200, {}, _json.dumps({"addon": addon})


def _list_addons(self):
    cluster = self._get_param("name")
    _addon_cluster(self, cluster)
    names = sorted(a["addonName"] for (acct, region, c, _), a in _ADDONS.items() if (acct, region, c) == (self.current_account, self.region, cluster))
    return 200, {}, _json.dumps({"addons": names})


def _update_addon(self):
    cluster, name = self._get_param("name"), self._get_param("addonName")
    _addon_cluster(self, cluster)
    addon = _ADDONS.get(_addon_key(self, cluster, name))
    if addon is None:
        raise _addon_missing(cluster, name)
    params = []
    if self._get_param("addonVersion"):
        addon["addonVersion"] = self._get_param("addonVersion")
        params.append({"type": "AddonVersion", "value": addon["addonVersion"]})
    for field, kind in (("serviceAccountRoleArn", "ServiceAccountRoleArn"), ("configurationValues", "ConfigurationValues")):
        value = self._get_param(field)
        if value is None:
            continue
        addon[field] = value
        params.append({"type": kind, "value": value})
    addon["modifiedAt"] = _time.time()
    update = {"id": str(_uuid.uuid4()), "status": "Successful", "type": "AddonUpdate", "params": params, "errors": []}
    return 200, {}, _json.dumps({"update": update})


def _delete_addon(self):
    cluster, name = self._get_param("name"), self._get_param("addonName")
    _addon_cluster(self, cluster)
    addon = _ADDONS.pop(_addon_key(self, cluster, name), None)
    if addon is None:
        raise _addon_missing(cluster, name)
    return 200, {}, _json.dumps({"addon": dict(addon, status="DELETING")})


def _addon_by_arn(arn):
    return next((a for a in _ADDONS.values() if a["addonArn"] == arn), None)


_moto_eks_tag_resource = EKSResponse.tag_resource
_moto_eks_untag_resource = EKSResponse.untag_resource
_moto_eks_list_tags = EKSResponse.list_tags_for_resource


def _eks_tag_resource(self):
    addon = _addon_by_arn(self._extract_arn_from_path())
    if addon is None:
        return _moto_eks_tag_resource(self)
    addon["tags"].update(self._get_param("tags") or {})
    return 200, {}, "{}"


def _eks_untag_resource(self):
    addon = _addon_by_arn(self._extract_arn_from_path())
    if addon is None:
        return _moto_eks_untag_resource(self)
    for k in self._get_param("tagKeys") or []:
        addon["tags"].pop(k, None)
    return 200, {}, "{}"


def _eks_list_tags(self):
    addon = _addon_by_arn(self._extract_arn_from_path())
    if addon is None:
        return _moto_eks_list_tags(self)
    return 200, {}, _json.dumps({"tags": addon["tags"]})


EKSResponse.create_addon = _create_addon
EKSResponse.describe_addon = _describe_addon
EKSResponse.list_addons = _list_addons
EKSResponse.update_addon = _update_addon
EKSResponse.delete_addon = _delete_addon
EKSResponse.tag_resource = _eks_tag_resource
EKSResponse.untag_resource = _eks_untag_resource
EKSResponse.list_tags_for_resource = _eks_list_tags
_eks_urls.url_paths["{0}/clusters/(?P<name>[^/]+)/addons$"] = _eks_urls.response.dispatch
_eks_urls.url_paths["{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$"] = _eks_urls.response.dispatch
_eks_urls.url_paths["{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$"] = _eks_urls.response.dispatch

from moto.apigatewayv2.responses import ApiGatewayV2Response


def _get_authorizers(self):
    api_id = self.path.split("/")[-2]
    api = self.apigatewayv2_backend.get_api(api_id)
    return 200, {}, _json.dumps({"items": [a.to_json() for a in api.authorizers.values()]})


ApiGatewayV2Response.get_authorizers = _get_authorizers

from moto.apigatewayv2.models import DomainName as _ApiDomainName  # noqa: E402

# API Gateway's hosted zones of regional endpoints (AWS's published list, the regions strata's stacks use).
_API_ZONES = {"eu-central-1": "Z1U9ULNL0V5AJ3", "us-east-1": "Z1UJRXOUMOOFQ8", "eu-west-1": "ZLY8HYME6SFDD"}
_moto_domain_init = _ApiDomainName.__init__


def _fill_domain_configurations(domain):
    region = domain.domain_name_arn.split(":")[3]
    for c in domain.domain_name_configurations or []:
        c.setdefault("apiGatewayDomainName", f"d-{_uuid.uuid4().hex[:10]}.execute-api.{region}.amazonaws.com")
        c.setdefault("hostedZoneId", _API_ZONES.get(region, "Z1U9ULNL0V5AJ3"))
        c.setdefault("domainNameStatus", "AVAILABLE")


def _api_domain_init(self, *args, **kwargs):
    _moto_domain_init(self, *args, **kwargs)
    _fill_domain_configurations(self)


def _update_domain_name(self):
    name = self.path.split("/")[-1]
    domain = self.apigatewayv2_backend.get_domain_name(name)
    params = _json.loads(self.body or "{}")
    if "domainNameConfigurations" in params:
        domain.domain_name_configurations = params["domainNameConfigurations"]
        _fill_domain_configurations(domain)
    return 200, {}, _json.dumps(domain.to_json())


_ApiDomainName.__init__ = _api_domain_init
ApiGatewayV2Response.update_domain_name = _update_domain_name

from moto.cognitoidp.responses import CognitoIdpResponse


def _cognito_pool_of(self):
    arn = self._get_param("ResourceArn") or ""
    return self.backend.describe_user_pool(arn.rsplit("userpool/", 1)[-1])


def _cognito_tag_resource(self):
    pool = _cognito_pool_of(self)
    tags = dict(pool.extended_config.get("UserPoolTags") or {})
    tags.update(self._get_param("Tags") or {})
    pool.extended_config["UserPoolTags"] = tags
    return "{}"


def _cognito_untag_resource(self):
    pool = _cognito_pool_of(self)
    tags = dict(pool.extended_config.get("UserPoolTags") or {})
    for k in self._get_param("TagKeys") or []:
        tags.pop(k, None)
    pool.extended_config["UserPoolTags"] = tags
    return "{}"


def _cognito_list_tags_for_resource(self):
    pool = _cognito_pool_of(self)
    return _json.dumps({"Tags": pool.extended_config.get("UserPoolTags") or {}})


from moto.cognitoidp.models import CognitoIdpBackend

_moto_set_user_pool_mfa_config = CognitoIdpBackend.set_user_pool_mfa_config


def _set_user_pool_mfa_config(self, user_pool_id, sms_config, token_config, mfa_config):
    answer = _moto_set_user_pool_mfa_config(self, user_pool_id, sms_config, token_config, mfa_config)
    self.describe_user_pool(user_pool_id).extended_config["MfaConfiguration"] = mfa_config
    return answer


CognitoIdpBackend.set_user_pool_mfa_config = _set_user_pool_mfa_config

_moto_update_user_pool = CognitoIdpBackend.update_user_pool
_IMMUTABLE_POOL_SETTINGS = ("UsernameAttributes", "AliasAttributes", "UsernameConfiguration", "Schema")


def _update_user_pool(self, user_pool_id, extended_config):
    pool = self.describe_user_pool(user_pool_id)
    kept = {k: pool.extended_config[k] for k in _IMMUTABLE_POOL_SETTINGS if k in pool.extended_config}
    _moto_update_user_pool(self, user_pool_id, extended_config)
    pool.extended_config.update(kept)


CognitoIdpBackend.update_user_pool = _update_user_pool
CognitoIdpResponse.tag_resource = _cognito_tag_resource
CognitoIdpResponse.untag_resource = _cognito_untag_resource
CognitoIdpResponse.list_tags_for_resource = _cognito_list_tags_for_resource

import uuid as _msk_uuid  # noqa: E402
from urllib.parse import unquote as _unquote  # noqa: E402

from moto.core.config import default_user_config as _moto_config  # noqa: E402
from moto.kafka.exceptions import KafkaException as _KafkaException  # noqa: E402
from moto.kafka.models import KafkaBackend as _KafkaBackend  # noqa: E402
from moto.kafka.responses import KafkaResponse as _KafkaResponse  # noqa: E402

_moto_config.setdefault("lambda", {})["use_docker"] = False


class _MskNotFound(_KafkaException):
    code = 404

    def __init__(self, arn):
        super().__init__("NotFoundException", f"The resource {arn} does not exist.")


class _MskBadRequest(_KafkaException):
    def __init__(self, message):
        super().__init__("BadRequestException", message)


class _MskConflict(_KafkaException):
    code = 409

    def __init__(self, message):
        super().__init__("ConflictException", message)


def _msk_cluster(self, arn):
    cluster = self.clusters.get(arn)
    if cluster is None:
        raise _MskNotFound(arn)
    # AWS finishes a create or an update some minutes later: here, by the next read.
    if cluster.state in ("CREATING", "UPDATING"):
        cluster.state = "ACTIVE"
    return cluster


_moto_msk_describe = _KafkaBackend.describe_cluster
_moto_msk_create = _KafkaBackend.create_cluster
_moto_msk_delete = _KafkaBackend.delete_cluster


def _msk_describe(self, cluster_arn):
    _msk_cluster(self, cluster_arn)
    info = _moto_msk_describe(self, cluster_arn)
    # moto writes a local time without a zone, which no SDK parses: AWS answers UTC.
    if not str(info.get("creationTime", "")).endswith("Z"):
        info["creationTime"] = str(info["creationTime"])[:23] + "Z"
    return info


def _msk_create(self, *args, **kwargs):
    name = kwargs.get("cluster_name")
    if any(c.cluster_name == name for c in self.clusters.values()):
        raise _MskConflict(f"A cluster with the name {name} already exists.")
    return _moto_msk_create(self, *args, **kwargs)


def _msk_list(self, cluster_name_filter=None, max_results=None, next_token=None):
    return [
        _msk_describe(self, arn)
        for arn, c in list(self.clusters.items())
        if c.cluster_type == "PROVISIONED" and (not cluster_name_filter or c.cluster_name.startswith(cluster_name_filter))
    ]


def _msk_checked(self, arn, current_version):
    cluster = _msk_cluster(self, arn)
    if current_version is not None and current_version != cluster.current_version:
        raise _MskBadRequest(f"The provided current version {current_version} of the cluster doesn't match the cluster's current version {cluster.current_version}.")
    return cluster


def _msk_delete(self, cluster_arn, current_version):
    _msk_checked(self, cluster_arn, current_version)
    return _moto_msk_delete(self, cluster_arn, current_version)


def _msk_arn_of(response, suffix):
    return _unquote(response.parsed_url.path.split("/clusters/", 1)[-1]).removesuffix(suffix)


def _msk_update(response, suffix, change):
    backend = response.kafka_backend
    cluster = _msk_checked(backend, _msk_arn_of(response, suffix), response._get_param("currentVersion"))
    change(cluster)
    cluster.current_version = "K" + _msk_uuid.uuid4().hex[:13].upper()
    cluster.state = "UPDATING"
    operation = f"{cluster.arn.replace(':cluster/', ':cluster-operation/')}/{_msk_uuid.uuid4()}"
    return _json.dumps({"clusterArn": cluster.arn, "clusterOperationArn": operation})


def _msk_update_broker_count(self):
    def change(c):
        c.number_of_broker_nodes = int(self._get_param("targetNumberOfBrokerNodes"))

    return _msk_update(self, "/nodes/count", change)


def _msk_update_broker_type(self):
    def change(c):
        c.broker_node_group_info = dict(c.broker_node_group_info or {}, instanceType=self._get_param("targetInstanceType"))

    return _msk_update(self, "/nodes/type", change)


def _msk_update_broker_storage(self):
    def change(c):
        info = dict(c.broker_node_group_info or {})
        for v in self._get_param("targetBrokerEBSVolumeInfo") or []:
            ebs = dict((info.get("storageInfo") or {}).get("ebsStorageInfo") or {}, volumeSize=v.get("volumeSizeGB"))
            info["storageInfo"] = {"ebsStorageInfo": ebs}
        c.broker_node_group_info = info

    return _msk_update(self, "/nodes/storage", change)


def _msk_update_kafka_version(self):
    def change(c):
        c.kafka_version = self._get_param("targetKafkaVersion")

    return _msk_update(self, "/version", change)


def _msk_update_monitoring(self):
    def change(c):
        for key, attr in (("enhancedMonitoring", "enhanced_monitoring"), ("openMonitoring", "open_monitoring"), ("loggingInfo", "logging_info")):
            if self._get_param(key) is not None:
                setattr(c, attr, self._get_param(key))

    return _msk_update(self, "/monitoring", change)


_KafkaBackend.describe_cluster = _msk_describe
_KafkaBackend.create_cluster = _msk_create
_KafkaBackend.list_clusters = _msk_list
_KafkaBackend.delete_cluster = _msk_delete
_KafkaResponse.update_broker_count = _msk_update_broker_count
_KafkaResponse.update_broker_type = _msk_update_broker_type
_KafkaResponse.update_broker_storage = _msk_update_broker_storage
_KafkaResponse.update_cluster_kafka_version = _msk_update_kafka_version
_KafkaResponse.update_monitoring = _msk_update_monitoring

from moto.core.responses import ActionResult as _ActionResult  # noqa: E402
from moto.ec2.exceptions import EC2ClientError as _Ec2ClientError  # noqa: E402
from moto.ec2.models.transit_gateway_attachments import TransitGatewayAttachmentBackend as _TgwAttachments  # noqa: E402
from moto.ec2.responses.transit_gateway_attachments import TransitGatewayAttachment as _TgwAttachmentResponse  # noqa: E402
from moto.ec2.responses.transit_gateway_route_tables import TransitGatewayRouteTable as _TgwRouteTableResponse  # noqa: E402


def _create_tgw_vpc_attachment(self):
    tags = self._parse_tag_specification().get("transit-gateway-attachment", {})
    attachment = self.ec2_backend.create_transit_gateway_vpc_attachment(
        transit_gateway_id=self._get_param("TransitGatewayId"),
        tags=tags,
        vpc_id=self._get_param("VpcId"),
        subnet_ids=self._get_param("SubnetIds", []),
        options=self._get_param("Options", {}),
    )
    return _ActionResult({"TransitGatewayVpcAttachment": attachment})


def _tgw_create_vpc_attachment_backend(self, transit_gateway_id, vpc_id, subnet_ids, tags=None, options=None):
    gateway = self.transit_gateways.get(transit_gateway_id)
    default_on = gateway is None or gateway.options.get("DefaultRouteTableAssociation", "enable") == "enable"
    attachment = _moto_create_tgw_vpc_attachment(self, transit_gateway_id=transit_gateway_id, vpc_id=vpc_id, subnet_ids=subnet_ids, tags=tags, options=options)
    if not default_on:
        table = attachment.transit_gateway_route_table
        self.transit_gateways_route_tables[table.id].route_table_associations.pop(attachment.id, None)
    return attachment


def _replace_tgw_route(self):
    table_id = self._get_param("TransitGatewayRouteTableId")
    cidr = self._get_param("DestinationCidrBlock")
    table = self.ec2_backend.transit_gateways_route_tables.get(table_id)
    if table is None or cidr not in table.routes:
        raise _Ec2ClientError("InvalidRoute.NotFound", f"No route with destination-cidr-block {cidr} in transit gateway route table {table_id}")
    table.routes.pop(cidr)
    blackhole = str(self._get_param("Blackhole", "false")).lower() == "true"
    route = self.ec2_backend.create_transit_gateway_route(
        transit_gateway_route_table_id=table_id,
        destination_cidr_block=cidr,
        transit_gateway_attachment_id=self._get_param("TransitGatewayAttachmentId"),
        blackhole=blackhole,
    )
    return _ActionResult({"Route": route})


from moto.ec2.models.transit_gateway_route_tables import TransitGatewayRouteTableBackend as _TgwRouteTables  # noqa: E402

_moto_create_tgw_route = _TgwRouteTables.create_transit_gateway_route


def _create_tgw_route(self, *args, **kwargs):
    route = _moto_create_tgw_route(self, *args, **kwargs)
    # AWS answers a route's attachments as a list.
    if isinstance(route.get("transitGatewayAttachments"), dict):
        route["transitGatewayAttachments"] = [route["transitGatewayAttachments"]]
    return route


_TgwRouteTables.create_transit_gateway_route = _create_tgw_route
_moto_create_tgw_vpc_attachment = _TgwAttachments.create_transit_gateway_vpc_attachment
_TgwAttachments.create_transit_gateway_vpc_attachment = _tgw_create_vpc_attachment_backend
_TgwAttachmentResponse.create_transit_gateway_vpc_attachment = _create_tgw_vpc_attachment
_TgwRouteTableResponse.replace_transit_gateway_route = _replace_tgw_route

import random as _random  # noqa: E402
import string as _string  # noqa: E402

from moto.ec2.responses.vpn_connections import VPNConnections as _VpnResponse  # noqa: E402

_moto_create_vpn_connection = _VpnResponse.create_vpn_connection


def _truthy(v):
    return str(v).lower() == "true"


def _create_vpn_connection(self):
    answer = _moto_create_vpn_connection(self)
    conn = list(self.ec2_backend.vpn_connections.values())[-1]
    given = self._get_param("Options", {}) or {}
    tunnels_given = given.get("TunnelOptions") or []
    if isinstance(tunnels_given, dict):
        tunnels_given = [tunnels_given[k] for k in sorted(tunnels_given)]
    tunnels = []
    for i in range(2):
        spec = tunnels_given[i] if i < len(tunnels_given) and isinstance(tunnels_given[i], dict) else {}
        key = spec.get("PreSharedKey") or "".join(_random.choice(_string.ascii_letters + _string.digits + "_.") for _ in range(32))
        tunnels.append({"OutsideIpAddress": f"198.51.100.{_random.randint(1, 254)}", "PreSharedKey": key})
    conn.options = {"StaticRoutesOnly": _truthy(given.get("StaticRoutesOnly", "false")), "TunnelOptions": tunnels}
    conn.routes = []
    return answer


def _vpn_conn(self):
    conn_id = self._get_param("VpnConnectionId")
    return self.ec2_backend.describe_vpn_connections(vpn_connection_ids=[conn_id])[0]


def _create_vpn_connection_route(self):
    conn = _vpn_conn(self)
    cidr = self._get_param("DestinationCidrBlock")
    routes = getattr(conn, "routes", None) or []
    if not any(r["DestinationCidrBlock"] == cidr for r in routes):
        routes.append({"DestinationCidrBlock": cidr, "Source": "static", "State": "available"})
    conn.routes = routes
    return _ActionResult({})


def _delete_vpn_connection_route(self):
    conn = _vpn_conn(self)
    cidr = self._get_param("DestinationCidrBlock")
    routes = getattr(conn, "routes", None) or []
    if not any(r["DestinationCidrBlock"] == cidr for r in routes):
        raise _Ec2ClientError("InvalidRoute.NotFound", f"The route {cidr} of {conn.id} does not exist")
    conn.routes = [r for r in routes if r["DestinationCidrBlock"] != cidr]
    return _ActionResult({})


_VpnResponse.create_vpn_connection = _create_vpn_connection
_VpnResponse.create_vpn_connection_route = _create_vpn_connection_route
_VpnResponse.delete_vpn_connection_route = _delete_vpn_connection_route

from urllib.parse import unquote as _unquote  # noqa: E402

from moto.apigateway import urls as _apigw_urls  # noqa: E402
from moto.apigateway.exceptions import BadRequestException as _ApigwBadRequest  # noqa: E402
from moto.apigateway.models import Integration as _ApigwIntegration  # noqa: E402
from moto.apigateway.responses import APIGatewayResponse as _ApigwResponse  # noqa: E402

_apigw_urls.url_paths[
    "{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]+)::/(?P<kind>restapis|vpclinks|domainnames)/(?P<name>[^/]+)$"
] = _ApigwResponse.dispatch


def _apigw_taggable(self):
    arn = _unquote(self.path.split("/tags/", 1)[1])
    parts = arn.split("::", 1)[-1].strip("/").split("/")
    if parts[0] == "restapis" and len(parts) == 4 and parts[2] == "stages":
        return self.backend.get_stage(parts[1], parts[3])
    if parts[0] == "restapis" and len(parts) == 2:
        return self.backend.get_rest_api(parts[1])
    if parts[0] == "vpclinks" and len(parts) == 2:
        return self.backend.get_vpc_link(parts[1])
    if parts[0] == "domainnames" and len(parts) == 2:
        return self.backend.get_domain_name(parts[1])
    raise _ApigwBadRequest(f"Invalid ARN specified in the request: {arn}")


def _apigw_tag_resource(self):
    target = _apigw_taggable(self)
    target.tags = {**(target.tags or {}), **(self._get_param("tags") or {})}
    return 204, {}, ""


def _apigw_untag_resource(self):
    target = _apigw_taggable(self)
    keys = self.querystring.get("tagKeys") or []
    target.tags = {k: v for k, v in (target.tags or {}).items() if k not in keys}
    return 204, {}, ""


def _apigw_get_tags(self):
    return 200, {}, _json.dumps({"tags": _apigw_taggable(self).tags or {}})


def _apigw_patches(self, allowed):
    for op in self._get_param("patchOperations") or []:
        if op.get("op") != "replace" or op.get("path") not in allowed:
            raise _ApigwBadRequest(f"Invalid patch path '{op.get('path')}' specified for op '{op.get('op')}'.")
        yield allowed[op["path"]], op.get("value")


def _apigw_update_vpc_link(self):
    link = self.backend.get_vpc_link(self.path.rstrip("/").split("/")[-1])
    for attr, value in _apigw_patches(self, {"/name": "name", "/description": "description"}):
        setattr(link, attr, value)
    return 200, {}, _json.dumps(link.to_json())


def _apigw_update_domain_name(self):
    domain = self.backend.get_domain_name(_unquote(self.path.rstrip("/").split("/")[-1]))
    paths = {"/regionalCertificateArn": "regional_certificate_arn", "/certificateArn": "certificate_arn", "/securityPolicy": "security_policy"}
    for attr, value in _apigw_patches(self, paths):
        setattr(domain, attr, value)
    return 200, {}, _json.dumps(domain.to_json())


_moto_put_integration = _ApigwResponse.put_integration
_moto_integration_json = _ApigwIntegration.to_json


def _apigw_put_integration(self):
    status, headers, _ = _moto_put_integration(self)
    parts = self.path.split("/")
    integration = self.backend.get_integration(parts[2], parts[4], parts[6])
    integration.connection_id = self._get_param("connectionId")
    return status, headers, _json.dumps(integration.to_json())


def _apigw_integration_json(self):
    out = _moto_integration_json(self)
    if getattr(self, "connection_id", None):
        out["connectionId"] = self.connection_id
    return out


_ApigwResponse.tag_resource = _apigw_tag_resource
_ApigwResponse.untag_resource = _apigw_untag_resource
_ApigwResponse.get_tags = _apigw_get_tags
_ApigwResponse.update_vpc_link = _apigw_update_vpc_link
_ApigwResponse.update_domain_name = _apigw_update_domain_name
_ApigwResponse.put_integration = _apigw_put_integration
_ApigwIntegration.to_json = _apigw_integration_json


from moto.apigateway.models import APIGatewayBackend as _ApigwBackend  # noqa: E402

_moto_base_path_mappings = _ApigwBackend.get_base_path_mappings


def _apigw_base_path_mappings(self, domain_name):
    self.get_domain_name(domain_name)
    self.base_path_mappings.setdefault(domain_name, {})
    return _moto_base_path_mappings(self, domain_name)


_ApigwBackend.get_base_path_mappings = _apigw_base_path_mappings

from moto.wafv2.exceptions import WAFNonexistentItemException as _WafMissing  # noqa: E402
from moto.wafv2.responses import WAFV2Response as _WafResponse  # noqa: E402

# What an associated resource's ARN looks like, per `ResourceType`.
_WAF_TYPES = {
    "APPLICATION_LOAD_BALANCER": ":loadbalancer/app/",
    "API_GATEWAY": ":apigateway:",
    "APPSYNC": ":appsync:",
    "COGNITO_USER_POOL": ":cognito-idp:",
    "APP_RUNNER_SERVICE": ":apprunner:",
    "VERIFIED_ACCESS_INSTANCE": ":verified-access-instance/",
}


def _waf_list_resources(self):
    arn = self._get_param("WebACLArn")
    kind = self._get_param("ResourceType") or "APPLICATION_LOAD_BALANCER"
    acl = self.wafv2_backend.wacls.get(arn)
    if acl is None:
        raise _WafMissing()
    marker = _WAF_TYPES.get(kind, kind)
    return 200, {}, _json.dumps({"ResourceArns": [r for r in acl.associated_resources if marker in r]})


_WafResponse.list_resources_for_web_acl = _waf_list_resources

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
