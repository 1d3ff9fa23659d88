// SPDX-License-Identifier: Apache-2.0
/// \file
/// The connection registry: names (the `connectionName` of `$source`, `$emit`, `$merge` and the
/// DLQ option) mapped to factories that build a source or a sink for one stage. Pipelines never
/// hold credentials: they name a connection.
///
/// **Example**
/// ```cpp
/// reel::connection_registry connections;
/// connections.add_source("tickets", [&](const auto&) { return std::make_unique<reel::memory_source>(docs); });
/// connections.add_sink("out", [&](const auto&) { return std::make_unique<reel::callback_sink>(print); });
/// ```
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/connector/sink.hpp"
#include "reel/connector/source.hpp"
#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"

namespace reel {

class connection_registry {
 public:
  /// Builds a source for one `$source` stage (the stage's object is passed as it is).
  using source_factory = std::function<std::unique_ptr<source>(const nlohmann::ordered_json& stage)>;
  /// Builds a sink for one `$emit`/`$merge` stage, or for the DLQ (`{db, coll}` or `{}`).
  using sink_factory = std::function<std::unique_ptr<sink>(const nlohmann::ordered_json& stage)>;

  void add_source(std::string name, source_factory f) { sources_[std::move(name)] = std::move(f); }
  void add_sink(std::string name, sink_factory f) { sinks_[std::move(name)] = std::move(f); }
  /// A connection usable both ways.
  void add(std::string name, source_factory src, sink_factory snk) {
    sources_[name] = std::move(src);
    sinks_[std::move(name)] = std::move(snk);
  }

  [[nodiscard]] bool has_source(const std::string& name) const { return sources_.count(name) != 0; }
  [[nodiscard]] bool has_sink(const std::string& name) const { return sinks_.count(name) != 0; }

  /// Throws `reel.connection.unknown` (with a suggestion) when no source has that name.
  [[nodiscard]] std::unique_ptr<source> make_source(const std::string& name, const nlohmann::ordered_json& stage,
                                                    const std::string& where = "") const {
    auto it = sources_.find(name);
    if (it == sources_.end()) unknown(name, where, names(sources_), "source");
    return it->second(stage);
  }
  [[nodiscard]] std::unique_ptr<sink> make_sink(const std::string& name, const nlohmann::ordered_json& stage,
                                                const std::string& where = "") const {
    auto it = sinks_.find(name);
    if (it == sinks_.end()) unknown(name, where, names(sinks_), "sink");
    return it->second(stage);
  }

 private:
  template <class Map>
  static std::vector<std::string> names(const Map& m) {
    std::vector<std::string> out;
    for (const auto& [k, v] : m) out.push_back(k);
    return out;
  }
  [[noreturn]] static void unknown(const std::string& name, const std::string& where, const std::vector<std::string>& known,
                                   const char* role) {
    throw_error("reel.connection.unknown", where,
                std::string("no ") + role + " connection named '" + name + "'" + detail::did_you_mean(name, known));
  }

  std::map<std::string, source_factory> sources_;
  std::map<std::string, sink_factory> sinks_;
};

}  // namespace reel
