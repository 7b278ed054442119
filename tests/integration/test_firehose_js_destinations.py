"""Every destination type Spate delivers to, created, described and deleted through the JavaScript SDK v3
(`@aws-sdk/client-firehose`, pinned in js/package.json; js/scenario_firehose_destinations.mjs).

One delivery stream per type: ExtendedS3, S3, Redshift, Amazonopensearchservice, Elasticsearch,
AmazonOpenSearchServerless, HttpEndpoint. Each description, as the SDK parsed it, must hold what was sent
under AWS's description names (`S3Configuration` -> `S3DestinationDescription`, `S3BackupConfiguration` ->
`S3BackupDescription`), never the secrets (`Password`, `AccessKey`), every member the service model marks
required, and AWS's defaults for what was left out. No record is put: no destination is contacted (the
Redshift host, the OpenSearch endpoints and the HTTP endpoint need not exist).
"""

import json
import subprocess

import helpers
from conftest import REPO_ROOT

ROLE = "arn:aws:iam::000000000000:role/firehose"
DOMAIN_ARN = "arn:aws:es:us-east-1:000000000000:domain/jslogs"
MODEL = json.loads((REPO_ROOT / "src" / "protocol" / "models" / "firehose-2015-08-04.json").read_text())
SHAPES = MODEL["shapes"]
# Configuration member -> its name in the description.
RENAMED = {"S3Configuration": "S3DestinationDescription", "S3BackupConfiguration": "S3BackupDescription",
           "VpcConfiguration": "VpcConfigurationDescription"}
SECRETS = {"Password", "AccessKey"}


def s3(bucket, **extra):
    cfg = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
           "BufferingHints": {"SizeInMBs": 2, "IntervalInSeconds": 120}, "CompressionFormat": "UNCOMPRESSED"}
    cfg.update(extra)
    return cfg


CONFIGS = {
    "ExtendedS3DestinationConfiguration": s3(
        "js-ext", Prefix="ext/!{timestamp:yyyy}/", ErrorOutputPrefix="exterr/!{firehose:error-output-type}/",
        CompressionFormat="GZIP", CustomTimeZone="Asia/Tokyo", FileExtension=".json.gz", S3BackupMode="Enabled",
        S3BackupConfiguration=s3("js-ext-backup", Prefix="backup/")),
    "S3DestinationConfiguration": s3("js-plain", Prefix="plain/", CompressionFormat="Snappy"),
    "RedshiftDestinationConfiguration": {
        "RoleARN": ROLE, "ClusterJDBCURL": "jdbc:redshift://c1.abc123.us-east-1.redshift.amazonaws.com:5439/dev",
        "CopyCommand": {"DataTableName": "events", "DataTableColumns": "id,name", "CopyOptions": "delimiter '|'"},
        "Username": "loader", "Password": "do-not-echo", "RetryOptions": {"DurationInSeconds": 600},
        "S3Configuration": s3("js-stage", Prefix="stage/"), "S3BackupMode": "Disabled"},
    "AmazonopensearchserviceDestinationConfiguration": {
        "RoleARN": ROLE, "DomainARN": DOMAIN_ARN, "IndexName": "logs", "IndexRotationPeriod": "OneWeek",
        "BufferingHints": {"SizeInMBs": 2, "IntervalInSeconds": 60}, "RetryOptions": {"DurationInSeconds": 120},
        "S3BackupMode": "AllDocuments", "S3Configuration": s3("js-os"),
        "DocumentIdOptions": {"DefaultDocumentIdFormat": "NO_DOCUMENT_ID"}},
    "ElasticsearchDestinationConfiguration": {
        "RoleARN": ROLE, "ClusterEndpoint": "http://127.0.0.1:9", "IndexName": "eslogs", "TypeName": "_doc",
        "IndexRotationPeriod": "NoRotation", "RetryOptions": {"DurationInSeconds": 0},
        "S3BackupMode": "FailedDocumentsOnly", "S3Configuration": s3("js-es")},
    "AmazonOpenSearchServerlessDestinationConfiguration": {
        "RoleARN": ROLE, "CollectionEndpoint": "http://127.0.0.1:9", "IndexName": "sl",
        "BufferingHints": {"SizeInMBs": 3, "IntervalInSeconds": 90}, "S3Configuration": s3("js-sl")},
    "HttpEndpointDestinationConfiguration": {
        "EndpointConfiguration": {"Url": "https://127.0.0.1:9/ingest", "Name": "receiver", "AccessKey": "k3y"},
        "RequestConfiguration": {"ContentEncoding": "GZIP", "CommonAttributes": [
            {"AttributeName": "env", "AttributeValue": "test"}]},
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}, "RoleARN": ROLE,
        "RetryOptions": {"DurationInSeconds": 30}, "S3BackupMode": "AllData", "S3Configuration": s3("js-http")},
}

