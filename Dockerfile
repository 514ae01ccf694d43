FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
    && useradd --system stations \
    && mkdir -p /var/lib/stations && chown stations /var/lib/stations
USER stations
# The checkpoint signing key lives here (made on first start); keep it on a volume and back it up.
ENV STATIONS_ENVIRONMENT=production \
    STATIONS_DATA_DIR=/var/lib/stations \
    STATIONS_SIGNING_KEY_FILE=/var/lib/stations/signing-key.pem
VOLUME /var/lib/stations
EXPOSE 8000
CMD ["stations", "serve", "--host", "0.0.0.0", "--port", "8000"]
