# vim-event-relay: build with TypeScript and the dev dependencies, run on a slim Node 22 (LTS)
# with the production dependencies only, as the unprivileged `node` user.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npm run build

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY config ./config
COPY deploy/docker/healthcheck.mjs ./healthcheck.mjs
# The store's directory (store.path in config/docker.json), owned by the user the relay runs as.
# A named volume mounted here starts as a copy of it, owner included; on a path the image lacks,
# Docker would create the mount point root-owned and the first store write would fail (EACCES).
RUN mkdir -p /var/lib/vim-event-relay && chown node:node /var/lib/vim-event-relay && chmod 0750 /var/lib/vim-event-relay
USER node
EXPOSE 8080
# Liveness only (/healthz): a restart fixes nothing that readiness reports (with admin.readiness strict, a VIM or a destination down).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["node", "--single-threaded-gc", "dist/main.js"]
CMD ["run", "--config", "/app/config/docker.json"]
