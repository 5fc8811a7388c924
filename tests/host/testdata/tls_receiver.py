"""A remote-write receiver stand-in over TLS for remote_write_forwarder_tls_test.

usage: tls_receiver.py CERT KEY CLIENT_CA
Listens on 127.0.0.1 (a free port), requires a client certificate signed by
CLIENT_CA, prints "listening on <port>", then for every POST prints
"POST <path> client=<client certificate CN>" and answers 204.
"""
import http.server
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        subject = dict(x[0] for x in self.connection.getpeercert()["subject"])
        print("POST %s client=%s" % (self.path, subject.get("commonName")),
              flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    cert, key, client_ca = sys.argv[1:4]
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.load_verify_locations(client_ca)
    context.verify_mode = ssl.CERT_REQUIRED
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


main()
