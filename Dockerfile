# One image for the three services; docker-compose.yml picks the role with `command`.
# Build: docker build -t bitween .

FROM node:24-bookworm-slim AS manifests
WORKDIR /src
COPY package.json package-lock.json ./
COPY libs/messages/package.json libs/messages/
COPY libs/runtime/package.json libs/runtime/
COPY libs/webrtc-polyfill/ libs/webrtc-polyfill/
COPY apps/api/package.json apps/api/
COPY apps/cli/package.json apps/cli/
COPY apps/torrent-engine/package.json apps/torrent-engine/
COPY apps/xmpp-gateway/package.json apps/xmpp-gateway/
COPY apps/web/package.json apps/web/
COPY test/package.json test/
# Reviewed fixes to dependencies (patch-package, run by npm ci's postinstall; see patches/README.md).
COPY patches/ patches/

# Everything needed to build (dev dependencies included).
FROM manifests AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json nx.json ./
COPY libs/ libs/
COPY apps/ apps/
RUN NX_DAEMON=false npx nx run-many -t build --exclude=@bitween/test

# Production dependencies only.
FROM manifests AS deps
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /src/node_modules node_modules
COPY --from=deps /src/package.json ./
COPY --from=build /src/libs/webrtc-polyfill libs/webrtc-polyfill
COPY --from=build /src/libs/messages/package.json libs/messages/
COPY --from=build /src/libs/messages/dist libs/messages/dist
COPY --from=build /src/libs/runtime/package.json libs/runtime/
COPY --from=build /src/libs/runtime/dist libs/runtime/dist
COPY --from=build /src/apps/api/package.json apps/api/
COPY --from=build /src/apps/api/dist apps/api/dist
COPY --from=build /src/apps/cli/package.json apps/cli/
COPY --from=build /src/apps/cli/dist apps/cli/dist
COPY --from=build /src/apps/torrent-engine/package.json apps/torrent-engine/
COPY --from=build /src/apps/torrent-engine/dist apps/torrent-engine/dist
COPY --from=build /src/apps/xmpp-gateway/package.json apps/xmpp-gateway/
COPY --from=build /src/apps/xmpp-gateway/dist apps/xmpp-gateway/dist
# The web UI: static files the api serves at / (BITWEEN_WEB_DIR defaults to this folder).
COPY --from=build /src/apps/web/dist apps/web/dist
RUN mkdir -p /data/downloads /data/state /data/api /data/xmpp /shares && chown -R node:node /data \
  && ln -s /app/apps/cli/dist/main.js /usr/local/bin/bitween && chmod +x apps/cli/dist/main.js
USER node
VOLUME ["/data"]
CMD ["node", "apps/api/dist/main.js"]
