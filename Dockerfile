# Cairn container image: cairnd (the server, PID 1) and cairn-cli.
#
#   docker build -t cairn .
#   docker run -d --name cairn -p 127.0.0.1:7070:7070 -v cairn-data:/data cairn
#
# See README.md, section "Docker", and compose.yaml.

# ---- build: the project's own install step and build script, Release, no tests
FROM debian:bookworm AS build
# The dependency layer only changes when the package list does.
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN scripts/build.sh /build -DCMAKE_BUILD_TYPE=Release -DCAIRN_BUILD_TESTS=OFF -DCAIRN_BUILD_BENCH=OFF \
 && install -D -m 0755 -s /build/server/cairnd /out/cairnd \
 && cli=$(find /build -type f -name cairn-cli -perm -u+x | head -n 1) \
 && { [ -n "$cli" ] || { echo "cairn-cli was not built" >&2; exit 1; }; } \
 && install -D -m 0755 -s "$cli" /out/cairn-cli

# ---- runtime: only the shared libraries the binaries link, found with ldd:
# cairnd: libspdlog1.10, libfmt9, libxxhash0, libssl3 (TLS, libcrypto), libstdc++6; cairn-cli: libedit2
# (which brings libbsd0 and libmd0), libssl3 (TLS), libstdc++6. libc6 and libgcc-s1 are in the base.
FROM debian:bookworm-slim
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libstdc++6 libspdlog1.10 libfmt9 libxxhash0 libssl3 libedit2 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && groupadd --gid 10001 cairn \
 && useradd --uid 10001 --gid cairn --home-dir /home/cairn --create-home \
      --shell /usr/sbin/nologin cairn \
 && mkdir -p /data /etc/cairn /run/cairn \
 && chown cairn:cairn /data /run/cairn
COPY --from=build /out/cairnd /out/cairn-cli /usr/local/bin/
# Fail the build, not the first start, if a shared library is missing.
RUN ! ldd /usr/local/bin/cairnd /usr/local/bin/cairn-cli | grep 'not found'
# Container defaults (bind 0.0.0.0, data in /data); mount another file over it to change them.
COPY config/container.json /etc/cairn/cairn.json

USER 10001:10001
WORKDIR /data
VOLUME /data
EXPOSE 7070
STOPSIGNAL SIGTERM
# PING needs no AUTH, so this works with or without a token. cairnd writes the
# port it listens on to /run/cairn/cairnd.port, so the check follows --port or a
# mounted config; no port file yet means not listening yet.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/bin/sh", "-c", "port=$(cat /run/cairn/cairnd.port) && exec cairn-cli -h 127.0.0.1 -p \"$port\" PING >/dev/null"]
# Exec form: cairnd is PID 1 and gets docker stop's SIGTERM itself. Arguments
# after the image name (e.g. --auth-token-file /run/secrets/cairn_token,
# --log-format json) are appended and win over the config file.
ENTRYPOINT ["/usr/local/bin/cairnd", "--config", "/etc/cairn/cairn.json", "--port-file", "/run/cairn/cairnd.port"]
