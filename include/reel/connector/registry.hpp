// SPDX-License-Identifier: Apache-2.0
/// \file
/// The connection registry: names (the `connectionName` of `$source`, `$emit`, `$merge` and the
/// DLQ option) mapped to what builds a source or a sink for one stage. Pipelines never hold
/// credentials: they name a connection.
///
/// A connection comes either from code (`add_source`/`add_sink`: a factory per role) or from a
/// *definition*, `{"type": "file", "path": "tickets.ndjson"}`, added with `add_connection` or
/// read from a `connections.json` file (`load_connections`). A definition's `type` names a
/// *connection type*, registered with `register_type` (the built-in ones by
/// `register_builtin_types` in `reel/connector/defaults.hpp`; compiled connectors such as Kafka
/// register theirs the same way). Types are matched without regard to case (`"Kafka"` finds
/// `"kafka"`).
///
/// Secrets stay out of definitions: any value may be `{"$env": "KAFKA_PASSWORD"}`, replaced by
/// that environment variable when a source or sink is built. A variable that is not set is an
/// error only when its connection is used (naming the connection), so a connections file may
/// define connections a pipeline does not use. Resolved values are never part of an error
/// message: a connection type names such a setting with `connection_args::shown()`
/// (`connection 'archive' path (from $env ARCHIVE_PATH)`), and any value left in a message is
/// replaced by `(value of $env ARCHIVE_PATH)`; `describe()` shows definitions as written.
///
/// Errors (all `reel::error`, locations as `origin:pointer`, e.g.
/// `connections.json:/tickets/type`):
/// - `reel.connection.unknown`: no connection of that name (with a suggestion);
/// - `reel.connection.unknown_type`: a definition names an unregistered type (with a suggestion);
/// - `reel.connection.unsupported_type`: a definition names a type Atlas has and Reel does not
///   (`Kinesis`, `SchemaRegistry`): "not supported by Reel";
/// - `reel.connection.not_built`: a definition names the type of a compiled connector this build
///   of Reel does not have (`kafka`, `mongodb`, `s3`, `https`, `aws_lambda`), with the CMake
///   option that builds it;
/// - `reel.connection.invalid`: a definition that is not `{type, ...}` or that its type rejects;
/// - `reel.connection.missing_env`: a `$env` variable that is not set, when its connection is used;
/// - `reel.connection.unsupported`: a source-only connection used as a sink, or the reverse;
/// - `reel.connection.io`: a connections file that cannot be read;
/// - `reel.syntax.error`: a connections file that is not JSON (with `file:line:column`).
///
/// **Example**
/// ```cpp
/// reel::connection_registry connections;
/// connections.add_source("tickets", [&](const auto&) { return
/// std::make_unique<reel::memory_source>(docs); }); connections.add_sink("out", [&](const auto&) {
/// return std::make_unique<reel::callback_sink>(print); });
///
/// connections.register_type("counter", {.make_source = [](const reel::connection_args& a) {
///   return std::make_unique<counter_source>(a.definition.value("limit", 10));
/// }});
/// connections.load_connections(reel::json::document::parse(R"({
///   "numbers": {"type": "counter", "limit": 3},
///   "secure":  {"type": "counter", "token": {"$env": "COUNTER_TOKEN"}}
/// })"), "inline");
/// ```
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reel/checkpoint/store.hpp"
#include "reel/connector/collection_reader.hpp"
#include "reel/connector/detail/redacting.hpp"
#include "reel/connector/function.hpp"
#include "reel/connector/sink.hpp"
#include "reel/connector/source.hpp"
#include "reel/detail/suggest.hpp"
#include "reel/error.hpp"
#include "reel/json/mongosh_syntax.hpp"
#include "reel/json/stage_options.hpp"

namespace reel {

/// What a connection type's factory gets to build a source or a sink for one stage.
struct connection_args {
  /// The connection's name.
  std::string name;
  /// The connection definition, `{type, ...}`, with every `{"$env": ...}` replaced by its value.
  nlohmann::ordered_json definition;
  /// The stage that uses the connection: the `$source` object, the `$emit` object, the `$merge`
  /// object, or the DLQ option `{connectionName, db, coll}`. Null when a definition is checked.
  nlohmann::ordered_json stage;
  /// Where the definition is: `connections.json:/tickets` (empty for code-built definitions).
  std::string definition_where;
  /// Where the stage is: `/0/$source`, `/3/$merge`, `/dlq` (may be empty).
  std::string stage_where;
  /// The directory relative paths of the definition are resolved against (the connections
  /// file's directory), or empty for the current directory.
  std::filesystem::path base_directory;
  /// The settings of `definition` whose values came from `{"$env": NAME}`: JSON pointer in the
  /// definition (`/path`, `/sasl/password`) → NAME. Such values are secrets: errors, metadata
  /// and stats name the setting (`shown()`), never the value.
  std::map<std::string, std::string> env_settings;

