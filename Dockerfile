# scep-bot in HTTP mode: `docker compose up` (compose.yaml) runs two of these behind nginx, on PostgreSQL.
# The install is deploy/install.sh, the same script CI runs (.ci/run), so what the image does is tested.
FROM python:3.11-slim-bookworm

# a service user that owns nothing but its data directory
RUN useradd --system --home-dir /var/lib/scep-bot --create-home --shell /usr/sbin/nologin scep

COPY . /src
RUN /src/deploy/install.sh /opt/scep-bot && rm -rf /src

ENV PATH=/opt/scep-bot/bin:$PATH \
    SCEP_DATA_DIR=/var/lib/scep-bot \
    HOST=0.0.0.0 \
    PORT=3000 \
    PYTHONUNBUFFERED=1
USER scep
WORKDIR /var/lib/scep-bot
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"]
# SIGTERM (docker stop) is a graceful stop: claims released, in-flight requests finished
STOPSIGNAL SIGTERM
CMD ["scep-bot", "serve"]
