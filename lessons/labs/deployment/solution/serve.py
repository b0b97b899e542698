"""Lab: serve a model over HTTP (reference solution)."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FEATURES = ("size_m2", "rooms", "age_years")


def load_model(path="model.json"):
    return json.loads(Path(path).read_text())


def predict(model, row):
    return model["intercept"] + sum(model["weights"][f] * float(row[f]) for f in FEATURES)


MODEL = load_model()


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self._send(200, {"status": "ok"})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/predict":
            self._send(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length", 0))
        try:
            row = json.loads(self.rfile.read(length))
            value = predict(MODEL, row)
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, {"error": f"bad request: {exc}"})
            return
        self._send(200, {"prediction": value})

    def log_message(self, *args):
        pass  # one line per request would flood the terminal


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"serving on http://127.0.0.1:{port}")
    server.serve_forever()


if __name__ == "__main__":
    main()
