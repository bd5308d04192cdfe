# syntax=docker/dockerfile:1
# lcr in a container. Build:  docker build -t lcr .
# Run (the README's "Docker" section explains each part):
#   docker run -d --name lcr --restart unless-stopped \
#     -v /etc/lcr:/etc/lcr:ro -v lcr-data:/var/lib/lcr \
#     -e LCR_ARI_PASSWORD=... -p 127.0.0.1:8080:8080 lcr
# Try it first with nothing mounted: docker run --rm lcr demo  (the simulated Asterisk is built in)
# The configuration must set settings.http_listen: 0.0.0.0:8080 and settings.storage_dir: /var/lib/lcr.

# ---- build: compile TypeScript and the SQLite addon, then drop the development packages
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

# ---- runtime: Node, the system espeak-ng (faster than the bundled one) and sox (operators' MP3/FLAC prompts)
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng sox libsox-fmt-mp3 tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/lcr --shell /usr/sbin/nologin lcr \
 && mkdir -p /etc/lcr /var/lib/lcr \
 && chown lcr:lcr /var/lib/lcr
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY routes.example.yaml ./
ENV NODE_ENV=production \
    LCR_CONFIG=/etc/lcr/routes.yaml \
    LCR_HEALTH_URL=http://127.0.0.1:8080/healthz
USER lcr
VOLUME ["/etc/lcr", "/var/lib/lcr"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.LCR_HEALTH_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini forwards SIGTERM (graceful drain) and SIGHUP (reload), and reaps speech-engine processes.
ENTRYPOINT ["tini", "--", "node", "/app/bin/lcr.js"]
CMD ["start"]
