# syntax=docker/dockerfile:1
# Jobcast's one image. It runs a gateway by default; `node apps/worker/dist/main.js` runs a worker instead
# (docker-compose.yml gives every service its command).

ARG NODE_IMAGE=node:20-bookworm-slim

# The npm manifests alone (root and workspaces), so that `npm ci` below stays cached until one changes.
# Found rather than listed, so that a new workspace cannot be forgotten here.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
  && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print \
  | xargs cp --parents --target-directory=/manifests

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /manifests ./
RUN npm ci --no-audit --no-fund
COPY . .
# Then only what runs: each app's and lib's dist/, and the demo page the gateway serves (apps/gateway/public).
RUN npm run build \
  && mkdir /out \
  && find apps libs -mindepth 2 -maxdepth 2 \( -name dist -o -name public \) -type d \
  | xargs cp -r --parents --target-directory=/out

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The same manifests, so npm links the workspaces (@jobcast/*) as it does in the repository.
COPY --from=manifests /manifests ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /out ./
# Where docker-compose.yml's jwt-secret volume goes: a new volume takes this directory's owner and mode, so
# the unprivileged user can write the secret there and no one else can read it.
RUN mkdir -p /var/lib/jobcast/secrets && chown node:node /var/lib/jobcast/secrets && chmod 700 /var/lib/jobcast/secrets
# The node image's unprivileged user; the app only reads /app.
USER node
EXPOSE 3000
# The gateway's liveness. docker-compose.yml gives workers their own check: /readyz on their metrics port.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "apps/gateway/dist/main.js"]
