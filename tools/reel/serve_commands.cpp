// SPDX-License-Identifier: Apache-2.0
// `reel serve` (the processor host behind its HTTP API) and `reel sp` (its client).
#include <signal.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include <reel/json/ejson.hpp>

#include "commands.hpp"
#include "serve/http_api.hpp"
#include "serve/processor_host.hpp"

namespace reel::cli {

namespace {

constexpr const char* default_listen = "127.0.0.1:9710";

std::atomic<int> serve_signal{0};

extern "C" void on_serve_signal(int sig) {
  serve_signal = sig;
}

/// The token: the first line of --token-file, else $REEL_SERVE_TOKEN; empty when neither.
std::string read_token(const command_line& cl) {
  if (cl.token_file) {
    std::ifstream in(*cl.token_file);
    if (!in) throw_error("reel.io.open_failed", *cl.token_file, "cannot read the token file");
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      line.pop_back();
    if (line.empty())
      throw_error("reel.serve.token_required", *cl.token_file, "the token file is empty");
    return line;
  }
  if (const char* env = std::getenv("REEL_SERVE_TOKEN"); env && *env) return env;
  return {};
}

void print_diagnostics(const reel::error& e) {
  for (const diagnostic& d : e.diagnostics())
    std::fprintf(stderr, "%s\n", d.to_string().c_str());
}

}  // namespace

int serve_command(const command_line& cl) {
  serve::server_options server_options;
  const std::string listen = cl.listen.value_or(default_listen);
  const std::size_t colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    const char* first = listen.data() + colon + 1;
    const char* last = listen.data() + listen.size();
    auto [end, ec] = std::from_chars(first, last, port);
    if (ec != std::errc() || end != last || port < 0 || port > 65535) port = -1;
  }
  if (port < 0 || colon == 0) {
    std::fprintf(stderr, "reel: --listen takes HOST:PORT (127.0.0.1:9710), not '%s'\n",
                 listen.c_str());
    return 2;
  }
  server_options.host = listen.substr(0, colon);
  if (server_options.host.size() > 2 && server_options.host.front() == '[')
    server_options.host = server_options.host.substr(1, server_options.host.size() - 2);
  server_options.port = port;
  if (cl.max_body_bytes)
    server_options.max_body_bytes = static_cast<std::size_t>(*cl.max_body_bytes);

