FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . && useradd --system stations
USER stations
EXPOSE 8000
CMD ["stations", "serve", "--host", "0.0.0.0", "--port", "8000"]
