#!/usr/bin/env python3
"""A minimal OTLP/HTTP (protobuf) receiver: decodes what synshadow sends to
/v1/metrics and /v1/logs with the official opentelemetry-proto classes and
prints it, one line per data point or log record. For trying the exporter
where no OpenTelemetry Collector is installed; point synshadow at a real
collector otherwise (README.md)."""
import http.server
import sys

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest, ExportLogsServiceResponse)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest, ExportMetricsServiceResponse)


def attributes(pairs):
    return ",".join(f"{kv.key}={kv.value.string_value}" for kv in pairs)


def print_metrics(request):
    for resource in request.resource_metrics:
        print(f"metrics from {attributes(resource.resource.attributes)}")
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                kind = metric.WhichOneof("data")
                data = getattr(metric, kind)
                for point in data.data_points:
                    labels = attributes(point.attributes)
                    if kind == "histogram":
                        value = f"count={point.count} sum={point.sum:.6f} buckets={list(point.bucket_counts)}"
                    else:
                        value = point.as_int if point.WhichOneof("value") == "as_int" else point.as_double
                    print(f"  {kind:9} {metric.name}{{{labels}}} {value}")


def print_logs(request):
    for resource in request.resource_logs:
        for scope in resource.scope_logs:
            for record in scope.log_records:
                print(f"log {record.severity_text:7} {attributes(record.attributes)}: {record.body.string_value}")


class Receiver(http.server.BaseHTTPRequestHandler):
    routes = {
        "/v1/metrics": (ExportMetricsServiceRequest, ExportMetricsServiceResponse, print_metrics),
        "/v1/logs": (ExportLogsServiceRequest, ExportLogsServiceResponse, print_logs),
    }

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        route = self.routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.end_headers()
            return
        request_type, response_type, show = route
        request = request_type()
        request.ParseFromString(body)
        show(request)
        sys.stdout.flush()
        reply = response_type().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4318
    print(f"OTLP/HTTP receiver on http://127.0.0.1:{port} (/v1/metrics, /v1/logs)", flush=True)
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