  /// The `$env` variable the setting at `pointer` (`/path`) came from, or empty.
  [[nodiscard]] std::string env_variable(const std::string& pointer) const {
    auto it = env_settings.find(pointer);
    return it == env_settings.end() ? std::string() : it->second;
  }
  /// How messages name the setting at `pointer` when its value came from `$env`:
  /// `connection 'archive' path (from $env ARCHIVE_PATH)`; empty when it did not (the value
  /// may be shown).
  [[nodiscard]] std::string shown(const std::string& pointer) const {
    const std::string variable = env_variable(pointer);
    if (variable.empty()) return {};
    std::string setting = pointer.substr(pointer.empty() ? 0 : 1);
    std::replace(setting.begin(), setting.end(), '/', '.');
    return "connection '" + name + "' " + setting + " (from $env " + variable + ")";
  }

  /// Throws `reel.connection.invalid` at `definition_where + pointer`.
  [[noreturn]] void definition_error(const std::string& pointer, const std::string& message) const {
    throw_error("reel.connection.invalid", definition_where + pointer, message);
  }
  /// Throws `reel.connection.invalid` at `stage_where + pointer`.
  [[noreturn]] void stage_error(const std::string& pointer, const std::string& message) const {
    throw_error("reel.connection.invalid", stage_where + pointer, message);
  }
  /// A path of the definition, resolved against `base_directory`.
  [[nodiscard]] std::filesystem::path resolve(const std::filesystem::path& p) const {
    if (p.is_absolute() || base_directory.empty()) return p;
    return base_directory / p;
  }
};

/// A kind of connection (`"file"`, `"kafka"`, ...): how to check a definition and how to build a
/// source and/or a sink from one. A type without `make_source` cannot be used by `$source`, one
/// without `make_sink` cannot be used by `$emit`, `$merge` or as the DLQ.
struct connection_type {
  std::function<std::unique_ptr<reel::source>(const connection_args&)> make_source;
  std::function<std::unique_ptr<reel::sink>(const connection_args&)> make_sink;
  /// Builds a checkpoint store (`reel/checkpoint/store.hpp`) for a store specification such as
  /// `{connectionName, bucket, prefix}` (passed as `connection_args::stage`). Optional: a type
  /// without it cannot keep checkpoints.
  std::function<std::unique_ptr<checkpoint_store>(const connection_args&)> make_checkpoint_store;
  /// Builds the reader that `$lookup` and `$cachedLookup` join against
  /// (`reel/connector/collection_reader.hpp`), for the stage (passed as `connection_args::stage`).
  /// Optional: a type without it cannot be joined against.
  std::function<std::shared_ptr<collection_reader>(const connection_args&)> make_collection_reader;
  /// Builds the function that `$externalFunction` calls through a connection of this type (an
  /// AWS Lambda function), for the stage (passed as `connection_args::stage`: `functionName`,
  /// `execution`, ...); it is called like an in-process function (`reel/connector/function.hpp`).
  /// Unlike an in-process function it is awaited with `execution: "async"` too: it completes,
  /// without a value, once the service has accepted the call, so that `onError` applies to the
  /// service's refusals. Optional: a type without it cannot be used by `$externalFunction`.
  std::function<async_function(const connection_args&)> make_function;
  /// Checks a definition when it is added (with `stage` null); throws `reel::error` through
  /// `args.definition_error`. Optional.
  std::function<void(const connection_args&)> check;
  /// Checks, without building or opening anything, that a source can be built for a stage (a
  /// file source: that its file exists); throws `reel::error`. Optional; run by `verify_source`.
  std::function<void(const connection_args&)> check_source;
  /// Where a sink for a stage writes, when two sinks writing there would corrupt each other (a
  /// file sink: the file's absolute path); empty when sharing is safe. Optional; see
  /// `connection_registry::sink_target`.
  std::function<std::string(const connection_args&)> sink_target;
  /// One line for `describe()` and `reel --help`.
  std::string summary;
  /// The options this type takes in the stages that use it, as dotted paths (`"topic"`,
  /// `"config.group_id"`, `"into.db"`; `"config.*"` for any key of `config`), besides those the
  /// compiler reads for every connection (`connectionName`, `timeField`, `tsFieldName`,
  /// `partitionIdleTimeout`, `documents`). The registry refuses any other option of a stage that
  /// uses a connection of this type: "not supported by Reel" when Atlas has it, "unknown"
  /// otherwise (`reel/json/stage_options.hpp`). Unset: the stage's options are checked against
  /// Atlas's and Reel's own (a type with options of its own declares them).
  struct stage_option_lists {
    std::vector<std::string> source;  ///< `$source`
    std::vector<std::string> emit;    ///< `$emit`
    std::vector<std::string> merge;   ///< `$merge`
  };
  std::optional<stage_option_lists> stage_options;
};

namespace detail {

/// `"Kafka"` → `"kafka"`.
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// `definition` with the values that are credentials written in it (keys such as `password`,
/// `secretAccessKey`, `sessionToken`; URIs with user information) masked, for `describe()`.
inline nlohmann::ordered_json masked_definition(nlohmann::ordered_json definition) {
  if (definition.is_object()) {
    for (auto& [key, value] : definition.items()) {
      const std::string k = lower(key);
      const bool credential = k.find("password") != std::string::npos ||
                              k.find("secret") != std::string::npos ||
                              k.find("token") != std::string::npos;
      if (credential && value.is_string()) {
        value = "********";
      } else {
        value = masked_definition(std::move(value));
      }
    }
  } else if (definition.is_array()) {
    for (auto& value : definition)
      value = masked_definition(std::move(value));
  } else if (definition.is_string()) {
    definition = redact_userinfo(definition.get<std::string>());
  }
  return definition;
}

/// A compiled connector that a build of Reel may lack: its connection type, its name and the
/// CMake option that builds it.
struct optional_connector {
  std::string_view type, name, cmake_option;
};

inline constexpr optional_connector optional_connectors[] = {
    {"kafka", "Kafka", "REEL_WITH_KAFKA"},
    {"mongodb", "MongoDB", "REEL_WITH_MONGO"},
    {"s3", "S3", "REEL_WITH_S3"},
    {"https", "HTTPS", "REEL_WITH_HTTPS"},
    {"aws_lambda", "HTTPS (AWS Lambda)", "REEL_WITH_HTTPS"},
    {"awslambda", "HTTPS (AWS Lambda)", "REEL_WITH_HTTPS"},
};

/// A connection type Atlas has and Reel does not: its name (lower case) and what it is for.
struct atlas_only_connection_type {
  std::string_view type, what;
};

inline constexpr atlas_only_connection_type atlas_only_connection_types[] = {
    {"kinesis", "AWS Kinesis data streams"},
    {"schemaregistry", "schema registries (Avro)"},
};

inline const atlas_only_connection_type* find_atlas_only_connection_type(std::string_view type) {
  const std::string t = lower(type);
  for (const atlas_only_connection_type& c : atlas_only_connection_types) {
    if (c.type == t) return &c;
  }
  return nullptr;
}

inline const optional_connector* find_optional_connector(std::string_view type) {
  const std::string t = lower(type);
  for (const optional_connector& c : optional_connectors) {
    if (c.type == t) return &c;
  }
  return nullptr;
}

}  // namespace detail

/// Rejects keys of `args.definition` outside `allowed` (besides `type` and `name`), with a
/// suggestion: `[reel.connection.invalid] at connections.json:/out/pth: unknown field 'pth' of a
/// file connection (did you mean 'path'?)`.
inline void check_definition_keys(const connection_args& args, std::string_view type,
                                  std::initializer_list<std::string_view> allowed) {
  std::vector<std::string> names = {"type", "name"};
  for (std::string_view a : allowed)
    names.emplace_back(a);
  for (const auto& [key, value] : args.definition.items()) {
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      args.definition_error(json_pointer_append("", key),
                            "unknown field '" + key + "' of a " + std::string(type) +
                                " connection" + reel::detail::did_you_mean(key, names));
    }
  }
}

