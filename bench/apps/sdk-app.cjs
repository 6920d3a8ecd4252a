'use strict';
// An app that sets up its own OpenTelemetry SDK before its server (the startup bench's
// "SDK already set up by the app" case).
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { createServer, listen } = require('./common.cjs');

new NodeSDK({ traceExporter: new OTLPTraceExporter(), instrumentations: [] }).start();
listen(createServer());
