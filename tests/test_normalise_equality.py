"""Plan and live derive the same Enamel properties from the same configuration.

Hypothesis generates configurations of each AWS type family that both the Pulumi plan path
and the live collector produce (S3 buckets, KMS keys, CloudTrail trails, security groups,
CloudWatch log groups). Each configuration is
  - provisioned in moto in-process (`mock_aws`: boto3 makes the real API calls, botocore
    hands them to moto without HTTP; the same collectors are tested against the moto SERVER
    over HTTP in test_aws_live.py) and read back by the real live collector module
    (`sources/aws/<service>.collect`), and
  - expressed as the planned-resource records a Pulumi program under mocks yields (pulumi-aws
    v7 tokens and camelCase inputs: what `mockrun.run` records, without paying for a
    Pulumi engine per example), normalised by `sources/pulumi/normalize.normalize`;
and the two property dicts must be identical, except for the keys in CANNOT_KNOW (a plan
does not know ids AWS assigns at creation; AWS reports some settings only in states a new
resource is never in). List items are compared as multisets (their order carries no
meaning to the rules).

Where moto answers unlike AWS for a resource created without a setting, the live side is
provisioned with AWS's documented default instead (see `_live_defaults`): since January 2023
every new bucket has SSE-S3 encryption, since April 2023 BucketOwnerEnforced, and the
Pulumi provider removes a new security group's allow-all egress rule when the program
declares no egress.

Configurations are provisioned in batches (one moto reset and one collector run per batch);
the fast profile (the default: fixed seed, no shrinking, so `make test` stays quick) runs
BATCHES batches of BATCH per family, >= 200 configurations each. ENAMEL_HYPOTHESIS_LONG=1
runs LONG_BATCHES with random seeds. A failure names every differing configuration with
its plan and live values (shrinking a batch against a server would take minutes).
"""

from __future__ import annotations

import json
import os

import pytest

pytest.importorskip("moto")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import awsstack as stack  # noqa: E402
from enamel_hipaa.core.model import ERROR_KEY, UNKNOWN_KEY  # noqa: E402
from enamel_hipaa.sources.pulumi.normalize import normalize  # noqa: E402

LONG = os.environ.get("ENAMEL_HYPOTHESIS_LONG") == "1"
BATCH = 25
BATCHES = 8  # 8 x 25 = 200 configurations per family (fast profile)
LONG_BATCHES = 40  # 1000 per family
MIN_CONFIGS = 200
ACCOUNT, OTHER = stack.ACCOUNT_A, stack.ACCOUNT_B
HOME, REPLICA = stack.HOME, stack.REPLICA

SETTINGS = settings(
    max_examples=LONG_BATCHES if LONG else BATCHES,
    deadline=None,
    derandomize=not LONG,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    print_blob=False,
    suppress_health_check=list(hypothesis.HealthCheck),
)

# (type, key path) -> why a plan cannot know it (the live value is not compared)
CANNOT_KNOW = {
    ("aws.kms_key", "arn"): "the key id in the ARN is assigned by AWS at creation",
    ("aws.kms_key", "deletion_window_days"): "AWS reports the deletion window only for a key pending deletion "
    "(DescribeKey PendingDeletionWindowInDays); a plan reads the one it sets",
    ("aws.ec2_security_group", "group_id"): "the group id is assigned by AWS at creation",
}


# ---------------------------------------------------------------- helpers