class connection_registry {
 public:
  /// Builds a source for one `$source` stage (the stage's object is passed as it is).
  using source_factory =
      std::function<std::unique_ptr<source>(const nlohmann::ordered_json& stage)>;
  /// Builds a sink for one `$emit`/`$merge` stage, or for the DLQ (`{db, coll}` or `{}`).
  using sink_factory = std::function<std::unique_ptr<sink>(const nlohmann::ordered_json& stage)>;
  /// Looks up an environment variable for `{"$env": name}` (the default reads the process
  /// environment).
  using environment = std::function<std::optional<std::string>(const std::string& name)>;

  /// A source built in code. Replaces the source role of a connection of that name.
  void add_source(std::string name, source_factory f) { sources_[std::move(name)] = std::move(f); }
  /// A sink built in code. Replaces the sink role of a connection of that name.
  void add_sink(std::string name, sink_factory f) { sinks_[std::move(name)] = std::move(f); }
  /// A connection usable both ways.
  void add(std::string name, source_factory src, sink_factory snk) {
    sources_[name] = std::move(src);
    sinks_[std::move(name)] = std::move(snk);
  }

  /// Registers (or replaces) the in-process function `function` of connection `connection`, for
  /// `{$externalFunction: {connectionName: connection, functionName: function}}`
  /// (`reel/connector/function.hpp`). A connection may hold several functions.
  void register_function(const std::string& connection, const std::string& function,
                         async_function f) {
    functions_[connection][function] = std::move(f);
  }
  /// The same for a function that answers by returning.
  void register_function(const std::string& connection, const std::string& function,
                         sync_function f) {
    register_function(connection, function,
                      async_function([f = std::move(f)](const nlohmann::ordered_json& argument,
                                                        const function_completion& done) {
                        std::optional<nlohmann::ordered_json> result;
                        try {
                          result = f(argument);
                        } catch (const std::exception& e) {
                          done.fail(e.what());
                          return;
                        }
                        done(std::move(*result));
                      }));
  }
  /// The function `function` of connection `connection`, or null.
  [[nodiscard]] const async_function* find_function(const std::string& connection,
                                                    const std::string& function) const {
    auto c = functions_.find(connection);
    if (c == functions_.end()) return nullptr;
    auto f = c->second.find(function);
    return f == c->second.end() ? nullptr : &f->second;
  }
  /// The names of the functions of connection `connection` (empty when it has none), sorted.
  [[nodiscard]] std::vector<std::string> function_names(const std::string& connection) const {
    auto c = functions_.find(connection);
    return c == functions_.end() ? std::vector<std::string>() : keys(c->second);
  }
  /// The connections that hold in-process functions, sorted.
  [[nodiscard]] std::vector<std::string> function_connections() const { return keys(functions_); }

