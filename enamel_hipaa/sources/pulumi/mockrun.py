"""Run a Pulumi Python program offline under Pulumi's own mocks and record every resource.

`pulumi.runtime.set_mocks` with a MockMonitor that also keeps each registration's parent,
provider and property dependencies. The run happens in a thread of its own (fresh context
variables, so a fresh Pulumi runtime, config and root stack each time) with the program's
folder as working directory and first on sys.path, and modules the program imported from
its project are dropped afterwards. The mocks answer like a preview of a new stack:
physical names, ids and ARNs are made up deterministically; every other output is the
input the program gave."""

from __future__ import annotations

import hashlib
import os
import runpy
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import unknown
from enamel_hipaa.sources.pulumi import SECRET_SIG, SECRET_SIG_KEY, UNKNOWN_SENTINEL
from enamel_hipaa.sources.pulumi.project import Project

DEFAULT_ACCOUNT = "123456789012"
_RUN_LOCK = threading.Lock()  # cwd and sys.path are process-wide: one program at a time

# properties that carry a resource's physical name (Pulumi auto-names them when unset)
_NAME_PROPS = {"aws:s3/bucket:Bucket": "bucket", "aws:s3/bucketV2:BucketV2": "bucket"}
_ARN_FORMS = {
    "aws:s3/bucket:Bucket": "arn:aws:s3:::{id}",
    "aws:s3/bucketV2:BucketV2": "arn:aws:s3:::{id}",
    "aws:kms/key:Key": "arn:aws:kms:{region}:{account}:key/{id}",
    "aws:kms/alias:Alias": "arn:aws:kms:{region}:{account}:{name}",
    "aws:cloudwatch/logGroup:LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws:iam/role:Role": "arn:aws:iam::{account}:role/{name}",
    "aws:iam/policy:Policy": "arn:aws:iam::{account}:policy/{name}",
    "aws:backup/vault:Vault": "arn:aws:backup:{region}:{account}:backup-vault:{name}",
    "aws:backup/plan:Plan": "arn:aws:backup:{region}:{account}:backup-plan:{id}",
    "aws:cloudtrail/trail:Trail": "arn:aws:cloudtrail:{region}:{account}:trail/{name}",
    "aws:ec2/vpc:Vpc": "arn:aws:ec2:{region}:{account}:vpc/{id}",
    "aws:ec2/subnet:Subnet": "arn:aws:ec2:{region}:{account}:subnet/{id}",
    "aws:ec2/routeTable:RouteTable": "arn:aws:ec2:{region}:{account}:route-table/{id}",
    "aws:ec2/securityGroup:SecurityGroup": "arn:aws:ec2:{region}:{account}:security-group/{id}",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "arn:aws:ec2:{region}:{account}:security-group/{id}",
    "aws:ec2/internetGateway:InternetGateway": "arn:aws:ec2:{region}:{account}:internet-gateway/{id}",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "arn:aws:ec2:{region}:{account}:vpc-endpoint/{id}",
    "aws:ec2/flowLog:FlowLog": "arn:aws:ec2:{region}:{account}:vpc-flow-log/{id}",
    "aws:guardduty/detector:Detector": "arn:aws:guardduty:{region}:{account}:detector/{id}",
}
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:guardduty/detector:Detector": "",
}


def plain(value):
    """Mock-monitor values to plain JSON: Pulumi's Unknown and secrets become unknown markers."""
    from pulumi.output import Unknown
    from pulumi.resource import Resource as PulumiResource

    if isinstance(value, Unknown):
        return unknown("computed at deploy time")
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return unknown("secret")
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, PulumiResource):
        return unknown("resource reference")
    if isinstance(value, str) and UNKNOWN_SENTINEL in value:
        return unknown("from a data source read at deploy time")
    return value


def _short(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:8]


