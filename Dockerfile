# vim-event-relay: build with TypeScript, run on a slim Node 22 (maintained LTS) with only production deps.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schemas ./schemas
COPY config ./config
USER node
EXPOSE 8080
ENTRYPOINT ["node", "dist/main.js"]
CMD ["run", "--config", "/app/config/docker.json"]
