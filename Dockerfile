# b24desk container image: a static binary on a distroless base, non-root,
# state on a volume. docs/deploy.md explains how to run it.
#
#   docker build -t b24desk .
#   docker run -d --name b24desk -v b24desk-state:/var/lib/b24desk \
#     -v /etc/b24desk:/etc/b24desk:ro -p 127.0.0.1:8080:8080 b24desk

# --- build ---
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" \
      -o /out/b24desk ./cmd/b24desk \
 && mkdir -p /out/state

# --- run ---
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/b24desk /usr/local/bin/b24desk
COPY config/b24desk.example.yaml config/rules.example.yaml config/ru-2026.xml config/ru-2027.xml /usr/share/b24desk/
# The state (SQLite database, lock, spooled mail) lives on a volume owned by
# the image's non-root user (65532).
COPY --from=build --chown=65532:65532 /out/state /var/lib/b24desk
VOLUME ["/var/lib/b24desk"]
USER 65532:65532
ENV B24DESK_STATE_DIR=/var/lib/b24desk \
    B24DESK_HTTP_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/b24desk"]
CMD ["run", "--config", "/etc/b24desk/b24desk.yaml"]
