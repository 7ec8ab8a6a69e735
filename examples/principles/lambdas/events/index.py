"""Order events from SNS: each placed order is logged (a stand-in for the
e-mail, invoicing and stock services a real shop would call here)."""
import json


def handler(event, context):
    for record in event["Records"]:
        order = json.loads(record["Sns"]["Message"])
        print(json.dumps({"event": "order-placed", "order": order.get("order_id")}))
