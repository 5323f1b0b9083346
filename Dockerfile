# piebot: the same as `make run`, in a slim image. The SQLite file lives on the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite:////data/piebot.db \
    MPLCONFIGDIR=/tmp/matplotlib

RUN groupadd --gid 10001 piebot && useradd --create-home --uid 10001 --gid 10001 piebot \
    && mkdir -p /data && chown piebot:piebot /data

WORKDIR /app
# The exact versions the tests passed with, then piebot itself without resolving anything again.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY piebot ./piebot
COPY framework ./framework
COPY conversations ./conversations
RUN pip install --no-cache-dir --no-deps .

USER 10001:10001
VOLUME ["/data"]
# Webhook mode listens here (piebot run --webhook); polling mode needs no port.
EXPOSE 8080
CMD ["piebot", "run"]