  /// Registers (or replaces) a connection type; `name` is matched without regard to case.
  void register_type(std::string name, connection_type type) {
    types_[detail::lower(name)] = std::move(type);
  }
  [[nodiscard]] bool has_type(std::string_view name) const {
    return types_.count(detail::lower(name)) != 0;
  }
  /// The registered type names, sorted.
  [[nodiscard]] std::vector<std::string> type_names() const { return keys(types_); }
  [[nodiscard]] const connection_type* find_type(std::string_view name) const {
    auto it = types_.find(detail::lower(name));
    return it == types_.end() ? nullptr : &it->second;
  }

  /// Replaces how `{"$env": name}` values are looked up (a secrets store, or a test fixture).
  void set_environment(environment env) { env_ = std::move(env); }

  /// Adds (or replaces) the connection `name` from its definition `{type, ...}`. The definition
  /// is checked now (type known, `$env` references well formed, the type's own check); when a
  /// `$env` variable is not set, the type's check waits until the connection is used, and so
  /// does the error. `where` locates the definition in errors (`connections.json:/tickets`), and
  /// relative paths in it are resolved against `base_directory`. Replaces connections of that
  /// name added in code.
  void add_connection(const std::string& name, nlohmann::ordered_json definition,
                      std::string where = "", std::filesystem::path base_directory = {}) {
    entry e{std::move(definition), std::move(where), std::move(base_directory)};
    if (!e.definition.is_object()) {
      throw_error("reel.connection.invalid", e.where,
                  "a connection definition must be an object like {\"type\": \"file\", ...}");
    }
    std::vector<detail::env_secret> secrets;
    std::vector<std::string> unset;
    connection_args args = arguments(name, e, nullptr, "", secrets, &unset);
    detail::redacting_errors(secrets, e.where, [&] {
      const connection_type& t = type_of(args, e);
      if (t.check && unset.empty()) t.check(args);
    });
    e.checked = unset.empty();
    sources_.erase(name);
    sinks_.erase(name);
    connections_[name] = std::move(e);
  }

  /// Adds every connection of `definitions`: an object `{name: {type, ...}, ...}`, or an array
  /// of `{name, type, ...}` objects (the shape of Atlas's Admin API). `origin` (a file name)
  /// prefixes error locations. Every valid definition is added; then one `reel::error` carries
  /// the problems of all the others.
  void load_connections(const nlohmann::ordered_json& definitions, const std::string& origin = "",
                        const std::filesystem::path& base_directory = {}) {
    const std::string at = origin.empty() ? std::string() : origin + ":";
    std::vector<diagnostic> problems;
    auto add = [&](auto&& f) {
      try {
        f();
      } catch (const reel::error& e) {
        for (const diagnostic& d : e.diagnostics())
          problems.push_back(d);
      }
    };
    if (definitions.is_object()) {
      for (const auto& item : definitions.items()) {
        // Not a structured binding: clang before 16 cannot capture one in the lambda below.
        const std::string& name = item.key();
        const auto& def = item.value();
        const std::string where = json_pointer_append(at, name);
        add([&] { add_connection(name, def, where, base_directory); });
      }
    } else if (definitions.is_array()) {
      for (std::size_t i = 0; i < definitions.size(); ++i) {
        const auto& def = definitions[i];
        const std::string where = at + "/" + std::to_string(i);
        add([&] {
          if (!def.is_object() || !def.contains("name") || !def["name"].is_string()) {
            throw_error("reel.connection.invalid", where,
                        "a connection in a list needs a string 'name'");
          }
          add_connection(def["name"].get<std::string>(), def, where, base_directory);
        });
      }
    } else {
      throw_error("reel.connection.invalid", origin.empty() ? std::string() : origin,
                  "connections must be an object {name: {type, ...}} or an array of {name, type, "
                  "...}");
    }
    if (!problems.empty()) throw reel::error(std::move(problems));
  }

  /// Reads a connections file (JSON; the mongosh syntax is accepted too). Relative paths in its
  /// definitions are resolved against the file's directory.
  void load_connections(const std::filesystem::path& file) {
    load_connections(read_connections_file(file), file.string(), file.parent_path());
  }

  /// The definitions of a connections file, not yet added (JSON or mongosh syntax). Throws
  /// `reel.connection.io` or `reel.syntax.error`.
  [[nodiscard]] static nlohmann::ordered_json read_connections_file(
      const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      throw_error("reel.connection.io", file.string(), "cannot read the connections file");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return json::parse_pipeline_text(text.str(), file.string());
  }

