"""Lab: serve a model over HTTP, online (real-time) inference.

Run it:   python serve.py 8000
Try it:   curl http://127.0.0.1:8000/health
          curl -d '{"size_m2": 80, "rooms": 3, "age_years": 20}' http://127.0.0.1:8000/predict
Check it: mlops-primer lab check deployment

Only Python's standard library is needed (http.server, json).
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FEATURES = ("size_m2", "rooms", "age_years")


def load_model(path="model.json"):
    return json.loads(Path(path).read_text())


def predict(model, row):
    """intercept + the sum of weight * value over FEATURES (values may arrive as text)."""
    # TODO 1: compute the prediction from model["intercept"] and model["weights"].
    raise NotImplementedError


MODEL = load_model()


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, body):
        """Send `body` as JSON with an HTTP status (200 OK, 400 Bad Request, 404...)."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        # TODO 2: GET /health answers 200 {"status": "ok"}; any other path 404.
        self._send(404, {"error": "not found"})

    def do_POST(self):
        # TODO 3: POST /predict reads the JSON body (Content-Length bytes from self.rfile)
        #         and answers 200 {"prediction": ...}. A body that is not valid JSON, or
        #         that lacks a feature, answers 400 {"error": "..."}, and the server
        #         keeps running.
        self._send(404, {"error": "not found"})

    def log_message(self, *args):
        pass  # one line per request would flood the terminal


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    # 127.0.0.1: reachable from this machine only
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"serving on http://127.0.0.1:{port}")
    server.serve_forever()


if __name__ == "__main__":
    main()