def _canon(v):
    """Lists as sorted multisets, recursively (item order means nothing to the rules)."""
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in v.items()}
    if isinstance(v, list):
        return sorted((_canon(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True, default=str))
    return v


def _compare(type_: str, plan_props: dict, live_props: dict) -> dict:
    """{key: (plan, live)} for every top-level or nested key that differs."""
    differ = {}
    for k in sorted(set(plan_props) | set(live_props)):
        if (type_, k) in CANNOT_KNOW:
            continue
        p, lv = _canon(plan_props.get(k, "<missing>")), _canon(live_props.get(k, "<missing>"))
        if p == lv:
            continue
        if isinstance(p, dict) and isinstance(lv, dict) and UNKNOWN_KEY not in p and ERROR_KEY not in lv:
            for sub in sorted(set(p) | set(lv)):
                if p.get(sub, "<missing>") != lv.get(sub, "<missing>"):
                    differ[f"{k}.{sub}"] = (p.get(sub, "<missing>"), lv.get(sub, "<missing>"))
        else:
            differ[k] = (p, lv)
    return differ


def _check(type_: str, cfgs: dict, plan_res, live_res, key=lambda r: r.name):
    plan = {key(r): r.properties for r in plan_res if r.type == type_}
    live = {key(r): r.properties for r in live_res if r.type == type_}
    wanted = set(cfgs)
    assert wanted <= set(plan) and wanted <= set(live), (
        type_,
        "missing",
        sorted(wanted - set(plan)),
        sorted(wanted - set(live)),
    )
    bad = {}
    for name in sorted(wanted):
        d = _compare(type_, plan[name], live[name])
        if d:
            bad[name] = {"config": cfgs[name], "differ(plan, live)": d}
    assert bad == {}, json.dumps(bad, indent=1, default=str)


_CLIENTS: dict = {}


def _aws():
    """One collector context per module run (boto3 clients are costly to make)."""
    if "aws" not in _CLIENTS:
        from enamel_hipaa.sources.aws.base import Aws
        from enamel_hipaa.sources.aws.runner import session_for

        session, home = session_for()
        _CLIENTS["aws"] = Aws(session=session, account=ACCOUNT, home_region=home)
    return _CLIENTS["aws"]


def _client(service: str, region: str = HOME):
    """A provisioning client (made once per module run)."""
    if (service, region) not in _CLIENTS:
        _CLIENTS[(service, region)] = stack.session().client(service, region_name=region)
    return _CLIENTS[(service, region)]


def _collect(module, region=HOME, regions=(HOME,)):
    out = module.collect(_aws(), region, list(regions))
    assert out.errors == [], out.errors
    return out.resources


class Records:
    """Planned-resource records as `mockrun.run` yields them (inputs; outputs = inputs plus
    the physical name, id and ARN the mocks make up)."""

    def __init__(self):
        self.items: list[dict] = []

    def add(
        self, token: str, name: str, inputs: dict, *, id_=None, outputs=None, region=HOME, deps: dict | None = None
    ) -> dict:
        urn = f"urn:pulumi:test::eq::{token}::{name}"
        rec = {
            "type": token,
            "urn": urn,
            "name": name,
            "id": id_ or name,
            "custom": True,
            "inputs": inputs,
            "outputs": {**inputs, **(outputs or {})},
            "provider": None,
            "parent": None,
            "region": region,
            "deps": deps or {},
        }
        self.items.append(rec)
        return rec

    def normalise(self):
        return normalize(self.items, "plan", account=ACCOUNT, region=HOME)


@pytest.fixture(scope="module")
def moto():
    """moto in-process (`mock_aws`: botocore's requests are answered in this process, no
    HTTP server), with fake credentials and no config files or endpoint override. boto3
    still makes the real API calls through botocore and the live collector modules are the
    real ones; only the transport differs. That is enough for this property test (the same
    collectors are tested against the moto SERVER over HTTP in test_aws_live.py) and keeps
    >= 200 configurations per family fast. Yields the mock (reset between batches)."""
    import tempfile
    from moto import mock_aws

    nowhere = os.path.join(tempfile.gettempdir(), "enamel-tests-no-aws-config")
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": HOME,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": nowhere,
        "AWS_SHARED_CREDENTIALS_FILE": nowhere,
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }
    saved = {k: os.environ.get(k) for k in (*env, "AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN")}
    for k in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(k, None)
    os.environ.update(env)
    _CLIENTS.clear()  # clients made for another endpoint (or none) must not be reused
    # the collectors' per-request deadline sends each request itself over HTTP (a first
    # before-send handler), which would bypass mock_aws: off here, the answers' shape checks
    # stay on (the deadline is tested against the server in test_aws_live / its own tests)
    from unittest import mock as um
    from enamel_hipaa.sources.aws import shapes

    no_deadline = um.patch.object(shapes, "install_deadline", lambda client, seconds: None)
    no_deadline.start()
    mock = mock_aws()
    mock.start()
    try:
        yield mock
    finally:
        mock.stop()
        no_deadline.stop()
        _CLIENTS.clear()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _reset(mock):
    mock.reset()


def _tags_st():
    return st.dictionaries(
        st.sampled_from(["data_class", "owner", "env"]), st.sampled_from(["phi", "logs", "x"]), max_size=2
    )


# ---------------------------------------------------------------- S3 buckets

