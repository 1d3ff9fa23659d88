// SPDX-License-Identifier: Apache-2.0
/// \file
/// `$externalFunction`: calls a function per document and adds its answer under `as`
/// (`ExternalFunctionOperator`). The function is either an **AWS Lambda function** of an
/// `aws_lambda` connection (`reel::https`, built with `-DREEL_WITH_HTTPS=ON`;
/// `reel/https/https.hpp`), or an **in-process function** an application registered with
/// `connection_registry::register_function` (`reel/connector/function.hpp`); any connection type
/// with `connection_type::make_function` provides functions the same way. Calls are
/// asynchronous, at most `parallelism` in flight, released in input order
/// (`reel/json/enrichment.hpp`).
///
/// Options (Atlas's names):
/// - `connectionName`, `functionName` (required): the function;
/// - `execution`: `"sync"` (default: the answer is awaited and written to `as`) or `"async"`.
///   An in-process function is then not waited for at all (the document goes on at once); a
///   function of a connection (Lambda: an `Event` invocation) is waited for until the service
///   has accepted the call, so that `onError` applies to its refusals, as Atlas does, and the
///   document goes on unchanged;
/// - `as`: the field the answer goes to (a dotted path); required with `"sync"`, refused with
///   `"async"`. An answer without a value (`function_completion::done()`) sets nothing;
/// - `onError`: `"dlq"` (default), `"ignore"`, `"fail"`;
/// - `payload`: a pipeline of `$project`, `$addFields`, `$set`, `$replaceRoot` that makes the
///   argument from the document (default: the whole document);
/// - `parallelism`: the most calls in flight, 1–1024 (Reel's default 16; Atlas's means the same,
///   default 1). Results keep input order whatever its value.
///
/// `partitionBy` is refused (Reel keeps input order without it). Without a connection registry
/// at compile time (`compile_pipeline(p)`), the options are checked and the function is not
/// looked up; running such a stage stops the processor (`reel.enrichment.unbound`).
///
/// **Example**
/// ```json
/// {"$externalFunction": {"connectionName": "pricing", "functionName": "price", "as": "price",
///                        "payload": [{"$project": {"movie": 1, "seats": 1}}], "parallelism": 64}}
/// ```
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reel/connector/registry.hpp"
#include "reel/detail/suggest.hpp"
#include "reel/json/enrichment.hpp"
#include "reel/json/stage.hpp"
#include "reel/json/stages/common.hpp"

namespace reel::json {

namespace detail {

/// The `payload` pipeline of an enrichment stage: `$project`, `$addFields`, `$set`,
/// `$replaceRoot` (Atlas's list), run on a copy of the document to make the request's body.
class payload_pipeline {
 public:
  payload_pipeline() = default;
  payload_pipeline(const document& spec, const std::string& where) {
    if (!spec.is_array()) bad_stage(where, "payload must be an array of stages");
    static const std::vector<std::string> allowed = {"$project", "$addFields", "$set",
                                                     "$replaceRoot"};
    for (std::size_t i = 0; i < spec.size(); ++i) {
      const std::string at = where + "/" + std::to_string(i);
      const document& stage = spec[i];
      if (!stage.is_object() || stage.size() != 1)
        bad_stage(at, "a payload stage must be an object with exactly one field");
      const std::string name = stage.begin().key();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        throw_error("reel.pipeline.misplaced_stage", pointer_append(at, name),
                    "a payload pipeline takes only $project, $addFields, $set and $replaceRoot, "
                    "not " +
                        name);
      }
      stages_.push_back(stage_registry::global().find(name)->make(stage.begin().value(),
                                                                  pointer_append(at, name)));
    }
  }
  [[nodiscard]] bool empty() const noexcept { return stages_.empty(); }
  /// The payload of `doc`; throws `reel::error` when a stage fails.
  [[nodiscard]] document run(const document& doc, const eval_context& ctx) const {
    document payload = doc;
    for (const auto& stage : stages_) {
      std::vector<document> out;
      stage->apply(std::move(payload), ctx, out);
      if (out.size() != 1)
        throw_error("reel.enrichment.rejected", "", "the payload pipeline made no document");
      payload = std::move(out.front());
    }
    return payload;
  }

 private:
  std::vector<std::shared_ptr<const document_stage>> stages_;
};

}  // namespace detail

namespace stages {

class external_function final : public enrichment_stage {
 public:
  external_function(const document& spec, const std::string& where, const stage_context& context)
      : enrichment_stage(where, as_of(spec, where), on_error_of(spec, where),
                         parallelism_of(spec, where)) {
    detail::check_options(spec, where, "$externalFunction",
                          {"connectionName", "functionName", "execution", "as", "onError",
                           "payload", "parallelism", "partitionBy"});
    if (spec.contains("partitionBy")) {
      throw_error("reel.pipeline.unsupported_option", where + "/partitionBy",
                  "partitionBy of $externalFunction is not supported by Reel: calls run "
                  "concurrently up to parallelism and keep input order without it");
    }
    fire_and_forget_ = is_async(spec, where);
    connection_ = required_string(spec, where, "connectionName");
    function_ = required_string(spec, where, "functionName");
    if (auto it = spec.find("payload"); it != spec.end())
      payload_ = detail::payload_pipeline(*it, where + "/payload");
    if (context.connections) bind(*context.connections, spec, where);
  }

  [[nodiscard]] std::string_view operator_name() const override {
    return "ExternalFunctionOperator";
  }

