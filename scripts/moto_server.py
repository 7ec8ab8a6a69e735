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

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
