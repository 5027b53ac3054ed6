"""A tiny loopback stand-in for the two AWS APIs moto lacks that the live scan reads:
Amazon Macie's GetMacieSession / ListClassificationJobs and AWS HealthImaging's
ListDatastores / GetDatastore (both REST-JSON; the botocore models give the paths). Tests
only: the real boto3 clients are pointed at it with AWS_ENDPOINT_URL_MACIE2 and
AWS_ENDPOINT_URL_MEDICAL_IMAGING, every other service stays on moto.

Serves what the test gives it, per region (from the SigV4 credential scope), or per
(access key id, region) where a test must tell two accounts apart (a key in the dict wins):
    macie: {region: {"status": "ENABLED"}}; absent or None: not enabled (403 AccessDeniedException)
    jobs: {region: [JobSummary, ...]}
    datastores: {region: [datastoreProperties, ...]}
Records every request (method, path, region) in `requests`. 127.0.0.1, a free port; stop()
shuts it down."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/")


class AwsStandin:
    def __init__(self, macie=None, jobs=None, datastores=None):
        self.macie, self.jobs, self.datastores = macie or {}, jobs or {}, datastores or {}
        self.requests: list[tuple[str, str, str]] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_GET(self):
                standin._serve(self)

            def do_POST(self):
                standin._serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def _serve(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        if n:
            h.rfile.read(n)
        m = SCOPE.search(h.headers.get("Authorization") or "")
        key, region = (m.group(1), m.group(2)) if m else ("", "")
        path = h.path.split("?", 1)[0]
        self.requests.append((h.command, path, region))
        status, body, kind = self._answer(h.command, path, (key, region))
        data = json.dumps(body, default=str).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        if kind:
            h.send_header("x-amzn-ErrorType", kind)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def _get(table: dict, where: tuple, default):
        return table[where] if where in table else table.get(where[1], default)

    def _answer(self, method, path, where):
        if method == "GET" and path == "/macie":
            session = self._get(self.macie, where, None)
            if session is None:
                return 403, {"message": "Macie is not enabled."}, "AccessDeniedException"
            return 200, {"createdAt": "2026-01-01T00:00:00Z", **session}, None
        if method == "POST" and path == "/jobs/list":
            return 200, {"items": self._get(self.jobs, where, [])}, None
        if method == "GET" and path == "/datastore":
            stores = self._get(self.datastores, where, [])
            keys = ("datastoreId", "datastoreName", "datastoreStatus", "datastoreArn")
            return 200, {"datastoreSummaries": [{k: s[k] for k in keys if k in s} for s in stores]}, None
        m = re.fullmatch(r"/datastore/([^/]+)", path)
        if method == "GET" and m:
            for s in self._get(self.datastores, where, []):
                if s["datastoreId"] == m.group(1):
                    return 200, {"datastoreProperties": s}, None
            return 404, {"message": "no such data store"}, "ResourceNotFoundException"
        return 404, {"message": f"the stand-in does not serve {method} {path}"}, "UnknownOperationException"
