// SPDX-License-Identifier: Apache-2.0
/// \file
/// In-process functions for `$externalFunction`: an application registers a C++ callable under a
/// connection name and a function name (`connection_registry::register_function`), and
/// `{$externalFunction: {connectionName, functionName, as}}` calls it once per document, with
/// the document (or what the stage's `payload` pipeline makes of it) as the argument. The
/// result becomes the field `as`; custom enrichment without a network.
///
/// A function answers either by returning (`sync_function`) or through a `function_completion`
/// (`async_function`) that it calls exactly once, from any thread, before or after it returns:
/// that lets an application answer from its own thread pool or event loop, and lets tests answer
/// calls in any order they choose. Calls run asynchronously with a bounded number in flight and
/// their results are released in input order (`reel/json/enrichment.hpp`).
///
/// **Example**
/// ```cpp
/// reel::connection_registry connections;
/// connections.register_function("pricing", "price", [](const reel::json::document& ticket) {
///   return reel::json::document{{"amount", ticket["seats"].get<int>() * 12.5}};
/// });
/// connections.register_function("pricing", "later", [&](const reel::json::document& ticket,
///                                                      reel::function_completion done) {
///   pool.post([ticket, done] { done(reel::json::document{{"ok", true}}); });
/// });
/// // {$externalFunction: {connectionName: "pricing", functionName: "price", as: "price"}}
/// ```
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace reel {

/// How one call of an in-process function ends: exactly one of `operator()(value)` (the value
/// becomes the field `as`), `done()` (success without a value: `as` is not set, as Atlas does for
/// an empty response) or `fail(reason)` (the stage's `onError` applies: DLQ with the reason,
/// ignore, or stop the processor). Copyable; any thread may call it; calls after the first are
/// ignored. A completion that is never called keeps its document in flight.
class function_completion {
 public:
  /// What the stage receives: a value (or none) on success, or the failure's reason.
  using handler =
      std::function<void(bool ok, std::optional<nlohmann::ordered_json> value, std::string reason)>;

  explicit function_completion(handler h) : state_(std::make_shared<state>(std::move(h))) {}

  void operator()(nlohmann::ordered_json value) const { finish(true, std::move(value), {}); }
  void done() const { finish(true, std::nullopt, {}); }
  void fail(std::string reason) const { finish(false, std::nullopt, std::move(reason)); }

 private:
  struct state {
    explicit state(handler h) : on_done(std::move(h)) {}
    handler on_done;
    std::atomic<bool> fired{false};
  };
  void finish(bool ok, std::optional<nlohmann::ordered_json> value, std::string reason) const {
    if (state_->fired.exchange(true)) return;
    state_->on_done(ok, std::move(value), std::move(reason));
  }
  std::shared_ptr<state> state_;
};

/// A function that answers through its completion (possibly later, from another thread).
using async_function =
    std::function<void(const nlohmann::ordered_json& argument, function_completion done)>;
/// A function that answers by returning; an exception it throws is a failed call (its
/// `what()` is the reason).
using sync_function = std::function<nlohmann::ordered_json(const nlohmann::ordered_json& argument)>;

}  // namespace reel
