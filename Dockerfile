# Runnel broker: HTTP/WebSocket/SSE on 8080, Kafka wire protocol on 9092, data in /data.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The CRC-32C addon is a file: dependency built by npm during the install.
COPY libs/records/native ./libs/records/native
# npm install, not npm ci: the lockfile is written without other platforms' optional binaries
# (see .ci/run), which npm ci refuses.
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production RUNNEL_DATA_DIR=/data RUNNEL_HOST=0.0.0.0 RUNNEL_KAFKA_HOST=0.0.0.0
COPY --from=build /app/node_modules ./node_modules
# node_modules/runnel-crc32c-native links here (the built addon is in build/).
COPY --from=build /app/libs/records/native ./libs/records/native
COPY --from=build /app/dist ./dist
# The /live page is served as it is on disk (no build step).
COPY --from=build /app/apps/broker/src/live/static ./apps/broker/src/live/static
COPY package.json ./
VOLUME /data
EXPOSE 8080 9092
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8080/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/broker/src/main.js"]
