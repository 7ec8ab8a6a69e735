"""Secrets Manager rotation of the session-signing key: the four steps AWS
calls (createSecret, setSecret, testSecret, finishSecret). The key is random
bytes that only the application reads, so there is nothing to set or test
outside Secrets Manager: a new version is made pending, then made current."""
import base64
import os

import boto3

sm = boto3.client("secretsmanager")


def handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    versions = sm.describe_secret(SecretId=arn).get("VersionIdsToStages", {})
    if "AWSCURRENT" in versions.get(token, []):
        return  # already rotated
    if step == "createSecret":
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except sm.exceptions.ResourceNotFoundException:
            value = base64.b64encode(os.urandom(48)).decode()
            sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=value, VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        current = next((v for v, stages in versions.items() if "AWSCURRENT" in stages), None)
        sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)
    # setSecret and testSecret: the key lives only in Secrets Manager.
