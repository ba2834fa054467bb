# Portcullis: a release build on Debian, run as an unprivileged user (docs/operations.md, "Containers").

# Build stage: the toolchain and the -dev packages stay here.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY src src
COPY migrations migrations
COPY templates templates
COPY static static
RUN cargo build --release --locked --bin portcullis

# Runtime stage: the binary and the shared libraries it links (libssl, libpq; SQLite is compiled in),
# CA certificates for https to upstream providers and jwks_uris, curl for the health check.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libssl3 libpq5 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/portcullis portcullis \
    && mkdir -p /var/lib/portcullis/data /var/lib/portcullis/keys \
    && chown -R portcullis /var/lib/portcullis && chmod 700 /var/lib/portcullis/keys
COPY --from=build /src/target/release/portcullis /usr/local/bin/portcullis
# Settings (docs/configuration.md): listen on every interface inside the container, the SQLite
# database and the development master key file on their volumes, JSON logs. Set PORTCULLIS_ISSUER
# (https in production), PORTCULLIS_KEYS__MASTER_KEY from a secret, and DATABASE_URL for PostgreSQL.
ENV PORTCULLIS_LISTEN=0.0.0.0:8080 \
    PORTCULLIS_DATABASE__URL=sqlite:///var/lib/portcullis/data/portcullis.db \
    PORTCULLIS_KEYS__MASTER_KEY_FILE=/var/lib/portcullis/keys/master.key \
    PORTCULLIS_LOG__FORMAT=json
VOLUME ["/var/lib/portcullis/data", "/var/lib/portcullis/keys"]
USER portcullis
WORKDIR /var/lib/portcullis
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["portcullis"]
CMD ["serve"]