ENCRYPTIONS = ("default", "sse-s3", "kms-customer", "kms-no-key", "kms-alias", "kms-alias-arn")
STORAGE = ("STANDARD_IA", "ONEZONE_IA", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "INTELLIGENT_TIERING")
KEY_ARN = f"arn:aws:kms:{HOME}:{ACCOUNT}:key/00000000-1111-2222-3333-444444444444"
ALIAS_ARN = f"arn:aws:kms:{HOME}:{ACCOUNT}:alias/aws/s3"
REPLICA_BUCKET = "eq-replica"
LOG_TARGET = "eq-logs"


@st.composite
def lifecycle_rule(draw):
    rule = {"status": draw(st.sampled_from(["Enabled", "Disabled"]))}
    if draw(st.booleans()):
        rule["transition"] = (draw(st.integers(30, 400)), draw(st.sampled_from(STORAGE)))
    if draw(st.booleans()):
        rule["noncurrent"] = (draw(st.integers(30, 400)), draw(st.sampled_from(STORAGE)))
    if draw(st.booleans()) or len(rule) == 1:
        rule["expiration"] = draw(st.integers(1, 4000))
    return rule


@st.composite
def bucket_cfg(draw):
    lock = draw(
        st.one_of(
            st.none(),
            st.tuples(
                st.sampled_from(["GOVERNANCE", "COMPLIANCE", None]),
                st.sampled_from(["days", "years"]),
                st.integers(1, 10),
            ),
        )
    )
    versioning = "Enabled" if lock else draw(st.sampled_from([None, "Enabled", "Suspended"]))
    enc = draw(st.sampled_from(ENCRYPTIONS))
    return {
        "encryption": enc,
        "bucket_key": enc.startswith("kms") and draw(st.booleans()),
        "versioning": versioning,
        "pab": draw(st.one_of(st.none(), st.tuples(*[st.booleans()] * 4))),
        "ownership": draw(st.sampled_from([None, "BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"])),
        "policy": draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {
                        "tls_deny": st.booleans(),
                        "tls_version": st.booleans(),
                        "public": st.booleans(),
                        "cross_account": st.booleans(),
                    }
                ),
            )
        ),
        "logging": draw(st.booleans()),
        "lock": lock,
        "lifecycle": draw(st.one_of(st.none(), st.lists(lifecycle_rule(), min_size=1, max_size=3))),
        "replication": versioning == "Enabled"
        and draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {
                        "status": st.sampled_from(["Enabled", "Disabled"]),
                        "storage_class": st.sampled_from([None, *STORAGE[:3]]),
                        "replica_key": st.booleans(),
                        "account": st.booleans(),
                    }
                ),
            )
        )
        or None,
        "tags": draw(_tags_st()),
    }


