"""Writes a minimal pure-Python wheel, strata_demo 1.0, into DIR (no network, no build tools)."""
import base64
import hashlib
import sys
import zipfile

files = {
    "strata_demo/__init__.py": b"VALUE = 42\n",
    "strata_demo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: strata_demo\nVersion: 1.0\n",
    "strata_demo-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: strata-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
for name, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
record.append("strata_demo-1.0.dist-info/RECORD,,")
with zipfile.ZipFile(sys.argv[1] + "/strata_demo-1.0-py3-none-any.whl", "w") as wheel:
    for name, data in files.items():
        wheel.writestr(name, data)
    wheel.writestr("strata_demo-1.0.dist-info/RECORD", "\n".join(record) + "\n")
