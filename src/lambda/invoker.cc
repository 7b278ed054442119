#include "lambda/invoker.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>

#include "net/http_client.h"
#include "protocol/json_codec.h"
#include "protocol/value.h"

extern char** environ;

namespace spate::lambda {
namespace {

using protocol::Value;

// Longest timeout a mapping may set (Lambda's 15-minute maximum).
constexpr int64_t kMaxTimeoutSeconds = 900;
constexpr std::string_view kTimeoutMember = "timeout_seconds";
// What is kept of a failed function's output for its error message.
constexpr size_t kMaxMessageBytes = 1024;
// How often a running command is checked for cancellation.
constexpr int kPollSliceMs = 100;

std::string Clip(std::string_view s) {
  std::string out(s.substr(0, kMaxMessageBytes));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

Result<FunctionTarget> ParseTarget(const std::string& name, const Value& v) {
  if (!v.is_object()) return InvalidArgument("lambda map: the entry of " + name + " is not an object");
  FunctionTarget t;
  const Value* url = v.Find("url");
  const Value* command = v.Find("command");
  if ((url == nullptr) == (command == nullptr)) {
    return InvalidArgument("lambda map: the entry of " + name + " needs exactly one of \"url\" and \"command\"");
  }
  if (url != nullptr) {
    if (!url->is_string() || !(url->as_string().starts_with("http://") || url->as_string().starts_with("https://"))) {
      return InvalidArgument("lambda map: the url of " + name + " is not an http:// or https:// URL");
    }
    t.url = url->as_string();
  } else {
    if (!command->is_array() || command->as_array().empty()) {
      return InvalidArgument("lambda map: the command of " + name + " is not a non-empty array of strings");
    }
    for (const Value& a : command->as_array()) {
      if (!a.is_string()) return InvalidArgument("lambda map: the command of " + name + " holds a non-string");
      t.command.push_back(a.as_string());
    }
  }
  if (const Value* s = v.Find(kTimeoutMember); s != nullptr) {
    if (!s->is_int() || s->as_int() < 1 || s->as_int() > kMaxTimeoutSeconds) {
      return InvalidArgument("lambda map: timeout_seconds of " + name + " is not an integer in 1-900");
    }
    t.timeout_ms = s->as_int() * 1000;
  }
  return t;
}

// ---- HTTP ----

constexpr std::string_view kFunctionErrorHeader = "x-amz-function-error";

Invocation InvokeUrl(const net::HttpClient& http, const FunctionTarget& t, std::string_view payload,
                     const std::atomic<bool>* cancel) {
  net::HttpRequest req;
  req.method = "POST";
  req.url = t.url;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = payload;
  req.timeout_ms = t.timeout_ms;
  req.connect_timeout_ms = t.timeout_ms;
  req.max_response_bytes = std::numeric_limits<size_t>::max();  // the function's whole response
  net::HttpFailure failure = net::HttpFailure::kNone;
  Result<net::HttpResponse> resp = http.Send(req, cancel, &failure);
  if (!resp.ok()) {
    switch (failure) {
      case net::HttpFailure::kCancelled: return {Outcome::kCancelled, "", "cancelled"};
      case net::HttpFailure::kTimedOut:
        return {Outcome::kTimedOut, "", "no answer from " + t.url + " within " + std::to_string(t.timeout_ms) + " ms"};
      case net::HttpFailure::kNone:
      case net::HttpFailure::kOther: break;
    }
    // Send says "POST <url>: <why>"; an invocation's message is "<url>: <why>".
    std::string message = resp.status().message();
    return {Outcome::kUnreachable, "", message.substr(std::min(message.size(), req.method.size() + 1))};
  }
  // Present at all (whatever its value): the function failed.
  const bool function_error = std::any_of(resp->headers.begin(), resp->headers.end(),
                                          [](const auto& h) { return h.first == kFunctionErrorHeader; });
  if (resp->status < 200 || resp->status > 299 || function_error) {
    std::string message = "HTTP " + std::to_string(resp->status) +
                          (function_error ? " with X-Amz-Function-Error" : "") + ": " + Clip(resp->body);
    return {Outcome::kFunctionError, std::move(resp->body), std::move(message)};
  }
  Invocation inv;
  inv.payload = std::move(resp->body);
  return inv;
}

// ---- Commands ----

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

Invocation InvokeCommand(const FunctionTarget& t, std::string_view payload, const std::atomic<bool>* cancel) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return {Outcome::kUnreachable, "", std::string("pipe: ") + std::strerror(errno)};
  Fd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) return {Outcome::kUnreachable, "", std::string("pipe: ") + std::strerror(errno)};
  Fd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return {Outcome::kUnreachable, "", std::string("pipe: ") + std::strerror(errno)};
  Fd err_r(err[0]), err_w(err[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_r.fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The child starts with default signal dispositions and an empty mask
  // (spated blocks signals in its threads).
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> argv;
  for (const std::string& a : t.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return {Outcome::kUnreachable, "", t.command[0] + ": " + std::strerror(rc)};
  in_r.Close();
  out_w.Close();
  err_w.Close();
  ::fcntl(in_w.fd, F_SETFL, O_NONBLOCK);

  std::string stdout_text, stderr_text;
  size_t written = 0;
  if (payload.empty()) in_w.Close();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(t.timeout_ms);
  Outcome ended = Outcome::kOk;
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    if (cancel != nullptr && cancel->load()) {
      ended = Outcome::kCancelled;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ended = Outcome::kTimedOut;
      break;
    }
    pollfd fds[3];
    nfds_t n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (out_r.fd >= 0) fds[out_i = static_cast<int>(n++)] = {out_r.fd, POLLIN, 0};
    if (err_r.fd >= 0) fds[err_i = static_cast<int>(n++)] = {err_r.fd, POLLIN, 0};
    if (in_w.fd >= 0) fds[in_i = static_cast<int>(n++)] = {in_w.fd, POLLOUT, 0};
    int wait_ms = static_cast<int>(std::min<int64_t>(left.count(), kPollSliceMs));
    if (::poll(fds, n, wait_ms) < 0) {
      if (errno == EINTR) continue;
      ended = Outcome::kUnreachable;
      break;
    }
    char buf[65536];
    auto drain = [&](int i, Fd& fd, std::string* to) {
      if (i < 0 || fds[i].revents == 0) return;
      ssize_t r = ::read(fd.fd, buf, sizeof(buf));
      if (r > 0) {
        to->append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        fd.Close();
      }
    };
    drain(out_i, out_r, &stdout_text);
    drain(err_i, err_r, &stderr_text);
    if (in_i >= 0 && fds[in_i].revents != 0) {
      if ((fds[in_i].revents & (POLLERR | POLLHUP)) != 0) {
        in_w.Close();  // the command does not read its input
      } else {
        ssize_t w = ::write(in_w.fd, payload.data() + written, payload.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == payload.size()) in_w.Close();
      }
    }
  }
  in_w.Close();
  int wstatus = 0;
  // Output closed: wait for the exit under the same deadline and cancel (a
  // command may close its output and keep running).
  while (ended == Outcome::kOk) {
    pid_t done = ::waitpid(pid, &wstatus, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return {Outcome::kOk, std::move(stdout_text), ""};
      std::string how = WIFEXITED(wstatus) ? "exited with status " + std::to_string(WEXITSTATUS(wstatus))
                                           : "was killed by signal " + std::to_string(WTERMSIG(wstatus));
      return {Outcome::kFunctionError, std::move(stdout_text), t.command[0] + " " + how + ": " + Clip(stderr_text)};
    }
    if (done < 0 && errno != EINTR) {
      return {Outcome::kUnreachable, "", std::string("waitpid: ") + std::strerror(errno)};
    }
    if (cancel != nullptr && cancel->load()) {
      ended = Outcome::kCancelled;
    } else if (std::chrono::steady_clock::now() >= deadline) {
      ended = Outcome::kTimedOut;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  int poll_errno = errno;
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (ended == Outcome::kCancelled) return {Outcome::kCancelled, "", "cancelled"};
  if (ended == Outcome::kTimedOut) {
    return {Outcome::kTimedOut, "",
            t.command[0] + " did not finish within " + std::to_string(t.timeout_ms) + " ms (killed)"};
  }
  return {Outcome::kUnreachable, "", std::string("poll: ") + std::strerror(poll_errno)};
}

class InvokerImpl final : public Invoker {
 public:
  explicit InvokerImpl(FunctionMap map) : map_(std::move(map)) {}

  Invocation Invoke(std::string_view function, std::string_view payload,
                    const std::atomic<bool>* cancel) const override {
    const FunctionTarget* t = FindFunction(map_, function);
    if (t == nullptr) {
      return {Outcome::kNotFound, "",
              "Function not found: " + std::string(function) + " (map it with --lambda-map or --lambda)"};
    }
    if (!t->url.empty()) return InvokeUrl(http_, *t, payload, cancel);
    return InvokeCommand(*t, payload, cancel);
  }

 private:
  const FunctionMap map_;
  const net::HttpClient http_;  // URL functions' connections, kept alive between invocations
};

}  // namespace

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk: return "Ok";
    case Outcome::kNotFound: return "NotFound";
    case Outcome::kFunctionError: return "FunctionError";
    case Outcome::kTimedOut: return "TimedOut";
    case Outcome::kUnreachable: return "Unreachable";
    case Outcome::kCancelled: return "Cancelled";
  }
  return "?";
}

Result<FunctionMap> ParseFunctionMap(std::string_view json) {
  auto doc = protocol::ParseJson(json);
  if (!doc.ok()) return InvalidArgument("lambda map: not JSON: " + doc.status().message());
  if (!doc->is_object()) return InvalidArgument("lambda map: not a JSON object");
  FunctionMap map;
  // A top-level "timeout_seconds" is the default of entries without one.
  const Value* default_timeout = doc->Find(kTimeoutMember);
  if (default_timeout != nullptr &&
      (!default_timeout->is_int() || default_timeout->as_int() < 1 || default_timeout->as_int() > kMaxTimeoutSeconds)) {
    return InvalidArgument("lambda map: timeout_seconds is not an integer in 1-900");
  }
  for (const auto& [name, v] : doc->as_object()) {
    if (name == kTimeoutMember) continue;
    if (name.empty()) return InvalidArgument("lambda map: an empty function name");
    SPATE_ASSIGN_OR_RETURN(FunctionTarget t, ParseTarget(name, v));
    if (default_timeout != nullptr && v.Find(kTimeoutMember) == nullptr)
      t.timeout_ms = default_timeout->as_int() * 1000;
    map.functions[name] = std::move(t);
  }
  return map;
}

Status AddFunctionFlag(std::string_view flag, FunctionMap* map) {
  size_t eq = flag.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == flag.size()) {
    return InvalidArgument("--lambda " + std::string(flag) +
                           ": expected <ARN or name>=<URL> or <ARN or name>=cmd:<program> [args]");
  }
  std::string name(flag.substr(0, eq));
  std::string_view target = flag.substr(eq + 1);
  FunctionTarget t;
  if (target.starts_with("cmd:")) {
    std::string_view rest = target.substr(4);
    size_t i = 0;
    while (i < rest.size()) {
      while (i < rest.size() && rest[i] == ' ') ++i;
      size_t j = i;
      while (j < rest.size() && rest[j] != ' ') ++j;
      if (j > i) t.command.emplace_back(rest.substr(i, j - i));
      i = j;
    }
    if (t.command.empty()) return InvalidArgument("--lambda " + std::string(flag) + ": cmd: names no program");
  } else if (target.starts_with("http://") || target.starts_with("https://")) {
    t.url = std::string(target);
  } else {
    return InvalidArgument("--lambda " + std::string(flag) + ": the target is neither an http(s):// URL nor cmd:...");
  }
  map->functions[name] = std::move(t);
  return Status::Ok();
}

const FunctionTarget* FindFunction(const FunctionMap& map, std::string_view function) {
  if (auto it = map.functions.find(function); it != map.functions.end()) return &it->second;
  // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
  constexpr std::string_view kFunction = ":function:";
  size_t f = function.find(kFunction);
  if (f == std::string_view::npos) return nullptr;
  std::string_view name_and_qualifier = function.substr(f + kFunction.size());
  size_t colon = name_and_qualifier.find(':');
  if (colon != std::string_view::npos) {
    std::string_view unqualified = function.substr(0, f + kFunction.size() + colon);
    if (auto it = map.functions.find(unqualified); it != map.functions.end()) return &it->second;
  }
  std::string_view name = name_and_qualifier.substr(0, colon);
  if (auto it = map.functions.find(name); it != map.functions.end()) return &it->second;
  return nullptr;
}

std::unique_ptr<Invoker> NewInvoker(FunctionMap map) { return std::make_unique<InvokerImpl>(std::move(map)); }

}  // namespace spate::lambda
