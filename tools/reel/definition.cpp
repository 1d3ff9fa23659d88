// SPDX-License-Identifier: Apache-2.0
#include "definition.hpp"

#include <algorithm>
#include <utility>

#include <reel/json/compile.hpp>

namespace reel::cli {

namespace {

/// The names defined by a connections document (an object of definitions, or a list of them).
std::vector<std::string> defined_names(const document& definitions) {
  std::vector<std::string> names;
  if (definitions.is_object()) {
    for (const auto& [name, def] : definitions.items())
      names.push_back(name);
  } else if (definitions.is_array()) {
    for (const auto& def : definitions) {
      if (def.is_object() && def.contains("name") && def["name"].is_string())
        names.push_back(def["name"].get<std::string>());
    }
  }
  return names;
}

/// One use of a connection by the pipeline file: its `$source`, its `$emit`/`$merge` or its
/// DLQ, read from the file as written (so that they are checked even when the pipeline does
/// not compile).
struct connection_use {
  std::string name;
  document stage;     ///< what the source or sink is built for (the stage's object, the DLQ)
  std::string where;  ///< where the connection name is (`/0/$source/connectionName`, `/dlq/...`)
  bool source = false;
};

std::vector<connection_use> connection_uses(const definition& ctx) {
  std::vector<connection_use> uses;
  const document& pipeline = ctx.file.pipeline;
  auto name_of = [](const document& stage) -> const document* {
    if (!stage.is_object()) return nullptr;
    auto it = stage.find("connectionName");
    return it != stage.end() && it->is_string() ? &*it : nullptr;
  };
  if (!pipeline.empty() && pipeline[0].is_object()) {
    if (auto it = pipeline[0].find("$source"); it != pipeline[0].end()) {
      if (const document* n = name_of(*it))
        uses.push_back({n->get<std::string>(), *it, "/0/$source/connectionName", true});
    }
  }
  if (pipeline.size() > 1 && pipeline.back().is_object()) {
    const std::string at = "/" + std::to_string(pipeline.size() - 1);
    const document& last = pipeline.back();
    if (auto it = last.find("$emit"); it != last.end()) {
      if (const document* n = name_of(*it))
        uses.push_back({n->get<std::string>(), *it, at + "/$emit/connectionName", false});
    }
    if (auto it = last.find("$merge"); it != last.end() && it->is_object()) {
      if (auto into = it->find("into"); into != it->end()) {
        if (const document* n = name_of(*into))
          uses.push_back({n->get<std::string>(), *it, at + "/$merge/into/connectionName", false});
      }
    }
  }
  if (ctx.dlq) {
    uses.push_back(
        {(*ctx.dlq)["connectionName"].get<std::string>(), *ctx.dlq, "/dlq/connectionName", false});
  }
  return uses;
}

}  // namespace

loaded_connections load_connections(connection_registry registry,
                                    const std::optional<std::filesystem::path>& file) {
  loaded_connections loaded{std::move(registry), {}, {}, false};
  if (!file) return loaded;
  document definitions;
  try {
    definitions = connection_registry::read_connections_file(*file);
  } catch (const reel::error& e) {
    loaded.problems = e.diagnostics();
    loaded.file_unreadable = true;
    return loaded;
  }
  try {
    loaded.registry.load_connections(definitions, file->string(), file->parent_path());
  } catch (const reel::error& e) {
    loaded.problems = e.diagnostics();
    const std::vector<std::string> known = loaded.registry.names();
    for (const std::string& name : defined_names(definitions)) {
      if (std::find(known.begin(), known.end(), name) == known.end())
        loaded.unloaded.push_back(name);
    }
  }
  return loaded;
}

std::string locate(const definition& ctx, const diagnostic& d) {
  if (d.id.rfind("reel.io.", 0) == 0 || d.id.rfind("reel.checkpoint.", 0) == 0) return d.where;
  if (d.where.empty()) return ctx.file.path;
  if (d.where[0] != '/') return d.where;
  if (d.where.rfind("/dlq", 0) == 0 && (d.where.size() == 4 || d.where[4] == '/')) {
    if (ctx.dlq_from_command_line) return "--dlq";
    return ctx.file.path + ":/options" + d.where;
  }
  std::string where = d.where;
  // The processor locates its sink stage by name only: "/$emit/connectionName".
  if (where.rfind("/$emit", 0) == 0 || where.rfind("/$merge", 0) == 0) {
    where =
        "/" + std::to_string(ctx.file.pipeline.empty() ? 0 : ctx.file.pipeline.size() - 1) + where;
  }
  return ctx.file.path + ":" + ctx.file.pipeline_pointer + where;
}

std::string located(const definition& ctx, diagnostic d) {
  d.where = locate(ctx, d);
  return d.to_string();
}

std::vector<diagnostic> verify_connections(const definition& ctx,
                                           const loaded_connections& loaded) {
  std::vector<diagnostic> problems;
  const std::vector<connection_use> uses = connection_uses(ctx);
  std::vector<std::pair<std::string, const connection_use*>> targets;
  for (const connection_use& use : uses) {
    // A connection whose definition failed to load was reported with its definition.
    if (loaded.file_unreadable && !loaded.registry.has_source(use.name) &&
        !loaded.registry.has_sink(use.name)) {
      continue;
    }
    if (std::find(loaded.unloaded.begin(), loaded.unloaded.end(), use.name) !=
        loaded.unloaded.end()) {
      continue;
    }
    try {
      if (use.source) {
        loaded.registry.verify_source(use.name, use.where, use.stage);
      } else {
        loaded.registry.verify_sink(use.name, use.where, use.stage);
        if (std::string target = loaded.registry.sink_target(use.name, use.stage, use.where);
            !target.empty()) {
          targets.emplace_back(std::move(target), &use);
        }
      }
    } catch (const reel::error& e) {
      for (const diagnostic& d : e.diagnostics())
        problems.push_back(d);
    }
  }
  // Two writers on one file would interleave their lines: refuse it.
  for (std::size_t i = 0; i < targets.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (targets[i].first != targets[j].first) continue;
      const diagnostic first{"", targets[j].second->where, ""};
      // The target may hold a value from $env: each connection's secrets are redacted.
      const std::string& name = targets[i].second->name;
      const std::string target = loaded.registry.redact(
          targets[j].second->name, loaded.registry.redact(name, targets[i].first));
      problems.push_back(diagnostic{
          "reel.connection.shared_target", targets[i].second->where,
          "connection '" + name + "' would write '" + target + "', which the stage at " +
              locate(ctx, first) +
              " writes too: two writers on one file corrupt it; give the DLQ another "
              "connection, or a file connection with a 'directory' and its own db/coll"});
    }
  }
  return problems;
}

std::vector<diagnostic> definition_problems(const definition& def, const loaded_connections& loaded,
                                            std::optional<json::compiled_pipeline>& compiled) {
  std::vector<diagnostic> problems = loaded.problems;
  json::pipeline_options options;
  options.require_source = true;
  // Enrichment stages ($https) bind their connection when compiled; with no definitions read,
  // the connections file's own problem is the one to report.
  if (!loaded.file_unreadable) options.connections = &loaded.registry;
  json::compile_result r = json::try_compile_pipeline(def.file.pipeline, options);
  for (diagnostic& d : r.diagnostics)
    problems.push_back(std::move(d));
  // The compiler and the connection's type both check the options of $source, $emit and
  // $merge (a misspelt timeField, an Atlas option Reel lacks): a problem is reported once.
  for (diagnostic& d : verify_connections(def, loaded)) {
    const bool reported = std::any_of(problems.begin(), problems.end(), [&](const diagnostic& p) {
      return p.id == d.id && p.where == d.where;
    });
    if (!reported) problems.push_back(std::move(d));
  }
  if (problems.empty()) compiled = std::move(r.pipeline);
  return problems;
}

}  // namespace reel::cli
