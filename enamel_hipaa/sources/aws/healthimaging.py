"""AWS HealthImaging data stores (aws.healthimaging_datastore): the DICOM-native store's
encryption key and status. ListDatastores, then one GetDatastore per data store (the summary
has no key).

Access is not a property of the data store: HealthImaging has no resource-based policy, so who
may read images is decided by identity policies (the IAM rules: administrative and full-service
access) and, for DICOMweb with OIDC, by the data store's Lambda authorizer, recorded here
(`lambda_authorizer`) for review but not judged: its code is not readable from the API."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, read, resource
from enamel_hipaa.sources.normalise.aws.healthimaging_datastore import datastore_props

SERVICE = "medical-imaging"
GLOBAL = False
TYPES = ("aws.healthimaging_datastore",)
ACTIONS = ("medical-imaging:ListDatastores", "medical-imaging:GetDatastore")
CONDITIONAL = {"medical-imaging:GetDatastore": "only when a data store exists"}


def collect(aws, region, regions) -> Out:
    out = Out()
    mi = aws.client("medical-imaging", region)
    stores = listed(out, aws, SERVICE, region, TYPES, lambda: paginate(mi, "list_datastores", "datastoreSummaries"))
    for s in stores or []:
        sid = s["datastoreId"]
        arn = s.get("datastoreArn") or sid
        name = s.get("datastoreName") or sid
        detail = read(lambda sid=sid: mi.get_datastore(datastoreId=sid)["datastoreProperties"])
        if isinstance(detail, dict) and "$error" in detail:
            out.resources.append(
                resource(aws, "aws.healthimaging_datastore", arn, name, {"id": sid}, region, detail["$error"])
            )
            continue
        out.resources.append(resource(aws, "aws.healthimaging_datastore", arn, name, datastore_props(detail), region))
    return out