def _policy_doc(name: str, p: dict) -> str:
    res = [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
    sts = [
        {
            "Sid": "Own",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "s3:GetObject",
            "Resource": res[1],
        }
    ]
    if p["tls_deny"]:
        sts.append(
            {
                "Sid": "Tls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": res,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    if p["tls_version"]:
        sts.append(
            {
                "Sid": "OldTls",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": res,
                "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
            }
        )
    if p["public"]:
        sts.append({"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": res[1]})
    if p["cross_account"]:
        sts.append(
            {
                "Sid": "Partner",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                "Action": "s3:GetObject",
                "Resource": res[1],
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": sts})


def _sse_default(cfg) -> dict | None:
    enc = cfg["encryption"]
    if enc in ("default", "sse-s3"):
        return {"SSEAlgorithm": "AES256"}
    key = {"kms-customer": KEY_ARN, "kms-alias": "alias/aws/s3", "kms-alias-arn": ALIAS_ARN}.get(enc)
    return {"SSEAlgorithm": "aws:kms", **({"KMSMasterKeyID": key} if key else {})}


def _lifecycle_api(rules) -> list[dict]:
    out = []
    for i, r in enumerate(rules):
        rule = {"ID": f"r{i}", "Status": r["status"], "Filter": {"Prefix": ""}}
        if "transition" in r:
            rule["Transitions"] = [{"Days": r["transition"][0], "StorageClass": r["transition"][1]}]
        if "noncurrent" in r:
            rule["NoncurrentVersionTransitions"] = [
                {"NoncurrentDays": r["noncurrent"][0], "StorageClass": r["noncurrent"][1]}
            ]
        if "expiration" in r:
            rule["Expiration"] = {"Days": r["expiration"]}
        out.append(rule)
    return out


def _replication_rule(cfg) -> dict:
    r = cfg["replication"]
    dest = {"Bucket": f"arn:aws:s3:::{REPLICA_BUCKET}"}
    if r["storage_class"]:
        dest["StorageClass"] = r["storage_class"]
    if r["account"]:
        dest["Account"] = ACCOUNT
    if r["replica_key"]:
        dest["EncryptionConfiguration"] = {"ReplicaKmsKeyID": KEY_ARN}
    return {
        "ID": "replica",
        "Status": r["status"],
        "Priority": 1,
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": dest,
    }


def _live_bucket(s3, name: str, cfg: dict) -> None:
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=bool(cfg["lock"]))
    if cfg["tags"]:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in cfg["tags"].items()]})
    # "default": AWS encrypts every new bucket with SSE-S3 (moto reports no configuration)
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": _sse_default(cfg), "BucketKeyEnabled": cfg["bucket_key"]}]
        },
    )
    if cfg["versioning"] and not cfg["lock"]:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": cfg["versioning"]})
    if cfg["pab"]:
        keys = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict(zip(keys, cfg["pab"])))
    # None: BucketOwnerEnforced, AWS's default for new buckets (moto reports no controls)
    s3.put_bucket_ownership_controls(
        Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": cfg["ownership"] or "BucketOwnerEnforced"}]}
    )
    if cfg["policy"]:
        s3.put_bucket_policy(Bucket=name, Policy=_policy_doc(name, cfg["policy"]))
    if cfg["logging"]:
        s3.put_bucket_logging(
            Bucket=name,
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": LOG_TARGET, "TargetPrefix": f"{name}/"}},
        )
    if cfg["lock"] and cfg["lock"][0]:
        mode, unit, n = cfg["lock"]
        s3.put_object_lock_configuration(
            Bucket=name,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": mode, unit.capitalize(): n}},
            },
        )
    if cfg["lifecycle"]:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": _lifecycle_api(cfg["lifecycle"])}
        )
    if cfg["replication"]:
        s3.put_bucket_replication(
            Bucket=name,
            ReplicationConfiguration={
                "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
                "Rules": [_replication_rule(cfg)],
            },
        )