  void start_call(const document& doc, const eval_context& ctx, call_done done) const override {
    if (!callable_) {
      done({call_outcome::kind::fatal, std::nullopt,
            "[reel.enrichment.unbound] $externalFunction was compiled without connections: "
            "compile the pipeline with pipeline_options::connections (or build the "
            "stream_processor from the pipeline document)"});
      return;
    }
    call_outcome rejected{call_outcome::kind::rejected, std::nullopt, {}};
    document argument;
    try {
      argument = payload_.empty() ? doc : payload_.run(doc, ctx);
    } catch (const reel::error& e) {
      rejected.reason = "the payload pipeline failed: " + e.message();
      done(std::move(rejected));
      return;
    }
    // A connection's function names itself in its reasons (`[reel.lambda.status] ...`).
    const std::string name = remote_ ? std::string() : function_name_ + " failed: ";
    auto finished = [done, name](bool ok, std::optional<document> value, std::string reason) {
      if (ok) {
        done({call_outcome::kind::ok, std::move(value), {}});
      } else {
        done({call_outcome::kind::failed, std::nullopt, name + reason});
      }
    };
    if (fire_and_forget_ && !remote_) {
      done({call_outcome::kind::ok, std::nullopt, {}});  // not awaited
      call(argument, function_completion([](bool, std::optional<document>, std::string) {}));
      return;
    }
    call(argument, function_completion(std::move(finished)));
  }

 private:
  /// Calls the function; an exception it throws fails the call.
  void call(const document& argument, const function_completion& done) const {
    try {
      (*callable_)(argument, done);
    } catch (const std::exception& e) {
      done.fail(e.what());
    }
  }

  void bind(const reel::connection_registry& connections, const document& spec,
            const std::string& where) {
    const async_function* f = connections.find_function(connection_, function_);
    if (f) {
      callable_ = std::make_shared<const async_function>(*f);
      function_name_ = "function '" + function_ + "' of connection '" + connection_ + "'";
      return;
    }
    if (connections.has_remote_functions(connection_)) {
      callable_ = std::make_shared<const async_function>(
          connections.make_function(connection_, spec, where + "/connectionName"));
      function_name_ = "function '" + function_ + "' of connection '" + connection_ + "'";
      remote_ = true;
      return;
    }
    const std::vector<std::string> functions = connections.function_names(connection_);
    if (!functions.empty()) {
      throw_error("reel.pipeline.invalid_option", where + "/functionName",
                  "connection '" + connection_ + "' has no function '" + function_ + "'" +
                      reel::detail::did_you_mean(function_, functions));
    }
    const std::string type = connections.type_of_connection(connection_);
    if (!type.empty()) {
      throw_error("reel.connection.unsupported", where + "/connectionName",
                  "connection '" + connection_ + "' of type '" + type +
                      "' cannot be used by $externalFunction: it needs a connection of type "
                      "'aws_lambda', or in-process functions registered with "
                      "connection_registry::register_function");
    }
    throw_error(
        "reel.connection.unknown", where + "/connectionName",
        "no function connection named '" + connection_ + "'" +
            reel::detail::did_you_mean(connection_, connections.all_function_connections()));
  }

  static std::string required_string(const document& spec, const std::string& where,
                                     const char* key) {
    auto it = spec.find(key);
    if (it == spec.end())
      throw_error("reel.pipeline.invalid_option", where,
                  std::string("$externalFunction requires '") + key + "'");
    if (!it->is_string() || it->get<std::string>().empty())
      throw_error("reel.pipeline.invalid_option", where + "/" + key,
                  std::string(key) + " must be a non-empty string");
    return it->get<std::string>();
  }
  static bool is_async(const document& spec, const std::string& where) {
    auto it = spec.find("execution");
    if (it == spec.end() || *it == "sync") return false;
    if (*it == "async") return true;
    throw_error("reel.pipeline.invalid_option", where + "/execution",
                "execution must be \"sync\" or \"async\"");
  }
  static std::string as_of(const document& spec, const std::string& where) {
    if (!spec.is_object())
      detail::bad_stage(where, "$externalFunction takes an object, found " + type_name(spec));
    const bool async = is_async(spec, where);
    auto it = spec.find("as");
    if (async) {
      if (it != spec.end())
        throw_error("reel.pipeline.invalid_option", where + "/as",
                    "as cannot be used with execution: \"async\" (the answer is not awaited)");
      return {};
    }
    if (it == spec.end())
      throw_error("reel.pipeline.invalid_option", where,
                  "$externalFunction requires 'as' (the field the answer goes to)");
    return detail::parse_as(*it, where + "/as");
  }
  static on_error_action on_error_of(const document& spec, const std::string& where) {
    auto it = spec.find("onError");
    return it == spec.end() ? on_error_action::dlq
                            : detail::parse_on_error(*it, where + "/onError");
  }
  static std::size_t parallelism_of(const document& spec, const std::string& where) {
    auto it = spec.find("parallelism");
    return it == spec.end() ? default_parallelism
                            : detail::parse_parallelism(*it, where + "/parallelism");
  }

  std::string connection_, function_, function_name_;
  std::shared_ptr<const async_function> callable_;
  detail::payload_pipeline payload_;
  bool fire_and_forget_ = false;  // execution: "async"
  bool remote_ = false;           // made by the connection's type (connection_type::make_function)
};

/// The factory of `$externalFunction` in `stage_registry::global()`.
inline std::shared_ptr<const document_stage> make_external_function(const document& spec,
                                                                    const std::string& where,
                                                                    const stage_context& context) {
  return std::make_shared<external_function>(spec, where, context);
}

}  // namespace stages

}  // namespace reel::json
