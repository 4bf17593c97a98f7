# Crawl Cluster: one image for every component. Each runs as its deno task:
#   docker build -t crawl-cluster .
#   docker run --rm crawl-cluster deno task run:crawler        (kafka-monitor, redis-monitor, rest, webhook)
#   docker run --rm crawl-cluster deno task kafkadump list
# compose.yaml builds it once and runs every component from it.

# Pinned: the Deno that deno.lock and the code were tested with.
FROM denoland/deno:2.9.6

WORKDIR /app

# Dependencies first, so a code change does not fetch them again: exactly the versions in
# deno.lock (--frozen fails the build when deno.json and the lockfile disagree), into DENO_DIR
# (/deno-dir, owned by the image's non-root `deno` user, who also runs the components).
COPY deno.json deno.lock ./
USER deno
RUN deno install --frozen

# The code is root's and read-only to the components; only the log directory is theirs to
# write (and they write it only with a run:<component>:log-file task).
COPY --chown=root:root . .
USER root
RUN mkdir -p logs && chown deno:deno logs
USER deno

# Every entry point and what it imports, compiled into DENO_DIR now rather than at each start.
RUN deno cache --frozen \
    components/kafka-monitor/main.ts \
    components/redis-monitor/main.ts \
    components/crawler/main.ts \
    components/rest/main.ts \
    components/webhook/main.ts \
    components/kafkadump/main.ts \
    components/migrate/main.ts \
    components/health/main.ts

# The REST gateway's port (its container must set REST_HOST=0.0.0.0 to be reached).
EXPOSE 5343

CMD ["deno", "task", "run:crawler"]