def _camel(v):
    """An API-shaped value in Pulumi's input spelling (PascalCase keys -> camelCase)."""
    if isinstance(v, dict):
        fixed = {
            "KMSMasterKeyID": "kmsMasterKeyId",
            "ReplicaKmsKeyID": "replicaKmsKeyId",
            "ID": "id",
            "SSEAlgorithm": "sseAlgorithm",
        }
        return {fixed.get(k, k[:1].lower() + k[1:]): _camel(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_camel(x) for x in v]
    return v


def _plan_bucket(recs: Records, name: str, cfg: dict, region=HOME) -> None:
    inputs = {"bucket": name}
    if cfg["tags"]:
        inputs["tags"] = dict(cfg["tags"])
    if cfg["lock"]:
        inputs["objectLockEnabled"] = True
    b = recs.add("aws:s3/bucket:Bucket", name, inputs, outputs={"arn": f"arn:aws:s3:::{name}"}, region=region)

    def sub(token, suffix, props):
        recs.add(
            f"aws:s3/{token[0].lower() + token[1:]}:{token}",
            f"{name}-{suffix}",
            {"bucket": name, **props},
            deps={"bucket": [b["urn"]]},
            region=region,
        )

    if cfg["encryption"] != "default":  # "default": the program declares nothing
        sub(
            "BucketServerSideEncryptionConfiguration",
            "sse",
            {
                "rules": [
                    _camel(
                        {"ApplyServerSideEncryptionByDefault": _sse_default(cfg), "BucketKeyEnabled": cfg["bucket_key"]}
                    )
                ]
            },
        )
    if cfg["versioning"] and not cfg["lock"]:
        sub("BucketVersioning", "versioning", {"versioningConfiguration": {"status": cfg["versioning"]}})
    if cfg["pab"]:
        keys = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
        sub("BucketPublicAccessBlock", "pab", dict(zip(keys, cfg["pab"])))
    if cfg["ownership"]:
        sub("BucketOwnershipControls", "ownership", {"rule": {"objectOwnership": cfg["ownership"]}})
    if cfg["policy"]:
        sub("BucketPolicy", "policy", {"policy": _policy_doc(name, cfg["policy"])})
    if cfg["logging"]:
        sub("BucketLogging", "logging", {"targetBucket": LOG_TARGET, "targetPrefix": f"{name}/"})
    if cfg["lock"] and cfg["lock"][0]:
        mode, unit, n = cfg["lock"]
        sub(
            "BucketObjectLockConfiguration",
            "lock",
            {"objectLockEnabled": "Enabled", "rule": {"defaultRetention": {"mode": mode, unit: n}}},
        )
    if cfg["lifecycle"]:
        sub("BucketLifecycleConfiguration", "lifecycle", {"rules": _camel(_lifecycle_api(cfg["lifecycle"]))})
    if cfg["replication"]:
        sub(
            "BucketReplicationConfig",
            "replication",
            {"role": f"arn:aws:iam::{ACCOUNT}:role/replication", "rules": [_camel(_replication_rule(cfg))]},
        )


def test_pass_s3_buckets_plan_equals_live(moto):
    from enamel_hipaa.sources.aws import s3 as live_s3

    seen = []

    @SETTINGS
    @given(st.lists(bucket_cfg(), min_size=BATCH, max_size=BATCH))
    def check(batch):
        _reset(moto)
        s3, s3w = _client("s3"), _client("s3", REPLICA)
        cfgs = {f"eq-b{i:03d}": cfg for i, cfg in enumerate(batch)}
        recs = Records()
        stack.log_bucket(s3, LOG_TARGET, HOME)  # its policy lets the logging service write
        s3w.create_bucket(Bucket=REPLICA_BUCKET, CreateBucketConfiguration={"LocationConstraint": REPLICA})
        s3w.put_bucket_versioning(Bucket=REPLICA_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        for name, cfg in cfgs.items():
            _live_bucket(s3, name, cfg)
            _plan_bucket(recs, name, cfg)
        recs.add(
            "aws:s3/bucket:Bucket",
            REPLICA_BUCKET,
            {"bucket": REPLICA_BUCKET},
            outputs={"arn": f"arn:aws:s3:::{REPLICA_BUCKET}"},
            region=REPLICA,
        )
        seen.append(len(cfgs))
        _check("aws.s3_bucket", cfgs, recs.normalise(), _collect(live_s3, HOME, (HOME, REPLICA)))

    check()
    assert sum(seen) >= MIN_CONFIGS


# ---------------------------------------------------------------- KMS keys


@st.composite
def key_cfg(draw):
    # ECC rather than RSA for the asymmetric case: moto makes real key material, and RSA
    # generation would dominate the run
    spec = draw(st.sampled_from(["SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT", "ECC_NIST_P256"]))
    return {
        "spec": spec,
        "enabled": draw(st.booleans()),
        "rotation": spec == "SYMMETRIC_DEFAULT" and draw(st.booleans()),
        "aliases": draw(st.integers(0, 2)),
        "tags": draw(_tags_st()),
        "policy": draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {"separate": st.booleans(), "public": st.booleans(), "cross_account": st.booleans()}
                ),
            )
        ),
        "deletion_window": draw(st.integers(7, 30)),
    }


