"""A loopback stand-in for the two IAM Access Analyzer calls Enamel makes (ListAnalyzers,
ListFindings), in the real REST-JSON shape: moto has no Access Analyzer, and a pass needs an
analyzer that answers. Serves 127.0.0.1 only; `analyzers` and `public` (resource ARNs with an
active public finding) are set by the test; `stop()` ends it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NOW = "2026-11-28T00:00:00Z"


class Standin:
    def __init__(self):
        self.analyzers: list[dict] = []
        self.public: set[str] = set()
        self.requests: list[str] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, body: dict, code: int = 200):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # ListAnalyzers: GET /analyzer
                standin.requests.append(self.path)
                if self.path.split("?")[0] != "/analyzer":
                    return self._send({"message": "not served"}, 404)
                self._send({"analyzers": standin.analyzers})

            def do_POST(self):  # ListFindings: POST /finding
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                standin.requests.append(self.path)
                if self.path != "/finding":
                    return self._send({"message": "not served"}, 404)
                wanted = body.get("filter", {}).get("resource", {}).get("eq", [])
                findings = [
                    {
                        "id": f"f-{i}",
                        "resource": arn,
                        "resourceType": "AWS::S3::Bucket" if arn.startswith("arn:aws:s3") else "AWS::KMS::Key",
                        "isPublic": True,
                        "status": "ACTIVE",
                        "condition": {},
                        "resourceOwnerAccount": "123456789012",
                        "createdAt": NOW,
                        "analyzedAt": NOW,
                        "updatedAt": NOW,
                    }
                    for i, arn in enumerate(sorted(standin.public))
                    if arn in wanted
                ]
                self._send({"findings": findings})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def analyzer(self, region: str, status: str = "ACTIVE", kind: str = "ACCOUNT") -> None:
        self.analyzers.append(
            {
                "arn": f"arn:aws:access-analyzer:{region}:123456789012:analyzer/enamel-test-{len(self.analyzers)}",
                "name": f"enamel-test-{len(self.analyzers)}",
                "type": kind,
                "status": status,
                "createdAt": NOW,
            }
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
