# Capstan image: multi-stage, runs as a non-root user, works with a read-only root filesystem
# (everything it writes goes to /data, a volume, and /tmp, an emptyDir). There is no Docker
# engine on the development machines: test/kubernetes/dockerfile.test.ts checks this file.

# --- build: full dependencies, compile TypeScript (and the dashboard), then drop dev deps ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Native modules (better-sqlite3, onnxruntime-node) need a toolchain only if no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 onnxruntime-node protobufjs
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
COPY web ./web
RUN npm run build
RUN npm prune --omit=dev

# --- runtime: only what runs ---
FROM node:20-bookworm-slim
ENV NODE_ENV=production CAPSTAN_DATA_DIR=/data CAPSTAN_HOST=0.0.0.0 HOME=/tmp
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
RUN mkdir -p /data && chown 10001:10001 /data && ln -s /app/bin/capstan.js /usr/local/bin/capstan
USER 10001
VOLUME ["/data"]
EXPOSE 8470
ENTRYPOINT ["node", "/app/bin/capstan.js"]
CMD ["up", "--host", "0.0.0.0"]