  /// True when `name` can be used by `$source`.
  [[nodiscard]] bool has_source(const std::string& name) const {
    if (sources_.count(name) != 0) return true;
    auto it = connections_.find(name);
    if (it == connections_.end()) return false;
    const connection_type* t = find_type(type_name(it->second.definition));
    return t && t->make_source;
  }
  /// True when `name` can be used by `$emit`, `$merge` or as the DLQ.
  [[nodiscard]] bool has_sink(const std::string& name) const {
    if (sinks_.count(name) != 0) return true;
    auto it = connections_.find(name);
    if (it == connections_.end()) return false;
    const connection_type* t = find_type(type_name(it->second.definition));
    return t && t->make_sink;
  }
  /// Every connection name, sorted.
  [[nodiscard]] std::vector<std::string> names() const {
    std::vector<std::string> out = keys(sources_);
    for (const auto& n : keys(sinks_))
      out.push_back(n);
    for (const auto& n : keys(connections_))
      out.push_back(n);
    for (const auto& n : keys(functions_))
      out.push_back(n);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  /// The connections, like `sp.listConnections()`: `[{name, type, definition}]` with
  /// definitions as written (`$env` references, never their values), except credentials written
  /// in them (`password`, `secretAccessKey`, `sessionToken`, the user information of a URI),
  /// shown as `********`; connections built in code
  /// show `type: "code"` and their roles.
  [[nodiscard]] nlohmann::ordered_json describe() const {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const std::string& n : names()) {
      nlohmann::ordered_json c = {{"name", n}};
      if (auto it = connections_.find(n); it != connections_.end()) {
        c["type"] = type_name(it->second.definition);
        c["definition"] = detail::masked_definition(it->second.definition);
      } else {
        c["type"] = "code";
        nlohmann::ordered_json roles = nlohmann::ordered_json::array();
        if (sources_.count(n)) roles.push_back("source");
        if (sinks_.count(n)) roles.push_back("sink");
        if (functions_.count(n)) roles.push_back("functions");
        c["roles"] = std::move(roles);
      }
      out.push_back(std::move(c));
    }
    return out;
  }

  /// Throws what `make_source` would for `stage` (unknown name, wrong role, unset `$env`
  /// variable, the type's `check_source`: a missing file, an option of the stage that the type
  /// does not take), without building the source.
  /// Every problem found is in the one `reel::error` thrown: the stage's options and the
  /// connection's own.
  void verify_source(const std::string& name, const std::string& where = "",
                     const nlohmann::ordered_json& stage = nullptr) const {
    if (sources_.count(name) != 0) return;
    if (!has_source(name)) unknown(name, where, true);
    all_problems(
        [&] {
          if (!stage.is_null()) check_stage(name, stage, stage_of(where));
        },
        [&] {
          use(name, stage, where, [&](const connection_args& args, const connection_type& t) {
            if (t.check_source) t.check_source(args);
          });
        });
  }
  /// Throws what `make_sink` would for `stage` (unknown name, wrong role, unset `$env`
  /// variable, an option of the stage that the type does not take), without building the sink.
  void verify_sink(const std::string& name, const std::string& where = "",
                   const nlohmann::ordered_json& stage = nullptr) const {
    if (sinks_.count(name) != 0) return;
    if (!has_sink(name)) unknown(name, where, false);
    all_problems(
        [&] {
          if (!stage.is_null()) check_stage(name, stage, stage_of(where));
        },
        [&] { use(name, stage, where, [](const connection_args&, const connection_type&) {}); });
  }
  /// Where a sink of connection `name` for `stage` would write, when two sinks writing there
  /// would corrupt each other (a file's absolute path), else empty (connections built in code,
  /// types that do not say). Two uses with the same non-empty target must not both be built.
  [[nodiscard]] std::string sink_target(const std::string& name,
                                        const nlohmann::ordered_json& stage,
                                        const std::string& where = "") const {
    if (sinks_.count(name) != 0 || connections_.count(name) == 0) return {};
    std::string target;
    use(name, stage, where, [&](const connection_args& args, const connection_type& t) {
      if (t.sink_target) target = t.sink_target(args);
    });
    return target;
  }

  /// `text` with every value that connection `name` reads from `$env` replaced by
  /// `(value of $env NAME)`: for messages built outside the registry that may hold one (a
  /// sink's target). Unset variables and connections built in code change nothing.
  [[nodiscard]] std::string redact(const std::string& name, std::string text) const {
    auto it = connections_.find(name);
    if (it == connections_.end()) return text;
    std::vector<detail::env_secret> secrets;
    std::vector<std::string> unset;
    try {
      (void)arguments(name, it->second, nullptr, "", secrets, &unset);
    } catch (const reel::error&) {
      return text;  // a malformed reference: nothing was read
    }
    return detail::redact(std::move(text), secrets);
  }