  serve::host_options host_options;
  host_options.state_dir = *cl.state_dir;
  host_options.connections = builtin_connections();
  if (cl.connections_file) host_options.connections_file = *cl.connections_file;
  try {
    if (std::string token = read_token(cl); !token.empty()) server_options.token = token;
    serve::processor_host host(std::move(host_options));
    serve::http_server server(host, server_options);
    struct sigaction sa = {};
    sa.sa_handler = on_serve_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    host.resume();
    for (const auto& p : host.list()) {
      if (p["state"] == "FAILED") {
        std::fprintf(stderr, "reel: serve: %s did not resume: %s\n",
                     p["name"].get<std::string>().c_str(),
                     p["error_msg"].is_string() ? p["error_msg"].get<std::string>().c_str() : "");
      }
    }
    std::fprintf(stderr, "reel: serve: listening on http://%s:%d (state in %s)\n",
                 server_options.host.c_str(), server.port(), cl.state_dir->c_str());
    std::fflush(stderr);
    std::thread http([&] { server.listen(); });
    while (serve_signal.load() == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::fprintf(stderr, "reel: serve: %s: stopping the processors with a final checkpoint\n",
                 serve_signal.load() == SIGINT ? "SIGINT" : "SIGTERM");
    server.stop();
    http.join();
    host.shutdown();
    return 0;
  } catch (const reel::error& e) {
    print_diagnostics(e);
    return e.id().starts_with("reel.serve.listen") || e.id().starts_with("reel.io.") ? 1 : 2;
  }
}

namespace {

std::string read_file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_error("reel.io.open_failed", path, "cannot read the pipeline file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string query_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

int sp_command(const command_line& cl) {
  const std::vector<std::string>& a = cl.sp_args;
  const std::string& sub = a[0];
  std::string server = cl.server.value_or("");
  if (server.empty()) {
    const char* env = std::getenv("REEL_SERVER");
    server = env && *env ? env : std::string("http://") + default_listen;
  }
  struct shape {
    const char* name;
    std::size_t args;  // after the subcommand
    const char* usage;
  };
  static const shape shapes[] = {
      {"list", 0, "reel sp list"},
      {"connections", 0, "reel sp connections"},
      {"create", 2, "reel sp create NAME PIPELINE_FILE"},
      {"modify", 2, "reel sp modify NAME PIPELINE_FILE [--fresh]"},
      {"start", 1, "reel sp start NAME"},
      {"stop", 1, "reel sp stop NAME"},
      {"drop", 1, "reel sp drop NAME"},
      {"stats", 1, "reel sp stats NAME [--verbose]"},
      {"sample", 1, "reel sp sample NAME [--limit N]"},
      {"explain", 1, "reel sp explain NAME"},
  };
  const shape* found = nullptr;
  for (const shape& s : shapes) {
    if (sub == s.name) found = &s;
  }
  if (!found) {
    std::fprintf(stderr,
                 "reel: unknown sp subcommand '%s': list, connections, create, modify, start, "
                 "stop, drop, stats, sample, explain\n",
                 sub.c_str());
    return 2;
  }
  if (a.size() != found->args + 1) {
    std::fprintf(stderr, "reel: usage: %s\n", found->usage);
    return 2;
  }
  std::string method = "GET";
  std::string path;
  std::string body;
  const std::string processor = a.size() > 1 ? "/api/v1/processors/" + query_escape(a[1]) : "";
  try {
    if (sub == "list") {
      path = "/api/v1/processors";
    } else if (sub == "connections") {
      path = "/api/v1/connections";
    } else if (sub == "create") {
      method = "PUT";
      path = processor + "?file=" + query_escape(a[2]);
      body = read_file_text(a[2]);
    } else if (sub == "modify") {
      method = "POST";
      path = processor + "/modify?file=" + query_escape(a[2]) +
             (cl.fresh ? "&resumeFromCheckpoint=false" : "");
      body = read_file_text(a[2]);
    } else if (sub == "start" || sub == "stop") {
      method = "POST";
      path = processor + "/" + sub;
    } else if (sub == "drop") {
      method = "DELETE";
      path = processor;
    } else if (sub == "stats") {
      path = processor + "/stats" + (cl.verbose ? "?verbose=true" : "");
    } else if (sub == "sample") {
      path = processor + "/sample?limit=" + std::to_string(cl.limit.value_or(10));
    } else if (sub == "explain") {
      path = processor + "/explain";
    }
    const serve::http_response r = serve::http_call(server, method, path, body, read_token(cl));
    if (r.status == 0) {
      std::fprintf(stderr, "reel: cannot reach the server at %s: %s\n", server.c_str(),
                   r.error.c_str());
      return 1;
    }
    serve::document reply;
    try {
      reply = serve::document::parse(r.body);
    } catch (const nlohmann::json::exception&) {
      std::fprintf(stderr, "reel: %s answered %d with a body that is not JSON\n", server.c_str(),
                   r.status);
      return 1;
    }
    if (r.status >= 400) {
      std::fprintf(stderr, "%s\n", reply.value("errmsg", r.body).c_str());
      return r.status == 400 || r.status == 404 || r.status == 409 ? 2 : 1;
    }
    reply.erase("ok");
    // What mongosh prints: the documents themselves.
    if (sub == "list") {
      std::printf("%s\n", reply["streamProcessors"].dump(2).c_str());
    } else if (sub == "connections") {
      std::printf("%s\n", reply["connections"].dump(2).c_str());
    } else if (sub == "sample") {
      for (const auto& m : reply["messages"])
        std::printf("%s\n", json::to_relaxed_ejson(m).c_str());
    } else if (sub == "create" || sub == "modify") {
      std::printf("%s\n", reply["streamProcessor"].dump(2).c_str());
    } else if (sub == "stats" || sub == "explain") {
      std::printf("%s\n", reply.dump(2).c_str());
    } else {
      std::printf("{ ok: 1 }\n");
    }
    return 0;
  } catch (const reel::error& e) {
    print_diagnostics(e);
    return 2;
  }
}

}  // namespace reel::cli
