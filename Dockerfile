FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
    && useradd --system stations \
    && mkdir -p /var/lib/stations /var/lib/stations-keys && chown stations /var/lib/stations /var/lib/stations-keys
USER stations
# The checkpoint signing key (`stations keys init` makes it; only the signer reads it) lives in a
# directory of its own, apart from the keyring and the witness directory the API reads: keep it on
# a volume the API does not mount, and back it up.
ENV STATIONS_ENVIRONMENT=production \
    STATIONS_DATA_DIR=/var/lib/stations \
    STATIONS_SIGNING_KEY_FILE=/var/lib/stations-keys/signing-key.pem \
    STATIONS_KEYRING_FILE=/var/lib/stations/keyring.pem
VOLUME /var/lib/stations /var/lib/stations-keys
EXPOSE 8000
# 0.0.0.0 is the container's own network: docker-compose.yml publishes the port on the host's
# loopback only, for a reverse proxy with TLS in front (STATIONS_PUBLISH_ADDRESS to widen it).
CMD ["stations", "serve", "--host", "0.0.0.0", "--port", "8000"]