  /// Throws `reel.pipeline.unknown_option` or `reel.pipeline.unsupported_option` for an option
  /// of `stage` (at `stage_where`: `/0/$source`, `/3/$emit`, `/3/$merge`) that the type of
  /// connection `name` does not declare (a type that declares nothing: that neither Atlas nor
  /// Reel has). Connections built in code and other places (the DLQ option) are not checked.
  void check_stage(const std::string& name, const nlohmann::ordered_json& stage,
                   const std::string& stage_where) const {
    auto it = connections_.find(name);
    if (it == connections_.end() || sources_.count(name) || sinks_.count(name)) return;
    const std::string type = type_name(it->second.definition);
    const connection_type* t = find_type(type);
    if (!t) return;
    const auto ends_with = [&](std::string_view suffix) {
      return stage_where.size() >= suffix.size() &&
             stage_where.compare(stage_where.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    // A type that declares nothing is checked against Atlas's and Reel's options.
    const std::vector<std::string>* declared = nullptr;
    std::string_view stage_name;
    const auto& lists = t->stage_options;
    if (ends_with("/$source")) {
      if (lists) declared = &lists->source;
      stage_name = "$source";
    } else if (ends_with("/$emit")) {
      if (lists) declared = &lists->emit;
      stage_name = "$emit";
    } else if (ends_with("/$merge")) {
      if (lists) declared = &lists->merge;
      stage_name = "$merge";
    } else {
      return;
    }
    json::check_stage_options(stage_name, stage, stage_where, declared, detail::lower(type));
  }

  /// Builds the source of connection `name` for `stage`. `where` locates the connection name
  /// in the pipeline (`/0/$source/connectionName`). Throws `reel.connection.unknown` (with a
  /// suggestion) when no connection of that name can be a source.
  [[nodiscard]] std::unique_ptr<source> make_source(const std::string& name,
                                                    const nlohmann::ordered_json& stage,
                                                    const std::string& where = "") const {
    if (auto it = sources_.find(name); it != sources_.end()) return it->second(stage);
    if (connections_.count(name) == 0) unknown(name, where, true);
    check_stage(name, stage, stage_of(where));
    return use(
        name, stage, where,
        [&](const connection_args& args, const connection_type& t) -> std::unique_ptr<source> {
          if (!t.make_source) unsupported(args, where, "a source");
          auto s = t.make_source(args);
          if (!s) unsupported(args, where, "a source");
          return s;
        });
  }
  /// Builds the sink of connection `name` for `stage` (or the DLQ). Throws
  /// `reel.connection.unknown` when no connection of that name can be a sink.
  [[nodiscard]] std::unique_ptr<sink> make_sink(const std::string& name,
                                                const nlohmann::ordered_json& stage,
                                                const std::string& where = "") const {
    if (auto it = sinks_.find(name); it != sinks_.end()) return it->second(stage);
    if (connections_.count(name) == 0) unknown(name, where, false);
    check_stage(name, stage, stage_of(where));
    return use(name, stage, where,
               [&](const connection_args& args, const connection_type& t) -> std::unique_ptr<sink> {
                 if (!t.make_sink) unsupported(args, where, "a sink");
                 auto s = t.make_sink(args);
                 if (!s) unsupported(args, where, "a sink");
                 return s;
               });
  }

  /// Builds the collection reader of connection `name` for the `$lookup`/`$cachedLookup` stage
  /// `stage`; `where` locates the connection name (`/2/$lookup/from/connectionName`). Throws
  /// `reel.connection.unknown` (with a suggestion) when there is no such connection,
  /// `reel.connection.unsupported` when its type cannot be joined against.
  [[nodiscard]] std::shared_ptr<collection_reader> make_collection_reader(
      const std::string& name, const nlohmann::ordered_json& stage,
      const std::string& where = "") const {
    if (connections_.count(name) == 0) {
      std::vector<std::string> known;
      for (const auto& [n, e] : connections_) {
        const connection_type* t = find_type(type_name(e.definition));
        if (t && t->make_collection_reader) known.push_back(n);
      }
      throw_error("reel.connection.unknown", where,
                  "no connection named '" + name + "' to join against" +
                      reel::detail::did_you_mean(name, known));
    }
    return use(name, stage, where,
               [&](const connection_args& args,
                   const connection_type& t) -> std::shared_ptr<collection_reader> {
                 if (!t.make_collection_reader) unsupported(args, where, "a $lookup collection");
                 auto r = t.make_collection_reader(args);
                 if (!r) unsupported(args, where, "a $lookup collection");
                 return r;
               });
  }

  /// True when `name` is a defined connection whose type makes functions for
  /// `$externalFunction` (`connection_type::make_function`).
  [[nodiscard]] bool has_remote_functions(const std::string& name) const {
    auto it = connections_.find(name);
    if (it == connections_.end()) return false;
    const connection_type* t = find_type(type_name(it->second.definition));
    return t && t->make_function;
  }
  /// The connections that provide functions to `$externalFunction`: those holding in-process
  /// functions and those of a type that makes them, sorted.
  [[nodiscard]] std::vector<std::string> all_function_connections() const {
    std::vector<std::string> out = keys(functions_);
    for (const auto& [n, e] : connections_) {
      if (has_remote_functions(n)) out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  /// Builds the function of connection `name` for the `$externalFunction` stage `stage`;
  /// `where` locates the connection name (`/2/$externalFunction/connectionName`). Throws
  /// `reel.connection.unknown` when there is no such defined connection,
  /// `reel.connection.unsupported` when its type makes no functions, and what the type throws.
  [[nodiscard]] async_function make_function(const std::string& name,
                                             const nlohmann::ordered_json& stage,
                                             const std::string& where = "") const {
    if (connections_.count(name) == 0) {
      throw_error("reel.connection.unknown", where,
                  "no function connection named '" + name + "'" +
                      reel::detail::did_you_mean(name, all_function_connections()));
    }
    return use(name, stage, where,
               [&](const connection_args& args, const connection_type& t) -> async_function {
                 if (!t.make_function) unsupported(args, where, "a function ($externalFunction)");
                 auto f = t.make_function(args);
                 if (!f) unsupported(args, where, "a function ($externalFunction)");
                 return f;
               });
  }

  /// The type of the connection `name` as its definition writes it (`"s3"`), empty for
  /// connections built in code and unknown names.
  [[nodiscard]] std::string type_of_connection(const std::string& name) const {
    auto it = connections_.find(name);
    return it == connections_.end() ? std::string() : type_name(it->second.definition);
  }

  /// Runs `f(args, type)` for a use of the defined connection `name` by a stage that calls a
  /// service (`$https`): `args.definition` has its `$env` values resolved (an unset variable is
  /// `reel.connection.missing_env` now), the type's check has run, and no error leaving `f`
  /// shows a resolved value. Throws `reel.connection.unknown` at `where` when no connection of
  /// that name was defined (connections built in code have no definition).
  template <class F>
  auto use_connection(const std::string& name, const nlohmann::ordered_json& stage,
                      const std::string& where, F&& f) const {
    if (connections_.count(name) == 0) {
      throw_error("reel.connection.unknown", where,
                  "no connection named '" + name + "'" +
                      reel::detail::did_you_mean(name, keys(connections_)));
    }
    return use(name, stage, where, std::forward<F>(f));
  }

  /// Builds the checkpoint store of connection `name` for `spec` (`{connectionName, bucket,
  /// prefix}` for S3, `{connectionName, db, coll}` for MongoDB), located at `where`. Throws
  /// `reel.connection.unknown` when there is no such connection, `reel.connection.unsupported`
  /// when its type keeps no checkpoints, and what the type throws for a bad specification.
  [[nodiscard]] std::unique_ptr<checkpoint_store> make_checkpoint_store(
      const std::string& name, const nlohmann::ordered_json& spec,
      const std::string& where = "") const {
    if (connections_.count(name) == 0) {
      throw_error("reel.connection.unknown", where,
                  "no connection named '" + name + "' to keep checkpoints in" +
                      reel::detail::did_you_mean(name, keys(connections_)));
    }
    return use(name, spec, where,
               [&](const connection_args& args,
                   const connection_type& t) -> std::unique_ptr<checkpoint_store> {
                 if (!t.make_checkpoint_store) unsupported(args, where, "a checkpoint store");
                 return t.make_checkpoint_store(args);
               });
  }

 private:
  struct entry {
    nlohmann::ordered_json definition;  // as written
    std::string where;
    std::filesystem::path base_directory;
    bool checked = false;  // the type's check ran when the connection was added
  };

  /// Runs `f(args, type)` for a use of the defined connection `name` by `stage`: `$env`
  /// resolved (an unset variable is an error now, naming the connection), the type's check run
  /// if it could not run when the connection was added; no error leaving it shows a secret.
  template <class F>
  auto use(const std::string& name, const nlohmann::ordered_json& stage, const std::string& where,
           F&& f) const -> decltype(f(std::declval<const connection_args&>(),
                                      std::declval<const connection_type&>())) {
    const entry& e = connections_.at(name);
    std::vector<detail::env_secret> secrets;
    connection_args args = arguments(name, e, &stage, stage_of(where), secrets);
    return detail::redacting_errors(secrets, where, [&] {
      const connection_type& t = type_of(args, e);
      if (!e.checked && t.check) {
        connection_args definition_only = args;
        definition_only.stage = nullptr;
        t.check(definition_only);
      }
      using built = decltype(f(args, t));
      if constexpr (std::is_same_v<built, std::unique_ptr<source>>) {
        // What the connector says while it runs is redacted too.
        return built(std::make_unique<detail::redacting_source>(f(args, t), secrets, where));
      } else if constexpr (std::is_same_v<built, std::unique_ptr<sink>>) {
        return built(std::make_unique<detail::redacting_sink>(f(args, t), secrets, where));
      } else {
        return f(args, t);
      }
    });
  }

  /// Runs every check, then throws one `reel::error` with the problems of all of them.
  template <class... Checks>
  static void all_problems(Checks&&... checks) {
    std::vector<diagnostic> problems;
    auto run = [&](auto& check) {
      try {
        check();
      } catch (const reel::error& e) {
        problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
      }
    };
    (run(checks), ...);
    if (!problems.empty()) throw reel::error(std::move(problems));
  }

  template <class Map>
  static std::vector<std::string> keys(const Map& m) {
    std::vector<std::string> out;
    for (const auto& [k, v] : m)
      out.push_back(k);
    return out;
  }

  static std::string type_name(const nlohmann::ordered_json& definition) {
    auto it = definition.find("type");
    return it != definition.end() && it->is_string() ? it->get<std::string>() : std::string();
  }

  /// `/0/$source/connectionName` → `/0/$source`; `/3/$merge/into/connectionName` → `/3/$merge`.
  static std::string stage_of(std::string where) {
    for (std::string_view suffix :
         {std::string_view("/connectionName"), std::string_view("/into")}) {
      if (where.size() >= suffix.size() &&
          where.compare(where.size() - suffix.size(), suffix.size(), suffix) == 0) {
        where.resize(where.size() - suffix.size());
      }
    }
    return where;
  }

  [[noreturn]] void unknown(const std::string& name, const std::string& where,
                            bool as_source) const {
    const std::string role = as_source ? "source" : "sink";
    std::vector<std::string> known;
    for (const std::string& n : names()) {
      if (as_source ? has_source(n) : has_sink(n)) known.push_back(n);
    }
    if (auto it = connections_.find(name);
        it != connections_.end() || sources_.count(name) || sinks_.count(name)) {
      const std::string type =
          it != connections_.end() ? "of type '" + type_name(it->second.definition) + "' " : "";
      throw_error("reel.connection.unsupported", where,
                  "connection '" + name + "' " + type + "cannot be used as a " + role);
    }
    throw_error("reel.connection.unknown", where,
                "no " + role + " connection named '" + name + "'" +
                    reel::detail::did_you_mean(name, known));
  }

  [[noreturn]] static void unsupported(const connection_args& args, const std::string& where,
                                       const char* role) {
    throw_error("reel.connection.unsupported", where,
                "connection '" + args.name + "' of type '" + type_name(args.definition) +
                    "' cannot be used as " + role);
  }

  /// The type of a definition; throws for a missing or unknown type.
  const connection_type& type_of(const connection_args& args, const entry& e) const {
    auto it = args.definition.find("type");
    if (it == args.definition.end()) {
      throw_error("reel.connection.invalid", e.where,
                  "a connection definition needs a 'type'" + known_types());
    }
    if (!it->is_string()) {
      throw_error("reel.connection.invalid", e.where + "/type", "type must be a string");
    }
    const std::string given = it->get<std::string>();
    const connection_type* t = find_type(given);
    if (!t) {
      if (const detail::optional_connector* c = detail::find_optional_connector(given)) {
        throw_error("reel.connection.not_built", e.where + "/type",
                    "connection type '" + given + "' needs the " + std::string(c->name) +
                        " connector, which this build of Reel does not have: configure it with "
                        "-D" +
                        std::string(c->cmake_option) +
                        "=ON (see the README's \"Compiled connectors\")");
      }
      if (const detail::atlas_only_connection_type* c =
              detail::find_atlas_only_connection_type(given)) {
        throw_error("reel.connection.unsupported_type", e.where + "/type",
                    "connection type '" + given + "' (Atlas's, for " + std::string(c->what) +
                        ") is not supported by Reel");
      }
      std::string suggestion = reel::detail::did_you_mean(detail::lower(given), type_names());
      throw_error("reel.connection.unknown_type", e.where + "/type",
                  "unknown connection type '" + given + "'" +
                      (suggestion.empty() ? known_types() : suggestion));
    }
    return *t;
  }

  std::string known_types() const {
    std::string out;
    for (const std::string& n : type_names())
      out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? std::string() : " (known types: " + out + ")";
  }

  /// The definition with `$env` resolved; the values read go to `secrets`. With `unset`, the
  /// names of variables that are not set go there (their references stay); without it, an
  /// unset variable is an error.
  connection_args arguments(const std::string& name, const entry& e,
                            const nlohmann::ordered_json* stage, std::string stage_where,
                            std::vector<detail::env_secret>& secrets,
                            std::vector<std::string>* unset = nullptr) const {
    connection_args args;
    args.name = name;
    args.definition = e.definition;
    resolve_env(args.definition, name, e.where, "", secrets, args.env_settings, unset);
    if (stage) args.stage = *stage;
    args.definition_where = e.where;
    args.stage_where = std::move(stage_where);
    args.base_directory = e.base_directory;
    return args;
  }

  /// Replaces the `$env` references in `v` (at `pointer` in the definition, `where` in errors)
  /// by their values, recording them in `secrets` and `settings`.
  void resolve_env(nlohmann::ordered_json& v, const std::string& connection,
                   const std::string& where, const std::string& pointer,
                   std::vector<detail::env_secret>& secrets,
                   std::map<std::string, std::string>& settings,
                   std::vector<std::string>* unset) const {
    if (v.is_object()) {
      if (auto it = v.find("$env"); it != v.end()) {
        if (v.size() != 1 || !it->is_string() || it->get<std::string>().empty()) {
          throw_error("reel.connection.invalid", where,
                      "$env takes the name of an environment variable: {\"$env\": \"NAME\"}");
        }
        const std::string var = it->get<std::string>();
        std::optional<std::string> value;
        if (env_) {
          value = env_(var);
        } else if (const char* s = std::getenv(var.c_str())) {
          value = std::string(s);
        }
        if (!value && unset) {
          unset->push_back(var);
          return;
        }
        if (!value) {
          throw_error("reel.connection.missing_env", where,
                      "environment variable '" + var + "' is not set (connection '" + connection +
                          "' needs it)");
        }
        secrets.push_back({*value, var});
        settings[pointer] = var;
        v = std::move(*value);
        return;
      }
      for (auto& [key, child] : v.items()) {
        const std::string token = json_pointer_append("", key);
        resolve_env(child, connection, where + token, pointer + token, secrets, settings, unset);
      }
    } else if (v.is_array()) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string token = "/" + std::to_string(i);
        resolve_env(v[i], connection, where + token, pointer + token, secrets, settings, unset);
      }
    }
  }

  std::map<std::string, source_factory> sources_;
  std::map<std::string, sink_factory> sinks_;
  std::map<std::string, connection_type> types_;
  std::map<std::string, entry> connections_;
  std::map<std::string, std::map<std::string, async_function>> functions_;
  environment env_;
};

}  // namespace reel
