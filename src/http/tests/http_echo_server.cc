// A manual tool, not a test: serves a trivial handler for curl, node and wrk.
//   http_echo_server [port] [threads]
// Every request is answered 200 with its body echoed (empty body: "ok\n");
// target /stream answers a chunked / DATA-framed stream of three pieces.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "http/http_server.h"

namespace {

class EchoHandler : public spate::http::RequestHandler {
 public:
  void Handle(spate::http::HttpRequest&& request, std::unique_ptr<spate::http::Responder> responder) override {
    if (request.target == "/stream") {
      auto s = responder->StartStream(200, {{"content-type", "text/plain"}});
      s->Write("one\n");
      s->Write("two\n");
      s->Write("three\n");
      s->End();
      return;
    }
    spate::http::HttpResponse response;
    response.headers.emplace_back("content-type", "application/x-amz-json-1.1");
    response.body = request.body.empty() ? std::string("ok\n") : std::move(request.body);
    responder->Send(std::move(response));
  }
};

}  // namespace

int main(int argc, char** argv) {
  spate::http::HttpServerOptions options;
  options.port = argc > 1 ? static_cast<uint16_t>(std::atoi(argv[1])) : 0;
  options.threads = argc > 2 ? std::atoi(argv[2]) : 2;
  EchoHandler handler;
  auto server = spate::http::HttpServer::Create(options, &handler);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  spate::Status st = (*server)->Start();
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("listening on %s:%u\n", options.host.c_str(), (*server)->port());
  std::fflush(stdout);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->Stop();
  return 0;
}
