#!/bin/sh
# SPDX-License-Identifier: MIT
# A neutral HTTPS server for the benchmarks: nginx on loopback with a
# certificate made for the run, answering uploads with a fixed media_id
# and serving media/get from the files in DIR (media_id = file name).
#
#   test/bench/nginx.sh start DIR   prints the port; DIR/cert.pem is the CA
#   test/bench/nginx.sh stop DIR
set -eu
DIR=$(cd "$2" && pwd)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

case "$1" in
stop)
    [ -f "$DIR/nginx.pid" ] && kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
    exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

if [ ! -x "$NGINX" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y -q --no-install-recommends nginx >/dev/null
    else
        echo "nginx is needed: sudo apt-get install -y nginx" >&2; exit 1
    fi
fi
cd "$DIR"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" \
    -keyout key.pem -out cert.pem 2>/dev/null
chmod 755 "$DIR"; chmod 644 "$DIR"/* 2>/dev/null || true   # nginx's workers run as www-data
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > nginx.conf <<CONF
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $DIR/body;
    proxy_temp_path $DIR/proxy;
    fastcgi_temp_path $DIR/fcgi;
    uwsgi_temp_path $DIR/uwsgi;
    scgi_temp_path $DIR/scgi;
    client_max_body_size 64m;
    keepalive_requests 10000;
    server {
        listen 127.0.0.1:$PORT ssl;
        ssl_certificate $DIR/cert.pem;
        ssl_certificate_key $DIR/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        location = /cgi-bin/media/upload {
            default_type application/json;
            return 200 '{"errcode":0,"errmsg":"","type":"file","media_id":"BENCH","created_at":"1"}';
        }
        location = /cgi-bin/media/get {
            alias $DIR/\$arg_media_id;
            default_type application/octet-stream;
            add_header Content-Disposition 'attachment; filename="m.bin"';
        }
    }
}
CONF
"$NGINX" -p "$DIR" -c "$DIR/nginx.conf"
echo "$PORT"