def _key_policy(p: dict) -> str:
    admin, user = f"arn:aws:iam::{ACCOUNT}:role/admin", f"arn:aws:iam::{ACCOUNT}:role/user"
    if not p["separate"]:
        user = admin
    extra = []
    if p["public"]:
        extra.append({"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})
    if p["cross_account"]:
        extra.append(
            {
                "Sid": "Partner",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        )
    return stack.key_policy(ACCOUNT, admin, user, extra)


def test_pass_kms_keys_plan_equals_live(moto):
    from enamel_hipaa.sources.aws import kms as live_kms

    seen = []

    @SETTINGS
    @given(st.lists(key_cfg(), min_size=BATCH, max_size=BATCH))
    def check(batch):
        _reset(moto)
        kms = _client("kms")
        cfgs, recs, live_name = {}, Records(), {}
        for i, cfg in enumerate(batch):
            name = f"k{i:03d}"
            aliases = [f"alias/eq-{name}-{j}" for j in range(cfg["aliases"])]
            usage = "ENCRYPT_DECRYPT" if cfg["spec"] == "SYMMETRIC_DEFAULT" else "SIGN_VERIFY"
            kw = {
                "KeySpec": cfg["spec"],
                "KeyUsage": usage,
                "Description": name,
                "Tags": [{"TagKey": k, "TagValue": v} for k, v in cfg["tags"].items()],
            }
            if cfg["policy"]:
                kw["Policy"] = _key_policy(cfg["policy"])
            key_id = kms.create_key(**kw)["KeyMetadata"]["KeyId"]
            live_name[f"arn:aws:kms:{HOME}:{ACCOUNT}:key/{key_id}"] = name
            if cfg["rotation"]:
                kms.enable_key_rotation(KeyId=key_id)
            if not cfg["enabled"]:
                kms.disable_key(KeyId=key_id)
            for a in aliases:
                kms.create_alias(AliasName=a, TargetKeyId=key_id)
            inputs = {
                "description": name,
                "customerMasterKeySpec": cfg["spec"],
                "keyUsage": usage,
                "isEnabled": cfg["enabled"],
                "enableKeyRotation": cfg["rotation"],
                "deletionWindowInDays": cfg["deletion_window"],
            }
            if cfg["tags"]:
                inputs["tags"] = dict(cfg["tags"])
            if cfg["policy"]:
                inputs["policy"] = _key_policy(cfg["policy"])
            rec = recs.add(
                "aws:kms/key:Key",
                name,
                inputs,
                id_=f"plan-{name}",
                outputs={"keyId": f"plan-{name}", "arn": f"arn:aws:kms:{HOME}:{ACCOUNT}:key/plan-{name}"},
            )
            for a in aliases:
                recs.add(
                    "aws:kms/alias:Alias",
                    a.split("/")[-1],
                    {"name": a, "targetKeyId": f"plan-{name}"},
                    deps={"targetKeyId": [rec["urn"]]},
                )
            cfgs[name] = cfg
        seen.append(len(cfgs))
        live = [r for r in _collect(live_kms) if r.properties.get("key_manager") == "CUSTOMER"]
        plan_name = {r.id: r.id.rsplit("/plan-", 1)[-1] for r in recs.normalise()}
        _check("aws.kms_key", cfgs, recs.normalise(), live, key=lambda r: live_name.get(r.id) or plan_name.get(r.id))

    check()
    assert sum(seen) >= MIN_CONFIGS


# ---------------------------------------------------------------- CloudTrail trails

TRAIL_BUCKET = "eq-trail-logs"


@st.composite
def trail_cfg(draw):
    selectors = draw(st.sampled_from(["none", "classic-all", "classic-some", "advanced-all", "advanced-some"]))
    return {
        "multi_region": draw(st.booleans()),
        "validation": draw(st.booleans()),
        "kms": draw(st.booleans()),
        "logging": draw(st.booleans()),
        "log_group": draw(st.sampled_from([None, "plain", "star"])),
        "selectors": selectors,
        "buckets": draw(st.lists(st.sampled_from(["eq-a", "eq-b", "eq-c"]), min_size=1, max_size=3, unique=True)),
    }


def _trail_selectors(cfg) -> dict:
    """The PutEventSelectors arguments (API shape) for a trail configuration."""
    kind, arns = cfg["selectors"], [f"arn:aws:s3:::{b}/" for b in cfg["buckets"]]
    if kind == "classic-all":
        return {
            "EventSelectors": [
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": True,
                    "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
                }
            ]
        }
    if kind == "classic-some":
        return {
            "EventSelectors": [
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": True,
                    "DataResources": [{"Type": "AWS::S3::Object", "Values": arns}],
                }
            ]
        }
    fields = [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
    ]
    if kind == "advanced-some":
        fields.append({"Field": "resources.ARN", "StartsWith": arns})
    if kind.startswith("advanced"):
        return {"AdvancedEventSelectors": [{"Name": "s3", "FieldSelectors": fields}]}
    return {}


def test_pass_cloudtrail_trails_plan_equals_live(moto):
    from enamel_hipaa.sources.aws import cloudtrail as live_ct

    seen = []

    @SETTINGS
    @given(st.lists(trail_cfg(), min_size=BATCH, max_size=BATCH))
    def check(batch):
        _reset(moto)
        _client("s3").create_bucket(Bucket=TRAIL_BUCKET)
        ct = _client("cloudtrail")
        cfgs, recs = {}, Records()
        for i, cfg in enumerate(batch):
            name = f"eq-t{i:03d}"
            group = f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:trail-{name}"
            group = {None: None, "plain": group, "star": group + ":*"}[cfg["log_group"]]
            kw = {
                "Name": name,
                "S3BucketName": TRAIL_BUCKET,
                "IsMultiRegionTrail": cfg["multi_region"],
                "EnableLogFileValidation": cfg["validation"],
            }
            inputs = {
                "name": name,
                "s3BucketName": TRAIL_BUCKET,
                "isMultiRegionTrail": cfg["multi_region"],
                "enableLogFileValidation": cfg["validation"],
                "enableLogging": cfg["logging"],
            }
            if cfg["kms"]:
                kw["KmsKeyId"] = inputs["kmsKeyId"] = KEY_ARN
            if group:
                kw["CloudWatchLogsLogGroupArn"] = inputs["cloudWatchLogsGroupArn"] = group
                kw["CloudWatchLogsRoleArn"] = inputs["cloudWatchLogsRoleArn"] = f"arn:aws:iam::{ACCOUNT}:role/trail"
            ct.create_trail(**kw)
            if cfg["logging"]:
                ct.start_logging(Name=name)
            sel = _trail_selectors(cfg)
            if sel:
                ct.put_event_selectors(TrailName=name, **sel)
                inputs.update(_camel(sel))
            recs.add(
                "aws:cloudtrail/trail:Trail",
                name,
                inputs,
                outputs={"arn": f"arn:aws:cloudtrail:{HOME}:{ACCOUNT}:trail/{name}"},
            )
            cfgs[name] = cfg
        seen.append(len(cfgs))
        _check("aws.cloudtrail_trail", cfgs, recs.normalise(), _collect(live_ct))

    check()
    assert sum(seen) >= MIN_CONFIGS


# ---------------------------------------------------------------- security groups


@st.composite
def sg_rule(draw):
    proto = draw(st.sampled_from(["tcp", "udp", "-1", "icmp", "6"]))
    lo = draw(st.integers(1, 65000))
    hi = lo + draw(st.integers(0, 500))
    if proto == "icmp":
        lo, hi = draw(st.sampled_from([(8, 0), (-1, -1), (3, 4)]))
    cidrs = draw(st.lists(st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "192.168.1.0/24"]), max_size=2, unique=True))
    v6 = draw(st.lists(st.sampled_from(["::/0", "2001:db8::/32"]), max_size=1))
    if not cidrs and not v6:
        cidrs = ["10.1.0.0/16"]
    return {
        "protocol": proto,
        "from": lo,
        "to": hi,
        "cidrs": cidrs,
        "v6": v6,
        "description": draw(st.sampled_from([None, "why"])),
        "form": draw(st.sampled_from(["inline", "resource"])),
    }


