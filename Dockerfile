# One image for the three services (and the one-shot that generates their NATS users);
# docker-compose.yml picks the role with `command`.
# Build: docker build --network host -t bitween .   (multi-stage: only the last stage ships)

# The package manifests (and the local webrtc-polyfill package) alone decide what `npm ci`
# installs: keeping only them here lets a source change reuse the cached install below.
FROM node:24-bookworm-slim AS manifests
WORKDIR /src
COPY package.json package-lock.json ./
COPY libs/ libs/
COPY apps/ apps/
COPY test/package.json test/
COPY test-compose/package.json test-compose/
# Reviewed fixes to dependencies (patch-package, run by npm ci's postinstall; see patches/README.md).
COPY patches/ patches/
RUN find libs apps -type f ! -name package.json ! -path 'libs/webrtc-polyfill/*' -delete \
  && find libs apps -depth -type d -empty -delete

# Everything needed to build (dev dependencies included): compile every project.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY --from=manifests /src ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json nx.json ./
COPY libs/ libs/
COPY apps/ apps/
RUN NX_DAEMON=false NX_NO_CLOUD=true npx nx run-many -t build --exclude=@bitween/test --output-style=static \
  # what ships of each project: its package.json and its build output (dist/)
  && mkdir /out && for dir in libs/* apps/*; do \
       [ -f "$dir/package.json" ] || continue; mkdir -p "/out/$dir"; cp "$dir/package.json" "/out/$dir/"; \
       if [ -d "$dir/dist" ]; then cp -r "$dir/dist" "/out/$dir/"; fi; \
     done \
  && cp -r libs/webrtc-polyfill/. /out/libs/webrtc-polyfill/

# Production dependencies only (no dev dependencies: no compiler, no test tools, no Node binary
# from the `node` package).
FROM node:24-bookworm-slim AS deps
WORKDIR /src
COPY --from=manifests /src ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /src/node_modules node_modules
COPY --from=deps /src/package.json ./
COPY --from=build /out ./
COPY docker/healthcheck.mjs docker/demo-setup.mjs docker/
# /nats-auth/<role>: where docker-compose.yml mounts each service's NATS seed volume (and the
# one-shot nats-auth writes them): owned by node and 0700, which a fresh volume takes over.
RUN mkdir -p /data/downloads /data/state /data/api /data/xmpp /shares && chown -R node:node /data \
  && mkdir -p /nats-auth/server /nats-auth/api /nats-auth/torrent-engine /nats-auth/xmpp-gateway \
  && chown -R node:node /nats-auth && chmod 0700 /nats-auth/* \
  && ln -s /app/apps/cli/dist/main.js /usr/local/bin/bitween && chmod +x apps/cli/dist/main.js
# Non-root: the services need no privileges (BitTorrent ports are above 1024).
USER node
VOLUME ["/data"]
# Finds the service this container runs (api, torrent-engine or xmpp-gateway) and checks it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/docker/healthcheck.mjs"]
CMD ["node", "apps/api/dist/main.js"]
