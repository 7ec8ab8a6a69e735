"""Write the AMI catalogue moto serves (its MOTO_AMIS_PATH file).

moto's built-in catalogue has no Ubuntu 20.04 image, which the Miamo examples
look up (Canonical's ubuntu-focal-20.04). This keeps moto's own images (the
generic list plus the latest ones of the regions the tests use) and adds one
Ubuntu 20.04 image owned by Canonical's account, so that the lookup resolves
the way it does on AWS. Usage: python moto-amis.py OUT.json
"""
import gzip
import importlib.resources
import json
import sys

res = importlib.resources.files("moto") / "ec2" / "resources"
amis = json.loads(gzip.decompress((res / "amis.json.gz").read_bytes()))
for region in ("eu-central-1", "us-east-1"):
    amis += json.loads(gzip.decompress((res / "latest_amis" / f"{region}.json.gz").read_bytes()))
amis.append({
    "ami_id": "ami-0f0c0a1200204f0ca",
    "name": "ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-20240821",
    "description": "Canonical, Ubuntu, 20.04 LTS, amd64 focal image (emulator stand-in)",
    "owner_id": "099720109477",
    "public": True,
    "state": "available",
    "architecture": "x86_64",
    "virtualization_type": "hvm",
    "hypervisor": "xen",
    "image_type": "machine",
    "root_device_type": "ebs",
    "root_device_name": "/dev/sda1",
    "image_location": "amazon/ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-20240821",
    "sriov": "simple",
    "creation_date": "2024-08-21T00:00:00.000Z",
})
seen, out = set(), []
for a in amis:
    if a["ami_id"] not in seen:
        seen.add(a["ami_id"])
        out.append(a)
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(out, f)