def _make_classes():
    """The Mocks/MockMonitor subclasses (built lazily: pulumi is imported only when used)."""
    import pulumi
    from pulumi.runtime.mocks import MockMonitor

    class Recorder(pulumi.runtime.Mocks):
        def __init__(self, project: Project):
            self.project = project
            self.account = _account(project)
            self.region = project.config.get("aws:region") or "us-east-1"
            self.providers: dict[str, str] = {}  # provider id -> region
            self.local = threading.local()

        def region_of(self, inputs: dict, provider: str | None) -> str:
            if isinstance(inputs.get("region"), str):
                return inputs["region"]
            if provider:
                return self.providers.get(provider.rsplit("::", 1)[-1], self.region)
            return self.region

        def new_resource(self, args):
            inputs = plain(args.inputs)
            typ = args.typ
            rid = args.resource_id or f"{_ID_PREFIX.get(typ, '')}{args.name}-{_short(typ, args.name)}"
            state = dict(args.inputs)  # as the SDK sent them: secrets stay secrets for the program
            if typ.startswith("pulumi:providers:"):
                self.providers[rid] = inputs.get("region") if isinstance(inputs.get("region"), str) else self.region
            name_prop = _NAME_PROPS.get(typ) or ("name" if "{name}" in _ARN_FORMS.get(typ, "") else None)
            if name_prop and not isinstance(state.get(name_prop), str):
                state[name_prop] = rid  # Pulumi auto-naming
            region = self.region_of(inputs, args.provider)
            form = _ARN_FORMS.get(typ)  # only types whose provider returns an ARN
            if form:
                state.setdefault(
                    "arn", form.format(id=rid, region=region, account=self.account, name=state.get("name", rid))
                )
            if typ == "aws:kms/key:Key":
                state["keyId"] = rid
            if typ == "aws:ec2/vpc:Vpc":
                state["defaultSecurityGroupId"] = f"sg-default-{_short(rid)}"
            slot = getattr(self.local, "slot", None)
            if slot is not None:
                slot.update(inputs=inputs, region=region)
            return rid, state

        def call(self, args):
            tok = args.token
            if tok == "aws:index/getCallerIdentity:getCallerIdentity":
                return {
                    "accountId": self.account,
                    "arn": f"arn:aws:iam::{self.account}:user/plan",
                    "userId": "PLAN",
                    "id": self.account,
                }
            if tok == "aws:index/getRegion:getRegion":
                return {
                    "name": self.region,
                    "region": self.region,
                    "id": self.region,
                    "endpoint": f"ec2.{self.region}.amazonaws.com",
                }
            if tok == "aws:index/getPartition:getPartition":
                return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
            if tok == "aws:index/getAvailabilityZones:getAvailabilityZones":
                return {"names": [f"{self.region}{z}" for z in "abc"], "id": self.region}
            # any other data source: every output of its result type is unknown, so the program can
            # read `.id` and what it builds from it is unknown too (Pulumi's own preview semantics)
            # (a typed result refuses Pulumi's Unknown, so a string output is a string carrying the
            # unknown sentinel, which plain() reads back as unknown; other outputs are left unset)
            return {name: f"{UNKNOWN_SENTINEL}:{tok}.{name}" for name, typ in result_fields(tok) if typ is str}

    class RecordingMonitor(MockMonitor):
        def __init__(self, mocks):
            super().__init__(mocks)
            self.records: list[dict] = []

        def RegisterResource(self, request):
            self.mocks.local.slot = slot = {}
            try:
                resp = super().RegisterResource(request)
            finally:
                self.mocks.local.slot = None
            if request.type != "pulumi:pulumi:Stack":
                reg = self.resources[resp.urn]
                self.records.append(
                    {
                        "type": request.type,
                        "urn": resp.urn,
                        "name": request.name,
                        "id": reg.id,
                        "custom": bool(request.custom),
                        "inputs": slot.get("inputs", {}),
                        "outputs": plain(reg.state),
                        "provider": request.provider or None,
                        "parent": request.parent or None,
                        "region": slot.get("region"),
                        "deps": {k: list(v.urns) for k, v in request.propertyDependencies.items()},
                        "source_position": _position(request),
                    }
                )
            return resp

    return Recorder, RecordingMonitor


def _position(request) -> dict | None:
    """Where the program declared the resource (the SDK's sourcePosition: file URI and line)."""
    try:
        if not request.HasField("sourcePosition"):
            return None
        pos = request.sourcePosition
    except ValueError:  # an SDK whose request has no such field
        return None
    return {"uri": pos.uri, "line": pos.line} if pos.uri and pos.line else None