def _sg_rule_key(r):
    """Rules AWS would merge into one (a second would be InvalidPermission.Duplicate)."""
    proto = {"6": "tcp"}.get(r["protocol"], r["protocol"])
    return (proto,) if proto == "-1" else (proto, r["from"], r["to"])


@st.composite
def sg_cfg(draw):
    return {
        "ingress": draw(st.lists(sg_rule(), max_size=3, unique_by=_sg_rule_key)),
        "egress": draw(st.lists(sg_rule(), max_size=2, unique_by=_sg_rule_key)),
        "tags": draw(_tags_st()),
    }


def _sg_api(rule) -> dict:
    p = {"IpProtocol": rule["protocol"]}
    if rule["protocol"] != "-1":
        p.update(FromPort=rule["from"], ToPort=rule["to"])
    d = {"Description": rule["description"]} if rule["description"] else {}
    p["IpRanges"] = [{"CidrIp": c, **d} for c in rule["cidrs"]]
    p["Ipv6Ranges"] = [{"CidrIpv6": c, **d} for c in rule["v6"]]
    return p


def _sg_plan(recs, gid, group_urn, rule, direction, n) -> dict | None:
    """The rule as Pulumi declares it: inline on the group, or one vpc.SecurityGroup<Dir>Rule
    per CIDR (returned None then: recorded as its own resources)."""
    ports = (
        {"fromPort": 0, "toPort": 0} if rule["protocol"] == "-1" else {"fromPort": rule["from"], "toPort": rule["to"]}
    )
    desc = {"description": rule["description"]} if rule["description"] else {}
    if rule["form"] == "inline":
        return {
            "protocol": rule["protocol"],
            **ports,
            "cidrBlocks": rule["cidrs"],
            "ipv6CidrBlocks": rule["v6"],
            **desc,
        }
    token = f"aws:vpc/securityGroup{direction.capitalize()}Rule:SecurityGroup{direction.capitalize()}Rule"
    for j, c in enumerate(rule["cidrs"] + rule["v6"]):
        cidr = {"cidrIpv6" if ":" in c else "cidrIpv4": c}
        p = {} if rule["protocol"] == "-1" else ports
        recs.add(
            token,
            f"{gid}-{direction}-{n}-{j}",
            {"securityGroupId": gid, "ipProtocol": rule["protocol"], **p, **cidr, **desc},
            deps={"securityGroupId": [group_urn]},
        )
    return None


