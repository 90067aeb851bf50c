# syntax=docker/dockerfile:1
# Aduan in a container. `docker compose up` runs it beside a Redis container (docker-compose.yml);
# `docker run -p 3000:3000 -v aduan-data:/data IMAGE` alone also works: with no REDIS_URL the app
# starts the image's own redis-server under DATA_DIR, as it does on a bare Debian machine.

# --- build: compile TypeScript to dist/ -------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# .puppeteerrc.cjs must be in place before `npm ci`: it tells puppeteer's install script to skip
# its browser download. The manifest files come before the sources so the dependency layer is
# reused when only code changes.
COPY package.json package-lock.json .puppeteerrc.cjs ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm run build` compiles to dist/ and copies what tsc does not: the Lua scripts and the web chat's
# static files, which the compiled modules find beside themselves.
RUN npm run build

# --- runtime ----------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
# Debian's redis-server, for the embedded Redis used when REDIS_URL is unset (a few MB). With
# `--build-arg WITH_CHROMIUM=1` also Debian's chromium, which the WhatsApp Web transport drives
# (several hundred MB, so only for images that run it).
ARG WITH_CHROMIUM=0
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
    $([ "$WITH_CHROMIUM" = "1" ] && echo chromium) \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=3000 \
  DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json .puppeteerrc.cjs ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY flows ./flows
COPY bin ./bin
# Attachments (and the embedded Redis's files) live in DATA_DIR: mount a volume there. The code
# above stays root-owned, so the app cannot modify itself.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/aduan.js"]
CMD ["start"]