def result_fields(token: str) -> list[tuple[str, object]]:
    """(wire name, type) of a data source's outputs, from its SDK's result type:
    aws:route53/getZone:getZone -> pulumi_aws.route53.GetZoneResult's properties. [] if not found."""
    import importlib
    import inspect
    import re

    parts = token.split(":")
    if len(parts) != 3 or not parts[2]:
        return []
    pkg, mod, fn = parts[0].replace("-", "_"), parts[1].split("/")[0], parts[2]
    try:
        module = importlib.import_module(f"pulumi_{pkg}" if mod == "index" else f"pulumi_{pkg}.{mod}")
    except ImportError:
        return []
    cls = getattr(module, fn[0].upper() + fn[1:] + "Result", None)
    if cls is None:
        return []
    out = []
    for name, prop in vars(cls).items():
        if isinstance(prop, property) and prop.fget is not None:
            try:
                typ = inspect.signature(prop.fget).return_annotation
            except (TypeError, ValueError):
                typ = None
            out.append((re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name), typ))
    return out


class ProgramFailed(InputError):
    """The program itself failed (raised, timed out, misses its SDK): the scan goes on and the
    program's resources are `error` (sources/pulumi/collector.plan_program)."""


def _account(project: Project) -> str:
    import json

    allowed = project.config.get("aws:allowedAccountIds")
    if allowed:
        try:
            ids = json.loads(allowed)
            if ids:
                return str(ids[0])
        except ValueError:
            pass
    return DEFAULT_ACCOUNT


def run(project: Project) -> tuple[list[dict], str]:
    """Run the program; returns (records, account id the mocks answered with)."""
    Recorder, RecordingMonitor = _make_classes()
    mocks = Recorder(project)
    monitor = RecordingMonitor(mocks)
    box: dict = {}

    def target():
        import asyncio

        import pulumi
        from pulumi.runtime.config import set_all_config
        from pulumi.runtime.stack import run_pulumi_func
        from pulumi.runtime.sync_await import _sync_await

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        # the SDK calls the monitor from the loop's executor, and the mock monitor makes an
        # event loop in each worker thread: give the workers loops we can close afterwards
        worker_loops: list = []

        def init_worker():
            worker_loops.append(asyncio.new_event_loop())
            asyncio.set_event_loop(worker_loops[-1])

        executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="enamel-pulumi-rpc", initializer=init_worker)
        loop.set_default_executor(executor)
        try:
            pulumi.runtime.set_mocks(mocks, project=project.name, stack=project.stack, preview=True, monitor=monitor)
            set_all_config(dict(project.config), project.secret_keys)
            main = str(project.program / "__main__.py")
            _sync_await(run_pulumi_func(lambda: runpy.run_path(main, run_name="__main__")))
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = e
        finally:
            executor.shutdown(wait=True)
            for wl in worker_loops:
                wl.close()
            loop.close()

    with _RUN_LOCK:
        cwd, path = os.getcwd(), list(sys.path)
        before = set(sys.modules)
        os.chdir(project.program)
        sys.path.insert(0, str(project.program))
        try:
            t = threading.Thread(target=target, name="enamel-pulumi-mocks", daemon=True)
            t.start()
            t.join(timeout=120)
            if t.is_alive():
                raise ProgramFailed(str(project.program), "the Pulumi program did not finish within 120 s under mocks")
        finally:
            added = [p for p in sys.path if p not in path]
            os.chdir(cwd)
            sys.path[:] = path
            _forget_modules(before, added)
    err = box.get("error")
    if err is not None:
        first = (str(err).strip().splitlines() or [""])[0]
        raise ProgramFailed(
            str(project.program / "__main__.py"),
            f"the Pulumi program failed under mocks: {type(err).__name__}: {first}",
        ) from err
    return monitor.records, mocks.account


def _forget_modules(before: set, roots: list) -> None:
    """Drop modules the program imported from the folders it ran from (its own folder and
    any it put on sys.path), so the next run imports them afresh."""
    roots = [str(Path(r).resolve()) for r in roots if r]
    for name in set(sys.modules) - before:
        f = getattr(sys.modules.get(name), "__file__", None) or ""
        if any(f.startswith(r + os.sep) for r in roots):
            del sys.modules[name]