def test_pass_security_groups_plan_equals_live(moto):
    from enamel_hipaa.sources.aws import ec2 as live_ec2

    seen = []

    @SETTINGS
    @given(st.lists(sg_cfg(), min_size=BATCH, max_size=BATCH))
    def check(batch):
        _reset(moto)
        ec2 = _client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        cfgs, recs = {}, Records()
        for i, cfg in enumerate(batch):
            name = f"eq-sg{i:03d}"
            tags = {**cfg["tags"], "Name": name}
            gid = ec2.create_security_group(
                GroupName=name,
                Description=name,
                VpcId=vpc,
                TagSpecifications=[
                    {"ResourceType": "security-group", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
                ],
            )["GroupId"]
            # the provider removes AWS's default allow-all egress rule from a group it creates
            ec2.revoke_security_group_egress(
                GroupId=gid, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
            )
            if cfg["ingress"]:
                ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[_sg_api(r) for r in cfg["ingress"]])
            if cfg["egress"]:
                ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=[_sg_api(r) for r in cfg["egress"]])
            urn = f"urn:pulumi:test::eq::aws:ec2/securityGroup:SecurityGroup::{name}"
            inputs = {"name": name, "description": name, "vpcId": vpc, "tags": tags}
            for d in ("ingress", "egress"):
                inputs[d] = [x for n, r in enumerate(cfg[d]) if (x := _sg_plan(recs, f"plan-{name}", urn, r, d, n))]
            recs.add("aws:ec2/securityGroup:SecurityGroup", name, inputs, id_=f"plan-{name}")
            cfgs[name] = cfg
        seen.append(len(cfgs))
        _check("aws.ec2_security_group", cfgs, recs.normalise(), _collect(live_ec2))

    check()
    assert sum(seen) >= MIN_CONFIGS


# ---------------------------------------------------------------- CloudWatch log groups


@st.composite
def log_group_cfg(draw):
    return {
        "retention": draw(st.sampled_from([None, 0, 1, 7, 30, 365, 2192, 3653])),
        "kms": draw(st.booleans()),
        "tags": draw(_tags_st()),
    }


def test_pass_log_groups_plan_equals_live(moto):
    from enamel_hipaa.sources.aws import logs as live_logs

    seen = []

    @SETTINGS
    @given(st.lists(log_group_cfg(), min_size=BATCH, max_size=BATCH))
    def check(batch):
        _reset(moto)
        logs = _client("logs")
        cfgs, recs = {}, Records()
        for i, cfg in enumerate(batch):
            name = f"/eq/lg{i:03d}"
            kw = {"logGroupName": name}
            inputs = {"name": name}
            if cfg["kms"]:
                kw["kmsKeyId"] = inputs["kmsKeyId"] = KEY_ARN
            if cfg["tags"]:
                kw["tags"] = inputs["tags"] = dict(cfg["tags"])
            logs.create_log_group(**kw)
            if cfg["retention"]:  # 0 / unset: never expire (the provider sends no retention policy)
                logs.put_retention_policy(logGroupName=name, retentionInDays=cfg["retention"])
            if cfg["retention"] is not None:
                inputs["retentionInDays"] = cfg["retention"]
            recs.add(
                "aws:cloudwatch/logGroup:LogGroup",
                name,
                inputs,
                outputs={"arn": f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:{name}"},
            )
            cfgs[name] = cfg
        seen.append(len(cfgs))
        _check("aws.cloudwatch_log_group", cfgs, recs.normalise(), _collect(live_logs))

    check()
    assert sum(seen) >= MIN_CONFIGS