# What AWS describes for members left out (its documented defaults).
DEFAULTS = {
    "ExtendedS3DestinationDescription": {"EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"}},
    "S3DestinationDescription": {"EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
                                 "CompressionFormat": "UNCOMPRESSED"},
    "AmazonOpenSearchServerlessDestinationDescription": {"RetryOptions": {"DurationInSeconds": 300},
                                                         "S3BackupMode": "FailedDocumentsOnly"},
    "ElasticsearchDestinationDescription": {"BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300}},
}


def member_shape(shape_name, member):
    m = SHAPES[shape_name].get("members", {}).get(member)
    return m["shape"] if m else None


def check_described(sent, described, shape_name, path):
    """`described` (a description of shape `shape_name`) holds everything in `sent` (a configuration) under
    AWS's names, no secret, and every required member of its shape."""
    assert isinstance(described, dict), f"{path}: {described!r}"
    for key, value in sent.items():
        if key in SECRETS:
            assert key not in described, f"{path}.{key} echoed"
            continue
        name = RENAMED.get(key, key)
        assert name in described, f"{path}.{name} missing from {sorted(described)}"
        got = described[name]
        sub_shape = member_shape(shape_name, name)
        if isinstance(value, dict):
            check_described(value, got, sub_shape, f"{path}.{name}")
        elif isinstance(value, list):
            assert len(got) == len(value), f"{path}.{name}: {got!r} != {value!r}"
            item_shape = SHAPES[sub_shape]["member"]["shape"] if sub_shape else None
            for i, (v, g) in enumerate(zip(value, got)):
                if isinstance(v, dict):
                    check_described(v, g, item_shape, f"{path}.{name}[{i}]")
                else:
                    assert g == v, f"{path}.{name}[{i}]: {g!r} != {v!r}"
        else:
            assert got == value, f"{path}.{name}: {got!r} != {value!r}"
    for required in SHAPES[shape_name].get("required", []):
        assert required in described, f"{path}: required {required} missing"


def test_js_sdk_creates_describes_and_deletes_every_destination_type(make_server, node_bin, js_deps, tmp_path):
    srv = make_server(extra_args=["--limits=off", "--opensearch-domain", f"{DOMAIN_ARN}=http://127.0.0.1:9"])
    configs = tmp_path / "configs.json"
    configs.write_text(json.dumps(CONFIGS))
    prefix = helpers.unique_name("fhjsd")
    p = subprocess.run([node_bin, str(helpers.JS_DIR / "scenario_firehose_destinations.mjs"), srv.endpoint, prefix,
                        str(configs)], cwd=str(helpers.JS_DIR), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["ok"], out.get("fatal")

    for member, sent in CONFIGS.items():
        got = out[member]
        kind = member[: -len("DestinationConfiguration")]
        assert got["arn"] == got["createdArn"] == \
            f"arn:aws:firehose:us-east-1:{helpers.ACCOUNT_ID}:deliverystream/{got['name']}"
        assert got["type"] == "DirectPut" and got["status"] == "ACTIVE" and got["destinations"] == 1
        assert got["versionId"] == "1" and got["deleted"]
        dest = got["described"]
        assert dest["DestinationId"] == "destinationId-000000000001"
        description = f"{kind}DestinationDescription"
        check_described(sent, dest[description], description, f"{member}")
        for key, value in DEFAULTS.get(description, {}).items():
            if key not in sent:
                assert dest[description][key] == value, f"{description}.{key}: {dest[description][key]!r}"
        described_as = {k for k in dest if k.endswith("DestinationDescription")}
        if kind in ("S3", "ExtendedS3"):
            # An S3 destination, extended or not, is described both ways, as AWS does.
            assert described_as == {"S3DestinationDescription", "ExtendedS3DestinationDescription"}, described_as
        else:
            # Any other destination: its own member alone (its S3Configuration is inside it).
            assert described_as == {description}, described_as

    plain = out["S3DestinationConfiguration"]["described"]
    assert plain["ExtendedS3DestinationDescription"]["S3BackupMode"] == "Disabled"
    assert plain["ExtendedS3DestinationDescription"]["Prefix"] == "plain/"
    extended = out["ExtendedS3DestinationConfiguration"]["described"]
    assert extended["S3DestinationDescription"]["BucketARN"] == "arn:aws:s3:::js-ext"
    assert extended["S3DestinationDescription"]["CompressionFormat"] == "GZIP"
    # Secrets never come back, wherever they would be.
    text = json.dumps(out)
    assert "do-not-echo" not in text and "k3y" not in text
