# syntax=docker/dockerfile:1
# The platform's production image. Build and run:
#   docker build -t meshstream .
#   docker compose up            (the platform with a Kafka broker, compose.yaml)
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# Stage 1: every dependency, type-check and compile to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Stage 2: runtime dependencies only, the compiled platform and the declared schemas.
# Listening beyond loopback, the platform refuses to start without TLS and auth
# (MESHSTREAM_TLS_CERT/KEY, MESHSTREAM_AUTH=jwt|mtls: see the README's Security
# section) unless MESHSTREAM_INSECURE=true says plaintext is meant.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    MESHSTREAM_LISTEN=0.0.0.0:50051 \
    MESHSTREAM_HTTP_LISTEN=0.0.0.0:8080 \
    MESHSTREAM_METRICS_LISTEN=0.0.0.0:9464 \
    MESHSTREAM_DATA_DIR=/data \
    MESHSTREAM_SCHEMAS_DIR=/app/schemas
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
    && mkdir /data && chown node:node /data
COPY --from=build /src/dist ./dist
COPY schemas ./schemas
# The image's `node` user, by number so that a runtime can tell it is not root.
USER 1000:1000
VOLUME ["/data"]
EXPOSE 50051 8080 9464
# Readiness through the platform's own grpc.health.v1 (see apps/platform/src/healthcheck.ts).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "dist/apps/platform/src/healthcheck.js"]
# node as PID 1 gets SIGTERM directly: the platform drains and exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=64", "--enable-source-maps", "dist/apps/platform/src/main.js"]
