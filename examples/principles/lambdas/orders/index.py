"""The orders API: GET /orders, GET /orders/{id}, POST /orders (the caller is
the Cognito user the JWT authorizer let through)."""
import json
import os
import uuid

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])
EVENTS = boto3.client("sns")


def handler(event, context):
    user = event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]
    method = event["requestContext"]["http"]["method"]
    if method == "POST":
        order = {"customer_id": user, "order_id": str(uuid.uuid4()), "status": "placed", **json.loads(event.get("body") or "{}")}
        TABLE.put_item(Item=order)
        EVENTS.publish(TopicArn=os.environ["EVENTS"], Message=json.dumps(order))
        return {"statusCode": 201, "body": json.dumps(order)}
    order_id = (event.get("pathParameters") or {}).get("id")
    if order_id:
        item = TABLE.get_item(Key={"customer_id": user, "order_id": order_id}).get("Item")
        return {"statusCode": 200 if item else 404, "body": json.dumps(item or {})}
    items = TABLE.query(KeyConditionExpression="customer_id = :u", ExpressionAttributeValues={":u": user})["Items"]
    return {"statusCode": 200, "body": json.dumps(items)}
