# The one image every Deployment in deploy/k8s and every service in deploy/compose.yaml runs:
#   docker build -t sensorfuse/sensorfuse:0.1.0 .
# The services run from their TypeScript sources (the `source` export condition + tsx), exactly as
# `npm start` and `npm test` do; the command picks the service, e.g. `worker lidar`.
FROM node:20-bookworm-slim
WORKDIR /app
# onnxruntime-node must not fetch CUDA files at install; models ship in the repository.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY . .
# tsx (a dev dependency) runs the sources, so the install keeps dev dependencies.
RUN npm ci --no-audit --no-fund && npm cache clean --force
USER node
# deploy/ overrides the command with `node services/cli/bin/sensorfuse.mjs worker <name>`.
CMD ["node", "services/cli/bin/sensorfuse.mjs", "run"]
